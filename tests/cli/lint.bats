#!/usr/bin/env bats
# `cibox lint` is `cibox run lint`.
load runner_helpers
bats_require_minimum_version 1.5.0

setup() {
	setup_runner
}

@test "cibox lint runs the lint stage's steps, like cibox run lint" {
	use_fixture basic
	run "$CIBOX" lint
	assert_status 0
	assert_line_matching 'stage lint, configuration default'
	assert_line_matching '^\[04_install.sh\] lint install$'
	assert_line_matching '^\[06_script.sh\] lint script$'
	refute_line_matching '01_env.sh'
	ls -d "$RUNS"/basic-lint-default-*
}

@test "cibox lint takes cibox run's options and fails as it does" {
	use_fixture basic
	step lint 07_fail.sh <<<$'echo "style: bad"\nexit 1'
	run "$CIBOX" lint -q --set X=1
	assert_status 1
	assert_line_matching '^cibox: run: step 07_fail.sh failed with exit status 1'
	assert_line_matching '^  \| style: bad$'
	run "$CIBOX" lint --bogus
	assert_status 2
	assert_one_line
}

@test "a project without a lint stage: one line, exit 2" {
	new_project
	step test 01_a.sh <<<'true'
	run "$CIBOX" lint
	assert_status 2
	assert_one_line
	assert_line_matching "^cibox: no stage 'lint' in ci \(stages: test\)$"
}

@test "the demo's lint stage passes: shellcheck and clang-format" {
	command -v shellcheck >/dev/null || skip "shellcheck is not installed"
	command -v clang-format >/dev/null || skip "clang-format is not installed"
	cp -r "$CIBOX_TOP/examples/demo" "$BATS_TEST_TMPDIR/demo"
	cd "$BATS_TEST_TMPDIR/demo"
	run "$CIBOX" lint
	assert_status 0
	assert_line_matching 'lint: scripts and sources are clean'
}

@test "the demo's lint stage catches a badly formatted source" {
	command -v shellcheck >/dev/null || skip "shellcheck is not installed"
	command -v clang-format >/dev/null || skip "clang-format is not installed"
	cp -r "$CIBOX_TOP/examples/demo" "$BATS_TEST_TMPDIR/demo"
	cd "$BATS_TEST_TMPDIR/demo"
	echo 'int   badly_formatted( void ){return 0;}' >>src/b64.c
	run "$CIBOX" lint
	assert_status 1
	assert_line_matching 'step 06_script.sh failed'
}

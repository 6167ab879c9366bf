#!/usr/bin/env bats
# `cibox configs`: a stage's configurations, each with what it sets.
load runner_helpers
bats_require_minimum_version 1.5.0

setup() {
	setup_runner
}

@test "lists the default and every configuration with the variables each sets" {
	use_fixture basic
	run "$CIBOX" configs
	assert_status 0
	assert_line_matching '^default +ci/test/00_setup_env.sh$'
	assert_line_matching '^arm +ci/test/00_setup_env_arm.sh$'
	assert_line_matching '^    HOST=x86_64-pc-linux-gnu$'
	assert_line_matching '^    HOST=arm-linux-gnueabihf$'
	assert_line_matching '^    GOAL=check$'
	# arm leaves MAKEJOBS alone: listed once, under default
	[ "$(grep -c MAKEJOBS= <<<"$output")" -eq 1 ]
	# the caller's environment does not leak into the listing
	HOST=mine run "$CIBOX" configs
	assert_line_matching '^    HOST=x86_64-pc-linux-gnu$'
}

@test "values that are not plain words are shown quoted as the shell reads them" {
	new_project
	step test 01_a.sh <<<'true'
	printf '%s\n' "export ODD=\$'two\\nlines'" 'export SPACE="a b"' >ci/test/00_setup_env_odd.sh
	run "$CIBOX" configs
	assert_status 0
	assert_line_matching "^    ODD=\\\$'two\\\\nlines'\$"
	assert_line_matching "^    SPACE=\\\$'a b'\$"
	assert_line_matching '^default +\(no ci/test/00_setup_env.sh\)$'
}

@test "another stage by name" {
	cp -r "$CIBOX_TOP/examples/demo" "$BATS_TEST_TMPDIR/demo"
	cd "$BATS_TEST_TMPDIR/demo"
	run "$CIBOX" configs test
	assert_status 0
	assert_line_matching '^clang +ci/test/00_setup_env_clang.sh$'
	assert_line_matching '^asan +ci/test/00_setup_env_asan.sh$'
	assert_line_matching '^gcc +ci/test/00_setup_env_gcc.sh$'
	run "$CIBOX" configs lint
	assert_status 0
	assert_line_matching '^default +\(no ci/lint/00_setup_env.sh\)$'
}

@test "a broken configuration is named with file and line; the others are still listed; exit 2" {
	use_fixture badconfig
	run "$CIBOX" configs
	assert_status 2
	assert_line_matching "^cibox: ci/test/00_setup_env_fails.sh:4: 'false' failed with exit status 1$"
	assert_line_matching '^cibox: ci/test/00_setup_env_syntax.sh:3: syntax error'
	assert_line_matching '^syntax +ci/test/00_setup_env_syntax.sh$'
}

@test "an unknown stage and bad arguments: one line, exit 2" {
	use_fixture basic
	run "$CIBOX" configs nosuch
	assert_status 2
	assert_one_line
	assert_line_matching "^cibox: no stage 'nosuch'"
	run "$CIBOX" configs a b
	assert_status 2
	assert_one_line
}

#!/usr/bin/env bats
# `cibox configs`: a stage's configurations, each with what it sets.
# shellcheck disable=SC2016 # single-quoted scripts are for the step's or child's shell to expand
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

# A configuration that tries what a pull request's could: write the tree and
# a file of the caller's, and reach a server on the host's loopback.
hostile_configuration() {
	victim=$(mktemp /var/tmp/cibox-victim.XXXXXX)
	echo untouched >"$victim"
	port=$((20000 + RANDOM % 20000))
	python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8); time.sleep(60)' "$port" &
	listener=$!
	for _ in $(seq 50); do (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
	# The attack works from here: the server answers.
	(echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null
	new_project
	echo original >file
	step test 01_show.sh <<<'echo "tree=$TREE victim=$VICTIM net=$NET"'
	step test 00_setup_env.sh <<-EOF
	echo hostile >>file 2>/dev/null && export TREE=written || export TREE=refused
	echo hostile >>"$victim" 2>/dev/null && export VICTIM=written || export VICTIM=refused
	(echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && export NET=reached || export NET=refused
	EOF
}

teardown() {
	[ -z "${listener:-}" ] || kill "$listener" 2>/dev/null || true
	[ -z "${victim:-}" ] || rm -f "$victim"
}

@test "a configuration is read in a jail: no network, the tree and the host read-only" {
	command -v python3 >/dev/null || skip "python3 is not installed"
	hostile_configuration
	run "$CIBOX" configs
	assert_status 0
	assert_line_matching '^    TREE=refused$'
	assert_line_matching '^    VICTIM=refused$'
	assert_line_matching '^    NET=refused$'
	run "$CIBOX" run --engine host
	assert_status 0
	assert_line_matching '^\[01_show.sh\] tree=refused victim=refused net=refused$'
	[ "$(cat file)" = original ]
	[ "$(cat "$victim")" = untouched ]
}

@test "where no jail can be made, the configuration is read without one, and cibox says so" {
	unshare --user --map-root-user true 2>/dev/null || skip "this machine has no user namespaces to limit"
	new_project
	step test 00_setup_env.sh <<<'export GOAL=check'
	step test 01_a.sh <<<'echo "goal $GOAL"'
	run unshare --user --map-root-user sh -c \
		'echo 0 >/proc/sys/user/max_user_namespaces && exec "$0" run --engine host' "$CIBOX"
	assert_status 0
	assert_line_matching '^cibox: run: the configuration was read without a jail, which this machine cannot make: cannot create a user namespace'
	assert_line_matching '^\[01_a.sh\] goal check$'
	run unshare --user --map-root-user sh -c \
		'echo 0 >/proc/sys/user/max_user_namespaces && exec "$0" configs' "$CIBOX"
	assert_status 0
	assert_line_matching '^    GOAL=check$'
	[ "$(grep -c 'read without a jail' <<<"$output")" -eq 1 ]
}

#!/usr/bin/env bats
# README's "Exit status" table: every status it documents, produced by a case.
load runner_helpers
bats_require_minimum_version 1.5.0

setup() {
	setup_runner
	new_project
	step test 01_a.sh <<<'true'
}

# One case for each status of the table: runs cibox so that it ends with it.
status_0() { run "$CIBOX" sandbox -- true; }
status_1() { run "$CIBOX" sandbox -- false; }
status_2() { run "$CIBOX" sandbox --bogus -- true; }
status_3() {
	# An engine that is not installed: what this machine lacks.
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	ln -sf "$(type -P bash)" "$(type -P env)" "$BATS_TEST_TMPDIR/bin/"
	PATH=$BATS_TEST_TMPDIR/bin run "$CIBOX" run --engine podman --set CI_IMAGE_NAME_TAG=debian
}
status_126() {
	printf 'not a program\n' >"$BATS_TEST_TMPDIR/data"
	chmod 644 "$BATS_TEST_TMPDIR/data"
	run -126 "$CIBOX" sandbox -- "$BATS_TEST_TMPDIR/data"
}
status_127() { run -127 "$CIBOX" sandbox -- cibox-no-such-command; }
status_130() {
	step test 01_a.sh <<<'echo waiting; sleep 30'
	interrupt_run --engine host
}
status_159() { run "$CIBOX" sandbox --allow @default -- sh -c 'echo a | cat'; }

# The statuses of the table, one a line.
documented() {
	sed -n '/^## Exit status$/,/^## /p' "$CIBOX_TOP/README.md" | sed -n 's/^| \([0-9][0-9]*\) |.*/\1/p'
}

@test "every status README's table documents is produced by a case" {
	local statuses n
	statuses=$(documented)
	[ -n "$statuses" ]
	for n in $statuses; do
		if ! declare -F "status_$n" >/dev/null; then
			echo "README documents exit status $n, which no case here produces" >&2
			return 1
		fi
		"status_$n"
		echo "status $n:" >&2
		assert_status "$n"
	done
}

@test "a command cibox runs ends cibox with its status, 128 + N for signal N" {
	run "$CIBOX" sandbox -- sh -c 'exit 42'
	assert_status 42
	run "$CIBOX" sandbox -- sh -c 'kill -TERM $$'
	assert_status 143
	run "$CIBOX" trace -o "$BATS_TEST_TMPDIR/p" -- sh -c 'exit 42'
	assert_status 42
}

#!/usr/bin/env bats
# `cibox retry`: tries, back-off timing, RETRY_ATTEMPT, 127, --fail, usage.
# shellcheck disable=SC2016 # single-quoted scripts are for the step's or child's shell to expand
load helpers
bats_require_minimum_version 1.5.0

setup() {
	cd "$BATS_TEST_TMPDIR" || return
}

# Milliseconds since the epoch.
ms() { date +%s%3N; }

@test "a command that succeeds runs once" {
	run "$CIBOX" retry -- sh -c 'echo "try $RETRY_ATTEMPT"'
	assert_status 0
	[ "$output" = "try 1" ]
}

@test "a failing command is tried --tries times; RETRY_ATTEMPT counts; the exit status is the last" {
	run "$CIBOX" retry --tries 4 --sleep 0 -- sh -c 'echo "try $RETRY_ATTEMPT"; exit $((10 + RETRY_ATTEMPT))'
	assert_status 14
	[ "$(grep -c '^try' <<<"$output")" -eq 4 ]
	assert_line_matching '^try 4$'
}

@test "it stops at the first success" {
	run "$CIBOX" retry --tries 9 --sleep 0 -- sh -c 'echo "try $RETRY_ATTEMPT"; [ "$RETRY_ATTEMPT" -ge 3 ]'
	assert_status 0
	[ "$(grep -c '^try' <<<"$output")" -eq 3 ]
}

@test "--sleep waits a constant time between tries" {
	local start end
	start=$(ms)
	run "$CIBOX" retry --tries 4 --sleep 0.2 -- false
	end=$(ms)
	assert_status 1
	# three waits of 0.2 s
	[ $((end - start)) -ge 600 ]
	[ $((end - start)) -lt 1500 ]
}

@test "the wait doubles from --min up to --max" {
	local start end
	start=$(ms)
	run "$CIBOX" retry --tries 5 --min 0.1 --max 0.3 -v -- false
	end=$(ms)
	assert_status 1
	# waits of 0.1, 0.2, 0.3, 0.3 s
	[ $((end - start)) -ge 900 ]
	[ $((end - start)) -lt 1800 ]
	[ "$(grep -oE 'next try in [0-9.]+ s' <<<"$output" | tr '\n' ' ')" = "next try in 0.1 s next try in 0.2 s next try in 0.3 s next try in 0.3 s " ]
}

@test "by default: 10 tries, waits from 0.3 s doubling, said with -v" {
	run "$CIBOX" retry --tries 2 -v -- false
	assert_status 1
	assert_line_matching "^cibox: retry: 'false' failed with exit status 1 \(try 1 of 2\); next try in 0.3 s$"
	# 10 tries when none is given.
	run "$CIBOX" retry --sleep 0 -- sh -c 'echo "try $RETRY_ATTEMPT"; exit 1'
	assert_status 1
	[ "$(grep -c '^try' <<<"$output")" -eq 10 ]
	assert_line_matching '^try 10$'
	# The cap is 60 s: a first wait above it is refused, one at it is not
	# (waiting that long to see the schedule reach it would hold the suite).
	run "$CIBOX" retry --min 61 -- true
	assert_status 2
	[ "$output" = "cibox: retry: --min 61 is more than --max 60" ]
	run "$CIBOX" retry --min 60 -- true
	assert_status 0
	run "$CIBOX" retry --tries 3 --min 0.01 -v -- false
	assert_line_matching 'next try in 0.02 s'
}

@test "exit status 127 (command not found) is not retried" {
	local start end
	start=$(ms)
	run -127 "$CIBOX" retry --tries 5 --sleep 1 -- no-such-command-here
	end=$(ms)
	assert_status 127
	assert_line_matching 'no-such-command-here: command not found'
	[ $((end - start)) -lt 900 ]
	run -127 "$CIBOX" retry --tries 5 --sleep 1 -- sh -c 'echo once; exit 127'
	assert_status 127
	[ "$(grep -c once <<<"$output")" -eq 1 ]
}

@test "not found stays 127 with a PATH folder it cannot search, or a folder named like the command" {
	# execvp answers EACCES for both; a shell says not found and so must retry.
	mkdir -p locked shadow/no-such-command-here
	chmod 000 locked
	local start end
	start=$(ms)
	PATH="$PWD/locked:$PWD/shadow:$PATH" run -127 "$CIBOX" retry --tries 5 --sleep 1 -- no-such-command-here
	end=$(ms)
	chmod 755 locked
	assert_status 127
	[ "$output" = "cibox: retry: no-such-command-here: command not found" ]
	[ $((end - start)) -lt 900 ]
}

@test "--fail runs after the last failure only; the exit status stays the command's" {
	run "$CIBOX" retry --tries 2 --sleep 0 --fail 'echo giving up' -- sh -c 'exit 3'
	assert_status 3
	[ "$(grep -c 'giving up' <<<"$output")" -eq 1 ]
	run "$CIBOX" retry --tries 2 --sleep 0 --fail 'echo giving up' -- true
	assert_status 0
	refute_line_matching 'giving up'
}

@test "steps call it as cibox retry -- CMD" {
	mkdir -p proj/ci/test
	cd proj
	cat >ci/test/01_flaky.sh <<EOF
"$CIBOX" retry --sleep 0 -- sh -c '[ "\$RETRY_ATTEMPT" -ge 2 ] && echo "worked on try \$RETRY_ATTEMPT"'
EOF
	XDG_STATE_HOME="$BATS_TEST_TMPDIR/state" run "$CIBOX" run
	assert_status 0
	assert_line_matching 'worked on try 2'
}

@test "bad usage: one line, exit 2" {
	for args in "--tries 0 -- true" "--tries x -- true" "--sleep -1 -- true" "--sleep 1 --min 1 -- true" \
		"--min 2 --max 1 -- true" "--" "--bogus -- true" "--tries"; do
		# shellcheck disable=SC2086
		run "$CIBOX" retry $args
		assert_status 2
		assert_one_line
	done
}

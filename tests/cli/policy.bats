#!/usr/bin/env bats
# cibox policy check and diff.
load helpers

@test "check passes a clean policy with status 0 and no output" {
	printf '# a build\n@default\n@file-read\n@process\n[net]\n@network\n' >"$BATS_TEST_TMPDIR/ok.policy"
	run "$CIBOX" policy check "$BATS_TEST_TMPDIR/ok.policy"
	assert_status 0
	[ -z "$output" ]
}

@test "check names each unknown or dangerous entry with its line, status 1" {
	printf '@default\nptrace\nclone(*)\nbogus_call\n@nope\n[net]\nsocket(*)\n[x y z too long name]\n' \
		>"$BATS_TEST_TMPDIR/bad.policy"
	run "$CIBOX" policy check "$BATS_TEST_TMPDIR/bad.policy"
	assert_status 1
	assert_line_matching "bad.policy:2: 'ptrace' allows ptrace: reads and writes other processes$"
	assert_line_matching "bad.policy:3: 'clone\(\*\)' allows clone\(\*\): "
	assert_line_matching "bad.policy:4: unknown syscall 'bogus_call'$"
	assert_line_matching "bad.policy:5: unknown group '@nope'"
	assert_line_matching "bad.policy:7: 'socket\(\*\)' allows socket\(\*\): "
	assert_line_matching "bad.policy:8: a section names a thread"
	[ "${#lines[@]}" -eq 6 ]
}

@test "check of a file that cannot be read is one line, status 2" {
	run "$CIBOX" policy check "$BATS_TEST_TMPDIR/missing.policy"
	assert_status 2
	assert_one_line
}

@test "diff shows additions, removals and changes of form per part, status 1" {
	printf '@default\n@file-read\nmkdir\n[net]\nconnect\n' >"$BATS_TEST_TMPDIR/old.policy"
	printf '@default\n@file-read\n@file-write\n-mkdir\npipe2\n[net]\nconnect\nbind\n' >"$BATS_TEST_TMPDIR/new.policy"
	run "$CIBOX" policy diff "$BATS_TEST_TMPDIR/old.policy" "$BATS_TEST_TMPDIR/new.policy"
	assert_status 1
	assert_line_matching "^\+ pipe2$"
	assert_line_matching "^- mkdir$"
	assert_line_matching "^~ openat: read-only -> any arguments$"
	assert_line_matching "^\[net\]$"
	assert_line_matching "^\+ bind$"
	refute_line_matching "^\+ connect"
}

@test "diff of equal policies prints nothing, status 0; a bad file is status 2" {
	printf '@default\n' >"$BATS_TEST_TMPDIR/a.policy"
	printf '# same\n@default\n' >"$BATS_TEST_TMPDIR/b.policy"
	run "$CIBOX" policy diff "$BATS_TEST_TMPDIR/a.policy" "$BATS_TEST_TMPDIR/b.policy"
	assert_status 0
	[ -z "$output" ]
	printf 'bogus_call\n' >"$BATS_TEST_TMPDIR/c.policy"
	run "$CIBOX" policy diff "$BATS_TEST_TMPDIR/a.policy" "$BATS_TEST_TMPDIR/c.policy"
	assert_status 2
	assert_one_line
	assert_line_matching "c.policy:1: unknown syscall 'bogus_call'"
}

@test "a learned policy checks clean" {
	run "$CIBOX" trace -o "$BATS_TEST_TMPDIR/learned.policy" -- sh -c 'echo a | cat'
	assert_status 0
	run "$CIBOX" policy check "$BATS_TEST_TMPDIR/learned.policy"
	assert_status 0
}

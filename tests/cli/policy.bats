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

@test "check finds what loading would refuse: a second section for a thread, brackets in a name" {
	printf '@default\n[a]\n@network\n[a]\n@file-read\n' >"$BATS_TEST_TMPDIR/twice.policy"
	run "$CIBOX" policy check "$BATS_TEST_TMPDIR/twice.policy"
	assert_status 1
	assert_one_line
	assert_line_matching "twice.policy:4: a second section for thread 'a'$"
	printf '@default\n[abc]]\n' >"$BATS_TEST_TMPDIR/brackets.policy"
	run "$CIBOX" policy check "$BATS_TEST_TMPDIR/brackets.policy"
	assert_status 1
	assert_line_matching "brackets.policy:2: a section names a thread"
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

@test "argument values: check names each value beyond cibox's safe form, status 1" {
	printf '@default\n-ioctl\nioctl(TCGETS, TIOCSTI)\nclone(CLONE_VM|CLONE_VFORK|SIGCHLD)\nclone(CLONE_NEWUSER|SIGCHLD)\nsocket(AF_UNIX, AF_PACKET)\n' \
		>"$BATS_TEST_TMPDIR/values.policy"
	run "$CIBOX" policy check "$BATS_TEST_TMPDIR/values.policy"
	assert_status 1
	assert_line_matching "values.policy:3: ioctl\(TIOCSTI\) is beyond cibox's safe form of ioctl \(.*\): TIOCSTI types into the terminal"
	assert_line_matching "values.policy:5: clone\(CLONE_NEWUSER\|SIGCHLD\) is beyond cibox's safe form of clone \(no namespace flags\): clone with namespace flags makes new namespaces$"
	assert_line_matching "values.policy:6: socket\(AF_PACKET\) is beyond cibox's safe form of socket "
	[ "${#lines[@]}" -eq 3 ]
}

@test "argument values: check names a value the safe form allowed before already holds" {
	printf '@default\nioctl(TCGETS, 0x5413)\n-prctl\nprctl(PR_SET_NAME)\n' >"$BATS_TEST_TMPDIR/noop.policy"
	run "$CIBOX" policy check "$BATS_TEST_TMPDIR/noop.policy"
	assert_status 1
	assert_line_matching "noop.policy:2: ioctl\(TCGETS\) adds nothing to the safe form allowed before; write -ioctl before the values to allow only them$"
	assert_line_matching "noop.policy:2: ioctl\(TIOCGWINSZ\) adds nothing "
	[ "${#lines[@]}" -eq 2 ]
}

@test "argument values: a bad value is one line naming file and line, status 2 everywhere" {
	printf '@default\n\nioctl(TCGETS, TCGETZ)\n' >"$BATS_TEST_TMPDIR/bad.policy"
	run "$CIBOX" sandbox --policy "$BATS_TEST_TMPDIR/bad.policy" -- true
	assert_status 2
	assert_one_line
	assert_line_matching "bad.policy:3: unknown request 'TCGETZ' for ioctl \(a number is fine too\)$"
	run "$CIBOX" policy diff "$BATS_TEST_TMPDIR/bad.policy" "$BATS_TEST_TMPDIR/bad.policy"
	assert_status 2
	assert_one_line
	run "$CIBOX" policy check "$BATS_TEST_TMPDIR/bad.policy"
	assert_status 1
	assert_line_matching "bad.policy:3: unknown request 'TCGETZ'"
	run "$CIBOX" sandbox --allow '@default,socket(AF_UNIX|AF_INET)' -- true
	assert_status 2
	assert_one_line
	assert_line_matching "'\|' joins flags, but socket's family is one value: 'AF_UNIX\|AF_INET'$"
	run "$CIBOX" sandbox --allow '@default,read(3)' -- true
	assert_status 2
	assert_line_matching "'read' takes no argument values; only clone, socket, socketpair, ioctl, prctl and ptrace do$"
	printf '@default\n[net]\nsocket(AF_INET) connect\n' >"$BATS_TEST_TMPDIR/two.policy"
	run "$CIBOX" sandbox --policy "$BATS_TEST_TMPDIR/two.policy" -- true
	assert_status 2
	assert_line_matching "two.policy:3: one entry per line, found 'socket\(AF_INET\) connect'$"
}

@test "argument values: --allow takes them, commas inside parentheses included" {
	run "$CIBOX" sandbox --mode abort --allow '@default,@file-read,-ioctl,ioctl(TCGETS, 0x5413)' -- ls /
	assert_status 0
	run "$CIBOX" sandbox --allow '@default,@file-read,-ioctl,ioctl(TIOCGWINSZ)' -- ls -l /dev/null
	assert_status 159
	assert_line_matching '^ERROR: The syscall "ioctl" '
}

@test "argument values: diff shows each value added or taken out" {
	printf '@default\n-ioctl\nioctl(TCGETS)\n[net]\nsocket(AF_INET)\n' >"$BATS_TEST_TMPDIR/old.policy"
	printf '@default\n-ioctl\nioctl(TCGETS, FIONREAD)\n[net]\nsocket(AF_INET6)\n' >"$BATS_TEST_TMPDIR/new.policy"
	run "$CIBOX" policy diff "$BATS_TEST_TMPDIR/old.policy" "$BATS_TEST_TMPDIR/new.policy"
	assert_status 1
	assert_line_matching "^\+ ioctl\(FIONREAD\)$"
	assert_line_matching "^\[net\]$"
	assert_line_matching "^\+ socket\(AF_INET6\)$"
	assert_line_matching "^- socket\(AF_INET\)$"
	[ "${#lines[@]}" -eq 4 ]
}

@test "a policy learned with --args checks clean" {
	run "$CIBOX" trace --args -o "$BATS_TEST_TMPDIR/learned.policy" -- sh -c 'echo a | cat; ls >/dev/null'
	assert_status 0
	run "$CIBOX" policy check "$BATS_TEST_TMPDIR/learned.policy"
	assert_status 0
}

#!/usr/bin/env bats
# `cibox sandbox` as a user meets it: real programs under sensible policies,
# the modes, exit statuses, policy files, bad input; and libcibox's example.
# shellcheck disable=SC2016 # single-quoted scripts are for the step's or child's shell to expand
load helpers
bats_require_minimum_version 1.5.0

setup() {
	cd "$BATS_TEST_TMPDIR" || return
	# An aborting test program must not leave a core file behind.
	ulimit -c 0
}

# A program built with AddressSanitizer that has to exit normally inside a
# sandbox: LeakSanitizer's exit-time check uses ptrace, which it is refused.
no_leak_check() {
	env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$@"
}

need() {
	command -v "$1" >/dev/null || skip "$1 is not installed"
}

report_line() { # level, syscall, number, thread
	local tail='Please report\.'
	if [ "$1" = WARNING ]; then tail='It was allowed to run \(mode log\)\.'; fi
	echo "^$1: The syscall \"$2\" \(syscall number $3\) is not allowed by the syscall sandbox in thread \"$4\"\. $tail\$"
}

# --- real programs under the default policy ---

@test "a /bin/sh pipeline runs under the default policy" {
	run "$CIBOX" sandbox -- sh -c 'echo a | tr a b | cat'
	assert_status 0
	[ "$output" = b ]
}

@test "a /bin/sh pipeline runs under the narrow policy it needs" {
	run "$CIBOX" sandbox --allow @default,@file-read,@process,@ipc -- sh -c 'echo a | tr a b | cat'
	assert_status 0
	[ "$output" = b ]
}

@test "python3 round-trips JSON in a second thread under the default policy" {
	need python3
	# -B: no bytecode written next to the modules, whoever runs the test.
	run "$CIBOX" sandbox -- python3 -B -c '
import json, threading
out = []
t = threading.Thread(target=lambda: out.append(json.loads(json.dumps({"n": [1, 2, 3]}))))
t.start()
t.join()
print(out[0]["n"][2], threading.active_count())'
	assert_status 0
	[ "$output" = "3 1" ]
}

@test "python3 without HOME looks the user up under the default policy" {
	need python3
	# No HOME: Python's site module asks the name service for the home folder,
	# and glibc probes nscd's socket before it reads /etc/passwd.
	run env -u HOME "$CIBOX" sandbox -- python3 -B -c 'import os; print(os.path.expanduser("~") != "~")'
	assert_status 0
	[ "$output" = True ]
}

@test "the name service's nscd probe is refused quietly; other sockets are not" {
	run "$CIBOX" sandbox --mode abort -- id -un
	assert_status 0
	[ "$output" = "$(id -un)" ]
	# Through the supervisor too: a section that may use sockets makes every
	# socket call a question for it, and `id` is not that thread.
	printf '@default\n@file-read\n[net]\n@network\n' >"$BATS_TEST_TMPDIR/sections.policy"
	run "$CIBOX" sandbox --policy "$BATS_TEST_TMPDIR/sections.policy" -- id -un
	assert_status 0
	[ "$output" = "$(id -un)" ]
	run "$CIBOX" sandbox -- python3 -B -c 'import socket; socket.socket(socket.AF_UNIX)'
	assert_status 159
	assert_line_matching '^ERROR: The syscall "socket" \(syscall number [0-9]+\) is not allowed'
}

@test "git init, add, commit and log run under the default policy" {
	need git
	mkdir repo
	run "$CIBOX" sandbox -- sh -c '
		cd repo &&
		git init -q . &&
		echo hello > greeting &&
		git add greeting &&
		git -c user.name=cibox -c user.email=cibox@example.invalid commit -q -m "first" &&
		git log --format=%s &&
		git show HEAD:greeting'
	assert_status 0
	[ "$output" = "$(printf 'first\nhello')" ]
}

@test "make builds a tiny project under the default policy" {
	need make
	mkdir project
	printf 'all: out\nout: in\n\ttr a-z A-Z < in > out\n\tcat out\n' > project/Makefile
	echo built > project/in
	run "$CIBOX" sandbox -- make -s -C project
	assert_status 0
	[ "$output" = BUILT ]
	[ "$(cat project/out)" = BUILT ]
}

@test "the default policy has no network: socket(AF_INET) is refused with the report" {
	need python3
	local code='import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM); print("made")'
	# The interpreter itself, not a wrapper script that would need more.
	local python
	python=$(python3 -c 'import sys; print(sys.executable)')
	# Control: the same program, given @network, makes its socket.
	run "$CIBOX" sandbox --allow @default,@file-read,@process,@signal,@thread,@ipc,@system-info,@network \
		-- "$python" -B -c "$code"
	assert_status 0
	[ "$output" = made ]
	run "$CIBOX" sandbox -- "$python" -B -c "$code"
	assert_status 159
	assert_line_matching "$(report_line ERROR socket 41 python3)"
	refute_line_matching "^made$"
}

@test "what a sandboxed command writes cannot weaken a later sandbox of the same policy" {
	export XDG_CACHE_HOME=$BATS_TEST_TMPDIR/cache
	local policy=@default,@file-read,@file-write,@process
	run "$CIBOX" sandbox --allow "$policy" -- true
	assert_status 0
	# The attack, by a command the policy lets write files: every program
	# kept under the user's cache becomes its first 12 instructions (the
	# prefix cibox checks) followed by RET_ALLOW.
	run "$CIBOX" sandbox --allow "$policy" -- sh -c '
		for f in "$XDG_CACHE_HOME"/cibox/*/*; do
			[ -f "$f" ] || continue
			head -c 96 "$f" >"$f.new"
			printf "\006\000\000\000\000\000\377\177" >>"$f.new"
			mv "$f.new" "$f"
		done'
	assert_status 0
	# pipe2 is @ipc's: still refused.
	run "$CIBOX" sandbox --allow "$policy" -- sh -c 'echo a | cat'
	assert_status 159
	assert_line_matching "$(report_line ERROR pipe2 293 sh)"
	# Nothing is kept for a command to rewrite.
	[ ! -e "$XDG_CACHE_HOME/cibox" ]
}

# --- exit statuses ---

@test "the command's exit status passes through" {
	run "$CIBOX" sandbox -- sh -c 'exit 7'
	assert_status 7
	[ -z "$output" ]
	run "$CIBOX" sandbox -- true
	assert_status 0
	run "$CIBOX" sandbox -- false
	assert_status 1
}

# The supervisor is bound by no filter: a command that could write its memory
# could change what it enforces. It is not dumpable, and the command, even as
# root, has no CAP_SYS_PTRACE.
@test "the command cannot open the supervisor's memory" {
	run "$CIBOX" sandbox -- sh -c '(exec 3<>/proc/$PPID/mem) 2>/dev/null && echo opened || echo refused'
	assert_status 0
	assert_line_matching '^refused$'
}

# Outside a terminal the caller's group may hold the script that started
# cibox (this test's, here); without a group of its own, kill(0) ends it too.
@test "the command's kill(0) reaches its own process group, not cibox's caller" {
	run "$CIBOX" sandbox -- sh -c 'kill -TERM 0; echo survived' </dev/null
	assert_status 143
	refute_line_matching survived
}

# In a terminal's foreground the command shares cibox's group, whatever its
# standard input: Ctrl-C (sent here through script's terminal) reaches it.
@test "in a terminal, Ctrl-C reaches the command even with its input redirected" {
	local start=$SECONDS
	# bash as script's shell: it goes on after a command that handled Ctrl-C
	SHELL=/bin/bash run bash -c '(sleep 1; printf "\003"; sleep 0.5) |
		script -qfec "$0 sandbox -- sh -c \"sleep 6; echo after\" </dev/null; echo rc=\$?" /dev/null' "$CIBOX"
	[ $((SECONDS - start)) -lt 5 ]
	assert_line_matching 'rc=130'
	refute_line_matching after
}

@test "a command killed by signal n gives 128+n and no sandbox report" {
	run "$CIBOX" sandbox -- sh -c 'kill -TERM $$'
	assert_status 143
	run "$CIBOX" sandbox -- sh -c 'kill -KILL $$'
	assert_status 137
	refute_line_matching "ERROR|sandbox stopped"
}

@test "a command that is not found gives 127 and one line" {
	run -127 "$CIBOX" sandbox -- cibox-no-such-command
	assert_status 127
	assert_one_line
	assert_line_matching "^cibox: sandbox: cibox-no-such-command: command not found$"
}

@test "a file that is not executable gives 126 and one line" {
	echo 'echo hi' > script.sh
	chmod 644 script.sh
	run "$CIBOX" sandbox -- ./script.sh
	assert_status 126
	assert_one_line
	assert_line_matching "script\.sh"
}

@test "a directory as the command gives 126 and one line" {
	mkdir tools
	run "$CIBOX" sandbox -- ./tools
	assert_status 126
	assert_one_line
	assert_line_matching "^cibox: sandbox: \./tools: not a regular file$"
}

# --- modes ---

@test "log-and-abort names the syscall and thread, then cibox says it stopped the command" {
	run "$CIBOX" sandbox --allow @default,@file-read,@process,@ipc,@signal -- sh -c 'mkdir made; echo after'
	assert_status 159
	assert_line_matching "$(report_line ERROR mkdir 83 mkdir)"
	assert_line_matching "^cibox: sandbox: the syscall sandbox stopped 'sh' \(mode log-and-abort\)$"
	refute_line_matching "^after$"
	[ ! -e made ]
}

@test "abort kills without a report line" {
	run "$CIBOX" sandbox --mode abort --allow @default,@file-read,@process,@ipc,@signal -- sh -c 'exec mkdir made'
	assert_status 159
	refute_line_matching "^ERROR: "
	assert_line_matching "^cibox: sandbox: the syscall sandbox stopped 'sh' \(mode abort\)$"
	[ ! -e made ]
}

@test "abort kills the offending descendant at once, its parent sees SIGSYS" {
	run "$CIBOX" sandbox --mode abort --allow @default,@file-read,@process,@ipc,@signal -- sh -c 'mkdir made; echo "status $?"'
	assert_line_matching "^status 159$"
	refute_line_matching "^ERROR: "
	[ ! -e made ]
}

@test "log reports each refused syscall once per thread and lets the command succeed" {
	# Two writes from the shell itself, one from a subshell (another thread).
	run "$CIBOX" sandbox --mode log --allow @default,@file-read,@process,@ipc,@signal -- \
		sh -c ': > one; : > two; (: > three); echo done'
	assert_status 0
	assert_line_matching "^done$"
	assert_line_matching "$(report_line WARNING openat 257 sh)"
	[ "$(grep -c '^WARNING: ' <<<"$output")" -eq 2 ]
	[ "$(grep -c '"openat"' <<<"$output")" -eq 2 ]
	refute_line_matching "^ERROR: |sandbox stopped"
	[ -e one ] && [ -e two ] && [ -e three ]
}

@test "log reports once per thread of one process, each under its thread's name" {
	need python3
	local python
	python=$(python3 -c 'import sys; print(sys.executable)')
	# umask is outside the policy; each thread makes it twice.
	run "$CIBOX" sandbox --mode log --allow @default,@file-read,@thread,@signal,@system-info -- "$python" -B -c '
import ctypes, os, threading
libc = ctypes.CDLL(None)
def worker():
    libc.prctl(15, b"worker", 0, 0, 0)  # PR_SET_NAME
    os.umask(0o22)
    os.umask(0o22)
os.umask(0o22)
os.umask(0o22)
t = threading.Thread(target=worker)
t.start()
t.join()
print("done")'
	assert_status 0
	assert_line_matching "^done$"
	assert_line_matching "$(report_line WARNING umask 95 python3)"
	assert_line_matching "$(report_line WARNING umask 95 worker)"
	[ "$(grep -c '^WARNING: ' <<<"$output")" -eq 2 ]
}

@test "log-and-abort ends the whole process tree, background grandchildren too" {
	local marker="$BATS_TEST_TMPDIR/cibox-tree-$$-$RANDOM"
	ln -s "$(command -v sleep)" "$marker"
	# The background sleep is surely running (under its unique name) before
	# the foreground makes a refused call.
	run timeout 60 "$CIBOX" sandbox --allow @default,@file-read,@file-write,@process,@ipc,@signal,@time -- sh -c '
		"$1" 1000 &
		echo $! > pid
		until grep -qaF -- "$1" /proc/$!/cmdline 2>/dev/null; do sleep 0.05; done
		"$2" mount' sh "$marker" "$HELPERS/escape"
	assert_status 159
	assert_line_matching "$(report_line ERROR mount 165 escape)"
	[ -s pid ]
	# Looked for by its unique name: a pid would still answer kill -0 while
	# the process waits, ended, to be reaped.
	run pgrep -f -- "$marker"
	assert_status 1
}

@test "what a command leaves running ends when it exits" {
	local marker="$BATS_TEST_TMPDIR/cibox-left-$$-$RANDOM"
	ln -s "$(command -v sleep)" "$marker"
	run timeout 60 "$CIBOX" sandbox -- sh -c '"$1" 1000 & echo $! > pid
		until grep -qaF -- "$1" /proc/$!/cmdline 2>/dev/null; do sleep 0.05; done' sh "$marker"
	assert_status 0
	[ -s pid ]
	run pgrep -f -- "$marker"
	assert_status 1
}

# --- policy files ---

@test "a policy file with comments, blank lines and groups runs a pipeline" {
	cat > pipeline.policy <<-'EOF'
	# what a shell pipeline needs

	@default
	@file-read      # look around
	@process
	@ipc
	EOF
	run "$CIBOX" sandbox --policy pipeline.policy -- sh -c 'echo a | tr a b | cat'
	assert_status 0
	[ "$output" = b ]
}

@test "a policy file's name(*) allows the unrestricted form, plain name only the safe one" {
	printf '@default\n@file-read\n@process\n' > read-only.policy
	run "$CIBOX" sandbox --policy read-only.policy -- sh -c 'echo x > out'
	assert_status 159
	assert_line_matching "$(report_line ERROR openat 257 sh)"
	[ ! -e out ]

	printf '@default\n@file-read\n@process\nopenat(*)\n' > write.policy
	run "$CIBOX" sandbox --policy write.policy -- sh -c 'echo x > out'
	assert_status 0
	[ "$(cat out)" = x ]
}

@test "a policy file's -name takes out what a group put in" {
	printf '@default\n@file-read\n@file-write\n@process\n' > with-mkdir.policy
	run "$CIBOX" sandbox --policy with-mkdir.policy -- sh -c 'mkdir a'
	assert_status 0
	[ -d a ]
	printf '@default\n@file-read\n@file-write\n@process\n-mkdir\n' > without-mkdir.policy
	run "$CIBOX" sandbox --policy without-mkdir.policy -- sh -c 'mkdir b'
	assert_status 159
	assert_line_matching "$(report_line ERROR mkdir 83 mkdir)"
	[ ! -e b ]
}

@test "the command starts even when the policy lacks execve; its own execve is refused" {
	run "$CIBOX" sandbox --allow @default,@file-read,@process,-execve,-execveat -- sh -c 'echo started; /bin/true; echo after'
	assert_status 159
	assert_line_matching "^started$"
	assert_line_matching "$(report_line ERROR execve 59 sh)"
	refute_line_matching "^after$"
}

# --- bad input: one line, status 2 ---

bad_input() { # expected message (regex), then the arguments of cibox sandbox
	local message=$1
	shift
	run "$CIBOX" sandbox "$@"
	assert_status 2
	assert_one_line
	assert_line_matching "^cibox: sandbox: $message"
}

@test "an unknown syscall is refused with one line and status 2" {
	bad_input "unknown syscall 'frobnicate'" --allow @default,frobnicate -- true
}

@test "an unknown group is refused with one line and status 2" {
	bad_input "unknown group '@nope'" --allow @default,@nope -- true
}

@test "an error in a policy file names the file and the line" {
	printf '@default\n\nfrobnicate\n' > bad.policy
	bad_input "bad\.policy:3: unknown syscall 'frobnicate'$" --policy bad.policy -- true
}

@test "an empty policy file is refused with one line and status 2" {
	printf '# only a comment\n\n' > empty.policy
	bad_input "empty\.policy: the policy is empty$" --policy empty.policy -- true
	: > blank.policy
	bad_input "blank\.policy: the policy is empty$" --policy blank.policy -- true
}

@test "a missing policy file is refused with one line and status 2" {
	bad_input "missing\.policy: No such file or directory$" --policy missing.policy -- true
}

@test "an unreadable policy file is refused with one line and status 2" {
	printf '@default\n' > secret.policy
	chmod 000 secret.policy
	[ -r secret.policy ] && skip "root reads files whatever their mode"
	bad_input "secret\.policy: Permission denied$" --policy secret.policy -- true
}

@test "a directory as policy file is refused with one line and status 2" {
	mkdir policy.d
	bad_input "policy\.d: not a policy file" --policy policy.d -- true
}

@test "an unknown mode is refused with one line and status 2" {
	bad_input "unknown sandbox mode 'fast'" --mode fast -- true
}

@test "a missing -- is refused with one line and status 2" {
	bad_input "missing '--' before the command 'true'" --allow @default true
	bad_input "missing '--' and the command to run" --allow @default
	bad_input "missing '--'"
}

@test "nothing after -- is refused with one line and status 2" {
	bad_input "no command after '--'" --allow @default --
}

@test "an option without its value is refused with one line and status 2" {
	bad_input "--allow needs a value$" --allow
	bad_input "--allow needs a value$" --allow -- true
	bad_input "--mode needs a value$" --mode= -- true
}

@test "--policy and --allow together are refused with one line and status 2" {
	printf '@default\n' > one.policy
	bad_input "give either --policy or --allow, not both" --policy one.policy --allow @default -- true
}

# --- libcibox's example daemon ---

@test "the example daemon sets up, installs a filter per thread in order and exits 0" {
	run no_leak_check "$CIBOX_BUILD/examples/daemon"
	assert_status 0
	assert_line_matching "^Syscall sandbox set up in mode log-and-abort"
	[ "$(grep '^Syscall filter installed' <<<"$output")" = "$(printf 'Syscall filter installed for thread "%s"\n' init net msghand scheduler)" ]
	assert_line_matching "^daemon: all threads finished$"
	refute_line_matching "^ERROR: "
}

@test "the example daemon's --violate reports uselib in msghand and aborts" {
	run "$CIBOX_BUILD/examples/daemon" --violate
	assert_status 134
	assert_line_matching "$(report_line ERROR uselib 134 msghand)"
	[ "$(grep -c '^ERROR: ' <<<"$output")" -eq 1 ]
	refute_line_matching "installed for thread \"scheduler\""
}

@test "the example daemon in mode abort dies by SIGSYS without a report" {
	run "$CIBOX_BUILD/examples/daemon" --mode abort --violate
	assert_status 159
	assert_line_matching "^Syscall sandbox set up in mode abort"
	assert_line_matching "^Syscall filter installed for thread \"msghand\"$"
	refute_line_matching "^ERROR: "
	refute_line_matching "all threads finished"
}

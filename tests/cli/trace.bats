#!/usr/bin/env bats
# cibox trace: learn the policy a command needs, then enforce it.
load helpers
bats_require_minimum_version 1.5.0

# `cibox trace ARGS...` into $status and $output. A fork that waits for the
# tracer's answer can fail with EINTR when a signal comes before the tracer
# has read the call (the README's "What the sandbox does not stop"): the
# shells here then say "Cannot fork", and the trace is taken again, at most
# three times. Any other failure stands.
trace_run() {
	for _ in 1 2 3; do
		run "$CIBOX" trace "$@"
		[ "$status" -ne 0 ] && grep -q 'Cannot fork' <<<"$output" || return 0
	done
}

# Trace CMD into $policy, then run CMD under it in abort mode: both must pass.
trace_then_enforce() {
	policy=$BATS_TEST_TMPDIR/learned.policy
	trace_run -o "$policy" -- "$@"
	assert_status 0
	[ -s "$policy" ]
	run "$CIBOX" sandbox --mode abort --policy "$policy" -- "$@"
	assert_status 0
}

# The same with --args: clone, socket, ioctl and prctl learned by value.
trace_args_then_enforce() {
	policy=$BATS_TEST_TMPDIR/learned.policy
	trace_run --args -o "$policy" -- "$@"
	assert_status 0
	grep -q '^-ioctl # ' "$policy"
	grep -q '^-prctl # ' "$policy"
	if grep -E '^(clone|socket|socketpair|ioctl|prctl)(\(\*\))? ' "$policy"; then
		echo "a call learned without its values" >&2
		return 1
	fi
	run "$CIBOX" sandbox --mode abort --policy "$policy" -- "$@"
	assert_status 0
}

# The learned policy less one recorded value of SYSCALL stops CMD, naming SYSCALL.
refused_without_one_value() {
	local syscall=$1
	shift
	local value
	value=$(grep -m1 "^$syscall(" "$policy")
	[ -n "$value" ]
	grep -vxF "$value" "$policy" >"$BATS_TEST_TMPDIR/less.policy"
	run "$CIBOX" sandbox --policy "$BATS_TEST_TMPDIR/less.policy" -- "$@"
	assert_status 159
	assert_line_matching "^ERROR: The syscall \"$syscall\" \\(syscall number [0-9]+\\) is not allowed"
}

@test "a shell pipeline, traced, runs under its policy in abort mode" {
	trace_then_enforce sh -c 'echo a | tr a b | cat; ls / >/dev/null'
	[ "$output" = b ]
	grep -q '^@default ' "$policy"
	grep -qE '^pipe2 # [0-9]+ calls? by ' "$policy"
}

@test "the policy minus one entry fails, naming that entry" {
	trace_then_enforce sh -c 'echo a | cat'
	grep -v '^pipe2 ' "$policy" >"$BATS_TEST_TMPDIR/less.policy"
	run "$CIBOX" sandbox --policy "$BATS_TEST_TMPDIR/less.policy" -- sh -c 'echo a | cat'
	assert_status 159
	assert_line_matching '^ERROR: The syscall "pipe2" \(syscall number [0-9]+\) is not allowed'
}

@test "python3 running a script, traced, runs under its policy" {
	command -v python3 >/dev/null || skip "python3 is not installed"
	cat >"$BATS_TEST_TMPDIR/script.py" <<-'PY'
	import json, threading, tempfile, os
	out = []
	t = threading.Thread(target=lambda: out.append(json.loads(json.dumps({"a": [1, 2]}))))
	t.start(); t.join()
	with tempfile.TemporaryDirectory() as d:
	    open(os.path.join(d, "f"), "w").write("x")
	print(out[0]["a"][1])
	PY
	trace_then_enforce python3 "$BATS_TEST_TMPDIR/script.py"
	[ "$output" = 2 ]
}

@test "git init, add and commit in a temporary repository, traced, run under their policy" {
	command -v git >/dev/null || skip "git is not installed"
	# A new repository each run, so that both runs do the same work.
	script="repo=\$(mktemp -d '$BATS_TEST_TMPDIR/repo.XXXXXX') && git init -q \"\$repo\" &&
		cd \"\$repo\" && echo hi >f && git add f &&
		git -c user.name=t -c user.email=t@example.invalid commit -qm one && git status --short"
	HOME=$BATS_TEST_TMPDIR trace_then_enforce sh -c "$script"
}

@test "make building a C program, traced, runs under its policy" {
	command -v make >/dev/null && command -v cc >/dev/null || skip "make or cc is not installed"
	mkdir -p "$BATS_TEST_TMPDIR/proj"
	printf 'int main(void) { return 0; }\n' >"$BATS_TEST_TMPDIR/proj/hello.c"
	printf 'hello: hello.c\n\tcc -o hello hello.c\n' >"$BATS_TEST_TMPDIR/proj/Makefile"
	trace_then_enforce sh -c "cd '$BATS_TEST_TMPDIR/proj' && rm -f hello && make -s && ./hello"
}

@test "--args: a shell pipeline runs under exactly the values it used, and fails without one" {
	cmd='echo a | tr a b | cat; ls / >/dev/null; ls -l /dev/null >/dev/null'
	trace_args_then_enforce sh -c "$cmd"
	[ "$output" = b ]
	grep -qE '^ioctl\(TCGETS\) # [0-9]+ calls? by ' "$policy"
	run "$CIBOX" policy check "$policy"
	assert_status 0
	refused_without_one_value ioctl sh -c "$cmd"
}

@test "--args: python3 with a thread runs under the values it used, and fails without one" {
	command -v python3 >/dev/null || skip "python3 is not installed"
	# socketpair too: none of the other programs here makes one, and its
	# family must be learned like socket's.
	cat >"$BATS_TEST_TMPDIR/script.py" <<-'PY'
	import json, socket, threading
	out = []
	t = threading.Thread(target=lambda: out.append(json.loads("[1, 2]")))
	t.start(); t.join()
	a, b = socket.socketpair()
	a.sendall(b"2"); print(b.recv(1).decode()); a.close(); b.close()
	PY
	trace_args_then_enforce python3 "$BATS_TEST_TMPDIR/script.py"
	[ "$output" = 2 ]
	# A thread's clone, flags by name.
	grep -qE '^clone\(CLONE_VM\|CLONE_FS\|CLONE_FILES\|CLONE_SIGHAND\|CLONE_THREAD\|' "$policy"
	grep -qE '^socketpair\(AF_UNIX\) # ' "$policy"
	refused_without_one_value clone python3 "$BATS_TEST_TMPDIR/script.py"
	refused_without_one_value socketpair python3 "$BATS_TEST_TMPDIR/script.py"
}

@test "--args: make building a C program runs under the values it used, and fails without one" {
	command -v make >/dev/null && command -v cc >/dev/null || skip "make or cc is not installed"
	mkdir -p "$BATS_TEST_TMPDIR/proj"
	printf 'int main(void) { return 0; }\n' >"$BATS_TEST_TMPDIR/proj/hello.c"
	printf 'hello: hello.c\n\tcc -o hello hello.c\n' >"$BATS_TEST_TMPDIR/proj/Makefile"
	cmd="cd '$BATS_TEST_TMPDIR/proj' && rm -f hello && make -s && ./hello"
	trace_args_then_enforce sh -c "$cmd"
	refused_without_one_value clone sh -c "$cmd"
}

@test "--args: git init, add and commit run under the values they used, and fail without one" {
	command -v git >/dev/null || skip "git is not installed"
	script="repo=\$(mktemp -d '$BATS_TEST_TMPDIR/repo.XXXXXX') && git init -q \"\$repo\" &&
		cd \"\$repo\" && echo hi >f && git add f &&
		git -c user.name=t -c user.email=t@example.invalid commit -qm one && git status --short"
	HOME=$BATS_TEST_TMPDIR trace_args_then_enforce sh -c "$script"
	HOME=$BATS_TEST_TMPDIR refused_without_one_value ioctl sh -c "$script"
}

# Stressors that need no privilege and no network: cpu, vm (16 MiB), pipe and
# fork; each forks workers that rename themselves with prctl(PR_SET_NAME).
@test "--args: stress-ng runs under the values it used, and fails without prctl(PR_SET_NAME)" {
	command -v stress-ng >/dev/null || skip "stress-ng is not installed (scripts/install-deps)"
	cd "$BATS_TEST_TMPDIR"
	stress=(stress-ng --cpu 1 --vm 1 --vm-bytes 16M --pipe 1 --fork 1 --timeout 2s)
	trace_args_then_enforce "${stress[@]}"
	assert_line_matching 'successful run completed'
	grep -qxE 'prctl\(PR_SET_NAME\) # [0-9]+ calls by stress-ng' "$policy"
	grep -qE '^clone\(CLONE_CHILD_CLEARTID\|CLONE_CHILD_SETTID\|SIGCHLD\) # ' "$policy"
	grep -v '^prctl(PR_SET_NAME) ' "$policy" >"$BATS_TEST_TMPDIR/less.policy"
	run "$CIBOX" sandbox --policy "$BATS_TEST_TMPDIR/less.policy" -- "${stress[@]}"
	assert_status 159
	assert_line_matching '^ERROR: The syscall "prctl" \(syscall number [0-9]+\) is not allowed'
}

@test "--args --per-thread: a value only one thread used is in its section, and held there" {
	policy=$BATS_TEST_TMPDIR/threads.policy
	run "$CIBOX" trace --args --per-thread -o "$policy" -- "$HELPERS/threads" "$BATS_TEST_TMPDIR"
	assert_status 0
	[ "$(sed -n '/^\[net\]$/,/^\[/p' "$policy" | grep -c '^socket(AF_UNIX) ')" -eq 1 ]
	[ "$(grep -c '^socket' "$policy")" -eq 1 ]
	run "$CIBOX" sandbox --mode abort --policy "$policy" -- "$HELPERS/threads" "$BATS_TEST_TMPDIR"
	assert_status 0
	[ "$output" = "threads done" ]
	run "$CIBOX" sandbox --policy "$policy" -- "$HELPERS/threads" "$BATS_TEST_TMPDIR" --swap
	assert_status 159
	assert_line_matching '^ERROR: The syscall "socket" \(syscall number [0-9]+\) is not allowed by the syscall sandbox in thread "disk"\. Please report\.$'
}

@test "trace writes to standard output without -o, and passes the exit status on" {
	run "$CIBOX" trace -- sh -c 'exit 3'
	assert_status 3
	assert_line_matching '^# Learned by cibox trace from: sh -c exit 3$'
	assert_line_matching '^@default '
}

@test "trace refuses bad usage with one line and status 2, a missing command with 127" {
	run "$CIBOX" trace sh
	assert_status 2
	assert_one_line
	run "$CIBOX" trace --frobnicate -- true
	assert_status 2
	assert_one_line
	run -127 "$CIBOX" trace -- no-such-command-cibox
	assert_one_line
	run "$CIBOX" trace -o "$BATS_TEST_TMPDIR/no/such/dir/p" -- true
	assert_status 1
	assert_one_line
	[ ! -e "$BATS_TEST_TMPDIR/no/such/dir/p" ]
}

@test "--per-thread learns a section per thread name, and enforcing it passes" {
	policy=$BATS_TEST_TMPDIR/threads.policy
	run "$CIBOX" trace --per-thread -o "$policy" -- "$HELPERS/threads" "$BATS_TEST_TMPDIR"
	assert_status 0
	grep -q '^\[net\]$' "$policy"
	grep -q '^\[disk\]$' "$policy"
	# socket belongs to net's section only, mkdir to disk's only
	[ "$(sed -n '/^\[net\]$/,/^\[/p' "$policy" | grep -c '^socket')" -eq 1 ]
	[ "$(grep -c '^socket' "$policy")" -eq 1 ]
	[ "$(sed -n '/^\[disk\]$/,$p' "$policy" | grep -c '^mkdir')" -eq 1 ]
	run "$CIBOX" sandbox --mode abort --policy "$policy" -- "$HELPERS/threads" "$BATS_TEST_TMPDIR"
	assert_status 0
	[ "$output" = "threads done" ]
}

@test "a thread that makes a sibling's call is stopped by the per-thread policy" {
	policy=$BATS_TEST_TMPDIR/threads.policy
	run "$CIBOX" trace --per-thread -o "$policy" -- "$HELPERS/threads" "$BATS_TEST_TMPDIR"
	assert_status 0
	run "$CIBOX" sandbox --policy "$policy" -- "$HELPERS/threads" "$BATS_TEST_TMPDIR" --swap
	assert_status 159
	assert_line_matching '^ERROR: The syscall "socket" \(syscall number [0-9]+\) is not allowed by the syscall sandbox in thread "disk"\. Please report\.$'
	run "$CIBOX" sandbox --mode abort --policy "$policy" -- "$HELPERS/threads" "$BATS_TEST_TMPDIR" --swap
	assert_status 159
	refute_line_matching "threads done"
}

@test "policy files with sections: errors name the file and line" {
	printf '@default\n[]\n' >"$BATS_TEST_TMPDIR/a.policy"
	run "$CIBOX" sandbox --policy "$BATS_TEST_TMPDIR/a.policy" -- true
	assert_status 2
	assert_one_line
	assert_line_matching "a.policy:2: a section names a thread"
	printf '@default\n[net]\n@network\n[net]\n' >"$BATS_TEST_TMPDIR/b.policy"
	run "$CIBOX" sandbox --policy "$BATS_TEST_TMPDIR/b.policy" -- true
	assert_status 2
	assert_line_matching "b.policy:4: a second section for thread 'net'"
	printf '@default\n[net]\nbogus_call\n' >"$BATS_TEST_TMPDIR/c.policy"
	run "$CIBOX" sandbox --policy "$BATS_TEST_TMPDIR/c.policy" -- true
	assert_status 2
	assert_line_matching "c.policy:3: unknown syscall 'bogus_call'"
}

@test "a traced program that sets a descriptor's owner gets fcntl(*), and runs under the policy" {
	cd "$BATS_TEST_TMPDIR"
	run "$CIBOX" trace -o own.policy -- "$HELPERS/signal_escape" own
	assert_status 0
	assert_line_matching "^own: 8 signalled$"
	grep -qE '^fcntl\(\*\) # ' own.policy
	run "$CIBOX" sandbox --mode abort --policy own.policy -- "$HELPERS/signal_escape" own
	assert_status 0
	assert_line_matching "^own: 8 signalled$"
}

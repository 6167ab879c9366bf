#!/usr/bin/env bats
# The escape battery: each way out of a syscall sandbox, tried by the same
# program twice. Unsandboxed, the attempt must reach the kernel (so the case
# cannot pass because the attempt was broken); sandboxed, it must be stopped
# before it runs, in both modes, each in a fresh sandbox.
# shellcheck disable=SC2016 # single-quoted scripts are for the step's or child's shell to expand
# shellcheck disable=SC2030,SC2031 # each test runs in a subshell of its own: what it sets is its own
load helpers

# Everything the helper needs to start, print and exit, and more: the groups a
# build would get. The dangerous calls tried below are in none of them.
POLICY=@default,@file-read,@process,@signal,@thread,@time,@ipc,@system-info

# The helper is not what AddressSanitizer builds are checking here, and
# LeakSanitizer's exit-time check uses ptrace, which a traced process (the
# ptrace case) or a sandboxed one cannot use.
no_leak_check() {
	env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$@"
}

# The attempt, unsandboxed, gets an answer from the kernel (whatever it is).
reaches_kernel() { # case
	run no_leak_check "$HELPERS/escape" "$1"
	assert_status 0
	assert_line_matching "^$1: reached the kernel \(errno [0-9]+ / result -?[0-9]+\)$"
	refute_line_matching "ENOSYS"
}

# The attempt, sandboxed: never executed; log-and-abort names the syscall and
# the thread exactly once, abort kills without a word from cibox's supervisor.
refused() { # case, syscall name, number, [policy]
	local policy=${4:-$POLICY}
	run "$CIBOX" sandbox --mode log-and-abort --allow "$policy" -- "$HELPERS/escape" "$1"
	assert_status 159
	assert_line_matching "^ERROR: The syscall \"$2\" \(syscall number $3\) is not allowed by the syscall sandbox in thread \"escape\"\. Please report\.$"
	[ "$(grep -c '^ERROR: ' <<<"$output")" -eq 1 ]
	refute_line_matching "reached the kernel|ENOSYS"

	run "$CIBOX" sandbox --mode abort --allow "$policy" -- "$HELPERS/escape" "$1"
	assert_status 159
	refute_line_matching "^ERROR: "
	refute_line_matching "reached the kernel|ENOSYS"
}

# A foreign-architecture call: the kernel kills at once, in every mode, before
# any supervisor could look at it, so there is no ERROR line, only cibox's.
killed_as_foreign() { # case
	local mode
	for mode in log-and-abort abort; do
		run "$CIBOX" sandbox --mode "$mode" --allow "$POLICY" -- "$HELPERS/escape" "$1"
		assert_status 159
		assert_line_matching "^cibox: sandbox: the syscall sandbox stopped '.*escape' \(mode $mode\)$"
		refute_line_matching "^ERROR: "
		refute_line_matching "reached the kernel|ENOSYS"
	done
}

@test "escape helper refuses an unknown case" {
	run "$HELPERS/escape" no-such-case
	assert_status 2
	assert_line_matching "^usage: escape CASE"
}

@test "i386 syscalls through int 0x80 run unsandboxed and are killed sandboxed" {
	# A kernel without 32-bit emulation (ia32_emulation=off, or built
	# without it) answers int 0x80 with SIGSEGV, before any filter.
	run no_leak_check "$HELPERS/escape" i386
	# (AddressSanitizer reports the fault itself and exits 1.)
	[ "$status" -ne 139 ] && ! grep -q 'AddressSanitizer: SEGV' <<<"$output" ||
		skip "this kernel has no 32-bit syscall entry (int 0x80 faults)"
	reaches_kernel i386
	killed_as_foreign i386
}

@test "x32 syscall numbers get ENOSYS unsandboxed and are killed sandboxed" {
	# This kernel has no x32 ABI: the control answers ENOSYS, which is the
	# kernel's answer and not a kill; under the sandbox the process must die.
	run "$HELPERS/escape" x32
	if [ "$status" -eq 0 ]; then
		assert_line_matching "^x32: reached the kernel"
	else
		assert_status 38
		assert_line_matching "^x32: ENOSYS$"
	fi
	killed_as_foreign x32
}

@test "io_uring_setup reaches the kernel unsandboxed and is refused sandboxed" {
	reaches_kernel io_uring
	refused io_uring io_uring_setup 425
}

@test "ptrace(PTRACE_TRACEME) reaches the kernel unsandboxed and is refused sandboxed" {
	reaches_kernel ptrace
	refused ptrace ptrace 101
}

@test "unshare(CLONE_NEWUSER) reaches the kernel unsandboxed and is refused sandboxed" {
	reaches_kernel unshare
	refused unshare unshare 272
}

@test "clone with CLONE_NEWUSER reaches the kernel unsandboxed and is refused although clone is allowed" {
	reaches_kernel clone-newuser
	refused clone-newuser clone 56
}

@test "mount reaches the kernel unsandboxed and is refused sandboxed" {
	reaches_kernel mount
	refused mount mount 165
}

@test "bpf(BPF_PROG_LOAD) reaches the kernel unsandboxed and is refused sandboxed" {
	reaches_kernel bpf
	refused bpf bpf 321
}

@test "process_vm_writev reaches the kernel unsandboxed and is refused sandboxed" {
	reaches_kernel process_vm_writev
	refused process_vm_writev process_vm_writev 311
}

@test "userfaultfd reaches the kernel unsandboxed and is refused sandboxed" {
	reaches_kernel userfaultfd
	refused userfaultfd userfaultfd 323
}

@test "keyctl reaches the kernel unsandboxed and is refused sandboxed" {
	reaches_kernel keyctl
	refused keyctl keyctl 250
}

@test "execve runs /bin/true unsandboxed and is refused when the policy lacks it" {
	reaches_kernel execve
	assert_line_matching "^execve: reached the kernel \(errno 0 / result 0\)$"
	# cibox's own start of the helper is let through; the helper's execve is not.
	refused execve execve 59 "$POLICY,-execve,-execveat"
}

# The groups allow rt_sigaction in any form (programs reset SIGSYS before
# execve); plain `rt_sigaction` is the form that never touches SIGSYS, the one
# libcibox always enforces for its own handler.
@test "installing a SIGSYS handler reaches the kernel unsandboxed and is refused by plain rt_sigaction" {
	reaches_kernel sigsys-handler
	refused sigsys-handler rt_sigaction 13 "$POLICY,-rt_sigaction,rt_sigaction"
}

@test "ignoring SIGSYS reaches the kernel unsandboxed and is refused sandboxed" {
	reaches_kernel sigsys-ignore
	refused sigsys-ignore rt_sigaction 13 "$POLICY,-rt_sigaction,rt_sigaction"
}

@test "a SIGSYS handler with garbage in the upper half of the signal is refused too" {
	# The kernel reads the signal as an int; the filter must not see another one.
	reaches_kernel sigsys-wide
	refused sigsys-wide rt_sigaction 13 "$POLICY,-rt_sigaction,rt_sigaction"
}

@test "clone3 starts a process unsandboxed and answers ENOSYS sandboxed" {
	reaches_kernel clone3
	local mode
	for mode in log-and-abort abort log; do
		run no_leak_check "$CIBOX" sandbox --mode "$mode" --allow "$POLICY" -- "$HELPERS/escape" clone3
		assert_status 38
		assert_line_matching "^clone3: ENOSYS$"
		refute_line_matching "^(ERROR|WARNING): |stopped"
	done
}

# --- signals toward processes that are not the command's ---
#
# The victim is a process of the same user that the command did not start;
# it is reparented away from the test at once, so that a killed victim is
# reaped and not mistaken for a live zombie.

start_victim() {
	VICTIM=$(sh -c 'sleep 1000 </dev/null >/dev/null 2>&1 3>&- & echo $!')
}

alive() { # pid
	[ -r "/proc/$1/stat" ] && ! grep -qE '^[0-9]+ \(.*\) Z' "/proc/$1/stat"
}

teardown() {
	if [ -n "${VICTIM:-}" ]; then
		kill -9 "$VICTIM" 2>/dev/null || true
	fi
	if [ -s "$BATS_TEST_TMPDIR/left" ]; then
		kill -9 "$(cat "$BATS_TEST_TMPDIR/left")" 2>/dev/null || true
	fi
}

# The attack, unsandboxed, kills its victim: it is a real one.
kills_unsandboxed() { # case
	start_victim
	run no_leak_check "$HELPERS/signal_escape" "$1" "$VICTIM"
	assert_status 0
	sleep 0.1
	! alive "$VICTIM"
}

# Sandboxed under a policy, in each mode, the victim survives and the call
# that would have reached it is reported.
victim_survives() { # case, syscall, policy
	local mode
	for mode in log-and-abort abort log; do
		start_victim
		run no_leak_check "$CIBOX" sandbox --mode "$mode" --allow "$3" -- \
			"$HELPERS/signal_escape" "$1" "$VICTIM"
		sleep 0.1
		if ! alive "$VICTIM"; then
			echo "mode $mode: $1 killed the victim; output:" >&2
			printf '%s\n' "$output" >&2
			return 1
		fi
		case $mode in
		log-and-abort)
			assert_status 159
			assert_line_matching "^ERROR: The syscall \"$2\" .* in thread \"signal_escape\"\. Please report\.$"
			;;
		abort)
			assert_status 159
			refute_line_matching "^ERROR: "
			;;
		log)
			assert_line_matching "^WARNING: The syscall \"$2\" .*It was refused: it reaches outside the command's processes \(mode log\)\.$|^WARNING: The syscall \"$2\" .*allowed to run"
			;;
		esac
		kill -9 "$VICTIM" 2>/dev/null || true
	done
}

NO_SIGNAL=@default,@file-read,@process,@thread,@time,@ipc,@system-info

@test "without @signal, a descriptor's owner and O_ASYNC cannot have the kernel SIGKILL another process" {
	kills_unsandboxed owner
	victim_survives owner fcntl "$NO_SIGNAL"
}

@test "without @signal, FIOASYNC and an owner cannot have the kernel send SIGIO to another process" {
	kills_unsandboxed fioasync
	victim_survives fioasync ioctl "$NO_SIGNAL"
}

@test "without @signal, tgkill (in @default for raise and abort) cannot kill another process" {
	kills_unsandboxed tgkill
	victim_survives tgkill tgkill "$NO_SIGNAL"
}

@test "with @signal, no signal call reaches a process outside the command's tree" {
	local c
	for c in kill tkill tgkill sigqueue tgsigqueue; do
		kills_unsandboxed "$c"
	done
	victim_survives kill kill "$POLICY"
	victim_survives tkill tkill "$POLICY"
	victim_survives tgkill tgkill "$POLICY"
	victim_survives sigqueue rt_sigqueueinfo "$POLICY"
	victim_survives tgsigqueue rt_tgsigqueueinfo "$POLICY"
}

@test "with @signal, pidfd_send_signal reaches no process outside the command's tree" {
	kills_unsandboxed pidfd
	kills_unsandboxed proc-pidfd
	victim_survives pidfd pidfd_send_signal "$POLICY"
	victim_survives proc-pidfd pidfd_send_signal "$POLICY"
}

@test "with @signal, a descriptor's owner outside the command's tree is refused, as a process or a group" {
	kills_unsandboxed owner
	victim_survives owner fcntl "$POLICY"
	victim_survives owner-group fcntl "$POLICY"
	# In log mode the refused F_SETOWN failed with EPERM and nothing was sent.
	start_victim
	run "$CIBOX" sandbox --mode log --allow "$POLICY" -- "$HELPERS/signal_escape" owner "$VICTIM"
	assert_line_matching "^owner: result -1 errno 1$"
}

@test "with @signal, the command cannot kill cibox, and nothing it started outlives cibox" {
	# @file-write: the shell opens /dev/null for writing.
	local left="$BATS_TEST_TMPDIR/left" policy="$POLICY,@file-write"
	run "$CIBOX" sandbox --allow "$policy" -- sh -c \
		'sleep 1000 </dev/null >/dev/null 2>&1 & echo "left $!"; kill -9 $PPID; echo survived'
	sed -n 's/^left //p' <<<"$output" >"$left"
	assert_status 159
	assert_line_matching '^ERROR: The syscall "kill" .* in thread "sh"\. Please report\.$'
	refute_line_matching "^survived$"
	[ -s "$left" ]
	if alive "$(cat "$left")"; then
		echo "the background sleep outlived the command" >&2
		return 1
	fi

	# In log mode the kill fails and the command goes on; its sleep still
	# ends with it.
	run "$CIBOX" sandbox --mode log --allow "$policy" -- sh -c \
		'sleep 1000 </dev/null >/dev/null 2>&1 & echo "left $!"; kill -9 $PPID || echo refused'
	sed -n 's/^left //p' <<<"$output" >"$left"
	assert_status 0
	assert_line_matching "^refused$"
	# shellcheck disable=SC2314 # the test's last line: its status is the test's
	! alive "$(cat "$left")"
}

@test "signals among the command's own processes still arrive, by every call" {
	run no_leak_check "$CIBOX" sandbox --allow "$POLICY" -- "$HELPERS/signal_escape" own
	assert_status 0
	assert_line_matching "^own: 8 signalled$"
	refute_line_matching "^(ERROR|WARNING): "
	run "$CIBOX" sandbox --mode abort --allow "$POLICY" -- "$HELPERS/signal_escape" own
	assert_line_matching "^own: 8 signalled$"
	# A shell's own job and its own process group (kill 0).
	run "$CIBOX" sandbox --allow "$POLICY" -- sh -c 'sleep 100 & kill $!; wait $!; echo "job $?"; kill 0'
	assert_status 143
	assert_line_matching "^job 143$"
	refute_line_matching "^ERROR: "
}

@test "abort() still ends the command with SIGABRT, with or without @signal" {
	local policy
	for policy in "$NO_SIGNAL" "$POLICY"; do
		run no_leak_check "$CIBOX" sandbox --allow "$policy" -- "$HELPERS/signal_escape" abort
		assert_status 134
		refute_line_matching "^(ERROR|WARNING): "
	done
}

#!/usr/bin/env bats
load helpers

@test "syscalls lists every group with a count" {
	run "$CIBOX" syscalls
	assert_status 0
	for g in @default @file-read @file-write @network @process @signal @thread @time @ipc @system-info; do
		assert_line_matching "^$g +[0-9]+ "
	done
}

@test "syscalls @group prints numbers and names from libseccomp" {
	run "$CIBOX" syscalls @network
	assert_status 0
	assert_line_matching "^ +41  socket +only: families unix"
	assert_line_matching "^ +42  connect"
}

@test "syscalls NAME shows the groups it belongs to" {
	run "$CIBOX" syscalls clone
	assert_status 0
	assert_line_matching "^ +56  clone +@process,@thread,@sanitizer +only: no namespace flags"
}

@test "syscalls NAME names the values a policy may list, and the quiet refusal" {
	run "$CIBOX" syscalls ioctl
	assert_status 0
	assert_line_matching "values: ioctl\(V, ...\) allows only the listed request values \(argument 2\)"
	assert_line_matching "(^| )TCGETS,"
	run "$CIBOX" syscalls socket
	assert_line_matching "when refused, socket\(AF_UNIX, SOCK_STREAM\|SOCK_CLOEXEC\|SOCK_NONBLOCK, 0\) answers EACCES"
	assert_line_matching "AF_UNIX, AF_INET,"
	run "$CIBOX" syscalls getpid
	refute_line_matching "values:"
}

@test "dangerous syscalls belong to no group; ptrace to @sanitizer alone, which no default holds" {
	run "$CIBOX" syscalls ptrace
	assert_status 0
	assert_line_matching " ptrace +@sanitizer *$"
	for name in bpf mount umount2 unshare setns io_uring_setup io_uring_enter \
		process_vm_readv process_vm_writev perf_event_open userfaultfd keyctl add_key \
		kexec_load init_module finit_module delete_module reboot swapon swapoff seccomp; do
		run "$CIBOX" syscalls "$name"
		assert_status 0
		assert_line_matching " $name +- "
	done
}

@test "syscalls refuses an unknown group or name with one line and status 2" {
	run "$CIBOX" syscalls @nope
	assert_status 2
	assert_one_line
	assert_line_matching "unknown group '@nope'"
	run "$CIBOX" syscalls frobnicate
	assert_status 2
	assert_one_line
}

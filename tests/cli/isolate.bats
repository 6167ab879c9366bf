#!/usr/bin/env bats
# cibox sandbox --isolate: the rootless jail around a command, for root and for
# a normal user alike.
# shellcheck disable=SC2016 # single-quoted scripts are for the step's or child's shell to expand
load helpers

# What the commands below need; @network for the loopback check.
POLICY=@default,@file-read,@file-write,@process,@signal,@thread,@time,@ipc,@system-info,@network,getpeername,get_mempolicy,set_mempolicy

jail() {
	run "$CIBOX" sandbox --isolate --allow "$POLICY" "$@"
}

@test "the jail has hostname cibox and the caller is root inside" {
	jail -- sh -c 'hostname; id -u'
	assert_status 0
	[ "${lines[0]}" = cibox ]
	[ "${lines[1]}" = 0 ]
}

@test "--keep-uid keeps the caller's uid inside" {
	# As a uid that is not 0, so that keeping it and becoming root differ in
	# the root pass too: the caller is 4242 of a user namespace of its own.
	local as_4242=(unshare --user --map-user=4242 --map-group=4242)
	run "${as_4242[@]}" "$CIBOX" sandbox --isolate --allow "$POLICY" --keep-uid -- id -u
	assert_status 0
	[ "$output" = 4242 ]
	run "${as_4242[@]}" "$CIBOX" sandbox --isolate --allow "$POLICY" -- id -u
	assert_status 0
	[ "$output" = 0 ]
	jail --keep-uid -- id -u
	assert_status 0
	[ "$output" = "$(id -u)" ]
}

@test "the host's root is read-only inside" {
	jail -- sh -c 'touch /usr/cibox-test-file'
	assert_status 1
	assert_line_matching "Read-only file system"
	[ ! -e /usr/cibox-test-file ]
}

@test "/tmp is private and empty, and gone afterwards" {
	echo secret >"$BATS_TEST_TMPDIR/host-file"
	jail -- sh -c 'ls -A /tmp; echo inside >/tmp/made-inside; cat /tmp/made-inside'
	assert_status 0
	[ "$output" = inside ]
	[ ! -e /tmp/made-inside ]
}

@test "root of the jail cannot open the memory of the jail's init or of the supervisor" {
	jail -- sh -c 'for p in 1 $PPID; do (exec 3<>/proc/$p/mem) 2>/dev/null && echo "opened $p" || echo "refused $p"; done'
	assert_status 0
	refute_line_matching opened
	assert_line_matching '^refused 1$'
}

@test "kill(0) in the jail reaches the jail's processes, not cibox's caller" {
	jail -- sh -c 'kill -TERM 0; echo survived' </dev/null
	assert_status 143
	refute_line_matching survived
}

@test "the jail sees only its own processes" {
	# init, sh, ls and grep
	jail -- sh -c 'ls /proc | grep -c "^[0-9]"'
	assert_status 0
	[ "$output" -le 4 ]
	jail -- sh -c "test -e /proc/$$ && echo visible || echo hidden"
	[ "$output" = hidden ]
}

@test "/dev is minimal" {
	jail -- ls /dev
	assert_status 0
	for node in null zero full random urandom tty pts shm ptmx fd stdin stdout stderr; do
		assert_line_matching "^$node$"
	done
	refute_line_matching "^(sda|vda|mem|kmsg)$"
	jail -- sh -c 'head -c 4 /dev/urandom | wc -c; echo x >/dev/null && echo wrote'
	assert_status 0
	[ "${lines[0]}" = 4 ] && [ "${lines[1]}" = wrote ]
}

@test "only loopback, and it is up" {
	jail -- sh -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "'
	assert_status 0
	[ "$output" = lo ]
	# python3 outside the jail may live in a home folder the jail hides.
	jail -- sh -c 'command -v python3'
	[ "$status" -eq 0 ] || skip "python3 is not installed outside home folders"
	jail -- python3 -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
c = socket.create_connection(s.getsockname()); a, _ = s.accept()
c.sendall(b"ping"); print(a.recv(4).decode())'
	assert_status 0
	[ "$output" = ping ]
}

@test "--network shares the host's network" {
	jail --network -- sh -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | sort'
	assert_status 0
	[ "$output" = "$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort)" ]
}

@test "--network without a policy allows the network calls too" {
	local udp='import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).connect(("127.0.0.1", 9)); print("sent")'
	run "$CIBOX" sandbox --isolate --network -- python3 -c "$udp"
	assert_status 0
	[ "$output" = sent ]
	run "$CIBOX" sandbox --isolate --network -- getent hosts localhost
	assert_status 0
	assert_line_matching 'localhost'
	# Without --network the built-in policy stays as it is, @network left out.
	run "$CIBOX" sandbox --isolate -- python3 -c "$udp"
	assert_status 159
	assert_line_matching 'The syscall "socket" .* is not allowed'
}

@test "--bind shows a host folder writable, --ro-bind read-only" {
	mkdir -p "$BATS_TEST_TMPDIR/rw" "$BATS_TEST_TMPDIR/ro"
	echo hello >"$BATS_TEST_TMPDIR/ro/f"
	jail --bind "$BATS_TEST_TMPDIR/rw" --ro-bind "$BATS_TEST_TMPDIR/ro:/tmp/in" -- \
		sh -c "echo written >'$BATS_TEST_TMPDIR/rw/out'; cat /tmp/in/f; echo no >/tmp/in/g"
	assert_status 2
	assert_line_matching "^hello$"
	assert_line_matching "Read-only file system"
	[ "$(cat "$BATS_TEST_TMPDIR/rw/out")" = written ]
	[ ! -e "$BATS_TEST_TMPDIR/ro/g" ]
}

@test "the working directory is kept when the jail has it" {
	cd "$BATS_TEST_TMPDIR"
	jail --bind "$BATS_TEST_TMPDIR" -- pwd
	assert_status 0
	[ "$output" = "$BATS_TEST_TMPDIR" ]
}

@test "the syscall policy holds inside the jail" {
	run "$CIBOX" sandbox --isolate --allow @default,@file-read,@process -- sh -c 'echo a | cat'
	assert_status 159
	assert_line_matching '^ERROR: The syscall "pipe2" \(syscall number 293\) is not allowed by the syscall sandbox in thread "sh"\. Please report\.$'
}

@test "exit status and signals pass through the jail" {
	jail -- sh -c 'exit 7'
	assert_status 7
	jail -- sh -c 'kill -TERM $$'
	assert_status 143
}

@test "no mount is left on the host and nothing outlives a SIGKILLed cibox" {
	local before marker
	before=$(wc -l </proc/self/mountinfo)
	marker=$((RANDOM + 100000))
	"$CIBOX" sandbox --isolate --allow "$POLICY" -- sh -c "sleep $marker.5 & sleep $marker.25" &
	local pid=$!
	for _ in $(seq 50); do
		pgrep -f "sleep $marker.25" >/dev/null && break
		sleep 0.1
	done
	pgrep -f "sleep $marker.5" >/dev/null
	kill -KILL "$pid"
	wait "$pid" || true
	for _ in $(seq 50); do
		pgrep -f "sleep $marker" >/dev/null || break
		sleep 0.1
	done
	run pgrep -f "sleep $marker"
	assert_status 1
	[ "$(wc -l </proc/self/mountinfo)" -eq "$before" ]
}

@test "jail options without --isolate are a usage error" {
	for opt in --network --keep-uid "--bind /tmp" "--ro-bind /tmp"; do
		# shellcheck disable=SC2086
		run "$CIBOX" sandbox $opt -- true
		assert_status 2
		assert_one_line
		assert_line_matching "need --isolate"
	done
}

@test "a bind of a missing folder or onto the read-only root is one clear line, status 2" {
	run "$CIBOX" sandbox --isolate --bind /nonexistent-cibox -- true
	assert_status 2
	assert_one_line
	assert_line_matching "/nonexistent-cibox: No such file or directory"
	run "$CIBOX" sandbox --isolate --bind "$BATS_TEST_TMPDIR:/nonexistent-cibox" -- true
	assert_status 2
	assert_one_line
	assert_line_matching "cannot mount on /nonexistent-cibox: it does not exist in the read-only root"
}

@test "an image root needs no folders for what the jail mounts, and stays unchanged" {
	# A root of two programs and their libraries: no /proc, /dev, /tmp or
	# /deep in it, and the jail mounts on all of them.
	local root="$BATS_TEST_TMPDIR/root" lib
	for lib in /bin/sh /bin/cat $(ldd /bin/sh /bin/cat | grep -o '/[^ :]*\( \|$\)' | sort -u); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
	mkdir "$BATS_TEST_TMPDIR/data"
	echo from-host >"$BATS_TEST_TMPDIR/data/f"
	local before
	before=$(cd "$root" && find . | sort)
	jail --rootfs "$root" --bind "$BATS_TEST_TMPDIR/data:/deep/new/place" -- \
		/bin/sh -c 'cat /deep/new/place/f; cat /proc/self/comm; echo x >/etc-new'
	assert_status 2
	assert_line_matching '^from-host$'
	assert_line_matching '^cat$'
	assert_line_matching 'Read-only file system'
	[ "$(cd "$root" && find . | sort)" = "$before" ]
}

@test "a machine without user namespaces gets exit 3 and how to enable them" {
	command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
	unshare --user --map-root-user true 2>/dev/null || skip "this machine has no user namespaces to limit"
	run unshare --user --map-root-user sh -c \
		'echo 0 >/proc/sys/user/max_user_namespaces && exec "$0" sandbox --isolate -- true' "$CIBOX"
	assert_status 3
	assert_one_line
	assert_line_matching "cannot create a user namespace: .*sysctl -w user.max_user_namespaces"
}

@test "a policy that allows mount calls still cannot make the host's root writable" {
	run "$CIBOX" sandbox --isolate --allow "$POLICY,mount,umount2,mount_setattr" -- sh -c \
		'mount -o remount,bind,rw / 2>/dev/null && echo remounted; umount -l /tmp 2>/dev/null && echo unmounted; touch /usr/cibox-isolate-$$ 2>/dev/null && rm -f /usr/cibox-isolate-$$ && echo wrote; echo done'
	assert_status 0
	assert_line_matching '^done$'
	refute_line_matching 'remounted|unmounted|wrote'
}

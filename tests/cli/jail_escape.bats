#!/usr/bin/env bats
# A hostile step against the ns engine's jail. Each test does the attack and
# fails if it got through; where the attack could be broken rather than
# stopped, the same step first shows it working under --engine host.
# shellcheck disable=SC2016 # single-quoted scripts are for the step's or child's shell to expand
load runner_helpers

setup() {
	setup_runner
	new_project
	mkdir src
	echo original >src/lib.c
}

teardown() {
	[ -z "${listener:-}" ] || kill "$listener" 2>/dev/null || true
	[ -z "${outside:-}" ] || rm -rf "$outside"
}

# Every way a step has tried to take the jail's mounts apart, then a write
# to the tree through whatever is left.
undo_mounts_step() {
	step test 01_undo.sh <<-'EOF'
	tree=$PWD
	cd /
	mount -o remount,bind,rw / 2>/dev/null && echo "remounted /"
	mount -o remount,rw / 2>/dev/null && echo "remounted / rw"
	umount -l "$tree" 2>/dev/null && echo "unmounted the tree"
	umount -l "$CIBOX_RUN_DIR" 2>/dev/null && echo "unmounted the run folder"
	umount -l /tmp 2>/dev/null && echo "unmounted /tmp"
	unshare -m sh -c "umount -l '$tree'" 2>/dev/null && echo "unmounted the tree again"
	echo hostile >>"$tree/src/lib.c" || true
	touch /usr/cibox-escape 2>/dev/null && echo "wrote the root"
	echo done
	EOF
}

@test "a step cannot unlock the jail's mounts: the host's root and the tree unchanged" {
	undo_mounts_step
	run "$CIBOX" run
	assert_status 0
	assert_line_matching '^\[01_undo.sh\] done$'
	if [ "$(id -u)" -eq 0 ]; then
		# Root's jail has a writable root of its own, in memory.
		assert_line_matching 'wrote the root'
		refute_line_matching 'unmounted'
	else
		refute_line_matching 'remounted|unmounted|wrote the root'
	fi
	[ ! -e /usr/cibox-escape ]
	[ "$(cat src/lib.c)" = original ]
}

@test "--keep-uid: a step cannot unlock the jail's mounts either" {
	undo_mounts_step
	run "$CIBOX" run --keep-uid
	assert_status 0
	refute_line_matching 'remounted|unmounted|wrote the root'
	[ "$(cat src/lib.c)" = original ]
}

@test "kill -9 -1 in a step cannot end the runner: the run ends with its report" {
	step test 01_kill.sh <<<'sleep 100 & /bin/kill -9 -1; sleep 1; echo survived'
	step test 02_next.sh <<<'echo next'
	run timeout -s KILL 60 "$CIBOX" run
	# The shell died with the rest of the step's processes: the step failed,
	# and cibox said so, with its report.
	assert_status 1
	assert_line_matching 'step 01_kill.sh failed with exit status 137'
	refute_line_matching survived
	grep -q '"status": *"failed"' "$(run_dir)/summary.json"
	[ -s "$(run_dir)/junit.xml" ]
}

@test "a step sees none of the runner's processes and cannot stop them" {
	step test 01_look.sh <<-'EOF'
	ps -e -o pid=,comm= | sort -n
	kill -STOP -1 2>/dev/null || true
	echo looked
	EOF
	step test 02_after.sh <<<'echo after'
	# A stopped runner would wait for ever.
	run timeout -s KILL 60 "$CIBOX" run
	assert_status 0
	assert_line_matching '^\[02_after.sh\] after$'
	# pid 1 of the steps' namespace, the shell, ps and sort: nothing else
	[ "$(grep -c '^\[01_look.sh\] *[0-9]' <<<"$output")" -le 4 ]
}

# A home outside /tmp (the jail's /tmp is private anyway) with a secret and a
# unix socket that answers whoever connects.
home_with_secrets() {
	outside=$(mktemp -d /var/tmp/cibox-home.XXXXXX)
	echo secret >"$outside/token"
	python3 - "$outside/agent.sock" <<-'EOF' &
	import socket, sys
	s = socket.socket(socket.AF_UNIX)
	s.bind(sys.argv[1])
	s.listen(8)
	while True:
	    c, _ = s.accept()
	    c.sendall(b"answered\n")
	    c.close()
	EOF
	listener=$!
	for _ in $(seq 50); do [ -S "$outside/agent.sock" ] && break; sleep 0.1; done
	[ -S "$outside/agent.sock" ]
}

@test "the caller's home and its sockets are out of reach; \$HOME is fresh and writable" {
	command -v python3 >/dev/null || skip "python3 is not installed"
	home_with_secrets
	step test 01_home.sh <<-EOF
	cat "$outside/token" 2>/dev/null || echo "no token"
	python3 -c 'import socket; s = socket.socket(socket.AF_UNIX); s.connect("$outside/agent.sock"); print(s.recv(9).decode().strip())' 2>/dev/null || echo "no agent"
	[ "\$HOME" = "$outside" ] && [ -z "\$(ls -A "\$HOME")" ] && echo fresh >"\$HOME/made" && echo "fresh home"
	EOF
	# Unjailed, the same step reads the token and reaches the agent.
	HOME=$outside run "$CIBOX" run --engine host
	assert_line_matching '^\[01_home.sh\] secret$'
	assert_line_matching '^\[01_home.sh\] answered$'
	rm -f "$outside/made"
	HOME=$outside run "$CIBOX" run --engine ns
	assert_status 0
	assert_line_matching '^\[01_home.sh\] no token$'
	assert_line_matching '^\[01_home.sh\] no agent$'
	assert_line_matching '^\[01_home.sh\] fresh home$'
	[ ! -e "$outside/made" ]
}

@test "/home, /root and /run are empty in the jail" {
	step test 01_look.sh <<<'ls -A /home /root /run /var/run | grep -v ":$" | grep . || echo empty'
	run "$CIBOX" run
	assert_status 0
	assert_line_matching '^\[01_look.sh\] empty$'
}

@test "as root: a socket under /run is out of reach" {
	[ "$(id -u)" -eq 0 ] || skip "only root may make a socket under /run"
	command -v python3 >/dev/null || skip "python3 is not installed"
	outside=$(mktemp -d /run/cibox-test.XXXXXX)
	python3 -c 'import socket, sys, time; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); time.sleep(60)' "$outside/daemon.sock" &
	listener=$!
	for _ in $(seq 50); do [ -S "$outside/daemon.sock" ] && break; sleep 0.1; done
	step test 01_reach.sh <<<"[ -e $outside/daemon.sock ] && echo reached || echo hidden"
	run "$CIBOX" run
	assert_status 0
	assert_line_matching '^\[01_reach.sh\] hidden$'
}

@test "/sys shows the jail's network, loopback alone; CI_NETWORK=host shows the host's" {
	step test 01_net.sh <<<'ls /sys/class/net | tr "\n" " "; echo'
	run "$CIBOX" run
	assert_status 0
	assert_line_matching '^\[01_net.sh\] lo $'
	step test 00_setup_env.sh <<<'export CI_NETWORK=host'
	run "$CIBOX" run
	assert_status 0
	# shellcheck disable=SC2012 # the step lists the folder with ls too: the same names, the same way
	assert_line_matching "^\[01_net.sh\] $(ls /sys/class/net | tr '\n' ' ')\$"
}

@test "a step cannot write a sysctl, unmount /proc or mount a /proc of its own" {
	step test 01_proc.sh <<-'EOF2'
	v=$(cat /proc/sys/vm/stat_interval)
	(echo "$v" >/proc/sys/vm/stat_interval) 2>/dev/null && echo "wrote a sysctl"
	umount /proc 2>/dev/null && echo "unmounted /proc"
	umount -l /proc/sys 2>/dev/null && echo "unmounted /proc/sys"
	mkdir -p /tmp/p && mount -t proc proc /tmp/p 2>/dev/null && echo "mounted a /proc"
	unshare -pf --mount-proc true 2>/dev/null && echo "mounted a /proc in a pid namespace"
	echo done
	EOF2
	run "$CIBOX" run
	assert_status 0
	assert_line_matching '^\[01_proc.sh\] done$'
	refute_line_matching 'wrote|unmounted|mounted'
}

@test "a step has no controlling terminal: it cannot push input into the caller's" {
	command -v script >/dev/null || skip "script (util-linux) is not installed"
	command -v python3 >/dev/null || skip "python3 is not installed"
	step test 01_tty.sh <<-'EOF2'
	python3 -c 'import fcntl, os, termios; fcntl.ioctl(os.open("/dev/tty", os.O_RDWR), termios.TIOCSTI, b"#"); print("pushed")' 2>/dev/null || echo "no terminal"
	EOF2
	run script -qec "$CIBOX run" /dev/null
	assert_line_matching 'no terminal'
	refute_line_matching 'pushed'
}

@test "a step cannot read the caller's session keyring" {
	command -v python3 >/dev/null || skip "python3 is not installed"
	step test 01_keys.sh <<-'EOF2'
	python3 -c 'import ctypes; libc = ctypes.CDLL(None); libc.syscall.restype = ctypes.c_long; print("found" if libc.syscall(250, 10, -3, b"user", b"cibox-secret", 0) >= 0 else "no key")'
	EOF2
	run python3 -c 'import ctypes, os, sys
libc = ctypes.CDLL(None); libc.syscall.restype = ctypes.c_long
libc.syscall(250, 1, None)
if libc.syscall(248, b"user", b"cibox-secret", b"hunter2", 7, -3) < 0: sys.exit("cannot add a key")
os.execv(sys.argv[1], sys.argv[1:])' "$CIBOX" run
	assert_status 0
	assert_line_matching '^\[01_keys.sh\] no key$'
}

@test "CI_NETWORK=host: a step cannot reach the host's abstract unix sockets" {
	command -v python3 >/dev/null || skip "python3 is not installed"
	IFS=. read -r major minor _ <<<"$(uname -r)"
	[ "$major" -gt 6 ] || { [ "$major" -eq 6 ] && [ "${minor%%[!0-9]*}" -ge 12 ]; } ||
		skip "Landlock scopes abstract unix sockets from Linux 6.12 on; this is $(uname -r)"
	if [ -r /sys/kernel/security/lsm ] && ! grep -q landlock /sys/kernel/security/lsm; then
		skip "this kernel runs without Landlock (see /sys/kernel/security/lsm)"
	fi
	name="cibox-test-$$-$RANDOM"
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind("\0" + sys.argv[1]); s.listen(8)
while True:
    c, _ = s.accept(); c.sendall(b"answered\n"); c.close()' "$name" &
	listener=$!
	reach="import socket; s = socket.socket(socket.AF_UNIX); s.connect('\\0$name'); print(s.recv(9).decode().strip())"
	for _ in $(seq 50); do python3 -c "$reach" >/dev/null 2>&1 && break; sleep 0.1; done
	step test 00_setup_env.sh <<<'export CI_NETWORK=host'
	step test 01_reach.sh <<<"python3 -c \"$reach\" 2>/dev/null || echo 'out of reach'"
	run "$CIBOX" run
	assert_status 0
	refute_line_matching 'answered'
	assert_line_matching '^\[01_reach.sh\] out of reach$'
}

@test "a configuration cannot undo its jail's mounts and write the project" {
	step test 00_setup_env.sh <<-'EOF2'
	mount -o remount,bind,rw "$PWD" 2>/dev/null || true
	mount -o remount,bind,rw / 2>/dev/null || true
	echo hostile >"$PWD/src/lib.c" 2>/dev/null || true
	EOF2
	step test 01_ok.sh <<<'echo ok'
	run "$CIBOX" run
	assert_status 0
	[ "$(cat src/lib.c)" = original ]
}

@test "a configuration that claims its jail failed is not read again without one" {
	step test 00_setup_env.sh <<-'EOF2'
	# fd 3 is the record of what bash reads; written over from its start
	if [ "$(hostname)" = cibox ]; then printf 'X-95\0no jail here\0' >/proc/self/fd/3; exit 125; fi
	echo hostile >"$PWD/src/lib.c"
	EOF2
	step test 01_ok.sh <<<'echo ok'
	run "$CIBOX" run
	[ "$(cat src/lib.c)" = original ]
	refute_line_matching 'without a jail'
}

@test "a .git file naming a folder that is no git folder shows nothing hidden" {
	mkdir -p "$BATS_TEST_TMPDIR/secrets"
	echo secret >"$BATS_TEST_TMPDIR/secrets/key"
	# Under /root for root; for others a folder of theirs the jail shows.
	hidden=/root
	[ "$(id -u)" -eq 0 ] || hidden=$BATS_TEST_TMPDIR/secrets
	echo "gitdir: $hidden" >.git
	step test 01_look.sh <<<"ls -A '$hidden' 2>/dev/null | grep -c . || true"
	run "$CIBOX" run
	assert_status 0
	assert_line_matching '^\[01_look.sh\] 0$'
}

@test "a ':' in CI_IMAGE's path adds no layer to the image's overlay" {
	[ "$(id -u)" -eq 0 ] || skip "shows /root, which only root can read"
	image="$BATS_TEST_TMPDIR/img:/oldroot/root:/oldroot/usr"
	mkdir -p "$image" "$BATS_TEST_TMPDIR/img"
	step test 00_setup_env.sh <<<"export CI_IMAGE='$image'"
	step test 01_look.sh <<<'ls -A / | grep -c "^\.bashrc$\|^\.profile$" || true'
	run "$CIBOX" run
	refute_line_matching '^\[01_look.sh\] [1-9]'
}

@test "a cache cannot be mounted over the run folder" {
	step test 00_setup_env.sh <<<'export DEPENDS_DIR=$CIBOX_RUN_DIR'
	step test 01_ok.sh <<<'echo ok'
	run "$CIBOX" run
	assert_status 2
	assert_line_matching 'would hide the run folder'
}

# The podman and docker engines' tests: one body for both, run_podman.bats and
# run_docker.bats declare them. ENGINE names the engine.
#
# The image: a root assembled from this machine's own bash, coreutils and
# their libraries, imported into the engine under IMAGE (no registry needed,
# a second to make). Its files belong to root, so that rootless podman
# without /etc/subuid ranges maps them (to the caller) and can use it.
# podman keeps its images, containers and run-time files in a temporary
# folder of its own, removed after the test file, so the tests change nothing
# outside it. A short path: rootless podman's container monitor waits 20
# seconds for each container's end under a long one (bats' folders).
# shellcheck disable=SC2016 # single-quoted scripts are for the step's or child's shell to expand
load runner_helpers

IMAGE=localhost/cibox-test:1

# Commands the steps and the runner use inside the container.
IMAGE_COMMANDS="bash sh cat rm mkdir ls hostname tail cut tr sort grep env sleep id touch"

make_rootfs() { # folder
	local root=$1 cmd path lib
	mkdir -p "$root/usr/bin" "$root/tmp" "$root/etc"
	ln -s usr/bin "$root/bin"
	chmod 1777 "$root/tmp"
	for cmd in $IMAGE_COMMANDS; do
		path=$(type -P "$cmd") || continue
		cp -L "$path" "$root/usr/bin/"
		for lib in $(ldd "$path" | grep -o '/[^ ]*'); do
			mkdir -p "$root$(dirname "$lib")"
			cp -Ln "$lib" "$root$lib"
		done
	done
}

# podman's configuration for the tests: storage and run-time files in PODMAN_DIR.
podman_env() {
	export PODMAN_DIR
	PODMAN_DIR=$(mktemp -d /tmp/cibox-pm.XXXXXX)
	local dir=$PODMAN_DIR
	mkdir -p "$dir/run-user"
	chmod 700 "$dir/run-user"
	cat >"$dir/storage.conf" <<-EOF
	[storage]
	driver = "overlay"
	graphroot = "$dir/root"
	runroot = "$dir/run"
	EOF
	cat >"$dir/containers.conf" <<-EOF
	[engine]
	tmp_dir = "$dir/tmp"
	volume_path = "$dir/volumes"
	events_logger = "none"
	EOF
	export CONTAINERS_STORAGE_CONF="$dir/storage.conf" CONTAINERS_CONF="$dir/containers.conf"
	export XDG_RUNTIME_DIR="$dir/run-user" XDG_CONFIG_HOME="$dir/config" XDG_DATA_HOME="$dir/data"
}

# Imports a folder as an image, its files root's. podman as root keeps a cache
# of the layers it copied in /var/lib/containers/cache whatever its storage, so
# it imports with a /var/lib of its own; it keeps the archive in TMPDIR
# (/var/tmp) while it reads it.
engine_import() { # folder image
	if [ "$ENGINE" = podman ] && [ "$(id -u)" -eq 0 ]; then
		tar --numeric-owner --owner=0 --group=0 -C "$1" -c . | TMPDIR=$PODMAN_DIR/tmp \
			unshare --mount sh -c 'mount -t tmpfs tmpfs /var/lib && exec podman import - "$0"' "$2"
	elif [ "$ENGINE" = podman ]; then
		tar --numeric-owner --owner=0 --group=0 -C "$1" -c . | TMPDIR=$PODMAN_DIR/tmp podman import - "$2"
	else
		tar --numeric-owner --owner=0 --group=0 -C "$1" -c . | "$ENGINE" import - "$2"
	fi
}

# setup_file: the engine and the image, or why not (in $BATS_FILE_TMPDIR/skip).
engine_setup_file() {
	local why=$BATS_FILE_TMPDIR/skip
	if ! command -v "$ENGINE" >/dev/null; then
		echo "$ENGINE is not installed" >"$why"
		return 0
	fi
	if [ "$ENGINE" = podman ]; then
		podman_env
		# Rootful runc keeps container states in /run/runc, whatever podman's
		# own folders: made by these tests, it is removed by them.
		[ "$(id -u)" -ne 0 ] || [ -e /run/runc ] || touch "$PODMAN_DIR/made-run-runc"
	elif ! docker version >/dev/null 2>&1 && ! start_docker_daemon "$why"; then
		return 0
	fi
	make_rootfs "$BATS_FILE_TMPDIR/rootfs"
	if ! engine_import "$BATS_FILE_TMPDIR/rootfs" "$IMAGE" >"$BATS_FILE_TMPDIR/import.log" 2>&1; then
		echo "$ENGINE cannot import an image here: $(tail -n 1 "$BATS_FILE_TMPDIR/import.log")" >"$why"
	fi
}

# Where no docker daemon answers, root starts one of the tests' own: its data,
# run-time files and socket in a temporary folder, and what it writes at fixed
# paths (/etc/docker/key.json, /run/docker, /run/containerd) in a mount
# namespace of its own, so that nothing of it stays on the machine.
start_docker_daemon() { # file for the reason why not
	if [ "$(id -u)" -ne 0 ]; then
		echo "no docker daemon answers here (docker version fails), and only root may start one" >"$1"
		return 1
	fi
	if ! command -v dockerd >/dev/null; then
		echo "no docker daemon answers here, and dockerd is not installed (apt-get install docker.io)" >"$1"
		return 1
	fi
	DOCKER_DIR=$(mktemp -d /tmp/cibox-dk.XXXXXX)
	export DOCKER_DIR DOCKER_HOST=unix://$DOCKER_DIR/docker.sock
	unshare --mount --propagation private sh -c '
		mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /etc/docker &&
		exec dockerd --data-root "$0/data" --exec-root "$0/exec" --pidfile "$0/dockerd.pid" \
			-H "unix://$0/docker.sock" --iptables=false --ip6tables=false --bridge=none \
			--ip-masq=false --userland-proxy=false' "$DOCKER_DIR" \
		</dev/null >"$DOCKER_DIR/dockerd.log" 2>&1 3>&- &
	for _ in $(seq 150); do
		docker version >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "no docker daemon answers here, and dockerd would not start: $(tail -n 1 "$DOCKER_DIR/dockerd.log")" >"$1"
	stop_docker_daemon
	return 1
}

stop_docker_daemon() {
	[ -n "${DOCKER_DIR:-}" ] || return 0
	local pid
	pid=$(cat "$DOCKER_DIR/dockerd.pid" 2>/dev/null) || pid=
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
	# shellcheck disable=SC2015 # stop waiting when there is no pid or it is gone
	for _ in $(seq 100); do [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	rm -rf "$DOCKER_DIR"
}

# teardown_file: the image goes; rootless podman's pause process, which holds
# its user namespace, ends; podman's folder goes (overlayfs leaves folders
# without permissions in it).
engine_teardown_file() {
	"$ENGINE" rmi -f "$IMAGE" >/dev/null 2>&1 || true
	stop_docker_daemon
	[ -n "${PODMAN_DIR:-}" ] || return 0
	if [ -f "$PODMAN_DIR/tmp/pause.pid" ]; then kill "$(cat "$PODMAN_DIR/tmp/pause.pid")" 2>/dev/null || true; fi
	if [ -e "$PODMAN_DIR/made-run-runc" ]; then rmdir /run/runc 2>/dev/null || true; fi
	chmod -R u+rwX "$PODMAN_DIR" 2>/dev/null
	rm -rf "$PODMAN_DIR"
	return 0
}

need_engine() {
	[ ! -e "$BATS_FILE_TMPDIR/skip" ] || skip "$(cat "$BATS_FILE_TMPDIR/skip")"
}

engine_setup() {
	setup_runner
	export XDG_CACHE_HOME="$BATS_TEST_TMPDIR/cache"
	new_project
	echo original >kept
	echo doomed >deleted
	step test 00_setup_env.sh <<<"export CI_IMAGE_NAME_TAG=\${CI_IMAGE_NAME_TAG:-$IMAGE}"
}

# No container of a run is left, running or stopped.
no_container_left() {
	[ -z "$("$ENGINE" ps -aq --filter name=cibox-)" ]
}

test_tree_unchanged_export() {
	step test 01_build.sh <<-'EOF'
	echo changed >kept
	rm deleted
	mkdir -p out && echo built >out/artifact
	[ "$(cat kept)" = changed ]
	[ ! -e deleted ]
	made_here=yes
	EOF
	step test 02_next.sh <<-'EOF'
	# a later step sees what the earlier one did, in the same shell
	[ "$(cat out/artifact)" = built ]
	[ ! -e deleted ]
	[ "$made_here" = yes ]
	EOF
	run "$CIBOX" run --engine "$ENGINE" --export "$BATS_TEST_TMPDIR/results"
	assert_status 0
	assert_line_matching "engine $ENGINE$"
	[ "$(cat kept)" = original ]
	[ "$(cat deleted)" = doomed ]
	[ ! -e out ]
	[ "$(cat "$BATS_TEST_TMPDIR/results/out/artifact")" = built ]
	[ "$(cat "$BATS_TEST_TMPDIR/results/kept")" = changed ]
	[ ! -e "$BATS_TEST_TMPDIR/results/deleted" ]
	[ "$(cat "$(run_dir)/tree/kept")" = changed ]
	no_container_left
}

test_in_place() {
	step test 01_build.sh <<<'echo changed >kept'
	run "$CIBOX" run --engine "$ENGINE" --in-place
	assert_status 0
	[ "$(cat kept)" = changed ]
}

# A configuration's TMPDIR or HOME is for the steps, not for the engine's client.
test_engine_client_keeps_its_environment() {
	step test 00_setup_env.sh <<-EOF
	export CI_IMAGE_NAME_TAG=$IMAGE
	export TMPDIR=/nonexistent/tmp HOME=/nonexistent/home SECRET_TOKEN='a b'
	EOF
	step test 01_look.sh <<<'echo "$TMPDIR $HOME $SECRET_TOKEN"'
	run "$CIBOX" run --engine "$ENGINE"
	assert_status 0
	assert_line_matching '^\[01_look.sh\] /nonexistent/tmp /nonexistent/home a b$'
	no_container_left
}

test_hostname_loopback() {
	step test 01_look.sh <<-'EOF'
	[ "$(hostname)" = cibox ]
	[ "$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ')" = lo ]
	echo looked
	EOF
	run "$CIBOX" run --engine "$ENGINE"
	assert_status 0
	assert_line_matching "^\[01_look.sh\] looked$"
}

test_host_network() {
	step test 00_setup_env.sh <<<"export CI_IMAGE_NAME_TAG=$IMAGE CI_NETWORK=host"
	step test 01_look.sh <<<'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | sort | tr "\n" " "; echo'
	run "$CIBOX" run --engine "$ENGINE"
	assert_status 0
	assert_line_matching "$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort | tr '\n' ' ')"
}

# The container's root takes a step's installs, as the ns engine's does;
# the image keeps none of them.
test_writable_root() {
	step test 01_install.sh <<-'EOF'
	mkdir -p /usr/local/tool && echo tool >/usr/local/tool/bin
	echo conf >/etc/tool.conf
	cat /usr/local/tool/bin /etc/tool.conf
	EOF
	step test 02_again.sh <<<'cat /usr/local/tool/bin'
	run "$CIBOX" run --engine "$ENGINE"
	assert_status 0
	assert_line_matching '^\[01_install.sh\] conf$'
	assert_line_matching '^\[02_again.sh\] tool$'
	rm ci/test/02_again.sh
	step test 01_install.sh <<<'if [ -e /usr/local/tool ]; then echo kept; fi'
	run "$CIBOX" run --engine "$ENGINE"
	assert_status 0
	refute_line_matching kept
	no_container_left
}

# A worktree's git folder, outside the tree, is at its path in the container
# (the image has no git: the step follows the .git file with bash alone), and
# what the step writes there stays in the run.
test_git_worktree() {
	command -v git >/dev/null || skip "git is not installed"
	export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org GIT_COMMITTER_NAME=t \
		GIT_COMMITTER_EMAIL=t@example.org GIT_CONFIG_NOSYSTEM=1 HOME="$BATS_TEST_TMPDIR"
	local main=$BATS_TEST_TMPDIR/main
	git init -q "$main"
	cp -r ci "$main/"
	git -C "$main" add .
	git -C "$main" commit -q -m first
	git -C "$main" worktree add -q "$BATS_TEST_TMPDIR/wt"
	cd "$BATS_TEST_TMPDIR/wt" || return
	step test 01_git.sh <<-'EOF'
	read -r _ gitdir <.git
	read -r head <"$gitdir/HEAD"
	echo "head: $head"
	echo "ref: refs/heads/elsewhere" >"$gitdir/HEAD"
	EOF
	local before
	before=$(cat "$main/.git/worktrees/wt/HEAD")
	run "$CIBOX" run --engine "$ENGINE"
	assert_status 0
	assert_line_matching '^\[01_git.sh\] head: ref: refs/heads/wt$'
	[ "$(cat "$main/.git/worktrees/wt/HEAD")" = "$before" ]
}

test_cache() {
	echo v1 >deps.lock
	step test 00_setup_env.sh <<-EOF
	export CI_IMAGE_NAME_TAG=$IMAGE
	export DEPENDS_DIR=\${DEPENDS_DIR:-/tmp/depends}
	export CI_CACHE_KEY="deps.lock"
	EOF
	step test 01_cache.sh <<-'EOF'
	n=$(cat "$DEPENDS_DIR/count" 2>/dev/null || echo 0)
	echo $((n + 1)) >"$DEPENDS_DIR/count"
	echo "count $((n + 1))"
	EOF
	run "$CIBOX" run --engine "$ENGINE"
	assert_line_matching "count 1"
	run "$CIBOX" run --engine "$ENGINE"
	assert_line_matching "count 2"
	echo v2 >deps.lock
	run "$CIBOX" run --engine "$ENGINE"
	assert_line_matching "count 1"
}

test_failing_step() {
	step test 01_fail.sh <<<'echo about to fail; false'
	step test 02_never.sh <<<'echo never'
	run "$CIBOX" run --engine "$ENGINE"
	assert_status 1
	assert_line_matching "step 01_fail.sh failed with exit status 1"
	assert_line_matching "^\[01_fail.sh\] about to fail$"
	refute_line_matching "never$"
	no_container_left
}

test_interrupt() {
	marker=$((RANDOM + 100000))
	step test 01_wait.sh <<<"sleep $marker.5"
	"$CIBOX" run --engine "$ENGINE" -q &
	pid=$!
	for _ in $(seq 100); do pgrep -f "sleep $marker.5" >/dev/null && break; sleep 0.1; done
	pgrep -f "sleep $marker.5" >/dev/null
	kill -INT "$pid"
	status=0
	wait "$pid" || status=$?
	[ "$status" -eq 130 ]
	run pgrep -f "sleep $marker"
	assert_status 1
	no_container_left
}

# SIGTERM while the engine is being prepared (its probe container) still ends
# the run as interrupted, with a report, and no step ran.
test_sigterm_while_preparing() {
	step test 01_never.sh <<<'touch ran'
	# The engine's client holds its first call until SIGTERM has been sent,
	# so the run is surely still preparing when the signal comes.
	local real bin=$BATS_TEST_TMPDIR/bin dir
	real=$(command -v "$ENGINE")
	mkdir -p "$bin"
	cat >"$bin/$ENGINE" <<-EOF
	#!/bin/sh
	touch "$BATS_TEST_TMPDIR/preparing"
	while [ ! -e "$BATS_TEST_TMPDIR/signalled" ]; do sleep 0.05; done
	exec "$real" "\$@"
	EOF
	chmod 755 "$bin/$ENGINE"
	PATH=$bin:$PATH "$CIBOX" run --engine "$ENGINE" -q &
	pid=$!
	for _ in $(seq 200); do
		[ -e "$BATS_TEST_TMPDIR/preparing" ] && break
		sleep 0.05
	done
	[ -e "$BATS_TEST_TMPDIR/preparing" ]
	kill -TERM "$pid"
	touch "$BATS_TEST_TMPDIR/signalled"
	status=0
	wait "$pid" || status=$?
	[ "$status" -eq 130 ]
	dir=$(run_dir)
	[ "$(jq -r .status "$dir/summary.json")" = interrupted ]
	# The step's writes would be in the overlay's upper layer, not the tree.
	[ "$(jq -r '.steps[0].status' "$dir/summary.json")" = "not run" ]
	[ ! -e "$dir/tree/ran" ]
	no_container_left
}

test_bad_image() {
	step test 01_a.sh <<<'true'
	run "$CIBOX" run --engine "$ENGINE" --set CI_IMAGE_NAME_TAG=
	assert_status 2
	assert_one_line
	assert_line_matching "engine $ENGINE: the configuration sets no CI_IMAGE_NAME_TAG"
	run "$CIBOX" run --engine "$ENGINE" --set CI_IMAGE_NAME_TAG=localhost/no-such-image:1
	assert_status 2
	assert_one_line
	assert_line_matching "CI_IMAGE_NAME_TAG: $ENGINE has no image 'localhost/no-such-image:1'"
	mkdir -p "$BATS_TEST_TMPDIR/nobash/etc"
	echo cibox >"$BATS_TEST_TMPDIR/nobash/etc/hostname"
	engine_import "$BATS_TEST_TMPDIR/nobash" localhost/cibox-nobash:1 >/dev/null
	run "$CIBOX" run --engine "$ENGINE" --set CI_IMAGE_NAME_TAG=localhost/cibox-nobash:1
	"$ENGINE" rmi -f localhost/cibox-nobash:1 >/dev/null
	assert_status 2
	assert_one_line
	assert_line_matching "image 'localhost/cibox-nobash:1' has no bash, which runs the steps"
	no_run_folder
}

# The ns engine's options and the tracer are not for containers.
# The engine's monitor, not cibox, is the container's parent: a cibox killed
# outright leaves its guard to remove the container, step and all.
test_sigkill_mid_step() {
	kill_cibox_mid_step --engine "$ENGINE"
	for _ in $(seq 50); do no_container_left && break; sleep 0.1; done
	no_container_left
	[ "$(cat kept)" = original ]
}

# --keep-uid is the ns engine's alone.
test_keep_uid_refused() {
	step test 01_a.sh <<<'true'
	run "$CIBOX" run --engine "$ENGINE" --keep-uid
	assert_status 2
	assert_one_line
	assert_line_matching "--keep-uid for ns"
}

# The policy the steps need in the test image: bash and coreutils.
container_policy() {
	printf '%s\n' @default @file-read @file-write @process @signal @ipc @system-info
}

# cibox inside a container: only its statically linked build runs in any
# image (make check-asan's is dynamic, and refused with one line).
cibox_runs_in_images() {
	ldd "$CIBOX" 2>&1 | grep -q 'statically linked\|not a dynamic executable'
}

test_sandbox_in_container() {
	step test 00_setup_env.sh <<-EOF
	export CI_IMAGE_NAME_TAG=\${CI_IMAGE_NAME_TAG:-$IMAGE}
	export CI_SANDBOX=log-and-abort
	EOF
	# Without mkdir. (A call the engine's own seccomp profile refuses, such
	# as sethostname, fails with that profile's EPERM before cibox hears of
	# it: of two filters' answers the kernel takes the stricter.)
	{ container_policy; printf '%s\n' -mkdir -mkdirat; } | step test sandbox.policy
	step test 01_fine.sh <<<'echo fine | cat; [ "$(hostname)" = cibox ]; echo @all >>"$CIBOX_RUN_DIR/enforced.policy" || echo refused; exit 0'
	step test 02_mkdir.sh <<<'mkdir made'
	run "$CIBOX" run --engine "$ENGINE"
	if ! cibox_runs_in_images; then
		assert_status 3
		assert_one_line
		assert_line_matching "linked dynamically .*use the statically linked build"
		return 0
	fi
	assert_status 1
	assert_line_matching '^(\[02_mkdir.sh\] )?ERROR: The syscall "mkdir" \(syscall number [0-9]+\) is not allowed by the syscall sandbox in thread "mkdir"\. Please report\.'
	assert_line_matching "step 02_mkdir.sh failed with exit status 159"
	assert_line_matching "01_fine.sh +passed"
	assert_line_matching '^\[01_fine.sh\] refused$'
	cmp ci/test/sandbox.policy "$(run_dir)/enforced.policy"
	no_container_left
}

test_trace_in_container() {
	step test 01_build.sh <<<'echo a | cat >/dev/null; mkdir -p out; echo x >out/f'
	printf '@default\n' >ci/test/sandbox.policy
	run "$CIBOX" run --engine "$ENGINE" --trace --write
	if ! cibox_runs_in_images; then
		assert_status 3
		assert_line_matching "linked dynamically"
		return 0
	fi
	assert_status 0
	assert_line_matching "^\+ pipe2$"
	assert_line_matching "^cibox: wrote .*/ci/test/sandbox.policy$"
	[ ! -e out ] # the steps' writes went to the overlay
	run "$CIBOX" run --engine "$ENGINE" --set CI_SANDBOX=abort
	assert_status 0
	no_container_left
}

# Without the engine's program in PATH: one line, status 3.
test_not_installed() {
	step test 01_a.sh <<<'true'
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	# what cibox reads the configuration with
	ln -s "$(type -P bash)" "$(type -P env)" "$BATS_TEST_TMPDIR/bin/"
	PATH=$BATS_TEST_TMPDIR/bin run "$CIBOX" run --engine "$ENGINE"
	assert_status 3
	assert_one_line
	assert_line_matching "engine $ENGINE: no $ENGINE in PATH; install it"
}

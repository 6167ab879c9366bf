#!/usr/bin/env bats
# The ns engine: the whole run in a rootless jail that never changes the tree.
# shellcheck disable=SC2016 # single-quoted scripts are for the step's or child's shell to expand
load runner_helpers

setup() {
	setup_runner
	export XDG_CACHE_HOME="$BATS_TEST_TMPDIR/cache"
	new_project
	echo original >kept
	echo doomed >deleted
}

# What the steps' shell and the commands below need.
shell_policy() {
	printf '%s\n' @default @file-read @file-write @process @signal @ipc @system-info
}

# CI_SANDBOX=log-and-abort under shell_policy and the extra entries given.
sandboxed_stage() {
	step test 00_setup_env.sh <<<'export CI_SANDBOX=log-and-abort'
	{ shell_policy; [ $# -eq 0 ] || printf '%s\n' "$@"; } | step test sandbox.policy
}

@test "a step that writes and deletes files leaves the tree unchanged; --export takes the results out" {
	step test 01_build.sh <<-'EOF'
	echo changed >kept
	rm deleted
	mkdir -p out && echo built >out/artifact
	[ "$(cat kept)" = changed ]
	[ ! -e deleted ]
	EOF
	step test 02_next.sh <<-'EOF'
	# a later step sees what the earlier one did
	[ "$(cat out/artifact)" = built ]
	[ ! -e deleted ]
	EOF
	run "$CIBOX" run --export "$BATS_TEST_TMPDIR/results"
	assert_status 0
	[ "$(cat kept)" = original ]
	[ "$(cat deleted)" = doomed ]
	[ ! -e out ]
	[ "$(cat "$BATS_TEST_TMPDIR/results/out/artifact")" = built ]
	[ "$(cat "$BATS_TEST_TMPDIR/results/kept")" = changed ]
	[ ! -e "$BATS_TEST_TMPDIR/results/deleted" ]
	# the changes stay in the run folder for inspection, and cibox runs counts
	# them: kept, out/artifact and the whiteout that hides deleted
	[ "$(cat "$(run_dir)/tree/kept")" = changed ]
	run "$CIBOX" runs
	assert_line_matching '^passed +[0-9.]+ s +3 files, [0-9.]+ MiB +/'
}

@test "--in-place writes through to the tree" {
	step test 01_build.sh <<<'echo changed >kept'
	run "$CIBOX" run --in-place
	assert_status 0
	[ "$(cat kept)" = changed ]
}

@test "hostname cibox, private /tmp, loopback only, no host processes" {
	marker=$BATS_TEST_TMPDIR/host-marker
	touch "$marker"
	step test 01_look.sh <<-EOF
	[ "\$(hostname)" = cibox ]
	[ -z "\$(ls -A /tmp)" ] || ls -A /tmp
	[ ! -e "$marker" ] || [ "\${marker#/tmp}" = "$marker" ]
	[ "\$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ')" = lo ]
	[ ! -e /proc/$$ ]
	echo looked
	EOF
	run "$CIBOX" run
	assert_status 0
	assert_line_matching "looked"
}

@test "CI_NETWORK=host shares the host's network" {
	step test 00_setup_env.sh <<<'export CI_NETWORK=host'
	step test 01_look.sh <<<'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | sort | tr "\n" " "; echo'
	run "$CIBOX" run -q
	assert_status 0
	run "$CIBOX" run
	assert_line_matching "$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort | tr '\n' ' ')"
}

@test "a cache persists across runs and starts afresh when a key file changes" {
	echo v1 >deps.lock
	step test 00_setup_env.sh <<-'EOF'
	export DEPENDS_DIR=${DEPENDS_DIR:-/tmp/depends}
	export CI_CACHE_KEY="deps.lock"
	EOF
	step test 01_cache.sh <<-'EOF'
	n=$(cat "$DEPENDS_DIR/count" 2>/dev/null || echo 0)
	echo $((n + 1)) >"$DEPENDS_DIR/count"
	echo "count $((n + 1))"
	EOF
	run "$CIBOX" run
	assert_line_matching "count 1"
	run "$CIBOX" run
	assert_line_matching "count 2"
	echo v2 >deps.lock
	run "$CIBOX" run
	assert_line_matching "count 1"
	run "$CIBOX" cache ls
	assert_status 0
	[ "$(grep -c '^proj-' <<<"$output")" -eq 2 ]
	run "$CIBOX" cache clear
	assert_status 0
	run "$CIBOX" cache ls
	assert_status 0
	[ "$output" = "no caches in $XDG_CACHE_HOME/cibox/caches: cibox run makes one for each CI_CACHE_DIRS variable a configuration sets" ]
}

@test "a relative cache path is a configuration error" {
	step test 00_setup_env.sh <<<'export CCACHE_DIR=relative'
	step test 01_a.sh <<<'true'
	run "$CIBOX" run
	assert_status 2
	assert_line_matching "CI_CACHE_DIRS: CCACHE_DIR must be an absolute path"
}

@test "CI_SANDBOX=log-and-abort: a forbidden syscall fails the step, naming syscall, thread and step" {
	sandboxed_stage @network
	step test 01_fine.sh <<<'echo fine | cat'
	# chroot, in no group: root of the jail may make it, the policy may not
	step test 02_escape.sh <<<'/usr/sbin/chroot / true'
	run "$CIBOX" run
	assert_status 1
	assert_line_matching '^(\[02_escape.sh\] )?ERROR: The syscall "chroot" \(syscall number [0-9]+\) is not allowed by the syscall sandbox in thread "chroot"\. Please report\.'
	assert_line_matching "step 02_escape.sh failed with exit status 159"
	assert_line_matching "01_fine.sh +passed"
}

@test "CI_SANDBOX: a step cannot open the memory of the supervisor, the runner or the jail's init" {
	sandboxed_stage
	step test 01_reach.sh <<-'EOF'
	runner=$(cut -d' ' -f4 /proc/$PPID/stat)
	for p in $PPID $runner 1; do (exec 3<>/proc/$p/mem) 2>/dev/null && echo "opened $p" || echo "refused $p"; done
	EOF
	run "$CIBOX" run
	assert_status 0
	refute_line_matching opened
	[ "$(grep -c '^\[01_reach.sh\] refused' <<<"$output")" -eq 3 ]
}

@test "CI_SANDBOX: no step can loosen the policy the next shell starts under" {
	sandboxed_stage
	# exit 0 ends the shell; the next step starts a new one, under the policy
	step test 01_loosen.sh <<<'echo @all-i-want >>"$CIBOX_RUN_DIR/enforced.policy" || echo refused; exit 0'
	step test 02_escape.sh <<<'/usr/sbin/chroot / true'
	run "$CIBOX" run
	assert_status 1
	assert_line_matching '^\[01_loosen.sh\] refused$'
	assert_line_matching "step 02_escape.sh failed with exit status 159"
	cmp ci/test/sandbox.policy "$(run_dir)/enforced.policy"
}

@test "CI_SANDBOX: a step the policy lets unmount still cannot loosen it for the next shell" {
	sandboxed_stage umount2
	# The record's read-only mount is the jail's: locked to the steps. Were
	# it not, the next shell would still read the sealed copy.
	step test 01_loosen.sh <<<'umount "$CIBOX_RUN_DIR/enforced.policy" && echo unmounted; echo chroot >>"$CIBOX_RUN_DIR/enforced.policy" && echo loosened; exit 0'
	step test 02_escape.sh <<<'/usr/sbin/chroot / true'
	run "$CIBOX" run
	assert_status 1
	refute_line_matching '^\[01_loosen.sh\] (unmounted|loosened)$'
	assert_line_matching "step 02_escape.sh failed with exit status 159"
	cmp ci/test/sandbox.policy "$(run_dir)/enforced.policy"
}

@test "CI_SANDBOX: a stage's policy may list argument values; a bad one is a configuration error" {
	step test 00_setup_env.sh <<<'export CI_SANDBOX=log-and-abort'
	{ shell_policy; echo '-clone'; echo 'clone(CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD)  # a shell'"'"'s fork'; } |
		step test sandbox.policy
	step test 01_fine.sh <<<'echo fine | cat'
	step test 02_thread.sh <<<'python3 -c "import threading; threading.Thread(target=print).start()"'
	run "$CIBOX" run
	assert_status 1
	assert_line_matching "01_fine.sh +passed"
	assert_line_matching '^(\[02_thread.sh\] )?ERROR: The syscall "clone" \(syscall number [0-9]+\) is not allowed'
	printf '@default\nclone(CLONE_VM|CLONE_NOPE)\n' >ci/test/sandbox.policy
	run "$CIBOX" run
	assert_status 2
	assert_one_line
	assert_line_matching "CI_SANDBOX=log-and-abort: .*sandbox.policy:2: unknown flag 'CLONE_NOPE' for clone"
}

@test "CI_SANDBOX with a bad mode or no policy is a configuration error" {
	step test 01_a.sh <<<'true'
	step test 00_setup_env.sh <<<'export CI_SANDBOX=strict'
	run "$CIBOX" run
	assert_status 2
	assert_one_line
	assert_line_matching "CI_SANDBOX: unknown sandbox mode 'strict'"
	step test 00_setup_env.sh <<<'export CI_SANDBOX=abort'
	run "$CIBOX" run
	assert_status 2
	assert_one_line
	assert_line_matching "CI_SANDBOX=abort: .*sandbox.policy: No such file"
}

@test "SIGKILL of cibox mid-step leaves no process and no mount behind" {
	before=$(wc -l </proc/self/mountinfo)
	kill_cibox_mid_step
	[ "$(wc -l </proc/self/mountinfo)" -eq "$before" ]
	[ "$(cat kept)" = original ]
	# What the killed run left, overlayfs's mode-0 folders too, goes (once
	# it is old enough not to be a run just starting).
	touch -d 2000-01-01 "$RUNS"/*
	run "$CIBOX" runs --prune 0
	assert_status 0
	[ -z "$(ls "$RUNS")" ]
}

@test "cibox runs --prune removes a run's overlay, overlayfs's own folders and all" {
	step test 01_build.sh <<<'head -c 1048576 /dev/zero >big; rm deleted'
	run "$CIBOX" run -q
	assert_status 0
	[ -s "$(run_dir)/tree/big" ]
	run "$CIBOX" runs --prune 0
	assert_status 0
	assert_line_matching '^removed 1 run folder, 1\.[0-9] MiB freed$'
	[ -z "$(ls "$RUNS")" ]
}

@test "--keep-uid keeps the caller's uid in the steps" {
	step test 01_id.sh <<<'id -u'
	# As a uid that is not 0, so that keeping it and becoming root differ in
	# the root pass too: the caller is 4242 of a user namespace of its own.
	local as_4242=(unshare --user --map-user=4242 --map-group=4242)
	run "${as_4242[@]}" "$CIBOX" run --keep-uid
	assert_status 0
	assert_line_matching "^\[01_id.sh\] 4242$"
	run "${as_4242[@]}" "$CIBOX" run
	assert_status 0
	assert_line_matching "^\[01_id.sh\] 0$"
	run "$CIBOX" run --keep-uid
	assert_status 0
	assert_line_matching "^\[01_id.sh\] $(id -u)$"
}

@test "jail options with the host engine, and an unknown engine, are usage errors" {
	step test 01_a.sh <<<'true'
	run "$CIBOX" run --engine host --in-place
	assert_status 2
	assert_one_line
	run "$CIBOX" run --engine nope
	assert_status 2
	assert_line_matching "unknown engine 'nope' \(engines: ns, podman, docker, host\)"
}

@test "--in-place with --export is refused up front: one line, exit 2, no run, no DIR" {
	step test 01_a.sh <<<'touch ran'
	run "$CIBOX" run --in-place --export "$BATS_TEST_TMPDIR/results"
	assert_status 2
	assert_one_line
	assert_line_matching 'run: --export .* --in-place'
	no_run_folder
	[ ! -e ran ]
	[ ! -e "$BATS_TEST_TMPDIR/results" ]
}

@test "a machine without user namespaces gets exit 3 and how to enable them" {
	unshare --user --map-root-user true 2>/dev/null || skip "this machine has no user namespaces to limit"
	step test 01_a.sh <<<'true'
	run unshare --user --map-root-user sh -c \
		'echo 0 >/proc/sys/user/max_user_namespaces && exec "$0" run' "$CIBOX"
	assert_status 3
	assert_line_matching "cannot create a user namespace: .*sysctl"
}

@test "run --trace learns the stage's policy into the run folder, leaving the tree alone" {
	step test 01_build.sh <<<'echo a | cat >/dev/null; ls / >/dev/null'
	run "$CIBOX" run --trace
	assert_status 0
	assert_line_matching "^cibox: learned policy .*/sandbox.policy$"
	assert_line_matching "^cibox: --write puts it in .*/ci/test/sandbox.policy$"
	[ ! -e ci/test/sandbox.policy ]
	grep -q '^# Learned by cibox trace from: the steps of ci/test, configuration default$' "$(run_dir)/sandbox.policy"
	grep -q '^pipe2 ' "$(run_dir)/sandbox.policy"
}

@test "run --trace --write replaces the stage's policy, which then holds in abort mode" {
	step test 01_build.sh <<<'echo a | cat >/dev/null; mkdir -p out; echo x >out/f'
	printf '@default\n' >ci/test/sandbox.policy
	run "$CIBOX" run --trace --write
	assert_status 0
	assert_line_matching "^cibox: against .*/ci/test/sandbox.policy:$"
	assert_line_matching "^\+ pipe2$"
	assert_line_matching "^cibox: wrote .*/ci/test/sandbox.policy$"
	grep -q '^pipe2 ' ci/test/sandbox.policy
	[ ! -e out ] # the steps' own writes still went to the overlay
	run "$CIBOX" run --set CI_SANDBOX=abort
	assert_status 0
	run "$CIBOX" run --trace
	assert_line_matching "^\(no difference\)$"
}

@test "run --write without --trace is a usage error" {
	step test 01_a.sh <<<'true'
	run "$CIBOX" run --write
	assert_status 2
	assert_one_line
	run "$CIBOX" run --args
	assert_status 2
	assert_one_line
	assert_line_matching "run: --args is how --trace learns; give both"
}

@test "run --trace --args --write learns values into the stage's policy, which then holds in abort mode" {
	step test 01_build.sh <<<'echo a | cat >/dev/null; ls -l / >/dev/null'
	run "$CIBOX" run --trace --args --write
	assert_status 0
	grep -q '^-ioctl # ' ci/test/sandbox.policy
	grep -qE '^clone\(CLONE_CHILD_CLEARTID\|CLONE_CHILD_SETTID\|SIGCHLD\) # ' ci/test/sandbox.policy
	run "$CIBOX" run --set CI_SANDBOX=abort
	assert_status 0
}

@test "a git worktree whose repository lies outside the tree works in the steps; the repository never changes" {
	command -v git >/dev/null || skip "git is not installed"
	export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org GIT_COMMITTER_NAME=t \
		GIT_COMMITTER_EMAIL=t@example.org GIT_CONFIG_NOSYSTEM=1 HOME="$BATS_TEST_TMPDIR"
	main=$BATS_TEST_TMPDIR/main
	git init -q "$main"
	mkdir -p "$main/ci/test"
	echo 'git status --short; git log --oneline | wc -l; git commit -q --allow-empty -m "in a step" && echo committed' \
		>"$main/ci/test/01_git.sh"
	git -C "$main" add .
	git -C "$main" commit -q -m first
	git -C "$main" worktree add -q "$BATS_TEST_TMPDIR/wt"
	before=$(cd "$main" && git rev-parse HEAD && git for-each-ref && find .git -newer .git/HEAD | sort)
	cd "$BATS_TEST_TMPDIR/wt"
	run "$CIBOX" run
	assert_status 0
	assert_line_matching '^\[01_git.sh\] 1$'
	assert_line_matching '^\[01_git.sh\] committed$'
	after=$(cd "$main" && git rev-parse HEAD && git for-each-ref && find .git -newer .git/HEAD | sort)
	[ "$before" = "$after" ]
	[ "$(git -C "$BATS_TEST_TMPDIR/wt" log --oneline | wc -l)" -eq 1 ]
}

@test "as root with --keep-uid: a tree file of ids the jail cannot map is named before the first step" {
	[ "$(id -u)" -eq 0 ] || skip "only root can give a file to other ids"
	mkdir src
	echo shared >src/lib.c
	chown 12345:23456 src/lib.c
	step test 01_change.sh <<<'echo changed >>src/lib.c'
	# Root's jail maps every id, unless it keeps to its own.
	run "$CIBOX" run
	assert_status 0
	refute_line_matching 'cannot map'
	run "$CIBOX" run --keep-uid
	assert_status 1
	assert_line_matching '^cibox: run: 1 file of the tree belongs to ids the jail cannot map \(it maps only 0:0\), the first src/lib.c \(12345:23456\); .*chown -R 0:0 the tree, or use --in-place$'
	assert_line_matching 'Value too large for defined data type'
	# said before the first step started
	[ "$(grep -n 'ids the jail cannot map' <<<"$output" | cut -d: -f1)" -lt "$(grep -n '01_change.sh' <<<"$output" | head -1 | cut -d: -f1)" ]
}

@test "its owner removes a run folder with rm -rf, overlayfs's scratch and all" {
	# A volatile overlay leaves a folder of mode 0 holding others in its
	# work folder: only root could have removed the run folder.
	step test 01_write.sh <<<'echo changed >kept'
	run "$CIBOX" run --out "$BATS_TEST_TMPDIR/out"
	assert_status 0
	[ -d "$BATS_TEST_TMPDIR/out/overlay-work" ]
	run rm -rf "$BATS_TEST_TMPDIR/out"
	assert_status 0
	[ ! -e "$BATS_TEST_TMPDIR/out" ]
}

@test "a link a step plants at overlayfs's scratch leads cibox nowhere" {
	# The folder is opened up after the run: through a link, it would
	# be what the link names that became u+rwx.
	mkdir -m 0500 "$BATS_TEST_TMPDIR/victim"
	step test 01_plant.sh <<-EOF
	rm -rf "\$CIBOX_RUN_DIR/overlay-work/work" 2>/dev/null || true
	ln -s "$BATS_TEST_TMPDIR/victim" "\$CIBOX_RUN_DIR/overlay-work/work" || true
	EOF
	run "$CIBOX" run --out "$BATS_TEST_TMPDIR/out"
	[ "$(stat -c %a "$BATS_TEST_TMPDIR/victim")" = 500 ]
}

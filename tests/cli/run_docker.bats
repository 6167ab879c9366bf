#!/usr/bin/env bats
# The docker engine: the same run as podman's, through the docker command line
# (tests/cli/engine_helpers.bash); skipped, with the reason, where no docker
# daemon answers.
# shellcheck disable=SC2034 # read by engine_helpers.bash
ENGINE=docker
load engine_helpers

setup_file() { engine_setup_file; }
teardown_file() { engine_teardown_file; }
setup() { engine_setup; }

@test "docker: a step that writes and deletes files leaves the tree unchanged; --export takes the results out" {
	need_engine
	test_tree_unchanged_export
}

@test "docker: the container's root takes a step's installs; the image keeps none" {
	need_engine
	test_writable_root
}

@test "docker: a worktree's git folder outside the tree is at its path; the repository never changes" {
	need_engine
	test_git_worktree
}

@test "docker: --in-place writes through to the tree" {
	need_engine
	test_in_place
}

@test "docker: a configuration's TMPDIR and HOME reach the steps, not the engine" {
	need_engine
	test_engine_client_keeps_its_environment
}

@test "docker: hostname cibox, loopback only" {
	need_engine
	test_hostname_loopback
}

@test "docker: CI_NETWORK=host shares the host's network" {
	need_engine
	test_host_network
}

@test "docker: a cache persists across runs and starts afresh when a key file changes" {
	need_engine
	test_cache
}

@test "docker: a failing step ends the run with status 1, its container gone" {
	need_engine
	test_failing_step
}

@test "docker: SIGINT ends the step, the run (130) and its container" {
	need_engine
	test_interrupt
}

@test "docker: SIGTERM while the engine is prepared ends the run as interrupted (130), with its report" {
	need_engine
	test_sigterm_while_preparing
}

@test "docker: no CI_IMAGE_NAME_TAG, an image docker lacks or one without bash is one line and status 2" {
	need_engine
	test_bad_image
}

@test "docker: SIGKILL of cibox mid-step leaves no container and no process of the step" {
	need_engine
	test_sigkill_mid_step
}

@test "docker: --keep-uid is a usage error" {
	need_engine
	test_keep_uid_refused
}

@test "docker: CI_SANDBOX=log-and-abort: a forbidden syscall fails the step, naming syscall, thread and step" {
	need_engine
	test_sandbox_in_container
}

@test "docker: run --trace --write learns the policy inside the container, which then holds in abort mode" {
	need_engine
	test_trace_in_container
}

@test "docker: without docker in PATH, one line and status 3" {
	test_not_installed
}

@test "docker: without a docker daemon, one line naming the daemon and status 3" {
	command -v docker >/dev/null || skip "docker is not installed"
	step test 01_a.sh <<<'true'
	DOCKER_HOST=unix://$BATS_TEST_TMPDIR/no-daemon.sock run "$CIBOX" run --engine docker
	assert_status 3
	assert_one_line
	assert_line_matching "engine docker does not work here: .*daemon"
	no_run_folder
}

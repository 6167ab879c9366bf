#!/usr/bin/env bats
# The podman engine: the run's shell in one container of CI_IMAGE_NAME_TAG,
# with the ns engine's semantics (tests/cli/engine_helpers.bash). Rootful as
# root; rootless in the unprivileged pass, without /etc/subuid ranges.
# shellcheck disable=SC2034 # read by engine_helpers.bash
ENGINE=podman
load engine_helpers

setup_file() { engine_setup_file; }
teardown_file() { engine_teardown_file; }
setup() { engine_setup; }

@test "podman: a step that writes and deletes files leaves the tree unchanged; --export takes the results out" {
	need_engine
	test_tree_unchanged_export
}

@test "podman: the container's root takes a step's installs; the image keeps none" {
	need_engine
	test_writable_root
}

@test "podman: a worktree's git folder outside the tree is at its path; the repository never changes" {
	need_engine
	test_git_worktree
}

@test "podman: --in-place writes through to the tree" {
	need_engine
	test_in_place
}

@test "podman: a configuration's TMPDIR and HOME reach the steps, not the engine" {
	need_engine
	test_engine_client_keeps_its_environment
}

@test "podman: hostname cibox, loopback only" {
	need_engine
	test_hostname_loopback
}

@test "podman: CI_NETWORK=host shares the host's network" {
	need_engine
	test_host_network
}

@test "podman: a cache persists across runs and starts afresh when a key file changes" {
	need_engine
	test_cache
}

@test "podman: a failing step ends the run with status 1, its container gone" {
	need_engine
	test_failing_step
}

@test "podman: SIGINT ends the step, the run (130) and its container" {
	need_engine
	test_interrupt
}

@test "podman: SIGTERM while the engine is prepared ends the run as interrupted (130), with its report" {
	need_engine
	test_sigterm_while_preparing
}

@test "podman: no CI_IMAGE_NAME_TAG, an image podman lacks or one without bash is one line and status 2" {
	need_engine
	test_bad_image
}

@test "podman: SIGKILL of cibox mid-step leaves no container and no process of the step" {
	need_engine
	test_sigkill_mid_step
}

@test "podman: --keep-uid is a usage error" {
	need_engine
	test_keep_uid_refused
}

@test "podman: CI_SANDBOX=log-and-abort: a forbidden syscall fails the step, naming syscall, thread and step" {
	need_engine
	test_sandbox_in_container
}

@test "podman: run --trace --write learns the policy inside the container, which then holds in abort mode" {
	need_engine
	test_trace_in_container
}

@test "podman: without podman in PATH, one line and status 3" {
	test_not_installed
}

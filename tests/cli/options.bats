#!/usr/bin/env bats
# How every subcommand reads its options (src/cli/cli.c): getopt_long's forms,
# names spelled out, one line and status 2 for what is wrong.
load helpers
bats_require_minimum_version 1.5.0

setup() {
	cd "$BATS_TEST_TMPDIR" || return
}

@test "every subcommand shows its usage for -h and --help, exit 0" {
	local sub
	for sub in run configs matrix runs lint retry sandbox syscalls trace policy image cache; do
		run "$CIBOX" "$sub" --help
		assert_status 0
		assert_line_matching "^usage: cibox $sub"
		run "$CIBOX" "$sub" -h
		assert_status 0
		assert_line_matching "^usage: cibox $sub"
	done
}

@test "a value comes as --name VALUE or --name=VALUE" {
	run "$CIBOX" sandbox --mode log --allow @default -- true
	assert_status 0
	run "$CIBOX" sandbox --allow=@default --mode=log -- true
	assert_status 0
	run "$CIBOX" retry --tries=1 -- false
	assert_status 1
}

@test "a long option is taken only as spelled out" {
	run "$CIBOX" sandbox --isol -- true
	assert_status 2
	assert_one_line
	[ "$output" = "cibox: sandbox: unknown option '--isol' (see cibox sandbox --help)" ]
	run "$CIBOX" retry --m 1 -- true
	assert_status 2
	assert_one_line
}

@test "a value for an option that takes none, or none for one that needs it: one line, status 2" {
	run "$CIBOX" sandbox --isolate=yes -- true
	assert_status 2
	[ "$output" = "cibox: sandbox: --isolate takes no value" ]
	run "$CIBOX" trace -o
	assert_status 2
	[ "$output" = "cibox: trace: -o needs a value" ]
	run "$CIBOX" runs --prune=
	assert_status 2
	[ "$output" = "cibox: runs: --prune needs a value" ]
	run "$CIBOX" sandbox -x -- true
	assert_status 2
	[ "$output" = "cibox: sandbox: unknown option '-x' (see cibox sandbox --help)" ]
	run "$CIBOX" --bogus
	assert_status 2
	[ "$output" = "cibox: unknown option '--bogus' (see cibox --help)" ]
}

@test "the command retry, sandbox and trace run keeps its own options" {
	run "$CIBOX" retry echo --help -v
	assert_status 0
	[ "$output" = "--help -v" ]
	run "$CIBOX" sandbox -- echo --mode -h
	assert_status 0
	[ "$output" = "--mode -h" ]
}

@test "options may follow the operands where no command follows" {
	run "$CIBOX" syscalls getpid --bogus
	assert_status 2
	assert_one_line
	run "$CIBOX" syscalls getpid -h
	assert_status 0
	assert_line_matching '^usage: cibox syscalls'
}

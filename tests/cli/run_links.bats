#!/usr/bin/env bats
# What a step plants where cibox works on the host: links and files at the
# names cibox opens, writes or removes in the run folder, tree/, a cache and
# the export folder. The victims sit outside the run, where cibox could write
# but a jailed step cannot.
# shellcheck disable=SC2016 # single-quoted scripts are for the step's or child's shell to expand
load runner_helpers

setup() {
	setup_runner
	export XDG_CACHE_HOME="$BATS_TEST_TMPDIR/cache"
	new_project
	VICTIM="$BATS_TEST_TMPDIR/victim"
	echo precious >"$VICTIM"
	mkdir "$BATS_TEST_TMPDIR/victim-folder"
	echo precious >"$BATS_TEST_TMPDIR/victim-folder/file"
}

victim_intact() {
	[ "$(cat "$VICTIM")" = precious ]
	[ "$(ls -A "$BATS_TEST_TMPDIR/victim-folder")" = file ]
	[ "$(cat "$BATS_TEST_TMPDIR/victim-folder/file")" = precious ]
}

# A step links the next step's log to the victim.
plant_at_next_log() {
	step test 01_plant.sh <<<"ln -s '$VICTIM' \"\$CIBOX_RUN_DIR/02_next.log\""
	step test 02_next.sh <<<'echo overwritten'
}

@test "a link planted at the next step's log is refused, not written through (ns)" {
	plant_at_next_log
	run "$CIBOX" run -q
	assert_status 1
	assert_line_matching '02_next\.log: a symbolic link is in its place, refused$'
	victim_intact
}

@test "a link planted at the next step's log is refused, not written through (host)" {
	plant_at_next_log
	run "$CIBOX" run -q --engine host
	assert_status 1
	assert_line_matching '02_next\.log: a symbolic link is in its place, refused$'
	victim_intact
}

@test "a hard link at the next step's log is refused too (host)" {
	step test 01_plant.sh <<<"ln '$VICTIM' \"\$CIBOX_RUN_DIR/02_next.log\""
	step test 02_next.sh <<<'echo overwritten'
	run "$CIBOX" run -q --engine host
	assert_status 1
	assert_line_matching '02_next\.log: something cibox did not make is in its place, refused$'
	victim_intact
}

@test "--export writes through no link a step planted in the export folder" {
	local out="$BATS_TEST_TMPDIR/results"
	mkdir "$out"
	step test 01_plant.sh <<-EOF
	ln -s '$VICTIM' '$out/result.txt'
	ln -s '$BATS_TEST_TMPDIR/victim-folder' '$out/sub'
	echo overwritten >result.txt
	mkdir sub && echo overwritten >sub/new
	EOF
	run "$CIBOX" run -q --export "$out"
	assert_status 1
	assert_line_matching "cannot export to $out: .*(result\.txt|sub): a symbolic link is in its place, refused$"
	victim_intact
}

@test "runs --prune and cache clear remove planted links, not what they lead to" {
	step test 00_setup_env.sh <<<'export DEPENDS_DIR=${DEPENDS_DIR:-/tmp/depends}'
	step test 01_plant.sh <<-EOF
	ln -s '$BATS_TEST_TMPDIR/victim-folder' "\$CIBOX_RUN_DIR/link"
	mkdir -p "\$CIBOX_RUN_DIR/deep/er" && ln -s '$BATS_TEST_TMPDIR/victim-folder' "\$CIBOX_RUN_DIR/deep/er/link"
	ln -s '$VICTIM' "\$CIBOX_RUN_DIR/deep/file"
	ln -s '$BATS_TEST_TMPDIR/victim-folder' "\$DEPENDS_DIR/link"
	mkdir "\$DEPENDS_DIR/sub" && ln -s '$BATS_TEST_TMPDIR/victim-folder' "\$DEPENDS_DIR/sub/link"
	EOF
	run "$CIBOX" run -q
	assert_status 0
	run "$CIBOX" runs --prune 0
	assert_status 0
	[ -z "$(ls "$RUNS")" ]
	run "$CIBOX" cache clear
	assert_status 0
	victim_intact
}

#!/usr/bin/env bats
# `cibox run --all`: every configuration of a stage, each in its own jail and
# run folder, N at a time; the matrix folder and its reports, the views on and
# off a terminal, Ctrl-C, --fail-fast, `cibox runs`, and caches two runs of one
# configuration share.
# shellcheck disable=SC2016 # single-quoted scripts are for the step's or child's shell to expand
load runner_helpers
bats_require_minimum_version 1.5.0

setup() {
	setup_runner
	export XDG_CACHE_HOME="$BATS_TEST_TMPDIR/cache"
	M="$BATS_TEST_TMPDIR/matrix"
}

# A project with configurations a, b and c, each exporting NAME.
three_configs() {
	new_project
	for n in a b c; do echo "export NAME=$n" >"ci/test/00_setup_env_$n.sh"; done
}

# A step that says it started (a file in its run folder, seen from outside),
# then waits for the test to create `go` there, and fails after 15 s without.
waiting_step() {
	step test "$1" <<-'EOF'
	touch "$CIBOX_RUN_DIR/started"
	for _ in $(seq 300); do [ -e "$CIBOX_RUN_DIR/go" ] && break; sleep 0.05; done
	[ -e "$CIBOX_RUN_DIR/go" ]
	EOF
}

# Waits (at most 15 s) until exactly the named configurations have started.
wait_started() {
	for _ in $(seq 300); do
		local all=1 n
		for n in "$@"; do [ -e "$M/$n/started" ] || all=0; done
		[ $all = 1 ] && return 0
		sleep 0.05
	done
	echo "not all of $* started" >&2
	return 1
}

release() {
	local n
	for n in "$@"; do touch "$M/$n/go"; done
}

# Configuration a run twice at once into $M/r1 and $M/r2: returns once the
# second says it waits for the caches the first holds; their pids in FIRST
# and SECOND.
second_run_waits() {
	M=$BATS_TEST_TMPDIR
	"$CIBOX" run --env a --out "$M/r1" >"$M/r1.out" 2>&1 &
	FIRST=$!
	wait_started r1
	"$CIBOX" run --env a --out "$M/r2" >"$M/r2.out" 2>&1 &
	SECOND=$!
	for _ in $(seq 300); do grep -q 'waiting for the caches' "$M/r2.out" && break; sleep 0.05; done
}

# Starts `cibox run --all --out $M ARGS...` in the background; its pid in PID.
start_all() {
	"$CIBOX" run --all --out "$M" "$@" >"$BATS_TEST_TMPDIR/out" 2>&1 &
	PID=$!
}

finish_all() {
	status=0
	wait "$PID" || status=$?
	output=$(cat "$BATS_TEST_TMPDIR/out")
}

@test "--all -j3 runs three configurations at once, none seeing another's tree" {
	three_configs
	step test 01_write.sh <<<'echo "$NAME" >shared.txt; touch "from-$NAME"'
	waiting_step 02_wait.sh
	step test 03_look.sh <<<'echo "sees $(cat shared.txt) $(ls from-* | tr "\n" " ")"'
	start_all -j3
	# All three wait for each other: one at a time, none would get past 02.
	wait_started a b c
	release a b c
	finish_all
	assert_status 0
	for n in a b c; do
		assert_line_matching "^\[$n\] \[03_look.sh\] sees $n from-$n $"
		assert_line_matching "^$n +passed +- +[0-9.]+ s$"
	done
	[ ! -e shared.txt ] && [ ! -e from-a ]
}

@test "-j2 starts no more than two; the third waits for a free slot" {
	three_configs
	waiting_step 01_wait.sh
	start_all -j2
	wait_started a b
	[ ! -e "$M/c/started" ]
	release a b
	wait_started c
	release c
	finish_all
	assert_status 0
	assert_line_matching 'at most 2 at a time'
}

@test "a failing configuration: exit status 1, the table names the step, the others run on" {
	three_configs
	step test 01_ok.sh <<<'echo fine'
	step test 02_check.sh <<<'[ "$NAME" != b ] || { echo "b is broken"; exit 3; }'
	run "$CIBOX" run --all -j3
	assert_status 1
	assert_line_matching '^configuration +status +failing step +duration$'
	assert_line_matching '^a +passed +- +[0-9.]+ s$'
	assert_line_matching '^b +failed +02_check.sh +[0-9.]+ s$'
	assert_line_matching '^c +passed +- +[0-9.]+ s$'
	assert_line_matching '^\[b\] cibox: run: step 02_check.sh failed with exit status 3'
	assert_line_matching '^cibox: failed in [0-9.]+ s, 2 of 3 configurations passed; report: .*/matrix.json$'
}

@test "off a terminal every line is prefixed with the configuration and the step" {
	three_configs
	step test 01_say.sh <<<'echo "hello from $NAME"'
	run "$CIBOX" run --all -j1
	assert_status 0
	assert_line_matching '^\[a\] \[01_say.sh\] hello from a$'
	assert_line_matching '^\[c\] ==> 01_say.sh passed in [0-9.]+ s$'
	# The runs' own tables give way to the matrix's.
	refute_line_matching '^\[a\] step +status'
	refute_line_matching $'\033'
}

@test "on a terminal one live line per configuration, none of their output, and the table" {
	command -v script >/dev/null || skip "script (util-linux) is not installed"
	three_configs
	step test 01_say.sh <<<'echo "hello from $NAME"'
	step test 02_bad.sh <<<'[ "$NAME" != c ]'
	run script -qec "$CIBOX run --all -j2" /dev/null
	assert_status 1
	assert_line_matching $'\033\\[[0-9]+A'
	assert_line_matching 'c +failed +at 02_bad.sh after [0-9.]+ s'
	assert_line_matching 'a +passed +in [0-9.]+ s'
	refute_line_matching 'hello from'
	assert_line_matching '^\[c\] cibox: run: step 02_bad.sh failed'
	NO_COLOR=1 run script -qec "$CIBOX run --all -j2" /dev/null
	refute_line_matching $'\033\\[3[0-9]m'
}

@test "the matrix folder: matrix.json and one JUnit file with a suite per configuration" {
	command -v python3 >/dev/null || skip "python3 is not installed"
	three_configs
	step test 01_ok.sh <<<'echo ok'
	step test 02_bad.sh <<<'[ "$NAME" != b ] || { echo "<broken & gone>"; false; }'
	run "$CIBOX" run --all --out "$M"
	assert_status 1
	python3 - "$M" <<-'EOF'
	import json, sys
	m = json.load(open(sys.argv[1] + "/matrix.json"))
	assert m["status"] == "failed" and m["exit_status"] == 1, m
	assert (m["passed"], m["failed"]) == (2, 1), m
	c = {x["name"]: x for x in m["configurations"]}
	assert sorted(c) == ["a", "b", "c"], c
	assert c["b"]["status"] == "failed" and c["b"]["failing_step"] == "02_bad.sh", c["b"]
	assert c["a"]["failing_step"] is None
	assert [s["status"] for s in c["b"]["steps"]] == ["passed", "failed"], c["b"]
	assert c["a"]["run_folder"] == sys.argv[1] + "/a"
	for n in "abc":
	    assert json.load(open(sys.argv[1] + "/" + n + "/summary.json"))["configuration"] == n
	EOF
	if command -v xmllint >/dev/null; then
		xmllint --noout "$M/junit.xml"
		[ "$(xmllint --xpath 'count(/testsuites/testsuite)' "$M/junit.xml")" = 3 ]
		[ "$(xmllint --xpath 'count(/testsuites/testsuite/testcase)' "$M/junit.xml")" = 6 ]
		[ "$(xmllint --xpath 'string(/testsuites/@failures)' "$M/junit.xml")" = 1 ]
	fi
	python3 - "$M/junit.xml" <<-'EOF'
	import sys, xml.etree.ElementTree as ET
	root = ET.parse(sys.argv[1]).getroot()
	suites = root.findall("testsuite")
	assert [s.get("name").split("/")[-1] for s in suites] == ["a", "b", "c"]
	assert all(len(s.findall("testcase")) == 2 for s in suites)
	failure = suites[1].find("testcase[@name='02_bad.sh']/failure")
	assert failure is not None and "<broken & gone>" in failure.text, failure
	EOF
}

@test "SIGINT ends every run still going, each with its report, and exits 130" {
	three_configs
	waiting_step 01_wait.sh
	start_all -j2
	wait_started a b
	kill -INT "$PID"
	finish_all
	assert_status 130
	assert_line_matching '^a +interrupted +- '
	assert_line_matching '^c +not run +- +-$'
	for n in a b; do
		grep -q '"status": "interrupted"' "$M/$n/summary.json"
	done
	grep -q '"status": "interrupted"' "$M/matrix.json"
	grep -q '"exit_status": 130' "$M/matrix.json"
	run pgrep -f "$M"
	assert_status 1
}

@test "--fail-fast stops the others at the first failure; those not started are not run" {
	three_configs
	step test 01_wait.sh <<-'EOF'
	[ "$NAME" != a ] || exit 4
	touch "$CIBOX_RUN_DIR/started"
	for _ in $(seq 300); do [ -e "$CIBOX_RUN_DIR/go" ] && break; sleep 0.05; done
	[ -e "$CIBOX_RUN_DIR/go" ]
	EOF
	run "$CIBOX" run --all --out "$M" -j2 --fail-fast
	assert_status 1
	assert_line_matching '^a +failed +01_wait.sh '
	assert_line_matching '^b +stopped +- '
	assert_line_matching '^c +not run +- +-$'
	grep -q '"status": "stopped"' "$M/matrix.json"
	[ ! -e "$M/c" ]
}

@test "cibox runs lists a matrix as one entry with its configurations; prune removes it whole" {
	three_configs
	step test 01_ok.sh <<<'true'
	run "$CIBOX" run --env a
	touch -d '2000-01-01' "$RUNS"/proj-test-a-*
	run "$CIBOX" run --all
	assert_status 0
	run "$CIBOX" runs -n 1
	assert_status 0
	assert_line_matching '^passed +[0-9.]+ s +matrix: 3/3 passed +.*/proj-test-all-[0-9-]+$'
	assert_line_matching '^  passed +[0-9.]+ s +[0-9]+ files?, .*/proj-test-all-[0-9-]+/b$'
	refute_line_matching 'proj-test-a-'
	run "$CIBOX" runs --prune 1
	assert_status 0
	assert_line_matching '^removed 1 run folder'
	[ -d "$(echo "$RUNS"/proj-test-all-*)/c" ]
	run "$CIBOX" runs --prune 0
	assert_line_matching '^removed 1 run folder'
	no_run_folder
}

@test "prune passes by a matrix still going" {
	three_configs
	waiting_step 01_wait.sh
	"$CIBOX" run --all -j3 >"$BATS_TEST_TMPDIR/out" 2>&1 &
	PID=$!
	for _ in $(seq 300); do [ -d "$(echo "$RUNS"/proj-test-all-*)" ] && break; sleep 0.05; done
	M=$(echo "$RUNS"/proj-test-all-*)
	wait_started a b c
	touch -d '2000-01-01' "$M"
	run "$CIBOX" runs --prune 0
	assert_line_matching '1 still going left alone'
	[ -d "$M/a" ]
	run "$CIBOX" runs
	assert_line_matching '^running +- +matrix: 0/3 passed'
	release a b c
	finish_all
	assert_status 0
}

@test "two runs of one configuration share its caches one after the other, not at once" {
	new_project
	echo 'export DEPENDS_DIR=/tmp/depends' >ci/test/00_setup_env_a.sh
	step test 01_count.sh <<-'EOF'
	n=$(cat /tmp/depends/count 2>/dev/null || echo 0)
	touch "$CIBOX_RUN_DIR/started"
	for _ in $(seq 300); do [ -e "$CIBOX_RUN_DIR/go" ] && break; sleep 0.05; done
	echo $((n + 1)) >/tmp/depends/count.new && mv /tmp/depends/count.new /tmp/depends/count
	echo "count $(cat /tmp/depends/count)"
	EOF
	second_run_waits
	local first=$FIRST second=$SECOND
	grep -q 'waiting for the caches .* another run of configuration a is using' "$BATS_TEST_TMPDIR/r2.out"
	[ ! -e "$BATS_TEST_TMPDIR/r2/started" ]
	release r1
	wait "$first"
	wait_started r2
	release r2
	wait "$second"
	grep -q 'count 1' "$BATS_TEST_TMPDIR/r1.out"
	grep -q 'count 2' "$BATS_TEST_TMPDIR/r2.out"
}

@test "a run waiting for its configuration's caches ends at Ctrl-C, before its first step" {
	new_project
	echo 'export DEPENDS_DIR=/tmp/depends' >ci/test/00_setup_env_a.sh
	step test 01_wait.sh <<-'EOF'
	touch "$CIBOX_RUN_DIR/started"
	for _ in $(seq 300); do [ -e "$CIBOX_RUN_DIR/go" ] && break; sleep 0.05; done
	EOF
	second_run_waits
	local first=$FIRST second=$SECOND
	# Past its first look at the lock, into the wait between looks.
	sleep 0.3
	kill -INT "$second"
	status=0
	wait "$second" || status=$?
	output=$(cat "$BATS_TEST_TMPDIR/r2.out")
	release r1
	wait "$first"
	assert_status 130
	assert_line_matching '^cibox: run: interrupted while waiting for the caches$'
	[ ! -e "$BATS_TEST_TMPDIR/r2/started" ]
}

@test "bad --all usage: one line and exit status 2" {
	three_configs
	step test 01_ok.sh <<<'true'
	for args in "-j 0" "-j x" "-j -3" "--jobs 99999" "--env a" "--engine host" "--in-place" "--export $BATS_TEST_TMPDIR/e"; do
		# shellcheck disable=SC2086 # each case is one or two words
		run "$CIBOX" run --all $args
		assert_status 2
		assert_one_line
	done
	run "$CIBOX" run -j 2
	assert_status 2
	assert_line_matching '-j is for --all'
	run "$CIBOX" run --fail-fast
	assert_status 2
	rm ci/test/00_setup_env_*.sh
	run "$CIBOX" run --all
	assert_status 2
	assert_line_matching 'ci/test has no configurations'
	no_run_folder
}

#!/usr/bin/env bats
# `cibox run`: configurations, steps, state between steps, failures, Ctrl-C,
# what the user sees and the run folder with its reports.
# shellcheck disable=SC2016 # single-quoted scripts are for the step's or child's shell to expand
load runner_helpers
bats_require_minimum_version 1.5.0

setup() {
	setup_runner
}

# --- configurations: defaults, overrides, --set, FILE_ENV, --env ---

@test "the default stage is test, with the defaults of 00_setup_env.sh" {
	use_fixture basic
	run "$CIBOX" run
	assert_status 0
	assert_line_matching '^\[01_env.sh\] HOST=x86_64-pc-linux-gnu MAKEJOBS=-j4 GOAL=install DEFAULT_ONLY=from-defaults$'
	assert_line_matching 'stage test, configuration default, engine ns'
}

@test "--env NAME picks ci/STAGE/00_setup_env_NAME.sh; the defaults fill in what it leaves unset" {
	use_fixture basic
	run "$CIBOX" run --env arm
	assert_status 0
	assert_line_matching '^\[01_env.sh\] HOST=arm-linux-gnueabihf MAKEJOBS=-j4 GOAL=check DEFAULT_ONLY=from-defaults$'
}

@test "the caller's value wins over the defaults: MAKEJOBS=-j1 cibox run --env arm" {
	use_fixture basic
	MAKEJOBS=-j1 run "$CIBOX" run --env arm
	assert_status 0
	assert_line_matching '^\[01_env.sh\] HOST=arm-linux-gnueabihf MAKEJOBS=-j1 GOAL=check'
}

@test "the configuration wins over the caller for what it sets" {
	use_fixture basic
	HOST=caller-host run "$CIBOX" run --env arm
	assert_status 0
	assert_line_matching 'HOST=arm-linux-gnueabihf '
}

@test "--set comes last: it forces a value the configuration sets, and adds new ones" {
	use_fixture basic
	run "$CIBOX" run --env arm --set HOST=mips --set=GOAL=all --set MAKEJOBS=-j9
	assert_status 0
	assert_line_matching '^\[01_env.sh\] HOST=mips MAKEJOBS=-j9 GOAL=all DEFAULT_ONLY=from-defaults$'
}

@test "--set keeps any byte of its value: newlines, quotes, unicode" {
	new_project
	step test 01_show.sh <<<'printf "<%s>\n" "$ODD"'
	run "$CIBOX" run --set "ODD=a
b \"c\" 'd' \$e ✓"
	assert_status 0
	[ "$(cat "$(run_dir)/01_show.log")" = "<a
b \"c\" 'd' \$e ✓>" ]
}

@test "FILE_ENV picks the configuration like --env, by path or by name" {
	use_fixture basic
	FILE_ENV=./ci/test/00_setup_env_arm.sh run "$CIBOX" run
	assert_status 0
	assert_line_matching 'HOST=arm-linux-gnueabihf '
	assert_line_matching 'configuration arm,'
	FILE_ENV=arm run "$CIBOX" run
	assert_status 0
	assert_line_matching 'HOST=arm-linux-gnueabihf '
}

@test "--env wins over FILE_ENV" {
	use_fixture basic
	mkdir -p ci/test
	echo 'export HOST=other' >ci/test/00_setup_env_other.sh
	FILE_ENV=arm run "$CIBOX" run --env other
	assert_status 0
	assert_line_matching 'HOST=other '
}

@test "--env by path: relative and absolute, from a subfolder of the project" {
	use_fixture basic
	run "$CIBOX" run --env ci/test/00_setup_env_arm.sh
	assert_status 0
	assert_line_matching 'HOST=arm-linux-gnueabihf '
	mkdir -p src/deep
	cd src/deep
	run "$CIBOX" run --env "$BATS_TEST_TMPDIR/basic/ci/test/00_setup_env_arm.sh"
	assert_status 0
	assert_line_matching 'HOST=arm-linux-gnueabihf '
}

@test "a configuration with a syntax error: one line with file and line, exit 2, no step" {
	use_fixture badconfig
	run "$CIBOX" run --env syntax
	assert_status 2
	assert_one_line
	assert_line_matching "^cibox: ci/test/00_setup_env_syntax.sh:3: syntax error near unexpected token"
	refute_line_matching 'STEP RAN'
	no_run_folder
}

@test "a configuration whose command fails: one line with file, line and status, exit 2, no step" {
	use_fixture badconfig
	run "$CIBOX" run --env fails
	assert_status 2
	assert_one_line
	assert_line_matching "^cibox: ci/test/00_setup_env_fails.sh:4: 'false' failed with exit status 1$"
	no_run_folder
}

@test "an unknown configuration name: one line naming the file it looked for, exit 2" {
	use_fixture basic
	run "$CIBOX" run --env nosuch
	assert_status 2
	assert_one_line
	assert_line_matching '^cibox: ci/test/00_setup_env_nosuch.sh: no such configuration'
	run "$CIBOX" run --env ./ci/test/missing.sh
	assert_status 2
	assert_one_line
	assert_line_matching '^cibox: ./ci/test/missing.sh: no such configuration'
	FILE_ENV=nosuch run "$CIBOX" run
	assert_status 2
	no_run_folder
}

# --- steps: order, state carried, errexit, pipefail, failures ---

@test "steps run in name order, 06_script_a before 06_script_b; 00_, 10_ and others are not steps" {
	new_project
	for f in 06_script_b.sh 01_base.sh 06_script_a.sh 05_before.sh; do
		step test "$f" <<<"echo ran $f"
	done
	step test 00_setup_env.sh <<<'echo "not a step" >&2'
	step test 10_late.sh <<<'echo ran 10_late.sh'
	step test 6_short.sh <<<'echo ran 6_short.sh'
	step test 07_notes.txt <<<'echo ran 07_notes.txt'
	run "$CIBOX" run
	assert_status 0
	[ "$(grep -o 'ran .*' <<<"$output" | tr '\n' ' ')" = "ran 01_base.sh ran 05_before.sh ran 06_script_a.sh ran 06_script_b.sh " ]
}

@test "state is carried as if sourced into one shell: variables, arrays, functions, exports, cwd" {
	use_fixture basic
	run "$CIBOX" run
	assert_status 0
	assert_line_matching '^\[03_check_state.sh\] EXPORTED=exported value$'
	assert_line_matching '^\[03_check_state.sh\] PLAIN=plain value$'
	assert_line_matching '^\[03_check_state.sh\] ARRAY=two words \(3\)$'
	assert_line_matching '^\[03_check_state.sh\] ASSOC=other value$'
	assert_line_matching '^\[03_check_state.sh\] TRICKY survived$'
	assert_line_matching '^\[03_check_state.sh\] hello from a function, world$'
	assert_line_matching "^\[03_check_state.sh\] cwd=$WORKDIR/sub dir\$"
	# exported reaches children, not exported does not; an exported function does
	assert_line_matching '^\[03_check_state.sh\] child sees EXPORTED=exported value PLAIN=unset$'
	[ "$(grep -c '^\[03_check_state.sh\] exported function$' <<<"$output")" -eq 2 ]
	local log
	log=$(cat "$(run_dir)/03_check_state.log")
	grep -qxF "MULTI=line one" <<<"$log"
	grep -qxF "line \"two\" with 'quotes' and \$dollar \\ backslash" <<<"$log"
	grep -qxF "line three: ünïcödé ✓" <<<"$log"
}

@test "what a step unsets stays unset; readonly stays readonly, as in one shell" {
	new_project
	step test 01_a.sh <<'EOF'
export GONE=1 KEEP=1
declare -r FROZEN=ice
EOF
	step test 02_b.sh <<'EOF'
unset GONE
EOF
	step test 03_c.sh <<'EOF'
echo "GONE=${GONE-unset} KEEP=$KEEP FROZEN=${FROZEN-unset}"
(FROZEN=melted) 2>/dev/null || echo "FROZEN is readonly"
env | grep -c '^GONE=' || true
[ "$BASHPID" = "$$" ] && echo "BASHPID is ours: yes"
EOF
	run "$CIBOX" run
	assert_status 0
	assert_line_matching '^\[03_c.sh\] GONE=unset KEEP=1 FROZEN=ice$'
	assert_line_matching '^\[03_c.sh\] FROZEN is readonly$'
	assert_line_matching '^\[03_c.sh\] 0$'
	assert_line_matching '^\[03_c.sh\] BASHPID is ours: yes$'
}

@test "a step that ends with exit 0 passes; the next starts from what it left" {
	new_project
	step test 01_a.sh <<<'export A=from-01'
	step test 02_b.sh <<<'export A=from-02; exit 0'
	step test 03_c.sh <<<'echo "A=$A"'
	run "$CIBOX" run
	assert_status 0
	assert_line_matching '^\[03_c.sh\] A=from-02$'
}

@test "set -x traces the steps' commands, never the runner's own; it carries on as in one shell" {
	new_project
	step test 01_a.sh <<<$'set -x\necho one'
	step test 02_b.sh <<<'echo two'
	step test 03_c.sh <<<$'echo three\nexit 0'
	step test 04_d.sh <<<$'echo four\nset +x\necho quiet'
	step test 05_e.sh <<<$'echo five\nfalse'
	run "$CIBOX" run
	assert_status 1
	local dir
	dir=$(run_dir)
	# Each log holds the step's output and the trace of its own commands; the
	# one other line a trace may hold is the source that started the step, as
	# in a script sourcing the steps one after the other.
	check_log() { # step, expected lines
		local got
		got=$(grep -vxE '\+ (builtin )?source .*/ci/test/'"$1"'\.sh' "$dir/$1.log")
		if [ "$got" != "$2" ]; then
			printf 'log of %s:\n%s\nexpected:\n%s\n' "$1" "$(cat "$dir/$1.log")" "$2" >&2
			return 1
		fi
	}
	check_log 01_a $'++ echo one\none'
	check_log 02_b $'++ echo two\ntwo'
	check_log 03_c $'++ echo three\nthree\n++ exit 0'
	check_log 04_d $'++ echo four\nfour\n++ set +x\nquiet'
	check_log 05_e $'five'
}

@test "errexit: a failing command ends the step, which fails the stage with exit 1" {
	new_project
	step test 01_a.sh <<<$'echo before\nfalse\necho after-false'
	step test 02_b.sh <<<'echo second step'
	run "$CIBOX" run
	assert_status 1
	assert_line_matching 'before'
	refute_line_matching 'after-false'
	refute_line_matching 'second step'
	assert_line_matching '^cibox: run: step 01_a.sh failed with exit status 1; its last lines:$'
	assert_line_matching '^  \| before$'
}

@test "pipefail: a failure inside a pipeline fails the step" {
	new_project
	step test 01_a.sh <<<$'false | true\necho after-pipe'
	run "$CIBOX" run
	assert_status 1
	refute_line_matching 'after-pipe'
}

@test "the failing step is named with its exit status and last lines; later steps do not run" {
	new_project
	step test 01_ok.sh <<<'echo fine'
	step test 02_bad.sh <<<$'for i in $(seq 1 20); do echo "line $i"; done\nexit 3'
	step test 03_never.sh <<<'echo never'
	run "$CIBOX" run
	assert_status 1
	assert_line_matching '^cibox: run: step 02_bad.sh failed with exit status 3; its last lines:$'
	assert_line_matching '^  \| line 20$'
	assert_line_matching '^  \| line 11$'
	refute_line_matching '^  \| line 10$'
	refute_line_matching '^\[03_never.sh\]'
	assert_line_matching '^02_bad.sh +failed +[0-9.]+ s +exit status 3$'
	assert_line_matching '^03_never.sh +not run +-$'
}

@test "Ctrl-C ends the step and all it started, writes the report of what ran, exit 130" {
	new_project
	# The step's processes are looked for on the host by their command lines:
	# a pid or a file the step writes stays in the jail (its own pid
	# namespace, its own /tmp). One leaves the step's session, out of reach
	# of a signal to its process group.
	local marker=$((RANDOM + 100000))
	step test 01_ok.sh <<<'echo fine'
	step test 02_slow.sh <<EOF
setsid sleep $marker.5 &
echo waiting
sleep $marker.25
EOF
	step test 03_never.sh <<<'echo never'
	interrupt_run
	[ "$status" -eq 130 ]
	assert_line_matching '^02_slow.sh +interrupted'
	assert_line_matching '^03_never.sh +not run'
	run pgrep -f "sleep $marker"
	assert_status 1
	local dir
	dir=$(run_dir)
	[ "$(jq -r .status "$dir/summary.json")" = interrupted ]
	[ "$(jq -r .exit_status "$dir/summary.json")" = 130 ]
	[ "$(jq -r '.steps[0].status' "$dir/summary.json")" = passed ]
	[ "$(jq -r '.steps[1].status' "$dir/summary.json")" = interrupted ]
	xmllint --noout "$dir/junit.xml"
}

# bash itself carries on after SIGINT when the command it waits for exits
# normally; the run must still end, two seconds later, whatever the engine.
@test "a step that ignores Ctrl-C is killed two seconds later; the run still ends, exit 130" {
	new_project
	# Its processes are looked for on the host by their command lines, as a
	# pid the step writes is one of the jail's own pid namespace.
	local marker=$((RANDOM + 100000))
	step test 01_deaf.sh <<EOF
trap '' INT
sleep $marker.5 &
echo waiting
sleep $marker.25
EOF
	local engine start
	for engine in host ns; do
		rm -rf "$RUNS"
		start=$SECONDS
		run timeout 60 bash -c "$(declare -f interrupt_run); CIBOX='$CIBOX'; BATS_TEST_TMPDIR='$BATS_TEST_TMPDIR'
			interrupt_run --engine $engine; echo \"\$output\"; exit \$status"
		assert_status 130
		assert_line_matching '^01_deaf.sh +interrupted'
		[ $((SECONDS - start)) -lt 15 ]
		[ "$(jq -r '.steps[0].status' "$(run_dir)/summary.json")" = interrupted ]
		run pgrep -f "sleep $marker"
		assert_status 1
	done
}

# --- what the user sees ---

@test "not a terminal: prefixed lines, a final table, no colour" {
	use_fixture basic
	run "$CIBOX" run
	assert_status 0
	assert_line_matching '^==> 01_env.sh$'
	assert_line_matching '^==> 01_env.sh passed in [0-9.]+ s$'
	assert_line_matching '^step +status +duration$'
	assert_line_matching '^06_script_b.sh +passed +[0-9.]+ s$'
	refute_line_matching $'\033'
}

@test "on a terminal: live raw output and a coloured table; NO_COLOR turns colour off" {
	command -v script >/dev/null || skip "script (util-linux) is not installed"
	use_fixture basic
	run script -qec "$CIBOX run" /dev/null
	assert_status 0
	assert_line_matching '^HOST=x86_64-pc-linux-gnu'
	assert_line_matching $'\033\\[32m'
	NO_COLOR=1 run script -qec "$CIBOX run" /dev/null
	assert_status 0
	refute_line_matching $'\033'
}

@test "on a terminal a quiet step shows how long it has been running" {
	command -v script >/dev/null || skip "script (util-linux) is not installed"
	new_project
	step test 01_slow.sh <<<$'echo first\nsleep 2.3\necho done'
	run script -qec "$CIBOX run" /dev/null
	assert_status 0
	assert_line_matching '01_slow.sh running for 1 s'
	assert_line_matching '01_slow.sh running for 2 s'
	NO_COLOR=1 run script -qec "$CIBOX run -q" /dev/null
	refute_line_matching 'running for'
}

@test "-q shows only failures and the table" {
	use_fixture basic
	run "$CIBOX" run -q
	assert_status 0
	refute_line_matching 'HOST='
	refute_line_matching '==>'
	assert_line_matching '^01_env.sh +passed'
	new_project
	step test 01_bad.sh <<<$'echo noisy\nexit 4'
	run "$CIBOX" run -q
	assert_status 1
	assert_line_matching '^cibox: run: step 01_bad.sh failed with exit status 4'
	assert_line_matching '^  \| noisy$'
	refute_line_matching '^\[01_bad.sh\]'
}

# --- the run folder and its reports ---

@test "the run folder is under XDG_STATE_HOME, one log per step, the work tree untouched" {
	use_fixture basic
	local before
	before=$(find . -printf '%p %s %T@\n' | sort)
	run "$CIBOX" run --env arm
	assert_status 0
	[ "$before" = "$(find . -printf '%p %s %T@\n' | sort)" ]
	local dir
	dir=$(run_dir)
	[[ "$(basename "$dir")" == basic-test-arm-* ]]
	for s in 01_env 02_set_state 03_check_state 06_script_a 06_script_b; do
		[ -f "$dir/$s.log" ]
	done
	grep -q 'HOST=arm-linux-gnueabihf' "$dir/01_env.log"
	# no temporary report left behind
	[ -z "$(find "$dir" -maxdepth 1 -name '.*' ! -name .)" ]
}

@test "without XDG_STATE_HOME the run folder is under ~/.local/state; --out overrides" {
	use_fixture basic
	unset XDG_STATE_HOME
	HOME="$BATS_TEST_TMPDIR/home" run "$CIBOX" run
	assert_status 0
	ls -d "$BATS_TEST_TMPDIR"/home/.local/state/cibox/runs/basic-test-default-*
	run "$CIBOX" run --out "$BATS_TEST_TMPDIR/mine"
	assert_status 0
	[ -f "$BATS_TEST_TMPDIR/mine/summary.json" ]
}

@test "summary.json holds configuration, variables, steps, status, durations, exit codes" {
	use_fixture basic
	step test 07_fail.sh <<<'exit 5'
	step test 08_never.sh <<<'true'
	run "$CIBOX" run --env arm --set 'EXTRA=a "quoted"
value'
	assert_status 1
	local j
	j="$(run_dir)/summary.json"
	jq -e . "$j" >/dev/null
	[ "$(jq -r .status "$j")" = failed ]
	[ "$(jq -r .exit_status "$j")" = 1 ]
	[ "$(jq -r .stage "$j")" = test ]
	[ "$(jq -r .configuration "$j")" = arm ]
	[ "$(jq -r .engine "$j")" = ns ]
	[ "$(jq -r .variables.HOST "$j")" = arm-linux-gnueabihf ]
	[ "$(jq -r .variables.EXTRA "$j")" = 'a "quoted"
value' ]
	[ "$(jq -r '.steps | length' "$j")" = 7 ]
	[ "$(jq -r '.steps[0].name' "$j")" = 01_env.sh ]
	[ "$(jq -r '.steps[5] | "\(.name) \(.status) \(.exit_status)"' "$j")" = "07_fail.sh failed 5" ]
	[ "$(jq -r '.steps[6] | "\(.status) \(.exit_status)"' "$j")" = "not run null" ]
	jq -e '.steps[0].duration_s >= 0 and .duration_s >= 0' "$j" >/dev/null
	[ -f "$(jq -r '.steps[0].log' "$j")" ]
}

@test "junit.xml is well-formed: one test case per step, failure text from the log, skipped" {
	use_fixture basic
	step test 07_fail.sh <<<$'echo "<bad> & \\"odd\\" \x01 output"\nexit 5'
	step test 08_never.sh <<<'true'
	run "$CIBOX" run
	assert_status 1
	local x
	x="$(run_dir)/junit.xml"
	xmllint --noout "$x"
	[ "$(xmllint --xpath 'count(/testsuites/testsuite/testcase)' "$x")" = 7 ]
	[ "$(xmllint --xpath 'string(/testsuites/testsuite/@tests)' "$x")" = 7 ]
	[ "$(xmllint --xpath 'string(/testsuites/testsuite/@failures)' "$x")" = 1 ]
	[ "$(xmllint --xpath 'string(/testsuites/testsuite/@skipped)' "$x")" = 1 ]
	[ "$(xmllint --xpath 'string(//testcase[@name="07_fail.sh"]/failure/@message)' "$x")" = "exit status 5" ]
	xmllint --xpath 'string(//testcase[@name="07_fail.sh"]/failure)' "$x" | grep -qF '<bad> & "odd"'
	[ "$(xmllint --xpath 'count(//testcase[@name="08_never.sh"]/skipped)' "$x")" = 1 ]
	[ "$(xmllint --xpath 'count(//testcase[@name="01_env.sh"]/*)' "$x")" = 0 ]
	xmllint --xpath 'string(//testcase[@name="01_env.sh"]/@time)' "$x" | grep -qE '^[0-9]+\.[0-9]+$'
}

# The run's shell is cibox sandbox's command here: SIGINT must reach what the
# step runs, in time for its trap, not only at the deadline that kills it.
@test "with CI_SANDBOX, SIGINT reaches the programs a step runs" {
	new_project
	step test 00_setup_env.sh <<<'export CI_SANDBOX=log'
	printf '@default\n' >ci/test/sandbox.policy
	step test 01_trap.sh <<<'sh -c '\''trap "echo step got INT; exit 9" INT; echo waiting; while :; do sleep 0.05; done'\'''
	local start=$SECONDS
	interrupt_run --engine host
	[ "$status" -eq 130 ]
	assert_line_matching 'step got INT'
	[ $((SECONDS - start)) -lt 2 ]
}

@test "cibox runs lists recent runs, newest first, with their status" {
	use_fixture basic
	run "$CIBOX" runs
	assert_status 0
	assert_line_matching '^no runs yet'
	"$CIBOX" run -q >/dev/null
	sleep 1.1
	step test 09_fail.sh <<<'exit 1'
	"$CIBOX" run -q >/dev/null 2>&1 || true
	run "$CIBOX" runs
	assert_status 0
	[ "$(sed -n 2p <<<"$output" | awk '{print $1}')" = failed ]
	[ "$(sed -n 3p <<<"$output" | awk '{print $1}')" = passed ]
	assert_line_matching "$RUNS/basic-test-default-"
	run "$CIBOX" runs -n 1
	[ "$(grep -c basic-test <<<"$output")" -eq 1 ]
}

# A step can write its run folder: when cibox is killed before writing its
# own summary.json, what the step left there is what `cibox runs` finds.
@test "cibox runs says in one line why a summary.json is no report, and reads none of it" {
	new_project
	step test 01_a.sh <<<'true'
	"$CIBOX" run -q --engine host >/dev/null
	local dir
	dir=$(run_dir)
	printf '{"status": "passed", "duration_s": 1.5' >"$dir/summary.json"
	run "$CIBOX" runs
	assert_status 1
	assert_line_matching "^cibox: runs: $dir/summary.json: not valid JSON: line 1, column 38: '}' expected near end of file$"
	assert_line_matching "^unreadable +- +- +$dir\$"
	refute_line_matching '^passed'
	[ "$(grep -c '^cibox:' <<<"$output")" -eq 1 ]
	printf '{"status": "\\u001b]0;owned\\u0007passed", "duration_s": 1}' >"$dir/summary.json"
	run "$CIBOX" runs
	assert_status 1
	assert_line_matching "^cibox: runs: $dir/summary.json: \"status\" is none of passed, failed, interrupted\$"
	refute_line_matching $'\033'
	rm "$dir/summary.json"
	mkfifo "$dir/summary.json"
	run timeout 10 "$CIBOX" runs
	assert_status 1
	assert_line_matching "^cibox: runs: $dir/summary.json: not a plain file, refused\$"
}

@test "cibox runs --prune keeps the newest runs and passes by a run still going" {
	new_project
	step test 01_a.sh <<<'echo made >"$CIBOX_RUN_DIR/out"'
	for _ in 1 2 3; do "$CIBOX" run -q --engine host >/dev/null; done
	step test 02_wait.sh <<<'while [ ! -e "$CIBOX_RUN_DIR/go" ]; do sleep 0.05; done'
	"$CIBOX" run -q --engine host >/dev/null &
	pid=$!
	# shellcheck disable=SC2012 # run folders are named by cibox: no newline in them
	for _ in $(seq 100); do [ "$(ls "$RUNS" | wc -l)" -eq 4 ] && break; sleep 0.05; done
	sleep 0.2
	# shellcheck disable=SC2012 # the newest by time, which find cannot sort by
	going=$(ls -t "$RUNS" | head -n 1)
	# The run still going is the newest; keeping none leaves it alone.
	run "$CIBOX" runs --prune 0
	assert_status 0
	assert_line_matching '^removed 3 run folders, [0-9.]+ MiB freed; 1 still going left alone$'
	[ "$(ls "$RUNS")" = "$going" ]
	touch "$RUNS/$going/go"
	wait "$pid"
	run "$CIBOX" runs --prune 1
	assert_line_matching '^removed 0 run folders'
	run "$CIBOX" runs --prune 0
	assert_line_matching '^removed 1 run folder, '
	[ -z "$(ls "$RUNS")" ]
	run "$CIBOX" runs --prune -1
	assert_status 2
	assert_one_line
	assert_line_matching "--prune needs how many runs to keep"
}

@test "a run's shell the engine cannot start is status 3, with what the engine said" {
	new_project
	step test 01_a.sh <<<'true'
	# Stands in for an engine that fails before the shell runs, as podman does
	# when its runtime refuses the container.
	mkdir "$BATS_TEST_TMPDIR/bin"
	printf '#!/bin/sh\necho "runtime: cannot create the container" >&2\nexit 125\n' \
		>"$BATS_TEST_TMPDIR/bin/bash"
	chmod +x "$BATS_TEST_TMPDIR/bin/bash"
	PATH="$BATS_TEST_TMPDIR/bin:$PATH" run "$CIBOX" run --engine host
	assert_status 3
	assert_line_matching "runtime: cannot create the container"
	assert_line_matching "^cibox: run: engine host could not start the run's shell \(exit status 125\); what it said is above and in .*/01_.*\.log$"
}

# --- bad input: one clear line, exit 2 ---

@test "an unknown stage names the stages there are" {
	use_fixture basic
	run "$CIBOX" run nosuch
	assert_status 2
	assert_one_line
	assert_line_matching "^cibox: no stage 'nosuch' in ci \(stages: lint, test\)$"
}

@test "a stage without steps" {
	new_project
	mkdir -p ci/empty
	echo 'export A=1' >ci/empty/00_setup_env.sh
	run "$CIBOX" run empty
	assert_status 2
	assert_one_line
	assert_line_matching '^cibox: ci/empty: no steps'
}

@test "a step that cannot be read" {
	new_project
	step test 01_ok.sh <<<'echo should not run'
	ln -s nowhere ci/test/02_dangling.sh
	run "$CIBOX" run
	assert_status 2
	assert_one_line
	assert_line_matching '^cibox: ci/test/02_dangling.sh: No such file or directory$'
	if [ "$(id -u)" -ne 0 ]; then
		rm ci/test/02_dangling.sh
		step test 02_secret.sh <<<'true'
		chmod 000 ci/test/02_secret.sh
		run "$CIBOX" run
		assert_status 2
		assert_one_line
		assert_line_matching '^cibox: ci/test/02_secret.sh: Permission denied$'
	fi
}

@test "an unreadable ci folder" {
	[ "$(id -u)" -ne 0 ] || skip "root reads any folder; the unprivileged pass covers this"
	new_project
	step test 01_ok.sh <<<'true'
	chmod 000 ci
	run "$CIBOX" run
	chmod 755 ci
	assert_status 2
	assert_one_line
	assert_line_matching 'ci: Permission denied$'
}

@test "no ci folder here or above" {
	cd "$BATS_TEST_TMPDIR"
	run "$CIBOX" run
	assert_status 2
	assert_one_line
	assert_line_matching '^cibox: no ci/ folder in '
}

@test "--set without '=' and other bad arguments" {
	use_fixture basic
	run "$CIBOX" run --set FOO
	assert_status 2
	assert_one_line
	assert_line_matching "^cibox: run: --set 'FOO': expected VAR=VALUE"
	run "$CIBOX" run --set '1X=2'
	assert_status 2
	run "$CIBOX" run --env
	assert_status 2
	assert_one_line
	run "$CIBOX" run --bogus
	assert_status 2
	assert_one_line
	run "$CIBOX" run test lint
	assert_status 2
	assert_one_line
	run "$CIBOX" run --engine nosuch
	assert_status 2
	assert_one_line
	assert_line_matching "unknown engine 'nosuch'"
	no_run_folder
}

@test "the demo's default configuration passes" {
	command -v cc >/dev/null || skip "no C compiler"
	cp -r "$CIBOX_TOP/examples/demo" "$BATS_TEST_TMPDIR/demo"
	cd "$BATS_TEST_TMPDIR/demo"
	run "$CIBOX" run
	assert_status 0
	assert_line_matching 'passed'
}

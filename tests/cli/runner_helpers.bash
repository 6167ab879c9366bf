# Set-up shared by the runner's tests (run, configs, lint): a copy of a
# fixture project in the test's own folder, run folders under its own state
# directory, and helpers to write small stages on the spot.
load helpers

setup_runner() {
	export XDG_STATE_HOME="$BATS_TEST_TMPDIR/state"
	export WORKDIR="$BATS_TEST_TMPDIR/work"
	unset FILE_ENV NO_COLOR
	RUNS="$XDG_STATE_HOME/cibox/runs"
}

# Copies tests/fixtures/NAME to $BATS_TEST_TMPDIR/NAME and enters it.
use_fixture() {
	cp -r "$CIBOX_TOP/tests/fixtures/$1" "$BATS_TEST_TMPDIR/$1"
	cd "$BATS_TEST_TMPDIR/$1" || return
}

# A fresh project at $BATS_TEST_TMPDIR/proj; `step STAGE FILE` writes a step
# from standard input.
new_project() {
	mkdir -p "$BATS_TEST_TMPDIR/proj/ci/test"
	cd "$BATS_TEST_TMPDIR/proj" || return
}

step() {
	mkdir -p "ci/$1"
	cat >"ci/$1/$2"
}

# The only run folder, for tests that make one run.
run_dir() {
	local dirs=("$RUNS"/*)
	[ ${#dirs[@]} -eq 1 ] || { echo "expected one run folder, got: ${dirs[*]}" >&2; return 1; }
	echo "${dirs[0]}"
}

no_run_folder() {
	[ -z "$(ls -A "$RUNS" 2>/dev/null)" ]
}

# Starts `cibox run ARGS...` on a step that sleeps in two processes, kills
# cibox with SIGKILL once both sleep, and checks that both end within 15 s.
kill_cibox_mid_step() {
	local marker=$((RANDOM + 100000)) pid
	step test 01_wait.sh <<<"sleep $marker.5 & sleep $marker.25"
	"$CIBOX" run -q "$@" >"$BATS_TEST_TMPDIR/killed-run.out" 2>&1 &
	pid=$!
	for _ in $(seq 100); do pgrep -f "sleep $marker.25" >/dev/null && break; sleep 0.1; done
	pgrep -f "sleep $marker.5" >/dev/null
	kill -KILL "$pid"
	wait "$pid" || true
	for _ in $(seq 150); do pgrep -f "sleep $marker" >/dev/null || break; sleep 0.1; done
	run pgrep -f "sleep $marker"
	assert_status 1
}

# Starts `cibox run ARGS...`, sends it SIGINT once a step has printed
# "waiting", and leaves its exit status in $status and what it printed in
# $output.
# shellcheck disable=SC2034 # status and output, as bats's run sets them, for the test
interrupt_run() {
	"$CIBOX" run "$@" >"$BATS_TEST_TMPDIR/out" 2>&1 &
	local pid=$!
	for _ in $(seq 100); do
		grep -q waiting "$BATS_TEST_TMPDIR/out" 2>/dev/null && break
		sleep 0.05
	done
	kill -INT "$pid"
	status=0
	wait "$pid" || status=$?
	output=$(cat "$BATS_TEST_TMPDIR/out")
}

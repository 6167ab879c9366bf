#!/bin/bash
# Runner overhead, side by side in one run:
#  1. a stage of 10 trivial steps: `cibox run --engine host` against the same
#     files sourced in order by one plain bash script (what a test_run_all.sh
#     does), alternated round by round; the ratio of the medians (target <= 1.3);
#  2. the cost of carrying state between steps: the same 10 steps after a first
#     step that defines 1,000 variables and 100 functions, against the same
#     stage without them; the difference per step (target < 5 ms).
#
#   bench/bench_runner.sh BUILD [ROUNDS]
set -eu
build=$(cd "${1:?usage: bench/bench_runner.sh BUILD [ROUNDS]}" && pwd)
rounds=${2:-15}
cibox=$build/cibox
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_STATE_HOME=$work/state
# shellcheck source=bench/clock.sh
. "$(dirname "$0")/clock.sh"

make_stage() { # dir, with-state (0|1)
	mkdir -p "$1/ci/test"
	if [ "$2" = 1 ]; then
		{
			for i in $(seq 1 1000); do
				if [ $((i % 2)) = 0 ]; then echo "export VAR_$i='value $i with spaces'"; else echo "VAR_$i=$i"; fi
			done
			for i in $(seq 1 100); do echo "fn_$i() { echo \"function $i: \$1\"; }"; done
		} >"$1/ci/test/01_state.sh"
	else
		echo ': no state' >"$1/ci/test/01_state.sh"
	fi
	for i in $(seq 2 9); do echo "echo step $i >/dev/null" >"$1/ci/test/0${i}_step.sh"; done
	echo 'echo step 10 >/dev/null' >"$1/ci/test/09_zlast.sh"
	# The baseline: one bash sourcing every step in order, as test_run_all.sh does.
	{
		echo 'set -eo pipefail'
		for f in "$1"/ci/test/0*.sh; do echo "source '$f' >>'$1/plain.log' 2>&1"; done
	} >"$1/run_all.sh"
}

calc() { awk "BEGIN { print $1 }"; }

make_stage "$work/light" 0
make_stage "$work/heavy" 1
cd "$work/light"
"$cibox" run -q --engine host >/dev/null # warm the page cache
declare -a t_bash t_cibox t_heavy
for _ in $(seq "$rounds"); do
	cd "$work/light"
	time_into t_bash bash "$work/light/run_all.sh" >/dev/null 2>&1
	time_into t_cibox "$cibox" run -q --engine host >/dev/null 2>&1
	cd "$work/heavy"
	time_into t_heavy "$cibox" run -q --engine host >/dev/null 2>&1
done
bash_us=$(printf '%s\n' "${t_bash[@]}" | median)
cibox_us=$(printf '%s\n' "${t_cibox[@]}" | median)
heavy_us=$(printf '%s\n' "${t_heavy[@]}" | median)

echo "10 trivial steps, median of $rounds alternated rounds"
printf '  plain bash sourcing the steps    %8.1f ms  (baseline)\n' "$(calc "$bash_us / 1000")"
printf '  cibox run --engine host           %8.1f ms  ratio %.2f (target <= 1.3)\n' \
	"$(calc "$cibox_us / 1000")" "$(calc "$cibox_us / $bash_us")"
printf '  cibox per step, over the baseline %8.2f ms\n' "$(calc "($cibox_us - $bash_us) / 10000")"
echo "state carried between steps: 1,000 variables and 100 functions"
printf '  cibox run with that state         %8.1f ms  ratio %.2f to the same run without it\n' \
	"$(calc "$heavy_us / 1000")" "$(calc "$heavy_us / $cibox_us")"
printf '  carrying it costs per step        %8.2f ms  (target < 5 ms)\n' \
	"$(calc "($heavy_us - $cibox_us) / 10000")"

#!/bin/bash
# cibox run --all: every configuration at once against one at a time, side by
# side, alternating runs, medians compared:
#  1. four configurations whose three steps mostly wait (sleep 0.3 s each):
#     -j4 against -j1; the ideal is 1/4 (target <= 0.35);
#  2. the demo's real builds (examples/demo, stage test: gcc, clang, asan, each
#     a make -j2 and its tests): -j3 and -jCPUS against -j1. They are
#     CPU-bound, so on a machine of few cores the gain is what one build
#     leaves idle (linking, the tests, the steps' starts).
#
#   bench/bench_all.sh BUILD
set -eu
build=$(cd "${1:?usage: bench/bench_all.sh BUILD}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
rounds=${ROUNDS:-5}
demo_rounds=${DEMO_ROUNDS:-3}
cibox=$build/cibox
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_STATE_HOME=$work/state XDG_CACHE_HOME=$work/cache
# shellcheck source=bench/clock.sh
. "$here/clock.sh"

calc() { awk "BEGIN { print $1 }"; }

mkdir -p "$work/wait/ci/test"
for n in a b c d; do echo "export NAME=$n" >"$work/wait/ci/test/00_setup_env_$n.sh"; done
for s in 01 02 03; do echo 'sleep 0.3' >"$work/wait/ci/test/${s}_wait.sh"; done
cd "$work/wait"
"$cibox" run --all -q -j4 >/dev/null # warm the page cache
declare -a t1 t4
for _ in $(seq "$rounds"); do
	time_into t1 "$cibox" run --all -q -j1 >/dev/null
	time_into t4 "$cibox" run --all -q -j4 >/dev/null
done
one=$(printf '%s\n' "${t1[@]}" | median)
four=$(printf '%s\n' "${t4[@]}" | median)
echo "4 configurations of 3 waiting steps, median of $rounds alternated rounds"
printf '  --all -j4 / --all -j1    %5.2f  (ideal 0.25, target <= 0.35)\n' "$(calc "$four / $one")"

cpus=$(nproc)
if ! command -v clang >/dev/null || ! command -v make >/dev/null; then
	echo "the demo's builds: skipped (clang and make are needed)"
	exit 0
fi
cp -r "$here/../examples/demo" "$work/demo"
cd "$work/demo"
"$cibox" run --all -q -j3 >/dev/null # warm the page cache, and check the builds pass
declare -a d1 d3 dn
for _ in $(seq "$demo_rounds"); do
	time_into d1 "$cibox" run --all -q -j1 >/dev/null
	time_into d3 "$cibox" run --all -q -j3 >/dev/null
	time_into dn "$cibox" run --all -q -j"$cpus" >/dev/null
done
one=$(printf '%s\n' "${d1[@]}" | median)
three=$(printf '%s\n' "${d3[@]}" | median)
n=$(printf '%s\n' "${dn[@]}" | median)
echo "the demo's 3 configurations (real builds), $cpus CPUs, median of $demo_rounds alternated rounds"
printf '  --all -j3 / --all -j1    %5.2f\n' "$(calc "$three / $one")"
printf '  --all -j%s / --all -j1    %5.2f  (the default -j: one per CPU)\n' "$cpus" "$(calc "$n / $one")"

#!/bin/bash
# The rootless engine against the host: a stage of 10 trivial steps run with
# --engine ns and --engine host, alternating (the jail is made once per run,
# so what it adds should not grow with the steps); then a tree of 20,000
# files walked and archived by a step, inside the overlay vs on the host.
set -eu
build=$(cd "${1:?usage: bench_engines.sh BUILD}" && pwd)
rounds=${ROUNDS:-15}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_STATE_HOME=$work/state XDG_CACHE_HOME=$work/cache

# shellcheck source=bench/clock.sh
. "$(dirname "$0")/clock.sh"

mkdir -p "$work/small/ci/test"
for i in 01 02 03 04 05 06 07 08 09; do echo "x$i=1" >"$work/small/ci/test/${i}_step.sh"; done
echo 'true' >"$work/small/ci/test/09_z_last.sh"
cd "$work/small"
declare -a ns host
for ((i = 0; i < rounds; i++)); do
	time_into ns "$build/cibox" run -q --engine ns >/dev/null
	time_into host "$build/cibox" run -q --engine host >/dev/null
done
n=$(printf '%s\n' "${ns[@]}" | median)
h=$(printf '%s\n' "${host[@]}" | median)
echo "a stage of 10 trivial steps, $rounds alternating runs each, medians compared"
awk -v n="$n" -v h="$h" 'BEGIN {
	printf "ns / host                  %5.2f\n", n / h
	printf "added by the jail per run  %5.1f ms   (target <= 10 ms, not per step)\n", (n - h) / 1e3
}'

mkdir -p "$work/big/ci/test" "$work/big/src"
(cd "$work/big/src" && for d in $(seq 1 200); do mkdir "d$d"; for f in $(seq 1 100); do echo "$d $f" >"d$d/f$f.c"; done; done)
# shellcheck disable=SC2016 # the step's text: its shell expands it
printf 'find src -type f | wc -l >/dev/null\ntar cf "$CIBOX_RUN_DIR/src.tar" src\n' >"$work/big/ci/test/01_walk.sh"
cd "$work/big"
declare -a bns bhost
for ((i = 0; i < 5; i++)); do
	time_into bns "$build/cibox" run -q --engine ns >/dev/null
	time_into bhost "$build/cibox" run -q --engine host >/dev/null
done
n=$(printf '%s\n' "${bns[@]}" | median)
h=$(printf '%s\n' "${bhost[@]}" | median)
echo "a tree of 20,000 files walked and archived by a step, 5 alternating runs each"
awk -v n="$n" -v h="$h" 'BEGIN { printf "overlay (ns) / host        %5.2f\n", n / h }'

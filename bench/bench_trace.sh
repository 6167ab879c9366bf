#!/bin/bash
# What learning a policy costs: building the demo project from clean with
# `make -j2`, traced by `cibox trace` and untraced, alternating; medians of
# the wall times compared. strace-style tracing stops on every call and costs
# several times the build; cibox stops only on calls outside @default.
set -eu
build=$(cd "${1:?usage: bench_trace.sh BUILD}" && pwd)
here=$(cd "$(dirname "$0")/.." && pwd)
rounds=${ROUNDS:-9}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -a "$here/examples/demo" "$work/demo"

# shellcheck source=bench/clock.sh
. "$(dirname "$0")/clock.sh"
build_demo() { rm -rf "$work/out" && "$@" make -s -j2 -C "$work/demo" O="$work/out" >/dev/null; }

build_demo env # warm the page cache and the compiler
declare -a plain traced
for ((i = 0; i < rounds; i++)); do
	time_into plain build_demo env
	time_into traced build_demo "$build/cibox" trace -o "$work/learned.policy" --
done
p=$(printf '%s\n' "${plain[@]}" | median)
t=$(printf '%s\n' "${traced[@]}" | median)
entries=$(grep -vc '^#' "$work/learned.policy")
echo "$rounds alternating clean builds of examples/demo (make -j2), medians compared"
awk -v p="$p" -v t="$t" 'BEGIN { printf "traced / untraced   %5.2f   (target <= 1.30)\n", t / p }'
echo "learned policy: $entries entries"

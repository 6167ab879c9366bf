#!/bin/bash
# What the syscall sandbox costs: under `cibox sandbox` (the default policy,
# log-and-abort) and without it, alternating, medians of the wall times
# compared: building the demo from clean with `make -j2`, and a shell starting
# /bin/true 300 times (the worst case, a program per few hundred calls).
# Calls the policy allows never leave the kernel, execve included: only the
# command's own start and refused calls reach the supervisor.
set -eu
build=$(cd "${1:?usage: bench_sandbox.sh BUILD}" && pwd)
here=$(cd "$(dirname "$0")/.." && pwd)
rounds=${ROUNDS:-15}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -a "$here/examples/demo" "$work/demo"
export XDG_CACHE_HOME=$work/cache

# shellcheck source=bench/clock.sh
. "$(dirname "$0")/clock.sh"
build_demo() { rm -rf "$work/out" && "$@" make -s -j2 -C "$work/demo" O="$work/out" >/dev/null; }

build_demo env # warm the page cache and the compiler
build_demo "$build/cibox" sandbox -- # and the filter cache
declare -a plain boxed
for ((i = 0; i < rounds; i++)); do
	time_into plain build_demo env
	time_into boxed build_demo "$build/cibox" sandbox --
done
p=$(printf '%s\n' "${plain[@]}" | median)
b=$(printf '%s\n' "${boxed[@]}" | median)
echo "$rounds alternating runs each, medians compared"
awk -v p="$p" -v b="$b" 'BEGIN { printf "clean build of examples/demo, sandboxed / plain   %5.2f\n", b / p }'

# shellcheck disable=SC2016 # the loop a shell started by the benchmark runs
execs='for i in $(seq 300); do /bin/true; done'
declare -a plain_x boxed_x
for ((i = 0; i < rounds; i++)); do
	time_into plain_x sh -c "$execs"
	time_into boxed_x "$build/cibox" sandbox -- sh -c "$execs"
done
p=$(printf '%s\n' "${plain_x[@]}" | median)
b=$(printf '%s\n' "${boxed_x[@]}" | median)
awk -v p="$p" -v b="$b" 'BEGIN { printf "300 starts of /bin/true, sandboxed / plain       %5.2f\n", b / p }'

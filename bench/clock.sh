# shellcheck shell=bash
# Sourced by the benchmark scripts. The time is read from bash itself: a timer
# that starts a process (date, or a $(...) subshell) would add that process's
# own start-up to every measurement and pull every ratio towards 1.

# Microseconds since the epoch, in REPLY.
clock_us() {
	local t=$EPOCHREALTIME
	REPLY=${t/./}
}

# Runs a command and appends its wall time in microseconds to the array named
# by the first argument: time_into NAME command [arg...]
time_into() {
	local -n into=$1
	shift
	local start
	clock_us
	start=$REPLY
	"$@"
	clock_us
	into+=($((REPLY - start)))
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

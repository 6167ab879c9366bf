# Shared set-up for the command-line tests. CIBOX_BUILD and CIBOX_TOP are set
# by tests/run (they point at copies when the suite runs unprivileged).
: "${CIBOX_BUILD:=$BATS_TEST_DIRNAME/../../build}"
: "${CIBOX_TOP:=$BATS_TEST_DIRNAME/../..}"
# shellcheck disable=SC2034 # CIBOX and HELPERS are for the .bats files that load this one
CIBOX="$CIBOX_BUILD/cibox"
# shellcheck disable=SC2034
HELPERS="$CIBOX_BUILD/helpers"

# `run` then check: the status and that the output has a line matching a pattern.
# shellcheck disable=SC2154 # bats's run sets status and output
assert_status() {
	if [ "$status" -ne "$1" ]; then
		echo "expected status $1, got $status; output:" >&2
		printf '%s\n' "$output" >&2
		return 1
	fi
}

assert_line_matching() {
	if ! grep -qE -- "$1" <<<"$output"; then
		echo "no line matches /$1/ in:" >&2
		printf '%s\n' "$output" >&2
		return 1
	fi
}

refute_line_matching() {
	if grep -qE -- "$1" <<<"$output"; then
		echo "a line matches /$1/ in:" >&2
		printf '%s\n' "$output" >&2
		return 1
	fi
}

# Exactly one non-empty line of output (the "one clear line" rule).
assert_one_line() {
	local n
	n=$(grep -c . <<<"$output")
	if [ "$n" -ne 1 ]; then
		echo "expected one line, got $n:" >&2
		printf '%s\n' "$output" >&2
		return 1
	fi
}

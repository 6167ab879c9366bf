#!/usr/bin/env bats
# libcibox in the builds projects test with: each sanitizer's runtime does
# its work through the sandbox, a violation is still the sandbox's, and
# valgrind, which has no seccomp, gets a line saying so. cibox sandbox and
# cibox trace around a sanitizer build and around valgrind.
load helpers

LIB_SOURCES=("$CIBOX_TOP"/src/sandbox/*.c "$CIBOX_TOP"/src/util/*.c)

# sanitizer_build CC SANITIZER OUT SOURCE... [LIBS]: the library built with
# the program, as a project's sanitizer configuration builds it. Skips,
# naming what is missing, where this machine cannot build it.
sanitizer_build() {
	local cc=$1 san=$2 out=$3
	shift 3
	command -v "$cc" >/dev/null || skip "$cc is not installed"
	echo 'int main(void){return 0;}' >"$BATS_TEST_TMPDIR/probe.c"
	"$cc" -fsanitize="$san" -o "$BATS_TEST_TMPDIR/probe" "$BATS_TEST_TMPDIR/probe.c" 2>/dev/null ||
		skip "$cc has no $san sanitizer runtime here"
	"$cc" -std=c11 -g -O1 -fno-omit-frame-pointer -fsanitize="$san" -I"$CIBOX_TOP/include" \
		-I"$CIBOX_TOP/src" -D_GNU_SOURCE -o "$BATS_TEST_TMPDIR/$out" "$@" "${LIB_SOURCES[@]}" \
		-lseccomp -lpthread
}

# check_runtime CC SANITIZER NAME FAULT REPORT STATUS: the planted program and
# the daemon example, built with the sanitizer, run with its default options.
check_runtime() {
	local cc=$1 san=$2 name=$3 fault=$4 report=$5 fault_status=$6
	unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS TSAN_OPTIONS MSAN_OPTIONS
	sanitizer_build "$cc" "$san" planted "$CIBOX_TOP/tests/fixtures/sanitizers/planted.c"
	sanitizer_build "$cc" "$san" daemon "$CIBOX_TOP/examples/daemon.c"

	run "$BATS_TEST_TMPDIR/planted"
	assert_status 0
	assert_line_matching "^Syscall sandbox set up in mode log-and-abort, every thread allowed @sanitizer for the runtime of .*$name"
	assert_line_matching '^planted: none done$'
	run "$BATS_TEST_TMPDIR/daemon"
	assert_status 0
	assert_line_matching '^daemon: all threads finished$'

	# The sanitizer's check, intact, from a thread restricted to @default.
	run "$BATS_TEST_TMPDIR/planted" "$fault"
	assert_status "$fault_status"
	assert_line_matching "$report"
	refute_line_matching 'not allowed by the syscall sandbox'

	# A violation of the program's own is still the sandbox's.
	for prog in planted daemon; do
		run "$BATS_TEST_TMPDIR/$prog" --violate
		[ "$prog" = daemon ] || run "$BATS_TEST_TMPDIR/$prog" violate
		assert_status 134
		assert_line_matching "^ERROR: The syscall \"uselib\" \\(syscall number [0-9]+\\) is not allowed by the syscall sandbox in thread \"(worker|msghand)\". Please report.$"
	done
}

@test "AddressSanitizer: a leak at exit and a heap overflow are reported through the sandbox" {
	check_runtime cc address AddressSanitizer leak 'ERROR: LeakSanitizer: detected memory leaks' 1
	run "$BATS_TEST_TMPDIR/planted" overflow
	assert_status 1
	assert_line_matching 'ERROR: AddressSanitizer: heap-buffer-overflow'
	run "$BATS_TEST_TMPDIR/daemon" --leak
	assert_status 1
	assert_line_matching 'Direct leak of 64 byte\(s\) in 1 object\(s\)'
	assert_line_matching 'in msghand_main .*daemon.c'
}

@test "AddressSanitizer built by clang: reports symbolized by its llvm-symbolizer, started at set-up" {
	command -v llvm-symbolizer >/dev/null || skip "llvm-symbolizer is not installed"
	check_runtime clang address AddressSanitizer overflow 'ERROR: AddressSanitizer: heap-buffer-overflow' 1
	run "$BATS_TEST_TMPDIR/planted" overflow
	assert_line_matching 'in worker .*planted.c:[0-9]+'
}

@test "LeakSanitizer alone: the leak check at exit stops the world through the sandbox" {
	check_runtime cc leak LeakSanitizer leak 'ERROR: LeakSanitizer: detected memory leaks' 23
}

@test "ThreadSanitizer: a data race between two restricted threads is reported" {
	check_runtime cc thread ThreadSanitizer race 'WARNING: ThreadSanitizer: data race' 66
}

@test "UndefinedBehaviorSanitizer: a signed overflow is reported and the program goes on" {
	check_runtime cc undefined UndefinedBehaviorSanitizer overflow-int 'runtime error: signed integer overflow' 0
	run "$BATS_TEST_TMPDIR/planted" overflow-int
	assert_line_matching '^planted: overflow-int done$'
}

@test "MemorySanitizer (clang): an uninitialised read is reported, libseccomp uninstrumented" {
	check_runtime clang memory MemorySanitizer uninit 'WARNING: MemorySanitizer: use-of-uninitialized-value' 1
}

@test "the library's own tests pass under each sanitizer, with its default options" {
	# cmocka's own summary, whatever format the suite asked for
	unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS TSAN_OPTIONS MSAN_OPTIONS CMOCKA_MESSAGE_OUTPUT
	[ -e /usr/include/cmocka.h ] || skip "cmocka is not installed"
	ran=0
	for build in "cc address,undefined" "cc leak" "cc thread" "clang memory"; do
		# shellcheck disable=SC2086 # the compiler, then the sanitizers
		set -- $build
		command -v "$1" >/dev/null || continue
		"$1" -fsanitize="$2" -o "$BATS_TEST_TMPDIR/probe" -x c - <<<'int main(void){return 0;}' 2>/dev/null || continue
		"$1" -std=c11 -g -O1 -fsanitize="$2" -I"$CIBOX_TOP/include" -I"$CIBOX_TOP/src" -D_GNU_SOURCE \
			-o "$BATS_TEST_TMPDIR/test_thread_sandbox" "$CIBOX_TOP/tests/unit/test_thread_sandbox.c" \
			"${LIB_SOURCES[@]}" -lseccomp -lpthread -lcmocka
		run "$BATS_TEST_TMPDIR/test_thread_sandbox"
		echo "# $1 -fsanitize=$2" >&2
		assert_status 0
		assert_line_matching 'PASSED'
		refute_line_matching 'FAILED'
		ran=$((ran + 1))
	done
	[ "$ran" -gt 0 ] || skip "no compiler here has a sanitizer runtime"
}

@test "under valgrind, set-up names valgrind and the program goes on for valgrind to check" {
	command -v valgrind >/dev/null || skip "valgrind is not installed (Debian's valgrind)"
	unset ASAN_OPTIONS
	cc -std=c11 -g -I"$CIBOX_TOP/include" -I"$CIBOX_TOP/src" -D_GNU_SOURCE \
		-o "$BATS_TEST_TMPDIR/daemon" "$CIBOX_TOP/examples/daemon.c" "${LIB_SOURCES[@]}" -lseccomp -lpthread
	run valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=9 \
		"$BATS_TEST_TMPDIR/daemon" --leak
	assert_status 9
	assert_line_matching '^daemon: the syscall sandbox cannot run under valgrind, which does not implement seccomp; go on without it there, or check the sandbox in a sanitizer build; going on without the sandbox$'
	assert_line_matching 'definitely lost'
	assert_line_matching 'msghand_main \(daemon.c:[0-9]+\)'
	assert_line_matching '^daemon: all threads finished$'
	refute_line_matching 'unhandled'
}

LEAKY='#include <pthread.h>
#include <stdlib.h>
static void *volatile lost;
static void *work(void *arg) { lost = malloc(10); lost = NULL; return arg; }
int main(void) { pthread_t t; pthread_create(&t, NULL, work, NULL); pthread_join(t, NULL); return 0; }'

@test "cibox trace learns an ASan test's policy, @sanitizer in it, and cibox sandbox enforces it" {
	cc -fsanitize=address -o "$BATS_TEST_TMPDIR/probe" -x c - <<<'int main(void){return 0;}' 2>/dev/null ||
		skip "cc has no AddressSanitizer runtime here"
	unset ASAN_OPTIONS
	cc -g -fsanitize=address -o "$BATS_TEST_TMPDIR/leaky" -x c - -lpthread <<<"$LEAKY"
	for args in "" --args; do
		# shellcheck disable=SC2086
		run "$CIBOX" trace $args -o "$BATS_TEST_TMPDIR/asan.policy" -- "$BATS_TEST_TMPDIR/leaky"
		assert_status 1
		assert_line_matching 'ERROR: LeakSanitizer: detected memory leaks'
		run cat "$BATS_TEST_TMPDIR/asan.policy"
		assert_line_matching '^@sanitizer # every member used'
		[ -z "$args" ] || assert_line_matching '^ptrace\(PTRACE_ATTACH\) #'
		run "$CIBOX" sandbox --policy "$BATS_TEST_TMPDIR/asan.policy" -- "$BATS_TEST_TMPDIR/leaky"
		assert_status 1
		assert_line_matching 'ERROR: LeakSanitizer: detected memory leaks'
		refute_line_matching 'not allowed by the syscall sandbox'
	done
	# The built-in policy keeps ptrace out: the runtime's needs are named.
	run "$CIBOX" sandbox -- "$BATS_TEST_TMPDIR/leaky"
	assert_status 159
	assert_line_matching 'The syscall "(prctl|ptrace)" .* is not allowed'
	run "$CIBOX" sandbox --allow '@default,@file-read,@thread,@sanitizer,ptrace,prlimit64(*)' -- "$BATS_TEST_TMPDIR/leaky"
	assert_status 1
	assert_line_matching 'ERROR: LeakSanitizer: detected memory leaks'
}

@test "cibox trace learns the policy of valgrind ./prog and cibox sandbox enforces it" {
	command -v valgrind >/dev/null || skip "valgrind is not installed (Debian's valgrind)"
	cc -g -o "$BATS_TEST_TMPDIR/leaky" -x c - -lpthread <<<"$LEAKY"
	vg=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=9 "$BATS_TEST_TMPDIR/leaky")
	run "$CIBOX" trace -o "$BATS_TEST_TMPDIR/vg.policy" -- "${vg[@]}"
	assert_status 9
	assert_line_matching 'definitely lost'
	run "$CIBOX" sandbox --policy "$BATS_TEST_TMPDIR/vg.policy" -- "${vg[@]}"
	assert_status 9
	assert_line_matching 'definitely lost'
	refute_line_matching 'not allowed by the syscall sandbox'
}

#!/usr/bin/env bats
# shellcheck disable=SC2030,SC2031 # each test runs in a subshell of its own: what it sets is its own
load helpers

@test "make install puts the binary, library, header, pkg-config file and manual under DESTDIR" {
	dest=$BATS_TEST_TMPDIR/dest
	run make -s -C "$CIBOX_TOP" BUILD="$CIBOX_BUILD" PREFIX=/usr DESTDIR="$dest" install
	assert_status 0
	for f in usr/bin/cibox usr/lib/libcibox.a usr/lib/libcibox.so.0 usr/lib/libcibox.so \
		usr/include/cibox/sandbox.h usr/lib/pkgconfig/cibox.pc usr/share/man/man1/cibox.1; do
		[ -e "$dest/$f" ] || { echo "missing $f" >&2; return 1; }
	done
	run "$dest/usr/bin/cibox" --version
	assert_line_matching '^cibox [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "a program builds against the installed library with pkg-config and runs" {
	dest=$BATS_TEST_TMPDIR/dest
	make -s -C "$CIBOX_TOP" BUILD="$CIBOX_BUILD" PREFIX=/usr DESTDIR="$dest" install
	export PKG_CONFIG_PATH=$dest/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest
	run pkg-config --cflags --libs cibox
	assert_status 0
	assert_line_matching "-lcibox"
	# A sanitized library needs its runtime in the program too.
	# shellcheck disable=SC2046,SC2086
	cc ${CIBOX_SANITIZE:-} -o "$BATS_TEST_TMPDIR/daemon" "$CIBOX_TOP/examples/daemon.c" \
		$(pkg-config --cflags --libs cibox)
	LD_LIBRARY_PATH=$dest/usr/lib run "$BATS_TEST_TMPDIR/daemon"
	assert_status 0
	assert_line_matching '^Syscall filter installed for thread "scheduler"$'
}

# The C example of the README's libcibox section, as a reader would copy it.
readme_example() {
	awk '/^### libcibox/ { section = 1 } section && /^```c$/ { on = 1; next }
		on && /^```$/ { exit } on' "$CIBOX_TOP/README.md"
}

@test "the README's libcibox example compiles warning-free as written and runs" {
	dest=$BATS_TEST_TMPDIR/dest
	make -s -C "$CIBOX_TOP" BUILD="$CIBOX_BUILD" PREFIX=/usr DESTDIR="$dest" install
	export PKG_CONFIG_PATH=$dest/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest
	readme_example >"$BATS_TEST_TMPDIR/example.c"
	grep -q cibox_sandbox_setup "$BATS_TEST_TMPDIR/example.c"
	# shellcheck disable=SC2046,SC2086
	run cc ${CIBOX_SANITIZE:-} -std=c11 -Wall -Wextra -Wpedantic -Werror -o "$BATS_TEST_TMPDIR/example" \
		"$BATS_TEST_TMPDIR/example.c" $(pkg-config --cflags --libs cibox)
	assert_status 0
	[ -z "$output" ]
	LD_LIBRARY_PATH=$dest/usr/lib ASAN_OPTIONS=detect_leaks=0 run "$BATS_TEST_TMPDIR/example"
	assert_status 0
	assert_line_matching '^Syscall filter installed for thread "net"$'
}

@test "cc -static with pkg-config --static links libcibox in: the program needs no libcibox.so" {
	[ -z "${CIBOX_SANITIZE:-}" ] || skip "the sanitizers' run-time libraries cannot be linked statically"
	dest=$BATS_TEST_TMPDIR/dest
	make -s -C "$CIBOX_TOP" BUILD="$CIBOX_BUILD" PREFIX=/usr DESTDIR="$dest" install
	export PKG_CONFIG_PATH=$dest/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest
	# shellcheck disable=SC2046
	run cc -static -o "$BATS_TEST_TMPDIR/daemon" "$CIBOX_TOP/examples/daemon.c" \
		$(pkg-config --static --cflags --libs cibox)
	assert_status 0
	run readelf -d "$BATS_TEST_TMPDIR/daemon"
	refute_line_matching 'NEEDED'
	# The library folder is gone: a program that needed it could not start.
	rm -r "$dest"
	run "$BATS_TEST_TMPDIR/daemon"
	assert_status 0
	assert_line_matching '^Syscall filter installed for thread "scheduler"$'
}

@test "installed under a PREFIX of its own, a program finds libcibox.so, and make install says how" {
	prefix=$BATS_TEST_TMPDIR/opt
	run make -s -C "$CIBOX_TOP" BUILD="$CIBOX_BUILD" PREFIX="$prefix" install
	assert_status 0
	assert_line_matching "^cibox: $prefix/lib is not where the dynamic loader looks: .*-Wl,-rpath"
	export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
	# shellcheck disable=SC2046,SC2086
	cc ${CIBOX_SANITIZE:-} -o "$BATS_TEST_TMPDIR/daemon" "$CIBOX_TOP/examples/daemon.c" \
		$(pkg-config --cflags --libs cibox)
	run env -u LD_LIBRARY_PATH ASAN_OPTIONS=detect_leaks=0 "$BATS_TEST_TMPDIR/daemon"
	assert_status 0
	assert_line_matching '^Syscall filter installed for thread "scheduler"$'
	# Under /usr the loader looks by itself: no run path, nothing said.
	run make -s -C "$CIBOX_TOP" BUILD="$CIBOX_BUILD" PREFIX=/usr DESTDIR="$BATS_TEST_TMPDIR/dest" install
	assert_status 0
	[ -z "$output" ]
	run grep -c rpath "$BATS_TEST_TMPDIR/dest/usr/lib/pkgconfig/cibox.pc"
	[ "$output" = 0 ]
}

@test "libcibox.so exports its API alone: every function and object <cibox/sandbox.h> declares" {
	command -v nm >/dev/null || skip "nm (binutils) is not installed"
	local exported declared
	# AddressSanitizer marks each exported object with an __odr_asan.NAME
	# of its own (make check-asan): the sanitizer's, not the API.
	exported=$(nm -D --defined-only "$CIBOX_BUILD/libcibox.so.0" | awk '{ print $3 }' |
		grep -v '^__odr_asan\.' | sort)
	declared=$(grep -oE '^CIBOX_API [^(]*\<cibox_[a-z_]+' "$CIBOX_TOP/include/cibox/sandbox.h" |
		grep -oE 'cibox_[a-z_]+$' | sort)
	[ -n "$declared" ]
	if [ "$exported" != "$declared" ]; then
		diff <(echo "$declared") <(echo "$exported") >&2
		return 1
	fi
}

@test "cibox --help lists the commands and --version names the version" {
	run "$CIBOX" --help
	assert_status 0
	assert_line_matching '^  sandbox '
	assert_line_matching '^  syscalls '
	run "$CIBOX" --version
	assert_status 0
	[ "$output" = "cibox $(sed -n 's/^#define CIBOX_VERSION "\(.*\)"$/\1/p' "$CIBOX_TOP/include/cibox/sandbox.h")" ]
	run "$CIBOX"
	assert_status 2
	run "$CIBOX" frobnicate
	assert_status 2
	assert_one_line
	assert_line_matching "unknown command 'frobnicate'"
}

@test "every command answers --help with its usage and status 0" {
	for cmd in run configs runs retry sandbox syscalls trace policy image cache lint matrix; do
		run "$CIBOX" "$cmd" --help
		assert_status 0
		assert_line_matching "^usage: cibox $cmd"
	done
}

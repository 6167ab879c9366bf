# cibox: GNU Make build. `make help` lists the targets.

PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
LIBDIR   ?= $(PREFIX)/lib
INCDIR   ?= $(PREFIX)/include
MANDIR   ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR  ?=

BUILD    ?= build
CC       ?= cc
VERSION  := $(shell sed -n 's/^\#define CIBOX_VERSION "\(.*\)"/\1/p' include/cibox/sandbox.h)
SONAME   := libcibox.so.0

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS   ?= -O2 -g
CPPFLAGS += -Iinclude -Isrc -D_GNU_SOURCE
ALL_CFLAGS = -std=c11 $(WARN) -fPIC $(CFLAGS) $(SANITIZE)
LDLIBS_SECCOMP := -lseccomp -lpthread

LIB_SRC  := $(sort $(wildcard src/sandbox/*.c src/util/*.c))
CLI_SRC  := $(sort $(wildcard src/cli/*.c src/ci/*.c src/jail/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
# Rules come before `all` below: it stays the default goal all the same.
.DEFAULT_GOAL := all
# libcibox.so exports its API alone (CIBOX_API in <cibox/sandbox.h>).
$(LIB_OBJ): ALL_CFLAGS += -fvisibility=hidden
$(LIB_OBJ): Makefile
# The built-in policy's filter programs, compiled at build time, and the
# steps' shell script.
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/builtin_filters.o $(BUILD)/gen/step_driver.o
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
HELPER_SRC := $(sort $(wildcard tests/helpers/*.c))
HELPER_BIN := $(HELPER_SRC:tests/helpers/%.c=$(BUILD)/helpers/%)
EXAMPLE_BIN := $(BUILD)/examples/daemon
BENCH_BIN := $(BUILD)/bench/syscall_cost

.PHONY: all deps deps-demo deps-check deps-bench deps-lint demo lint check check-asan bench install uninstall clean help tests
all: $(BUILD)/cibox $(BUILD)/libcibox.a $(BUILD)/$(SONAME) $(EXAMPLE_BIN)

help:
	@echo "make            build cibox, libcibox (static and shared) and the example"
	@echo "make demo       install build dependencies if missing, build, run the demo"
	@echo "make check      install build dependencies if missing, build, run every test"
	@echo "make lint       shellcheck, cppcheck, clang-format and the bats tests' own check"
	@echo "make check-asan the test suite under AddressSanitizer and UBSan"
	@echo "make bench      benchmarks, printed as side-by-side ratios"
	@echo "make install    PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)"

# Each target installs only what it needs: the demo the build's packages,
# check the tests' too, bench bubblewrap and clang, lint the checkers.
deps: deps-check
deps-demo deps-check deps-bench deps-lint:
	@scripts/install-deps $(@:deps-%=%)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tools/builtin_filters: tools/builtin_filters.c $(BUILD)/libcibox.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libcibox.a -Wl,-Bstatic -lseccomp -Wl,-Bdynamic -lpthread

$(BUILD)/gen/builtin_filters.c: $(BUILD)/tools/builtin_filters
	@mkdir -p $(dir $@)
	$< >$@.tmp && mv $@.tmp $@

$(BUILD)/gen/builtin_filters.o: $(BUILD)/gen/builtin_filters.c
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

# The script as one C string: its comment lines left out, each other line
# with its backslashes and double quotes escaped.
$(BUILD)/gen/step_driver.c: src/ci/step_driver.bash
	@mkdir -p $(dir $@)
	{ printf '#include "ci/step_driver.h"\n\nconst char step_driver_script[] =\n'; \
	  sed -e '/^[[:space:]]*#/d' -e 's/[\\"]/\\&/g' -e 's/^/\t"/' -e 's/$$/\\n"/' $<; \
	  printf '\t"";\n'; } >$@.tmp && mv $@.tmp $@

$(BUILD)/gen/step_driver.o: $(BUILD)/gen/step_driver.c src/ci/step_driver.h
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libcibox.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/$(SONAME): $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,$(SONAME) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS_SECCOMP)
	ln -sf $(SONAME) $(BUILD)/libcibox.so

# cibox is linked statically, the C library too: the dynamic loader's work was
# a tenth of a jail's start, and the one binary runs inside any image's root.
# (The sanitizers need their run-time libraries loaded: check-asan links
# only libseccomp in.)
CIBOX_LDLIBS ?= -static-pie -lseccomp -lpthread
# nettle: SHA-256 for root layers' keys; jansson: the JSON reports (both
# the command line's only, not libcibox's).
CLI_LDLIBS := -lnettle -ljansson
$(BUILD)/cibox: $(CLI_OBJ) $(BUILD)/libcibox.a
	$(CC) $(ALL_CFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libcibox.a $(CLI_LDLIBS) $(CIBOX_LDLIBS)

$(BUILD)/examples/%: examples/%.c $(BUILD)/libcibox.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libcibox.a $(LDLIBS_SECCOMP)

# The command line's modules but main, so that unit tests can reach them.
$(BUILD)/libcli.a: $(filter-out $(BUILD)/src/cli/main.o,$(CLI_OBJ))
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/tests/test_%: tests/unit/test_%.c $(BUILD)/libcli.a $(BUILD)/libcibox.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -o $@ $< $(BUILD)/libcli.a $(BUILD)/libcibox.a $(CLI_LDLIBS) \
		$(LDLIBS_SECCOMP) -lcmocka

$(BUILD)/helpers/%: tests/helpers/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $< -lpthread

$(BUILD)/bench/%: bench/%.c $(BUILD)/libcibox.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libcibox.a $(LDLIBS_SECCOMP)

tests: all $(UNIT_BIN) $(HELPER_BIN)

demo: deps-demo
	@$(MAKE) --no-print-directory all
	@scripts/demo $(BUILD)

# Lines of the bats tests that cannot fail them (a leading !, an && chain),
# shellcheck over every shell file, cppcheck over src/ and include/, and the
# C files as .clang-format lays them out.
lint: deps-lint
	@scripts/lint-bats
	@scripts/lint-shell
	@scripts/lint-c
	@scripts/lint-format

check: deps-check
	@$(MAKE) --no-print-directory tests
	@tests/run $(BUILD)

ASAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all
check-asan: deps-check
	@$(MAKE) --no-print-directory BUILD=build-asan CFLAGS="-O1 -g -fno-omit-frame-pointer" \
		SANITIZE="$(ASAN_FLAGS)" CIBOX_LDLIBS="-Wl,-Bstatic -lseccomp -Wl,-Bdynamic -lpthread" tests
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
		CIBOX_SANITIZE="$(ASAN_FLAGS)" tests/run build-asan

bench: deps-bench
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	@bench/run $(BUILD)

# The dynamic loader looks in /usr/lib and /usr/local/lib (through
# ld.so.conf) by itself; a program linked against a library elsewhere cannot
# start unless it is told where, so cibox.pc then sets the run path.
SYSTEM_LIBDIRS := /lib /usr/lib /usr/local/lib $(wildcard /usr/lib/*-linux-gnu /lib/*-linux-gnu)
PC_RPATH = $(if $(filter $(SYSTEM_LIBDIRS),$(patsubst %/,%,$(LIBDIR))),, -Wl,-rpath,$${libdir})
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCDIR)/cibox \
		$(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(BUILD)/cibox $(DESTDIR)$(BINDIR)/cibox
	install -m 644 $(BUILD)/libcibox.a $(DESTDIR)$(LIBDIR)/libcibox.a
	install -m 755 $(BUILD)/$(SONAME) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libcibox.so
	install -m 644 include/cibox/sandbox.h $(DESTDIR)$(INCDIR)/cibox/sandbox.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCDIR@|$(INCDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' -e 's|@RPATH@|$(PC_RPATH)|' cibox.pc.in \
	    > $(DESTDIR)$(PKGCONFIGDIR)/cibox.pc
	install -m 644 docs/cibox.1 $(DESTDIR)$(MANDIR)/man1/cibox.1
	@$(if $(PC_RPATH),echo "cibox: $(LIBDIR) is not where the dynamic loader looks: cibox.pc gives" \
		"programs it as their run path (-Wl,-rpath); PKG_CONFIG_PATH=$(PKGCONFIGDIR) finds cibox.pc")
	@# A new library in /usr/local/lib is found once the loader's cache knows it.
	@if [ -z "$(DESTDIR)" ] && [ -z "$(PC_RPATH)" ] && [ "$$(id -u)" = 0 ]; then ldconfig; fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/cibox $(DESTDIR)$(LIBDIR)/libcibox.a \
		$(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libcibox.so \
		$(DESTDIR)$(PKGCONFIGDIR)/cibox.pc $(DESTDIR)$(MANDIR)/man1/cibox.1
	rm -rf $(DESTDIR)$(INCDIR)/cibox

clean:
	rm -rf build build-asan

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

#!/usr/bin/env bats
# The run's root takes writes (installs) where the jail can map the ids that
# needs: root's jail maps every id; a normal user's maps its subuid ranges
# (subids_root.bats) and writes an image of those ids. The writes stay in the
# jail's memory: the host's root and the image on disk never change.
# shellcheck disable=SC2016 # single-quoted scripts are for the step's or child's shell to expand
# shellcheck disable=SC2030,SC2031 # each test runs in a subshell of its own: what it sets is its own
load runner_helpers

setup() {
	setup_runner
	new_project
}

# An image of this machine's bash and a few tools, owned by the caller.
mini_image() {
	"$CIBOX_TOP/tests/helpers/mini-root" "$BATS_TEST_TMPDIR/image"
	echo "export CI_IMAGE=$BATS_TEST_TMPDIR/image" >ci/test/00_setup_env.sh
}

@test "as root: a step installs a package with apt-get from a file: source; the host never changes" {
	[ "$(id -u)" -eq 0 ] || skip "a normal user's writable root needs an image of its ids (subids_root.bats)"
	command -v apt-get >/dev/null || skip "apt-get is not installed"
	"$CIBOX_TOP/tests/helpers/tiny-apt-repo" "$PWD/apt"
	step test 01_install.sh <<-EOF
	apt="-q -o Dir::Etc::SourceList=$PWD/apt/sources.list -o Dir::Etc::SourceParts=/dev/null"
	apt-get \$apt update
	apt-get \$apt install -y cibox-tiny
	cat /usr/share/cibox-tiny/hello
	echo local >/usr/local/cibox-test
	echo conf >/etc/cibox-test.conf
	chown 4242:4242 /etc/cibox-test.conf
	stat -c '%u:%g' /etc/cibox-test.conf
	EOF
	step test 02_after.sh <<<'dpkg -s cibox-tiny | grep ^Status; cat /usr/local/cibox-test'
	run "$CIBOX" run
	assert_status 0
	assert_line_matching '^\[01_install.sh\] hello$'
	assert_line_matching '^\[01_install.sh\] 4242:4242$'
	# The next step sees what the last one installed.
	assert_line_matching '^\[02_after.sh\] Status: install ok installed$'
	assert_line_matching '^\[02_after.sh\] local$'
	[ ! -e /usr/share/cibox-tiny ]
	[ ! -e /usr/local/cibox-test ]
	[ ! -e /etc/cibox-test.conf ]
	run dpkg -s cibox-tiny
	assert_status 1
}

@test "as root: an image's root takes writes and any owner; the image on disk never changes" {
	[ "$(id -u)" -eq 0 ] || skip "root's own map"
	mini_image
	step test 01_write.sh <<<'echo x >/usr/local/x; chown 1000:1000 /usr/local/x; stat -c %u /usr/local/x; rm /bin/ls && echo removed'
	run "$CIBOX" run
	assert_status 0
	assert_line_matching '^\[01_write.sh\] 1000$'
	assert_line_matching '^\[01_write.sh\] removed$'
	[ ! -e "$BATS_TEST_TMPDIR/image/usr/local/x" ]
	[ -e "$BATS_TEST_TMPDIR/image/bin/ls" ]
}

@test "a normal user without subuid ranges: the image stays read-only, one line says how to add them" {
	[ "$(id -u)" -ne 0 ] || skip "root maps every id itself"
	if grep -qE "^($(id -un)|$(id -u)):" /etc/subuid 2>/dev/null; then
		skip "$(id -un) has subuid ranges on this machine"
	fi
	mini_image
	step test 01_write.sh <<<'echo x >/usr/local/x'
	run "$CIBOX" run
	assert_status 1
	assert_line_matching "^cibox: run: the image's root is read-only: $(id -un) has no ranges in /etc/subuid and /etc/subgid; add them with: sudo usermod --add-subuids [0-9]+-[0-9]+ --add-subgids [0-9]+-[0-9]+ $(id -un)$"
	assert_line_matching 'Read-only file system'
	[ "$(grep -c "subuid" <<<"$output")" -eq 1 ]
}

@test "--keep-uid keeps the root read-only" {
	step test 01_write.sh <<<'touch /usr/local/cibox-keep-uid'
	run "$CIBOX" run --keep-uid
	assert_status 1
	assert_line_matching 'Read-only file system'
	[ ! -e /usr/local/cibox-keep-uid ]
}

@test "as root: the demo's packages stage installs what PACKAGES names" {
	[ "$(id -u)" -eq 0 ] || skip "a normal user's writable root needs an image of its ids (subids_root.bats)"
	command -v apt-get >/dev/null || skip "apt-get is not installed"
	cp -r "$CIBOX_TOP/examples/demo" "$BATS_TEST_TMPDIR/demo"
	cd "$BATS_TEST_TMPDIR/demo"
	# Debian's archive is not for tests: the same stage, from a file: source.
	"$CIBOX_TOP/tests/helpers/tiny-apt-repo" "$PWD/apt"
	run "$CIBOX" run packages --set PACKAGES=cibox-tiny \
		--set APT_OPTIONS="-o Dir::Etc::SourceList=$PWD/apt/sources.list -o Dir::Etc::SourceParts=/dev/null"
	assert_status 0
	assert_line_matching '^\[06_script.sh\] cibox-tiny 1.0 install ok installed$'
	run dpkg -s cibox-tiny
	assert_status 1
}

# --- root layers: the install steps' changes kept for the next run ---

# An install step that says whether the package was there before it ran.
install_stage() {
	"$CIBOX_TOP/tests/helpers/tiny-apt-repo" "$PWD/apt"
	step test 04_install.sh <<-EOF
	apt="-q -o Dir::Etc::SourceList=$PWD/apt/sources.list -o Dir::Etc::SourceParts=/dev/null"
	if dpkg -s cibox-tiny >/dev/null 2>&1; then echo "there before"; fi
	apt-get \$apt update >/dev/null
	apt-get \$apt install -y cibox-tiny | grep -E 'newly installed'
	EOF
	step test 06_use.sh <<<'cat /usr/share/cibox-tiny/hello; touch /usr/local/after-install'
}

layers() {
	ls -A "$XDG_CACHE_HOME/cibox/layers/"* 2>/dev/null
}

@test "as root: the install steps' changes are a layer the next run starts from; a changed step starts fresh" {
	[ "$(id -u)" -eq 0 ] || skip "a normal user's layers: subids_root.bats"
	command -v apt-get >/dev/null || skip "apt-get is not installed"
	export XDG_CACHE_HOME="$BATS_TEST_TMPDIR/cache"
	install_stage
	run "$CIBOX" run
	assert_status 0
	assert_line_matching '^cibox: the root.s changes will be kept as a layer after 04_install.sh$'
	assert_line_matching '^\[04_install.sh\] 0 upgraded, 1 newly installed'
	assert_line_matching '^cibox: kept the root.s changes after 04_install.sh as a layer \([0-9.]+ MiB\)$'
	[ "$(layers | wc -l)" -eq 1 ]
	# Layers keep setuid files of root's: no one else may reach them.
	[ "$(stat -c %a "$XDG_CACHE_HOME/cibox/layers")" = 700 ]
	run "$CIBOX" run
	assert_status 0
	assert_line_matching '^cibox: root layer .* \(what the install steps left last time\)$'
	assert_line_matching '^\[04_install.sh\] there before$'
	assert_line_matching '^\[04_install.sh\] 0 upgraded, 0 newly installed'
	# What a later step wrote is no part of it.
	run "$CIBOX" run
	refute_line_matching 'kept the root'
	[ ! -e /usr/share/cibox-tiny ]
	echo '# changed' >>ci/test/04_install.sh
	run "$CIBOX" run
	assert_status 0
	refute_line_matching 'there before'
	assert_line_matching 'kept the root.s changes after 04_install.sh'
	[ "$(layers | wc -l)" -eq 2 ]
	run "$CIBOX" cache ls
	assert_status 0
	[ "$(grep -c '(root layer)' <<<"$output")" -eq 2 ]
	run "$CIBOX" cache clear
	assert_status 0
	[ -z "$(layers)" ]
}

@test "as root: a step's own writes after the install steps are not in the layer" {
	[ "$(id -u)" -eq 0 ] || skip "a normal user's layers: subids_root.bats"
	export XDG_CACHE_HOME="$BATS_TEST_TMPDIR/cache"
	step test 01_install.sh <<<'echo installed >/usr/local/in-layer'
	step test 02_build.sh <<<'ls /usr/local/after 2>/dev/null && echo "after is there"; echo x >/usr/local/after'
	run "$CIBOX" run
	assert_status 0
	run "$CIBOX" run
	assert_status 0
	refute_line_matching 'after is there'
	local kept
	kept=$(echo "$XDG_CACHE_HOME/cibox/layers/"*/*/root)
	[ -e "$kept/usr/local/in-layer" ]
	[ ! -e "$kept/usr/local/after" ]
}

@test "as root: two runs at once keep one whole layer, nothing half-written beside it" {
	[ "$(id -u)" -eq 0 ] || skip "a normal user's layers: subids_root.bats"
	export XDG_CACHE_HOME="$BATS_TEST_TMPDIR/cache"
	step test 01_install.sh <<<'mkdir -p /opt/tool; seq 1 2000 | while read -r n; do echo "$n" >"/opt/tool/$n"; done'
	"$CIBOX" run >"$BATS_TEST_TMPDIR/a" 2>&1 &
	local a=$!
	"$CIBOX" run >"$BATS_TEST_TMPDIR/b" 2>&1 &
	local b=$!
	wait "$a"
	wait "$b"
	local dir
	dir=$(echo "$XDG_CACHE_HOME/cibox/layers/"*)
	# shellcheck disable=SC2012 # counting names cibox and seq made: no newline in them
	[ "$(ls -A "$dir" | wc -l)" -eq 1 ]
	# shellcheck disable=SC2012
	[ "$(ls "$dir"/*/root/opt/tool | wc -l)" -eq 2000 ]
	run "$CIBOX" run
	assert_line_matching '^cibox: root layer '
}

@test "CI_ROOT_LAYER_AFTER names the last install step; a name no step has is one line, status 2" {
	[ "$(id -u)" -eq 0 ] || skip "root's writable root"
	export XDG_CACHE_HOME="$BATS_TEST_TMPDIR/cache"
	step test 01_setup.sh <<<'true'
	step test 02_deps.sh <<<'true'
	echo 'export CI_ROOT_LAYER_AFTER=02_deps.sh' >ci/test/00_setup_env.sh
	run "$CIBOX" run
	assert_status 0
	assert_line_matching 'kept as a layer after 02_deps.sh$'
	echo 'export CI_ROOT_LAYER_AFTER=09_nothing.sh' >ci/test/00_setup_env.sh
	run "$CIBOX" run
	assert_status 2
	assert_line_matching '^cibox: run: CI_ROOT_LAYER_AFTER: no step 09_nothing.sh in ci/test$'
	echo 'export CI_ROOT_LAYER_AFTER=none' >ci/test/00_setup_env.sh
	step test 03_install.sh <<<'true'
	run "$CIBOX" run
	assert_status 0
	refute_line_matching 'layer'
}

@test "as root: a file the install steps leave a process writing is kept as it was, and the run ends" {
	[ "$(id -u)" -eq 0 ] || skip "root's writable root"
	export XDG_CACHE_HOME="$BATS_TEST_TMPDIR/cache"
	step test 01_install.sh <<-'EOF'
	mkdir -p /opt/grow
	( while :; do echo xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx >>/opt/grow/log; done ) &
	mkfifo /opt/grow/fifo
	sleep 0.2
	EOF
	step test 02_next.sh <<<'echo next'
	run timeout 120 "$CIBOX" run
	assert_status 0
	assert_line_matching 'kept the root.s changes after 01_install.sh'
	assert_line_matching '^\[02_next.sh\] next$'
	local kept
	kept=$(echo "$XDG_CACHE_HOME/cibox/layers/"*/*/root/opt/grow)
	[ -s "$kept/log" ]
	[ -p "$kept/fifo" ]
}

@test "as root: a link a step leaves in a layer cannot make the next run write the host's disk" {
	[ "$(id -u)" -eq 0 ] || skip "root's writable root"
	export XDG_CACHE_HOME="$BATS_TEST_TMPDIR/cache"
	mkdir "$BATS_TEST_TMPDIR/hostmark"
	echo 'export CCACHE_DIR=/usr/local/cibox-attack/ccache' >ci/test/00_setup_env.sh
	# The cache's mount point's parent swapped for a link into the host's
	# root as the jail's set-up sees it (/oldroot), kept in the layer.
	step test 01_install.sh <<-EOF
	if [ ! -L /usr/local/cibox-attack ]; then
		mv /usr/local/cibox-attack /usr/local/cibox-attack.old
		ln -sfn /oldroot$BATS_TEST_TMPDIR/hostmark /usr/local/cibox-attack
	fi
	EOF
	run "$CIBOX" run
	assert_status 0
	assert_line_matching 'kept the root.s changes after 01_install.sh'
	run "$CIBOX" run
	assert_status 2
	assert_line_matching "cannot mount on /usr/local/cibox-attack/ccache: a link on the way leads to nothing in the jail's root"
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/hostmark")" ]
	run "$CIBOX" cache clear
	run "$CIBOX" run
	assert_status 0
}

@test "as root: a sparse file keeps its holes in the layer" {
	[ "$(id -u)" -eq 0 ] || skip "root's writable root"
	export XDG_CACHE_HOME="$BATS_TEST_TMPDIR/cache"
	step test 01_install.sh <<<'truncate -s 4G /usr/local/sparse; echo data >>/usr/local/sparse'
	run timeout 60 "$CIBOX" run
	assert_status 0
	local kept
	kept=$(echo "$XDG_CACHE_HOME/cibox/layers/"*/*/root/usr/local/sparse)
	[ "$(stat -c %s "$kept")" -eq $((4 * 1024 * 1024 * 1024 + 5)) ]
	[ "$(du -k "$kept" | cut -f1)" -lt 1024 ]
	[ "$(tail -c 5 "$kept")" = data ]
}

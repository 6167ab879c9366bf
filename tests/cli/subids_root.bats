#!/usr/bin/env bats
# A normal user with subuid and subgid ranges: cibox maps them through
# newuidmap and newgidmap, so an image of the user's ids takes writes, owners
# and all. The ranges are given in a mount namespace of the test's own
# (/etc/subuid and /etc/subgid bound over), so the machine's files never
# change; the user is nobody, from copies it can reach.
# shellcheck disable=SC2016 # single-quoted scripts are for the step's or child's shell to expand
load helpers

setup() {
	if ! command -v newuidmap >/dev/null || ! command -v newgidmap >/dev/null; then
		skip "newuidmap and newgidmap are missing (Debian's uidmap)"
	fi
	area=$(mktemp -d /tmp/cibox-subids.XXXXXX)
	chmod 755 "$area"
	cp "$CIBOX" "$area/cibox"
	"$CIBOX_TOP/tests/helpers/mini-root" "$area/image"
	mkdir -p "$area/proj/ci/test" "$area/home"
	echo "export CI_IMAGE=$area/image" >"$area/proj/ci/test/00_setup_env.sh"
	cat >"$area/proj/ci/test/01_system.sh" <<-'EOF'
	echo x >/usr/local/x
	chown 1000:1000 /usr/local/x
	stat -c %u:%g /usr/local/x
	cat /proc/self/uid_map | tr -s ' ' | sed 's/^ //'
	EOF
	chown -R nobody:nogroup "$area/image" "$area/proj" "$area/home"
	echo "nobody:200000:65536" >"$area/subuid"
	echo "nobody:300000:65536" >"$area/subgid"
}

teardown() {
	[ -z "${area:-}" ] || rm -rf "$area"
}

# cibox run as nobody, with the ranges the files in $area give.
run_as_nobody() {
	run unshare -m sh -c '
		mount --bind "$1/subuid" /etc/subuid && mount --bind "$1/subgid" /etc/subgid || exit 99
		cd "$1/proj" &&
		exec setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
			env -i PATH=/usr/bin:/bin HOME="$1/home" "$1/cibox" run' sh "$area"
	[ "$status" -ne 99 ] || skip "cannot bind over /etc/subuid here"
}

@test "with ranges, an image of the user's ids takes writes and other owners; the image never changes" {
	if [ ! -e /etc/subuid ] || [ ! -e /etc/subgid ]; then
		skip "no /etc/subuid and /etc/subgid to bind over"
	fi
	run_as_nobody
	assert_status 0
	assert_line_matching '^\[01_system.sh\] 1000:1000$'
	assert_line_matching "^\[01_system.sh\] 0 0 1$"
	assert_line_matching "^\[01_system.sh\] 1 1 65536$"
	refute_line_matching 'read-only'
	[ ! -e "$area/image/usr/local/x" ]
}

@test "a range in /etc/subuid without one in /etc/subgid: read-only, and the line says how to add both" {
	if [ ! -e /etc/subuid ] || [ ! -e /etc/subgid ]; then
		skip "no /etc/subuid and /etc/subgid to bind over"
	fi
	: >"$area/subgid"
	run_as_nobody
	assert_status 1
	assert_line_matching "^cibox: run: the image's root is read-only: nobody has no ranges in /etc/subuid and /etc/subgid; add them with: sudo usermod"
	assert_line_matching 'Read-only file system'
}

@test "with ranges, the install steps' changes are a layer of the user's ids, which cache clear removes" {
	if [ ! -e /etc/subuid ] || [ ! -e /etc/subgid ]; then
		skip "no /etc/subuid and /etc/subgid to bind over"
	fi
	cat >"$area/proj/ci/test/01_install.sh" <<-'EOF'
	if [ -e /opt/tool/bin ]; then echo "there before"; fi
	mkdir -p /opt/tool/bin /opt/tool/private
	echo tool >/opt/tool/bin/tool
	chown -R 1000:1000 /opt/tool/private
	chmod 700 /opt/tool/private
	echo secret >/opt/tool/private/key 2>/dev/null || true
	chown 1000:1000 /opt/tool/private/key
	EOF
	rm "$area/proj/ci/test/01_system.sh"
	chown nobody:nogroup "$area/proj/ci/test/01_install.sh"
	run_as_nobody
	assert_status 0
	assert_line_matching 'kept the root.s changes after 01_install.sh as a layer'
	run_as_nobody
	assert_status 0
	assert_line_matching '^\[01_install.sh\] there before$'
	# On disk the layer holds files of nobody's subuids.
	[ "$(stat -c %u "$area"/home/.cache/cibox/layers/*/*/root/opt/tool/private)" -eq 200999 ]
	run unshare -m sh -c '
		mount --bind "$1/subuid" /etc/subuid && mount --bind "$1/subgid" /etc/subgid || exit 99
		cd "$1/proj" &&
		exec setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
			env -i PATH=/usr/bin:/bin HOME="$1/home" "$1/cibox" cache clear' sh "$area"
	assert_status 0
	[ -z "$(ls -A "$area"/home/.cache/cibox/layers/* 2>/dev/null)" ]
}

@test "with ranges, cibox image build makes an image of the user's ids that apt-get installs into" {
	if [ ! -e /etc/subuid ] || [ ! -e /etc/subgid ]; then
		skip "no /etc/subuid and /etc/subgid to bind over"
	fi
	command -v mmdebstrap >/dev/null || skip "mmdebstrap is not installed"
	run unshare -m sh -c '
		mount --bind "$1/subuid" /etc/subuid && mount --bind "$1/subgid" /etc/subgid || exit 99
		exec setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
			env -i PATH=/usr/bin:/bin HOME="$1/home" "$1/cibox" image build mine' sh "$area"
	if [ "$status" -ne 0 ]; then
		if grep -qE "Failed to fetch|Could not resolve|Temporary failure|Couldn't download|unable to resolve" <<<"$output"; then
			skip "Debian's archive cannot be reached from here"
		fi
	fi
	assert_status 0
	assert_line_matching "^image mine: $area/home/.local/share/cibox/images/mine$"
	local image=$area/home/.local/share/cibox/images/mine
	# Root's files are the user's own; apt's _apt (42) is a subuid.
	[ "$(stat -c %u "$image/usr/bin/apt-get")" -eq 65534 ]
	[ "$(stat -c %u "$image/var/cache/apt/archives/partial")" -eq 200041 ]
	[ -s "$area/home/.local/share/cibox/images/.mine.log" ]
	"$CIBOX_TOP/tests/helpers/tiny-apt-repo" "$area/proj/apt"
	echo "export CI_IMAGE=mine" >"$area/proj/ci/test/00_setup_env.sh"
	cat >"$area/proj/ci/test/01_system.sh" <<-EOF
	apt="-q -o Dir::Etc::SourceList=$area/proj/apt/sources.list -o Dir::Etc::SourceParts=/dev/null"
	apt-get \$apt update >/dev/null
	apt-get \$apt install -y cibox-tiny >/dev/null
	cat /usr/share/cibox-tiny/hello
	EOF
	chown -R nobody:nogroup "$area/proj"
	run_as_nobody
	assert_status 0
	assert_line_matching '^\[01_system.sh\] hello$'
	[ ! -e "$image/usr/share/cibox-tiny" ]
	run unshare -m sh -c '
		mount --bind "$1/subuid" /etc/subuid && mount --bind "$1/subgid" /etc/subgid || exit 99
		exec setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
			env -i PATH=/usr/bin:/bin HOME="$1/home" "$1/cibox" image rm mine' sh "$area"
	assert_status 0
	[ ! -e "$image" ]
}

#!/usr/bin/env bats
# cibox image: root filesystems from Debian's archive (debootstrap needs root).
load helpers

setup_file() {
	export IMAGE=bookworm-test
	command -v debootstrap >/dev/null || return 0
	"$CIBOX" image build "$IMAGE" --suite bookworm >"$BATS_FILE_TMPDIR/build.log" 2>&1 || true
}

need_image() {
	command -v debootstrap >/dev/null || skip "debootstrap is not installed"
	if ! "$CIBOX" image ls | grep -q "^$IMAGE "; then
		grep -qE "Failed getting release file|Couldn't download|unable to resolve|Temporary failure" \
			"$BATS_FILE_TMPDIR/build.log" && skip "Debian's archive cannot be reached from here"
		cat "$BATS_FILE_TMPDIR/build.log" >&2
		return 1
	fi
}

@test "image build makes a Debian root that ls lists with its size" {
	need_image
	run "$CIBOX" image ls
	assert_status 0
	assert_line_matching "^$IMAGE +[0-9]+\.[0-9] MiB$"
	grep -q "^image $IMAGE: " "$BATS_FILE_TMPDIR/build.log"
}

@test "a command in the jail runs on the image's root, read-only" {
	need_image
	run "$CIBOX" sandbox --isolate --rootfs "$IMAGE" -- sh -c 'cat /etc/debian_version; grep ^VERSION_CODENAME /etc/os-release; touch /etc/x'
	assert_status 1
	assert_line_matching "^12\.[0-9]+$"
	assert_line_matching "^VERSION_CODENAME=bookworm$"
	assert_line_matching "Read-only file system"
	run "$CIBOX" sandbox --isolate --rootfs "${XDG_DATA_HOME:-$HOME/.local/share}/cibox/images/$IMAGE" -- true
	assert_status 0
}

@test "building an image of an existing name, or a bad name, is one line and status 2" {
	need_image
	run "$CIBOX" image build "$IMAGE"
	assert_status 2
	assert_one_line
	assert_line_matching "image '$IMAGE' exists"
	run "$CIBOX" image build ../evil
	assert_status 2
	assert_one_line
}

@test "a normal user without subuid ranges cannot build an image: status 3 and why" {
	if grep -qE '^(nobody|65534):' /etc/subuid 2>/dev/null; then
		skip "nobody has subuid ranges here (subids_root.bats builds with them)"
	fi
	# A copy the unprivileged user can reach, wherever the checkout is.
	local reachable
	reachable=$(mktemp -d /tmp/cibox-image-test.XXXXXX)
	chmod 755 "$reachable"
	cp "$CIBOX" "$reachable/cibox"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups -- env HOME="$reachable" \
		XDG_DATA_HOME="$reachable" "$reachable/cibox" image build mine
	rm -rf "$reachable"
	assert_status 3
	assert_one_line
	assert_line_matching "building an image as a normal user takes subuid ranges: nobody has no ranges in /etc/subuid"
}

@test "image rm removes the image; an unknown one is status 2" {
	need_image
	run "$CIBOX" image rm "$IMAGE"
	assert_status 0
	run "$CIBOX" image ls
	refute_line_matching "^$IMAGE "
	run "$CIBOX" image rm "$IMAGE"
	assert_status 2
	assert_line_matching "no image '$IMAGE'"
	run "$CIBOX" sandbox --isolate --rootfs "$IMAGE" -- true
	assert_status 2
}

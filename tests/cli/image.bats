#!/usr/bin/env bats
# cibox image without root: what it says when there is nothing to show.
# (Building images needs root: image_root.bats.)
load helpers

@test "image ls with no images says so and where they would be" {
	export XDG_DATA_HOME=$BATS_TEST_TMPDIR/data
	run "$CIBOX" image ls
	assert_status 0
	[ "$output" = "no images in $XDG_DATA_HOME/cibox/images: cibox image build NAME makes one" ]
}

# shellcheck shell=bash
# A stage that installs packages as root of the jail, as CI does in its
# container: the jail's root takes the writes (in memory), the machine's
# never changes. Run by root, or by a user with subuid ranges and an image
# of their ids (CI_IMAGE).
export PACKAGES=${PACKAGES:-hello}
# apt needs Debian's archive: the host's network.
export CI_NETWORK=host
# Extra apt-get options, e.g. another sources list.
export APT_OPTIONS=${APT_OPTIONS:-}

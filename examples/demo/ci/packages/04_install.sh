# shellcheck shell=bash
# shellcheck disable=SC2086 # the lists split on purpose
export DEBIAN_FRONTEND=noninteractive
apt-get -q $APT_OPTIONS update
apt-get -q $APT_OPTIONS install -y --no-install-recommends $PACKAGES

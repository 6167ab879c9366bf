# shellcheck shell=bash
# shellcheck disable=SC2086
dpkg-query -W -f '${Package} ${Version} ${Status}\n' $PACKAGES

# shellcheck shell=bash
# Defaults of the test stage: each fills in only what the configuration, or
# the caller, left unset.
export CC=${CC:-gcc}
export CFLAGS=${CFLAGS:--O2 -g}
export SANITIZE=${SANITIZE:-}
export MAKEJOBS=${MAKEJOBS:--j2}
# Build outputs go to the run folder cibox gives each run, never into the tree.
export BUILD_DIR=${BUILD_DIR:-${CIBOX_RUN_DIR:-${TMPDIR:-/tmp}}/build}

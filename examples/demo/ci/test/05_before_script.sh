# shellcheck shell=bash
# Where the build goes, for the steps after this one.
mkdir -p "$BUILD_DIR"
make_demo() { make -s -f "$OLDPWD/Makefile" O="$BUILD_DIR" "$@"; }
cd "$BUILD_DIR" || exit 1
echo "building with $CC $CFLAGS ${SANITIZE:+$SANITIZE }in $BUILD_DIR"

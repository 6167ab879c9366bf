# shellcheck shell=bash
# AddressSanitizer and UndefinedBehaviorSanitizer; any finding fails the tests.
export CC=${CC:-gcc}
export CFLAGS="-O1 -g -fno-omit-frame-pointer"
export SANITIZE="-fsanitize=address,undefined -fno-sanitize-recover=all"
export ASAN_OPTIONS=detect_leaks=1

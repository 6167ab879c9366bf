# shellcheck shell=bash
# The CI scripts pass shellcheck; the C sources are formatted as .clang-format says.
shellcheck ci/*/*.sh
clang-format --dry-run --Werror src/*.c include/*.h tests/*.c
echo "lint: scripts and sources are clean"

# shellcheck shell=bash
# Clang, no optimisation.
export CC=clang
export CFLAGS="-O0 -g"

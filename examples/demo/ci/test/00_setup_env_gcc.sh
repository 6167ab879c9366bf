# shellcheck shell=bash
# GCC with optimisation.
export CC=gcc
export CFLAGS="-O2 -g"

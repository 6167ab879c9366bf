# shellcheck shell=bash
# Build the library and its tests (make_demo and the directory come from 05).
make_demo "$MAKEJOBS" all
ls -l libb64.a

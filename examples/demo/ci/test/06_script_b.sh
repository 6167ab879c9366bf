# shellcheck shell=bash
# Run the tests.
make_demo check

# shellcheck shell=bash
# The linters, and their versions in the log.
for tool in shellcheck clang-format; do
	if ! command -v "$tool" >/dev/null; then
		echo "$tool is not installed (on Debian: apt-get install $tool)" >&2
		exit 1
	fi
done
shellcheck --version | sed -n 2p
clang-format --version

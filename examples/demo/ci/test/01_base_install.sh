# shellcheck shell=bash
# The tools this configuration needs, and their versions in the log.
for tool in "$CC" make ar; do
	if ! command -v "$tool" >/dev/null; then
		echo "$tool is not installed (on Debian: apt-get install ${tool/cc/gcc})" >&2
		exit 1
	fi
done
# Whole outputs read, not cut short by head: under pipefail a tool that
# meets a closed pipe would fail the step (SIGPIPE).
"$CC" --version | sed -n 1p
make --version | sed -n 1p

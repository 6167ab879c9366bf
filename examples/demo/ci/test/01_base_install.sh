# shellcheck shell=bash
# The tools this configuration needs, and their versions in the log.
for tool in "$CC" make ar; do
	if ! command -v "$tool" >/dev/null; then
		echo "$tool is not installed (on Debian: apt-get install ${tool/cc/gcc})" >&2
		exit 1
	fi
done
"$CC" --version | head -n 1
make --version | head -n 1

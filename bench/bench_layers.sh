#!/bin/bash
# The writable root and its kept layers (root only: a normal user's writable
# root needs subuid ranges and an image). A stage whose install step
# installs 10 packages of 300 files each from a local file: source, so that
# the figures measure cibox and apt, not a network: the step on a run that
# starts without its layer, against the next run's, which starts from it;
# then a trivial run with the writable root against the read-only one
# (--keep-uid) and against the host engine, alternating.
set -eu
build=$(cd "${1:?usage: bench_layers.sh BUILD}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" -ne 0 ]; then
	echo "skipped: the host's writable root is root's (a normal user's needs subuid ranges)"
	exit 0
fi
command -v apt-get >/dev/null || { echo "skipped: apt-get is not installed"; exit 0; }
rounds=${ROUNDS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_STATE_HOME=$work/state XDG_CACHE_HOME=$work/cache

# shellcheck source=bench/clock.sh
. "$(dirname "$0")/clock.sh"

mkdir -p "$work/proj/ci/test"
# In the tree: the jail shows no other folder of /tmp.
"$top/tests/helpers/tiny-apt-repo" "$work/proj/apt" 10 300
packages=$(seq -f 'cibox-bulk-%g' 1 10 | tr '\n' ' ')
cat >"$work/proj/ci/test/04_install.sh" <<STEP
apt="-q -o Dir::Etc::SourceList=$work/proj/apt/sources.list -o Dir::Etc::SourceParts=/dev/null"
apt-get \$apt update >/dev/null
apt-get \$apt install -y $packages >/dev/null
STEP
echo 'true' >"$work/proj/ci/test/06_script.sh"
cd "$work/proj"

# The install step's seconds in the newest run's report.
install_seconds() {
	local summary
		# shellcheck disable=SC2012 # the newest by time, which find cannot sort by; cibox names them
	summary=$(ls -td "$XDG_STATE_HOME"/cibox/runs/*/ | head -1)summary.json
	jq -r '.steps[] | select(.name == "04_install.sh") | .duration_s' "$summary"
}

declare -a first second
for ((i = 0; i < rounds; i++)); do
	"$build/cibox" cache clear >/dev/null
	"$build/cibox" run -q >/dev/null
	first+=("$(install_seconds)")
	"$build/cibox" run -q >/dev/null
	second+=("$(install_seconds)")
done
f=$(printf '%s\n' "${first[@]}" | median)
s=$(printf '%s\n' "${second[@]}" | median)
echo "an install step of 10 packages (3,000 files) from a file: source, median of $rounds rounds"
awk -v f="$f" -v s="$s" 'BEGIN {
	printf "  next run, from the layer / first run   %5.3f   (target <= 0.10)\n", s / f
}'

mkdir -p "$work/trivial/ci/test"
echo 'true' >"$work/trivial/ci/test/01_step.sh"
cd "$work/trivial"
declare -a writable read_only host
for ((i = 0; i < 15; i++)); do
	time_into writable "$build/cibox" run -q >/dev/null
	time_into read_only "$build/cibox" run -q --keep-uid >/dev/null
	time_into host "$build/cibox" run -q --engine host >/dev/null
done
w=$(printf '%s\n' "${writable[@]}" | median)
r=$(printf '%s\n' "${read_only[@]}" | median)
h=$(printf '%s\n' "${host[@]}" | median)
echo "a trivial run, 15 alternating runs each, medians compared"
awk -v w="$w" -v r="$r" -v h="$h" 'BEGIN {
	printf "  writable root / read-only root (--keep-uid)   %5.2f\n", w / r
	printf "  writable root / host engine                   %5.2f\n", w / h
	printf "  added over the host engine   %5.1f ms   (target <= 10 ms)\n", (w - h) / 1e3
}'

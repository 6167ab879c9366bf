#!/bin/bash
# Start-up cost of the rootless jail: `cibox sandbox --isolate -- /bin/true`
# against bubblewrap doing the same job (the host's root read-only, private
# /tmp, /home, /root and /run, fresh /dev and /proc, every namespace), and against `unshare` alone (new
# namespaces, no root filesystem, no filter: the floor). Runs alternate, so
# both see the same machine; medians of per-run wall times are compared.
set -eu
build=$(cd "${1:?usage: bench_isolate.sh BUILD}" && pwd)
cibox=$build/cibox
rounds=${ROUNDS:-200}

command -v bwrap >/dev/null || { echo "bwrap is not installed (apt-get install bubblewrap)"; exit 1; }
# shellcheck source=bench/clock.sh
. "$(dirname "$0")/clock.sh"
cd /

declare -a t_cibox t_bwrap t_unshare
for ((i = 0; i < rounds; i++)); do
	time_into t_cibox "$cibox" sandbox --isolate -- /bin/true
	time_into t_bwrap bwrap --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp --tmpfs /home \
		--tmpfs /root --tmpfs /run --unshare-all --die-with-parent /bin/true
	time_into t_unshare unshare --user --map-root-user --mount --pid --fork --ipc --uts --net /bin/true
done
c=$(printf '%s\n' "${t_cibox[@]}" | median)
b=$(printf '%s\n' "${t_bwrap[@]}" | median)
u=$(printf '%s\n' "${t_unshare[@]}" | median)
echo "$rounds alternating runs each, medians compared"
awk -v c="$c" -v b="$b" -v u="$u" 'BEGIN {
	printf "cibox sandbox --isolate / bwrap          %5.2f   (target <= 0.80)\n", c / b
	printf "cibox sandbox --isolate / unshare floor  %5.2f\n", c / u
	printf "bwrap / unshare floor                    %5.2f\n", b / u
}'

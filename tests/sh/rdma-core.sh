#!/bin/bash
# rdma-core's own tests (tests/ of our rdma-core tree), unmodified: the
# subset in tests/rdma-core/fast.txt, which finishes in a few minutes under
# TCG, through tests/rdma-core/suite.py (one time limit per test), without
# the tests rxe cannot run (fast-exclude.txt); any other skip fails. The
# whole suite, against stock, is `make test-full`. Prints TAP.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
gid=$(grep -l 'ffff:c000:0201' /sys/class/infiniband/rxe0/ports/1/gids/* | head -1)
res=$(mktemp)
# No process substitution: the guest has no /dev/fd.
pats=()
while read -r p _; do
	[ -n "$p" ] && pats+=("$p")
done <<<"$(sed 's/#.*//' "$top/tests/rdma-core/fast.txt")"
[ ${#pats[@]} -gt 0 ] || { echo "not ok 1 rdma-core: tests/rdma-core/fast.txt lists no test"; exit 1; }
python3 "$top/tests/rdma-core/suite.py" --src "${FSDAX_BUILD:-$top/build}/rdma-core" \
	--build "${FSDAX_BUILD:-$top/build}/rdma-core/build" --gid "${gid##*/}" --timeout 120 \
	--exclude "$top/tests/rdma-core/fast-exclude.txt" --no-skip \
	--out "$res" --tap "${pats[@]}"
rc=$?
rm -f "$res"
exit $rc

#!/bin/bash
# rdma-core's own test for IBV_EVENT_MR_REVOKED (tests/test_mr_revoke.py of
# the rdma-core series), run by rdma-core's runner on rxe0 for ext4 and xfs.
# It may not be skipped here: the guest has both DAX mounts. Prints TAP.
set -u
rc_build=${FSDAX_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}/rdma-core/build
gid=$(grep -l 'ffff:c000:0201' /sys/class/infiniband/rxe0/ports/1/gids/* | head -1)
n=0 failed=0
for dir in /mnt/ext4 /mnt/xfs; do
	n=$((n + 1))
	out=$(RDMA_DAX_DIR=$dir timeout 300 "$rc_build/bin/run_tests.py" \
		--dev rxe0 --gid "${gid##*/}" -v test_mr_revoke 2>&1)
	rc=$?
	echo "$out" | sed 's/^/# /'
	if [ $rc = 0 ] && echo "$out" | grep -q '^OK$' && ! echo "$out" | grep -qi 'skip'; then
		echo "ok $n rdma-core test_mr_revoke on $dir"
	else
		echo "not ok $n rdma-core test_mr_revoke on $dir"
		failed=1
	fi
done
echo "1..$n"
exit $failed

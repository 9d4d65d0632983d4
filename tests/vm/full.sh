#!/bin/bash
# The guest side of `make test-full`: the peers' tests, unmodified, on
# whichever kernel booted; scripts/compare.sh sets the two boots side by side.
#   full.sh OUTDIR
# Our kernel (-fsdax-rdma) runs with our rdma-core, the stock kernel with
# the pristine rdma-core 65.0 (build/rdma-core-stock/build). Writes:
#   side                 ours | stock
#   perftest.tap, fio.tap, selftests.tap   TAP of tests/sh/perftest.sh,
#                        fio.sh, selftests.sh
#   rdma-core.tsv        rdma-core's tests/, one line per test (suite.py)
#   dmesg.tap            the dmesg check of tests/run-tests.sh
#   times.txt, log-*.txt seconds per part, the parts' own output
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$1
case $(uname -r) in
*-stock)
	side=stock rc_src=$FSDAX_BUILD/src/rdma-core rc_build=$FSDAX_BUILD/rdma-core-stock/build
	;;
*) side=ours rc_src=$FSDAX_BUILD/rdma-core rc_build=$FSDAX_BUILD/rdma-core/build ;;
esac
export LD_LIBRARY_PATH=$rc_build/lib PYTHONPATH=$rc_build/python
echo $side >"$out/side"
: >"$out/times.txt"
gid=$(grep -l 'ffff:c000:0201' /sys/class/infiniband/rxe0/ports/1/gids/* | head -1)
gid=${gid##*/}

# part NAME CMD...: run one part, keep its time and output.
part() {
	local name=$1 t0=$SECONDS
	shift
	echo "# ---- $name ($side)" >/dev/console
	"$@" >"$out/log-$name.txt" 2>&1
	echo "$name $((SECONDS - t0))" >>"$out/times.txt"
}

part perftest bash "$top/tests/sh/perftest.sh"
grep -E '^(not )?ok ' "$out/log-perftest.txt" >"$out/perftest.tap"
# The failures stock 7.3 itself has are "not ok ... # TODO" on both
# sides (selftests.sh's table); compare.sh fails on any other.
part fio bash "$top/tests/sh/fio.sh"
grep -E '^(not )?ok ' "$out/log-fio.txt" >"$out/fio.tap"
part selftests bash "$top/tests/sh/selftests.sh"
grep -E '^(not )?ok ' "$out/log-selftests.txt" >"$out/selftests.tap"
# A test that hangs under TCG costs its limit on both sides; the limit is
# generous because traffic tests are slow there (see tests/rdma-core/).
# RDMA_DAX_DIR: our series' own test (test_mr_revoke) needs a DAX mount.
RDMA_DAX_DIR=/mnt/ext4 part rdma-core python3 "$top/tests/rdma-core/suite.py" --src "$rc_src" --build "$rc_build" \
	--gid "$gid" --timeout "${FSDAX_RC_TIMEOUT:-180}" \
	--exclude "$top/tests/rdma-core/exclude.txt" --out "$out/rdma-core.tsv"

# The dmesg check of tests/run-tests.sh, one result per distinct problem
# (numbers, addresses and timestamps made N), so that compare.sh sees a
# new report of ours even when stock has one of its own.
dmesg >"$out/dmesg-tests.txt"
grep -E 'WARNING:|BUG:|BUG |KASAN|Oops|general protection|circular locking|recursive locking|inconsistent lock state|suspicious RCU usage|DEBUG_LOCKS_WARN_ON|list_(add|del) corruption|sleeping function called|blocked for more than' "$out/dmesg-tests.txt" |
	sed -e 's/^\[[^]]*\] *//' -e 's/0x[0-9a-f]*/N/g' -e 's/[0-9][0-9]*/N/g' | sort -u >"$out/dmesg-problems.txt"
if [ -s "$out/dmesg-problems.txt" ]; then
	awk '{ print "not ok " NR " dmesg: " $0 }' "$out/dmesg-problems.txt" >"$out/dmesg.tap"
else
	echo "ok 1 dmesg: no WARNING, BUG, lockdep or KASAN report" >"$out/dmesg.tap"
fi

#!/bin/bash
# The guest's test runner: runs every test, re-numbers their TAP into one
# flat stream (build/vm/results.tap) and ends with a check of dmesg.
#   run-tests.sh OUTDIR [NAME...]
# C tests come from tests/c (kselftest harness, built to build/tests/t),
# shell tests from tests/sh (each prints TAP itself).
top=$(cd "$(dirname "$0")/.." && pwd)
out=$1
shift
tap=$out/results.tap
per_test_limit=${FSDAX_TEST_TIMEOUT:-600}
n=0
: >"$tap"
emit() { echo "$*" | tee -a "$tap" >/dev/console; }

# run_one NAME CMD...: run a TAP-speaking test, re-number its results.
run_one() {
	local name=$1 log=$out/log-$1.txt rc seen
	shift
	echo "# ---- $name" >/dev/console
	timeout -k 5 "$per_test_limit" "$@" >"$log" 2>&1
	rc=$?
	seen=0
	while IFS= read -r line; do
		case $line in
		"ok "* | "not ok "*)
			local st=ok rest=${line#ok }
			if [ "${line#not ok }" != "$line" ]; then
				st="not ok" rest=${line#not ok }
			fi
			n=$((n + 1)) seen=$((seen + 1))
			emit "$st $n $name: ${rest#* }"
			;;
		"#"*) echo "$line" >>"$tap" ;;
		esac
	done <"$log"
	# The test's own plan (1..K, kselftest and our shell tests print
	# one) must match what it reported: a test that stops early fails.
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$log" | head -1)
	if [ -n "$plan" ] && [ "$plan" != "$seen" ]; then
		n=$((n + 1))
		emit "not ok $n $name: planned $plan result(s), reported $seen"
	fi
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		n=$((n + 1))
		emit "not ok $n $name: timed out after ${per_test_limit}s"
	elif [ $seen = 0 ] || { [ $rc != 0 ] && ! grep -q '^not ok' "$log"; }; then
		n=$((n + 1))
		emit "not ok $n $name: exited $rc after $seen result(s)"
		tail -n 20 "$log" | sed 's/^/#   /' >>"$tap"
	fi
}

want() { [ $# = 0 ] || [[ " $* " == *" $name "* ]]; }

# make test ONLY="..." names tests that must exist: a typo fails the run.
for name in "$@"; do
	[ -f "$top/tests/c/$name.c" ] || [ -f "$top/tests/sh/$name.sh" ] || {
		n=$((n + 1))
		emit "not ok $n $name: no such test (tests/c/$name.c, tests/sh/$name.sh)"
	}
done

for src in "$top"/tests/c/*.c; do
	name=$(basename "$src" .c)
	want "$@" || continue
	run_one "$name" "$FSDAX_BIN/t/$name"
done
for src in "$top"/tests/sh/*.sh; do
	name=$(basename "$src" .sh)
	want "$@" || continue
	run_one "$name" bash "$src"
done

# Nothing outlives the tests: no lease or lock, no MR of any process, and
# both DAX file systems unmount (a file reference that a lease, an MR or
# a pin leaked keeps them busy: EBUSY).
check() {
	n=$((n + 1))
	if [ -z "$2" ]; then
		emit "ok $n end: $1"
	else
		emit "not ok $n end: $1"
		echo "$2" | head -10 | sed 's/^/#   /' | tee -a "$tap" >/dev/console
	fi
}
check "/proc/locks is empty" "$(cat /proc/locks)"
check "rdma res show mr lists no MR" "$(rdma res show mr 2>&1)"
for m in /mnt/ext4 /mnt/xfs; do
	check "umount $m" "$(umount "$m" 2>&1 || echo "umount $m failed: $(fuser -vm "$m" 2>&1)")"
done

# Any kernel warning during the run fails the suite.
n=$((n + 1))
dmesg >"$out/dmesg-tests.txt"
bad=$(grep -E 'WARNING:|BUG:|BUG |KASAN|Oops|general protection|circular locking|recursive locking|inconsistent lock state|suspicious RCU usage|DEBUG_LOCKS_WARN_ON|list_(add|del) corruption|sleeping function called|blocked for more than|Call Trace:' "$out/dmesg-tests.txt" | head -5)
if [ -z "$bad" ]; then
	emit "ok $n dmesg: no WARNING, BUG, lockdep or KASAN report"
else
	emit "not ok $n dmesg: kernel reported problems"
	echo "$bad" | sed 's/^/#   /' | tee -a "$tap" >/dev/console
fi
echo "1..$n" >>"$tap"

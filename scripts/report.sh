#!/bin/bash
# Print the guest's TAP and the closing count line; exit 1 on any failure,
# including a guest that never finished.   report.sh [OUT]
set -uo pipefail
. "$(dirname "$0")/lib.sh"

out=${1:-$BUILD/vm}	# the guest's output directory
tap=$out/results.tap
host=$out/host.tap	# scripts/host-checks.sh, when it ran
pass=0 fail=0 skip=0 xfail=0 xpass=0
[ -f "$tap" ] && cat "$tap"
[ -f "$tap" ] && [ -f "$host" ] && cat "$host"
all() { cat "$tap" 2>/dev/null; cat "$host" 2>/dev/null; }
if [ -f "$tap" ]; then
	pass=$(all | grep -Ec '^ok [0-9]+ ' | tr -d ' ')
	skip=$(all | grep -Ec '^ok [0-9]+ .*# *SKIP' | tr -d ' ')
	fail=$(all | grep -Ec '^not ok [0-9]+ ' | tr -d ' ')
	# "not ok ... # TODO": a failure stock 7.3 shares, expected
	# (tests/sh/selftests.sh checks that each is still there, unchanged);
	# "ok ... # TODO" would be one that passes: that is news, it fails.
	xfail=$(all | grep -Ec '^not ok [0-9]+ .*# *TODO' | tr -d ' ')
	xpass=$(all | grep -Ec '^ok [0-9]+ .*# *TODO' | tr -d ' ')
	pass=$((pass - skip - xpass))
	fail=$((fail - xfail + xpass))
fi
if [ -f "$out/failure" ]; then
	echo "not ok - $(cat "$out/failure")"
	tail -n 15 "$out/console.log" | sed 's/^/#   /'
	fail=$((fail + 1))
elif [ ! -f "$tap" ]; then
	echo "not ok - the guest produced no results (see build/vm/console.log)"
	fail=$((fail + 1))
fi
echo "# guest console: build/vm/console.log, dmesg: build/vm/dmesg.txt, per-test logs: build/vm/log-*.txt"
# A skip is a check that did not run: it fails the suite (tests that
# cannot run here are left out by name, see tests/rdma-core/).
if [ "$skip" != 0 ]; then
	echo "# $skip skipped: a skip fails the suite"
	fail=$((fail + skip))
fi
[ "$xpass" = 0 ] || echo "# $xpass expected failure(s) passed: a change, it fails the suite"
[ "$xfail" = 0 ] || echo "# $xfail expected failure(s) (known failures of the stock kernel, not counted as passed)"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]

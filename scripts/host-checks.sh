#!/bin/bash
# The host-side checks of `make test`, run after the guest's suite; their
# TAP goes to OUT/host.tap, numbered on from the guest's, which report.sh
# prints and counts after the guest's.
#   host-checks.sh BZIMAGE [OUT]
#   - The test bed works from a clone under /tmp, which the guest covers
#     with its own tmpfs: a copy of this checkout's sources in a new
#     directory under /tmp (its build/ a link to this one's) boots the
#     guest, with the guest's output under /tmp too, and passes testbed.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

kernel=$1 out=${2:-$BUILD/vm}
tap=$out/host.tap
n=$(grep -Ec '^(not )?ok [0-9]+ ' "$out/results.tap" 2>/dev/null)
: >"$tap"
emit() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n host: $2"; else echo "not ok $n host: $2"; fi >>"$tap"
	shift 2
	for l in "$@"; do echo "#   $l" >>"$tap"; done
}

step "host checks: the test bed from a clone under /tmp"
clone=$(mktemp -d /tmp/fsdax-clone.XXXXXX)
rsync -a --exclude=/build --exclude=/.git "$TOP/" "$clone/"
ln -s "$BUILD" "$clone/build"
FSDAX_VM_OUT=$clone/vm FSDAX_TESTS=testbed "$clone/tests/vm/run-vm.sh" \
	"$kernel" test 600 >"$LOGS/host-clone.log" 2>&1
rc=1
if [ -f "$clone/vm/failure" ]; then
	why=$(cat "$clone/vm/failure")
elif ! [ -s "$clone/vm/results.tap" ]; then
	why="the guest produced no results"
elif grep -q '^not ok' "$clone/vm/results.tap"; then
	why=$(grep -m1 '^not ok' "$clone/vm/results.tap")
else
	rc=0 why=
fi
emit $rc "make test from a clone under /tmp ($clone): testbed passes" ${why:+"$why"}
rm -rf "$clone"

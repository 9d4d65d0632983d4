#!/bin/bash
# The host-side checks of `make test`, run after the guest's suite; their
# TAP goes to OUT/host.tap, numbered on from the guest's, which report.sh
# prints and counts after the guest's.
#   host-checks.sh BZIMAGE [OUT]
#   - The test bed works from a clone under /tmp, which the guest covers
#     with its own tmpfs: a copy of this checkout's sources in a new
#     directory under /tmp (its build/ a link to this one's) boots the
#     guest, with the guest's output under /tmp too, and passes testbed.
#   - The README's `git am` lines ("Using the series on your own kernel"),
#     run as written on a checkout of each pristine source, give the
#     series' tree.
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

# readme_git_am TREE NAME: the README's `git am` line for NAME, run on a
# worktree of TREE at its base; its result must be the series' tree.
readme_git_am() {
	local tree=$1 name=$2 wt line why= rc=1
	line=$(sed -n '/^## Using the series on your own kernel/,/^## /p' "$TOP/README.md" |
		grep -m1 "git am .*tree.sh list $name)" | sed 's/^.*&& //')
	wt=$(mktemp -d /tmp/fsdax-am.XXXXXX)
	if [ -z "$line" ]; then
		why="no 'git am ... tree.sh list $name' line in the README"
	elif ! git -C "$tree" worktree add -q --detach "$wt/src" base 2>"$LOGS/host-am-$name.log"; then
		why="no worktree of $tree at base"
	elif ! (cd "$wt/src" && eval "${line//\/path\/to\/this\/repo/$TOP}") \
		>>"$LOGS/host-am-$name.log" 2>&1; then
		why="'$line' failed (log: build/logs/host-am-$name.log)"
	elif ! git -C "$wt/src" diff --quiet series HEAD; then
		why="'$line' gave a tree other than the series'"
	elif [ "$(git -C "$wt/src" log --format=%s base..HEAD)" != \
	       "$(git -C "$tree" log --format=%s base..series)" ]; then
		why="'$line' applied the patches in another order than the series'"
	else
		rc=0
	fi
	git -C "$tree" worktree remove --force "$wt/src" 2>/dev/null
	rm -rf "$wt"
	emit $rc "the README's git am line applies the $name series in number order" ${why:+"$why"}
}
step "host checks: the README's git am lines"
readme_git_am "$BUILD/linux" linux
readme_git_am "$BUILD/rdma-core" rdma-core

#!/bin/bash
# Build every prefix of the kernel series (base + patch 1, + patch 2, ...)
# with the guest configuration, so that each patch builds on its own, and
# fail on a new compiler warning in any of them.
# Uses a worktree of build/linux and its own object directory, walking the
# series forward so that each step only rebuilds what the patch touched.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tree=$BUILD/linux
wt=$BUILD/bisect/linux
obj=$BUILD/bisect/kbuild-bisect
[ -d "$tree/.git" ] || die "no $tree (run make tree)"
if [ ! -d "$wt" ]; then
	git -C "$tree" worktree prune
	git -C "$tree" worktree add -q --detach "$wt" base
fi
commits=$(git -C "$tree" rev-list --reverse base..series)
total=$(echo "$commits" | wc -l)
i=0 warned=0
for c in $(git -C "$tree" rev-parse base) $commits; do
	git -C "$wt" checkout -q --detach "$c"
	subj=$(git -C "$wt" log -1 --format=%s)
	"$TOP/scripts/kernel.sh" "$wt" "$obj" -bisect >/dev/null ||
		die "patch $i/$total does not build: $subj (log: build/logs/kernel-kbuild-bisect.log)"
	# Compiler warnings of this step (make only rebuilt what changed).
	w=$(grep -E '(warning|error):' "$LOGS/kernel-kbuild-bisect.log" | head -5 || true)
	if [ -n "$w" ] && [ $i -gt 0 ]; then
		warn "patch $i/$total warns: $subj"
		echo "$w" >&2
		warned=1
	fi
	printf '  %2d/%d builds: %s\n' "$i" "$total" "$subj"
	i=$((i + 1))
done
[ $warned = 0 ] || die "some patches add compiler warnings"
step "every prefix of the $total-patch series builds"

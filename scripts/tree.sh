#!/bin/bash
# The developer trees: build/linux, build/rdma-core and build/man-pages
# (fcntl(2) and the other system call pages: upstream's man/man2/ and
# man/man2const/, as sources.sh unpacked them) are git repositories
# whose first commit is the pristine base (tag "base") and whose following
# commits are the series, applied with git am in the order of the numbers
# in the patch file names.
#
#   tree.sh apply  linux|rdma-core|man-pages   (re)create the tree
#   tree.sh export linux|rdma-core|man-pages   write the commits back
#   tree.sh list   linux|rdma-core|man-pages   the patch files, in order
#
# apply refuses to throw away work: when the tree has uncommitted changes or
# commits that were never exported, it stops and says so.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cmd=$1 which=$2
IDENT_NAME="FS-DAX RDMA project"
IDENT_MAIL="fsdax-rdma@example.org"
export GIT_AUTHOR_NAME=$IDENT_NAME GIT_AUTHOR_EMAIL=$IDENT_MAIL
export GIT_COMMITTER_NAME=$IDENT_NAME GIT_COMMITTER_EMAIL=$IDENT_MAIL
export GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"

case $which in
linux)
	tree=$BUILD/linux base=$BUILD/src/linux
	dirs="include fs mm drivers-infiniband drivers-md"
	;;
rdma-core)
	tree=$BUILD/rdma-core base=$BUILD/src/rdma-core
	dirs="rdma-core-patches"
	;;
man-pages)
	tree=$BUILD/man-pages base=$BUILD/src/man-pages
	dirs="man-pages-patches"
	;;
*) die "unknown tree $which" ;;
esac

# The patch files of the series, in global order (the number in the name).
series() {
	local d
	for d in $dirs; do
		[ -d "$TOP/$d" ] || continue
		find "$TOP/$d" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch'
	done | awk -F/ '{print $NF "\t" $0}' | sort | cut -f2
}

series_hash() {
	series | while read -r p; do sha256sum <"$p"; done | sha256sum | cut -c1-16
}

git_t() { git -C "$tree" "$@"; }

in_sync() {
	[ -d "$tree/.git" ] || return 1
	[ "$(cat "$tree/.git/series-hash" 2>/dev/null)" = "$(series_hash)" ] &&
		[ "$(git_t rev-parse HEAD)" = "$(git_t rev-parse series 2>/dev/null)" ]
}

apply() {
	[ -d "$base" ] || die "no pristine $which source in $base (run make sources)"
	in_sync && return 0
	# A tree on another base (6.12 before the move to 7.3) is made anew,
	# once nothing of it is left unexported.
	if [ -d "$tree/.git" ] && [ "$(git_t log -1 --format=%s base 2>/dev/null)" != \
		"$which $(cat "$base/.unpacked") (pristine base)" ]; then
		[ -z "$(git_t status --porcelain --untracked-files=no)" ] ||
			die "$tree has uncommitted changes: commit them and run 'make export', or discard them"
		[ "$(git_t rev-parse HEAD)" = "$(git_t rev-parse series 2>/dev/null)" ] ||
			die "$tree has commits that were not exported: run 'make export' first"
		step "$tree is on another base: making it anew"
		rm -rf "$tree"
	fi
	if [ -d "$tree/.git" ]; then
		[ -z "$(git_t status --porcelain --untracked-files=no)" ] ||
			die "$tree has uncommitted changes: commit them and run 'make export', or discard them"
		if [ "$(git_t rev-parse HEAD)" != "$(git_t rev-parse series 2>/dev/null)" ]; then
			die "$tree has commits that were not exported: run 'make export' first"
		fi
		step "re-applying the $which series (patch files changed)"
		git_t reset -q --hard base
	else
		step "creating the $which tree from the pristine source"
		rm -rf "$tree"
		mkdir -p "$tree"
		cp -a "$base/." "$tree/"
		rm -f "$tree/.unpacked"
		# Debian's linux-source ignores everything at the top level
		# ("/*", for its packaging repository): new files would be
		# silently left out of the commits. Not part of the kernel.
		[ -f "$tree/.gitignore" ] &&
			sed -i '/^# Debian packaging/,/^!\/debian\//d' "$tree/.gitignore"
		git_t init -q
		git_t config user.name "$IDENT_NAME"
		git_t config user.email "$IDENT_MAIL"
		git_t config core.abbrev 12
		git_t add -A -f .
		git_t commit -q -m "$which $(cat "$base/.unpacked") (pristine base)"
		git_t tag base
	fi
	local p n=0
	while read -r p; do
		[ -n "$p" ] || continue
		if ! git_t am -q --keep-cr "$p" >"$LOGS/am-$which.log" 2>&1; then
			git_t am --abort >/dev/null 2>&1 || true
			git_t reset -q --hard base
			cat "$LOGS/am-$which.log" >&2
			die "patch does not apply: ${p#"$TOP"/}"
		fi
		n=$((n + 1))
	done < <(series)
	git_t tag -f series >/dev/null
	series_hash >"$tree/.git/series-hash"
	step "$which tree ready: $n patch(es) on the pristine base"
}

# Which repository directory a patch file belongs to: include/ if it only
# touches headers under include/, else the one its subject prefix names.
dir_for() {
	[ "$which" = rdma-core ] && { echo rdma-core-patches; return; }
	[ "$which" = man-pages ] && { echo man-pages-patches; return; }
	if ! grep '^diff --git a/' "$2" | grep -qv '^diff --git a/include/'; then
		echo include
		return
	fi
	case $1 in
	RDMA/* | IB/*) echo drivers-infiniband ;;
	dm:* | dm-*) echo drivers-md ;;
	mm/* | mm:*) echo mm ;;
	fs/* | ext4:* | xfs:* | fuse:* | dax:* | Documentation/filesystems*) echo fs ;;
	include/* | uapi:* | trace/*) echo include ;;
	*) die "commit '$1': subject prefix names no subsystem directory" ;;
	esac
}

export_() {
	[ -d "$tree/.git" ] || die "no $tree (run make tree)"
	[ -z "$(git_t status --porcelain --untracked-files=no)" ] ||
		die "$tree has uncommitted changes: commit them first"
	local tmp
	tmp=$(mktemp -d "$BUILD/export.XXXXXX")
	git_t format-patch -q --no-signature --zero-commit --no-numbered \
		-o "$tmp" base..HEAD
	series | xargs -r rm -f
	local f subj d n=0
	for f in "$tmp"/*.patch; do
		[ -e "$f" ] || continue
		subj=$(sed -n 's/^Subject: \[PATCH\] //p' "$f" | head -1)
		d=$(dir_for "$subj" "$f")
		mkdir -p "$TOP/$d"
		mv "$f" "$TOP/$d/$(basename "$f")"
		n=$((n + 1))
	done
	rm -rf "$tmp"
	git_t tag -f series >/dev/null
	series_hash >"$tree/.git/series-hash"
	step "exported $n $which patch(es)"
}

case $cmd in
apply) apply ;;
export) export_ ;;
list) series ;;
*) die "usage: $0 apply|export|list linux|rdma-core|man-pages" ;;
esac

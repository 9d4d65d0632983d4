#!/bin/bash
# Fetch and unpack the pristine bases into build/src:
#   linux      Debian's linux-source-7.3 (trixie-backports), pinned to
#              $KERNEL_PIN, with a loud fallback to the newest 7.3;
#   rdma-core  rdma-core $RDMA_VERSION from sid's deb-src entry, verified
#              against the SHA-256 that apt-cache showsrc prints (the
#              archive answers 404 for the .dsc, so apt's own check never
#              runs);
#   man-pages  man/man2/ and man/man2const/ of upstream man-pages, the
#              .orig.tar.xz of Debian's manpages source package, verified
#              the same way.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

what=$1
src=$BUILD/src
mkdir -p "$src"

kernel() {
	local pkg=$KERNEL_PKG have want=$KERNEL_DEB
	have=$(dpkg-query -W -f='${Version}' $pkg 2>/dev/null || true)
	if [ "$have" != "$want" ]; then
		ensure_kernel_suite
		step "installing $pkg $want"
		if ! apt_get install -y --no-install-recommends "$pkg=$want"; then
			warn "$pkg $want is not in the archive any more; falling back to the newest 7.3"
			apt_get install -y --no-install-recommends "$pkg" ||
				die "cannot install $pkg from Debian's archive"
		fi
		have=$(dpkg-query -W -f='${Version}' $pkg)
	fi
	local ver=${have%%-*}
	[ "$ver" = "$KERNEL_PIN" ] ||
		warn "kernel base is $ver, not the pinned $KERNEL_PIN: patches may not apply"
	local dir=$src/linux-$ver
	if [ ! -f "$dir/.unpacked" ]; then
		step "unpacking linux $ver"
		rm -rf "$dir" "$src/$pkg"
		tar -C "$src" -xf "/usr/src/$pkg.tar.xz" ||
			die "cannot unpack /usr/src/$pkg.tar.xz"
		mv "$src/$pkg" "$dir"
		echo "$ver" >"$dir/.unpacked"
	fi
	ln -sfn "linux-$ver" "$src/linux"
}

# fetch_orig PACKAGE DEBVERSION SUITE TARBALL DIR [TAR-MEMBERS...]: the
# upstream tarball of a Debian source package, downloaded with apt-get
# source and checked against the SHA-256 that apt-cache showsrc prints
# (the archive answers 404 for the .dsc, so apt's own check never runs and
# its exit status is ignored: the checksum decides), unpacked into DIR
# (its one top-level directory, whatever its name, becomes DIR).
fetch_orig() {
	local pkg=$1 debver=$2 suite=$3 tarball=$4 dir=$5 sum
	shift 5
	ensure_deb_src "$pkg" "$debver" "$suite"
	sum=$(apt-cache showsrc "$pkg" 2>/dev/null |
		awk -v f="$tarball" 'length($1) == 64 && $3 == f {print $1; exit}')
	[ -n "$sum" ] || die "apt-cache showsrc knows no $pkg $debver (is the $suite deb-src entry there?)"
	mkdir -p "$BUILD/dl"
	if ! echo "$sum  $BUILD/dl/$tarball" | sha256sum -c --status 2>/dev/null; then
		step "downloading $pkg ${debver%-*}"
		(cd "$BUILD/dl" && apt-get source --download-only "$pkg=$debver" \
			>"$LOGS/apt-source-$pkg.log" 2>&1) || true
	fi
	echo "$sum  $BUILD/dl/$tarball" | sha256sum -c --status 2>/dev/null ||
		die "$pkg ${debver%-*} tarball missing or its SHA-256 does not match apt-cache showsrc ($sum); see $LOGS/apt-source-$pkg.log"
	step "unpacking $pkg ${debver%-*} (sha256 verified)"
	rm -rf "$dir" "$src/.unpack"
	mkdir "$src/.unpack"
	tar -C "$src/.unpack" -xf "$BUILD/dl/$tarball" --wildcards "$@"
	mv "$src/.unpack"/* "$dir"
	rmdir "$src/.unpack"
}

# rdma-core 65.0 unpacks to linux-rdma-rdma-core-<hash>/.
rdma() {
	local v=$RDMA_VERSION dir=$src/rdma-core-$RDMA_VERSION
	[ -f "$dir/.unpacked" ] && return 0
	fetch_orig rdma-core "$RDMA_DEB" "$RDMA_SUITE" "rdma-core_$v.orig.tar.gz" "$dir"
	echo "$v" >"$dir/.unpacked"
	ln -sfn "rdma-core-$v" "$src/rdma-core"
}

# Upstream man-pages from the "manpages" source package: its tarball is
# upstream's (man-pages-<version>/man/man<section>/...), and the patch is
# made against upstream's paths, as it would be posted. Only man/man2 and
# man/man2const are unpacked.
man() {
	local v=${MANPAGES_VERSION%-*} dir=$src/man-pages-${MANPAGES_VERSION%-*}
	[ -f "$dir/.unpacked" ] && return 0
	fetch_orig manpages "$MANPAGES_VERSION" "$MANPAGES_SUITE" \
		"manpages_$v.orig.tar.xz" "$dir" '*/man/man2' '*/man/man2const'
	echo "$v" >"$dir/.unpacked"
	ln -sfn "man-pages-$v" "$src/man-pages"
}

case $what in
linux) kernel ;;
rdma-core) rdma ;;
man-pages) man ;;
*) die "usage: $0 linux|rdma-core|man-pages" ;;
esac

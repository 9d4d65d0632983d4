#!/bin/bash
# Fetch and unpack the two pristine bases into build/src:
#   linux   Debian's linux-source-$BASE, pinned to $KERNEL_PIN, with a loud
#           fallback to the newest $BASE the archive has;
#   rdma    rdma-core $RDMA_VERSION from the trixie (56.1) or sid (65.0)
#           deb-src entry, verified
#           against the SHA-256 that apt-cache showsrc prints (the archive
#           answers 404 for the .dsc, so apt's own check never runs);
#   man     for 6.12: man2/ of Debian's manpages-dev $MANPAGES_VERSION
#           (man-pages 6.03), fetched with apt-get download, which checks
#           it against the archive's signed index; for 7.3: man/man2/ and
#           man/man2const/ of upstream man-pages, the .orig.tar.xz of
#           Debian's manpages source package $MANPAGES_VERSION
#           ($MANPAGES_SUITE), verified like rdma-core's.
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
			warn "$pkg $want is not in the archive any more; falling back to the newest $BASE"
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

rdma() {
	local v=$RDMA_VERSION dir=$src/rdma-core-$RDMA_VERSION
	[ -f "$dir/.unpacked" ] && return 0
	ensure_rdma_src
	local tarball=rdma-core_$v.orig.tar.gz sum
	sum=$(apt-cache showsrc rdma-core 2>/dev/null |
		awk -v f="$tarball" 'length($1) == 64 && $3 == f {print $1; exit}')
	[ -n "$sum" ] || die "apt-cache showsrc knows no rdma-core $RDMA_DEB (is the $RDMA_SUITE deb-src entry there?)"
	mkdir -p "$BUILD/dl"
	if ! echo "$sum  $BUILD/dl/$tarball" | sha256sum -c --status 2>/dev/null; then
		step "downloading rdma-core $v"
		# apt-get source fails on the missing .dsc after it has fetched
		# the tarballs: its exit status is ignored, the checksum decides.
		(cd "$BUILD/dl" && apt-get source --download-only "rdma-core=$RDMA_DEB" \
			>"$BUILD/dl/apt-source.log" 2>&1) || true
	fi
	echo "$sum  $BUILD/dl/$tarball" | sha256sum -c --status ||
		die "rdma-core $v tarball missing or its SHA-256 does not match apt-cache showsrc ($sum)"
	step "unpacking rdma-core $v (sha256 verified)"
	rm -rf "$dir" "$src/.unpack"
	mkdir "$src/.unpack"
	tar -C "$src/.unpack" -xzf "$BUILD/dl/$tarball"
	# 56.1 unpacks to rdma-core-56.1/, 65.0 to linux-rdma-rdma-core-<hash>/
	mv "$src/.unpack"/* "$dir"
	rmdir "$src/.unpack"
	echo "$v" >"$dir/.unpacked"
	ln -sfn "rdma-core-$v" "$src/rdma-core"
}

man() {
	[ "$MANPAGES_FROM" = source ] && { man_source; return; }
	local v=$MANPAGES_VERSION dir=$src/man-pages-${MANPAGES_VERSION%-*}
	[ -f "$dir/.unpacked" ] && return 0
	mkdir -p "$BUILD/dl"
	local deb=$BUILD/dl/manpages-dev_${v}_all.deb
	if [ ! -f "$deb" ]; then
		step "downloading manpages-dev $v"
		(cd "$BUILD/dl" && apt-get download "manpages-dev=$v" \
			>"$LOGS/apt-manpages.log" 2>&1) ||
			die "cannot download manpages-dev $v (see $LOGS/apt-manpages.log)"
	fi
	step "unpacking man2/ of manpages-dev $v"
	rm -rf "$dir" "$BUILD/dl/manpages-dev"
	dpkg-deb -x "$deb" "$BUILD/dl/manpages-dev"
	mkdir -p "$dir/man2"
	local f
	for f in "$BUILD/dl/manpages-dev/usr/share/man/man2/"*.2.gz; do
		zcat "$f" >"$dir/man2/$(basename "$f" .gz)"
	done
	rm -rf "$BUILD/dl/manpages-dev"
	echo "${MANPAGES_VERSION%-*}" >"$dir/.unpacked"
	ln -sfn "man-pages-${MANPAGES_VERSION%-*}" "$src/man-pages"
}

# Upstream man-pages from the "manpages" source package: its tarball is
# upstream's (man-pages-<version>/man/man<section>/...), and the patch is
# made against upstream's paths, as it would be posted.
man_source() {
	local v=${MANPAGES_VERSION%-*}
	local dir=$src/man-pages-$v tarball=manpages_$v.orig.tar.xz sum
	[ -f "$dir/.unpacked" ] && return 0
	ensure_deb_src manpages "$MANPAGES_VERSION" "$MANPAGES_SUITE"
	sum=$(apt-cache showsrc manpages 2>/dev/null |
		awk -v f="$tarball" 'length($1) == 64 && $3 == f {print $1; exit}')
	[ -n "$sum" ] || die "apt-cache showsrc knows no manpages $MANPAGES_VERSION (is the $MANPAGES_SUITE deb-src entry there?)"
	mkdir -p "$BUILD/dl"
	if ! echo "$sum  $BUILD/dl/$tarball" | sha256sum -c --status 2>/dev/null; then
		step "downloading man-pages $v"
		# As for rdma-core: the .dsc may answer 404 after the tarball
		# came; apt's exit status is ignored, the checksum decides.
		(cd "$BUILD/dl" && apt-get source --download-only "manpages=$MANPAGES_VERSION" \
			>"$LOGS/apt-manpages.log" 2>&1) || true
	fi
	echo "$sum  $BUILD/dl/$tarball" | sha256sum -c --status 2>/dev/null ||
		die "man-pages $v tarball missing or its SHA-256 does not match apt-cache showsrc ($sum); see $LOGS/apt-manpages.log"
	step "unpacking man/man2/ and man/man2const/ of man-pages $v (sha256 verified)"
	rm -rf "$dir" "$src/.unpack"
	mkdir "$src/.unpack"
	tar -C "$src/.unpack" -xJf "$BUILD/dl/$tarball" --wildcards \
		'*/man/man2' '*/man/man2const'
	mv "$src/.unpack"/* "$dir"
	rmdir "$src/.unpack"
	echo "$v" >"$dir/.unpacked"
	ln -sfn "man-pages-$v" "$src/man-pages"
}

case $what in
linux) kernel ;;
rdma-core) rdma ;;
man-pages) man ;;
*) die "usage: $0 linux|rdma-core|man-pages" ;;
esac

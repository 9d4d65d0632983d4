#!/bin/bash
# Install every Debian package the project needs; idempotent and quiet when
# everything is there already.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

pkgs="build-essential git ccache flex bison bc cpio kmod libelf-dev libssl-dev
	python3 python3-ply python3-git python3-docutils xz-utils dpkg-dev rsync
	cmake ninja-build pkg-config libnl-3-dev libnl-route-3-dev libudev-dev
	cython3 python3-dev
	qemu-system-x86 e2fsprogs xfsprogs iproute2 perftest
	liburing-dev python3-matplotlib ndctl fio erofs-utils dmsetup"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=" $p"
done
[ -z "$missing" ] && exit 0
[ "$(id -u)" = 0 ] || die "missing packages:$missing (run make deps as root)"
step "installing Debian packages:$missing"
apt_get update || die "apt-get update failed (see build/logs/apt.log)"
# shellcheck disable=SC2086
apt_get install -y --no-install-recommends $missing ||
	die "apt-get install failed for:$missing (see build/logs/apt.log)"

#!/bin/bash
# Build the guest kernel: tinyconfig + tests/kernel.config, bzImage only,
# through ccache, out of tree.
#   kernel.sh SRC OBJ LOCALVERSION
set -euo pipefail
. "$(dirname "$0")/lib.sh"

src=$1 obj=$2 lv=$3
frag=$TOP/tests/kernel.config
mkdir -p "$obj"
export CCACHE_BASEDIR=$TOP CCACHE_NOHASHDIR=1
export KBUILD_BUILD_TIMESTAMP="2026-01-01" KBUILD_BUILD_USER=fsdax-rdma KBUILD_BUILD_HOST=build
kmake() { make -C "$src" O="$obj" CC="ccache gcc" LOCALVERSION="$lv" "$@"; }

if [ ! -f "$obj/.config" ] || [ "$frag" -nt "$obj/.config" ] ||
	[ "$(cat "$obj/.frag-src" 2>/dev/null)" != "$src" ]; then
	step "configuring $(basename "$obj") (tinyconfig + tests/kernel.config)"
	run kconfig-$(basename "$obj") kmake tinyconfig
	run kconfig-$(basename "$obj") "$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$frag"
	run kconfig-$(basename "$obj") kmake olddefconfig
	bad=0
	while IFS= read -r line; do
		case $line in '' | '#'*) continue ;; esac
		opt=${line%%=*} val=${line#*=}
		if [ "$val" = n ]; then
			if grep -q "^$opt=" "$obj/.config"; then
				warn "$opt is set but tests/kernel.config says n"
				bad=1
			fi
		elif ! grep -qx "$line" "$obj/.config"; then
			warn "kernel config lost $line (got: $(grep "^$opt=\|# $opt is" "$obj/.config" || echo nothing))"
			bad=1
		fi
	done <"$frag"
	[ $bad = 0 ] || die "tests/kernel.config does not survive olddefconfig"
	echo "$src" >"$obj/.frag-src"
fi
step "building $(basename "$obj") ($(nproc) jobs; log: build/logs/kernel-$(basename "$obj").log)"
run kernel-$(basename "$obj") kmake -j"$(nproc)" bzImage

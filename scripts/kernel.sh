#!/bin/bash
# Build the guest kernel: tinyconfig + tests/kernel.config, bzImage only,
# through ccache, out of tree.
#   kernel.sh SRC OBJ LOCALVERSION
# KCONFIG_EXTRA=FILE merges one more fragment after it (make test-kasan,
# make bench's non-debug kernel).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

src=$1 obj=$2 lv=$3
frags=("$TOP/tests/kernel.config")
[ -n "${KCONFIG_EXTRA:-}" ] && frags+=("$KCONFIG_EXTRA")
mkdir -p "$obj"
export CCACHE_BASEDIR=$TOP CCACHE_NOHASHDIR=1
export KBUILD_BUILD_TIMESTAMP="2026-01-01" KBUILD_BUILD_USER=fsdax-rdma KBUILD_BUILD_HOST=build
kmake() { make -C "$src" O="$obj" CC="ccache gcc" LOCALVERSION="$lv" "$@"; }

# The tree's version is part of the key: an object directory of another
# base (6.12 before the move to 7.3) is configured afresh.
kver=$(make -s -C "$src" kernelversion 2>/dev/null)
stale=0
for f in "${frags[@]}"; do
	if [ "$f" -nt "$obj/.config" ]; then stale=1; fi
done
if [ ! -f "$obj/.config" ] || [ $stale = 1 ] ||
	[ "$(cat "$obj/.frag-src" 2>/dev/null)" != "$src $kver" ]; then
	step "configuring $(basename "$obj") (tinyconfig + ${frags[*]#"$TOP"/})"
	run kconfig-$(basename "$obj") kmake tinyconfig
	run kconfig-$(basename "$obj") "$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "${frags[@]}"
	run kconfig-$(basename "$obj") kmake olddefconfig
	# Each option's last value across the fragments (a later fragment
	# may turn off what kernel.config turns on).
	bad=0
	declare -A want=()
	while IFS= read -r line; do
		case $line in '' | '#'*) continue ;; esac
		want[${line%%=*}]=${line#*=}
	done < <(cat "${frags[@]}")
	for opt in "${!want[@]}"; do
		val=${want[$opt]}
		if [ "$val" = n ]; then
			if grep -q "^$opt=" "$obj/.config"; then
				warn "$opt is set but the fragment says n"
				bad=1
			fi
		elif ! grep -qx "$opt=$val" "$obj/.config"; then
			warn "kernel config lost $opt=$val (got: $(grep "^$opt=\|# $opt is" "$obj/.config" || echo nothing))"
			bad=1
		fi
	done
	[ $bad = 0 ] || die "${frags[*]#"$TOP"/} do not survive olddefconfig"
	echo "$src $kver" >"$obj/.frag-src"
fi
step "building $(basename "$obj") ($(nproc) jobs; log: build/logs/kernel-$(basename "$obj").log)"
run kernel-$(basename "$obj") kmake -j"$(nproc)" bzImage

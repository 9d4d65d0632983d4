#!/bin/bash
# Build rdma-core in place through ccache.
#   rdma-core.sh [SRC OUT]
# Default: the tree with the series, build/rdma-core -> build/rdma-core/build.
# `rdma-core.sh build/src/rdma-core build/rdma-core-stock/build` builds the
# pristine release for comparisons (test-full).
# An IN_PLACE build compiles its absolute path into libibverbs (the provider
# directory), which is why it lives in the repo's build/ and never under
# /tmp: the guest sees the host's / at the same paths, but a tmpfs on /tmp.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

src=${1:-$BUILD/rdma-core}
out=${2:-$src/build}
name=$(basename "$(dirname "$out")")	# rdma-core, rdma-core-stock: the log names
[ -f "$src/CMakeLists.txt" ] || die "no rdma-core source in $src"
export CCACHE_BASEDIR=$TOP CCACHE_NOHASHDIR=1
if [ ! -f "$out/build.ninja" ]; then
	step "configuring $name"
	mkdir -p "$out"
	# Debian's python3 has Cython; a python3 earlier on PATH may not, and
	# then cmake silently drops pyverbs.
	run $name-cmake cmake -S "$src" -B "$out" -GNinja -DIN_PLACE=1 -DNO_MAN_PAGES=1 \
		-DPYTHON_EXECUTABLE=/usr/bin/python3 -DCMAKE_C_COMPILER_LAUNCHER=ccache
fi
step "building $name (log: build/logs/$name.log)"
run $name ninja -C "$out"
[ -d "$out/python/pyverbs" ] || die "$name was built without pyverbs (cython3 missing?)"

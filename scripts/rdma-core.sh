#!/bin/bash
# Build rdma-core in place (build/rdma-core/build) through ccache. An
# IN_PLACE build compiles its absolute path into libibverbs (the provider
# directory), which is why it lives in the repo's build/ and never under
# /tmp: the guest sees the host's / at the same paths, but a tmpfs on /tmp.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

src=$BUILD/rdma-core
out=$src/build
export CCACHE_BASEDIR=$TOP CCACHE_NOHASHDIR=1
if [ ! -f "$out/build.ninja" ]; then
	step "configuring rdma-core"
	mkdir -p "$out"
	# Debian's python3 has Cython; a python3 earlier on PATH may not, and
	# then cmake silently drops pyverbs.
	run rdma-core-cmake cmake -S "$src" -B "$out" -GNinja -DIN_PLACE=1 -DNO_MAN_PAGES=1 \
		-DPYTHON_EXECUTABLE=/usr/bin/python3 -DCMAKE_C_COMPILER_LAUNCHER=ccache
fi
step "building rdma-core (log: build/logs/rdma-core.log)"
run rdma-core ninja -C "$out"
[ -d "$out/python/pyverbs" ] || die "rdma-core was built without pyverbs (cython3 missing?)"

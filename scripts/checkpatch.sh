#!/bin/bash
# scripts/checkpatch.pl --strict over every patch of both series.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

# spdxcheck.py, which checkpatch runs, needs Debian's python3 (ply, git).
export PATH=/usr/bin:$PATH
cp=$BUILD/linux/scripts/checkpatch.pl
[ -x "$cp" ] || die "no $cp (run make tree)"
bad=0 n=0
for which in linux rdma-core; do
	args=(--strict --quiet --show-types)
	# rdma-core is user space with its own MAINTAINERS: stdint types are
	# its style, not the kernel's u32.
	[ "$which" = rdma-core ] &&
		args+=(--no-tree --ignore PREFER_KERNEL_TYPES,FILE_PATH_CHANGES)
	while read -r p; do
		[ -n "$p" ] || continue
		n=$((n + 1))
		if ! (cd "$BUILD/linux" && "$cp" "${args[@]}" "$p"); then
			echo "checkpatch: ${p#"$TOP"/} is not clean"
			bad=$((bad + 1))
		fi
	done < <("$TOP/scripts/tree.sh" list $which)
done
echo "checkpatch --strict: $n patch(es), $bad not clean"
[ $bad = 0 ]

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
	# A new file needs a MAINTAINERS entry, which checkpatch only sees
	# when the patch touches MAINTAINERS; get_maintainer.pl tells below
	# whether an existing entry covers it.
	[ "$which" = linux ] && args+=(--ignore FILE_PATH_CHANGES)
	while read -r p; do
		[ -n "$p" ] || continue
		n=$((n + 1))
		if ! (cd "$BUILD/linux" && "$cp" "${args[@]}" "$p"); then
			echo "checkpatch: ${p#"$TOP"/} is not clean"
			bad=$((bad + 1))
		fi
	done < <("$TOP/scripts/tree.sh" list $which)
done
# Every file the kernel series adds has a subsystem in MAINTAINERS.
while read -r f; do
	if ! (cd "$BUILD/linux" && perl scripts/get_maintainer.pl --nogit \
		--nogit-fallback -f "$f") | grep -v "THE REST" | grep -q ":[A-Z]"; then
		echo "checkpatch: $f, added by the series, has no MAINTAINERS entry"
		bad=$((bad + 1))
	fi
done < <(git -C "$BUILD/linux" diff --name-only --diff-filter=A base series)
# Every reStructuredText file the kernel series adds or changes parses
# without errors (rst-check.py); a malformed table renders as an error
# block in the built documentation.
while read -r f; do
	if ! out=$(git -C "$BUILD/linux" show "series:$f" |
		python3 "$TOP/scripts/rst-check.py" 2>&1) || [ -n "$out" ]; then
		echo "checkpatch: $f does not parse as reStructuredText:"
		echo "$out" | sed 's/^/  /'
		bad=$((bad + 1))
	fi
done < <(git -C "$BUILD/linux" diff --name-only --diff-filter=AM base series -- '*.rst')
echo "checkpatch --strict: $n patch(es), $bad not clean"
[ $bad = 0 ]

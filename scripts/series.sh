#!/bin/bash
# Write the three series the way they would be posted: a cover letter and the
# numbered patches, from the commits of build/linux and build/rdma-core.
#   series.sh OUTDIR
# The cover letters' subject and text are scripts/cover/<tree>.txt (first
# line: the subject; then a blank line; then the text).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=${1:-$BUILD/series}
rm -rf "$out"
for which in linux rdma-core man-pages; do
	tree=$BUILD/$which
	cover=$TOP/scripts/cover/$which.txt
	[ -f "$cover" ] || die "no cover letter $cover"
	[ -d "$tree/.git" ] || die "no $tree (run make tree)"
	[ -z "$(git -C "$tree" status --porcelain --untracked-files=no)" ] ||
		die "$tree has uncommitted changes: commit and export them first"
	[ "$(git -C "$tree" rev-parse HEAD)" = "$(git -C "$tree" rev-parse series)" ] ||
		die "$tree has commits that were not exported: run make export first"
	prefix=PATCH
	[ "$which" = rdma-core ] && prefix="PATCH rdma-core"
	[ "$which" = man-pages ] && prefix="PATCH man-pages"
	git -C "$tree" format-patch -q --cover-letter --numbered --no-signature \
		--subject-prefix="$prefix" --zero-commit -o "$out/$which" base..series
	letter=$out/$which/0000-cover-letter.patch
	subject=$(head -1 "$cover")
	# Replace the two placeholders of format-patch's cover letter.
	python3 - "$letter" "$subject" "$cover" <<'PY'
import sys
path, subject, cover = sys.argv[1:]
text = open(cover).read().split("\n", 2)[2].rstrip("\n")
s = open(path).read()
if "*** SUBJECT HERE ***" not in s or "*** BLURB HERE ***" not in s:
	sys.exit("format-patch wrote no cover letter template")
s = s.replace("*** SUBJECT HERE ***", subject).replace("*** BLURB HERE ***", text)
open(path, "w").write(s)
PY
	n=$(find "$out/$which" -name '0*.patch' ! -name '0000-*' | wc -l)
	step "$which: cover letter + $n patches in ${out#"$TOP"/}/$which"
done

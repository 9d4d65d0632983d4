#!/bin/bash
# Set the two guest runs of `make test-full` side by side (tests/vm/full.sh
# wrote them): a table per part, the differences, and the closing
#   N passed, N failed, N skipped on both kernels (not passed), N expected ...
# A result counts as failed when ours fails or is missing, wherever stock
# stands: a test failing on both kernels is a failure too, unless it is an
# expected failure ("not ok ... # TODO", tests/sh/selftests.sh's table of
# stock 7.3's own failures) on both sides. A skip is never a pass: one
# that stock does not share fails, one it shares (hardware this guest
# does not have) is counted on its own. Each dmesg problem is
# a result of its own, so a warning stock shares cannot hide a new one.
# A name seen twice in a part is two results (NAME, NAME [2]): a later
# line does not overwrite an earlier one.
#   compare.sh OURS_DIR STOCK_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"

ours=$1 stock=$2
recs=$(mktemp)
trap 'rm -f "$recs"' EXIT

# records SIDE DIR: "side<TAB>part<TAB>name<TAB>pass|skip|fail" lines.
records() {
	local side=$1 dir=$2 part f
	for part in perftest fio selftests dmesg; do
		f=$dir/$part.tap
		[ -f "$f" ] || continue
		# gup_test names its ioctl status in the message: not part of the name.
		awk -v side="$side" -v part="$part" '
			/^(not )?ok [0-9]+ / {
				st = ($1 == "not") ? "fail" : "pass"
				sub(/^(not )?ok [0-9]+ /, "")
				if (match($0, / *# *SKIP/)) {
					if (st == "pass") st = "skip"
					$0 = substr($0, 1, RSTART - 1)
				}
				if (match($0, / *# *TODO/)) {
					st = (st == "fail") ? "xfail" : "xpass"
					$0 = substr($0, 1, RSTART - 1)
				}
				gsub(/status -?[0-9]+/, "status N")
				# perftest and fio name what a stock kernel is expected to do.
				sub(/ \(stock kernel: [^)]*\)$/, "")
				print side "\t" part "\t" $0 "\t" st
			}' "$f"
	done
	f=$dir/rdma-core.tsv
	[ -f "$f" ] && awk -F'\t' -v side="$side" '
		$2 == "start" { next }
		{
			st = "fail"
			if ($2 == "pass") st = "pass"
			else if ($2 == "xfail") st = "xfail"
			else if ($2 == "skip") st = "skip"
			else if ($2 == "excluded") st = "excluded"
			print side "\trdma-core\t" $1 "\t" st
		}' "$f"
}

for d in "$ours" "$stock"; do
	[ -f "$d/side" ] || warn "$d: the guest wrote no results"
	[ -f "$d/failure" ] && warn "$d: $(cat "$d/failure")"
done
{
	records ours "$ours"
	records stock "$stock"
} >"$recs"

awk -F'\t' -v guest_o="$([ -f "$ours/failure" ] || [ ! -f "$ours/side" ] && echo 1)" \
	-v guest_s="$([ -f "$stock/failure" ] || [ ! -f "$stock/side" ] && echo 1)" '
	{
		key = $2 "\t" $3
		# The same name again in the same part: a result of its own.
		if (++occ[$1, key] > 1) key = key " [" occ[$1, key] "]"
		if (!(key in seen)) { seen[key] = 1; order[++n] = key }
		st[$1, key] = $4
		cnt[$1, $2, $4]++
		parts[$2] = 1
	}
	function pst(side, p) {
		return sprintf("%5d %4d %4d %4d", cnt[side, p, "pass"],
			cnt[side, p, "skip"], cnt[side, p, "fail"] + cnt[side, p, "xpass"],
			cnt[side, p, "xfail"])
	}
	END {
		split("perftest fio selftests rdma-core dmesg", plist, " ")
		printf "%-10s  %-24s  %-24s  %s\n", "part", "ours pass/skip/fail/xf", "stock pass/skip/fail/xf", "failures"
		for (i = 1; i <= n; i++) {
			split(order[i], kp, "\t")
			o = st["ours", order[i]]; s = st["stock", order[i]]
			why = ""
			if (o == "excluded") continue
			if (o == "pass") pass++
			else if (o == "xfail" && s == "xfail") xfail++
			else if (o == "xfail") why = "expected failure in ours, stock: " (s == "" ? "not run" : s)
			else if (o == "xpass") why = "an expected failure passes in ours: update the table"
			else if (o == "" && s == "xfail") fixed[++nx] = order[i] " (an expected failure of stock)"
			# selftests.sh checks stock-only expected failures on stock only.
			else if (o == "" && kp[2] ~ /^expected failures "/) only_s[++ns] = order[i]
			else if (o == "") why = "missing in ours, stock: " s
			else if (o == "skip" && s == "skip") bothskip++
			else if (o == "skip") why = "skipped in ours, stock: " (s == "" ? "not run" : s)
			else if (o == "fail" && s == "fail") why = "fails in ours and on stock"
			else why = "fails in ours, stock: " (s == "" ? "not run" : s)
			if (why != "") { newf[++nf] = order[i] " (" why ")"; newp[kp[1]]++ }
			if (o == "pass" && s == "fail") fixed[++nx] = order[i]
			if (o != "" && s == "") only[++no] = order[i]
		}
		for (j = 1; j <= 4; j++) {
			p = plist[j]
			if (!(p in parts)) continue
			printf "%-10s  %-24s  %-24s  %d\n", p, pst("ours", p), pst("stock", p), newp[p]
		}
		for (j = 1; j <= nf; j++) { gsub(/\t/, ": ", newf[j]); print "FAILURE " newf[j] }
		for (j = 1; j <= nx; j++) { gsub(/\t/, ": ", fixed[j]); print "# fails on stock, passes with the series: " fixed[j] }
		for (j = 1; j <= no; j++) { gsub(/\t/, ": ", only[j]); print "# only in ours: " only[j] }
		for (j = 1; j <= ns; j++) { gsub(/\t/, ": ", only_s[j]); print "# stock only: " only_s[j] }
		if (guest_o) { print "FAILURE the guest run of ours did not finish"; nf++ }
		if (guest_s) { print "FAILURE the guest run of stock did not finish"; nf++ }
		printf "%d passed, %d failed, %d skipped on both kernels (not passed), %d expected failures on both\n", pass, nf, bothskip, xfail
		exit nf > 0
	}' "$recs"
rc=$?
for d in "$ours" "$stock"; do
	[ -f "$d/times.txt" ] && echo "# guest seconds ($(cat "$d/side" 2>/dev/null || basename "$d")): $(tr '\n' ' ' <"$d/times.txt")"
done
exit $rc

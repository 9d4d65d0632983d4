#!/bin/bash
# Set the two guest runs of `make test-full` side by side (tests/vm/full.sh
# wrote them): a table per part, the differences, and the closing
#   N passed, N failed[, N skipped, N failing on stock too]
# A test of ours that fails (or is skipped, or is missing) where stock
# passes is a new failure; one failing on both sides is listed, not counted.
#   compare.sh OURS_DIR STOCK_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"

ours=$1 stock=$2
recs=$(mktemp)
trap 'rm -f "$recs"' EXIT

# records SIDE DIR: "side<TAB>part<TAB>name<TAB>pass|skip|fail" lines.
records() {
	local side=$1 dir=$2 part f
	for part in perftest selftests dmesg; do
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
				gsub(/status -?[0-9]+/, "status N")
				# perftest names what a stock kernel is expected to do.
				sub(/ \(stock kernel: [^)]*\)$/, "")
				print side "\t" part "\t" $0 "\t" st
			}' "$f"
	done
	f=$dir/rdma-core.tsv
	[ -f "$f" ] && awk -F'\t' -v side="$side" '
		$2 == "start" { next }
		{
			st = "fail"
			if ($2 == "pass" || $2 == "xfail") st = "pass"
			else if ($2 == "skip" || $2 == "excluded") st = "skip"
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
		if (!(key in seen)) { seen[key] = 1; order[++n] = key }
		st[$1, key] = $4
		cnt[$1, $2, $4]++
		parts[$2] = 1
	}
	END {
		split("perftest selftests rdma-core dmesg", plist, " ")
		printf "%-10s  %-22s  %-22s  %s\n", "part", "ours pass/skip/fail", "stock pass/skip/fail", "new failures"
		for (i = 1; i <= n; i++) {
			split(order[i], kp, "\t")
			o = st["ours", order[i]]; s = st["stock", order[i]]
			if (o == "fail" && s == "fail") { both[++nb] = order[i] " (fails on both)" }
			else if (o == "fail" || (o == "" && s != "") || (o == "skip" && s == "pass")) {
				why = (o == "") ? "missing in ours" : (o == "skip" ? "skipped in ours, passes on stock" : "fails in ours, stock: " (s == "" ? "not run" : s))
				newf[++nf] = order[i] " (" why ")"; newp[kp[1]]++
			} else if (o == "pass") pass++
			else if (o == "skip") skip++
			if (o == "pass" && s == "fail") fixed[++nx] = order[i]
			if (o != "" && s == "") only[++no] = order[i]
		}
		for (j = 1; j <= 4; j++) {
			p = plist[j]
			if (!(p in parts)) continue
			printf "%-10s  %6d %6d %6d      %6d %6d %6d        %d\n", p,
				cnt["ours", p, "pass"], cnt["ours", p, "skip"], cnt["ours", p, "fail"],
				cnt["stock", p, "pass"], cnt["stock", p, "skip"], cnt["stock", p, "fail"], newp[p]
		}
		for (j = 1; j <= nf; j++) { gsub(/\t/, ": ", newf[j]); print "NEW FAILURE " newf[j] }
		for (j = 1; j <= nb; j++) { gsub(/\t/, ": ", both[j]); print "# known, fails on stock too: " both[j] }
		for (j = 1; j <= nx; j++) { gsub(/\t/, ": ", fixed[j]); print "# fails on stock, passes with the series: " fixed[j] }
		for (j = 1; j <= no; j++) { gsub(/\t/, ": ", only[j]); print "# only in ours: " only[j] }
		if (guest_o) { print "NEW FAILURE the guest run of ours did not finish"; nf++ }
		if (guest_s) { print "NEW FAILURE the guest run of stock did not finish"; nf++ }
		printf "%d passed, %d failed, %d skipped, %d failing on stock too\n", pass, nf, skip, nb
		exit nf > 0
	}' "$recs"
rc=$?
for d in "$ours" "$stock"; do
	[ -f "$d/times.txt" ] && echo "# guest seconds ($(cat "$d/side" 2>/dev/null || basename "$d")): $(tr '\n' ' ' <"$d/times.txt")"
done
exit $rc

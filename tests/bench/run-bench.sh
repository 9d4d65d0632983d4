#!/bin/bash
# The guest side of make bench: runs each mode of build/tests/bench and
# collects their raw samples into OUTDIR/bench.json for
# scripts/bench-report.py. Each mode's stderr goes to OUTDIR/bench-MODE.log.
#   run-bench.sh OUTDIR [SCALE]
# SCALE (default 1) multiplies repetition counts (0.1 for a quick trial).
# Exits 1 if any mode failed; the modes that worked are still in bench.json.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$1
scale=${2:-1}
bin=${FSDAX_BIN:-$top/build/tests}/bench
rdma=${FSDAX_BUILD:-$top/build}/rdma-core/build/bin
failed=0
say() { echo "bench: $*" | tee -a "$out/bench.log" >/dev/console; }

# A profile instead (run-vm.sh with FSDAX_PROFILE set): see profile.sh.
if [ -n "${FSDAX_PROFILE:-}" ]; then
	FSDAX_OUT=$out FSDAX_BIN=${bin%/bench} exec "$top/tests/bench/profile.sh"
fi

# run_mode MODE LIMIT: bench MODE into OUTDIR/bench-MODE.json; the modes
# run are what bench.json reports on.
modes=
run_mode() {
	local mode=$1 limit=$2 t0 rc
	modes+="${modes:+ }$mode"
	t0=$(date +%s)
	say "$mode (limit ${limit}s)"
	timeout -k 5 "$limit" "$bin" "$mode" "$scale" \
		>"$out/bench-$mode.json" 2>"$out/bench-$mode.log"
	rc=$?
	echo "$rc $(($(date +%s) - t0))" >"$out/bench-$mode.rc"
	sed 's/^/  /' "$out/bench-$mode.log" >/dev/console
	say "$mode: exit $rc after $(($(date +%s) - t0)) s"
	[ $rc = 0 ] || failed=1
}

: >"$out/bench.log"
t_all=$(date +%s)
run_mode info 60
# A jiffies clock (the TSC failed calibration) has 4 ms steps: worthless
# for these timings; the report refuses it.
say "clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
# What the device and the shell say, next to what the program saw.
"$rdma/ibv_devinfo" -v -d rxe0 >"$out/ibv_devinfo.txt" 2>&1
devinfo_max_mr=$(awk '$1 == "max_mr:" { print $2; exit }' "$out/ibv_devinfo.txt")
memlock=$(ulimit -l)
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
clock=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)
# The stock kernel refuses FS-DAX MRs: only the modes that compare
# memory it can register, and files without MRs, run there. Both kernels
# run those first, in the same order, so that what is compared across the
# two boots runs in the same state of the guest (reg-stockset: the kinds
# stock registers, in the same turns).
case $(uname -r) in
*-stock)
	# reg-stockset, not reg: reg would also map and touch the FS-DAX
	# files it then finds refused, which this kernel's reg-stockset does
	# not do, and the two boots would not run the same before open.
	run_mode reg-stockset 600
	run_mode open 300
	;;
*)
	run_mode reg-stockset 600
	run_mode open 300
	run_mode reg 900
	run_mode bw 400
	run_mode revoke 300
	run_mode scale 400
	;;
esac

# One JSON object: the modes' own objects, null for a mode that failed.
{
	printf '{"scale": %s, "seconds": %d, "devinfo_max_mr": "%s", "ulimit_l": "%s",\n' \
		"$scale" $(($(date +%s) - t_all)) "${devinfo_max_mr:-?}" "$memlock"
	printf '"cpu_model": "%s", "vcpus": %d, "clocksource": "%s",\n' \
		"$cpu_model" "$(nproc)" "$clock"
	printf '"kernel": "%s", "debug_kernel": %s,\n' "$(uname -r)" \
		"$(zcat /proc/config.gz | grep -q '^CONFIG_PROVE_LOCKING=y' && echo true || echo false)"
	printf '"dmesg_problems": %d,\n' \
		"$(dmesg | grep -cE 'WARNING:|BUG:|Oops|circular locking|blocked for more than')"
	printf '"status": {'
	sep=
	for m in $modes; do
		read -r rc secs <"$out/bench-$m.rc"
		printf '%s"%s": {"rc": %d, "seconds": %d}' "$sep" "$m" "$rc" "$secs"
		sep=", "
	done
	printf '},\n'
	for m in $modes; do
		read -r rc _ <"$out/bench-$m.rc"
		printf '"%s": ' "$m"
		if [ "$rc" = 0 ] && [ -s "$out/bench-$m.json" ]; then
			cat "$out/bench-$m.json"
		else
			echo null
		fi
		[ $m = "${modes##* }" ] || printf ','
	done
	printf '}\n'
} >"$out/bench.json"
say "done in $(($(date +%s) - t_all)) s, raw results in bench.json"
exit $failed

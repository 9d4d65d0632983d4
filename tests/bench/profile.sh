#!/bin/bash
# Guest side of a registration profile (not part of make bench or make
# test): for each KIND, `bench loop` under perf (cpu-clock samples: TCG has
# no PMU) and kprobe hit counts of the fault and writeback paths, into
# $FSDAX_OUT/profile-KIND.txt.
#   run-vm.sh KERNEL script:$TOP/tests/bench/profile.sh, or, for the
#   bench test bed (devdax, 2 MiB stripe unit):
#   FSDAX_PROFILE="devdax anon" run-vm.sh KERNEL bench
# FSDAX_PROFILE="KIND..." (default: anon-4k dax-ext4-4k dax-xfs-4k; commas
# or blanks)
# FSDAX_PROFILE_MIB (default 64), FSDAX_PROFILE_N (default 200).
set -u
out=$FSDAX_OUT
bin=$FSDAX_BIN/bench
mib=${FSDAX_PROFILE_MIB:-64}
n=${FSDAX_PROFILE_N:-200}
t=/sys/kernel/tracing
probes="handle_mm_fault dax_iomap_fault dax_writeback_mapping_range
	pin_user_pages_fast pin_user_pages_leased __gup_longterm_locked
	follow_page_pte get_dev_pagemap"
echo 0 >/proc/sys/kernel/kptr_restrict
echo -1 >/proc/sys/kernel/perf_event_paranoid
# (re)register the probes, which starts their hit counts at 0
register_probes() {
	local p
	echo >$t/kprobe_events
	for p in $probes; do
		echo "p:kp_$p $p" >>$t/kprobe_events || echo "no kprobe on $p"
	done
}
register_probes
kinds=${FSDAX_PROFILE:-anon-4k dax-ext4-4k dax-xfs-4k}
for kind in ${kinds//,/ }; do
	f=$out/profile-$kind.txt
	# count hits only: nothing into the ring buffer (bench reads it)
	echo 0 >$t/tracing_on
	echo 1 >$t/events/kprobes/enable
	perf record -q -e cpu-clock -F 4000 -g -o /tmp/perf-$kind.data \
		"$bin" loop "$kind" "$mib" "$n" >"$f" 2>&1
	echo 0 >$t/events/kprobes/enable
	echo 1 >$t/tracing_on
	echo "kprobe hits (whole run, setup included):" >>"$f"
	cat $t/kprobe_profile >>"$f"
	register_probes
	perf report -q -i /tmp/perf-$kind.data --stdio --no-children \
		--sort sym -g none --percent-limit 0.3 >>"$f" 2>&1
	perf report -q -i /tmp/perf-$kind.data --stdio --children \
		--sort sym -g none --percent-limit 1 \
		>"$out/profile-$kind-children.txt" 2>&1
	# for perf annotate on the host (too slow under TCG), with
	# --vmlinux build/kbuild-bench/vmlinux
	cp /tmp/perf-$kind.data "$out/"
done

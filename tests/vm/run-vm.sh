#!/bin/bash
# Boot the guest kernel under QEMU with the host's / read-only over
# virtio-9p, three 1 GiB nvdimms (pmem0 ext4, pmem1 xfs, pmem2 erofs) and
# no network, and run MODE in it:
#   run-vm.sh KERNEL MODE [TIMEOUT]
#   MODE: test | demo | bench | full | shell | script:/abs/path/to/script.sh
# FSDAX_VM_OUT=DIR puts the output somewhere else than build/vm.
# The guest writes what it produces into build/vm/ (a writable 9p share);
# a guest that panics or outlives TIMEOUT seconds fails the run.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

kernel=$1 mode=$2 limit=${3:-2400}
out=${FSDAX_VM_OUT:-$BUILD/vm}	# another directory lets runs go side by side
[ -f "$kernel" ] || die "no guest kernel at $kernel (run make kernel)"
# The guest learns the clone's path from its kernel command line, which
# splits at blanks and quotes.
case $TOP$out in
*[[:space:]\"\']*) die "the clone's path '$TOP' (or FSDAX_VM_OUT) has a blank or a quote, which the guest's kernel command line cannot carry: clone it to a path without one" ;;
esac
rm -rf "$out"
mkdir -p "$out"

# /dev/kvm: use it only if a guest really boots with it (nested KVM hangs
# at boot on these machines); otherwise TCG.
accel="tcg,thread=multi"
if [ -w /dev/kvm ] && [ "${FSDAX_KVM:-probe}" != no ]; then
	if timeout 60 qemu-system-x86_64 -accel kvm -m 256 -nographic -no-reboot \
		-kernel "$kernel" -append "console=ttyS0 panic=-1 root=/dev/null" \
		-nic none </dev/null 2>/dev/null | grep -q 'Kernel panic'; then
		accel=kvm
	fi
fi

cmdline="console=ttyS0 root=/dev/root rootfstype=9p ro"
# Under TCG the guest's TSC runs at the host's rate. On a loaded host the
# guest's PIT calibration of it can fail ("tsc: Unable to calibrate against
# PIT"), leaving a jiffies clock with 4 ms steps; a host that knows its TSC
# rate hands it over instead.
if [ "$accel" != kvm ] && grep -qw tsc_known_freq /proc/cpuinfo; then
	khz=$(awk '/^cpu MHz/ { printf "%d", $4 * 1000; exit }' /proc/cpuinfo)
	[ -n "$khz" ] && cmdline+=" tsc_early_khz=$khz"
fi
cmdline+=" rootflags=trans=virtio,version=9p2000.L,msize=262144,cache=loose"
cmdline+=" init=$TOP/tests/vm/init.sh"
cmdline+=" brd.rd_nr=1 brd.rd_size=262144 panic=-1 loglevel=4 tsc=reliable"
cmdline+=" FSDAX_MODE=${mode%%:*} FSDAX_TOP=$TOP FSDAX_BUILD=$BUILD FSDAX_OUT=$out"
[ "${mode#script:}" != "$mode" ] && cmdline+=" FSDAX_SCRIPT=${mode#script:}"
# FSDAX_CMDLINE_EXTRA: more kernel parameters (a sabotage, ib_uverbs.fsdax_mr=0)
[ -n "${FSDAX_CMDLINE_EXTRA:-}" ] && cmdline+=" $FSDAX_CMDLINE_EXTRA"
# Passed on to the guest, blanks as commas (the command line splits at
# blanks): FSDAX_TESTS, make test ONLY="a b": only those tests;
# FSDAX_BENCH_SCALE, make bench BENCH_SCALE=0.1: fewer repetitions, for a
# quick trial; FSDAX_PROFILE="KIND ..." with mode bench:
# tests/bench/profile.sh instead of the benchmarks (FSDAX_PROFILE_MIB,
# FSDAX_PROFILE_N likewise).
for v in FSDAX_TESTS FSDAX_BENCH_SCALE FSDAX_PROFILE FSDAX_PROFILE_MIB \
	 FSDAX_PROFILE_N; do
	[ -n "${!v:-}" ] && cmdline+=" $v=$(echo ${!v} | tr ' ' ,)"
done

# Persistent memory: QEMU nvdimm devices, which ACPI NFIT describes to the
# guest as real persistent memory (legacy memmap= pmem is not, and rxe
# refuses IBV_ACCESS_FLUSH_PERSISTENT on it). The guest's init makes each
# an fsdax namespace: pmem0 (ext4), pmem1 (xfs), pmem2 (erofs). They are
# the same size because the regions' numbers do not follow the devices'
# order.
# make bench adds a fourth, the devdax namespace /dev/dax3.0 (device-DAX,
# what pmem users register today).
pmem=()
i=0
sizes="1G 1G 1G"
[ "$mode" = bench ] && sizes+=" 1G"
for size in $sizes; do
	pmem+=(-object "memory-backend-ram,id=pm$i,size=$size"
		-device "nvdimm,id=nv$i,memdev=pm$i")
	i=$((i + 1))
done

# The build directory, when it is not inside the checkout (host-checks.sh's
# clone links to the real one, which may live under /tmp too, hidden in
# the guest by its tmpfs), is shared too and mounted at its real path.
build_share=()
real_build=$(readlink -f "$BUILD")
case $real_build/ in
"$(readlink -f "$TOP")"/*) ;;
*)
	build_share=(-fsdev "local,id=build,path=$real_build,security_model=none,readonly=on,multidevs=remap"
		-device virtio-9p-pci,fsdev=build,mount_tag=fsdaxbuild)
	cmdline+=" FSDAX_BUILD_REAL=$real_build"
	;;
esac

step "booting the guest ($accel, mode $mode, limit ${limit}s; console: ${out#$TOP/}/console.log)"
set +e
timeout --foreground -k 10 "$limit" qemu-system-x86_64 \
	-accel "$accel" -cpu max -smp 2 -machine pc,nvdimm=on \
	-m 8G,slots=4,maxmem=16G "${pmem[@]}" \
	-nographic -no-reboot -nic none \
	-kernel "$kernel" -append "$cmdline" \
	-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=root,mount_tag=/dev/root \
	-fsdev local,id=top,path="$TOP",security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=top,mount_tag=fsdaxtop \
	-fsdev local,id=out,path="$out",security_model=none \
	-device virtio-9p-pci,fsdev=out,mount_tag=fsdaxout \
	"${build_share[@]}" </dev/null >"$out/console.log" 2>&1
rc=$?
set -e
if [ $rc = 124 ] || [ $rc = 137 ]; then
	echo "guest hung: killed after ${limit}s" >"$out/failure"
elif ! [ -f "$out/done" ]; then
	if grep -q 'Kernel panic' "$out/console.log"; then
		echo "guest panicked: $(grep -m1 'Kernel panic' "$out/console.log" | cut -c1-160)" >"$out/failure"
	else
		echo "guest stopped before it finished (qemu exit $rc); see ${out#$TOP/}/console.log" >"$out/failure"
	fi
fi
exit 0

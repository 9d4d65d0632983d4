#!/bin/bash
# PID 1 of the test guest. The root is the host's / (read-only 9p); this
# sets up what the tests need and runs FSDAX_MODE:
#   /tmp, /run, /mnt  tmpfs
#   /dev/pmem0..2     fsdax namespaces on the nvdimms (ACPI NFIT)
#   /mnt/ext4         ext4 -o dax on /dev/pmem0
#   /mnt/xfs          xfs -o dax on /dev/pmem1
#   /mnt/erofs        erofs -o dax=always on /dev/pmem2 (FS-DAX without
#                     FL_LONGTERM support: its long-term pins stay refused,
#                     I10; one file, /mnt/erofs/data, 4 MiB)
#   /mnt/nodax        ext4 on a ramdisk (no DAX)
#   rxe0              soft-RoCE on veth0 (192.0.2.1/24), peer veth1 (192.0.2.2/24)
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp LANG=C.UTF-8
export PYTHONDONTWRITEBYTECODE=1

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs shm /dev/shm
for d in /tmp /run /mnt; do mount -t tmpfs tmpfs $d; done
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
# A clone under /tmp, /run or /mnt is hidden by the tmpfs just mounted
# there: the host shares it again, read-only as the root, at the same path
# (rdma-core's in-place build has that path compiled in).
if ! [ -f "$FSDAX_TOP/tests/vm/init.sh" ]; then
	mkdir -p "$FSDAX_TOP"
	mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=262144,cache=loose fsdaxtop "$FSDAX_TOP"
fi
if [ -n "${FSDAX_BUILD_REAL:-}" ] && ! [ -d "$FSDAX_BUILD_REAL/tests" ]; then
	mkdir -p "$FSDAX_BUILD_REAL"
	mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=262144,cache=loose fsdaxbuild "$FSDAX_BUILD_REAL"
fi
mkdir -p "$FSDAX_OUT"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 fsdaxout "$FSDAX_OUT"

out=$FSDAX_OUT
log() { echo "guest: $*" | tee -a "$out/setup.log" >/dev/console; }
fail() {
	log "SETUP FAILED: $*"
	echo "guest setup failed: $*" >"$out/failure"
	dmesg >"$out/dmesg.txt"
	sync
	echo b >/proc/sysrq-trigger
	sleep 10
}

hostname fsdax-guest
ip link set lo up || fail "lo"
ip link add veth0 type veth peer name veth1 || fail "veth"
ip addr add 192.0.2.1/24 dev veth0 && ip addr add 192.0.2.2/24 dev veth1 || fail "veth addresses"
ip link set veth0 up && ip link set veth1 up || fail "veth up"
rdma link add rxe0 type rxe netdev veth0 || fail "rdma link add rxe0"

# The nvdimms come up as raw namespaces, without struct pages: make each
# an fsdax namespace (/dev/pmemN) with its struct pages in RAM.
for i in 0 1 2; do
	ndctl create-namespace -f -e namespace$i.0 -m fsdax --map=mem \
		>>"$out/setup.log" 2>&1 || fail "ndctl create-namespace namespace$i.0"
done
# make bench: the fourth nvdimm is a devdax namespace, 2 MiB aligned.
if [ "$FSDAX_MODE" = bench ]; then
	ndctl create-namespace -f -e namespace3.0 -m devdax --align 2M \
		>>"$out/setup.log" 2>&1 || fail "ndctl create-namespace namespace3.0 (devdax)"
	[ -c /dev/dax3.0 ] || fail "no /dev/dax3.0"
fi
mkdir -p /mnt/ext4 /mnt/xfs /mnt/nodax
[ -b /dev/pmem0 ] && [ -b /dev/pmem1 ] && [ -b /dev/pmem2 ] ||
	fail "no /dev/pmem0, /dev/pmem1 and /dev/pmem2"
# make bench: file systems with a 2 MiB stripe unit, so that large files
# get 2 MiB aligned blocks on the media and DAX maps them with PMD entries
# (bench measures the fraction that is). The suite keeps the defaults.
ext4_opts= xfs_opts=
if [ "$FSDAX_MODE" = bench ]; then
	ext4_opts="-E stride=512,stripe_width=512"
	xfs_opts="-d su=2m,sw=1"
fi
mkfs.ext4 -q -F -b 4096 $ext4_opts /dev/pmem0 >/dev/null 2>&1 || fail "mkfs.ext4 pmem0"
mount -o dax /dev/pmem0 /mnt/ext4 || fail "mount -o dax ext4"
mkfs.xfs -q -f $xfs_opts /dev/pmem1 >/dev/null 2>&1 || { [ "$FSDAX_MODE" = script ] || fail "mkfs.xfs pmem1"; }
# Debian 12's mkfs.xfs (6.1) predates exchange-range (-i exchange=1 came
# with xfsprogs 6.10): set its feature bit on the new file system, as
# newer xfs_admin -O exchange=1 does, so XFS_IOC_EXCHANGE_RANGE is tested.
incompat=$(xfs_db -c "sb 0" -c "print features_incompat" /dev/pmem1 | sed -n 's/^features_incompat = //p')
[ -n "$incompat" ] && xfs_db -x -c "sb 0" -c "write -d features_incompat $((incompat | 0x40))" \
	/dev/pmem1 >/dev/null 2>&1 || fail "xfs exchange-range feature"
mount -o dax /dev/pmem1 /mnt/xfs || fail "mount -o dax xfs"
# erofs -o dax=always on pmem2: the FS-DAX file system that never
# promised to break FL_LONGTERM leases (7.x has no ext2 DAX any more). Its
# files are DAX when their data is not inlined (FLAT_PLAIN): one of 4 MiB,
# owned by root, mode 0666.
mkdir -p /tmp/erofs-src /mnt/erofs
head -c 4194304 /dev/urandom >/tmp/erofs-src/data
chmod 666 /tmp/erofs-src/data
mkfs.erofs -Enoinline_data --quiet /dev/pmem2 /tmp/erofs-src >/dev/null 2>&1 ||
	fail "mkfs.erofs pmem2"
cp /tmp/erofs-src/data /tmp/erofs-data.expect
rm -rf /tmp/erofs-src
mount -t erofs -o dax=always /dev/pmem2 /mnt/erofs || fail "mount -o dax erofs"
mkfs.ext4 -q -F /dev/ram0 >/dev/null 2>&1 || fail "mkfs.ext4 ram0"
mount /dev/ram0 /mnt/nodax || fail "mount ram0"
chmod 1777 /mnt/ext4 /mnt/xfs /mnt/nodax

# Give rxe0 a moment to see veth0's address as a GID.
for _ in $(seq 50); do
	grep -qs 'ffff:c000:0201' /sys/class/infiniband/rxe0/ports/1/gids/* && break
	sleep 0.1
done
log "ready: $(uname -r), rxe0 $(cat /sys/class/infiniband/rxe0/ports/1/state 2>/dev/null)"

# FSDAX_BUILD: the build directory (from run-vm.sh).
export FSDAX_BUILD=${FSDAX_BUILD:-$FSDAX_TOP/build}
export FSDAX_BIN=$FSDAX_BUILD/tests
export LD_LIBRARY_PATH=$FSDAX_BUILD/rdma-core/build/lib
export PYTHONPATH=$FSDAX_BUILD/rdma-core/build/python
cd /tmp
case $FSDAX_MODE in
test) "$FSDAX_TOP/tests/run-tests.sh" "$out" ${FSDAX_TESTS//,/ } ;;
demo)
	"$FSDAX_BIN/demo" >"$out/demo.txt" 2>&1
	echo $? >"$out/demo.rc"
	;;
bench) "$FSDAX_TOP/tests/bench/run-bench.sh" "$out" "${FSDAX_BENCH_SCALE:-1}" ;;
full) "$FSDAX_TOP/tests/vm/full.sh" "$out" ;;
shell) setsid -c bash -i </dev/console >/dev/console 2>&1 ;;
script) bash "$FSDAX_SCRIPT" >"$out/script.txt" 2>&1 ;;
esac
dmesg >"$out/dmesg.txt"
touch "$out/done"
sync
echo b >/proc/sysrq-trigger
sleep 10

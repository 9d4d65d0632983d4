#!/bin/bash
# perftest, unmodified (Debian's package, running on the libibverbs that
# LD_LIBRARY_PATH names): a server and a client process on rxe0 in the
# guest, with anonymous buffers and with --mmap buffers on the DAX mounts.
# Prints TAP.
set -u
gid=$(grep -l 'ffff:c000:0201' /sys/class/infiniband/rxe0/ports/1/gids/* | head -1)
gid=${gid##*/}
n=0 failed=0
check() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; failed=1; fi
}

# A kernel without the series refuses to register FS-DAX memory: there the
# --mmap pairs must fail, and fail at the registration.
case $(uname -r) in
*-stock) dax_works=0 ;;
*) dax_works=1 ;;
esac

# run_pair TOOL NAME [ARGS...]: server and client of TOOL with ARGS.
# perftest calibrates its cycle counter against gettimeofday() before it
# prints a report. Under TCG on a busy host that regression can fail
# ("Correlation coefficient r^2 ... < 0.9"); without -F perftest then exits 1
# ("Can't produce a report") although every transfer completed. -F is
# perftest's own switch for an unreliable CPU clock: the run then reports
# with whatever figure it got. What is asserted is what this test is about:
# both sides exit 0 and the client prints its result row.
# With PT_MMAP=DIR each side maps its own 64 MiB file in DIR (--mmap); on a
# stock kernel both sides must then fail with perftest's MR error.
run_pair() {
	local tool=$1 name=$2 srv cli rc port=$((18515 + n)) mm_s=() mm_c=()
	shift 2
	if [ -n "${PT_MMAP:-}" ]; then
		# perftest maps its buffer from offset 0 and touches all of it:
		# the file must be at least that large.
		fallocate -l 64M "$PT_MMAP/pt-srv" && fallocate -l 64M "$PT_MMAP/pt-cli" || {
			check 1 "$name (fallocate in $PT_MMAP)"
			return
		}
		mm_s=(--mmap="$PT_MMAP/pt-srv") mm_c=(--mmap="$PT_MMAP/pt-cli")
	fi
	srv=$(mktemp) cli=$(mktemp)
	timeout 120 "$tool" -F -d rxe0 -x "$gid" -p $port "${mm_s[@]}" "$@" \
		>"$srv" 2>&1 &
	local pid=$!
	sleep 1
	timeout 120 "$tool" -F -d rxe0 -x "$gid" -p $port "${mm_c[@]}" "$@" \
		127.0.0.1 >"$cli" 2>&1
	rc=$?
	wait $pid
	local rc_s=$?
	sed 's/^/# /' "$cli"
	if [ -n "${PT_MMAP:-}" ] && [ $dax_works = 0 ]; then
		# The client fails first at its own registration; the server,
		# whose registration also fails, never gets a peer.
		sed 's/^/# server: /' "$srv"
		[ $rc != 0 ] && [ $rc != 124 ] && [ $rc_s != 0 ] && [ $rc_s != 124 ] &&
			grep -q "Couldn't allocate MR" "$cli" && grep -q "Couldn't allocate MR" "$srv"
		check $? "$name (stock kernel: refused at the registration)"
	else
		rc=$((rc | rc_s))
		[ $rc = 0 ] || sed 's/^/# server: /' "$srv"
		# The result table: "#bytes #iterations BW peak..." then one data row.
		grep -Eq '^ *[0-9]+ +[0-9]+ +([0-9.]+|inf|-?nan) ' "$cli"
		check $((rc | $?)) "$name"
	fi
	rm -f "$srv" "$cli" "${PT_MMAP:-/nonexistent}/pt-srv" "${PT_MMAP:-/nonexistent}/pt-cli"
}

run_pair ib_write_bw "ib_write_bw between two processes, anonymous memory" -s 65536 -n 200
run_pair ib_read_bw "ib_read_bw between two processes, anonymous memory" -s 65536 -n 200
for dir in /mnt/ext4 /mnt/xfs; do
	fs=${dir#/mnt/}
	PT_MMAP=$dir run_pair ib_write_bw "ib_write_bw, --mmap on $fs DAX" -s 65536 -n 200
	PT_MMAP=$dir run_pair ib_read_bw "ib_read_bw, --mmap on $fs DAX" -s 65536 -n 200
	PT_MMAP=$dir run_pair ib_send_bw "ib_send_bw, --mmap on $fs DAX" -s 65536 -n 200
done
echo "1..$n"
exit $failed

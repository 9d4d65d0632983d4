#!/bin/bash
# fio, unmodified (Debian's package, its rdma engine on the libibverbs that
# LD_LIBRARY_PATH names): a server (rw=read, the side whose buffers the
# peer accesses) and a client (rw=write, verb write or read) process on
# rxe0, each with its buffers mapped shared from a file (--mem=mmapshared),
# pre-sized to what fio maps: anonymous memory as the control, then the
# files on the DAX mounts. The data is checked in the files afterwards:
# after RDMA WRITEs the server's file holds the client's pattern, after
# RDMA READs the client's file holds the server's bytes. On a kernel
# without the series both sides must fail at the registration. Prints TAP.
set -u
n=0
check() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fi
}
case $(uname -r) in
*-stock) dax_works=0 ;;
*) dax_works=1 ;;
esac

BS=65536 DEPTH=4
MEM=$((BS * DEPTH))	# what fio maps for its buffers: iodepth x bs
CLI_PATTERN=0x5aa5c33c SRV_BYTE=0x7e

# all_bytes FILE HEX4|HEX1: the file is MEM bytes of that pattern.
all_bytes() {
	python3 - "$1" "$2" "$MEM" <<-'EOF'
		import sys
		path, pat, size = sys.argv[1], int(sys.argv[2], 16), int(sys.argv[3])
		unit = pat.to_bytes(4, 'big') if pat > 0xff else bytes([pat])
		data = open(path, 'rb').read()
		want = unit * (size // len(unit))
		if data != want:
		    bad = next((i for i in range(min(len(data), size)) if data[i] != want[i]), len(data))
		    print(f"# {path}: {len(data)} bytes, first difference at {bad}")
		    sys.exit(1)
	EOF
}

# run_pair NAME VERB SRV_DIR CLI_DIR: SRV_DIR/CLI_DIR empty = anonymous.
run_pair() {
	local name=$1 verb=$2 sdir=$3 cdir=$4 port=$((20000 + n)) srv cli rc rc_s
	local mem_s=(--mem=malloc) mem_c=(--mem=malloc) sfile= cfile=
	if [ -n "$sdir" ]; then
		sfile=$sdir/fio-srv cfile=$cdir/fio-cli
		python3 -c "open('$sfile','wb').write(bytes([$SRV_BYTE]) * $MEM)" &&
			fallocate -l $MEM "$cfile" || {
			check 1 "$name (files in $sdir, $cdir)"
			return
		}
		mem_s=(--mem=mmapshared:"$sfile") mem_c=(--mem=mmapshared:"$cfile")
	fi
	srv=$(mktemp) cli=$(mktemp)
	timeout -k 5 120 fio --name=server --ioengine=rdma --port=$port --rw=read \
		--bs=$BS --size=4m --iodepth=$DEPTH "${mem_s[@]}" >"$srv" 2>&1 &
	local pid=$!
	sleep 2
	timeout -k 5 120 fio --name=client --ioengine=rdma --hostname=192.0.2.1 \
		--port=$port --verb="$verb" --rw=write --bs=$BS --size=4m \
		--iodepth=$DEPTH --buffer_pattern=$CLI_PATTERN \
		--scramble_buffers=0 "${mem_c[@]}" >"$cli" 2>&1
	rc=$?
	# A server whose client is gone waits for ever for a connection.
	for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
	kill -9 $pid 2>/dev/null
	wait $pid
	rc_s=$?
	if [ -n "$sdir" ] && [ $dax_works = 0 ]; then
		# The client registers its buffers first and fails there; the
		# server never gets a peer.
		sed 's/^/# server: /' "$srv"
		sed 's/^/# client: /' "$cli"
		[ $rc != 0 ] && [ $rc != 124 ] &&
			grep -q 'ibv_reg_mr io_u failed: Operation not supported' "$cli"
		check $? "$name (stock kernel: refused at the registration)"
	else
		local ok=$((rc | rc_s))
		# Both sides end without error, the client moved all 4 MiB.
		grep -q 'err= 0' "$srv" && grep -q 'err= 0' "$cli" &&
			grep -q 'io=4096KiB' "$cli" || ok=1
		if [ -n "$sdir" ] && [ $ok = 0 ]; then
			if [ "$verb" = write ]; then
				all_bytes "$sfile" $CLI_PATTERN || ok=1
			else
				all_bytes "$cfile" $SRV_BYTE || ok=1
			fi
		fi
		[ $ok = 0 ] || { sed 's/^/# server: /' "$srv"; sed 's/^/# client: /' "$cli"; }
		check $ok "$name"
	fi
	rm -f "$srv" "$cli" ${sfile:+"$sfile"} ${cfile:+"$cfile"}
}

run_pair "fio rdma write, anonymous buffers" write "" ""
run_pair "fio rdma write, server on xfs DAX, client on ext4 DAX, data checked" write /mnt/xfs /mnt/ext4
run_pair "fio rdma write, server on ext4 DAX, client on xfs DAX, data checked" write /mnt/ext4 /mnt/xfs
run_pair "fio rdma read, server on xfs DAX, client on ext4 DAX, data checked" read /mnt/xfs /mnt/ext4
echo "1..$n"

#!/usr/bin/env bash
# roce-pcapgen (tools/pktgen-scripts): the stream Linux's ib_write_bw sent in
# write.pcap (16 x 4096 B to QP 0x11, rkey 0x25d), generated from the same
# parameters, must decode to the same packets: opcodes, QP, PSNs, AckReq,
# RETH, lengths, and a valid ICRC on every frame.
# Usage: pcapgen_test.sh ROCE_PCAPGEN ROCE_DUMP DATA_DIR
set -uo pipefail
gen=$1 dump=$2 data=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
"$gen" --dst-qpn 0x11 --src-qpn 0x11 --rkey 0x25d --va 0x564c7d5eb000 --psn 0x959e2e \
    --size 4096 --count 16 --src-ip 10.77.0.12 --dst-ip 10.77.0.11 -o "$work/gen.pcap" || exit 1
"$dump" --check "$work/gen.pcap" >"$work/gen.txt" || { echo "FAIL: roce-dump --check"; fails=1; }
# Every field roce-dump shows but the frame number.
fields() { grep -E ' RDMA_WRITE_' "$1" | sed -E 's/^ *[0-9]+ //' | head -n 64; }
"$dump" "$data/write.pcap" >"$work/linux.txt"
if ! diff <(fields "$work/linux.txt") <(fields "$work/gen.txt") >"$work/diff"; then
    echo "FAIL: generated stream differs from Linux's:"; head -n 10 "$work/diff"; fails=1
fi
[ "$(fields "$work/gen.txt" | wc -l)" -eq 64 ] || { echo "FAIL: expected 64 WRITE frames"; fails=1; }
# A malformed request is refused, not written.
"$gen" --dst-qpn 0x11 --rkey 1 --va 0 --psn 0x1000000 -o "$work/x.pcap" 2>/dev/null &&
    { echo "FAIL: a 25-bit PSN was accepted"; fails=1; }
"$gen" --dst-qpn 0x11 --rkey 1 --va 0 --psn 0 --mtu 1000 -o "$work/x.pcap" 2>/dev/null &&
    { echo "FAIL: MTU 1000 was accepted"; fails=1; }
[ "$fails" -eq 0 ] && echo "roce-pcapgen: 64 frames, identical to Linux's ib_write_bw stream"
exit $fails

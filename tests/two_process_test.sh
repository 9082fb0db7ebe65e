#!/usr/bin/env bash
# Two processes, one RC QP each, over a net_memif pair: WRITE, READ, SEND
# with immediate and fetch-and-add, verified on both sides; each side's
# traffic captured and checked by roce-dump --check.
# Usage: two_process_test.sh RC_PEER ROCE_DUMP
set -uo pipefail
# memif (DPDK 22.11) listens on an abstract socket: no file, but a line
# "@PATH" in /proc/net/unix.
listening() { grep -q " @$1\$" /proc/net/unix; }
peer=$1 dump=$2
work=$(mktemp -d)
trap 'kill $spid $cpid 2>/dev/null; rm -rf "$work"' EXIT
sock=$work/memif.sock
eal=(--no-huge -m 128 --no-pci --log-level=lib.eal:error)

"$peer" "${eal[@]}" --file-prefix="rcs$$" --vdev="net_memif0,role=server,socket=$sock" -- \
    --role server --ip 10.88.0.1 --peer-ip 10.88.0.2 --messages 200 \
    --capture "$work/server.pcap" --timeout 60 &
spid=$!
# A memif client tries to connect once: start it when the server listens.
for _ in $(seq 1 100); do
    listening "$sock" && break
    sleep 0.1
done
"$peer" "${eal[@]}" --file-prefix="rcc$$" --vdev="net_memif0,role=client,socket=$sock" -- \
    --role client --ip 10.88.0.2 --peer-ip 10.88.0.1 --messages 200 \
    --capture "$work/client.pcap" --timeout 60 &
cpid=$!
wait $cpid; crc=$?
wait $spid; src=$?
spid= cpid=
fails=0
[ "$crc" -eq 0 ] || { echo "FAIL: client exited $crc"; fails=$((fails + 1)); }
[ "$src" -eq 0 ] || { echo "FAIL: server exited $src"; fails=$((fails + 1)); }
for side in client server; do
    out=$("$dump" --check "$work/$side.pcap" 2>&1)
    rc=$?
    [ "$rc" -eq 0 ] || { echo "FAIL: roce-dump --check $side.pcap: exit $rc"; tail -5 <<<"$out"; fails=$((fails + 1)); }
    for op in RDMA_WRITE_FIRST RDMA_READ_REQUEST RDMA_READ_RESPONSE_LAST SEND_ONLY_WITH_IMMEDIATE FETCH_ADD ATOMIC_ACKNOWLEDGE ACKNOWLEDGE; do
        grep -q " $op " <<<"$out" || { echo "FAIL: $side.pcap has no $op"; fails=$((fails + 1)); }
    done
    grep -q "non-RoCE" <<<"$out" || { echo "FAIL: $side.pcap has no ARP exchange"; fails=$((fails + 1)); }
    tail -n 3 <<<"$out"
done
[ "$fails" -eq 0 ] || exit 1
echo "two processes over net_memif: all checks passed"

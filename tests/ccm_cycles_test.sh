#!/usr/bin/env bash
# Churn between two CCM processes over two net_memif links:
#   - CYCLES terminate/re-init cycles (claim 22 of 000_...): node 1 ends the
#     session and both initiate again, CYCLES times; each node's QPs, mbufs
#     and DPDK heap must be back to what they were in the second session (the
#     first cycle may allocate once what all later ones reuse);
#   - RESTARTS partner restarts: node 2's process is killed with SIGKILL and
#     started again, RESTARTS times; node 1 brings a session up with each new
#     partner and its QPs, mbufs and heap are back every time.
# Usage: ccm_cycles_test.sh CCM_PEER [CYCLES] [RESTARTS]
set -uo pipefail
listening() { grep -q " @$1\$" /proc/net/unix; }
peer=$1 cycles=${2:-1000} restarts=${3:-5}
work=$(mktemp -d)
pids=()
trap 'kill -9 "${pids[@]}" 2>/dev/null; [ -n "${HA_KEEP:-}" ] || rm -rf "$work"' EXIT
eal=(--no-huge -m 256 --no-pci --log-level=lib.eal:error --log-level=ccm:notice
     --log-level=roce:warning)
# memif clients connect once: start them when the server's ports are up
# (it says "ready" in LOG; it listens from its EAL start, before).
wait_socks() {  # LOG
    for _ in $(seq 1 400); do
        grep -q "ready" "$1" 2>/dev/null && listening "$work/l0.sock" &&
            listening "$work/l1.sock" && return 0
        sleep 0.05
    done
    return 1
}
fail() {
    echo "FAIL: $*"
    tail -n 8 "$work"/*.log
    exit 1
}

# ---- terminate/re-init cycles ------------------------------------------------
"$peer" "${eal[@]}" --file-prefix="cy2$$" \
    --vdev="net_memif0,role=server,socket=$work/l0.sock" \
    --vdev="net_memif1,role=server,socket=$work/l1.sock" -- \
    --node 2 --cycles "$cycles" --timeout 900 >"$work/n2.log" 2>&1 &
p2=$!
pids=("$p2")
wait_socks "$work/n2.log" || fail "no memif server"
"$peer" "${eal[@]}" --file-prefix="cy1$$" \
    --vdev="net_memif0,role=client,socket=$work/l0.sock" \
    --vdev="net_memif1,role=client,socket=$work/l1.sock" -- \
    --node 1 --cycles "$cycles" --timeout 900 >"$work/n1.log" 2>&1 &
p1=$!
pids+=("$p1")
wait "$p1"; rc1=$?
wait "$p2"; rc2=$?
pids=()
[ "$rc1" -eq 0 ] && [ "$rc2" -eq 0 ] || fail "cycles: node 1 exit $rc1, node 2 exit $rc2"
echo "ok $cycles terminate/re-init cycles: $(grep -o 'node 1: ok.*' "$work/n1.log");" \
    "$(grep -o 'node 2: ok.*' "$work/n2.log")"

# ---- partner restarts ---------------------------------------------------------
rm -f "$work"/*.sock
"$peer" "${eal[@]}" --file-prefix="rs1$$" \
    --vdev="net_memif0,role=server,socket=$work/l0.sock" \
    --vdev="net_memif1,role=server,socket=$work/l1.sock" -- \
    --node 1 --restarts "$restarts" --timeout 300 >"$work/r1.log" 2>&1 &
p1=$!
pids=("$p1")
wait_socks "$work/r1.log" || fail "no memif server"
for i in $(seq 1 $((restarts + 1))); do
    "$peer" "${eal[@]}" --file-prefix="rs2$$" \
        --vdev="net_memif0,role=client,socket=$work/l0.sock" \
        --vdev="net_memif1,role=client,socket=$work/l1.sock" -- \
        --node 2 --records 100000000 --timeout 60 >"$work/r2-$i.log" 2>&1 &
    p2=$!
    pids=("$p1" "$p2")
    for _ in $(seq 1 300); do
        grep -q "session $i up" "$work/r1.log" && break
        sleep 0.1
    done
    grep -q "session $i up" "$work/r1.log" || fail "restart $i: no session with the new partner"
    sleep 0.3
    kill -9 "$p2"
    wait "$p2" 2>/dev/null
done
wait "$p1"; rc1=$?
pids=()
[ "$rc1" -eq 0 ] || fail "restarts: node 1 exit $rc1"
echo "ok $restarts partner restarts (SIGKILL): $(grep -o 'node 1: ok.*' "$work/r1.log")"

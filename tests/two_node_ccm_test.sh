#!/usr/bin/env bash
# Two CCM processes over two net_memif links: session up whichever starts
# first, a record stream verified end to end; a version mismatch refused.
# Usage: two_node_ccm_test.sh CCM_PEER
set -uo pipefail
# memif (DPDK 22.11) listens on an abstract socket: no file, but a line
# "@PATH" in /proc/net/unix.
listening() { grep -q " @$1\$" /proc/net/unix; }
peer=$1
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
fails=0

# run_pair NAME ARGS1 ARGS2: node 1 with ARGS1, node 2 with ARGS2, both must exit 0.
run_pair() {
    local name=$1 a1=$2 a2=$3 rc1 rc2
    rm -f "$work"/*.sock
    # Node 2 is the memif server of both links and its process starts
    # first: a memif client in DPDK 22.11 does not retry a connection.
    # Which CCM starts first is set by --start-delay-ms.
    # shellcheck disable=SC2086
    "$peer" --no-huge -m 256 --no-pci --file-prefix="n2$$" --log-level=lib.eal:error \
        --vdev="net_memif0,role=server,socket=$work/l0.sock" \
        --vdev="net_memif1,role=server,socket=$work/l1.sock" -- --node 2 $a2 \
        >"$work/n2.log" 2>&1 &
    local p2=$!
    # memif clients connect once: start them when the server's ports are
    # started (it says "ready"; it listens from its EAL start, before).
    for _ in $(seq 1 400); do
        grep -q "ready" "$work/n2.log" 2>/dev/null && listening "$work/l0.sock" &&
            listening "$work/l1.sock" && break
        sleep 0.05
    done
    # shellcheck disable=SC2086
    "$peer" --no-huge -m 256 --no-pci --file-prefix="n1$$" --log-level=lib.eal:error \
        --vdev="net_memif0,role=client,socket=$work/l0.sock" \
        --vdev="net_memif1,role=client,socket=$work/l1.sock" -- --node 1 $a1 \
        >"$work/n1.log" 2>&1 &
    local p1=$!
    pids=("$p1" "$p2")
    wait "$p1"; rc1=$?
    wait "$p2"; rc2=$?
    pids=()
    if [ "$rc1" -ne 0 ] || [ "$rc2" -ne 0 ]; then
        echo "FAIL: $name: node 1 exit $rc1, node 2 exit $rc2"
        # An ASan report starts with its summary line; show it whole.
        grep -A40 -m1 "ERROR: AddressSanitizer" "$work/n1.log" "$work/n2.log"
        tail -n 5 "$work/n1.log" "$work/n2.log"
        fails=$((fails + 1))
    else
        echo "ok: $name: $(tail -n 1 "$work/n1.log" | grep -o 'node 1.*')"
    fi
}

run_pair "node 1 first" "--records 5000 --timeout 60" "--records 5000 --timeout 60 --start-delay-ms 500"
run_pair "node 2 first" "--records 5000 --timeout 60 --start-delay-ms 500" "--records 5000 --timeout 60"
run_pair "together" "--records 5000 --timeout 60" "--records 5000 --timeout 60"
run_pair "version mismatch" "--version-max 1 --expect-refusal --timeout 20" \
    "--version-max 2 --expect-refusal --timeout 20"

[ "$fails" -eq 0 ] || exit 1
echo "two CCM processes: all checks passed"

#!/usr/bin/env bash
# The main job (README): two ccm nodes on this machine, joined by two
# net_memif links and configured by config/ccm.yaml. They bring up a
# session, node a mirrors 1500 NVRAM records into node b (losing a link
# half way), then node a is killed with SIGKILL; node b takes over and
# replays a's log. Exits non-zero if any step fails.
set -euo pipefail
# memif (DPDK 22.11) listens on an abstract socket: no file, but a line
# "@PATH" in /proc/net/unix.
listening() { grep -q " @$1\$" /proc/net/unix; }
cd "$(dirname "$0")/.."

tools/setup.sh
builddir=${CCM_BUILD:-build}
[ -f "$builddir/build.ninja" ] || meson setup "$builddir" --buildtype=release
ninja -C "$builddir"
ccm=$builddir/app/ccm

# The paths config/ccm.yaml names: start from empty NVRAM.
rm -f /dev/shm/ccm-a.nvram /dev/shm/ccm-a.shadow /dev/shm/ccm-b.nvram /dev/shm/ccm-b.shadow \
    /dev/shm/ccm-mailbox /tmp/ccm-l0.sock /tmp/ccm-l1.sock /tmp/ccm-demo-replayed.txt
log=$(mktemp -d)
apid= bpid=
trap 'kill -9 $apid $bpid 2>/dev/null || true' EXIT
eal=(--no-huge -m 256 --no-pci --log-level=lib.eal:error --log-level=roce:warning)

echo "== node b: memif server of both links (it starts first), on cpu 1"
"$ccm" "${eal[@]}" --lcores=0@1 --file-prefix=ccm-demo-b \
    --vdev=net_memif0,role=server,socket=/tmp/ccm-l0.sock \
    --vdev=net_memif1,role=server,socket=/tmp/ccm-l1.sock -- \
    --config config/ccm.yaml --node b --script tools/demo/b.script \
    --replay-out /tmp/ccm-demo-replayed.txt > >(sed -u 's/^/[b] /') 2>"$log/b.err" &
bpid=$!
for _ in $(seq 1 200); do  # a memif client connects once: wait for the server
    listening /tmp/ccm-l0.sock && listening /tmp/ccm-l1.sock && break
    sleep 0.05
done
echo "== node a: memif client of both links, on cpu 0"
"$ccm" "${eal[@]}" --log-level=ccm:debug --lcores=0@0 --file-prefix=ccm-demo-a \
    --vdev=net_memif0,role=client,socket=/tmp/ccm-l0.sock \
    --vdev=net_memif1,role=client,socket=/tmp/ccm-l1.sock -- \
    --config config/ccm.yaml --node a --script tools/demo/a.script >"$log/a.out" 2>"$log/a.err" &
apid=$!
tail -f "$log/a.out" --pid=$apid | sed -u 's/^/[a] /' &
# Node a's log, for the boot handshake step by step (PROBE, ANNOUNCE, ...;
# docs/ccm-protocol.md), links, the mirror and the failover monitor.
tail -f "$log/a.err" --pid=$apid | grep --line-buffered -E \
    '^(ccm a: .* -> |ccm a: session|nvram:|failover:)' | grep --line-buffered -v ignored |
    sed -u 's/^/[a log] /' &
for _ in $(seq 1 600); do
    grep -q "a: done" "$log/a.out" && break
    kill -0 $apid 2>/dev/null || { echo "node a failed:"; tail "$log/a.err"; exit 1; }
    sleep 0.1
done
grep -q "a: done" "$log/a.out" || { echo "node a did not finish"; tail "$log/a.err"; exit 1; }
sleep 0.2
echo "== node a killed with SIGKILL"
kill -9 $apid
wait $apid 2>/dev/null || true
wait $bpid || { echo "node b failed:"; tail "$log/b.err"; exit 1; }
replayed=$(wc -l < /tmp/ccm-demo-replayed.txt)
echo "== node b replayed $replayed of node a's records into /tmp/ccm-demo-replayed.txt"
[ "$replayed" -eq 1500 ] || { echo "expected 1500"; exit 1; }
echo "== demo ok: session up, NVRAM mirrored over two links and then one, takeover without loss"

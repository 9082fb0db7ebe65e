#!/usr/bin/env bash
# A node with two partners (claim 9 of 000_...): three processes; node a
# runs two CCMs, one per partner, each with its own two links, QPs, NVRAM
# log and shadow, failover monitor and mailbox, on its own lcore
# (tests/tools/ha_peer.c, --pair). All three acknowledge writes of their
# own work all along. b is killed with SIGKILL: a takes b over and replays
# b's log, and the a-c pair goes on undisturbed: the same session, no
# takeover or fence on either side, a's and c's writes acknowledged and
# mirrored throughout, every one c acknowledged within its own ack.
# Usage: ha_multi_test.sh HA_PEER
set -uo pipefail
listening() { grep -q " @$1\$" /proc/net/unix; }
peer=$1
work=$(mktemp -d)
pids=()
cleanup() {
    kill -9 "${pids[@]}" 2>/dev/null
    [ -n "${HA_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    for f in "$work"/*.err; do
        echo "--- $f"
        grep -v '^$' "$f" | tail -n 12
    done
    exit 1
}
eal=(--no-huge -m 256 --no-pci --log-level=lib.eal:error --log-level=ccm:warning
     --log-level=roce:warning)
args=(--role node --dir "$work" --timeout 120 --interval-us 1000)
wait_line() {
    for _ in $(seq 1 "${3:-300}"); do
        grep -Eq "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
# b and c: the memif servers of their pair's links, first.
for x in b c; do
    "$peer" "${eal[@]}" --file-prefix="m$x$$" \
        --vdev="net_memif0,role=server,socket=$work/a$x-0.sock" \
        --vdev="net_memif1,role=server,socket=$work/a$x-1.sock" -- \
        --node 2 --pair "$x:0+1" "${args[@]}" >"$work/$x.out" 2>"$work/$x.err" &
    pids+=($!)
    eval "${x}pid=$!"
done
# memif clients connect once: start them when the servers' ports are up.
for x in b c; do
    wait_line "$work/$x.out" "^ready" || fail "node $x never got ready"
done
for s in ab-0 ab-1 ac-0 ac-1; do
    for _ in $(seq 1 200); do
        listening "$work/$s.sock" && break
        sleep 0.05
    done
done
# a: both pairs, ports 0-1 to b and 2-3 to c, one lcore each.
"$peer" "${eal[@]}" -l 0,1 --file-prefix="ma$$" \
    --vdev="net_memif0,role=client,socket=$work/ab-0.sock" \
    --vdev="net_memif1,role=client,socket=$work/ab-1.sock" \
    --vdev="net_memif2,role=client,socket=$work/ac-0.sock" \
    --vdev="net_memif3,role=client,socket=$work/ac-1.sock" -- \
    --node 1 --pair b:0+1 --pair c:2+3 "${args[@]}" >"$work/a.out" 2>"$work/a.err" &
apid=$!
pids+=("$apid")
for w in "a.out:^ack b 1 300 " "a.out:^ack c 1 300 " "b.out:^ack b 2 300 " \
         "c.out:^ack c 2 300 "; do
    wait_line "$work/${w%%:*}" "${w#*:}" || fail "no acknowledgements: ${w#*:} in ${w%%:*}"
done
echo "ok three nodes, a with two CCMs: every pair mirrors and acknowledges"

t_kill=$(/usr/bin/python3 -c 'import time; print(time.monotonic_ns())')
kill -9 "$bpid"
wait "$bpid" 2>/dev/null
wait_line "$work/a.out" "^event b takeover " 100 || fail "a did not take over b"
sleep 1
t_end=$(/usr/bin/python3 -c 'import time; print(time.monotonic_ns())')
kill -TERM "$apid" "$cpid"
wait "$apid"; arc=$?
wait "$cpid"; crc=$?
pids=()
[ "$arc" -eq 0 ] && [ "$crc" -eq 0 ] || fail "exit status: a $arc, c $crc"
/usr/bin/python3 - "$work/a.out" "$work/c.out" "$t_kill" "$t_end" <<'EOF' || fail "above"
import sys

t_kill, t_end = int(sys.argv[3]), int(sys.argv[4])
def read(path):
    acks, events = [], []
    for line in open(path):
        f = line.split()
        if f and f[0] == "ack" and int(f[5]) < t_end:
            acks.append((f[1], int(f[2]), int(f[5]), f[6]))
        elif f and f[0] == "event" and f[2] != "partner" and f[2] != "session" and \
                int(f[3]) < t_end:
            events.append((f[1], f[2], int(f[3]), f[4:]))
        elif f and f[0] == "event" and f[2] == "session" and int(f[4]) < t_end:
            events.append((f[1], "session", int(f[4]), [f[3]]))
    return acks, events

a_acks, a_ev = read(sys.argv[1])
c_acks, c_ev = read(sys.argv[2])
bad = []
take = [e for e in a_ev if e[0] == "b" and e[1] == "takeover"]
if len(take) != 1 or take[0][3][5] != "0":
    bad.append("a took b over %d times, replay bad %s" % (len(take), take))
# The a-c pair: one session from start to end, no takeover, no fence.
for who, ev in (("a", a_ev), ("c", c_ev)):
    sess = [e for e in ev if e[0] == "c" and e[1] == "session"]
    if len(sess) != 1:
        bad.append("%s: the a-c session changed: %s" % (who, [(e[3][0], e[2]) for e in sess]))
    other = [e for e in ev if e[0] == "c" and e[1] in ("takeover", "fenced", "unfenced")]
    if other:
        bad.append("%s: a-c %s" % (who, other))
# Its mirroring went on: acknowledged and mirrored by both after b died.
for who, acks, work in (("a", a_acks, 1), ("c", c_acks, 2)):
    after = [t for p, w, t, how in acks if p == "c" and w == work and t > t_kill and how == "mirrored"]
    if len(after) < 100:
        bad.append("%s: %d a-c records acknowledged and mirrored in the second after b died"
                   % (who, len(after)))
    # (Before the session first came up, records are acknowledged from
    # local NVRAM: the partner was not there yet.)
    up = min(e[2] for e in (a_ev if who == "a" else c_ev) if e[0] == "c" and e[1] == "session")
    local = [t for p, w, t, how in acks if p == "c" and how != "mirrored" and t > up + 10**8]
    if local:
        bad.append("%s: %d a-c records acknowledged from local NVRAM only" % (who, len(local)))
# a serves b's work after the takeover.
b_work = [t for p, w, t, how in a_acks if p == "b" and w == 2]
if not b_work or min(b_work) < take[0][2]:
    bad.append("a acknowledged b's work %d times, first %s, takeover at %d" %
               (len(b_work), min(b_work) if b_work else None, take[0][2]))
if bad:
    print("\n".join("FAIL: " + m for m in bad))
    sys.exit(1)
gaps = sorted(t for p, w, t, how in a_acks if p == "c" and w == 1)
gap = max((b - a for a, b in zip(gaps, gaps[1:]) if a > t_kill - 10**9), default=0)
print("ok b killed: a took over (replayed %s), a-c kept session %s and mirrored on; longest "
      "pause between a's a-c acknowledgements around it %.1f ms"
      % (take[0][3][1], [e[3][0] for e in a_ev if e[0] == "c" and e[1] == "session"][0], gap / 1e6))
EOF

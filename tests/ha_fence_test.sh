#!/usr/bin/env bash
# The failures storage people test, between two ha_peer nodes (a = node 1,
# b = node 2) that both acknowledge writes of their own work all along and
# print every acknowledgement with its node and time (tests/tools/ha_peer.c,
# role node; default failover timings):
#   1. a paused: SIGSTOP while it appends, until b took over (at least 2x the
#      partner timeout), then SIGCONT. a must learn it was taken over before
#      it acknowledges anything more, and fence itself; b gives back once a
#      is fenced and back; a serves again. Exactly one node acknowledges a's
#      work at any instant; every record a acknowledged is in b's replay;
#      one takeover, one giveback, one replay (no flapping).
#   2. the interconnect cut (every frame dropped both ways, carrier up), the
#      mailbox working: no takeover at all, and both go on acknowledging.
#   3. the interconnect and the mailbox cut at once: nobody takes over (no
#      path proves the partner dead), and nobody acknowledges once its lease
#      has run out, until the paths return.
# Usage: ha_fence_test.sh HA_PEER
set -uo pipefail
listening() { grep -q " @$1\$" /proc/net/unix; }
peer=$1
work=$(mktemp -d)
# The mailbox on tmpfs, as docs/configuration.md says: mapped, no system
# calls (the other HA tests keep theirs on the work directory's file
# system, where it is read and written with pread/pwrite).
if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then
    mailbox=/dev/shm/ccm-fence-$$.mailbox mailbox_io=mapped
else
    mailbox=$work/mailbox mailbox_io=calls
fi
pids=()
cleanup() {
    kill -9 "${pids[@]}" 2>/dev/null
    rm -f "$mailbox"
    [ -n "${HA_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    for f in "$work"/a.err "$work"/b.err; do
        echo "--- $f"
        grep -v '^$' "$f" | tail -n 15
    done
    exit 1
}
eal=(--no-huge -m 256 --no-pci --log-level=lib.eal:error --log-level=ccm:warning
     --log-level=roce:warning)
args=(--role node --dir "$work" --mailbox "$mailbox" --timeout 120 --interval-us 1000
      --giveback-ms 300)
# wait_line FILE REGEX [TENTHS]: until a line of FILE matches.
wait_line() {
    for _ in $(seq 1 "${3:-300}"); do
        grep -Eq "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
count() { grep -Ec "$2" "$1" 2>/dev/null; }

"$peer" "${eal[@]}" --file-prefix="fb$$" \
    --vdev="net_memif0,role=server,socket=$work/l0.sock" \
    --vdev="net_memif1,role=server,socket=$work/l1.sock" -- --node 2 "${args[@]}" \
    >"$work/b.out" 2>"$work/b.err" &
bpid=$!
pids+=("$bpid")
# memif clients connect once: start them when the server's ports are up.
for _ in $(seq 1 400); do
    grep -q "^ready" "$work/b.out" 2>/dev/null && listening "$work/l0.sock" &&
        listening "$work/l1.sock" && break
    sleep 0.05
done
"$peer" "${eal[@]}" --file-prefix="fa$$" \
    --vdev="net_memif0,role=client,socket=$work/l0.sock" \
    --vdev="net_memif1,role=client,socket=$work/l1.sock" -- --node 1 "${args[@]}" \
    >"$work/a.out" 2>"$work/a.err" &
apid=$!
pids+=("$apid")
wait_line "$work/a.out" "^ack 0 1 200 " || fail "node a did not acknowledge 200 records"
wait_line "$work/b.out" "^ack 0 2 200 " || fail "node b did not acknowledge 200 records"

# ---- 1. a paused --------------------------------------------------------------
kill -STOP "$apid"
wait_line "$work/b.out" "^event 0 takeover " 50 ||
    { kill -CONT "$apid"; fail "node b did not take over node a, paused 5 s"; }
sleep 0.1   # well past 2x the partner timeout, whatever the stop's moment
kill -CONT "$apid"
wait_line "$work/a.out" "^event 0 fenced " 100 || fail "node a did not fence itself"
wait_line "$work/b.out" "^event 0 giveback " 200 || fail "node b did not give back"
wait_line "$work/a.out" "^event 0 unfenced " 100 || fail "node a was not given its work back"
n=$(count "$work/a.out" "^ack 0 1 ")
wait_line "$work/a.out" "^ack 0 1 $((n + 100)) " 100 ||
    fail "node a acknowledged nothing after the giveback"
echo "ok a paused: b took over, a fenced itself on waking, b gave back, a serves again"

# ---- 2. the interconnect cut, the mailbox alive -----------------------------------
kill -USR1 "$apid"
wait_line "$work/a.out" "^event 0 cut " 50 || fail "node a did not cut its links"
sleep 1
kill -USR1 "$apid"
wait_line "$work/a.out" "^event 0 healed " 50 || fail "node a did not heal its links"
sleep 0.5
echo "ok interconnect cut for 1 s, mailbox alive"

# ---- 3. both paths cut at once ------------------------------------------------------
# The interconnect healed first: a mailbox readable again on one node and
# not yet on the other would show the other silent on every path (a node
# cut from both paths is taken over: that is another case, docs/clients.md).
kill -USR1 "$apid"
kill -USR2 "$apid" "$bpid"
wait_line "$work/a.out" "^event 0 cut .*" 50 || fail "no cut"
sleep 1
kill -USR1 "$apid"
wait_line "$work/a.out" "^event 0 healed .*" 50 || fail "no heal"
kill -USR2 "$apid" "$bpid"
n=$(count "$work/a.out" "^ack 0 1 ")
wait_line "$work/a.out" "^ack 0 1 $((n + 100)) " 100 ||
    fail "node a acknowledged nothing after both paths returned"
n=$(count "$work/b.out" "^ack 0 2 ")
wait_line "$work/b.out" "^ack 0 2 $((n + 100)) " 100 ||
    fail "node b acknowledged nothing after both paths returned"
echo "ok interconnect and mailbox cut for 1 s"

# Both stop at once; what one does after the other went quiet is not
# part of the test: the record ends here (CLOCK_MONOTONIC, as the nodes').
t_end=$(/usr/bin/python3 -c 'import time; print(time.monotonic_ns())')
kill -TERM "$apid" "$bpid"
wait "$apid"; arc=$?
wait "$bpid"; brc=$?
pids=()
[ "$arc" -eq 0 ] && [ "$brc" -eq 0 ] || fail "exit status: a $arc, b $brc"
for f in "$work/a.out" "$work/b.out"; do
    grep -Eq "^stats .* mailbox $mailbox_io hist" "$f" ||
        fail "$(basename "$f" .out): the mailbox was not $mailbox_io ($mailbox)"
done

# ---- the record of every acknowledgement -------------------------------------------
/usr/bin/python3 - "$work/a.out" "$work/b.out" "$t_end" <<'EOF' || fail "the acknowledgements break a rule (above)"
import sys

t_end = int(sys.argv[3])
def read(path):
    acks, events = [], []
    for line in open(path):
        f = line.split()
        if len(f) > 5 and f[0] == "ack" and int(f[5]) >= t_end:
            continue
        if len(f) > 3 and f[0] == "event" and f[2] != "partner" and int(f[3]) >= t_end:
            continue
        if f and f[0] == "ack":        # ack PAIR WORK N SEQ T HOW
            acks.append((int(f[5]), int(f[2]), int(f[3]), int(f[4])))
        elif f and f[0] == "event" and f[2] != "partner":    # event PAIR WHAT T ...
            events.append((f[2], int(f[3]), f[4:]))
    return acks, events

a_acks, a_ev = read(sys.argv[1])
b_acks, b_ev = read(sys.argv[2])
bad = []
def check(cond, msg):
    if not cond:
        bad.append(msg)

def times(ev, what):
    return [t for w, t, _ in ev if w == what]

# 1. The pause: one takeover, one replay, one giveback; a fenced once.
tk, gb = times(b_ev, "takeover"), times(b_ev, "giveback")
fe, un = times(a_ev, "fenced"), times(a_ev, "unfenced")
check(len(tk) == 1 and len(gb) == 1, "node b: %d takeovers and %d givebacks, expected 1 and 1"
      % (len(tk), len(gb)))
check(len(fe) == 1 and len(un) == 1, "node a: fenced %d times, given back %d times, expected 1"
      % (len(fe), len(un)))
check(not times(a_ev, "takeover"), "node a took over node b")
if bad:
    print("\n".join("FAIL: " + m for m in bad)); sys.exit(1)
t_take, t_give, t_fence, t_unfence = tk[0], gb[0], fe[0], un[0]
replay = next(x for w, t, x in b_ev if w == "takeover")
last_replayed = int(replay[3])
# a's work (1): a acknowledges before the takeover and after it was given
# back, b only between.
a_own = [(t, s) for t, w, n, s in a_acks if w == 1]
b_for_a = [t for t, w, n, s in b_acks if w == 1]
before = [(t, s) for t, s in a_own if t < t_take]
during = [t for t, s in a_own if t_take <= t <= t_give]
check(not during, "node a acknowledged %d of its records while b held its work (first at +%.1f ms)"
      % (len(during), (min(during) - t_take) / 1e6 if during else 0))
check(all(t_take <= t <= t_give for t in b_for_a),
      "node b acknowledged a's work outside its takeover")
check(len(b_for_a) > 0, "node b never served a's work while it held it")
check(t_take < t_fence < t_unfence and t_give <= t_unfence,
      "order: takeover %d, a fenced %d, giveback %d, a unfenced %d" %
      (t_take, t_fence, t_give, t_unfence))
check(not [t for t, s in a_own if t_fence <= t < t_unfence], "node a acknowledged while fenced")
last_acked = max(s for t, s in before)
check(last_acked <= last_replayed, "node a acknowledged record %d before the takeover, "
      "b replayed only up to %d" % (last_acked, last_replayed))
# b's own work (2): only b ever.
check(not [1 for t, w, n, s in a_acks if w == 2], "node a acknowledged b's work")
# 2. Interconnect cut, mailbox alive: nothing taken over, both serve.
cut = [t for w, t, _ in a_ev if w == "cut"]
heal = [t for w, t, _ in a_ev if w == "healed"]
c1, h1 = cut[0], heal[0]
check(not [t for t in tk + fe if c1 <= t <= h1 + 1e9], "a takeover or fence with the mailbox alive")
a_cut = [t for t, w, n, s in a_acks if c1 < t < h1]
b_cut = [t for t, w, n, s in b_acks if c1 < t < h1]
check(len(a_cut) > 100 and len(b_cut) > 100, "interconnect cut, mailbox alive: a acknowledged "
      "%d, b %d records in 1 s (both should go on)" % (len(a_cut), len(b_cut)))
# 3. Both cut: no takeover; no acknowledgement once a lease can have run out.
mc = [t for w, t, _ in a_ev + b_ev if w == "mailbox-cut"]
mh = [t for w, t, _ in a_ev + b_ev if w == "mailbox-healed"]
c2, h2 = max(cut[1], max(mc)), min(heal[1], min(mh))
slack = 100 * 10**6     # a lease (a few ms) and a stall of the machine
quiet = [t for t, w, n, s in a_acks + b_acks if c2 + slack < t < h2]
check(not quiet, "both paths cut: %d acknowledgements after every lease ran out" % len(quiet))
check(not [t for t in tk + fe if c2 <= t], "a takeover or fence with both paths cut")
if bad:
    print("\n".join("FAIL: " + m for m in bad)); sys.exit(1)
print("ok the acknowledgements: a's %d before the takeover all replayed (last %d <= %d); none "
      "by a while b held its work (%.0f ms, %d by b); none by anyone with both paths cut"
      % (len(before), last_acked, last_replayed, (t_unfence - t_take) / 1e6, len(b_for_a)))
EOF
echo "ok exactly one node acknowledged each node's writes at every instant"

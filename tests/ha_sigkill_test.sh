#!/usr/bin/env bash
# Zero loss: a writer appends numbered records, mirrored synchronously to
# its partner, and prints each acknowledgement; it is killed with SIGKILL
# at a random moment; the survivor takes over and replays the writer's log
# from its shadow. Every acknowledged record must be there, intact, in
# order; the survivor must live (a crash of the survivor, exit 139, is a
# failure like any other). Ends with the takeover times' distribution.
#
# --sample K: the survivor also takes K power-cut samples of its shadow
# while the writer mirrors (the shadow frozen between two polls, and torn
# inside the next poll's WRITEs at 8-byte granularity); each must replay
# valid records up to at least the last one the writer had acknowledged
# before the sample; a state with no log (taken before the resync's header
# landed) only while nothing was acknowledged. With a 1 MiB NVRAM, so that
# the ring wraps.
#
# Usage: ha_sigkill_test.sh HA_PEER [RUNS] [--sample K] [-- HA_PEER_ARGS...]
# (tools/ha-bench.sh sigkill runs 100 in a release build: docs/perf.md.)
set -uo pipefail
# memif (DPDK 22.11) listens on an abstract socket: no file, but a line
# "@PATH" in /proc/net/unix.
listening() { grep -q " @$1\$" /proc/net/unix; }
peer=$1
runs=${2:-20}
shift $(($# >= 2 ? 2 : $#))
samples=0
extra=()
while [ $# -gt 0 ]; do
    case $1 in
    --sample) samples=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "usage: ha_sigkill_test.sh HA_PEER [RUNS] [--sample K] [-- HA_PEER_ARGS...]"; exit 2 ;;
    esac
done
[ "$samples" -gt 0 ] && extra+=(--nvram-size 1048576)
work=$(mktemp -d)
pids=()
trap 'kill -9 "${pids[@]}" 2>/dev/null; [ -n "${HA_KEEP:-}" ] || rm -rf "$work"' EXIT
eal=(--no-huge -m 256 --no-pci --log-level=lib.eal:error --log-level=ccm:warning
     --log-level=roce:warning)
fails=0 detect_all="" kill_all="" sampled=0

for run in $(seq 1 "$runs"); do
    d=$work/run$run
    mkdir -p "$d"
    sample_args=()
    [ "$samples" -gt 0 ] && sample_args=(--sample "$samples")
    # The survivor is the memif server of both links: its process first.
    "$peer" "${eal[@]}" --file-prefix="hs$$" \
        --vdev="net_memif0,role=server,socket=$d/l0.sock" \
        --vdev="net_memif1,role=server,socket=$d/l1.sock" -- \
        --role survivor --node 2 --dir "$d" --mailbox "$d/mailbox" --timeout 60 \
        "${sample_args[@]}" "${extra[@]}" >"$d/survivor.out" 2>"$d/survivor.err" &
    sp=$!
    # memif clients connect once: start them when the server's ports are
    # started (it says "ready"; it listens from its EAL start, before).
    for _ in $(seq 1 400); do
        grep -q "^ready" "$d/survivor.out" 2>/dev/null && listening "$d/l0.sock" &&
            listening "$d/l1.sock" && break
        sleep 0.05
    done
    "$peer" "${eal[@]}" --file-prefix="hw$$" \
        --vdev="net_memif0,role=client,socket=$d/l0.sock" \
        --vdev="net_memif1,role=client,socket=$d/l1.sock" -- \
        --role writer --node 1 --dir "$d" --mailbox "$d/mailbox" --timeout 60 \
        "${extra[@]}" >"$d/writer.out" 2>"$d/writer.err" &
    wp=$!
    pids=("$sp" "$wp")
    # Kill at a random moment once acknowledgements flow (and, sampling,
    # once the samples are taken).
    for _ in $(seq 1 200); do
        grep -q acked "$d/writer.out" 2>/dev/null && break
        sleep 0.05
    done
    if [ "$samples" -gt 0 ]; then
        for _ in $(seq 1 200); do
            [ "$(grep -c '^sample' "$d/survivor.out")" -ge "$samples" ] && break
            sleep 0.05
        done
    fi
    sleep "0.$((RANDOM % 9))$((RANDOM % 10))"
    # bash's own clock: no process between the time and the kill.
    killed_ns=${EPOCHREALTIME/./}000
    kill -9 "$wp" 2>/dev/null
    wait "$wp" 2>/dev/null
    wait "$sp"; src=$?
    pids=()
    acked=$(grep -c '^acked' "$d/writer.out")
    last_acked=$(awk '/^acked/ { s = $2 } END { print s + 0 }' "$d/writer.out")
    replay=$(grep '^replayed' "$d/survivor.out")
    last_replayed=$(awk '/^replayed/ { print $4 }' "$d/survivor.out")
    bad_samples=""
    if [ "$samples" -gt 0 ]; then
        # Each sample against the acknowledgements made before it.
        bad_samples=$(awk '
            FILENAME ~ /writer/ && /^acked/ { n++; seq[n] = $2; t[n] = $3; next }
            /^sample/ {
                s++; want = 0
                for (i = 1; i <= n && t[i] < $2; i++) want = seq[i]
                # No log at all (the resync header not landed) loses
                # nothing only while nothing is acknowledged.
                if ($10 != 0 || $6 < want || ($12 != 0 && want > 0))
                    printf "sample at %s: replay reached %s (worst of its torn states), "\
                        "acknowledged before it %s, %s bad states, %s without a log; ",\
                        $2, $6, want, $10, $12
            }
            END { if (s == 0) print "no sample taken" }' "$d/writer.out" "$d/survivor.out")
        sampled=$((sampled + $(grep -c '^sample' "$d/survivor.out")))
    fi
    if [ "$src" -ne 0 ] || [ -z "$replay" ]; then
        [ "$src" -eq 139 ] && echo "FAIL run $run: the survivor died with SIGSEGV"
        echo "FAIL run $run: survivor exit $src: $(tail -n 3 "$d/survivor.err")"
        fails=$((fails + 1))
    elif [ "$acked" -eq 0 ]; then
        echo "FAIL run $run: the writer acknowledged nothing: $(tail -n 3 "$d/writer.err")"
        fails=$((fails + 1))
    elif [ "$last_replayed" -lt "$last_acked" ]; then
        echo "FAIL run $run: acknowledged up to $last_acked, replayed only up to $last_replayed"
        fails=$((fails + 1))
    elif [ -n "$bad_samples" ]; then
        echo "FAIL run $run: power cut: $bad_samples"
        fails=$((fails + 1))
    else
        from_kill=$(awk -v k="$killed_ns" '/^replayed/ { printf "%.1f", ($8 - k) / 1e6 }' \
            "$d/survivor.out")
        echo "ok run $run: $acked acknowledged (last $last_acked), replayed" \
            "$(awk '/^replayed/ { print $2, "last", $4 }' "$d/survivor.out"), takeover" \
            "$from_kill ms after SIGKILL"
        detect_all="$detect_all $(awk '/^replayed/ { print $6 }' "$d/survivor.out")"
        kill_all="$kill_all $from_kill"
        [ -n "${HA_KEEP:-}" ] || rm -rf "$d"
    fi
done
# min, median, 90th percentile, max of a list of figures
dist() {
    tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "none"; exit }
        printf "min %.1f median %.1f p90 %.1f max %.1f (%d runs)\n", v[1],
            v[int((NR + 1) / 2)], v[int(NR * 0.9 + 0.999)], v[NR], NR }'
}
echo "takeover after last heartbeat (ms):$detect_all"
echo "takeover after SIGKILL (ms):$kill_all"
echo "takeover after SIGKILL: $(echo "$kill_all" | dist)"
echo "takeover after last heartbeat: $(echo "$detect_all" | dist)"
[ "$samples" -gt 0 ] && echo "power-cut samples: $sampled, every one a prefix holding every acknowledged record"
[ "$fails" -eq 0 ] || { echo "$fails of $runs runs failed"; exit 1; }
echo "zero loss in $runs SIGKILL runs"

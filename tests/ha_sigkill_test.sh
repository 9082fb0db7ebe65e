#!/usr/bin/env bash
# Zero loss: a writer appends numbered records, mirrored synchronously to
# its partner, and prints each acknowledgement; it is killed with SIGKILL
# at a random moment; the survivor takes over and replays the writer's log
# from its shadow. Every acknowledged record must be there, intact, in
# order. Usage: ha_sigkill_test.sh HA_PEER [RUNS]
set -uo pipefail
# memif (DPDK 22.11) listens on an abstract socket: no file, but a line
# "@PATH" in /proc/net/unix.
listening() { grep -q " @$1\$" /proc/net/unix; }
peer=$1 runs=${2:-20}
work=$(mktemp -d)
pids=()
trap 'kill -9 "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
fails=0 detect_all="" kill_all=""

for run in $(seq 1 "$runs"); do
    d=$work/run$run
    mkdir -p "$d"
    # The survivor is the memif server of both links: its process first.
    "$peer" --no-huge -m 256 --no-pci --file-prefix="hs$$" --log-level=lib.eal:error \
        --log-level=ccm:warning --log-level=roce:warning \
        --vdev="net_memif0,role=server,socket=$d/l0.sock" \
        --vdev="net_memif1,role=server,socket=$d/l1.sock" -- \
        --role survivor --node 2 --dir "$d" --mailbox "$d/mailbox" --timeout 60 \
        >"$d/survivor.out" 2>"$d/survivor.err" &
    sp=$!
    # memif clients connect once: start them when the server listens.
    for _ in $(seq 1 200); do
        listening "$d/l0.sock" && listening "$d/l1.sock" && break
        sleep 0.05
    done
    "$peer" --no-huge -m 256 --no-pci --file-prefix="hw$$" --log-level=lib.eal:error \
        --log-level=ccm:warning --log-level=roce:warning \
        --vdev="net_memif0,role=client,socket=$d/l0.sock" \
        --vdev="net_memif1,role=client,socket=$d/l1.sock" -- \
        --role writer --node 1 --dir "$d" --mailbox "$d/mailbox" --records 100000000 --timeout 60 \
        >"$d/writer.out" 2>"$d/writer.err" &
    wp=$!
    pids=("$sp" "$wp")
    # Kill at a random moment once acknowledgements flow.
    for _ in $(seq 1 200); do
        grep -q acked "$d/writer.out" 2>/dev/null && break
        sleep 0.05
    done
    sleep "0.$((RANDOM % 9))$((RANDOM % 10))"
    killed_ns=$(date +%s%N)
    kill -9 "$wp" 2>/dev/null
    wait "$wp" 2>/dev/null
    wait "$sp"; src=$?
    pids=()
    acked=$(grep -c '^acked' "$d/writer.out")
    last_acked=$(awk '/^acked/ { s = $2 } END { print s + 0 }' "$d/writer.out")
    replay=$(grep '^replayed' "$d/survivor.out")
    last_replayed=$(awk '/^replayed/ { print $4 }' "$d/survivor.out")
    if [ "$src" -ne 0 ] || [ -z "$replay" ]; then
        echo "FAIL run $run: survivor exit $src: $(tail -n 3 "$d/survivor.err")"
        fails=$((fails + 1))
    elif [ "$acked" -eq 0 ]; then
        echo "FAIL run $run: the writer acknowledged nothing: $(tail -n 3 "$d/writer.err")"
        fails=$((fails + 1))
    elif [ "$last_replayed" -lt "$last_acked" ]; then
        echo "FAIL run $run: acknowledged up to $last_acked, replayed only up to $last_replayed"
        fails=$((fails + 1))
    else
        from_kill=$(awk -v k="$killed_ns" '/^replayed/ { printf "%.1f", ($8 - k) / 1e6 }' \
            "$d/survivor.out")
        echo "ok run $run: $acked acknowledged (last $last_acked), replayed" \
            "$(awk '/^replayed/ { print $2, "last", $4 }' "$d/survivor.out"), takeover" \
            "$from_kill ms after SIGKILL"
        detect_all="$detect_all $(awk '/^replayed/ { print $6 }' "$d/survivor.out")"
        kill_all="$kill_all $from_kill"
    fi
done
echo "takeover after last heartbeat (ms):$detect_all"
echo "takeover after SIGKILL (ms):$kill_all"
[ "$fails" -eq 0 ] || { echo "$fails of $runs runs lost acknowledged records"; exit 1; }
echo "zero loss in $runs SIGKILL runs"

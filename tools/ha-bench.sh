#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The HA benchmarks of docs/perf.md, each one command (release build in
# build-bench, set up on first use):
#
#   tools/ha-bench.sh sigkill [RUNS]        RUNS (100) SIGKILL runs of
#       tests/ha_sigkill_test.sh: zero acknowledged records lost, the
#       survivor alive, and the takeover times' distribution.
#   tools/ha-bench.sh soak [MINUTES] [-- HA_PEER_ARGS...]
#       MINUTES (30) of two nodes mirroring NVRAM continuously with a CPU
#       hog on both cores, at the default timeouts: false takeovers (must be
#       0), the longest silence of a partner on every path and the longest
#       stall of a node's lcore, with the margin to the timeout; and from the
#       silences seen, the trade-off curve (timeout, false takeovers it would
#       have made, detection time).
#
# Extra ha_peer arguments (after --) override the defaults, e.g.
# -- --partner-timeout-us 20000.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${CCM_BENCH_BUILD:-$src/build-bench}
listening() { grep -q " @$1\$" /proc/net/unix; }
die() { echo "ha-bench.sh: $*" >&2; exit 1; }
usage() { sed -n '4,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

setup_build() {
    if [ ! -f "$build/build.ninja" ]; then
        meson setup "$build" "$src" --buildtype=release >/dev/null ||
            die "meson setup $build failed"
    fi
    meson compile -C "$build" tests/ha_peer >/dev/null || die "cannot build ha_peer in $build"
}

sigkill() {
    local runs=${1:-100}

    setup_build
    echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(git -C "$src" describe --always --dirty 2>/dev/null),"\
         "$runs SIGKILL runs, $build"
    bash "$src/tests/ha_sigkill_test.sh" "$build/tests/ha_peer" "$runs"
}

soak() {
    local minutes=${1:-30} hogs=() t_end rc=0
    shift || true
    [ "${1:-}" = "--" ] && shift
    setup_build
    work=$(mktemp -d)
    # shellcheck disable=SC2317
    cleanup() {
        kill -9 "${hogs[@]}" "${apid:-}" "${bpid:-}" 2>/dev/null || true
        rm -rf "$work"
    }
    trap cleanup EXIT
    local eal=(--no-huge -m 256 --no-pci --log-level=lib.eal:error --log-level=ccm:warning
               --log-level=roce:warning)
    local args=(--role node --dir "$work" --mailbox "$work/mailbox" --interval-us 0
                --timeout $((minutes * 60 + 600)) "$@")
    echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(git -C "$src" describe --always --dirty 2>/dev/null),"\
         "soak $minutes min, CPU hog on both cores, ha_peer ${*:-(default timeouts)}"
    "$build/tests/ha_peer" "${eal[@]}" --lcores=0@1 --file-prefix="soakb$$" \
        --vdev="net_memif0,role=server,socket=$work/l0.sock" \
        --vdev="net_memif1,role=server,socket=$work/l1.sock" -- --node 2 "${args[@]}" \
        >"$work/b.out" 2>"$work/b.err" &
    bpid=$!
    for _ in $(seq 1 200); do
        listening "$work/l0.sock" && listening "$work/l1.sock" && break
        sleep 0.05
    done
    "$build/tests/ha_peer" "${eal[@]}" --lcores=0@0 --file-prefix="soaka$$" \
        --vdev="net_memif0,role=client,socket=$work/l0.sock" \
        --vdev="net_memif1,role=client,socket=$work/l1.sock" -- --node 1 "${args[@]}" \
        >"$work/a.out" 2>"$work/a.err" &
    apid=$!
    sleep 3
    # The hog: a busy loop on each core, at the nodes' priority.
    for cpu in 0 1; do
        [ "${HA_SOAK_HOG:-1}" = 1 ] || break
        taskset -c "$cpu" sh -c 'while :; do :; done' &
        hogs+=($!)
    done
    sleep $((minutes * 60))
    kill -9 "${hogs[@]}" 2>/dev/null || true
    t_end=$(/usr/bin/python3 -c 'import time; print(time.monotonic_ns())')
    kill -TERM "$apid" "$bpid"
    wait "$apid" || rc=$?
    wait "$bpid" || rc=$?
    [ "$rc" -eq 0 ] || { tail -n 5 "$work"/*.err; die "a node failed ($rc)"; }
    /usr/bin/python3 - "$work/a.out" "$work/b.out" "$t_end" "$minutes" <<'EOF'
import sys

t_end, minutes = int(sys.argv[3]), float(sys.argv[4])
hist, false, stats = {}, [], {}
for name, path in (("a", sys.argv[1]), ("b", sys.argv[2])):
    acks = 0
    for line in open(path):
        f = line.split()
        if not f:
            continue
        if f[0] == "ack":
            acks += 1
        elif f[0] == "event" and f[2] in ("takeover", "fenced") and int(f[3]) < t_end:
            false.append((name, f[2], int(f[3])))
        elif f[0] == "stats":
            kv = dict(zip(f[2:f.index("hist"):2], f[3:f.index("hist"):2]))
            kv["acks"] = acks
            stats[name] = kv
            for b in f[f.index("hist") + 1:]:
                ms, n = b.split(":")
                hist[int(ms)] = hist.get(int(ms), 0) + int(n)
print("false takeovers or fences: %d %s" % (len(false), false if false else ""))
for name in ("a", "b"):
    s = stats[name]
    print("node %s: %d acknowledged; partner silent on every path at most %s ms "
          "(interconnect alone %s ms); its lcore stalled at most %s ms, its heartbeat "
          "thread %s ms late at most (a mailbox write %s ms); %s SUSPECT, %s CUT, "
          "%s refused, %s lease lapses" % (name, s["acks"], s["max_silence_ms"],
          s["max_ic_silence_ms"], s["max_poll_gap_ms"], s["max_beat_gap_ms"],
          s["max_beat_write_ms"], s["late"], s["cut"], s["refused"], s["lease_lapses"]))
episodes = sum(hist.values())
print("silence episodes (every path, both nodes): %d in %.0f min" % (episodes, minutes))
print("| partner_timeout | false takeovers it would have made | episodes per hour |")
print("| --- | --- | --- |")
for t in (2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 30, 40, 50):
    n = sum(v for ms, v in hist.items() if ms >= t)
    print("| %d ms | %d | %.1f |" % (t, n, n * 60.0 / minutes))
EOF
}

case ${1:-} in
sigkill) shift; sigkill "$@" ;;
soak) shift; soak "$@" ;;
-h | --help) usage ;;
*) usage >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# ccm-perf end to end (see tests/meson.build).
# Usage: perf_test.sh CCM_PERF PERF_OOB_PEER DATA_DIR
set -uo pipefail
perf=$1 peer=$2 data=$3
work=$(mktemp -d)
pids=()
cleanup() {
    kill "${pids[@]}" 2>/dev/null
    ip netns del ccmperfA 2>/dev/null
    ip netns del ccmperfB 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
eal=(--no-huge -m 256 --no-pci --log-level=lib.eal:error --log-level=pmd.net.memif:error)
fails=0 cases=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# memif (DPDK 22.11) listens on an abstract socket: a line "@PATH" in /proc/net/unix.
listening() { grep -q " @$1\$" /proc/net/unix; }
tcp_listening() { grep -q ":$(printf '%04X' "$1") 00000000:0000 0A" /proc/net/tcp; }
port=18600
next_port() { port=$((port + 1)); }

# memif NAME SERVER_ARGS... -- CLIENT_ARGS...: two ccm-perf over one memif
# pair; both must exit 0. Outputs in $work/NAME.{server,client}.
memif() {
    local name=$1; shift
    local sargs=() cargs=()
    while [ "$1" != "--" ]; do sargs+=("$1"); shift; done; shift
    cargs=("$@")
    local sock=$work/$name.sock
    next_port
    cases=$((cases + 1))
    timeout 120 "$perf" "${eal[@]}" --file-prefix="ps$$" --vdev="net_memif0,role=server,socket=$sock" -- \
        --server --port $port --local-ip 10.66.0.1 --timeout 60 "${sargs[@]}" \
        >"$work/$name.server" 2>&1 &
    local spid=$!
    for _ in $(seq 1 100); do listening "$sock" && tcp_listening $port && break; sleep 0.1; done
    timeout 120 "$perf" "${eal[@]}" --file-prefix="pc$$" --vdev="net_memif0,role=client,socket=$sock" -- \
        --client 127.0.0.1 --port $port --local-ip 10.66.0.2 --timeout 60 "${cargs[@]}" \
        >"$work/$name.client" 2>&1
    local crc=$?
    wait $spid; local src=$?
    if [ $crc -ne 0 ] || [ $src -ne 0 ]; then
        fail "$name: client exited $crc, server $src"
        tail -n 5 "$work/$name.client" "$work/$name.server"
        return 1
    fi
    return 0
}

# Usage: --help lists every option and exits 0 without EAL; bad values exit 2.
cases=$((cases + 1))
help=$("$perf" --help 2>&1); rc=$?
[ $rc -eq 0 ] || fail "--help exited $rc"
for opt in --server --client --verb --bw --lat --size --all --iters --mtu --tx-depth --port \
        --local-ip --verify --fault --json --atomic --report_gbits --pingpong --bidirectional \
        --duration --margin --qps; do
    grep -q -- "$opt" <<<"$help" || fail "--help does not mention $opt"
done
for bad in "--verb fetch" "--mtu 1000" "--size 0" "--fault drop=2" "--size 64 --all" \
        "--verb atomic --size 16" "--atomic xor" "--pingpong --verb read" "--lat --bidirectional" \
        "--duration 2 --verify" "--verb send --duration 2" "--qps 1025" "--lat --qps 2" \
        "--margin 1" "--duration 2 --margin 1"; do
    cases=$((cases + 1))
    # shellcheck disable=SC2086
    out=$("$perf" --no-huge -m 64 --no-pci --log-level=lib.eal:error --file-prefix="pu$$" \
        --vdev=net_null0 -- --verb write $bad 2>&1); rc=$?
    [ $rc -eq 2 ] && grep -q "see --help" <<<"$out" ||
        fail "ccm-perf $bad: exit $rc, expected 2 with a message: $out"
done
echo "ok: usage"

# The figures line of a run: "#bytes #iterations ..." then the numbers.
figures() { grep -E '^ [0-9]+ +[0-9]+ ' "$1"; }
verified() { grep -E "verify: [0-9]+ bytes checked on this side, all as expected" "$1" | grep -oE '[0-9]+ bytes' | grep -oE '[0-9]+'; }

# Every verb, bandwidth and latency, a small and a large size, verified.
for verb in write read send; do
    for t in "bw 64 400" "bw 65536 64" "lat 8 200" "lat 16384 50"; do
        set -- $t
        name="$verb-$1-$2"
        common=(--verb "$verb" --$1 --size "$2" --iters "$3" --verify)
        memif "$name" "${common[@]}" -- "${common[@]}" || continue
        for side in server client; do
            # Who checks: the receiver of WRITE and SEND bw, the reader of
            # READ; in latency tests, both sides of WRITE and SEND.
            case "$verb-$1-$side" in
                write-bw-server|send-bw-server|read-bw-client|read-lat-client|write-lat-*|send-lat-*)
                    want=$(( $2 * $3 ))
                    [ "$verb-$1" = write-lat ] && want=$(( ($2 - 1) * $3 ))
                    got=$(verified "$work/$name.$side")
                    [ "${got:-0}" -eq "$want" ] || fail "$name: $side checked ${got:-no} bytes, expected $want" ;;
            esac
        done
        figures "$work/$name.client" | grep -q " $2 " || fail "$name: no figures line for $2 bytes"
        if [ "$1" = bw ]; then
            # The server shows the client's figures (write, read: from the report).
            [ "$(figures "$work/$name.client" | awk '{print $1, $2}')" = "$2 $3" ] ||
                fail "$name: client figures $(figures "$work/$name.client")"
        fi
        echo "ok: $name: $(figures "$work/$name.client" | tr -s ' ')"
    done
done

# Faults on both sides: every byte must still arrive, and the transport must
# really have recovered from something.
f=drop=0.05,dup=0.01,reorder=0.01,corrupt=0.01,seed=7
common=(--verb write --bw --size 4096 --iters 600 --verify)
if memif fault-write "${common[@]}" --fault "${f/seed=7/seed=11}" -- "${common[@]}" --fault "$f"; then
    [ "$(verified "$work/fault-write.server")" = $((4096 * 600)) ] || fail "fault-write: server did not verify every byte"
    grep -qE 'req_retransmits=[1-9]' "$work/fault-write.client" || fail "fault-write: no retransmissions counted"
    grep -qE 'rx_invalid=[1-9]|rx_bad_icrc=[1-9]|icrc[a-z_]*=[1-9]' "$work/fault-write.server" "$work/fault-write.client" ||
        fail "fault-write: no corrupted frame was counted"
    echo "ok: fault-write: $(grep -h 'transport counters' "$work/fault-write.client" | cut -c1-160)"
fi
common=(--verb send --lat --size 1500 --iters 200 --verify)
memif fault-send-lat "${common[@]}" --fault "${f/seed=7/seed=3}" -- "${common[@]}" --fault "${f/seed=7/seed=5}" &&
    echo "ok: fault-send-lat: $(figures "$work/fault-send-lat.client" | tr -s ' ')"

# JSON: one object per size, with the figures.
common=(--verb read --bw --size 1024 --iters 100 --json)
if memif json "${common[@]}" -- "${common[@]}"; then
    grep -qE '^\{"test": "bw", "verb": "read", "bytes": 1024, "iterations": 100, "bw_peak_mb_s": [0-9.]+' "$work/json.client" ||
        fail "json: no JSON result line: $(head -c 300 "$work/json.client")"
    echo "ok: json"
fi

# --all, latency: every size from 2 B to 8 MiB, each its own line.
common=(--verb write --lat --all --iters 4 --verify)
if memif all-lat "${common[@]}" -- "${common[@]}"; then
    n=$(figures "$work/all-lat.client" | wc -l)
    [ "$n" -eq 23 ] || fail "all-lat: $n sizes, expected 23"
    echo "ok: all-lat: $n sizes"
fi

# Atomics (ib_atomic_bw, ib_atomic_lat): compare-and-swap and fetch-and-add.
for a in cas faa; do
    for t in "bw 300" "lat 100"; do
        set -- $t
        common=(--verb atomic --atomic $a --$1 --iters $2)
        memif "atomic-$a-$1" "${common[@]}" -- "${common[@]}" || continue
        figures "$work/atomic-$a-$1.client" | grep -qE "^ 8 +$2 " ||
            fail "atomic-$a-$1: no figures line for 8 bytes x $2: $(figures "$work/atomic-$a-$1.client")"
        echo "ok: atomic-$a-$1: $(figures "$work/atomic-$a-$1.client" | tr -s ' ')"
    done
done

# --report_gbits: the same run in Gb/s (10^9 bits) instead of MB/s (2^20
# bytes); the server shows the client's report in the client's unit.
common=(--verb write --bw --size 65536 --iters 200 --report_gbits)
if memif gbits "${common[@]}" -- "${common[@]}"; then
    grep -q "BW average\[Gb/sec\]" "$work/gbits.client" || fail "gbits: no Gb/sec header"
    c=$(figures "$work/gbits.client" | awk '{print $4}') s=$(figures "$work/gbits.server" | awk '{print $4}')
    [ -n "$c" ] && [ "$c" = "$s" ] || fail "gbits: client shows '$c' Gb/s, server '$s'"
    echo "ok: gbits: $c Gb/s both sides"
fi

# --bidirectional (perftest -b): both sides run and both show the sum.
for v in write read; do
    common=(--verb $v --bw --size 16384 --iters 300 --bidirectional)
    memif "bidir-$v" "${common[@]}" -- "${common[@]}" || continue
    c=$(figures "$work/bidir-$v.client") s=$(figures "$work/bidir-$v.server")
    [ -n "$c" ] && [ "$c" = "$s" ] || fail "bidir-$v: client '$c', server '$s' (the same sum expected)"
    echo "ok: bidir-$v: $(tr -s ' ' <<<"$c")"
done

# --qps (perftest -q): the iterations on each of several QPs, keys per QP
# (40: more QPs than a 32-bit mask of the QPs whose keys came).
for t in "write 4" "read 2" "atomic 3" "write 40"; do
    set -- $t
    common=(--verb $1 --bw --iters 200 --qps $2)
    [ $1 = atomic ] || common+=(--size 8192)
    memif "qps-$1-$2" "${common[@]}" -- "${common[@]}" || continue
    [ "$(figures "$work/qps-$1-$2.client" | awk '{print $2}')" = 200 ] || fail "qps-$1-$2: $(figures "$work/qps-$1-$2.client")"
    echo "ok: qps-$1-$2: $(figures "$work/qps-$1-$2.client" | tr -s ' ')"
done

# --duration (perftest -D): the client runs 3 s, however many messages that
# is; --margin 1: its rate is of the middle second only.
common=(--verb write --bw --size 65536)
if memif duration "${common[@]}" -- "${common[@]}" --duration 3 --margin 1; then
    n=$(figures "$work/duration.client" | awk '{print $2}')
    [ "${n:-0}" -gt 0 ] && [ "$n" != 5000 ] || fail "duration: $n iterations"
    [ "$(figures "$work/duration.server" | awk '{print $2}')" = "$n" ] || fail "duration: the server's report differs"
    # The middle second's rate: more than nothing, and at most what all n
    # messages would make in that one second.
    figures "$work/duration.client" | awk -v n="$n" '{ exit !($4 > 0 && $4 <= n * 65536 / 1048576 + 1) }' ||
        fail "duration: margin rate $(figures "$work/duration.client")"
    echo "ok: duration: $n messages in 3 s, $(figures "$work/duration.client" | awk '{print $4}') MB/s in the middle second"
fi

# --pingpong: ibv_rc_pingpong's exchange and its two figure lines.
common=(--pingpong --size 4096 --iters 200)
if memif pingpong "${common[@]}" -- "${common[@]}"; then
    for side in client server; do
        grep -qE "^1638400 bytes in [0-9.]+ seconds = [0-9.]+ Mbit/sec" "$work/pingpong.$side" &&
            grep -qE "^200 iters in [0-9.]+ seconds = [0-9.]+ usec/iter" "$work/pingpong.$side" ||
            fail "pingpong: $side printed no rc_pingpong figures: $(tail -n 3 "$work/pingpong.$side")"
    done
    echo "ok: pingpong: $(grep Mbit "$work/pingpong.client")"
fi

# The recorded perftest conversations, ccm-perf in each role. The peer
# stands in with the recorded QPN, PSN, rkey, address and GID.
for conv in 1 2; do
    size=$([ $conv = 1 ] && echo 4096 || echo 64)
    for role in client server; do
        name="replay-$conv-ccm-$role"
        sock=$work/$name.sock
        next_port
        cases=$((cases + 1))
        if [ $role = client ]; then
            # The peer is the recorded server (10.77.0.11); we are 10.77.0.12.
            timeout 120 "$peer" "${eal[@]}" --file-prefix="rp$$" --vdev="net_memif0,role=server,socket=$sock" -- \
                --pcap "$data/oob-perftest.pcap" --conversation $conv --play server --port $port \
                >"$work/$name.peer" 2>&1 &
            ppid=$!
            for _ in $(seq 1 100); do listening "$sock" && tcp_listening $port && break; sleep 0.1; done
            timeout 120 "$perf" "${eal[@]}" --file-prefix="rc$$" --vdev="net_memif0,role=client,socket=$sock" -- \
                --client 127.0.0.1 --port $port --local-ip 10.77.0.12 --verb write --bw \
                --size $size --iters 16 --timeout 30 >"$work/$name.perf" 2>&1
            prc=$?
        else
            timeout 120 "$perf" "${eal[@]}" --file-prefix="rc$$" --vdev="net_memif0,role=server,socket=$sock" -- \
                --server --port $port --local-ip 10.77.0.11 --verb write --bw \
                --size $size --iters 16 --timeout 30 >"$work/$name.perf" 2>&1 &
            ppid2=$!
            for _ in $(seq 1 100); do listening "$sock" && tcp_listening $port && break; sleep 0.1; done
            timeout 120 "$peer" "${eal[@]}" --file-prefix="rp$$" --vdev="net_memif0,role=client,socket=$sock" -- \
                --pcap "$data/oob-perftest.pcap" --conversation $conv --play client --port $port \
                >"$work/$name.peer" 2>&1
            rrc=$?
            wait $ppid2; prc=$?
        fi
        [ $role = client ] && { wait $ppid; rrc=$?; }
        if [ $prc -ne 0 ] || [ "$rrc" -ne 0 ] || ! grep -q " 0 mismatches" "$work/$name.peer"; then
            fail "$name: ccm-perf exited $prc, peer $rrc"
            tail -n 8 "$work/$name.perf" "$work/$name.peer"
            continue
        fi
        if [ $role = server ]; then
            # ccm-perf shows the recorded client's figures from its report.
            want=$(sed -n 's/^recorded report: //p' "$work/$name.peer" | awk '{printf "%s %s %s %s", $1, $2, $3, $4}')
            got=$(figures "$work/$name.perf" | awk '{printf "%s %s %s %s", $1, $2, $3, $4}')
            [ "$want" = "$got" ] || fail "$name: figures '$got', recorded report '$want'"
        fi
        echo "ok: $name: $(grep -h 'replayed' "$work/$name.peer")"
    done
done

# Conversations recorded live against Linux perftest 4.5 on rdma_rxe
# (tools/interop.sh --capture-oob; data/oob-live/README.md): the peer plays
# Linux's side byte for byte and runs its RDMA loop where Linux did, so
# ccm-perf must make each hand shake at perftest's point. Before the sync
# fix, ib_write_lat (both roles) and ib_read_lat (both roles) failed here.
live_replay() {   # live_replay CASE PEER-TEST SIZE ITERS RUN-AFTER-KEYS CCM-PERF ARGS...
    local cas=$1 test=$2 size=$3 iters=$4 after=$5; shift 5
    local pcap=$data/oob-live/$cas.pcap name=live-$cas role peer_role prc rrc ppid
    [ -f "$pcap" ] || { fail "$name: no $pcap"; return; }
    role=${cas##*.ccm-}
    peer_role=$([ "$role" = client ] && echo server || echo client)
    next_port
    cases=$((cases + 1))
    local sock=$work/$name.sock
    local pargs=(--pcap "$pcap" --conversation 1 --play $peer_role --port $port --test "$test"
                 --size "$size" --iters "$iters" --run-after-keys "$after")
    if [ "$role" = client ]; then
        timeout 120 "$peer" "${eal[@]}" --file-prefix="lp$$" --vdev="net_memif0,role=server,socket=$sock" -- \
            "${pargs[@]}" >"$work/$name.peer" 2>&1 &
        ppid=$!
        for _ in $(seq 1 100); do listening "$sock" && tcp_listening $port && break; sleep 0.1; done
        timeout 120 "$perf" "${eal[@]}" --file-prefix="lc$$" --vdev="net_memif0,role=client,socket=$sock" -- \
            --client 127.0.0.1 --port $port --local-ip 10.66.14.3 --timeout 20 "$@" >"$work/$name.perf" 2>&1
        prc=$?
        wait $ppid; rrc=$?
    else
        timeout 120 "$perf" "${eal[@]}" --file-prefix="lc$$" --vdev="net_memif0,role=server,socket=$sock" -- \
            --server --port $port --local-ip 10.66.14.3 --timeout 20 "$@" >"$work/$name.perf" 2>&1 &
        ppid=$!
        for _ in $(seq 1 100); do listening "$sock" && tcp_listening $port && break; sleep 0.1; done
        timeout 120 "$peer" "${eal[@]}" --file-prefix="lp$$" --vdev="net_memif0,role=client,socket=$sock" -- \
            "${pargs[@]}" >"$work/$name.peer" 2>&1
        rrc=$?
        wait $ppid; prc=$?
    fi
    if [ $prc -ne 0 ] || [ $rrc -ne 0 ] || ! grep -q " 0 mismatches" "$work/$name.peer"; then
        fail "$name: ccm-perf exited $prc, the replayed Linux side $rrc"
        tail -n 4 "$work/$name.perf" "$work/$name.peer"
        return
    fi
    echo "ok: $name: $(grep -h 'replayed' "$work/$name.peer")"
}
for r in client server; do
    live_replay write_lat-8.ccm-$r write-lat 8 100 4 --verb write --lat --size 8 --iters 100
    live_replay read_lat-8.ccm-$r read-lat 8 100 4 --verb read --lat --size 8 --iters 100
    live_replay send_lat-8.ccm-$r send-lat 8 100 4 --verb send --lat --size 8 --iters 100
    live_replay atomic_lat-cas.ccm-$r atomic-lat 8 100 4 --verb atomic --atomic cas --lat --iters 100
    live_replay send_bw-4096.ccm-$r send-bw 4096 100 4 --verb send --bw --size 4096 --iters 100
    live_replay write_bw-65536.ccm-$r write-bw 65536 100 3 --verb write --bw --size 65536 --iters 100
done

# Malformed out-of-band input: a clear error, exit 1, and no hang.
bad() {
    local mode=$1 role=$2 want=$3 pid rc t0 t1
    next_port
    cases=$((cases + 1))
    t0=$(date +%s)
    if [ "$role" = client ]; then
        "$peer" --bad "$mode" --port $port >"$work/bad-$mode.peer" 2>&1 &
        pid=$!
        for _ in $(seq 1 100); do tcp_listening $port && break; sleep 0.05; done
        timeout 60 "$perf" --no-huge -m 64 --no-pci --log-level=lib.eal:error --file-prefix="bd$$" \
            --vdev=net_null0 -- --client 127.0.0.1 --port $port --local-ip 10.66.0.2 \
            --verb write --timeout 3 >"$work/bad-$mode.$role" 2>&1
        rc=$?
    else
        timeout 60 "$perf" --no-huge -m 64 --no-pci --log-level=lib.eal:error --file-prefix="bd$$" \
            --vdev=net_null0 -- --server --port $port --local-ip 10.66.0.1 \
            --verb write --timeout 3 >"$work/bad-$mode.$role" 2>&1 &
        pid=$!
        for _ in $(seq 1 100); do tcp_listening $port && break; sleep 0.05; done
        "$peer" --bad "$mode" --connect 127.0.0.1 --port $port >"$work/bad-$mode.peer" 2>&1
        wait $pid; rc=$?
        pid=
    fi
    t1=$(date +%s)
    [ -n "${pid:-}" ] && kill $pid 2>/dev/null
    if [ $rc -ne 1 ]; then
        fail "bad $mode ($role): ccm-perf exited $rc, expected 1"
    elif ! grep -qi -- "$want" "$work/bad-$mode.$role"; then
        fail "bad $mode ($role): no '$want' in: $(grep ccm-perf "$work/bad-$mode.$role")"
    elif [ $((t1 - t0)) -gt 20 ]; then
        fail "bad $mode ($role): took $((t1 - t0)) s"
    else
        echo "ok: bad $mode ($role): $(grep -h '^ccm-perf' "$work/bad-$mode.$role")"
    fi
}
bad old-version client "5.70 or later"
bad garbage-version server "not a perftest version"
bad short client "closed the connection after 10 of 16 bytes"
bad garbage-keys client "keys are malformed (QPN)"
bad garbage-keys server "keys are malformed (QPN)"
bad bad-mtu client "MTU is not an ibv_mtu"
bad close-early client "keys #1: the peer closed"
bad close-early server "keys #1: the peer closed"
bad silent client "timed out after 3000 ms"

# Over a veth pair between two network namespaces, on af_packet ports: the
# kernel carries the out-of-band TCP (10.99.0.1/.2), the DPDK ports RoCEv2
# (10.99.0.11/.12) on the same wire.
if ip netns add ccmperfA 2>/dev/null && ip netns add ccmperfB; then
    ip link add ccmpA type veth peer name ccmpB
    ip link set ccmpA netns ccmperfA
    ip link set ccmpB netns ccmperfB
    for s in A:1 B:2; do
        ns=ccmperf${s%:*} dev=ccmp${s%:*} n=${s#*:}
        ip -n $ns link set lo up
        ip -n $ns link set $dev up
        ip -n $ns addr add 10.99.0.$n/24 dev $dev
    done
    # DPDK 22.11 af_packet takes 1518-byte frames at most: RoCE MTU 1024.
    afp="qdisc_bypass=1"
    for t in "write bw 65536 100" "read bw 4096 300" "send bw 4096 300" "write lat 8 200" "send lat 4096 100" "read lat 64 100"; do
        set -- $t
        name="veth-$1-$2-$3"
        next_port
        cases=$((cases + 1))
        common=(--verb $1 --$2 --size $3 --iters $4 --verify --port $port --timeout 60)
        ip netns exec ccmperfA timeout 120 "$perf" "${eal[@]}" --file-prefix="va$$" \
            --vdev="net_af_packet0,iface=ccmpA,$afp" -- --server --local-ip 10.99.0.11 "${common[@]}" \
            >"$work/$name.server" 2>&1 &
        spid=$!
        sleep 1
        ip netns exec ccmperfB timeout 120 "$perf" "${eal[@]}" --file-prefix="vb$$" \
            --vdev="net_af_packet0,iface=ccmpB,$afp" -- --client 10.99.0.1 --local-ip 10.99.0.12 "${common[@]}" \
            >"$work/$name.client" 2>&1
        crc=$?
        wait $spid; src=$?
        if [ $crc -ne 0 ] || [ $src -ne 0 ]; then
            fail "$name: client exited $crc, server $src"
            tail -n 5 "$work/$name.client" "$work/$name.server"
            continue
        fi
        grep -q "Mtu             : 1024" "$work/$name.client" || fail "$name: path MTU is not 1024"
        echo "ok: $name: $(figures "$work/$name.client" | tr -s ' ')"
    done
else
    fail "cannot create network namespaces (ip netns add): the veth cases need root"
fi

echo "ccm-perf: $cases cases, $fails failed"
[ $fails -eq 0 ]

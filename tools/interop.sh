#!/usr/bin/env bash
# ccm-perf against a live Linux soft-RoCE peer (docs/interop.md).
#
# Builds a Debian 12 guest from Debian packages (tools/interop/build-guest.sh),
# boots it under qemu in a network namespace of its own with rdma_rxe on its
# eth0, puts ccm-perf's net_af_packet port on the same bridge, and runs
# perftest tests with ccm-perf in both roles. Each case passes only if both
# ends exit 0 and both print their figures.
#
# Usage: tools/interop.sh [--quick | --full] [--loss] [--table FILE] [--build DIR]
#                         [--only REGEX] [--iters N]
#   --quick     a short subset (CI: tests/interop_test.sh)
#   --full      every test ccm-perf supports, both roles, -a sizes (default)
#   --loss      only the bandwidth tests, with 2 % netem loss in the guest
#               and --fault drop=0.02 on our port
#   --table F   write the results table (Markdown) to F
#   --only RE   only the cases whose name matches RE
#   --capture-oob DIR   record each case's out-of-band TCP into DIR/CASE.pcap
#   --keep      keep every output (else only when a case failed)
#   --ccm-args "ARGS"   more ccm-perf options for every case (e.g. --stats)
# Exit status: 0 when every case passed, 1 when one failed, 2 bad usage.
set -uo pipefail
# The whole script is one block, read before it runs: editing the file
# during a run cannot change what the run does.
{
args="$*"
root=$(cd "$(dirname "$0")/.." && pwd)
mode=full loss=0 table= build=$root/build only= iters= keep= capdir= extra=
while [ $# -gt 0 ]; do
    case $1 in
        --quick) mode=quick ;;
        --full) mode=full ;;
        --loss) loss=1 ;;
        --table) table=$2; shift ;;
        --build) build=$2; shift ;;
        --only) only=$2; shift ;;
        --iters) iters=$2; shift ;;
        -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        --keep) keep=1 ;;
        --capture-oob) capdir=$2; shift ;;
        --ccm-args) extra=$2; shift ;;
        *) echo "interop: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[ "$(id -u)" -eq 0 ] || { echo "interop: needs root (network namespace, tap)" >&2; exit 2; }
perf=$build/app/ccm-perf
if [ ! -x "$perf" ]; then
    echo "interop: no $perf: build first (meson setup build && ninja -C build)" >&2
    exit 2
fi
# shellcheck source=interop/guest.sh
. "$root/tools/interop/guest.sh"
out=$IOP_RUN
spid=
cleanup() {
    [ -n "$spid" ] && kill "$spid" 2>/dev/null
    iop_down
    [ -n "${keep:-}" ] || rm -rf "$out"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$root/tools/interop/build-guest.sh" || { echo "interop: cannot build the guest" >&2; exit 1; }
iop_net_up || { echo "interop: cannot set up the namespace $IOP_NS" >&2; exit 1; }
iop_guest_boot "${CCM_INTEROP_BOOT_TIMEOUT:-240}" || { echo "interop: FAIL: the Linux peer did not boot" >&2; exit 1; }
iop_static_neighbours || { echo "interop: cannot set the guest's and the bridge's neighbour entries" >&2; exit 1; }
kver=$(grep -o 'kernel=[^ ]*' "$IOP_RUN/serial.log" | head -n1 | cut -d= -f2)
iop_guest_run 'ib_write_bw --version | head -n1' 30 "$out/pt-version"
ptver=$(tr -d '\r' <"$out/pt-version" | sed -n 's/.*Version: *//p')

if [ $loss -eq 1 ]; then
    iop_guest_run 'tc qdisc add dev eth0 root netem loss 2% && tc qdisc show dev eth0' 30 "$out/netem"
    [ "$iop_rc" -eq 0 ] || { echo "interop: netem failed: $(cat "$out/netem")" >&2; exit 1; }
fi

eal=(-l 0 --no-huge -m 512 --no-pci --log-level=lib.eal:error --log-level=pmd.net.af_packet:error
     --vdev="net_af_packet0,iface=$IOP_VETH,qdisc_bypass=1,framecnt=8192")
pt_common="-d \$DEV -x \$GIDX -F"
port=18600 cases=0 fails=0
rows=()
# A figures line; perftest in the guest times with its TSC, which under heavy
# host load can give inf or nan: the line is there all the same.
figures() { grep -E '^ *[0-9]+ +[0-9]+ +([0-9.]+|inf|-?nan)' "$1" | tr -s ' \t' ' ' | sed 's/^ //'; }
# The column a table shows: BW average (MB/s or Gb/s) or t_typical (usec).
figure_of() {   # figure_of FILE KIND
    local f
    if [ "$2" = pp ]; then
        f=$(sed -n 's/.* = \([0-9.]*\) Mbit\/sec.*/\1 Mbit\/s/p' "$1")
        echo "${f:--}"
        return
    fi
    f=$(figures "$1")
    [ -n "$f" ] || { echo "-"; return; }
    case $2 in
        bw) awk '{ print $4 }' <<<"$f" | paste -sd/ ;;
        lat) awk '{ print $5 }' <<<"$f" | paste -sd/ ;;
    esac
}

# run_case NAME KIND ROLE "PERFTEST CMD" CCM-PERF ARGS...
#   ROLE: client (ccm-perf is the client of a Linux server) or server.
run_case() {
    local name=$1 kind=$2 role=$3 ptcmd=$4; shift 4
    local ccm_args=("$@") rc_ccm rc_linux status t0 ours theirs
    # shellcheck disable=SC2206
    [ -n "$extra" ] && ccm_args+=($extra)
    [ -n "$only" ] && ! [[ $name =~ $only ]] && return 0
    port=$((port + 1)) cases=$((cases + 1))
    t0=$(date +%s)
    : >"$out/$name.linux"
    local cap=
    if [ -n "$capdir" ]; then
        mkdir -p "$capdir"
        ip netns exec "$IOP_NS" tcpdump -i "$IOP_BR" -s 0 -U -w "$capdir/$name.pcap" "tcp port $port" 2>/dev/null &
        cap=$!
        sleep 1
    fi
    if [ "$role" = client ]; then
        iop_guest_start "$ptcmd -p $port"
        iop_nsexec timeout 300 "$perf" "${eal[@]}" --file-prefix="iop$$" -- --client "$IOP_GUEST_IP" \
            --port $port --local-ip "$IOP_DPDK_IP" --timeout 60 "${ccm_args[@]}" >"$out/$name.ccm" 2>&1
        rc_ccm=$?
        # perftest has no time limit of its own: once we failed, it may wait for ever.
        iop_guest_wait "$iop_job" $([ $rc_ccm -eq 0 ] && echo 120 || echo 10) "$out/$name.linux"
        rc_linux=$iop_rc
    else
        iop_nsexec timeout 300 "$perf" "${eal[@]}" --file-prefix="iop$$" -- --server \
            --port $port --local-ip "$IOP_DPDK_IP" --timeout 60 "${ccm_args[@]}" >"$out/$name.ccm" 2>&1 &
        spid=$!
        for _ in $(seq 1 100); do
            iop_nsexec grep -q ":$(printf '%04X' $port) 00000000:0000 0A" /proc/net/tcp && break
            sleep 0.1
        done
        iop_guest_run "$ptcmd -p $port $IOP_HOST_IP" 300 "$out/$name.linux"; rc_linux=$iop_rc
        wait $spid; rc_ccm=$?
        spid=
    fi
    [ -n "$cap" ] && { sleep 0.5; kill "$cap"; wait "$cap" 2>/dev/null; }
    ours=$(figure_of "$out/$name.ccm" "${kind%1}") theirs=$(figure_of "$out/$name.linux" "${kind%1}")
    if [[ $name == *-all.* ]]; then
        # Every size: a line each in the detail table; here how many.
        [ "$ours" != - ] && ours="$(figures "$out/$name.ccm" | wc -l) sizes"
        [ "$theirs" != - ] && theirs="$(figures "$out/$name.linux" | wc -l) sizes"
        join -a1 -a2 -e - -o 0,1.2,2.2 \
            <(figures "$out/$name.ccm" | awk -v k="${kind%1}" '{ print $1, (k == "bw" ? $4 : $5) }' | sort -k1,1) \
            <(figures "$out/$name.linux" | awk -v k="${kind%1}" '{ print $1, (k == "bw" ? $4 : $5) }' | sort -k1,1) |
            sort -n | awk -v n="$name" '{ printf "| %s | %s | %s | %s |\n", n, $1, $2, $3 }' >>"$out/detail.md"
    fi
    # lat1: a READ or atomic latency server only answers; it prints nothing.
    local need_ours=1 need_theirs=1
    if [ "$kind" = lat1 ]; then
        [ "$role" = server ] && need_ours=0 ours="(answers)"
        [ "$role" = client ] && need_theirs=0 theirs="(answers)"
    fi
    if [ $rc_ccm -eq 0 ] && [ "$rc_linux" -eq 0 ] && { [ $need_ours = 0 ] || [ "$ours" != - ]; } &&
       { [ $need_theirs = 0 ] || [ "$theirs" != - ]; }; then
        status=ok
    else
        status="FAIL (ccm-perf $rc_ccm, Linux $rc_linux)"
        fails=$((fails + 1))
    fi
    echo "$status: $name [$(($(date +%s) - t0)) s] ccm-perf $ours | Linux $theirs"
    if [ "$status" != ok ]; then
        echo "  ccm-perf: $(grep -E 'ccm-perf:|error|Error' "$out/$name.ccm" | head -n3 | tr '\n' ' ')"
        echo "  Linux:    $(grep -iE 'error|fail|couldn|unable' "$out/$name.linux" | head -n3 | tr '\n' ' ')"
    fi
    rows+=("| $name | $role | $ours | $theirs | $status |")
}

# case_pair NAME KIND "PERFTEST CMD" CCM-PERF ARGS...: both roles.
case_pair() {
    local name=$1 kind=$2 pt=$3; shift 3
    run_case "$name.ccm-client" "$kind" client "$pt" "$@"
    run_case "$name.ccm-server" "$kind" server "$pt" "$@"
}

# error_case NAME "EXPECTED MESSAGE (ERE)" SETUP "PERFTEST CMD" CCM-PERF ARGS...: ccm-perf is the
# client of a Linux server that goes wrong as SETUP arranges ("" none,
# "unplug": our port's bridge link down, "kill-after N": perftest killed N
# s into the run). ccm-perf must exit 1 within its --timeout (5 s) plus the
# start, with one line naming the cause.
error_case() {
    local name=$1 want=$2 setup=$3 ptcmd=$4; shift 4
    local rc_ccm t0 took msg status pid mac
    [ -n "$only" ] && ! [[ $name =~ $only ]] && return 0
    port=$((port + 1)) cases=$((cases + 1))
    if [ "$setup" = unplug ]; then
        # The guest knows our MAC already (as after any earlier run), so it
        # connects its QP; only our side is left to ask ARP in vain.
        mac=$(ip -n "$IOP_NS" -o link show "$IOP_VETH" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
        iop_guest_run "ip neigh replace $IOP_DPDK_IP lladdr $mac dev eth0 nud permanent" 30 /dev/null
        ip -n "$IOP_NS" link set "$IOP_VETH_BR" down
    fi
    iop_guest_start "$ptcmd -p $port"
    t0=$(date +%s)
    iop_nsexec timeout 120 "$perf" "${eal[@]}" --file-prefix="iop$$" -- --client "$IOP_GUEST_IP" \
        --port $port --local-ip "$IOP_DPDK_IP" --timeout 5 "$@" >"$out/$name.ccm" 2>&1 &
    pid=$!
    if [[ $setup == kill-after* ]]; then
        sleep "${setup#kill-after }"
        iop_guest_kill "$iop_job"
    fi
    wait $pid; rc_ccm=$?
    took=$(($(date +%s) - t0))
    iop_guest_wait "$iop_job" 15 "$out/$name.linux"
    [ "$setup" = unplug ] && ip -n "$IOP_NS" link set "$IOP_VETH_BR" up
    msg=$(grep -E '^ccm-perf: ' "$out/$name.ccm" | head -n1)
    if [ $rc_ccm -eq 1 ] && grep -qE "$want" <<<"$msg" && [ $(grep -cE '^ccm-perf: ' "$out/$name.ccm") -eq 1 ]; then
        status=ok
    else
        status="FAIL (exit $rc_ccm, expected 1 and /$want/)"
        fails=$((fails + 1))
    fi
    echo "$status: $name [$took s]: $msg"
    erows+=("| $name | \`${msg//|/\\|}\` | $took s | $status |")
}
erows=()
errors() {
    error_case error-gid-not-ipv4 "GID is not IPv4-mapped.*-x 1" "" \
        "ib_write_bw -d \$DEV -x 0 -F -n 100" --verb write --bw --iters 100
    error_case error-no-arp "never answered ARP" unplug \
        "ib_write_bw $pt_common -n 100" --verb write --bw --iters 100
    error_case error-peer-stops "peer stopped answering" "kill-after 6" \
        "ib_write_bw $pt_common -n 1000000 -s 4096" --verb write --bw --size 4096 --iters 1000000
}

n_bw=${iters:-200} n_lat=${iters:-200} n_all=${iters:-8}
lat_kind() { [ "$1" = write ] || [ "$1" = send ] && echo lat || echo lat1; }
if [ $loss -eq 1 ]; then
    for v in write read send; do
        sz=65536; [ $v = send ] && sz=4096
        case_pair "loss-${v}_bw-$sz" bw "ib_${v}_bw $pt_common -s $sz -n $n_bw" \
            --verb $v --bw --size $sz --iters $n_bw --fault drop=0.02
    done
    case_pair "loss-atomic_bw-faa" bw "ib_atomic_bw $pt_common -A FETCH_AND_ADD -n $n_bw" \
        --verb atomic --atomic faa --bw --iters $n_bw --fault drop=0.02
elif [ $mode = quick ]; then
    # One of each kind of out-of-band order (perf_sync.c), both roles.
    case_pair write_lat-8 lat "ib_write_lat $pt_common -s 8 -n 100" --verb write --lat --size 8 --iters 100
    case_pair read_lat-8 lat1 "ib_read_lat $pt_common -s 8 -n 100" --verb read --lat --size 8 --iters 100
    case_pair send_lat-8 lat "ib_send_lat $pt_common -s 8 -n 100" --verb send --lat --size 8 --iters 100
    case_pair write_bw-65536 bw "ib_write_bw $pt_common -s 65536 -n 100" --verb write --bw --size 65536 --iters 100
    case_pair send_bw-4096 bw "ib_send_bw $pt_common -s 4096 -n 100" --verb send --bw --size 4096 --iters 100
    case_pair atomic_lat-cas lat1 "ib_atomic_lat $pt_common -A CMP_AND_SWAP -n 100" --verb atomic --atomic cas --lat --iters 100
    errors
    case_pair rc_pingpong-4096 pp "ibv_rc_pingpong -d \$DEV -g \$GIDX -s 4096 -n 100" --pingpong --size 4096 --iters 100
else
    for v in write read send; do
        case_pair "${v}_lat-2" "$(lat_kind $v)" "ib_${v}_lat $pt_common -s 2 -n $n_lat" \
            --verb $v --lat --size 2 --iters $n_lat
        sz=65536; [ $v = send ] && sz=4096
        case_pair "${v}_bw-$sz" bw "ib_${v}_bw $pt_common -s $sz -n $n_bw" --verb $v --bw --size $sz --iters $n_bw
    done
    for a in CMP_AND_SWAP FETCH_AND_ADD; do
        o=$([ $a = CMP_AND_SWAP ] && echo cas || echo faa)
        case_pair "atomic_bw-$o" bw "ib_atomic_bw $pt_common -A $a -n $n_bw" --verb atomic --atomic $o --bw --iters $n_bw
        case_pair "atomic_lat-$o" lat1 "ib_atomic_lat $pt_common -A $a -n $n_lat" --verb atomic --atomic $o --lat --iters $n_lat
    done
    case_pair rc_pingpong-4096 pp "ibv_rc_pingpong -d \$DEV -g \$GIDX -s 4096 -n $n_lat" \
        --pingpong --size 4096 --iters $n_lat
    case_pair "write_bw-65536-gbits" bw "ib_write_bw $pt_common -s 65536 -n $n_bw --report_gbits" \
        --verb write --bw --size 65536 --iters $n_bw --report_gbits
    for v in write read; do
        case_pair "${v}_bw-65536-bidir" bw "ib_${v}_bw $pt_common -s 65536 -n $n_bw -b" \
            --verb $v --bw --size 65536 --iters $n_bw --bidirectional
    done
    case_pair "write_bw-65536-q4" bw "ib_write_bw $pt_common -s 65536 -n $n_bw -q 4" \
        --verb write --bw --size 65536 --iters $n_bw --qps 4
    case_pair "read_bw-65536-q2" bw "ib_read_bw $pt_common -s 65536 -n $n_bw -q 2" \
        --verb read --bw --size 65536 --iters $n_bw --qps 2
    case_pair "write_bw-65536-D3" bw "ib_write_bw $pt_common -s 65536 -D 3" --verb write --bw --size 65536 --duration 3
    errors
    # -a: every size from 2 B to 8 MiB (perftest 4.5 has no smaller limit).
    for v in write read send; do
        case_pair "${v}_lat-all" "$(lat_kind $v)" "ib_${v}_lat $pt_common -a -n $n_all" \
            --verb $v --lat --all --iters $n_all
        case_pair "${v}_bw-all" bw "ib_${v}_bw $pt_common -a -n $n_all" --verb $v --bw --all --iters $n_all
    done
fi

echo "interop: $cases cases, $fails failed (Linux $kver, perftest $ptver, $IOP_ACCEL, boot ${IOP_BOOT_S} s)"
if [ -n "$table" ]; then
    {
        echo "Run by \`tools/interop.sh $args\` at commit $(git -C "$root" rev-parse --short HEAD)" \
             "on $(date -u +%Y-%m-%d), $(date -u +%H:%M) UTC: Linux $kver rdma_rxe, perftest $ptver" \
             "(Debian's perftest 4.5+0.17), qemu $IOP_ACCEL, guest up in ${IOP_BOOT_S} s, RoCE MTU 1024."
        echo "Bandwidth columns are BW average (MB/s, or Gb/s where the case says gbits); latency"
        echo "columns t_typical (usec). \"(answers)\": that side only serves the other's READs or atomics"
        echo "and prints no figures, as perftest. Both ends print their own view of the same run."
        echo
        echo "| case | ccm-perf is | ccm-perf | Linux perftest | result |"
        echo "| --- | --- | --- | --- | --- |"
        printf '%s\n' "${rows[@]}"
        if [ ${#erows[@]} -gt 0 ]; then
            echo
            echo "What a person sees when it does not work (ccm-perf the client, --timeout 5):"
            echo
            echo "| case | ccm-perf's message | exit after | result |"
            echo "| --- | --- | --- | --- |"
            printf '%s\n' "${erows[@]}"
        fi
        if [ -s "$out/detail.md" ]; then
            echo
            echo "Every size of the \`-a\` cases:"
            echo
            echo "| case | bytes | ccm-perf | Linux perftest |"
            echo "| --- | --- | --- | --- |"
            cat "$out/detail.md"
        fi
    } >"$table"
fi
if [ $fails -gt 0 ]; then
    keep=1
    echo "interop: outputs kept in $out" >&2
fi
[ $fails -eq 0 ]
exit
}

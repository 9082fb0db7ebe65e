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
# Exit status: 0 when every case passed, 1 when one failed, 2 bad usage.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mode=full loss=0 table= build=$root/build only= iters=
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
kver=$(grep -o 'kernel=[^ ]*' "$IOP_RUN/serial.log" | head -n1 | cut -d= -f2)
iop_guest_run 'ib_write_bw --version | head -n1' 30 "$out/pt-version"
ptver=$(tr -d '\r' <"$out/pt-version" | sed -n 's/.*Version: *//p')

if [ $loss -eq 1 ]; then
    iop_guest_run 'tc qdisc add dev eth0 root netem loss 2% && tc qdisc show dev eth0' 30 "$out/netem"
    [ "$iop_rc" -eq 0 ] || { echo "interop: netem failed: $(cat "$out/netem")" >&2; exit 1; }
fi

eal=(-l 0 --no-huge -m 512 --no-pci --log-level=lib.eal:error --log-level=pmd.net.af_packet:error
     --vdev="net_af_packet0,iface=$IOP_VETH,qdisc_bypass=1")
pt_common="-d \$DEV -x \$GIDX -F"
port=18600 cases=0 fails=0
rows=()
figures() { grep -E '^ *[0-9]+ +[0-9]+ +[0-9.]+' "$1" | tr -s ' \t' ' ' | sed 's/^ //'; }
# The column a table shows: BW average (MB/s or Gb/s) or t_typical (usec).
figure_of() {   # figure_of FILE KIND
    local f
    f=$(figures "$1")
    [ -n "$f" ] || { echo "-"; return; }
    case $2 in
        bw) awk '{ print $4 }' <<<"$f" | paste -sd/ ;;
        lat) awk '{ print $5 }' <<<"$f" | paste -sd/ ;;
        pp) sed -n 's/.* = \([0-9.]*\) Mbit\/sec.*/\1 Mbit\/s/p' "$1" ;;
    esac
}

# run_case NAME KIND ROLE "PERFTEST CMD" CCM-PERF ARGS...
#   ROLE: client (ccm-perf is the client of a Linux server) or server.
run_case() {
    local name=$1 kind=$2 role=$3 ptcmd=$4; shift 4
    local ccm_args=("$@") rc_ccm rc_linux status t0 ours theirs
    [ -n "$only" ] && ! [[ $name =~ $only ]] && return 0
    port=$((port + 1)) cases=$((cases + 1))
    t0=$(date +%s)
    : >"$out/$name.linux"
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
    ours=$(figure_of "$out/$name.ccm" "$kind") theirs=$(figure_of "$out/$name.linux" "$kind")
    if [ $rc_ccm -eq 0 ] && [ "$rc_linux" -eq 0 ] && [ "$ours" != - ] && [ "$theirs" != - ]; then
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

n_bw=${iters:-200} n_lat=${iters:-200}
if [ $loss -eq 1 ]; then
    for v in write read send; do
        sz=65536; [ $v = send ] && sz=4096
        case_pair "loss-${v}_bw-$sz" bw "ib_${v}_bw $pt_common -s $sz -n $n_bw" \
            --verb $v --bw --size $sz --iters $n_bw --fault drop=0.02
    done
elif [ $mode = quick ]; then
    case_pair write_lat-8 lat "ib_write_lat $pt_common -s 8 -n 100" --verb write --lat --size 8 --iters 100
    case_pair read_lat-8 lat "ib_read_lat $pt_common -s 8 -n 100" --verb read --lat --size 8 --iters 100
    case_pair send_lat-8 lat "ib_send_lat $pt_common -s 8 -n 100" --verb send --lat --size 8 --iters 100
    case_pair write_bw-65536 bw "ib_write_bw $pt_common -s 65536 -n 100" --verb write --bw --size 65536 --iters 100
else
    for v in write read send; do
        case_pair "${v}_lat-2" lat "ib_${v}_lat $pt_common -s 2 -n $n_lat" --verb $v --lat --size 2 --iters $n_lat
        sz=65536; [ $v = send ] && sz=4096
        case_pair "${v}_bw-$sz" bw "ib_${v}_bw $pt_common -s $sz -n $n_bw" --verb $v --bw --size $sz --iters $n_bw
    done
fi

echo "interop: $cases cases, $fails failed (Linux $kver, perftest $ptver, $IOP_ACCEL, boot ${IOP_BOOT_S} s)"
if [ -n "$table" ]; then
    {
        echo "| case | ccm-perf is | ccm-perf | Linux perftest | result |"
        echo "| --- | --- | --- | --- | --- |"
        printf '%s\n' "${rows[@]}"
    } >"$table"
fi
if [ $fails -gt 0 ]; then
    keep=1
    echo "interop: outputs kept in $out" >&2
fi
[ $fails -eq 0 ]

# shellcheck shell=bash
# The live Linux soft-RoCE peer of tools/interop.sh: a network namespace
# with a bridge, the guest (qemu) on a tap in it, and a veth whose other end
# is ccm-perf's net_af_packet port. Everything lives in the namespace, so
# no traffic leaves this machine and nothing outside it is changed.
#
#   bridge  $IOP_NET.1   the namespace's kernel: the out-of-band TCP
#   guest   $IOP_NET.2   Linux rxe0 on eth0 (RoCE GID index in $IOP_GIDX)
#   DPDK    $IOP_NET.3   ccm-perf's port (we answer ARP for it ourselves)
#
# Source it; it defines iop_net_up, iop_guest_boot, iop_static_neighbours,
# iop_guest_run, iop_guest_start, iop_guest_wait, iop_guest_kill, iop_down
# and iop_nsexec.

IOP_NS=${IOP_NS:-ccmiop$$}
IOP_NET=${IOP_NET:-10.66.14}
IOP_HOST_IP=$IOP_NET.1 IOP_GUEST_IP=$IOP_NET.2 IOP_DPDK_IP=$IOP_NET.3
IOP_GUEST_MAC=52:54:00:66:14:02
IOP_BR=iopbr0 IOP_TAP=ioptap0 IOP_VETH=iopdpdk IOP_VETH_BR=iopdpdk-br
IOP_CACHE=${CCM_INTEROP_CACHE:-$HOME/.cache/ccm-interop}
IOP_RUN=${IOP_RUN:-$(mktemp -d /tmp/ccm-interop.XXXXXX)}
IOP_GIDX=
iop_wfd= iop_rfd=

iop_log() { echo "interop: $*" >&2; }
iop_nsexec() { ip netns exec "$IOP_NS" "$@"; }

# iop_net_up [GUEST_MTU]: the namespace, bridge, tap and veth.
iop_net_up() {
    local mtu=${1:-1500}
    ip netns add "$IOP_NS" || return 1
    iop_nsexec sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$IOP_NS" link set lo up
    ip -n "$IOP_NS" link add "$IOP_BR" type bridge stp_state 0 forward_delay 0 &&
    ip -n "$IOP_NS" addr add "$IOP_HOST_IP/24" dev "$IOP_BR" &&
    ip -n "$IOP_NS" tuntap add "$IOP_TAP" mode tap &&
    ip -n "$IOP_NS" link set "$IOP_TAP" mtu "$mtu" master "$IOP_BR" up &&
    ip -n "$IOP_NS" link add "$IOP_VETH" type veth peer name "$IOP_VETH_BR" &&
    ip -n "$IOP_NS" link set "$IOP_VETH_BR" mtu "$mtu" master "$IOP_BR" up &&
    ip -n "$IOP_NS" link set "$IOP_VETH" mtu "$mtu" up &&
    ip -n "$IOP_NS" link set "$IOP_BR" up || return 1
}

# iop_guest_boot [TIMEOUT_S] [GUEST_MTU]: boot the guest and wait for rxe0.
iop_guest_boot() {
    local timeout=${1:-180} mtu=${2:-1500} t0 accel=tcg
    [ -f "$IOP_CACHE/vmlinuz" ] && [ -f "$IOP_CACHE/initrd.gz" ] || {
        iop_log "no guest image in $IOP_CACHE: run tools/interop/build-guest.sh"; return 1; }
    command -v qemu-system-x86_64 >/dev/null || {
        iop_log "qemu-system-x86_64 is missing: run tools/setup.sh"; return 1; }
    # KVM only where it is real hardware virtualisation: a PVM host's
    # /dev/kvm runs only PVM guest kernels (a Debian kernel hangs there).
    if [ "${CCM_INTEROP_ACCEL:-auto}" = kvm ] || { [ "${CCM_INTEROP_ACCEL:-auto}" = auto ] &&
        [ -w /dev/kvm ] && grep -qE '\b(vmx|svm)\b' /proc/cpuinfo && [ ! -d /sys/module/kvm_pvm ]; }; then
        accel=kvm
    fi
    rm -f "$IOP_RUN/ctl.in" "$IOP_RUN/ctl.out" "$IOP_RUN/serial.log"
    mkfifo "$IOP_RUN/ctl.in" "$IOP_RUN/ctl.out"
    # shellcheck disable=SC2046
    iop_nsexec qemu-system-x86_64 -name ccm-interop-guest -accel "$accel" \
        $([ $accel = kvm ] && echo "-cpu host") -m 768 -smp 1 \
        -nographic -nodefaults -no-reboot -display none \
        -kernel "$IOP_CACHE/vmlinuz" -initrd "$IOP_CACHE/initrd.gz" \
        -append "console=ttyS0 quiet panic=-1 ccm_ip=$IOP_GUEST_IP/24 ccm_mtu=$mtu" \
        -serial "file:$IOP_RUN/serial.log" \
        -netdev "tap,id=n0,ifname=$IOP_TAP,script=no,downscript=no" \
        -device virtio-net-pci,netdev=n0,mac=$IOP_GUEST_MAC \
        -device virtio-serial-pci -chardev "pipe,id=ctl,path=$IOP_RUN/ctl" \
        -device virtserialport,chardev=ctl,name=ctl \
        -pidfile "$IOP_RUN/qemu.pid" -daemonize >"$IOP_RUN/qemu.log" 2>&1 || {
        iop_log "qemu did not start: $(cat "$IOP_RUN/qemu.log")"; return 1; }
    exec {iop_wfd}>"$IOP_RUN/ctl.in" {iop_rfd}<"$IOP_RUN/ctl.out"
    t0=$(date +%s)
    while ! grep -q "CCM-GUEST: READY" "$IOP_RUN/serial.log" 2>/dev/null; do
        if grep -q "CCM-GUEST: FAILED" "$IOP_RUN/serial.log" 2>/dev/null ||
           ! kill -0 "$(cat "$IOP_RUN/qemu.pid")" 2>/dev/null ||
           [ $(($(date +%s) - t0)) -ge "$timeout" ]; then
            iop_log "the guest did not come up within ${timeout} s ($accel); its console:"
            tail -n 20 "$IOP_RUN/serial.log" >&2
            return 1
        fi
        sleep 0.5
    done
    IOP_GIDX=$(sed -n 's/.*CCM-GUEST: READY gid_index=\([0-9]*\).*/\1/p' "$IOP_RUN/serial.log")
    IOP_BOOT_S=$(($(date +%s) - t0)) IOP_ACCEL=$accel
    iop_log "guest up in ${IOP_BOOT_S} s ($accel): $(grep -o 'READY.*' "$IOP_RUN/serial.log")"
}

# iop_send VERB ID [SCRIPT]
iop_send() {
    printf '%s %s %s\n' "$1" "$2" "$(printf '%s' "${3:-}" | base64 -w0)" >&"$iop_wfd"
}

# iop_read_until ID MARKER TIMEOUT OUTFILE: guest lines up to "@@MARKER ID".
# Sets iop_rc from "rc=N" (124 on time-out).
iop_read_until() {
    local id=$1 marker=$2 timeout=$3 out=$4 line deadline
    deadline=$(($(date +%s) + timeout))
    iop_rc=124
    while [ "$(date +%s)" -lt $deadline ]; do
        IFS= read -r -t 5 -u "$iop_rfd" line || continue
        case $line in
            "@@$marker $id"*)
                iop_rc=$(sed -n 's/.*rc=\([0-9]*\).*/\1/p' <<<"$line")
                iop_rc=${iop_rc:-0}
                return 0 ;;
            @@*) ;;
            *) printf '%s\n' "$line" >>"$out" ;;
        esac
    done
    return 1
}

iop_seq=0
# iop_guest_start SCRIPT: run in the guest in the background; sets iop_job.
iop_guest_start() {
    iop_seq=$((iop_seq + 1)); iop_job=j$iop_seq
    iop_send START "$iop_job" "$1"
    iop_read_until "$iop_job" STARTED 30 /dev/null
}
# iop_guest_wait JOB TIMEOUT OUTFILE: its output into OUTFILE; iop_rc its
# exit (124: still running after TIMEOUT seconds, then killed in the guest).
iop_guest_wait() {
    printf 'WAIT %s %s\n' "$1" "$2" >&"$iop_wfd"
    iop_read_until "$1" END $(($2 + 30)) "$3" || iop_rc=124
}
iop_guest_kill() {
    iop_send KILL "$1"
    iop_read_until "$1" KILLED 30 /dev/null
}
# iop_guest_run SCRIPT TIMEOUT OUTFILE
iop_guest_run() {
    iop_guest_start "$1" && iop_guest_wait "$iop_job" "$2" "$3"
}

# The out-of-band TCP between the namespace's kernel and the guest needs
# no ARP: once in CI an ARP failed after a peer was killed under a stream
# of retransmissions (the emulated guest slow to answer, probably), and a
# connect() with it ("No route to host"), where TCP itself would retry.
iop_static_neighbours() {
    local br_mac
    br_mac=$(ip -n "$IOP_NS" -o link show "$IOP_BR" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
    ip -n "$IOP_NS" neigh replace "$IOP_GUEST_IP" lladdr "$IOP_GUEST_MAC" dev "$IOP_BR" \
        nud permanent || return 1
    iop_guest_run "ip neigh replace $IOP_HOST_IP lladdr $br_mac dev eth0 nud permanent" 30 /dev/null
    [ "$iop_rc" -eq 0 ]
}

iop_down() {
    local pid
    if [ -n "$iop_wfd" ]; then
        printf 'QUIT x\n' >&"$iop_wfd" 2>/dev/null
        exec {iop_wfd}>&- {iop_rfd}<&-
        iop_wfd=
    fi
    if [ -f "$IOP_RUN/qemu.pid" ]; then
        pid=$(cat "$IOP_RUN/qemu.pid" 2>/dev/null)
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        # Only our qemu: its pid file, and its name on the command line.
        if kill -0 "$pid" 2>/dev/null && grep -q ccm-interop-guest "/proc/$pid/cmdline" 2>/dev/null; then
            kill "$pid"
        fi
    fi
    ip netns del "$IOP_NS" 2>/dev/null
    return 0
}

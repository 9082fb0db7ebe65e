#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Reproduce docs/perf.md's comparison table in one run: each figure of ours
# measured alternately with its baseline (A B A B ...), on this machine, now.
#
#   tools/perf-table.sh [--rounds N] [--smoke] [--only SECTIONS] [--plots DIR] [--huge]
#                       [BUILD_DIR]
#
#   transport  ccm-perf WRITE / READ goodput, 4 KiB messages, against
#              dpdk-testpmd txonly -> rxonly over the same pair with frames of
#              the size our data frames have, in the direction the data goes
#              (WRITE client -> server, READ server -> client): over net_memif
#              (RoCE MTU 1024, 1082-byte frames) and over vhost-user <->
#              virtio_user (RoCE MTU 4096, 4170/4158-byte frames); payload
#              bytes/s over raw frames/s x the payload one frame carries;
#              ours the middle 2 s of a 4 s run (--duration 4 --margin 1),
#              raw the median of its one-second rates less the first;
#              also by the raw side's mode (both devices have two)
#   latency    ccm-perf --lat WRITE 8 B (half round trip) against a raw
#              ping-pong of 82-byte frames (bench_pingpong) before and after
#              it, medians; also by the machine's mode, and rounds in which
#              the mode changed left out
#   nvram      4 KiB synchronous appends through two ccm nodes (config/ccm.yaml,
#              net_memif) against tcp_mirror over a veth pair between two
#              network namespaces: appends/s and p99 of 20,000 appends after
#              20,000 untimed ones, on both sides
#   loss       ccm-perf WRITE / READ goodput, 64 KiB messages, 128 in flight,
#              with 0.1, 1 and 5 % of frames dropped in each direction (the
#              client's port), against the same with none, and frames sent
#              (both sides) per data frame; NVRAM synchronous appends/s and
#              p99 with 1 % dropped on every link of both nodes against none
#   failover   bench_failover (link cut -> traffic resumed), ha-sigkill
#              (partner death -> takeover)
#   sweep      once: WRITE goodput over vhost at 64 B to 1 MiB against raw
#              frames of the same size (the 64-byte message rate against raw
#              64-byte frames/s), and 16, 256, 1024 QPs against 1 (these
#              every round); with gnuplot, PNGs of goodput against size and
#              of the latency distribution in DIR (default BUILD_DIR/perf-plots)
#   profile    perf record (cpu-clock) of the WRITE client: where time goes
#
# One core per node: node/server side on CPU 1, client side on CPU 0.
# Each comparison prints every round, then the median of the per-round
# ratios with their min..max. --smoke: one short round of each (CI).
# --only: a comma-separated list of the sections above (default: all).
# --huge: every process (ours and the baselines) on 2 MiB hugepages instead
# of --no-huge (4 KiB pages); reserves and mounts them if need be, and gives
# back what it reserved at the end.
# PERF_TABLE_KEEP=DIR keeps the output of both nodes of every NVRAM run.
set -uo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$src/build-bench"
rounds=5
smoke=false
only=all
plots=
huge=false
while (($# > 0)); do
	case "$1" in
	--rounds) rounds=$2; shift 2 ;;
	--smoke) smoke=true; rounds=1; shift ;;
	--only) only=$2; shift 2 ;;
	--plots) plots=$2; shift 2 ;;
	--huge) huge=true; shift ;;
	-h | --help) sed -n '4,45p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) build=$1; shift ;;
	esac
done

die() { echo "perf-table: $*" >&2; exit 1; }
want() { [ "$only" = all ] || [[ ",$only," == *",$1,"* ]]; }
plots=${plots:-$build/perf-plots}
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces for the kernel-TCP baseline)"
command -v dpdk-testpmd >/dev/null || die "dpdk-testpmd missing (Debian package dpdk)"
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" "$src" --buildtype=release >/dev/null || die "meson setup failed"
fi
ninja -C "$build" app/ccm-perf app/ccm tests/bench/bench_pingpong tests/bench/tcp_mirror \
	tests/bench/bench_failover tests/ha_peer >/dev/null || die "build failed"

work=$(mktemp -d)
. "$src/tools/hugepages.sh"
cleanup() {
	pkill -f "file-prefix=pt$$" 2>/dev/null
	ip netns del ptA$$ 2>/dev/null
	ip netns del ptB$$ 2>/dev/null
	$huge && huge_release "pt$$"
	rm -rf "$work"
}
trap cleanup EXIT
if $huge; then
	# Two processes run at once, 512 MiB each; 64 pages to spare.
	huge_reserve $((2 * 256 + 64)) || die "--huge: no hugepages (above)"
	eal=(--single-file-segments --huge-dir /dev/hugepages -m 512)
else
	eal=(--no-huge -m 1024)
fi
eal+=(--no-pci --log-level=lib.eal:error --log-level=pmd.net.memif:error)
listening() { grep -q " @$1\$" /proc/net/unix; }
tcp_listening() { grep -q ":$(printf '%04X' "$1") 00000000:0000 0A" /proc/net/tcp; }

iters_bw=$($smoke && echo 20000 || echo 500000)
iters_lat=$($smoke && echo 2000 || echo 50000)
# $warmup untimed appends, then $records timed, on both sides: the first
# tenths of a second run slower on either (the rate of 3,000 appends was
# half that of 60,000), and that is start-up, not mirroring.
records=$($smoke && echo 300 || echo 20000)
warmup=$($smoke && echo 100 || echo 20000)
iters_loss=$($smoke && echo 100 || echo 2000)
secs=$($smoke && echo 4 || echo 6)
# Our steady goodput, as the raw rate is the median of its one-second rates
# less the first: the middle of a timed run (ccm-perf --duration, --margin
# at each end; a fixed 500,000 messages lasted a third of a second, much of
# it start-up: docs/perf.md run H).
steady=(--duration $($smoke && echo 3 || echo 4) --margin 1)
missing=0	# measurements that produced no figure

# ---- one measurement each; every function prints one number --------------

# The device pair: $dev is memif (frames of 1500 bytes at most: RoCE MTU
# 1024) or vhost (vhost-user <-> virtio_user: RoCE MTU 4096).
dev=memif
server_vdev() {
	case $dev in
	memif) echo "net_memif0,role=server,socket=$1" ;;
	vhost) echo "net_vhost0,iface=$1,queues=1" ;;
	esac
}
client_vdev() {
	case $dev in
	memif) echo "net_memif0,role=client,socket=$1" ;;
	vhost) echo "net_virtio_user0,path=$1,queues=1" ;;
	esac
}
# memif listens on an abstract socket, vhost-user on a file.
wait_server() {
	for _ in $(seq 1 100); do
		if [ $dev = memif ]; then listening "$1" && break; else [ -S "$1" ] && break; fi
		sleep 0.05
	done
	sleep 0.3
}

# A server and a client over the pair; server CPU 1, client CPU 0.
pair() {
	local name=$1 sprog=$2 cprog=$3; shift 3
	local sargs=() cargs=()
	while [ "$1" != "--" ]; do sargs+=("$1"); shift; done; shift
	cargs=("$@")
	local sock=$work/$name.sock
	rm -f "$sock"
	"$sprog" "${eal[@]}" --file-prefix="pt$$s" --lcores=0@1,1@1 \
		--vdev="$(server_vdev "$sock")" -- "${sargs[@]}" >"$work/$name.s" 2>&1 &
	local spid=$!
	wait_server "$sock"
	"$cprog" "${eal[@]}" --file-prefix="pt$$c" --lcores=0@0,1@0 \
		--vdev="$(client_vdev "$sock")" -- "${cargs[@]}" >"$work/$name.c" 2>&1
	local rc=$?
	wait $spid
	return $rc
}

# raw_pps SIZE [back]: frames/s from the client side to the server side
# (WRITE's data), or with "back" from the server side to the client side
# (READ's data): a vhost-user port copies in both directions, by two
# different paths of different speeds.
raw_pps() {
	local size=$1 back=${2:-} rx=rxonly tx=txonly
	[ -n "$back" ] && { rx=txonly; tx=rxonly; }
	# With --stats-period testpmd prints Rx-pps every second until SIGINT;
	# its stdin must stay open (at EOF it stops at once).
	# For 4 KiB frames, mbufs that hold one whole (before --txpkts, which
	# checks); memif takes 1518-byte frames at most and refuses more.
	local mb=(--total-num-mbufs=16384)
	[ $dev = vhost ] && mb+=(--mbuf-size=4400 --max-pkt-len=4200)
	rm -f "$work/tp.sock"
	sleep $((secs + 9)) | timeout -s INT $((secs + 8)) dpdk-testpmd "${eal[@]}" \
		--file-prefix="pt$$r" --lcores=0@1,1@1 --vdev="$(server_vdev "$work/tp.sock")" -- \
		"${mb[@]}" --forward-mode=$rx --txpkts="$size" --stats-period 1 >"$work/tpr" 2>&1 &
	local rpid=$!
	wait_server "$work/tp.sock"
	sleep $((secs + 4)) | timeout -s INT $((secs + 3)) dpdk-testpmd "${eal[@]}" \
		--file-prefix="pt$$t" --lcores=0@0,1@0 --vdev="$(client_vdev "$work/tp.sock")" -- \
		"${mb[@]}" --forward-mode=$tx --txpkts="$size" --stats-period 1 >"$work/tpt" 2>&1
	# The server side starts forwarding only once its link is up (testpmd
	# waits for it): it outlives the client side, and the zero seconds are
	# left out.
	wait $rpid
	# The median of the one-second rates at the receiver, less the first
	# non-zero one (a partial second while the sender starts).
	grep -oE 'Rx-pps: +[0-9]+' "$work/$([ -n "$back" ] && echo tpt || echo tpr)" |
		awk '$2 > 0 && seen++ {print $2}' | sort -n |
		awk '{a[NR] = $1} END {print NR ? a[int((NR + 1) / 2)] : 0}'
}

# ccm_bw VERB [SIZE [ITERS [OPTION...]]]: goodput in bytes/s.
ccm_bw() {
	local verb=$1 size=${2:-4096} iters=${3:-$iters_bw}
	shift $(($# < 3 ? $# : 3))
	local common=(--verb "$verb" --bw --size "$size" --iters "$iters" "$@" --local-ip)
	pair "bw-$verb" "$build/app/ccm-perf" "$build/app/ccm-perf" \
		--server "${common[@]}" 10.66.0.1 -- --client 127.0.0.1 "${common[@]}" 10.66.0.2 --json ||
		{ echo 0; return; }
	# BW average, MB/s (2^20 bytes) -> bytes/s
	grep -oE '"bw_avg_mb_s": [0-9.]+' "$work/bw-$verb.c" | awk '{printf "%.0f\n", $2 * 1048576}'
}

# ccm_loss VERB DROP: 64 KiB messages with DROP of the frames lost in each
# direction at the client's port. Prints "bytes/s frames_sent data_frames"
# (frames sent by both sides, over memif at RoCE MTU 1024).
ccm_loss() {
	local verb=$1 drop=$2
	local common=(--verb "$verb" --bw --size 65536 --iters "$iters_loss" --stats --local-ip)
	local fault=()
	[ "$drop" = 0 ] || fault=(--fault "drop=$drop,seed=$RANDOM")
	pair "loss-$verb" "$build/app/ccm-perf" "$build/app/ccm-perf" \
		--server "${common[@]}" 10.66.0.1 -- --client 127.0.0.1 "${common[@]}" 10.66.0.2 \
		"${fault[@]}" --json || { echo "0 0 0"; return; }
	local bw tx
	bw=$(grep -oE '"bw_avg_mb_s": [0-9.]+' "$work/loss-$verb.c" | awk '{printf "%.0f", $2 * 1048576}')
	tx=$(cat "$work/loss-$verb.c" "$work/loss-$verb.s" | grep -oE ' tx_frames=[0-9]+' |
		awk -F= '{n += $2} END {print n + 0}')
	echo "${bw:-0} $tx $((iters_loss * 64))"
}

raw_lat() {
	pair rawlat "$build/tests/bench/bench_pingpong" "$build/tests/bench/bench_pingpong" \
		--role pong -- --role ping --size 82 --iters "$iters_lat" --json || { echo 0; return; }
	grep -oE '"t_typical_us": [0-9.]+' "$work/rawlat.c" | awk '{print $2}'
}

ccm_lat() {
	local common=(--verb write --lat --size 8 --iters "$iters_lat" --local-ip)
	pair lat "$build/app/ccm-perf" "$build/app/ccm-perf" \
		--server "${common[@]}" 10.66.0.1 -- --client 127.0.0.1 "${common[@]}" 10.66.0.2 --json ||
		{ echo 0; return; }
	grep -oE '"t_typical_us": [0-9.]+' "$work/lat.c" | awk '{print $2}'
}

# Two ccm nodes (config/ccm.yaml): a appends $records x 4 KiB, b mirrors.
# Prints "appends_per_s p99_us".
# With an argument SPEC, every link of both nodes gets fault_rx SPEC.
# A vCPU of this machine stalls now and then for longer than the demo's
# partner timeout (8 ms): the other node then takes over or runs on alone,
# as it should, and the run measured no mirroring. Such a run is counted,
# said, and run again (twice at most); $work/nvram.reruns counts them (the
# function runs in a subshell).
ccm_nvram() {
	local try
	for try in 1 2 3; do
		ccm_nvram_once "$@" && return
		echo "$try" >>"$work/nvram.reruns"
	done
	echo "0 0"
}
ccm_nvram_once() {
	local config=$src/config/ccm.yaml
	rm -f /dev/shm/ccm-a.nvram /dev/shm/ccm-a.shadow /dev/shm/ccm-b.nvram /dev/shm/ccm-b.shadow \
		/dev/shm/ccm-mailbox /tmp/ccm-l0.sock /tmp/ccm-l1.sock
	if [ -n "${1:-}" ]; then
		config=$work/ccm-fault.yaml
		sed -E "s/^( +)- port: (.*)$/&\n\1  fault_rx: \"$1\"/" "$src/config/ccm.yaml" >"$config"
	fi
	printf 'wait session up 30000\nwait nvram in-sync 30000\nsleep 60000\n' >"$work/b.script"
	printf 'wait session up 30000\nwait nvram in-sync 30000\nnvram append %s 4096\nnvram append %s 4096\nquit\n' \
		"$warmup" "$records" >"$work/a.script"
	"$build/app/ccm" "${eal[@]}" --file-prefix="pt$$b" --lcores=0@1 \
		--vdev=net_memif0,role=server,socket=/tmp/ccm-l0.sock \
		--vdev=net_memif1,role=server,socket=/tmp/ccm-l1.sock -- \
		--config "$config" --node b --script "$work/b.script" >"$work/nb" 2>&1 &
	local bpid=$!
	for _ in $(seq 1 100); do
		listening /tmp/ccm-l0.sock && listening /tmp/ccm-l1.sock && break
		sleep 0.05
	done
	"$build/app/ccm" "${eal[@]}" --file-prefix="pt$$a" --lcores=0@0 \
		--vdev=net_memif0,role=client,socket=/tmp/ccm-l0.sock \
		--vdev=net_memif1,role=client,socket=/tmp/ccm-l1.sock -- \
		--config "$config" --node a --script "$work/a.script" >"$work/na" 2>&1
	kill $bpid 2>/dev/null
	wait $bpid 2>/dev/null
	if [ -n "${PERF_TABLE_KEEP:-}" ]; then	# the nodes' output, for a closer look
		mkdir -p "$PERF_TABLE_KEEP"
		local n=$(ls "$PERF_TABLE_KEEP" | wc -l)
		cp "$work/na" "$PERF_TABLE_KEEP/nvram-$n.a"; cp "$work/nb" "$PERF_TABLE_KEEP/nvram-$n.b"
	fi
	# A session lost during the run (a stalled vCPU, say) leaves appends
	# in local NVRAM only: that run measured no mirroring. Both appends, in
	# order (with $warmup = $records one good line must not pass for two).
	local want got
	want=$(printf 'appended %s record(s) of 4096 bytes: %s mirrored, 0 in local\n' \
		"$warmup" "$warmup" "$records" "$records")
	got=$(grep -E '^appended ' "$work/na" | sed -E 's/( in local).*/\1/')
	if [ "$got" != "$want" ]; then
		echo "perf-table: NVRAM run without every append mirrored, run again:" \
			"$(grep -E '^(appended|error)' "$work/na" | tr '\n' ' ')" >&2
		return 1
	fi
	grep -E 'appends/s; latency' "$work/na" | tail -n 1 |
		sed -E 's/^ *([0-9]+) appends\/s; latency p50 [0-9.]+ us, p99 ([0-9.]+) us.*/\1 \2/' |
		grep -E '^[0-9]+ [0-9.]+$'
}

tcp_nvram() {
	ip netns exec ptB$$ taskset -c 1 "$build/tests/bench/tcp_mirror" --serve 18700 \
		--file "$work/tcp.shadow" >"$work/tm.s" 2>&1 &
	local spid=$!
	for _ in $(seq 1 100); do
		ip netns exec ptB$$ grep -q ":490C 00000000:0000 0A" /proc/net/tcp && break
		sleep 0.05
	done
	ip netns exec ptA$$ taskset -c 0 "$build/tests/bench/tcp_mirror" --connect 10.98.0.2:18700 \
		--file "$work/tcp.log" --warmup "$warmup" --records "$records" --size 4096 --json \
		>"$work/tm.c" 2>&1
	wait $spid
	sed -nE 's/.*"appends_per_s": ([0-9.]+), "p50_us": [0-9.]+, "p99_us": ([0-9.]+).*/\1 \2/p' \
		"$work/tm.c" | grep . || echo "0 0"
}

# ---- statistics -------------------------------------------------------------

# median_spread: numbers on stdin -> "median (min..max)"
median_spread() {
	sort -g | awk '{a[NR] = $1} END {
		if (NR == 0) { print "n/a"; exit }
		m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
		printf "%.3g (%.3g..%.3g)", m, a[1], a[NR] }'
}
# by_mode FILE LABEL: the ratios of FILE.slow and FILE.fast apart.
by_mode() {
	local m
	for m in slow fast; do
		[ -s "$1.$m" ] && echo "  $2 $m ($(wc -l <"$1.$m")): $(median_spread <"$1.$m")"
	done
	return 0
}

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(git -C "$src" describe --always --dirty 2>/dev/null)," \
	"$(nproc) CPUs, $rounds round(s)$($smoke && echo ', smoke')," \
	"$($huge && echo '2 MiB hugepages' || echo '4 KiB pages (--no-huge)')"

# ---- transport ----------------------------------------------------------------
# transport DEV FRAME PAYLOAD: one table on one device pair.
# Each raw pair runs in one of two modes from one round to the next (memif:
# about 5 or about 14 Mpps of 1082-byte frames; vhost: about 4 or about 8.5
# Mpps of 4170-byte frames; docs/perf.md runs C and J): rounds are also
# summed up by the raw side's mode, above or below the device's fast rate.
raw_mode() {
	awk -v raw="$1" -v f=$([ $dev = memif ] && echo 9000000 || echo 6000000) \
		'BEGIN { print (raw > f ? "fast" : "slow") }'
}
transport() {
	dev=$1
	local frame=$2 payload=$3 rframe=$4 mode modeb
	echo "## transport over $dev: 4 KiB messages, goodput / (raw frames/s x payload per frame)," \
		"WRITE: $frame-byte frames client -> server, READ: $rframe-byte frames server -> client"
	: >"$work/r.write"; : >"$work/r.read"
	: >"$work/r.write.fast"; : >"$work/r.read.fast"; : >"$work/r.write.slow"; : >"$work/r.read.slow"
	for r in $(seq 1 "$rounds"); do
		if ((r % 2)); then raw=$(raw_pps "$frame"); w=$(ccm_bw write 4096 1 "${steady[@]}")
			rd=$(ccm_bw read 4096 1 "${steady[@]}"); rawb=$(raw_pps "$rframe" back)
		else rawb=$(raw_pps "$rframe" back); rd=$(ccm_bw read 4096 1 "${steady[@]}")
			w=$(ccm_bw write 4096 1 "${steady[@]}"); raw=$(raw_pps "$frame"); fi
		mode=$(raw_mode "$raw") modeb=$(raw_mode "$rawb")
		awk -v w="$w" -v rd="$rd" -v raw="$raw" -v rawb="$rawb" -v r="$r" -v p="$payload" \
			-v m="$mode" -v mb="$modeb" 'BEGIN {
			printf "round %d: raw %.2f Mpps (%s; %.0f MB/s of payload), back %.2f Mpps (%s); WRITE %.0f MB/s (%.3f); READ %.0f MB/s (%.3f)\n",
				r, raw / 1e6, m, raw * p / 1048576, rawb / 1e6, mb, w / 1048576,
				raw ? w / (raw * p) : 0, rd / 1048576, rawb ? rd / (rawb * p) : 0 }'
		for v in "$raw" "$rawb" "$w" "$rd"; do [ "${v:-0}" != 0 ] || missing=$((missing + 1)); done
		awk -v x="$w" -v raw="$raw" -v p="$payload" 'BEGIN { if (raw) print x / (raw * p) }' |
			tee -a "$work/r.write.$mode" >>"$work/r.write"
		awk -v x="$rd" -v raw="$rawb" -v p="$payload" 'BEGIN { if (raw) print x / (raw * p) }' |
			tee -a "$work/r.read.$modeb" >>"$work/r.read"
	done
	echo "WRITE / raw over $dev: $(median_spread <"$work/r.write")   (target 0.85)"
	echo "READ / raw over $dev:  $(median_spread <"$work/r.read")   (target 0.70)"
	by_mode "$work/r.write" "WRITE in rounds with raw $dev"
	by_mode "$work/r.read" "READ in rounds with the raw $dev back direction"
}
# Our WRITE frames: Ethernet 14 + IPv4 20 + UDP 8 + BTH 12 + payload + ICRC 4
# (MIDDLE at MTU 1024; ONLY, with RETH 16, at MTU 4096); READ responses the
# same (MIDDLE at MTU 1024; ONLY, with AETH 4, at MTU 4096). Each
# direction of a memif pair has its mode: READ is grouped by the mode of
# the raw rate it is compared with.
if want transport; then
	transport memif 1082 1024 1082
	transport vhost 4170 4096 4158
fi
dev=memif

# ---- latency -----------------------------------------------------------------
if want latency; then
# The raw ping-pong takes about 1.0 or about 0.3 us here, by the machine's
# mode (docs/perf.md run I), which can change inside a round: ours is taken
# between two raw figures, and a round whose two disagree on the mode
# (lat_fast_us) compared ours with the wrong one: it is shown, not counted.
lat_fast_us=0.6
lat_mode() {
	awk -v a="$1" -v b="$2" -v f=$lat_fast_us 'BEGIN {
		print (a < f && b < f ? "fast" : a >= f && b >= f ? "slow" : "changed") }'
}
echo "## latency: median half round trip, 8-byte WRITE vs raw 82-byte ping-pong"
: >"$work/r.lat"; : >"$work/r.lat.slow"; : >"$work/r.lat.fast"; changed=0
for r in $(seq 1 "$rounds"); do
	raw=$(raw_lat); ours=$(ccm_lat); raw2=$(raw_lat)
	mode=$(lat_mode "$raw" "$raw2")
	echo "round $r: raw $raw us, ccm-perf WRITE $ours us, raw $raw2 us ($mode)"
	for v in "$raw" "$ours" "$raw2"; do [ "${v:-0}" != 0 ] || missing=$((missing + 1)); done
	[ "$mode" = changed ] && { changed=$((changed + 1)); continue; }
	awk -v a="$ours" -v b="$raw" -v c="$raw2" 'BEGIN { if (b > 0 && c > 0) print 2 * a / (b + c) }' |
		tee -a "$work/r.lat.$mode" >>"$work/r.lat"
	# The distribution of the last round, for the plot.
	cp "$work/lat.c" "$work/cdf.ours" 2>/dev/null; cp "$work/rawlat.c" "$work/cdf.raw" 2>/dev/null
done
echo "WRITE latency / raw: $(median_spread <"$work/r.lat")   (target <= 1.2; at least <= 1.5)"
by_mode "$work/r.lat" "in rounds with the raw ping-pong"
[ "$changed" -eq 0 ] || echo "  rounds left out, the machine changed mode during them: $changed"
fi

# ---- NVRAM mirroring -----------------------------------------------------------
if want nvram; then
echo "## NVRAM: synchronous 4 KiB appends, ccm (RDMA WRITE over memif) vs kernel TCP (veth)"
ip netns add ptA$$ && ip netns add ptB$$ || die "ip netns add failed"
ip link add ptA$$v type veth peer name ptB$$v
ip link set ptA$$v netns ptA$$
ip link set ptB$$v netns ptB$$
ip -n ptA$$ addr add 10.98.0.1/24 dev ptA$$v
ip -n ptB$$ addr add 10.98.0.2/24 dev ptB$$v
for ns in ptA$$ ptB$$; do ip -n $ns link set lo up; done
ip -n ptA$$ link set ptA$$v up
ip -n ptB$$ link set ptB$$v up
: >"$work/r.rate"; : >"$work/r.p99"
for r in $(seq 1 "$rounds"); do
	if ((r % 2)); then tcp=$(tcp_nvram); ours=$(ccm_nvram); else ours=$(ccm_nvram); tcp=$(tcp_nvram); fi
	set -- $ours $tcp
	echo "round $r: ccm $1 appends/s, p99 $2 us; kernel TCP $3 appends/s, p99 $4 us"
	for v in "$1" "$3"; do [ "${v:-0}" != 0 ] || missing=$((missing + 1)); done
	awk -v a="$1" -v b="$3" 'BEGIN { if (b > 0) print a / b }' >>"$work/r.rate"
	awk -v a="$2" -v b="$4" 'BEGIN { if (b > 0) print a / b }' >>"$work/r.p99"
done
echo "appends/s ccm / TCP: $(median_spread <"$work/r.rate")   (target >= 5)"
echo "NVRAM runs that lost the session to a stall and ran again: $(cat "$work/nvram.reruns" 2>/dev/null | wc -l)"
echo "p99 ccm / TCP:       $(median_spread <"$work/r.p99")   (target <= 0.3)"
fi

# ---- loss ----------------------------------------------------------------------
if want loss; then
echo "## loss: 64 KiB messages, 128 in flight, memif; goodput / loss-free goodput, frames sent per data frame"
for verb in write read; do
	for drop in 0.001 0.01 0.05; do : >"$work/r.loss-$verb-$drop"; : >"$work/r.pkts-$verb-$drop"; done
done
for r in $(seq 1 "$rounds"); do
	for verb in write read; do
		set -- $(ccm_loss $verb 0)
		clean=$1
		[ "${clean:-0}" != 0 ] || missing=$((missing + 1))
		line="round $r: $verb loss-free $(awk -v b="$1" 'BEGIN {printf "%.0f", b / 1048576}') MB/s"
		for drop in 0.001 0.01 0.05; do
			set -- $(ccm_loss $verb $drop)
			[ "${1:-0}" != 0 ] || missing=$((missing + 1))
			line+="; $(awk -v d=$drop 'BEGIN {printf "%g", d * 100}') %: $(awk -v b="$1" -v c="$clean" \
				-v t="$2" -v n="$3" 'BEGIN {printf "%.0f MB/s (%.3f), %.2f frames/data frame",
				b / 1048576, c ? b / c : 0, n ? t / n : 0}')"
			awk -v b="$1" -v c="$clean" 'BEGIN { if (c) print b / c }' >>"$work/r.loss-$verb-$drop"
			awk -v t="$2" -v n="$3" 'BEGIN { if (n && t) print t / n }' >>"$work/r.pkts-$verb-$drop"
		done
		echo "$line"
	done
done
for verb in write read; do
	for drop in 0.001 0.01 0.05; do
		echo "$verb at $(awk -v d=$drop 'BEGIN {printf "%g", d * 100}') % loss / loss-free: $(median_spread <"$work/r.loss-$verb-$drop"); frames per data frame $(median_spread <"$work/r.pkts-$verb-$drop")$([ $drop = 0.01 ] && echo '   (target >= 0.5; < 2)')"
	done
done
: >"$work/r.nvloss"; : >"$work/r.nvp99"
for r in $(seq 1 "$rounds"); do
	if ((r % 2)); then clean=$(ccm_nvram); lossy=$(ccm_nvram "drop=0.01,seed=$RANDOM")
	else lossy=$(ccm_nvram "drop=0.01,seed=$RANDOM"); clean=$(ccm_nvram); fi
	set -- $clean $lossy
	echo "round $r: NVRAM loss-free $1 appends/s, p99 $2 us; 1 % loss $3 appends/s, p99 $4 us"
	for v in "$1" "$3"; do [ "${v:-0}" != 0 ] || missing=$((missing + 1)); done
	awk -v a="$3" -v b="$1" 'BEGIN { if (b > 0) print a / b }' >>"$work/r.nvloss"
	echo "$4" >>"$work/r.nvp99"
done
echo "NVRAM appends/s at 1 % loss / loss-free: $(median_spread <"$work/r.nvloss")   (target >= 0.5)"
echo "NVRAM p99 at 1 % loss, us: $(median_spread <"$work/r.nvp99")   (target < 1000)"
echo "NVRAM runs that lost the session to a stall and ran again, so far: $(cat "$work/nvram.reruns" 2>/dev/null | wc -l)"
fi

# ---- failover ------------------------------------------------------------------
if want failover; then
echo "## failover"
"$build/tests/bench/bench_failover" $($smoke && echo --smoke || echo --runs 20) 2>&1 | tail -n 4
bash "$src/tests/ha_sigkill_test.sh" "$build/tests/ha_peer" "$($smoke && echo 2 || echo 10)" 2>&1 |
	grep -E '^(takeover|zero loss)'
fi

# ---- sweep ---------------------------------------------------------------------
# Once, not per round: the shape of the curve, not a figure to the per cent.
# A message of S bytes travels in frames of min(S, 4096) + 74 bytes (WRITE
# ONLY: Ethernet, IPv4, UDP, BTH, RETH, ICRC); raw sends frames that size.
if want sweep; then
dev=vhost
echo "## sweep over vhost (RoCE MTU 4096): WRITE goodput by message size, raw frames of the same size"
sizes=$($smoke && echo "64 4096 65536" || echo "64 256 1024 4096 16384 65536 262144 1048576")
: >"$work/sweep.dat"
declare -A rawpps=()
for size in $sizes; do
	pay=$((size < 4096 ? size : 4096))
	frame=$((pay + 74))
	[ -n "${rawpps[$frame]:-}" ] || rawpps[$frame]=$(raw_pps $frame)
	raw=${rawpps[$frame]:-0}
	n=$(( (1 << 31) / size ))
	((n > iters_bw)) && n=$iters_bw
	((n < 2000)) && n=2000
	w=$(ccm_bw write "$size" "$n")
	for v in "$raw" "$w"; do [ "${v:-0}" != 0 ] || missing=$((missing + 1)); done
	awk -v s="$size" -v w="$w" -v raw="$raw" -v p="$pay" -v f="$frame" 'BEGIN {
		printf "%d B: WRITE %.0f MB/s, %.3f M messages/s; raw %d-byte frames %.2f Mpps, %.0f MB/s of payload (%.3f)\n",
			s, w / 1048576, w / s / 1e6, f, raw / 1e6, raw * p / 1048576, raw ? w / (raw * p) : 0 }'
	echo "$size ${w:-0} $((raw * pay))" >>"$work/sweep.dat"
done
awk 'NR == 1 && $3 > 0 { printf "64-byte WRITE messages/s / raw 138-byte frames/s: %.3f\n", $2 / $3 }' "$work/sweep.dat"
# Many QPs on one link, each with ccm-perf's default depth, steady goodput
# as above: every round, each count against one QP measured next to it, in
# alternating order. With a fixed count of messages (500,000 in all) 256 QPs
# spent much of the run bringing up their windows: 0.82-0.87 of one QP that
# way, 0.96 over 2 s (docs/perf.md run H).
for q in 16 256 1024; do
	: >"$work/r.qps$q"
	for ((r = 1; r <= rounds; r++)); do
		if ((r % 2)); then one=$(ccm_bw write 4096 1 "${steady[@]}")
			many=$(ccm_bw write 4096 1 --qps "$q" "${steady[@]}")
		else many=$(ccm_bw write 4096 1 --qps "$q" "${steady[@]}")
			one=$(ccm_bw write 4096 1 "${steady[@]}"); fi
		for v in "$one" "$many"; do [ "${v:-0}" != 0 ] || missing=$((missing + 1)); done
		awk -v a="$many" -v b="$one" -v q="$q" -v r="$r" 'BEGIN {
			printf "round %d: WRITE 4 KiB over %d QPs: %.0f MB/s, over 1 QP: %.0f MB/s (%.3f)\n",
				r, q, a / 1048576, b / 1048576, b ? a / b : 0 }'
		awk -v a="$many" -v b="$one" 'BEGIN { if (b) print a / b }' >>"$work/r.qps$q"
	done
	echo "WRITE 4 KiB over $q QPs / 1 QP: $(median_spread <"$work/r.qps$q")$([ $q = 256 ] &&
		echo '   (target >= 0.9)')"
done
fi

# ---- pictures ------------------------------------------------------------------
if command -v gnuplot >/dev/null; then
	mkdir -p "$plots"
	if [ -s "$work/sweep.dat" ]; then
		gnuplot <<-EOF && echo "plot: $plots/goodput-by-size.png"
		set terminal pngcairo noenhanced size 800,480 font ",11"
		set output "$plots/goodput-by-size.png"
		set title "RDMA WRITE goodput by message size, vhost-user <-> virtio_user, one core per side"
		set logscale x 2
		set format x "%.0b%B"
		set xlabel "message size (bytes)"
		set ylabel "payload GB/s"
		set key bottom right
		set grid
		plot "$work/sweep.dat" using 1:(\$3 / 1e9) with linespoints title "raw frames of that size (testpmd)", \
		     "$work/sweep.dat" using 1:(\$2 / 1e9) with linespoints title "ccm-perf WRITE"
		EOF
	fi
	if [ -s "$work/cdf.ours" ] && [ -s "$work/cdf.raw" ]; then
		for f in ours raw; do
			grep -oE '"cdf_us": \{[^}]*\}' "$work/cdf.$f" | grep -oE '"[0-9.]+": [0-9.]+' |
				tr -d '":' | awk '{ print $2, $1 }' >"$work/cdf.$f.dat"
		done
		gnuplot <<-EOF && echo "plot: $plots/latency-cdf.png"
		set terminal pngcairo noenhanced size 800,480 font ",11"
		set output "$plots/latency-cdf.png"
		set title "Half round trip, 8-byte WRITE against a raw 82-byte ping-pong (memif)"
		set xlabel "microseconds"
		set ylabel "fraction of round trips"
		set logscale x
		set key bottom right
		set grid
		plot "$work/cdf.raw.dat" using 1:2 with linespoints title "raw ping-pong (bench_pingpong)", \
		     "$work/cdf.ours.dat" using 1:2 with linespoints title "ccm-perf WRITE"
		EOF
	fi
else
	echo "(no gnuplot: no pictures; Debian package gnuplot-nox)"
fi

# ---- profile -------------------------------------------------------------------
if want profile && ! $smoke && command -v perf >/dev/null; then
	echo "## profile: ccm-perf WRITE client, 4 KiB, cpu-clock samples (self), top 15"
	common=(--verb write --bw --size 4096 --iters "$iters_bw" --local-ip)
	rm -f "$work/prof.sock"
	"$build/app/ccm-perf" "${eal[@]}" --file-prefix="pt$$s" --lcores=0@1 \
		--vdev="net_memif0,role=server,socket=$work/prof.sock" -- \
		--server "${common[@]}" 10.66.0.1 >/dev/null 2>&1 &
	spid=$!
	for _ in $(seq 1 100); do listening "$work/prof.sock" && break; sleep 0.05; done
	sleep 0.3
	perf record -q -e cpu-clock -o "$work/perf.data" -- "$build/app/ccm-perf" "${eal[@]}" \
		--file-prefix="pt$$c" --lcores=0@0 --vdev="net_memif0,role=client,socket=$work/prof.sock" \
		-- --client 127.0.0.1 "${common[@]}" 10.66.0.2 >/dev/null 2>&1
	wait $spid
	perf report -i "$work/perf.data" --stdio --no-children --sort dso,symbol 2>/dev/null |
		grep -E '^ +[0-9.]+%' | head -n 15 || true
fi
if [ "$missing" -gt 0 ]; then
	echo "perf-table: $missing measurement(s) produced no figure (see above)" >&2
	exit 1
fi
exit 0

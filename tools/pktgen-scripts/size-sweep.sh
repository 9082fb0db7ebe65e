#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Sweep message sizes with Pktgen-DPDK against a running ccm node or
# ccm-perf server: one WRITE stream per size (roce-pcapgen), each replayed
# by rate-sweep.lua at rising rates. docs/perf.md, "Pktgen".
#
#   size-sweep.sh --dst-qpn N --rkey K --va ADDR --psn P [--prefix TARGET_PREFIX]
#                 [--sizes "64 256 1024 4096"] -- PKTGEN_EAL_ARGS...
#
# Everything after -- goes to pktgen before its own "--" (cores, the port).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
gen=${ROCE_PCAPGEN:-roce-pcapgen}
sizes="64 256 1024 4096"
prefix=ccm-a
genargs=()
while (($# > 0)); do
	case "$1" in
	--sizes) sizes=$2; shift 2 ;;
	--prefix) prefix=$2; shift 2 ;;
	--) shift; break ;;
	*) genargs+=("$1" "$2"); shift 2 ;;
	esac
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for size in $sizes; do
	"$gen" "${genargs[@]}" --size "$size" --count 1000 -o "$work/write-$size.pcap"
	echo "== $size-byte WRITEs"
	CCM_PREFIX=$prefix pktgen "$@" -- -P -m "[1].0" -s "0:$work/write-$size.pcap" \
		-f "$here/rate-sweep.lua"
done

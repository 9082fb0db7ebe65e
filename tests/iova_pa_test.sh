#!/usr/bin/env bash
# IOVA as PA on 2 MiB hugepages (roce_mr.c, mr_dma_span): a payload is
# attached by memory segment, and cut in two where its hugepage ends, since
# the next page need not follow it physically. WRITE and SEND of 65,000-byte
# messages (frames start at every offset, so some straddle a page boundary)
# over a memif pair, every byte verified, and the cuts counted
# (tx_page_split) by the sender. READ responses are copies, not attached.
# Skips (77) where 2 MiB pages cannot be had or PA is not available.
# Usage: iova_pa_test.sh CCM_PERF
set -uo pipefail
perf=$1
work=$(mktemp -d)
. "$(dirname "${BASH_SOURCE[0]}")/../tools/hugepages.sh"
cleanup() {
	kill $spid 2>/dev/null
	huge_release "ipa$$"
	rm -rf "$work"
}
spid=
trap cleanup EXIT
skip() { echo "SKIP: $*"; exit 77; }
listening() { grep -q " @$1\$" /proc/net/unix; }

[ "$(id -u)" -eq 0 ] || skip "needs root to reserve hugepages"
huge_reserve 192 || skip "no hugepages (above)"	# two processes of 192 MiB

eal=(--single-file-segments --huge-dir /dev/hugepages --iova-mode=pa -m 192 --no-pci
     --log-level=lib.eal:info)
fails=0
for verb in write send; do
	sock=$work/$verb.sock
	common=(--verb $verb --bw --size 65000 --iters 300 --verify --stats --local-ip)
	"$perf" "${eal[@]}" --file-prefix="ipa$$s" --vdev="net_memif0,role=server,socket=$sock" -- \
		--server --port $((20000 + $$ % 10000)) "${common[@]}" 10.77.0.1 >"$work/$verb.s" 2>&1 &
	spid=$!
	for _ in $(seq 1 100); do listening "$sock" && break; sleep 0.1; done
	"$perf" "${eal[@]}" --file-prefix="ipa$$c" --vdev="net_memif0,role=client,socket=$sock" -- \
		--client 127.0.0.1 --port $((20000 + $$ % 10000)) "${common[@]}" 10.77.0.2 \
		>"$work/$verb.c" 2>&1
	crc=$?
	wait $spid; src=$?; spid=
	grep -q "IOVA mode 'PA'" "$work/$verb.c" ||
		skip "EAL did not take IOVA as PA: $(grep -i 'iova' "$work/$verb.c" | head -1)"
	if [ $crc -ne 0 ] || [ $src -ne 0 ]; then
		echo "FAIL: $verb: client exit $crc, server exit $src"
		tail -n 5 "$work/$verb.c" "$work/$verb.s"
		fails=$((fails + 1))
		continue
	fi
	splits=$(grep -oE ' tx_page_split=[0-9]+' "$work/$verb.c" | cut -d= -f2)
	if [ "${splits:-0}" -gt 0 ]; then
		echo "ok: $verb: verified, $splits payloads cut at a hugepage boundary"
	else
		echo "FAIL: $verb: no payload was cut at a page boundary (tx_page_split=${splits:-none})"
		grep 'transport counters' "$work/$verb.c"
		fails=$((fails + 1))
	fi
done
[ $fails -eq 0 ]

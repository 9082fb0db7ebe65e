#!/usr/bin/env bash
# Run a libFuzzer target for a bounded time, seeded with every frame of
# the test captures. Usage: run_fuzz.sh FUZZER PCAPTOOL DATA_DIR SECONDS
set -euo pipefail
fuzzer=$1 pcaptool=$2 data=$3 seconds=$4

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus" "$work/artifacts"
for pcap in "$data"/*.pcap; do
    "$pcaptool" split "$pcap" "$work/corpus"
done
echo "seed corpus: $(find "$work/corpus" -type f | wc -l) frames from $data"

# -timeout: one input taking >10 s is a hang, and a failure.
if ! "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$work/corpus"; then
    for crash in "$work"/artifacts/*; do
        [ -e "$crash" ] || continue
        echo "failing input $(basename "$crash"):"
        od -A d -t x1 "$crash" | head -40
    done
    exit 1
fi

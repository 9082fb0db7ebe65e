#!/usr/bin/env bash
# Run the responder fuzz target for a bounded time, from the seed corpus
# it writes itself (one valid request of each kind at each region).
# Usage: run_fuzz_responder.sh FUZZER SECONDS [CORPUS_DIR]
# With CORPUS_DIR the corpus is kept (and grown) there, for long campaigns,
# and failing inputs are kept beside it. FUZZ_TIMEOUT (10 s) is the
# wall-clock time one input may take: raise it for a campaign run at low
# priority on a loaded machine.
set -euo pipefail
fuzzer=$1 seconds=$2 keep=${3:-}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
corpus=${keep:-$work/corpus}
artifacts=${keep:+$keep.artifacts}
artifacts=${artifacts:-$work/artifacts}
mkdir -p "$corpus" "$artifacts"
FUZZ_RESPONDER_SEEDS="$corpus" "$fuzzer" >/dev/null 2>&1 || {
    echo "the fuzz target could not write its seeds"; exit 1; }
echo "seed corpus: $(find "$corpus" -type f | wc -l) inputs"

# -timeout: one input taking >10 s is a hang, and a failure.
if ! "$fuzzer" -max_total_time="$seconds" -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=4096 \
        -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus"; then
    for crash in "$artifacts"/*; do
        [ -e "$crash" ] || continue
        echo "failing input $(basename "$crash") ($(stat -c %s "$crash") bytes):"
        od -A d -t x1 -v "$crash"
    done
    exit 1
fi

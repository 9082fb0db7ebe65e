#!/usr/bin/env bash
# The project's test command (README; .ci/run calls exactly this).
# Installs what is missing, builds with clang under AddressSanitizer and
# UndefinedBehaviorSanitizer, runs every suite including a bounded fuzz
# run, and ends with meson's own counts as "N passed, N failed".
# Extra arguments go to `meson test` (e.g. a suite name: tools/test.sh parse).
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
builddir=${CCM_TEST_BUILD:-build-test}
if [ ! -f "$builddir/build.ninja" ]; then
    CC=clang meson setup "$builddir" -Db_sanitize=address,undefined -Db_lundef=false \
        -Dfuzz=true -Dfuzz_seconds="${CCM_FUZZ_SECONDS:-60}"
fi
ninja -C "$builddir"

rc=0
meson test -C "$builddir" --print-errorlogs --num-processes 2 "$@" || rc=$?

log=$builddir/meson-logs/testlog.json
passed=$(grep -cE '"result": "(OK|EXPECTEDFAIL)"' "$log" || true)
failed=$(grep -cE '"result": "(FAIL|TIMEOUT|UNEXPECTEDPASS|ERROR)"' "$log" || true)
skipped=$(grep -cE '"result": "SKIP"' "$log" || true)
[ "$skipped" -eq 0 ] || echo "$skipped skipped"
echo "$passed passed, $failed failed"
if [ "$passed" -eq 0 ] && [ "$rc" -eq 0 ]; then
    echo "no test ran" >&2
    exit 1
fi
exit "$rc"

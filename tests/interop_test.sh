#!/usr/bin/env bash
# Suite 'interop': ccm-perf against a live Linux soft-RoCE peer, a short
# subset of tools/interop.sh (one test of each out-of-band order, both
# roles). It builds the guest from Debian packages and boots it under qemu;
# if the peer cannot be booted the test fails, it is never skipped.
# Usage: interop_test.sh SOURCE_DIR BUILD_DIR
set -uo pipefail
src=$1 build=$2
exec "$src/tools/interop.sh" --quick --build "$build"

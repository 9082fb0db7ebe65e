#!/usr/bin/env bash
# The project's main job (README). Until the ccm application lands, it
# builds the project and decodes a capture of real soft-RoCE traffic with
# roce-dump, validating every frame.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
builddir=${CCM_BUILD:-build}
[ -f "$builddir/build.ninja" ] || meson setup "$builddir" --buildtype=release
ninja -C "$builddir"
"$builddir/app/roce-dump" --check tests/data/write.pcap tests/data/read.pcap

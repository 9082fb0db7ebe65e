#!/usr/bin/env bash
# Install every Debian 12 package the project needs to build, test and
# run. Idempotent: does nothing when all are present. Needs root (or sudo).
set -euo pipefail

packages=(
    # build
    gcc clang meson ninja-build pkg-config
    # network namespaces and veth for the ccm-perf test
    iproute2
    # libraries, all through pkg-config
    dpdk dpdk-dev libdpdk-dev libisal-dev libyaml-dev check libibverbs-dev libpcap-dev zlib1g-dev
    # sanitizers and libFuzzer runtimes for clang
    libclang-rt-14-dev
    # the live Linux soft-RoCE peer of tools/interop.sh (suite 'interop'):
    # qemu boots a Debian kernel; the image is packed with cpio, and the
    # builder reads ELF dependencies with readelf (binutils)
    qemu-system-x86 cpio binutils
    # the pictures of tools/perf-table.sh
    gnuplot-nox
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"

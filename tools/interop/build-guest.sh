#!/usr/bin/env bash
# Build the Linux soft-RoCE peer for tools/interop.sh from Debian packages
# only: a Debian 12 kernel (its rdma_rxe module) and an initramfs holding
# rdma-core's verbs library with the rxe provider, perftest, ibv_rc_pingpong,
# iproute2 (ip, tc, rdma), dash and busybox. Packages are fetched with
# `apt-get download` and unpacked with `dpkg-deb -x` into the cache; nothing
# is installed on this machine and nothing else is downloaded.
#
# Usage: build-guest.sh [--force]      (cache: $CCM_INTEROP_CACHE,
#                                       default ~/.cache/ccm-interop)
# Output: $cache/vmlinuz, $cache/initrd.gz, $cache/manifest.txt
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${CCM_INTEROP_CACHE:-$HOME/.cache/ccm-interop}
force=0
[ "${1:-}" = --force ] && force=1

# The guest's programs, and the Debian packages they come from.
programs=(/usr/bin/ib_write_bw /usr/bin/ib_write_lat /usr/bin/ib_read_bw /usr/bin/ib_read_lat
          /usr/bin/ib_send_bw /usr/bin/ib_send_lat /usr/bin/ib_atomic_bw /usr/bin/ib_atomic_lat
          /usr/bin/ibv_rc_pingpong /usr/bin/ibv_devinfo /bin/ip /sbin/tc /usr/bin/rdma
          /bin/dash /bin/kmod)
user_pkgs=(perftest ibverbs-utils ibverbs-providers libibverbs1 iproute2 dash kmod busybox-static)
# Kernel modules by name; their dependencies come from modules.dep. The CRC
# ones are soft dependencies of rdma_rxe's ICRC (crypto "crc32").
modules=(virtio_pci virtio_net virtio_console rdma_rxe ib_uverbs rdma_ucm ib_umad
         crc32_generic crc32_pclmul sch_netem)

log() { echo "build-guest: $*" >&2; }
die() { echo "build-guest: $*" >&2; exit 1; }

kpkg=${CCM_INTEROP_KPKG:-}
if [ -z "$kpkg" ]; then
    kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n1)
    if [ -z "$kpkg" ]; then
        log "no linux-image-amd64 in the package lists; running apt-get update"
        apt-get update -q >&2 || die "apt-get update failed"
        kpkg=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n1)
    fi
    [ -n "$kpkg" ] || die "cannot tell which kernel package linux-image-amd64 names"
fi

stamp="$kpkg $(printf '%s ' "${user_pkgs[@]}") $(sha1sum "$here/guest-init" "$0" | awk '{printf "%s ", $1}')"
if [ $force -eq 0 ] && [ -f "$cache/initrd.gz" ] && [ -f "$cache/vmlinuz" ] &&
   [ "$(cat "$cache/stamp" 2>/dev/null)" = "$stamp" ]; then
    log "up to date: $cache ($kpkg)"
    exit 0
fi

mkdir -p "$cache/debs"
rm -rf "$cache/x" "$cache/root"
mkdir -p "$cache/x" "$cache/root"

# The user space packages and the libraries in their Depends closure
# (Essential packages such as libc6 are there too: we need their files).
closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
          --no-replaces --no-enhances "${user_pkgs[@]}" 2>/dev/null |
          grep -E '^[a-z0-9]' | grep -E '^lib|^zlib1g$|^(perftest|ibverbs-utils|ibverbs-providers|iproute2|dash|kmod|busybox-static)$' |
          grep -vE '^lib(gcc|stdc\+\+)-.*-dev|^libc6-dev|^libc-dev' | sort -u)
want=("$kpkg" $closure)
log "fetching ${#want[@]} packages into $cache/debs"
(
    cd "$cache/debs"
    missing=()
    for p in "${want[@]}"; do
        ls "${p}"_*.deb >/dev/null 2>&1 || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        # _apt cannot write into root's cache: let apt say so quietly.
        apt-get download -q "${missing[@]}" 2>&1 | grep -vE '^W: Download is performed unsandboxed' >&2 ||
            true
        for p in "${missing[@]}"; do
            ls "${p}"_*.deb >/dev/null 2>&1 || die "apt-get download $p failed"
        done
    fi
)
: >"$cache/manifest.txt"
for p in "${want[@]}"; do
    deb=$(ls "$cache/debs/${p}"_*.deb | sort -V | tail -n1)
    dpkg-deb -x "$deb" "$cache/x"
    dpkg-deb -f "$deb" Package Version | paste -sd' ' >>"$cache/manifest.txt"
done
x=$cache/x r=$cache/root

# Programs and, by their DT_NEEDED entries, their shared libraries.
libdirs=("$x/lib/x86_64-linux-gnu" "$x/usr/lib/x86_64-linux-gnu" "$x/lib64" "$x/usr/lib/x86_64-linux-gnu/libibverbs")
# xresolve PATH_IN_X: follow symbolic links inside $x (absolute ones too).
xresolve() {
    local p=$1 t n=0
    while [ -L "$p" ] && [ $n -lt 20 ]; do
        t=$(readlink "$p")
        case $t in /*) p=$x$t ;; *) p=$(dirname "$p")/$t ;; esac
        n=$((n + 1))
    done
    echo "$p"
}
copy_file() {   # copy_file SRC_IN_X: into the same path under root
    local rel=${1#"$x"}
    mkdir -p "$r$(dirname "$rel")"
    cp "$(xresolve "$1")" "$r$rel"
}
declare -A seen=()
add_elf() {
    local f=$1 lib d
    [ -n "${seen[$f]:-}" ] && return 0
    seen[$f]=1
    copy_file "$f"
    for lib in $(readelf -d "$(xresolve "$f")" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
        for d in "${libdirs[@]}"; do
            if [ -e "$d/$lib" ]; then add_elf "$d/$lib"; continue 2; fi
        done
        die "$(basename "$f") needs $lib, which no fetched package has"
    done
}
for p in "${programs[@]}"; do
    src=$x$p
    [ -e "$src" ] || src=$x/usr$p
    [ -e "$src" ] || die "no $p in the fetched packages"
    add_elf "$src"
done
# The dynamic loader, and the rxe provider that libibverbs dlopen()s.
add_elf "$x/lib64/ld-linux-x86-64.so.2"
rxe=$(ls "$x"/usr/lib/x86_64-linux-gnu/libibverbs/librxe-rdmav*.so | head -n1)
[ -n "$rxe" ] || die "ibverbs-providers has no librxe"
add_elf "$rxe"
mkdir -p "$r/etc/libibverbs.d"
cp "$x/etc/libibverbs.d/rxe.driver" "$r/etc/libibverbs.d/"
[ -e "$r/usr/lib/x86_64-linux-gnu/libibverbs/$(basename "$rxe")" ] || die "librxe not copied"
# busybox for the small tools (mount, sleep, base64, ...); dash runs scripts,
# so the real ip, tc and rdma are used and not busybox's applets.
mkdir -p "$r/bin/bb"
cp "$x/bin/busybox" "$r/bin/busybox"
for a in $("$r/bin/busybox" --list); do
    ln -sf ../busybox "$r/bin/bb/$a"
done
ln -sf dash "$r/bin/sh"
for m in modprobe insmod lsmod; do ln -sf kmod "$r/bin/$m"; done
mkdir -p "$r"/{proc,sys,dev,tmp,run,etc,sbin,usr/sbin}
echo "root:x:0:0:root:/root:/bin/sh" >"$r/etc/passwd"
echo "root:x:0:" >"$r/etc/group"

# Kernel modules.
kdir=$(ls -d "$x"/lib/modules/*/ | head -n1)
kver=$(basename "$kdir")
cp "$x/boot/vmlinuz-$kver" "$cache/vmlinuz"
# Debian's own depmod (from the fetched kmod, run here): the package ships
# no modules.dep, its postinst makes it.
depmod() {
    LD_LIBRARY_PATH="$r/lib/x86_64-linux-gnu:$r/usr/lib/x86_64-linux-gnu" \
        "$r/lib64/ld-linux-x86-64.so.2" --argv0 depmod "$r/bin/kmod" "$@" || die "depmod $* failed"
}
depmod -b "$x" "$kver"
declare -A mods=()
add_mod() {
    local name=$1 path dep
    path=$(awk -F: -v n="$name" '{ f = $1; sub(".*/", "", f); sub("\\.ko.*", "", f); gsub("-", "_", f)
            if (f == n) { print $1; exit } }' "$kdir/modules.dep")
    if [ -z "$path" ]; then
        grep -qE "/${name//_/[_-]}\.ko" "$kdir/modules.builtin" ||
            die "kernel $kver has no module $name"
        return 0
    fi
    [ -n "${mods[$path]:-}" ] && return 0
    mods[$path]=1
    for dep in $(awk -F: -v p="$path" '$1 == p { print $2 }' "$kdir/modules.dep"); do
        dep=${dep##*/}; dep=${dep%%.ko*}
        add_mod "${dep//-/_}"
    done
}
for m in "${modules[@]}"; do add_mod "$m"; done
for path in "${!mods[@]}"; do
    mkdir -p "$r/lib/modules/$kver/$(dirname "$path")"
    cp "$kdir/$path" "$r/lib/modules/$kver/$path"
done
cp "$kdir"/modules.{order,builtin,builtin.modinfo} "$r/lib/modules/$kver/"
depmod -b "$r" "$kver"
cp "$here/guest-init" "$r/init"
chmod 755 "$r/init"

(cd "$r" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -1 >"$cache/initrd.gz.new"
mv "$cache/initrd.gz.new" "$cache/initrd.gz"
echo "$stamp" >"$cache/stamp"
rm -rf "$cache/x"
log "built $cache/vmlinuz ($kver) and initrd.gz ($(du -h "$cache/initrd.gz" | cut -f1)), ${#mods[@]} modules"

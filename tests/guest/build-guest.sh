#!/bin/sh
# Build emu's Linux test guest from Debian's packages (nothing else is
# downloaded):
#   OUT/vmlinuz     the kernel of Debian's linux-image-amd64
#                   (its dependency linux-image-<version>-amd64)
#   OUT/initrd.gz   a busybox-static initramfs whose /init is tests/guest/init
#                   and which holds /bin/cpubench and /bin/diskbench
#   OUT/cpubench    tests/guest/cpubench.c, static, for running on the host
#   OUT/diskbench   tests/guest/diskbench.c, static, for running on the host
#   OUT/modules/    the kernel's modules the guest loads at boot (Debian
#                   builds them as modules, not into the kernel): IDE/ATA
#                   disks and CD-ROMs, virtio PCI, blk, balloon, console, rng;
#                   with their dependencies; load-order lists them
#   OUT/stamp       what was built from what
#
#   tests/guest/build-guest.sh [OUT]        OUT defaults to build/guest
#
# Idempotent: when the outputs exist and were built from the current
# init, cpubench.c, diskbench.c and this script, it does nothing.  The
# kernel and busybox are extracted once and cached in OUT; GUEST_REFRESH=1
# fetches them again (e.g. after Debian published a new kernel).
# GUEST_KERNEL_PKG=name picks a kernel package other than
# linux-image-amd64's dependency.
#
# Needs apt-get and dpkg-deb; installs cpio if missing (root or sudo, as
# scripts/install-deps.sh does) and runs "apt-get update" once if apt does
# not know the packages yet.  On failure: one line naming the step, exit 1.
set -u

srcdir=$(cd "$(dirname "$0")" && pwd)
out=${1:-build/guest}
tmp=

fail() {
    echo "build-guest: $*" >&2
    [ -n "$tmp" ] && rm -rf "$tmp"
    exit 1
}

mkdir -p "$out" 2>/dev/null || fail "cannot create output directory '$out'"
out=$(cd "$out" && pwd) || fail "cannot enter '$out'"

for f in init cpubench.c diskbench.c build-guest.sh; do
    [ -r "$srcdir/$f" ] || fail "missing source file $srcdir/$f"
done
inputs=$(cat "$srcdir/build-guest.sh" "$srcdir/init" "$srcdir/cpubench.c" \
             "$srcdir/diskbench.c" |
         sha256sum | cut -c1-64)

if [ "${GUEST_REFRESH:-0}" != 1 ] &&
   [ -s "$out/vmlinuz" ] && [ -s "$out/initrd.gz" ] && [ -x "$out/cpubench" ] &&
   [ -x "$out/diskbench" ] &&
   [ -s "$out/modules/load-order" ] &&
   [ -f "$out/stamp" ] && grep -qx "inputs=$inputs" "$out/stamp"; then
    echo "build-guest: up to date: $out ($(sed -n 's/^kernel=//p' "$out/stamp"))"
    exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/emu-guest.XXXXXX") || fail "mktemp failed"
# apt-get download, when run as root, hands the download to the _apt user,
# which must be able to write here.
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
log=$tmp/log

SUDO=
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || SUDO=false
    [ "$SUDO" = false ] || SUDO=sudo
fi

apt_updated=0
apt_update() {
    [ $apt_updated = 1 ] && return 0
    apt_updated=1
    echo "build-guest: apt-get update" >&2
    $SUDO apt-get update -qq >"$log" 2>&1 ||
        fail "apt-get update failed: $(tail -n 1 "$log")"
}

# last_line FILE: the last non-empty line, for one-line error messages.
last_line() {
    grep -v '^[[:space:]]*$' "$1" | tail -n 1
}

# fetch PKG DIR: download PKG's .deb into DIR (apt-get update once if apt
# does not know it) and print the path of the .deb.
fetch() {
    mkdir -p "$2" && chmod 755 "$2"
    if ! (cd "$2" && apt-get download -qq "$1") >"$log" 2>&1; then
        apt_update
        (cd "$2" && apt-get download -qq "$1") >"$log" 2>&1 ||
            fail "apt-get download $1 failed: $(last_line "$log")"
    fi
    set -- "$2"/*.deb
    [ -f "$1" ] || fail "apt-get download left no .deb in $2"
    echo "$1"
}

# --- tools ------------------------------------------------------------------
for t in apt-get apt-cache dpkg-deb gzip sha256sum gcc; do
    command -v $t >/dev/null 2>&1 || fail "needs '$t' (a Debian host with build-essential)"
done
if ! command -v cpio >/dev/null 2>&1; then
    [ "$SUDO" = false ] && fail "needs cpio; install it (apt-get install cpio) as root"
    echo "build-guest: installing cpio"
    if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
            --no-install-recommends cpio >"$log" 2>&1; then
        apt_update
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
            --no-install-recommends cpio >"$log" 2>&1 ||
            fail "apt-get install cpio failed: $(last_line "$log")"
    fi
fi

# --- kernel -----------------------------------------------------------------
# The modules /init loads (by file name without .ko; "-" and "_" are the
# same to the kernel).  Their dependencies are added from each module's
# modinfo "depends=".  crct10dif_generic and crc64_rocksoft_generic are soft
# dependencies of sd_mod's t10-pi (found through the crypto API, which would
# otherwise ask a modprobe the guest cannot run).
guest_modules="crct10dif_generic crc64_rocksoft_generic cdrom sd_mod sr_mod
ata_piix virtio_pci virtio_blk virtio_balloon virtio_console virtio_rng"
modlist=$(echo "$guest_modules" | tr '\n' ' ' | sed 's/ *$//')

modules_ok() {
    [ -s "$out/modules/load-order" ] && [ -f "$out/modules/list" ] &&
        [ "$(cat "$out/modules/list" 2>/dev/null)" = "$modlist" ] &&
        [ "$(cat "$out/modules/kernel" 2>/dev/null)" = "$(cat "$out/vmlinuz.pkg" 2>/dev/null)" ]
}

# pick_modules TREE DEST: copy the modules named in $guest_modules and
# their dependencies from the kernel tree TREE (lib/modules/VER) to DEST,
# writing DEST/load-order (dependencies first).
pick_modules() {
    find "$1/kernel" -name '*.ko' >"$tmp/ko-files" || return 1
    : >"$tmp/ko-done"
    : >"$2/load-order"
    for m in $guest_modules; do
        add_module "$1" "$2" "$(echo "$m" | tr - _)" 0 || return 1
    done
}

# ko_path NAME: the path of module NAME (with "_" for "-") in $tmp/ko-files.
ko_path() {
    sed 's|.*/||; s|\.ko$||' "$tmp/ko-files" | tr - _ | grep -nx "$1" |
        head -n 1 | cut -d: -f1 | { read -r line && sed -n "${line}p" "$tmp/ko-files"; }
}

# add_module TREE DEST NAME DEPTH: NAME after its dependencies.  (Shell
# functions share variables: nothing set here is used after a recursion.)
add_module() {
    grep -qx "$3" "$tmp/ko-done" && return 0
    [ "$4" -gt 16 ] && { echo "module dependency loop at $3" >"$log"; return 1; }
    f=$(ko_path "$3")
    [ -n "$f" ] || { echo "module $3 not in the kernel package" >"$log"; return 1; }
    for d in $(tr '\0' '\n' <"$f" | sed -n 's/^depends=//p' | tr ,- ' _'); do
        add_module "$1" "$2" "$d" $(($4 + 1)) || return 1
    done
    cp "$(ko_path "$3")" "$2/$3.ko" || return 1
    echo "$3" >>"$tmp/ko-done"
    echo "$3.ko" >>"$2/load-order"
}

if [ "${GUEST_REFRESH:-0}" = 1 ] || [ ! -s "$out/vmlinuz" ] || [ ! -s "$out/vmlinuz.pkg" ] ||
   ! modules_ok; then
    kpkg=${GUEST_KERNEL_PKG:-}
    if [ -z "$kpkg" ]; then
        deps=$(apt-cache depends linux-image-amd64 2>/dev/null)
        if [ -z "$deps" ]; then
            apt_update
            deps=$(apt-cache depends linux-image-amd64 2>/dev/null)
        fi
        kpkg=$(echo "$deps" |
               sed -n 's/^ *|\{0,1\}Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' |
               head -n 1)
        [ -n "$kpkg" ] || fail "cannot find the kernel package linux-image-amd64 depends on"
    fi
    echo "build-guest: fetching $kpkg"
    deb=$(fetch "$kpkg" "$tmp/kdeb") || exit 1
    kver=$(dpkg-deb -f "$deb" Version) || fail "cannot read the version of $deb"
    dpkg-deb -x "$deb" "$tmp/kernel" 2>"$log" ||
        fail "dpkg-deb -x $deb failed: $(last_line "$log")"
    set -- "$tmp"/kernel/boot/vmlinuz-*
    if [ $# -ne 1 ] || [ ! -f "$1" ]; then
        fail "$kpkg holds no single /boot/vmlinuz-*"
    fi
    if ! { cp "$1" "$out/vmlinuz.tmp" && mv "$out/vmlinuz.tmp" "$out/vmlinuz"; }; then
        fail "cannot write $out/vmlinuz"
    fi
    set -- "$tmp"/kernel/lib/modules/*/kernel
    [ -d "$1" ] || fail "$kpkg holds no /lib/modules/*/kernel"
    if ! { rm -rf "$out/modules.tmp" && mkdir -p "$out/modules.tmp"; }; then
        fail "cannot create $out/modules.tmp"
    fi
    pick_modules "${1%/kernel}" "$out/modules.tmp" ||
        fail "collecting the guest's kernel modules failed: $(last_line "$log")"
    echo "$modlist" >"$out/modules.tmp/list"
    echo "$kpkg $kver" >"$out/modules.tmp/kernel"
    echo "$kpkg $kver" >"$out/vmlinuz.pkg"
    if ! { rm -rf "$out/modules" && mv "$out/modules.tmp" "$out/modules"; }; then
        fail "cannot write $out/modules"
    fi
    rm -rf "$tmp/kdeb" "$tmp/kernel"
fi

# --- busybox ----------------------------------------------------------------
if [ "${GUEST_REFRESH:-0}" = 1 ] || [ ! -s "$out/busybox" ] || [ ! -s "$out/busybox.pkg" ]; then
    echo "build-guest: fetching busybox-static"
    deb=$(fetch busybox-static "$tmp/bdeb") || exit 1
    bver=$(dpkg-deb -f "$deb" Version) || fail "cannot read the version of $deb"
    dpkg-deb -x "$deb" "$tmp/bb" 2>"$log" ||
        fail "dpkg-deb -x $deb failed: $(last_line "$log")"
    [ -x "$tmp/bb/bin/busybox" ] || fail "busybox-static holds no /bin/busybox"
    if ! { cp "$tmp/bb/bin/busybox" "$out/busybox.tmp" &&
           mv "$out/busybox.tmp" "$out/busybox"; }; then
        fail "cannot write $out/busybox"
    fi
    echo "busybox-static $bver" >"$out/busybox.pkg"
    rm -rf "$tmp/bdeb" "$tmp/bb"
fi

# --- cpubench ---------------------------------------------------------------
gcc -static -O2 -Wall -Wextra -Werror -o "$out/cpubench.tmp" "$srcdir/cpubench.c" \
    >"$log" 2>&1 ||
    fail "gcc -static cpubench.c failed (libc6-dev installed?): $(last_line "$log")"
mv "$out/cpubench.tmp" "$out/cpubench"
gcc -static -O2 -Wall -Wextra -Werror -o "$out/diskbench.tmp" "$srcdir/diskbench.c" \
    >"$log" 2>&1 ||
    fail "gcc -static diskbench.c failed (libc6-dev installed?): $(last_line "$log")"
mv "$out/diskbench.tmp" "$out/diskbench"

# --- initramfs --------------------------------------------------------------
st=$tmp/root
mkdir -p "$st/bin" "$st/sbin" "$st/usr/bin" "$st/usr/sbin" "$st/dev" "$st/proc" \
         "$st/sys" "$st/tmp" "$st/run" "$st/etc" "$st/root" || fail "mkdir in $tmp failed"
if ! { cp "$srcdir/init" "$st/init" && chmod 755 "$st/init" &&
        cp "$out/busybox" "$st/bin/busybox" && chmod 755 "$st/bin/busybox" &&
        cp "$out/cpubench" "$st/bin/cpubench" &&
        cp "$out/diskbench" "$st/bin/diskbench" &&
        ln -s busybox "$st/bin/sh"; }; then
    fail "cannot populate the initramfs tree in $tmp"
fi
if ! { mkdir -p "$st/lib/modules" &&
        cp "$out"/modules/*.ko "$out/modules/load-order" "$st/lib/modules/"; }; then
    fail "cannot copy the kernel modules into the initramfs tree"
fi
chmod 1777 "$st/tmp"
# The kernel opens /dev/console before running /init; creating the node
# needs root.  Without it, /init takes the console after mounting devtmpfs.
[ "$(id -u)" -eq 0 ] && mknod -m 600 "$st/dev/console" c 5 1 2>/dev/null
# Fixed timestamps, order and inode numbers: the same inputs give the
# same archive, byte for byte.
find "$st" -exec touch -h -d @0 {} + 2>/dev/null
repro=
cpio --help 2>/dev/null | grep -q -- --reproducible && repro=--reproducible
# shellcheck disable=SC2086 # $repro is empty or one word
if ! (cd "$st" && find . -mindepth 1 | LC_ALL=C sort |
      cpio -o -H newc -R 0:0 --quiet $repro 2>"$log" |
      gzip -9 -n) >"$out/initrd.gz.tmp" || [ -s "$log" ]; then
    fail "cpio failed: $(last_line "$log")"
fi
mv "$out/initrd.gz.tmp" "$out/initrd.gz" || fail "cannot write $out/initrd.gz"

{
    echo "inputs=$inputs"
    echo "kernel=$(cat "$out/vmlinuz.pkg")"
    echo "busybox=$(cat "$out/busybox.pkg")"
} >"$out/stamp"
echo "build-guest: built $out/vmlinuz, initrd.gz, cpubench, diskbench ($(cat "$out/vmlinuz.pkg"))"

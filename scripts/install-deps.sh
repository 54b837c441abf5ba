#!/bin/sh
# Install emu's Debian build and test dependencies (idempotent: only what
# is missing is installed).  Needs root or sudo.
set -e

# seabios and qemu-system-data: the pc machine's firmware (bios-256k.bin,
# linuxboot_dma.bin), used at run time; cpio builds the test guest;
# qemu-utils (qemu-img) is the qcow2 referee of the interop tests; mtools,
# dosfstools, syslinux, isolinux, xorriso and fdisk build bootable test
# disk and CD images without root; acpica-tools (iasl) checks the DSDT.
PKGS="build-essential pkg-config libjson-c-dev libcmocka-dev
libpixman-1-dev libsdl2-dev libslirp-dev libpng-dev libcapstone-dev
libfdt-dev libzstd-dev zlib1g-dev linux-libc-dev python3 socat
seabios qemu-system-data cpio
qemu-utils mtools dosfstools syslinux syslinux-common isolinux xorriso
fdisk acpica-tools"

missing=
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    echo "install-deps: all build dependencies present"
    exit 0
fi

echo "install-deps: installing:$missing"
SUDO=
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing

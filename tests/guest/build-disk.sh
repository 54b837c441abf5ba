#!/bin/sh
# Build boot media for emu's Linux test guest, without root, from the
# guest that tests/guest/build-guest.sh left in OUT (vmlinuz, initrd.gz):
#   OUT/disk.raw     64 MiB, MBR partition table (syslinux's mbr.bin):
#                    1: FAT16, bootable, 48 MiB at 1 MiB: syslinux (installed
#                       with mtools), vmlinuz, initrd.gz, syslinux.cfg
#                    2: type 83, the remaining 15 MiB, zeros: for write tests
#   OUT/disk.qcow2   the same, through "emu-img convert -O qcow2"
#   OUT/boot.iso     ISO 9660 made by xorriso, El Torito no-emulation boot
#                    with isolinux: the same kernel and initrd
#   OUT/disk.stamp   what was built from what
#
#   tests/guest/build-disk.sh [OUT]       OUT defaults to build/guest
#
# Both boot the guest's default entry: console=ttyS0, the busybox shell
# (tests/guest/init), which prints EMU-GUEST-READY.  syslinux also talks on
# COM1 (SERIAL 0), so its banner shows with -nographic.
#
# Idempotent: does nothing when the outputs exist and were built from the
# current vmlinuz, initrd.gz, syslinux and this script.  emu-img is
# OUT/../emu-img (the build directory), or $EMU_IMG.
# Needs syslinux, syslinux-common, isolinux, mtools, dosfstools, fdisk
# (sfdisk) and xorriso (scripts/install-deps.sh); on failure: one line
# naming the step, exit 1.
set -u

srcdir=$(cd "$(dirname "$0")" && pwd)
out=${1:-build/guest}
tmp=

fail() {
    echo "build-disk: $*" >&2
    [ -n "$tmp" ] && rm -rf "$tmp"
    exit 1
}

[ -d "$out" ] || fail "no guest directory '$out' (run tests/guest/build-guest.sh first)"
out=$(cd "$out" && pwd) || fail "cannot enter '$out'"
for f in vmlinuz initrd.gz; do
    [ -s "$out/$f" ] || fail "no $out/$f (run tests/guest/build-guest.sh first)"
done

emu_img=${EMU_IMG:-$(dirname "$out")/emu-img}
[ -x "$emu_img" ] || fail "no emu-img at $emu_img (build emu first, or set EMU_IMG)"

MBR_BIN=/usr/lib/syslinux/mbr/mbr.bin
ISOLINUX_BIN=/usr/lib/ISOLINUX/isolinux.bin
LDLINUX_C32=/usr/lib/syslinux/modules/bios/ldlinux.c32
for t in syslinux mcopy mmd mformat sfdisk xorriso sha256sum dd truncate; do
    command -v $t >/dev/null 2>&1 ||
        fail "needs '$t' (apt-get install syslinux syslinux-common isolinux mtools fdisk xorriso)"
done
command -v mkfs.vfat >/dev/null 2>&1 || [ -x /usr/sbin/mkfs.vfat ] || [ -x /sbin/mkfs.vfat ] ||
    fail "needs mkfs.vfat (apt-get install dosfstools)"
for f in $MBR_BIN $ISOLINUX_BIN $LDLINUX_C32; do
    [ -r "$f" ] || fail "missing $f (apt-get install syslinux-common isolinux)"
done
mkfs_vfat=$(command -v mkfs.vfat || echo /usr/sbin/mkfs.vfat)
[ -x "$mkfs_vfat" ] || mkfs_vfat=/sbin/mkfs.vfat

syslinux_ver=$(syslinux --version 2>&1 | head -n 1)
inputs=$({ cat "$srcdir/build-disk.sh" "$out/vmlinuz" "$out/initrd.gz" \
               $MBR_BIN $ISOLINUX_BIN $LDLINUX_C32
           echo "$syslinux_ver"; } | sha256sum | cut -c1-64)

if [ -s "$out/disk.raw" ] && [ -s "$out/disk.qcow2" ] && [ -s "$out/boot.iso" ] &&
   [ -f "$out/disk.stamp" ] && grep -qx "inputs=$inputs" "$out/disk.stamp"; then
    echo "build-disk: up to date: $out/disk.raw, disk.qcow2, boot.iso"
    exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/emu-disk.XXXXXX") || fail "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
log=$tmp/log

last_line() {
    grep -v '^[[:space:]]*$' "$1" | tail -n 1
}

# step NAME CMD...: run CMD, failing with NAME and its last output line.
step() {
    name=$1
    shift
    "$@" >"$log" 2>&1 || fail "$name failed: $(last_line "$log")"
}

# Fixed timestamps (2020-01-01; mkfs.vfat, mtools and xorriso honour it), so the same
# inputs give the same images.
SOURCE_DATE_EPOCH=1577836800
export SOURCE_DATE_EPOCH
# mtools: no ~/.mtoolsrc surprises, no complaints about geometry.
MTOOLSRC=/dev/null
MTOOLS_SKIP_CHECK=1
export MTOOLSRC MTOOLS_SKIP_CHECK

append="console=ttyS0 panic=-1"

# --- disk -------------------------------------------------------------------
disk_mib=64
fat_start=2048                  # sectors: partition 1 at 1 MiB
fat_sectors=98304               # 48 MiB
data_start=$((fat_start + fat_sectors))

fat=$tmp/fat.img
step "truncate" truncate -s $((fat_sectors * 512)) "$fat"
# -h: hidden sectors = the partition's LBA, which the boot sector adds.
step "mkfs.vfat" "$mkfs_vfat" -F 16 -h $fat_start -i 454d5530 -n EMUBOOT "$fat"
step "syslinux --install" syslinux --install "$fat"

cat >"$tmp/syslinux.cfg" <<EOF
SERIAL 0 115200
DEFAULT linux
PROMPT 0
TIMEOUT 0
LABEL linux
  KERNEL /vmlinuz
  INITRD /initrd.gz
  APPEND $append
EOF
step "mcopy to the FAT image" mcopy -i "$fat" -o "$out/vmlinuz" "$out/initrd.gz" \
    "$tmp/syslinux.cfg" ::/

disk=$tmp/disk.raw
step "truncate" truncate -s ${disk_mib}M "$disk"
printf 'label: dos\nlabel-id: 0x454d5530\nstart=%d, size=%d, type=e, bootable\nstart=%d, type=83\n' \
    $fat_start $fat_sectors $data_start >"$tmp/parts"
# shellcheck disable=SC2016 # $1 and $2 belong to the inner sh
step "sfdisk" sh -c 'sfdisk --no-reread --no-tell-kernel -q "$1" <"$2"' sh "$disk" "$tmp/parts"
step "writing mbr.bin" dd if=$MBR_BIN of="$disk" bs=440 count=1 conv=notrunc
step "writing the FAT partition" dd if="$fat" of="$disk" bs=1M seek=1 conv=notrunc

# --- qcow2 ------------------------------------------------------------------
step "emu-img convert -O qcow2" "$emu_img" convert -f raw -O qcow2 "$disk" "$tmp/disk.qcow2"

# --- ISO --------------------------------------------------------------------
iso=$tmp/iso
mkdir -p "$iso/isolinux" || fail "mkdir in $tmp failed"
cat >"$iso/isolinux/isolinux.cfg" <<EOF
SERIAL 0 115200
DEFAULT linux
PROMPT 0
TIMEOUT 0
LABEL linux
  KERNEL /vmlinuz
  INITRD /initrd.gz
  APPEND $append
EOF
if ! { cp $ISOLINUX_BIN $LDLINUX_C32 "$iso/isolinux/" &&
        cp "$out/vmlinuz" "$out/initrd.gz" "$iso/"; }; then
    fail "cannot populate the ISO tree in $tmp"
fi
step "xorriso" xorriso -as mkisofs -quiet -o "$tmp/boot.iso" -V EMU_GUEST -J -R \
    -b isolinux/isolinux.bin -c isolinux/boot.cat \
    -no-emul-boot -boot-load-size 4 -boot-info-table "$iso"

# --- install ----------------------------------------------------------------
for f in disk.raw disk.qcow2 boot.iso; do
    mv "$tmp/$f" "$out/$f" || fail "cannot write $out/$f"
done
{
    echo "inputs=$inputs"
    echo "syslinux=$syslinux_ver"
    echo "kernel=$(cat "$out/vmlinuz.pkg" 2>/dev/null)"
} >"$out/disk.stamp"
echo "build-disk: built $out/disk.raw, disk.qcow2, boot.iso"

#!/bin/sh
# Build the KVM guest test programs (tests/kvm/*.S) into flat 64 KiB
# BIOS images: tests/kvm/build.sh OUTDIR.  Exit 77 when the assembler
# or linker is missing (the caller skips), 1 on a build error.
set -e
src=$(cd "$(dirname "$0")" && pwd)
out=${1:-build/tests/kvm}
CC=${CC:-cc}
LD=${LD:-ld}
if ! command -v "$CC" >/dev/null 2>&1 || ! command -v "$LD" >/dev/null 2>&1
then
    echo "SKIP: $CC or $LD not found" >&2
    exit 77
fi
mkdir -p "$out"
for f in "$src"/*.S; do
    name=$(basename "$f" .S)
    # rebuild only what changed (or when an include did)
    fresh=1
    for dep in "$f" "$src"/*.inc; do
        [ "$out/$name.bin" -nt "$dep" ] || fresh=0
    done
    if [ $fresh = 1 ]; then
        continue
    fi
    "$CC" -c -I"$src" -o "$out/$name.o" "$f"
    # the image starts at offset 0 of the ROM; there is no ELF entry
    "$LD" -m elf_x86_64 -e 0 -Ttext=0 --oformat binary -o "$out/$name.bin.tmp" \
        "$out/$name.o"
    size=$(wc -c < "$out/$name.bin.tmp")
    if [ "$size" -ne 65536 ]; then
        echo "$name: image is $size bytes, expected 65536" >&2
        exit 1
    fi
    mv "$out/$name.bin.tmp" "$out/$name.bin"
done

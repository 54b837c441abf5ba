"""SeaBIOS boots from the IDE disk and from the IDE CD-ROM.

Builds a 512-byte boot sector with `as`: it reads one more sector through
INT 13h (extended read), checks five bytes of it and prints a marker on
COM1, then ends emu through isa-debug-exit.  The disk variant reads LBA 5
of the raw disk (where the test put "DISK5"); the CD variant is an El
Torito no-emulation image made with xorriso and reads the ISO 9660
volume descriptor at LBA 16 ("CD001").  Runs under the translator and,
where /dev/kvm is usable, under KVM; a qcow2 copy of the disk (qemu-img
convert) boots too once emu opens qcow2.  Skips without as/xorriso.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from emutest import EMU, Failure, check, kvm_usable, need_emu  # noqa: E402

GUEST = os.path.join(os.path.dirname(os.path.abspath(EMU)), "guest")
# Linux's PATA/ATAPI stack in load order, when BUILD/guest/modules has no
# load-order list (EMU_IDE_MODULES=DIR with these names for manual runs)
IDE_MODULES = ["scsi_common", "scsi_mod", "libata", "ata_piix", "cdrom",
               "sr_mod", "crct10dif_common", "crc-t10dif", "crc64",
               "crc64-rocksoft", "t10-pi", "sd_mod", "isofs"]
# /init may have loaded them already: insmod then just fails quietly
LINUX_SCRIPT = r"""#!/bin/sh
cd /ide-modules
for m in $(cat load-order); do insmod $m 2>/dev/null; done
sleep 2
dmesg | grep -E "ata[0-9]|sd 0|sr 1"
sector() { dd if=/dev/sda bs=512 skip=$1 count=1 2>/dev/null | head -c $2; }
echo "MAGIC: $(sector 1000 16)"
echo "EMU-WRITE-TEST-12345" | dd of=/dev/sda bs=512 seek=2000 conv=sync
sync
echo 3 > /proc/sys/vm/drop_caches
echo "READBACK: $(sector 2000 20)"
echo "PVD: $(dd if=/dev/sr0 bs=2048 skip=16 count=1 2>/dev/null | head -c 6)"
echo "SUM: $(dd if=/dev/sr0 bs=64k 2>/dev/null | md5sum)"
# the file system too, where the guest has isofs
mkdir -p /mnt
mount -t iso9660 -o ro /dev/sr0 /mnt 2>/dev/null &&
    echo "ISO: $(cat /mnt/hello.txt)" && umount /mnt
exit 0
"""

MARK_OK = b"EMU-IDE-BOOT-OK"
MARK_BAD = b"EMU-IDE-BOOT-BAD"
EXIT_CODE = (0x31 << 1) | 1          # isa-debug-exit: (value << 1) | 1

BOOT_ASM = r"""
    .code16
    .globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $0x7c00, %sp
    sti
    mov $dap, %si
    mov $0x42, %ah
    int $0x13
    jc bad
    mov $0x8000 + CHECK_OFF, %si
    mov $expect, %di
    mov $5, %cx
    cld
    repe cmpsb
    jne bad
    mov $ok_msg, %si
    jmp print
bad:
    mov $bad_msg, %si
print:
    lodsb
    test %al, %al
    jz done
    mov %al, %bl
    mov $0x3fd, %dx
1:  in %dx, %al
    test $0x20, %al
    jz 1b
    mov $0x3f8, %dx
    mov %bl, %al
    out %al, %dx
    jmp print
done:
    mov $0xf4, %dx
    mov $0x31, %al
    out %al, %dx
2:  hlt
    jmp 2b
    .p2align 2
dap:
    .byte 0x10, 0
    .word 1
    .word 0x8000, 0
    .quad CHECK_LBA
expect:
    .ascii CHECK_STR
ok_msg:
    .asciz "\r\nEMU-IDE-BOOT-OK\r\n"
bad_msg:
    .asciz "\r\nEMU-IDE-BOOT-BAD\r\n"
    . = _start + 510
    .byte 0x55, 0xaa
"""


def assemble(workdir, name, lba, off, string):
    src = os.path.join(workdir, name + ".S")
    obj = os.path.join(workdir, name + ".o")
    elf = os.path.join(workdir, name + ".elf")
    out = os.path.join(workdir, name + ".bin")
    with open(src, "w") as f:
        f.write('#define CHECK_LBA %d\n#define CHECK_OFF %d\n'
                '#define CHECK_STR "%s"\n' % (lba, off, string))
        f.write(BOOT_ASM)
    subprocess.run(["cc", "-E", "-P", "-x", "assembler-with-cpp", src,
                    "-o", src + ".s"], check=True)
    subprocess.run(["as", "--32", "-o", obj, src + ".s"], check=True)
    subprocess.run(["ld", "-m", "elf_i386", "-Ttext", "0x7c00", "-e",
                    "_start", "-o", elf, obj], check=True)
    subprocess.run(["objcopy", "-O", "binary", "-j", ".text", elf, out],
                   check=True)
    with open(out, "rb") as f:
        data = f.read()
    check(len(data) == 512 and data[510:] == b"\x55\xaa",
          "boot sector is %d bytes" % len(data))
    return data


def boot(args, timeout=60):
    """Run emu until it exits; returns (exit status, serial output)."""
    start = time.time()
    p = subprocess.run([EMU, "-M", "pc", "-m", "64", "-display", "none",
                        "-serial", "stdio", "-net", "none",
                        "-device", "isa-debug-exit,iobase=0xf4,iosize=4"] +
                       args, stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=timeout)
    took = time.time() - start
    return p.returncode, p.stdout, p.stderr, took


def qcow2_unsupported(path):
    """None if emu opens a qcow2 image, else its one-line complaint."""
    p = subprocess.Popen([EMU, "-M", "pc", "-accel", "tcg", "-S",
                          "-display", "none", "-net", "none", "-drive",
                          "file=%s,format=qcow2,if=ide" % path],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        _, err = p.communicate(timeout=3)
        return err.decode(errors="replace").strip() or \
            "exit status %d" % p.returncode
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        return None


def expect_boot(what, args):
    try:
        rc, out, err, took = boot(args)
    except subprocess.TimeoutExpired:
        raise Failure("%s: no exit within the time limit" % what)
    check(MARK_OK in out,
          "%s: no marker (rc %d) serial tail %r stderr %r" %
          (what, rc, out[-300:], err[-300:]))
    check(rc == EXIT_CODE, "%s: exit status %d" % (what, rc))
    print("ok - %s (%.2f s)" % (what, took))


def cpio_newc(files):
    """An uncompressed newc archive of (name, mode, data) entries."""
    out = bytearray()
    for ino, (name, mode, data) in enumerate(files + [("TRAILER!!!", 0, b"")]):
        nm = name.encode() + b"\0"
        out += b"070701" + b"".join(b"%08X" % v for v in (
            ino + 1, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(nm), 0))
        out += nm
        out += b"\0" * (-len(out) % 4)
        out += data
        out += b"\0" * (-len(out) % 4)
    return bytes(out)


def linux_case(work, disk, iso):
    """Linux's ata_piix, sd and sr drivers on emu's IDE (TCG).  Needs the
    test guest and its kernel's modules in BUILD/guest/modules."""
    moddir = os.environ.get("EMU_IDE_MODULES") or \
        os.path.join(GUEST, "modules")
    kernel = os.path.join(GUEST, "vmlinuz")
    initrd = os.path.join(GUEST, "initrd.gz")
    order_file = os.path.join(moddir, "load-order")
    if os.path.exists(order_file):
        with open(order_file) as f:
            order = f.read().split()
    else:
        order = [m + ".ko" for m in IDE_MODULES]
    mods = [os.path.join(moddir, m) for m in order]
    names = set(m.replace("-", "_") for m in order)
    missing = [m for m in [kernel, initrd] + mods if not os.path.exists(m)]
    missing += [m for m in ("libata.ko", "ata_piix.ko", "sd_mod.ko",
                            "sr_mod.ko") if m not in names]
    if missing:
        print("# SKIP linux: %s missing (the test guest with its IDE "
              "modules)" % missing[0])
        return
    files = [("ide-modules", 0o40755, b""),
             ("ide-modules/load-order", 0o100644,
              "\n".join(order).encode() + b"\n"),
             ("ide.sh", 0o100755, LINUX_SCRIPT.encode())]
    for m in mods:
        with open(m, "rb") as f:
            files.append(("ide-modules/" + os.path.basename(m), 0o100644,
                          f.read()))
    with open(initrd, "rb") as f:
        base = f.read()
    # the kernel unpacks concatenated archives; zeros pad to 4 bytes
    merged = os.path.join(work, "initrd-ide")
    with open(merged, "wb") as f:
        f.write(base + b"\0" * (-len(base) % 4) + cpio_newc(files))
    ldisk = os.path.join(work, "linux-disk.img")
    with open(ldisk, "wb") as f:
        f.truncate(64 * 1024 * 1024)
        f.seek(1000 * 512)
        f.write(b"EMU-DISK-MAGIC!!")
    start = time.time()
    log = os.path.join(work, "linux.log")
    with open(log, "wb") as f:
        p = subprocess.Popen([EMU, "-M", "pc", "-accel", "tcg", "-m", "512",
                              "-nographic", "-no-reboot", "-net", "none",
                              "-kernel", kernel, "-initrd", merged, "-append",
                              "console=ttyS0 panic=-1 emu.run=/ide.sh",
                              "-drive", "file=%s,format=raw,if=ide,index=0"
                              % ldisk, "-drive", "file=%s,format=raw,"
                              "if=ide,index=2,media=cdrom" % iso],
                             stdin=subprocess.DEVNULL, stdout=f,
                             stderr=subprocess.STDOUT)
        try:
            p.wait(timeout=240)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    with open(log, "rb") as f:
        out = f.read().decode(errors="replace")
    with open(iso, "rb") as f:
        want_sum = hashlib.md5(f.read()).hexdigest()
    for want in ("ATA-7: EMU HARDDISK", "ATAPI: EMU DVD-ROM",
                 "131072 sectors, multi 16: LBA48",
                 "Attached scsi CD-ROM sr0", "MAGIC: EMU-DISK-MAGIC!!",
                 "READBACK: EMU-WRITE-TEST-12345", "PVD: \x01CD001",
                 "SUM: " + want_sum, "EMU-RUN-EXIT 0"):
        check(want in out, "linux: %r missing; console tail:\n%s" %
              (want, out[-2000:]))
    print("ok - tcg: Linux ata_piix/sd/sr read and write the disk, read "
          "the whole CD%s (%.1f s)" % (", mount it" if "ISO: hello" in out
                                      else "", time.time() - start))


def main():
    need_emu()
    for tool in ("as", "ld", "objcopy", "cc", "xorriso"):
        if not shutil.which(tool):
            print("SKIP: %s not installed" % tool)
            sys.exit(77)
    work = tempfile.mkdtemp(prefix="emu-ide-boot-")
    failed = 0
    try:
        disk = os.path.join(work, "disk.img")
        sector = assemble(work, "disk", 5, 0, "DISK5")
        with open(disk, "wb") as f:
            f.write(sector)
            f.write(b"\0" * (512 * 4))
            f.write(b"DISK5".ljust(512, b"\0"))
            f.truncate(8 * 1024 * 1024)

        isodir = os.path.join(work, "iso")
        os.mkdir(isodir)
        cd_sector = assemble(work, "cd", 16, 1, "CD001")
        with open(os.path.join(isodir, "boot.img"), "wb") as f:
            f.write(cd_sector.ljust(2048, b"\0"))
        with open(os.path.join(isodir, "hello.txt"), "w") as f:
            f.write("hello from the iso\n")
        with open(os.path.join(isodir, "big.bin"), "wb") as f:
            f.write(os.urandom(3 * 1024 * 1024 + 123))
        iso = os.path.join(work, "boot.iso")
        subprocess.run(["xorriso", "-as", "mkisofs", "-quiet", "-o", iso,
                        "-b", "boot.img", "-no-emul-boot",
                        "-boot-load-size", "4", isodir], check=True,
                       capture_output=True)

        accels = ["tcg"]
        why = kvm_usable()
        if why is None:
            accels.append("kvm")
        else:
            print("# SKIP kvm: %s" % why)

        cases = []
        for accel in accels:
            cases.append(("%s: -hda raw" % accel,
                          ["-accel", accel, "-drive",
                           "file=%s,format=raw,if=ide,index=0" % disk]))
            cases.append(("%s: -cdrom -boot d" % accel,
                          ["-accel", accel, "-cdrom", iso, "-boot", "d"]))

        qcow = os.path.join(work, "disk.qcow2")
        qcow_ok = False
        if shutil.which("qemu-img"):
            subprocess.run(["qemu-img", "convert", "-f", "raw", "-O",
                            "qcow2", disk, qcow], check=True)
            why = qcow2_unsupported(qcow)
            if why:
                print("# SKIP qcow2: %s" % why)
            else:
                qcow_ok = True
        else:
            print("# SKIP qcow2: qemu-img not installed")
        if qcow_ok:
            # the format layer is the same under both accelerators
            cases.append(("tcg: -hda qcow2", ["-accel", "tcg", "-hda", qcow]))

        for what, args in cases:
            try:
                expect_boot(what, args)
            except Failure as e:
                failed += 1
                print("not ok - %s" % e)
        try:
            linux_case(work, disk, iso)
        except (Failure, subprocess.TimeoutExpired) as e:
            failed += 1
            print("not ok - linux: %s" % e)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

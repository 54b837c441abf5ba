#!/usr/bin/env python3
"""The Linux test guest boots from disk images through SeaBIOS and
syslinux/isolinux (issue 6, guest-level acceptance).

Images come from tests/guest/build-disk.sh (BUILD/guest: disk.qcow2 with a
FAT boot partition and an empty second partition, boot.iso); the guest's
/init loads the ATA/SCSI modules, and the test types commands at its shell
over the serial console:

- `-hda disk.qcow2` (plus a raw and a qcow2 data disk) boots to the shell,
  Linux sees /dev/sda with the image's size; 1 MiB of random data written
  with dd + sync to the raw disk, the qcow2 disk and /dev/sda2 (inside
  disk.qcow2) is on the host after emu exits (qemu-img convert -O raw) and
  reads back the same in a second boot, which runs with `-accel hw` (on a
  host without vmx/svm that falls back to the translator).
- `-cdrom boot.iso -boot d` boots through isolinux; Linux sees /dev/sr0
  and reads the ISO's volume descriptor.
- Under `-accel kvm`, where /dev/kvm is usable: SeaBIOS reads the disk and
  starts syslinux (its banner appears); on hosts whose KVM cannot run the
  rest (PVM), Debian's QEMU stops at the same point, so only the banner is
  required, and only if QEMU (when installed) shows it too.

Skipped when the images are not built.
"""
import hashlib
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emutest  # noqa: E402
from emutest import check  # noqa: E402

BUILD = os.path.dirname(os.path.abspath(emutest.EMU))
GUEST = os.path.join(BUILD, "guest")
DISK_QCOW2 = os.path.join(GUEST, "disk.qcow2")
BOOT_ISO = os.path.join(GUEST, "boot.iso")
EMU_IMG = os.path.join(BUILD, "emu-img")
QEMU = shutil.which("qemu-system-x86_64")

DISK_SECTORS = 131072           # build-disk.sh: 64 MiB
DATA2_OFFSET = 100352 * 512     # build-disk.sh: partition 2
PATTERN_LEN = 1 << 20


def console(cmd, lines=(), until=None, timeout=120):
    """Run cmd (argv); once EMU-GUEST-READY appears, type lines at the
    guest's shell.  Returns (exit status or None if killed at `until`,
    console text)."""
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    out = b""
    typed = False
    end = time.time() + timeout
    status = None
    try:
        while True:
            if time.time() > end:
                raise emutest.Failure(
                    "timed out after %ds; console tail:\n%s" %
                    (timeout, out[-1500:].decode(errors="replace")))
            r, _, _ = select.select([p.stdout], [], [], 0.5)
            if r:
                data = os.read(p.stdout.fileno(), 65536)
                if not data:
                    break
                out += data
                if until and until.encode() in out:
                    break
                if lines and not typed and b"EMU-GUEST-READY" in out:
                    typed = True
                    time.sleep(0.5)
                    for line in lines:
                        p.stdin.write(line.encode() + b"\n")
                        p.stdin.flush()
                        time.sleep(0.3)
            elif p.poll() is not None:
                break
        if not until:
            status = p.wait(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return status, out.decode(errors="replace")


def emu_cmd(accel, *args):
    return [emutest.EMU, "-M", "pc", "-accel", accel, "-m", "512",
            "-nographic", "-no-reboot", "-net", "none"] + list(args)


def md5_file(path, offset=0, length=PATTERN_LEN):
    with open(path, "rb") as f:
        f.seek(offset)
        return hashlib.md5(f.read(length)).hexdigest()


def to_raw(img, tmp):
    """img converted to raw by qemu-img (emu-img where qemu-img is
    missing): the host's view of what the guest wrote."""
    tool = shutil.which("qemu-img") or EMU_IMG
    raw = os.path.join(tmp, os.path.basename(img) + ".raw")
    p = subprocess.run([tool, "convert", "-O", "raw", img, raw],
                       capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, "%s convert %s: %s" % (tool, img, p.stderr))
    return raw


def field(out, name, pattern):
    """The value printed as NAME=<value> by a typed command; the echo of
    the command line itself never matches, as it holds "$(" after '='."""
    m = re.findall(r"%s=(%s)" % (name, pattern), out)
    check(m, "no %s= line; console tail:\n%s" % (name, out[-2000:]))
    return m[-1]


def shell_done(status, out):
    check("EMU-GUEST-READY" in out, "no shell marker; tail:\n" + out[-2000:])
    check(status == 0, "emu exited %s after poweroff; tail:\n%s" %
          (status, out[-1500:]))


def test_hda_qcow2_persistence():
    tmp = tempfile.mkdtemp(prefix="emu-disk-")
    try:
        disk = os.path.join(tmp, "disk.qcow2")
        shutil.copyfile(DISK_QCOW2, disk)
        data_raw = os.path.join(tmp, "data.raw")
        with open(data_raw, "wb") as f:
            f.truncate(8 << 20)
        data_qcow2 = os.path.join(tmp, "data.qcow2")
        p = subprocess.run([EMU_IMG, "create", "-f", "qcow2", data_qcow2,
                            "8M"], capture_output=True, text=True, timeout=30)
        check(p.returncode == 0, "emu-img create: " + p.stderr)
        drives = ["-drive", "file=%s,format=qcow2,if=ide,index=0" % disk,
                  "-drive", "file=%s,format=raw,if=ide,index=1" % data_raw,
                  "-drive", "file=%s,format=qcow2,if=ide,index=3" % data_qcow2]

        # Boot 1: sizes, then the same random MiB to sdb, sdc and sda2.
        status, out = console(emu_cmd("tcg", *drives), lines=(
            "echo SIZE=$(cat /sys/block/sda/size) B=$(cat /sys/block/sdb/size)"
            " C=$(cat /sys/block/sdc/size)",
            "dd if=/dev/urandom of=/tmp/p bs=64k count=16 2>/dev/null",
            "for d in sdb sdc sda2; do dd if=/tmp/p of=/dev/$d bs=64k"
            " 2>/dev/null || echo DDFAIL=$d; done; sync",
            "echo SUM=$(md5sum </tmp/p | cut -c1-32)",
            "poweroff"))
        check("SYSLINUX" in out, "no syslinux banner; tail:\n" + out[-1500:])
        shell_done(status, out)
        check(field(out, "SIZE", r"\d+") == str(DISK_SECTORS),
              "Linux sees /dev/sda with a wrong size")
        check(field(out, "B", r"\d+") == str(16384), "wrong /dev/sdb size")
        check(field(out, "C", r"\d+") == str(16384), "wrong /dev/sdc size")
        check("DDFAIL=s" not in out, "a dd in the guest failed:\n" +
              out[-1500:])
        want = field(out, "SUM", "[0-9a-f]{32}")

        # The host sees the writes.
        check(md5_file(data_raw) == want, "data.raw lacks the guest's write")
        check(md5_file(to_raw(data_qcow2, tmp)) == want,
              "data.qcow2 lacks the guest's write")
        check(md5_file(to_raw(disk, tmp), DATA2_OFFSET) == want,
              "disk.qcow2 partition 2 lacks the guest's write")
        if shutil.which("qemu-img"):
            for img in (disk, data_qcow2):
                p = subprocess.run(["qemu-img", "check", img],
                                   capture_output=True, text=True, timeout=60)
                check(p.returncode == 0, "qemu-img check %s: %s%s" %
                      (img, p.stdout, p.stderr))

        # Boot 2, with -accel hw: the data reads back in the guest.
        status, out = console(emu_cmd("hw", *drives), lines=(
            "echo R1=$(head -c %d /dev/sdb | md5sum | cut -c1-32)"
            " R2=$(head -c %d /dev/sdc | md5sum | cut -c1-32)"
            " R3=$(head -c %d /dev/sda2 | md5sum | cut -c1-32)" %
            ((PATTERN_LEN,) * 3),
            "poweroff"))
        if "using the translator" not in out:
            # -accel hw chose KVM: whether Linux runs depends on the host.
            check("SYSLINUX" in out, "-accel hw (KVM): no syslinux banner")
            return
        shell_done(status, out)
        for name in ("R1", "R2", "R3"):
            check(field(out, name, "[0-9a-f]{32}") == want,
                  "%s: the data differs after a restart" % name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_cdrom_boot():
    status, out = console(emu_cmd("tcg", "-cdrom", BOOT_ISO, "-boot", "d"),
                          lines=(
        "echo SR0=$(cat /sys/block/sr0/size)"
        " VD=$(dd if=/dev/sr0 bs=2048 skip=16 count=1 2>/dev/null |"
        " head -c 6 | tail -c 5)",
        "poweroff"))
    check("ISOLINUX" in out, "no isolinux banner; tail:\n" + out[-1500:])
    shell_done(status, out)
    size = int(field(out, "SR0", r"\d+"))
    iso_sectors = os.path.getsize(BOOT_ISO) // 512
    check(size == iso_sectors, "/dev/sr0 has %d sectors, the ISO %d" %
          (size, iso_sectors))
    check(field(out, "VD", r"\w+") == "CD001",
          "/dev/sr0 sector 16 is not an ISO 9660 volume descriptor")


def syslinux_banner(cmd):
    _, out = console(cmd, until="SYSLINUX 6", timeout=60)
    return "SYSLINUX 6" in out, out


def test_kvm_starts_syslinux():
    why = emutest.kvm_usable()
    if why:
        print("# skipped: %s" % why)
        return
    args = ["-M", "pc", "-accel", "kvm", "-m", "512", "-nographic",
            "-no-reboot", "-net", "none", "-snapshot", "-hda", DISK_QCOW2]
    try:
        ok, out = syslinux_banner([emutest.EMU] + args)
    except emutest.Failure as e:
        ok, out = False, str(e)
    if ok:
        return
    if QEMU:
        try:
            qemu_ok, _ = syslinux_banner([QEMU] + args)
        except emutest.Failure:
            qemu_ok = False
        if not qemu_ok:
            print("# skipped: QEMU does not reach syslinux under KVM here")
            return
    raise emutest.Failure("under KVM no syslinux banner; tail:\n" +
                          out[-1500:])


if __name__ == "__main__":
    emutest.need_emu()
    missing = [f for f in (DISK_QCOW2, BOOT_ISO, EMU_IMG)
               if not os.path.exists(f)]
    if missing:
        print("SKIP: missing %s (tests/guest/build-disk.sh)" %
              ", ".join(missing))
        sys.exit(77)
    emutest.main([test_hda_qcow2_persistence, test_cdrom_boot,
                  test_kvm_starts_syslinux])

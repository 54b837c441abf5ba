#!/usr/bin/env python3
"""virtio-blk-pci with the Linux test guest under the translator:
`-drive file=disk.qcow2,if=virtio` shows up as /dev/vda of the image's
size; data written (and synced) in one boot is read back in the next;
`block_resize` over QMP while the guest runs changes
/sys/block/vda/size (config-change interrupt); qemu-img check (or
emu-img check) finds the image clean afterwards.

Skipped when the guest is not built (BUILD/guest).
"""
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emutest  # noqa: E402
from emutest import check  # noqa: E402

GUEST = os.environ.get("EMU_GUEST_DIR") or os.path.join(
    os.path.dirname(os.path.abspath(emutest.EMU)), "guest")
EMU_IMG = os.path.join(os.path.dirname(os.path.abspath(emutest.EMU)),
                       "emu-img")
TMP = tempfile.mkdtemp(prefix="emu-vblk-")
DISK = os.path.join(TMP, "disk.qcow2")
PATTERN = "emu-virtio-blk-pattern-4711"


def guest_args(run, extra=()):
    return ["-M", "pc", "-accel", "tcg", "-m", "512", "-nographic",
            "-no-reboot", "-net", "none",
            "-kernel", os.path.join(GUEST, "vmlinuz"),
            "-initrd", os.path.join(GUEST, "initrd.gz"),
            "-append", 'console=ttyS0 panic=-1 emu.run="%s"' % run,
            "-drive", "file=%s,if=virtio" % DISK] + list(extra)


def read_until(proc, out, want, timeout):
    """Read proc.stdout until want appears (or EOF); returns the text."""
    end = time.time() + timeout
    fd = proc.stdout.fileno()
    while time.time() < end:
        if want and want in out:
            return out
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            data = os.read(fd, 65536)
            if not data:
                return out
            out += data.decode(errors="replace")
        elif proc.poll() is not None:
            return out
    raise emutest.Failure("timed out waiting for %r; console tail:\n%s" %
                          (want, out[-1500:]))


def boot(run, timeout=120):
    p = subprocess.Popen([emutest.EMU] + guest_args(run),
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    try:
        out = read_until(p, "", None, timeout)
        status = p.wait(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    tail = out[-2000:]
    check("EMU-RUN-EXIT 0" in out, "guest command failed:\n" + tail)
    check(status == 0, "emu exited %d" % status)
    return out


def make_disk(size):
    if os.path.exists(DISK):
        os.unlink(DISK)
    subprocess.run([EMU_IMG, "create", "-f", "qcow2", DISK, size],
                   check=True, capture_output=True)


def image_check():
    tool = shutil.which("qemu-img") or EMU_IMG
    p = subprocess.run([tool, "check", DISK], capture_output=True, text=True)
    check(p.returncode == 0, "%s check failed:\n%s%s" %
          (tool, p.stdout, p.stderr))


def test_size_and_persistence():
    make_disk("64M")
    out = boot("echo SIZE=$(cat /sys/block/vda/size);"
               "echo %s | dd of=/dev/vda bs=512 seek=2048 conv=sync;"
               "dd if=/dev/urandom of=/tmp/r bs=64k count=64 2>/dev/null;"
               "dd if=/tmp/r of=/dev/vda bs=64k seek=100 2>/dev/null;"
               "echo SUM1=$(md5sum < /tmp/r | cut -c1-32); sync" % PATTERN)
    check("SIZE=131072" in out, "wrong /sys/block/vda/size:\n" + out[-1500:])
    # the last occurrence: the first is the kernel's command line echo
    sum1 = out.rsplit("SUM1=", 1)[1][:32]
    check(all(c in "0123456789abcdef" for c in sum1), "no checksum:\n" +
          out[-1500:])
    out = boot("dd if=/dev/vda bs=512 skip=2048 count=1 2>/dev/null |"
               " head -c 27; echo;"
               "echo SUM2=$(dd if=/dev/vda bs=64k skip=100 count=64 "
               "2>/dev/null | md5sum | cut -c1-32)")
    check(out.count(PATTERN) >= 1 and "\n" + PATTERN in out, "pattern not read back:\n" + out[-1500:])
    check("SUM2=" + sum1 in out, "4 MiB of random data differ after "
          "restart:\n" + out[-1500:])
    image_check()


def test_block_resize():
    make_disk("64M")
    # The guest polls the size until it changes (up to ~60 s)
    run = ("echo RESIZE-READY; i=0; while [ $i -lt 300 ]; do"
           " s=$(cat /sys/block/vda/size);"
           " if [ $s != 131072 ]; then echo NEWSIZE=$s; break; fi;"
           " i=$((i+1)); sleep 0.2; done")
    e = emutest.Emu(guest_args(run))
    try:
        out = read_until_text(e.proc, "RESIZE-READY", 120)
        r = e.qmp.cmd("qmp_capabilities")
        check("return" in r, "qmp_capabilities: %r" % r)
        r = e.qmp.cmd("block_resize", {"device": "virtio0",
                                       "size": 128 << 20})
        check("return" in r, "block_resize: %r" % r)
        out += read_until_text(e.proc, "EMU-RUN-EXIT", 90)
        check("NEWSIZE=262144" in out,
              "guest did not see the new size:\n" + out[-1500:])
        check(e.wait(timeout=30) == 0, "emu exit status")
    finally:
        e.kill()
    image_check()


def read_until_text(proc, want, timeout):
    """Like read_until for a text-mode pipe (emutest.Emu)."""
    end = time.time() + timeout
    fd = proc.stdout.fileno()
    out = ""
    while time.time() < end:
        if want in out:
            return out
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            data = os.read(fd, 65536)
            if not data:
                break
            out += data.decode(errors="replace")
        elif proc.poll() is not None:
            break
    if want in out:
        return out
    raise emutest.Failure("no %r; console tail:\n%s" % (want, out[-1500:]))


if __name__ == "__main__":
    if not os.path.exists(os.path.join(GUEST, "vmlinuz")):
        print("SKIP: guest not built (%s)" % GUEST)
        sys.exit(77)
    if not os.path.exists(EMU_IMG):
        print("SKIP: emu-img not built")
        sys.exit(77)
    try:
        emutest.main([test_size_and_persistence, test_block_resize])
    finally:
        shutil.rmtree(TMP, ignore_errors=True)

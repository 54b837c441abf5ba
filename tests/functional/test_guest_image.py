#!/usr/bin/env python3
"""The Linux test guest (tests/guest/build-guest.sh) builds, and its
initramfs holds what /init needs.

Skipped unless EMU_TEST_GUEST=1: building it downloads Debian packages.
The guest goes next to the emu binary under test (BUILD/guest), where
tests/bench and the boot tests look for it.
"""
import gzip
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))


def read_newc(data):
    """Parse a cpio archive in the "newc" format (the one the kernel
    unpacks): returns {path: (mode, contents)}."""
    entries = {}
    off = 0
    while True:
        hdr = data[off:off + 110]
        if len(hdr) < 110 or hdr[:6] not in (b"070701", b"070702"):
            raise ValueError("bad cpio header at offset %d" % off)
        field = [int(hdr[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
        mode, filesize, namesize = field[1], field[6], field[11]
        name_start = off + 110
        name = data[name_start:name_start + namesize - 1].decode()
        off = (name_start + namesize + 3) & ~3
        body = data[off:off + filesize]
        off = (off + filesize + 3) & ~3
        if name == "TRAILER!!!":
            return entries
        entries[name.lstrip("./") if name != "." else "."] = (mode, body)


def check(cond, msg):
    if not cond:
        print("not ok - %s" % msg)
        sys.exit(1)


def main():
    if os.environ.get("EMU_TEST_GUEST") != "1":
        print("SKIP: set EMU_TEST_GUEST=1 to build the test guest "
              "(downloads Debian packages)")
        sys.exit(77)
    emu = os.environ.get("EMU") or os.path.join(TOP, "build", "emu")
    out = os.path.join(os.path.dirname(os.path.abspath(emu)), "guest")
    script = os.path.join(TOP, "tests", "guest", "build-guest.sh")

    for attempt in ("build", "rerun"):
        p = subprocess.run(["sh", script, out], capture_output=True,
                           text=True, timeout=280)
        print(p.stdout + p.stderr, end="")
        check(p.returncode == 0, "%s: build-guest.sh exited %d" %
              (attempt, p.returncode))
    check("up to date" in p.stdout, "second run rebuilt instead of "
          "finding the guest up to date")

    for f in ("vmlinuz", "initrd.gz", "cpubench", "stamp"):
        check(os.path.getsize(os.path.join(out, f)) > 0, "%s is empty" % f)
    with open(os.path.join(out, "vmlinuz"), "rb") as f:
        k = f.read(0x210)
    check(k[0x202:0x206] == b"HdrS", "vmlinuz is not a bzImage")
    print("ok - vmlinuz, initrd.gz, cpubench, stamp present; vmlinuz is a bzImage")

    with gzip.open(os.path.join(out, "initrd.gz"), "rb") as f:
        files = read_newc(f.read())
    for name in ("init", "bin/busybox", "bin/cpubench"):
        check(name in files, "initramfs lacks %s" % name)
        mode = files[name][0]
        check(mode & 0o170000 == 0o100000 and mode & 0o111,
              "%s is not an executable file (mode %o)" % (name, mode))
    check(files["init"][1].startswith(b"#!/bin/busybox sh"),
          "init is not a busybox sh script")
    check(b"EMU-GUEST-READY" in files["init"][1], "init lacks the marker")
    check(files["bin/busybox"][1][:4] == b"\x7fELF", "busybox is not ELF")
    print("ok - initramfs holds init, bin/busybox, bin/cpubench")

    p = subprocess.run([os.path.join(out, "cpubench"), "1"],
                       capture_output=True, text=True, timeout=60)
    check(p.returncode == 0 and "status=ok" in p.stdout,
          "host cpubench 1: exit %d, %r" % (p.returncode, p.stdout))
    print("ok - cpubench runs on the host with the known checksum")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""-drive and friends: option errors, info block/query-block, media change,
statistics, image locking between two emus, -snapshot."""
import os
import shutil
import subprocess
import tempfile

from emutest import EMU, Emu, Failure, check, main, run

BASE = ["-M", "pc", "-accel", "qtest", "-nodefaults", "-display", "none"]


def make_images(d):
    paths = {}
    for name, size in (("disk.raw", 4 << 20), ("cd.iso", 2 << 20),
                       ("cd2.iso", 1 << 20)):
        p = os.path.join(d, name)
        with open(p, "wb") as f:
            f.truncate(size)
        paths[name] = p
    return paths


def hmp(vm, line):
    r = vm.qmp.cmd("human-monitor-command", {"command-line": line})
    check("return" in r, "%s: %r" % (line, r))
    return r["return"]


def start(args):
    vm = Emu(BASE + args)
    r = vm.qmp.cmd("qmp_capabilities")
    check("return" in r, "qmp_capabilities: %r" % r)
    return vm


def test_bad_drive_options():
    d = tempfile.mkdtemp(prefix="emu-drive-")
    try:
        img = make_images(d)["disk.raw"]
        cases = [
            ("file=%s,format=bogus" % img, "Unknown driver 'bogus'"),
            ("file=%s,if=scsi2" % img, "unsupported bus type 'scsi2'"),
            ("file=%s,cache=bogus" % img, "invalid cache option"),
            ("file=%s,media=tape" % img, "'tape' invalid media"),
            ("file=%s,aio=bogus" % img, "invalid aio option"),
            ("file=%s,werror=bogus" % img,
             "'bogus' invalid write error action"),
            ("file=%s,rerror=enospc" % img,
             "'enospc' invalid read error action"),
            ("file=%s,discard=bogus" % img, "Invalid discard option"),
            ("file=%s,unit=2" % img, "unit 2 too big (max is 1)"),
            ("file=%s,format=raw,bogus=1" % img,
             "Block format 'raw' does not support the option 'bogus'"),
            ("file=%s/missing.raw" % d,
             "Could not open '%s/missing.raw': No such file or directory" % d),
        ]
        for opt, msg in cases:
            rc, out, err = run(BASE + ["-drive", opt])
            want = "emu: -drive %s: %s\n" % (opt, msg)
            check(rc == 1, "-drive %s: exit %d" % (opt, rc))
            check(err == want, "-drive %s: stderr %r, want %r" %
                  (opt, err, want))
        # two drives in one slot
        opt = "file=%s,format=raw,index=0" % img
        rc, out, err = run(BASE + ["-drive", opt, "-drive", opt])
        check(rc == 1 and "drive with bus=0, unit=0 (index=0) exists" in err,
              "duplicate index: %d %r" % (rc, err))
        # a machine without IDE does not take if=ide drives
        rc, out, err = run(["-M", "none", "-accel", "qtest", "-display",
                            "none", "-drive", opt])
        check(rc == 1 and "machine type does not support "
              "if=ide,bus=0,unit=0" in err, "orphan: %d %r" % (rc, err))
    finally:
        shutil.rmtree(d)


def test_info_block():
    d = tempfile.mkdtemp(prefix="emu-drive-")
    vm = None
    try:
        img = make_images(d)
        vm = start(["-drive", "file=%s,format=raw,cache=none" % img["disk.raw"],
                    "-cdrom", img["cd.iso"],
                    "-drive", "if=none,id=spare,file=%s,format=raw,"
                    "readonly=on" % img["cd2.iso"]])
        out = hmp(vm, "info block")
        lines = out.replace("\r", "").split("\n")
        check(lines[0].startswith("ide0-hd0 (#block") and
              lines[0].endswith("): %s (raw)" % img["disk.raw"]),
              "hd line: %r" % lines[0])
        check(lines[1].startswith("    Attached to:      /machine/"),
              "attached: %r" % lines[1])
        check(lines[2] == "    Cache mode:       writeback, direct",
              "cache: %r" % lines[2])
        check("ide1-cd0 (#block" in out and
              "%s (raw, read-only)" % img["cd.iso"] in out, out)
        check("    Removable device: not locked, tray closed" in out, out)
        check("spare (#block" in out, out)

        blocks = vm.qmp.cmd("query-block")["return"]
        names = [b["device"] for b in blocks]
        check(names == ["ide0-hd0", "ide1-cd0", "spare"], names)
        hd = blocks[0]
        check(hd["removable"] is False and hd["inserted"]["drv"] == "raw" and
              hd["inserted"]["image"]["virtual-size"] == 4 << 20 and
              hd["inserted"]["cache"] == {"no-flush": False, "direct": True,
                                          "writeback": True}, hd)
        check(blocks[1]["removable"] is True and
              blocks[1]["tray_open"] is False and
              blocks[1]["inserted"]["ro"] is True, blocks[1])

        # eject and change the CD-ROM
        r = vm.qmp.cmd("eject", {"device": "ide0-hd0"})
        check(r.get("error", {}).get("desc") ==
              "Device 'ide0-hd0' is not removable", r)
        r = vm.qmp.cmd("eject", {"device": "nosuch"})
        check(r.get("error", {}).get("class") == "DeviceNotFound", r)
        r = vm.qmp.cmd("eject", {"device": "ide1-cd0"})
        check(r == {"return": {}}, r)
        ev = vm.qmp.wait_event("DEVICE_TRAY_MOVED")
        check(ev["data"]["tray-open"] is True and
              ev["data"]["device"] == "ide1-cd0", ev)
        out = hmp(vm, "info block ide1-cd0")
        check("ide1-cd0: [not inserted]" in out and "tray open" in out, out)
        r = vm.qmp.cmd("blockdev-change-medium",
                       {"device": "ide1-cd0", "filename": img["cd2.iso"],
                        "format": "raw"})
        check(r == {"return": {}}, r)
        blocks = vm.qmp.cmd("query-block")["return"]
        check(blocks[1]["inserted"]["image"]["virtual-size"] == 1 << 20,
              blocks[1])
        out = hmp(vm, "change ide1-cd0 %s/missing.iso" % d)
        check("Could not open '%s/missing.iso': No such file or directory"
              % d in out, out)

        stats = vm.qmp.cmd("query-blockstats")["return"]
        check([s["device"] for s in stats] == names, stats)
        check(stats[0]["stats"]["rd_operations"] == 0, stats[0])
        out = hmp(vm, "info blockstats")
        check(out.startswith("ide0-hd0: rd_bytes=0 wr_bytes=0 "
                             "rd_operations=0 wr_operations=0 "), out)

        # resize the hard disk
        r = vm.qmp.cmd("block_resize", {"device": "ide0-hd0",
                                        "size": 8 << 20})
        check(r == {"return": {}}, r)
        check(os.path.getsize(img["disk.raw"]) == 8 << 20, "not resized")
        vm.qmp.cmd("quit")
        check(vm.wait() == 0, "exit status")
    finally:
        if vm:
            vm.kill()
        shutil.rmtree(d)


def test_lock_between_two_emus():
    d = tempfile.mkdtemp(prefix="emu-drive-")
    vm = None
    try:
        img = make_images(d)["disk.raw"]
        vm = start(["-drive", "file=%s,format=raw" % img])
        opt = "file=%s,format=raw" % img
        rc, out, err = run(BASE + ["-drive", opt])
        want = ('emu: -drive %s: Failed to get "write" lock\n'
                'Is another process using the image [%s]?\n' % (opt, img))
        check(rc == 1 and err == want, "second writer: %d %r" % (rc, err))
        rc, out, err = run(BASE + ["-drive", opt + ",readonly=on,if=none"])
        check(rc == 1 and 'Failed to get shared "write" lock' in err,
              "reader: %d %r" % (rc, err))
        vm.qmp.cmd("quit")
        vm.wait()
        # the lock went with the first emu
        vm2 = start(["-drive", opt])
        vm2.qmp.cmd("quit")
        check(vm2.wait() == 0, "exit status after lock released")
    finally:
        if vm:
            vm.kill()
        shutil.rmtree(d)


def test_snapshot():
    d = tempfile.mkdtemp(prefix="emu-drive-")
    vm = None
    try:
        img = make_images(d)["disk.raw"]
        try:
            vm = start(["-snapshot", "-drive", "file=%s,format=raw" % img])
        except Failure as e:
            if "qcow2" in str(e):
                print("SKIP: -snapshot needs the qcow2 driver: %s" % e)
                return
            raise
        blocks = vm.qmp.cmd("query-block")["return"]
        ins = blocks[0]["inserted"]
        check(ins["drv"] == "qcow2" and ins["backing_file_depth"] == 1 and
              ins["image"]["backing-image"]["filename"] == img, ins)
        # the overlay was unlinked at once
        check(not os.path.exists(ins["file"]), "overlay %s still exists" %
              ins["file"])
        # the image itself is opened read-only: a second reader may share it
        vm.qmp.cmd("quit")
        vm.wait()
    finally:
        if vm:
            vm.kill()
        shutil.rmtree(d)


if __name__ == "__main__":
    main([test_bad_drive_options, test_info_block, test_lock_between_two_emus,
          test_snapshot])

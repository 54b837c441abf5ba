#!/usr/bin/env python3
"""In-guest sequential disk throughput over IDE (called by tests/bench/run.sh).

    disk-bench.py --guest DIR --emu PATH --qemu PATH [--accel tcg ...]
                  [--runs 3] [--timeout 300] [--out DIR] [--mib 256]

The test guest (-kernel/-initrd from DIR, as bench.py boots it) gets one
raw data disk, OUT/disk-bench/data.raw, as `-drive
file=...,format=raw,if=ide,index=0` on both emulators (same options, same
accelerator), and runs `dd oflag=direct` of --mib MiB from /dev/zero to
/dev/sda, then `dd iflag=direct` of it back to /dev/null, in 1 MiB blocks.
The guest prints a marker before and after each dd; the host times the
markers as they appear on the console (nothing trusts the guest's clock).
The host's own throughput on the same file (dd with O_DIRECT, fsync) is
the reference for "% of host".  Each figure is the median of --runs runs.
"""
import argparse
import os
import re
import select
import signal
import statistics
import subprocess
import sys
import time

MARKS = ("DISKBENCH-W0", "DISKBENCH-W1", "DISKBENCH-R0", "DISKBENCH-R1")


def guest_script(mib):
    # Runs through /init's emu.run="...": no double quotes inside.
    return ("echo DISKBENCH-W0; dd if=/dev/zero of=/dev/sda bs=1M count=%d "
            "oflag=direct conv=fsync 2>/dev/null || echo DISKBENCH-FAIL; "
            "echo DISKBENCH-W1; echo DISKBENCH-R0; "
            "dd if=/dev/sda of=/dev/null bs=1M count=%d iflag=direct "
            "2>/dev/null || echo DISKBENCH-FAIL; echo DISKBENCH-R1"
            % (mib, mib))


def run_guest(binary, accel, guest, data, mib, timeout, log_path):
    """One boot; returns {marker: seconds since start} or raises
    RuntimeError with the first line of the failure."""
    cmd = [binary, "-M", "pc", "-accel", accel, "-m", "512", "-nographic",
           "-no-reboot", "-net", "none",
           "-kernel", os.path.join(guest, "vmlinuz"),
           "-initrd", os.path.join(guest, "initrd.gz"),
           "-append", 'console=ttyS0 panic=-1 quiet emu.run="%s"' %
           guest_script(mib),
           "-drive", "file=%s,format=raw,if=ide,index=0" % data]
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True)
    out = b""
    seen = {}
    try:
        while True:
            left = t0 + timeout - time.monotonic()
            if left <= 0:
                raise RuntimeError("timed out after %ds" % timeout)
            r, _, _ = select.select([p.stdout], [], [], min(left, 1.0))
            if not r:
                continue
            data_in = os.read(p.stdout.fileno(), 65536)
            if not data_in:
                break
            out += data_in
            now = time.monotonic() - t0
            for m in MARKS:
                if m not in seen and re.search(m.encode() + rb"\r?\n", out):
                    seen[m] = now
    finally:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        p.wait()
        with open(log_path, "wb") as f:
            f.write(out)
    if b"DISKBENCH-FAIL\r" in out or b"DISKBENCH-FAIL\n" in out:
        raise RuntimeError("dd failed in the guest (log %s)" % log_path)
    if len(seen) != len(MARKS):
        lines = [ln for ln in out.decode(errors="replace").splitlines()
                 if ln.strip()]
        raise RuntimeError("no %s marker; last line: %s" %
                           ([m for m in MARKS if m not in seen][0],
                            lines[-1][:120] if lines else "no output"))
    return seen


def host_dd(data, mib):
    """(write MiB/s, read MiB/s) of the host's dd with O_DIRECT on data."""
    t0 = time.monotonic()
    subprocess.run(["dd", "if=/dev/zero", "of=" + data, "bs=1M",
                    "count=%d" % mib, "oflag=direct", "conv=fsync,notrunc"],
                   check=True, capture_output=True)
    tw = time.monotonic() - t0
    t0 = time.monotonic()
    subprocess.run(["dd", "if=" + data, "of=/dev/null", "bs=1M",
                    "count=%d" % mib, "iflag=direct"],
                   check=True, capture_output=True)
    tr = time.monotonic() - t0
    return mib / tw, mib / tr


def med(vals):
    return statistics.median(vals) if vals else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--guest", required=True)
    ap.add_argument("--emu", required=True)
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--accel", action="append", default=[])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--out", default="build/bench")
    ap.add_argument("--mib", type=int, default=256)
    a = ap.parse_args()
    accels = a.accel or ["tcg"]

    work = os.path.join(a.out, "disk-bench")
    os.makedirs(work, exist_ok=True)
    data = os.path.join(work, "data.raw")
    with open(data, "wb") as f:
        f.truncate((a.mib + 16) << 20)

    hw, hr = [], []
    for _ in range(a.runs):
        w, r = host_dd(data, a.mib)
        hw.append(w)
        hr.append(r)
    host = {"write": med(hw), "read": med(hr)}

    rows = []
    ok = True
    for accel in accels:
        res = {}
        for who, binary in (("emu", a.emu), ("qemu", a.qemu)):
            ws, rs, err = [], [], None
            for i in range(a.runs):
                log = os.path.join(work, "%s-%s-%d.log" % (who, accel, i))
                try:
                    s = run_guest(binary, accel, a.guest, data, a.mib,
                                  a.timeout, log)
                except RuntimeError as e:
                    err = str(e)
                    break
                ws.append(a.mib / max(s["DISKBENCH-W1"] - s["DISKBENCH-W0"],
                                      1e-6))
                rs.append(a.mib / max(s["DISKBENCH-R1"] - s["DISKBENCH-R0"],
                                      1e-6))
            res[who] = (med(ws), med(rs), err)
            if who == "qemu" and err:
                ok = False
        for k, key in ((0, "write"), (1, "read")):
            e, q = res["emu"][k], res["qemu"][k]
            rows.append((
                "IDE seq %s %d MiB (%s)" % (key, a.mib, accel),
                "%.1f" % e if e else res["emu"][2] or "-",
                "%.1f" % q if q else res["qemu"][2] or "-",
                "%.2f" % (e / q) if e and q else "-",
                "%.0f%%" % (100 * e / host[key]) if e else "-",
            ))
    print("disk bench: MiB/s, median of %d runs; host dd O_DIRECT on the "
          "same file: write %.0f, read %.0f MiB/s" %
          (a.runs, host["write"], host["read"]))
    head = ("workload", "emu", "qemu", "emu/qemu", "emu/host")
    w = [max(len(r[i]) for r in rows + [head]) for i in range(5)]
    for r in [head] + rows:
        print("  ".join(r[i].ljust(w[i]) for i in range(5)).rstrip())
    print("logs: %s" % work)
    os.unlink(data)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

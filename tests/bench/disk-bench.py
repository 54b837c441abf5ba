#!/usr/bin/env python3
"""In-guest disk throughput over IDE and virtio-blk (called by
tests/bench/run.sh).

    disk-bench.py --guest DIR --emu PATH --qemu PATH [--accel tcg ...]
                  [--runs 3] [--timeout 300] [--out DIR] [--mib 1024]
                  [--ops1 N] [--ops32 N] [--only ide|virtio]

The test guest (-kernel/-initrd from DIR, as bench.py boots it) gets one
raw data disk, OUT/disk-bench/data.raw, with the same options on both
emulators and the same accelerator:

- IDE (`-drive file=...,format=raw,if=ide,index=0`): `dd oflag=direct` of
  --mib MiB from /dev/zero to /dev/sda, then `dd iflag=direct` back, in
  1 MiB blocks.  Reference: the host's dd with O_DIRECT on the same file.
- virtio-blk (`-drive file=...,format=raw,if=virtio`, cache default, and
  the sequential phases again with cache=none, where the emulator uses
  O_DIRECT as the host reference does): the
  guest's /bin/diskbench (tests/guest/diskbench.c) on /dev/vda: sequential
  1 MiB write and read of --mib MiB (O_DIRECT), random 4 KiB read and
  write at queue depth 1 (--ops1 operations each, pread/pwrite) and at
  queue depth 32 (--ops32 each, Linux native AIO).  Reference: the very
  same binary (DIR/diskbench) on the host, on the same file.

The guest prints a marker line before and after each phase; the host times
the markers as they appear on the console (nothing trusts the guest's
clock; the guest's own seconds are kept in the logs).  Each run is a
host reference, an emu run and a QEMU run in a row (which of the two
goes first alternates from run to run), so that the load of
the machine (and this host's disk, whose throughput moves from minute to
minute) hits all three alike; each guest starts with the image's pages
in the host's page cache (warm_page_cache); each figure is the median of
--runs runs (--verbose prints them all).
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

IDE_MARKS = ("DISKBENCH-W0", "DISKBENCH-W1", "DISKBENCH-R0", "DISKBENCH-R1")

# (phase, table label, unit); the unit decides how bytes/ops become a figure
VIRTIO_PHASES = (
    ("seqw", "seq write 1M", "MiB/s"),
    ("seqr", "seq read 1M", "MiB/s"),
    ("randr1", "rand read 4K QD1", "IOPS"),
    ("randw1", "rand write 4K QD1", "IOPS"),
    ("randr32", "rand read 4K QD32", "IOPS"),
    ("randw32", "rand write 4K QD32", "IOPS"),
)


def ide_script(mib):
    # Runs through /init's emu.run="...": no double quotes inside.
    return ("echo DISKBENCH-W0; dd if=/dev/zero of=/dev/sda bs=1M count=%d "
            "oflag=direct conv=fsync 2>/dev/null || echo DISKBENCH-FAIL; "
            "echo DISKBENCH-W1; echo DISKBENCH-R0; "
            "dd if=/dev/sda of=/dev/null bs=1M count=%d iflag=direct "
            "2>/dev/null || echo DISKBENCH-FAIL; echo DISKBENCH-R1"
            % (mib, mib))


def diskbench_args(mib, ops1, ops32):
    return ["-s", str(mib), "-n", str(ops1), "-q", str(ops32)]


def virtio_script(mib, ops1, ops32, phases=VIRTIO_PHASES):
    return ("diskbench %s /dev/vda %s" %
            (" ".join(diskbench_args(mib, ops1, ops32)),
             " ".join(p[0] for p in phases)))


def virtio_marks(phases=VIRTIO_PHASES):
    marks = []
    for p in phases:
        marks += ["DISKBENCH-%s-0" % p[0], "DISKBENCH-%s-1" % p[0]]
    return marks


def run_guest(binary, accel, guest, drive, script, marks, timeout, log_path):
    """One boot; returns {marker: seconds since start} or raises
    RuntimeError with the first line of the failure."""
    cmd = [binary, "-M", "pc", "-accel", accel, "-m", "512", "-nographic",
           "-no-reboot", "-net", "none",
           "-kernel", os.path.join(guest, "vmlinuz"),
           "-initrd", os.path.join(guest, "initrd.gz"),
           "-append", 'console=ttyS0 panic=-1 quiet emu.run="%s"' % script,
           "-drive", drive]
    pats = {m: re.compile(rb"(?:^|\n)" + m.encode() + rb"[ \r\n]")
            for m in marks}
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
            for m in marks:
                if m not in seen and pats[m].search(out):
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
    fail = re.search(rb"DISKBENCH-FAIL[^\r\n]*", out)
    if fail:
        raise RuntimeError("%s (log %s)" % (fail.group(0).decode(
            errors="replace")[:120], log_path))
    if len(seen) != len(marks):
        lines = [ln for ln in out.decode(errors="replace").splitlines()
                 if ln.strip()]
        raise RuntimeError("no %s marker; last line: %s (log %s)" %
                           ([m for m in marks if m not in seen][0],
                            lines[-1][:120] if lines else "no output",
                            log_path))
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


def warm_page_cache(data):
    """Read data through the host's page cache, so that every guest run
    starts from the same state: the image's pages cached, as on a host
    where the VM has been running.  (The host reference's O_DIRECT writes
    drop them; buffered writes into pages that are not cached cost this
    host 3-5 times more, since its own memory is faulted in lazily, and the
    order of the runs then decided which emulator paid for it.)"""
    with open(data, "rb", buffering=0) as f:
        while f.read(8 << 20):
            pass


def host_diskbench(binary, data, mib, ops1, ops32):
    """{phase: seconds} of diskbench on the host, on the same file (its own
    clock: the host's clock is the reference)."""
    r = subprocess.run([binary] + diskbench_args(mib, ops1, ops32) +
                       [data] + [p[0] for p in VIRTIO_PHASES],
                       capture_output=True, text=True)
    secs = {}
    for m in re.finditer(r"DISKBENCH-(\w+)-1 .*seconds=([0-9.]+)", r.stdout):
        secs[m.group(1)] = float(m.group(2))
    if r.returncode != 0 or len(secs) != len(VIRTIO_PHASES):
        raise RuntimeError("host diskbench failed: %s" %
                           (r.stdout + r.stderr).strip().splitlines()[-1:])
    return secs


def med(vals):
    return statistics.median(vals) if vals else None


def virtio_figure(unit, mib, ops, seconds):
    seconds = max(seconds, 1e-6)
    return mib / seconds if unit == "MiB/s" else ops / seconds


def fmt(v, unit):
    if v is None:
        return None
    return "%.0f" % v if unit == "IOPS" or v >= 100 else "%.1f" % v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--guest", required=True)
    ap.add_argument("--emu", required=True)
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--accel", action="append", default=[])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--out", default="build/bench")
    ap.add_argument("--mib", type=int, default=1024)
    ap.add_argument("--ops1", type=int, default=8192,
                    help="4 KiB operations per queue-depth-1 phase")
    ap.add_argument("--ops32", type=int, default=32768,
                    help="4 KiB operations per queue-depth-32 phase")
    ap.add_argument("--only", choices=("ide", "virtio"))
    ap.add_argument("--verbose", action="store_true",
                    help="print every run's figures, not only the medians")
    a = ap.parse_args()
    accels = a.accel or ["tcg"]
    do_ide = a.only in (None, "ide")
    do_virtio = a.only in (None, "virtio")
    hostbench = os.path.join(a.guest, "diskbench")
    if do_virtio and not os.access(hostbench, os.X_OK):
        print("disk bench: %s missing (tests/guest/build-guest.sh builds it)"
              % hostbench, file=sys.stderr)
        return 1

    work = os.path.join(a.out, "disk-bench")
    os.makedirs(work, exist_ok=True)
    data = os.path.join(work, "data.raw")
    with open(data, "wb") as f:
        f.truncate((a.mib + 16) << 20)

    # The host references are measured run by run next to the guests (this
    # host's own disk throughput moves a lot from minute to minute: a
    # reference taken once, before, made the ratios noise).  A first
    # unmeasured pass writes the whole area (the file is sparse), so every
    # measured run, like the guests', overwrites allocated blocks.
    def host_runner(kind):
        if kind == "ide":
            def run():
                w, r = host_dd(data, a.mib)
                return {"ide write": w, "ide read": r}
            return run

        def run():
            secs = host_diskbench(hostbench, data, a.mib, a.ops1, a.ops32)
            out = {}
            for name, _, unit in VIRTIO_PHASES:
                ops = a.ops32 if name.endswith("32") else a.ops1
                out[name] = virtio_figure(unit, a.mib, ops, secs[name])
            return out
        return run

    if do_ide:
        host_dd(data, a.mib)
    if do_virtio:
        host_diskbench(hostbench, data, a.mib, a.ops1, a.ops32)

    # (label, unit, host key, extractor from one run's markers)
    series = []
    if do_ide:
        series.append(("ide", "file=%s,format=raw,if=ide,index=0" % data,
                       ide_script(a.mib), list(IDE_MARKS), [
                           ("IDE seq write %d MiB" % a.mib, "MiB/s",
                            "ide write", "DISKBENCH-W0", "DISKBENCH-W1",
                            a.mib),
                           ("IDE seq read %d MiB" % a.mib, "MiB/s",
                            "ide read", "DISKBENCH-R0", "DISKBENCH-R1",
                            a.mib)]))
    if do_virtio:
        rows = []
        for name, label, unit in VIRTIO_PHASES:
            ops = a.ops32 if name.endswith("32") else a.ops1
            rows.append(("virtio %s" % label, unit, name,
                         "DISKBENCH-%s-0" % name, "DISKBENCH-%s-1" % name,
                         a.mib if unit == "MiB/s" else ops))
        series.append(("virtio", "file=%s,format=raw,if=virtio" % data,
                       virtio_script(a.mib, a.ops1, a.ops32), virtio_marks(),
                       rows))
        # The sequential phases again with cache=none: the emulator then
        # does O_DIRECT I/O as the host reference does (with the default
        # writeback cache, guest writes become buffered writes into the
        # host's page cache and reads come from it)
        seq = VIRTIO_PHASES[:2]
        series.append(("virtio-none",
                       "file=%s,format=raw,if=virtio,cache=none" % data,
                       virtio_script(a.mib, a.ops1, a.ops32, seq),
                       virtio_marks(seq),
                       [("virtio cache=none %s" % label, unit, name,
                         "DISKBENCH-%s-0" % name, "DISKBENCH-%s-1" % name,
                         a.mib) for name, label, unit in seq]))

    table = []
    ok = True
    for accel in accels:
        for kind, drive, script, marks, rows in series:
            vals = {who: [[] for _ in rows] for who in ("emu", "qemu")}
            hostvals = {}
            err = {"emu": None, "qemu": None}
            for i in range(a.runs):
                for key, v in host_runner(kind)().items():
                    hostvals.setdefault(key, []).append(v)
                # which emulator goes first alternates run by run: the
                # host's disk drifts within a round too
                pair = (("emu", a.emu), ("qemu", a.qemu))
                for who, binary in pair if i % 2 == 0 else pair[::-1]:
                    if err[who]:
                        continue
                    log = os.path.join(work, "%s-%s-%s-%d.log" %
                                       (kind, who, accel, i))
                    warm_page_cache(data)
                    try:
                        s = run_guest(binary, accel, a.guest, drive, script,
                                      marks, a.timeout, log)
                    except RuntimeError as e:
                        err[who] = str(e)
                        continue
                    for k, (_, unit, _, m0, m1, amount) in enumerate(rows):
                        vals[who][k].append(virtio_figure(
                            unit, amount, amount, s[m1] - s[m0]))
            if err["qemu"]:
                ok = False
            for k, (label, unit, hkey, _, _, _) in enumerate(rows):
                e, q = med(vals["emu"][k]), med(vals["qemu"][k])
                h = med(hostvals.get(hkey, []))
                if a.verbose:
                    print("%s (%s): emu %s qemu %s host %s" % (
                        label, accel,
                        " ".join(fmt(v, unit) for v in vals["emu"][k]),
                        " ".join(fmt(v, unit) for v in vals["qemu"][k]),
                        " ".join(fmt(v, unit)
                                 for v in hostvals.get(hkey, []))))
                table.append((
                    "%s (%s)" % (label, accel), unit,
                    fmt(e, unit) or "emu: %s" % err["emu"],
                    fmt(q, unit) or "qemu: %s" % err["qemu"],
                    fmt(h, unit) or "-",
                    "%.2f" % (e / q) if e and q else "-",
                    "%.0f%%" % (100 * e / h) if e and h else "-",
                    "%.0f%%" % (100 * q / h) if q and h else "-",
                ))
    print("disk bench: median of %d runs, timed from the host by console "
          "markers; host = the same I/O on the same file on the host "
          "(dd for IDE, build/guest/diskbench for virtio), measured run "
          "by run before each emu and QEMU pair" % a.runs)
    head = ("workload", "unit", "emu", "qemu", "host", "emu/qemu",
            "emu/host", "qemu/host")
    n = len(head)
    # error texts become notes under the table, so the columns stay narrow
    notes = []
    for k, r in enumerate(table):
        cells = list(r)
        for i, c in enumerate(cells):
            if len(c) >= 40:
                if c not in notes:
                    notes.append(c)
                cells[i] = "failed [%d]" % (notes.index(c) + 1)
        table[k] = tuple(cells)
    w = [max(len(r[i]) for r in table + [head]) for i in range(n)]
    for r in [head] + table:
        print("  ".join(r[i].ljust(w[i]) for i in range(n)).rstrip())
    for i, note in enumerate(notes):
        print("[%d] %s" % (i + 1, note))
    print("logs: %s" % work)
    os.unlink(data)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""emu-img convert vs qemu-img convert (called by tests/bench/run.sh).

    emu-img-bench.py --emu-img PATH --qemu-img PATH [--runs 3] [--out DIR]

A 1 GiB raw image, half random data and half zeroes in 1 MiB blocks
(zero blocks left as holes), is converted raw->qcow2, raw->qcow2 -c (on a
64 MiB slice: compression is slow for both) and qcow2->raw by each program
with the same flags.  Each figure is the median of --runs runs, timed from
outside, with the page cache warm (both programs read the same files).
The outputs are compared with `qemu-img compare`: a wrong result is
reported instead of a time.  Prints one table like bench.py's.
"""
import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import time

SIZE = 1 << 30
BLOCK = 1 << 20


def make_image(path, size, seed):
    rnd = random.Random(seed)
    chunk = rnd.randbytes(BLOCK + 4096)
    with open(path, "wb") as f:
        f.truncate(size)
        for i in range(size // BLOCK):
            if rnd.random() < 0.5:
                f.seek(i * BLOCK)
                k = rnd.randrange(4096)
                f.write(chunk[k:k + BLOCK])


def timed(cmd):
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True)
    t = time.monotonic() - t0
    if p.returncode != 0:
        line = (p.stderr.strip() or p.stdout.strip() or
                "exit %d" % p.returncode).splitlines()[0]
        return None, line[:120]
    return t, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--emu-img", required=True)
    ap.add_argument("--qemu-img", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", default="build/bench")
    a = ap.parse_args()

    work = os.path.join(a.out, "emu-img")
    os.makedirs(work, exist_ok=True)
    src = os.path.join(work, "src.raw")
    small = os.path.join(work, "small.raw")
    if not os.path.exists(src) or os.path.getsize(src) != SIZE:
        sys.stderr.write("bench: emu-img: making a 1 GiB test image\n")
        make_image(src, SIZE, 1)
    if not os.path.exists(small):
        make_image(small, 64 << 20, 2)
    ref_qcow2 = os.path.join(work, "ref.qcow2")
    subprocess.run([a.qemu_img, "convert", "-f", "raw", "-O", "qcow2", src,
                    ref_qcow2], check=True)

    out_qcow2 = os.path.join(work, "out.qcow2")
    out_raw = os.path.join(work, "out.raw")
    # (label, args after the program, output, reference content, its format)
    cases = [
        ("convert raw->qcow2 1 GiB",
         ["convert", "-f", "raw", "-O", "qcow2", src, out_qcow2],
         out_qcow2, src, "raw"),
        ("convert qcow2->raw 1 GiB",
         ["convert", "-f", "qcow2", "-O", "raw", ref_qcow2, out_raw],
         out_raw, src, "raw"),
        ("convert -c raw->qcow2 64 MiB",
         ["convert", "-c", "-f", "raw", "-O", "qcow2", small, out_qcow2],
         out_qcow2, small, "raw"),
    ]
    have_emu = os.access(a.emu_img, os.X_OK)
    rows = []
    bad_ref = False
    for label, args, out, ref, ref_fmt in cases:
        res = {}
        for who, prog in (("qemu", a.qemu_img), ("emu", a.emu_img)):
            if who == "emu" and not have_emu:
                res[who] = (None, "%s not built" % prog)
                continue
            vals, err = [], None
            for _ in range(a.runs):
                if os.path.exists(out):
                    os.unlink(out)
                t, err = timed([prog] + args)
                if err:
                    break
                vals.append(t)
            if not err:
                p = subprocess.run([a.qemu_img, "compare", "-f", ref_fmt,
                                    ref, out], capture_output=True, text=True)
                if p.returncode != 0:
                    err = "wrong output: " + (p.stdout + p.stderr).strip()
            res[who] = (vals if not err else None, err)
            if who == "qemu" and err:
                bad_ref = True
        row = [label]
        for who in ("qemu", "emu"):
            vals, err = res[who]
            if err:
                row.append("%s: failed (%s)" % (who, err))
            else:
                s = "%.2f" % statistics.median(vals)
                if len(vals) > 1:
                    s += " (%.2f-%.2f)" % (min(vals), max(vals))
                row.append(s)
        q, e = res["qemu"][0], res["emu"][0]
        ratio = "%.2f" % (statistics.median(e) / statistics.median(q)) \
            if q and e else "-"
        rows.append((row[0], row[1], ratio, row[2]))
    for f in (out_qcow2, out_raw, ref_qcow2):
        if os.path.exists(f):
            os.unlink(f)

    print("emu-img bench: median of %d runs, seconds (min-max), page cache "
          "warm; 1 GiB image half random data, half holes" % a.runs)
    table = [("measure", "qemu-img", "emu/QEMU", "emu-img")] + rows
    w = [max(len(r[i]) for r in table) for i in range(3)]
    for r in table:
        print("  ".join([r[i].ljust(w[i]) for i in range(3)] + [r[3]])
              .rstrip())
    return 1 if bad_ref else 0


if __name__ == "__main__":
    sys.exit(main())

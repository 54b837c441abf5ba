#!/usr/bin/env python3
"""emu's benchmark: the same guest and the same work on emu and on Debian's
qemu-system-x86_64, side by side.  Driven by tests/bench/run.sh, which
builds the guest and picks the accelerators; see docs/devel/testing.md.

    bench.py --guest DIR --emu PATH --qemu PATH --accel tcg [--accel kvm]
             [--runs 3] [--timeout 300] [--out DIR]

Every run is timed from outside, from just before the process starts, by
watching its console output for marker lines; nothing trusts the guest's
clock.  Each figure is the median of --runs runs.  A configuration that
emu cannot run yet shows the first line of emu's error instead of a number.
Full console logs go to OUT/logs, the figures to OUT/results.json.
"""
import argparse
import json
import os
import platform
import re
import select
import signal
import statistics
import subprocess
import sys
import time

READY = b"EMU-GUEST-READY"
START = b"CPUBENCH-START"
DONE = b"CPUBENCH-DONE"
RUN_EXIT = re.compile(rb"EMU-RUN-EXIT (\d+)")
DONE_LINE = re.compile(rb"CPUBENCH-DONE [^\r\n]*seconds=([0-9.]+) status=(\w+)")


class Result:
    """One run: marker times in seconds since start, exit status, output."""

    def __init__(self):
        self.marks = {}
        self.end = None
        self.exit = None
        self.timed_out = False
        self.out = b""
        self.err = b""

    def first_error_line(self):
        for blob in (self.err, self.out):
            for line in blob.decode("utf-8", "replace").splitlines():
                line = line.strip()
                if line:
                    return line[:160]
        if self.timed_out:
            return "no output"
        return "exit status %s, no output" % self.exit


def run_once(cmd, marks, timeout, log_path):
    """Run cmd with stdin from /dev/null; note when each marker first
    appears on stdout; kill the whole process group at the timeout."""
    r = Result()
    t0 = time.monotonic()
    try:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             start_new_session=True)
    except OSError as e:
        r.err = str(e).encode()
        r.exit = 127
        return r
    streams = {p.stdout.fileno(): "out", p.stderr.fileno(): "err"}
    deadline = t0 + timeout
    while streams:
        left = deadline - time.monotonic()
        if left <= 0:
            r.timed_out = True
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            break
        ready, _, _ = select.select(list(streams), [], [], min(left, 1.0))
        now = time.monotonic() - t0
        for fd in ready:
            data = os.read(fd, 65536)
            if not data:
                del streams[fd]
                continue
            if streams[fd] == "out":
                r.out += data
                tail = r.out[-(len(data) + 64):]
                for m in marks:
                    if m not in r.marks and m in tail:
                        r.marks[m] = now
            else:
                r.err += data
    r.exit = p.wait()
    r.end = time.monotonic() - t0
    if log_path:
        with open(log_path, "wb") as f:
            f.write(b"$ " + " ".join(cmd).encode() + b"\n")
            f.write(r.out)
            if r.err:
                f.write(b"\n--- stderr ---\n" + r.err)
            f.write(b"\n--- exit %s%s, %.3f s ---\n" %
                    (str(r.exit).encode(),
                     b" (killed at timeout)" if r.timed_out else b"", r.end))
    return r


def guest_cmd(binary, accel, guest, append):
    return [binary, "-accel", accel, "-m", "512", "-nographic", "-no-reboot",
            "-kernel", os.path.join(guest, "vmlinuz"),
            "-initrd", os.path.join(guest, "initrd.gz"),
            "-append", append]


# The workloads.  Each has a command line for the guest and a function that
# turns one Result into its figures (dict name -> seconds) or raises
# RunError with a one-line reason.  Later work adds entries here.
class RunError(Exception):
    """A run gave no figures.  not_runnable: the program refused to run the
    configuration at all (exited, non-zero, before the guest's marker)."""

    def __init__(self, msg, not_runnable=False):
        super().__init__(msg)
        self.not_runnable = not_runnable


def before_marker(r):
    if r.timed_out:
        return RunError("timed out before EMU-GUEST-READY")
    if r.exit != 0:
        return RunError(r.first_error_line(), not_runnable=True)
    return RunError("exited (status 0) before EMU-GUEST-READY")


def boot_figures(r):
    if READY not in r.marks:
        raise before_marker(r)
    if r.timed_out:
        raise RunError("reached EMU-GUEST-READY but did not power off")
    if r.exit != 0:
        raise RunError("exit status %d after poweroff" % r.exit)
    return {"marker": r.marks[READY], "poweroff": r.end}


def cpubench_figures(r, in_guest=True):
    if in_guest and READY not in r.marks:
        raise before_marker(r)
    if START not in r.marks or DONE not in r.marks:
        raise RunError("timed out in cpubench" if r.timed_out else
                       "cpubench did not finish: " + r.first_error_line())
    m = DONE_LINE.search(r.out)
    if not m or m.group(2) != b"ok":
        raise RunError("cpubench computed a wrong checksum")
    if in_guest:
        e = RUN_EXIT.search(r.out)
        if not e or e.group(1) != b"0":
            raise RunError("cpubench exit status in guest: %s" %
                           (e.group(1).decode() if e else "none"))
    return {"cpubench": r.marks[DONE] - r.marks[START],
            "cpubench_self": float(m.group(1))}


WORKLOADS = [
    # name, kernel command line, figures
    ("boot", "console=ttyS0 emu.poweroff", boot_figures),
    ("cpubench", "console=ttyS0 emu.run=/bin/cpubench", cpubench_figures),
]


def measure(name, cmd, figures, runs, timeout, logdir):
    """Run cmd `runs` times.  Returns (dict name -> [values], error); the
    first failed run ends the series and is reported, never averaged away."""
    vals = {}
    for i in range(runs):
        log = os.path.join(logdir, "%s-%d.log" % (name, i + 1))
        r = run_once(cmd, [READY, START, DONE], timeout, log)
        try:
            for k, v in figures(r).items():
                vals.setdefault(k, []).append(v)
        except RunError as e:
            if e.not_runnable:
                return vals, {"not_runnable": True, "msg": str(e)}
            return vals, {"not_runnable": False, "msg": "%s; log %s" % (e, log)}
    return vals, None


def med(vals):
    return statistics.median(vals) if vals else None


def fmt(vals):
    if not vals:
        return "-"
    s = "%.2f" % med(vals)
    if len(vals) > 1:
        s += " (%.2f-%.2f)" % (min(vals), max(vals))
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--guest", required=True)
    ap.add_argument("--emu", required=True)
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--accel", action="append", default=[])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--out", default="build/bench")
    a = ap.parse_args()

    logroot = os.path.join(a.out, "logs")
    os.makedirs(logroot, exist_ok=True)
    results = {"runs": a.runs, "timeout": a.timeout, "accels": {},
               "host": platform.node(), "time": time.strftime("%Y-%m-%d %H:%M:%S")}

    # The same binary on the host, the same way.
    native_cmd = [os.path.join(a.guest, "cpubench")]
    sys.stderr.write("bench: host: cpubench x%d\n" % a.runs)
    nvals, nerr = measure("native-cpubench", native_cmd,
                          lambda r: cpubench_figures(r, in_guest=False),
                          a.runs, a.timeout, logroot)
    native = med(nvals.get("cpubench"))
    results["native"] = {"cpubench": nvals.get("cpubench"), "error": nerr}

    rows = []   # (accel, label, qemu cell, emu cell, ratio cell)
    for accel in a.accel:
        per = {}
        for who, binary in (("qemu", a.qemu), ("emu", a.emu)):
            per[who] = {}
            for wname, append, figures in WORKLOADS:
                name = "%s-%s-%s" % (accel, who, wname)
                sys.stderr.write("bench: %s: %s x%d\n" % (accel, name, a.runs))
                if not os.access(binary, os.X_OK):
                    vals, err = {}, {"not_runnable": True,
                                     "msg": "%s not built" % binary}
                else:
                    vals, err = measure(name, guest_cmd(binary, accel, a.guest, append),
                                        figures, a.runs, a.timeout, logroot)
                per[who][wname] = {"values": vals, "error": err}
        results["accels"][accel] = per

        def cell(who, wname, key):
            w = per[who][wname]
            e = w["error"]
            if e:
                if who == "emu" and e["not_runnable"]:
                    return None, "emu: not runnable yet (%s)" % e["msg"]
                return None, "%s: failed (%s)" % (who, e["msg"])
            v = w["values"].get(key)
            return med(v), fmt(v)

        for wname, key, label in (("boot", "marker", "start -> EMU-GUEST-READY"),
                                  ("boot", "poweroff", "start -> poweroff (exit)"),
                                  ("cpubench", "cpubench", "cpubench in guest")):
            qv, qs = cell("qemu", wname, key)
            ev, es = cell("emu", wname, key)
            ratio = "%.2f" % (ev / qv) if qv and ev else "-"
            rows.append((accel, label, qs, es, ratio))
        qv, _ = cell("qemu", "cpubench", "cpubench")
        ev, _ = cell("emu", "cpubench", "cpubench")

        def vs_native(v):
            if not v or not native:
                return "-"
            return "%.2fx (%.0f%%)" % (v / native, 100 * native / v)
        rows.append((accel, "cpubench guest/native",
                     vs_native(qv), vs_native(ev) if ev else "-", "-"))

    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)

    print("emu bench: median of %d runs, seconds (min-max); timed from the "
          "host, process start to console markers" % a.runs)
    print("native cpubench on this host: %s" %
          (fmt(nvals.get("cpubench")) if not nerr else "failed (%s)" % nerr["msg"]))
    # emu's column goes last: it may hold a sentence instead of a number.
    hdr = ("accel", "measure", "QEMU", "emu/QEMU", "emu")
    table = [hdr] + [(r[0], r[1], r[2], r[4], r[3]) for r in rows]
    w = [max(len(r[i]) for r in table) for i in range(4)]
    for r in table:
        print("  ".join([r[i].ljust(w[i]) for i in range(4)] + [r[4]]).rstrip())
    print("logs: %s   figures: %s" % (logroot, os.path.join(a.out, "results.json")))
    # Failure of the reference (QEMU or native) is a failed bench; emu not
    # being able to run a configuration yet is a reported fact, not a failure.
    bad = nerr or any(per["qemu"][w]["error"]
                      for per in results["accels"].values() for w in per["qemu"])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

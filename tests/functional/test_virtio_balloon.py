#!/usr/bin/env python3
"""virtio-balloon-pci and virtio-rng-pci with the Linux test guest under
the translator: `balloon 600` (HMP) shrinks the guest's MemTotal by about
1.4 GiB and emu's resident memory on the host, `info balloon` prints
"balloon: actual=600", `balloon` over QMP gives the memory back and
query-balloon/BALLOON_CHANGE follow; /dev/hwrng reads random bytes;
with free-page-reporting=on the guest's freed memory leaves emu's RSS.

The guest needs the virtio_pci, virtio_balloon and virtio-rng modules
loaded by its /init (tests/guest/build-guest.sh).  EMU_GUEST_DIR may name
another directory holding vmlinuz and initrd.gz.  Skipped when no guest
is built.
"""
import os
import re
import select
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emutest  # noqa: E402
from emutest import check  # noqa: E402

GUEST = os.environ.get("EMU_GUEST_DIR") or os.path.join(
    os.path.dirname(os.path.abspath(emutest.EMU)), "guest")
MiB = 1 << 20

# The guest prints its random bytes, touches 1.5 GiB (so that emu's RSS is
# high), then its memory once a second until it is powered off.
GUEST_RUN = ("echo HWRNG $(head -c 64 /dev/hwrng | od -An -tx1 | tr -d ' ');"
             "dd if=/dev/zero of=/dev/null bs=1500M count=1 2>/dev/null;"
             "echo BALLOON-READY-$((40+2));"
             "while :; do echo MEM $(grep -E '^Mem(Total|Free):' /proc/meminfo"
             " | tr -s ' '); sleep 1; done")


def rss_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    return -1


class Guest:
    def __init__(self, balloon_opts=""):
        self.dir = tempfile.mkdtemp(prefix="emu-balloon-")
        self.qmp_path = os.path.join(self.dir, "qmp.sock")
        self.log_path = os.path.join(self.dir, "trace.log")
        args = [emutest.EMU, "-M", "pc", "-accel", "tcg", "-m", "2048",
                "-nographic", "-no-reboot", "-net", "none",
                "-device", "virtio-balloon-pci,id=balloon0" + balloon_opts,
                "-device", "virtio-rng-pci",
                "-qmp", "unix:%s,server=on,wait=off" % self.qmp_path,
                "-d", "trace", "-D", self.log_path,
                "-kernel", os.path.join(GUEST, "vmlinuz"),
                "-initrd", os.path.join(GUEST, "initrd.gz"),
                "-append", 'console=ttyS0 panic=-1 emu.run="%s"' % GUEST_RUN]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.out = b""
        emutest.wait_for_path(self.qmp_path, self.proc)
        self.qmp = emutest.QMP(self.qmp_path, timeout=30)
        r = self.qmp.cmd("qmp_capabilities")
        check("return" in r, "qmp_capabilities: %r" % r)

    def pump(self, timeout):
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if r:
            data = os.read(self.proc.stdout.fileno(), 65536)
            if not data:
                raise emutest.Failure("emu exited; console tail:\n" +
                                      self.tail())
            self.out += data

    def tail(self):
        return self.out[-2000:].decode(errors="replace")

    def wait_console(self, text, timeout):
        end = time.time() + timeout
        while text.encode() not in self.out:
            if time.time() > end:
                raise emutest.Failure("no %r within %ds; console tail:\n%s" %
                                      (text, timeout, self.tail()))
            self.pump(0.5)

    def mem_total_kib(self):
        """MemTotal of the last complete MEM line, or None."""
        lines = re.findall(rb"MEM MemTotal: (\d+) kB MemFree: (\d+) kB\r?\n",
                           self.out)
        return int(lines[-1][0]) if lines else None

    def wait_mem_total(self, cond, timeout):
        end = time.time() + timeout
        while True:
            m = self.mem_total_kib()
            if m is not None and cond(m):
                return m
            if time.time() > end:
                raise emutest.Failure("guest MemTotal stays at %s KiB; "
                                      "console tail:\n%s" % (m, self.tail()))
            self.pump(0.5)

    def hmp(self, line):
        r = self.qmp.cmd("human-monitor-command",
                         {"command-line": line})
        check("return" in r, "%s: %r" % (line, r))
        return r["return"]

    def actual_mib(self):
        r = self.qmp.cmd("query-balloon")
        check("return" in r, "query-balloon: %r" % r)
        return r["return"]["actual"] // MiB

    def wait_actual(self, mib, timeout):
        end = time.time() + timeout
        while self.actual_mib() != mib:
            if time.time() > end:
                raise emutest.Failure("query-balloon actual is %d MiB, not %d"
                                      % (self.actual_mib(), mib))
            self.pump(0.5)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.qmp.cmd("quit")
                self.proc.wait(timeout=10)
            except Exception:  # noqa: BLE001 - kill below
                pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def test_balloon_and_rng():
    g = Guest(",guest-stats-polling-interval=1")
    try:
        # the marker is computed so that the kernel's echo of its command
        # line does not match
        g.wait_console("BALLOON-READY-42", 180)
        m = re.search(rb"HWRNG ([0-9a-f ]+)\r?\n", g.out)
        check(m is not None, "no HWRNG line; tail:\n" + g.tail())
        rnd = m.group(1).decode().replace(" ", "")
        check(len(rnd) == 128 and len(set(rnd)) > 8,
              "/dev/hwrng gave %r" % rnd)

        full = g.wait_mem_total(lambda m: True, 30)
        rss_full = rss_mib(g.proc.pid)
        check(g.hmp("info balloon").strip() == "balloon: actual=2048",
              "info balloon at start: %r" % g.hmp("info balloon"))

        # HMP: balloon 600 -> MemTotal drops by about 1.4 GiB
        t0 = time.time()
        g.hmp("balloon 600")
        low = g.wait_mem_total(lambda m: full - m >= 1400 * 1024, 120)
        t_down = time.time() - t0
        g.wait_actual(600, 30)
        info = g.hmp("info balloon")
        check(info.strip() == "balloon: actual=600",
              "info balloon says %r" % info)
        ev = g.qmp.wait_event("BALLOON_CHANGE", 5)
        check(isinstance(ev["data"]["actual"], int), "event: %r" % ev)
        rss_low = rss_mib(g.proc.pid)
        print("# MemTotal %d -> %d MiB in %.1f s; emu RSS %d -> %d MiB" %
              (full // 1024, low // 1024, t_down, rss_full, rss_low))
        check(rss_full - rss_low >= 1024,
              "emu's RSS went from %d to %d MiB" % (rss_full, rss_low))

        # QMP: balloon 2000 MiB gives the memory back
        r = g.qmp.cmd("balloon", {"value": 2000 * MiB})
        check(r == {"return": {}}, "balloon: %r" % r)
        back = g.wait_mem_total(lambda m: full - m <= 60 * 1024, 120)
        g.wait_actual(2000, 30)
        print("# MemTotal back to %d MiB" % (back // 1024))

        # QMP: down again, and the event reports the new size
        g.qmp.events.clear()
        r = g.qmp.cmd("balloon", {"value": 1024 * MiB})
        check(r == {"return": {}}, "balloon: %r" % r)
        g.wait_actual(1024, 120)
        seen = []
        end = time.time() + 5
        while time.time() < end and (not seen or
                                     seen[-1]["data"]["actual"] != 1024 * MiB):
            seen.append(g.qmp.wait_event("BALLOON_CHANGE", 3))
        check(seen and seen[-1]["data"]["actual"] == 1024 * MiB,
              "BALLOON_CHANGE events: %r" % seen[-3:])

        # The statistics queue: polled every second, traced with -d trace
        with open(g.log_path) as f:
            totals = re.findall(r"virtio-balloon: stat-total-memory=(\d+)",
                                f.read())
        check(len(totals) >= 2, "guest statistics were not polled (%d)" %
              len(totals))
        check(abs(int(totals[0]) - full * 1024) < 64 * MiB,
              "stat-total-memory %s vs MemTotal %d KiB" % (totals[0], full))
    finally:
        g.close()


def test_free_page_reporting():
    """With free-page-reporting=on the guest hands back the memory it
    freed (the dd buffer) without any balloon target."""
    g = Guest(",free-page-reporting=on")
    try:
        g.wait_console("BALLOON-READY-42", 180)
        rss_full = rss_mib(g.proc.pid)
        end = time.time() + 40
        while rss_full - rss_mib(g.proc.pid) < 768 and time.time() < end:
            g.pump(0.5)
        rss_low = rss_mib(g.proc.pid)
        print("# free page reporting: emu RSS %d -> %d MiB" %
              (rss_full, rss_low))
        check(rss_full - rss_low >= 768,
              "emu's RSS went from %d to %d MiB only" % (rss_full, rss_low))
        check(g.actual_mib() == 2048, "no balloon target was set")
    finally:
        g.close()


if __name__ == "__main__":
    if not (os.path.exists(os.path.join(GUEST, "vmlinuz")) and
            os.path.exists(os.path.join(GUEST, "initrd.gz"))):
        print("SKIP: no test guest in %s (tests/guest/build-guest.sh)" % GUEST)
        sys.exit(77)
    modlist = os.path.join(GUEST, "modules", "list")
    if os.path.exists(modlist):
        with open(modlist) as f:
            mods = f.read().split()
        for need in ("virtio_pci", "virtio_balloon", "virtio_rng"):
            if need not in mods:
                print("SKIP: the test guest lacks the %s module "
                      "(tests/guest/build-guest.sh)" % need)
                sys.exit(77)
    emutest.main([test_balloon_and_rng, test_free_page_reporting])

#!/usr/bin/env python3
"""The Linux test guest (tests/guest: Debian's kernel, busybox initramfs,
cpubench) under emu's translator: boots through SeaBIOS and -kernel to
its shell, runs a CPU-bound program that checks its own result, counts
its CPUs with -smp 2, and powers off (ACPI S5 ends emu).  Both back ends.

Skipped when the guest is not built (BUILD/guest; tests/guest/build-guest.sh,
which `make check` runs).
"""
import os
import select
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emutest  # noqa: E402
from emutest import check  # noqa: E402

GUEST = os.path.join(os.path.dirname(os.path.abspath(emutest.EMU)), "guest")


def boot(append, accel="tcg", extra=(), stdin_lines=(), timeout=180,
         until=None):
    """Boot the guest with -kernel/-initrd; return (exit status, console).
    stdin_lines are typed at the shell once EMU-GUEST-READY appears."""
    args = [emutest.EMU, "-M", "pc", "-accel", accel, "-m", "512",
            "-nographic", "-no-reboot", "-net", "none",
            "-kernel", os.path.join(GUEST, "vmlinuz"),
            "-initrd", os.path.join(GUEST, "initrd.gz"),
            "-append", "console=ttyS0 panic=-1 " + append] + list(extra)
    p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    out = b""
    typed = False
    end = time.time() + timeout
    try:
        while time.time() < end:
            r, _, _ = select.select([p.stdout], [], [], 0.5)
            if r:
                data = os.read(p.stdout.fileno(), 65536)
                if not data:
                    break
                out += data
                if stdin_lines and not typed and b"EMU-GUEST-READY" in out:
                    typed = True
                    time.sleep(0.5)
                    for line in stdin_lines:
                        p.stdin.write(line.encode() + b"\n")
                        p.stdin.flush()
                        time.sleep(0.3)
                if until and until.encode() in out:
                    break
            elif p.poll() is not None:
                break
        else:
            raise emutest.Failure("timed out after %ds; console tail:\n%s" %
                                  (timeout, out[-1500:].decode(errors="replace")))
        status = p.wait(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return status, out.decode(errors="replace")


def expect_run(append, accel="tcg", extra=(), want=(), timeout=180):
    status, out = boot(append, accel, extra, timeout=timeout)
    tail = out[-2000:]
    check("EMU-GUEST-READY" in out, "no shell marker; console tail:\n" + tail)
    check("EMU-RUN-EXIT 0" in out, "command failed; console tail:\n" + tail)
    for w in want:
        check(w in out, "missing %r; console tail:\n%s" % (w, tail))
    check(status == 0, "emu exited %d after poweroff" % status)
    return out


def test_cpubench_native():
    expect_run('emu.run="cpubench 10"', want=("status=ok",))


def test_cpubench_interp():
    expect_run('emu.run="cpubench 1"', accel="tcg,backend=interp",
               want=("status=ok",), timeout=600)


def test_smp2():
    out = expect_run('emu.run="grep -c ^processor /proc/cpuinfo"',
                     extra=("-smp", "2"))
    lines = [ln.strip() for ln in out.splitlines()]
    check("2" in lines, "the guest does not count 2 CPUs")


def test_shell_and_poweroff():
    status, out = boot("", stdin_lines=("echo sum=$((40+2))", "poweroff"))
    check("sum=42" in out, "the shell did not answer; tail:\n" + out[-1500:])
    check(status == 0, "emu exited %d after poweroff" % status)


if __name__ == "__main__":
    if not (os.path.exists(os.path.join(GUEST, "vmlinuz")) and
            os.path.exists(os.path.join(GUEST, "initrd.gz"))):
        print("SKIP: no test guest in %s (tests/guest/build-guest.sh)" % GUEST)
        sys.exit(77)
    emutest.main([test_cpubench_native, test_cpubench_interp, test_smp2,
                  test_shell_and_poweroff])

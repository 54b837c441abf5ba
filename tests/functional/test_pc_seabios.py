"""The pc machine boots SeaBIOS to "No bootable device." under the
translator (both back ends) and under KVM.

`emu -M pc -accel kvm -m 256 -nographic -net none` must show SeaBIOS's
banner on the serial console (stdio) and end at "No bootable device.",
as Debian's qemu-system-x86_64 does on the same command line (run too,
for information, when installed).  Also checks the one-line errors of
-kernel.  Skips when /dev/kvm is unusable or the firmware is missing.
"""
import os
import select
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from emutest import (EMU, Failure, check, kvm_usable, need_emu,  # noqa: E402
                     run)

ARGS = ["-M", "pc", "-accel", "kvm", "-m", "256", "-nographic",
        "-net", "none"]
BANNER = b"SeaBIOS (version"
END = b"No bootable device"


def serial_until(cmd, timeout=30):
    """Run cmd, collect stdout until END appears; returns (output, secs)."""
    start = time.time()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    out = b""
    try:
        while time.time() - start < timeout and END not in out:
            r, _, _ = select.select([p.stdout], [], [], 0.5)
            if r:
                chunk = os.read(p.stdout.fileno(), 4096)
                if not chunk:
                    break
                out += chunk
        took = time.time() - start
    finally:
        if p.poll() is None:
            try:
                p.stdin.write(b"\x01x")     # Ctrl-a x: quit
                p.stdin.flush()
                p.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                p.kill()
                p.wait()
        err = p.stderr.read()
    return out, took, p.returncode, err


def test_kernel_errors():
    with tempfile.NamedTemporaryFile(suffix=".img") as f:
        f.write(b"this is not a kernel\n" * 100)
        f.flush()
        rc, out, err = run(["-M", "pc", "-kernel", f.name, "-nographic"])
        check(rc == 1, "non-bzImage: exit %d" % rc)
        check("is not a bzImage" in err and err.count("\n") == 1,
              "non-bzImage: %r" % err)
    rc, out, err = run(["-M", "pc", "-kernel", "/nonexistent/vmlinuz",
                        "-nographic"])
    check(rc == 1 and "could not open kernel" in err and
          err.count("\n") == 1, "missing kernel: %d %r" % (rc, err))


def main():
    need_emu()
    test_kernel_errors()
    print("ok: -kernel errors are one line, exit 1")

    # the translator, on both back ends: needs no /dev/kvm
    for backend in ("native", "interp"):
        tcg_args = ["-M", "pc", "-accel", "tcg,backend=" + backend, "-m",
                    "256", "-nographic", "-net", "none"]
        out, took, rc, err = serial_until([EMU] + tcg_args)
        check(BANNER in out and END in out,
              "tcg,backend=%s: SeaBIOS did not reach 'No bootable device': "
              "%r %r" % (backend, out.decode("latin-1")[-500:], err))
        print("ok: emu -accel tcg,backend=%s: SeaBIOS to 'No bootable "
              "device' in %.2f s" % (backend, took))

    why = kvm_usable()
    if why:
        print("SKIP: %s" % why)
        return 77
    rc, out, err = run(["-accel", "help"])
    if "kvm" not in out.split():
        print("SKIP: this build has no KVM accelerator")
        return 77

    out, took, rc, err = serial_until([EMU] + ARGS)
    text = out.decode("latin-1")
    if not out and b"kvm" in err.lower():
        print("SKIP: KVM accelerator not usable: %s" % err.decode().strip())
        return 77
    check(BANNER in out, "no SeaBIOS banner on the serial console: %r %r"
          % (text[-500:], err))
    check(END in out, "SeaBIOS did not reach 'No bootable device' in 30 s: "
          "%r %r" % (text[-500:], err))
    print("ok: emu: SeaBIOS banner and 'No bootable device' after %.1f s"
          % took)

    qemu = "/usr/bin/qemu-system-x86_64"
    if os.access(qemu, os.X_OK):
        qout, qtook, _, _ = serial_until([qemu] + ARGS)
        print("info: qemu-system-x86_64: banner %s, 'No bootable device' "
              "%s after %.1f s" % (BANNER in qout, END in qout, qtook))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failure as e:
        print("FAIL: %s" % e)
        sys.exit(1)

"""Self-checking guest programs under the translator: interrupts through
the local APIC and IOAPIC, and SMP start-up (issue 5).

Runs, on both translator back ends (native and interp):
  - tests/kvm/irq.S (PIT -> 8259 -> LAPIC LINT0 ExtINT) and smp.S
    (INIT-SIPI-SIPI, with -smp 2 and 4), built by tests/kvm/build.sh;
  - tests/functional/tcg-guests/apic.S (self IPI, APIC timer one-shot and
    periodic, PIT through IOAPIC pin 2, TSC-deadline timer);
  - SeaBIOS with -smp N: its debug port must say "Found N cpu(s)" and it
    must reach "No bootable device.", again after system_reset;
  - HMP "info lapic" on a paused machine.
Each program runs as the BIOS of a pc machine, prints on an isa-debugcon
at 0x402 and ends through isa-debug-exit at 0x501: exit status 1 is PASS.
Skips (77) when the assembler/linker, the pc machine or its test devices
are missing; the SeaBIOS cases skip alone when the firmware is missing.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from emutest import EMU, Emu, Failure, check, main, need_emu, run  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.dirname(os.path.abspath(EMU))
KVM_OUT = os.path.join(BUILD, "tests", "kvm")
OWN_SRC = os.path.join(ROOT, "tests", "functional", "tcg-guests")
OWN_OUT = os.path.join(BUILD, "tests", "tcg-guests")
TIMEOUT = 30
BACKENDS = ("native", "interp")

# (image directory, program, extra options)
PROGRAMS = [
    (KVM_OUT, "irq", []),
    (KVM_OUT, "smp", ["-smp", "2"]),
    (KVM_OUT, "smp", ["-smp", "4"]),
    (OWN_OUT, "apic", []),
    (OWN_OUT, "apic", ["-smp", "2"]),
]


def skip(msg):
    print("SKIP: %s" % msg)
    sys.exit(77)


def build_own_programs():
    """tests/functional/tcg-guests/*.S into 64 KiB images (as build.sh)."""
    cc = os.environ.get("CC", "cc")
    ld = os.environ.get("LD", "ld")
    os.makedirs(OWN_OUT, exist_ok=True)
    for f in sorted(os.listdir(OWN_SRC)):
        if not f.endswith(".S"):
            continue
        name = f[:-2]
        src = os.path.join(OWN_SRC, f)
        obj = os.path.join(OWN_OUT, name + ".o")
        out = os.path.join(OWN_OUT, name + ".bin")
        subprocess.run([cc, "-c", "-I", os.path.join(ROOT, "tests", "kvm"),
                        "-o", obj, src], check=True)
        subprocess.run([ld, "-m", "elf_x86_64", "-e", "0", "-Ttext=0",
                        "--oformat", "binary", "-o", out + ".tmp", obj],
                       check=True)
        if os.path.getsize(out + ".tmp") != 65536:
            raise SystemExit("%s: image is not 64 KiB" % name)
        os.replace(out + ".tmp", out)


def prerequisites():
    need_emu()
    cc = os.environ.get("CC", "cc")
    if not shutil.which(cc) or not shutil.which(os.environ.get("LD", "ld")):
        skip("no assembler/linker (%s, ld)" % cc)
    _, out, _ = run(["-M", "help"])
    if "\npc " not in "\n" + out:
        skip("emu has no pc machine")
    _, out, err = run(["-device", "help"])
    for dev in ("isa-debug-exit", "isa-debugcon"):
        if dev not in out + err:
            skip("emu has no %s device" % dev)
    r = subprocess.run(["sh", os.path.join(ROOT, "tests", "kvm", "build.sh"),
                        KVM_OUT], capture_output=True, text=True)
    if r.returncode == 77:
        skip(r.stderr.strip())
    if r.returncode != 0:
        raise SystemExit("tests/kvm/build.sh failed:\n" + r.stderr)
    build_own_programs()


def debugcon_args(log):
    return ["-device", "isa-debug-exit,iobase=0x501,iosize=2",
            "-chardev", "file,id=dbg,path=%s" % log,
            "-device", "isa-debugcon,iobase=0x402,chardev=dbg",
            "-display", "none", "-nodefaults"]


def run_program(image, backend, extra):
    """(exit status, debugcon text, stderr) of one run."""
    d = tempfile.mkdtemp(prefix="tcg-guest-")
    log = os.path.join(d, "debugcon.log")
    args = ["-M", "pc", "-accel", "tcg,backend=%s" % backend, "-m", "128"] + \
        extra + ["-bios", image] + debugcon_args(log)
    try:
        p = subprocess.run([EMU] + args, capture_output=True, text=True,
                           timeout=TIMEOUT, stdin=subprocess.DEVNULL)
        status, err = p.returncode, p.stderr
    except subprocess.TimeoutExpired as e:
        status = "timeout"
        err = e.stderr.decode(errors="replace") if e.stderr else ""
    try:
        with open(log, errors="replace") as f:
            text = f.read()
    except OSError:
        text = ""
    shutil.rmtree(d, ignore_errors=True)
    return status, text, err


def make_program_test(outdir, name, extra, backend):
    def test():
        status, text, err = run_program(os.path.join(outdir, name + ".bin"),
                                        backend, extra)
        check(status == 1 and "PASS" in text and "FAIL" not in text,
              "%s %s (%s): status %s, debugcon %r, stderr %s" %
              (name, " ".join(extra), backend, status, text, err[-800:]))
    test.__name__ = "test_%s%s_%s" % (
        name.replace("-", "_"), "_smp" + extra[1] if extra else "", backend)
    return test


def have_seabios():
    return any(os.path.exists(os.path.join(d, "bios-256k.bin"))
               for d in ("/usr/share/seabios", "/usr/share/qemu"))


def make_seabios_test(ncpus, backend):
    def test():
        if not have_seabios():
            print("# SeaBIOS not installed: %s not run" % test.__name__)
            return
        d = tempfile.mkdtemp(prefix="tcg-seabios-")
        log = os.path.join(d, "debugcon.log")
        p = subprocess.Popen(
            [EMU, "-M", "pc", "-accel", "tcg,backend=%s" % backend,
             "-m", "128", "-smp", str(ncpus),
             "-chardev", "file,id=d,path=%s" % log,
             "-device", "isa-debugcon,iobase=0x402,chardev=d",
             "-display", "none", "-nodefaults"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)
        text = ""
        try:
            end = time.time() + TIMEOUT
            while time.time() < end and p.poll() is None:
                time.sleep(0.2)
                try:
                    with open(log, errors="replace") as f:
                        text = f.read()
                except OSError:
                    continue
                if "No bootable device" in text:
                    break
        finally:
            p.kill()
            p.wait()
            shutil.rmtree(d, ignore_errors=True)
        want = "Found %d cpu(s) max supported %d cpu(s)" % (ncpus, ncpus)
        check(want in text and "No bootable device" in text,
              "-smp %d (%s): want %r; debugcon tail %r" %
              (ncpus, backend, want, text[-600:]))
    test.__name__ = "test_seabios_smp%d_%s" % (ncpus, backend)
    return test


def test_seabios_reset_smp2():
    """system_reset puts the AP back in wait-for-SIPI: found again."""
    if not have_seabios():
        print("# SeaBIOS not installed: not run")
        return
    d = tempfile.mkdtemp(prefix="tcg-reset-")
    log = os.path.join(d, "debugcon.log")
    vm = Emu(["-M", "pc", "-accel", "tcg", "-m", "128", "-smp", "2",
              "-chardev", "file,id=d,path=%s" % log,
              "-device", "isa-debugcon,iobase=0x402,chardev=d",
              "-display", "none", "-nodefaults"])

    def wait_count(n):
        text = ""
        end = time.time() + TIMEOUT
        while time.time() < end:
            with open(log, errors="replace") as f:
                text = f.read()
            if text.count("No bootable device") >= n:
                break
            time.sleep(0.2)
        return text

    try:
        vm.qmp.cmd("qmp_capabilities")
        wait_count(1)
        check("return" in vm.qmp.cmd("system_reset"), "system_reset")
        text = wait_count(2)
        check(text.count("Found 2 cpu(s) max supported 2 cpu(s)") == 2 and
              text.count("No bootable device") >= 2,
              "after system_reset: %r" % text[-800:])
    finally:
        vm.kill()
        shutil.rmtree(d, ignore_errors=True)


def test_info_lapic():
    image = os.path.join(KVM_OUT, "realmode-io.bin")
    vm = Emu(["-M", "pc", "-accel", "tcg", "-m", "128", "-smp", "2", "-S",
              "-bios", image, "-display", "none", "-nodefaults"])
    try:
        vm.qmp.cmd("qmp_capabilities")
        r = vm.qmp.cmd("human-monitor-command",
                       {"command-line": "info lapic"})
        check("return" in r, "info lapic: %s" % r)
        out = r["return"]
        for want in ("dumping local APIC state for CPU 0",
                     "LVT0\t 0x00000700", "LVTT\t 0x00010000",
                     "SPIV\t 0x000000ff APIC disabled",
                     "Timer\t DCR=0x0 (divide by 2) initial_count = 0"):
            check(want in out, "info lapic lacks %r:\n%s" % (want, out))
    finally:
        vm.kill()


def tests():
    t = []
    for backend in BACKENDS:
        t += [make_program_test(o, n, e, backend) for o, n, e in PROGRAMS]
    t += [make_seabios_test(2, "native"), make_seabios_test(4, "native"),
          make_seabios_test(2, "interp")]
    return t + [test_seabios_reset_smp2, test_info_lapic]


if __name__ == "__main__":
    prerequisites()
    try:
        main(tests())
    except Failure as e:
        print("FAIL: %s" % e)
        sys.exit(1)

"""The KVM accelerator with small self-checking guest programs.

Each program in tests/kvm/ (built into build/tests/kvm/ by
tests/kvm/build.sh) runs as the BIOS of a pc machine, prints on an
isa-debugcon at 0x402 and ends through isa-debug-exit at 0x501: exit
status 1 is PASS, 3 FAIL.  Each runs under emu and, when installed, under
Debian's qemu-system-x86_64 with the same options; emu must pass wherever
QEMU passes (a program QEMU cannot run on this host's KVM is reported,
not failed).  Also checks the monitor's CPU commands, -cpu and the -accel
hw / kvm option handling.  Skips (77) when /dev/kvm is unusable or the pc
machine and its test devices are not built.
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from emutest import (EMU, Emu, Failure, check, kvm_usable, main,  # noqa: E402
                     need_emu, run)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "build", "tests", "kvm")
QEMU = shutil.which("qemu-system-x86_64")
TIMEOUT = 15

# program -> extra options (several runs for the SMP one)
PROGRAMS = [
    ("realmode-io", []),
    ("protmode", []),
    ("longmode", []),
    ("mmio", []),
    ("irq", []),
    ("reset", []),
    ("smp", ["-smp", "2"]),
    ("smp", ["-smp", "4"]),
    ("virtio-rng", ["-device", "virtio-rng-pci"]),
    ("virtio-rng-modern", ["-device", "virtio-rng-pci"]),
]

# linux/kvm.h: KVM_CHECK_EXTENSION and the capabilities of the fast path
KVM_CHECK_EXTENSION = 0xAE03
KVM_CAP_IRQ_ROUTING = 25
KVM_CAP_IRQFD = 32
KVM_CAP_IOEVENTFD = 36


def skip(msg):
    print("SKIP: %s" % msg)
    sys.exit(77)


def host_has_virt_flag():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                words = line.split()
                return "vmx" in words or "svm" in words
    return False


def prerequisites():
    need_emu()
    reason = kvm_usable()
    if reason:
        skip(reason)
    _, out, _ = run(["-M", "help"])
    if "\npc " not in "\n" + out:
        skip("emu has no pc machine yet")
    _, out, err = run(["-device", "help"])
    for dev in ("isa-debug-exit", "isa-debugcon"):
        if dev not in out + err:
            skip("emu has no %s device yet" % dev)
    r = subprocess.run(["sh", os.path.join(ROOT, "tests", "kvm", "build.sh"),
                        OUT], capture_output=True, text=True)
    if r.returncode == 77:
        skip(r.stderr.strip())
    if r.returncode != 0:
        raise SystemExit("tests/kvm/build.sh failed:\n" + r.stderr)


def run_program(binary, name, extra, accel="kvm"):
    """(passed, exit status, debugcon text, stderr) of one run."""
    d = tempfile.mkdtemp(prefix="kvm-test-")
    log = os.path.join(d, "debugcon.log")
    args = ["-M", "pc", "-accel", accel, "-m", "128"] + extra + [
        "-bios", os.path.join(OUT, name + ".bin"),
        "-device", "isa-debug-exit,iobase=0x501,iosize=2",
        "-chardev", "file,id=dbg,path=%s" % log,
        "-device", "isa-debugcon,iobase=0x402,chardev=dbg",
        "-display", "none", "-nodefaults"]
    try:
        p = subprocess.run([binary] + args, capture_output=True, text=True,
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
    passed = status == 1 and "PASS" in text and "FAIL" not in text
    return passed, status, text, err


def make_program_test(name, extra):
    def test():
        ok, status, text, err = run_program(EMU, name, extra)
        if QEMU:
            qok, qstatus, _, _ = run_program(QEMU, name, extra)
        else:
            qok, qstatus = None, None
        if ok:
            return
        if qok is False:
            print("# %s: fails under QEMU too on this host (status %s); "
                  "not counted" % (name, qstatus))
            return
        raise Failure("%s %s: emu status %s, debugcon %r%s, stderr %s" %
                      (name, " ".join(extra), status, text,
                       " (QEMU passes)" if qok else "", err[-800:]))
    test.__name__ = "test_program_%s%s" % (
        name.replace("-", "_"), "_" + "_".join(extra[1:]) if extra else "")
    return test


def kvm_has_eventfds():
    """Does this host's KVM offer ioeventfd, irqfd and GSI routing?"""
    import fcntl
    fd = os.open("/dev/kvm", os.O_RDWR)
    try:
        return all(fcntl.ioctl(fd, KVM_CHECK_EXTENSION, cap) > 0
                   for cap in (KVM_CAP_IOEVENTFD, KVM_CAP_IRQFD,
                               KVM_CAP_IRQ_ROUTING))
    finally:
        os.close(fd)


def virtio_rng_trace(ioeventfd, program="virtio-rng", props=""):
    """Run a virtio-rng program with -d trace: (passed, trace text, why)."""
    d = tempfile.mkdtemp(prefix="kvm-virtio-")
    trace = os.path.join(d, "trace.log")
    try:
        ok, status, text, err = run_program(
            EMU, program, ["-device", "virtio-rng-pci,ioeventfd=%s%s" %
                           (ioeventfd, props), "-d", "trace", "-D", trace])
        try:
            with open(trace, errors="replace") as f:
                log = f.read()
        except OSError:
            log = ""
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return ok, log, "status %s, debugcon %r, stderr %s" % (status, text,
                                                          err[-800:])


def test_virtio_eventfds():
    """The kick arrives through an ioeventfd, the MSI-X through an irqfd,
    unless ioeventfd=off (both exit to userspace, as under the
    translator).  The device must work either way."""
    ok, log, why = virtio_rng_trace("off")
    check(ok, "ioeventfd=off: %s" % why)
    check("virtio_pci_notify_write virtio-rng queue 0 (legacy register)"
          in log and "ioeventfd" not in log and "irqfd" not in log,
          "ioeventfd=off: the kick must take the register path: %r" % log)

    ok, log, why = virtio_rng_trace("on")
    check(ok, "ioeventfd=on: %s" % why)
    if not kvm_has_eventfds():
        print("# host KVM lacks ioeventfd/irqfd: only the fallback checked")
        check("virtio_pci_notify_write virtio-rng queue 0" in log,
              "fallback kick: %r" % log)
        return
    check("virtio_pci_ioeventfd_register virtio-rng queue 0 mmio 0x0 pio "
          "0xc010" in log, "ioeventfd registration: %r" % log)
    check("virtio_pci_ioeventfd_kick virtio-rng queue 0 (kicks 1)" in log,
          "the kick must arrive through the ioeventfd: %r" % log)
    check("virtio_pci_notify_write" not in log,
          "no kick may take the register path: %r" % log)
    check("virtio_pci_irqfd_bind virtio-rng vector 0 gsi " in log and
          "virtio_pci_irqfd_notify virtio-rng vector 0 (interrupts 1)" in log,
          "the interrupt must go through the irqfd: %r" % log)

    # modern interface: the ioeventfd follows BAR4 when the driver moves
    # it, goes away on a device reset and comes back at DRIVER_OK; the
    # irqfd is dropped on the reset and bound again
    ok, log, why = virtio_rng_trace("on", "virtio-rng-modern")
    check(ok, "modern, ioeventfd=on: %s" % why)
    want = ["virtio_pci_ioeventfd_register virtio-rng queue 0 mmio "
            "0xfe003000 pio 0x0",
            "virtio_pci_ioeventfd_kick virtio-rng queue 0 (kicks 1)",
            "virtio_pci_irqfd_bind virtio-rng vector 0 gsi ",
            "virtio_pci_ioeventfd_unregister virtio-rng queue 0",
            "virtio_pci_ioeventfd_register virtio-rng queue 0 mmio "
            "0xfd003000 pio 0x0",
            "virtio_pci_ioeventfd_kick virtio-rng queue 0 (kicks 2)",
            "virtio_pci_ioeventfd_unregister virtio-rng queue 0",
            "virtio_pci_ioeventfd_register virtio-rng queue 0 mmio "
            "0xfd003000 pio 0x0",
            "virtio_pci_ioeventfd_kick virtio-rng queue 0 (kicks 3)",
            "virtio_pci_irqfd_bind virtio-rng vector 0 gsi ",
            "virtio_pci_irqfd_notify virtio-rng vector 0 (interrupts 3)"]
    pos = 0
    for w in want:      # in this order
        i = log.find(w, pos)
        check(i >= 0, "modern: %r missing (in order) from %r" % (w, log))
        pos = i + len(w)
    check("virtio_pci_notify_write" not in log,
          "modern: no kick may take the register path: %r" % log)
    ok, log, why = virtio_rng_trace("off", "virtio-rng-modern")
    check(ok and log.count("virtio_pci_notify_write virtio-rng queue 0 "
                           "(modern register)") == 3 and
          "ioeventfd" not in log and "irqfd" not in log,
          "modern, ioeventfd=off: %s %r" % (why, log))


def hmp(vm, line):
    r = vm.qmp.cmd("human-monitor-command", {"command-line": line})
    check("return" in r, "%s: %s" % (line, r))
    return r["return"]


def paused_vm(extra=None):
    prog = os.path.join(OUT, "realmode-io.bin")
    return Emu(["-M", "pc", "-accel", "kvm", "-m", "128", "-S",
                "-bios", prog, "-display", "none", "-nodefaults",
                "-device", "isa-debug-exit,iobase=0x501,iosize=2",
                "-chardev", "null,id=dbg",
                "-device", "isa-debugcon,iobase=0x402,chardev=dbg"] +
               (extra or []))


def test_monitor_at_reset():
    vm = paused_vm(["-smp", "2"])
    try:
        r = vm.qmp.cmd("qmp_capabilities")
        r = vm.qmp.cmd("query-kvm")
        check(r.get("return") == {"enabled": True, "present": True},
              "query-kvm: %s" % r)
        check(hmp(vm, "info kvm").strip() == "kvm support: enabled",
              "info kvm")
        cpus = vm.qmp.cmd("query-cpus-fast")["return"]
        check(len(cpus) == 2, "query-cpus-fast: %s" % cpus)
        for i, c in enumerate(cpus):
            check(c["cpu-index"] == i and c["target"] == "x86_64" and
                  isinstance(c["thread-id"], int) and
                  set(c["props"]) >= {"socket-id", "core-id", "thread-id"},
                  "query-cpus-fast entry: %s" % c)
        out = hmp(vm, "info cpus")
        check(out.startswith("* CPU #0: thread_id=%d" % cpus[0]["thread-id"])
              and "  CPU #1: thread_id=" in out, "info cpus: %r" % out)
        regs = hmp(vm, "info registers")
        for want in ("EIP=0000fff0 EFL=00000002",
                     "CS =f000 ffff0000 0000ffff 00009b00",
                     "CR0=60000010", "DR7=0000000000000400",
                     "EFER=0000000000000000", "MXCSR=00001f80"):
            check(want in regs, "info registers lacks %r:\n%s" % (want, regs))
        check("EDX=00000000" not in regs, "EDX must hold the signature")
        allregs = hmp(vm, "info registers -a")
        check("CPU#0" in allregs and "CPU#1" in allregs, "info registers -a")
        # the reset vector: ljmp $0xf000, $start
        out = hmp(vm, "xp /1xb 0xfffffff0")
        check(out.strip() == "00000000fffffff0: 0xea", "xp: %r" % out)
        out = hmp(vm, "xp /2xw 0xffff0")
        check(out.startswith("00000000000ffff0: 0x"), "xp /2xw: %r" % out)
        out = hmp(vm, "x /4xb 0xffff0")
        check(out.startswith("00000000000ffff0: 0xea"), "x: %r" % out)
        out = hmp(vm, "gpa2hva 0x1000")
        check(out.startswith("Host virtual address for 0x1000 (") and
              " is 0x" in out, "gpa2hva: %r" % out)
        # start it: the program runs to its end
        vm.qmp.cmd("cont")
        status = vm.wait(TIMEOUT)
        check(status == 1, "after cont the program exits 1, got %s" % status)
    finally:
        vm.kill()


def test_cpu_option():
    status, out, err = run(["-cpu", "help"])
    check(status == 0 and "qemu64" in out and "host" in out,
          "-cpu help: %s %s" % (status, out))
    status, out, err = run(["-M", "pc", "-accel", "kvm", "-cpu", "nosuch",
                            "-display", "none", "-nodefaults"])
    check(status == 1 and "nosuch" in err and len(err.strip().splitlines())
          <= 2, "-cpu nosuch: %s %r" % (status, err))
    ok, status, text, err = run_program(EMU, "longmode", ["-cpu", "host"])
    check(ok, "-cpu host: %s %r %s" % (status, text, err))


def test_accel_options():
    status, _, err = run(["-M", "pc", "-accel", "kvm,kernel-irqchip=split",
                          "-display", "none", "-nodefaults"])
    check(status == 1 and "kernel-irqchip=split" in err and
          len(err.strip().splitlines()) == 1, "split: %s %r" % (status, err))
    status, _, err = run(["-M", "pc", "-accel", "kvm,bogus=1",
                          "-display", "none", "-nodefaults"])
    check(status == 1 and "bogus" in err, "bogus option: %r" % err)


def test_accel_hw():
    if host_has_virt_flag():
        ok, status, text, err = run_program(EMU, "protmode", [])
        vm = paused_vm()
        try:
            vm.qmp.cmd("qmp_capabilities")
            r = vm.qmp.cmd("query-kvm")
            check(r["return"]["enabled"], "hw should pick KVM: %s" % r)
        finally:
            vm.kill()
        return
    # no hardware virtualization: the translator runs the program
    ok, status, text, err = run_program(EMU, "realmode-io", [], accel="hw")
    lines = err.strip().splitlines()
    check(len(lines) >= 1 and lines[0] == "emu: warning: -accel hw: no "
          "hardware virtualization (no vmx/svm flag); using the translator",
          "warning line: %r" % err)
    check(ok, "hw fallback: %s %r %r" % (status, text, err))


def test_no_kvm_device():
    """Without /dev/kvm (hidden in a mount namespace): one line, exit 1."""
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        print("# test_no_kvm_device: needs unshare -m (root); not run")
        return
    for opt, prefix in ((["-accel", "kvm"], "emu: -accel kvm: "),
                        (["-enable-kvm"], "emu: -enable-kvm: ")):
        cmd = " ".join([EMU, "-M", "pc", "-display", "none",
                        "-nodefaults"] + opt)
        p = subprocess.run(["unshare", "-m", "sh", "-c",
                            "mount -t tmpfs none /dev && exec " + cmd],
                           capture_output=True, text=True, timeout=TIMEOUT)
        check(p.returncode == 1 and p.stderr == prefix +
              "Could not access KVM kernel module: No such file or "
              "directory\n", "%s: %s %r" % (opt, p.returncode, p.stderr))


def tests():
    t = [make_program_test(n, e) for n, e in PROGRAMS]
    return t + [test_monitor_at_reset, test_cpu_option, test_accel_options,
                test_accel_hw, test_no_kvm_device, test_virtio_eventfds]


if __name__ == "__main__":
    prerequisites()
    main(tests())

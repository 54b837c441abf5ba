#!/usr/bin/env python3
"""The command line: help, version, and one clear error line for bad input."""
import os
import signal
import subprocess
import time

from emutest import EMU, Emu, check, main, run, wait_for_path


def one_error_line(args, *expect):
    rc, out, err = run(args)
    lines = err.strip().splitlines()
    check(rc == 1, "%s: exit %d, want 1 (stderr %r)" % (args, rc, err))
    check(len(lines) == 1, "%s: want one line, got %r" % (args, err))
    check(lines[0].startswith("emu: "), "%s: %r" % (args, lines[0]))
    for e in expect:
        check(e in lines[0], "%s: %r lacks %r" % (args, lines[0], e))


def test_bad_input():
    one_error_line(["-bogus"], "-bogus", "invalid option")
    one_error_line(["-m"], "-m", "requires an argument")
    one_error_line(["-M", "none", "-m", "0"], "-m 0")
    one_error_line(["-M", "none", "-m", "12Q"], "12Q")
    one_error_line(["-M", "none", "-device", "nosuch"], "nosuch")
    one_error_line(["-M", "nosuchmachine"], "nosuchmachine")
    one_error_line(["-M", "none", "-accel", "bogus"], "bogus")
    one_error_line(["-M", "none", "-smp", "cpus=x"], "x")
    one_error_line(["-M", "none", "-d", "nosuchitem"], "nosuchitem")
    one_error_line(["-M", "none", "-chardev", "socket,id=c0"], "c0")
    one_error_line(["-M", "none", "-chardev", "nosuch,id=c0"], "nosuch")
    one_error_line(["-M", "none", "-uuid", "xyz"], "-uuid")
    one_error_line(["-M", "none", "-serial", "bogus:spec"], "bogus")
    one_error_line(["-M", "none", "-device", "emu-testdev,nosuchprop=1"],
                   "nosuchprop")
    one_error_line(["-M", "none", "-global", "noseparator"], "noseparator")


def test_help_and_version():
    rc, out, _ = run(["-version"])
    check(rc == 0 and out.startswith("emu version "), out)
    rc, out, _ = run(["-h"])
    check(rc == 0 and "-machine" in out and "-qmp" in out, out)
    rc, out, _ = run(["-M", "help"])
    check(rc == 0 and "none" in out and "empty machine" in out, out)
    rc, out, _ = run(["-device", "help"])
    check(rc == 0 and 'name "emu-testdev"' in out, out)
    rc, out, _ = run(["-device", "emu-testdev,help"])
    check(rc == 0 and "addr" in out and "iobase" in out, out)
    rc, out, _ = run(["-d", "help"])
    check(rc == 0 and "guest_errors" in out and "in_asm" in out, out)
    rc, out, _ = run(["-chardev", "help"])
    check(rc == 0 and "socket" in out and "stdio" in out, out)


def test_pidfile_and_signal():
    import tempfile
    d = tempfile.mkdtemp()
    pidfile = os.path.join(d, "emu.pid")
    p = subprocess.Popen([EMU, "-M", "none", "-nodefaults", "-pidfile",
                          pidfile], stderr=subprocess.PIPE, text=True)
    try:
        wait_for_path(pidfile, p)
        time.sleep(0.2)
        with open(pidfile) as f:
            check(int(f.read()) == p.pid, "pid file content")
        # a second emu with the same pidfile is refused
        rc, _, err = run(["-M", "none", "-nodefaults", "-pidfile", pidfile])
        check(rc == 1 and "pid file" in err, err)
        p.send_signal(signal.SIGTERM)
        rc = p.wait(timeout=5)
        err = p.stderr.read()
        check(rc == 0, "exit %d after SIGTERM" % rc)
        check("terminating on signal 15" in err, err)
        check(not os.path.exists(pidfile), "pid file not removed")
    finally:
        if p.poll() is None:
            p.kill()


def test_daemonize():
    import tempfile
    d = tempfile.mkdtemp()
    pidfile = os.path.join(d, "emu.pid")
    sock = os.path.join(d, "qmp.sock")
    rc, out, err = run(["-M", "none", "-nodefaults", "-daemonize",
                        "-pidfile", pidfile,
                        "-qmp", "unix:%s,server=on,wait=off" % sock])
    check(rc == 0, "daemonize parent exit %d: %s" % (rc, err))
    check(os.path.exists(pidfile), "no pid file")
    with open(pidfile) as f:
        pid = int(f.read())
    os.kill(pid, 0)    # alive
    from emutest import QMP
    q = QMP(sock)
    q.cmd("qmp_capabilities")
    r = q.cmd("query-status")
    check(r["return"]["status"] == "running", r)
    q.cmd("quit")
    end = time.time() + 5
    while time.time() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, signal.SIGKILL)
        check(False, "daemon did not exit after quit")
    rc, _, err = run(["-M", "none", "-daemonize", "-nographic"])
    check(rc == 1 and "-daemonize" in err, err)


def test_log_file():
    import tempfile
    d = tempfile.mkdtemp()
    log = os.path.join(d, "log.txt")
    e = Emu(["-M", "none", "-m", "16M", "-nodefaults", "-d", "guest_errors",
             "-D", log])
    try:
        q = e.qmp
        q.cmd("qmp_capabilities")
        q.cmd("quit")
        check(e.wait() == 0, "exit status")
        check(os.path.exists(log), "-D file not created")
    finally:
        e.kill()


if __name__ == "__main__":
    main([test_bad_input, test_help_and_version, test_pidfile_and_signal,
          test_daemonize, test_log_file])

#!/usr/bin/env python3
"""The human monitor (HMP) on a unix socket: banner, prompt, commands."""
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

from emutest import EMU, Failure, check, main, wait_for_path

PROMPT = b"(emu) "


class HMP:
    """An HMP client: sends lines, returns what was printed before the
    next prompt (without the echoed command line)."""

    def __init__(self, path, timeout=10):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.timeout = timeout
        self.buf = b""

    def read_until_prompt(self):
        end = time.time() + self.timeout
        while not self.buf.endswith(PROMPT):
            left = end - time.time()
            if left <= 0:
                raise Failure("no prompt within %ss; got %r" %
                              (self.timeout, self.buf))
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not data:
                raise Failure("monitor closed the connection; got %r" %
                              self.buf)
            self.buf += data
        text, self.buf = self.buf[:-len(PROMPT)], b""
        return text.decode()

    def cmd(self, line):
        self.sock.sendall(line.encode() + b"\r")
        text = self.read_until_prompt()
        echo, sep, rest = text.partition("\r\n")
        check(sep and echo.endswith(line),
              "%r: echo missing in %r" % (line, text))
        return rest

    def close(self):
        self.sock.close()


class EmuHMP:
    def __init__(self, extra=()):
        self.dir = tempfile.mkdtemp(prefix="emu-test-")
        self.path = os.path.join(self.dir, "hmp.sock")
        args = [EMU, "-M", "none", "-S", "-nodefaults", "-monitor",
                "unix:%s,server=on,wait=off" % self.path] + list(extra)
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        wait_for_path(self.path, self.proc)
        self.hmp = HMP(self.path)

    def wait(self, timeout=5):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Failure("emu did not exit within %ss" % timeout)

    def kill(self):
        self.hmp.close()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def test_banner_and_help():
    emu = EmuHMP()
    try:
        banner = emu.hmp.read_until_prompt()
        check(re.fullmatch(r"emu \S+ monitor - type 'help' for more "
                           r"information\r\n", banner),
              "banner %r" % banner)
        out = emu.hmp.cmd("help")
        for line in ("cont|c  -- resume emulation",
                     "quit|q  -- quit the emulator",
                     "stop|s  -- stop emulation",
                     "info [subcommand] -- "):
            check(line in out, "help lacks %r: %r" % (line, out))
        names = [l.split(" ")[0] for l in out.split("\r\n") if l]
        check(names == sorted(names), "help not sorted: %r" % names)
        out = emu.hmp.cmd("info")
        check("info status  -- " in out and "info mtree [-f] -- " in out,
              "info list %r" % out)
        out = emu.hmp.cmd("help stop")
        check(out == "stop|s  -- stop emulation\r\n", "help stop %r" % out)
        out = emu.hmp.cmd("info version")
        check(re.fullmatch(r"7\.2\.0 \(emu \S+\)\r\n", out),
              "info version %r" % out)
        out = emu.hmp.cmd("frobnicate 1 2")
        check(out == "unknown command: 'frobnicate'\r\n",
              "unknown command %r" % out)
        # -M none has no CPU: any index is invalid
        out = emu.hmp.cmd("cpu 0")
        check(out == "Error: invalid CPU index\r\n", "cpu 0 %r" % out)
        out = emu.hmp.cmd("info chardev")
        check(re.search(r"^\S+: filename=unix:%s" % re.escape(emu.path),
                        out, re.M), "info chardev %r" % out)
        out = emu.hmp.cmd("info history")
        check(out.startswith("0: 'help'\r\n1: 'info'\r\n") and
              out.endswith("'info history'\r\n"), "info history %r" % out)
        emu.hmp.sock.sendall(b"quit\r")
        check(emu.wait(5) == 0, "exit status after quit")
    finally:
        emu.kill()


def test_info_trees():
    emu = EmuHMP()
    try:
        emu.hmp.read_until_prompt()
        out = emu.hmp.cmd("info mtree")
        check("address-space: memory" in out, "info mtree %r" % out)
        out = emu.hmp.cmd("info mtree -f")
        check("FlatView" in out, "info mtree -f %r" % out)
        out = emu.hmp.cmd("info qtree")
        check("bus: " in out, "info qtree %r" % out)
        emu.hmp.sock.sendall(b"q\r")
        check(emu.wait(5) == 0, "exit status after q")
    finally:
        emu.kill()


def test_run_control():
    emu = EmuHMP()
    try:
        emu.hmp.read_until_prompt()
        out = emu.hmp.cmd("info status")
        check(out == "VM status: paused (prelaunch)\r\n", "with -S: %r" % out)
        check(emu.hmp.cmd("cont") == "", "cont prints nothing")
        out = emu.hmp.cmd("info status")
        check(out == "VM status: running\r\n", "after cont: %r" % out)
        check(emu.hmp.cmd("stop") == "", "stop prints nothing")
        out = emu.hmp.cmd("info status")
        check(out == "VM status: paused\r\n", "after stop: %r" % out)
        emu.hmp.cmd("c")
        out = emu.hmp.cmd("info status")
        check(out == "VM status: running\r\n", "after c: %r" % out)
        out = emu.hmp.cmd("stop now")
        check("extraneous characters" in out, "stop now: %r" % out)
        emu.hmp.sock.sendall(b"quit\r")
        check(emu.wait(5) == 0, "exit status after quit")
    finally:
        emu.kill()


if __name__ == "__main__":
    main([test_banner_and_help, test_info_trees, test_run_control])

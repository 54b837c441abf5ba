"""Small helpers for functional tests that run the real emu binary.

Exit-code convention for test scripts: 0 pass, 77 skip, anything else fail.
"""
import fcntl
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

EMU = os.environ.get("EMU") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "emu")


def need_emu():
    if not os.access(EMU, os.X_OK):
        print("SKIP: %s not built" % EMU)
        sys.exit(77)


KVM_GET_API_VERSION = 0xAE00     # _IO(KVMIO, 0x00)


def kvm_usable():
    """None when /dev/kvm answers as KVM (API 12), else the reason."""
    try:
        fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    except OSError as e:
        return "cannot open /dev/kvm: %s" % e.strerror
    try:
        if fcntl.ioctl(fd, KVM_GET_API_VERSION) != 12:
            return "KVM API version is not 12"
    except OSError as e:
        return "KVM_GET_API_VERSION failed: %s" % e.strerror
    finally:
        os.close(fd)
    return None


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def run(args, timeout=10, stdin=None):
    """Run emu to completion; returns (exit status, stdout, stderr)."""
    p = subprocess.run([EMU] + args, capture_output=True, text=True,
                       timeout=timeout, stdin=stdin or subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def wait_for_path(path, proc, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        if os.path.exists(path):
            return
        if proc.poll() is not None:
            raise Failure("emu exited early with %d: %s" %
                          (proc.returncode, proc.stderr.read()))
        time.sleep(0.02)
    raise Failure("timed out waiting for %s" % path)


class QMP:
    """A QMP client on a unix socket."""

    def __init__(self, path, timeout=10):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self.events = []
        self.greeting = self._read()

    def _read(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise Failure("QMP connection closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def send_raw(self, text):
        self.sock.sendall(text.encode())

    def read_reply(self):
        while True:
            msg = self._read()
            if "event" in msg:
                self.events.append(msg)
                continue
            return msg

    def cmd(self, name, args=None, **extra):
        req = {"execute": name}
        if args is not None:
            req["arguments"] = args
        req.update(extra)
        self.send_raw(json.dumps(req) + "\n")
        return self.read_reply()

    def wait_event(self, name, timeout=5):
        end = time.time() + timeout
        while time.time() < end:
            for i, e in enumerate(self.events):
                if e["event"] == name:
                    return self.events.pop(i)
            try:
                self.sock.settimeout(max(0.05, end - time.time()))
                msg = self._read()
            except socket.timeout:
                break
            if "event" in msg:
                self.events.append(msg)
        raise Failure("no %s event within %ss" % (name, timeout))

    def close(self):
        self.sock.close()


class Emu:
    """emu running in the background with a QMP socket."""

    def __init__(self, args, qmp=True):
        self.dir = tempfile.mkdtemp(prefix="emu-test-")
        self.qmp_path = os.path.join(self.dir, "qmp.sock")
        full = [EMU] + args
        if qmp:
            full += ["-qmp", "unix:%s,server=on,wait=off" % self.qmp_path]
        self.proc = subprocess.Popen(full, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.qmp = None
        if qmp:
            wait_for_path(self.qmp_path, self.proc)
            self.qmp = QMP(self.qmp_path)

    def path(self, name):
        return os.path.join(self.dir, name)

    def wait(self, timeout=5):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Failure("emu did not exit within %ss" % timeout)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def main(tests):
    """Run test functions; print results; exit 0 if all passed."""
    need_emu()
    failed = 0
    for t in tests:
        try:
            t()
            print("ok - %s" % t.__name__)
        except Exception as e:  # noqa: BLE001 - report any failure
            failed += 1
            print("not ok - %s: %s: %s" % (t.__name__, type(e).__name__, e))
    sys.exit(1 if failed else 0)

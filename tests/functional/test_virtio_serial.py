#!/usr/bin/env python3
"""virtio-serial with the Linux test guest under -accel tcg.

One boot with a virtio-serial-pci (id virtio-serial0) carrying
  - a virtserialport named org.qemu.guest_agent.0 on the bus given by name
    (bus=virtio-serial0.0), connected to a host unix socket, and
  - a virtconsole on the default bus, connected to another socket.
The guest finds its port through /sys/class/virtio-ports/*/name (the test
guest has no udev to make /dev/virtio-ports/ links), reads a line the host
sent before the guest even opened the port (flow control: the bytes wait
in the socket), answers on the port, and writes a line to /dev/hvc0.  QMP
reports VSERPORT_CHANGE when the guest opens the port.

Also checks the command-line errors of port numbering without booting.
The guest part is skipped when the guest (BUILD/guest) is missing or
lacks the virtio_pci/virtio_console modules (BUILD/guest/modules, which
the initramfs holds and loads); EMU_GUEST_DIR overrides the directory.
"""
import hashlib
import os
import select
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emutest  # noqa: E402
from emutest import check  # noqa: E402

GUEST = os.environ.get("EMU_GUEST_DIR") or os.path.join(
    os.path.dirname(os.path.abspath(emutest.EMU)), "guest")
PORT_NAME = "org.qemu.guest_agent.0"
# Bytes sent each way after the handshake: more than the guest's receive
# buffers hold, so the host must wait for the guest instead of dropping
BULK = 1024 * 1024

# Runs in the guest (emu.run).  Modules are loaded if /init did not.
GUEST_SCRIPT = (
    "for m in $(cat /lib/modules/load-order 2>/dev/null); do "
    "insmod /lib/modules/$m 2>/dev/null; done; "
    "p=; i=0; while [ x$p = x ] && [ $i -lt 100 ]; do "
    "for d in /sys/class/virtio-ports/vport*; do "
    "[ x$(cat $d/name 2>/dev/null) = x" + PORT_NAME + " ] && p=/dev/${d##*/}; "
    "done; [ x$p = x ] && { sleep 0.1; i=$((i+1)); }; done; "
    "echo VPORT=$p; [ -c $p ] || exit 3; "
    "exec 3<>$p; "
    "l=$(timeout 30 head -n 1 <&3); echo GOT=$l; "
    "echo pong-from-guest >&3; "
    "echo MD5=$(timeout 60 head -c %d <&3 | md5sum); "
    "dd if=/dev/zero bs=65536 count=%d 2>/dev/null >&3; "
    "i=0; while [ ! -c /dev/hvc0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; "
    "echo console-text-from-guest >/dev/hvc0; "
    "sleep 1; exec 3>&-"
) % (BULK, BULK // 65536)


def guest_present():
    """None when the guest can run this test, else why not."""
    for f in ("vmlinuz", "initrd.gz"):
        if not os.path.exists(os.path.join(GUEST, f)):
            return "no test guest in %s (tests/guest/build-guest.sh)" % GUEST
    # Debian builds virtio_pci and virtio_console as modules; the guest
    # builder puts the ones it packs into the initramfs in GUEST/modules.
    if not os.path.exists(os.path.join(GUEST, "modules", "virtio_console.ko")):
        return "the test guest in %s has no virtio_console module" % GUEST
    return None


def connect_unix(path, proc, timeout=10):
    emutest.wait_for_path(path, proc, timeout)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.setblocking(False)
    return s


def test_guest_port_and_console():
    tmp = tempfile.mkdtemp(prefix="emu-vser-")
    ga_path = os.path.join(tmp, "ga.sock")
    con_path = os.path.join(tmp, "con.sock")
    qmp_path = os.path.join(tmp, "qmp.sock")
    args = [emutest.EMU, "-M", "pc", "-accel", "tcg", "-m", "512",
            "-nographic", "-no-reboot", "-net", "none",
            "-kernel", os.path.join(GUEST, "vmlinuz"),
            "-initrd", os.path.join(GUEST, "initrd.gz"),
            "-append", "console=ttyS0 panic=-1 emu.run=\"%s\"" % GUEST_SCRIPT,
            "-qmp", "unix:%s,server=on,wait=off" % qmp_path,
            "-chardev", "socket,id=ga,path=%s,server=on,wait=off" % ga_path,
            "-chardev", "socket,id=con,path=%s,server=on,wait=off" % con_path,
            "-device", "virtio-serial-pci,id=virtio-serial0",
            "-device", "virtserialport,bus=virtio-serial0.0,chardev=ga,"
                       "id=ga0,name=" + PORT_NAME,
            "-device", "virtconsole,chardev=con,id=con0"]
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = b""
    from_port = b""
    from_console = b""
    bulk = bytes((i * 7 + i // 4096) % 251 for i in range(BULK))
    pending = None
    try:
        emutest.wait_for_path(qmp_path, p)
        qmp = emutest.QMP(qmp_path)
        qmp.cmd("qmp_capabilities")
        ga = connect_unix(ga_path, p)
        con = connect_unix(con_path, p)
        # Sent before the guest has a driver: must wait, not be dropped
        ga.sendall(b"ping-from-host\n")
        end = time.time() + 240
        while time.time() < end:
            if pending is None and b"pong-from-guest\n" in from_port:
                pending = bulk
            w = [ga] if pending else []
            r, w, _ = select.select([p.stdout, ga, con], w, [], 0.5)
            if w:
                try:
                    n = ga.send(pending[:65536])
                    pending = pending[n:]
                except BlockingIOError:
                    pass
                except OSError as e:
                    raise emutest.Failure(
                        "sending to the port failed (%s), emu status %r; "
                        "console tail:\n%s" % (e, p.poll(),
                                               out[-2000:].decode(
                                                   errors="replace")))
            if p.stdout in r:
                data = os.read(p.stdout.fileno(), 65536)
                if not data:
                    break
                out += data
            for s in (ga, con):
                if s in r:
                    try:
                        data = s.recv(65536)
                    except BlockingIOError:
                        data = None
                    if data:
                        if s is ga:
                            from_port += data
                        else:
                            from_console += data
            if p.poll() is not None and not r:
                break
        else:
            raise emutest.Failure("timed out; console tail:\n" +
                                  out[-2000:].decode(errors="replace"))
        text = out.decode(errors="replace")
        tail = text[-2500:]
        check("EMU-GUEST-READY" in text, "guest did not boot:\n" + tail)
        check("VPORT=/dev/vport" in text,
              "the guest found no port named %s:\n%s" % (PORT_NAME, tail))
        check("GOT=ping-from-host" in text,
              "the guest did not read the host's line:\n" + tail)
        check(b"pong-from-guest\n" in from_port,
              "the host socket got %r from the port" % from_port)
        check(b"console-text-from-guest" in from_console,
              "the console socket got %r" % from_console)
        check("MD5=%s" % hashlib.md5(bulk).hexdigest() in text,
              "the guest read other bytes than the host sent:\n" + tail)
        rest = from_port.split(b"pong-from-guest\n", 1)[1]
        check(rest == bytes(BULK), "the host got %d bytes after the pong "
              "(want %d zero bytes)" % (len(rest), BULK))
        check("EMU-RUN-EXIT 0" in text, "guest script failed:\n" + tail)
        # One event per port the guest opened (the console's too, as QEMU)
        seen = []
        while {"id": "ga0", "open": True} not in seen:
            seen.append(qmp.wait_event("VSERPORT_CHANGE", timeout=1)["data"])
        qmp.close()
        ga.close()
        con.close()
        status = p.wait(timeout=30)
        check(status == 0, "emu exited %d after poweroff" % status)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def expect_error(args, what):
    st, out, err = emutest.run(["-M", "pc", "-accel", "qtest", "-display",
                                "none", "-net", "none"] + args)
    check(st == 1, "exit %d for %r: %s" % (st, args, err))
    check(what in err, "expected %r in %r" % (what, err))


def test_port_errors():
    expect_error(["-chardev", "null,id=c", "-device",
                  "virtserialport,chardev=c"], "virtio-serial-bus")
    expect_error(["-chardev", "null,id=c", "-device", "virtio-serial-pci",
                  "-device", "virtserialport,chardev=c,nr=0"],
                 "reserved for virtconsole")
    expect_error(["-device", "virtio-serial-pci,max_ports=2",
                  "-device", "virtserialport,nr=2"], "max. allowed: 1")
    expect_error(["-device", "virtio-serial-pci",
                  "-device", "virtserialport,name=a,id=p1",
                  "-device", "virtserialport,name=a"],
                 "A port already exists by name a")
    expect_error(["-device", "virtio-serial-pci,max_ports=2",
                  "-device", "virtserialport", "-device", "virtserialport"],
                 "Maximum port limit")
    # Names are unique across controllers, as in QEMU
    expect_error(["-device", "virtio-serial-pci,id=a",
                  "-device", "virtio-serial-pci,id=b",
                  "-device", "virtserialport,bus=a.0,name=n",
                  "-device", "virtserialport,bus=b.0,name=n"],
                 "A port already exists by name n")
    expect_error(["-device", "virtio-serial-pci,max_ports=0"],
                 "Maximum number of serial ports not specified")
    expect_error(["-device", "virtio-serial-pci,max_ports=512"],
                 "maximum ports supported: 511")


def test_qtree():
    vm = emutest.Emu(["-M", "pc", "-accel", "qtest", "-display", "none",
                      "-net", "none", "-chardev", "null,id=c0",
                      "-device", "virtio-serial-pci,id=vs,max_ports=4",
                      "-device", "virtconsole,chardev=c0",
                      "-device", "virtserialport,bus=vs.0,nr=3,name=x"])
    try:
        vm.qmp.cmd("qmp_capabilities")
        r = vm.qmp.cmd("human-monitor-command",
                       {"command-line": "info qtree"})
        tree = r.get("return", "")
        check('bus: vs.0' in tree, "no bus vs.0 in:\n" + tree)
        check('dev: virtconsole' in tree and 'dev: virtserialport' in tree,
              "ports missing in:\n" + tree)
        check('port 0,' in tree and 'port 3,' in tree,
              "port numbers wrong in:\n" + tree)
        vm.qmp.cmd("quit")
        vm.wait()
    finally:
        vm.kill()


if __name__ == "__main__":
    tests = [test_port_errors, test_qtree]
    why = guest_present()
    if why is None:
        tests.append(test_guest_port_and_console)
    else:
        print("# SKIP test_guest_port_and_console: " + why)
    emutest.main(tests)

#!/usr/bin/env python3
"""QMP against the real binary: handshake, queries, run control, events."""
import json
import os
import socket
import tempfile

from emutest import QMP, Emu, check, main, wait_for_path

UUID = "5c6f7b2a-1d3e-4f50-9a8b-0123456789ab"
BASE = ["-M", "none", "-S", "-nodefaults"]


def expect_return(reply, what):
    check("return" in reply, "%s: expected a return, got %r" % (what, reply))
    return reply["return"]


def expect_error(reply, cls, desc=None):
    check("error" in reply, "expected an error, got %r" % reply)
    check(reply["error"]["class"] == cls,
          "error class %r, want %r" % (reply["error"]["class"], cls))
    if desc is not None:
        check(reply["error"]["desc"] == desc,
              "error desc %r, want %r" % (reply["error"]["desc"], desc))


def test_session():
    emu = Emu(BASE + ["-name", "guest1", "-uuid", UUID])
    try:
        q = emu.qmp
        ver = q.greeting["QMP"]["version"]
        check(ver["qemu"] == {"major": 7, "minor": 2, "micro": 0},
              "greeting version %r" % ver)
        check("emu" in ver["package"], "greeting package %r" % ver)
        check(q.greeting["QMP"]["capabilities"] == ["oob"],
              "greeting %r" % q.greeting)

        expect_error(q.cmd("query-status"), "CommandNotFound",
                     "Expecting capabilities negotiation with "
                     "'qmp_capabilities'")
        check(expect_return(q.cmd("qmp_capabilities"), "caps") == {},
              "qmp_capabilities returns {}")
        expect_error(q.cmd("qmp_capabilities"), "CommandNotFound",
                     "Capabilities negotiation is already complete, "
                     "command ignored")

        st = expect_return(q.cmd("query-status", id="s1"), "query-status")
        check(st["status"] == "prelaunch" and st["running"] is False,
              "status with -S: %r" % st)
        r = q.cmd("query-name", id={"x": [1]})
        check(r.get("id") == {"x": [1]}, "id not echoed: %r" % r)
        check(expect_return(r, "query-name") == {"name": "guest1"},
              "query-name %r" % r)
        check(expect_return(q.cmd("query-uuid"), "uuid") == {"UUID": UUID},
              "query-uuid")
        ver = expect_return(q.cmd("query-version"), "query-version")
        check(ver["qemu"]["major"] == 7, "query-version %r" % ver)
        names = [c["name"] for c in
                 expect_return(q.cmd("query-commands"), "query-commands")]
        for n in ("qmp_capabilities", "query-status", "cont", "stop", "quit",
                  "human-monitor-command"):
            check(n in names, "query-commands lacks %s" % n)

        expect_error(q.cmd("no-such-command", id=5), "CommandNotFound",
                     "The command no-such-command has not been found")
        expect_error(q.cmd("human-monitor-command", {}), "GenericError",
                     "Parameter 'command-line' is missing")

        out = expect_return(q.cmd("human-monitor-command",
                                  {"command-line": "info status"}), "hmc")
        check(out == "VM status: paused (prelaunch)\r\n",
              "info status over QMP: %r" % out)

        expect_return(q.cmd("cont"), "cont")
        q.wait_event("RESUME")
        st = expect_return(q.cmd("query-status"), "query-status")
        check(st["status"] == "running" and st["running"] is True,
              "after cont: %r" % st)

        expect_return(q.cmd("stop"), "stop")
        ev = q.wait_event("STOP")
        check("data" not in ev and "seconds" in ev["timestamp"],
              "STOP event %r" % ev)
        st = expect_return(q.cmd("query-status"), "query-status")
        check(st["status"] == "paused" and st["running"] is False,
              "after stop: %r" % st)
        out = expect_return(q.cmd("human-monitor-command",
                                  {"command-line": "info status"}), "hmc")
        check(out == "VM status: paused\r\n", "info status: %r" % out)

        expect_return(q.cmd("quit"), "quit")
        ev = q.wait_event("SHUTDOWN")
        check(ev.get("data") == {"guest": False, "reason": "host-qmp-quit"},
              "SHUTDOWN event %r" % ev)
        rc = emu.wait(5)
        check(rc == 0, "exit status %d after quit" % rc)
    finally:
        emu.kill()


def test_defaults_and_raw_input():
    emu = Emu(BASE)
    try:
        q = emu.qmp
        expect_return(q.cmd("qmp_capabilities"), "caps")
        check(expect_return(q.cmd("query-name"), "name") == {},
              "query-name without -name")
        check(expect_return(q.cmd("query-uuid"), "uuid") ==
              {"UUID": "00000000-0000-0000-0000-000000000000"},
              "query-uuid without -uuid")

        # one request in pieces, two in one write, garbage then a request
        q.send_raw('{"execute": "query-')
        q.send_raw('name", "id": 1}')
        check(q.read_reply() == {"return": {}, "id": 1}, "split request")
        q.send_raw('{"execute": "query-name", "id": 2}'
                   '{"execute": "query-name", "id": 3}\n')
        check(q.read_reply().get("id") == 2, "first of two")
        check(q.read_reply().get("id") == 3, "second of two")
        q.send_raw('{"execute": nonsense}\n{"execute": "query-name", '
                   '"id": 4}\n')
        r = q.read_reply()
        expect_error(r, "GenericError")
        check(r["error"]["desc"].startswith("JSON parse error"),
              "parse error desc %r" % r)
        check(q.read_reply().get("id") == 4, "request after garbage")
        expect_error(q.cmd("query-status", {"bogus": 1}), "GenericError",
                     "Parameter 'bogus' is unexpected")
        q.send_raw('[]\n')
        expect_error(q.read_reply(), "GenericError",
                     "QMP input must be a JSON object")

        # a new connection negotiates again
        q.close()
        q = emu.qmp = QMP(emu.qmp_path)
        check("QMP" in q.greeting, "greeting on reconnect")
        expect_error(q.cmd("query-status"), "CommandNotFound")
        expect_return(q.cmd("qmp_capabilities"), "caps")
        expect_return(q.cmd("quit"), "quit")
        check(emu.wait(5) == 0, "exit status after quit")
    finally:
        emu.kill()


def read_pretty_message(sock, timeout=10):
    """Pretty JSON spans lines; a message ends with '}' alone on a line."""
    sock.settimeout(timeout)
    buf = b""
    while not buf.endswith(b"\n}\r\n"):
        data = sock.recv(65536)
        if not data:
            raise Exception("connection closed")
        buf += data
    return buf.decode()


def test_mon_pretty():
    tmp = tempfile.mkdtemp(prefix="emu-test-")
    path = os.path.join(tmp, "pretty.sock")
    emu = Emu(BASE + ["-chardev",
                      "socket,id=mon0,path=%s,server=on,wait=off" % path,
                      "-mon", "chardev=mon0,mode=control,pretty=on"])
    sock = None
    try:
        wait_for_path(path, emu.proc)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(path)
        text = read_pretty_message(sock)
        check(text.startswith('{\r\n    "QMP": {\r\n'),
              "pretty greeting %r" % text)
        check(json.loads(text)["QMP"]["version"]["qemu"]["minor"] == 2,
              "pretty greeting parses")
        sock.sendall(b'{"execute": "qmp_capabilities"}\n')
        text = read_pretty_message(sock)
        check(text == '{\r\n    "return": {}\r\n}\r\n',
              "pretty return %r" % text)
        # the plain -qmp monitor still works alongside
        expect_return(emu.qmp.cmd("qmp_capabilities"), "caps")
        expect_return(emu.qmp.cmd("quit"), "quit")
        check(emu.wait(5) == 0, "exit status after quit")
    finally:
        if sock:
            sock.close()
        emu.kill()


if __name__ == "__main__":
    main([test_session, test_defaults_and_raw_input, test_mon_pretty])

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""qmp.py - send one QMP command to a QEMU started with
-qmp unix:SOCK,server=on,wait=off and print its "return" value as JSON.

usage: qmp.py [--wait SEC] SOCK COMMAND [ARGUMENTS-AS-JSON]
  e.g. qmp.py /run/l2.qmp balloon '{"value": 134217728}'
       qmp.py --wait 30 /run/l2.qmp query-balloon

--wait SEC: retry connecting for up to SEC seconds (QEMU creates the
socket when it starts). Exit status: 0 success, 1 QMP error or no QEMU,
2 usage error.
"""
import json
import socket
import sys
import time


def usage(msg):
    sys.stderr.write("qmp.py: %s\n%s" % (msg, __doc__.split("\n\n")[1] + "\n"))
    sys.exit(2)


def main(argv):
    wait = 0.0
    if argv[:1] == ["--wait"]:
        if len(argv) < 2:
            usage("--wait needs seconds")
        try:
            wait = float(argv[1])
        except ValueError:
            usage("--wait: not a number: %s" % argv[1])
        argv = argv[2:]
    if len(argv) not in (2, 3):
        usage("expects SOCK COMMAND [ARGUMENTS-AS-JSON]")
    path, command = argv[0], argv[1]
    args = None
    if len(argv) == 3:
        try:
            args = json.loads(argv[2])
        except ValueError as e:
            usage("arguments are not JSON: %s" % e)

    deadline = time.monotonic() + wait
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
            break
        except OSError as e:
            sock.close()
            if time.monotonic() >= deadline:
                sys.stderr.write("qmp.py: %s: %s\n" % (path, e))
                return 1
            time.sleep(0.2)
    sock.settimeout(30)
    reader = sock.makefile("r")

    def reply():
        # Skip the greeting and asynchronous events.
        while True:
            line = reader.readline()
            if not line:
                raise OSError("QEMU closed the connection")
            msg = json.loads(line)
            if "return" in msg or "error" in msg:
                return msg

    def execute(cmd, arguments=None):
        req = {"execute": cmd}
        if arguments is not None:
            req["arguments"] = arguments
        sock.sendall((json.dumps(req) + "\n").encode())
        return reply()

    try:
        msg = execute("qmp_capabilities")
        if "error" not in msg:
            msg = execute(command, args)
    except (OSError, ValueError) as e:
        sys.stderr.write("qmp.py: %s\n" % e)
        return 1
    if "error" in msg:
        sys.stderr.write("qmp.py: %s: %s\n" % (command, msg["error"].get("desc", msg["error"])))
        return 1
    print(json.dumps(msg["return"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

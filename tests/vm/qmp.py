#!/usr/bin/env python3
"""Send QMP commands to a QEMU monitor socket and print each reply as JSON.

usage: qmp.py SOCKET COMMAND [COMMAND...]   e.g. qmp.py /run/q.sock query-pci quit
"""
import json
import socket
import sys
import time


def connect(path, timeout=120.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(path)
            return sock
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def replies(stream):
    for line in stream:
        msg = json.loads(line)
        if "event" in msg:
            continue
        yield msg


def main():
    sock = connect(sys.argv[1])
    stream = sock.makefile("r")
    messages = replies(stream)
    next(messages)  # greeting
    for command in ["qmp_capabilities"] + sys.argv[2:]:
        sock.sendall(json.dumps({"execute": command}).encode() + b"\n")
        reply = next(messages, None)
        if reply is None:
            break
        if "error" in reply:
            print(json.dumps(reply), file=sys.stderr)
            return 1
        if reply["return"] != {}:
            print(json.dumps(reply["return"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Send QMP commands to a QEMU monitor socket and print each reply as JSON.

usage: qmp.py SOCKET COMMAND [COMMAND...]   e.g. qmp.py /run/q.sock query-pci quit

A QEMU that accepts the connection but never answers (seen with a QEMU run
inside the loaded test VM) is given QMP_TIMEOUT seconds per reply (default
60), then one more connection; after that qmp.py fails with exit status 3
instead of waiting for ever.
"""
import json
import os
import socket
import sys
import time

TIMEOUT = float(os.environ.get("QMP_TIMEOUT", "60"))


class NoReply(Exception):
    pass


def connect(path, timeout=120.0, reply_timeout=None):
    deadline = time.monotonic() + timeout
    while True:
        try:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(path)
            sock.settimeout(TIMEOUT if reply_timeout is None else reply_timeout)
            return sock
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def replies(stream, with_events=False):
    # Events are dropped unless asked for: a caller waiting for a reply
    # must not mistake one for it.
    while True:
        try:
            line = stream.readline()
        except socket.timeout:
            raise NoReply()
        if not line:
            return
        msg = json.loads(line)
        if "event" in msg and not with_events:
            continue
        yield msg


def send(sock, command, arguments=None):
    request = {"execute": command}
    if arguments:
        request["arguments"] = arguments
    sock.sendall(json.dumps(request).encode() + b"\n")


def session(path, commands):
    sock = connect(path)
    try:
        messages = replies(sock.makefile("r"))
        next(messages)  # greeting
        for command in ["qmp_capabilities"] + commands:
            send(sock, command)
            reply = next(messages, None)
            if reply is None:
                break
            if "error" in reply:
                print(json.dumps(reply), file=sys.stderr)
                return 1
            if reply["return"] != {}:
                print(json.dumps(reply["return"]))
        return 0
    finally:
        sock.close()


def main():
    for attempt in (1, 2):
        try:
            return session(sys.argv[1], sys.argv[2:])
        except NoReply:
            print("qmp.py: no reply from QEMU within %g s (attempt %d)" % (TIMEOUT, attempt),
                  file=sys.stderr)
    return 3


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""What a hung test guest is waiting for, asked through QEMU's monitor.

usage: hang-dump.py QMP_SOCKET

Presses sysrq-w (the guest prints the stacks of its blocked tasks on its
console) and prints the state of every virtio-9p request queue: a guest task
stuck in a 9p request is either waiting for a request QEMU never took from
the ring (last-avail-idx behind shadow-avail-idx), one QEMU took but never
finished (inuse > 0), or a finished one whose interrupt it never got
(used-idx ahead of what the guest consumed).
"""
import json
import sys
import time

from qmp import connect, replies, send


def call(sock, messages, command, arguments=None):
    send(sock, command, arguments)
    reply = next(messages)
    if "error" in reply:
        raise RuntimeError("%s: %s" % (command, reply["error"].get("desc")))
    return reply["return"]


def main():
    sock = connect(sys.argv[1], timeout=5, reply_timeout=10)
    messages = replies(sock.makefile("r"))
    next(messages)  # greeting
    call(sock, messages, "qmp_capabilities")
    for key in ("w", "l"):
        call(sock, messages, "send-key", {"keys": [
            {"type": "qcode", "data": "alt"},
            {"type": "qcode", "data": "sysrq"},
            {"type": "qcode", "data": key}]})
        time.sleep(3)
    for dev in call(sock, messages, "x-query-virtio"):
        if dev["name"] != "virtio-9p":
            continue
        status = call(sock, messages, "x-query-virtio-queue-status",
                      {"path": dev["path"], "queue": 0})
        keep = ("inuse", "last-avail-idx", "shadow-avail-idx", "used-idx",
                "signalled-used", "signalled-used-valid")
        print("virtio-9p %s: %s" % (dev["path"],
                                     json.dumps({k: status.get(k) for k in keep})))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as err:  # a dump that fails must not hide the hang
        print("hang-dump.py: %s" % err, file=sys.stderr)
        sys.exit(1)

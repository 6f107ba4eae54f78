#!/usr/bin/env python3
"""Play systemd's side of sd_notify: bind SOCKET, append each datagram to FILE.

usage: sd-notify-listen.py SOCKET FILE   (runs until killed)
A test points a daemon's NOTIFY_SOCKET at SOCKET and reads FILE, one
message per line ("READY=1", "STATUS=..."), in the order they came.
"""
import os
import socket
import sys

if len(sys.argv) != 3:
    sys.exit(__doc__)
path, out = sys.argv[1:]
if os.path.exists(path):
    os.unlink(path)
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
with open(out, "a", buffering=1) as log:
    log.write("listening\n")
    while True:
        for line in sock.recv(4096).decode(errors="replace").splitlines():
            log.write(line + "\n")

#!/usr/bin/env python3
"""Migrate a QEMU to a file and back over QMP.

usage: migrate.py save QMP_SOCKET FILE [--max-bandwidth BYTES_PER_S]
                  [--during SHELL_COMMAND]
                                         migrate the VM into FILE; with
                                         --during, run the command once the
                                         migration is active, report the
                                         status it ended in, then lift the
                                         bandwidth limit
       migrate.py load QMP_SOCKET FILE   restore FILE into a QEMU started
                                         with -incoming defer, then cont

Each prints the migration's final status on stdout and its events, with
the time since the command, on stderr. The destination QEMU needs the same
machine, -m, firmware and device addr= as the source.

Exit status: 0 when the migration completed, 1 when it failed (the error
from query-migrate is printed), 2 on bad usage, 3 when QEMU sends nothing
(no reply, no event) for QMP_TIMEOUT seconds (default 60).
"""
import argparse
import collections
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import qmp  # noqa: E402

FINAL = ("completed", "failed", "cancelled")


class Failed(Exception):
    pass


class Monitor:
    def __init__(self, path):
        self.sock = qmp.connect(path)
        self.messages = qmp.replies(self.sock.makefile("r"), with_events=True)
        # Events that arrive while waiting for a reply are kept for
        # wait_migration: a short migration can complete before the reply
        # to `migrate` is out.
        self.events = collections.deque()
        self.start = time.monotonic()  # event times count from here
        self._next()  # greeting
        self.execute("qmp_capabilities")

    def close(self):
        self.sock.close()

    def _next(self):
        msg = next(self.messages, None)
        if msg is None:
            raise Failed("QEMU closed the QMP connection")
        return msg

    def execute(self, command, arguments=None):
        qmp.send(self.sock, command, arguments)
        while True:
            msg = self._next()
            if "event" in msg:
                self.events.append(msg)
                continue
            if "error" in msg:
                raise Failed("%s: %s" % (command, msg["error"].get("desc", msg["error"])))
            return msg["return"]

    def event(self):
        msg = self.events.popleft() if self.events else self._next()
        if "event" not in msg:
            raise Failed("unexpected reply %r" % msg)
        return msg

    def wait_migration(self, until=FINAL):
        """Follow MIGRATION events until a status in @until; return it."""
        while True:
            msg = self.event()
            name, data = msg["event"], msg.get("data", {})
            detail = data.get("status") or " ".join("%s=%s" % kv for kv in data.items())
            print("migrate.py: +%.3fs %s %s" % (time.monotonic() - self.start, name, detail),
                  file=sys.stderr)
            if name == "MIGRATION" and data["status"] in until:
                return data["status"]

    def check(self, status):
        if status != "completed":
            info = self.execute("query-migrate")
            raise Failed("migration %s: %s" % (status, info.get("error-desc", "no error-desc")))


def save(mon, path, bandwidth=None, during=None):
    mon.execute("migrate-set-capabilities",
                {"capabilities": [{"capability": "events", "state": True}]})
    if bandwidth:
        mon.execute("migrate-set-parameters", {"max-bandwidth": bandwidth})
    mon.start = time.monotonic()
    mon.execute("migrate", {"uri": "file:" + path})
    if during:
        # Pre-copy has begun once the migration is active.
        while mon.wait_migration(until=("active",) + FINAL) == "active":
            ret = subprocess.run(during, shell=True).returncode
            state = mon.execute("query-migrate")["status"]
            print("during: %s in %s" % ("done" if ret == 0 else "failed (%d)" % ret, state))
            # A limit low enough to keep pre-copy going never lets it
            # converge (type1 reports every pinned page dirty): lift it,
            # and allow the downtime a full copy of RAM takes.
            mon.execute("migrate-set-parameters",
                        {"max-bandwidth": 1 << 30, "downtime-limit": 60000})
            break
    status = mon.wait_migration()
    print(status)
    mon.check(status)


def load(mon, path):
    mon.execute("migrate-set-capabilities",
                {"capabilities": [{"capability": "events", "state": True}]})
    # Without exit-on-error=false a failed load ends QEMU, and with it the
    # only place the reason can be asked for.
    mon.start = time.monotonic()
    mon.execute("migrate-incoming", {"uri": "file:" + path, "exit-on-error": False})
    status = mon.wait_migration()
    print(status)
    mon.check(status)
    # The destination stays paused after loading; devices such as a VFIO
    # function leave RESUMING only when the VM runs.
    mon.execute("cont")
    print(mon.execute("query-status")["status"])


def main():
    parser = argparse.ArgumentParser(usage=__doc__)
    parser.add_argument("action", choices=("save", "load"))
    parser.add_argument("sock")
    parser.add_argument("path")
    parser.add_argument("--max-bandwidth", type=int)
    parser.add_argument("--during")
    args = parser.parse_args()
    mon = None
    try:
        mon = Monitor(args.sock)
        if args.action == "save":
            save(mon, os.path.abspath(args.path), args.max_bandwidth, args.during)
        else:
            load(mon, os.path.abspath(args.path))
        return 0
    except Failed as e:
        print("migrate.py: %s" % e, file=sys.stderr)
        return 1
    except qmp.NoReply:
        print("migrate.py: nothing from QEMU within %g s" % qmp.TIMEOUT, file=sys.stderr)
        return 3
    finally:
        if mon:
            mon.close()


if __name__ == "__main__":
    sys.exit(main())

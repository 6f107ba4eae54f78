#!/usr/bin/env python3
"""Migrate a QEMU to a file and back over QMP.

usage: migrate.py save QMP_SOCKET FILE [--max-bandwidth BYTES_PER_S]
                  [--during SHELL_COMMAND] [--switchover-bandwidth BYTES_PER_S]
                  [--downtime-ms MS] [--max-passes N]
                                         migrate the VM into FILE; with
                                         --during, run the command once the
                                         migration is active, report the
                                         status it ended in, then lift the
                                         bandwidth limit
       migrate.py load QMP_SOCKET FILE   restore FILE into a QEMU started
                                         with -incoming defer, then cont

A save converges by design.  Without device dirty tracking (no Debian
kernel has IOMMUFD) VFIO's type1 IOMMU reports every pinned page dirty at
every pass, so all of the guest's RAM is left to send after each one, and
QEMU switches over only when the bandwidth it counts on times the downtime
limit covers all of it.  A save therefore tells QEMU the bandwidth the
switchover may count on (avail-switchover-bandwidth, --switchover-bandwidth,
default 64 MiB/s) and a downtime limit that covers twice the guest's RAM
at it (--downtime-ms overrides); with --during, only once the command ran
(pre-copy must last until then).  QEMU then switches over at its first
decision, and the switchover sends the whole RAM: it takes RAM / bandwidth.

A save that still does not converge -- more than --max-passes passes
(default 4) since those settings, or the file's filesystem left with less
than twice the guest's RAM -- is cancelled, with the reason and the figures
that make it, instead of re-sending RAM until the disk is full.

Each prints the migration's final status on stdout (a completed save also a
line of figures: RAM, passes, time, downtime, throughput) and its events,
with the time since the command, on stderr.  The destination QEMU needs the
same machine, -m, firmware and device addr= as the source.

Exit status: 0 when the migration completed, 1 when it failed or was
cancelled (the reason is printed), 2 on bad usage, 3 when QEMU sends
nothing (no reply, no event) for QMP_TIMEOUT seconds (default 60).
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

    def show(self, msg):
        name, data = msg["event"], msg.get("data", {})
        detail = data.get("status") or " ".join("%s=%s" % kv for kv in data.items())
        print("migrate.py: +%.3fs %s %s" % (time.monotonic() - self.start, name, detail),
              file=sys.stderr)

    def wait_migration(self, until=FINAL):
        """Follow MIGRATION events until a status in @until; return it."""
        while True:
            msg = self.event()
            self.show(msg)
            if msg["event"] == "MIGRATION" and msg.get("data", {})["status"] in until:
                return msg["data"]["status"]

    def check(self, status):
        if status != "completed":
            info = self.execute("query-migrate")
            raise Failed("migration %s: %s" % (status, info.get("error-desc", "no error-desc")))


MIB = 1 << 20
QEMU_MAX_DOWNTIME_MS = 2000000


def converge(mon, ram, switchover_bw, downtime_ms):
    """Parameters under which QEMU switches over although RAM stays dirty."""
    if downtime_ms is None:
        downtime_ms = -(-2 * ram * 1000 // switchover_bw)
    downtime_ms = max(1, min(downtime_ms, QEMU_MAX_DOWNTIME_MS))
    mon.execute("migrate-set-parameters", {"max-bandwidth": 1 << 30,
                                           "avail-switchover-bandwidth": switchover_bw,
                                           "downtime-limit": downtime_ms})
    return downtime_ms


def short_of_room(path, ram):
    """Why @path's filesystem cannot take the passes of a save, or None."""
    st = os.statvfs(os.path.dirname(path))
    free = st.f_bavail * st.f_frsize
    if free >= 2 * ram:
        return None
    return ("%s's filesystem has %d MiB free, less than twice the guest's %d MiB of RAM, "
            "which every pass re-sends" % (path, free // MIB, ram // MIB))


class Watch:
    """Cancels a save that does not converge, saying why with the figures."""

    def __init__(self, mon, path, ram, max_passes):
        self.mon, self.path, self.ram, self.max_passes = mon, path, ram, max_passes
        self.first_pass = None  # the pass count when the converging settings took effect
        self.settings = None

    def settled(self, info, switchover_bw, downtime_ms):
        self.first_pass = info.get("ram", {}).get("dirty-sync-count", 0)
        self.settings = (switchover_bw, downtime_ms)

    def check(self, info):
        passes = info.get("ram", {}).get("dirty-sync-count", 0)
        why = short_of_room(self.path, self.ram)
        if not why and self.first_pass is not None and passes - self.first_pass > self.max_passes:
            bw, downtime = self.settings
            need = -(-self.ram * 1000 // bw)
            beyond = (", beyond QEMU's %d ms: give avail-switchover-bandwidth the link's real "
                      "bandwidth" % QEMU_MAX_DOWNTIME_MS if need > QEMU_MAX_DOWNTIME_MS else "")
            why = ("it does not converge: %d passes since the switchover settings, and no end: "
                   "type1 dirty tracking reports every pinned page dirty, so all %d MiB of RAM "
                   "remain after each pass, and QEMU switches over only when "
                   "avail-switchover-bandwidth (%d B/s) x downtime-limit (%d ms) = %.1f MiB "
                   "covers them: that takes a downtime-limit of at least %d ms%s" %
                   (passes - self.first_pass, self.ram // MIB, bw, downtime,
                    bw * downtime / 1000 / MIB, need, beyond))
        if why:
            self.mon.execute("migrate_cancel")
            # Over only once QEMU says so: the VM may migrate again at once.
            while self.mon.execute("query-migrate").get("status") not in FINAL:
                time.sleep(0.1)
            raise Failed("migration cancelled: %s; %.1f MiB written to %s" %
                         (why, os.path.getsize(self.path) / MIB, self.path))


def follow(mon, watch, until=FINAL):
    """Poll the migration until a status in @until; return query-migrate's answer."""
    while True:
        while mon.events:
            mon.show(mon.events.popleft())
        info = mon.execute("query-migrate")
        if info.get("status") in until:
            return info
        watch.check(info)
        time.sleep(0.2)


def figures(info, ram):
    """A completed save in numbers: what docs/migration.md quotes."""
    r = info.get("ram", {})
    return ("figures: RAM %d MiB, %d passes, %.1f MiB written (%.1f MiB of pages not zero), "
            "%.1f MiB of it in the downtime, total %d ms, downtime %d ms, %.0f MB/s" %
            (ram // MIB, r.get("dirty-sync-count", 0), r.get("transferred", 0) / MIB,
             r.get("normal-bytes", 0) / MIB, r.get("downtime-bytes", 0) / MIB,
             info.get("total-time", 0), info.get("downtime", 0), r.get("mbps", 0) / 8))


def save(mon, path, bandwidth=None, during=None, switchover_bw=64 * MIB, downtime_ms=None,
         max_passes=4):
    ram = mon.execute("query-memory-size-summary")["base-memory"]
    watch = Watch(mon, path, ram, max_passes)
    why = short_of_room(path, ram)
    if why:
        raise Failed("not started: " + why)
    mon.execute("migrate-set-capabilities",
                {"capabilities": [{"capability": "events", "state": True}]})
    if bandwidth:
        # Slow on purpose, to keep pre-copy going: converging waits for --during.
        mon.execute("migrate-set-parameters", {"max-bandwidth": bandwidth})
    else:
        downtime_ms = converge(mon, ram, switchover_bw, downtime_ms)
        watch.settled({}, switchover_bw, downtime_ms)
    mon.start = time.monotonic()
    mon.execute("migrate", {"uri": "file:" + path})
    if during:
        # Pre-copy has begun once the migration is active.
        info = follow(mon, watch, until=("active",) + FINAL)
        if info["status"] == "active":
            ret = subprocess.run(during, shell=True).returncode
            state = mon.execute("query-migrate")["status"]
            print("during: %s in %s" % ("done" if ret == 0 else "failed (%d)" % ret, state))
    if watch.first_pass is None:
        downtime_ms = converge(mon, ram, switchover_bw, downtime_ms)
        watch.settled(mon.execute("query-migrate"), switchover_bw, downtime_ms)
    info = follow(mon, watch)
    print(info["status"])
    if info["status"] == "completed":
        print(figures(info, ram))
    mon.check(info["status"])


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
    parser.add_argument("--switchover-bandwidth", type=int, default=64 * MIB)
    parser.add_argument("--downtime-ms", type=int)
    parser.add_argument("--max-passes", type=int, default=4)
    args = parser.parse_args()
    mon = None
    try:
        mon = Monitor(args.sock)
        if args.action == "save":
            save(mon, os.path.abspath(args.path), args.max_bandwidth, args.during,
                 args.switchover_bandwidth, args.downtime_ms, args.max_passes)
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

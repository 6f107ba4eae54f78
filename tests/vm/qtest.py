#!/usr/bin/env python3
"""Drive a PCI function of a guest-less QEMU over the qtest protocol.

usage: qtest.py SOCKET OP... e.g.
    qtest.py /run/qt.sock setup 1234:11e8 0xfe000000 w32 0x04 0x12345678 r32 0x04

QEMU is started with -S, a firmware that only halts (halt-bios.py) and
`-qtest unix:SOCKET,server=on,wait=off -qtest-log none`, so that this
script plays the guest: nothing else touches the device's config space.

OPs, run in order (OFF and VAL are integers; 0x... for hex):
    setup VID:DID ADDR  pick the function on bus 0, put BAR0 at ADDR,
                        enable memory decode and bus mastering
    find VID:DID        pick the function, keep BAR0 where it is (after
                        migration: the config space came with the device)
    bar0                print BAR0's address as config space has it
    r32 OFF, r64 OFF    read at BAR0 + OFF, print 0x%08x or 0x%016x
    w32 OFF VAL, w64 OFF VAL
    cfg8 OFF, cfg16 OFF, cfg32 OFF          read config space, print hex
    wcfg8 OFF VAL, wcfg16 OFF VAL, wcfg32 OFF VAL
    readq ADDR, writeq ADDR VAL   guest RAM (a guest-physical address)
    fill ADDR SIZE BYTE           set SIZE bytes of guest RAM at ADDR to BYTE

Exit status: 0, 1 when an OP fails (no such device, QEMU answered FAIL),
2 on bad usage, 3 when QEMU gives no answer within QTEST_TIMEOUT seconds
(default 60) per command.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import qmp  # noqa: E402  (shares the connect-with-retries and NoReply)

TIMEOUT = float(os.environ.get("QTEST_TIMEOUT", "60"))

PCI_VENDOR_ID = 0x00
PCI_COMMAND = 0x04
PCI_COMMAND_MEMORY = 0x2
PCI_COMMAND_MASTER = 0x4
PCI_HEADER_TYPE = 0x0e
PCI_BAR0 = 0x10
BAR_IO = 0x1
BAR_TYPE_64 = 0x4  # bits 2:1 == 10b
BAR_FLAGS = 0xf


class QTestError(Exception):
    pass


NoReply = qmp.NoReply


class QTest:
    def __init__(self, path, timeout=TIMEOUT):
        # A QEMU that died before listening fails here after TIMEOUT too.
        self.sock = qmp.connect(path, timeout=timeout, reply_timeout=timeout)
        self.stream = self.sock.makefile("r")

    def close(self):
        self.sock.close()

    def cmd(self, *words):
        """Send one request; return the words after OK."""
        self.sock.sendall((" ".join(words) + "\n").encode())
        while True:
            try:
                line = self.stream.readline()
            except OSError:  # socket.timeout included
                raise NoReply()
            if not line:
                raise QTestError("QEMU closed the qtest connection")
            # Interrupts are reported asynchronously, between replies.
            if line.startswith("IRQ "):
                continue
            status, _, rest = line.strip().partition(" ")
            if status != "OK":
                raise QTestError("%s: %s" % (" ".join(words), line.strip()))
            return rest

    # qtest asserts on a malformed number and takes QEMU down with it, so
    # every value is formatted here rather than passed through.
    def _out(self, op, port, val):
        self.cmd(op, "0x%x" % port, "0x%x" % val)

    def _in(self, op, port):
        return int(self.cmd(op, "0x%x" % port), 16)

    def outb(self, port, val): self._out("outb", port, val)
    def outw(self, port, val): self._out("outw", port, val)
    def outl(self, port, val): self._out("outl", port, val)
    def inb(self, port): return self._in("inb", port)
    def inw(self, port): return self._in("inw", port)
    def inl(self, port): return self._in("inl", port)
    def writel(self, addr, val): self._out("writel", addr, val)
    def writeq(self, addr, val): self._out("writeq", addr, val)
    def readl(self, addr): return self._in("readl", addr)
    def readq(self, addr): return self._in("readq", addr)

    def memset(self, addr, size, byte):
        self.cmd("memset", "0x%x" % addr, "0x%x" % size, "0x%x" % (byte & 0xff))


class PciFunction:
    """A function on bus 0, reached through configuration mechanism #1."""

    def __init__(self, qt, dev, fn=0):
        self.qt, self.dev, self.fn = qt, dev, fn

    def __str__(self):
        return "00:%02x.%x" % (self.dev, self.fn)

    def _select(self, off):
        self.qt.outl(0xcf8, 0x80000000 | self.dev << 11 | self.fn << 8 | (off & 0xfc))
        return 0xcfc + (off & 3)

    def read(self, off, size):
        port = self._select(off)
        return {1: self.qt.inb, 2: self.qt.inw, 4: self.qt.inl}[size](port)

    def write(self, off, size, val):
        port = self._select(off)
        {1: self.qt.outb, 2: self.qt.outw, 4: self.qt.outl}[size](port, val)

    def bar0(self):
        low = self.read(PCI_BAR0, 4)
        if low & BAR_IO:
            raise QTestError("%s: BAR0 is an I/O BAR" % self)
        addr = low & ~BAR_FLAGS
        if low & 0x6 == BAR_TYPE_64:
            addr |= self.read(PCI_BAR0 + 4, 4) << 32
        return addr

    def program_bar0(self, addr):
        """Put BAR0 at ADDR and let the function decode it; returns its size."""
        command = self.read(PCI_COMMAND, 2)
        # Sizing writes all ones: the BAR must not decode meanwhile.
        self.write(PCI_COMMAND, 2, command & ~PCI_COMMAND_MEMORY)
        low = self.read(PCI_BAR0, 4)
        if low & BAR_IO:
            raise QTestError("%s: BAR0 is an I/O BAR" % self)
        is64 = low & 0x6 == BAR_TYPE_64
        high = self.read(PCI_BAR0 + 4, 4) if is64 else 0
        self.write(PCI_BAR0, 4, 0xffffffff)
        mask = self.read(PCI_BAR0, 4) & ~BAR_FLAGS & 0xffffffff
        if is64:
            self.write(PCI_BAR0 + 4, 4, 0xffffffff)
            mask |= self.read(PCI_BAR0 + 4, 4) << 32
        else:
            mask |= 0xffffffff00000000
        size = (~mask & 0xffffffffffffffff) + 1
        if not mask or addr % size or (not is64 and addr >> 32):
            self.write(PCI_BAR0, 4, low)  # leave the function as it was
            if is64:
                self.write(PCI_BAR0 + 4, 4, high)
            self.write(PCI_COMMAND, 2, command)
            raise QTestError("%s: BAR0 (%s, %#x bytes) cannot be at %#x"
                             % (self, "64-bit" if is64 else "32-bit", size, addr))
        self.write(PCI_BAR0, 4, addr & 0xffffffff)
        if is64:
            self.write(PCI_BAR0 + 4, 4, addr >> 32)
        self.write(PCI_COMMAND, 2, command | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)
        return size


def find(qt, vendor, device):
    """The first function on bus 0 with these IDs, or QTestError."""
    for dev in range(32):
        for fn in range(8):
            func = PciFunction(qt, dev, fn)
            ids = func.read(PCI_VENDOR_ID, 4)
            if ids & 0xffff == 0xffff:
                if fn == 0:
                    break
                continue
            if ids == device << 16 | vendor:
                return func
            # Functions 1-7 exist only behind a multi-function function 0.
            if fn == 0 and not func.read(PCI_HEADER_TYPE, 1) & 0x80:
                break
    raise QTestError("no %04x:%04x on bus 0" % (vendor, device))


def parse_ids(text):
    vendor, sep, device = text.partition(":")
    if not sep:
        raise ValueError("expected VID:DID, got %r" % text)
    return int(vendor, 16), int(device, 16)


class Script:
    """The CLI's OPs, sharing the function picked by setup or find."""

    ARITY = {"setup": 2, "find": 1, "bar0": 0, "r32": 1, "r64": 1,
             "w32": 2, "w64": 2, "cfg8": 1, "cfg16": 1, "cfg32": 1,
             "wcfg8": 2, "wcfg16": 2, "wcfg32": 2, "readq": 1, "writeq": 2, "fill": 3}

    def __init__(self, qt):
        self.qt, self.func, self.base = qt, None, None

    def run(self, op, args):
        if op == "readq":
            print("0x%016x" % self.qt.readq(int(args[0], 0)))
            return
        if op == "writeq":
            self.qt.writeq(int(args[0], 0), int(args[1], 0) & 0xffffffffffffffff)
            return
        if op == "fill":
            self.qt.memset(*(int(a, 0) for a in args))
            return
        if op in ("setup", "find"):
            self.func = find(self.qt, *parse_ids(args[0]))
            if op == "setup":
                self.func.program_bar0(int(args[1], 0))
            self.base = self.func.bar0()
            return
        if self.func is None:
            raise QTestError("%s before setup or find" % op)
        nums = [int(a, 0) for a in args]
        if op == "bar0":
            print("0x%x" % self.func.bar0())
        elif op == "r32":
            print("0x%08x" % self.qt.readl(self.base + nums[0]))
        elif op == "r64":
            print("0x%016x" % self.qt.readq(self.base + nums[0]))
        elif op == "w32":
            self.qt.writel(self.base + nums[0], nums[1] & 0xffffffff)
        elif op == "w64":
            self.qt.writeq(self.base + nums[0], nums[1] & 0xffffffffffffffff)
        elif op.startswith("cfg"):
            size = int(op[3:]) // 8
            print("0x%0*x" % (size * 2, self.func.read(nums[0], size)))
        else:  # wcfgN
            size = int(op[4:]) // 8
            self.func.write(nums[0], size, nums[1] & ((1 << size * 8) - 1))


def parse(argv):
    """[(op, args)] or ValueError, before anything is sent to QEMU."""
    ops, i = [], 0
    while i < len(argv):
        op = argv[i]
        if op not in Script.ARITY:
            raise ValueError("unknown op %r" % op)
        args = argv[i + 1:i + 1 + Script.ARITY[op]]
        if len(args) != Script.ARITY[op]:
            raise ValueError("%s takes %d arguments" % (op, Script.ARITY[op]))
        if op in ("setup", "find"):
            parse_ids(args[0])
            args_to_check = args[1:]
        else:
            args_to_check = args
        for a in args_to_check:
            int(a, 0)
        ops.append((op, args))
        i += 1 + len(args)
    return ops


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        ops = parse(sys.argv[2:])
    except ValueError as e:
        print("qtest.py: %s" % e, file=sys.stderr)
        return 2
    try:
        qt = QTest(sys.argv[1])
    except OSError as e:
        print("qtest.py: cannot connect to %s: %s" % (sys.argv[1], e), file=sys.stderr)
        return 1
    try:
        script = Script(qt)
        for op, args in ops:
            script.run(op, args)
        return 0
    except QTestError as e:
        print("qtest.py: %s" % e, file=sys.stderr)
        return 1
    except NoReply:
        print("qtest.py: no reply from QEMU within %g s" % TIMEOUT, file=sys.stderr)
        return 3
    finally:
        qt.close()


if __name__ == "__main__":
    sys.exit(main())

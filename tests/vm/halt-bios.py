#!/usr/bin/env python3
"""Write a 64 KiB x86 firmware image that only halts: halt-bios.py OUT

Used with -bios when QEMU serves as a VMM without a guest OS. Real firmware
(SeaBIOS) enumerates PCI and reassigns BARs as soon as the VM runs, which
would undo what a test programmed over qtest; this one never touches a
device, so the BARs a test set survive `cont` and migration.
"""
import sys

SIZE = 64 * 1024
RESET_VECTOR = 0xFFF0  # the CPU starts at 0xFFFFFFF0, the image's last 16 bytes

# cli; hlt; jmp back to the cli: with interrupts off only an NMI or SMI
# ends the hlt, and the jmp halts again.
HALT = bytes([0xFA, 0xF4, 0xEB, 0xFC])


def image():
    # Filled with hlt too, so that a jump anywhere into the image also stops.
    data = bytearray([0xF4]) * SIZE
    data[RESET_VECTOR:RESET_VECTOR + len(HALT)] = HALT
    return bytes(data)


def main():
    if len(sys.argv) != 2:
        print("usage: halt-bios.py OUT", file=sys.stderr)
        return 2
    with open(sys.argv[1], "wb") as out:
        out.write(image())
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Read and rewrite a vfio-pci-bpf migration stream (include/vfio_pci_bpf.h).

usage: migstream.py FILE show                  (one line per record)
       migstream.py FILE set FIELD VALUE OUT   (crc32c recomputed)
       migstream.py FILE flip OFFSET OUT       (one payload byte flipped, crc kept)

FIELD is magic, version, header_len, policy, vendor, device, payload_len or
flags; set and flip change the first record.  Tests use it to make streams
that are wrong in exactly one way.
"""
import struct
import sys

# struct vfio_pci_bpf_mig_header, little-endian.
HEADER = struct.Struct("<IHH32sHHIII")
FIELDS = ("magic", "version", "header_len", "policy", "vendor", "device",
          "payload_len", "crc32c", "flags")
CRC_AT = 48  # offsetof(struct vfio_pci_bpf_mig_header, crc32c)


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def record_crc(record):
    return crc32c(record[:CRC_AT] + bytes(4) + record[CRC_AT + 4:])


def records(stream):
    """(offset, header) of each record whose header is whole."""
    at = 0
    while len(stream) - at >= HEADER.size:
        header = dict(zip(FIELDS, HEADER.unpack_from(stream, at)))
        yield at, header
        at += HEADER.size + header["payload_len"]


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    stream = bytearray(open(argv[1], "rb").read())
    header = dict(zip(FIELDS, HEADER.unpack_from(stream)))
    if argv[2] == "show":
        for at, rec in records(stream):
            end = at + HEADER.size + rec["payload_len"]
            rec["policy"] = rec["policy"].rstrip(b"\0").decode()
            ok = rec["crc32c"] == record_crc(stream[at:end])
            print(" ".join(f"{k}={v:#x}" if isinstance(v, int) else f"{k}={v}"
                           for k, v in rec.items()), "crc_ok=%d" % ok,
                  "bytes=%d" % len(stream[at:end]))
        return
    if argv[2] == "set" and len(argv) == 6:
        field, value, out = argv[3], argv[4], argv[5]
        header[field] = value.encode() if field == "policy" else int(value, 0)
        HEADER.pack_into(stream, 0, *(header[f] for f in FIELDS))
        end = HEADER.size + header["payload_len"]
        struct.pack_into("<I", stream, CRC_AT, record_crc(stream[:end]))
    elif argv[2] == "flip" and len(argv) == 5:
        stream[HEADER.size + int(argv[3], 0)] ^= 0xFF
        out = argv[4]
    else:
        sys.exit(__doc__)
    open(out, "wb").write(stream)


if __name__ == "__main__":
    main(sys.argv)

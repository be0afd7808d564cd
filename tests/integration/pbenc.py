#!/usr/bin/env python3
"""pbenc.py — builds raw protobuf Envelopes for the bad-input tests, bypassing
every client-side check so the server's own validation is what gets tested.

  pbenc.py envelope VERSION REQID FIELD HEXBODY   -> hex of an Envelope
  pbenc.py service NAME [NAMESPACE DEPLOYMENT CONTAINER IMAGE]  -> hex of ServiceAdd body
  pbenc.py release SERVICE VERSION IMAGE [NOTES]  -> hex of ReleaseRecord body
  pbenc.py report CLUSTER NODE                    -> hex of an AgentReport (full, no pods)
"""
import sys


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_bytes(num, data):
    return varint((num << 3) | 2) + varint(len(data)) + data


def field_varint(num, v):
    return varint(num << 3) + varint(v)


def s(num, text):
    return field_bytes(num, text.encode())


def main(argv):
    kind = argv[1]
    if kind == "envelope":
        ver, rid, fld, body = int(argv[2]), int(argv[3]), int(argv[4]), bytes.fromhex(argv[5])
        out = field_varint(1, ver) + field_varint(2, rid) + field_bytes(fld, body)
    elif kind == "service":
        name = argv[2]
        rest = argv[3:] + ["default", "dep", "ctr", "ghcr.io/x/y"][len(argv) - 3:]
        svc = s(2, name) + s(3, rest[0]) + s(4, rest[1]) + s(5, rest[2]) + s(6, rest[3])
        out = field_bytes(1, svc)
    elif kind == "release":
        rel = s(2, argv[2]) + s(3, argv[3]) + s(4, argv[4])
        if len(argv) > 5:
            rel += s(7, argv[5])
        out = field_bytes(1, rel)
    elif kind == "report":
        # AgentReport{cluster, node, epoch=1, seq=1, full=true}
        out = s(1, argv[2]) + s(2, argv[3]) + field_varint(3, 1) + field_varint(4, 1) + field_varint(5, 1)
    else:
        raise SystemExit("unknown kind")
    print(out.hex())


if __name__ == "__main__":
    main(sys.argv)

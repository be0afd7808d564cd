#!/usr/bin/env python3
"""pngcheck.py PNG: prints "WxH colours=N" and exits 0 when the screenshot is
not blank: enough distinct colours, and the timeline's own colours present
(deploy green, rollback purple, incident band).  Pure Python (zlib), no PIL."""
import struct
import sys
import zlib


def read_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit("not a PNG")
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            if depth != 8 or ctype not in (2, 6):
                raise SystemExit("unexpected PNG format depth=%d type=%d" % (depth, ctype))
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(h):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pr) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def main():
    w, h, bpp, rows = read_png(sys.argv[1])
    colours = set()
    for r in rows:
        for x in range(0, len(r), bpp):
            colours.add(tuple(r[x:x + 3]))
    print("%dx%d colours=%d" % (w, h, len(colours)))
    want = {"deploy green": (0x2E, 0x7D, 0x32), "rollback purple": (0x6A, 0x1B, 0x9A)}
    missing = [k for k, v in want.items() if v not in colours]
    if len(colours) < 10 or missing:
        print("blank or incomplete: missing %s" % missing)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Builds small PNG files by hand (struct + zlib only, no PIL) covering every colour type, bit
depth, filter type and Adam7 interlacing, and prints them as a Swift source file of literals:

    python3 Scripts/gen_png_fixtures.py > Tests/GenAIDataTests/ImagePNGFixtureTests.swift

Each fixture carries the PNG (base64) and the 8-bit pixels a decoder must produce (hex), worked
out here independently of the Swift decoder:
  - grey of depth d < 8 scales by 255 / (2^d - 1); 16-bit samples become round(v * 255 / 65535);
  - palette images become RGB, or RGBA when there is a tRNS chunk (missing alphas are 255);
  - grey and RGB images with a tRNS colour key gain an alpha channel: 0 where the stored sample(s)
    equal the key, else 255.
The tests never run Python; rerun this script only to change the fixtures.
"""
import base64
import struct
import zlib

ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
SAMPLES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_row(kind, row, prev, bpp):
    out = bytearray()
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i] if prev is not None else 0
        c = prev[i - bpp] if (prev is not None and i >= bpp) else 0
        pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
        out.append((x - pred) & 0xFF)
    return bytes([kind]) + bytes(out)


def pack_row(samples, depth):
    """Packs a row of sample values (already flattened per pixel) at `depth` bits."""
    if depth == 8:
        return bytes(samples)
    if depth == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    out, acc, nbits = bytearray(), 0, 0
    for s in samples:
        acc = (acc << depth) | s
        nbits += depth
        if nbits == 8:
            out.append(acc)
            acc, nbits = 0, 0
    if nbits:
        out.append(acc << (8 - nbits))
    return bytes(out)


def image_data(width, height, depth, ctype, interlaced, sample, filter_offset):
    """The raw (filtered, uncompressed) image data; row r of each pass uses filter (r + offset) % 5."""
    spp = SAMPLES[ctype]
    bpp = max(1, depth * spp // 8)
    passes = ADAM7 if interlaced else [(0, 0, 1, 1)]
    raw = bytearray()
    for (x0, y0, dx, dy) in passes:
        xs = list(range(x0, width, dx))
        ys = list(range(y0, height, dy))
        if not xs or not ys:
            continue
        prev = None
        for r, y in enumerate(ys):
            row = pack_row([sample(x, y, s) for x in xs for s in range(spp)], depth)
            raw += filter_row((r + filter_offset) % 5, row, prev, bpp)
            prev = row
    return bytes(raw)


def to8(v, depth):
    if depth == 16:
        return (v * 255 + 32767) // 65535
    return v * 255 // ((1 << depth) - 1)


def build(name, width, height, depth, ctype, interlaced=False, palette=None, trns=None, text=None,
          split_idat=False, trailing=b"", filter_offset=0, seed=0):
    maxv = (1 << depth) - 1
    entries = len(palette) // 3 if palette else 0

    def sample(x, y, s):
        v = (x * 37 + y * 91 + s * 53 + seed * 17 + (x * y) % 7) * (2654435761 if depth == 16 else 1)
        if ctype == 3:
            return v % entries
        return v % (maxv + 1)

    ihdr = struct.pack(">IIBBBBB", width, height, depth, ctype, 0, 0, 1 if interlaced else 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
    if text:
        for k, v in text:
            png += chunk(b"tEXt", k.encode("latin-1") + b"\0" + v.encode("latin-1"))
    if palette:
        png += chunk(b"PLTE", bytes(palette))
    if trns is not None:
        png += chunk(b"tRNS", trns)
    stream = zlib.compress(image_data(width, height, depth, ctype, interlaced, sample, filter_offset), 9) + trailing
    if split_idat:
        third = max(1, len(stream) // 3)
        for part in (stream[:third], stream[third:2 * third], stream[2 * third:]):
            png += chunk(b"IDAT", part)
    else:
        png += chunk(b"IDAT", stream)
    png += chunk(b"IEND", b"")

    # Expected 8-bit output, [H, W, C].
    expected = bytearray()
    key = None
    if trns is not None and ctype in (0, 2):
        key = [struct.unpack(">H", trns[i:i + 2])[0] & maxv for i in range(0, len(trns), 2)]
    for y in range(height):
        for x in range(width):
            vals = [sample(x, y, s) for s in range(SAMPLES[ctype])]
            if ctype == 3:
                i = vals[0]
                expected += bytes(palette[3 * i:3 * i + 3])
                if trns is not None:
                    expected.append(trns[i] if i < len(trns) else 255)
            else:
                expected += bytes(to8(v, depth) for v in vals)
                if key is not None:
                    expected.append(0 if vals == key else 255)
    channels = {0: 1, 2: 3, 3: 3, 4: 2, 6: 4}[ctype] + (1 if trns is not None and ctype in (0, 2, 3) else 0)
    assert len(expected) == width * height * channels
    return name, png, width, height, channels, bytes(expected)


def palette_of(n):
    return [((i * 67 + c * 101) % 256) for i in range(n) for c in range(3)]


FIXTURES = [
    build("grey1", 13, 5, 1, 0),
    build("grey2", 7, 4, 2, 0, filter_offset=1),
    build("grey4", 9, 3, 4, 0, filter_offset=2),
    build("grey8", 6, 6, 8, 0, filter_offset=3),
    build("grey16", 5, 5, 16, 0, filter_offset=4),
    build("grey8-trns", 6, 5, 8, 0, trns=struct.pack(">H", (0 * 37 + 0 * 91 + 0) % 256)),
    build("grey16-trns", 4, 3, 16, 0, trns=struct.pack(">H", (0 * 2654435761) % 65536)),
    build("rgb8", 7, 5, 8, 2),
    build("rgb16", 5, 4, 16, 2, filter_offset=2),
    build("rgb8-trns", 6, 4, 8, 2, trns=struct.pack(">HHH", 0, 53, 106)),
    build("palette1", 11, 3, 1, 3, palette=palette_of(2)),
    build("palette2", 7, 4, 2, 3, palette=palette_of(4), filter_offset=3),
    build("palette4", 9, 5, 4, 3, palette=palette_of(13)),
    build("palette8", 6, 6, 8, 3, palette=palette_of(200), filter_offset=1),
    build("palette8-trns", 6, 5, 8, 3, palette=palette_of(20), trns=bytes([0, 64, 128, 200, 255, 7])),
    build("greyalpha8", 6, 5, 8, 4, filter_offset=4),
    build("greyalpha16", 4, 4, 16, 4),
    build("rgba8", 7, 6, 8, 6, filter_offset=2),
    build("rgba16", 5, 3, 16, 6, filter_offset=3),
    build("adam7-grey1", 13, 11, 1, 0, interlaced=True),
    build("adam7-grey8", 9, 10, 8, 0, interlaced=True, filter_offset=1),
    build("adam7-rgb8", 10, 9, 8, 2, interlaced=True, filter_offset=2),
    build("adam7-palette4-trns", 11, 7, 4, 3, interlaced=True, palette=palette_of(16), trns=bytes([10, 20, 30])),
    build("adam7-rgba16", 7, 7, 16, 6, interlaced=True, filter_offset=4),
    build("adam7-tiny-1x1", 1, 1, 8, 6, interlaced=True),
    build("adam7-3x2", 3, 2, 8, 4, interlaced=True),
    build("split-idat-text", 8, 8, 8, 2, split_idat=True, text=[("Comment", "made by gen_png_fixtures.py")]),
    build("trailing-zlib-bytes", 5, 5, 8, 0, trailing=b"\x00\x00junk"),
]


def main():
    print("// Generated by Scripts/gen_png_fixtures.py (Python struct + zlib, no PIL); do not edit.")
    print("// Each PNG was built by hand; `pixels` is the 8-bit [H, W, C] output a decoder must give.")
    print()
    print("/// PNG files of every colour type, bit depth, filter type and interlacing, with their pixels.")
    print("enum ImagePNGFixtures {")
    print("  /// One fixture: the file (base64) and the expected decoded bitmap (pixels in hex).")
    print("  struct Fixture: Sendable, CustomStringConvertible {")
    print("    let name: String")
    print("    let width: Int")
    print("    let height: Int")
    print("    let channels: Int")
    print("    let base64: String")
    print("    let pixelsHex: String")
    print("    var description: String { name }")
    print("  }")
    print()
    print("  static let all: [Fixture] = [")
    for name, png, w, h, c, px in FIXTURES:
        print(f'    Fixture(')
        print(f'      name: "{name}", width: {w}, height: {h}, channels: {c},')
        print(f'      base64: "{base64.b64encode(png).decode()}",')
        print(f'      pixelsHex: "{px.hex()}"),')
    print("  ]")
    print("}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes the fuzz seed corpus: small valid files for each reader's fuzz target, plus a few that
are deliberately invalid (named `bad-*`, which the corpus test expects to be rejected).

    python3 Scripts/gen_fuzz_corpus.py        # writes Fuzz/corpus/{png,wav,idx,gzip,safetensors,text}

Standard library only (struct, zlib, gzip, json). The config seeds (Fuzz/corpus/config) are
written by hand from real run folders and are left alone. Rerun only to change the seeds; the
fuzzer adds its own findings to a scratch corpus, never here.
"""
import gzip
import json
import os
import struct
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fuzz", "corpus")


def write(target, name, data):
    folder = os.path.join(ROOT, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


# --- PNG -------------------------------------------------------------------------------------

def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png(width, height, depth, colour, rows, interlace=0, extra=b"", filter_type=1):
    """`rows` are the raw (unfiltered) scanlines of the whole image, or, for interlaced images,
    of each Adam7 pass in turn; every row gets filter `filter_type` (Sub by default)."""
    raw = bytearray()
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
    bpp = max(1, channels * depth // 8)
    for row in rows:
        raw.append(filter_type)
        if filter_type == 1:
            raw += bytes((row[i] - (row[i - bpp] if i >= bpp else 0)) & 0xFF for i in range(len(row)))
        else:
            raw += bytes(row)
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, interlace)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", zlib.compress(bytes(raw))) \
        + chunk(b"IEND", b"")


def gradient(width, height, channels):
    return [[(17 * x + 31 * y + 7 * c) & 0xFF for x in range(width) for c in range(channels)] for y in range(height)]


write("png", "grey8.png", png(4, 3, 8, 0, gradient(4, 3, 1)))
write("png", "rgb8.png", png(3, 2, 8, 2, gradient(3, 2, 3)))
write("png", "rgba8.png", png(2, 2, 8, 6, gradient(2, 2, 4), extra=chunk(b"tEXt", b"Comment\x00seed")))
write("png", "grey-alpha8.png", png(2, 2, 8, 4, gradient(2, 2, 2)))
write("png", "grey1.png", png(9, 2, 1, 0, [[0b10110011, 0b10000000], [0b01001100, 0]], filter_type=0))
write("png", "grey16.png", png(2, 2, 16, 0, [[0x12, 0x34, 0xFF, 0xFF], [0, 0, 0x80, 0x01]], filter_type=0))
palette = chunk(b"PLTE", bytes([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]))
write("png", "palette4.png", png(4, 2, 4, 3, [[0x01, 0x23], [0x32, 0x10]], extra=palette, filter_type=0))
write("png", "palette-trns.png",
      png(3, 1, 8, 3, [[0, 1, 2]], extra=palette + chunk(b"tRNS", bytes([0, 128])), filter_type=0))
write("png", "rgb-trns.png", png(2, 1, 8, 2, [[1, 2, 3, 4, 5, 6]], extra=chunk(b"tRNS", bytes([0, 1, 0, 2, 0, 3]))))
# A 3x3 grey Adam7 image: passes 1 to 7 hold 1x1, none (no column 4), none (no row 4), 1x1, 2x1,
# 1x2 and 3x1 pixels.
adam7 = [[10], [40], [50, 60], [70], [80], [90, 100, 110]]
write("png", "grey8-interlaced.png", png(3, 3, 8, 0, adam7, interlace=1, filter_type=0))
good = png(1, 1, 8, 0, [[0]])
write("png", "bad-crc.png", good[:29] + bytes([good[29] ^ 0xFF]) + good[30:])  # IHDR's CRC

# --- WAV -------------------------------------------------------------------------------------

def wav(fmt_code, channels, rate, bits, data, extensible=False, extra=b""):
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", 0xFFFE if extensible else fmt_code, channels, rate, rate * block, block, bits)
    if extensible:
        guid = struct.pack("<H", fmt_code) + b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
        fmt += struct.pack("<HHI", 22, bits, 0) + guid
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + extra
    body += b"data" + struct.pack("<I", len(data)) + data + (b"\x00" if len(data) % 2 else b"")
    return b"RIFF" + struct.pack("<I", len(body)) + body


write("wav", "pcm8-mono.wav", wav(1, 1, 8000, 8, bytes([128, 200, 50, 255, 0])))
write("wav", "pcm16-stereo.wav", wav(1, 2, 8000, 16, struct.pack("<8h", 0, 0, 1000, -1000, 32767, -32768, 5, 6)))
info = b"INFO" + b"INAM" + struct.pack("<I", 5) + b"seed\x00\x00"
write("wav", "pcm16-info.wav", wav(1, 1, 16000, 16, struct.pack("<3h", 1, 2, 3),
                                   extra=b"LIST" + struct.pack("<I", len(info)) + info))
write("wav", "pcm24-extensible.wav", wav(1, 1, 8000, 24, bytes([0, 0, 0x80, 0xFF, 0xFF, 0x7F]), extensible=True))
write("wav", "float32-mono.wav", wav(3, 1, 8000, 32, struct.pack("<3f", 0.5, -0.25, 1.5)))
write("wav", "float64-stereo.wav", wav(3, 2, 8000, 64, struct.pack("<2d", 0.125, -0.125)))
write("wav", "bad-alaw.wav", wav(6, 1, 8000, 8, bytes([1, 2, 3])))

# --- IDX -------------------------------------------------------------------------------------

def idx(type_code, shape, payload):
    return struct.pack(">HBB", 0, type_code, len(shape)) + b"".join(struct.pack(">I", s) for s in shape) + payload


images = idx(0x08, [2, 3, 3], bytes(range(18)))
labels = idx(0x08, [2], bytes([3, 7]))
write("idx", "images-ubyte", images)
write("idx", "images-ubyte.gz", gzip.compress(images, mtime=0))
write("idx", "labels-ubyte.gz", gzip.compress(labels, mtime=0))
write("idx", "int16", idx(0x0B, [3], struct.pack(">3h", -1, 0, 300)))
write("idx", "float32", idx(0x0D, [2, 1], struct.pack(">2f", 1.5, -2.0)))
write("idx", "float64", idx(0x0E, [1], struct.pack(">d", 3.25)))
write("idx", "bad-truncated", images[:-1])

# --- gzip and zlib -----------------------------------------------------------------------------

text = b"the quick brown fox jumps over the lazy dog\n" * 3
write("gzip", "text.gz", gzip.compress(text, mtime=0))
write("gzip", "two-members.gz", gzip.compress(b"first\n", mtime=0) + gzip.compress(b"second\n", mtime=0))
write("gzip", "text.zlib", zlib.compress(text))
write("gzip", "stored.zlib", zlib.compress(b"abc", 0))
write("gzip", "empty.gz", gzip.compress(b"", mtime=0))

# --- safetensors -------------------------------------------------------------------------------

def safetensors(tensors, metadata=None):
    """`tensors`: (name, dtype, shape, raw bytes), laid out in order."""
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


write("safetensors", "f32.safetensors", safetensors([("w", "F32", [2, 2], struct.pack("<4f", 1, 2, 3, 4))]))
write("safetensors", "mixed.safetensors", safetensors([
    ("a.bias", "F16", [2], struct.pack("<2H", 0x3C00, 0xC000)),
    ("a.weight", "BF16", [1, 2], struct.pack("<2H", 0x3F80, 0x4000)),
    ("count", "I64", [], struct.pack("<q", 7)),
    ("mask", "BOOL", [3], bytes([1, 0, 1])),
    ("empty", "F32", [0, 4], b""),
], metadata={"format": "pt", "step": "12"}))
write("safetensors", "u8-f64.safetensors", safetensors([
    ("bytes", "U8", [3], bytes([0, 128, 255])), ("x", "F64", [1], struct.pack("<d", -0.5)),
]))
overlap = json.dumps({"a": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]},
                      "b": {"dtype": "U8", "shape": [2], "data_offsets": [1, 3]}}, separators=(",", ":")).encode()
write("safetensors", "bad-overlap.safetensors", struct.pack("<Q", len(overlap)) + overlap + b"abc")

# --- text ------------------------------------------------------------------------------------

write("text", "ascii.txt", b"To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer\n")
write("text", "bom-crlf.txt", b"\xef\xbb\xbfFirst line\r\nSecond line\r\n")
write("text", "multilingual.txt", "caf\u00e9 na\u00efve \u00fcber \u65e5\u672c\u8a9e \U0001F600 e\u0301\n".encode())
write("text", "bad-overlong.txt", b"ab\xc0\xafcd")
write("text", "bad-cut.txt", "\u65e5\u672c".encode()[:-1])

#!/usr/bin/env python3
"""Writes the sample's PNG files from the mobilenetv2-digits test set (standard library only).

    python3 samples/ImagingTriage/images/make_images.py

Each file is digit-{label}-{index}.png: test image {index} of tests/assets/models/mobilenetv2-digits/
data/test_x.f32 (channel 0 of [3,32,32], values in [0,1]) stored as round(255 * value), 32x32, 8 bits,
with the label from test_y.i32. The colour type cycles through grey, grey+alpha, RGB and RGBA (opaque,
r = g = b) and every row picks its filter like libpng does (smallest sum of absolute differences), so the
files exercise the whole decoder. This encoder is written independently of the C# decoder on purpose:
the sample's tests decode these files and compare them with test_x.f32.
"""
import array
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "..", "tests", "assets", "models", "mobilenetv2-digits", "data")
SIZE = 32
PER_DIGIT = 2
COLOUR_TYPES = [(0, 1), (4, 2), (2, 3), (6, 4)]  # (PNG colour type, samples per pixel)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_row(kind, row, prior, bpp):
    out = bytearray(len(row))
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prior[i]
        c = prior[i - bpp] if i >= bpp else 0
        predictor = (0, a, b, (a + b) // 2, paeth(a, b, c))[kind]
        out[i] = (x - predictor) & 255
    return out


def encode(width, height, colour_type, bpp, pixels):
    stride = width * bpp
    raw = bytearray()
    prior = bytes(stride)
    for y in range(height):
        row = pixels[y * stride:(y + 1) * stride]
        candidates = [filter_row(k, row, prior, bpp) for k in range(5)]
        cost = [sum(v if v < 128 else 256 - v for v in c) for c in candidates]
        kind = cost.index(min(cost))
        raw.append(kind)
        raw += candidates[kind]
        prior = row

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b"")


def main():
    x = array.array("f")
    with open(os.path.join(DATA, "test_x.f32"), "rb") as f:
        x.frombytes(f.read())
    y = array.array("i")
    with open(os.path.join(DATA, "test_y.i32"), "rb") as f:
        y.frombytes(f.read())
    sample = 3 * SIZE * SIZE
    taken = {}
    written = 0
    for index, label in enumerate(y):
        if taken.get(label, 0) >= PER_DIGIT:
            continue
        taken[label] = taken.get(label, 0) + 1
        grey = [int(round(255 * v)) for v in x[index * sample:index * sample + SIZE * SIZE]]
        colour_type, bpp = COLOUR_TYPES[written % len(COLOUR_TYPES)]
        pixels = bytearray()
        for g in grey:
            pixels += bytes({1: [g], 2: [g, 255], 3: [g, g, g], 4: [g, g, g, 255]}[bpp])
        name = "digit-%d-%04d.png" % (label, index)
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(encode(SIZE, SIZE, colour_type, bpp, pixels))
        written += 1
    print("wrote %d images" % written)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Writes the sample's JPEG files and, for the tests, the pixels libjpeg-turbo decodes from them.

    /usr/bin/python3 samples/ImagingTriage/images/make_jpegs.py     # Debian's python3 with python3-pil (libjpeg-turbo)

Clinics photograph films and screens, so the sample reads JPEG as well as PNG. Each file is
digit-{label}-{index}.jpg: the same test image as the PNG of that name (channel 0 of
tests/assets/models/mobilenetv2-digits/data/test_x.f32, round(255 * value), 32x32), saved by Pillow's
libjpeg-turbo at quality 95, as greyscale (one component) or as RGB (r = g = b, YCbCr 4:4:4).
The same script decodes each file again with libjpeg-turbo and writes the pixels to
tests/QuantGen.Samples.Tests/ImageOracle/{file}.u8 (width x height x channels bytes): the oracle the tests
compare the sample's decoder (StbImageSharp, a separate implementation) with.
"""
import array
import os

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.join(HERE, "..", "..", "..")
DATA = os.path.join(REPO, "tests", "assets", "models", "mobilenetv2-digits", "data")
ORACLE = os.path.join(REPO, "tests", "QuantGen.Samples.Tests", "ImageOracle")
SIZE = 32
# (test index, mode): two greyscale and two colour files, of images the PNGs also hold.
FILES = [(1, "L"), (30, "RGB"), (9, "L"), (12, "RGB")]


def main():
    x = array.array("f")
    with open(os.path.join(DATA, "test_x.f32"), "rb") as f:
        x.frombytes(f.read())
    y = array.array("i")
    with open(os.path.join(DATA, "test_y.i32"), "rb") as f:
        y.frombytes(f.read())
    sample = 3 * SIZE * SIZE
    os.makedirs(ORACLE, exist_ok=True)
    for index, mode in FILES:
        grey = bytes(int(round(255 * v)) for v in x[index * sample:index * sample + SIZE * SIZE])
        image = Image.frombytes("L", (SIZE, SIZE), grey)
        if mode == "RGB":
            image = image.convert("RGB")
        name = "digit-%d-%04d.jpg" % (y[index], index)
        path = os.path.join(HERE, name)
        image.save(path, "JPEG", quality=95, subsampling=0, optimize=False)
        with Image.open(path) as decoded:
            decoded.load()
            with open(os.path.join(ORACLE, name + ".u8"), "wb") as f:
                f.write(decoded.tobytes())
        print(name, mode)


if __name__ == "__main__":
    main()

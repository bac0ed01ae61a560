#!/usr/bin/python3
"""Writes the ResNet-18 test photos: 224x224 RGB JPEG crops of scikit-image's sample photographs.

Run with Debian's python3-skimage (0.19.3): /usr/bin/python3 make-photos.py. Every source image is public
domain or CC0 (see README.md beside this script, which quotes each one's licence from skimage/data/_fetchers.py).
Grayscale sources are repeated into three channels. The crops are deterministic (fixed boxes, no randomness).
"""
import os
import numpy as np
from PIL import Image
from skimage import data

HERE = os.path.dirname(os.path.abspath(__file__))

# (name, loader): calibration photos first, held-out photos (never used to calibrate) second.
CALIBRATION = ["astronaut", "chelsea", "coffee", "rocket", "brick", "grass", "gravel", "camera"]
HELD_OUT = ["hubble_deep_field", "retina", "immunohistochemistry", "cell", "coins", "clock", "microaneurysms", "text"]


def rgb(name):
    image = getattr(data, name)()
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    image = image[..., :3]
    if image.dtype != np.uint8:
        image = (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8) if image.dtype.kind == "f" else image.astype(np.uint8)
    return image


def crops(image):
    """The centred square of the whole photo, and a closer square from its upper-left third."""
    h, w, _ = image.shape
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    yield "full", image[top:top + s, left:left + s]
    z = max(s * 3 // 5, 32)
    yield "zoom", image[h // 6:h // 6 + z, w // 6:w // 6 + z]


def main():
    for group, names in (("calibration", CALIBRATION), ("held-out", HELD_OUT)):
        os.makedirs(os.path.join(HERE, group), exist_ok=True)
        for name in names:
            for kind, crop in crops(rgb(name)):
                out = Image.fromarray(crop).resize((224, 224), Image.BICUBIC)
                out.save(os.path.join(HERE, group, f"{name}-{kind}.jpg"), quality=90, subsampling=0, optimize=True)


if __name__ == "__main__":
    main()

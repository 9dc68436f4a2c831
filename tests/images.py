"""Test pictures made in memory: real photos, and every kind of bad input."""
import struct
import zlib
from functools import lru_cache

import cv2
import numpy as np


def encode(image: np.ndarray, ext: str = ".jpg") -> bytes:
    ok, data = cv2.imencode(ext, image)
    assert ok
    return data.tobytes()


@lru_cache(maxsize=None)
def astronaut_jpeg(side: int = 512) -> bytes:
    """scikit-image's astronaut portrait as a JPEG, at its own 512 px or resized to ``side``."""
    from skimage import data

    bgr = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    if side != bgr.shape[0]:
        bgr = cv2.resize(bgr, (side, side), interpolation=cv2.INTER_CUBIC)
    return encode(bgr, ".jpg")


def astronaut_as(ext: str) -> bytes:
    from skimage import data

    return encode(cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR), ext)


@lru_cache(maxsize=None)
def faceless_png() -> bytes:
    """A smooth gradient with a few shapes: an image, but nothing like a face."""
    y, x = np.mgrid[0:240, 0:320]
    image = np.dstack([(x * 0.8) % 256, (y * 1.0) % 256, np.full_like(x, 120)]).astype(np.uint8)
    cv2.rectangle(image, (30, 40), (110, 90), (255, 255, 255), -1)
    cv2.line(image, (200, 30), (300, 200), (0, 0, 0), 4)
    return encode(image, ".png")


def truncated_jpeg() -> bytes:
    data = astronaut_jpeg()
    return data[: len(data) // 3]


def one_pixel_png() -> bytes:
    return encode(np.zeros((1, 1, 3), np.uint8), ".png")


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


@lru_cache(maxsize=None)
def huge_png(side: int = 30000) -> bytes:
    """A valid side×side 1-bit grayscale PNG: ~110 KB on disk, 900 million pixels decoded."""
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    row = b"\x00" * (1 + (side + 7) // 8)
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(row * 1000) for _ in range(side // 1000)]
    parts.append(compressor.compress(row * (side % 1000)))
    parts.append(compressor.flush())
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", b"".join(parts)) + _png_chunk(b"IEND", b"")

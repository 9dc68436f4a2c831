"""Real photos for tests, built from images that scikit-image ships (no downloads)."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from skimage import data

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
FER_NPZ = SHARED_DATA / "fer2013_trainval.npz"


def astronaut_bgr() -> np.ndarray:
    """Eileen Collins smiling, with the space shuttle behind her: one face, happy."""
    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)


def two_face_photo() -> np.ndarray:
    """The astronaut beside a smaller, mirrored copy of herself on one 640x480-ish canvas."""
    face = astronaut_bgr()
    small = cv2.flip(cv2.resize(face, (320, 320), interpolation=cv2.INTER_AREA), 1)
    canvas = np.full((512, 512 + 320 + 32, 3), 200, np.uint8)
    canvas[:, :512] = face
    canvas[96:416, 512 + 32:] = small
    return canvas


def blank_photo(height: int = 480, width: int = 640) -> np.ndarray:
    """A real-looking frame with no face: a smooth gradient with noise."""
    rng = np.random.default_rng(0)
    gradient = np.linspace(40, 220, width, dtype=np.float32)[None, :, None]
    return np.clip(gradient + rng.normal(0, 8, (height, width, 3)), 0, 255).astype(np.uint8)


def png_claiming_size(width: int = 30000, height: int = 30000) -> bytes:
    """A small PNG whose header claims width x height pixels (a decompression bomb's shape).

    Built chunk by chunk so the test need not allocate the 900 MB a real one decodes to.
    """
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grayscale
    rows = zlib.compress(b"\x00" * (width + 1) * 16)  # the first 16 rows; the rest never decoded
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")

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


def cameraman_bgr() -> np.ndarray:
    """skimage's cameraman: a second real face (gray, in profile-ish 3/4 view, small in frame)."""
    return cv2.cvtColor(data.camera(), cv2.COLOR_GRAY2BGR)


def rotated(image: np.ndarray, degrees: float) -> np.ndarray:
    """``image`` turned by ``degrees`` (counter-clockwise) about its centre, corners filled by reflection."""
    height, width = image.shape[:2]
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    return cv2.warpAffine(image, turn, (width, height), borderMode=cv2.BORDER_REFLECT)


def group_photo() -> np.ndarray:
    """Four faces of different sizes on one 1200x700 canvas, like a group picture.

    The astronaut large and small (mirrored), the cameraman, and the astronaut tilted by 20 degrees.
    """
    canvas = np.full((700, 1200, 3), 180, np.uint8)
    astronaut = astronaut_bgr()
    placements = [
        (cv2.resize(astronaut, (420, 420), interpolation=cv2.INTER_AREA), (20, 40)),
        (cv2.flip(cv2.resize(astronaut, (240, 240), interpolation=cv2.INTER_AREA), 1), (460, 60)),
        (cv2.resize(cameraman_bgr(), (300, 300), interpolation=cv2.INTER_AREA), (730, 30)),
        (rotated(cv2.resize(astronaut, (300, 300), interpolation=cv2.INTER_AREA), 20), (460, 380)),
    ]
    for picture, (x, y) in placements:
        height, width = picture.shape[:2]
        canvas[y:y + height, x:x + width] = picture
    return canvas


def no_face_images() -> dict[str, np.ndarray]:
    """Textures, scenery and objects with no human face: skimage's samples plus made-up textures."""
    samples = {}
    for name in ("brick", "grass", "gravel", "coffee", "rocket", "horse", "moon", "coins", "page", "text",
                 "chelsea", "hubble_deep_field", "stereo_motorcycle", "colorwheel", "immunohistochemistry",
                 "clock", "cell", "logo", "retina"):
        image = getattr(data, name)()
        if isinstance(image, tuple):
            image = image[0]
        samples[name] = to_bgr_uint8(np.asarray(image))
    rng = np.random.default_rng(7)
    noise = rng.integers(0, 256, (480, 640), dtype=np.uint8)
    samples["noise"] = cv2.cvtColor(noise, cv2.COLOR_GRAY2BGR)
    samples["blurred noise"] = cv2.cvtColor(cv2.GaussianBlur(noise, (0, 0), 6), cv2.COLOR_GRAY2BGR)
    stripes = (127 + 120 * np.sin(np.arange(640) / 6.0))[None, :].repeat(480, 0).astype(np.uint8)
    samples["stripes"] = cv2.cvtColor(stripes, cv2.COLOR_GRAY2BGR)
    samples["gradient"] = blank_photo()
    return samples


def to_bgr_uint8(image: np.ndarray) -> np.ndarray:
    if image.dtype != np.uint8:
        image = (image * 255 if image.max() <= 1 else image).clip(0, 255).astype(np.uint8)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_RGBA2BGR)
    return cv2.cvtColor(image, cv2.COLOR_RGB2BGR)


def portrait_from_face(face48: np.ndarray, side: int = 240) -> np.ndarray:
    """A FER2013 face (48x48 gray) as a BGR portrait: enlarged, with its edges repeated around it
    so that a turned copy shows no black corners and the detector sees the whole head."""
    face = cv2.resize(face48, (side // 2, side // 2), interpolation=cv2.INTER_CUBIC)
    pad = side // 4
    framed = cv2.copyMakeBorder(face, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    return cv2.cvtColor(framed, cv2.COLOR_GRAY2BGR)

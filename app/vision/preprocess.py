"""The one preprocessing step shared by training and serving.

Every face the model ever sees -- a FER2013 row during training, a webcam
crop at serving time -- goes through :func:`prepare_face`. Keeping the crop,
resize and normalisation in a single function is what makes train/serve
skew impossible: there is no second copy that could drift.
"""
from __future__ import annotations

import cv2
import numpy as np

EMOTIONS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
FACE_SIZE = 48
# FER2013 faces are centred at 48x48 and scaled to [0, 1]; the network then
# sees values centred on zero, which keeps early layers well conditioned.
PIXEL_MEAN = 0.5
PIXEL_STD = 0.25
# FER2013 crops are slightly larger than the box OpenCV's frontal-face cascade
# draws: run on 600 PublicTest faces, the detector's box covered a median 96.5 %
# of the crop's side. Growing the detected box by 1/0.965 gives the network
# the same framing at serving time that it learned from.
FACE_BOX_SCALE = 1.036


def to_grayscale(image: np.ndarray) -> np.ndarray:
    """Return a 2-D uint8 grayscale view of a gray, BGR or BGRA image."""
    if image.ndim == 2:
        return image
    if image.ndim == 3 and image.shape[2] == 1:
        return image[:, :, 0]
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    raise ValueError(f"expected a gray, BGR or BGRA image, got shape {image.shape}")


def prepare_face(image: np.ndarray, box: tuple[int, int, int, int] | None = None) -> np.ndarray:
    """Crop ``box`` (x, y, w, h) from ``image``, resize to 48x48 gray, normalise.

    ``box=None`` means the whole image is already a face crop (FER2013 rows).
    Returns float32 of shape (48, 48).
    """
    gray = to_grayscale(np.asarray(image))
    if gray.dtype != np.uint8:
        raise ValueError(f"expected uint8 pixels, got {gray.dtype}")
    if box is not None:
        gray = crop_box(gray, box)
    if gray.shape != (FACE_SIZE, FACE_SIZE):
        # INTER_AREA is the right filter for shrinking: it averages instead of aliasing.
        gray = cv2.resize(gray, (FACE_SIZE, FACE_SIZE), interpolation=cv2.INTER_AREA)
    return normalise(gray)


def prepare_faces(images: np.ndarray) -> np.ndarray:
    """Batch form of :func:`prepare_face` for whole-image faces: (N, 48, 48) float32."""
    return np.stack([prepare_face(img) for img in images]) if len(images) else np.zeros(
        (0, FACE_SIZE, FACE_SIZE), np.float32
    )


def normalise(gray48: np.ndarray) -> np.ndarray:
    return ((gray48.astype(np.float32) / 255.0) - PIXEL_MEAN) / PIXEL_STD


def crop_box(gray: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """Crop the detector's box grown by FACE_BOX_SCALE about its centre.

    Where the grown box leaves the image the edge pixels are repeated, so a
    face at the border keeps its proportions instead of being squashed.
    """
    x, y, w, h = (int(v) for v in box)
    if w <= 0 or h <= 0:
        raise ValueError(f"box {box} is empty")
    height, width = gray.shape
    centre_x, centre_y = x + w / 2, y + h / 2
    grown_w, grown_h = round(w * FACE_BOX_SCALE), round(h * FACE_BOX_SCALE)
    x0, y0 = round(centre_x - grown_w / 2), round(centre_y - grown_h / 2)
    x1, y1 = x0 + grown_w, y0 + grown_h
    if x1 <= 0 or y1 <= 0 or x0 >= width or y0 >= height:
        raise ValueError(f"box {box} lies outside the {width}x{height} image")
    crop = gray[max(y0, 0):min(y1, height), max(x0, 0):min(x1, width)]
    pad = (max(-y0, 0), max(y1 - height, 0), max(-x0, 0), max(x1 - width, 0))
    if any(pad):
        crop = cv2.copyMakeBorder(crop, *pad, borderType=cv2.BORDER_REPLICATE)
    return crop

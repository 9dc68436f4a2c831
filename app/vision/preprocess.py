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
INPUT_SHAPE = (FACE_SIZE, FACE_SIZE, 1)  # one face as the network takes it: channels last
# FER2013 faces are centred at 48x48 and scaled to [0, 1]; the network then
# sees values centred on zero, which keeps early layers well conditioned.
PIXEL_MEAN = 0.5
PIXEL_STD = 0.25
# How a FER2013 crop frames a face, measured with the detector itself: YuNet run on 756
# PublicTest faces (upscaled and padded so the face is not at the border) draws a box whose
# width is a median 77.5 % of the crop's side (IQR 72-84 %; the box height varies twice as much
# with the chin and hair, so the width is the measure), centred on the crop (median offset 0.0 %
# across, -0.3 % down). A square crop 1.29 box widths wide about the box centre therefore gives
# the network at serving time the framing it learned from. Re-measure with
# ``python -m training.framing`` after changing the detector.
CROP_SIDE_PER_BOX_WIDTH = 1.29

Point = tuple[float, float]


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


def prepare_face(image: np.ndarray, box: tuple[int, int, int, int] | None = None,
                 eyes: tuple[Point, Point] | None = None, tilt: float | None = None) -> np.ndarray:
    """Crop the face in ``box`` (x, y, w, h), turned upright, as a normalised 48x48 gray face.

    ``eyes`` are the (right eye, left eye) centres the detector found: the crop is rotated
    about the box centre so that they are level. ``tilt`` (radians, from
    ``app.vision.align.face_tilt``) gives the turn directly instead. ``box=None`` means the
    whole image is already a face crop (FER2013 rows). Returns float32 of shape (48, 48).
    """
    gray = to_grayscale(np.asarray(image))
    if gray.dtype != np.uint8:
        raise ValueError(f"expected uint8 pixels, got {gray.dtype}")
    if box is not None:
        gray = crop_box(gray, box, eyes, tilt)
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


def crop_box(gray: np.ndarray, box: tuple[int, int, int, int], eyes: tuple[Point, Point] | None = None,
             tilt: float | None = None) -> np.ndarray:
    """The square crop FER2013 framing calls for around ``box``, rotated so the eyes are level.

    Where the crop leaves the image the edge pixels are repeated, so a face at the border
    keeps its proportions instead of being squashed.
    """
    x, y, w, h = (int(v) for v in box)
    if w <= 0 or h <= 0:
        raise ValueError(f"box {box} is empty")
    height, width = gray.shape
    if x + w <= 0 or y + h <= 0 or x >= width or y >= height:
        raise ValueError(f"box {box} lies outside the {width}x{height} image")
    side = max(2, round(w * CROP_SIDE_PER_BOX_WIDTH))
    centre_x, centre_y = x + w / 2, y + h / 2
    angle = tilt if tilt is not None else eye_angle(eyes) if eyes is not None else 0.0
    cos, sin = np.cos(angle), np.sin(angle)
    # Crop pixel (u, v) samples the image at centre + u' * (cos, sin) + v' * (-sin, cos),
    # with u', v' measured from the crop's centre: the crop's x axis runs along the eyes.
    half = (side - 1) / 2
    to_image = np.array([[cos, -sin, centre_x - 0.5 - cos * half + sin * half],
                         [sin, cos, centre_y - 0.5 - sin * half - cos * half]], dtype=np.float64)
    return cv2.warpAffine(gray, to_image, (side, side), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REPLICATE)


def eye_angle(eyes: tuple[Point, Point]) -> float:
    """Tilt of the line from the right eye (left in the picture) to the left eye, in radians."""
    (right_x, right_y), (left_x, left_y) = eyes
    if right_x == left_x and right_y == left_y:
        return 0.0
    return float(np.arctan2(left_y - right_y, left_x - right_x))

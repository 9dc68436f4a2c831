"""How far a face is tilted in the picture, so that ``prepare_face`` can turn it upright.

YuNet's eye landmarks lean strongly towards "upright": on the astronaut portrait turned by
25 degrees they report 1-5 degrees, and measuring again on the turned crop recovers only a
tenth to a quarter of what is left each round (``benchmarks/tune_alignment.py``). A face,
though, is nearly mirror-symmetric about the line through the middle of its brow, nose and
mouth, and that line is upright only when the face is. So the tilt is found as the turn that
makes the face most like its own mirror image: the crop around the detector's box is tried at
angles around the eye estimate (and a little to each side, since the box is not always
centred on the nose), and the gradients of each try are compared with those of its mirror.

Profile and 3/4 views are not symmetric in the picture; where no turn makes the face
convincingly symmetric (``MIN_SYMMETRY``), the tilt is that of the face's horizontal features
instead: brows, eyes, nostrils and mouth are edges that run across the face whichever way it
looks, and their direction, read from the gradients inside a round window about the face's
centre, turns with the picture by construction. The search starts at the eye landmarks' angle
and follows the edges nearest to it (``feature_tilt``).
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from app.vision.detector import Box, Point
from app.vision.preprocess import eye_angle

PATCH = 32  # side of the crops compared with their mirror; detail beyond this does not help
SEARCH_DEGREES = 35.0  # tried each way around the eye landmarks' angle
COARSE_STEP_DEGREES = 5.0
FINE_STEP_DEGREES = 1.5
SIDE_SHIFTS = (-0.06, -0.03, 0.0, 0.03, 0.06)  # the mirror axis, as a share of the box width
CROP_SIDE_PER_BOX_WIDTH = 1.1  # the face itself, little background
# Mirror similarity (a cosine, 1 = perfect) that a turn must reach to be believed. Frontal faces
# reach 0.63-0.70 at their best angle; the cameraman's 3/4 view peaks at 0.44-0.55 whichever way
# the picture is turned, and at 0.55 its best turn was 12 degrees off.
MIN_SYMMETRY = 0.60

FEATURE_PATCH = 48  # side of the crop whose edges give the features' tilt
FEATURE_SIDE_PER_BOX_WIDTH = 0.8  # brows to mouth, little of the face's outline or hair
FEATURE_WINDOW_SPREAD = 0.3  # the round window's standard deviation, as a share of the crop
# How closely the features' search keeps to edges near its current angle (a von Mises
# concentration on twice the angle): at 2, edges 40 degrees away still pull at a third strength.
FEATURE_CONCENTRATION = 2.0
FEATURE_STEPS = 20

_rows, _cols = np.mgrid[0:PATCH, 0:PATCH].astype(np.float32)
_centre = (PATCH - 1) / 2
# An elliptical weight: the inner face counts, hair and background at the corners do not.
_WEIGHT = np.exp(-(((_cols - _centre) / (0.38 * PATCH)) ** 2 + ((_rows - _centre) / (0.48 * PATCH)) ** 2))
_feature_rows, _feature_cols = np.mgrid[0:FEATURE_PATCH, 0:FEATURE_PATCH].astype(np.float32) - (FEATURE_PATCH - 1) / 2
# Round, so that turning the picture turns the edges inside the window and brings in nothing new.
_ROUND_WEIGHT = np.exp(-(_feature_cols ** 2 + _feature_rows ** 2) / (2 * (FEATURE_WINDOW_SPREAD * FEATURE_PATCH) ** 2))


def face_tilt(gray: np.ndarray, box: Box, eyes: tuple[Point, Point] | None) -> float:
    """The face's tilt in radians (the angle ``prepare_face`` turns it by), for a 2-D uint8 image."""
    start = eye_angle(eyes) if eyes is not None else 0.0
    x, y, w, h = box
    centre = (x + w / 2, y + h / 2)
    side = w * CROP_SIDE_PER_BOX_WIDTH
    coarse = np.arange(-SEARCH_DEGREES, SEARCH_DEGREES + 1e-6, COARSE_STEP_DEGREES)
    score, angle, shift = _best(gray, centre, side, w, [start + math.radians(d) for d in coarse], SIDE_SHIFTS)
    fine = [angle + math.radians(d) for d in (-FINE_STEP_DEGREES, FINE_STEP_DEGREES)]
    fine_score, fine_angle, _ = _best(gray, centre, side, w, fine, (shift,))
    if fine_score > score:
        score, angle = fine_score, fine_angle
    return angle if score >= MIN_SYMMETRY else feature_tilt(gray, box, start)


def _best(gray, centre, side, box_width, angles, shifts) -> tuple[float, float, float]:
    best = (-2.0, 0.0, 0.0)
    for angle in angles:
        cos, sin = math.cos(angle), math.sin(angle)
        for shift in shifts:
            axis = (centre[0] + shift * box_width * cos, centre[1] + shift * box_width * sin)
            score = mirror_similarity(_turned_patch(gray, axis, side, angle))
            if score > best[0]:
                best = (score, angle, shift)
    return best


def feature_tilt(gray: np.ndarray, box: Box, start: float) -> float:
    """The tilt in radians of the face's horizontal features (brows, eyes, mouth) nearest ``start``.

    Each gradient in the round window votes for the direction of the edge it crosses, on twice
    its angle so that an edge and its opposite agree. Starting at ``start``, the angle moves to
    the mean of those votes, each weighted by its strength and by how near it lies to the
    current angle, until it settles: the nearest mode, not the overall mean, which a jaw line
    or a strand of hair could pull away.
    """
    x, y, w, h = box
    patch = _turned_patch(gray, (x + w / 2, y + h / 2), w * FEATURE_SIDE_PER_BOX_WIDTH, 0.0, FEATURE_PATCH)
    smooth = cv2.GaussianBlur(patch, (0, 0), 1.0)
    doubled = (cv2.Sobel(smooth, cv2.CV_32F, 1, 0) + 1j * cv2.Sobel(smooth, cv2.CV_32F, 0, 1)) ** 2
    magnitude = np.abs(doubled)
    strength = (magnitude * _ROUND_WEIGHT).ravel()
    # A horizontal edge has a vertical gradient; negated, its doubled direction is twice its tilt.
    edge = (-doubled / np.maximum(magnitude, 1e-12)).ravel()
    angle = start
    for _ in range(FEATURE_STEPS):
        offset = edge * complex(math.cos(2 * angle), -math.sin(2 * angle))  # each edge's turn from the angle
        pull = strength * np.exp(FEATURE_CONCENTRATION * (offset.real - 1))
        step = 0.5 * float(np.angle(np.dot(pull, offset)))
        angle += step
        if abs(step) < 1e-3:
            break
    return angle


def _turned_patch(gray: np.ndarray, centre: Point, side: float, angle: float, size: int = PATCH) -> np.ndarray:
    """A ``size`` x ``size`` crop of ``side`` pixels about ``centre``, its x axis along ``angle``."""
    cos, sin = math.cos(angle), math.sin(angle)
    k = side / size
    middle = (size - 1) / 2
    to_image = np.array([[cos * k, -sin * k, centre[0] - 0.5 - (cos * middle - sin * middle) * k],
                         [sin * k, cos * k, centre[1] - 0.5 - (sin * middle + cos * middle) * k]])
    return cv2.warpAffine(gray, to_image, (size, size), flags=cv2.INTER_AREA | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REPLICATE).astype(np.float32)


def mirror_similarity(patch: np.ndarray) -> float:
    """Cosine between the patch's weighted gradients and those of its mirror image.

    Gradients rather than brightness, so that light from one side does not pass for asymmetry
    of the face; mirroring turns the horizontal gradient's sign as well as its place.
    """
    smooth = cv2.GaussianBlur(patch, (0, 0), 1.0)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0) * _WEIGHT
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1) * _WEIGHT
    mirror_gx, mirror_gy = -gx[:, ::-1], gy[:, ::-1]
    dot = float((gx * mirror_gx).sum() + (gy * mirror_gy).sum())
    norm = float((gx * gx).sum() + (gy * gy).sum())  # the mirror has the same norm
    return dot / norm if norm > 1e-6 else 0.0

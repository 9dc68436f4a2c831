"""Offline face detection with YuNet (OpenCV Zoo, MIT licence) through ``cv2.FaceDetectorYN``.

YuNet is a small CNN (233 KB) that returns, per face, a box, five landmarks
(both eyes, nose tip, both mouth corners) and a score. It finds 3/4 views,
faces with glasses and faces tilted by 25 degrees that the old Haar cascade
missed; the eye landmarks let ``prepare_face`` turn every face upright.

The search runs on a copy shrunk to at most ``max_side`` pixels. Two presets:
``VIDEO_SEARCH`` for webcam frames (320 px: about 4 ms a frame, faces from
about 25 px in a 640 px frame) and ``PHOTO_SEARCH`` for uploads (1024 px: finds
the small faces of a group photo, in tens of milliseconds).

Thread safety: ``cv2.FaceDetectorYN`` keeps its input size and buffers in the
object, so one object must never run in two threads at once. ``FaceDetector``
therefore lends webcam-frame searches a YuNet from a pool (one per search
running at that moment), and builds a fresh one for each photo (2-6 ms): YuNet
keeps buffers sized for the largest picture it has seen, about 40 MB at 1024 px,
which a long-lived object would hold for ever. Photo searches also run one at a
time per process (``LARGE_SEARCHES_AT_ONCE``), so two uploads arriving together
in one web worker need that memory once, not twice; webcam frames never wait
for them. A detector object can be shared freely between threads.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from app.vision.pool import ObjectPool

YUNET_FILE = Path(__file__).resolve().parents[2] / "models" / "yunet" / "face_detection_yunet_2023mar.onnx"
Box = tuple[int, int, int, int]
Point = tuple[float, float]

NMS_THRESHOLD = 0.3
MAX_FACES = 50
# Searches that build their own YuNet (photos) run one at a time in a process: each needs about
# 90 MB of working memory at 1024 px. Frames (320 px, a few MB) are never held up by them.
LARGE_SEARCHES_AT_ONCE = 1
_large_searches = threading.BoundedSemaphore(LARGE_SEARCHES_AT_ONCE)

# OpenCV 5's DNN engine logs a warning ("Targets are not supported by the new graph engine") each
# time a YuNet is built, i.e. on every photo; only OpenCV's errors belong in the server's log.
if cv2.utils.logging.getLogLevel() > cv2.utils.logging.LOG_LEVEL_ERROR:
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)


@dataclass(frozen=True)
class SearchSettings:
    max_side: int  # the image is shrunk to this longest side before the search
    score_threshold: float  # YuNet score below which a candidate is not a face
    min_face: int = 12  # smallest face side kept, in pixels of the shrunk image (YuNet's own floor is ~10)
    keep_detector: bool = True  # reuse a pooled YuNet (small, frequent searches) or build one per call
    # Find each face's tilt by its mirror symmetry (app.vision.align, 2-4 ms a face) instead of
    # trusting the eye landmarks alone, which barely follow a tilted head.
    straighten: bool = False


# Thresholds tuned with ``python benchmarks/tune_detector.py`` on the test images of
# tests/faces.py. At 320 px the weakest true face (the cameraman tilted by 25 degrees) scores
# 0.71 and the strongest non-face (textures, scenery, skimage's samples) 0.33; at 1024 px the
# weakest face of the portrait, tilted and group sets scores 0.84 and the strongest non-face
# 0.76 (a larger search sees more face-like detail in clutter, hence the higher photo
# threshold). YuNet's demo default, 0.9, would miss tilted and 3/4-view faces.
VIDEO_SEARCH = SearchSettings(max_side=320, score_threshold=0.7)
# Webcam frames keep the eye landmarks' angle: a head tilted far is rare before a webcam, and the
# frame budget (a few milliseconds) has no room for the symmetry search.
PHOTO_SEARCH = SearchSettings(max_side=1024, score_threshold=0.8, keep_detector=False, straighten=True)


@dataclass(frozen=True)
class Detection:
    """One face: its box (x, y, w, h) and eye centres in the input image's pixels."""

    box: Box
    right_eye: Point  # the person's right eye: on the left of the picture
    left_eye: Point
    score: float


class FaceDetector:
    def __init__(self, model_file: str | Path = YUNET_FILE, score_threshold: float | None = None,
                 at_once: int | None = None):
        """``score_threshold`` overrides the presets' thresholds (for tuning and tests); ``at_once``
        is the most frame searches that run at the same moment (more wait), None for no bound."""
        self.model_file = str(model_file)
        if not Path(self.model_file).is_file():
            raise RuntimeError(f"face detector model not found: {self.model_file}")
        self.score_threshold = score_threshold
        self._pool = ObjectPool(lambda: self._new_yunet(1, 1, 0.5), limit=at_once)
        with self._pool.borrowed():
            pass  # builds the first pooled YuNet: an unusable file fails at start-up, not on a request

    def _new_yunet(self, width: int, height: int, score_threshold: float) -> cv2.FaceDetectorYN:
        return cv2.FaceDetectorYN.create(self.model_file, "", (width, height), score_threshold,
                                         NMS_THRESHOLD, MAX_FACES * 10)

    def _search(self, small: np.ndarray, score_threshold: float, keep_detector: bool):
        """YuNet's rows for ``small``, from a pooled YuNet or from one built for this search."""
        height, width = small.shape[:2]
        if not keep_detector:
            with _large_searches:
                return self._new_yunet(width, height, score_threshold).detect(small)[1]
        with self._pool.borrowed() as yunet:
            yunet.setInputSize((width, height))
            yunet.setScoreThreshold(score_threshold)
            return yunet.detect(small)[1]

    def detect(self, image: np.ndarray, search: SearchSettings = PHOTO_SEARCH) -> list[Detection]:
        """Faces in a BGR (or gray) uint8 image, largest first."""
        bgr = as_bgr(image)
        scale = min(1.0, search.max_side / max(bgr.shape[:2]))
        small = bgr if scale == 1.0 else cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        threshold = self.score_threshold if self.score_threshold is not None else search.score_threshold
        found = self._search(small, threshold, search.keep_detector)
        if found is None:
            return []
        detections = [to_detection(row, scale, bgr.shape) for row in found
                      if min(row[2], row[3]) >= search.min_face]
        detections = [d for d in detections if d is not None]
        return sorted(detections, key=lambda d: d.box[2] * d.box[3], reverse=True)[:MAX_FACES]


def to_detection(row: np.ndarray, scale: float, shape: tuple[int, ...]) -> Detection | None:
    """YuNet's row (box, 5 landmarks, score) in the shrunk image -> a Detection in the input's pixels."""
    height, width = shape[:2]
    x, y, w, h = (float(v) / scale for v in row[:4])
    x0, y0 = max(0, round(x)), max(0, round(y))
    x1, y1 = min(width, round(x + w)), min(height, round(y + h))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    right_eye = (float(row[4]) / scale, float(row[5]) / scale)
    left_eye = (float(row[6]) / scale, float(row[7]) / scale)
    return Detection(box=(x0, y0, x1 - x0, y1 - y0), right_eye=right_eye, left_eye=left_eye, score=float(row[14]))


def as_bgr(image: np.ndarray) -> np.ndarray:
    """YuNet wants three channels; gray and BGRA inputs are converted."""
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.ndim == 3 and image.shape[2] == 1:
        return cv2.cvtColor(image[:, :, 0], cv2.COLOR_GRAY2BGR)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    if image.ndim == 3 and image.shape[2] == 3:
        return image
    raise ValueError(f"expected a gray, BGR or BGRA image, got shape {image.shape}")

"""Offline face detection with the Haar cascade that ships inside OpenCV 4.

Why this cascade: ``haarcascade_frontalface_alt2`` with 5 neighbours finds the
astronaut's face in ``skimage.data.astronaut()`` and not the space shuttle
(the default cascade at default settings finds both), and its box matches the
framing of FER2013 crops (see preprocess.FACE_BOX_SCALE).

The search runs on a copy shrunk to at most ``max_side`` pixels. Two presets:
``VIDEO_SEARCH`` for 640x480 webcam frames (searched at 320x240 with coarser
scale steps; faces from about 60 px: measured 7.9 ms a frame here) and
``PHOTO_SEARCH`` for uploads (finer, finds smaller faces, slower).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

CASCADE_FILE = Path(cv2.data.haarcascades) / "haarcascade_frontalface_alt2.xml"
Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class SearchSettings:
    max_side: int  # the image is shrunk to this longest side before the search
    scale_factor: float  # step between the face sizes tried
    min_size: int  # smallest face tried, in pixels of the shrunk image


VIDEO_SEARCH = SearchSettings(max_side=320, scale_factor=1.2, min_size=30)
PHOTO_SEARCH = SearchSettings(max_side=800, scale_factor=1.15, min_size=24)


class FaceDetector:
    def __init__(self, cascade_file: str | Path = CASCADE_FILE, min_neighbors: int = 5):
        self.cascade = cv2.CascadeClassifier(str(cascade_file))
        if self.cascade.empty():
            raise RuntimeError(f"could not load the face cascade {cascade_file}")
        self.min_neighbors = min_neighbors

    def detect(self, gray: np.ndarray, search: SearchSettings = PHOTO_SEARCH) -> list[Box]:
        """Boxes (x, y, w, h) in ``gray``'s pixels, largest face first."""
        scale = min(1.0, search.max_side / max(gray.shape))
        small = gray if scale == 1.0 else cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        if min(small.shape) < search.min_size:
            return []
        # Equalising evens out backlit and dim webcam frames before the cascade's thresholds apply.
        found = self.cascade.detectMultiScale(cv2.equalizeHist(small), scaleFactor=search.scale_factor,
                                              minNeighbors=self.min_neighbors,
                                              minSize=(search.min_size, search.min_size))
        boxes = [tuple(int(round(v / scale)) for v in box) for box in np.asarray(found).reshape(-1, 4)]
        return sorted(boxes, key=lambda b: b[2] * b[3], reverse=True)

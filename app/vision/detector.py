"""Offline face detection with the Haar cascade that ships inside OpenCV 4.

Why this cascade and these settings: ``haarcascade_frontalface_alt2`` with
5 neighbours finds the astronaut's face in ``skimage.data.astronaut()`` and
not the space shuttle (the default cascade at default settings finds both),
and its box matches the framing of FER2013 crops (see preprocess.FACE_BOX_SCALE).
Detection runs on a copy shrunk to at most ``max_side`` pixels: a 640x480
webcam frame is searched at 320x240, which is what keeps a frame within budget.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

CASCADE_FILE = Path(cv2.data.haarcascades) / "haarcascade_frontalface_alt2.xml"
Box = tuple[int, int, int, int]


class FaceDetector:
    def __init__(self, cascade_file: str | Path = CASCADE_FILE, scale_factor: float = 1.15,
                 min_neighbors: int = 5, min_size: int = 24):
        self.cascade = cv2.CascadeClassifier(str(cascade_file))
        if self.cascade.empty():
            raise RuntimeError(f"could not load the face cascade {cascade_file}")
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors
        self.min_size = min_size

    def detect(self, gray: np.ndarray, max_side: int = 640) -> list[Box]:
        """Boxes (x, y, w, h) in ``gray``'s pixels, largest face first."""
        scale = min(1.0, max_side / max(gray.shape))
        small = gray if scale == 1.0 else cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        if min(small.shape) < self.min_size:
            return []
        # Equalising evens out backlit and dim webcam frames before the cascade's thresholds apply.
        found = self.cascade.detectMultiScale(cv2.equalizeHist(small), scaleFactor=self.scale_factor,
                                              minNeighbors=self.min_neighbors,
                                              minSize=(self.min_size, self.min_size))
        boxes = [tuple(int(round(v / scale)) for v in box) for box in np.asarray(found).reshape(-1, 4)]
        return sorted(boxes, key=lambda b: b[2] * b[3], reverse=True)

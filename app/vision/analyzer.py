"""Image in, faces with emotions out: the whole vision pipeline, free of Flask.

    from app.vision import EmotionAnalyzer
    faces = EmotionAnalyzer().analyze(cv2.imread("photo.jpg"))
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.vision.classifier import DEFAULT_MODEL_PATH, EmotionClassifier
from app.vision.confidence import is_uncertain
from app.vision.align import face_tilt
from app.vision.detector import PHOTO_SEARCH, Box, Detection, FaceDetector, SearchSettings
from app.vision.preprocess import EMOTIONS, prepare_face, to_grayscale


@dataclass(frozen=True)
class Face:
    box: Box  # x, y, w, h in the input image's pixels
    scores: dict[str, float]  # all seven emotions, summing to 1

    @property
    def label(self) -> str:
        return max(self.scores, key=self.scores.get)

    @property
    def confidence(self) -> float:
        return self.scores[self.label]

    @property
    def uncertain(self) -> bool:
        return is_uncertain(self.scores)

    def to_dict(self) -> dict:
        x, y, w, h = self.box
        return {"box": {"x": x, "y": y, "w": w, "h": h}, "label": self.label,
                "confidence": round(self.confidence, 4), "uncertain": self.uncertain,
                "scores": {name: round(score, 4) for name, score in self.scores.items()}}


class EmotionAnalyzer:
    """Detects every face and classifies its emotion. Build once per process; reuse."""

    def __init__(self, model_path: str | Path = DEFAULT_MODEL_PATH, detector: FaceDetector | None = None,
                 threads: int = 1, at_once: int | None = None):
        """``at_once`` bounds how many threads run the classifier, and how many run the frame
        detector, at the same moment (None: no bound). Each running one holds its own copy of
        the model's buffers (about 8 MB for the classifier, 6 MB for the detector)."""
        self.classifier = EmotionClassifier(model_path, threads=threads, at_once=at_once)
        self.detector = detector or FaceDetector(at_once=at_once)

    def analyze(self, image: np.ndarray, search: SearchSettings = PHOTO_SEARCH) -> list[Face]:
        """``image`` is gray, BGR or BGRA uint8 of any size; returns faces, largest first.

        ``search=VIDEO_SEARCH`` trades the smallest faces for speed on webcam frames.
        Safe to call from many threads at once (see FaceDetector).
        """
        image = np.asarray(image)
        detections = self.detector.detect(image, search)
        if not detections:
            return []
        gray = to_grayscale(image)
        faces = np.stack([self._upright_face(gray, d, search.straighten) for d in detections])
        probabilities = self.classifier.predict(faces)
        return [Face(box=d.box, scores=scores_dict(p)) for d, p in zip(detections, probabilities)]


    @staticmethod
    def _upright_face(gray: np.ndarray, detection: Detection, straighten: bool) -> np.ndarray:
        eyes = (detection.right_eye, detection.left_eye)
        tilt = face_tilt(gray, detection.box, eyes) if straighten else None
        return prepare_face(gray, detection.box, eyes, tilt)


def scores_dict(probabilities: np.ndarray) -> dict[str, float]:
    total = float(probabilities.sum()) or 1.0
    return {name: float(p) / total for name, p in zip(EMOTIONS, probabilities)}

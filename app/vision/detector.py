"""Offline face detection with YuNet (OpenCV Zoo, MIT licence), run by LiteRT.

YuNet is a small CNN (233 KB) that returns, per face, a box, five landmarks
(both eyes, nose tip, both mouth corners) and a score. It finds 3/4 views,
faces with glasses and faces tilted by 25 degrees that the old Haar cascade
missed; the eye landmarks let ``prepare_face`` turn every face upright.

The vendored ONNX graph is rebuilt for LiteRT by ``training.port_yunet`` and runs in the
runtime that already serves the emotion model: on a 2-core Xeon a 320 px search took about two
thirds of the time of ``cv2.FaceDetectorYN``, a whole webcam frame 4-9 % less (models/README.md,
"Speed and memory"). The image is
padded to multiples of 32 and the outputs decoded exactly as OpenCV's ``FaceDetectorYN``
decodes them, so boxes, landmarks and scores are OpenCV's to about 1e-4 pixel
(tests/vision/test_detector.py compares the two on real photos).

The search runs on a copy shrunk to at most ``max_side`` pixels. Two presets:
``VIDEO_SEARCH`` for webcam frames (320 px: a few milliseconds a frame, faces from
about 25 px in a 640 px frame) and ``PHOTO_SEARCH`` for uploads (1024 px: finds
the small faces of a group photo, in tens of milliseconds).

Thread safety: a LiteRT interpreter keeps its input size and buffers in the
object, so one object must never run in two threads at once. ``FaceDetector``
therefore lends webcam-frame searches a YuNet from a pool (one per search
running at that moment), and builds a fresh one for each photo: YuNet
keeps buffers sized for the largest picture it has seen, tens of MB at 1024 px,
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

YUNET_FILE = Path(__file__).resolve().parents[2] / "models" / "yunet" / "face_detection_yunet_2023mar.tflite"
Box = tuple[int, int, int, int]
Point = tuple[float, float]

NMS_THRESHOLD = 0.3
MAX_FACES = 50
CANDIDATES = MAX_FACES * 10  # the most candidates, best first, that go into non-maximum suppression
STRIDES = (8, 16, 32)  # YuNet's three heads: one anchor per cell of an 8, 16 and 32 px grid
# Searches that build their own YuNet (photos) run one at a time in a process: each needs tens of
# MB of working memory at 1024 px. Frames (320 px, a few MB) are never held up by them.
LARGE_SEARCHES_AT_ONCE = 1
_large_searches = threading.BoundedSemaphore(LARGE_SEARCHES_AT_ONCE)

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


class LiteRTYuNet:
    """One LiteRT interpreter of YuNet: one thread at a time (``FaceDetector`` pools them)."""

    def __init__(self, model_file: str | Path):
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter = Interpreter(str(model_file), num_threads=1)
        signature = self.interpreter.get_signature_runner()
        inputs, outputs = signature.get_input_details(), signature.get_output_details()
        heads = {f"{head}_{stride}" for head in ("cls", "obj", "bbox", "kps") for stride in STRIDES}
        if "image" not in inputs or not heads <= set(outputs):
            raise RuntimeError(f"{model_file} is not a YuNet export (training.port_yunet): it has inputs "
                               f"{sorted(inputs)} and outputs {sorted(outputs)}")
        self.input_index = inputs["image"]["index"]
        self.output_indices = {name: outputs[name]["index"] for name in heads}
        self.input_shape: tuple[int, ...] | None = None  # tensors are allocated for this shape

    def outputs(self, padded_bgr: np.ndarray) -> dict[str, np.ndarray]:
        """YuNet's heads for an (H, W, 3) BGR image whose sides are multiples of 32."""
        shape = (1, *padded_bgr.shape)
        if shape != self.input_shape:
            self.interpreter.resize_tensor_input(self.input_index, list(shape))
            self.interpreter.allocate_tensors()
            self.input_shape = shape
        self.interpreter.set_tensor(self.input_index, padded_bgr[None].astype(np.float32))
        self.interpreter.invoke()
        return {name: self.interpreter.get_tensor(index)[0] for name, index in self.output_indices.items()}


class FaceDetector:
    def __init__(self, model_file: str | Path = YUNET_FILE, score_threshold: float | None = None,
                 at_once: int | None = None):
        """``score_threshold`` overrides the presets' thresholds (for tuning and tests); ``at_once``
        is the most frame searches that run at the same moment (more wait), None for no bound."""
        self.model_file = str(model_file)
        if not Path(self.model_file).is_file():
            raise RuntimeError(f"face detector model not found: {self.model_file}")
        self.score_threshold = score_threshold
        self._pool = ObjectPool(lambda: LiteRTYuNet(self.model_file), limit=at_once)
        with self._pool.borrowed():
            pass  # builds the first pooled YuNet: an unusable file fails at start-up, not on a request

    def _search(self, small: np.ndarray, score_threshold: float, keep_detector: bool) -> np.ndarray:
        """YuNet's rows for ``small``, from a pooled YuNet or from one built for this search."""
        padded = padded_to_stride(small)
        if not keep_detector:
            with _large_searches:
                outputs = LiteRTYuNet(self.model_file).outputs(padded)
        else:
            with self._pool.borrowed() as yunet:
                outputs = yunet.outputs(padded)
        return decode_faces(outputs, padded.shape[:2], score_threshold)

    def detect(self, image: np.ndarray, search: SearchSettings = PHOTO_SEARCH) -> list[Detection]:
        """Faces in a BGR (or gray) uint8 image, largest first."""
        bgr = as_bgr(image)
        scale = min(1.0, search.max_side / max(bgr.shape[:2]))
        small = bgr if scale == 1.0 else cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        threshold = self.score_threshold if self.score_threshold is not None else search.score_threshold
        found = self._search(small, threshold, search.keep_detector)
        detections = [to_detection(row, scale, bgr.shape) for row in found
                      if min(row[2], row[3]) >= search.min_face]
        detections = [d for d in detections if d is not None]
        return sorted(detections, key=lambda d: d.box[2] * d.box[3], reverse=True)[:MAX_FACES]


def padded_to_stride(bgr: np.ndarray, stride: int = 32) -> np.ndarray:
    """``bgr`` with black rows and columns added below and right, to multiples of ``stride``."""
    height, width = bgr.shape[:2]
    padded_height, padded_width = -(-height // stride) * stride, -(-width // stride) * stride
    if (padded_height, padded_width) == (height, width):
        return bgr
    return cv2.copyMakeBorder(bgr, 0, padded_height - height, 0, padded_width - width, cv2.BORDER_CONSTANT, value=0)


def decode_faces(outputs: dict[str, np.ndarray], padded_shape: tuple[int, int], score_threshold: float,
                 nms_threshold: float = NMS_THRESHOLD, candidates: int = CANDIDATES) -> np.ndarray:
    """YuNet's heads -> rows (x, y, w, h, 5 landmarks as x, y, score), as ``cv2.FaceDetectorYN``
    returns them: the score is sqrt(class * objectness), boxes and landmarks are offsets in
    cells of each head's grid, and overlapping boxes (their integer parts) are suppressed."""
    width = padded_shape[1]
    rows = []
    for stride in STRIDES:
        score = np.sqrt(np.clip(outputs[f"cls_{stride}"][:, 0], 0, 1) * np.clip(outputs[f"obj_{stride}"][:, 0], 0, 1))
        cell = np.flatnonzero(score >= score_threshold)  # the rest would be dropped below anyway
        columns = width // stride
        grid = np.stack([cell % columns, cell // columns], axis=1).astype(np.float32)
        box, marks = outputs[f"bbox_{stride}"][cell], outputs[f"kps_{stride}"][cell]
        size = np.exp(box[:, 2:4]) * stride
        centre = (grid + box[:, :2]) * stride
        landmarks = (marks.reshape(-1, 5, 2) + grid[:, None, :]) * stride
        rows.append(np.hstack([centre - size / 2, size, landmarks.reshape(-1, 10), score[cell, None]]))
    faces = np.vstack(rows).astype(np.float32)
    if not len(faces):
        return faces
    keep = cv2.dnn.NMSBoxes(faces[:, :4].astype(np.int32).tolist(), faces[:, 14].tolist(), score_threshold,
                            nms_threshold, top_k=candidates)
    return faces[np.asarray(keep, dtype=np.int64).reshape(-1)]


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

"""Runs the exported emotion model with onnxruntime (no training framework needed)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

from app.vision.preprocess import EMOTIONS

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
# The served model is int8 (training.quantize): an ensemble of two networks with the calibration
# temperature inside its graph. serving.json names the members' Keras weights and the temperature:
# the reference it is tested against (tests/training/test_export.py); the web process never reads it.
DEFAULT_MODEL_PATH = MODELS_DIR / "emotion.onnx"
SERVING_SPEC_PATH = MODELS_DIR / "serving.json"


class EmotionClassifier:
    """(N, 48, 48) faces from ``prepare_face`` -> (N, 7) probabilities in EMOTIONS order."""

    def __init__(self, model_path: str | Path = DEFAULT_MODEL_PATH, threads: int = 1):
        options = ort.SessionOptions()
        # One thread per process: a web server runs one process per core, and
        # a 48x48 face is too small a job to gain from splitting it.
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(model_path), sess_options=options,
                                            providers=["CPUExecutionProvider"])
        model_input = self.session.get_inputs()[0]
        self.input_name = model_input.name
        # Keras exports take channels-last faces (N, 48, 48, 1); older exports took (N, 1, 48, 48).
        self.channels_last = model_input.shape[-1] == 1
        n_outputs = self.session.get_outputs()[0].shape[-1]
        if n_outputs != len(EMOTIONS):
            raise ValueError(f"{model_path}: model has {n_outputs} outputs, expected {len(EMOTIONS)}")

    def predict(self, faces: np.ndarray, batch_size: int = 256) -> np.ndarray:
        faces = np.asarray(faces, dtype=np.float32)
        if len(faces) == 0:
            return np.zeros((0, len(EMOTIONS)), np.float32)
        faces = faces[..., None] if self.channels_last else faces[:, None]
        batches = [faces[i:i + batch_size] for i in range(0, len(faces), batch_size)]
        return np.concatenate([self.session.run(None, {self.input_name: b})[0] for b in batches])

"""Runs the exported emotion model with a light runtime (no training framework needed).

The served file is LiteRT (``.tflite``, run by ``ai-edge-litert``): measured with
``benchmarks/bench_model.py`` against the int8 ONNX export of the same graph at the same
accuracy, it is 5-10 % faster per face and per frame on this project's CPUs. ONNX files
(``.onnx``, run by onnxruntime) are accepted too, for evaluation and comparison.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from app.vision.pool import ObjectPool
from app.vision.preprocess import EMOTIONS

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
# The served model is int8: one network averaged over the face and its mirror, with the calibration
# temperature and class bias inside its graph. serving.json names its Keras weights, the temperature
# and the bias: the reference it is tested against (tests/training/test_export.py); the web
# process never reads it.
DEFAULT_MODEL_PATH = MODELS_DIR / "emotion.tflite"
SERVING_SPEC_PATH = MODELS_DIR / "serving.json"


class EmotionClassifier:
    """(N, 48, 48) faces from ``prepare_face`` -> (N, 7) probabilities in EMOTIONS order.

    Safe to share between threads. ``threads`` is the runtime's own threads per call: one by
    default, since a web server runs one process per core and a 48x48 face is too small a job
    to gain from splitting it.
    """

    def __init__(self, model_path: str | Path = DEFAULT_MODEL_PATH, threads: int = 1, at_once: int | None = None):
        """``at_once``: the most LiteRT interpreters ever built; more callers wait for one."""
        path = Path(model_path)
        self.runner = LiteRTRunner(path, threads, at_once) if path.suffix == ".tflite" else OnnxRunner(path, threads)

    def predict(self, faces: np.ndarray, batch_size: int = 256) -> np.ndarray:
        faces = np.asarray(faces, dtype=np.float32)
        if len(faces) == 0:
            return np.zeros((0, len(EMOTIONS)), np.float32)
        return np.concatenate([self.runner.run(faces[i:i + batch_size]) for i in range(0, len(faces), batch_size)])


def check_outputs(path: Path, n_outputs: int) -> None:
    if n_outputs != len(EMOTIONS):
        raise ValueError(f"{path}: model has {n_outputs} outputs, expected {len(EMOTIONS)}")


class OnnxRunner:
    def __init__(self, path: Path, threads: int):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
        model_input = self.session.get_inputs()[0]
        self.input_name = model_input.name
        # Keras exports take channels-last faces (N, 48, 48, 1); older exports took (N, 1, 48, 48).
        self.channels_last = model_input.shape[-1] == 1
        check_outputs(path, self.session.get_outputs()[0].shape[-1])

    def run(self, faces: np.ndarray) -> np.ndarray:
        batch = faces[..., None] if self.channels_last else faces[:, None]
        return self.session.run(None, {self.input_name: batch})[0]  # onnxruntime sessions are thread-safe


class LiteRTRunner:
    """A LiteRT interpreter holds its tensors in the object, so each call borrows one from a pool."""

    def __init__(self, path: Path, threads: int, at_once: int | None = None):
        self.path, self.threads = str(path), threads
        self._pool = ObjectPool(self._new_interpreter, limit=at_once)
        with self._pool.borrowed() as interpreter:  # fail at start-up, not on the first request
            check_outputs(path, interpreter.get_output_details()[0]["shape"][-1])

    def _new_interpreter(self):
        from ai_edge_litert.interpreter import Interpreter

        interpreter = Interpreter(self.path, num_threads=self.threads if self.threads > 0 else None)
        interpreter.allocate_tensors()
        return interpreter

    def run(self, faces: np.ndarray) -> np.ndarray:
        with self._pool.borrowed() as interpreter:
            source = interpreter.get_input_details()[0]
            if source["shape"][0] != len(faces):
                interpreter.resize_tensor_input(source["index"], [len(faces), *faces.shape[1:], 1])
                interpreter.allocate_tensors()
            interpreter.set_tensor(source["index"], np.ascontiguousarray(faces[..., None]))
            interpreter.invoke()
            return interpreter.get_tensor(interpreter.get_output_details()[0]["index"]).copy()

"""Calibrate a trained network and export the files the web process runs.

    python -m training.export --run runs/main --data ../shared/data/fer2013_trainval.npz \
        --votes ../shared/data/ferplus_votes_trainval.npz

Reads ``RUN/best.weights.h5`` and writes into ``RUN``:

* ``calibration.json``: the temperature fitted on the held-aside faces, with ECE before and after;
* ``emotion.weights.h5``: the float32 Keras weights (the reference the tests compare with);
* ``emotion_fp32.onnx``: the calibrated, flip-averaged serving graph (``training.model.serving_model``);
* ``emotion.onnx``: its int8 static quantization, what the server runs (``training.quantize``);
* ``emotion.tflite``: the same graph for LiteRT, int8 weights and activations, for the runtime comparison
  in ``benchmarks/bench_model.py``.

All take (N, 48, 48, 1) float32 faces from ``prepare_face`` and return (N, 7) probabilities.
Copy ``emotion.onnx``, ``emotion.weights.h5`` and ``calibration.json`` into ``models/`` to ship them.
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from app.vision.preprocess import INPUT_SHAPE  # noqa: E402
from training.calibration import fit_temperature, mirrored_softmax, reliability, softmax  # noqa: E402
from training.data import TRAIN_SPLIT_NAMES, load_or_exit, split_named  # noqa: E402
from training.labels import hold_aside  # noqa: E402
from training.model import build_emotion_net, serving_model  # noqa: E402

ONNX_OPSET = 17


def load_net(weights: str | Path, width: int = 32) -> keras.Model:
    """The float32 network with trained weights (whatever precision it was trained in)."""
    keras.mixed_precision.set_global_policy("float32")
    net = build_emotion_net(width=width)
    net.load_weights(str(weights))
    return net


def load_serving_model(weights: str | Path, calibration: str | Path, width: int = 32) -> keras.Model:
    temperature = json.loads(Path(calibration).read_text())["temperature"]
    return serving_model(load_net(weights, width), temperature)


def both_views_logits(net: keras.Model, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    faces = faces[..., None].astype(np.float32)
    return tuple(net.predict(view, batch_size=512, verbose=0).astype(np.float64) for view in (faces, faces[:, :, ::-1]))


def calibrate(net: keras.Model, held_faces: np.ndarray, held_labels: np.ndarray) -> dict:
    logits, mirrored = both_views_logits(net, held_faces)
    temperature = fit_temperature(logits, mirrored, held_labels)
    before = reliability(mirrored_softmax(logits, mirrored, 1.0), held_labels)
    after = reliability(mirrored_softmax(logits, mirrored, temperature), held_labels)
    unmirrored = softmax(logits).argmax(1)
    return {"temperature": temperature, "held_aside_faces": int(len(held_labels)),
            "held_aside_ece_before": before["ece"], "held_aside_ece_after": after["ece"],
            "held_aside_accuracy_without_mirror": float((unmirrored == held_labels).mean())}


def export_onnx(model: keras.Model, path: Path) -> Path:
    spec = tf.TensorSpec((None, *INPUT_SHAPE), tf.float32, name="faces")
    model.export(str(path), format="onnx", input_signature=[spec], opset_version=ONNX_OPSET, verbose=False)
    return path


def export_tflite(model: keras.Model, path: Path, calibration_faces: np.ndarray) -> Path:
    """Full int8 (weights and activations) with float input and output, like the int8 ONNX file."""
    def representative():
        for start in range(0, len(calibration_faces), 8):
            yield [calibration_faces[start:start + 8, ..., None].astype(np.float32)]

    spec = tf.TensorSpec((None, *INPUT_SHAPE), tf.float32, name="faces")
    model.export(str(path), format="litert", input_signature=[spec], verbose=False,
                 optimizations=[tf.lite.Optimize.DEFAULT], representative_dataset=representative)
    return path


def export_run(run: str | Path, data: str, votes: str | None = None, width: int = 32,
               hold_aside_share: float = 0.1) -> dict[str, Path]:
    from training.quantize import calibration_faces, quantize_model

    run = Path(run)
    train = split_named(load_or_exit(data), TRAIN_SPLIT_NAMES)
    if train is None:
        raise SystemExit(f"error: {data} has no training split ({'/'.join(TRAIN_SPLIT_NAMES)})")
    rows = hold_aside(train.labels, hold_aside_share)
    net = load_net(run / "best.weights.h5", width)
    calibration = calibrate(net, train.faces[rows.held], train.labels[rows.held])
    (run / "calibration.json").write_text(json.dumps(calibration, indent=2))
    print(f"temperature {calibration['temperature']:.3f}: held-aside ECE {calibration['held_aside_ece_before']:.4f} "
          f"-> {calibration['held_aside_ece_after']:.4f}", flush=True)

    net.save_weights(run / "emotion.weights.h5")
    model = serving_model(net, calibration["temperature"])
    fp32 = export_onnx(model, run / "emotion_fp32.onnx")
    # Activations are calibrated on training faces only: never on the held-aside or test faces.
    faces = calibration_faces(train.faces[rows.train])
    paths = {"fp32": fp32, "onnx_int8": quantize_model(fp32, run / "emotion.onnx", faces),
             "tflite_int8": export_tflite(model, run / "emotion.tflite", faces[:240])}
    for name, path in paths.items():
        print(f"exported {name}: {path} ({path.stat().st_size / 1e6:.2f} MB)", flush=True)
    return paths


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", required=True, help="training output folder holding best.weights.h5")
    parser.add_argument("--data", required=True, help="the data the run was trained on (for calibration)")
    parser.add_argument("--votes", help="unused by export; accepted so train and export take the same flags")
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--hold-aside", type=float, default=0.1)
    args = parser.parse_args(argv)
    export_run(args.run, args.data, args.votes, args.width, args.hold_aside)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

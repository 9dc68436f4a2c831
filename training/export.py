"""Calibrate trained networks and export the files the web process runs.

    python -m training.export --data ../shared/data/fer2013_trainval.npz --out runs/ensemble \
        --member runs/fer2013/net.weights.h5:0.00001 --member runs/main/best.weights.h5 --no-mirror

Each ``--member`` is a Keras weights file of ``training.model.build_emotion_net``
(``:EPSILON`` gives its BatchNorm epsilon when it is not Keras's 1e-3, as for the
network brought over by ``training.port``). The served model averages the
members' tempered softmaxes (and, unless ``--no-mirror``, each member's on the
mirror image too). Written into ``--out``:

* ``serving.json``: the members, the averaging, the temperature and the class bias fitted on the
  held-aside Training faces, with the ECE there before and after. The bias is chosen by the
  selection rule under a recall floor (``--recall-floor``, 0.45): if any bias strength brings
  every class's held-aside recall to the floor, the best of those by the rule, else the one
  nearest the floor;
* ``member_<i>.weights.h5``: each member's float32 Keras weights (the reference the tests use);
* ``emotion_fp32.onnx``: the whole serving graph (``training.model.serving_model``);
* ``emotion.tflite``: the same graph for LiteRT, int8 weights and activations: what the server
  runs (it beat the int8 ONNX file on speed at the same accuracy in ``benchmarks/bench_model.py``);
* ``emotion.onnx``: the int8 static quantization for onnxruntime (``training.quantize``), kept
  for that comparison.

All take (N, 48, 48, 1) float32 faces from ``prepare_face`` and return (N, 7) probabilities.
To ship, copy ``serving.json``, the member weights (named as ``serving.json`` names them) and
``emotion.tflite`` into ``models/``, then write the model card with ``training.evaluate --card``.
``training.train`` calls :func:`export_run` for its own network at the end of a run.
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
from training.calibration import averaged_softmax, fit_calibration, reliability  # noqa: E402
from training.data import TRAIN_SPLIT_NAMES, load_or_exit, split_named  # noqa: E402
from training.labels import hold_aside, load_ferplus_votes, majority_labels  # noqa: E402
from training.metrics import RECALL_FLOOR, selection_score  # noqa: E402
from training.model import build_emotion_net, serving_model  # noqa: E402

ONNX_OPSET = 17
KERAS_BN_EPSILON = 1e-3


def saved_width(weights: str | Path) -> int:
    """The channels of the first conv stage of a network saved by Keras, read from its file.

    Networks of several widths are compared and exported side by side; reading the width from
    the weights themselves means no command has to repeat it, and none can get it wrong.
    """
    import h5py

    with h5py.File(weights, "r") as saved:
        kernel = saved.get("layers/conv2d/vars/0")  # the first convolution: (3, 3, 1, width)
        if kernel is None or len(kernel.shape) != 4:
            raise ValueError(f"{weights} holds no emotion network (no first convolution kernel)")
        return int(kernel.shape[-1])


def load_net(weights: str | Path, width: int | None = None, bn_epsilon: float = KERAS_BN_EPSILON) -> keras.Model:
    """The float32 network with trained weights (whatever precision it was trained in); its width is
    read from the file unless given."""
    keras.mixed_precision.set_global_policy("float32")
    width = saved_width(weights) if width is None else width
    net = build_emotion_net(width=width, bn_epsilon=bn_epsilon, name=f"net_{Path(weights).stem.split('.')[0]}")
    net.load_weights(str(weights))
    return net


def load_serving_model(spec: str | Path) -> keras.Model:
    """The Keras twin of a shipped model, from its serving.json (member paths are relative to it)."""
    spec = Path(spec)
    config = json.loads(spec.read_text())
    nets = [load_net(spec.parent / m["weights"], m.get("width"), m["bn_epsilon"]) for m in config["members"]]
    return serving_model(nets, config["temperature"], config["mirror"], config.get("class_bias"))


def logit_sets(nets: list[keras.Model], faces: np.ndarray, mirror: bool) -> list[np.ndarray]:
    """Logits of every network on every view the served graph averages over."""
    views = [faces[..., None].astype(np.float32)]
    if mirror:
        views.append(views[0][:, :, ::-1])
    return [net.predict(view, batch_size=512, verbose=0).astype(np.float64) for net in nets for view in views]


def calibrate(nets: list[keras.Model], mirror: bool, held_faces: np.ndarray, held_labels: np.ndarray,
              held_majority: np.ndarray | None = None, class_shares: np.ndarray | None = None,
              recall_floor: float = RECALL_FLOOR, per_class: bool = False) -> dict:
    """Temperature and class bias (``training.calibration.fit_calibration``) on the held-aside
    faces, the bias chosen by the selection rule under ``recall_floor``; with the ECE there
    before and after."""
    sets = logit_sets(nets, held_faces, mirror)
    before = reliability(averaged_softmax(sets, 1.0), held_labels)
    fitted = fit_calibration(sets, held_labels,
                             lambda p: selection_score(p, held_labels, held_majority, recall_floor),
                             class_shares, per_class)
    bias = fitted["class_bias"]
    result = {"temperature": fitted["temperature"], "class_bias": None if bias is None else bias.tolist(),
              "bias_strength": fitted["bias_strength"]}
    if bias is not None:
        result |= {"recall_floor": recall_floor, "held_aside_selection": fitted["report"]}
    after = reliability(averaged_softmax(sets, result["temperature"], result["class_bias"]), held_labels)
    return {**result, "held_aside_faces": int(len(held_labels)),
            "held_aside_ece_before": before["ece"], "held_aside_ece_after": after["ece"]}


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


def export_members(members: list[tuple[Path, float]], data: str, out: str | Path, mirror: bool = True,
                   hold_aside_share: float = 0.1, width: int | None = None, votes: str | None = None,
                   balance_classes: bool = True, recall_floor: float = RECALL_FLOOR,
                   per_class_bias: bool = False) -> dict[str, Path]:
    from training.quantize import calibration_faces, quantize_model

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    train = split_named(load_or_exit(data), TRAIN_SPLIT_NAMES)
    if train is None:
        raise SystemExit(f"error: {data} has no training split ({'/'.join(TRAIN_SPLIT_NAMES)})")
    rows = hold_aside(train.labels, hold_aside_share)
    nets = [load_net(path, width, epsilon) for path, epsilon in members]
    held_majority = majority_labels(load_ferplus_votes(votes)[train.name][rows.held]) if votes else None
    shares = np.bincount(train.labels[rows.train], minlength=7) / len(rows.train) if balance_classes else None
    calibration = calibrate(nets, mirror, train.faces[rows.held], train.labels[rows.held], held_majority, shares,
                            recall_floor, per_class_bias)
    spec = {"members": [], "mirror": mirror, **calibration}
    for index, ((path, epsilon), net) in enumerate(zip(members, nets)):
        name = f"member_{index}.weights.h5"
        net.save_weights(out / name)
        member_width = net.get_layer("stage1a_conv").filters  # the network in hand knows; no need to reread its file
        spec["members"].append({"weights": name, "bn_epsilon": epsilon, "width": member_width, "source": str(path)})
    (out / "serving.json").write_text(json.dumps(spec, indent=2) + "\n")
    strength = calibration["bias_strength"]
    bias = "per class" if strength is None else f"strength {strength:.1f}"
    print(f"temperature {calibration['temperature']:.3f}, class bias {bias}: held-aside ECE "
          f"{calibration['held_aside_ece_before']:.4f} -> {calibration['held_aside_ece_after']:.4f}", flush=True)

    model = serving_model(nets, calibration["temperature"], mirror, calibration["class_bias"])
    fp32 = export_onnx(model, out / "emotion_fp32.onnx")
    # Activations are calibrated on training faces only: never on the held-aside or test faces.
    faces = calibration_faces(train.faces[rows.train])
    paths = {"fp32": fp32, "onnx_int8": quantize_model(fp32, out / "emotion.onnx", faces),
             "tflite_int8": export_tflite(model, out / "emotion.tflite", faces[:240])}
    for name, path in paths.items():
        print(f"exported {name}: {path} ({path.stat().st_size / 1e6:.2f} MB)", flush=True)
    return paths


def export_run(run: str | Path, data: str, votes: str | None = None, width: int | None = None,
               hold_aside_share: float = 0.1) -> dict[str, Path]:
    """One training run's best network, flip-averaged, exported into the run's folder."""
    run = Path(run)
    return export_members([(run / "best.weights.h5", KERAS_BN_EPSILON)], data, run, True, hold_aside_share, width,
                          votes)


def parse_member(text: str) -> tuple[Path, float]:
    path, _, epsilon = text.partition(":")
    return Path(path), float(epsilon) if epsilon else KERAS_BN_EPSILON


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="the data the members were trained on (for calibration)")
    parser.add_argument("--member", action="append", required=True, type=parse_member,
                        help="a network's weights file, optionally :BN_EPSILON (repeat for an ensemble)")
    parser.add_argument("--out", required=True)
    parser.add_argument("--no-mirror", action="store_true", help="do not average over the mirror image")
    parser.add_argument("--width", type=int, help="channels of the first conv stage (default: read from each file)")
    parser.add_argument("--hold-aside", type=float, default=0.1)
    parser.add_argument("--votes", help="FER+ votes aligned with --data: the selection rule's FER+ term when "
                                        "choosing the class bias")
    parser.add_argument("--no-class-bias", action="store_true", help="temperature only, no class bias")
    parser.add_argument("--recall-floor", type=float, default=RECALL_FLOOR,
                        help="the class bias should bring every class's held-aside recall to this share (0: none)")
    parser.add_argument("--per-class-bias", action="store_true",
                        help="fit one bias per class instead of one strength times the log class shares")
    args = parser.parse_args(argv)
    export_members(args.member, args.data, args.out, not args.no_mirror, args.hold_aside, args.width, args.votes,
                   not args.no_class_bias, args.recall_floor, args.per_class_bias)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

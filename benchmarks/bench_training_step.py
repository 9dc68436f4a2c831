"""Time one training step of the emotion network under TensorFlow's CPU kernel settings.

    python benchmarks/bench_training_step.py [--steps 20]

TensorFlow reads ``TF_ENABLE_ONEDNN_OPTS`` once, when it is imported, so each setting runs in
its own process: TensorFlow's own choice (the variable unset, TensorFlow imported before the
training package, which would set it), oneDNN off, oneDNN on (what ``training`` asks for), each
with Keras's XLA compilation off (Keras's choice on a CPU-only machine) and on. A step is one
``train_on_batch`` of one cached batch (the trainer's size, 128) through the served
architecture, with the trainer's optimizer and loss, in float32. Printed: the median ms a step
after warm-up and its ratio to TensorFlow's choice. Needs requirements-train.txt.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = {"TensorFlow's choice": None, "oneDNN off": "0", "oneDNN on (training's default)": "1"}
WARM_UP_STEPS = 5


def time_steps(steps: int, jit: bool) -> float:
    import numpy as np
    import tensorflow as tf  # first, so that TensorFlow sees the environment as the parent set it

    sys.path.insert(0, str(ROOT))
    import keras

    from training.model import build_emotion_net
    from training.train import make_optimizer, parse_args

    recipe = parse_args(["--data", "unused", "--out", "unused", "--float32"])  # the trainer's defaults
    net = build_emotion_net(width=recipe.width, init=recipe.init, bn_momentum=recipe.bn_momentum)
    net.compile(optimizer=make_optimizer(recipe, total_steps=1000), jit_compile=jit,
                loss=keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=recipe.label_smoothing))
    rng = np.random.default_rng(0)
    faces = tf.constant(rng.random((recipe.batch_size, 48, 48, 1), dtype=np.float32))
    targets = tf.constant(np.eye(7, dtype=np.float32)[rng.integers(0, 7, recipe.batch_size)])
    for _ in range(WARM_UP_STEPS):
        net.train_on_batch(faces, targets)
    times = []
    for _ in range(steps):
        started = time.perf_counter()
        net.train_on_batch(faces, targets)
        times.append((time.perf_counter() - started) * 1000)
    return float(np.median(times))


def run_setting(onednn: str | None, jit: bool, steps: int) -> float:
    env = {key: value for key, value in os.environ.items() if key != "TF_ENABLE_ONEDNN_OPTS"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    if onednn is not None:
        env["TF_ENABLE_ONEDNN_OPTS"] = onednn
    command = [sys.executable, __file__, "--worker", "--steps", str(steps)] + (["--jit"] if jit else [])
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])["ms"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--jit", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps({"ms": time_steps(args.steps, args.jit)}))
        return 0

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_model import machine_description

    print(f"machine: {machine_description()}")
    results = {(name, jit): run_setting(onednn, jit, args.steps) for name, onednn in SETTINGS.items()
               for jit in (False, True)}
    base = results[("TensorFlow's choice", False)]
    print(f"{'kernels':32} {'XLA':>4} {'ms a step':>10} {'ratio':>6}")
    for (name, jit), ms in results.items():
        print(f"{name:32} {'on' if jit else 'off':>4} {ms:10.0f} {ms / base:6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

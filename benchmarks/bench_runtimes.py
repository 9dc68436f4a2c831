"""Which export of the served graph runs a face fastest on this CPU, with and without XNNPACK.

    python benchmarks/bench_runtimes.py [--blocks 4] [--calls 100]

The served network (``models/serving.json``: weights, mirror, temperature, class bias) is
exported again as float32, with float16 weights and with int8 weights only (dynamic range),
beside the served file (int8 weights and activations). Each runs one face at a time on one
thread, with LiteRT's default XNNPACK delegate and without it, in alternating blocks so that a
host whose speed drifts touches every variant alike. Printed: the median ms a face of each, its
ratio to the served file with XNNPACK, and the arithmetic rate (the graph's multiply-adds a
face over its time). Needs requirements-train.txt (TensorFlow builds the variants).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_detector import block_median_ms  # noqa: E402
from bench_model import machine_description  # noqa: E402

SERVED = ROOT / "models" / "emotion.tflite"


def export_variants(folder: Path) -> dict[str, Path]:
    import tensorflow as tf

    from training.export import INPUT_SHAPE, load_serving_model

    model = load_serving_model(ROOT / "models" / "serving.json")
    spec = tf.TensorSpec((None, *INPUT_SHAPE), tf.float32, name="faces")
    settings = {
        "float32": {},
        "float16 weights": {"optimizations": [tf.lite.Optimize.DEFAULT],
                            "target_spec": {"supported_types": [tf.float16]}},
        "int8 weights (dynamic range)": {"optimizations": [tf.lite.Optimize.DEFAULT]},
    }
    files = {}
    for name, options in settings.items():
        path = folder / (name.split()[0] + ("_dynamic" if "dynamic" in name else "") + ".tflite")
        model.export(str(path), format="litert", input_signature=[spec], verbose=False, **options)
        files[name] = path
    files["int8 weights and activations (served)"] = SERVED
    return files


def multiply_adds(path: Path) -> int:
    """Multiply-adds of one pass, from the graph's convolution and dense layers (batch 1)."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(str(path))
    interpreter.allocate_tensors()
    tensors = {t["index"]: t for t in interpreter.get_tensor_details()}
    total = 0
    for op in interpreter._get_ops_details():
        if op["op_name"] in ("CONV_2D", "FULLY_CONNECTED"):
            weights, output = tensors[op["inputs"][1]]["shape"], tensors[op["outputs"][0]]["shape"]
            total += int(np.prod(output)) * int(np.prod(weights[1:]))
    return total


def new_interpreter(path: Path, xnnpack: bool):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    resolver = OpResolverType.AUTO if xnnpack else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    interpreter = Interpreter(str(path), num_threads=1, experimental_op_resolver_type=resolver)
    interpreter.allocate_tensors()
    return interpreter


def face_runner(interpreter):
    """A callable that runs one face through ``interpreter``, for ``block_median_ms``."""
    source = interpreter.get_input_details()[0]["index"]

    def run(face: np.ndarray) -> None:
        interpreter.set_tensor(source, face)
        interpreter.invoke()
    return run


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--blocks", type=int, default=4)
    parser.add_argument("--calls", type=int, default=100, help="faces a block")
    args = parser.parse_args(argv)
    face = np.random.default_rng(0).random((1, 48, 48, 1), dtype=np.float32)
    with tempfile.TemporaryDirectory() as folder:
        files = export_variants(Path(folder))
        runs = {(name, xnnpack): face_runner(new_interpreter(path, xnnpack)) for name, path in files.items()
                for xnnpack in (True, False)}
        sizes = {name: path.stat().st_size / 1e6 for name, path in files.items()}
        blocks = {key: [] for key in runs}
        for _ in range(args.blocks):
            for key, run_face in runs.items():
                blocks[key].append(block_median_ms(run_face, face, args.calls))
    # The served graph runs the face and its mirror: two passes a face.
    gmac_a_face = 2 * multiply_adds(SERVED) / 1e9
    base = float(np.median(blocks[("int8 weights and activations (served)", True)]))
    print(f"machine: {machine_description()}")
    print(f"{gmac_a_face:.3f} GMAC a face (two passes); medians of {args.blocks} blocks of {args.calls} faces")
    print(f"{'export':40} {'MB':>5} {'runtime':>10} {'ms a face':>10} {'ratio':>6} {'GMAC/s':>7}")
    for (name, xnnpack), values in blocks.items():
        median = float(np.median(values))
        runtime = "XNNPACK" if xnnpack else "built-in"
        print(f"{name:40} {sizes[name]:5.1f} {runtime:>10} {median:10.2f} {median / base:6.2f} "
              f"{gmac_a_face / median * 1000:7.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

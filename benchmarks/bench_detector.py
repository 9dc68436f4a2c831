"""The face detector's runtime, LiteRT against OpenCV, on whole webcam frames in one process.

    python benchmarks/bench_detector.py [--blocks 8] [--frames 100]

``bench_model.py --only ours,opencv-yunet`` measures the two pipelines one after the other, in
separate processes; on a host whose speed drifts over minutes that order decides more than the
detector does. Here the same frame (640x480, one face, ``VIDEO_SEARCH`` plus the served
classifier) goes through both pipelines in alternating blocks, so a drift touches both alike.
Printed: each block's median ms a frame, the median of those medians, and the ratio to LiteRT.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_model import OpenCVYuNet, Ours, benchmark_frame, machine_description  # noqa: E402


def block_median_ms(analyze, frame: np.ndarray, frames: int) -> float:
    for _ in range(10):  # warm-up, also after the other pipeline ran
        analyze(frame)
    times = []
    for _ in range(frames):
        started = time.perf_counter()
        analyze(frame)
        times.append((time.perf_counter() - started) * 1000)
    return float(np.median(times))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--blocks", type=int, default=8)
    parser.add_argument("--frames", type=int, default=100, help="frames a block")
    args = parser.parse_args(argv)
    frame = benchmark_frame()
    pipelines = {"LiteRT YuNet (served)": Ours(), "OpenCV YuNet": OpenCVYuNet()}
    blocks = {name: [] for name in pipelines}
    for _ in range(args.blocks):
        for name, pipeline in pipelines.items():
            blocks[name].append(block_median_ms(pipeline.analyze_frame, frame, args.frames))
    print(f"machine: {machine_description()}")
    base = float(np.median(blocks["LiteRT YuNet (served)"]))
    for name, values in blocks.items():
        median = float(np.median(values))
        print(f"{name:24} ms a frame: {' '.join(f'{v:.2f}' for v in values)}  median {median:.2f}  "
              f"ratio {median / base:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

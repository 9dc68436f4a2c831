"""Measure how the face detector's box frames a face compared with a FER2013 crop.

    python -m training.framing --data ../shared/data/fer2013_trainval.npz [--faces 800]

Each 48x48 face is enlarged to 160 px and padded with its own border pixels (so
the face is not at the image edge, where no detector works well), then YuNet
runs on it. Printed: the share of faces found and the median (and quartiles)
of the box's width, height and centre offset as fractions of the crop side.
``app.vision.preprocess.CROP_SIDE_PER_BOX_WIDTH`` is 1 / (median box width).
"""
from __future__ import annotations

import argparse

import cv2
import numpy as np

from app.vision.detector import FaceDetector, SearchSettings
from training.data import VALIDATION_SPLIT_NAMES, load_or_exit, split_named

ENLARGED = 160
PADDING = 80


def measure(faces_uint8: np.ndarray) -> np.ndarray:
    """Rows of (box width, box height, centre x offset, centre y offset) as fractions of the crop."""
    detector = FaceDetector(score_threshold=0.5)
    search = SearchSettings(max_side=ENLARGED + 2 * PADDING, score_threshold=0.5)
    rows = []
    for face in faces_uint8:
        big = cv2.resize(face, (ENLARGED, ENLARGED), interpolation=cv2.INTER_CUBIC)
        padded = cv2.copyMakeBorder(big, PADDING, PADDING, PADDING, PADDING, cv2.BORDER_REPLICATE)
        found = detector.detect(padded, search)
        if not found:
            continue
        x, y, w, h = max(found, key=lambda d: d.score).box
        rows.append((w / ENLARGED, h / ENLARGED, (x + w / 2 - PADDING) / ENLARGED - 0.5,
                     (y + h / 2 - PADDING) / ENLARGED - 0.5))
    return np.array(rows).reshape(-1, 4)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True)
    parser.add_argument("--faces", type=int, default=800, help="how many validation faces to measure")
    args = parser.parse_args(argv)
    splits = load_or_exit(args.data)
    split = split_named(splits, VALIDATION_SPLIT_NAMES) or next(iter(splits.values()))
    # Back from prepare_face's normalisation to the stored 8-bit pixels.
    from app.vision.preprocess import PIXEL_MEAN, PIXEL_STD
    faces = np.clip(np.round((split.faces[:args.faces] * PIXEL_STD + PIXEL_MEAN) * 255), 0, 255).astype(np.uint8)
    rows = measure(faces)
    print(f"{split.name}: detector found {len(rows)} of {len(faces)} faces")
    for name, column in zip(("box width", "box height", "centre offset x", "centre offset y"), rows.T):
        q1, median, q3 = np.percentile(column, [25, 50, 75])
        print(f"{name:16} median {median:+.3f}  quartiles {q1:+.3f} .. {q3:+.3f}  (fraction of the crop side)")
    print(f"crop side per box width: {1 / np.median(rows[:, 0]):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Does a tilted face keep its label? The eye landmarks against the served alignment.

    python benchmarks/tune_alignment.py [--faces 300]

Two measurements, each for the eye landmarks alone and for ``app.vision.align.face_tilt`` (mirror
symmetry where the face is convincingly symmetric, else the tilt of its features):

* the tilt each method reports for two real portraits turned by -25 ... +25 degrees: the
  astronaut (frontal) and the cameraman (a 3/4 view); a method that follows the picture
  reports the upright tilt minus the turn;
* on PublicTest faces from ../shared/data (each enlarged to a 240 px portrait with its edges
  repeated, then turned by -25, -15, +15 and +25 degrees): how many of the turned faces the
  detector still finds, and of those how often the label equals the label of the upright face,
  through the whole photo pipeline (detector, alignment, classifier). Faces the detector misses
  upright are skipped. A third row, "same crop", turns the upright face's own box and angle with
  the picture: it shows what is left when the alignment is perfect (the resampling alone).

A turned face that is missed is counted apart from one whose label changes: on these
enlarged crops (no hair, neck or shoulders around the face) the detector misses many faces turned
by 25 degrees, which real portraits do not show (``tests/vision/test_align.py``).

Prints one table per measurement. Needs requirements-dev.txt (scikit-image).
"""
from __future__ import annotations

import argparse
import dataclasses
import math
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.vision.align import face_tilt  # noqa: E402
from app.vision.analyzer import EmotionAnalyzer  # noqa: E402
from app.vision.detector import PHOTO_SEARCH  # noqa: E402
from app.vision.preprocess import EMOTIONS, eye_angle, prepare_face, to_grayscale  # noqa: E402
from tests.faces import FER_NPZ, astronaut_bgr, cameraman_bgr, portrait_from_face, rotated  # noqa: E402

TILTS = (-25, -15, 15, 25)
SERVED = "served alignment"
METHODS = {"eye landmarks": dataclasses.replace(PHOTO_SEARCH, straighten=False), SERVED: PHOTO_SEARCH}


def portrait_table(analyzer: EmotionAnalyzer) -> None:
    print("Tilt reported for two portraits (degrees; a method that follows the picture reports upright minus turn):")
    print(f"{'portrait':>10} {'turn':>6} {'eye landmarks':>14} {SERVED:>17} {'served ms':>10}")
    for name, photo in (("astronaut", astronaut_bgr()), ("cameraman", cameraman_bgr())):
        for degrees in (-25, -15, 0, 15, 25):
            image = rotated(photo, degrees)
            detection = analyzer.detector.detect(image, PHOTO_SEARCH)[0]
            eyes = (detection.right_eye, detection.left_eye)
            started = time.perf_counter()
            tilt = face_tilt(to_grayscale(image), detection.box, eyes)
            milliseconds = (time.perf_counter() - started) * 1000
            print(f"{name:>10} {degrees:>+6d} {math.degrees(eye_angle(eyes)):>14.1f} {math.degrees(tilt):>17.1f} "
                  f"{milliseconds:>10.1f}")


def label_table(analyzer: EmotionAnalyzer, count: int) -> None:
    archive = np.load(FER_NPZ)
    rows = np.flatnonzero(archive["usage"] == "PublicTest")[:count]
    found, judged = np.zeros(len(TILTS)), 0
    kept = {name: np.zeros(len(TILTS)) for name in (*METHODS, "same crop")}
    for row in rows:
        portrait = portrait_from_face(archive["images"][row])
        upright = {name: analyzer.analyze(portrait, search) for name, search in METHODS.items()}
        if not all(upright.values()):
            continue
        judged += 1
        reference = analyzer.detector.detect(portrait, PHOTO_SEARCH)[0]
        for index, degrees in enumerate(TILTS):
            turned = rotated(portrait, degrees)
            results = {name: analyzer.analyze(turned, search) for name, search in METHODS.items()}
            if not results[SERVED]:
                continue
            found[index] += 1
            for name in METHODS:
                kept[name][index] += bool(results[name]) and results[name][0].label == upright[name][0].label
            kept["same crop"][index] += same_crop_label(analyzer, portrait, reference, degrees) == \
                upright[SERVED][0].label
    print(f"\nPublicTest faces found upright: {judged} of {len(rows)}. Turned:")
    print(f"{'':>27} " + " ".join(f"{d:>+6d}" for d in TILTS) + "   mean")
    shares = found / max(judged, 1)
    print(f"{'still found':>27} " + " ".join(f"{s:>6.1%}" for s in shares) + f" {shares.mean():>6.1%}")
    for name, counts in kept.items():
        shares = counts / np.maximum(found, 1)
        print(f"{'label kept, ' + name:>27} " + " ".join(f"{s:>6.1%}" for s in shares) + f" {shares.mean():>6.1%}")


def same_crop_label(analyzer: EmotionAnalyzer, portrait: np.ndarray, reference, degrees: float) -> str:
    """The label of the upright face's own crop (box and angle) carried through the turn."""
    gray = to_grayscale(portrait)
    height, width = gray.shape
    x, y, w, h = reference.box
    upright_tilt = face_tilt(gray, reference.box, (reference.right_eye, reference.left_eye))
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    centre_x, centre_y = turn @ np.array([x + w / 2, y + h / 2, 1.0])
    box = (centre_x - w / 2, centre_y - h / 2, w, h)
    face = prepare_face(to_grayscale(rotated(portrait, degrees)), box, tilt=upright_tilt - math.radians(degrees))
    return EMOTIONS[int(analyzer.classifier.predict(face[None])[0].argmax())]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--faces", type=int, default=300, help="PublicTest faces to turn")
    args = parser.parse_args(argv)
    analyzer = EmotionAnalyzer()
    portrait_table(analyzer)
    if FER_NPZ.exists():
        label_table(analyzer, args.faces)
    else:
        print(f"\n{FER_NPZ} not found: label table skipped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

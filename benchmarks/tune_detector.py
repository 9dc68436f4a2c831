"""Where to set YuNet's score threshold: face scores against non-face scores, per search size.

    python benchmarks/tune_detector.py

Runs the detector with a very low threshold over the test images of tests/faces.py:
faces (portraits, each tilted by +-25 degrees, the group photo) and pictures without a
face (skimage's textures, scenery and objects, made-up textures). The group photo is
scored for the photo search only. Prints, for each search
size, the lowest score of a true face and the highest score anything reaches in a picture
without a face; a threshold between the two finds every face and no false one.
Needs requirements-dev.txt (scikit-image).
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.vision.detector import PHOTO_SEARCH, VIDEO_SEARCH, FaceDetector, SearchSettings  # noqa: E402
from tests.faces import astronaut_bgr, cameraman_bgr, group_photo, no_face_images, rotated  # noqa: E402

FACES_PER_PICTURE = {"group photo": 4}


def face_pictures() -> dict:
    pictures = {"group photo": group_photo()}
    for name, photo in (("astronaut", astronaut_bgr()), ("cameraman", cameraman_bgr())):
        for degrees in (-25, 0, 25):
            pictures[f"{name} {degrees:+d} deg"] = rotated(photo, degrees)
    return pictures


def main() -> int:
    detector = FaceDetector(score_threshold=0.3)
    faces, empty = face_pictures(), no_face_images()
    for preset_name, preset in (("video", VIDEO_SEARCH), ("photo", PHOTO_SEARCH)):
        search = SearchSettings(preset.max_side, preset.score_threshold, preset.min_face, preset.keep_detector)
        weakest_face, weakest_name = 1.0, ""
        for name, picture in faces.items():
            if preset is VIDEO_SEARCH and name == "group photo":
                continue  # webcam frames hold one or two near faces; the group photo is for uploads
            scores = sorted((d.score for d in detector.detect(picture, search)), reverse=True)
            wanted = FACES_PER_PICTURE.get(name, 1)
            found = scores[:wanted]
            lowest = min(found) if len(found) == wanted else 0.0
            if lowest < weakest_face:
                weakest_face, weakest_name = lowest, name
        strongest_false, false_name = 0.0, ""
        for name, picture in empty.items():
            top = max((d.score for d in detector.detect(picture, search)), default=0.0)
            if top > strongest_false:
                strongest_false, false_name = top, name
        verdict = "ok" if strongest_false < preset.score_threshold <= weakest_face else "RETUNE"
        print(f"{preset_name} search ({preset.max_side} px): weakest face {weakest_face:.3f} ({weakest_name}), "
              f"strongest non-face {strongest_false:.3f} ({false_name or 'none'}); "
              f"threshold {preset.score_threshold} {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Tilted faces are measured by their mirror symmetry, or by their features where they are seen
from the side, and keep their expression."""
import math

import cv2
import numpy as np
import pytest

from app.vision import PHOTO_SEARCH, EmotionAnalyzer
from app.vision.align import face_tilt, feature_tilt, mirror_similarity
from app.vision.preprocess import eye_angle, to_grayscale
from tests.faces import FER_NPZ, astronaut_bgr, cameraman_bgr, portrait_from_face, rotated


# Of turned PublicTest faces still found, the share that keeps its upright label; measured with
# the bundled model in benchmarks/tune_alignment.py (see models/README.md).
KEPT_SHARE_FLOOR = 0.85


@pytest.fixture(scope="module")
def analyzer():
    return EmotionAnalyzer()


@pytest.mark.parametrize("degrees", [-25, -15, 15, 25])
def test_the_tilt_of_a_turned_portrait_is_measured_within_five_degrees(analyzer, degrees):
    upright = astronaut_bgr()
    turned = rotated(upright, degrees)
    detection = analyzer.detector.detect(turned)[0]
    eyes = (detection.right_eye, detection.left_eye)
    measured = math.degrees(face_tilt(to_grayscale(turned), detection.box, eyes))
    reference = analyzer.detector.detect(upright)[0]
    upright_tilt = math.degrees(face_tilt(to_grayscale(upright), reference.box, (reference.right_eye, reference.left_eye)))
    # rotated() turns counter-clockwise; in the picture's coordinates (y down) that is a negative angle.
    assert abs(measured - (upright_tilt - degrees)) < 5
    # The eye landmarks alone lean towards upright: this is what the symmetry search corrects.
    assert abs(math.degrees(eye_angle(eyes)) - (upright_tilt - degrees)) > 10


# The cameraman looks down at his camera, a 3/4 view that no turn makes mirror-symmetric. Its
# tilt once came from YuNet's eye landmarks, which leave part of the turn in the crop (off by 6-18
# degrees at +15 / +25), and the served network then read neutral where it reads sad upright.
TILTED_PORTRAITS = [pytest.param(photo, degrees, id=f"{photo.__name__.removesuffix('_bgr')}{degrees:+d}")
                    for photo in (astronaut_bgr, cameraman_bgr) for degrees in (-25, -15, 15, 25)]


@pytest.mark.parametrize("photo, degrees", TILTED_PORTRAITS)
def test_portraits_keep_their_label_when_tilted(analyzer, photo, degrees):
    """A clear expression keeps its label; a face the product itself marks uncertain may tip
    between its two leading emotions, never to a third one (the fault once seen was sad upright,
    happy when tilted)."""
    upright = analyzer.analyze(photo())[0]
    tilted = analyzer.analyze(rotated(photo(), degrees))[0]
    if upright.uncertain:
        leading_two = sorted(upright.scores, key=upright.scores.get, reverse=True)[:2]
        assert tilted.label in leading_two
    else:
        assert tilted.label == upright.label


def test_the_astronaut_reads_clearly_so_her_label_must_hold_exactly(analyzer):
    assert not analyzer.analyze(astronaut_bgr())[0].uncertain


@pytest.mark.skipif(not FER_NPZ.exists(), reason="FER2013 data not present at ../shared/data")
def test_publictest_faces_keep_their_label_when_turned_by_25_degrees(analyzer):
    """Many faces, not one: PublicTest faces enlarged into portraits, turned both ways.

    Only turned faces the detector still finds are judged (on these tight crops, with no hair or
    shoulders, it misses many at 25 degrees; benchmarks/tune_alignment.py counts both).
    """
    archive = np.load(FER_NPZ)
    rows = np.flatnonzero(archive["usage"] == "PublicTest")[:80]
    found = kept = 0
    for row in rows:
        portrait = portrait_from_face(archive["images"][row])
        upright = analyzer.analyze(portrait)
        if not upright:
            continue
        for degrees in (-25, 25):
            turned = analyzer.analyze(rotated(portrait, degrees))
            found += bool(turned)
            kept += bool(turned) and turned[0].label == upright[0].label
    assert found >= 40
    assert kept / found >= KEPT_SHARE_FLOOR


@pytest.mark.parametrize("degrees", [-25, -15, 15, 25])
def test_a_face_seen_from_the_side_is_measured_by_its_features_and_turns_with_the_picture(analyzer, degrees):
    """The cameraman's 3/4 view is never convincingly symmetric: his brows, eyes and mouth give the tilt."""
    def tilt_of(image):
        detection = analyzer.detector.detect(image)[0]
        eyes = (detection.right_eye, detection.left_eye)
        gray = to_grayscale(image)
        measured = face_tilt(gray, detection.box, eyes)
        assert measured == feature_tilt(gray, detection.box, eye_angle(eyes))
        return math.degrees(measured)

    upright = tilt_of(cameraman_bgr())
    assert abs(tilt_of(rotated(cameraman_bgr(), degrees)) - (upright - degrees)) < 5


@pytest.mark.parametrize("degrees", [-25, 20])
def test_feature_tilt_finds_the_direction_of_horizontal_strokes(degrees):
    """A drawn face: two brows, two eyes and a mouth, dark strokes on a lighter oval, turned."""
    canvas = np.full((200, 200), 90, np.uint8)
    cv2.ellipse(canvas, (100, 100), (60, 80), 0, 0, 360, 170, -1)
    for centre, axes in (((75, 70), (18, 4)), ((125, 70), (18, 4)), ((75, 88), (10, 5)),
                         ((125, 88), (10, 5)), ((100, 140), (25, 6))):
        cv2.ellipse(canvas, centre, axes, 0, 0, 360, 40, -1)
    turned = rotated(canvas, degrees)
    box = (40, 20, 120, 160)
    # Started at upright, as the eye landmarks tend to report, it still finds the strokes' tilt.
    assert abs(math.degrees(feature_tilt(turned, box, 0.0)) + degrees) < 2
    assert abs(math.degrees(feature_tilt(canvas, box, 0.0))) < 1


def test_mirror_similarity_is_one_for_a_symmetric_patch_and_low_for_noise():
    half = np.random.default_rng(0).integers(0, 256, (32, 16)).astype(np.float32)
    symmetric = np.concatenate([half, half[:, ::-1]], axis=1)
    noise = np.random.default_rng(1).integers(0, 256, (32, 32)).astype(np.float32)
    assert mirror_similarity(symmetric) > 0.99
    assert mirror_similarity(noise) < 0.3


def test_photos_are_straightened_by_symmetry_and_webcam_frames_by_the_eyes(analyzer):
    """A webcam frame has a budget of a few milliseconds: it keeps the landmarks' angle."""
    from app.vision import VIDEO_SEARCH
    turned = rotated(astronaut_bgr(), -25)
    gray = to_grayscale(turned)
    detection = analyzer.detector.detect(turned)[0]
    straightened = analyzer._upright_face(gray, detection, PHOTO_SEARCH.straighten)
    by_the_eyes = analyzer._upright_face(gray, detection, VIDEO_SEARCH.straighten)
    by_symmetry = analyzer._upright_face(gray, detection, True)
    np.testing.assert_array_equal(straightened, by_symmetry)
    assert np.abs(by_the_eyes - by_symmetry).mean() > 0.05

import subprocess
import sys

import cv2
import pytest

from app.vision import EMOTIONS, VIDEO_SEARCH, EmotionAnalyzer
from tests.faces import astronaut_bgr, blank_photo, two_face_photo


@pytest.fixture(scope="module")
def analyzer():
    return EmotionAnalyzer()


def test_astronaut_is_one_happy_face(analyzer):
    faces = analyzer.analyze(astronaut_bgr())
    assert len(faces) == 1, [f.box for f in faces]  # not the space shuttle
    face = faces[0]
    assert face.label == "happy"
    x, y, w, h = face.box
    assert 150 < x + w / 2 < 300 and 50 < y + h / 2 < 200  # on her face, top centre of the photo
    assert list(face.scores) == list(EMOTIONS)
    assert sum(face.scores.values()) == pytest.approx(1.0, abs=1e-5)


def test_rgb_and_gray_inputs_find_the_same_face(analyzer):
    photo = astronaut_bgr()
    for image in (cv2.cvtColor(photo, cv2.COLOR_BGR2GRAY), cv2.cvtColor(photo, cv2.COLOR_BGR2RGB)):
        faces = analyzer.analyze(image)
        assert len(faces) == 1 and faces[0].label == "happy"


def test_two_faces_are_found_largest_first(analyzer):
    faces = analyzer.analyze(two_face_photo())
    assert len(faces) == 2
    big, small = faces
    assert big.box[2] > small.box[2]
    assert big.box[0] < 512 <= small.box[0]  # the original on the left, the copy on the right


def test_no_face_gives_an_empty_list(analyzer):
    assert analyzer.analyze(blank_photo()) == []
    assert analyzer.analyze(blank_photo(), search=VIDEO_SEARCH) == []


def test_webcam_sized_frame_finds_the_face_at_fast_settings(analyzer):
    frame = cv2.resize(astronaut_bgr(), (640, 640))[80:560]
    faces = analyzer.analyze(frame, search=VIDEO_SEARCH)
    assert len(faces) == 1 and faces[0].label == "happy"


def test_to_dict_is_json_ready(analyzer):
    import json

    face = analyzer.analyze(astronaut_bgr())[0].to_dict()
    assert set(face) == {"box", "label", "confidence", "uncertain", "scores"}
    assert isinstance(face["uncertain"], bool)
    assert set(face["box"]) == {"x", "y", "w", "h"}
    json.dumps(face)


def test_vision_core_imports_neither_flask_nor_a_training_framework():
    code = ("import sys, numpy; from app.vision import EmotionAnalyzer; EmotionAnalyzer().analyze(numpy.zeros((64, 64), numpy.uint8)); "
            "print(sorted(m for m in ('flask', 'torch', 'tensorflow', 'keras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

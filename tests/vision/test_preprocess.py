import numpy as np
import pytest

from app.vision import EmotionAnalyzer
from app.vision.preprocess import FACE_SIZE, crop_box, prepare_face, prepare_faces
from tests.faces import astronaut_bgr


def test_training_and_serving_paths_give_identical_tensors(tmp_path):
    """The face the server crops from a photo, once stored as a 48x48 data-set row and
    loaded by the training loaders, is the exact tensor the server classifies."""
    from training.data import load_dataset

    photo = astronaut_bgr()
    found = EmotionAnalyzer().detector.detect(photo)[0]
    served = prepare_face(photo, found.box, (found.right_eye, found.left_eye))

    # Store the 48x48 face the way FER2013 stores faces (uint8 gray) and load it back.
    row = np.clip(np.round(served * 0.25 * 255 + 0.5 * 255), 0, 255).astype(np.uint8)
    npz = tmp_path / "one.npz"
    np.savez(npz, images=row[None], labels=np.array([3], np.uint8), usage=np.array(["Training"]))
    trained_on = load_dataset(npz)["Training"].faces[0]
    np.testing.assert_array_equal(trained_on, prepare_face(row))
    np.testing.assert_allclose(trained_on, served, atol=1e-5)


def test_color_and_gray_inputs_prepare_the_same_face():
    import cv2

    photo = astronaut_bgr()
    gray = cv2.cvtColor(photo, cv2.COLOR_BGR2GRAY)
    bgra = cv2.cvtColor(photo, cv2.COLOR_BGR2BGRA)
    box = (170, 60, 100, 100)
    expected = prepare_face(gray, box)
    assert expected.shape == (FACE_SIZE, FACE_SIZE) and expected.dtype == np.float32
    np.testing.assert_array_equal(prepare_face(photo, box), expected)
    np.testing.assert_array_equal(prepare_face(bgra, box), expected)


def test_batch_form_matches_single_form():
    faces = np.random.default_rng(1).integers(0, 256, (5, 48, 48), dtype=np.uint8)
    np.testing.assert_array_equal(prepare_faces(faces), np.stack([prepare_face(f) for f in faces]))


def test_box_at_the_border_is_padded_not_squashed():
    gray = np.arange(100 * 100, dtype=np.uint32).reshape(100, 100).astype(np.uint8)
    crop = crop_box(gray, (-10, -10, 50, 50))
    assert crop.shape[0] == crop.shape[1]


def test_a_tilted_face_is_turned_upright_by_its_eyes():
    """Tilt the photo by 25 degrees about the face: given where the eyes went, the crop is the upright one."""
    import cv2

    photo = cv2.cvtColor(astronaut_bgr(), cv2.COLOR_BGR2GRAY)
    face = EmotionAnalyzer().detector.detect(photo)[0]
    eyes = (face.right_eye, face.left_eye)
    expected = prepare_face(photo, face.box, eyes)
    x, y, w, h = face.box
    centre = (x + w / 2 - 0.5, y + h / 2 - 0.5)
    for degrees in (-25, 25):
        turn = cv2.getRotationMatrix2D(centre, degrees, 1.0)
        tilted = cv2.warpAffine(photo, turn, photo.shape[::-1], borderMode=cv2.BORDER_REFLECT)
        tilted_eyes = tuple(tuple(turn @ np.array([*eye, 1.0])) for eye in eyes)
        aligned = prepare_face(tilted, face.box, tilted_eyes)
        unaligned = prepare_face(tilted, face.box)
        assert np.abs(aligned - expected).mean() < 0.1 < np.abs(unaligned - expected).mean()


def test_level_eyes_change_nothing():
    gray = np.random.default_rng(2).integers(0, 256, (200, 200), dtype=np.uint8)
    box = (50, 40, 80, 90)
    np.testing.assert_array_equal(prepare_face(gray, box, ((70.0, 80.0), (110.0, 80.0))), prepare_face(gray, box))


def test_box_outside_the_image_is_refused():
    with pytest.raises(ValueError):
        prepare_face(np.zeros((50, 50), np.uint8), (100, 100, 20, 20))

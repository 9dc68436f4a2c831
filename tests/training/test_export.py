"""The served file gives the Keras network's answers, on real faces.

Tolerances: the float32 ONNX export matches Keras within 1e-5 per probability; the served
int8 file stays within 0.01 mean absolute difference of Keras and gives the same top
emotion on at least 95 % of faces.
"""
import json

import numpy as np
import pytest

from app.vision import EmotionAnalyzer
from app.vision.classifier import DEFAULT_MODEL_PATH, MODELS_DIR, SERVING_SPEC_PATH, EmotionClassifier
from app.vision.preprocess import prepare_face
from tests.faces import FER_NPZ, astronaut_bgr, cameraman_bgr, group_photo, two_face_photo


@pytest.fixture(scope="module")
def real_faces() -> np.ndarray:
    """Faces cropped by the serving pipeline from real photos, mirrored too, plus FER2013 rows when present."""
    analyzer = EmotionAnalyzer()
    found = [(photo, face) for photo in (astronaut_bgr(), two_face_photo(), group_photo(), cameraman_bgr())
             for face in analyzer.detector.detect(photo)]
    faces = [prepare_face(photo, f.box, (f.right_eye, f.left_eye)) for photo, f in found]
    faces += [np.flip(f, axis=1) for f in faces]
    if FER_NPZ.exists():
        rows = np.load(FER_NPZ)
        faces += [prepare_face(image) for image in rows["images"][::100]]  # 323 faces across Training and PublicTest
    return np.ascontiguousarray(np.stack(faces).astype(np.float32))


@pytest.fixture(scope="module")
def keras_model():
    from training.export import load_serving_model

    return load_serving_model(SERVING_SPEC_PATH)


def test_float32_export_equals_the_keras_model(keras_model, real_faces, tmp_path):
    from training.export import export_onnx

    expected = keras_model.predict(real_faces[..., None], verbose=0)
    exported = EmotionClassifier(export_onnx(keras_model, tmp_path / "fp32.onnx")).predict(real_faces)
    np.testing.assert_allclose(exported, expected, atol=1e-5)


def test_served_int8_model_agrees_with_the_keras_model(keras_model, real_faces):
    expected = keras_model.predict(real_faces[..., None], verbose=0)
    served = EmotionClassifier(DEFAULT_MODEL_PATH).predict(real_faces)
    assert np.abs(served - expected).mean() < 0.01
    assert (served.argmax(1) == expected.argmax(1)).mean() >= 0.95


def test_quantization_of_an_exported_model(real_faces, tmp_path):
    from training.export import export_onnx
    from training.model import build_emotion_net, serving_model
    from training.quantize import quantize_model

    import keras
    keras.utils.set_random_seed(4)
    path = export_onnx(serving_model(build_emotion_net(width=8, hidden=32), temperature=1.5), tmp_path / "m.onnx")
    quantized = quantize_model(path, tmp_path / "q.onnx", real_faces)
    assert quantized.stat().st_size < path.stat().st_size
    probabilities = EmotionClassifier(quantized).predict(real_faces)
    np.testing.assert_allclose(probabilities.sum(1), 1.0, atol=0.02)  # int8 output; Face renormalises
    assert np.abs(probabilities - EmotionClassifier(path).predict(real_faces)).max() < 0.1


def test_bundled_model_files_are_small_and_only_what_serving_json_names():
    members = [MODELS_DIR / member["weights"] for member in json.loads(SERVING_SPEC_PATH.read_text())["members"]]
    assert sorted(MODELS_DIR.glob("*.weights.h5")) == sorted(members)
    files = [DEFAULT_MODEL_PATH, *members]
    assert sum(f.stat().st_size for f in files) < 20 * 1024 * 1024


def test_served_model_costs_one_network_on_a_face_and_its_mirror():
    """Live video needs one forward pass a face, two with mirror averaging: no ensemble ships."""
    spec = json.loads(SERVING_SPEC_PATH.read_text())
    assert len(spec["members"]) == 1
    assert len(spec["class_bias"]) == 7


def test_outputs_are_probabilities(real_faces):
    probabilities = EmotionClassifier().predict(real_faces)
    np.testing.assert_allclose(probabilities.sum(1), 1.0, atol=0.02)  # int8 output; Face renormalises
    assert (probabilities >= 0).all()


def test_mirror_averaging_makes_a_model_mirror_invariant(real_faces, tmp_path):
    from training.export import export_onnx
    from training.model import build_emotion_net, serving_model

    import keras
    keras.utils.set_random_seed(5)
    path = export_onnx(serving_model(build_emotion_net(width=8, hidden=32), mirror=True), tmp_path / "m.onnx")
    classifier = EmotionClassifier(path)
    mirrored = classifier.predict(np.ascontiguousarray(np.flip(real_faces, axis=2)))
    np.testing.assert_allclose(mirrored, classifier.predict(real_faces), atol=1e-5)


def test_a_network_loads_at_the_width_it_was_saved_with(tmp_path):
    """Networks of several widths are compared side by side; none needs its width repeated."""
    import h5py

    from training.export import load_net, saved_width
    from training.model import build_emotion_net

    narrow = build_emotion_net(width=8)
    narrow.save_weights(tmp_path / "narrow.weights.h5")
    assert saved_width(tmp_path / "narrow.weights.h5") == 8
    loaded = load_net(tmp_path / "narrow.weights.h5")
    faces = np.random.default_rng(0).normal(size=(3, 48, 48, 1)).astype(np.float32)
    np.testing.assert_allclose(loaded.predict(faces, verbose=0), narrow.predict(faces, verbose=0), atol=1e-5)
    assert saved_width(MODELS_DIR / "emotion.weights.h5") == 32

    with h5py.File(tmp_path / "other.h5", "w") as other:
        other["layers/dense/vars/0"] = np.zeros((4, 2))
    with pytest.raises(ValueError, match="no emotion network"):
        load_net(tmp_path / "other.h5")

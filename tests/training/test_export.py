"""The exported model gives the PyTorch network's outputs, on real faces."""
import numpy as np
import torch

from app.vision import EmotionAnalyzer
from app.vision.classifier import DEFAULT_MODEL_PATH, REFERENCE_MODEL_PATH, EmotionClassifier
from app.vision.preprocess import prepare_face
from tests.faces import FER_NPZ, astronaut_bgr, two_face_photo
from training.export import export_net, load_exported_net
from training.model import EmotionNet, ExportedEmotionNet


def real_faces() -> np.ndarray:
    """Faces cropped by the serving pipeline from real photos, plus FER2013 rows when present."""
    analyzer = EmotionAnalyzer()
    faces = [prepare_face(photo, face.box) for photo in (astronaut_bgr(), two_face_photo())
             for face in analyzer.analyze(photo)]
    faces += [np.flip(f, axis=1) for f in faces]
    if FER_NPZ.exists():
        images = np.load(FER_NPZ)["images"][:64]
        faces += [prepare_face(image) for image in images]
    return np.stack(faces).astype(np.float32)


def torch_probabilities(net: EmotionNet, faces: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return ExportedEmotionNet(net.eval())(torch.from_numpy(faces).unsqueeze(1)).numpy()


def test_bundled_model_matches_its_pytorch_network():
    faces = real_faces()
    expected = torch_probabilities(load_exported_net(REFERENCE_MODEL_PATH), faces)
    actual = EmotionClassifier(REFERENCE_MODEL_PATH).predict(faces)
    np.testing.assert_allclose(actual, expected, atol=1e-4)
    assert actual.argmax(1).tolist() == expected.argmax(1).tolist()


def test_served_int8_model_stays_close_to_the_float32_export():
    faces = real_faces()
    reference = EmotionClassifier(REFERENCE_MODEL_PATH).predict(faces)
    served = EmotionClassifier(DEFAULT_MODEL_PATH).predict(faces)
    assert np.abs(served - reference).mean() < 0.01
    assert (served.argmax(1) == reference.argmax(1)).mean() >= 0.95


def test_quantization_of_an_exported_model(tmp_path):
    from training.quantize import quantize_model

    torch.manual_seed(4)
    path = export_net(EmotionNet(width=8, hidden=32), tmp_path / "m.onnx")
    faces = real_faces()
    quantized = quantize_model(path, tmp_path / "q.onnx", faces)
    assert quantized.stat().st_size < path.stat().st_size
    probabilities = EmotionClassifier(quantized).predict(faces)
    np.testing.assert_allclose(probabilities.sum(1), 1.0, atol=0.02)  # int8 output; Face renormalises
    assert np.abs(probabilities - EmotionClassifier(path).predict(faces)).max() < 0.1


def test_export_round_trip_keeps_every_weight(tmp_path):
    torch.manual_seed(3)
    net = EmotionNet(width=8, hidden=32)
    for module in net.modules():  # non-trivial BatchNorm statistics, as after training
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    path = export_net(net, tmp_path / "m.onnx")
    faces = real_faces()
    np.testing.assert_allclose(EmotionClassifier(path).predict(faces), torch_probabilities(net, faces), atol=1e-5)
    rebuilt = load_exported_net(path)
    for name, tensor in net.state_dict().items():
        if not name.endswith("num_batches_tracked"):
            assert torch.equal(rebuilt.state_dict()[name], tensor), name


def test_bundled_models_are_small():
    assert DEFAULT_MODEL_PATH.stat().st_size + REFERENCE_MODEL_PATH.stat().st_size < 10 * 1024 * 1024


def test_outputs_are_probabilities_and_mirror_invariant():
    faces = real_faces()
    probabilities = EmotionClassifier().predict(faces)
    np.testing.assert_allclose(probabilities.sum(1), 1.0, atol=0.02)  # int8 output; Face renormalises
    reference = EmotionClassifier(REFERENCE_MODEL_PATH)
    mirrored = reference.predict(np.ascontiguousarray(np.flip(faces, axis=2)))
    np.testing.assert_allclose(mirrored, reference.predict(faces), atol=1e-5)  # flip TTA is symmetric by construction

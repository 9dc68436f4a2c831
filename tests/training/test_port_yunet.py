"""The bundled LiteRT face detector is the vendored ONNX YuNet, rebuilt without approximation."""
import numpy as np

from app.vision.detector import YUNET_FILE, LiteRTYuNet, padded_to_stride
from tests.faces import cameraman_bgr, group_photo
from training import port_yunet


def test_a_fresh_port_matches_onnxruntime_and_the_bundled_file(tmp_path):
    """``training.port_yunet`` checks its export against onnxruntime before writing it; the file in
    the repository must be what that recipe writes, on photos it was not checked on."""
    fresh = tmp_path / "yunet.tflite"
    worst = port_yunet.export(port_yunet.ONNX_FILE, fresh)
    assert worst < port_yunet.TOLERANCE
    for photo in (padded_to_stride(group_photo()[:640, :960]), padded_to_stride(cameraman_bgr())):
        reference = port_yunet.onnx_outputs(port_yunet.ONNX_FILE, photo)
        ported, bundled = LiteRTYuNet(fresh).outputs(photo), LiteRTYuNet(YUNET_FILE).outputs(photo)
        for name, expected in reference.items():
            np.testing.assert_allclose(ported[name], expected, atol=port_yunet.TOLERANCE)
            np.testing.assert_allclose(bundled[name], ported[name], atol=1e-6)

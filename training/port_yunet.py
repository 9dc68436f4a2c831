"""Rebuild the vendored YuNet face detector for LiteRT, the runtime that already serves the emotion model.

    python -m training.port_yunet        # models/yunet/*.onnx -> models/yunet/*.tflite, checked

Through ``cv2.FaceDetectorYN`` (OpenCV 5) a 320x240 search took about 5 ms of one core on a 2-core
Xeon; the same graph in LiteRT (XNNPACK), decoded in NumPy, about 3.3 ms (models/README.md,
"Speed and memory"). The ONNX graph is small and plain -- 3x3 and 1x1
convolutions (depthwise where ``group`` equals the channels), ReLU, 2x2 max-pooling, a
nearest-neighbour x2 upsampling with an addition, and per-stride heads reshaped to
(1, anchors, k) -- so it is rebuilt layer for layer in Keras, channels-last, with the
ONNX weights, and exported in float32 with a free input height and width. No operator is
approximated: padding is explicit (ONNX pads a stride-2 convolution on both sides, Keras's
"same" only after), and the heads' NCHW->NHWC transposes disappear because Keras is
channels-last already. The export is checked against onnxruntime on a real photo before it
is written; ``app/vision/detector.py`` decodes the outputs exactly as OpenCV does.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ONNX_FILE = ROOT / "models" / "yunet" / "face_detection_yunet_2023mar.onnx"
TFLITE_FILE = ONNX_FILE.with_suffix(".tflite")
# The detector's outputs differ from onnxruntime's by about 1e-6 (float32 summation order).
TOLERANCE = 1e-4


def onnx_graph(path: Path):
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    weights = {tensor.name: numpy_helper.to_array(tensor) for tensor in model.graph.initializer}
    return model.graph, weights


def build_keras_yunet(path: Path = ONNX_FILE):
    """The ONNX graph as a Keras model: input (1, H, W, 3) BGR float, outputs named as in ONNX."""
    import keras
    import onnx

    graph, weights = onnx_graph(path)
    image = keras.Input((None, None, 3), name="image")
    tensors = {graph.input[0].name: image}
    for node in graph.node:
        attributes = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        tensors[node.output[0]] = keras_op(node, attributes, weights, tensors)
    # Named outputs become the LiteRT signature's output names, which the detector reads.
    outputs = {output.name: tensors[output.name] for output in graph.output}
    return keras.Model(image, outputs, name="yunet")


def keras_op(node, attributes: dict, weights: dict, tensors: dict):
    import keras

    source = tensors.get(node.input[0])
    kind = node.op_type
    if kind == "Conv":
        return convolution(source, weights[node.input[1]], weights[node.input[2]], attributes)
    if kind == "Relu":
        return keras.layers.ReLU()(source)
    if kind == "MaxPool":
        if attributes["kernel_shape"] != [2, 2] or attributes["strides"] != [2, 2] or any(attributes["pads"]):
            raise ValueError(f"unsupported MaxPool {attributes}")
        return keras.layers.MaxPooling2D(2)(source)
    if kind == "Resize":
        if list(weights[node.input[2]]) != [1, 1, 2, 2] or attributes["mode"] != b"nearest":
            raise ValueError(f"unsupported Resize {attributes}")
        return keras.layers.UpSampling2D(2, interpolation="nearest")(source)
    if kind == "Add":
        return keras.layers.Add()([source, tensors[node.input[1]]])
    if kind == "Transpose":
        if attributes["perm"] != [0, 2, 3, 1]:
            raise ValueError(f"unsupported Transpose {attributes}")
        return source  # NCHW -> NHWC: Keras tensors are channels-last already
    if kind == "Reshape":
        return keras.layers.Reshape((-1, int(weights[node.input[1]][-1])))(source)
    if kind == "Sigmoid":
        return keras.layers.Activation("sigmoid")(source)
    raise ValueError(f"YuNet port: no Keras equivalent written for ONNX {kind}")


def convolution(source, kernel: np.ndarray, bias: np.ndarray, attributes: dict):
    import keras

    pads, stride, groups = attributes["pads"], attributes["strides"][0], attributes["group"]
    if pads[0] != pads[2] or pads[1] != pads[3] or attributes.get("dilations", [1, 1]) != [1, 1]:
        raise ValueError(f"unsupported Conv {attributes}")
    padded = keras.layers.ZeroPadding2D((pads[0], pads[1]))(source) if any(pads) else source
    size = kernel.shape[2]
    if groups == 1:
        layer = keras.layers.Conv2D(kernel.shape[0], size, stride, "valid")
        output = layer(padded)
        layer.set_weights([kernel.transpose(2, 3, 1, 0), bias])  # OIHW -> HWIO
    elif groups == kernel.shape[0] and kernel.shape[1] == 1:
        layer = keras.layers.DepthwiseConv2D(size, stride, "valid")
        output = layer(padded)
        layer.set_weights([kernel.transpose(2, 3, 0, 1), bias])  # (C, 1, H, W) -> (H, W, C, 1)
    else:
        raise ValueError(f"unsupported grouped Conv (group {groups}, kernel {kernel.shape})")
    return output


def onnx_outputs(path: Path, padded_bgr: np.ndarray) -> dict[str, np.ndarray]:
    """onnxruntime's heads (anchors, k) for one padded BGR image, the file's fixed 640x640 input freed."""
    import onnx
    import onnxruntime

    model = onnx.load(str(path))
    dims = model.graph.input[0].type.tensor_type.shape.dim
    dims[2].dim_param, dims[3].dim_param = "height", "width"
    for output in model.graph.output:
        output.type.tensor_type.shape.dim[1].dim_param = "anchors"
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # the file's fixed output shapes are warned about on every run
    session = onnxruntime.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    blob = padded_bgr.transpose(2, 0, 1)[None].astype(np.float32)
    values = session.run(None, {"input": blob})
    return {output.name: value[0] for output, value in zip(session.get_outputs(), values)}  # as LiteRTYuNet


def sample_photo() -> np.ndarray:
    """The astronaut at an odd size, padded as the detector pads (to multiples of 32)."""
    import cv2
    from skimage import data

    from app.vision.detector import padded_to_stride

    bgr = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    return padded_to_stride(cv2.resize(bgr, (320, 320), interpolation=cv2.INTER_AREA)[:300, :310])


def export(onnx_path: Path = ONNX_FILE, out: Path = TFLITE_FILE) -> float:
    """Write the LiteRT file and return its largest difference from onnxruntime on a real photo."""
    import tensorflow as tf

    from app.vision.detector import LiteRTYuNet

    net = build_keras_yunet(onnx_path)
    spec = tf.TensorSpec((1, None, None, 3), tf.float32, name="image")
    temporary = out.with_name(out.stem + ".tmp.tflite")  # the exporter insists on the suffix
    net.export(str(temporary), format="litert", input_signature=[spec], verbose=False)
    photo = sample_photo()
    expected, got = onnx_outputs(onnx_path, photo), LiteRTYuNet(temporary).outputs(photo)
    worst = max(float(np.abs(got[name] - value).max()) for name, value in expected.items())
    if worst > TOLERANCE:
        temporary.unlink()
        raise SystemExit(f"error: the LiteRT YuNet differs from onnxruntime by {worst:.2e} (> {TOLERANCE})")
    temporary.replace(out)
    return worst


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--onnx", type=Path, default=ONNX_FILE)
    parser.add_argument("--out", type=Path, default=TFLITE_FILE)
    args = parser.parse_args(argv)
    worst = export(args.onnx, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes); largest difference from onnxruntime {worst:.2e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Bring the first bundled network (trained on FER2013 labels alone) into Keras.

    python -m training.port --onnx OLD.onnx --out runs/fer2013/best.weights.h5

That network was trained with another framework and shipped only as an ONNX file
whose graph keeps every BatchNorm and the original layer names. It has exactly
the architecture of ``training.model.build_emotion_net`` (BatchNorm epsilon
1e-5), so its weights map one to one: convolution kernels from OIHW to HWIO, and
the first dense layer's rows from channel-major to the row-major, channels-last
order in which Keras flattens. The ported network is one member of the shipped
ensemble (``training.ensemble``).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

FER2013_NET_EPSILON = 1e-5


def onnx_weights(path: str | Path) -> dict[str, np.ndarray]:
    import onnx
    from onnx import numpy_helper

    return {init.name.removeprefix("net."): numpy_helper.to_array(init)
            for init in onnx.load(str(path)).graph.initializer if init.name.startswith("net.")}


def port(path: str | Path):
    """A Keras network carrying the weights of the exported file at ``path``."""
    from training.model import build_emotion_net

    weights = onnx_weights(path)
    conv_names = sorted({name.split(".")[1] for name in weights if name.startswith("features.")
                         and weights[name].ndim == 4}, key=int)
    width = weights[f"features.{conv_names[0]}.weight"].shape[0]
    hidden = weights["head.2.weight"].shape[0]
    net = build_emotion_net(width=width, hidden=hidden, bn_epsilon=FER2013_NET_EPSILON, name="fer2013_net")
    convs = [layer for layer in net.layers if layer.name.endswith("_conv")]
    norms = [layer for layer in net.layers if layer.name.endswith("_bn")]
    if len(convs) != len(conv_names):
        raise ValueError(f"{path}: {len(conv_names)} convolutions, the Keras network has {len(convs)}")
    for conv, norm, index in zip(convs, norms, conv_names):
        conv.set_weights([weights[f"features.{index}.weight"].transpose(2, 3, 1, 0)])
        bn = int(index) + 1  # each convolution is followed by its BatchNorm
        norm.set_weights([weights[f"features.{bn}.{key}"] for key in ("weight", "bias", "running_mean", "running_var")])
    channels, side = convs[-1].filters, net.get_layer("flatten").input.shape[1]
    first = weights["head.2.weight"].reshape(hidden, channels, side, side).transpose(2, 3, 1, 0).reshape(-1, hidden)
    net.get_layer("hidden").set_weights([first, weights["head.2.bias"]])
    net.get_layer("logits").set_weights([weights["head.5.weight"].T, weights["head.5.bias"]])
    return net


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--onnx", required=True, help="the exported file of the FER2013-label network")
    parser.add_argument("--out", required=True, help="where to write its Keras weights (.weights.h5)")
    args = parser.parse_args(argv)
    import keras
    keras.mixed_precision.set_global_policy("float32")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    port(args.onnx).save_weights(out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

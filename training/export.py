"""Export a training checkpoint to the ONNX file the web process runs.

    python -m training.export --checkpoint runs/main/best.pt --out models/emotion.onnx

The graph takes (N, 1, 48, 48) float32 faces from ``prepare_face`` and returns
(N, 7) probabilities averaged over the face and its mirror image.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

from app.vision.preprocess import FACE_SIZE
from training.model import EmotionNet, ExportedEmotionNet

INPUT_NAME, OUTPUT_NAME = "faces", "probabilities"


def load_exported_net(onnx_path: str | Path) -> EmotionNet:
    """Rebuild the PyTorch network from an exported file's weights.

    The export keeps BatchNorm nodes and the state-dict names (no folding), so the
    bundled model can be compared with its PyTorch twin without shipping a second copy.
    """
    import onnx
    from onnx import numpy_helper

    weights = {init.name.removeprefix("net."): torch.from_numpy(numpy_helper.to_array(init).copy())
               for init in onnx.load(str(onnx_path)).graph.initializer if init.name.startswith("net.")}
    net = EmotionNet(width=weights["features.0.weight"].shape[0], hidden=weights["head.2.weight"].shape[0])
    missing, unexpected = net.load_state_dict(weights, strict=False)
    if unexpected or any(not name.endswith("num_batches_tracked") for name in missing):
        raise ValueError(f"{onnx_path}: weights do not match EmotionNet ({missing=}, {unexpected=})")
    return net.eval()


def load_checkpoint(path: str | Path) -> EmotionNet:
    state = torch.load(path, weights_only=False, map_location="cpu")
    net = EmotionNet(width=state.get("width", 32))
    net.load_state_dict(state["model"])
    return net.eval()


def export_checkpoint(checkpoint: str | Path, out: str | Path) -> Path:
    return export_net(load_checkpoint(checkpoint), out)


def export_net(net: EmotionNet, out: str | Path) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    shipped = ExportedEmotionNet(net.float().eval().to(memory_format=torch.contiguous_format))
    example = torch.zeros(1, 1, FACE_SIZE, FACE_SIZE)
    torch.onnx.export(
        shipped, (example,), str(out), input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
        dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}}, opset_version=17, dynamo=False,
        # Keep BatchNorm as its own node under its PyTorch name (onnxruntime fuses it at load time
        # anyway), so load_exported_net can rebuild the network from the shipped file.
        training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False,
    )
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--out", default="models/emotion.onnx")
    args = parser.parse_args(argv)
    print(f"exported {export_checkpoint(args.checkpoint, args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

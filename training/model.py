"""The emotion network: a compact VGG-style CNN sized for CPU training.

Four stages of two 3x3 conv + BatchNorm + ReLU, each halving the resolution
(48 -> 24 -> 12 -> 6 -> 3), then a small dense head. Faces in FER2013 are
roughly aligned, so the head keeps the 3x3 spatial layout (flatten, not
global pooling): where a feature fires -- mouth or brow -- matters.
About 1.8 M parameters and 0.14 GMAC per face; bf16 training on 2 CPU
cores runs near one minute per epoch.
"""
from __future__ import annotations

import torch
from torch import nn

from app.vision.preprocess import EMOTIONS, FACE_SIZE


def conv_bn_relu(in_channels: int, out_channels: int) -> list[nn.Module]:
    return [
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    ]


class EmotionNet(nn.Module):
    def __init__(self, width: int = 32, hidden: int = 256, dropout: float = 0.5):
        super().__init__()
        layers: list[nn.Module] = []
        channels = 1
        for stage in range(4):
            out = width * 2**stage
            layers += conv_bn_relu(channels, out) + conv_bn_relu(out, out) + [nn.MaxPool2d(2)]
            channels = out
        self.features = nn.Sequential(*layers)
        side = FACE_SIZE // 16
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout / 2),
            nn.Linear(channels * side * side, hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(hidden, len(EMOTIONS)),
        )

    def forward(self, faces: torch.Tensor) -> torch.Tensor:
        """(N, 1, 48, 48) normalised faces -> (N, 7) logits."""
        return self.head(self.features(faces))


class ExportedEmotionNet(nn.Module):
    """What ships: probabilities averaged over the face and its mirror image.

    Baking the flip test-time augmentation into the exported graph means the
    server, the evaluator and the benchmarks all get it without a second copy.
    """

    def __init__(self, net: EmotionNet):
        super().__init__()
        self.net = net

    def forward(self, faces: torch.Tensor) -> torch.Tensor:
        both = torch.cat([faces, torch.flip(faces, dims=[3])], dim=0)
        probabilities = torch.softmax(self.net(both), dim=1)
        original, mirrored = torch.chunk(probabilities, 2, dim=0)
        return (original + mirrored) / 2

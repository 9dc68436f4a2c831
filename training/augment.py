"""Batch augmentation for 48x48 faces, done on whole tensors (cheap on CPU).

Mirror, small rotation/shift/scale, brightness/contrast jitter and random
erasing: the variations a webcam or a phone photo brings, and nothing that
changes the expression (no vertical flips, no large rotations).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def augment_batch(faces: torch.Tensor, generator: torch.Generator,
                  max_rotation_deg: float = 12.0, max_shift: float = 0.1,
                  scale_range: tuple[float, float] = (0.9, 1.12), erase_probability: float = 0.5) -> torch.Tensor:
    n = faces.shape[0]
    rand = lambda *shape: torch.rand(*shape, generator=generator)  # noqa: E731

    flip = torch.where(rand(n) < 0.5, -1.0, 1.0)
    angle = (rand(n) * 2 - 1) * math.radians(max_rotation_deg)
    scale = scale_range[0] + rand(n) * (scale_range[1] - scale_range[0])
    shift = (rand(n, 2) * 2 - 1) * max_shift * 2  # grid coordinates span [-1, 1]
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([
        torch.stack([cos * flip, -sin, shift[:, 0]], dim=1),
        torch.stack([sin * flip, cos, shift[:, 1]], dim=1),
    ], dim=1)
    grid = F.affine_grid(theta, list(faces.shape), align_corners=False)
    out = F.grid_sample(faces, grid, mode="bilinear", padding_mode="border", align_corners=False)

    contrast = 0.75 + rand(n, 1, 1, 1) * 0.5
    brightness = (rand(n, 1, 1, 1) * 2 - 1) * 0.4
    out = out * contrast + brightness
    return random_erase(out, generator, erase_probability)


def random_erase(faces: torch.Tensor, generator: torch.Generator, probability: float) -> torch.Tensor:
    """Blank one rectangle (2-20 % of the face) in some faces, so no single region is relied on."""
    n, _, height, width = faces.shape
    rand = lambda *shape: torch.rand(*shape, generator=generator)  # noqa: E731
    area = (0.02 + rand(n) * 0.18) * height * width
    aspect = torch.exp((rand(n) * 2 - 1) * math.log(3))
    h = (area * aspect).sqrt().clamp(1, height).long()
    w = (area / aspect).sqrt().clamp(1, width).long()
    y0 = (rand(n) * (height - h + 1)).long()
    x0 = (rand(n) * (width - w + 1)).long()
    rows = torch.arange(height).view(1, height, 1)
    cols = torch.arange(width).view(1, 1, width)
    inside = ((rows >= y0.view(-1, 1, 1)) & (rows < (y0 + h).view(-1, 1, 1))
              & (cols >= x0.view(-1, 1, 1)) & (cols < (x0 + w).view(-1, 1, 1)))
    chosen = (rand(n) < probability).view(-1, 1, 1)
    mask = (inside & chosen).unsqueeze(1)
    noise = torch.randn(faces.shape, generator=generator) * 0.5
    return torch.where(mask, noise, faces)

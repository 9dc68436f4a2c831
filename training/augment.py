"""Batch augmentation for 48x48 faces in TensorFlow, run inside the tf.data pipeline.

Mirror, small rotation/shift/scale (one projective warp), brightness/contrast
jitter and random erasing: the variations a webcam or a phone photo brings,
and nothing that changes the expression (no vertical flips, no large
rotations). Faces arrive already normalised by ``prepare_face``. ``mix_batch``
(mixup, off unless the trainer asks for it) is the exception: it blends two
faces and their targets alike.
"""
from __future__ import annotations

import math

import numpy as np
import tensorflow as tf


def augment_batch(faces: tf.Tensor, seed: tf.Tensor, max_rotation_deg: float = 12.0, max_shift: float = 0.1,
                  scale_range: tuple[float, float] = (0.9, 1.12), erase_probability: float = 0.5) -> tf.Tensor:
    """``faces`` (B, H, W, 1) float32; ``seed`` a shape-(2,) int tensor (stateless, reproducible)."""
    seeds = tf.random.experimental.stateless_split(seed, 8)
    n = tf.shape(faces)[0]
    height, width = float(faces.shape[1]), float(faces.shape[2])

    def uniform(index, shape, low=0.0, high=1.0):
        return tf.random.stateless_uniform(shape, seeds[index], low, high)

    flip = tf.where(uniform(0, [n]) < 0.5, -1.0, 1.0)
    angle = uniform(1, [n], -1.0, 1.0) * math.radians(max_rotation_deg)
    scale = uniform(2, [n], *scale_range)
    shift_x = uniform(3, [n], -1.0, 1.0) * max_shift * width
    shift_y = uniform(4, [n], -1.0, 1.0) * max_shift * height
    # Output pixel -> input pixel: centre, un-scale, rotate, mirror, shift back.
    cos, sin = tf.cos(angle) / scale, tf.sin(angle) / scale
    a0, a1, b0, b1 = cos * flip, -sin, sin * flip, cos
    cx, cy = (width - 1) / 2, (height - 1) / 2
    a2 = cx - a0 * cx - a1 * cy + shift_x
    b2 = cy - b0 * cx - b1 * cy + shift_y
    zeros = tf.zeros_like(a0)
    transforms = tf.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)
    warped = tf.raw_ops.ImageProjectiveTransformV3(
        images=faces, transforms=transforms, output_shape=tf.shape(faces)[1:3], fill_value=0.0,
        interpolation="BILINEAR", fill_mode="NEAREST")  # NEAREST fill repeats the border pixels
    warped = tf.ensure_shape(warped, faces.shape)

    contrast = uniform(5, [n, 1, 1, 1], 0.75, 1.25)
    brightness = uniform(6, [n, 1, 1, 1], -0.4, 0.4)
    return random_erase(warped * contrast + brightness, seeds[7], erase_probability)


def random_erase(faces: tf.Tensor, seed: tf.Tensor, probability: float) -> tf.Tensor:
    """Blank one rectangle (2-20 % of the face) with noise in some faces, so no region is relied on."""
    seeds = tf.random.experimental.stateless_split(seed, 7)
    n = tf.shape(faces)[0]
    height, width = faces.shape[1], faces.shape[2]

    def uniform(index, low=0.0, high=1.0):
        return tf.random.stateless_uniform([n], seeds[index], low, high)

    area = uniform(0, 0.02, 0.2) * height * width
    aspect = tf.exp(uniform(1, -math.log(3), math.log(3)))
    h = tf.clip_by_value(tf.sqrt(area * aspect), 1.0, float(height))
    w = tf.clip_by_value(tf.sqrt(area / aspect), 1.0, float(width))
    y0 = tf.floor(uniform(2) * (height - h + 1))
    x0 = tf.floor(uniform(3) * (width - w + 1))
    rows = tf.reshape(tf.range(height, dtype=tf.float32), [1, height, 1])
    cols = tf.reshape(tf.range(width, dtype=tf.float32), [1, 1, width])

    def column(values):
        return tf.reshape(values, [-1, 1, 1])

    inside = ((rows >= column(y0)) & (rows < column(y0 + tf.floor(h)))
              & (cols >= column(x0)) & (cols < column(x0 + tf.floor(w))))
    chosen = column(uniform(4) < probability)
    mask = tf.expand_dims(inside & chosen, -1)
    noise = tf.random.stateless_normal(tf.shape(faces), seeds[5]) * 0.5
    return tf.where(mask, noise, faces)


def augmented_faces(faces: np.ndarray, seed: int, batch_size: int = 256) -> np.ndarray:
    """``faces`` (N, 48, 48) as training sees them: each batch augmented by ``augment_batch`` with
    a seed drawn from ``seed`` and the batch's index, so the same call gives the same faces."""
    batches = []
    for index, start in enumerate(range(0, len(faces), batch_size)):
        batch = tf.constant(faces[start:start + batch_size, ..., None], tf.float32)
        batches.append(augment_batch(batch, tf.constant([seed, index], tf.int64)).numpy()[..., 0])
    return np.concatenate(batches) if batches else faces.astype(np.float32)


def mix_batch(faces: tf.Tensor, targets: tf.Tensor, weights: tf.Tensor, seed: tf.Tensor, alpha: float):
    """Mixup: blend each face, its target and its loss weight with another face of the batch.

    FER2013's labels are noisy (FER+ annotators keep only about two in three), and a network
    trained on blends of two faces with the blended target cannot fit one mislabelled face
    exactly. Each face is paired with the face at the mirrored position of the (already
    shuffled) batch, with its own share ``lam ~ Beta(alpha, alpha)``; ``alpha`` 0 leaves the
    batch as it is.
    """
    if alpha <= 0:
        return faces, targets, weights
    seeds = tf.random.experimental.stateless_split(seed, 2)
    n = tf.shape(faces)[0]
    a = tf.random.stateless_gamma([n], seeds[0], alpha)
    b = tf.random.stateless_gamma([n], seeds[1], alpha)
    lam = a / tf.maximum(a + b, 1e-12)

    def blend(values):
        share = tf.reshape(tf.cast(lam, values.dtype), [-1] + [1] * (len(values.shape) - 1))
        return share * values + (1 - share) * tf.reverse(values, axis=[0])

    return blend(faces), blend(targets), blend(weights)

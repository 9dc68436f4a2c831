"""The emotion network in Keras: a compact VGG-style CNN sized for CPU training and serving.

Four stages of two 3x3 conv + BatchNorm + ReLU, each halving the resolution
(48 -> 24 -> 12 -> 6 -> 3), then a small dense head. Faces are aligned and
framed alike (see app.vision.preprocess), so the head keeps the 3x3 spatial
layout (flatten, not global pooling): where a feature fires -- mouth or brow --
matters. About 1.8 M parameters and 0.14 GMAC per face at width 32.

``serving_model`` wraps trained networks into what ships: each network's
softmax is tempered by the calibration temperature and the results are
averaged, over several networks (an ensemble) and/or over the face and its
mirror image. Baking the averaging and the calibration into the exported graph
means the server, the evaluator and the benchmarks all get them without a
second copy.
"""
from __future__ import annotations

import keras
from keras import layers, ops

from app.vision.preprocess import EMOTIONS, INPUT_SHAPE


def conv_block(x, filters: int, name: str, bn_epsilon: float):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, kernel_initializer="he_normal",
                      name=f"{name}_conv")(x)
    x = layers.BatchNormalization(epsilon=bn_epsilon, name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def build_emotion_net(width: int = 32, hidden: int = 256, dropout: float = 0.5, bn_epsilon: float = 1e-3,
                      name: str = "emotion_net") -> keras.Model:
    """(N, 48, 48, 1) normalised faces -> (N, 7) logits.

    Weight decay is the optimizer's (training.train), not a loss term, so the
    architecture carries no training-only settings into the exported file.
    """
    faces = keras.Input(INPUT_SHAPE, name="faces")
    x = faces
    for stage in range(4):
        filters = width * 2**stage
        x = conv_block(x, filters, f"stage{stage + 1}a", bn_epsilon)
        x = conv_block(x, filters, f"stage{stage + 1}b", bn_epsilon)
        x = layers.MaxPooling2D(2, name=f"stage{stage + 1}_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(dropout / 2, name="dropout_features")(x)
    x = layers.Dense(hidden, activation="relu", name="hidden")(x)
    x = layers.Dropout(dropout, name="dropout_hidden")(x)
    # float32 logits even under a bfloat16 policy: softmax and the loss need the range.
    logits = layers.Dense(len(EMOTIONS), dtype="float32", name="logits")(x)
    return keras.Model(faces, logits, name=name)


@keras.saving.register_keras_serializable(package="moodlens")
class AveragedSoftmax(layers.Layer):
    """Runs each network (and, with ``mirror``, each on the mirror image too) and averages the
    softmaxes of their logits divided by the calibration temperature."""

    def __init__(self, nets: list[keras.Model], temperature: float = 1.0, mirror: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.nets = list(nets)
        self.temperature = float(temperature)
        self.mirror = bool(mirror)

    def call(self, faces):
        views = ops.concatenate([faces, ops.flip(faces, axis=2)], axis=0) if self.mirror else faces  # axis 2: width
        total = None
        for net in self.nets:
            probabilities = ops.softmax(ops.cast(net(views, training=False), "float32") / self.temperature, axis=-1)
            if self.mirror:
                half = ops.shape(faces)[0]
                probabilities = (probabilities[:half] + probabilities[half:]) / 2
            total = probabilities if total is None else total + probabilities
        return total / len(self.nets)

    def get_config(self):
        return {**super().get_config(), "nets": [keras.saving.serialize_keras_object(n) for n in self.nets],
                "temperature": self.temperature, "mirror": self.mirror}

    @classmethod
    def from_config(cls, config):
        config["nets"] = [keras.saving.deserialize_keras_object(n) for n in config["nets"]]
        return cls(**config)


def serving_model(nets: keras.Model | list[keras.Model], temperature: float = 1.0, mirror: bool = True) -> keras.Model:
    """(N, 48, 48, 1) faces -> (N, 7) calibrated probabilities averaged over ``nets``: what ships."""
    nets = [nets] if isinstance(nets, keras.Model) else nets
    faces = keras.Input(INPUT_SHAPE, name="faces", dtype="float32")
    probabilities = AveragedSoftmax(nets, temperature, mirror, name="probabilities")(faces)
    return keras.Model(faces, probabilities, name="emotion_serving")

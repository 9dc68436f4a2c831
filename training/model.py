"""The emotion network in Keras: a compact VGG-style CNN sized for CPU training and serving.

Four stages of two 3x3 conv + BatchNorm + ReLU, each halving the resolution
(48 -> 24 -> 12 -> 6 -> 3), then a small dense head. Faces are aligned and
framed alike (see app.vision.preprocess), so the head keeps the 3x3 spatial
layout (flatten, not global pooling): where a feature fires -- mouth or brow --
matters. About 1.8 M parameters and 0.14 GMAC per face at width 32.

``serving_model`` wraps the trained network into what ships: the face and its
mirror image both go through the network, each softmax is tempered by the
calibration temperature, and the two are averaged. Baking flip averaging and
calibration into the exported graph means the server, the evaluator and the
benchmarks all get them without a second copy.
"""
from __future__ import annotations

import keras
from keras import layers, ops

from app.vision.preprocess import EMOTIONS, INPUT_SHAPE


def conv_block(x, filters: int, name: str):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, kernel_initializer="he_normal",
                      name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def build_emotion_net(width: int = 32, hidden: int = 256, dropout: float = 0.5) -> keras.Model:
    """(N, 48, 48, 1) normalised faces -> (N, 7) logits.

    Weight decay is the optimizer's (training.train), not a loss term, so the
    architecture carries no training-only settings into the exported file.
    """
    faces = keras.Input(INPUT_SHAPE, name="faces")
    x = faces
    for stage in range(4):
        filters = width * 2**stage
        x = conv_block(x, filters, f"stage{stage + 1}a")
        x = conv_block(x, filters, f"stage{stage + 1}b")
        x = layers.MaxPooling2D(2, name=f"stage{stage + 1}_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(dropout / 2, name="dropout_features")(x)
    x = layers.Dense(hidden, activation="relu", name="hidden")(x)
    x = layers.Dropout(dropout, name="dropout_hidden")(x)
    # float32 logits even under a bfloat16 policy: softmax and the loss need the range.
    logits = layers.Dense(len(EMOTIONS), dtype="float32", name="logits")(x)
    return keras.Model(faces, logits, name="emotion_net")


@keras.saving.register_keras_serializable(package="moodlens")
class MirrorAveragedSoftmax(layers.Layer):
    """Runs ``net`` on the face and its mirror image; averages the tempered softmaxes."""

    def __init__(self, net: keras.Model, temperature: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.net = net
        self.temperature = float(temperature)

    def call(self, faces):
        mirrored = ops.flip(faces, axis=2)  # axis 2 is the width in NHWC
        both = self.net(ops.concatenate([faces, mirrored], axis=0), training=False)
        probabilities = ops.softmax(ops.cast(both, "float32") / self.temperature, axis=-1)
        half = ops.shape(faces)[0]
        return (probabilities[:half] + probabilities[half:]) / 2

    def get_config(self):
        return {**super().get_config(), "net": keras.saving.serialize_keras_object(self.net),
                "temperature": self.temperature}

    @classmethod
    def from_config(cls, config):
        config["net"] = keras.saving.deserialize_keras_object(config["net"])
        return cls(**config)


def serving_model(net: keras.Model, temperature: float = 1.0) -> keras.Model:
    """(N, 48, 48, 1) faces -> (N, 7) calibrated probabilities, flip-averaged: what ships."""
    faces = keras.Input(INPUT_SHAPE, name="faces", dtype="float32")
    probabilities = MirrorAveragedSoftmax(net, temperature, name="probabilities")(faces)
    return keras.Model(faces, probabilities, name="emotion_serving")

"""The emotion network in Keras: a compact VGG-style CNN sized for CPU training and serving.

Four stages of two 3x3 conv + BatchNorm + ReLU, each halving the resolution
(48 -> 24 -> 12 -> 6 -> 3), then a small dense head. Faces are aligned and
framed alike (see app.vision.preprocess), so the head keeps the 3x3 spatial
layout (flatten, not global pooling): where a feature fires -- mouth or brow --
matters. About 1.8 M parameters and 0.14 GMAC per face at width 32.

``serving_model`` wraps trained networks into what ships: each network's
logits are divided by the calibration temperature and shifted by the class
bias (training.calibration) before the softmax, and the results are
averaged, over several networks (an ensemble) and/or over the face and its
mirror image. Baking the averaging and the calibration into the exported graph
means the server, the evaluator and the benchmarks all get them without a
second copy.
"""
from __future__ import annotations

import keras
from keras import layers, ops

from app.vision.preprocess import EMOTIONS, INPUT_SHAPE


# Initial weight scales. "fan_in_uniform" draws every kernel from U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
# the scale the former network was trained from. It matters even behind BatchNorm: a convolution
# followed by BatchNorm is blind to its kernel's scale, so the step SGD takes changes its direction
# by about lr / |w|^2 -- kernels drawn 2.4x larger ("he", He-normal) learn about 6x more slowly.
# Measured in models/README.md (the recipe ablation).
# Each entry gives (convolution, dense) initializers; a fresh object per layer, since one
# seeded initializer object called twice draws the same values twice.
INITIALIZERS = {
    "fan_in_uniform": (lambda: keras.initializers.VarianceScaling(1 / 3, "fan_in", "uniform"),) * 2,
    "he": (lambda: "he_normal", lambda: "glorot_uniform"),
}


def conv_block(x, filters: int, name: str, bn_epsilon: float, bn_momentum: float, initializer):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, kernel_initializer=initializer,
                      name=f"{name}_conv")(x)
    x = layers.BatchNormalization(epsilon=bn_epsilon, momentum=bn_momentum, name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def build_emotion_net(width: int = 32, hidden: int = 256, dropout: float = 0.5, bn_epsilon: float = 1e-3,
                      name: str = "emotion_net", init: str = "fan_in_uniform", bn_momentum: float = 0.9) -> keras.Model:
    """(N, 48, 48, 1) normalised faces -> (N, 7) logits.

    ``bn_momentum`` is how much of BatchNorm's running statistics each training step keeps.
    Keras's default, 0.99, averages over the last hundred-odd steps; while one-cycle SGD moves
    the weights fast, that average describes weights long gone, and the network scored with it
    (every held-aside evaluation, and what is exported) guesses the majority class after its
    first epoch. 0.9 follows the weights (models/README.md, the recipe ablation).

    Weight decay is the optimizer's (training.train), not a loss term, so the
    architecture carries no training-only settings into the exported file.
    """
    conv_init, dense_init = INITIALIZERS[init]
    faces = keras.Input(INPUT_SHAPE, name="faces")
    x = faces
    for stage in range(4):
        filters = width * 2**stage
        x = conv_block(x, filters, f"stage{stage + 1}a", bn_epsilon, bn_momentum, conv_init())
        x = conv_block(x, filters, f"stage{stage + 1}b", bn_epsilon, bn_momentum, conv_init())
        x = layers.MaxPooling2D(2, name=f"stage{stage + 1}_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(dropout / 2, name="dropout_features")(x)
    x = layers.Dense(hidden, activation="relu", kernel_initializer=dense_init(), name="hidden")(x)
    x = layers.Dropout(dropout, name="dropout_hidden")(x)
    # float32 logits even under a bfloat16 policy: softmax and the loss need the range.
    logits = layers.Dense(len(EMOTIONS), dtype="float32", kernel_initializer=dense_init(), name="logits")(x)
    return keras.Model(faces, logits, name=name)


@keras.saving.register_keras_serializable(package="moodlens")
class AveragedSoftmax(layers.Layer):
    """Runs each network (and, with ``mirror``, each on the mirror image too) and averages the
    softmaxes of their logits divided by the calibration temperature."""

    def __init__(self, nets: list[keras.Model], temperature: float = 1.0, mirror: bool = True,
                 class_bias: list[float] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.nets = list(nets)
        self.temperature = float(temperature)
        self.mirror = bool(mirror)
        self.class_bias = [float(b) for b in class_bias] if class_bias is not None else [0.0] * len(EMOTIONS)

    def call(self, faces):
        views = ops.concatenate([faces, ops.flip(faces, axis=2)], axis=0) if self.mirror else faces  # axis 2: width
        total = None
        bias = ops.convert_to_tensor(self.class_bias, dtype="float32")
        for net in self.nets:
            logits = ops.cast(net(views, training=False), "float32") / self.temperature + bias
            probabilities = ops.softmax(logits, axis=-1)
            if self.mirror:
                half = ops.shape(faces)[0]
                probabilities = (probabilities[:half] + probabilities[half:]) / 2
            total = probabilities if total is None else total + probabilities
        return total / len(self.nets)

    def get_config(self):
        return {**super().get_config(), "nets": [keras.saving.serialize_keras_object(n) for n in self.nets],
                "temperature": self.temperature, "mirror": self.mirror, "class_bias": self.class_bias}

    @classmethod
    def from_config(cls, config):
        config["nets"] = [keras.saving.deserialize_keras_object(n) for n in config["nets"]]
        return cls(**config)


def serving_model(nets: keras.Model | list[keras.Model], temperature: float = 1.0, mirror: bool = True,
                  class_bias: list[float] | None = None) -> keras.Model:
    """(N, 48, 48, 1) faces -> (N, 7) calibrated probabilities averaged over ``nets``: what ships."""
    nets = [nets] if isinstance(nets, keras.Model) else nets
    faces = keras.Input(INPUT_SHAPE, name="faces", dtype="float32")
    probabilities = AveragedSoftmax(nets, temperature, mirror, class_bias, name="probabilities")(faces)
    return keras.Model(faces, probabilities, name="emotion_serving")

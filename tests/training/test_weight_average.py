"""The weight average is scored with BatchNorm statistics that fit it."""
import keras
import numpy as np

from training.model import build_emotion_net
from training.train import WeightAverage, refresh_batchnorm, weight_average_statistics_faces


def first_norm_input(net, faces):
    conv = keras.Model(net.input, net.get_layer("stage1a_conv").output)
    return conv(faces[..., None]).numpy()


def test_refreshed_statistics_are_those_of_the_faces_for_the_current_weights():
    keras.mixed_precision.set_global_policy("float32")
    net = build_emotion_net(width=4, hidden=8)
    faces = np.random.default_rng(0).normal(size=(600, 48, 48)).astype(np.float32)
    norm = net.get_layer("stage1a_bn")
    norm.moving_mean.assign(np.full(4, 5.0, np.float32))  # statistics of some other network
    refresh_batchnorm(net, faces, batch_size=200)
    activations = first_norm_input(net, faces)
    np.testing.assert_allclose(norm.moving_mean.numpy(), activations.mean(axis=(0, 1, 2)), atol=1e-4)
    assert norm.momentum == 0.9  # put back for training


def test_the_average_is_applied_with_fresh_statistics_and_taken_away_after():
    keras.mixed_precision.set_global_policy("float32")
    net = build_emotion_net(width=4, hidden=8)
    faces = np.random.default_rng(1).normal(size=(256, 48, 48)).astype(np.float32)
    average = WeightAverage(0.9)
    average.average = [keras.Variable(w.numpy() * 0.5) for w in net.weights]
    before = [w.numpy().copy() for w in net.weights]
    kernel = net.get_layer("stage1a_conv").kernel
    with average.applied(net, faces):
        np.testing.assert_allclose(kernel.numpy(), before[0] * 0.5)
        mean = net.get_layer("stage1a_bn").moving_mean.numpy()
        np.testing.assert_allclose(mean, first_norm_input(net, faces).mean(axis=(0, 1, 2)), atol=1e-4)
    for weight, value in zip(net.weights, before):
        np.testing.assert_array_equal(weight.numpy(), value)


def test_the_average_is_measured_on_faces_augmented_as_in_training():
    faces = np.random.default_rng(2).normal(size=(600, 48, 48)).astype(np.float32)
    sample = weight_average_statistics_faces(faces, seed=3, count=300)
    assert sample.shape == (300, 48, 48)
    np.testing.assert_array_equal(sample, weight_average_statistics_faces(faces, seed=3, count=300))
    # Every sampled face is one of the training faces, changed by the augmentation.
    picked = faces[np.random.default_rng(3).permutation(600)[:300]]
    assert not np.allclose(sample, picked)
    assert np.abs(sample - picked).mean() > 0.1

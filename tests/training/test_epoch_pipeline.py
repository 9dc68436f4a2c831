"""The trainer's input pipeline and held-aside scoring avoid tf.data's autotuner without changing
what the network sees or what it is scored on.

Why the autotuner is off: ``training.train.without_autotuning`` (the idle wait it caused at
the end of an epoch is in the model card, "Started again on machine I").
"""
import types

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")


def synthetic_epoch_inputs(faces: int = 300):
    rng = np.random.default_rng(0)
    return (tf.constant(rng.random((faces, 48, 48), dtype=np.float32)),
            tf.constant(rng.random((faces, 7), dtype=np.float32)),
            tf.constant(rng.random(faces, dtype=np.float32)))


def test_epoch_batches_are_those_of_the_autotuned_pipeline():
    from training.train import epoch_dataset

    recipe = types.SimpleNamespace(seed=5, batch_size=64, mixup=0.0)
    dataset = epoch_dataset(*synthetic_epoch_inputs(), 3, recipe)
    assert dataset.options().autotune.enabled is False
    autotuned = tf.data.Options()
    autotuned.autotune.enabled = True
    ours, theirs = list(dataset), list(dataset.with_options(autotuned))
    assert len(ours) == len(theirs) == 5  # 300 faces in batches of 64
    for batch, reference in zip(ours, theirs):
        for part, reference_part in zip(batch, reference):
            np.testing.assert_array_equal(part.numpy(), reference_part.numpy())


def test_another_epoch_gets_another_order():
    from training.train import epoch_dataset

    recipe = types.SimpleNamespace(seed=5, batch_size=64, mixup=0.0)
    first = next(iter(epoch_dataset(*synthetic_epoch_inputs(), 1, recipe)))
    second = next(iter(epoch_dataset(*synthetic_epoch_inputs(), 2, recipe)))
    assert not np.array_equal(first[1].numpy(), second[1].numpy())


def test_held_aside_probabilities_equal_keras_predict():
    from training.model import build_emotion_net
    from training.train import mirrored_probabilities

    net = build_emotion_net(width=8)
    faces = np.random.default_rng(1).random((37, 48, 48), dtype=np.float32)  # not a whole batch
    probabilities = mirrored_probabilities(net, faces, batch_size=16)
    views = (faces[..., None], faces[..., None][:, :, ::-1])
    expected = sum(tf.nn.softmax(net.predict(view, batch_size=16, verbose=0)).numpy() for view in views) / 2
    assert probabilities.shape == (37, 7)
    np.testing.assert_allclose(probabilities, expected, rtol=1e-5, atol=1e-6)

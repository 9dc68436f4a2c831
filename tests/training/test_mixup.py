"""Mixup in the trainer's input pipeline: every training face is a blend of two faces of its
batch, and its target and loss weight are the same blend."""
import types

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")


def batch_of(faces: int = 64):
    rng = np.random.default_rng(3)
    targets = rng.random((faces, 7)).astype(np.float32)
    return (tf.constant(rng.normal(size=(faces, 48, 48, 1)).astype(np.float32)),
            tf.constant(targets / targets.sum(axis=1, keepdims=True)),
            tf.constant(rng.random(faces).astype(np.float32) + 0.5))


def test_alpha_zero_leaves_the_batch_as_it_is():
    from training.augment import mix_batch

    faces, targets, weights = batch_of()
    mixed = mix_batch(faces, targets, weights, tf.constant([1, 2], tf.int64), 0.0)
    for part, original in zip(mixed, (faces, targets, weights)):
        np.testing.assert_array_equal(part.numpy(), original.numpy())


def test_faces_targets_and_weights_share_one_blend_per_face():
    from training.augment import mix_batch

    faces, targets, weights = batch_of()
    mixed_faces, mixed_targets, mixed_weights = (
        part.numpy() for part in mix_batch(faces, targets, weights, tf.constant([1, 2], tf.int64), 0.4))
    faces, targets, weights = faces.numpy(), targets.numpy(), weights.numpy()
    partner = np.arange(len(faces))[::-1]
    # Recover each face's share from one pixel, then check everything else against it.
    share = ((mixed_faces[:, 0, 0, 0] - faces[partner, 0, 0, 0])
             / (faces[:, 0, 0, 0] - faces[partner, 0, 0, 0]))
    assert np.all((share >= -1e-4) & (share <= 1 + 1e-4))
    assert 0.05 < np.mean(np.minimum(share, 1 - share)) < 0.45  # blends, not copies
    expected_faces = share[:, None, None, None] * faces + (1 - share[:, None, None, None]) * faces[partner]
    np.testing.assert_allclose(mixed_faces, expected_faces, atol=1e-3)
    np.testing.assert_allclose(mixed_targets, share[:, None] * targets + (1 - share[:, None]) * targets[partner],
                               atol=1e-3)
    np.testing.assert_allclose(mixed_targets.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(mixed_weights, share * weights + (1 - share) * weights[partner], atol=1e-3)


def test_the_same_seed_gives_the_same_blend_and_another_seed_another():
    from training.augment import mix_batch

    batch = batch_of()
    first = mix_batch(*batch, tf.constant([1, 2], tf.int64), 0.4)[1].numpy()
    again = mix_batch(*batch, tf.constant([1, 2], tf.int64), 0.4)[1].numpy()
    other = mix_batch(*batch, tf.constant([1, 3], tf.int64), 0.4)[1].numpy()
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


def test_the_epoch_pipeline_blends_when_asked_and_not_otherwise():
    from training.train import epoch_dataset

    rng = np.random.default_rng(0)
    inputs = (tf.constant(rng.random((200, 48, 48), dtype=np.float32)),
              tf.constant(np.eye(7, dtype=np.float32)[rng.integers(0, 7, 200)]),
              tf.constant(np.ones(200, np.float32)))
    plain = next(iter(epoch_dataset(*inputs, 1, types.SimpleNamespace(seed=5, batch_size=64, mixup=0.0))))
    mixed = next(iter(epoch_dataset(*inputs, 1, types.SimpleNamespace(seed=5, batch_size=64, mixup=0.4))))
    assert np.all(plain[1].numpy().max(axis=1) == 1.0)  # one-hot targets pass through untouched
    assert np.mean(mixed[1].numpy().max(axis=1) < 0.99) > 0.5  # most targets are now blends
    np.testing.assert_allclose(mixed[1].numpy().sum(axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("alpha", ["-0.1", "nan", "inf"])
def test_an_alpha_that_is_not_a_share_parameter_is_refused(alpha):
    from training.train import parse_args

    with pytest.raises(SystemExit):
        parse_args(["--data", "x.npz", "--mixup", alpha])
    assert parse_args(["--data", "x.npz", "--mixup", "0.2"]).mixup == 0.2

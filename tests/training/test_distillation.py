"""Distillation: one network learns from the probabilities of the shipped ensemble.

The teacher's probabilities must be exactly what the served graph computes before its
calibration (every member on the face and its mirror, softmax averaged), and the mixed
target must stay a probability distribution, or the student learns something else.
"""
import json

import numpy as np
import pytest

from app.vision.classifier import MODELS_DIR, SERVING_SPEC_PATH
from app.vision.preprocess import prepare_face
from tests.faces import astronaut_bgr, cameraman_bgr, group_photo


@pytest.fixture(scope="module")
def photo_faces() -> np.ndarray:
    """Whole photos squeezed to 48x48 by the shared preprocessing, and their mirrors."""
    faces = [prepare_face(photo) for photo in (astronaut_bgr(), cameraman_bgr(), group_photo())]
    faces += [np.flip(face, axis=1) for face in faces]
    return np.stack(faces).astype(np.float32)


def member_specs() -> list[str]:
    members = json.loads(SERVING_SPEC_PATH.read_text())["members"]
    return [f"{MODELS_DIR / m['weights']}:{m['bn_epsilon']}" for m in members]


def test_teacher_probabilities_are_the_served_ensemble_before_calibration(photo_faces):
    from training.export import load_net, parse_member
    from training.model import serving_model
    from training.train import teacher_probabilities

    taught = teacher_probabilities(member_specs(), photo_faces)
    nets = [load_net(path, bn_epsilon=epsilon) for path, epsilon in map(parse_member, member_specs())]
    served = serving_model(nets, temperature=1.0, mirror=True).predict(photo_faces[..., None], verbose=0)
    np.testing.assert_allclose(taught, served, atol=1e-5)
    np.testing.assert_allclose(taught.sum(axis=1), 1.0, atol=1e-5)


def test_distilled_targets_mix_labels_and_teacher_by_the_weight():
    from training.train import distilled_targets

    labels = np.eye(7, dtype=np.float32)[[3, 0, 6]]
    teacher = np.random.default_rng(0).dirichlet(np.ones(7), size=3).astype(np.float32)
    np.testing.assert_allclose(distilled_targets(labels, teacher, 0.0), labels)
    np.testing.assert_allclose(distilled_targets(labels, teacher, 1.0), teacher, rtol=1e-6)
    mixed = distilled_targets(labels, teacher, 0.25)
    np.testing.assert_allclose(mixed, 0.75 * labels + 0.25 * teacher, rtol=1e-6)
    np.testing.assert_allclose(mixed.sum(axis=1), 1.0, atol=1e-6)


@pytest.mark.parametrize("weight", ["-0.1", "1.5", "half"])
def test_a_teacher_weight_outside_zero_to_one_is_refused(weight, capsys):
    from training.train import parse_args

    with pytest.raises(SystemExit) as stopped:
        parse_args(["--data", "x.npz", "--teacher", "t.weights.h5", "--teacher-weight", weight])
    assert stopped.value.code == 2
    assert "--teacher-weight" in capsys.readouterr().err

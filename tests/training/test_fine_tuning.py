"""Fine-tuning: a run can start from a trained network's weights and keep a constant rate.

A weight average taken while a trained network keeps learning at a constant rate is a known way
to try for a better network without training again from scratch (stochastic weight averaging;
the trainer's ``--init-weights`` and ``--schedule constant``; models/README.md has the run made
here, which did not beat the served network). These runs use a few hundred synthetic faces, so they need no data
set and check only the plumbing: which weights the run starts from and which rate it uses.
"""
import csv

import numpy as np
import pytest


@pytest.fixture
def tiny_dataset(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "tiny.npz"
    labels = np.arange(280) % 7
    np.savez(path, images=rng.integers(0, 256, (280, 48, 48), dtype=np.uint8), labels=labels,
             usage=np.full(280, "Training"))
    return path


@pytest.fixture
def trained_weights(tmp_path):
    """A network whose weights no seeded initialisation gives: every kernel set to a constant."""
    from training.model import build_emotion_net

    net = build_emotion_net()
    for weight in net.weights:
        if "kernel" in weight.path:
            weight.assign(np.full(weight.shape, 0.01, np.float32))
    path = tmp_path / "trained.weights.h5"
    net.save_weights(path)
    return path


def kernels(path) -> list[np.ndarray]:
    from training.model import build_emotion_net

    net = build_emotion_net()
    net.load_weights(path)
    return [w.numpy() for w in net.weights if "kernel" in w.path]


def run(dataset, out, *extra):
    from training.train import main

    assert main(["--data", str(dataset), "--out", str(out), "--epochs", "1", "--float32", "--no-export",
                 "--batch-size", "64", *extra]) == 0
    with open(out / "history.csv", newline="") as history:
        return list(csv.DictReader(history))


def test_a_run_starts_from_the_given_weights(tiny_dataset, trained_weights, tmp_path):
    # A zero rate moves no kernel, so what the run keeps is what it started from.
    given = kernels(trained_weights)
    run(tiny_dataset, tmp_path / "tuned", "--init-weights", str(trained_weights), "--schedule", "constant", "--lr", "0")
    for kept, start in zip(kernels(tmp_path / "tuned" / "best.weights.h5"), given):
        np.testing.assert_array_equal(kept, start)
    run(tiny_dataset, tmp_path / "fresh", "--schedule", "constant", "--lr", "0")
    fresh = kernels(tmp_path / "fresh" / "best.weights.h5")
    assert not np.array_equal(fresh[0], given[0])


def test_the_constant_schedule_keeps_the_rate_and_one_cycle_does_not(tiny_dataset, tmp_path):
    constant = run(tiny_dataset, tmp_path / "constant", "--schedule", "constant", "--lr", "0.003")
    assert float(constant[-1]["lr"]) == pytest.approx(0.003)
    one_cycle = run(tiny_dataset, tmp_path / "one_cycle", "--lr", "0.003")
    assert float(one_cycle[-1]["lr"]) < 0.0001  # the end of a one-cycle schedule


def test_a_missing_weights_file_is_refused(tiny_dataset, tmp_path):
    from training.train import parse_args

    with pytest.raises(SystemExit) as stopped:
        parse_args(["--data", str(tiny_dataset), "--init-weights", str(tmp_path / "nowhere.weights.h5")])
    assert stopped.value.code == 2


def test_weights_of_another_network_shape_are_refused_with_a_message(tiny_dataset, tmp_path, capsys):
    from training.model import build_emotion_net
    from training.train import main

    wider = tmp_path / "wider.weights.h5"
    build_emotion_net(width=48).save_weights(wider)
    with pytest.raises(SystemExit) as stopped:
        main(["--data", str(tiny_dataset), "--out", str(tmp_path / "out"), "--epochs", "1", "--float32",
              "--no-export", "--init-weights", str(wider)])
    assert "--init-weights" in str(stopped.value.code) and "--width" in str(stopped.value.code)

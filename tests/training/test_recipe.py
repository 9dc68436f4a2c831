"""The training recipe learns: a short run on a slice of FER2013 must beat guessing.

Runs where ../shared/data is present (CI) and skips elsewhere. It guards the recipe as a
whole (initialisation, weight decay, loss, BatchNorm statistics, schedule, data pipeline).
The same run is the first two rows of ``python -m training.ablation --limit 8000 --epochs 8``:
measured there, today's recipe reaches 33.5 % on the held-aside faces and the recipe before
the fix stays at the most frequent class's share (25.5 %), every face called happy; every
variant of the old recipe stayed within half a point of that share (25.2-25.6 %).

The same seed gives a different figure on another machine (30.9 % on a later machine: oneDNN's
kernels are not bit-reproducible across CPUs), so the bar sits three points above guessing:
far above where the old recipe stays, and below what today's recipe reached on both machines.
"""
import csv

import numpy as np
import pytest

from tests.faces import FER_NPZ

pytestmark = pytest.mark.skipif(not FER_NPZ.exists(), reason="FER2013 data not present at ../shared/data")
MARGIN_OVER_GUESSING = 0.03


def test_a_thousand_steps_learn_well_above_the_majority_class(tmp_path):
    from training.train import main

    out = tmp_path / "run"
    assert main(["--data", str(FER_NPZ), "--out", str(out), "--limit", "8000", "--epochs", "8",
                 "--batch-size", "64", "--width", "16", "--float32", "--no-export", "--seed", "3"]) == 0
    with open(out / "history.csv", newline="") as handle:
        history = list(csv.DictReader(handle))
    assert len(history) == 8  # 125 steps an epoch
    labels = np.load(FER_NPZ)["labels"]
    majority_share = np.bincount(labels).max() / len(labels)  # happy, 25.1 %
    # Scored on the held-aside faces, which the run never trains on.
    best = max(float(row["held_fer2013"]) for row in history)
    assert best > majority_share + MARGIN_OVER_GUESSING, f"held-aside accuracy {best:.3f}; guessing 'happy' scores {majority_share:.3f}"

"""Long runs score the held-aside faces only where the kept network can come from.

Scoring took 15-72 s an epoch on the 2-core machines measured (a fifth to three quarters of the
steps' time), so ``--score-from`` skips it early in a schedule, where no run so far kept its
network, while the history still shows how the run is going.
"""
import math

from training.train import history_scores, is_scored_epoch


def test_every_epoch_is_scored_by_default():
    assert all(is_scored_epoch(epoch, last_epoch=50, score_from=1) for epoch in range(1, 51))


def test_before_score_from_only_every_tenth_epoch_and_the_last_are_scored():
    scored = [epoch for epoch in range(1, 61) if is_scored_epoch(epoch, last_epoch=60, score_from=51)]
    assert scored == [10, 20, 30, 40, *range(50, 61)]
    # A schedule that ends before score_from still scores its last epoch, so a network is kept.
    assert is_scored_epoch(7, last_epoch=7, score_from=51)


def test_an_unscored_epoch_leaves_its_history_columns_empty():
    unscored = dict.fromkeys(("fer2013", "ferplus", "macro_f1", "score"), math.nan)
    assert set(history_scores(unscored, "_ema").values()) == {""}
    scored = history_scores({"fer2013": 0.7, "ferplus": 0.76, "macro_f1": 0.675, "score": 0.71}, "")
    assert scored == {"held_fer2013": "0.7000", "held_ferplus": "0.7600", "held_macro_f1": "0.6750",
                      "held_score": "0.7100"}

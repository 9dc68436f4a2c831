"""When is the model unsure of a face? One rule, shared by pages, API and webcam.

The scores the served model returns are calibrated (temperature scaling fitted
on faces held aside from training; see models/README.md), so a confidence of
0.6 means the top label is right about 60 % of the time. A face is marked
*uncertain* when its top score is below ``MIN_CONFIDENCE`` or the runner-up
is within ``MIN_MARGIN`` of it: on held-aside faces such answers are right
well under two times in three.
"""
from __future__ import annotations

from collections.abc import Mapping

MIN_CONFIDENCE = 0.5
MIN_MARGIN = 0.15

UNCERTAIN_RULE = (f"A face is marked uncertain when the top emotion's confidence is below "
                  f"{MIN_CONFIDENCE:.0%} or the second emotion is within {MIN_MARGIN * 100:.0f} "
                  f"percentage points of it.")


def is_uncertain(scores: Mapping[str, float]) -> bool:
    """``scores``: the seven emotion probabilities of one face."""
    ranked = sorted(scores.values(), reverse=True)
    if not ranked:
        return True
    runner_up = ranked[1] if len(ranked) > 1 else 0.0
    return ranked[0] < MIN_CONFIDENCE or ranked[0] - runner_up < MIN_MARGIN

"""Quality of the bundled model on PublicTest; runs where ../shared/data is present (CI), skips elsewhere.

The figures are those of models/README.md and models/model_card.json (the About page): the
evaluation must reproduce them, so what users are told is what the bundled model does.
"""
import json
import subprocess
import sys

import pytest

from app.about.model_card import MODEL_CARD_PATH
from tests.faces import FER_NPZ, SHARED_DATA

FERPLUS_VOTES = SHARED_DATA / "ferplus_votes_trainval.npz"
pytestmark = pytest.mark.skipif(not (FER_NPZ.exists() and FERPLUS_VOTES.exists()),
                                reason="FER2013 data and FER+ votes not present at ../shared/data")


@pytest.fixture(scope="module")
def evaluation(tmp_path_factory):
    out = tmp_path_factory.mktemp("eval")
    result = subprocess.run([sys.executable, "-m", "training.evaluate", "--data", str(FER_NPZ), "--votes",
                             str(FERPLUS_VOTES), "--split", "PublicTest", "--json", str(out / "eval.json"),
                             "--card", str(out / "card.json"), "--calibration", "models/serving.json"],
                            capture_output=True, text=True, check=True)
    return out, result.stdout


def test_report_covers_both_label_sets_and_calibration(evaluation):
    out, stdout = evaluation
    report = json.loads((out / "eval.json").read_text())
    assert report["n"] == 3589
    assert f"accuracy {report['accuracy']:.4f}" in stdout
    assert set(report["per_class"]) == {"angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"}
    assert sum(map(sum, report["confusion_matrix"])) == 3589
    ferplus = report["ferplus"]
    assert ferplus["n"] + ferplus["left_out"] == 3589 and ferplus["left_out"] < 300
    assert sum(b["count"] for b in report["calibration"]["bins"]) == 3589
    assert (out / "confusion_PublicTest.png").stat().st_size > 10_000
    assert (out / "reliability_PublicTest.png").stat().st_size > 10_000
    assert "| disgust |" in (out / "report.md").read_text()


def test_bundled_model_card_is_what_the_evaluation_measures(evaluation):
    out, _ = evaluation
    measured, bundled = json.loads((out / "card.json").read_text()), json.loads(MODEL_CARD_PATH.read_text())
    for labels in ("fer2013", "ferplus"):
        for key in ("accuracy", "macro_f1", "ece"):
            assert measured[labels][key] == pytest.approx(bundled[labels][key], abs=5e-4), (labels, key)
    assert measured["temperature"] == pytest.approx(bundled["temperature"])


def test_bundled_model_quality_floor(evaluation):
    """Floors just under the bundled model's measured figures: a new model must not ship below them."""
    report = json.loads((evaluation[0] / "card.json").read_text())
    assert report["fer2013"]["accuracy"] >= 0.68
    assert report["fer2013"]["macro_f1"] >= 0.665
    assert report["ferplus"]["accuracy"] >= 0.75
    assert report["ece"] <= 0.035


def test_bundled_model_says_every_emotion(evaluation):
    """Fear and disgust included: each class is recalled on at least the card's floor of its faces."""
    report = json.loads((evaluation[0] / "card.json").read_text())
    recalls = {emotion: scores["recall"] for emotion, scores in report["fer2013"]["per_class"].items()}
    assert min(recalls.values()) >= 0.45, recalls

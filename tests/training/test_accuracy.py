"""Accuracy of the bundled model on PublicTest; runs where ../shared/data is present (CI), skips elsewhere."""
import json
import subprocess
import sys

import pytest

from tests.faces import FER_NPZ

pytestmark = pytest.mark.skipif(not FER_NPZ.exists(), reason="FER2013 data not present at ../shared/data")

# The model card's claim; the bundled model must keep it.
MIN_PUBLIC_TEST_ACCURACY = 0.67


def test_bundled_model_accuracy_on_public_test(tmp_path):
    out = tmp_path / "eval.json"
    result = subprocess.run([sys.executable, "-m", "training.evaluate", "--data", str(FER_NPZ),
                             "--split", "PublicTest", "--json", str(out)], capture_output=True, text=True, check=True)
    report = json.loads(out.read_text())
    assert report["n"] == 3589
    assert report["accuracy"] >= MIN_PUBLIC_TEST_ACCURACY, result.stdout
    assert f"accuracy {report['accuracy']:.4f}" in result.stdout
    assert set(report["per_class"]) == {"angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"}
    assert sum(map(sum, report["confusion_matrix"])) == 3589
    assert (tmp_path / "confusion_PublicTest.png").stat().st_size > 10_000
    assert "| disgust |" in (tmp_path / "report.md").read_text()

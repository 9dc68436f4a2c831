"""The training package asks TensorFlow for its oneDNN kernels on every CPU, not only the newest.

Checked in a fresh interpreter, since TensorFlow reads the setting once, when it is first imported.
"""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRINT_SETTING = "import training, os; print(os.environ['TF_ENABLE_ONEDNN_OPTS'])"


def setting_seen_by_training(**env) -> str:
    clean = {key: value for key, value in os.environ.items() if key != "TF_ENABLE_ONEDNN_OPTS"}
    done = subprocess.run([sys.executable, "-c", PRINT_SETTING], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_onednn_is_on_by_default():
    assert setting_seen_by_training() == "1"


def test_an_explicit_choice_is_kept():
    assert setting_seen_by_training(TF_ENABLE_ONEDNN_OPTS="0") == "0"

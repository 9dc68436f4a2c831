"""Classification metrics in plain numpy (shared by training and evaluation)."""
from __future__ import annotations

import numpy as np

from app.vision.preprocess import EMOTIONS


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, n_classes: int = len(EMOTIONS)) -> np.ndarray:
    """Rows are true classes, columns predicted classes."""
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (labels, predictions), 1)
    return matrix


def classification_report(labels: np.ndarray, predictions: np.ndarray) -> dict:
    matrix = confusion_matrix(labels, predictions)
    true_positive = np.diag(matrix).astype(float)
    support = matrix.sum(axis=1)
    predicted = matrix.sum(axis=0)
    precision = np.divide(true_positive, predicted, out=np.zeros_like(true_positive), where=predicted > 0)
    recall = np.divide(true_positive, support, out=np.zeros_like(true_positive), where=support > 0)
    denominator = precision + recall
    f1 = np.divide(2 * precision * recall, denominator, out=np.zeros_like(true_positive), where=denominator > 0)
    present = support > 0  # macro-F1 over the classes the split actually has
    return {
        "n": int(len(labels)),
        "accuracy": float(true_positive.sum() / max(len(labels), 1)),
        "macro_f1": float(f1[present].mean()) if present.any() else 0.0,
        "per_class": {
            name: {"precision": float(precision[i]), "recall": float(recall[i]),
                   "f1": float(f1[i]), "support": int(support[i])}
            for i, name in enumerate(EMOTIONS)
        },
        "confusion_matrix": matrix.tolist(),
    }


def selection_score(probabilities: np.ndarray, labels: np.ndarray, ferplus_majority: np.ndarray | None) -> dict:
    """The model-selection rule: mean of FER2013 accuracy and FER+ majority accuracy.

    Faces without a FER+ majority (``ferplus_majority < 0``) are left out of the
    second term; without votes the score is the FER2013 accuracy alone.
    """
    predictions = probabilities.argmax(axis=1)
    fer2013 = float((predictions == labels).mean()) if len(labels) else 0.0
    if ferplus_majority is None:
        return {"fer2013": fer2013, "ferplus": float("nan"), "score": fer2013}
    judged = ferplus_majority >= 0
    ferplus = float((predictions[judged] == ferplus_majority[judged]).mean()) if judged.any() else 0.0
    return {"fer2013": fer2013, "ferplus": ferplus, "score": (fer2013 + ferplus) / 2}

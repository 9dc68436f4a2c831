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


RECALL_FLOOR = 0.45


def selection_score(probabilities: np.ndarray, labels: np.ndarray, ferplus_majority: np.ndarray | None,
                    recall_floor: float = 0.0) -> dict:
    """The model-selection rule: the mean of FER2013 accuracy, FER+ majority accuracy and FER2013
    macro-F1 on the held-aside faces (``rule``).

    Macro-F1 weighs the seven classes alike, so a network that gives up fear and disgust (rare in
    FER2013, rarer still in the FER+ majority) to gain accuracy on the common ones is not chosen.
    Faces without a FER+ majority (``ferplus_majority < 0``) are left out of the second term;
    without votes the rule is the mean of FER2013 accuracy and macro-F1.

    ``score`` is what candidates are ranked by. With a ``recall_floor``, every class must be
    recognised on at least that share of its faces: a candidate that meets the floor scores its
    rule; one that does not scores its lowest recall minus one, so it ranks below every candidate
    that meets it, and among those that miss, the one nearest the floor ranks first. Macro-F1
    alone still lets a network almost never say fear when the FER+ term pays more for it.
    """
    predictions = probabilities.argmax(axis=1)
    fer2013 = float((predictions == labels).mean()) if len(labels) else 0.0
    report = classification_report(labels, predictions)
    macro_f1 = report["macro_f1"]
    lowest_recall = min((row["recall"] for row in report["per_class"].values() if row["support"]), default=0.0)
    if ferplus_majority is None:
        ferplus, rule = float("nan"), (fer2013 + macro_f1) / 2
    else:
        judged = ferplus_majority >= 0
        ferplus = float((predictions[judged] == ferplus_majority[judged]).mean()) if judged.any() else 0.0
        rule = (fer2013 + ferplus + macro_f1) / 3
    score = rule if lowest_recall >= recall_floor else lowest_recall - 1.0
    return {"fer2013": fer2013, "ferplus": ferplus, "macro_f1": macro_f1, "rule": rule,
            "lowest_recall": lowest_recall, "score": score}

"""Calibrated confidences: temperature scaling, class bias, expected calibration error, reliability diagram.

A network trained with cross-entropy tends to be over- or under-confident. One
temperature ``T`` divides its logits before the softmax; it is fitted on faces
held aside from training (never on a test split) by minimising the negative
log-likelihood of the FER2013 labels, and it changes no prediction (the top
class is the same at every T).

A network also learns how rare each class is, and says fear and disgust less
often than faces show them. A per-class bias ``-tau * log(class share)`` added
after the temperature (logit adjustment, Menon et al. 2021) evens that out;
``tau`` is chosen on the held-aside faces by the selection rule
(``training.metrics.selection_score``), which weighs every class through macro-F1 and, with a
recall floor, first asks that every class be recognised on a fair share of its faces.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

ECE_BINS = 15


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


BIAS_STRENGTHS = np.round(np.arange(0.0, 1.51, 0.1), 2)


def averaged_softmax(logit_sets: list[np.ndarray], temperature: float, class_bias=None) -> np.ndarray:
    """What the served graph computes: the softmax of each logit set (one per network and view)
    divided by the temperature, plus the class bias, averaged."""
    bias = 0.0 if class_bias is None else np.asarray(class_bias, dtype=np.float64)
    return sum(softmax(logits / temperature + bias) for logits in logit_sets) / len(logit_sets)


def class_bias(class_shares: np.ndarray, strength: float) -> np.ndarray:
    return -strength * np.log(np.clip(np.asarray(class_shares, dtype=np.float64), 1e-6, None))


def fit_class_bias(logit_sets: list[np.ndarray], temperature: float, class_shares: np.ndarray, score) -> tuple[float, dict]:
    """The bias strength in BIAS_STRENGTHS with the best ``score(probabilities)["score"]`` (ties: the
    weaker bias), and that score's report; the report's ``tried`` lists every strength's scores
    (the model card's table of how much the bias buys)."""
    best, tried = None, []
    for strength in BIAS_STRENGTHS:
        report = score(averaged_softmax(logit_sets, temperature, class_bias(class_shares, strength)))
        tried.append({"strength": float(strength), **report})
        if best is None or report["score"] > best[1]["score"] + 1e-9:
            best = (float(strength), report)
    return best[0], {**best[1], "tried": tried}



def fit_per_class_bias(logit_sets: list[np.ndarray], temperature: float, score,
                       grid=(-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0), rounds: int = 2) -> tuple[np.ndarray, dict]:
    """One bias per class, by coordinate ascent from zero: each class in turn takes the value in
    ``grid`` with the best ``score(probabilities)["score"]`` while the others stay; a change is kept
    only when it improves the score (so a tie keeps the bias nearer zero), ``rounds`` passes."""
    bias = np.zeros(logit_sets[0].shape[1])
    best = score(averaged_softmax(logit_sets, temperature, bias))
    for _ in range(rounds):
        for column in range(len(bias)):
            for value in grid:
                trial = bias.copy()
                trial[column] = value
                report = score(averaged_softmax(logit_sets, temperature, trial))
                if report["score"] > best["score"] + 1e-9:
                    bias, best = trial, report
    return bias, best


def fit_calibration(logit_sets: list[np.ndarray], labels: np.ndarray, score, class_shares=None,
                    per_class: bool = False) -> dict:
    """What the export fits on the held-aside faces: the temperature by NLL; with ``class_shares``
    (the training faces' class frequencies) also the class bias chosen by ``score`` (the
    selection rule), then the temperature again with the bias in place.

    The bias is one strength times the log class shares (logit adjustment), or with
    ``per_class`` one value per class (``fit_per_class_bias``): the log shares lift disgust most,
    while the class a network under-says may be another (fear, for networks trained with the
    FER+ votes). Returns temperature, class_bias (None without shares), bias_strength (None for
    a per-class bias) and the score's report for the chosen bias."""
    temperature = fit_temperature(logit_sets, labels)
    if class_shares is None:
        return {"temperature": temperature, "class_bias": None, "bias_strength": 0.0, "report": None}
    if per_class:
        bias, report = fit_per_class_bias(logit_sets, temperature, score)
        strength = None
    else:
        strength, report = fit_class_bias(logit_sets, temperature, class_shares, score)
        bias = class_bias(class_shares, strength)
    return {"temperature": fit_temperature(logit_sets, labels, bias), "class_bias": bias,
            "bias_strength": strength, "report": report}


def fit_temperature(logit_sets: list[np.ndarray], labels: np.ndarray, class_bias=None) -> float:
    """The T in [0.25, 5] with the lowest NLL, by golden-section search on log T (NLL is unimodal there)."""
    def nll(log_t: float) -> float:
        probabilities = averaged_softmax(logit_sets, float(np.exp(log_t)), class_bias)
        return float(-np.log(np.clip(probabilities[np.arange(len(labels)), labels], 1e-12, None)).mean())

    low, high = np.log(0.25), np.log(5.0)
    ratio = (np.sqrt(5) - 1) / 2
    a, b = high - ratio * (high - low), low + ratio * (high - low)
    for _ in range(60):
        if nll(a) < nll(b):
            high, b = b, a
            a = high - ratio * (high - low)
        else:
            low, a = a, b
            b = low + ratio * (high - low)
    return float(np.exp((low + high) / 2))


def reliability(probabilities: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS) -> dict:
    """Expected calibration error and the per-bin numbers behind a reliability diagram.

    Faces are binned by their top confidence in equal-width bins; ECE is the
    face-weighted mean gap between each bin's accuracy and its mean confidence.
    """
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    rows, ece = [], 0.0
    for index in range(bins):
        members = which == index
        count = int(members.sum())
        if count:
            accuracy, mean_confidence = float(correct[members].mean()), float(confidence[members].mean())
            ece += count / len(labels) * abs(accuracy - mean_confidence)
        else:
            accuracy = mean_confidence = None
        rows.append({"low": float(edges[index]), "high": float(edges[index + 1]), "count": count,
                     "accuracy": accuracy, "confidence": mean_confidence})
    return {"ece": float(ece), "bins": rows}


def plot_reliability(report: dict, title: str, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")  # files only; no display on servers or CI
    import matplotlib.pyplot as plt

    bins = [b for b in report["bins"] if b["count"]]
    centres = [(b["low"] + b["high"]) / 2 for b in bins]
    width = report["bins"][0]["high"] - report["bins"][0]["low"]
    figure, axes = plt.subplots(figsize=(5, 5))
    axes.bar(centres, [b["accuracy"] for b in bins], width=width * 0.9, color="#4878a8", label="accuracy")
    axes.plot([0, 1], [0, 1], "--", color="#888", label="perfect calibration")
    axes.plot(centres, [b["confidence"] for b in bins], "o", color="#c0504d", markersize=4, label="mean confidence")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.set_xlabel("confidence of the top emotion")
    axes.set_ylabel("share of faces where it is right")
    axes.set_title(f"{title}: ECE {report['ece']:.3f}")
    axes.legend(loc="upper left")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)

"""Cleaner labels from FER+ (ten annotators per FER2013 face) and the held-aside split.

FER2013's single label agrees with the FER+ majority on only about two thirds of
the faces, so training mixes the two: the target of a face is
``fer2013_weight * one_hot(FER2013 label) + (1 - fer2013_weight) * FER+ vote share``.

The FER+ votes file (``votes`` (N, 10), ``columns``, ``usage``) is aligned row for
row with the FER2013 rows; its ten columns are neutral, happiness, surprise,
sadness, anger, disgust, fear, contempt, unknown and NF (not a face).

FER+ majority label, used for the second metric: the column with the most votes.
A face is left out of that metric when the top column is contempt, unknown or
not-a-face (no FER2013 class matches), or when two or more columns tie for the
most votes (no majority exists).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.vision.preprocess import EMOTIONS
from training.data import DatasetError

FERPLUS_COLUMNS = ("neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear",
                   "contempt", "unknown", "NF")
# FER+ column -> index into EMOTIONS; the last three columns have no FER2013 class.
FERPLUS_TO_EMOTION = {"neutral": "neutral", "happiness": "happy", "surprise": "surprise", "sadness": "sad",
                      "anger": "angry", "disgust": "disgust", "fear": "fear"}
EMOTION_COLUMN_INDEX = np.array([FERPLUS_COLUMNS.index(column) for emotion in EMOTIONS
                                 for column, mapped in FERPLUS_TO_EMOTION.items() if mapped == emotion])
NO_MAJORITY = -1


def load_ferplus_votes(path: str | Path) -> dict[str, np.ndarray]:
    """Votes per split name, in file order: ``{"Training": (N, 10) uint8, ...}``."""
    path = Path(path)
    try:
        archive = np.load(path, allow_pickle=False)
    except Exception as error:  # numpy raises several types for a bad archive
        raise DatasetError(f"{path}: not a readable FER+ votes archive ({error})") from None
    with archive:
        if "votes" not in archive.files or "usage" not in archive.files:
            raise DatasetError(f"{path}: expected arrays 'votes' and 'usage', found {archive.files}")
        votes, usage = archive["votes"], archive["usage"]
        columns = tuple(str(c) for c in archive["columns"]) if "columns" in archive.files else FERPLUS_COLUMNS
    if columns != FERPLUS_COLUMNS:
        raise DatasetError(f"{path}: vote columns {columns} differ from FER+'s {FERPLUS_COLUMNS}")
    if votes.ndim != 2 or votes.shape[1] != len(FERPLUS_COLUMNS) or len(votes) != len(usage):
        raise DatasetError(f"{path}: votes must be (N, 10) with one usage per row, found {votes.shape}")
    return {str(name): votes[usage == name] for name in dict.fromkeys(usage.tolist())}


def vote_shares(votes: np.ndarray) -> np.ndarray:
    """(N, 7) share of each emotion among the votes for the seven emotions; zeros where none."""
    emotion_votes = votes[:, EMOTION_COLUMN_INDEX].astype(np.float32)
    totals = emotion_votes.sum(axis=1, keepdims=True)
    return np.divide(emotion_votes, totals, out=np.zeros_like(emotion_votes), where=totals > 0)


def majority_labels(votes: np.ndarray) -> np.ndarray:
    """(N,) FER+ majority as an EMOTIONS index, or NO_MAJORITY (see the module docstring)."""
    top = votes.max(axis=1, keepdims=True)
    tied = (votes == top).sum(axis=1) > 1
    winner = votes.argmax(axis=1)
    to_emotion = np.full(len(FERPLUS_COLUMNS), NO_MAJORITY)
    to_emotion[EMOTION_COLUMN_INDEX] = np.arange(len(EMOTIONS))
    labels = to_emotion[winner]
    labels[tied | (top[:, 0] == 0)] = NO_MAJORITY
    return labels


def soft_targets(labels: np.ndarray, votes: np.ndarray | None, fer2013_weight: float) -> np.ndarray:
    """(N, 7) training targets; faces without emotion votes keep their FER2013 one-hot label."""
    one_hot = np.eye(len(EMOTIONS), dtype=np.float32)[labels]
    if votes is None or fer2013_weight >= 1.0:
        return one_hot
    shares = vote_shares(votes)
    has_votes = shares.sum(axis=1, keepdims=True) > 0
    mixed = fer2013_weight * one_hot + (1.0 - fer2013_weight) * shares
    return np.where(has_votes, mixed, one_hot).astype(np.float32)


@dataclass(frozen=True)
class HeldAside:
    """Row indices of Training kept for training and held aside (model selection, calibration)."""
    train: np.ndarray
    held: np.ndarray


def hold_aside(labels: np.ndarray, fraction: float = 0.1, seed: int = 2026) -> HeldAside:
    """A stratified, seeded share of each class: the same rows on every machine and every run."""
    rng = np.random.default_rng(seed)
    held = []
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)
        held.append(rng.permutation(rows)[:round(len(rows) * fraction)])
    held_rows = np.sort(np.concatenate(held)) if held else np.zeros(0, np.int64)
    train_rows = np.setdiff1d(np.arange(len(labels)), held_rows)
    return HeldAside(train=train_rows, held=held_rows)

"""Read the model's measured quality from models/model_card.json (written by the evaluation).

Every number on the About page comes from that file; nothing is typed into a template. A missing,
unreadable or partial file gives ``None`` for what is missing and the page explains without it.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from app.config import BASE_DIR
from app.models import EMOTION_COLUMNS

MODEL_CARD_PATH = BASE_DIR / "models" / "model_card.json"
DATASETS = {"fer2013": "FER2013", "ferplus": "FER+"}


@dataclass
class ClassScores:
    emotion: str
    precision: float | None
    recall: float | None
    f1: float | None


@dataclass
class DatasetScores:
    key: str
    name: str
    accuracy: float | None
    macro_f1: float | None
    per_class: list[ClassScores] = field(default_factory=list)
    faces: int | None = None  # how many test faces the numbers come from


@dataclass
class ModelCard:
    datasets: list[DatasetScores]
    split: str | None = None
    ece: float | None = None
    temperature: float | None = None

    @property
    def has_numbers(self) -> bool:
        return bool(self.datasets)


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _dataset(key: str, raw) -> DatasetScores | None:
    if not isinstance(raw, dict):
        return None
    per_class_raw = raw.get("per_class") if isinstance(raw.get("per_class"), dict) else {}
    per_class = []
    for emotion in EMOTION_COLUMNS:
        scores = per_class_raw.get(emotion)
        if isinstance(scores, dict):
            per_class.append(ClassScores(emotion, _number(scores.get("precision")),
                                         _number(scores.get("recall")), _number(scores.get("f1"))))
    faces = _number(raw.get("n"))
    scores = DatasetScores(key, DATASETS[key], _number(raw.get("accuracy")), _number(raw.get("macro_f1")), per_class,
                           int(faces) if faces is not None and faces > 0 else None)
    if scores.accuracy is None and scores.macro_f1 is None and not per_class:
        return None
    return scores


def load_model_card(path: Path | str = MODEL_CARD_PATH) -> ModelCard:
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ModelCard(datasets=[])
    if not isinstance(raw, dict):
        return ModelCard(datasets=[])
    datasets = [scores for key in DATASETS if (scores := _dataset(key, raw.get(key))) is not None]
    split = raw.get("split") if isinstance(raw.get("split"), str) else None
    return ModelCard(datasets=datasets, split=split, ece=_number(raw.get("ece")),
                     temperature=_number(raw.get("temperature")))

"""Evaluate an exported emotion model on FER2013 (any of the three data forms).

    python -m training.evaluate --data ../shared/data/fer2013_trainval.npz --split PublicTest --json eval.json

Runs the model exactly as the server does (onnxruntime, same preprocessing).
Prints the accuracy of each split, and writes the JSON report, a confusion-
matrix PNG per split and a Markdown summary next to the JSON file.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from app.vision.classifier import DEFAULT_MODEL_PATH, EmotionClassifier
from app.vision.preprocess import EMOTIONS
from training.data import VALIDATION_SPLIT_NAMES, load_or_exit
from training.metrics import classification_report


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="fer2013.csv, a .npz, or a folder of <split>/<class>/ images")
    parser.add_argument("--split", help="evaluate only this split (default: every split present)")
    parser.add_argument("--model", default=str(DEFAULT_MODEL_PATH), help="ONNX model (default: the bundled one)")
    parser.add_argument("--json", required=True, help="where to write the JSON report")
    return parser.parse_args(argv)


def evaluate_splits(classifier: EmotionClassifier, splits: dict) -> dict[str, dict]:
    return {name: classification_report(split.labels, classifier.predict(split.faces).argmax(1))
            for name, split in splits.items()}


def primary_split(names: list[str]) -> str:
    """The split whose numbers go at the top of the JSON: validation if present, else the first."""
    return next((n for n in VALIDATION_SPLIT_NAMES if n in names), names[0])


def plot_confusion_matrix(report: dict, title: str, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")  # files only; no display on servers or CI
    import matplotlib.pyplot as plt

    counts = np.array(report["confusion_matrix"])
    rates = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    figure, axes = plt.subplots(figsize=(7, 6))
    image = axes.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    axes.set_xticks(range(len(EMOTIONS)), EMOTIONS, rotation=45, ha="right")
    axes.set_yticks(range(len(EMOTIONS)), EMOTIONS)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    for (row, col), count in np.ndenumerate(counts):
        axes.text(col, row, f"{rates[row, col]:.0%}\n{count}", ha="center", va="center", fontsize=7,
                  color="white" if rates[row, col] > 0.5 else "black")
    axes.set_title(f"{title}: accuracy {report['accuracy']:.1%}, macro-F1 {report['macro_f1']:.3f}")
    figure.colorbar(image, ax=axes, fraction=0.046)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def markdown_report(model: str, data: str, reports: dict[str, dict]) -> str:
    lines = [f"# Evaluation of `{model}`", "", f"Data: `{data}`", ""]
    for name, report in reports.items():
        lines += [f"## {name} (n = {report['n']})", "",
                  f"Accuracy **{report['accuracy']:.2%}**, macro-F1 **{report['macro_f1']:.3f}**", "",
                  "| class | precision | recall | F1 | support |", "|---|---|---|---|---|"]
        lines += [f"| {cls} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} |"
                  for cls, m in report["per_class"].items()]
        lines += ["", f"![confusion matrix](confusion_{name}.png)", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    splits = load_or_exit(args.data)
    if args.split:
        if args.split not in splits:
            raise SystemExit(f"error: {args.data} has no split {args.split!r}; it has {', '.join(splits)}")
        splits = {args.split: splits[args.split]}
    reports = evaluate_splits(EmotionClassifier(args.model, threads=0), splits)

    json_path = Path(args.json)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    main_split = primary_split(list(reports))
    result = {"model": args.model, "data": args.data, "split": main_split, **reports[main_split],
              "splits": reports}
    json_path.write_text(json.dumps(result, indent=2))
    for name, report in reports.items():
        plot_confusion_matrix(report, name, json_path.parent / f"confusion_{name}.png")
        print(f"{name}: accuracy {report['accuracy']:.4f}  macro-F1 {report['macro_f1']:.4f}  n {report['n']}")
    (json_path.parent / "report.md").write_text(markdown_report(args.model, args.data, reports))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

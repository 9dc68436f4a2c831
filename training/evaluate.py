"""Evaluate an exported emotion model on FER2013 (any of the three data forms), and on FER+.

    python -m training.evaluate --data ../shared/data/fer2013_trainval.npz \
        --votes ../shared/data/ferplus_votes_trainval.npz --split PublicTest --json eval.json

Runs the model exactly as the server does (same runtime, same preprocessing); --model takes the
served .tflite file (the default) or any .onnx export.
For each split: accuracy, macro-F1 and per-class figures against the FER2013
labels and, with --votes, against the FER+ majority (faces whose majority is
contempt, unknown or not-a-face, or whose top votes tie, are left out); the
expected calibration error (15 equal-width confidence bins) against both.
Writes the JSON report, a confusion matrix and a reliability diagram per split
and a Markdown summary next to the JSON file.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from app.vision.classifier import DEFAULT_MODEL_PATH, EmotionClassifier
from app.vision.confidence import is_uncertain
from app.vision.preprocess import EMOTIONS
from training.calibration import plot_reliability, reliability
from training.data import VALIDATION_SPLIT_NAMES, DatasetError, load_or_exit
from training.labels import load_ferplus_votes, majority_labels
from training.metrics import classification_report


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="fer2013.csv, a .npz, or a folder of <split>/<class>/ images")
    parser.add_argument("--split", help="evaluate only this split (default: every split present)")
    parser.add_argument("--model", default=str(DEFAULT_MODEL_PATH), help="ONNX model (default: the bundled one)")
    parser.add_argument("--votes", help="FER+ votes .npz aligned with --data: adds the FER+ majority metrics")
    parser.add_argument("--json", required=True, help="where to write the JSON report")
    parser.add_argument("--card", help="also write the About page's summary here (models/model_card.json)")
    parser.add_argument("--calibration", help="calibration.json of the model, for the card's temperature")
    return parser.parse_args(argv)


def model_card(report: dict, split: str, calibration: str | None) -> dict:
    """The summary the app's About page shows: both metrics per class, calibration, the split."""
    def scores(part: dict) -> dict:
        return {"accuracy": part["accuracy"], "macro_f1": part["macro_f1"], "n": part["n"], "ece": part["ece"],
                "per_class": {name: {key: round(value, 4) for key, value in m.items() if key != "support"}
                              for name, m in part["per_class"].items()}}

    temperature = json.loads(Path(calibration).read_text())["temperature"] if calibration else None
    return {"split": split, "fer2013": scores(report),
            "ferplus": scores(report["ferplus"]) if "ferplus" in report else None,
            "ece": report["ece"], "temperature": temperature, "uncertain": report["uncertain"]}


def evaluate_split(probabilities: np.ndarray, labels: np.ndarray, votes: np.ndarray | None) -> dict:
    """FER2013-label report (top level, as before) plus calibration and, with votes, the FER+ report."""
    report = classification_report(labels, probabilities.argmax(1))
    report["calibration"] = reliability(probabilities, labels)
    report["ece"] = report["calibration"]["ece"]
    report["uncertain"] = uncertain_share(probabilities, labels)
    if votes is not None:
        majority = majority_labels(votes)
        judged = majority >= 0
        ferplus = classification_report(majority[judged], probabilities[judged].argmax(1))
        ferplus["calibration"] = reliability(probabilities[judged], majority[judged])
        ferplus["ece"] = ferplus["calibration"]["ece"]
        ferplus["left_out"] = int((~judged).sum())
        report["ferplus"] = ferplus
    return report


def uncertain_share(probabilities: np.ndarray, labels: np.ndarray) -> dict:
    """How often the product's uncertain flag is raised, and how right the model is with and without it."""
    flagged = np.array([is_uncertain(dict(zip(EMOTIONS, p))) for p in probabilities], dtype=bool)
    correct = probabilities.argmax(1) == labels
    return {"share_flagged": float(flagged.mean()),
            "accuracy_flagged": float(correct[flagged].mean()) if flagged.any() else None,
            "accuracy_not_flagged": float(correct[~flagged].mean()) if (~flagged).any() else None}


def evaluate_splits(classifier: EmotionClassifier, splits: dict, votes: dict | None = None) -> dict[str, dict]:
    return {name: evaluate_split(classifier.predict(split.faces), split.labels, (votes or {}).get(name))
            for name, split in splits.items()}


def aligned_votes(path: str, splits: dict) -> dict:
    """The FER+ votes of each split, checked row for row against the split's size."""
    try:
        votes = load_ferplus_votes(path)
    except DatasetError as error:
        raise SystemExit(f"error: {error}") from None
    for name, split in splits.items():
        if name in votes and len(votes[name]) != len(split):
            raise SystemExit(f"error: {path} has {len(votes[name])} {name} rows, the data {len(split)}")
    return {name: votes[name] for name in splits if name in votes}


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
        flags = report["uncertain"]
        lines += [f"## {name} (n = {report['n']})", "", "Against the FER2013 labels: "
                  f"accuracy **{report['accuracy']:.2%}**, macro-F1 **{report['macro_f1']:.3f}**, "
                  f"ECE **{report['ece']:.3f}**", "",
                  f"Marked uncertain: {flags['share_flagged']:.1%} of faces, right on "
                  f"{flags['accuracy_flagged'] or 0:.1%} of them; the others right on "
                  f"{flags['accuracy_not_flagged'] or 0:.1%}.", ""]
        ferplus = report.get("ferplus")
        if ferplus:
            lines += [f"Against the FER+ majority (n = {ferplus['n']}, {ferplus['left_out']} left out): "
                      f"accuracy **{ferplus['accuracy']:.2%}**, macro-F1 **{ferplus['macro_f1']:.3f}**, "
                      f"ECE **{ferplus['ece']:.3f}**", ""]
        lines += ["| class | precision | recall | F1 | support |" + (" FER+ F1 | FER+ support |" if ferplus else ""),
                  "|---|---|---|---|---|" + ("---|---|" if ferplus else "")]
        for cls, m in report["per_class"].items():
            row = f"| {cls} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} |"
            if ferplus:
                plus = ferplus["per_class"][cls]
                row += f" {plus['f1']:.3f} | {plus['support']} |"
            lines.append(row)
        lines += ["", f"![confusion matrix](confusion_{name}.png) ![reliability](reliability_{name}.png)", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    splits = load_or_exit(args.data)
    if args.split:
        if args.split not in splits:
            raise SystemExit(f"error: {args.data} has no split {args.split!r}; it has {', '.join(splits)}")
        splits = {args.split: splits[args.split]}
    votes = aligned_votes(args.votes, splits) if args.votes else None
    reports = evaluate_splits(EmotionClassifier(args.model, threads=0), splits, votes)

    json_path = Path(args.json)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    main_split = primary_split(list(reports))
    result = {"model": args.model, "data": args.data, "split": main_split, **reports[main_split],
              "splits": reports}
    json_path.write_text(json.dumps(result, indent=2))
    for name, report in reports.items():
        plot_confusion_matrix(report, name, json_path.parent / f"confusion_{name}.png")
        plot_reliability(report["calibration"], name, json_path.parent / f"reliability_{name}.png")
        line = (f"{name}: accuracy {report['accuracy']:.4f}  macro-F1 {report['macro_f1']:.4f}  "
                f"ECE {report['ece']:.4f}  n {report['n']}")
        if "ferplus" in report:
            plus = report["ferplus"]
            line += (f"  |  FER+ majority: accuracy {plus['accuracy']:.4f}  macro-F1 {plus['macro_f1']:.4f}  "
                     f"ECE {plus['ece']:.4f}  n {plus['n']}")
        print(line)
    (json_path.parent / "report.md").write_text(markdown_report(args.model, args.data, reports))
    if args.card:
        Path(args.card).write_text(json.dumps(model_card(reports[main_split], main_split, args.calibration), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

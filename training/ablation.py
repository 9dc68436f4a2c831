"""The recipe ablation: the same short training run with one recipe setting changed at a time.

    python -m training.ablation --data ../shared/data/fer2013_trainval.npz --out runs/ablation-small

Each variant trains the network (``--width``, default 16) on the first ``--limit`` training
faces for ``--epochs`` epochs with ``training.train`` and its defaults except the settings the
variant names, then the best held-aside FER2013 accuracy and the accuracy after each epoch are
printed as a Markdown table. "former" is the recipe the Keras trainer had before the ablation
(He-normal kernels, Keras's decoupled weight decay, no label smoothing, class weights averaging
1 per class, BatchNorm momentum 0.99); each "former + X" row adds one of today's settings, and
each "today - X" row takes one away. Every run uses the same seed, data and schedule.
"""
from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

FORMER = {"--init": "he", "--weight-decay-form": "decoupled", "--label-smoothing": "0",
          "--class-weights": "class-mean", "--bn-momentum": "0.99"}
TODAY = {"--init": "fan_in_uniform", "--weight-decay-form": "coupled", "--label-smoothing": "0.1",
         "--class-weights": "face-mean", "--bn-momentum": "0.9"}
CHANGES = {"BatchNorm momentum 0.9": ("--bn-momentum",), "fan-in uniform init": ("--init",),
           "coupled weight decay": ("--weight-decay-form",),
           "loss (smoothing 0.1, face-mean weights)": ("--label-smoothing", "--class-weights")}


def variants() -> dict[str, dict[str, str]]:
    runs = {"former": dict(FORMER)}
    for change, flags in CHANGES.items():
        runs[f"former + {change}"] = FORMER | {flag: TODAY[flag] for flag in flags}
    runs["today"] = dict(TODAY)
    for change, flags in CHANGES.items():
        runs[f"today - {change}"] = TODAY | {flag: FORMER[flag] for flag in flags}
    return runs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", default="runs/ablation-small")
    parser.add_argument("--limit", type=int, default=6000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--only", action="append", help="run only the variants with these names")
    args = parser.parse_args(argv)

    from training.train import main as train

    rows = []
    for index, (name, settings) in enumerate(variants().items()):
        if args.only and name not in args.only:
            continue
        out = Path(args.out) / f"variant_{index}"
        started = time.time()
        train(["--data", args.data, "--out", str(out), "--limit", str(args.limit), "--epochs", str(args.epochs),
               "--width", str(args.width), "--batch-size", str(args.batch_size), "--seed", str(args.seed),
               "--float32", "--no-export", *[item for pair in settings.items() for item in pair]])
        with open(out / "history.csv", newline="") as handle:
            accuracy = [float(row["held_fer2013"]) for row in csv.DictReader(handle)]
        rows.append((name, accuracy, (time.time() - started) / 60))
    print("\n| variant | best held-aside FER2013 | after each epoch | minutes |\n|---|---|---|---|")
    for name, accuracy, minutes in rows:
        print(f"| {name} | {max(accuracy):.1%} | {' / '.join(f'{a:.1%}' for a in accuracy)} | {minutes:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Compare trained networks, alone and as ensembles, the way the shipped one is chosen.

    python -m training.ensembles --data ../shared/data/fer2013_trainval.npz \
        --votes ../shared/data/ferplus_votes_trainval.npz \
        --member former=models/emotion_fer2013.weights.h5:0.00001 \
        --member mix050=models/emotion_mixed_labels.weights.h5 --member mix075=runs/mix075/best.weights.h5

Each ``--member NAME=PATH[:EPSILON]`` is a Keras weights file of ``training.model``. For every
network and every ensemble of up to ``--max-size`` of them (2 by default) it fits the calibration
temperature on the held-aside Training faces (as ``training.export`` does), then prints, in
float32, without or (``--mirror``) with averaging over the mirror image:

* on the held-aside faces, FER2013 and FER+ majority accuracy and their mean: the selection rule,
  fixed before training, is the best held-aside mean;
* on PublicTest, the same two accuracies, macro-F1 (FER2013 labels) and ECE: the report.

A network that was trained on the held-aside faces (the former model) looks better there than
it is; compare candidates that share it with each other only.
"""
from __future__ import annotations

import argparse
import itertools
import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from training.calibration import averaged_softmax, fit_temperature, reliability  # noqa: E402
from training.data import TRAIN_SPLIT_NAMES, load_or_exit, split_named  # noqa: E402
from training.export import load_net, logit_sets, parse_member  # noqa: E402
from training.labels import hold_aside, load_ferplus_votes, majority_labels  # noqa: E402
from training.metrics import classification_report, selection_score  # noqa: E402

def metrics(probabilities: np.ndarray, labels: np.ndarray, majority: np.ndarray) -> dict:
    selection = selection_score(probabilities, labels, majority)
    return {**selection, "macro_f1": classification_report(labels, probabilities.argmax(axis=1))["macro_f1"],
            "ece": reliability(probabilities, labels)["ece"]}


def parse_named_member(text: str):
    name, separator, member = text.partition("=")
    if not separator or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=PATH[:EPSILON], got {text!r}")
    return name, parse_member(member)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True)
    parser.add_argument("--votes", required=True)
    parser.add_argument("--member", action="append", required=True, type=parse_named_member)
    parser.add_argument("--test-split", default="PublicTest")
    parser.add_argument("--hold-aside", type=float, default=0.1)
    parser.add_argument("--max-size", type=int, default=2, help="largest ensemble tried")
    parser.add_argument("--mirror", action="store_true", help="average each network over the face and its mirror")
    args = parser.parse_args(argv)

    splits, votes = load_or_exit(args.data), load_ferplus_votes(args.votes)
    train, test = split_named(splits, TRAIN_SPLIT_NAMES), splits.get(args.test_split)
    if train is None or test is None or train.name not in votes or test.name not in votes:
        raise SystemExit(f"error: {args.data} and {args.votes} need a training split and {args.test_split}")
    held = hold_aside(train.labels, args.hold_aside).held
    sets = {"held": (train.faces[held], train.labels[held], majority_labels(votes[train.name][held])),
            "test": (test.faces, test.labels, majority_labels(votes[test.name]))}

    logits = {}  # (network, part) -> one logit array per view, as training.export.logit_sets
    for name, (path, epsilon) in args.member:
        net = load_net(path, bn_epsilon=epsilon)
        for part, (faces, _, _) in sets.items():
            logits[name, part] = logit_sets([net], faces, args.mirror)

    print("| networks | T | held-aside FER2013 | FER+ | mean | PublicTest FER2013 | FER+ | mean | macro-F1 | ECE |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    names = [name for name, _ in args.member]
    for size in range(1, args.max_size + 1):
        for combo in itertools.combinations(names, size):
            print(table_row(combo, logits, sets), flush=True)
    return 0


def table_row(combo: tuple[str, ...], logits: dict, sets: dict) -> str:
    def views(part):
        return [view for name in combo for view in logits[name, part]]

    temperature = fit_temperature(views("held"), sets["held"][1])
    report = {part: metrics(averaged_softmax(views(part), temperature), *sets[part][1:]) for part in sets}
    h, t = report["held"], report["test"]
    return (f"| {' + '.join(combo)} | {temperature:.3f} | {h['fer2013']:.2%} | {h['ferplus']:.2%} | "
            f"{h['score']:.2%} | {t['fer2013']:.2%} | {t['ferplus']:.2%} | {t['score']:.2%} | "
            f"{t['macro_f1']:.3f} | {t['ece']:.3f} |")


if __name__ == "__main__":
    raise SystemExit(main())

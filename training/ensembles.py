"""Compare trained networks, alone and as ensembles, the way the shipped one is chosen.

    python -m training.ensembles --data ../shared/data/fer2013_trainval.npz \
        --votes ../shared/data/ferplus_votes_trainval.npz \
        --member served=models/emotion.weights.h5 --member fer100=runs/v3_fer100/best.weights.h5

Each ``--member NAME=PATH[:EPSILON]`` is a Keras weights file of ``training.model``. For every
network and every ensemble of up to ``--max-size`` of them (2 by default) it fits the calibration
temperature on the held-aside Training faces (and with ``--class-bias`` the per-class bias under
``--recall-floor``, as ``training.export`` does), then prints, in float32, without or
(``--mirror``) with averaging over the mirror image:

* on the held-aside faces, FER2013 and FER+ majority accuracy, FER2013 macro-F1 and their mean
  (the selection rule, ``training.metrics.selection_score``, stated before training), and the
  lowest recall of any class (the floor the rule asks for);
* on PublicTest, the same three, ECE and the lowest recall: the report, never used to choose.

A network that was trained on the held-aside faces (the former model) looks better there than
it is; compare candidates that share it with each other only.
"""
from __future__ import annotations

import argparse
import itertools
import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from training.calibration import averaged_softmax, fit_calibration, reliability  # noqa: E402
from training.data import TRAIN_SPLIT_NAMES, load_or_exit, split_named  # noqa: E402
from training.export import load_net, logit_sets, parse_member  # noqa: E402
from training.labels import hold_aside, load_ferplus_votes, majority_labels  # noqa: E402
from training.metrics import RECALL_FLOOR, selection_score  # noqa: E402

def metrics(probabilities: np.ndarray, labels: np.ndarray, majority: np.ndarray) -> dict:
    return {**selection_score(probabilities, labels, majority), "ece": reliability(probabilities, labels)["ece"]}


def parse_named_member(text: str):
    name, separator, member = text.partition("=")
    if not separator or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=PATH[:EPSILON], got {text!r}")
    return name, parse_member(member)



def held_and_test_sets(data: str, votes_path: str, test_split: str, hold_aside_share: float):
    """``{"held": (faces, labels, FER+ majority), "test": (...)}`` and the FER2013 labels of the
    faces the networks trained on (for the class shares)."""
    splits, votes = load_or_exit(data), load_ferplus_votes(votes_path)
    train, test = split_named(splits, TRAIN_SPLIT_NAMES), splits.get(test_split)
    if train is None or test is None or train.name not in votes or test.name not in votes:
        raise SystemExit(f"error: {data} and {votes_path} need a training split and {test_split}")
    rows = hold_aside(train.labels, hold_aside_share)
    held = rows.held
    sets = {"held": (train.faces[held], train.labels[held], majority_labels(votes[train.name][held])),
            "test": (test.faces, test.labels, majority_labels(votes[test.name]))}
    return sets, train.labels[rows.train]

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True)
    parser.add_argument("--votes", required=True)
    parser.add_argument("--member", action="append", required=True, type=parse_named_member)
    parser.add_argument("--test-split", default="PublicTest")
    parser.add_argument("--hold-aside", type=float, default=0.1)
    parser.add_argument("--max-size", type=int, default=2, help="largest ensemble tried")
    parser.add_argument("--mirror", action="store_true", help="average each network over the face and its mirror")
    parser.add_argument("--class-bias", action="store_true",
                        help="also fit the per-class bias on the held-aside faces, as training.export does")
    parser.add_argument("--recall-floor", type=float, default=RECALL_FLOOR,
                        help="with --class-bias: the share of its faces every class should be recognised on (0: none)")
    parser.add_argument("--per-class-bias", action="store_true",
                        help="with --class-bias: one bias per class, as training.export --per-class-bias")
    args = parser.parse_args(argv)

    sets, train_labels = held_and_test_sets(args.data, args.votes, args.test_split, args.hold_aside)
    shares = np.bincount(train_labels, minlength=7) / len(train_labels) if args.class_bias else None

    logits = {}  # (network, part) -> one logit array per view, as training.export.logit_sets
    for name, (path, epsilon) in args.member:
        net = load_net(path, bn_epsilon=epsilon)
        for part, (faces, _, _) in sets.items():
            logits[name, part] = logit_sets([net], faces, args.mirror)

    print("| networks | T | bias | held-aside FER2013 | FER+ | macro-F1 | **rule** | lowest recall "
          f"| {args.test_split} FER2013 | FER+ | macro-F1 | ECE | lowest recall |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    names = [name for name, _ in args.member]
    for size in range(1, args.max_size + 1):
        for combo in itertools.combinations(names, size):
            print(table_row(combo, logits, sets, shares, args.recall_floor, args.per_class_bias), flush=True)
    return 0


def table_row(combo: tuple[str, ...], logits: dict, sets: dict, class_shares: np.ndarray | None = None,
              recall_floor: float = 0.0, per_class: bool = False) -> str:
    def views(part):
        return [view for name in combo for view in logits[name, part]]

    held_faces, held_labels, held_majority = sets["held"]
    fitted = fit_calibration(views("held"), held_labels,
                             lambda p: selection_score(p, held_labels, held_majority, recall_floor),
                             class_shares, per_class)
    temperature, bias, strength = fitted["temperature"], fitted["class_bias"], fitted["bias_strength"]
    strength = "per class" if strength is None else f"{strength:.1f}"
    report = {part: metrics(averaged_softmax(views(part), temperature, bias), *sets[part][1:]) for part in sets}
    h, t = report["held"], report["test"]
    return (f"| {' + '.join(combo)} | {temperature:.3f} | {strength} | {h['fer2013']:.2%} | {h['ferplus']:.2%} | "
            f"{h['macro_f1']:.3f} | **{h['rule']:.2%}** | {h['lowest_recall']:.2f} | {t['fer2013']:.2%} | "
            f"{t['ferplus']:.2%} | {t['macro_f1']:.3f} | {t['ece']:.3f} | {t['lowest_recall']:.2f} |")


if __name__ == "__main__":
    raise SystemExit(main())

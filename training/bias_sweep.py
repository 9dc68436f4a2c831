"""What it costs to make a network say one emotion more often: a sweep of one class's bias.

    python -m training.bias_sweep --data ../shared/data/fer2013_trainval.npz \
        --votes ../shared/data/ferplus_votes_trainval.npz \
        --member runs/v3_distil/best.weights.h5 --emotion fear
    python -m training.bias_sweep ... --member runs/v3_distil/best.weights.h5 --fit

The networks' logits (face and mirror, as served) are divided by the temperature fitted on the
held-aside faces; then ``--emotion``'s logit gets each bias in ``--biases`` added, and a
Markdown table shows, per bias, that emotion's recall and the selection rule's three terms on
the held-aside faces, the lowest recall of any class there, and on PublicTest (a check, never
used to choose) that emotion's recall, FER2013 accuracy and macro-F1.

With ``--fit`` it fits one bias per class on the held-aside faces instead
(``training.calibration.fit_per_class_bias``, the selection rule with ``--recall-floor`` as the
score: every class recognised on at least 45 % of its faces if any bias gets there) and prints the
same columns for no bias and for the fitted one, with every class's recall. The fitted row's
held-aside figures are optimistic (fitted and scored on the same faces); the test split is the
check.
"""
from __future__ import annotations

import argparse
import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from app.vision.preprocess import EMOTIONS  # noqa: E402
from training.calibration import averaged_softmax, fit_per_class_bias, fit_temperature  # noqa: E402
from training.ensembles import held_and_test_sets  # noqa: E402
from training.export import load_net, logit_sets, parse_member  # noqa: E402
from training.metrics import RECALL_FLOOR, classification_report, selection_score  # noqa: E402


def recalls(labels: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    per_class = classification_report(labels, probabilities.argmax(axis=1))["per_class"]
    return np.array([per_class[name]["recall"] for name in EMOTIONS])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True)
    parser.add_argument("--votes", required=True)
    parser.add_argument("--member", action="append", required=True, type=parse_member,
                        help="a network's weights file, optionally :BN_EPSILON (repeat for an ensemble)")
    parser.add_argument("--emotion", choices=EMOTIONS, default="fear")
    parser.add_argument("--biases", default="0,0.25,0.5,0.75,1,1.25,1.5,2",
                        help="comma-separated logit biases to try")
    parser.add_argument("--fit", action="store_true", help="fit one bias per class instead of sweeping one")
    parser.add_argument("--recall-floor", type=float, default=RECALL_FLOOR,
                        help="with --fit: the share of its faces every class must be recognised on (0: none)")
    parser.add_argument("--test-split", default="PublicTest")
    parser.add_argument("--hold-aside", type=float, default=0.1)
    args = parser.parse_args(argv)

    sets, _ = held_and_test_sets(args.data, args.votes, args.test_split, args.hold_aside)
    nets = [load_net(path, bn_epsilon=epsilon) for path, epsilon in args.member]
    logits = {part: logit_sets(nets, faces, mirror=True) for part, (faces, _, _) in sets.items()}
    temperature = fit_temperature(logits["held"], sets["held"][1])

    print(f"temperature {temperature:.3f} (fitted on the held-aside faces without bias)")
    if args.fit:
        held_labels, held_majority = sets["held"][1:]
        fitted, _ = fit_per_class_bias(logits["held"], temperature,
                                       lambda p: selection_score(p, held_labels, held_majority, args.recall_floor))
        biases = {"none": np.zeros(len(EMOTIONS)), "fitted": fitted}
        print("fitted bias: " + ", ".join(f"{name} {value:+.2f}" for name, value in zip(EMOTIONS, fitted)))
    else:
        column = EMOTIONS.index(args.emotion)
        biases = {}
        for value in (float(text) for text in args.biases.split(",")):
            biases[f"{value:g}"] = np.zeros(len(EMOTIONS))
            biases[f"{value:g}"][column] = value
    shown = EMOTIONS.index(args.emotion)
    print(f"| {'bias' if args.fit else args.emotion + ' bias'} | held-aside {args.emotion} recall | FER2013 | FER+ "
          f"| macro-F1 | **rule** | lowest recall | {args.test_split} {args.emotion} recall | FER2013 | macro-F1 |"
          + (" every recall (held-aside; test) |" if args.fit else ""))
    print("|---|---|---|---|---|---|---|---|---|---|" + ("---|" if args.fit else ""))
    for name, bias in biases.items():
        report = {}
        for part, (_, labels, majority) in sets.items():
            probabilities = averaged_softmax(logits[part], temperature, bias)
            report[part] = (selection_score(probabilities, labels, majority), recalls(labels, probabilities))
        (held_score, held_recalls), (test_score, test_recalls) = report["held"], report["test"]
        every = (" " + " ".join(f"{r:.2f}" for r in held_recalls) + "; "
                 + " ".join(f"{r:.2f}" for r in test_recalls) + " |") if args.fit else ""
        print(f"| {name} | {held_recalls[shown]:.3f} | {held_score['fer2013']:.2%} | {held_score['ferplus']:.2%} "
              f"| {held_score['macro_f1']:.3f} | **{held_score['rule']:.2%}** | {held_recalls.min():.3f} "
              f"| {test_recalls[shown]:.3f} | {test_score['fer2013']:.2%} | {test_score['macro_f1']:.3f} |{every}",
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Train the emotion CNN (TensorFlow / Keras) on FER2013 with FER+ votes mixed into the labels.

    python -m training.train --data ../shared/data/fer2013_trainval.npz \
        --votes ../shared/data/ferplus_votes_trainval.npz --epochs 30 --out runs/main
    python -m training.train ... --out runs/main --resume      # after an interruption
    python -m training.train ... --teacher models/emotion.weights.h5 \
        --teacher runs/v3_fer100/best.weights.h5 --teacher-weight 0.5   # distil an ensemble
    python -m training.train ... --init-weights models/emotion.weights.h5 \
        --schedule constant --lr 0.005 --epochs 5                       # fine-tune a trained network

A stratified 10 % of Training is held aside (training.labels.hold_aside): the
epoch is chosen on it and the confidence temperature is fitted on it, so the
test splits (PublicTest, PrivateTest) are never looked at while training.
Selection rule (training.metrics.selection_score), fixed before the runs it
chose from: the mean of FER2013 accuracy, FER+ majority accuracy and FER2013
macro-F1 on the held-aside faces. Every epoch writes ``last.npz`` (network, optimizer and weight
average, for --resume), ``history.csv`` and, when the score improves,
``best.weights.h5``. At the end the best network is calibrated and exported
(training.export): ``emotion_fp32.onnx``, ``emotion.onnx`` (int8),
``emotion.tflite`` and ``calibration.json``.

Distillation (``--teacher``, repeatable): the teachers' probabilities, averaged over every
teacher and the face's mirror as the served graph averages them, are computed once on the
unaugmented training faces and mixed into the target with ``--teacher-weight``. One network
then learns what an ensemble says, and serving it costs one forward pass.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep oneDNN's start-up chatter out of the log

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from training.augment import augment_batch, augmented_faces, mix_batch  # noqa: E402
from training.data import TRAIN_SPLIT_NAMES, Split, load_or_exit, split_named  # noqa: E402
from training.labels import hold_aside, load_ferplus_votes, majority_labels, soft_targets  # noqa: E402
from training.metrics import selection_score  # noqa: E402
from training.model import INITIALIZERS, build_emotion_net  # noqa: E402

# training.metrics.selection_score's keys and their history columns (the weight average's end in _ema).
HELD_SCORE_COLUMNS = {"fer2013": "held_fer2013", "ferplus": "held_ferplus", "macro_f1": "held_macro_f1",
                      "score": "held_score"}
HISTORY_FIELDS = ["epoch", "lr", "train_loss", *HELD_SCORE_COLUMNS.values(),
                  *(column + "_ema" for column in HELD_SCORE_COLUMNS.values()), "kept", "seconds"]


def share(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must lie in [0, 1], got {text}")
    return value


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="fer2013.csv, a .npz, or a folder of <split>/<class>/ images")
    parser.add_argument("--votes", help="FER+ votes .npz aligned with --data (omit to train on FER2013 labels only)")
    parser.add_argument("--fer2013-weight", type=float, default=0.5,
                        help="weight of the FER2013 one-hot label in the target; the rest is the FER+ vote share")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--out", default="runs/latest", help="folder for checkpoints, history and exported models")
    parser.add_argument("--resume", action="store_true", help="continue from OUT/last.npz")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.05,
                        help="peak learning rate of the one-cycle schedule (the rate itself with --schedule constant)")
    parser.add_argument("--schedule", choices=("one-cycle", "constant"), default="one-cycle",
                        help="one-cycle: warm up to --lr, then cosine down to nearly zero; constant: --lr "
                             "throughout, for fine-tuning a trained network while the weight average follows it")
    parser.add_argument("--init-weights", metavar="PATH",
                        help="start from a trained network's Keras weights (same --width) instead of fresh "
                             "ones: fine-tuning; the held-aside faces are the same rows, so they stay unseen")
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--width", type=int, default=32, help="channels of the first conv stage")
    parser.add_argument("--hold-aside", type=float, default=0.1, help="share of Training kept for selection and calibration")
    parser.add_argument("--ema-decay", type=float, default=0.998,
                        help="per-step decay of the weight average that is scored beside the raw weights")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=0, help="use only the first N training faces (smoke runs)")
    parser.add_argument("--float32", action="store_true",
                        help="train in float32 instead of bfloat16 mixed precision (models/README.md has the "
                             "step times measured; bfloat16 was not clearly faster on the 2-core machines)")
    parser.add_argument("--score-from", type=int, default=1, metavar="EPOCH",
                        help="score the held-aside faces after every epoch from EPOCH on and after every 10th "
                             "before it (scoring took 15-72 s an epoch on the 2-core machines measured; "
                             "the kept network comes from the scored epochs)")
    parser.add_argument("--no-export", action="store_true", help="stop after training (export later with training.export)")
    parser.add_argument("--stop-after", type=int, default=0,
                        help="end this sitting after epoch N of the --epochs schedule (continue later with --resume)")
    parser.add_argument("--teacher", action="append", default=[], metavar="PATH[:EPSILON]",
                        help="Keras weights of a trained network whose probabilities the target mixes in "
                             "(repeat for an ensemble; EPSILON is its BatchNorm epsilon, as in training.export)")
    parser.add_argument("--teacher-weight", type=share, default=0.5,
                        help="share of the target taken from the teachers' averaged probabilities")
    recipe = parser.add_argument_group("recipe", "each default is the setting the ablation in models/README.md chose")
    recipe.add_argument("--init", choices=sorted(INITIALIZERS), default="fan_in_uniform",
                        help="initial weight scale (training.model.INITIALIZERS)")
    recipe.add_argument("--weight-decay-form", choices=("coupled", "decoupled"), default="coupled",
                        help="coupled: L2 added to the gradient before momentum (on every weight); "
                             "decoupled: Keras's weight_decay, a shrink after the step (not on BatchNorm or biases)")
    recipe.add_argument("--bn-momentum", type=float, default=0.9,
                        help="share of BatchNorm's running statistics kept per step (Keras's default is 0.99)")
    recipe.add_argument("--label-smoothing", type=float, default=0.1)
    recipe.add_argument("--mixup", type=float, default=0.0, metavar="ALPHA",
                        help="blend each training face, its target and weight with another face of the "
                             "batch, share ~ Beta(ALPHA, ALPHA); 0 (the default) trains on the faces as they are")
    recipe.add_argument("--dropout", type=float, default=0.5, metavar="SHARE",
                        help="dropout after the hidden dense layer (half of it on the "
                             "flattened features before it); 0 turns it off")
    recipe.add_argument("--class-weights", choices=("face-mean", "class-mean"), default="face-mean",
                        help="normalise the class weights so the average training face weighs 1 (face-mean) "
                             "or so the average class does (class-mean, heavier classes then weigh less than 1)")
    args = parser.parse_args(argv)
    if not (math.isfinite(args.mixup) and args.mixup >= 0):
        parser.error("--mixup: ALPHA must be a number, 0 (off) or more")
    if not 0.0 <= args.dropout < 1.0:  # also refuses nan; a share of 1 would drop every unit
        parser.error("--dropout: SHARE must lie in [0, 1)")
    if args.init_weights and not Path(args.init_weights).is_file():
        parser.error(f"--init-weights: {args.init_weights} is not a file")
    return args


@keras.saving.register_keras_serializable(package="moodlens")
class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up to ``peak`` over the first quarter, then cosine down to nearly zero."""

    def __init__(self, peak: float, total_steps: int, warmup_share: float = 0.25):
        self.peak, self.total_steps, self.warmup_share = peak, int(total_steps), warmup_share

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        warmup = max(self.total_steps * self.warmup_share, 1.0)
        rising = self.peak * (0.04 + 0.96 * step / warmup)
        progress = tf.clip_by_value((step - warmup) / max(self.total_steps - warmup, 1.0), 0.0, 1.0)
        falling = self.peak * (0.5 * (1 + tf.cos(np.pi * progress)) * 0.999 + 0.001)
        return tf.where(step < warmup, rising, falling)

    def get_config(self):
        return {"peak": self.peak, "total_steps": self.total_steps, "warmup_share": self.warmup_share}


class CoupledSGD(keras.optimizers.SGD):
    """SGD with classic weight decay: ``l2 * w`` joins the gradient before momentum, on every weight.

    Keras's own ``weight_decay`` shrinks the weights after the step instead; with momentum 0.9
    that pull is about ten times weaker, so behind BatchNorm the kernels grow, the effective
    step lr / |w|^2 shrinks, and the network learns ever more slowly (models/README.md).
    """

    def __init__(self, l2: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.l2 = float(l2)

    def update_step(self, gradient, variable, learning_rate):
        if self.l2:
            gradient = gradient + keras.ops.cast(self.l2, variable.dtype) * variable
        super().update_step(gradient, variable, learning_rate)


def make_optimizer(args, total_steps: int) -> keras.optimizers.Optimizer:
    schedule = OneCycle(args.lr, total_steps) if args.schedule == "one-cycle" else args.lr
    if args.weight_decay_form == "coupled":
        return CoupledSGD(l2=args.weight_decay, learning_rate=schedule, momentum=0.9, nesterov=True)
    optimizer = keras.optimizers.SGD(schedule, momentum=0.9, nesterov=True, weight_decay=args.weight_decay)
    optimizer.exclude_from_weight_decay(var_names=["gamma", "beta", "bias"])
    return optimizer


class WeightAverage(keras.callbacks.Callback):
    """Exponential moving average of every weight, per step.

    BatchNorm's running statistics are averaged too, but an average of statistics measured on
    many different networks does not describe the averaged network: scored with them, the
    average called every held-aside face neutral for the first epochs of a run (17.3 %), and
    with statistics measured again on training faces the same weights scored 42.7 %. So
    ``applied`` measures them again (``refresh_batchnorm``) before the average is scored or kept.
    The faces it is given must be augmented as in training (``augmented_faces``): the layers
    after each BatchNorm learned to read activations normalised by the statistics of augmented
    faces, and statistics of clean faces cost the served network 0.5 points of its held-aside
    score where augmented ones cost 0.04-0.11 (models/README.md).
    """

    def __init__(self, decay: float):
        super().__init__()
        self.decay = decay
        self.average: list[tf.Variable] | None = None

    def on_train_begin(self, logs=None):
        if self.average is None:
            self.average = [tf.Variable(w.value, trainable=False) for w in self.model.weights]

    def on_train_batch_end(self, batch, logs=None):
        self._update()

    @tf.function
    def _update(self):
        for average, weight in zip(self.average, self.model.weights):
            average.assign(self.decay * average + (1 - self.decay) * tf.cast(weight.value, average.dtype))

    @contextmanager
    def applied(self, net: keras.Model, faces: np.ndarray):
        """Temporarily put the averaged weights into ``net``, with BatchNorm statistics measured
        on ``faces`` (training faces augmented as in training, (N, 48, 48): see
        ``weight_average_statistics_faces``)."""
        saved = [w.numpy() for w in net.weights]
        for weight, average in zip(net.weights, self.average):
            weight.assign(average.numpy())
        refresh_batchnorm(net, faces)
        try:
            yield net
        finally:
            for weight, value in zip(net.weights, saved):
                weight.assign(value)


def weight_average_statistics_faces(faces: np.ndarray, seed: int, count: int = 4096) -> np.ndarray:
    """The training faces the weight average's BatchNorm statistics are measured on: a seeded
    sample, augmented as training augments (see ``WeightAverage``)."""
    sample = faces[np.random.default_rng(seed).permutation(len(faces))[:count]]
    return augmented_faces(sample, seed)


def refresh_batchnorm(net: keras.Model, faces: np.ndarray, batch_size: int = 256) -> None:
    """Set every BatchNorm layer's running statistics to their mean over ``faces`` for ``net``'s
    current weights (a running average whose momentum after batch i is i / (i + 1))."""
    norms = [layer for layer in net.layers if isinstance(layer, keras.layers.BatchNormalization)]
    momenta = [layer.momentum for layer in norms]
    try:
        for index, start in enumerate(range(0, len(faces), batch_size)):
            for layer in norms:
                layer.momentum = index / (index + 1)
            net(faces[start:start + batch_size, ..., None], training=True)
    finally:
        for layer, momentum in zip(norms, momenta):
            layer.momentum = momentum


class Progress(keras.callbacks.Callback):
    def __init__(self, steps: int, every: int = 50):
        super().__init__()
        self.steps, self.every = steps, every

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.time()

    def on_train_batch_end(self, batch, logs=None):
        done = batch + 1
        if done % self.every == 0 or done == self.steps:
            elapsed = time.time() - self.started
            print(f"  batch {done}/{self.steps}  loss {logs['loss']:.4f}  "
                  f"eta {elapsed / done * (self.steps - done):.0f}s", flush=True)


def class_weights(labels: np.ndarray, n_classes: int, normalise: str = "face-mean") -> np.ndarray:
    """Square-root inverse frequency: lifts disgust (436 faces) without wrecking accuracy on the rest.

    ``face-mean`` scales them so the average training face weighs 1, so the loss (and the step
    size) is that of an unweighted loss; ``class-mean`` makes the average class weigh 1, which on
    FER2013 shrinks every step by a quarter.
    """
    counts = np.maximum(np.bincount(labels, minlength=n_classes), 1).astype(np.float64)
    weights = np.sqrt(np.median(counts) / counts)
    scale = weights[labels].mean() if normalise == "face-mean" else weights.mean()
    return (weights / scale).astype(np.float32)


def epoch_dataset(faces: tf.Tensor, targets: tf.Tensor, sample_weights: tf.Tensor, epoch: int, args) -> tf.data.Dataset:
    """Shuffled and augmented batches; order and augmentation depend only on (seed, epoch)."""
    order = np.random.default_rng([args.seed, epoch]).permutation(int(faces.shape[0]))

    def load(step, rows):
        batch = tf.gather(faces, rows)[..., None]
        run_epoch = tf.cast(args.seed * 100_003 + epoch, tf.int64)
        # Mixup draws from its own seed, so the augmentation (and alpha 0's batches) stay as they were.
        return mix_batch(augment_batch(batch, tf.stack([run_epoch, step])), tf.gather(targets, rows),
                         tf.gather(sample_weights, rows), tf.stack([run_epoch, -1 - step]), args.mixup)

    return (tf.data.Dataset.from_tensor_slices(order).batch(args.batch_size).enumerate()
            .map(load, num_parallel_calls=os.cpu_count() or 2).prefetch(2)
            .with_options(without_autotuning()))


def without_autotuning() -> tf.data.Options:
    """tf.data options with the autotuner off.

    With it on, dropping an epoch's iterator (a new one every epoch) often waited, CPU idle, in
    ``RootDataset::Iterator``'s destructor for one of the pipeline's threads: epochs of about
    95 s of steps took 142 s (and 50 s epochs 82 s on another machine). With it off they take
    the steps' time. The batches are the same either way.
    """
    options = tf.data.Options()
    options.autotune.enabled = False
    return options


def mirrored_probabilities(net: keras.Model, faces: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Softmax averaged over each face and its mirror, as the shipped model computes it."""
    faces = faces[..., None]
    # predict_on_batch, not predict: predict builds an autotuned tf.data pipeline per call, the
    # kind whose end was seen to wait idle (see without_autotuning)
    logits = [np.concatenate([net.predict_on_batch(view[start:start + batch_size])
                              for start in range(0, len(view), batch_size)])
              for view in (faces, faces[:, :, ::-1])]
    probabilities = [tf.nn.softmax(tf.cast(view, tf.float32)).numpy() for view in logits]
    return (probabilities[0] + probabilities[1]) / 2


def save_state(path: Path, net: keras.Model, optimizer, average: WeightAverage, **meta) -> None:
    arrays = {f"net_{i}": w.numpy() for i, w in enumerate(net.weights)}
    arrays |= {f"opt_{i}": v.numpy() for i, v in enumerate(optimizer.variables)}
    arrays |= {f"ema_{i}": v.numpy() for i, v in enumerate(average.average)}
    temporary = path.with_name(path.name + ".tmp.npz")
    np.savez(temporary, meta=np.array(json.dumps(meta)), **arrays)
    temporary.replace(path)  # atomic: an interruption never leaves half a checkpoint


def load_state(path: Path, net: keras.Model, optimizer, average: WeightAverage) -> dict:
    with np.load(path) as archive:
        for i, weight in enumerate(net.weights):
            weight.assign(archive[f"net_{i}"])
        for i, variable in enumerate(optimizer.variables):
            variable.assign(archive[f"opt_{i}"])
        average.average = [tf.Variable(archive[f"ema_{i}"], trainable=False) for i in range(len(net.weights))]
        return json.loads(str(archive["meta"]))


def append_history(path: Path, row: dict) -> None:
    new_file = not path.exists()
    with open(path, "a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=HISTORY_FIELDS)
        if new_file:
            writer.writeheader()
        writer.writerow(row)


def training_rows(splits: dict[str, Split], votes_path: str | None, args):
    """(train faces, train targets, train labels, held faces, held labels, held FER+ majority)."""
    train = split_named(splits, TRAIN_SPLIT_NAMES)
    if train is None:
        raise SystemExit(f"error: {args.data} has no training split ({'/'.join(TRAIN_SPLIT_NAMES)}); "
                         f"found {', '.join(splits)}")
    votes = None
    if votes_path:
        all_votes = load_ferplus_votes(votes_path).get(train.name)
        if all_votes is None or len(all_votes) != len(train):
            raise SystemExit(f"error: {votes_path} has no votes aligned with the {len(train)} {train.name} rows")
        votes = all_votes
    rows = hold_aside(train.labels, args.hold_aside)
    train_rows = rows.train[:args.limit] if args.limit else rows.train
    targets = soft_targets(train.labels[train_rows], None if votes is None else votes[train_rows], args.fer2013_weight)
    held_majority = majority_labels(votes[rows.held]) if votes is not None else None
    return (train.faces[train_rows], targets, train.labels[train_rows],
            train.faces[rows.held], train.labels[rows.held], held_majority)


def teacher_probabilities(teachers: list[str], faces: np.ndarray) -> np.ndarray:
    """(N, 7) softmax averaged over every teacher network and the face's mirror."""
    from training.calibration import averaged_softmax  # late: only distillation needs the teachers
    from training.export import load_net, logit_sets, parse_member

    nets = [load_net(path, bn_epsilon=epsilon) for path, epsilon in map(parse_member, teachers)]
    return averaged_softmax(logit_sets(nets, faces, mirror=True), temperature=1.0).astype(np.float32)


def distilled_targets(targets: np.ndarray, teacher: np.ndarray, teacher_weight: float) -> np.ndarray:
    """The label target with the teachers' probabilities mixed in; every row still sums to one."""
    return ((1.0 - teacher_weight) * targets + teacher_weight * teacher).astype(np.float32)


def is_scored_epoch(epoch: int, last_epoch: int, score_from: int) -> bool:
    """Whether the held-aside faces are scored after ``epoch``: always from ``score_from`` on and at
    the schedule's end, every 10th epoch before (enough to follow the run in its history)."""
    return epoch >= score_from or epoch == last_epoch or epoch % 10 == 0


def history_scores(scores: dict, suffix: str) -> dict:
    """History columns for one set of held-aside scores; an epoch that was not scored leaves them empty."""
    return {column + suffix: "" if np.isnan(scores[key]) else f"{scores[key]:.4f}"
            for key, column in HELD_SCORE_COLUMNS.items()}


def build_net(args: argparse.Namespace) -> keras.Model:
    """The network the command line describes, freshly initialised."""
    return build_emotion_net(width=args.width, dropout=args.dropout, init=args.init,
                             bn_momentum=args.bn_momentum)


def main(argv=None) -> int:
    args = parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    faces, targets, labels, held_faces, held_labels, held_majority = training_rows(
        load_or_exit(args.data), args.votes, args)
    print(f"train: {len(faces)} faces; held aside: {len(held_faces)} faces; "
          f"FER2013 label weight {args.fer2013_weight}", flush=True)
    if args.teacher:
        teacher = teacher_probabilities(args.teacher, faces)
        print(f"teachers ({len(args.teacher)}) agree with the FER2013 label on "
              f"{(teacher.argmax(axis=1) == labels).mean():.1%} of the training faces; "
              f"teacher weight {args.teacher_weight}", flush=True)
        targets = distilled_targets(targets, teacher, args.teacher_weight)
    # Seeded after the teachers load, so a run's initial weights do not depend on them.
    keras.utils.set_random_seed(args.seed)
    if not args.float32:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")

    steps = (len(faces) + args.batch_size - 1) // args.batch_size
    net = build_net(args)
    if args.init_weights:
        try:
            net.load_weights(args.init_weights)
        except ValueError as error:  # another architecture or width: say so instead of a traceback
            raise SystemExit(f"error: --init-weights {args.init_weights} does not fit this network "
                             f"(--width {args.width}): {error}") from None
    optimizer = make_optimizer(args, steps * args.epochs)
    net.compile(optimizer=optimizer, loss=keras.losses.CategoricalCrossentropy(
        from_logits=True, label_smoothing=args.label_smoothing))
    optimizer.build(net.trainable_variables)
    average = WeightAverage(args.ema_decay)

    last_path, best_path, history_path = out / "last.npz", out / "best.weights.h5", out / "history.csv"
    first_epoch, best_score = 1, -1.0
    if args.resume and last_path.exists():
        meta = load_state(last_path, net, optimizer, average)
        first_epoch, best_score = meta["epoch"] + 1, meta["best_score"]
        print(f"resumed after epoch {meta['epoch']} (best held-aside score {best_score:.4f})", flush=True)
    elif history_path.exists():
        history_path.unlink()  # a fresh run starts a fresh history

    statistics_faces = weight_average_statistics_faces(faces, args.seed)
    faces_t = tf.constant(faces)
    targets_t = tf.constant(targets)
    weights_t = tf.constant(class_weights(labels, targets.shape[1], args.class_weights)[labels])
    run_started = time.time()
    last_epoch = min(args.epochs, args.stop_after) if args.stop_after else args.epochs
    for epoch in range(first_epoch, last_epoch + 1):
        started = time.time()
        fit = net.fit(epoch_dataset(faces_t, targets_t, weights_t, epoch, args), epochs=epoch,
                      initial_epoch=epoch - 1, verbose=0, callbacks=[average, Progress(steps)])
        scored = is_scored_epoch(epoch, last_epoch=args.epochs, score_from=args.score_from)
        if scored:
            raw = selection_score(mirrored_probabilities(net, held_faces), held_labels, held_majority)
            with average.applied(net, statistics_faces):
                ema = selection_score(mirrored_probabilities(net, held_faces), held_labels, held_majority)
            kept, report = ("ema", ema) if ema["score"] > raw["score"] else ("raw", raw)
        else:
            raw = ema = dict.fromkeys(HELD_SCORE_COLUMNS, float("nan"))
            kept, report = "", {"score": float("-inf")}
        improved = report["score"] > best_score
        if improved:
            best_score = report["score"]
            if kept == "ema":
                with average.applied(net, statistics_faces):
                    net.save_weights(best_path)
            else:
                net.save_weights(best_path)
        save_state(last_path, net, optimizer, average, epoch=epoch, best_score=best_score, width=args.width)
        seconds = time.time() - started
        append_history(history_path, {
            "epoch": epoch, "lr": f"{float(optimizer.learning_rate):.6f}",
            "train_loss": f"{fit.history['loss'][-1]:.4f}",
            **history_scores(raw, ""), **history_scores(ema, "_ema"),
            "kept": kept, "seconds": f"{seconds:.1f}"})
        remaining = (time.time() - run_started) / (epoch - first_epoch + 1) * (last_epoch - epoch)
        held = (f"held-aside FER2013 {raw['fer2013']:.4f} FER+ {raw['ferplus']:.4f} macro-F1 {raw['macro_f1']:.4f} "
                f"(ema {ema['fer2013']:.4f} / {ema['ferplus']:.4f} / {ema['macro_f1']:.4f})" if scored
                else "held-aside not scored")
        print(f"epoch {epoch}/{args.epochs}  loss {fit.history['loss'][-1]:.4f}  {held}"
              f"{'  *best*' if improved else ''}  {seconds:.0f}s  eta {remaining / 60:.1f} min", flush=True)

    if last_epoch < args.epochs:
        print(f"stopped after epoch {last_epoch} of {args.epochs}; continue with --resume", flush=True)
        return 0
    (out / "run.json").write_text(json.dumps({**vars(args), "best_score": best_score}, indent=2))
    if not args.no_export:
        from training.export import export_run  # late: export needs the finished network only
        export_run(out, args.data, args.votes, width=args.width, hold_aside_share=args.hold_aside)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Train the emotion CNN on FER2013.

    python -m training.train --data ../shared/data/fer2013_trainval.npz --epochs 60 --out runs/main
    python -m training.train --data ... --out runs/main --resume      # after an interruption

Selects the best epoch on the validation split (PublicTest), writes
``last.pt`` every epoch (for --resume), ``best.pt``, ``history.csv`` and,
at the end, ``emotion_fp32.onnx`` (the exact export) and ``emotion.onnx``
(int8, what the server runs) in --out.
"""
from __future__ import annotations

import argparse
import csv
import random
import time
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from training.augment import augment_batch
from training.data import TRAIN_SPLIT_NAMES, VALIDATION_SPLIT_NAMES, Split, load_or_exit, split_named
from training.metrics import classification_report
from training.model import EmotionNet, ExportedEmotionNet

HISTORY_FIELDS = ["epoch", "lr", "train_loss", "train_accuracy", "val_accuracy", "val_accuracy_ema", "val_macro_f1",
                  "kept", "seconds"]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="fer2013.csv, a .npz, or a folder of <split>/<class>/ images")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--out", default="runs/latest", help="folder for checkpoints, history and the exported model")
    parser.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.05, help="peak learning rate of the one-cycle schedule")
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--width", type=int, default=32, help="channels of the first conv stage")
    parser.add_argument("--patience", type=int, default=15, help="stop after this many epochs without a better val score")
    parser.add_argument("--ema-decay", type=float, default=0.998,
                        help="per-step decay of the weight average that is evaluated beside the raw weights")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: all cores)")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N training faces (smoke runs)")
    parser.add_argument("--no-bf16", action="store_true", help="train in float32 (bf16 autocast is ~2x faster on CPUs with AVX512-BF16)")
    return parser.parse_args(argv)


def seed_everything(seed: int) -> torch.Generator:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def class_weights(split: Split) -> torch.Tensor:
    """Square-root inverse frequency: lifts disgust (436 faces) without wrecking accuracy on the rest."""
    counts = np.maximum(split.class_counts(), 1).astype(np.float64)
    weights = np.sqrt(np.median(counts) / counts)
    return torch.tensor(weights / weights.mean(), dtype=torch.float32)


def to_tensor(faces: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(faces).unsqueeze(1).contiguous(memory_format=torch.channels_last)


@torch.no_grad()
def predict_probabilities(net: EmotionNet, faces: np.ndarray, batch_size: int = 512, bf16: bool = True) -> np.ndarray:
    """Probabilities as the shipped model computes them (flip TTA).

    Per-epoch model selection runs in bf16 (a quarter of the epoch's time in float32);
    the reported numbers come from training.evaluate on the exported float32 model.
    """
    shipped = ExportedEmotionNet(net).eval()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        outputs = [shipped(to_tensor(faces[i:i + batch_size])).float() for i in range(0, len(faces), batch_size)]
    return torch.cat(outputs).numpy()


def train_one_epoch(net, ema, optimizer, scheduler, train: Split, weights, generator, args) -> tuple[float, float]:
    net.train()
    faces, labels = torch.from_numpy(train.faces).unsqueeze(1), torch.from_numpy(train.labels)
    order = torch.randperm(len(labels), generator=generator)
    total_loss, correct, seen, started = 0.0, 0, 0, time.time()
    n_batches = (len(order) + args.batch_size - 1) // args.batch_size
    for step, start in enumerate(range(0, len(order), args.batch_size), start=1):
        index = order[start:start + args.batch_size]
        batch = augment_batch(faces[index], generator).contiguous(memory_format=torch.channels_last)
        targets = labels[index]
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=not args.no_bf16):
            logits = net(batch)
        loss = F.cross_entropy(logits.float(), targets, weight=weights, label_smoothing=0.1)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        ema.update_parameters(net)
        total_loss += loss.item() * len(index)
        correct += (logits.argmax(1) == targets).sum().item()
        seen += len(index)
        if step % 50 == 0 or step == n_batches:
            elapsed = time.time() - started
            print(f"  batch {step}/{n_batches}  loss {total_loss / seen:.4f}  "
                  f"acc {correct / seen:.4f}  eta {elapsed / step * (n_batches - step):.0f}s", flush=True)
    return total_loss / seen, correct / seen


def save_checkpoint(path: Path, **state) -> None:
    temporary = path.with_suffix(".tmp")
    torch.save(state, temporary)
    temporary.replace(path)  # atomic: an interruption never leaves half a checkpoint


def append_history(path: Path, row: dict) -> None:
    if path.exists():
        with open(path, newline="") as handle:
            old_rows = list(csv.DictReader(handle))
        if old_rows and list(old_rows[0]) != HISTORY_FIELDS:  # written by an older version: rewrite
            path.unlink()
            for old in old_rows:
                append_history(path, {field: old.get(field, "") for field in HISTORY_FIELDS})
    new_file = not path.exists()
    with open(path, "a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=HISTORY_FIELDS)
        if new_file:
            writer.writeheader()
        writer.writerow(row)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    generator = seed_everything(args.seed)

    splits = load_or_exit(args.data)
    train, val = split_named(splits, TRAIN_SPLIT_NAMES), split_named(splits, VALIDATION_SPLIT_NAMES)
    if train is None or val is None:
        raise SystemExit(f"error: {args.data} needs a training split ({'/'.join(TRAIN_SPLIT_NAMES)}) and a "
                         f"validation split ({'/'.join(VALIDATION_SPLIT_NAMES)}); found {', '.join(splits)}")
    if args.limit:
        train = Split(train.name, train.faces[:args.limit], train.labels[:args.limit])
    print(f"train: {train.name} {len(train)} faces; validation: {val.name} {len(val)} faces", flush=True)

    net = EmotionNet(width=args.width).to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(net.parameters(), lr=args.lr, momentum=0.9, nesterov=True,
                                weight_decay=args.weight_decay)
    steps_per_epoch = (len(train) + args.batch_size - 1) // args.batch_size
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, epochs=args.epochs,
                                                    steps_per_epoch=steps_per_epoch, pct_start=0.25)
    # Averaging the weights over the last few hundred steps smooths out SGD noise; both the raw
    # and the averaged network are scored each epoch and the better one is kept.
    ema = torch.optim.swa_utils.AveragedModel(
        net, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(args.ema_decay), use_buffers=True)
    weights = class_weights(train)
    first_epoch, best_score, stale_epochs = 1, -1.0, 0

    last_path, best_path, history_path = out / "last.pt", out / "best.pt", out / "history.csv"
    if args.resume and last_path.exists():
        state = torch.load(last_path, weights_only=False)
        net.load_state_dict(state["model"])
        if "ema" in state:
            ema.load_state_dict(state["ema"])
        optimizer.load_state_dict(state["optimizer"])
        generator.set_state(state["generator"])
        if state["scheduler"]["total_steps"] == scheduler.total_steps:
            scheduler.load_state_dict(state["scheduler"])
        else:  # --epochs changed: stretch or shrink the one-cycle schedule from where training is
            print(f"schedule changed to {args.epochs} epochs", flush=True)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "step before optimizer.step" does not apply here
                for _ in range(state["epoch"] * steps_per_epoch):
                    scheduler.step()
        first_epoch, best_score, stale_epochs = state["epoch"] + 1, state["best_score"], state["stale_epochs"]
        print(f"resumed after epoch {state['epoch']} (best val accuracy {best_score:.4f})", flush=True)
    elif history_path.exists():
        history_path.unlink()  # a fresh run starts a fresh history

    run_started = time.time()
    for epoch in range(first_epoch, args.epochs + 1):
        epoch_started = time.time()
        train_loss, train_accuracy = train_one_epoch(net, ema, optimizer, scheduler, train, weights, generator, args)
        scored = {name: classification_report(val.labels, predict_probabilities(
            candidate, val.faces, bf16=not args.no_bf16).argmax(1)) for name, candidate in (("raw", net), ("ema", ema.module))}
        kept = max(scored, key=lambda name: scored[name]["accuracy"])
        report = scored[kept]
        seconds = time.time() - epoch_started
        improved = report["accuracy"] > best_score
        if improved:
            best_score, stale_epochs = report["accuracy"], 0
            weights_kept = net if kept == "raw" else ema.module
            save_checkpoint(best_path, model=weights_kept.state_dict(), epoch=epoch, width=args.width, report=report)
        else:
            stale_epochs += 1
        save_checkpoint(last_path, model=net.state_dict(), ema=ema.state_dict(), optimizer=optimizer.state_dict(),
                        scheduler=scheduler.state_dict(), generator=generator.get_state(), epoch=epoch,
                        best_score=best_score, stale_epochs=stale_epochs, width=args.width)
        append_history(history_path, {
            "epoch": epoch, "lr": f"{scheduler.get_last_lr()[0]:.6f}", "train_loss": f"{train_loss:.4f}",
            "train_accuracy": f"{train_accuracy:.4f}", "val_accuracy": f"{scored['raw']['accuracy']:.4f}",
            "val_accuracy_ema": f"{scored['ema']['accuracy']:.4f}", "val_macro_f1": f"{report['macro_f1']:.4f}",
            "kept": kept, "seconds": f"{seconds:.1f}"})
        remaining = (time.time() - run_started) / (epoch - first_epoch + 1) * (args.epochs - epoch)
        print(f"epoch {epoch}/{args.epochs}  loss {train_loss:.4f}  train acc {train_accuracy:.4f}  "
              f"val acc {scored['raw']['accuracy']:.4f} (ema {scored['ema']['accuracy']:.4f})  "
              f"macro-F1 {report['macro_f1']:.4f}"
              f"{'  *best*' if improved else ''}  {seconds:.0f}s  eta {remaining / 60:.1f} min", flush=True)
        if stale_epochs >= args.patience:
            print(f"early stop: no better validation accuracy for {args.patience} epochs", flush=True)
            break

    # Imported late: export and quantization need onnx only at the end.
    from training.export import export_checkpoint
    from training.quantize import quantize_model
    fp32_path = export_checkpoint(best_path, out / "emotion_fp32.onnx")
    served_path = quantize_model(fp32_path, out / "emotion.onnx", train.faces)
    print(f"best val accuracy {best_score:.4f}; exported {fp32_path} and int8 {served_path}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

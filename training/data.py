"""Loaders for the three forms of FER2013 users bring.

* the original ``fer2013.csv`` (``emotion,pixels,Usage``),
* the image-folder layout ``<root>/<split>/<class>/*.jpg|png``,
* our ``.npz`` form (``images``, ``labels``, ``usage``).

Every image goes through :func:`app.vision.preprocess.prepare_face`, the same
function the server uses, so what training sees is what serving sees.
A malformed input raises :class:`DatasetError` naming the file and the row or
path at fault, never a traceback from deep inside numpy.
"""
from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from app.vision.preprocess import EMOTIONS, FACE_SIZE, prepare_face

PIXELS_PER_FACE = FACE_SIZE * FACE_SIZE
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".pgm"}
# Folder names seen in the widely shared image-folder copies of FER2013.
FOLDER_CLASSES = {name: index for index, name in enumerate(EMOTIONS)} | {"surprised": EMOTIONS.index("surprise")}
TRAIN_SPLIT_NAMES = ("Training", "train")
VALIDATION_SPLIT_NAMES = ("PublicTest", "val", "validation", "test")


class DatasetError(Exception):
    """The data set on disk is not in a form we can read; the message says where."""


@dataclass
class Split:
    name: str
    faces: np.ndarray  # (N, 48, 48) float32, already through prepare_face
    labels: np.ndarray  # (N,) int64, indices into EMOTIONS

    def __len__(self) -> int:
        return len(self.labels)

    def class_counts(self) -> np.ndarray:
        return np.bincount(self.labels, minlength=len(EMOTIONS))


def load_dataset(path: str | Path) -> dict[str, Split]:
    """Load every split found at ``path``; the form is chosen from what the path is."""
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path}: no such file or folder")
    if path.is_dir():
        return load_image_folders(path)
    if path.suffix.lower() == ".csv":
        return load_csv(path)
    if path.suffix.lower() == ".npz":
        return load_npz(path)
    raise DatasetError(f"{path}: expected fer2013.csv, a .npz file or a folder of <split>/<class>/ images")


def split_named(splits: dict[str, Split], candidates: tuple[str, ...]) -> Split | None:
    for name in candidates:
        if name in splits:
            return splits[name]
    return None


# --- fer2013.csv ---------------------------------------------------------------

def load_csv(path: Path) -> dict[str, Split]:
    faces: dict[str, list[np.ndarray]] = {}
    labels: dict[str, list[int]] = {}
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 20))
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {"emotion", "pixels"} - set(reader.fieldnames or ())
        if missing:
            raise DatasetError(f"{path}: missing column(s) {', '.join(sorted(missing))}; "
                               f"expected emotion,pixels,Usage, found {reader.fieldnames}")
        for row_number, row in enumerate(reader, start=2):  # line 1 is the header
            where = f"{path}, line {row_number}"
            label = parse_label(row.get("emotion"), where)
            pixels = parse_pixels(row.get("pixels"), where)
            usage = (row.get("Usage") or "Training").strip()
            faces.setdefault(usage, []).append(prepare_face(pixels))
            labels.setdefault(usage, []).append(label)
    if not faces:
        raise DatasetError(f"{path}: the file has a header but no rows")
    return {name: make_split(name, faces[name], labels[name]) for name in faces}


def parse_label(text: str | None, where: str) -> int:
    try:
        label = int(str(text).strip())
    except ValueError:
        raise DatasetError(f"{where}: emotion {text!r} is not a number 0-6") from None
    if not 0 <= label < len(EMOTIONS):
        raise DatasetError(f"{where}: emotion {label} is outside 0-6")
    return label


def parse_pixels(text: str | None, where: str) -> np.ndarray:
    values = (text or "").split()
    if len(values) != PIXELS_PER_FACE:
        raise DatasetError(f"{where}: {len(values)} pixel values, expected {PIXELS_PER_FACE} (48x48)")
    try:
        pixels = np.array([int(v) for v in values], dtype=np.int32)
    except ValueError:
        raise DatasetError(f"{where}: pixels must be whole numbers 0-255") from None
    if pixels.min() < 0 or pixels.max() > 255:
        raise DatasetError(f"{where}: pixel values must lie in 0-255")
    return pixels.astype(np.uint8).reshape(FACE_SIZE, FACE_SIZE)


# --- .npz -----------------------------------------------------------------------

def load_npz(path: Path) -> dict[str, Split]:
    try:
        archive = np.load(path, allow_pickle=False)
    except Exception as error:  # numpy raises several types for a bad archive
        raise DatasetError(f"{path}: not a readable .npz archive ({error})") from None
    with archive:
        missing = {"images", "labels"} - set(archive.files)
        if missing:
            raise DatasetError(f"{path}: missing array(s) {', '.join(sorted(missing))}; found {archive.files}")
        images, labels = archive["images"], archive["labels"]
        usage = archive["usage"] if "usage" in archive.files else np.full(len(labels), "Training")
    if images.ndim != 3 or images.shape[1:] != (FACE_SIZE, FACE_SIZE):
        raise DatasetError(f"{path}: images must have shape (N, 48, 48), found {images.shape}")
    if not (len(images) == len(labels) == len(usage)):
        raise DatasetError(f"{path}: images, labels and usage differ in length "
                           f"({len(images)}, {len(labels)}, {len(usage)})")
    bad = np.flatnonzero((labels < 0) | (labels >= len(EMOTIONS)))
    if bad.size:
        raise DatasetError(f"{path}: row {bad[0]} has label {labels[bad[0]]}, outside 0-6")
    images = images.astype(np.uint8, copy=False)
    splits = {}
    for name in dict.fromkeys(str(u) for u in usage):  # keeps first-seen order
        rows = np.flatnonzero(usage == name)
        splits[name] = make_split(name, [prepare_face(images[i]) for i in rows], labels[rows])
    return splits


# --- <root>/<split>/<class>/*.jpg -----------------------------------------------

def load_image_folders(root: Path) -> dict[str, Split]:
    split_dirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not split_dirs:
        raise DatasetError(f"{root}: no split folders (expected e.g. {root}/train/happy/*.jpg)")
    return {d.name: load_split_folder(d) for d in split_dirs}


def load_split_folder(split_dir: Path) -> Split:
    faces, labels = [], []
    class_dirs = sorted(p for p in split_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not class_dirs:
        raise DatasetError(f"{split_dir}: no class folders (expected {', '.join(EMOTIONS)})")
    for class_dir in class_dirs:
        label = FOLDER_CLASSES.get(class_dir.name.lower())
        if label is None:
            raise DatasetError(f"{class_dir}: unknown class folder {class_dir.name!r}; "
                               f"expected one of {', '.join(sorted(FOLDER_CLASSES))}")
        files = sorted(p for p in class_dir.iterdir() if p.is_file() and not p.name.startswith("."))
        if not files:
            raise DatasetError(f"{class_dir}: empty class folder")
        for file in files:
            faces.append(prepare_face(read_gray_image(file)))
            labels.append(label)
    return make_split(split_dir.name, faces, labels)


def read_gray_image(file: Path) -> np.ndarray:
    if file.suffix.lower() not in IMAGE_SUFFIXES:
        raise DatasetError(f"{file}: not an image file (expected {', '.join(sorted(IMAGE_SUFFIXES))})")
    image = cv2.imread(str(file), cv2.IMREAD_GRAYSCALE)
    if image is None or image.size == 0:
        raise DatasetError(f"{file}: unreadable image")
    return image


def make_split(name: str, faces: list[np.ndarray], labels) -> Split:
    stacked = np.stack(faces).astype(np.float32) if len(faces) else np.zeros((0, FACE_SIZE, FACE_SIZE), np.float32)
    return Split(name=name, faces=stacked, labels=np.asarray(labels, dtype=np.int64))


def load_or_exit(path: str | Path) -> dict[str, Split]:
    """For the CLIs: a readable one-line message and exit code 2 instead of a traceback."""
    try:
        return load_dataset(path)
    except DatasetError as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2) from None

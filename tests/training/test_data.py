"""The three data forms load, and every malformed input stops with a message naming the place."""
import subprocess
import sys

import cv2
import numpy as np
import pytest

from app.vision.preprocess import prepare_face
from training.data import DatasetError, load_dataset

rng = np.random.default_rng(0)
FACES = rng.integers(0, 256, (6, 48, 48), dtype=np.uint8)
LABELS = np.array([0, 3, 5, 6, 3, 1])
USAGE = np.array(["Training", "Training", "Training", "PublicTest", "PrivateTest", "PrivateTest"])


def write_csv(path, rows, header="emotion,pixels,Usage"):
    path.write_text(header + "\n" + "".join(row + "\n" for row in rows))
    return path


def csv_rows():
    return [f"{label},{' '.join(map(str, face.ravel()))},{usage}" for face, label, usage in zip(FACES, LABELS, USAGE)]


def write_folders(root, layout):
    for (split, cls), faces in layout.items():
        folder = root / split / cls
        folder.mkdir(parents=True)
        for i, face in enumerate(faces):
            cv2.imwrite(str(folder / f"{i}.png"), face)
    return root


def assert_split(split, faces, labels):
    np.testing.assert_array_equal(split.labels, labels)
    np.testing.assert_array_equal(split.faces, np.stack([prepare_face(f) for f in faces]))


def test_csv_loads_every_usage_split(tmp_path):
    splits = load_dataset(write_csv(tmp_path / "fer2013.csv", csv_rows()))
    assert list(splits) == ["Training", "PublicTest", "PrivateTest"]
    assert_split(splits["Training"], FACES[:3], LABELS[:3])
    assert_split(splits["PrivateTest"], FACES[4:], LABELS[4:])


def test_npz_loads(tmp_path):
    np.savez(tmp_path / "d.npz", images=FACES, labels=LABELS.astype(np.uint8), usage=USAGE)
    splits = load_dataset(tmp_path / "d.npz")
    assert [len(s) for s in splits.values()] == [3, 1, 2]
    assert_split(splits["PublicTest"], FACES[3:4], LABELS[3:4])


def test_image_folders_load_and_accept_surprised(tmp_path):
    root = write_folders(tmp_path / "fer", {("train", "happy"): FACES[:2], ("train", "surprised"): FACES[2:3],
                                            ("test", "angry"): FACES[3:4], ("test", "neutral"): FACES[4:6]})
    splits = load_dataset(root)
    assert sorted(splits) == ["test", "train"]
    assert_split(splits["train"], FACES[:3], [3, 3, 5])
    assert_split(splits["test"], FACES[3:6], [0, 6, 6])


def test_folder_images_of_other_sizes_are_resized_by_the_shared_function(tmp_path):
    big = cv2.resize(FACES[0], (96, 96))
    root = write_folders(tmp_path / "fer", {("train", "fear"): [big]})
    np.testing.assert_array_equal(load_dataset(root)["train"].faces[0], prepare_face(big))


@pytest.mark.parametrize("make, message", [
    (lambda p: write_csv(p / "f.csv", ["3,1 2 3,Training"], header="emotion,Usage"), r"f\.csv: missing column\(s\) pixels"),
    (lambda p: write_csv(p / "f.csv", csv_rows()[:2] + ["3,1 2 3,Training"]), r"f\.csv, line 4: 3 pixel values, expected 2304"),
    (lambda p: write_csv(p / "f.csv", ["9," + " ".join(["1"] * 2304) + ",Training"]), r"line 2: emotion 9 is outside 0-6"),
    (lambda p: write_csv(p / "f.csv", ["x," + " ".join(["1"] * 2304) + ",Training"]), r"line 2: emotion 'x' is not a number"),
    (lambda p: write_csv(p / "f.csv", ["1," + " ".join(["a"] * 2304) + ",Training"]), r"line 2: pixels must be whole numbers"),
    (lambda p: write_csv(p / "f.csv", []), r"no rows"),
])
def test_malformed_csv(tmp_path, make, message):
    with pytest.raises(DatasetError, match=message):
        load_dataset(make(tmp_path))


def test_unknown_class_folder(tmp_path):
    root = write_folders(tmp_path / "fer", {("train", "happy"): FACES[:1], ("train", "bored"): FACES[1:2]})
    with pytest.raises(DatasetError, match=r"train/bored: unknown class folder 'bored'"):
        load_dataset(root)


def test_empty_class_folder(tmp_path):
    (tmp_path / "fer" / "train" / "sad").mkdir(parents=True)
    with pytest.raises(DatasetError, match=r"train/sad: empty class folder"):
        load_dataset(tmp_path / "fer")


def test_empty_root_folder(tmp_path):
    with pytest.raises(DatasetError, match=r"no split folders"):
        load_dataset(tmp_path)


def test_unreadable_image(tmp_path):
    root = write_folders(tmp_path / "fer", {("train", "happy"): FACES[:1]})
    (root / "train" / "happy" / "broken.jpg").write_bytes(b"not really a jpeg")
    with pytest.raises(DatasetError, match=r"happy/broken\.jpg: unreadable image"):
        load_dataset(root)


def test_npz_without_labels(tmp_path):
    np.savez(tmp_path / "d.npz", images=FACES)
    with pytest.raises(DatasetError, match=r"d\.npz: missing array\(s\) labels"):
        load_dataset(tmp_path / "d.npz")


def test_npz_with_wrong_shape(tmp_path):
    np.savez(tmp_path / "d.npz", images=FACES.reshape(6, -1), labels=LABELS, usage=USAGE)
    with pytest.raises(DatasetError, match=r"shape \(N, 48, 48\)"):
        load_dataset(tmp_path / "d.npz")


def test_missing_path_and_unknown_suffix(tmp_path):
    with pytest.raises(DatasetError, match="no such file"):
        load_dataset(tmp_path / "nope.csv")
    (tmp_path / "data.txt").write_text("x")
    with pytest.raises(DatasetError, match="expected fer2013.csv"):
        load_dataset(tmp_path / "data.txt")


def test_cli_reports_a_bad_file_without_a_traceback(tmp_path):
    bad = write_csv(tmp_path / "f.csv", ["3,1 2 3,Training"])
    result = subprocess.run([sys.executable, "-m", "training.evaluate", "--data", str(bad), "--json",
                             str(tmp_path / "e.json")], capture_output=True, text=True)
    assert result.returncode == 2
    assert "f.csv, line 2: 3 pixel values" in result.stderr
    assert "Traceback" not in result.stderr

"""training.ensembles: the table networks and ensembles are chosen from."""
import numpy as np

from app.vision.preprocess import prepare_face


def two_networks(tmp_path):
    """Two differently seeded networks of the served architecture, one with BatchNorm epsilon 1e-5."""
    import keras

    from training.model import build_emotion_net

    paths = []
    for seed, epsilon in ((1, 1e-5), (2, 1e-3)):
        keras.utils.set_random_seed(seed)
        path = tmp_path / f"net{seed}.weights.h5"
        build_emotion_net(bn_epsilon=epsilon).save_weights(path)
        paths.append(path)
    return f"{paths[0]}:0.00001", str(paths[1]), paths[0]


def small_dataset(tmp_path):
    """140 made-up faces (100 Training, 40 PublicTest) with labels and FER+-style votes."""
    rng = np.random.default_rng(7)
    images = rng.integers(0, 256, (140, 48, 48), dtype=np.uint8)
    labels = np.arange(140) % 7
    usage = np.array(["Training"] * 100 + ["PublicTest"] * 40)
    votes = rng.integers(0, 4, (140, 10)).astype(np.uint8)
    np.savez(tmp_path / "faces.npz", images=images, labels=labels, usage=usage)
    np.savez(tmp_path / "votes.npz", votes=votes, usage=usage)
    return tmp_path / "faces.npz", tmp_path / "votes.npz", images[100:], labels[100:]


def test_every_network_and_pair_gets_a_row_with_its_real_accuracy(tmp_path, capsys):
    from training.ensembles import main
    from training.export import load_net

    data, votes, test_images, test_labels = small_dataset(tmp_path)
    former, mixed, former_path = two_networks(tmp_path)
    assert main(["--data", str(data), "--votes", str(votes),
                 "--member", f"former={former}", "--member", f"mixed={mixed}"]) == 0
    rows = [line.split("|")[1:-1] for line in capsys.readouterr().out.splitlines()[2:]]
    assert [row[0].strip() for row in rows] == ["former", "mixed", "former + mixed"]

    # The temperature never changes the top class: the PublicTest column is the network's own accuracy.
    net = load_net(former_path, bn_epsilon=1e-5)
    faces = np.stack([prepare_face(image) for image in test_images])[..., None]
    accuracy = np.mean(net.predict(faces, verbose=0).argmax(axis=1) == test_labels)
    assert rows[0][8].strip() == f"{accuracy:.2%}"


def test_class_bias_rows_name_the_strength_chosen_on_the_held_aside_faces(tmp_path, capsys):
    from training.calibration import BIAS_STRENGTHS
    from training.ensembles import main

    data, votes, _, _ = small_dataset(tmp_path)
    former, mixed, _ = two_networks(tmp_path)
    assert main(["--data", str(data), "--votes", str(votes), "--class-bias", "--max-size", "1",
                 "--member", f"former={former}", "--member", f"mixed={mixed}"]) == 0
    rows = [line.split("|")[1:-1] for line in capsys.readouterr().out.splitlines()[2:]]
    assert [row[0].strip() for row in rows] == ["former", "mixed"]
    assert all(float(row[2]) in set(BIAS_STRENGTHS.tolist()) for row in rows)


def test_per_class_bias_rows_say_so_and_export_the_same_calibration(tmp_path, capsys):
    from training.ensembles import main

    data, votes, _, _ = small_dataset(tmp_path)
    _, mixed, _ = two_networks(tmp_path)
    assert main(["--data", str(data), "--votes", str(votes), "--class-bias", "--per-class-bias",
                 "--recall-floor", "0", "--member", f"mixed={mixed}"]) == 0
    row = capsys.readouterr().out.splitlines()[2].split("|")[1:-1]
    assert row[2].strip() == "per class"

    # The export fits the same bias on the same held-aside faces and writes it for the served graph.
    from training.ensembles import held_and_test_sets
    from training.export import calibrate, load_net
    sets, _ = held_and_test_sets(str(data), str(votes), "PublicTest", 0.1)
    held_faces, held_labels, held_majority = sets["held"]
    spec = calibrate([load_net(mixed)], False, held_faces, held_labels, held_majority,
                     np.full(7, 1 / 7), recall_floor=0.0, per_class=True)
    assert spec["bias_strength"] is None and len(spec["class_bias"]) == 7
    assert spec["held_aside_selection"]["score"] == spec["held_aside_selection"]["rule"]
    assert f"{spec['temperature']:.3f}" == row[1].strip()


def test_a_huge_bias_makes_every_face_that_emotion(tmp_path, capsys):
    from training.bias_sweep import main

    first, _, _ = two_networks(tmp_path)
    small_dataset(tmp_path)
    assert main(["--data", str(tmp_path / "faces.npz"), "--votes", str(tmp_path / "votes.npz"),
                 "--member", first, "--emotion", "disgust", "--biases", "0,50"]) == 0
    table = [line.split(" | ") for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    header, *rows = [row for row in table if not row[0].startswith("|---")]
    assert header[0] == "| disgust bias" and [row[0] for row in rows] == ["| 0", "| 50"]
    huge = rows[1]
    assert huge[1] == "1.000"  # every held-aside disgust face is called disgust
    assert huge[6] == "0.000"  # and no face of any other class keeps its label
    assert huge[7] == "1.000"  # the same on the test split


def test_per_class_bias_lifts_a_class_the_network_under_says():
    from training.calibration import averaged_softmax, fit_per_class_bias
    from training.metrics import classification_report

    # 700 faces, 100 per class; the logits favour the true class, but class 2 (fear) is pushed
    # down by 1.5, so most fear faces are called something else.
    rng = np.random.default_rng(5)
    labels = np.repeat(np.arange(7), 100)
    logits = rng.normal(0, 1, (700, 7)) + 2.0 * np.eye(7)[labels]
    logits[:, 2] -= 1.5

    def accuracy(probabilities):
        return {"score": classification_report(labels, probabilities.argmax(axis=1))["macro_f1"]}

    before = accuracy(averaged_softmax([logits], 1.0))["score"]
    bias, report = fit_per_class_bias([logits], 1.0, accuracy)
    assert bias[2] == max(bias) and bias[2] >= 0.75  # fear is lifted most
    assert report["score"] > before + 0.05
    assert report["score"] == accuracy(averaged_softmax([logits], 1.0, bias))["score"]


def test_per_class_bias_under_a_recall_floor_brings_the_under_said_class_to_the_floor():
    from training.calibration import averaged_softmax, fit_per_class_bias
    from training.metrics import selection_score

    rng = np.random.default_rng(5)
    labels = np.repeat(np.arange(7), 100)
    logits = rng.normal(0, 1, (700, 7)) + 2.0 * np.eye(7)[labels]
    logits[:, 2] -= 2.5  # fear almost never said

    before = selection_score(averaged_softmax([logits], 1.0), labels, None)
    _, free = fit_per_class_bias([logits], 1.0, lambda p: selection_score(p, labels, None))
    bias, floored = fit_per_class_bias([logits], 1.0, lambda p: selection_score(p, labels, None, 0.68))
    assert before["lowest_recall"] < 0.1
    assert free["lowest_recall"] < 0.68 <= floored["lowest_recall"]  # the rule alone stops short of the floor
    assert floored["score"] == floored["rule"]  # meeting the floor, it is ranked by the rule again
    assert bias[2] - np.delete(bias, 2).max() >= 2.0  # fear lifted above every other class


def test_bias_sweep_fit_prints_no_bias_and_the_fitted_bias(tmp_path, capsys):
    from training.bias_sweep import main

    first, _, _ = two_networks(tmp_path)
    small_dataset(tmp_path)
    assert main(["--data", str(tmp_path / "faces.npz"), "--votes", str(tmp_path / "votes.npz"),
                 "--member", first, "--fit"]) == 0
    out = capsys.readouterr().out
    assert "fitted bias: angry" in out
    rows = [line.split(" | ") for line in out.splitlines() if line.startswith("| ") and not line.startswith("|---")]
    assert [row[0] for row in rows[1:]] == ["| none", "| fitted"]
    assert all(len(row[-1].split(";")) == 2 for row in rows[1:])  # every class's recall, held-aside and test

"""training.ensembles: the table the shipped ensemble is chosen from."""
import numpy as np

from app.vision.classifier import MODELS_DIR
from app.vision.preprocess import prepare_face

FORMER = f"{MODELS_DIR / 'emotion_fer2013.weights.h5'}:0.00001"
MIXED = str(MODELS_DIR / "emotion_mixed_labels.weights.h5")


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
    assert main(["--data", str(data), "--votes", str(votes),
                 "--member", f"former={FORMER}", "--member", f"mixed={MIXED}"]) == 0
    rows = [line.split("|")[1:-1] for line in capsys.readouterr().out.splitlines()[2:]]
    assert [row[0].strip() for row in rows] == ["former", "mixed", "former + mixed"]

    # The temperature never changes the top class: the PublicTest column is the network's own accuracy.
    net = load_net(MODELS_DIR / "emotion_fer2013.weights.h5", bn_epsilon=1e-5)
    faces = np.stack([prepare_face(image) for image in test_images])[..., None]
    accuracy = np.mean(net.predict(faces, verbose=0).argmax(axis=1) == test_labels)
    assert rows[0][5].strip() == f"{accuracy:.2%}"

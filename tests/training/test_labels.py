"""FER+ votes, the held-aside split, temperature scaling and the uncertain rule."""
import numpy as np
import pytest

from app.vision.confidence import is_uncertain
from app.vision.preprocess import EMOTIONS
from training.calibration import averaged_softmax, fit_temperature, reliability, softmax
from training.data import DatasetError
from training.labels import NO_MAJORITY, hold_aside, load_ferplus_votes, majority_labels, soft_targets, vote_shares
from training.metrics import selection_score

# FER+ columns: neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown, NF
VOTES = np.array([
    [0, 9, 1, 0, 0, 0, 0, 0, 0, 0],  # happy
    [4, 0, 0, 4, 0, 0, 0, 0, 2, 0],  # neutral and sad tie: no majority
    [0, 0, 0, 0, 0, 0, 0, 6, 4, 0],  # contempt: no FER2013 class
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 10],  # not a face, no emotion votes at all
    [1, 0, 3, 0, 0, 0, 6, 0, 0, 0],  # fear
], dtype=np.uint8)


def test_majority_maps_columns_to_emotions_and_leaves_out_ties_and_non_emotions():
    assert majority_labels(VOTES).tolist() == [EMOTIONS.index("happy"), NO_MAJORITY, NO_MAJORITY, NO_MAJORITY,
                                               EMOTIONS.index("fear")]


def test_vote_shares_and_soft_targets():
    shares = vote_shares(VOTES)
    assert shares[0, EMOTIONS.index("happy")] == pytest.approx(0.9)
    assert shares[3].sum() == 0  # no emotion votes
    labels = np.array([3, 4, 0, 6, 2])
    targets = soft_targets(labels, VOTES, fer2013_weight=0.5)
    np.testing.assert_allclose(targets.sum(1), 1.0, atol=1e-6)
    assert targets[0, EMOTIONS.index("happy")] == pytest.approx(0.5 + 0.5 * 0.9)
    np.testing.assert_array_equal(targets[3], np.eye(7)[6])  # no votes: the FER2013 label alone
    np.testing.assert_array_equal(soft_targets(labels, VOTES, 1.0), np.eye(7)[labels])


def test_votes_file_is_checked(tmp_path):
    good = tmp_path / "votes.npz"
    np.savez(good, votes=VOTES, usage=np.array(["Training"] * 3 + ["PublicTest"] * 2),
             columns=np.array(["neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear",
                               "contempt", "unknown", "NF"]))
    loaded = load_ferplus_votes(good)
    assert {name: len(v) for name, v in loaded.items()} == {"Training": 3, "PublicTest": 2}
    bad = tmp_path / "bad.npz"
    np.savez(bad, votes=VOTES[:, :7], usage=np.array(["Training"] * 5))
    with pytest.raises(DatasetError, match="must be"):
        load_ferplus_votes(bad)
    with pytest.raises(DatasetError, match="not a readable"):
        load_ferplus_votes(tmp_path / "missing.npz")


def test_held_aside_rows_are_stratified_disjoint_and_the_same_every_time():
    labels = np.repeat(np.arange(7), [400, 40, 400, 700, 480, 310, 490])
    first, second = hold_aside(labels), hold_aside(labels)
    np.testing.assert_array_equal(first.held, second.held)
    assert not set(first.held) & set(first.train)
    assert len(first.held) + len(first.train) == len(labels)
    assert np.bincount(labels[first.held]).tolist() == [40, 4, 40, 70, 48, 31, 49]


def test_selection_score_is_the_mean_of_both_accuracies_and_macro_f1():
    probabilities = np.eye(7)[[3, 6, 0, 6, 2]]
    score = selection_score(probabilities, np.array([3, 4, 0, 6, 6]), majority_labels(VOTES))
    assert score["fer2013"] == pytest.approx(0.6)
    assert score["ferplus"] == pytest.approx(1.0)  # only rows 0 and 4 have a majority; both right
    # F1 over the four classes present: happy 1, sad 0, angry 1, neutral 1/2 (one of two found, one false).
    assert score["macro_f1"] == pytest.approx((1 + 0 + 1 + 0.5) / 4)
    assert score["score"] == pytest.approx((0.6 + 1.0 + score["macro_f1"]) / 3)


def test_selection_prefers_a_network_that_still_names_the_rare_class():
    labels = np.array([3] * 8 + [1] * 2)
    never_rare = np.eye(7)[[3] * 10]  # 80 % accuracy, disgust never said
    names_rare = np.eye(7)[[3] * 7 + [1] + [1, 3]]  # 80 % accuracy too, one disgust found
    assert selection_score(names_rare, labels, None)["score"] > selection_score(never_rare, labels, None)["score"]


def test_a_recall_floor_ranks_every_candidate_that_meets_it_above_every_one_that_does_not():
    labels = np.array([3] * 8 + [1] * 2)
    never_rare = np.eye(7)[[3] * 10]  # 80 % accuracy, disgust recall 0
    half_rare = np.eye(7)[[3] * 6 + [1, 1] + [1, 3]]  # 70 % accuracy, disgust recall 0.5
    plain = [selection_score(p, labels, None) for p in (never_rare, half_rare)]
    assert [report["score"] for report in plain] == [report["rule"] for report in plain]
    assert plain[1]["lowest_recall"] == pytest.approx(0.5)

    floored = [selection_score(p, labels, None, recall_floor=0.45) for p in (never_rare, half_rare)]
    assert floored[1]["score"] == floored[1]["rule"]  # meets the floor: ranked by the rule
    assert floored[0]["score"] == pytest.approx(0.0 - 1.0)  # misses it: its lowest recall, minus one
    assert floored[0]["rule"] == plain[0]["rule"]  # the rule itself is reported unchanged
    missing_by_less = selection_score(half_rare, labels, None, recall_floor=0.6)
    assert floored[0]["score"] < missing_by_less["score"] < 0


def test_temperature_scaling_recovers_the_temperature_that_made_the_labels():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, (4000, 7))
    true_temperature = 2.0
    probabilities = softmax(logits / true_temperature)
    labels = np.array([rng.choice(7, p=p) for p in probabilities])
    fitted = fit_temperature([logits, logits], labels)
    assert fitted == pytest.approx(true_temperature, rel=0.1)
    calibrated = averaged_softmax([logits], fitted)
    assert reliability(calibrated, labels)["ece"] < reliability(softmax(logits), labels)["ece"] / 2


def test_expected_calibration_error_by_hand():
    # Two bins used: four faces at 0.9 confidence with 3 right, one at 0.55 that is wrong.
    probabilities = np.full((5, 7), 0.0)
    probabilities[:4, 0], probabilities[:4, 1] = 0.9, 0.1
    probabilities[4, 0], probabilities[4, 1] = 0.55, 0.45
    labels = np.array([0, 0, 0, 1, 1])
    report = reliability(probabilities, labels, bins=10)
    assert report["ece"] == pytest.approx(4 / 5 * abs(0.75 - 0.9) + 1 / 5 * abs(0.0 - 0.55))
    assert sum(b["count"] for b in report["bins"]) == 5


@pytest.mark.parametrize("top, second, uncertain", [(0.83, 0.05, False), (0.45, 0.2, True), (0.52, 0.40, True),
                                                    (0.70, 0.20, False)])
def test_uncertain_rule(top, second, uncertain):
    rest = (1 - top - second) / 5
    scores = dict(zip(EMOTIONS, [top, second] + [rest] * 5))
    assert is_uncertain(scores) is uncertain


def test_class_bias_lifts_a_class_the_network_rarely_says_when_the_selection_rule_rewards_it():
    from training.calibration import class_bias, fit_class_bias

    rng = np.random.default_rng(0)
    counts = np.array([400, 40, 400, 700, 480, 320, 500])  # FER2013-like: disgust rare
    labels = np.repeat(np.arange(7), counts)
    shares = counts / counts.sum()
    # A network that knows the faces somewhat and leans towards the common classes (their log share).
    logits = 1.5 * np.eye(7)[labels] + np.log(shares) + rng.normal(0, 1, (len(labels), 7))
    strength, report = fit_class_bias([logits], 1.0, shares, lambda p: selection_score(p, labels, None))
    assert strength > 0
    assert report["score"] > selection_score(averaged_softmax([logits], 1.0), labels, None)["score"]
    assert [row["strength"] for row in report["tried"]][:3] == [0.0, 0.1, 0.2]
    assert max(row["score"] for row in report["tried"]) == report["score"]
    disgust = labels == 1
    before = (averaged_softmax([logits], 1.0).argmax(axis=1)[disgust] == 1).mean()
    after = (averaged_softmax([logits], 1.0, class_bias(shares, strength)).argmax(axis=1)[disgust] == 1).mean()
    assert after > before
    np.testing.assert_allclose(class_bias(shares, 0.0), 0.0)


def test_class_bias_under_a_recall_floor_makes_the_rare_class_said_on_its_share_of_faces():
    from training.calibration import class_bias, fit_class_bias

    rng = np.random.default_rng(1)
    counts = np.array([400, 40, 400, 700, 480, 320, 500])
    labels = np.repeat(np.arange(7), counts)
    shares = counts / counts.sum()
    logits = 1.5 * np.eye(7)[labels] + np.log(shares) + rng.normal(0, 1, (len(labels), 7))
    free, _ = fit_class_bias([logits], 1.0, shares, lambda p: selection_score(p, labels, None))
    floored, report = fit_class_bias([logits], 1.0, shares, lambda p: selection_score(p, labels, None, 0.45))
    assert floored > free
    assert report["lowest_recall"] >= 0.45 and report["score"] == report["rule"]
    recall_free = selection_score(averaged_softmax([logits], 1.0, class_bias(shares, free)), labels, None)
    assert recall_free["lowest_recall"] < 0.45  # without the floor the rule gives the rare class up

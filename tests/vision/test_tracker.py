"""The face tracker that videos and the webcam share (app.vision.tracker)."""
from app.vision.tracker import FaceTracker, TrackSeconds, iou, match_boxes

HAPPY = {"angry": 0.0, "disgust": 0.0, "fear": 0.0, "happy": 0.9, "sad": 0.05, "surprise": 0.0, "neutral": 0.05}
SAD = {"angry": 0.0, "disgust": 0.0, "fear": 0.0, "happy": 0.05, "sad": 0.9, "surprise": 0.0, "neutral": 0.05}


def test_iou_and_greedy_matching_never_share_a_known_box():
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert iou((0, 0, 10, 10), (20, 20, 10, 10)) == 0.0
    # Both new boxes overlap the first known box; the better one wins it, the other takes the second.
    matched = match_boxes([(0, 0, 100, 100), (5, 0, 100, 100)], [(4, 0, 100, 100), (300, 0, 100, 100)])
    assert matched == {1: 0}
    assert match_boxes([(0, 0, 100, 100)], [(0, 0, 100, 100), (2, 0, 100, 100)]) == {0: 0}


def test_a_moving_face_keeps_its_track_and_a_new_face_gets_a_new_one():
    tracker = FaceTracker()
    first = tracker.update([((100, 100, 80, 80), HAPPY)])
    assert [face.track_id for face in first] == [1]
    # A fast head movement (little overlap, near centre) stays the same person.
    moved = tracker.update([((130, 100, 80, 80), HAPPY), ((400, 100, 60, 60), SAD)])
    assert {face.track_id for face in moved} == {1, 2}
    assert moved[0].track_id == 1  # largest first
    assert moved[1].label == "sad"


def test_scores_are_smoothed_so_one_odd_frame_does_not_flip_the_label():
    tracker = FaceTracker()
    for _ in range(5):
        tracker.update([((100, 100, 80, 80), HAPPY)])
    [face] = tracker.update([((100, 100, 80, 80), SAD)])
    assert face.label == "happy" and face.raw_scores == SAD
    for _ in range(6):
        [face] = tracker.update([((100, 100, 80, 80), SAD)])
    assert face.label == "sad"


def test_a_track_ends_after_too_many_missed_frames_and_its_id_is_not_reused():
    tracker = FaceTracker(max_missed=2)
    tracker.update([((0, 0, 50, 50), HAPPY)])
    for _ in range(3):
        assert tracker.update([]) == []
    assert tracker.tracks == []
    [face] = tracker.update([((0, 0, 50, 50), HAPPY)])
    assert face.track_id == 2


def test_state_round_trips_and_damaged_state_starts_afresh():
    tracker = FaceTracker()
    tracker.update([((0, 0, 50, 50), HAPPY)])
    carried = FaceTracker.from_state(tracker.to_state())
    [face] = carried.update([((2, 0, 50, 50), SAD)])
    assert face.track_id == 1 and face.label == "happy"
    for broken in (None, {}, {"next_id": "x"}, {"next_id": 1, "tracks": [{"id": 1}]}, "nonsense"):
        assert FaceTracker.from_state(broken).tracks == []


def test_track_seconds_give_per_second_scores_and_shares_of_time():
    tracker = FaceTracker()
    timeline = TrackSeconds()
    for index in range(20):  # 4 seconds at 5 frames a second
        t = index / 5
        scores = HAPPY if t < 3 else SAD
        faces = [((100, 100, 80, 80), scores)] + ([((400, 100, 60, 60), SAD)] if t >= 2 else [])
        timeline.add(t, tracker.update(faces))
    first, second = timeline.tracks()
    assert (first["id"], first["start"], first["end"]) == (1, 0, 4)
    assert [s["label"] for s in first["seconds"]] == ["happy", "happy", "happy", "sad"]
    assert first["summary"]["happy"] == 0.75 and first["summary"]["sad"] == 0.25
    assert (second["id"], second["start"], second["end"]) == (2, 2, 4)
    assert second["summary"]["sad"] == 1.0
    # A face seen in one frame only is left out when asked.
    timeline.add(5.0, tracker.update([((600, 300, 20, 20), HAPPY)]))
    assert len(timeline.tracks(min_frames=2)) == 2

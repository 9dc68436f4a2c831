"""Following faces from frame to frame: one tracker for recorded videos and the live webcam.

A detector answers per frame; to tell *who* is smiling over time, each face of a new frame is
matched to a **track** (one person, as far as boxes can tell):

* a face goes to the track whose last box overlaps it most (intersection over union >=
  ``same_face_iou``); if none overlaps enough, to the track whose centre is nearest, when closer
  than half that track's box size (a fast head movement). Pairs are taken greedily, best first,
  so two faces never share one track, and a face that matches none starts a new track;
* a track's seven scores are an exponential moving average of its faces' scores
  (``newest_weight`` for the newest frame), so labels do not flicker between close emotions;
  boxes follow at once (smoothing them would make them lag);
* a track not seen for more than ``max_missed`` frames ends.

Plain Python (no Flask, no database); its state is a small JSON-ready dict
(``to_state``/``from_state``) so that a web process can keep it between a camera's frames.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from app.vision.confidence import is_uncertain

Box = tuple[int, int, int, int]

SAME_FACE_IOU = 0.3
NEWEST_FRAME_WEIGHT = 0.35  # about the last 5 frames shape the label
MAX_MISSED_FRAMES = 5


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    overlap_w = min(ax + aw, bx + bw) - max(ax, bx)
    overlap_h = min(ay + ah, by + bh) - max(ay, by)
    if overlap_w <= 0 or overlap_h <= 0:
        return 0.0
    overlap = overlap_w * overlap_h
    return overlap / float(aw * ah + bw * bh - overlap)


def centre_distance(a: Sequence[float], b: Sequence[float]) -> float:
    return math.hypot(a[0] + a[2] / 2 - (b[0] + b[2] / 2), a[1] + a[3] / 2 - (b[1] + b[3] / 2))


def match_boxes(new: Sequence[Sequence[float]], known: Sequence[Sequence[float]],
                min_iou: float = SAME_FACE_IOU, by_centre: bool = True) -> dict[int, int]:
    """{index in ``new``: index in ``known``}: greedy, best overlap first (then nearest centre).

    With ``by_centre`` a pair that overlaps too little still matches when the centres are closer
    than half the known box's larger side."""
    pairs = []
    for i, box in enumerate(new):
        for j, old in enumerate(known):
            overlap = iou(box, old)
            distance = centre_distance(box, old)
            if overlap >= min_iou or (by_centre and distance < max(old[2], old[3]) / 2):
                pairs.append((-overlap, distance, i, j))
    pairs.sort()
    matched: dict[int, int] = {}
    taken: set[int] = set()
    for _overlap, _distance, i, j in pairs:
        if i not in matched and j not in taken:
            matched[i] = j
            taken.add(j)
    return matched


def top_label(scores: dict[str, float]) -> str:
    return max(scores, key=scores.get)


@dataclass
class Track:
    id: int
    box: Box
    scores: dict[str, float]  # smoothed
    missed: int = 0

    def view(self, raw_scores: dict[str, float] | None = None) -> "TrackedFace":
        label = top_label(self.scores)
        return TrackedFace(track_id=self.id, box=self.box, scores=dict(self.scores),
                           raw_scores=dict(raw_scores or self.scores), label=label,
                           confidence=self.scores[label], uncertain=is_uncertain(self.scores))


@dataclass(frozen=True)
class TrackedFace:
    """A face of the current frame with its track: smoothed scores and label, and the frame's own."""

    track_id: int
    box: Box
    scores: dict[str, float]  # smoothed over the track's recent frames
    raw_scores: dict[str, float]  # this frame's scores
    label: str
    confidence: float
    uncertain: bool

    def to_dict(self) -> dict:
        x, y, w, h = self.box
        return {"id": self.track_id, "box": {"x": x, "y": y, "w": w, "h": h}, "label": self.label,
                "confidence": round(self.confidence, 4), "uncertain": self.uncertain,
                "scores": {name: round(value, 4) for name, value in self.scores.items()}}


@dataclass
class FaceTracker:
    """Assigns each frame's faces to tracks and smooths their scores (see the module's text)."""

    same_face_iou: float = SAME_FACE_IOU
    newest_weight: float = NEWEST_FRAME_WEIGHT
    max_missed: int = MAX_MISSED_FRAMES
    tracks: list[Track] = field(default_factory=list)
    next_id: int = 1

    def reset(self) -> None:
        self.tracks = []

    def update(self, faces: Iterable) -> list[TrackedFace]:
        """``faces``: objects with ``box`` (x, y, w, h) and ``scores`` ({emotion: p}), such as
        ``app.vision.Face``, or (box, scores) pairs. Returns the faces of this frame with their
        tracks, largest first."""
        faces = [(tuple(int(v) for v in f[0]), dict(f[1])) if isinstance(f, tuple)
                 else (tuple(int(v) for v in f.box), dict(f.scores)) for f in faces]
        matched = match_boxes([box for box, _ in faces], [track.box for track in self.tracks],
                              self.same_face_iou)
        taken = set(matched.values())
        for j, track in enumerate(self.tracks):
            if j not in taken:
                track.missed += 1
        seen: list[TrackedFace] = []
        for i, (box, scores) in enumerate(faces):
            if i in matched:
                track = self.tracks[matched[i]]
                for emotion, score in scores.items():
                    previous = track.scores.get(emotion, score)
                    track.scores[emotion] = previous + self.newest_weight * (score - previous)
                track.box = box
                track.missed = 0
            else:
                track = Track(id=self.next_id, box=box, scores=dict(scores))
                self.next_id += 1
                self.tracks.append(track)
            seen.append(track.view(scores))
        self.tracks = [track for track in self.tracks if track.missed <= self.max_missed]
        return sorted(seen, key=lambda face: face.box[2] * face.box[3], reverse=True)

    def to_state(self) -> dict:
        return {"next_id": self.next_id,
                "tracks": [{"id": t.id, "box": list(t.box), "scores": t.scores, "missed": t.missed}
                           for t in self.tracks]}

    @classmethod
    def from_state(cls, state: dict | None, **settings) -> "FaceTracker":
        """A tracker carrying on from ``to_state``'s dict; a missing or damaged state starts afresh."""
        tracker = cls(**settings)
        try:
            tracker.next_id = int(state["next_id"])
            tracker.tracks = [Track(id=int(t["id"]), box=tuple(int(v) for v in t["box"][:4]),
                                    scores={str(k): float(v) for k, v in t["scores"].items()},
                                    missed=int(t["missed"])) for t in state["tracks"]]
        except (TypeError, KeyError, ValueError, AttributeError):
            return cls(**settings)
        return tracker


@dataclass
class TrackSeconds:
    """Per track and per whole second: the mean of the frame scores (what a timeline shows)."""

    sums: dict[int, dict[int, dict[str, float]]] = field(default_factory=dict)
    counts: dict[int, dict[int, int]] = field(default_factory=dict)
    largest_box: dict[int, Box] = field(default_factory=dict)

    def add(self, t: float, faces: Iterable[TrackedFace]) -> list[TrackedFace]:
        """Fold one frame at ``t`` seconds in; returns the faces whose track has a new largest box."""
        second = int(t)
        grown = []
        for face in faces:
            per_second = self.sums.setdefault(face.track_id, {})
            totals = per_second.setdefault(second, dict.fromkeys(face.raw_scores, 0.0))
            for emotion, score in face.raw_scores.items():
                totals[emotion] = totals.get(emotion, 0.0) + score
            counts = self.counts.setdefault(face.track_id, {})
            counts[second] = counts.get(second, 0) + 1
            best = self.largest_box.get(face.track_id)
            if best is None or face.box[2] * face.box[3] > best[2] * best[3]:
                self.largest_box[face.track_id] = face.box
                grown.append(face)
        return grown

    def tracks(self, min_frames: int = 1) -> list[dict]:
        """``[{"id", "start", "end", "seconds": [{"t", "label", "scores"}], "summary", "box"}]``,
        numbered 1, 2, ... by first appearance; tracks seen in fewer than ``min_frames`` frames
        (a detector's one-off mistake) are left out. ``summary`` is the share of the track's
        seconds per emotion (by each second's label)."""
        result = []
        for track_id in sorted(self.sums, key=lambda k: (min(self.sums[k]), k)):
            if sum(self.counts[track_id].values()) < min_frames:
                continue
            seconds = []
            for second in sorted(self.sums[track_id]):
                count = self.counts[track_id][second]
                scores = {emotion: round(total / count, 4) for emotion, total in self.sums[track_id][second].items()}
                seconds.append({"t": second, "label": top_label(scores), "scores": scores})
            labels = [second["label"] for second in seconds]
            emotions = list(seconds[0]["scores"])
            summary = {emotion: round(labels.count(emotion) / len(labels), 4) for emotion in emotions}
            x, y, w, h = self.largest_box[track_id]
            result.append({"id": len(result) + 1, "source_track": track_id, "start": seconds[0]["t"],
                           "end": seconds[-1]["t"] + 1, "seconds": seconds, "summary": summary,
                           "box": {"x": x, "y": y, "w": w, "h": h}})
        return result

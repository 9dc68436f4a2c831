"""Webcam sessions and their per-second history (plain Python + SQLAlchemy, no request handling).

Storage design (why there is no row per frame)
----------------------------------------------
A camera sends 15-30 frames a second; a row per frame would bury the dashboard and the database.
Instead:

* ``WebcamSession`` is one press of Start..Stop; ``frames_analysed`` counts every frame the server
  analysed, with or without a face.
* For every second of camera time (counted from the session's start, by the server's clock) in which
  at least one face was seen there is ONE ``Analysis(source="webcam", webcam_session_id=...,
  frame_count=N)``: N is the number of frames with faces in that second, its ``created_at`` is the
  start of that second, and its ``FaceResult`` rows hold, per face, the box and the seven scores
  averaged over the frames of that second in which the face was seen (label = the top averaged score).
  The dashboard counts such a second like one uploaded photo, so both sources share its queries.

How faces of one second are matched: each face of a new frame goes to the face of that second whose
last box overlaps it most (intersection over union >= ``SAME_FACE_IOU``), greedily, best pair first
(``app.vision.tracker.match_boxes``, the matching the face tracker uses); a face that matches none
starts a new face of that second.

Live labels: the page draws the session's **tracks** (``follow_faces``): one
``app.vision.tracker.FaceTracker`` per session, whose state is kept in the session's row between
frames (any gunicorn worker may take the next frame), smooths each face's scores over its recent
frames, the same tracker that follows faces through uploaded videos.

The running sums live in this process (``_open_seconds``) and the row is rewritten after every
frame, so the database is always current and nothing is lost when the camera stops abruptly. A
gunicorn worker that gets a frame for a second it did not start (or whose sums are stale because
another worker wrote in between: its frame count differs from the row's) takes the row as written,
treating each stored face as seen in all of that row's frames. Frames of one session arrive one at a
time, since the page waits for each answer before it sends the next frame.
"""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import EMOTION_COLUMNS, Analysis, FaceResult, WebcamSession, utcnow
from app.vision.tracker import SAME_FACE_IOU, FaceTracker, TrackedFace, match_boxes

MAX_OPEN_SECONDS = 1024  # sessions whose current second is kept in memory per process

Box = tuple[int, int, int, int]


class SessionEnded(RuntimeError):
    """A frame arrived for a session that was already stopped."""


@dataclass
class FaceTotals:
    """One face within one second: sums over the frames in which it was seen."""

    last_box: Box
    frames: int = 0
    box_sum: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0, 0.0])
    score_sums: dict[str, float] = field(default_factory=lambda: dict.fromkeys(EMOTION_COLUMNS, 0.0))

    def add(self, box: Box, scores: dict[str, float], weight: int = 1) -> None:
        self.last_box = box
        self.frames += weight
        for i, value in enumerate(box):
            self.box_sum[i] += value * weight
        for emotion in EMOTION_COLUMNS:
            self.score_sums[emotion] += float(scores.get(emotion, 0.0)) * weight

    def mean_box(self) -> Box:
        return tuple(int(round(total / self.frames)) for total in self.box_sum)

    def mean_scores(self) -> dict[str, float]:
        return {emotion: total / self.frames for emotion, total in self.score_sums.items()}


@dataclass
class SecondTotals:
    """The faces of one second of one session, as far as this process has seen them."""

    analysis_id: int | None
    frames: int = 0
    faces: list[FaceTotals] = field(default_factory=list)

    @classmethod
    def from_row(cls, row: Analysis) -> "SecondTotals":
        totals = cls(analysis_id=row.id, frames=row.frame_count)
        for face in row.faces:
            box = (face.x, face.y, face.w, face.h)
            face_totals = FaceTotals(last_box=box)
            face_totals.add(box, face.scores, weight=row.frame_count)
            totals.faces.append(face_totals)
        return totals

    def add_frame(self, faces: list[tuple[Box, dict[str, float]]]) -> None:
        self.frames += 1
        matched = match_boxes([box for box, _ in faces], [known.last_box for known in self.faces],
                              SAME_FACE_IOU, by_centre=False)
        for i, (box, scores) in enumerate(faces):
            if i in matched:
                self.faces[matched[i]].add(box, scores)
            else:
                new_face = FaceTotals(last_box=box)
                new_face.add(box, scores)
                self.faces.append(new_face)

    def write_to(self, row: Analysis) -> None:
        row.frame_count = self.frames
        while len(row.faces) < len(self.faces):
            row.faces.append(FaceResult(face_index=len(row.faces), x=0, y=0, w=0, h=0, label="neutral",
                                        confidence=0.0, **dict.fromkeys(EMOTION_COLUMNS, 0.0)))
        # face_index 0 is the largest face, as for uploads.
        ordered = sorted(self.faces, key=lambda f: f.mean_box()[2] * f.mean_box()[3], reverse=True)
        for index, (result, totals) in enumerate(zip(row.faces, ordered)):
            scores = totals.mean_scores()
            label = max(scores, key=scores.get)
            result.face_index = index
            result.x, result.y, result.w, result.h = totals.mean_box()
            result.label = label
            result.confidence = scores[label]
            for emotion, score in scores.items():
                setattr(result, emotion, score)


_open_seconds: OrderedDict[tuple[int, datetime], SecondTotals] = OrderedDict()
_open_seconds_lock = threading.Lock()


def _take_open_second(key: tuple[int, datetime]) -> SecondTotals | None:
    with _open_seconds_lock:
        return _open_seconds.pop(key, None)


def _keep_open_second(key: tuple[int, datetime], totals: SecondTotals) -> None:
    with _open_seconds_lock:
        # One current second per session: an older second of the same session is complete.
        for stale in [k for k in _open_seconds if k[0] == key[0]]:
            del _open_seconds[stale]
        _open_seconds[key] = totals
        while len(_open_seconds) > MAX_OPEN_SECONDS:
            _open_seconds.popitem(last=False)


def _forget_session(session_id: int) -> None:
    with _open_seconds_lock:
        for stale in [k for k in _open_seconds if k[0] == session_id]:
            del _open_seconds[stale]


def start_session(user_id: int, now: datetime | None = None) -> WebcamSession:
    """A new session; sessions the user left open (tab closed without Stop) are closed first."""
    now = now or utcnow()
    for left_open in db.session.scalars(
        select(WebcamSession).where(WebcamSession.user_id == user_id, WebcamSession.ended_at.is_(None))
    ):
        left_open.ended_at = last_activity(left_open)
    session = WebcamSession(user_id=user_id, started_at=now)
    db.session.add(session)
    db.session.commit()
    return session


def last_activity(session: WebcamSession) -> datetime:
    """End of the last second with faces, or the start when there was none."""
    last_second = db.session.scalar(
        select(func.max(Analysis.created_at)).where(Analysis.webcam_session_id == session.id)
    )
    return last_second + timedelta(seconds=1) if last_second else session.started_at


def get_owned_session(user_id: int, session_id: int) -> WebcamSession | None:
    """The session if it belongs to the user, else None (callers answer 404 either way)."""
    session = db.session.get(WebcamSession, session_id)
    if session is None or session.user_id != user_id:
        return None
    return session


def stop_session(session: WebcamSession, now: datetime | None = None) -> WebcamSession:
    if session.ended_at is None:
        session.ended_at = now or utcnow()
        db.session.commit()
    _forget_session(session.id)
    return session


def delete_session(session: WebcamSession) -> None:
    _forget_session(session.id)
    db.session.delete(session)  # its seconds go with it (ON DELETE CASCADE)
    db.session.commit()


def second_start(session: WebcamSession, now: datetime) -> datetime:
    elapsed = max(0, int((now - session.started_at).total_seconds()))
    return session.started_at + timedelta(seconds=elapsed)


def record_frame(session: WebcamSession, faces: list, width: int, height: int,
                 now: datetime | None = None) -> Analysis | None:
    """Count one analysed frame and fold its faces into the row of its second.

    ``faces`` are objects with ``box`` (x, y, w, h) and ``scores`` {emotion: probability}, such as
    ``app.vision.Face``. Returns the second's Analysis row, or None for a frame without faces.
    """
    if session.ended_at is not None:
        raise SessionEnded(f"Webcam session {session.id} has ended.")
    now = now or utcnow()
    # An atomic increment: correct whichever worker counts the frame.
    db.session.execute(
        update(WebcamSession)
        .where(WebcamSession.id == session.id)
        .values(frames_analysed=WebcamSession.frames_analysed + 1)
        .execution_options(synchronize_session=False)
    )
    if not faces:
        db.session.commit()
        return None

    started = second_start(session, now)
    key = (session.id, started)
    row = db.session.scalar(
        select(Analysis)
        .where(Analysis.webcam_session_id == session.id, Analysis.created_at == started)
        .with_for_update()  # PostgreSQL: frames of one second are folded in one at a time
    )
    totals = _take_open_second(key)
    if row is None:
        row = Analysis(user_id=session.user_id, source="webcam", created_at=started, filename=None,
                       image_width=int(width), image_height=int(height), webcam_session_id=session.id)
        db.session.add(row)
        totals = SecondTotals(analysis_id=None)
    elif totals is None or totals.analysis_id != row.id or totals.frames != row.frame_count:
        totals = SecondTotals.from_row(row)
    totals.add_frame([(tuple(int(v) for v in face.box), face.scores) for face in faces])
    totals.write_to(row)
    db.session.commit()
    totals.analysis_id = row.id
    _keep_open_second(key, totals)
    return row


def follow_faces(session: WebcamSession, faces: list) -> list[TrackedFace]:
    """The frame's faces with their tracks and smoothed scores, largest first; the session's
    tracker state is carried from frame to frame in its row (committed with the frame)."""
    if session.ended_at is not None:
        return []
    try:
        state = json.loads(session.tracker_state) if session.tracker_state else None
    except ValueError:
        state = None
    tracker = FaceTracker.from_state(state)
    tracked = tracker.update(faces)
    session.tracker_state = json.dumps(tracker.to_state(), separators=(",", ":"))
    return tracked


def session_summary(session: WebcamSession) -> dict:
    """The session and its per-second rows, for the API and the dashboard."""
    seconds = list(session.seconds)
    labels: dict[str, int] = {}
    for second in seconds:
        for face in second.faces:
            labels[face.label] = labels.get(face.label, 0) + 1
    ended = session.ended_at
    return {
        "id": session.id,
        "started_at": session.started_at.isoformat() + "Z",
        "ended_at": ended.isoformat() + "Z" if ended else None,
        "duration_s": round((ended - session.started_at).total_seconds(), 1) if ended else None,
        "frames_analysed": session.frames_analysed,
        "seconds_with_faces": len(seconds),
        "frames_with_faces": sum(second.frame_count for second in seconds),
        "dominant_emotion": max(labels, key=labels.get) if labels else None,
        "label_counts": labels,
        "seconds": [second.to_dict() for second in seconds],
    }


def recent_sessions(user_id: int, date_range=None, limit: int = 20) -> list[dict]:
    """Summaries of the user's latest sessions; ``date_range`` (dashboard's DateRange) filters starts."""
    query = select(WebcamSession).where(WebcamSession.user_id == user_id)
    if date_range is not None:
        query = date_range.apply(query, WebcamSession.started_at)
    query = (
        query.options(selectinload(WebcamSession.seconds).selectinload(Analysis.faces))
        .order_by(WebcamSession.started_at.desc(), WebcamSession.id.desc())
        .limit(limit)
    )
    return [session_summary(session) for session in db.session.scalars(query)]

"""Undo for deleting: a delete first keeps a copy of what it removes, for UNDO_MINUTES.

The copy is a ``DeletedItem``: the analysis (or the webcam session with all its seconds, or the
finished video with its tracks, thumbnails and history row) as JSON, every column and id
included, plus the kept photo's bytes. Undo writes the same rows back with
the same ids, so links to the analysis work again; after the window the copy is purged (on the
user's next delete or undo), and deleting the account removes it with everything else.
"""
from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from app.extensions import db
from app.models import (VIDEO_FINISHED, Analysis, AnalysisPhoto, DeletedItem, FaceResult, Video, VideoThumbnail,
                        WebcamSession, utcnow)

UNDO_MINUTES = 10
ANALYSIS_COLUMNS = ("id", "user_id", "created_at", "source", "filename", "image_width", "image_height",
                    "frame_count", "webcam_session_id", "video_id")
FACE_COLUMNS = tuple(column.name for column in FaceResult.__table__.columns if column.name != "analysis_id")
SESSION_COLUMNS = ("id", "user_id", "started_at", "ended_at", "frames_analysed")
VIDEO_COLUMNS = tuple(column.name for column in Video.__table__.columns)
VIDEO_TIMES = ("created_at", "started_at", "finished_at", "heartbeat_at")


class UndoError(LookupError):
    """Nothing to restore: unknown, someone else's, expired, or already restored."""


def _row(obj, columns) -> dict:
    values = {}
    for name in columns:
        value = getattr(obj, name)
        values[name] = value.isoformat() if isinstance(value, datetime) else value
    return values


def _analysis_payload(analysis: Analysis) -> dict:
    photo = analysis.photo
    return {
        "analysis": _row(analysis, ANALYSIS_COLUMNS),
        "faces": [_row(face, FACE_COLUMNS) for face in analysis.faces],
        "photo": {"width": photo.width, "height": photo.height} if photo else None,
    }


def remember_analysis(analysis: Analysis) -> DeletedItem:
    """Keep a copy of the analysis (added to the session; the caller's delete commits it)."""
    item = DeletedItem(user_id=analysis.user_id, kind="analysis",
                       payload=json.dumps(_analysis_payload(analysis)),
                       photo=analysis.photo.jpeg if analysis.photo else None)
    db.session.add(item)
    return item


def remember_session(session: WebcamSession) -> DeletedItem:
    payload = {"session": _row(session, SESSION_COLUMNS),
               "seconds": [_analysis_payload(second) for second in session.seconds]}
    item = DeletedItem(user_id=session.user_id, kind="webcam_session", payload=json.dumps(payload))
    db.session.add(item)
    return item


def remember_video(video: Video) -> DeletedItem:
    """A finished video: its row (tracks included), thumbnails and history row. Its upload is
    already gone (a job's end deletes it), so nothing large is copied."""
    analysis = db.session.scalar(select(Analysis).where(Analysis.video_id == video.id))
    thumbnails = db.session.scalars(select(VideoThumbnail).where(VideoThumbnail.video_id == video.id)).all()
    payload = {"video": _row(video, VIDEO_COLUMNS),
               "analysis": _analysis_payload(analysis) if analysis is not None else None,
               "thumbnails": [{"track_id": t.track_id, "jpeg": base64.b64encode(t.jpeg).decode("ascii")}
                              for t in thumbnails]}
    item = DeletedItem(user_id=video.user_id, kind="video", payload=json.dumps(payload))
    db.session.add(item)
    return item


def can_undo_delete(obj: Analysis | WebcamSession | Video) -> bool:
    """A video still queued or running cannot come back (its upload goes with the delete)."""
    return not isinstance(obj, Video) or obj.status in VIDEO_FINISHED


def keep_for_undo(obj: Analysis | WebcamSession | Video) -> int:
    """Before deleting ``obj``: keep its copy (the delete's commit stores it) and return its id."""
    purge_expired()
    if isinstance(obj, WebcamSession):
        item = remember_session(obj)
    elif isinstance(obj, Video):
        item = remember_video(obj)
    else:
        item = remember_analysis(obj)
    db.session.flush()
    return item.id


def purge_expired(now: datetime | None = None) -> None:
    cutoff = (now or utcnow()) - timedelta(minutes=UNDO_MINUTES)
    db.session.execute(delete(DeletedItem).where(DeletedItem.deleted_at < cutoff))


def _datetimes(values: dict, names: tuple[str, ...]) -> dict:
    return {key: (datetime.fromisoformat(value) if key in names and value else value)
            for key, value in values.items()}


def _restore_analysis(payload: dict, photo: bytes | None) -> Analysis:
    analysis = Analysis(**_datetimes(payload["analysis"], ("created_at",)))
    for face in payload["faces"]:
        analysis.faces.append(FaceResult(**face))
    if payload.get("photo") and photo:
        analysis.photo = AnalysisPhoto(jpeg=photo, **payload["photo"])
    db.session.add(analysis)
    return analysis


def undo(user_id: int, item_id: int, now: datetime | None = None) -> str:
    """Restore the deleted item; returns its kind. UndoError when there is nothing to restore."""
    item = db.session.get(DeletedItem, item_id)
    cutoff = (now or utcnow()) - timedelta(minutes=UNDO_MINUTES)
    if item is None or item.user_id != user_id or item.deleted_at < cutoff:
        raise UndoError("There is nothing to undo any more.")
    payload = json.loads(item.payload)
    if item.kind == "analysis":
        if db.session.get(Analysis, payload["analysis"]["id"]) is not None:
            raise UndoError("That analysis is already back.")
        webcam_id = payload["analysis"].get("webcam_session_id")
        if webcam_id is not None and db.session.get(WebcamSession, webcam_id) is None:
            raise UndoError("Its webcam session was deleted too; undo that first.")
        _restore_analysis(payload, item.photo)
    elif item.kind == "video":
        _restore_video(payload)
    else:
        if db.session.get(WebcamSession, payload["session"]["id"]) is not None:
            raise UndoError("That webcam session is already back.")
        db.session.add(WebcamSession(**_datetimes(payload["session"], ("started_at", "ended_at"))))
        db.session.flush()
        for second in payload["seconds"]:
            _restore_analysis(second, None)
    db.session.delete(item)
    purge_expired(now)
    db.session.commit()
    return item.kind


def _restore_video(payload: dict) -> None:
    if db.session.get(Video, payload["video"]["id"]) is not None:
        raise UndoError("That video is already back.")
    db.session.add(Video(**_datetimes(payload["video"], VIDEO_TIMES)))
    db.session.flush()
    for thumbnail in payload["thumbnails"]:
        db.session.add(VideoThumbnail(video_id=payload["video"]["id"], track_id=thumbnail["track_id"],
                                      jpeg=base64.b64decode(thumbnail["jpeg"])))
    if payload["analysis"] is not None:
        _restore_analysis(payload["analysis"], None)


def latest_undo(user_id: int, item_id: int | None) -> DeletedItem | None:
    """The item an Undo button may offer: the user's own and still in its window."""
    if not item_id:
        return None
    item = db.session.scalar(select(DeletedItem).where(DeletedItem.id == item_id, DeletedItem.user_id == user_id))
    if item is None or item.deleted_at < utcnow() - timedelta(minutes=UNDO_MINUTES):
        return None
    return item

"""Videos: accept an upload, run its job, report progress, cancel, delete (no request handling).

Life of a video
---------------
1. ``accept_upload`` checks the file (container signature, size, frame size, length, a first
   frame that decodes) while it is still a temporary file, then stores it in ``video_chunks``
   and a ``Video`` row with status ``queued``, and enqueues its id. Bad input is refused with a
   ``VideoError`` (4xx) and nothing is stored.
2. A worker (``run_job``) claims the row (``running``, one more attempt), writes the chunks to a
   temporary file, samples and analyses its frames, and reports progress and a heartbeat about
   twice a second. It ends as ``done`` (tracks, one ``Analysis(source="video")`` in the history,
   thumbnails if the owner keeps photos), ``failed`` (with the reason; nothing stored) or
   ``cancelled``; in every case the uploaded chunks and the temporary file are deleted.
3. A worker killed mid-job stops its heartbeat: ``recover_stalled`` (run when a worker starts,
   every minute by the workers, and when anyone reads the job) puts the job back in the queue,
   or marks it failed after ``max_attempts`` tries, so no job stays ``running`` for ever.
4. A ``queued`` job whose message is in no queue (a Redis that keeps nothing on disk restarted,
   or the queue was down at upload) is sent again by ``requeue_lost`` (workers, every minute),
   so no job stays ``queued`` for ever either.
"""
from __future__ import annotations

import json
import logging
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, insert, select, update

from app.extensions import db
from app.inputs import clean_filename
from app.models import (EMOTION_COLUMNS, VIDEO_FINISHED, Analysis, FaceResult, User, Video, VideoChunk,
                        VideoThumbnail, utcnow)
from app.vision.video import Cancelled, InvalidVideo, VideoLimits, analyze_video, probe

log = logging.getLogger(__name__)

CHUNK_BYTES = 4 * 1024 * 1024


class VideoError(Exception):
    """A refused upload: a message for the person who sent it and the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class VideoSettings:
    max_bytes: int = 200 * 1024 * 1024
    max_seconds: float = 600.0
    max_pixels: int = 3840 * 2160
    sample_fps: float = 5.0
    stall_seconds: float = 60.0
    max_attempts: int = 2

    @classmethod
    def from_config(cls, config) -> "VideoSettings":
        return cls(max_bytes=int(config["VIDEO_MAX_BYTES"]), max_seconds=float(config["VIDEO_MAX_SECONDS"]),
                   max_pixels=int(config["VIDEO_MAX_PIXELS"]), sample_fps=float(config["VIDEO_SAMPLE_FPS"]),
                   stall_seconds=float(config["VIDEO_STALL_SECONDS"]),
                   max_attempts=int(config["VIDEO_MAX_ATTEMPTS"]))

    def limits(self, sample_fps: float | None = None) -> VideoLimits:
        return VideoLimits(max_seconds=self.max_seconds, max_pixels=self.max_pixels,
                           sample_fps=sample_fps or self.sample_fps)


# ---------------------------------------------------------------- upload

def accept_upload(user: User, stream, filename: str | None, settings: VideoSettings,
                  enqueue: Callable[[int], None]) -> Video:
    """Check and store an uploaded video, then enqueue its job; ``stream`` is a binary file object.

    Raises VideoError (nothing stored) for anything that is not an acceptable video."""
    folder = Path(tempfile.mkdtemp(prefix="moodlens-upload-"))
    path = folder / "upload"  # never the sender's name: no path in it can reach the disk
    try:
        size = copy_limited(stream, path, settings.max_bytes)
        if size == 0:
            raise VideoError("The file is empty.")
        try:
            info = probe(path, settings.limits())  # the container's signature first, then decoding
        except InvalidVideo as error:
            raise VideoError(str(error), error.status) from None
        video = Video(user_id=user.id, filename=clean_filename(filename, default="video"), size_bytes=size,
                      status="queued", sample_fps=settings.sample_fps, keep_thumbnails=bool(user.keep_photos),
                      width=info.width, height=info.height, duration_seconds=info.duration,
                      frames_total=info.sampled_frames(settings.sample_fps), frames_done=0)
        db.session.add(video)
        db.session.flush()
        with path.open("rb") as handle:
            for seq, data in enumerate(iter(lambda: handle.read(CHUNK_BYTES), b"")):
                # Core inserts: the ORM would keep every chunk in the session until the commit.
                db.session.execute(insert(VideoChunk), [{"video_id": video.id, "seq": seq, "data": data}])
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    try:
        enqueue(video.id)
    except Exception:
        log.exception("video %s could not be queued", video.id)
        finish(video.id, "failed", "The job queue could not be reached; please upload the video again.")
        raise VideoError("The job queue could not be reached; please try again later.", 503) from None
    return video


def copy_limited(stream, path: Path, max_bytes: int) -> int:
    size = 0
    with path.open("wb") as out:
        while True:
            block = stream.read(1024 * 1024)
            if not block:
                return size
            size += len(block)
            if size > max_bytes:
                raise VideoError(f"The video is larger than {max_bytes // (1024 * 1024)} MB.", 413)
            out.write(block)


# ---------------------------------------------------------------- reading

def get_owned_video(user_id: int, video_id: int) -> Video | None:
    """The video if it belongs to the user, else None (callers answer 404 either way)."""
    video = db.session.get(Video, video_id)
    if video is None or video.user_id != user_id:
        return None
    return video


def list_videos(user_id: int, limit: int = 100) -> list[Video]:
    return list(db.session.scalars(
        select(Video).where(Video.user_id == user_id).order_by(Video.created_at.desc(), Video.id.desc()).limit(limit)))


def tracks_of(video: Video) -> list[dict]:
    try:
        return json.loads(video.tracks_json) if video.tracks_json else []
    except ValueError:
        return []


def video_to_dict(video: Video, now: datetime | None = None) -> dict:
    """What the API and the pages' script read: status, progress, and the tracks when done."""
    now = now or utcnow()

    def stamp(moment):
        return moment.isoformat() + "Z" if moment else None

    elapsed = eta = None
    if video.started_at:
        elapsed = ((video.finished_at or now) - video.started_at).total_seconds()
        if video.status == "running" and video.frames_done and video.frames_total:
            left = max(0, video.frames_total - video.frames_done)
            eta = round(elapsed / video.frames_done * left, 1)
    return {
        "id": video.id,
        "filename": video.filename,
        "status": video.status,
        "error": video.error,
        "created_at": stamp(video.created_at),
        "started_at": stamp(video.started_at),
        "finished_at": stamp(video.finished_at),
        "size_bytes": video.size_bytes,
        "width": video.width,
        "height": video.height,
        "duration_seconds": round(video.duration_seconds, 3) if video.duration_seconds is not None else None,
        "sample_fps": video.sample_fps,
        "attempts": video.attempts,
        "progress": {"frames_done": video.frames_done, "frames_total": video.frames_total,
                     "elapsed_seconds": round(elapsed, 1) if elapsed is not None else None,
                     "eta_seconds": eta},
        "analysis_id": video.analysis.id if video.analysis is not None else None,
        "tracks": [{key: track[key] for key in ("id", "start", "end", "seconds", "summary")}
                   for track in tracks_of(video)],
    }


# ---------------------------------------------------------------- cancel and delete

def cancel(video: Video) -> bool:
    """Cancel a queued or running job (its worker stops at its next progress report and the
    upload is deleted); False when it had already ended."""
    changed = finish(video.id, "cancelled", None)
    db.session.refresh(video)
    return changed


def delete_video(video: Video) -> None:
    """The video, its job, its upload, its history row and thumbnails (a running worker stops)."""
    for analysis in db.session.scalars(select(Analysis).where(Analysis.video_id == video.id)):
        db.session.delete(analysis)
    db.session.delete(video)
    db.session.commit()


def finish(video_id: int, status: str, error: str | None, only_if_running_attempt: int | None = None) -> bool:
    """Move a job that has not ended to ``status`` and delete its upload; False if it had ended
    (or, with ``only_if_running_attempt``, if that attempt no longer owns it)."""
    query = update(Video).where(Video.id == video_id, Video.status.not_in(VIDEO_FINISHED))
    if only_if_running_attempt is not None:
        query = query.where(Video.status == "running", Video.attempts == only_if_running_attempt)
    changed = db.session.execute(
        query.values(status=status, error=error[:500] if error else None, finished_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if changed:
        db.session.execute(delete(VideoChunk).where(VideoChunk.video_id == video_id))
    db.session.commit()
    return changed


# ---------------------------------------------------------------- the worker's side

def claim(video_id: int) -> int | None:
    """Take a queued job: ``running``, one more attempt. Returns the attempt number, or None when
    the job is gone, ended, or running elsewhere."""
    now = utcnow()
    changed = db.session.execute(
        update(Video).where(Video.id == video_id, Video.status == "queued")
        .values(status="running", attempts=Video.attempts + 1, started_at=now, heartbeat_at=now,
                frames_done=0, error=None)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    db.session.commit()
    if not changed:
        return None
    return db.session.scalar(select(Video.attempts).where(Video.id == video_id))


def report_progress(video_id: int, attempt: int, frames_done: int, frames_total: int | None) -> bool:
    """Progress and heartbeat; False when the job was cancelled, deleted or taken over."""
    values = {"frames_done": frames_done, "heartbeat_at": utcnow()}
    if frames_total:
        values["frames_total"] = frames_total
    changed = db.session.execute(
        update(Video).where(Video.id == video_id, Video.status == "running", Video.attempts == attempt)
        .values(**values).execution_options(synchronize_session=False)
    ).rowcount == 1
    db.session.commit()
    return changed


def write_upload_to(video_id: int, path: Path) -> int:
    """The stored chunks, in order, into ``path``; returns the number of bytes."""
    size = 0
    with path.open("wb") as out:
        seqs = db.session.scalars(select(VideoChunk.seq).where(VideoChunk.video_id == video_id)
                                  .order_by(VideoChunk.seq)).all()
        for seq in seqs:
            data = db.session.scalar(select(VideoChunk.data).where(VideoChunk.video_id == video_id,
                                                                   VideoChunk.seq == seq))
            if data is None:
                break
            out.write(data)
            size += len(data)
        db.session.commit()
    return size


def run_job(video_id: int, analyzer, settings: VideoSettings) -> str:
    """Process one video (the task a worker runs); returns its final status, or "skipped"."""
    attempt = claim(video_id)
    if attempt is None:
        return "skipped"
    video = db.session.get(Video, video_id)
    sample_fps, thumbnails = video.sample_fps, video.keep_thumbnails
    db.session.commit()
    folder = Path(tempfile.mkdtemp(prefix="moodlens-video-"))
    try:
        path = folder / "video"
        if write_upload_to(video_id, path) == 0:
            raise InvalidVideo("The uploaded file is missing or empty.")
        result = analyze_video(
            path, analyzer, settings.limits(sample_fps), thumbnails=thumbnails,
            on_progress=lambda done, total: report_progress(video_id, attempt, done, total),
        )
        return store_result(video_id, attempt, result)
    except Cancelled:
        db.session.rollback()
        finish(video_id, "cancelled", None, only_if_running_attempt=attempt)
        return "cancelled"
    except InvalidVideo as error:
        db.session.rollback()
        finish(video_id, "failed", str(error), only_if_running_attempt=attempt)
        return "failed"
    except Exception:
        log.exception("video %s failed", video_id)
        db.session.rollback()
        finish(video_id, "failed", "The video could not be processed (an internal error); nothing was stored.",
               only_if_running_attempt=attempt)
        return "failed"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def store_result(video_id: int, attempt: int, result) -> str:
    """Done: the tracks, one history row whose faces are the tracks, thumbnails; upload deleted."""
    video = db.session.get(Video, video_id, with_for_update=True)
    if video is None or video.status != "running" or video.attempts != attempt:
        db.session.rollback()
        return "skipped"
    now = utcnow()
    video.status = "done"
    video.finished_at = now
    video.heartbeat_at = now
    video.frames_done = result.frames_done
    video.frames_total = result.frames_done
    video.duration_seconds = result.info.duration
    video.tracks_json = json.dumps(result.tracks, separators=(",", ":"))
    analysis = Analysis(user_id=video.user_id, source="video", created_at=video.created_at, filename=video.filename,
                        image_width=result.info.width, image_height=result.info.height,
                        frame_count=result.frames_done, video_id=video.id)
    for index, track in enumerate(sorted(result.tracks, key=lambda t: t["end"] - t["start"], reverse=True)):
        scores = track_mean_scores(track)
        label = max(scores, key=scores.get)
        box = track["box"]
        analysis.faces.append(FaceResult(face_index=index, x=box["x"], y=box["y"], w=box["w"], h=box["h"],
                                         label=label, confidence=scores[label], **scores))
    db.session.add(analysis)
    for track_id, jpeg in result.thumbnails.items():
        if jpeg:
            db.session.add(VideoThumbnail(video_id=video.id, track_id=track_id, jpeg=jpeg))
    db.session.execute(delete(VideoChunk).where(VideoChunk.video_id == video_id))
    db.session.commit()
    return "done"


def track_mean_scores(track: dict) -> dict[str, float]:
    seconds = track["seconds"]
    return {emotion: sum(s["scores"].get(emotion, 0.0) for s in seconds) / len(seconds) for emotion in EMOTION_COLUMNS}


def recover_stalled(settings: VideoSettings, enqueue: Callable[[int], None], now: datetime | None = None) -> list[int]:
    """Jobs ``running`` without a heartbeat for ``stall_seconds`` (their worker died): back in
    the queue, or ``failed`` after ``max_attempts`` tries. Returns the ids put back."""
    cutoff = (now or utcnow()) - timedelta(seconds=settings.stall_seconds)
    stalled = db.session.execute(
        select(Video.id, Video.attempts).where(Video.status == "running", Video.heartbeat_at < cutoff)
    ).all()
    requeued = []
    for video_id, attempts in stalled:
        if attempts >= settings.max_attempts:
            finish(video_id, "failed",
                   f"The worker processing this video stopped {attempts} times; the video may be too hard "
                   "to decode. Nothing was stored.", only_if_running_attempt=attempts)
            continue
        changed = db.session.execute(
            update(Video).where(Video.id == video_id, Video.status == "running", Video.attempts == attempts)
            .values(status="queued", heartbeat_at=None).execution_options(synchronize_session=False)
        ).rowcount == 1
        db.session.commit()
        if changed:
            enqueue(video_id)
            requeued.append(video_id)
    db.session.commit()
    return requeued


def requeue_lost(settings: VideoSettings, enqueue: Callable[[int], None], pending: set[int],
                 now: datetime | None = None) -> list[int]:
    """Jobs ``queued`` for more than ``stall_seconds`` whose id is not among the queue's
    ``pending`` messages: their message was lost, so it is sent again. Returns those ids.

    A worker may have just taken a message whose row still says ``queued``; sending it again is
    harmless, since ``claim`` lets only one worker run a job and the other message is skipped."""
    cutoff = (now or utcnow()) - timedelta(seconds=settings.stall_seconds)
    waiting = db.session.scalars(
        select(Video.id).where(Video.status == "queued", Video.created_at < cutoff)
    ).all()
    db.session.commit()
    lost = [video_id for video_id in waiting if video_id not in pending]
    for video_id in lost:
        log.warning("video %s was queued but its queue message is gone: sent again", video_id)
        enqueue(video_id)
    return lost

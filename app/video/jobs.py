"""The one service the video pages and the JSON API call: it reads the app's settings and
queue and hands over to ``app.video.service``."""
from __future__ import annotations

from flask import current_app

from app.extensions import db
from app.models import User, Video
from app.video import service
from app.video.queue import enqueue, get_queue
from app.video.service import VideoError, VideoSettings  # noqa: F401  (re-exported for the routes)


def settings() -> VideoSettings:
    return VideoSettings.from_config(current_app.config)


def queue():
    return get_queue(current_app.config.get("VIDEO_QUEUE_URL"), current_app.instance_path)


def enqueue_video(video_id: int) -> None:
    enqueue(queue(), video_id)


def upload(user: User, file) -> Video:
    """Check, store and enqueue an uploaded video (a werkzeug FileStorage); VideoError if refused."""
    if file is None:
        raise VideoError("Choose a video file (field 'video').")
    return service.accept_upload(user, file.stream, file.filename, settings(), enqueue_video)


def owned(user_id: int, video_id: int) -> Video | None:
    return service.get_owned_video(user_id, video_id)


def status(video: Video) -> dict:
    """The job as the API and the pages' script see it; a job whose worker died is recovered first."""
    if video.status == "running":
        service.recover_stalled(settings(), enqueue_video)
        db.session.refresh(video)
    return service.video_to_dict(video)


def videos_of(user_id: int) -> list[Video]:
    return service.list_videos(user_id)


def cancel_or_delete(video: Video) -> bool:
    """Cancel a job that has not ended (True), or delete an ended one (False)."""
    if video.status not in ("done", "failed", "cancelled") and service.cancel(video):
        return True
    service.delete_video(video)
    return False


def delete(video: Video) -> None:
    service.delete_video(video)


def cancel(video: Video) -> bool:
    return service.cancel(video)


def tracks(video: Video) -> list[dict]:
    return service.tracks_of(video)

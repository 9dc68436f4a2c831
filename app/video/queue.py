"""The task queue that runs video jobs: Huey, on a SQLite file by default, on Redis when
configured (``VIDEO_QUEUE_URL``). No Flask here: the web process and the workers build the same
queue from the same setting.

Why Huey: it is a small, well-kept queue (one dependency-free package) whose SQLite storage needs
no server at all, so a single machine runs web + worker with nothing else installed, and the same
code moves to Redis with workers on other machines by changing one URL. A job's state of record
is the ``videos`` row, not the queue: a message lost with a killed worker is recovered from the
row (``app.video.service.recover_stalled``), and so is one lost from the queue itself
(``pending_video_ids`` and ``app.video.service.requeue_lost``).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from huey import Huey

QUEUE_NAME = "moodlens-videos"
TASK_NAME = "process_video"

_queues: dict[str, Huey] = {}


def queue_location(url: str | None, instance_path: str | Path) -> str:
    """The normalised location: a redis:// URL, or the path of the SQLite file."""
    if url and url.startswith(("redis://", "rediss://", "unix://")):
        return url
    if url and url.startswith("sqlite:///"):
        return url[len("sqlite:///"):]
    if url:
        raise ValueError(f"VIDEO_QUEUE_URL must be redis://..., rediss://..., unix://... or sqlite:///..., not {url!r}")
    return str(Path(instance_path) / "video-queue.db")


def build_queue(location: str) -> Huey:
    # Imported here, not at the top: Huey's storage module pulls in the Redis and PostgreSQL
    # clients (16 MB of a web worker's memory), and most web workers never touch a video.
    from huey import RedisHuey, SqliteHuey

    if location.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(QUEUE_NAME, url=location, results=False)
    Path(location).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(QUEUE_NAME, filename=location, results=False)


def get_queue(url: str | None, instance_path: str | Path, run_job=None) -> Huey:
    """The queue for this location (one per process), with the video task registered.

    ``run_job(video_id)`` is what a worker runs; the web process only enqueues, so it may pass
    None (the task's body is then never called there)."""
    location = queue_location(url, instance_path)
    queue = _queues.get(location)
    if queue is None:
        queue = build_queue(location)

        @queue.task(name=TASK_NAME)
        def process_video(video_id: int) -> None:
            runner = getattr(queue, "moodlens_runner", None)
            if runner is None:
                raise RuntimeError("This process has no video runner (it only enqueues).")
            runner(video_id)

        queue.moodlens_task = process_video
        _queues[location] = queue
    if run_job is not None:
        queue.moodlens_runner = run_job
    return queue


def enqueue(queue: Huey, video_id: int) -> None:
    queue.moodlens_task(video_id)


def pending_video_ids(queue: Huey) -> set[int]:
    """The videos whose message waits in the queue (not yet taken by a worker)."""
    return {int(task.args[0]) for task in queue.pending() if task.name == TASK_NAME and task.args}

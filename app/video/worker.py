"""A video worker: ``python -m app.video.worker [--threads N]``.

Runs the jobs of the queue named by ``VIDEO_QUEUE_URL`` (default: the SQLite file in the
instance folder) with the same configuration as the web app (``DATABASE_URL``, ``INSTANCE_PATH``,
model path). Start as many as you like, on this machine or others (with Redis and a shared
database). On start, and every minute, jobs whose worker died are put back in the queue, and
queued jobs whose message the queue lost are sent again.
"""
from __future__ import annotations

import argparse
import logging

from huey import crontab

from app.video.queue import get_queue
from app.video.service import VideoSettings, recover_stalled, requeue_lost, run_job


def build(app):
    """The app's queue with this process's runner and the minute's recovery task."""
    from app.analysis.engine import get_analyzer
    from app.video.queue import enqueue, pending_video_ids

    settings = VideoSettings.from_config(app.config)

    def runner(video_id: int) -> None:
        with app.app_context():
            run_job(video_id, get_analyzer(), settings)

    queue = get_queue(app.config.get("VIDEO_QUEUE_URL"), app.instance_path, run_job=runner)

    def send(video_id: int) -> None:
        enqueue(queue, video_id)

    def recover() -> None:
        with app.app_context():
            recover_stalled(settings, send)
            requeue_lost(settings, send, pending_video_ids(queue))

    if not getattr(queue, "moodlens_recovery", None):
        queue.moodlens_recovery = queue.periodic_task(crontab(minute="*"), name="recover_stalled_videos")(recover)
    return queue, recover


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run Moodlens video jobs.")
    parser.add_argument("--threads", type=int, default=1, help="jobs at once in this process (default 1)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    from app import create_app
    from app.analysis.engine import get_analyzer

    app = create_app(migration_commands=False)
    queue, recover = build(app)
    with app.app_context():
        get_analyzer()  # load the model before the first job
    recover()
    consumer = queue.create_consumer(workers=max(1, args.threads), worker_type="thread", periodic=True,
                                     initial_delay=0.1, max_delay=1.0)
    consumer.run()


if __name__ == "__main__":
    main()

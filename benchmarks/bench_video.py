"""Seconds of processing per minute of video, through the real queue and real worker processes.

    python benchmarks/bench_video.py [--minutes 1] [--fps 30] [--sample-fps 5] [--workers 1 2]

Writes a 640x360 video with one face (the astronaut of scikit-image, moving gently; 30 frames a
second, MP4) and, for each worker count N, uploads N copies to a fresh app on SQLite (queue on
SQLite, the default), starts N ``python -m app.video.worker`` processes and times from the first
job's start to the last job's end. Reported: wall seconds per minute of video (all jobs together
divided by their minutes: the throughput), and each job's own seconds per minute.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_video(path: Path, minutes: float, fps: float) -> Path:
    from tests.videos import one_face_frames, write_video

    return write_video(path, one_face_frames(minutes * 60, fps), fps)


def run(workers: int, video: bytes, minutes: float, sample_fps: float, folder: Path) -> dict:
    from app import create_app
    from app.auth.service import register_user
    from app.config import TestConfig
    from app.extensions import db
    from app.models import Video

    folder.mkdir(parents=True, exist_ok=True)
    database = f"sqlite:///{folder / 'bench.db'}"
    os.environ["INSTANCE_PATH"] = str(folder / "instance")
    settings = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    settings.update(SQLALCHEMY_DATABASE_URI=database, VIDEO_SAMPLE_FPS=sample_fps, RATELIMIT_ENABLED=False)
    app = create_app(settings)
    with app.app_context():
        db.create_all()
        user = register_user("bench", "bench@example.com", "correct horse battery")
        from app.auth import tokens

        secret = tokens.create_token(user, "bench", ["read", "write"]).secret
    client = app.test_client()
    ids = []
    for index in range(workers):
        answer = client.post("/api/v1/videos", headers={"Authorization": f"Bearer {secret}"},
                             content_type="multipart/form-data",
                             data={"video": (io.BytesIO(video), f"bench{index}.mp4")})
        assert answer.status_code == 202, answer.get_json()
        ids.append(answer.get_json()["id"])
    env = {**os.environ, "DATABASE_URL": database, "INSTANCE_PATH": str(folder / "instance"),
           "SECRET_KEY": "bench", "APP_ENV": "development"}
    processes = [subprocess.Popen([sys.executable, "-m", "app.video.worker"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers)]
    try:
        while True:
            with app.app_context():
                jobs = [db.session.get(Video, video_id) for video_id in ids]
                if all(job.status in ("done", "failed", "cancelled") for job in jobs):
                    break
                db.session.remove()
            time.sleep(0.2)
        assert all(job.status == "done" for job in jobs), [(job.status, job.error) for job in jobs]
        start = min(job.started_at for job in jobs)
        end = max(job.finished_at for job in jobs)
        wall = (end - start).total_seconds()
        each = [(job.finished_at - job.started_at).total_seconds() for job in jobs]
        frames = sum(job.frames_done for job in jobs)
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=20)
    return {"workers": workers, "videos": workers, "minutes_of_video": minutes * workers, "frames_analysed": frames,
            "wall_seconds": round(wall, 2), "seconds_per_minute": round(wall / (minutes * workers), 2),
            "job_seconds_per_minute": [round(s / minutes, 2) for s in each]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--fps", type=float, default=30.0, help="frame rate of the written video")
    parser.add_argument("--sample-fps", type=float, default=5.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-video-") as temp:
        temp = Path(temp)
        video = make_video(temp / "one-face.mp4", args.minutes, args.fps).read_bytes()
        print(f"video: 640x360, {args.fps:g} fps, {args.minutes:g} min, one face, {len(video) / 1e6:.1f} MB; "
              f"sampled at {args.sample_fps:g} fps", flush=True)
        for count in args.workers:
            result = run(count, video, args.minutes, args.sample_fps, temp / f"run{count}")
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

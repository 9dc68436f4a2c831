"""Short test videos written with OpenCV from real face photos (tests/faces.py)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

from tests.faces import astronaut_bgr, blank_photo, cameraman_bgr

SIZE = (640, 360)


def write_video(path: Path, frames, fps: float = 10.0, size=SIZE, fourcc: str = "mp4v") -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, size)
    assert writer.isOpened(), "OpenCV cannot write this video"
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def astronaut_head(side: int) -> np.ndarray:
    """The astronaut's head and shoulders (her face about a third of the picture), side x side."""
    return cv2.resize(astronaut_bgr()[0:300, 80:380], (side, side), interpolation=cv2.INTER_AREA)


def cameraman_head(side: int) -> np.ndarray:
    """The cameraman's head, side x side."""
    return cv2.resize(cameraman_bgr()[40:280, 110:350], (side, side), interpolation=cv2.INTER_AREA)


def two_faces_frames(seconds: float = 6.0, fps: float = 10.0):
    """Two people: the astronaut on the left from 0 s to 4 s, the cameraman on the right from
    2 s to the end; a plain background around them."""
    background = blank_photo(SIZE[1], SIZE[0])
    astronaut = astronaut_head(220)
    cameraman = cameraman_head(240)
    for index in range(int(seconds * fps)):
        t = index / fps
        frame = background.copy()
        if t < 4.0:
            x = 40 + int(4 * t)  # drifts slowly to the right
            frame[70:290, x:x + 220] = astronaut
        if t >= 2.0:
            frame[60:300, 380:620] = cameraman
        yield frame


def two_faces_video(path: Path, seconds: float = 6.0, fps: float = 10.0) -> Path:
    return write_video(path, two_faces_frames(seconds, fps), fps)


def one_face_frames(seconds: float, fps: float = 30.0):
    """640x360, the astronaut's face moving gently from side to side."""
    background = blank_photo(SIZE[1], SIZE[0])
    astronaut = astronaut_head(240)
    for index in range(int(seconds * fps)):
        frame = background.copy()
        x = 200 + int(60 * np.sin(index / fps))
        frame[60:300, x:x + 240] = astronaut
        yield frame


def short_video_bytes(seconds: float = 1.0, fps: float = 10.0) -> bytes:
    """A small valid MP4 (the two-faces scene's first second) as bytes."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = write_video(Path(folder) / "short.mp4", two_faces_frames(seconds, fps), fps)
        return path.read_bytes()


ROOT = Path(__file__).resolve().parents[1]


def database_url_for_worker(app) -> str:
    from tests.conftest import POSTGRES_SCHEMA

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if POSTGRES_SCHEMA:
        url += ("&" if "?" in url else "?") + f"options=-csearch_path%3D{POSTGRES_SCHEMA}"
    return url


class Worker:
    """``python -m app.video.worker`` as its own process, on the test's database and queue."""

    def __init__(self, app, log_path: Path, **env):
        self.log = log_path.open("ab")
        environment = {**os.environ, "DATABASE_URL": database_url_for_worker(app),
                       "INSTANCE_PATH": app.instance_path, "SECRET_KEY": "test-secret-key",
                       "VIDEO_QUEUE_URL": app.config.get("VIDEO_QUEUE_URL") or "", "APP_ENV": "development",
                       "WARM_MODEL": "0", **{key: str(value) for key, value in env.items()}}
        self.process = subprocess.Popen([sys.executable, "-m", "app.video.worker"], cwd=ROOT, env=environment,
                                        stdout=self.log, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()

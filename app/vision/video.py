"""Video files in, face tracks with their emotion over time out (no Flask, no database).

Decoding uses OpenCV's FFmpeg backend (the opencv-python-headless wheels include FFmpeg), so
MP4, MOV and WebM need nothing else installed. Frames are sampled at a fixed rate (5 a second by
default): every frame is *grabbed* (decoded, cheap) but only the sampled ones are converted and
analysed.

    from app.vision import EmotionAnalyzer
    from app.vision.video import VideoLimits, analyze_video
    result = analyze_video("talk.mp4", EmotionAnalyzer(), VideoLimits())
    result.tracks  # [{"id", "start", "end", "seconds": [...], "summary": {...}}]
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from app.vision.detector import VIDEO_SEARCH
from app.vision.tracker import FaceTracker, TrackSeconds

# First bytes of the containers accepted: ISO base media (MP4, MOV: "ftyp" box; older MOV files
# may start with another top-level box) and Matroska/WebM (EBML header).
ISO_BOXES = (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")
EBML_MAGIC = b"\x1a\x45\xdf\xa3"
# ISO base media brands that hold still pictures (HEIF/AVIF photos), not videos.
STILL_IMAGE_BRANDS = {b"avif", b"avis", b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"jpeg"}
THUMBNAIL_SIDE = 160


class InvalidVideo(ValueError):
    """A file that is not a usable video; the message says why, for the person who sent it.
    ``status`` is the HTTP status a web answer would use (400, 413 or 415)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class VideoLimits:
    max_seconds: float = 600.0
    max_pixels: int = 3840 * 2160
    sample_fps: float = 5.0


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    fps: float
    frame_count: int  # as the container says; 0 when it does not say
    duration: float | None  # seconds; None when unknown

    def sampled_frames(self, sample_fps: float) -> int | None:
        """How many frames sampling at ``sample_fps`` will analyse (None when unknown)."""
        if not self.duration:
            return None
        return max(1, math.ceil(self.duration * min(sample_fps, self.fps or sample_fps) - 1e-6))


def sniff_container(head: bytes) -> str:
    """``"mp4"`` or ``"webm"`` from the first bytes of a file, or InvalidVideo (415)."""
    if head[:4] == EBML_MAGIC:
        return "webm"
    if len(head) >= 12 and head[4:8] in ISO_BOXES:
        if head[4:8] == b"ftyp" and head[8:12] in STILL_IMAGE_BRANDS:
            raise InvalidVideo("This is a still picture (HEIF/AVIF), not a video. Upload MP4, MOV or WebM.", 415)
        return "mp4"
    raise InvalidVideo("This is not a video file. Upload MP4, MOV or WebM.", 415)


def open_capture(path: str | Path) -> cv2.VideoCapture:
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    if not capture.isOpened():
        capture.release()
        raise InvalidVideo("The video could not be opened: it is damaged, truncated or has no video track.")
    return capture


def probe(path: str | Path, limits: VideoLimits) -> VideoInfo:
    """Open the file, read its size and length, decode its first frame; InvalidVideo when it
    breaks a limit or cannot be decoded."""
    with Path(path).open("rb") as handle:
        sniff_container(handle.read(64))
    capture = open_capture(path)
    try:
        width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        if width <= 0 or height <= 0:
            raise InvalidVideo("The file has no video track.")
        if width * height > limits.max_pixels:
            raise InvalidVideo(f"The video's frames are {width}×{height} pixels; at most {limits.max_pixels:,} "
                               "pixels a frame are accepted. Export it at a smaller size.", 413)
        if not math.isfinite(fps) or fps <= 0 or fps > 1000:
            fps = 0.0
        count = count if 0 < count < 10**9 else 0
        duration = count / fps if count and fps else None
        if duration is not None and duration > limits.max_seconds:
            raise InvalidVideo(f"The video lasts {duration / 60:.1f} minutes; at most {limits.max_seconds / 60:g} "
                               "minutes are accepted.", 413)
        ok, frame = capture.read()
        if not ok or frame is None or frame.size == 0:
            raise InvalidVideo("The video has no frame that could be decoded (empty, truncated or damaged).")
        if count == 1:
            raise InvalidVideo("This file holds a single picture, not a video.", 415)
        return VideoInfo(width, height, fps, count, duration)
    finally:
        capture.release()


def sampled_frames(path: str | Path, info: VideoInfo, limits: VideoLimits) -> Iterator[tuple[float, np.ndarray]]:
    """(seconds, BGR frame) at ``limits.sample_fps``, from the start; stops at ``max_seconds``."""
    fps = info.fps or 30.0
    step = 1.0 / limits.sample_fps
    capture = open_capture(path)
    try:
        index, next_t = 0, 0.0
        while capture.grab():
            t = index / fps
            index += 1
            if t > limits.max_seconds:
                raise InvalidVideo(f"The video lasts more than {limits.max_seconds / 60:g} minutes.", 413)
            if t + 1e-6 < next_t:
                continue
            ok, frame = capture.retrieve()
            if not ok or frame is None:
                continue
            if frame.shape[0] * frame.shape[1] > limits.max_pixels:
                raise InvalidVideo("A frame of the video is larger than the accepted frame size.", 413)
            while next_t <= t + 1e-6:
                next_t += step
            yield t, frame
    finally:
        capture.release()


@dataclass
class VideoAnalysis:
    info: VideoInfo
    frames_done: int
    tracks: list[dict]
    thumbnails: dict[int, bytes] = field(default_factory=dict)  # track id -> JPEG
    seconds_spent: float = 0.0


class Cancelled(Exception):
    """The progress callback asked to stop."""


def analyze_video(path: str | Path, analyzer, limits: VideoLimits, info: VideoInfo | None = None,
                  on_progress: Callable[[int, int | None], bool] | None = None,
                  thumbnails: bool = False, progress_every: float = 0.5) -> VideoAnalysis:
    """Every sampled frame through ``analyzer`` (an ``EmotionAnalyzer``) and one ``FaceTracker``.

    ``on_progress(frames_done, frames_total)`` is called about every ``progress_every`` seconds
    and at the end; returning False stops with ``Cancelled``. With ``thumbnails`` each track
    keeps a small JPEG of its face where it was largest."""
    started = time.monotonic()
    info = info or probe(path, limits)
    total = info.sampled_frames(limits.sample_fps)
    # A face may be missed for up to about a second and a half before its track ends.
    tracker = FaceTracker(max_missed=max(2, round(limits.sample_fps * 1.5)))
    timeline = TrackSeconds()
    pictures: dict[int, bytes] = {}
    done, last_report = 0, started
    for t, frame in sampled_frames(path, info, limits):
        faces = tracker.update(analyzer.analyze(frame, search=VIDEO_SEARCH))
        for face in timeline.add(t, faces):
            if thumbnails:
                pictures[face.track_id] = face_thumbnail(frame, face.box)
        done += 1
        now = time.monotonic()
        if on_progress and now - last_report >= progress_every:
            last_report = now
            if on_progress(done, max(total or 0, done)) is False:
                raise Cancelled()
    if done == 0:
        raise InvalidVideo("The video has no frame that could be decoded.")
    if total and done < 0.9 * total - 1:
        raise InvalidVideo(f"The video is truncated or damaged: only {done} of its {total} sampled frames "
                           "could be decoded.")
    if on_progress and on_progress(done, done) is False:
        raise Cancelled()
    # A track seen in a single frame is usually a detector's mistake (unless the clip is that short).
    tracks = timeline.tracks(min_frames=2 if done >= 5 else 1)
    kept = {track["id"]: pictures[track.pop("source_track")] for track in tracks
            if track.get("source_track") in pictures} if thumbnails else {}
    for track in tracks:
        track.pop("source_track", None)
    duration = info.duration if info.duration else done / limits.sample_fps
    info = VideoInfo(info.width, info.height, info.fps, info.frame_count, duration)
    return VideoAnalysis(info, done, tracks, kept, time.monotonic() - started)


def face_thumbnail(frame: np.ndarray, box) -> bytes:
    """A square JPEG around the face (a margin of a quarter of its size), THUMBNAIL_SIDE wide."""
    x, y, w, h = box
    side = int(max(w, h) * 1.5)
    cx, cy = x + w // 2, y + h // 2
    height, width = frame.shape[:2]
    left, top = max(0, cx - side // 2), max(0, cy - side // 2)
    crop = frame[top:min(height, top + side), left:min(width, left + side)]
    if crop.size == 0:
        crop = frame
    scale = THUMBNAIL_SIDE / max(crop.shape[:2])
    crop = cv2.resize(crop, (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale))),
                      interpolation=cv2.INTER_AREA)
    ok, encoded = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return encoded.tobytes() if ok else b""

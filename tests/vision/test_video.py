"""Decoding and analysing video files (app.vision.video), with videos written by OpenCV from real
face photos; bad files are refused with a reason."""
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.vision import EmotionAnalyzer
from app.vision.video import (Cancelled, InvalidVideo, VideoLimits, analyze_video, probe, sampled_frames,
                              sniff_container)
from tests.faces import astronaut_bgr
from tests.videos import two_faces_video, write_video


@pytest.fixture(scope="module")
def analyzer():
    return EmotionAnalyzer()


@pytest.fixture(scope="module")
def two_faces(tmp_path_factory) -> Path:
    return two_faces_video(tmp_path_factory.mktemp("video") / "two.mp4")


def test_probe_reads_size_rate_and_length(two_faces):
    info = probe(two_faces, VideoLimits())
    assert (info.width, info.height, info.fps, info.frame_count) == (640, 360, 10.0, 60)
    assert info.duration == pytest.approx(6.0)
    assert info.sampled_frames(5) == 30


def test_frames_are_sampled_at_the_configured_rate(two_faces):
    info = probe(two_faces, VideoLimits())
    times = [t for t, _ in sampled_frames(two_faces, info, VideoLimits(sample_fps=5))]
    assert len(times) == 30 and times[:3] == pytest.approx([0.0, 0.2, 0.4])
    assert len(list(sampled_frames(two_faces, info, VideoLimits(sample_fps=2)))) == 12


def test_two_faces_entering_and_leaving_become_two_tracks(two_faces, analyzer):
    progress = []
    result = analyze_video(two_faces, analyzer, VideoLimits(), thumbnails=True,
                           on_progress=lambda done, total: progress.append((done, total)), progress_every=0)
    assert result.frames_done == 30 and progress[-1] == (30, 30)
    first, second = result.tracks
    assert (first["start"], first["end"]) == (0, 4)  # the astronaut, 0 s to 4 s, smiling
    assert (second["start"], second["end"]) == (2, 6)  # the cameraman, from 2 s to the end
    assert first["summary"]["happy"] >= 0.75
    assert first["box"]["x"] < 320 < second["box"]["x"]
    assert [s["t"] for s in first["seconds"]] == [0, 1, 2, 3]
    assert set(result.thumbnails) == {1, 2} and result.thumbnails[1][:2] == b"\xff\xd8"


def test_progress_can_cancel(two_faces, analyzer):
    with pytest.raises(Cancelled):
        analyze_video(two_faces, analyzer, VideoLimits(), on_progress=lambda done, total: False, progress_every=0)


def photo_bytes(extension: str) -> bytes:
    return cv2.imencode(extension, astronaut_bgr())[1].tobytes()


@pytest.mark.parametrize("head", [b"", b"hello world, not a video at all", photo_bytes(".jpg"), photo_bytes(".png"),
                                  b"RIFF\x00\x00\x00\x00WEBPVP8 ",
                                  b"\x00\x00\x00\x1cftypheic\x00\x00\x00\x00mif1heic"])
def test_what_is_not_a_video_is_refused_by_its_first_bytes(head):
    with pytest.raises(InvalidVideo) as refused:
        sniff_container(head)
    assert refused.value.status == 415


def test_bad_files_are_refused_with_a_reason(tmp_path, two_faces):
    def check(data: bytes, words: str, limits=VideoLimits()):
        path = tmp_path / "bad.mp4"
        path.write_bytes(data)
        with pytest.raises(InvalidVideo, match=words):
            probe(path, limits)

    # A still image renamed .mp4.
    check(photo_bytes(".jpg"), "not a video")
    # A container signature with nothing behind it (no video track, zero frames).
    check(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64, "could not be opened|no video track|no frame")
    # Truncated: the first half of a real file (its index is at the end).
    check(two_faces.read_bytes()[: two_faces.stat().st_size // 2], "could not be opened|no frame|truncated")
    # Over the limits.
    check(two_faces.read_bytes(), "pixels", VideoLimits(max_pixels=320 * 240))
    check(two_faces.read_bytes(), "minutes", VideoLimits(max_seconds=3))


def test_a_single_frame_file_is_not_a_video(tmp_path):
    path = write_video(tmp_path / "one.mp4", [np.full((360, 640, 3), 128, np.uint8)], fps=10)
    with pytest.raises(InvalidVideo, match="single picture"):
        probe(path, VideoLimits())


def test_a_webm_file_decodes_too(tmp_path, analyzer):
    from tests.videos import two_faces_frames

    path = write_video(tmp_path / "two.webm", two_faces_frames(2.0, 10), fps=10, fourcc="VP80")
    info = probe(path, VideoLimits())
    assert (info.width, info.height) == (640, 360)
    result = analyze_video(path, analyzer, VideoLimits())
    assert result.frames_done >= 9 and result.tracks


@pytest.mark.skipif(not shutil.which("ffmpeg"), reason="ffmpeg (apt-get install ffmpeg) writes the audio-only file")
def test_an_mp4_with_sound_only_has_no_video_track(tmp_path):
    path = tmp_path / "sound.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=2",
                    "-c:a", "aac", str(path)], check=True, timeout=60)
    assert sniff_container(path.read_bytes()[:64]) == "mp4"
    with pytest.raises(InvalidVideo, match="no video track") as refused:
        probe(path, VideoLimits())
    assert refused.value.status == 400

"""Live webcam end to end: Chromium with a fake camera that plays the astronaut.

Chromium's fake capture device loops a YUV4MPEG2 file written here from skimage.data.astronaut().
The test logs in, starts the camera, waits until a box labelled happy is drawn (the page mirrors
the drawn labels in the overlay's data-labels attribute), checks that frames keep flowing and that
Pause really stops them, takes a snapshot, stops the camera, and finds the session in the dashboard.
"""
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.e2e.conftest import ARTIFACTS, browser_page, register, wait_until
from tests.faces import astronaut_bgr

pytestmark = pytest.mark.browser

FRAME_WIDTH, FRAME_HEIGHT, FRAMES = 640, 480, 30


def write_fake_camera_video(path: Path) -> Path:
    """A 2-second 640x480 y4m clip of the astronaut, drifting a little so frames differ."""
    face = cv2.resize(astronaut_bgr(), (FRAME_HEIGHT, FRAME_HEIGHT), interpolation=cv2.INTER_AREA)
    with path.open("wb") as video:
        video.write(f"YUV4MPEG2 W{FRAME_WIDTH} H{FRAME_HEIGHT} F15:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for index in range(FRAMES):
            canvas = np.full((FRAME_HEIGHT, FRAME_WIDTH, 3), 170, np.uint8)
            left = 80 + int(6 * np.sin(index / FRAMES * 2 * np.pi))
            canvas[:, left:left + FRAME_HEIGHT] = face
            video.write(b"FRAME\n")
            video.write(cv2.cvtColor(canvas, cv2.COLOR_BGR2YUV_I420).tobytes())
    return path


@pytest.fixture
def camera_page(tmp_path):
    clip = write_fake_camera_video(tmp_path / "astronaut.y4m")
    camera = [
        "--use-fake-ui-for-media-stream",  # answers the permission prompt with "allow"
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={clip}",
    ]
    with browser_page(camera, accept_downloads=True) as (_, page):
        yield page


def frame_count(page) -> int:
    return int(page.inner_text("#frame-counter"))


def test_live_webcam_labels_the_astronaut_and_keeps_history(live_server, camera_page):
    page = camera_page
    ARTIFACTS.mkdir(exist_ok=True)
    register(page, live_server, "eileen", "collins sts-93")

    page.click("nav >> text=Webcam")
    page.wait_for_url("**/webcam")
    assert "no image is ever stored" in page.inner_text("#webcam-privacy")
    # Nothing touches the camera before Start.
    assert page.evaluate("document.getElementById('webcam-video').srcObject === null")
    assert page.is_disabled("#webcam-stop")

    page.click("#webcam-start")
    wait_until(page, "document.getElementById('webcam-overlay').dataset.labels.split(',').includes('happy')",
               timeout_ms=60_000)
    assert "happy" in page.inner_text("#webcam-faces")
    # The server's uncertain rule, applied in the page to the smoothed scores: the astronaut's
    # clear smile is not uncertain, and the page says so for each face it lists.
    assert page.get_attribute("#webcam-faces li", "data-uncertain") == "false"
    # The preview of a camera facing the user is a mirror.
    assert page.evaluate("getComputedStyle(document.getElementById('webcam-video')).transform").startswith("matrix(-1")
    first = frame_count(page)
    wait_until(page, f"Number(document.getElementById('frame-counter').textContent) >= {first + 5}")
    assert page.inner_text("#webcam-fps") != "–"
    assert page.inner_text("#webcam-rtt").endswith("ms")
    happy_bar = page.get_attribute("#webcam-bars li[data-emotion=happy] .webcam-bar-fill", "style")
    assert happy_bar and "width: 0%" not in happy_bar
    page.screenshot(path=str(ARTIFACTS / "10-webcam-live.png"), full_page=True)

    page.click("#webcam-pause")
    page.wait_for_timeout(400)  # lets the frame in flight come back
    paused_at = frame_count(page)
    page.wait_for_timeout(1000)
    assert frame_count(page) == paused_at
    # Meters describe recent answers only: nothing is shown for a paused camera.
    assert page.inner_text("#webcam-fps") == "–" and page.inner_text("#webcam-rtt") == "–"
    assert page.get_attribute("#webcam", "data-state") == "paused"
    page.click("#webcam-pause")  # resume
    wait_until(page, f"Number(document.getElementById('frame-counter').textContent) > {paused_at}")

    with page.expect_download() as download_info:
        page.click("#webcam-snapshot")
    download = download_info.value
    assert download.suggested_filename.endswith(".png")
    snapshot_path = ARTIFACTS / "11-webcam-snapshot.png"
    download.save_as(str(snapshot_path))
    assert snapshot_path.stat().st_size > 10_000

    page.click("#webcam-stop")
    page.wait_for_selector("text=Session saved")
    assert page.evaluate("document.getElementById('webcam-video').srcObject === null")
    assert page.is_enabled("#webcam-start")
    counted = frame_count(page)
    page.wait_for_timeout(500)
    assert frame_count(page) == counted
    assert page.inner_text("#webcam-fps") == "–" and page.inner_text("#webcam-server-ms") == "–"
    assert page.get_attribute("#webcam", "data-state") == "stopped"
    # The session's summary: its seconds as a strip, and each expression's share.
    page.wait_for_selector("#webcam-summary:not([hidden])")
    assert page.locator("#webcam-summary-timeline .summary-second[data-label=happy]").count() >= 1
    assert "happy" in page.inner_text("#webcam-summary-legend")
    page.screenshot(path=str(ARTIFACTS / "12-webcam-stopped.png"), full_page=True)

    page.click("text=See it in your history.")
    page.wait_for_url("**/dashboard/")
    rows = page.locator("#history tr.webcam-row")
    assert rows.count() == 1
    row_text = rows.first.inner_text()
    assert "happy" in row_text
    assert "not stopped" not in row_text
    assert int(page.inner_text(".stat-value >> nth=2")) >= 1  # webcam seconds with faces
    page.screenshot(path=str(ARTIFACTS / "13-webcam-dashboard.png"), full_page=True)


@pytest.fixture
def plain_page():
    """Chromium with a fake camera device but no automatic "allow" on the permission prompt."""
    with browser_page(["--use-fake-device-for-media-stream"]) as (context, page):
        yield context, page


def test_camera_errors_get_clear_messages(live_server, plain_page):
    context, page = plain_page
    register(page, live_server, "denied", "no camera for you")

    # Playwright grants no permission unless asked: the browser denies the camera.
    page.goto(live_server + "/webcam")
    page.click("#webcam-start")
    page.wait_for_selector("#webcam-message:not([hidden])")
    assert "permission was denied" in page.inner_text("#webcam-message")
    assert page.is_enabled("#webcam-start")
    assert page.is_disabled("#webcam-stop")

    # A machine without any camera, and one whose camera another program holds.
    for error_name, expected in (("NotFoundError", "No camera was found"), ("NotReadableError", "camera is busy")):
        page.evaluate(
            """name => { navigator.mediaDevices.getUserMedia =
                   () => Promise.reject(new DOMException('test', name)); }""",
            error_name,
        )
        page.click("#webcam-start")
        wait_until(page, f"document.getElementById('webcam-message').textContent.includes({expected!r})")
    page.screenshot(path=str(ARTIFACTS / "14-webcam-camera-busy.png"))

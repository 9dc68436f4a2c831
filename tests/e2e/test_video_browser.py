"""A video in a real Chromium: upload it, watch the progress bar move while a real worker
process analyses it, then see the timeline drawn, one band per face."""
import re
import threading
import time

import pytest
from werkzeug.serving import make_server

from tests.e2e.conftest import ARTIFACTS, browser_page, register
from tests.videos import Worker, one_face_frames, write_video

pytestmark = pytest.mark.browser
PlaywrightError = pytest.importorskip("playwright.sync_api").Error


def wait_through_reload(page, expression: str, timeout_ms: int = 60_000) -> None:
    """wait_until, tolerating the moment the page reloads itself (when the job ends)."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        try:
            if page.evaluate(expression):
                return
        except PlaywrightError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {expression}")
        page.wait_for_timeout(100)


@pytest.fixture
def video_server(make_app):
    # Ten frames a second of a two-minute video: long enough to watch the bar move even on the
    # fastest machine measured (a one-minute one was analysed in 1.7 s there, and the page saw one
    # progress step).
    app = make_app(WTF_CSRF_ENABLED=True, VIDEO_SAMPLE_FPS=10.0)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()
    thread.join(timeout=10)


def test_upload_a_video_watch_progress_and_see_the_timeline(video_server, tmp_path):
    base_url, app = video_server
    video = write_video(tmp_path / "talk.mp4", one_face_frames(120, fps=10), fps=10)
    worker = Worker(app, tmp_path / "worker.log")
    try:
        with browser_page() as (_, page):
            register(page, base_url, "videofan", "correct horse battery")
            page.click("a[href='/videos/new']")
            page.wait_for_url("**/videos/new")
            page.set_input_files("#video-input", str(video))
            page.click("#video-button")
            page.wait_for_url(re.compile(r".*/videos/\d+$"))
            seen = set()
            wait_through_reload(page, "document.getElementById('video-progress') === null || "
                                      "Number(document.getElementById('video-progress').value) > 0", timeout_ms=60_000)
            for _ in range(400):
                try:
                    state = page.evaluate("""() => {
                        const bar = document.getElementById('video-progress');
                        return bar ? [Number(bar.value), Number(bar.max)] : null;
                    }""")
                except PlaywrightError:  # the page reloads itself when the job ends
                    state = None
                if state is None:
                    break
                if 0 < state[0] < state[1]:
                    seen.add(state[0])
                page.wait_for_timeout(50)
            assert len(seen) >= 2, f"the progress bar did not move: {seen}"
            wait_through_reload(page, "document.getElementById('video-timeline') !== null && "
                                      "Number(document.getElementById('video-timeline').dataset.drawn) > 0", timeout_ms=60_000)
            assert page.locator(".video-track").count() == 1
            assert "happy" in page.locator("#track-1 .track-summary").inner_text()
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "video-result.png"), full_page=True)
            page.goto(base_url + "/dashboard/")
            assert page.locator(".source-video").count() == 1
            wait_through_reload(page, "Chart.getChart(document.getElementById('distribution-chart')) !== undefined")
            # Shares first (each source with faces is one bar of 100 %); the counts per source beside.
            assert "Videos" in page.evaluate("Chart.getChart(document.getElementById('distribution-chart')).data.labels")
            page.click(".view-switch [data-view=count]")
            assert page.evaluate("Chart.getChart(document.getElementById('distribution-chart')).data.datasets"
                                 ".map(d => d.label)") == ["Photos", "Webcam", "Videos"]
    finally:
        worker.stop()

"""Journeys at a laptop size (1366x768) and a phone size (390x844) for what a new user missed:
the uploaded photo itself, drawn from this tab's own copy with numbered boxes and face crops (also
after a reload, and for a batch on a phone); pressing the button again after a batch stores
nothing twice; a forgotten password through a real local SMTP server to a new password; the
dashboard's share view; the webcam's summary after Stop. Screenshots go to test-artifacts/."""
import re
import threading

import cv2
import pytest
from werkzeug.serving import make_server

from tests import images
from tests.e2e.conftest import ARTIFACTS, browser_page, register, wait_until
from tests.e2e.test_journeys import VIEWPORTS, add_history, assert_no_horizontal_scroll, choose_files, count_analyses, user_id
from tests.e2e.test_webcam_browser import write_fake_camera_video
from tests.faces import group_photo
from tests.smtp import mail_settings, smtp_server

pytestmark = pytest.mark.browser


def group_jpeg() -> bytes:
    ok, data = cv2.imencode(".jpg", group_photo())
    assert ok
    return data.tobytes()


@pytest.mark.parametrize("size", VIEWPORTS)
def test_group_photo_with_numbered_boxes_and_thumbnails_also_after_a_reload(live, size):
    base, app = live
    ARTIFACTS.mkdir(exist_ok=True)
    with browser_page(viewport=VIEWPORTS[size]) as (_, page):
        register(page, base, f"group{size}", "first ten minutes")
        choose_files(page, [("group.jpg", group_jpeg(), "image/jpeg", 0)])
        page.click("#analyse-button")
        page.wait_for_url("**/analyses/*")
        for attempt in ("first visit", "after a reload"):
            page.wait_for_selector(".annotated.from-this-tab .face-box.placed")
            faces = page.locator(".face-card").count()
            assert faces >= 3, attempt
            # Box n and card n carry the same number; every card has its face's crop.
            numbers = page.eval_on_selector_all(".face-box .face-number", "els => els.map(e => e.textContent)")
            assert numbers == [str(n) for n in range(1, faces + 1)]
            cards = page.eval_on_selector_all(".face-card h3 .face-number", "els => els.map(e => e.textContent)")
            assert cards == numbers
            assert page.locator("canvas.face-thumb:not([hidden])").count() == faces
            # Every tag stays inside the photo.
            assert page.evaluate("""(() => { const photo = document.querySelector('.annotated').getBoundingClientRect();
                return [...document.querySelectorAll('.face-tag')].every((tag) => { const r = tag.getBoundingClientRect();
                  return r.left >= photo.left - 1 && r.right <= photo.right + 1 && r.top >= photo.top - 1; }); })()""")
            assert page.is_hidden(".no-photo")
            assert_no_horizontal_scroll(page)
            if attempt == "first visit":
                page.screenshot(path=str(ARTIFACTS / f"journey-{size}-20-group-result.png"), full_page=True)
                page.reload()
        assert count_analyses(app) == 1

    # Another browser (or days later): a one-line note instead of the photo.
    with browser_page(viewport=VIEWPORTS[size]) as (_, page):
        page.goto(base + "/auth/login")
        page.fill("#username", f"group{size}")
        page.fill("#password", "first ten minutes")
        page.click("input[type=submit]")
        page.wait_for_url("**/analyze")
        page.goto(base + "/dashboard/")
        page.click("#history tr.history-row .what a")
        page.wait_for_selector(".face-card")
        assert page.is_hidden(".annotated") and "not kept on the server" in page.inner_text(".no-photo")
        assert page.evaluate("document.querySelector('.no-photo').getBoundingClientRect().height") < 40  # one line


def test_a_batch_on_a_phone_is_compact_and_a_second_press_stores_nothing_twice(live):
    base, app = live
    with browser_page(viewport=VIEWPORTS["phone"]) as (_, page):
        register(page, base, "batcher", "first ten minutes")
        good = [(f"photo-{n}.jpg", images.astronaut_jpeg(side=400 + 40 * n), "image/jpeg", 0) for n in range(4)]
        choose_files(page, good + [("broken.jpg", images.truncated_jpeg(), "image/jpeg", 0)])
        # One chosen file can be taken out again.
        page.click("#file-4 .remove-file")
        choose_files(page, good + [("broken.jpg", images.truncated_jpeg(), "image/jpeg", 0)])
        assert page.locator("#previews .file-item").count() == 5
        assert page.is_hidden(".dropzone .for-pointer") and "Choose photos" in page.inner_text("#dropzone")
        page.click("#file-4 .remove-file")
        assert page.locator("#previews .file-item").count() == 4
        choose_files(page, good + [("broken.jpg", images.truncated_jpeg(), "image/jpeg", 0)])
        page.click("#analyse-button")
        page.wait_for_selector("#see-results")
        assert count_analyses(app) == 4
        # The failed file's bar is red, the good ones' green.
        colour = "getComputedStyle(document.querySelector('#file-{} progress')).accentColor"
        assert page.evaluate(colour.format(4)) != page.evaluate(colour.format(0))
        # "See the 4 results" is the primary button, with "Start over" beside it.
        assert "secondary" not in page.get_attribute("#see-results", "class")
        assert "secondary" in page.get_attribute("#analyse-button", "class")
        assert page.is_visible("#start-over")
        page.screenshot(path=str(ARTIFACTS / "journey-phone-21-batch-done.png"), full_page=True)

        # Pressing the form's button again (it used to send everything again): nothing is stored twice.
        page.click("#analyse-button")
        page.wait_for_selector("#see-results")
        page.wait_for_timeout(500)
        assert count_analyses(app) == 4
        # The same key sent again by the page's own API returns the first analysis.
        replay = page.evaluate("""async () => {
            const token = document.querySelector('meta[name="csrf-token"]').content;
            const send = async () => { const data = new FormData();
              data.append('image', new File([new Uint8Array(await (await fetch('/static/img/example.jpg')).arrayBuffer())], 'a.jpg', {type: 'image/jpeg'}));
              const r = await fetch('/api/v1/analyses', {method: 'POST', body: data,
                headers: {'X-CSRFToken': token, 'Idempotency-Key': 'journey-key'}});
              return [r.status, r.headers.get('Idempotent-Replayed'), (await r.json()).results[0].id]; };
            return [await send(), await send()]; }""")
        assert replay[0][0] == replay[1][0] == 200 and replay[1][1] == "true" and replay[0][2] == replay[1][2]
        assert count_analyses(app) == 5

        page.click("#see-results")
        page.wait_for_url("**/analyses/batch*")
        page.wait_for_selector(".annotated.from-this-tab")
        wait_until(page, "document.querySelectorAll('.annotated.from-this-tab').length === 4")
        height = page.evaluate("document.documentElement.scrollHeight")
        assert height < 3000, f"a batch of 4 is {height} px tall on a phone"
        assert_no_horizontal_scroll(page)
        page.screenshot(path=str(ARTIFACTS / "journey-phone-22-batch-results.png"), full_page=True)

        page.goto(base + "/analyze")
        choose_files(page, good[:1] + [("notes.txt", b"text", "text/plain", 0)])
        page.click("#analyse-button")
        page.wait_for_selector("#start-over")
        page.click("#start-over")
        assert page.locator("#previews .file-item").count() == 0
        assert "secondary" not in page.get_attribute("#analyse-button", "class")


@pytest.fixture
def live_with_mail(make_app):
    """A live server whose mail goes to a real SMTP server on this machine."""
    with smtp_server() as (port, inbox):
        app = make_app(WTF_CSRF_ENABLED=True, **mail_settings(port))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_port}", app, inbox
        server.shutdown()
        thread.join(timeout=10)


@pytest.mark.parametrize("size", VIEWPORTS)
def test_forgot_password_through_smtp_to_a_new_password(live_with_mail, size):
    base, app, inbox = live_with_mail
    with browser_page(viewport=VIEWPORTS[size]) as (_, page):
        register(page, base, f"forgetful{size}", "first ten minutes")
        page.click("text=Log out") if size == "desktop" else (page.click("#menu-button"), page.click("text=Log out"))
        page.goto(base + "/auth/login")
        page.click("text=Forgot password?")
        page.wait_for_url("**/auth/forgot")
        page.fill("#email", f"forgetful{size}@example.com")
        page.click("input[type=submit]")
        page.wait_for_url("**/auth/login")
        assert "If an account uses that address" in page.inner_text(".flashes")
        message = inbox.wait_for(1)
        link = re.search(r"http://\S+/auth/reset/\S+", message.get_body(("plain",)).get_content()).group(0)
        page.goto(link)
        page.fill("#new_password", "a new long passphrase")
        page.fill("#confirm", "a new long passphrase")
        page.screenshot(path=str(ARTIFACTS / f"journey-{size}-23-reset-password.png"), full_page=True)
        page.click("input[type=submit]")
        page.wait_for_url("**/auth/login")
        page.fill("#username", f"forgetful{size}")
        page.fill("#password", "a new long passphrase")
        page.click("input[type=submit]")
        page.wait_for_url("**/analyze")
        # The link worked once.
        page.goto(link)
        assert "no longer works" in page.inner_text("h1")


@pytest.mark.parametrize("size", VIEWPORTS)
def test_dashboard_share_view_compares_sources(live, size):
    from datetime import datetime

    base, app = live
    with browser_page(viewport=VIEWPORTS[size]) as (_, page):
        register(page, base, f"share{size}", "first ten minutes")
        add_history(app, user_id(app, f"share{size}"), datetime.utcnow())
        page.goto(base + "/dashboard/?preset=7d")
        wait_until(page, "Chart.getChart(document.getElementById('timeline-chart')) !== undefined")
        assert page.get_attribute(".view-switch [data-view=share]", "aria-pressed") == "true"
        timeline = "Chart.getChart(document.getElementById('timeline-chart'))"
        # Each period with faces adds up to 100 %, and every bar has its label.
        sums = page.evaluate("(() => { const c = " + timeline + "; return c.data.labels.map((_, i) =>"
                             " c.data.datasets.reduce((s, d) => s + d.data[i], 0)); })()")
        assert all(abs(total - 100) < 0.5 or total == 0 for total in sums)
        ticks = page.evaluate(f"{timeline}.scales.x.ticks.length")
        assert ticks == len(sums)
        page.click("[data-timeline-source=webcam]")
        page.click(".view-switch [data-view=count]")
        assert page.evaluate(f"{timeline}.options.scales.y.max") is None
        page.click(".view-switch [data-view=share]")
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(ARTIFACTS / f"journey-{size}-24-dashboard-share.png"), full_page=True)


@pytest.mark.parametrize("size", VIEWPORTS)
def test_webcam_summary_after_stop(live, size, tmp_path):
    base, app = live
    clip = write_fake_camera_video(tmp_path / "astronaut.y4m")
    camera = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
              f"--use-file-for-fake-video-capture={clip}"]
    with browser_page(camera, viewport=VIEWPORTS[size]) as (_, page):
        register(page, base, f"summary{size}", "first ten minutes")
        page.goto(base + "/webcam")
        page.click("#webcam-start")
        wait_until(page, "document.getElementById('webcam-overlay').dataset.labels.split(',').includes('happy')",
                   timeout_ms=60_000)
        wait_until(page, "Number(document.getElementById('frame-counter').textContent) >= 10")
        assert page.evaluate("getComputedStyle(document.getElementById('webcam-video')).transform").startswith("matrix(-1")
        if size == "phone":
            meters = page.locator(".webcam-meters").bounding_box()
            video = page.locator("#webcam-video").bounding_box()
            assert meters["height"] < 0.3 * video["height"], (meters, video)
        page.wait_for_timeout(1200)  # at least two seconds of camera time
        page.click("#webcam-stop")
        page.wait_for_selector("#webcam-summary:not([hidden])")
        assert page.locator("#webcam-summary-timeline .summary-second").count() >= 2
        assert page.locator("#webcam-summary-timeline .summary-second[data-label=happy]").count() >= 1
        assert "happy" in page.inner_text("#webcam-summary-legend")
        assert "Mostly happy" in page.inner_text("#webcam-summary-figures")
        assert_no_horizontal_scroll(page)
        page.locator("#webcam-summary").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"journey-{size}-25-webcam-summary.png"), full_page=True)

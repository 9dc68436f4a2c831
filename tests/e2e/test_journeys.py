"""A new user's first ten minutes, walked in Chromium at a laptop size (1366x768) and a phone size
(390x844): upload with per-file progress and a result page with its own address (reloading it
stores nothing new), a mixed batch, the dashboard with a minute of webcam as one row, paging,
presets, confirmation before deleting, readable colours, no sideways scrolling on a phone, the
About page, error pages, and the webcam's failure states. Screenshots go to test-artifacts/."""
import base64
from datetime import datetime, timedelta

import pytest

from tests import images
from tests.e2e.conftest import ARTIFACTS, browser_page, register, wait_until
from tests.e2e.test_webcam_browser import write_fake_camera_video

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
ZONES = {"desktop": "UTC", "phone": "America/New_York"}  # the phone also checks local days and times

# Contrast of each element's text against the first opaque background behind it (WCAG 2 formula).
CONTRASTS_JS = """selector => {
  const parse = (value) => (value.match(/[\\d.]+/g) || []).map(Number);
  const channel = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const background = (element) => {
    for (let node = element; node; node = node.parentElement) {
      const rgba = parse(getComputedStyle(node).backgroundColor);
      if (rgba.length === 3 || (rgba.length === 4 && rgba[3] > 0.99)) return rgba.slice(0, 3);
    }
    return [255, 255, 255];
  };
  return Array.from(document.querySelectorAll(selector)).filter((e) => e.offsetParent !== null).map((element) => {
    const a = luminance(parse(getComputedStyle(element).color)), b = luminance(background(element));
    return { text: element.textContent.trim().slice(0, 40), ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05) };
  });
}"""


def count_analyses(app) -> int:
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import Analysis

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Analysis))


def user_id(app, username) -> int:
    from app.extensions import db
    from app.models import User

    with app.app_context():
        return db.session.execute(db.select(User.id).filter_by(username=username)).scalar_one()


def choose_files(page, files):
    """Drop files (name, bytes, type) on the drop zone, as a person dragging them would."""
    transfer = page.evaluate_handle(
        """files => {
            const transfer = new DataTransfer();
            for (const [name, b64, type, size] of files) {
                const bytes = size ? new Uint8Array(size) : Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
                transfer.items.add(new File([bytes], name, { type }));
            }
            return transfer;
        }""",
        [[name, base64.b64encode(data).decode() if data else "", kind, size] for name, data, kind, size in files],
    )
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": transfer})


def assert_no_horizontal_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "page scrolls sideways"


def assert_readable(page, selector, minimum=4.5):
    results = page.evaluate(CONTRASTS_JS, selector)
    assert results, f"nothing matched {selector}"
    poor = [r for r in results if r["ratio"] < minimum]
    assert poor == [], f"contrast below {minimum}:1: {poor}"
    return results


def assert_tap_targets(page, selector, minimum=44):
    sizes = page.evaluate(
        """selector => Array.from(document.querySelectorAll(selector)).filter((e) => e.offsetParent !== null)
            .map((e) => { const r = e.getBoundingClientRect(); return [e.textContent.trim(), r.width, r.height]; })""",
        selector,
    )
    assert sizes
    small = [s for s in sizes if s[1] < minimum - 0.5 or s[2] < minimum - 0.5]
    assert small == [], f"tap targets under {minimum} px: {small}"


@pytest.mark.parametrize("size", VIEWPORTS)
def test_upload_result_page_and_mixed_batch(live, size):
    base, app = live
    ARTIFACTS.mkdir(exist_ok=True)
    with browser_page(viewport=VIEWPORTS[size]) as (_, page):
        page.goto(base + "/")
        page.wait_for_selector(".example .face-box.placed")
        assert "happy" in page.text_content(".example .face-tag")  # on a phone the tag shows its number only
        assert_readable(page, ".chip, .face-tag, .badge")
        assert_no_horizontal_scroll(page)
        page.screenshot(path=str(ARTIFACTS / f"journey-{size}-01-landing.png"), full_page=True)

        register(page, base, f"new{size}", "first ten minutes")
        choose_files(page, [("astronaut.jpg", images.astronaut_jpeg(), "image/jpeg", 0)])
        page.click("#analyse-button")
        page.wait_for_url("**/analyses/*")
        page.wait_for_selector(".face-card")
        assert "Face 1: happy" in page.inner_text(".face-card h3")
        assert page.inner_text(".meaning").split(":")[0] in ("Clear", "Likely", "Uncertain")
        # The tab's own copy of the photo is drawn with the numbered box; the card has its crop.
        page.wait_for_selector(".annotated.from-this-tab .face-box.placed")
        assert page.is_hidden(".no-photo") and page.is_visible("canvas.face-thumb")
        assert count_analyses(app) == 1
        page.reload()
        page.wait_for_selector(".annotated.from-this-tab .face-box.placed")
        page.reload()
        assert count_analyses(app) == 1, "reloading the result page uploaded again"
        assert_readable(page, ".chip, .face-tag, .badge, .button, .muted, .meaning")
        assert_no_horizontal_scroll(page)
        page.screenshot(path=str(ARTIFACTS / f"journey-{size}-02-result.png"), full_page=True)

        # A good photo, a broken one, a text file and one too large to send.
        page.goto(base + "/analyze")
        choose_files(page, [
            ("good.jpg", images.astronaut_jpeg(), "image/jpeg", 0),
            ("broken.jpg", images.truncated_jpeg(), "image/jpeg", 0),
            ("notes.txt", b"just text", "text/plain", 0),
            ("huge.jpg", None, "image/jpeg", 22 * 1024 * 1024),
        ])
        assert "4 files chosen · 2 will not be sent" in page.inner_text("#file-summary")
        assert "too large (22.0 MB)" in page.inner_text("#file-3")
        assert "not a picture we read" in page.inner_text("#file-2")
        page.click("#analyse-button")
        page.wait_for_selector("#see-results")
        assert page.get_attribute("#file-0", "data-state") == "done"
        assert "done: 1 face" in page.inner_text("#file-0")
        assert page.get_attribute("#file-1", "data-state") == "error"
        assert "broken.jpg:" in page.inner_text("#file-1")
        assert "1 of 4 pictures analysed" in page.inner_text("#upload-status")
        assert count_analyses(app) == 2
        assert_no_horizontal_scroll(page)
        page.screenshot(path=str(ARTIFACTS / f"journey-{size}-03-mixed-batch.png"), full_page=True)
        page.click("#see-results")
        page.wait_for_url("**/analyses/*")
        assert "good.jpg" in page.inner_text("h2")


def add_history(app, uid, now):
    """A 60-second webcam session (one stored row per second, as the frame API leaves it) and
    25 photos, straight into the database."""
    from app.extensions import db
    from app.models import Analysis, FaceResult, WebcamSession

    emotions = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")

    def face(label, confidence=0.8):
        scores = {e: (1 - confidence) / 6 for e in emotions}
        scores[label] = confidence
        return FaceResult(face_index=0, x=10, y=10, w=50, h=50, label=label, confidence=confidence, **scores)

    with app.app_context():
        started = now - timedelta(hours=1)
        session = WebcamSession(user_id=uid, started_at=started, ended_at=started + timedelta(seconds=60),
                                frames_analysed=900)
        db.session.add(session)
        db.session.flush()
        for second in range(60):
            row = Analysis(user_id=uid, created_at=started + timedelta(seconds=second), source="webcam",
                           image_width=640, image_height=480, frame_count=15, webcam_session_id=session.id)
            row.faces.append(face(emotions[second % 7]))
            db.session.add(row)
        for index in range(25):
            row = Analysis(user_id=uid, created_at=now - timedelta(days=index % 12, hours=2 + index),
                           source="upload", filename=f"photo-{index:02d}.jpg", image_width=800, image_height=600)
            row.faces.append(face(emotions[index % 7], 0.42 if index % 5 == 0 else 0.8))
            db.session.add(row)
        db.session.commit()
        return session.id


@pytest.mark.parametrize("size", VIEWPORTS)
def test_dashboard_history_at_both_sizes(live, size):
    base, app = live
    with browser_page(viewport=VIEWPORTS[size], timezone_id=ZONES[size]) as (_, page):
        register(page, base, f"dash{size}", "first ten minutes")
        session_id = add_history(app, user_id(app, f"dash{size}"), datetime.utcnow())
        page.goto(base + "/dashboard/")
        wait_until(page, "Chart.getChart(document.getElementById('timeline-chart')) !== undefined")

        # A minute of webcam is ONE row, which opens to its 60 seconds.
        assert page.locator(f"#webcam-session-{session_id}").count() == 1
        assert page.locator("#history tr.webcam-row").count() == 1
        assert page.locator("#history tr.history-row").count() == 20  # first page
        page.click(f"#webcam-session-{session_id} summary")
        assert page.locator(f"#webcam-session-{session_id} .seconds-list li").count() == 60

        # Each day between the first and last has a slot on the time axis (gaps stay gaps).
        labels = page.evaluate("Chart.getChart(document.getElementById('timeline-chart')).data.labels.length")
        assert labels >= 12
        # Shares first: each source is a bar of 100 %, whatever its number of faces.
        assert page.evaluate("Chart.getChart(document.getElementById('distribution-chart')).data.labels") == [
            "Photos", "Webcam"]
        totals = page.evaluate("""(() => { const c = Chart.getChart(document.getElementById('distribution-chart'));
            return c.data.labels.map((_, i) => c.data.datasets.reduce((s, d) => s + d.data[i], 0)); })()""")
        assert all(abs(total - 100) < 0.5 for total in totals)
        page.click(".view-switch [data-view=count]")
        assert page.evaluate("Chart.getChart(document.getElementById('distribution-chart')).data.datasets"
                             ".map(d => d.backgroundColor)") == ["#334155", "#d6409f"]
        page.click(".view-switch [data-view=share]")

        assert_readable(page, ".chip, .source, .stat-label, .muted, .button, th")
        assert_no_horizontal_scroll(page)
        if size == "phone":
            assert page.is_hidden("#nav-links")
            page.click("#menu-button")
            assert page.is_visible("#nav-links a[href='/dashboard/']")
            assert_tap_targets(page, "#nav-links a, #nav-links button")
            page.click("#menu-button")
            # One line per item: the table header is hidden, no label is repeated.
            assert page.evaluate("getComputedStyle(document.querySelector('#history tbody tr')).display") == "flex"
            heights = page.evaluate("[...document.querySelectorAll('#history tr.history-row:not(.webcam-row)')]"
                                    ".map(r => r.getBoundingClientRect().height)")
            assert max(heights) < 60, heights
        assert_tap_targets(page, "#history .delete-form button, .presets a, .pager a")
        assert f"{ZONES[size]} time" in page.inner_text("#timeline-title")
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(ARTIFACTS / f"journey-{size}-04-dashboard.png"), full_page=True)
        page.evaluate("document.getElementById('history').scrollIntoView()")
        page.screenshot(path=str(ARTIFACTS / f"journey-{size}-04-history.png"))

        page.click("text=Older")
        page.wait_for_url("**page=2**")
        assert page.locator("#history tr.history-row").count() == 6

        # Presets, then a reversed range explained.
        page.click(".presets >> text=Last 7 days")
        page.wait_for_url("**preset=7d**")
        page.goto(base + "/dashboard/?from=2026-05-10&to=2026-05-01")
        assert "The start date is after the end date" in page.inner_text("#range-message")
        page.goto(base + "/dashboard/?from=2020-01-01&to=2020-01-31")
        assert "Nothing between 2020-01-01 and 2020-01-31" in page.inner_text("#range-message")

        # Deleting asks first; refusing keeps the row, accepting deletes it and keeps the filters.
        page.goto(base + "/dashboard/?preset=30d&bucket=week")
        before = count_analyses(app)
        first_row = page.locator("#history tr.history-row:not(.webcam-row)").first
        questions = []
        page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
        first_row.locator(".delete-form button").click()
        page.wait_for_timeout(300)
        assert questions and questions[0].startswith("Delete the analysis of photo-")
        assert "cannot be undone" not in questions[0] and "undo" in questions[0]
        assert count_analyses(app) == before
        page.once("dialog", lambda dialog: dialog.accept())
        first_row.locator(".delete-form button").click()
        page.wait_for_url("**/dashboard/?preset=30d&bucket=week")
        assert "Analysis deleted." in page.inner_text(".undo-bar")
        assert page.locator(".flash").count() == 0  # one banner, not two
        assert count_analyses(app) == before - 1
        assert page.locator("#filter-bucket").input_value() == "week"
        # ... and offers to undo it.
        page.click("#undo-button")
        page.wait_for_selector("text=Analysis restored.")
        assert count_analyses(app) == before
        assert "preset=30d" in page.url


@pytest.mark.parametrize("size", VIEWPORTS)
def test_about_error_and_account_pages(live, size):
    base, app = live
    with browser_page(viewport=VIEWPORTS[size]) as (_, page):
        page.goto(base + "/about")
        assert "Article 5(1)(f)" in page.inner_text("#legal")
        tables = page.locator("#accuracy table")
        assert tables.count() == 2  # FER2013 labels and FER+ majority, as models/model_card.json has both
        for index in range(2):
            assert tables.nth(index).locator("tbody tr").count() == 7
        assert_readable(page, ".chip, p, li, td")
        assert_no_horizontal_scroll(page)
        page.screenshot(path=str(ARTIFACTS / f"journey-{size}-05-about.png"), full_page=True)

        page.goto(base + "/no-such-page")
        assert "Page not found" in page.inner_text("h1")
        page.screenshot(path=str(ARTIFACTS / f"journey-{size}-06-not-found.png"))

        # The skip link is the first thing the keyboard reaches, and it moves focus to the content.
        page.goto(base + "/about")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        page.keyboard.press("Enter")
        assert page.evaluate("location.hash") == "#main"

        # Wrong password: the error is tied to its field and announced.
        register(page, base, f"acc{size}", "first ten minutes")
        page.goto(base + "/auth/account")
        page.fill("#current_password", "wrong password")
        page.fill("#new_password", "another long one")
        page.fill("#confirm", "another long one")
        page.click("#password-submit")
        described = page.get_attribute("#current_password", "aria-describedby")
        assert described and page.get_attribute(f"#{described}", "role") == "alert"
        assert page.evaluate("new Set([...document.querySelectorAll('[id]')].map(e => e.id)).size"
                             " === document.querySelectorAll('[id]').length")
        assert_no_horizontal_scroll(page)


@pytest.mark.parametrize("size", VIEWPORTS)
def test_webcam_fits_the_screen_and_closes_the_session_when_frames_keep_failing(live, size, tmp_path):
    base, app = live
    clip = write_fake_camera_video(tmp_path / "astronaut.y4m")
    camera = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
              f"--use-file-for-fake-video-capture={clip}"]
    with browser_page(camera, viewport=VIEWPORTS[size]) as (_, page):
        register(page, base, f"cam{size}", "first ten minutes")
        page.goto(base + "/webcam")
        start = page.locator("#webcam-start").bounding_box()
        assert start["y"] + start["height"] <= VIEWPORTS[size]["height"], "Start camera is below the fold"
        assert_tap_targets(page, ".webcam-controls .button")
        page.click("#webcam-start")
        wait_until(page, "Number(document.getElementById('frame-counter').textContent) >= 3")
        video = page.locator("#webcam-video").bounding_box()
        assert video["y"] < VIEWPORTS[size]["height"], "the video starts below the fold"
        assert_no_horizontal_scroll(page)
        page.screenshot(path=str(ARTIFACTS / f"journey-{size}-07-webcam.png"))

        # The network breaks: the page retries, then stops and still closes the session.
        page.route("**/frames", lambda route: route.abort())
        wait_until(page, "document.getElementById('webcam').dataset.state === 'retrying'")
        assert "Retrying" in page.inner_text("#webcam-message")
        wait_until(page, "document.getElementById('webcam').dataset.state === 'stopped'", timeout_ms=20_000)
        wait_until(page, "document.getElementById('webcam-message').textContent.includes('session was closed')")
        assert page.inner_text("#webcam-fps") == "–"
        assert page.evaluate("document.getElementById('webcam-video').srcObject === null")

        from app.extensions import db
        from app.models import WebcamSession

        with app.app_context():
            [session] = db.session.scalars(db.select(WebcamSession)).all()
            assert session.ended_at is not None
        page.screenshot(path=str(ARTIFACTS / f"journey-{size}-08-webcam-stopped.png"))


def test_keep_my_photos_shows_the_photo_with_its_boxes(live):
    base, app = live
    with browser_page(viewport=VIEWPORTS["desktop"]) as (_, page):
        register(page, base, "keeper", "first ten minutes")
        page.goto(base + "/auth/account")
        assert not page.is_checked("#keep-photos")
        page.check("#keep-photos")
        page.click("text=Save photo setting")
        page.wait_for_selector("text=Your photos will now be kept")
        page.goto(base + "/analyze")
        assert "A smaller copy of each photo is kept" in page.inner_text("#upload-limits")
        choose_files(page, [("astronaut.jpg", images.astronaut_jpeg(), "image/jpeg", 0)])
        page.click("#analyse-button")
        page.wait_for_url("**/analyses/*")
        page.wait_for_selector(".face-box.placed")
        assert page.evaluate("document.querySelector('.annotated img').naturalWidth") == 512
        assert "happy" in page.inner_text(".face-tag")
        wait_until(page, "Chart.getChart(document.querySelector('canvas.score-chart')) !== undefined")
        assert_readable(page, ".face-tag, .chip, .badge")
        page.screenshot(path=str(ARTIFACTS / "journey-desktop-09-result-kept-photo.png"), full_page=True)

        # Deleting from its page asks first, then the photo is gone with the analysis.
        page.once("dialog", lambda dialog: dialog.accept())
        page.click(".result-actions .delete-form button")
        page.wait_for_url("**/dashboard/")
        assert count_analyses(app) == 0

"""End to end in a real browser: Playwright driving Debian's Chromium against a live server.

Register, log out, log in, upload the astronaut, see the labelled result, open the dashboard and
check that Chart.js really drew the charts. Screenshots go to test-artifacts/.
"""
import base64

import pytest

from tests import images
from tests.e2e.conftest import ARTIFACTS, wait_until

pytestmark = pytest.mark.browser


def canvas_painted_pixels(page, selector: str) -> int:
    """Non-transparent pixels on a canvas: 0 means Chart.js drew nothing."""
    return page.eval_on_selector(
        selector,
        """canvas => {
            const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            let painted = 0;
            for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
            return painted;
        }""",
    )


def test_register_login_upload_and_dashboard(live_server, page, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    photo = tmp_path / "astronaut.jpg"
    photo.write_bytes(images.astronaut_jpeg())

    page.goto(live_server + "/")
    page.click("text=Create a free account")
    page.fill("#username", "eileen")
    page.fill("#email", "eileen@example.com")
    page.fill("#password", "collins sts-93")
    page.fill("#confirm", "collins sts-93")
    page.click("input[type=submit]")
    page.wait_for_url("**/analyze")

    page.click("text=Log out")
    page.wait_for_url(live_server + "/")
    page.goto(live_server + "/auth/login")
    page.fill("#username", "eileen")
    page.fill("#password", "collins sts-93")
    page.click("input[type=submit]")
    page.wait_for_url("**/analyze")
    assert "Analyse photos" in page.inner_text("h1")

    # Drag and drop the photo onto the drop zone, as a person would.
    transfer = page.evaluate_handle(
        """async (b64) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], "astronaut.jpg", { type: "image/jpeg" }));
            return transfer;
        }""",
        base64.b64encode(photo.read_bytes()).decode(),
    )
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": transfer})
    assert page.inner_text("#file-summary") == "1 file chosen"
    assert page.inner_text("#previews .file-name") == "astronaut.jpg"
    assert page.get_attribute("#file-0", "data-state") == "ready"
    page.screenshot(path=str(ARTIFACTS / "01-upload.png"))
    page.click("#analyse-button")
    page.wait_for_url("**/analyses/*")  # the result has its own address
    page.wait_for_selector(".face-card")
    assert page.locator(".face-card").count() == 1
    assert "Face 1: happy" in page.inner_text(".face-card h3")
    # Keep-my-photos is off by default: the photo is this tab's own copy, never sent again.
    page.wait_for_selector(".annotated.from-this-tab .face-box.placed")
    wait_until(page, "Chart.getChart(document.querySelector('canvas.score-chart')) !== undefined")
    assert canvas_painted_pixels(page, "canvas.score-chart") > 500
    page.screenshot(path=str(ARTIFACTS / "02-result.png"), full_page=True)

    page.click("text=Open dashboard")
    page.wait_for_url("**/dashboard/")
    wait_until(page, "Chart.getChart(document.getElementById('timeline-chart')) !== undefined")
    assert canvas_painted_pixels(page, "#distribution-chart") > 500
    assert canvas_painted_pixels(page, "#timeline-chart") > 500
    assert "astronaut.jpg" in page.inner_text("table.history")
    assert page.inner_text(".stat-value >> nth=0") == "1"
    page.screenshot(path=str(ARTIFACTS / "03-dashboard.png"), full_page=True)

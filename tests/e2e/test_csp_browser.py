"""In Chromium, the strict Content-Security-Policy blocks nothing the pages need: every page
works with no CSP violation reported (inline code would be reported here)."""
from tests import images
from tests.e2e.conftest import browser_page, register


def test_pages_run_under_the_content_security_policy(live_server, tmp_path):
    photo = tmp_path / "astronaut.jpg"
    photo.write_bytes(images.astronaut_jpeg())
    with browser_page(
        ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
    ) as (_, page):
        messages = []
        page.on("console", lambda message: messages.append(message.text))
        violations = []
        page.expose_function("reportViolation", lambda text: violations.append(text))
        page.add_init_script(
            "document.addEventListener('securitypolicyviolation', e => "
            "window.reportViolation(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sourceFile || '')));"
        )
        for url in ("/", "/about", "/auth/login"):
            page.goto(live_server + url)
        register(page, live_server, "cspuser", "correct horse battery")
        page.set_input_files("input[type=file]", str(photo))
        page.locator("#upload-form [type=submit]").click()
        page.wait_for_load_state("networkidle")
        for url in ("/dashboard/", "/auth/account", "/webcam"):
            page.goto(live_server + url)
            page.wait_for_load_state("networkidle")
        page.goto(live_server + "/dashboard/")
        page.wait_for_selector("canvas")
        csp_messages = [text for text in messages if "Content Security Policy" in text]
        assert violations == [] and csp_messages == [], (violations, csp_messages)

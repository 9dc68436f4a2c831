"""Shared set-up for the browser tests: a live server and Debian's Chromium driven by Playwright.

Playwright's own browser download does not work offline, so the tests launch the system
Chromium (apt-get install chromium). Locally a missing Chromium skips; in CI it fails.
"""
import os
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Without the networking switches Chromium keeps dialling Google's services, which this
# offline machine refuses many times a second.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]


@pytest.fixture
def live(make_app):
    """(base URL, app): a live server whose database the test can also fill directly."""
    app = make_app(WTF_CSRF_ENABLED=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def live_server(live):
    """The base URL of a live server, for tests that only use the browser."""
    base_url, _app = live
    return base_url


@contextmanager
def browser_page(extra_args=(), **context_options):
    """Yield (context, page) in a fresh Chromium; fail if the page raised a JavaScript error."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests but there is no Chromium at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + list(extra_args))
        context_options.setdefault("viewport", {"width": 1280, "height": 900})
        context = browser.new_context(**context_options)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.set_default_timeout(30_000)
        yield context, page
        context.close()
        browser.close()
        assert errors == [], f"JavaScript errors: {errors}"


@pytest.fixture
def page():
    with browser_page() as (_, page):
        yield page


def register(page, base_url: str, username: str, password: str) -> None:
    """Create an account through the form; the app logs the new user in and opens /analyze."""
    page.goto(base_url + "/auth/register")
    page.fill("#username", username)
    page.fill("#email", f"{username}@example.com")
    page.fill("#password", password)
    page.fill("#confirm", password)
    page.click("input[type=submit]")
    page.wait_for_url("**/analyze")


def wait_until(page, expression: str, timeout_ms: int = 30_000, interval_ms: int = 100) -> None:
    """Poll a JavaScript expression until it is truthy.

    Playwright's ``wait_for_function`` re-evaluates its predicate with ``eval`` inside the page,
    which the app's Content-Security-Policy (no 'unsafe-eval') forbids; ``page.evaluate`` goes
    through the DevTools protocol and is allowed, so polling from here works under the policy.
    """
    import time

    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        if page.evaluate(expression):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_ms} ms waiting for: {expression}")
        page.wait_for_timeout(interval_ms)

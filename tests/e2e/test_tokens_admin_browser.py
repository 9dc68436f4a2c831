"""In Chromium: make an access token on the account page, copy it with the Copy button, use it,
revoke it; an admin disables a user who is logged in in another browser, whose next request is
refused; the API documentation page runs Swagger UI under the strict Content-Security-Policy."""
import json
import urllib.error
import urllib.request

import pytest

from tests.e2e.conftest import browser_page, register

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


def api_status(base_url: str, path: str, token: str) -> int:
    request = urllib.request.Request(base_url + path, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_create_copy_use_and_revoke_a_token(live):
    base_url, _app = live
    with browser_page() as (context, page):
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
        page.on("dialog", lambda dialog: dialog.accept())
        register(page, base_url, "tokenuser", PASSWORD)
        page.goto(base_url + "/auth/account")
        assert page.locator("#no-tokens").is_visible()
        page.fill("#name", "my script")
        page.select_option("#scope", "write")
        page.select_option("#expires_in_days", "30")
        page.click("#token-submit")
        token = page.locator("#new-token").inner_text().strip()
        assert token.startswith("mlt_")
        page.click("#copy-token")
        page.wait_for_selector("#copy-status:has-text('Copied')")
        assert page.evaluate("navigator.clipboard.readText()") == token
        row = page.locator("#token-table tr[data-token-name='my script']")
        assert "read and write" in row.inner_text() and token not in row.inner_text()
        assert api_status(base_url, "/api/v1/analyses", token) == 200

        page.goto(base_url + "/auth/account")
        assert page.locator("#new-token").count() == 0  # shown once only
        assert "never" not in page.locator("#token-table tr[data-token-name='my script'] td").nth(5).inner_text()
        page.click("button[aria-label='Revoke my script']")
        page.wait_for_selector("#no-tokens")
        assert api_status(base_url, "/api/v1/analyses", token) == 401


def test_admin_disables_a_user_logged_in_elsewhere(live):
    base_url, app = live
    with browser_page() as (victim_context, victim_page):
        admin_context = victim_context.browser.new_context(viewport={"width": 1280, "height": 900})
        admin_page = admin_context.new_page()  # another browser profile: its own cookies
        register(victim_page, base_url, "victim", PASSWORD)
        victim_page.goto(base_url + "/dashboard/")
        assert victim_page.url.endswith("/dashboard/")

        register(admin_page, base_url, "boss", PASSWORD)
        admin_page.goto(base_url + "/admin/")
        assert "Page not found" in admin_page.content()  # not an admin yet: 404
        result = app.test_cli_runner().invoke(args=["create-admin", "boss", "--promote"])
        assert result.exit_code == 0, result.output
        admin_page.on("dialog", lambda dialog: dialog.accept())
        admin_page.goto(base_url + "/admin/")
        row = admin_page.locator("#account-table tr[data-username='victim']")
        assert "active" in row.inner_text()
        row.locator("button[aria-label='Disable victim']").click()
        admin_page.wait_for_selector("#account-table tr[data-username='victim'] .account-state:has-text('disabled')")
        assert "disable" in admin_page.locator("#audit-table").inner_text()

        victim_page.goto(base_url + "/dashboard/")
        assert "/auth/login" in victim_page.url  # the session ended at once
        status = victim_page.evaluate("fetch('/api/v1/analyses').then(r => r.status)")
        assert status == 401
        victim_page.fill("#username", "victim")
        victim_page.fill("#password", PASSWORD)
        victim_page.click("input[type=submit]")
        assert "disabled" in victim_page.content()
        admin_context.close()


def test_api_docs_page_runs_under_the_content_security_policy(live):
    base_url, _app = live
    with browser_page() as (_, page):
        messages = []
        page.on("console", lambda message: messages.append(message.text))
        violations = []
        page.expose_function("reportViolation", lambda text: violations.append(text))
        page.add_init_script(
            "document.addEventListener('securitypolicyviolation', e => "
            "window.reportViolation(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sourceFile || '')));"
        )
        page.goto(base_url + "/api/v1/docs")
        page.wait_for_selector(".swagger-ui .opblock-summary-path", timeout=30_000)
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert any("/api/v1/analyses" in path for path in paths)
        document = json.loads(page.evaluate("fetch('/api/v1/openapi.json').then(r => r.text())"))
        assert document["openapi"] == "3.1.0"
        csp_messages = [text for text in messages if "Content Security Policy" in text]
        assert violations == [] and csp_messages == [], (violations, csp_messages)

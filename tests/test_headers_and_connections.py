"""What every answer carries (CSP, no-store), spreadsheet-safe CSV, and keep-alive connections
that survive an early error on a large body under gunicorn as configured."""
import csv
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from tests.test_dashboard import add_analysis

ROOT = Path(__file__).resolve().parent.parent


def test_pages_get_a_strict_content_security_policy(client, auth):
    auth.register()
    for url in ("/", "/auth/login", "/dashboard/", "/analyze", "/webcam", "/api/csrf-token"):
        policy = client.get(url).headers["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
        assert directives["script-src"] == "'self'", url
        assert "unsafe" not in policy
        assert directives["object-src"] == "'none'"
        assert directives["frame-ancestors"] == "'none'"


def test_templates_hold_no_inline_script_or_style():
    """What the policy would block: inline scripts, event-handler and style attributes."""
    for template in (ROOT / "templates").rglob("*.html"):
        html = template.read_text()
        for match in re.finditer(r"<script\b([^>]*)>", html):
            attributes = match.group(1)
            assert "src=" in attributes or 'type="application/json"' in attributes, (template, match.group(0))
        assert not re.search(r"\son[a-z]+\s*=", html), template
        assert not re.search(r"\sstyle\s*=", html), template
        assert "<style" not in html, template


def test_private_answers_are_not_stored_by_caches(client, auth, app):
    user_id = auth.signup_and_login()
    analysis_id = add_analysis(app, user_id, ["happy"], datetime(2026, 2, 1))
    for url in ("/dashboard/", "/dashboard/data.json", "/dashboard/export.csv", "/dashboard/export.json",
                "/auth/account", "/webcam", f"/analyses/{analysis_id}", f"/api/analyses/{analysis_id}",
                "/api/csrf-token"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
    auth.logout()
    assert client.get("/auth/login").headers["Cache-Control"] == "no-store"
    static = client.get("/static/js/site.js")
    assert "no-store" not in static.headers.get("Cache-Control", "")


@pytest.mark.parametrize("name", ["=HYPERLINK(\"http://evil\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_csv_export_neutralises_formulas(client, auth, app, name):
    user_id = auth.signup_and_login()
    add_analysis(app, user_id, ["happy"], datetime(2026, 2, 1), filename=name)
    rows = list(csv.DictReader(io.StringIO(client.get("/dashboard/export.csv").get_data(as_text=True))))
    assert rows[0]["filename"] == "'" + name
    assert rows[0]["label"] == "happy"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def gunicorn_server(tmp_path_factory):
    """gunicorn with gunicorn.conf.py on a temporary SQLite database (model not preloaded)."""
    instance = tmp_path_factory.mktemp("gunicorn-instance")
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "APP_ENV")}
    env.update(INSTANCE_PATH=str(instance), HOST="127.0.0.1", PORT=str(port), WEB_CONCURRENCY="1",
               WARM_MODEL="0", SECRET_KEY="keepalive-test")
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "flask"), "--app", "app", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    gunicorn = shutil.which("gunicorn", path=str(bin_dir)) or "gunicorn"
    process = subprocess.Popen([gunicorn, "-c", "gunicorn.conf.py"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("gunicorn did not start")
    yield port
    process.terminate()
    process.wait(timeout=30)


def two_requests_on_one_connection(port: int, size: int, path: str) -> list[str]:
    """POST ``size`` bytes (refused early), then GET /healthz on the same connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: t\r\nContent-Type: image/jpeg\r\n"
                     f"Content-Length: {size}\r\n\r\n".encode() + b"x" * size)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return re.findall(r"HTTP/1\.1 (\d{3}) ", data.decode("latin-1"))


@pytest.mark.parametrize("size", [1_000, 70_000, 1_000_000, 21 * 1024 * 1024])
def test_keep_alive_survives_an_early_error_on_a_large_body(gunicorn_server, size):
    # 400 (no CSRF token) for the API; 413 above MAX_CONTENT_LENGTH (20 MB).
    statuses = two_requests_on_one_connection(gunicorn_server, size, "/api/analyze")
    assert statuses == ["413" if size > 20 * 1024 * 1024 else "400", "200"]

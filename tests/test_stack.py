"""Two instances of the app behind a proxy, sharing PostgreSQL and Redis: what compose.yaml runs,
as plain processes on loopback (benchmarks/stack.py): two gunicorn instances (production
settings, TRUSTED_PROXIES=1, limits in Redis), a video worker on the Redis queue, Debian's nginx
with compose's proxy settings.

Skipped where PostgreSQL (127.0.0.1:5432, database `test`), Redis (127.0.0.1:6379) or nginx are
missing; scripts/test.sh installs nginx when it runs as root. In CI a missing nginx fails. Its
PostgreSQL is always the one on 127.0.0.1, so the PostgreSQL pass of scripts/test.sh skips it.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import urllib.parse
from http.cookies import SimpleCookie

import numpy as np
import pytest

from benchmarks.stack import LocalStack, missing_services, nginx_binary

PASSWORD = "bench password 123"  # benchmarks.bench_frames.PASSWORD: the stack's users have it
LOGIN_LIMIT = 6
TOKEN_LIMIT = 8


@pytest.fixture(scope="module")
def stack():
    if os.environ.get("CI") and not nginx_binary():
        pytest.fail("CI must run the stack test but there is no nginx (scripts/test.sh installs it as root)")
    if os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("runs in the first pass of scripts/test.sh (it always uses PostgreSQL)")
    missing = missing_services()
    if missing:
        pytest.skip("needs " + ", ".join(missing))
    environment = {
        "LOGIN_LIMIT_PER_IP": f"{LOGIN_LIMIT} per minute",
        "API_LIMIT_PER_TOKEN": f"{TOKEN_LIMIT} per minute",
        "WARM_MODEL": "1",
        "GUNICORN_THREADS": "2",
    }
    with LocalStack(instances=2, proxy=True, users=["ada", "bob", "cam"], environment=environment,
                    video_workers=1) as running:
        yield running


class Browser:
    """One keep-alive connection with a cookie jar and the CSRF header, like the pages' fetch()."""

    def __init__(self, port: int):
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.csrf_token = ""

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        """(status, headers, body); headers include X-Upstream, the instance that answered."""
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.csrf_token and method != "GET":
            headers.setdefault("X-CSRFToken", self.csrf_token)
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, response.headers, data

    def form_token(self, path: str) -> str:
        status, _, page = self.request("GET", path)
        assert status == 200, status
        return re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1).decode()

    def log_in(self, username: str, password: str = PASSWORD, headers: dict | None = None):
        form = urllib.parse.urlencode({"csrf_token": self.form_token("/auth/login"), "username": username,
                                       "password": password}).encode()
        return self.request("POST", "/auth/login", form,
                            {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})})

    def fetch_csrf(self) -> None:
        status, _, body = self.request("GET", "/api/csrf-token")
        assert status == 200
        self.csrf_token = json.loads(body)["csrf_token"]


def instance(headers) -> str:
    return headers["X-Upstream"]


def test_proxy_spreads_requests_over_both_instances(stack):
    browser = Browser(stack.port)
    served = {instance(browser.request("GET", "/healthz")[1]) for _ in range(6)}
    assert served == {f"127.0.0.1:{port}" for port in stack.instance_ports}


def test_login_through_one_instance_is_served_by_the_other(stack):
    browser = Browser(stack.port)
    status, headers, _ = browser.log_in("ada")
    assert status == 302, status
    logged_in_at = instance(headers)
    assert "session" in browser.cookies
    # Plain HTTP behind the proxy (X-Forwarded-Proto: http): the cookies work without Secure.
    served = []
    for _ in range(4):
        status, headers, page = browser.request("GET", "/auth/account")
        assert status == 200 and b"ada" in page
        served.append(instance(headers))
    assert set(served) - {logged_in_at}, "every page came from the instance that logged the user in"

    # Straight to each instance: the same cookie is good on both (one SECRET_KEY, sessions in PostgreSQL).
    for port in stack.instance_ports:
        direct = Browser(port)
        direct.cookies = dict(browser.cookies)
        status, _, page = direct.request("GET", "/auth/account")
        assert status == 200 and b"ada" in page

    # Logging out through one instance ends the login on both.
    browser.fetch_csrf()
    status, headers, _ = browser.request("POST", "/auth/logout", urllib.parse.urlencode(
        {"csrf_token": browser.csrf_token}).encode(), {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 302
    cookie_before_logout = direct.cookies
    for port in stack.instance_ports:
        stale = Browser(port)
        stale.cookies = dict(cookie_before_logout)
        assert stale.request("GET", "/auth/account")[0] == 302  # to the login page


def test_webcam_seconds_stay_right_when_frames_alternate_between_instances(stack):
    from benchmarks.bench_frames import one_face_frame

    browser = Browser(stack.port)
    assert browser.log_in("bob")[0] == 302
    browser.fetch_csrf()
    status, _, body = browser.request("POST", "/api/v1/webcam/sessions")
    assert status == 201
    session_id = json.loads(body)["id"]
    frame = one_face_frame()
    served, answers = [], []
    for _ in range(16):  # a few seconds of frames at this machine's pace, one in flight at a time
        status, headers, body = browser.request("POST", f"/api/v1/webcam/sessions/{session_id}/frames", frame,
                                                {"Content-Type": "image/jpeg"})
        assert status == 200, body[:300]
        served.append(instance(headers))
        answers.append(json.loads(body)["faces"])
    switches = sum(a != b for a, b in zip(served, served[1:]))
    assert switches >= 8, f"frames did not alternate between the instances: {served}"
    status, _, body = browser.request("POST", f"/api/v1/webcam/sessions/{session_id}/stop")
    assert status == 200
    summary = json.loads(body)

    assert all(len(faces) == 1 for faces in answers)
    assert summary["frames_analysed"] == 16
    assert summary["frames_with_faces"] == sum(second["frame_count"] for second in summary["seconds"]) == 16
    assert summary["seconds_with_faces"] == len(summary["seconds"]) >= 1
    told = answers[0][0]
    for second in summary["seconds"]:
        # The same picture in every frame: one face per second, the scores of any one frame
        # (answers are rounded to 4 decimals).
        [face] = second["faces"]
        assert face["label"] == told["label"]
        assert np.allclose([face["scores"][e] for e in told["scores"]], list(told["scores"].values()), atol=1e-4)
    starts = [second["created_at"] for second in summary["seconds"]]
    assert len(set(starts)) == len(starts), "a second was written twice"


def test_video_job_enqueued_through_one_instance_is_done_by_the_worker_and_seen_through_the_other(stack):
    import time

    from tests.videos import short_video_bytes

    bearer = {"Authorization": f"Bearer {stack.tokens['ada']}"}
    boundary = "stackvideoboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"video\"; filename=\"short.mp4\"\r\n"
            "Content-Type: video/mp4\r\n\r\n").encode() + short_video_bytes(2.0) + f"\r\n--{boundary}--\r\n".encode()
    status, headers, answer = Browser(stack.port).request(
        "POST", "/api/v1/videos", body, {**bearer, "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert status == 202, answer[:300]
    job = json.loads(answer)
    uploaded_at = instance(headers)
    [other_port] = [port for port in stack.instance_ports if f"127.0.0.1:{port}" != uploaded_at]
    other = Browser(other_port)  # straight to the instance that did not take the upload
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        status, _, answer = other.request("GET", job["url"], headers=bearer)
        assert status == 200
        seen = json.loads(answer)
        if seen["status"] in ("done", "failed", "cancelled"):
            break
        time.sleep(0.5)
    assert seen["status"] == "done", seen
    assert seen["tracks"], "the worker found no face in the video"


def test_login_limit_per_address_holds_across_instances(stack):
    """The per-address login limit is counted once, in Redis, whichever instance answers; a client
    cannot pick its address with X-Forwarded-For (nginx replaces it)."""
    browser = Browser(stack.port)
    token = browser.form_token("/auth/login")  # one form, posted again and again: POSTs alternate
    remaining, served = [], []
    for attempt in range(LOGIN_LIMIT + 2):
        form = urllib.parse.urlencode({"csrf_token": token, "username": f"nobody{attempt}",
                                       "password": "wrong password 123"}).encode()
        status, headers, _ = browser.request("POST", "/auth/login", form, {
            "Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": f"198.51.100.{attempt}"})
        served.append(instance(headers))
        if status == 429:
            break
        assert status == 401, status  # the form again, with its error
        remaining.append(int(headers["RateLimit-Remaining"]))
    assert status == 429, f"no 429 after {LOGIN_LIMIT + 2} attempts: {remaining}"
    assert len(set(served)) == 2
    # One count for both instances: it went down by one at every attempt, to nothing.
    assert remaining == list(range(remaining[0], -1, -1))
    assert stack.redis_keys(), "the limits were not counted in Redis"


def test_token_limit_holds_across_instances(stack):
    bearer = {"Authorization": f"Bearer {stack.tokens['cam']}"}
    client = Browser(stack.port)
    remaining, served = [], []
    for _ in range(TOKEN_LIMIT + 1):
        status, headers, _ = client.request("GET", "/api/v1/analyses", headers=bearer)
        served.append(instance(headers))
        if status == 429:
            break
        assert status == 200, status
        remaining.append(int(headers["RateLimit-Remaining"]))
    assert status == 429 and len(remaining) == TOKEN_LIMIT
    assert remaining == list(range(TOKEN_LIMIT - 1, -1, -1))
    assert len(set(served)) == 2
    assert stack.redis_keys(), "the limits were not counted in Redis"



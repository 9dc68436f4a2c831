"""The production configuration as the container runs it: cookies over plain HTTP and HTTPS,
which proxy headers are believed, and the container files' own promises."""
import pytest
from flask import request

from app.config import Config, ProductionConfig, cookie_security
from tests.conftest import csrf_token_from

PASSWORD = "correct horse battery"


def production_like(make_app, **overrides):
    """The container's settings (APP_ENV=production, nothing else set) on the test database."""
    settings = dict(ENV_NAME="production", COOKIE_SECURITY="auto", SESSION_COOKIE_SECURE=False,
                    REMEMBER_COOKIE_SECURE=False, TRUSTED_PROXIES=0, WTF_CSRF_ENABLED=True)
    settings.update(overrides)
    app = make_app(**settings)
    app.add_url_rule("/test-client-address", "client_address", lambda: request.remote_addr or "")
    return app


def set_cookies(response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def is_secure(cookie_header: str) -> bool:
    return "secure" in {part.strip().lower() for part in cookie_header.split(";")[1:]}


def register_and_log_in(client, origin: str = "http://localhost", headers: dict | None = None):
    """Register, log out and log in again through the forms, CSRF token and all, as a browser
    does (over HTTPS the CSRF check wants the same-origin Referer a browser sends)."""
    request_args = {"headers": {**(headers or {}), "Referer": origin + "/auth/login"}}
    if not headers:
        request_args["base_url"] = origin
    page = client.get("/auth/register", **request_args).get_data(as_text=True)
    response = client.post("/auth/register", data={
        "username": "dana", "email": "dana@example.com", "password": PASSWORD, "confirm": PASSWORD,
        "csrf_token": csrf_token_from(page)}, **request_args)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    token = csrf_token_from(client.get("/analyze", **request_args).get_data(as_text=True))
    assert client.post("/auth/logout", data={"csrf_token": token}, **request_args).status_code == 302
    page = client.get("/auth/login", **request_args).get_data(as_text=True)
    response = client.post("/auth/login", data={
        "username": "dana", "password": PASSWORD, "remember": "y", "csrf_token": csrf_token_from(page)},
        **request_args)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return response


def test_defaults_follow_the_scheme_and_trust_no_proxy(monkeypatch):
    assert ProductionConfig.TRUSTED_PROXIES == Config.TRUSTED_PROXIES
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    assert cookie_security("auto") == "auto"
    for value, policy in (("1", "always"), ("true", "always"), ("0", "never"), ("auto", "auto")):
        monkeypatch.setenv("SESSION_COOKIE_SECURE", value)
        assert cookie_security("auto") == policy


def test_plain_http_login_works_in_production(make_app):
    """`docker run -p 8000:8000 -e SECRET_KEY=... moodlens`, then http://<host>:8000 from a browser."""
    client = production_like(make_app).test_client()
    response = register_and_log_in(client, "http://192.0.2.10:8000")
    cookies = set_cookies(response)
    assert {"session", "remember_token"} <= cookies.keys()
    assert not any(is_secure(header) for header in cookies.values())
    assert client.get("/analyze", base_url="http://192.0.2.10:8000").status_code == 200


def test_cookies_are_secure_over_https(make_app):
    client = production_like(make_app).test_client()
    response = register_and_log_in(client, "https://moodlens.example")
    cookies = set_cookies(response)
    assert {"session", "remember_token"} <= cookies.keys()
    assert all(is_secure(header) for header in cookies.values())
    for header in cookies.values():
        assert "HttpOnly" in header and "SameSite=Lax" in header


def test_trusted_proxy_reports_https_and_the_client_address(make_app):
    client = production_like(make_app, TRUSTED_PROXIES=1).test_client()
    behind_tls = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    response = register_and_log_in(client, "https://localhost", behind_tls)
    assert all(is_secure(header) for header in set_cookies(response).values())
    assert client.get("/test-client-address", headers=behind_tls).get_data(as_text=True) == "203.0.113.7"
    # The proxy's own plain-HTTP listener (compose on a laptop): cookies without Secure.
    plain = client.get("/auth/login", headers={"X-Forwarded-Proto": "http", "X-Forwarded-For": "203.0.113.7"})
    assert not any(is_secure(header) for header in set_cookies(plain).values())


def test_forwarded_headers_are_ignored_without_a_trusted_proxy(make_app):
    """Exposed directly, a client cannot pick its address (per-address limits) or the scheme."""
    client = production_like(make_app).test_client()
    spoofed = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.99"}
    response = client.get("/auth/login", headers=spoofed, environ_base={"REMOTE_ADDR": "198.51.100.4"})
    assert set_cookies(response) and not any(is_secure(h) for h in set_cookies(response).values())
    address = client.get("/test-client-address", headers=spoofed, environ_base={"REMOTE_ADDR": "198.51.100.4"})
    assert address.get_data(as_text=True) == "198.51.100.4"


def test_secure_always_when_asked(make_app):
    client = production_like(make_app, COOKIE_SECURITY="always", SESSION_COOKIE_SECURE=True,
                             REMEMBER_COOKIE_SECURE=True).test_client()
    response = client.get("/auth/login", base_url="http://192.0.2.10:8000")
    assert all(is_secure(header) for header in set_cookies(response).values())

"""Response headers and connection hygiene that every route gets.

* Content-Security-Policy: scripts, styles, fonts and connections only from this site; no inline
  script or style attribute runs (the templates have none: code lives in static/js), no plugin,
  no framing, forms post only here. Images may also be ``data:``/``blob:`` (result previews,
  snapshots).
* ``Cache-Control: no-store`` on everything but static files: pages, JSON and exports carry a
  user's data or a CSRF token, and must not be kept by a browser's or a proxy's cache.
* The rest of a request body the application did not read (an early 400/401/413, say) is read
  and dropped after the answer has gone out, up to ``DRAIN_MAX_BYTES``: otherwise gunicorn gives
  up after 64 kB and closes a keep-alive connection without answering its next request.
"""
from flask import Flask, request

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

DRAIN_CHUNK = 64 * 1024


def drain_limit(app: Flask) -> int:
    """Bodies up to this size are read to the end even when refused (twice the upload limit)."""
    return app.config.get("DRAIN_MAX_BYTES") or 2 * (app.config.get("MAX_CONTENT_LENGTH") or 20 * 1024 * 1024)


def drain(stream, length: int, limit: int) -> None:
    """Read and drop what is left of a request body (at most ``limit`` bytes)."""
    left = min(length, limit)
    try:
        while left > 0:
            chunk = stream.read(min(DRAIN_CHUNK, left))
            if not chunk:
                return
            left -= len(chunk)
    except (OSError, ValueError):
        return  # the client went away, or the server closed the stream: nothing to keep alive


class SecureCookiesOverHttps:
    """WSGI middleware: on a request that came over HTTPS (``wsgi.url_scheme``, which ProxyFix sets
    from a trusted proxy's X-Forwarded-Proto), every cookie the answer sets is marked Secure: the
    session (which holds the CSRF token), the remember-me cookie, any other. Over plain HTTP they
    are left as they are, so a server reached without TLS still keeps its users logged in. It wraps
    the whole application because Flask writes the session cookie after the last after_request."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("wsgi.url_scheme") != "https":
            return self.wsgi_app(environ, start_response)

        def start_secure(status, headers, exc_info=None):
            return start_response(status, [secure_cookie(name, value) for name, value in headers], exc_info)

        return self.wsgi_app(environ, start_secure)


def secure_cookie(name: str, value: str) -> tuple[str, str]:
    if name.lower() == "set-cookie" and "secure" not in {part.strip().lower() for part in value.split(";")[1:]}:
        value += "; Secure"
    return name, value


def register(app: Flask) -> None:
    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        length = request.content_length
        if length:
            stream, limit = request.environ.get("wsgi.input"), drain_limit(app)
            if stream is not None:
                response.call_on_close(lambda: drain(stream, length, limit))
        return response

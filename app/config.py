"""Configuration read from environment variables.

`Config` is the development default, `ProductionConfig` is selected with APP_ENV=production and
`TestConfig` is used by the test suite.
"""
import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def cookie_security(default: str) -> str:
    """SESSION_COOKIE_SECURE: 1 (cookies always Secure), 0 (never) or auto (Secure on requests that
    came over HTTPS, as the server sees it or as a trusted proxy reports it in X-Forwarded-Proto)."""
    value = (os.environ.get("SESSION_COOKIE_SECURE") or default).strip().lower()
    if value == "auto":
        return "auto"
    return "always" if value in {"1", "true", "yes", "on"} else "never"


def normalise_database_url(url: str | None) -> str | None:
    """Make Heroku/Render style URLs (postgres://...) use SQLAlchemy's psycopg 3 driver."""
    if not url:
        return None
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    ENV_NAME = "development"
    # None means: create one key once in instance/secret_key (see app.create_app).
    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    # None means: SQLite file in the instance folder (see app.create_app).
    SQLALCHEMY_DATABASE_URI = normalise_database_url(os.environ.get("DATABASE_URL"))
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    # Whole request body limit (413 beyond it) and decoded image limit (decompression bombs).
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 20 * 1024 * 1024))
    MAX_IMAGE_PIXELS = int(os.environ.get("MAX_IMAGE_PIXELS", 40_000_000))
    MAX_FILES_PER_UPLOAD = int(os.environ.get("MAX_FILES_PER_UPLOAD", 10))
    # None means the model bundled in models/emotion.tflite.
    EMOTION_MODEL_PATH = os.environ.get("EMOTION_MODEL_PATH") or None
    # Threads of one process that run the classifier (and the webcam-frame detector) at the same
    # moment; the others wait a few milliseconds. Each extra one costs about 15 MB per worker.
    ANALYSES_AT_ONCE = int(os.environ.get("ANALYSES_AT_ONCE", 1))

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # "always", "never" or "auto" (app.hardening adds Secure to every cookie of an HTTPS request).
    COOKIE_SECURITY = cookie_security("0")
    SESSION_COOKIE_SECURE = COOKIE_SECURITY == "always"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # A login session (and its remember-me cookie) ends after this long, or at logout, or when
    # the password changes (app.auth.sessions).
    LOGIN_SESSION_LIFETIME = timedelta(days=int(os.environ.get("LOGIN_SESSION_DAYS", 14)))
    REMEMBER_COOKIE_DURATION = LOGIN_SESSION_LIFETIME

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # token lives as long as the session

    RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
    # Per-address limits: memory:// counts per process; with several workers or instances give
    # RATELIMIT_STORAGE_URI (or REDIS_URL) = redis://... so that they share one count.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get("REDIS_URL") or "memory://"
    # Prefix of the limits' keys: deployments (or test runs) that share one Redis keep apart.
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "")
    RATELIMIT_HEADERS_ENABLED = True
    # If Redis is unreachable, count in memory instead of failing requests.
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    LOGIN_LIMIT_PER_IP = os.environ.get("LOGIN_LIMIT_PER_IP", "20 per minute")
    # Per account, counted in the database (exact across workers): see app.auth.throttle.
    LOGIN_LIMIT_PER_ACCOUNT = os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per minute")
    REGISTER_LIMIT_PER_IP = os.environ.get("REGISTER_LIMIT_PER_IP", "10 per minute;50 per day")
    # Per user: a camera sends 15-30 frames a second, and a user may have two tabs open.
    WEBCAM_FRAME_LIMIT = os.environ.get("WEBCAM_FRAME_LIMIT", "60 per second;2400 per minute")

    # The JSON API's limits, per access token, per account and per client address (app.api_v1.limits).
    API_LIMIT_PER_TOKEN = os.environ.get("API_LIMIT_PER_TOKEN", "120 per minute")
    API_LIMIT_PER_USER = os.environ.get("API_LIMIT_PER_USER", "300 per minute")
    API_LIMIT_PER_ADDRESS = os.environ.get("API_LIMIT_PER_ADDRESS", "600 per minute")
    # IETF RateLimit fields instead of X-RateLimit-* (app.api_v1.limits rewrites Reset as seconds).
    RATELIMIT_HEADER_LIMIT = "RateLimit-Limit"
    RATELIMIT_HEADER_REMAINING = "RateLimit-Remaining"
    RATELIMIT_HEADER_RESET = "RateLimit-Reset"

    # The OpenAPI document (flask-smorest), served at /api/v1/openapi.json.
    API_TITLE = "Moodlens API"
    API_VERSION = "1"
    OPENAPI_VERSION = "3.1.0"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    API_SPEC_OPTIONS = {"info": {"description": (
        "Facial emotion recognition: find every face in a picture and score its expression (seven "
        "classes). Authenticate with a personal access token (Authorization: Bearer ...), or with the "
        "browser's session cookie plus the CSRF token in X-CSRFToken for calls that change data. Errors "
        "are application/problem+json (RFC 9457). Limits per token, account and address are announced "
        "in RateLimit-* headers.")}}

    # Videos (app.video): upload limits, sampling rate, and the task queue that runs the jobs.
    VIDEO_MAX_BYTES = int(os.environ.get("VIDEO_MAX_BYTES", 200 * 1024 * 1024))
    VIDEO_MAX_SECONDS = float(os.environ.get("VIDEO_MAX_SECONDS", 600))
    VIDEO_MAX_PIXELS = int(os.environ.get("VIDEO_MAX_PIXELS", 3840 * 2160))
    VIDEO_SAMPLE_FPS = float(os.environ.get("VIDEO_SAMPLE_FPS", 5))
    # Empty: Huey on a SQLite file in the instance folder (no server to run). redis://host:6379/0:
    # Huey on Redis, for workers on other machines. sqlite:////path/queue.db: that SQLite file.
    VIDEO_QUEUE_URL = os.environ.get("VIDEO_QUEUE_URL") or None
    # A running job whose worker has not reported for this long is retried (or failed after
    # VIDEO_MAX_ATTEMPTS tries): its worker died.
    VIDEO_STALL_SECONDS = float(os.environ.get("VIDEO_STALL_SECONDS", 60))
    VIDEO_MAX_ATTEMPTS = int(os.environ.get("VIDEO_MAX_ATTEMPTS", 2))
    # Password reset by e-mail (Flask-Mailman over SMTP). Without MAIL_SERVER no mail is sent: the
    # link is written to the server log instead, so that a self-hoster can still use it.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_BACKEND = "smtp"  # also under TESTING (Flask-Mailman would keep mail in memory): tests use a real server
    MAIL_PORT = int(os.environ.get("MAIL_PORT", 587))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_USE_TLS = env_bool("MAIL_USE_TLS", True)
    MAIL_USE_SSL = env_bool("MAIL_USE_SSL", False)
    MAIL_TIMEOUT = int(os.environ.get("MAIL_TIMEOUT", 10))
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Moodlens <noreply@localhost>")
    # The address links in e-mails start with (https://moodlens.example.org); without it, the
    # address of the request is used, which is only safe behind a proxy that fixes the Host header.
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "")
    PASSWORD_RESET_MINUTES = int(os.environ.get("PASSWORD_RESET_MINUTES", 30))
    RESET_LIMIT_PER_IP = os.environ.get("RESET_LIMIT_PER_IP", "10 per hour")
    RESET_LIMIT_PER_EMAIL = os.environ.get("RESET_LIMIT_PER_EMAIL", "3 per hour")
    RESET_LIMIT_PER_ACCOUNT = os.environ.get("RESET_LIMIT_PER_ACCOUNT", "5 per day")

    # Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", 0))


class ProductionConfig(Config):
    ENV_NAME = "production"
    # Secure cookies over HTTPS, and plain HTTP still works (a container run on a laptop, a
    # private network). Behind a TLS-terminating proxy set TRUSTED_PROXIES so that its
    # X-Forwarded-Proto counts, or SESSION_COOKIE_SECURE=1 to insist. TRUSTED_PROXIES stays 0
    # unless set: a server reached directly must not believe X-Forwarded-For from its clients.
    COOKIE_SECURITY = cookie_security("auto")
    SESSION_COOKIE_SECURE = COOKIE_SECURITY == "always"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE


class TestConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    WTF_CSRF_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_ENABLED = True
    COOKIE_SECURITY = "never"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    TRUSTED_PROXIES = 0


def config_for_environment() -> type[Config]:
    return ProductionConfig if os.environ.get("APP_ENV") == "production" else Config

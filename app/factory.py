"""The application factory: builds and wires the Flask app."""
import os
import sqlite3
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import BASE_DIR, Config, config_for_environment
from app.extensions import api, csrf, db, limiter, login_manager, mail
from app.hardening import SecureCookiesOverHttps
from app.hardening import register as register_hardening
from app.inputs import RowIdConverter


def create_app(config: type[Config] | Config | dict | None = None, *, migration_commands: bool = True) -> Flask:
    """The app. ``migration_commands=False`` (gunicorn's workers) leaves out ``flask db``: the
    migration tool (Alembic) adds 12 MB to every process that imports it, and a worker that
    serves requests never migrates."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("INSTANCE_PATH") or str(BASE_DIR / "instance"),
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
    )
    load_config(app, config)
    app.url_map.converters["int"] = RowIdConverter  # before any route is added
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    ensure_secret_key(app)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(Path(app.instance_path) / "app.db")
    if app.config.get("COOKIE_SECURITY") == "auto":
        app.wsgi_app = SecureCookiesOverHttps(app.wsgi_app)  # inside ProxyFix: sees the scheme it sets
    if app.config["TRUSTED_PROXIES"]:
        proxies = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    register_extensions(app, migration_commands)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_template_helpers(app)
    register_security_headers(app)
    register_hardening(app)
    return app


def load_config(app: Flask, config) -> None:
    if config is None:
        config = config_for_environment()
    if isinstance(config, dict):
        app.config.from_object(Config)
        app.config.update(config)
    else:
        app.config.from_object(config)


def ensure_secret_key(app: Flask) -> None:
    """Production must be given SECRET_KEY; development keeps one key in instance/secret_key.

    A key made per process would log users out whenever a request lands on another gunicorn
    worker, so the key is written once (O_EXCL: the first worker wins) and read by all others.
    """
    if app.config.get("SECRET_KEY"):
        return
    if app.config.get("ENV_NAME") == "production":
        raise RuntimeError("SECRET_KEY must be set in the environment in production.")
    key_file = Path(app.instance_path) / "secret_key"
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(os.urandom(32).hex())
    key = key_file.read_text().strip()
    if not key:
        raise RuntimeError(f"{key_file} is empty; delete it to create a new key.")
    app.config["SECRET_KEY"] = key


@event.listens_for(Engine, "connect")
def configure_sqlite(dbapi_connection, _connection_record) -> None:
    """WAL lets readers work while a writer commits; SQLite needs foreign keys switched on."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def register_extensions(app: Flask, migration_commands: bool = True) -> None:
    from app import models  # noqa: F401  (models must be known before migrate/create_all)

    db.init_app(app)
    if migration_commands:
        from app.extensions import migrate

        migrate.init_app(app, db)
    csrf.init_app(app)
    from app.api_v1.limits import register_headers
    from app.auth import bearer
    from app.video.uploads import register as register_video_uploads

    register_video_uploads(app)  # first: the CSRF check below may read the (large) form

    # Before the limiter: the limits' keys need to know the token, and the header rewrite must
    # run after the limiter has written its headers.
    bearer.register(app)
    register_headers(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    mail.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"

    from app.auth import sessions

    # The id in session and remember-me cookies is a login session's token, not the user's id.
    login_manager.user_loader(sessions.load)


def register_blueprints(app: Flask) -> None:
    from app.about import bp as about_bp
    from app.admin import bp as admin_bp
    from app.analysis import bp as analysis_bp
    from app.analysis.api import api_bp
    from app.auth import bp as auth_bp
    from app.dashboard import bp as dashboard_bp
    from app.health import bp as health_bp
    from app.video import bp as video_bp
    from app.webcam import bp as webcam_bp

    app.register_blueprint(about_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(analysis_bp)
    app.register_blueprint(api_bp, url_prefix="/api")  # before api_v1: it decorates the same views
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(dashboard_bp, url_prefix="/dashboard")
    app.register_blueprint(health_bp)
    app.register_blueprint(webcam_bp)
    app.register_blueprint(video_bp)
    register_api(app)


def register_api(app: Flask) -> None:
    """/api/v1 with its OpenAPI document and its docs page (the older /api addresses, aliases
    of its views, are registered with the other blueprints)."""
    from app.api_v1 import bp as v1_bp
    from app.api_v1.docs import docs_bp
    from app.openapi import document_security, document_tags

    api.init_app(app)
    document_security(api)
    api.register_blueprint(v1_bp)
    document_tags(api, v1_bp.name)
    app.register_blueprint(docs_bp)


def register_errorhandlers(app: Flask) -> None:
    from app.errors import register

    register(app)


def register_commands(app: Flask) -> None:
    from app.commands import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from app.models import EMOTION_COLUMNS

    @app.context_processor
    def inject_constants():
        return {"EMOTIONS": EMOTION_COLUMNS}


def register_security_headers(app: Flask) -> None:
    """Headers that cost nothing: no MIME sniffing, no framing (clickjacking), short referrers."""

    @app.after_request
    def add_security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

"""Flask extensions, created unbound here and bound to the app in create_app()."""
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mailman import Mail
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

from app.openapi import ProblemApi


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
mail = Mail()
# No default limits: the routes that need throttling (login, the JSON API) declare theirs.
limiter = Limiter(key_func=get_remote_address)
# The JSON API's OpenAPI document (flask-smorest), served at /api/v1/openapi.json.
api = ProblemApi()


def __getattr__(name: str):
    """``migrate`` (Flask-Migrate) is built on first use: importing it loads Alembic, which the
    web workers, created without migration commands, never need."""
    if name == "migrate":
        from flask_migrate import Migrate

        # render_as_batch lets future migrations alter columns on SQLite too.
        globals()["migrate"] = Migrate(render_as_batch=True)
        return globals()["migrate"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

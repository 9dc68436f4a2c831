"""Image analysis: the upload page, its result page and the JSON API."""
from flask import Blueprint

bp = Blueprint("analysis", __name__)


@bp.record_once
def _register_template_helpers(state) -> None:
    from app.analysis.explain import register

    register(state.app)


from app.analysis import routes  # noqa: E402,F401

"""The personal history dashboard: charts, history with paging, export."""
from flask import Blueprint

bp = Blueprint("dashboard", __name__)


@bp.app_template_global()
def local_time(moment, zone_name: str = "UTC", seconds: bool = False) -> str:
    """A stored naive-UTC time written in the user's time zone."""
    from app.dashboard.stats import to_local, zone_from

    return to_local(moment, zone_from(zone_name)).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


from app.dashboard import routes  # noqa: E402,F401

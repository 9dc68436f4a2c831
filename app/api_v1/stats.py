"""/api/v1/stats and /api/v1/export: the dashboard's chart data and the full export, from the
same modules the dashboard uses."""
from flask import Response
from flask_login import current_user

from app.api_v1 import bp, schemas
from app.api_v1.auth import login_required
from app.dashboard.export import analyses_to_csv, analyses_to_json
from app.dashboard.stats import DateRange, all_analyses, clamp_day, summary, zone_from

TAGS = ["History"]


def date_range_from(args: dict) -> DateRange:
    """The validated query (from, to, tz, preset) as the dashboard's DateRange."""
    zone = zone_from(args.get("tz"))
    if args.get("preset"):
        return DateRange.from_args({"preset": args["preset"]}, zone)
    return DateRange(clamp_day(args.get("from_")), clamp_day(args.get("to")), zone)


@bp.route("/stats", methods=["GET"], tags=TAGS)
@bp.arguments(schemas.StatsQuery, location="query", as_kwargs=True)
@bp.response(200, schemas.Stats)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(429, response="TOO_MANY_REQUESTS")
@bp.doc(summary="What the dashboard charts",
        description="Faces per emotion per source, and per emotion per day or week in tz; every day or week "
                    "of the range is listed, empty ones included.")
@login_required
def stats(bucket, source=None, **query):
    return summary(current_user.id, date_range_from(query), bucket, source)


def filtered(query: dict, with_photos: bool = False):
    """Everything, or only what the query's filters (days, source, expression) keep."""
    dated = any(query.get(key) for key in ("from_", "to", "preset"))
    return all_analyses(current_user.id, with_photos, date_range_from(query) if dated else None,
                        query.get("source"), query.get("emotion"))


@bp.route("/export", methods=["GET"], tags=TAGS)
@bp.arguments(schemas.ExportQuery, location="query", as_kwargs=True)
@bp.response(200, schemas.Export)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(429, response="TOO_MANY_REQUESTS")
@bp.doc(summary="Everything you stored, as JSON",
        description="Kept photos come as base64 JPEG. Without filters everything; with them, what the dashboard "
                    "shows for the same filters. Boxes, width and height are in each photo's own pixels.")
@login_required
def export(**query):
    return analyses_to_json(current_user, filtered(query, with_photos=True))


@bp.route("/export.csv", methods=["GET"], tags=TAGS)
@bp.arguments(schemas.ExportQuery, location="query", as_kwargs=True)
@bp.response(200, {"type": "string"}, content_type="text/csv")
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(429, response="TOO_MANY_REQUESTS")
@bp.doc(summary="Everything you stored, as CSV (one row per face)", description="The same filters as the JSON export.")
@login_required
def export_csv(**query):
    return Response(analyses_to_csv(filtered(query)), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="emotion-history.csv"'})

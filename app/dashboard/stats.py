"""Queries over one user's history. Every query here is filtered by user id."""
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import String, func, literal, select, union_all
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import EMOTION_COLUMNS, SOURCES, Analysis, FaceResult, WebcamSession

BUCKETS = ("day", "week")
PRESETS = {"7d": 7, "30d": 30, "all": None}
MAX_FILLED_BUCKETS = 400  # beyond this many empty days the time axis spans the data only
HISTORY_PAGE_SIZE = 20


def zone_from(name: str | None) -> ZoneInfo:
    """The user's time zone (IANA name from the browser), UTC when missing or unknown."""
    if name and len(name) <= 64:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ZoneInfo("UTC")


def to_local(moment: datetime, zone: ZoneInfo) -> datetime:
    """A stored naive-UTC time in the user's zone."""
    return moment.replace(tzinfo=UTC).astimezone(zone)


def local_midnight_utc(day: date, zone: ZoneInfo) -> datetime:
    """The naive-UTC instant at which ``day`` starts in ``zone``."""
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


@dataclass
class DateRange:
    start: date | None = None  # inclusive, a day in ``zone``
    end: date | None = None  # inclusive, a day in ``zone``
    zone: ZoneInfo = ZoneInfo("UTC")
    preset: str | None = None

    @classmethod
    def from_args(cls, args, zone: ZoneInfo | None = None, today: date | None = None) -> "DateRange":
        zone = zone or ZoneInfo("UTC")
        preset = args.get("preset")
        if preset in PRESETS:
            days = PRESETS[preset]
            if days is None:
                return cls(None, None, zone, preset)
            today = today or datetime.now(zone).date()
            return cls(today - timedelta(days=days - 1), today, zone, preset)
        return cls(parse_date(args.get("from")), parse_date(args.get("to")), zone)

    @property
    def is_reversed(self) -> bool:
        return bool(self.start and self.end and self.start > self.end)

    def apply(self, query, column=Analysis.created_at):
        if self.start:
            query = query.where(column >= local_midnight_utc(self.start, self.zone))
        if self.end:
            query = query.where(column < local_midnight_utc(self.end + timedelta(days=1), self.zone))
        return query

    def as_args(self) -> dict:
        return {
            "from": self.start.isoformat() if self.start else "",
            "to": self.end.isoformat() if self.end else "",
        }


# Days outside these are clamped to them: date arithmetic on the range (the day after its end,
# midnight moved by up to a day in the user's zone) must not overflow Python's date.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9999, 12, 1)


def parse_date(value: str | None) -> date | None:
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        return None  # an unreadable date is simply no filter
    return clamp_day(day)


def clamp_day(day: date | None) -> date | None:
    return min(max(day, FIRST_DAY), LAST_DAY) if day else None


def bucket_start(moment: datetime | date, bucket: str) -> date:
    day = moment.date() if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday()) if bucket == "week" else day


def filled_periods(found: list[date], date_range: DateRange, bucket: str) -> list[date]:
    """Every day (or week) from the range's start (or the first data) to its end (or the last
    data), so that days without faces stay visible as gaps on the time axis."""
    first = [bucket_start(date_range.start, bucket)] if date_range.start else []
    last = [bucket_start(date_range.end, bucket)] if date_range.end else []
    if not found and not (first and last):
        return []
    start = min(first + found[:1]) if first else found[0]
    end = max(last + found[-1:]) if last else found[-1]
    step = timedelta(days=7 if bucket == "week" else 1)
    if (end - start) / step > MAX_FILLED_BUCKETS:
        if not found:
            return []
        start, end = found[0], found[-1]
        if (end - start) / step > MAX_FILLED_BUCKETS:
            return found
    periods, period = [], start
    while period <= end:
        periods.append(period)
        period += step
    return periods


def summary(user_id: int, date_range: DateRange, bucket: str = "day") -> dict:
    """Counts for the charts: faces per emotion per source, and per emotion per day/week."""
    bucket = bucket if bucket in BUCKETS else "day"
    face_rows = db.session.execute(
        date_range.apply(
            select(Analysis.created_at, Analysis.source, FaceResult.label)
            .join(FaceResult, FaceResult.analysis_id == Analysis.id)
            .where(Analysis.user_id == user_id)
        )
    ).all()
    analysis_counts = dict(
        db.session.execute(
            date_range.apply(
                select(Analysis.source, func.count(Analysis.id))
                .where(Analysis.user_id == user_id)
                .group_by(Analysis.source)
            )
        ).all()
    )

    distribution = {source: Counter() for source in SOURCES}
    timeline: dict[date, Counter] = defaultdict(Counter)
    for created_at, source, label in face_rows:
        distribution.setdefault(source, Counter())[label] += 1
        timeline[bucket_start(to_local(created_at, date_range.zone), bucket)][label] += 1

    periods = [] if date_range.is_reversed else filled_periods(sorted(timeline), date_range, bucket)
    return {
        "bucket": bucket,
        "range": date_range.as_args(),
        "time_zone": date_range.zone.key,
        "reversed": date_range.is_reversed,
        "emotions": list(EMOTION_COLUMNS),
        "totals": {
            "analyses": {source: analysis_counts.get(source, 0) for source in SOURCES},
            "faces": {source: sum(distribution[source].values()) for source in SOURCES},
        },
        "distribution": {
            source: [distribution[source][emotion] for emotion in EMOTION_COLUMNS] for source in SOURCES
        },
        "timeline": {
            "labels": [period.isoformat() for period in periods],
            "series": {
                emotion: [timeline[period][emotion] for period in periods] for emotion in EMOTION_COLUMNS
            },
        },
    }


@dataclass
class HistoryPage:
    """One page of the history: uploads and whole webcam sessions, newest first."""

    items: list[dict]
    page: int
    pages: int
    total: int


def history_page(user_id: int, date_range: DateRange, page: int = 1,
                 per_page: int = HISTORY_PAGE_SIZE) -> HistoryPage:
    """Uploaded analyses and webcam sessions (one item each, however many seconds it has),
    newest first, ``per_page`` at a time. Items are {"kind": "upload", "analysis": Analysis}
    or {"kind": "webcam", "session": WebcamSession}."""
    from app.webcam.sessions import session_summary

    if date_range.is_reversed:
        return HistoryPage([], 1, 1, 0)
    uploads = date_range.apply(
        select(Analysis.id.label("id"), Analysis.created_at.label("at"), literal("upload", String).label("kind"))
        .where(Analysis.user_id == user_id, Analysis.webcam_session_id.is_(None))
    )
    sessions = date_range.apply(
        select(WebcamSession.id.label("id"), WebcamSession.started_at.label("at"),
               literal("webcam", String).label("kind"))
        .where(WebcamSession.user_id == user_id),
        WebcamSession.started_at,
    )
    items = union_all(uploads, sessions).subquery()
    total = db.session.scalar(select(func.count()).select_from(items)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = db.session.execute(
        select(items.c.id, items.c.kind)
        .order_by(items.c.at.desc(), items.c.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    upload_ids = [row.id for row in rows if row.kind == "upload"]
    session_ids = [row.id for row in rows if row.kind == "webcam"]
    analyses = {a.id: a for a in db.session.scalars(
        select(Analysis).where(Analysis.id.in_(upload_ids)).options(selectinload(Analysis.faces))
    )} if upload_ids else {}
    webcam = {s.id: s for s in db.session.scalars(
        select(WebcamSession).where(WebcamSession.id.in_(session_ids))
        .options(selectinload(WebcamSession.seconds).selectinload(Analysis.faces))
    )} if session_ids else {}
    result = []
    for row in rows:
        if row.kind == "upload" and row.id in analyses:
            result.append({"kind": "upload", "analysis": analyses[row.id]})
        elif row.kind == "webcam" and row.id in webcam:
            session = webcam[row.id]
            result.append({"kind": "webcam", "session": session, "summary": session_summary(session)})
    return HistoryPage(result, page, pages, total)


def all_analyses(user_id: int, with_photos: bool = False) -> list[Analysis]:
    """Everything the user stored, oldest first; ``with_photos`` loads the kept photos too."""
    options = [selectinload(Analysis.faces)] + ([selectinload(Analysis.photo)] if with_photos else [])
    query = (
        select(Analysis)
        .where(Analysis.user_id == user_id)
        .options(*options)
        .order_by(Analysis.created_at, Analysis.id)
    )
    return list(db.session.scalars(query))

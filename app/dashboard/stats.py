"""Queries over one user's history. Every query here is filtered by user id."""
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import String, func, literal, select, union_all
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import EMOTION_COLUMNS, SOURCES, Analysis, FaceResult, WebcamSession

BUCKETS = ("hour", "day", "week")
# "auto": hours for a range (or, without one, data) of one or two days, days beyond that.
BUCKET_CHOICES = ("auto", *BUCKETS)
HOURS_UP_TO_DAYS = 2
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


def bucket_start(moment: datetime | date, bucket: str) -> date | datetime:
    """The period a local moment (or day) falls in: its day, the Monday of its week, or (for
    "hour") the local hour it starts, as a naive local datetime."""
    if bucket == "hour":
        if not isinstance(moment, datetime):
            return datetime.combine(moment, time.min)
        return moment.replace(minute=0, second=0, microsecond=0, tzinfo=None)
    day = moment.date() if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday()) if bucket == "week" else day


def resolve_bucket(bucket: str, date_range: "DateRange", local_days: list[date]) -> str:
    """``auto`` becomes hours when the range, or without one the data, covers one or two days."""
    if bucket in BUCKETS:
        return bucket
    if date_range.start and date_range.end:
        span = (date_range.end - date_range.start).days + 1
    elif local_days:
        first = date_range.start or min(local_days)
        last = date_range.end or max(local_days)
        span = (last - first).days + 1
    else:
        return "day"
    return "hour" if 0 < span <= HOURS_UP_TO_DAYS else "day"


def filled_periods(found: list[date], date_range: DateRange, bucket: str) -> list[date]:
    """Every day (or week) from the range's start (or the first data) to its end (or the last
    data), so that days without faces stay visible as gaps on the time axis."""
    first = [bucket_start(date_range.start, bucket)] if date_range.start else []
    last = [bucket_start(date_range.end, bucket)] if date_range.end else []
    if bucket == "hour" and last:
        last = [last[0] + timedelta(hours=23)]  # the end day is included to its last hour
    if not found and not (first and last):
        return []
    start = min(first + found[:1]) if first else found[0]
    end = max(last + found[-1:]) if last else found[-1]
    step = {"hour": timedelta(hours=1), "week": timedelta(days=7)}.get(bucket, timedelta(days=1))
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


def summary(user_id: int, date_range: DateRange, bucket: str = "day", source: str | None = None) -> dict:
    """Counts for the charts: faces per emotion per source, and per emotion per hour, day or
    week, in all and per source (the pages draw each as counts and as each period's shares).
    ``source`` ("upload" or "webcam") leaves the other source out."""
    bucket = bucket if bucket in BUCKET_CHOICES else "day"
    source = source if source in SOURCES else None
    faces_query = (select(Analysis.created_at, Analysis.source, FaceResult.label)
                   .join(FaceResult, FaceResult.analysis_id == Analysis.id)
                   .where(Analysis.user_id == user_id))
    counts_query = (select(Analysis.source, func.count(Analysis.id))
                    .where(Analysis.user_id == user_id).group_by(Analysis.source))
    if source:
        faces_query = faces_query.where(Analysis.source == source)
        counts_query = counts_query.where(Analysis.source == source)
    face_rows = db.session.execute(date_range.apply(faces_query)).all()
    analysis_counts = dict(db.session.execute(date_range.apply(counts_query)).all())

    local_rows = [(to_local(created_at, date_range.zone), row_source, label)
                  for created_at, row_source, label in face_rows]
    bucket = resolve_bucket(bucket, date_range, sorted({moment.date() for moment, _, _ in local_rows}))
    distribution = {name: Counter() for name in SOURCES}
    timeline: dict[date | datetime, Counter] = defaultdict(Counter)
    by_source: dict[str, dict[date | datetime, Counter]] = {name: defaultdict(Counter) for name in SOURCES}
    for moment, row_source, label in local_rows:
        distribution.setdefault(row_source, Counter())[label] += 1
        period = bucket_start(moment, bucket)
        timeline[period][label] += 1
        by_source.setdefault(row_source, defaultdict(Counter))[period][label] += 1

    periods = [] if date_range.is_reversed else filled_periods(sorted(timeline), date_range, bucket)

    def label_of(period) -> str:
        return period.strftime("%Y-%m-%dT%H:00") if bucket == "hour" else period.isoformat()

    return {
        "bucket": bucket,
        "source": source or "",
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
            "labels": [label_of(period) for period in periods],
            "series": {
                emotion: [timeline[period][emotion] for period in periods] for emotion in EMOTION_COLUMNS
            },
            "by_source": {
                name: {emotion: [by_source[name][period][emotion] for period in periods] for emotion in EMOTION_COLUMNS}
                for name in SOURCES
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
                 per_page: int = HISTORY_PAGE_SIZE, source: str | None = None,
                 emotion: str | None = None) -> HistoryPage:
    """Uploaded analyses and webcam sessions (one item each, however many seconds it has),
    newest first, ``per_page`` at a time. Items are {"kind": "upload", "analysis": Analysis} (a
    photo or a video) or {"kind": "webcam", "session": WebcamSession}. ``source`` ("upload",
    "webcam" or "video") keeps one source; ``emotion``
    keeps the items with at least one face (in any second) labelled so."""
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
    if emotion in EMOTION_COLUMNS:
        uploads = uploads.where(select(FaceResult.id).where(FaceResult.analysis_id == Analysis.id,
                                                            FaceResult.label == emotion).exists())
        sessions = sessions.where(
            select(FaceResult.id).join(Analysis, Analysis.id == FaceResult.analysis_id)
            .where(Analysis.webcam_session_id == WebcamSession.id, FaceResult.label == emotion).exists())
    if source == "webcam":
        parts = [sessions]
    elif source in ("upload", "video"):  # photos and videos are both analyses, told apart by source
        parts = [uploads.where(Analysis.source == source)]
    else:
        parts = [uploads, sessions]
    items = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
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


def all_analyses(user_id: int, with_photos: bool = False, date_range: DateRange | None = None,
                 source: str | None = None, emotion: str | None = None) -> list[Analysis]:
    """Everything the user stored, oldest first; ``with_photos`` loads the kept photos too.
    The dashboard's filters (days, source, an expression among the faces) narrow it down."""
    options = [selectinload(Analysis.faces)] + ([selectinload(Analysis.photo)] if with_photos else [])
    query = select(Analysis).where(Analysis.user_id == user_id)
    if date_range is not None:
        if date_range.is_reversed:
            return []
        query = date_range.apply(query)
    if source in SOURCES:
        query = query.where(Analysis.source == source)
    if emotion in EMOTION_COLUMNS:
        query = query.where(select(FaceResult.id).where(FaceResult.analysis_id == Analysis.id,
                                                        FaceResult.label == emotion).exists())
    return list(db.session.scalars(query.options(*options).order_by(Analysis.created_at, Analysis.id)))

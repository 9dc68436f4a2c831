"""Queries over one user's history. Every query here is filtered by user id."""
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import EMOTION_COLUMNS, SOURCES, Analysis, FaceResult

BUCKETS = ("day", "week")


@dataclass
class DateRange:
    start: date | None = None  # inclusive
    end: date | None = None  # inclusive

    @classmethod
    def from_args(cls, args) -> "DateRange":
        return cls(parse_date(args.get("from")), parse_date(args.get("to")))

    def apply(self, query, column=Analysis.created_at):
        if self.start:
            query = query.where(column >= datetime.combine(self.start, time.min))
        if self.end:
            query = query.where(column < datetime.combine(self.end + timedelta(days=1), time.min))
        return query

    def as_args(self) -> dict:
        return {
            "from": self.start.isoformat() if self.start else "",
            "to": self.end.isoformat() if self.end else "",
        }


def parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None  # an unreadable date is simply no filter


def bucket_start(moment: datetime, bucket: str) -> date:
    day = moment.date()
    return day - timedelta(days=day.weekday()) if bucket == "week" else day


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
        timeline[bucket_start(created_at, bucket)][label] += 1

    periods = sorted(timeline)
    return {
        "bucket": bucket,
        "range": date_range.as_args(),
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


def recent_analyses(user_id: int, date_range: DateRange, limit: int = 50) -> list[Analysis]:
    query = date_range.apply(
        select(Analysis)
        .where(Analysis.user_id == user_id)
        .options(selectinload(Analysis.faces))
        .order_by(Analysis.created_at.desc(), Analysis.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def all_analyses(user_id: int) -> list[Analysis]:
    query = (
        select(Analysis)
        .where(Analysis.user_id == user_id)
        .options(selectinload(Analysis.faces))
        .order_by(Analysis.created_at, Analysis.id)
    )
    return list(db.session.scalars(query))

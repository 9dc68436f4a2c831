"""What the admin console shows and does (plain Python + SQLAlchemy, no request handling).

Everything here is counts and account facts: no query in this module reads a face, a score, a
file name or a photo. Every change is written to the audit log in the same transaction.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, or_, select, text

from app.auth.identity import identity_key
from app.extensions import db
from app.models import EMOTION_COLUMNS, Analysis, ApiToken, AuditEntry, FaceResult, User, UserSession, utcnow

PAGE_SIZE = 25
FIGURE_DAYS = 30
AUDIT_SHOWN = 50
COMMAND_LINE = "(command line)"


class AdminError(ValueError):
    """An admin action that is refused, with a message for the page."""


@dataclass
class AccountRow:
    id: int
    username: str
    email: str
    created_at: datetime
    last_login_at: datetime | None
    analyses: int
    webcam_seconds: int
    tokens: int
    is_admin: bool
    disabled: bool


@dataclass
class AccountPage:
    rows: list[AccountRow]
    page: int
    pages: int
    total: int
    search: str


def list_accounts(search: str = "", page: int = 1, per_page: int = PAGE_SIZE) -> AccountPage:
    """Accounts, newest first, whose name or e-mail contains ``search`` (case-insensitive)."""
    search = (search or "").strip()[:100].replace("\x00", "")
    query = select(User)
    if search:
        pattern = "%" + identity_key(search).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(User.username_key.like(pattern, escape="\\"),
                                User.email_key.like(pattern, escape="\\"),
                                func.lower(User.username).like(pattern, escape="\\")))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    users = db.session.scalars(query.order_by(User.created_at.desc(), User.id.desc())
                               .limit(per_page).offset((page - 1) * per_page)).all()
    ids = [user.id for user in users]
    uploads = count_by_user(Analysis.user_id, ids, Analysis.source == "upload")
    seconds = count_by_user(Analysis.user_id, ids, Analysis.source == "webcam")
    tokens = count_by_user(ApiToken.user_id, ids)
    rows = [AccountRow(user.id, user.username, user.email, user.created_at, user.last_login_at,
                       uploads.get(user.id, 0), seconds.get(user.id, 0), tokens.get(user.id, 0),
                       user.is_admin, user.disabled) for user in users]
    return AccountPage(rows, page, pages, total, search)


def count_by_user(column, ids: list[int], *conditions) -> dict[int, int]:
    if not ids:
        return {}
    return dict(db.session.execute(
        select(column, func.count()).where(column.in_(ids), *conditions).group_by(column)
    ).all())


def figures(today: date | None = None) -> dict:
    """Instance-wide counts: accounts, analyses per day (last 30 days, UTC), faces per emotion,
    database size in bytes (None when the database cannot tell)."""
    today = today or utcnow().date()
    first = today - timedelta(days=FIGURE_DAYS - 1)
    day = func.date(Analysis.created_at)
    per_day = {str(key): count for key, count in db.session.execute(
        select(day, func.count()).where(Analysis.created_at >= datetime.combine(first, datetime.min.time()))
        .group_by(day)
    ).all()}
    faces = dict(db.session.execute(select(FaceResult.label, func.count()).group_by(FaceResult.label)).all())
    return {
        "accounts": db.session.scalar(select(func.count()).select_from(User)) or 0,
        "disabled": db.session.scalar(select(func.count()).where(User.disabled.is_(True))) or 0,
        "admins": db.session.scalar(select(func.count()).where(User.is_admin.is_(True))) or 0,
        "analyses": db.session.scalar(select(func.count()).select_from(Analysis)) or 0,
        "tokens": db.session.scalar(select(func.count()).select_from(ApiToken)) or 0,
        "per_day": [((first + timedelta(days=i)).isoformat(), per_day.get((first + timedelta(days=i)).isoformat(), 0))
                    for i in range(FIGURE_DAYS)],
        "faces": {emotion: faces.get(emotion, 0) for emotion in EMOTION_COLUMNS},
        "database_bytes": database_size(),
    }


def database_size() -> int | None:
    dialect = db.engine.dialect.name
    try:
        if dialect == "sqlite":
            pages = db.session.execute(text("PRAGMA page_count")).scalar()
            size = db.session.execute(text("PRAGMA page_size")).scalar()
            return int(pages) * int(size)
        if dialect == "postgresql":
            return int(db.session.execute(text("SELECT pg_database_size(current_database())")).scalar())
    except Exception:  # a figure, not a reason to fail the page
        db.session.rollback()
    return None


def audit_log(limit: int = AUDIT_SHOWN) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
                                   .limit(limit)))


def record(actor: User | None, action: str, target: User, detail: str = "") -> None:
    db.session.add(AuditEntry(
        actor_id=actor.id if actor else None, actor_name=actor.username if actor else COMMAND_LINE,
        action=action, target_id=target.id, target_name=target.username, detail=detail[:255],
    ))


def get_account(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def refuse_self(actor: User, target: User, what: str) -> None:
    if actor.id == target.id:
        raise AdminError(f"You cannot {what} your own account here.")


def set_disabled(actor: User, target: User, disabled: bool) -> None:
    """Disable (its login sessions are deleted; its tokens are refused while it is disabled) or
    enable an account."""
    refuse_self(actor, target, "disable" if disabled else "enable")
    if target.disabled == disabled:
        return
    target.disabled = disabled
    if disabled:
        db.session.execute(delete(UserSession).where(UserSession.user_id == target.id))
    record(actor, "disable" if disabled else "enable", target)
    db.session.commit()


def delete_account(actor: User, target: User) -> None:
    """Delete the account with all its data; the audit entry keeps its name."""
    refuse_self(actor, target, "delete")
    counts = count_by_user(Analysis.user_id, [target.id]).get(target.id, 0)
    record(actor, "delete", target, f"{counts} analyses deleted with it")
    db.session.flush()
    db.session.delete(target)
    db.session.commit()


def promote(user: User, actor: User | None) -> None:
    if not user.is_admin:
        user.is_admin = True
        record(actor, "promote", user)
    db.session.commit()

"""Database models (SQLAlchemy 2.0 typed declarative).

History model
-------------
* ``Analysis`` is one analysed picture. ``source`` says where it came from:
  ``"upload"`` (one row per uploaded image), ``"webcam"`` or ``"video"``.
* A ``Video`` is one uploaded recording and its processing job (status, progress, face tracks
  as JSON). When it is done it gets ONE ``Analysis(source="video", video_id=...)`` whose faces
  are its tracks (scores averaged over each track's seconds), so the dashboard counts it too.
* Webcam history is stored without one row per frame: a ``WebcamSession`` is one press of
  Start..Stop, and for every second of camera time in which a face was seen it gets ONE
  ``Analysis(source="webcam", webcam_session_id=..., frame_count=N)`` whose faces hold the seven
  scores averaged over the N frames of that second. The dashboard therefore counts a webcam second
  like an uploaded picture and both sources share the same queries.
* ``FaceResult`` is one face of an analysis: its box, top label and all seven scores as columns.

Timestamps are naive UTC everywhere (SQLite keeps no time zone; PostgreSQL gets the same values).
"""
from datetime import UTC, datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.vision.confidence import is_uncertain

EMOTION_COLUMNS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
SOURCES = ("upload", "webcam", "video")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True, index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Name and e-mail after NFKC normalisation and case folding (app.auth.identity): the unique
    # indexes on these make look-alikes one account for the database itself. NULL only for a
    # look-alike account that existed before the keys did (see migration b1d2e3f4a5c6).
    username_key: Mapped[str | None] = mapped_column(String(160), unique=True, index=True)
    email_key: Mapped[str | None] = mapped_column(String(320), unique=True, index=True)
    # Keep a downscaled copy of each uploaded photo with its analysis (off unless the user asks).
    keep_photos: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Operators of the instance: they see the admin console (counts only, never anyone's data).
    is_admin: Mapped[bool] = mapped_column(default=False, server_default=false())
    # A disabled account cannot log in; its login sessions and access tokens stop working.
    disabled: Mapped[bool] = mapped_column(default=False, server_default=false())
    last_login_at: Mapped[datetime | None]

    # passive_deletes: the database's ON DELETE CASCADE removes the rows in one statement.
    analyses: Mapped[list["Analysis"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    webcam_sessions: Mapped[list["WebcamSession"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    login_sessions: Mapped[list["UserSession"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    api_tokens: Mapped[list["ApiToken"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    videos: Mapped[list["Video"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    # The raw token of the login session this object was loaded for (never stored): Flask-Login
    # keeps get_id() in the session and remember-me cookies, so a cookie names a login session,
    # not a user, and dies with that session's row.
    session_token = None  # str | None; a plain attribute, not a column

    def get_id(self) -> str:
        if not self.session_token:
            raise RuntimeError("log in through app.auth.sessions.start, which opens a session")
        return self.session_token

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class UserSession(db.Model):
    """One login: the SHA-256 of the random token its cookies carry, and when it expires."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    user: Mapped[User] = relationship(back_populates="login_sessions")


class ApiToken(db.Model):
    """A personal access token for scripts: only the SHA-256 of the secret is stored.

    ``prefix`` (the first characters of the token) lets its owner tell tokens apart in a list;
    ``scopes`` is "read" or "read write"."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    prefix: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[str] = mapped_column(String(32), default="read")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="api_tokens")

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    def to_dict(self) -> dict:
        def stamp(moment):
            return moment.isoformat() + "Z" if moment else None

        return {
            "id": self.id,
            "name": self.name,
            "prefix": self.prefix,
            "scopes": self.scope_list,
            "created_at": stamp(self.created_at),
            "expires_at": stamp(self.expires_at),
            "last_used_at": stamp(self.last_used_at),
        }


class AuditEntry(db.Model):
    """One action of an admin (disable, enable, delete an account, promote), kept after the
    accounts involved are gone: names are copied, ids become NULL."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    actor_name: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    target_name: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(String(255), default="")


class LoginFailure(db.Model):
    """Failed logins per account (or per unknown name) in the current window, for every worker."""

    __tablename__ = "login_failures"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    window_start: Mapped[datetime]
    failures: Mapped[int]


class WebcamSession(db.Model):
    """One live camera session (Start..Stop); its per-second summaries are Analysis rows."""

    __tablename__ = "webcam_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    ended_at: Mapped[datetime | None]
    frames_analysed: Mapped[int] = mapped_column(default=0)
    # The face tracker's state between frames (app.vision.tracker.FaceTracker.to_state, JSON).
    tracker_state: Mapped[str | None] = mapped_column(db.Text)

    user: Mapped[User] = relationship(back_populates="webcam_sessions")
    # delete-orphan: deleting a session whose seconds are loaded deletes them too (without it the
    # ORM would set their webcam_session_id to NULL instead of letting ON DELETE CASCADE act).
    seconds: Mapped[list["Analysis"]] = relationship(
        back_populates="webcam_session", cascade="all, delete-orphan", passive_deletes=True,
        order_by="Analysis.created_at",
    )


class Analysis(db.Model):
    __tablename__ = "analyses"
    __table_args__ = (Index("ix_analyses_user_id_created_at", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    source: Mapped[str] = mapped_column(String(16), default="upload", index=True)
    # Original file name of an upload (shown to its owner only); None for webcam seconds.
    filename: Mapped[str | None] = mapped_column(String(255))
    image_width: Mapped[int]
    image_height: Mapped[int]
    # Frames summarised by this row: 1 for an upload, frames in that second for the webcam.
    frame_count: Mapped[int] = mapped_column(default=1)
    webcam_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("webcam_sessions.id", ondelete="CASCADE"), index=True
    )
    # The video this row summarises (source "video"). Not a foreign key: SQLite cannot add one to
    # an existing table without rebuilding it (and dropping the old ``analyses`` would cascade into
    # face_results); app.video.service deletes a video and its row together.
    video_id: Mapped[int | None] = mapped_column(index=True)

    user: Mapped[User] = relationship(back_populates="analyses")
    webcam_session: Mapped[WebcamSession | None] = relationship(back_populates="seconds")
    faces: Mapped[list["FaceResult"]] = relationship(
        back_populates="analysis",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="FaceResult.face_index",
    )
    photo: Mapped["AnalysisPhoto | None"] = relationship(
        back_populates="analysis", cascade="all, delete-orphan", passive_deletes=True, lazy="select"
    )

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "created_at": self.created_at.isoformat() + "Z",
            "source": self.source,
            "filename": self.filename,
            "width": self.image_width,
            "height": self.image_height,
            "frame_count": self.frame_count,
            "webcam_session_id": self.webcam_session_id,
            "video_id": self.video_id,
            "faces": [face.to_dict() for face in self.faces],
        }


class AnalysisPhoto(db.Model):
    """The downscaled JPEG kept with an analysis when its owner turned on "keep my photos".

    A table of its own so that listing analyses never loads image bytes."""

    __tablename__ = "analysis_photos"

    analysis_id: Mapped[int] = mapped_column(
        ForeignKey("analyses.id", ondelete="CASCADE"), primary_key=True
    )
    jpeg: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int]
    height: Mapped[int]

    analysis: Mapped[Analysis] = relationship(back_populates="photo")


class DeletedItem(db.Model):
    """What a delete removed, kept for a few minutes so that the owner can undo it.

    ``payload`` is JSON (the analysis, webcam session or finished video with its faces, seconds or
    tracks and thumbnails, ids included);
    ``photo`` the kept JPEG, if any. Restoring writes the same rows back; old items are purged."""

    __tablename__ = "deleted_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "analysis", "webcam_session" or "video"
    payload: Mapped[str] = mapped_column(db.Text)
    photo: Mapped[bytes | None] = mapped_column(LargeBinary)
    deleted_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class UploadKey(db.Model):
    """An ``Idempotency-Key`` a user sent with an upload, and what it stored, kept for a day: the
    same key again returns those analyses instead of storing the pictures a second time.

    ``analysis_ids`` is empty while the first request is still being analysed; ``fingerprint``
    is the SHA-256 of the sent files, so that a key reused for other files is refused."""

    __tablename__ = "upload_keys"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_upload_keys_user_id_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    analysis_ids: Mapped[str] = mapped_column(String(400), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class FaceResult(db.Model):
    __tablename__ = "face_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    analysis_id: Mapped[int] = mapped_column(
        ForeignKey("analyses.id", ondelete="CASCADE"), index=True
    )
    face_index: Mapped[int] = mapped_column(default=0)  # 0 = largest face
    x: Mapped[int]
    y: Mapped[int]
    w: Mapped[int]
    h: Mapped[int]
    label: Mapped[str] = mapped_column(String(16), index=True)
    confidence: Mapped[float]
    angry: Mapped[float]
    disgust: Mapped[float]
    fear: Mapped[float]
    happy: Mapped[float]
    sad: Mapped[float]
    surprise: Mapped[float]
    neutral: Mapped[float]

    analysis: Mapped[Analysis] = relationship(back_populates="faces")

    @property
    def scores(self) -> dict[str, float]:
        return {emotion: getattr(self, emotion) for emotion in EMOTION_COLUMNS}

    @property
    def uncertain(self) -> bool:
        return is_uncertain(self.scores)

    def to_dict(self) -> dict:
        return {
            "box": {"x": self.x, "y": self.y, "w": self.w, "h": self.h},
            "label": self.label,
            "confidence": self.confidence,
            "uncertain": self.uncertain,
            "scores": self.scores,
        }


VIDEO_STATUSES = ("queued", "running", "done", "failed", "cancelled")
VIDEO_FINISHED = ("done", "failed", "cancelled")


class Video(db.Model):
    """An uploaded video and its processing job: status, progress, result (tracks as JSON).

    The uploaded file lives in ``video_chunks`` (in the database, so that workers on other
    machines can read it) until the job ends, whatever its end."""

    __tablename__ = "videos"
    __table_args__ = (Index("ix_videos_status_heartbeat_at", "status", "heartbeat_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    filename: Mapped[str] = mapped_column(String(255))
    size_bytes: Mapped[int] = mapped_column(db.BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    error: Mapped[str | None] = mapped_column(String(500))
    sample_fps: Mapped[float]
    keep_thumbnails: Mapped[bool] = mapped_column(default=False, server_default=false())
    width: Mapped[int | None]
    height: Mapped[int | None]
    duration_seconds: Mapped[float | None]
    frames_total: Mapped[int | None]
    frames_done: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # The worker writes this with its progress; a running job whose heartbeat stops is retried
    # or failed (app.video.service.recover_stalled).
    heartbeat_at: Mapped[datetime | None]
    tracks_json: Mapped[str | None] = mapped_column(db.Text)

    user: Mapped[User] = relationship(back_populates="videos")
    chunks: Mapped[list["VideoChunk"]] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    thumbnails: Mapped[list["VideoThumbnail"]] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    analysis: Mapped["Analysis | None"] = relationship(
        primaryjoin="foreign(Analysis.video_id) == Video.id", viewonly=True, uselist=False)


class VideoChunk(db.Model):
    """A piece (a few MB) of an uploaded video waiting for its worker."""

    __tablename__ = "video_chunks"

    video_id: Mapped[int] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class VideoThumbnail(db.Model):
    """A small JPEG of one track's face, kept only for users who keep their photos."""

    __tablename__ = "video_thumbnails"

    video_id: Mapped[int] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"), primary_key=True)
    track_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    jpeg: Mapped[bytes] = mapped_column(LargeBinary)

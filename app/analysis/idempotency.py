"""Uploads that are safe to repeat: an ``Idempotency-Key`` sent with an upload is remembered
with what it stored for a day, and the same key from the same user returns those analyses
instead of analysing and storing the pictures again (a second press, a retried request).

* The key is the client's (the upload page makes one per file); it is 1 to 255 visible ASCII
  characters, and it only ever means something for the user who sent it.
* The same key with other files is refused (422), so a reused key cannot silently return the
  wrong pictures; the same key while its first request is still being analysed gets 409.
* A request that stored nothing (every file refused) forgets its key, so it can be retried.
"""
from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.analysis.service import FileOutcome, ImageUpload, UploadError, analyse_uploads, get_owned_analyses
from app.extensions import db
from app.models import UploadKey, User, utcnow

KEY_LIFETIME = timedelta(days=1)
# A first request that never finished (a worker killed mid-analysis) frees its key after this.
UNFINISHED_AFTER = timedelta(minutes=5)
KEY_PATTERN = re.compile(r"[\x21-\x7e]([\x20-\x7e]{0,253}[\x21-\x7e])?")


def clean_key(raw: str | None) -> str | None:
    """The key, or None when none was sent; UploadError (400) for one we cannot use."""
    if raw is None or raw == "":
        return None
    if not KEY_PATTERN.fullmatch(raw):
        raise UploadError("The Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID, say).")
    return raw


def fingerprint(uploads: list[ImageUpload]) -> str:
    digest = hashlib.sha256()
    for upload in uploads:
        digest.update(hashlib.sha256(upload.data).digest())
    return digest.hexdigest()


def analyse_once(user: User, key: str | None, uploads: list[ImageUpload], max_pixels: int,
                 ) -> tuple[list[FileOutcome], bool]:
    """Outcomes of the upload and whether they are a replay of the key's first request."""
    if key is None:
        return analyse_uploads(user, uploads, max_pixels), False
    sent = fingerprint(uploads)
    now = utcnow()
    db.session.execute(delete(UploadKey).where(UploadKey.user_id == user.id, UploadKey.key == key,
                                               UploadKey.created_at <= now - KEY_LIFETIME))
    known = db.session.scalar(select(UploadKey).where(UploadKey.user_id == user.id, UploadKey.key == key))
    if known is not None:
        replay = replayed_outcomes(user, known, sent, now)
        if replay is not None:
            db.session.commit()
            return replay, True
    entry = UploadKey(user_id=user.id, key=key, fingerprint=sent, analysis_ids="", created_at=now)
    db.session.add(entry)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise UploadError("An upload with this Idempotency-Key is still being analysed; try again in a moment.",
                          409) from None
    try:
        outcomes = analyse_uploads(user, uploads, max_pixels)
    except BaseException:
        db.session.rollback()
        forget(entry.id)
        raise
    stored = [str(outcome.analysis.id) for outcome in outcomes if outcome.ok]
    if stored:
        entry.analysis_ids = ",".join(stored)
        db.session.commit()
    else:
        forget(entry.id)
    return outcomes, False


def replayed_outcomes(user: User, known: UploadKey, sent: str, now) -> list[FileOutcome] | None:
    """What the key's first request stored, or None when the key is free to be used again."""
    if known.fingerprint != sent:
        raise UploadError("This Idempotency-Key was already used for other files; use a new key for new files.", 422)
    if not known.analysis_ids:
        if known.created_at > now - UNFINISHED_AFTER:
            raise UploadError("An upload with this Idempotency-Key is still being analysed; try again in a moment.",
                              409)
        db.session.delete(known)
        db.session.flush()
        return None
    ids = [int(part) for part in known.analysis_ids.split(",") if part.isdigit()]
    analyses = get_owned_analyses(user, ids)
    if not analyses:  # all deleted since: the pictures may be analysed again
        db.session.delete(known)
        db.session.flush()
        return None
    return [FileOutcome(filename=analysis.filename or "", analysis=analysis) for analysis in analyses]


def forget(entry_id: int) -> None:
    db.session.execute(delete(UploadKey).where(UploadKey.id == entry_id))
    db.session.commit()

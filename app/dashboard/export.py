"""Export of everything a user has stored, as CSV (one row per face) and JSON."""
import base64
import csv
import io

from app.models import EMOTION_COLUMNS, Analysis, User, utcnow

CSV_COLUMNS = (
    "analysis_id", "created_at_utc", "source", "filename", "image_width", "image_height",
    "frame_count", "webcam_session_id", "face_index", "x", "y", "w", "h", "label", "confidence",
    *EMOTION_COLUMNS, "video_id",
)


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell):
    """Text that a spreadsheet would run gets a leading single quote; numbers stay numbers."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


class SafeWriter:
    """csv.writer whose text cells are neutralised before they are written."""

    def __init__(self, buffer):
        self.writer = csv.writer(buffer)

    def writerow(self, row):
        self.writer.writerow([neutralise(cell) for cell in row])


def analyses_to_csv(analyses: list[Analysis]) -> str:
    """One row per face; an analysis without faces still gets one row with empty face columns."""
    buffer = io.StringIO()
    writer = SafeWriter(buffer)
    writer.writerow(CSV_COLUMNS)
    for analysis in analyses:
        common = [
            analysis.id, analysis.created_at.isoformat(), analysis.source, analysis.filename or "",
            analysis.image_width, analysis.image_height, analysis.frame_count,
            analysis.webcam_session_id or "",
        ]
        video = [analysis.video_id or ""]
        if not analysis.faces:
            writer.writerow(common + [""] * (len(CSV_COLUMNS) - len(common) - 1) + video)
        for face in analysis.faces:
            writer.writerow(
                common
                + [face.face_index, face.x, face.y, face.w, face.h, face.label, f"{face.confidence:.6f}"]
                + [f"{face.scores[emotion]:.6f}" for emotion in EMOTION_COLUMNS]
                + video
            )
    return buffer.getvalue()


def analyses_to_json(user: User, analyses: list[Analysis]) -> dict:
    return {
        "user": {"username": user.username, "email": user.email},
        "exported_at": utcnow().isoformat() + "Z",
        "emotions": list(EMOTION_COLUMNS),
        "analyses": [with_photo(analysis) for analysis in analyses],
        "videos": [video_export(video) for video in sorted(user.videos, key=lambda v: (v.created_at, v.id))],
    }


def video_export(video) -> dict:
    """A video job with its tracks and per-second scores (its history row is in ``analyses``)."""
    from app.video.service import video_to_dict

    return video_to_dict(video)


def with_photo(analysis: Analysis) -> dict:
    """The analysis as the API shows it, plus its kept photo (base64 JPEG) when there is one."""
    data = analysis.to_dict()
    photo = analysis.photo
    data["photo"] = (
        {"content_type": "image/jpeg", "width": photo.width, "height": photo.height,
         "base64": base64.b64encode(photo.jpeg).decode("ascii")}
        if photo is not None else None
    )
    return data

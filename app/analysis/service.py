"""Validate uploaded images, analyse them in memory and store only the results."""
import base64
import binascii
from dataclasses import dataclass

import cv2
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.inputs import clean_filename
from app.models import Analysis, AnalysisPhoto, FaceResult, User
from app.vision import InvalidImage, Picture, decode_picture
from app.vision.memory import release_freed_memory
from app.analysis.engine import get_analyzer

# Declared types we accept for a file part; the real check is decoding the bytes.
ACCEPTED_PART_TYPES = ("image/", "application/octet-stream")
PREVIEW_MAX_SIDE = 960


class UploadError(ValueError):
    """A client mistake with a message fit to show to the user, and its HTTP status."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class ImageUpload:
    filename: str
    data: bytes
    mimetype: str = ""


@dataclass
class DecodedImage:
    filename: str
    picture: Picture  # the pixels to search (perhaps reduced) and the picture's own size

    @property
    def image(self):
        return self.picture.image


@dataclass
class FileOutcome:
    """What became of one sent file: its stored analysis, or the reason it was refused."""

    filename: str
    analysis: Analysis | None = None
    error: str | None = None
    status: int = 200

    @property
    def ok(self) -> bool:
        return self.analysis is not None

    def to_dict(self) -> dict:
        if self.ok:
            return {"filename": self.filename, "ok": True, "analysis": self.analysis.to_dict()}
        return {"filename": self.filename, "ok": False, "error": self.error, "status": self.status}


def uploads_from_files(files: list[FileStorage], max_files: int) -> list[ImageUpload]:
    """The sent files; only request-level mistakes (nothing sent, too many files) raise here,
    a bad single file is judged later, on its own, by ``analyse_uploads``."""
    uploads = []
    for storage in files:
        data = storage.read()
        if not storage.filename and not data:
            continue  # what a browser sends for a file input left empty
        name = clean_filename(storage.filename)
        uploads.append(ImageUpload(filename=name, data=data, mimetype=storage.mimetype or ""))
    if not uploads:
        raise UploadError("No image was sent. Choose one or more pictures (field 'image').")
    if len(uploads) > max_files:
        raise UploadError(f"Too many files: at most {max_files} images per upload.")
    return uploads


JSON_SHAPE = ('JSON body must be an object with an "image" field holding base64 data, or with '
              '"images": a list of such objects.')


def uploads_from_json(payload, max_files: int | None = None) -> list[ImageUpload]:
    """JSON body for scripts: {"image": "<base64 or data: URL>", "filename": "optional"}, or
    {"images": [several such objects]}."""
    if isinstance(payload, dict) and "images" in payload and "image" not in payload:
        items = payload["images"]
        if not isinstance(items, list) or not items:
            raise UploadError(JSON_SHAPE)
        if max_files is not None and len(items) > max_files:
            raise UploadError(f"Too many files: at most {max_files} images per upload.")
        return [upload_from_json_item(item, f"images[{index}]") for index, item in enumerate(items)]
    return [upload_from_json_item(payload, "image")]


def upload_from_json_item(item, where: str) -> ImageUpload:
    if not isinstance(item, dict) or not isinstance(item.get("image"), str):
        raise UploadError(JSON_SHAPE)
    encoded = item["image"]
    if encoded.startswith("data:"):
        encoded = encoded.partition(",")[2]
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise UploadError(f'"{where}" is not valid base64.') from None
    filename = item.get("filename")
    return ImageUpload(filename=clean_filename(filename), data=data)


def decode_upload(upload: ImageUpload, max_pixels: int) -> DecodedImage:
    """One file, decoded; UploadError (with the file's name) when it is not a usable image."""
    name = upload.filename
    if upload.mimetype and not upload.mimetype.startswith(ACCEPTED_PART_TYPES):
        raise UploadError(f"{name}: '{upload.mimetype}' is not an image type. Send JPEG, PNG, WebP or BMP.", 415)
    if not upload.data:
        raise UploadError(f"{name}: the file is empty.")
    try:
        picture = decode_picture(upload.data, max_pixels=max_pixels)
    except InvalidImage as error:
        raise UploadError(f"{name}: {error}") from None
    return DecodedImage(filename=name[:255], picture=picture)


def find_faces(picture: Picture, search=None) -> list:
    """The faces of a decoded picture, largest first, their boxes in the picture's own pixels
    (after its EXIF rotation) however much the picture was reduced for the search."""
    analyzer = get_analyzer()
    faces = analyzer.analyze(picture.image) if search is None else analyzer.analyze(picture.image, search=search)
    return picture.in_original_pixels(faces)


def analyse_uploads(user: User, uploads: list[ImageUpload], max_pixels: int,
                    source: str = "upload") -> list[FileOutcome]:
    """Analyse and store every good file; each bad file gets its own message. One commit."""
    outcomes = []
    for upload in uploads:
        try:
            decoded = decode_upload(upload, max_pixels)
        except UploadError as error:
            outcomes.append(FileOutcome(filename=upload.filename, error=error.message, status=error.status))
            continue
        analysis = build_analysis(user, decoded, source)
        outcomes.append(FileOutcome(filename=upload.filename, analysis=analysis))
        del decoded  # the picture is analysed: its pixels and the search's buffers can go back
        release_freed_memory()
    if any(outcome.ok for outcome in outcomes):
        db.session.commit()
    return outcomes


def build_analysis(user: User, decoded: DecodedImage, source: str) -> Analysis:
    analysis = Analysis(
        user=user,
        source=source,
        filename=decoded.filename,
        image_width=decoded.picture.width,
        image_height=decoded.picture.height,
    )
    db.session.add(analysis)
    for index, face in enumerate(find_faces(decoded.picture)):
        analysis.faces.append(face_result_from(face, index))
    if source == "upload" and user.keep_photos:
        jpeg, photo_width, photo_height = downscaled_jpeg(decoded.image)
        if jpeg:
            analysis.photo = AnalysisPhoto(jpeg=jpeg, width=photo_width, height=photo_height)
    return analysis


def face_result_from(face, index: int) -> FaceResult:
    x, y, w, h = (int(v) for v in face.box)
    scores = {emotion: float(score) for emotion, score in face.scores.items()}
    return FaceResult(
        face_index=index,
        x=x,
        y=y,
        w=w,
        h=h,
        label=str(face.label),
        confidence=float(face.confidence),
        **scores,
    )


def downscaled_jpeg(image) -> tuple[bytes, int, int]:
    """The picture as a JPEG at most PREVIEW_MAX_SIDE pixels on its longest side."""
    height, width = image.shape[:2]
    scale = min(1.0, PREVIEW_MAX_SIDE / max(height, width))
    if scale < 1.0:
        image = cv2.resize(image, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
    ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        return b"", 0, 0
    return jpeg.tobytes(), int(image.shape[1]), int(image.shape[0])


def set_keep_photos(user: User, keep: bool) -> None:
    user.keep_photos = bool(keep)
    db.session.commit()


def get_owned_analyses(user: User, ids: list[int]) -> list[Analysis]:
    """The user's analyses among ``ids``, in the given order; others' ids are silently left out."""
    if not ids:
        return []
    rows = db.session.scalars(
        db.select(Analysis).where(Analysis.user_id == user.id, Analysis.id.in_(ids))
    ).all()
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in dict.fromkeys(ids) if i in by_id]


def get_owned_analysis(user: User, analysis_id: int) -> Analysis | None:
    """The analysis if it belongs to user, else None (callers answer 404 either way)."""
    analysis = db.session.get(Analysis, analysis_id)
    if analysis is None or analysis.user_id != user.id:
        return None
    return analysis


@dataclass
class AnalysisPage:
    items: list[Analysis]
    page: int
    per_page: int
    pages: int
    total: int

    def to_dict(self) -> dict:
        return {"items": [analysis.to_dict() for analysis in self.items], "page": self.page,
                "per_page": self.per_page, "pages": self.pages, "total": self.total}


def list_analyses(user_id: int, date_range=None, source: str | None = None, page: int = 1,
                  per_page: int = 20) -> AnalysisPage:
    """The user's analyses (pictures and webcam seconds), newest first, one page of them.

    ``date_range`` is the dashboard's DateRange (days in the user's zone); ``source`` "upload"
    or "webcam". A page past the last one is empty (its number is kept, so scripts stop)."""
    query = select(Analysis).where(Analysis.user_id == user_id)
    if source:
        query = query.where(Analysis.source == source)
    if date_range is not None:
        if date_range.is_reversed:
            return AnalysisPage([], page, per_page, 1, 0)
        query = date_range.apply(query)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(
        query.options(selectinload(Analysis.faces))
        .order_by(Analysis.created_at.desc(), Analysis.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return AnalysisPage(list(rows), page, per_page, max(1, -(-total // per_page)), total)


def delete_analysis(analysis: Analysis) -> None:
    """Delete an analysis; a video's history row goes with its whole video."""
    if analysis.video_id is not None:
        from app.models import Video

        video = db.session.get(Video, analysis.video_id)
        if video is not None:
            db.session.delete(video)
    db.session.delete(analysis)
    db.session.commit()

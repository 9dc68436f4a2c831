"""Validate uploaded images, analyse them in memory and store only the results."""
import base64
import binascii
from dataclasses import dataclass, field

import cv2
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.models import Analysis, FaceResult, User
from app.vision import InvalidImage, decode_image
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


@dataclass
class DecodedImage:
    filename: str
    image: object  # numpy BGR array


@dataclass
class AnalysedImage:
    analysis: Analysis
    image: object = field(repr=False)

    def preview_data_url(self) -> str:
        return preview_data_url(self.image)


def uploads_from_files(files: list[FileStorage], max_files: int) -> list[ImageUpload]:
    uploads = []
    for storage in files:
        data = storage.read()
        if not storage.filename and not data:
            continue  # what a browser sends for a file input left empty
        name = storage.filename or "image"
        mimetype = storage.mimetype or ""
        if mimetype and not mimetype.startswith(ACCEPTED_PART_TYPES):
            raise UploadError(
                f"{name}: '{mimetype}' is not an image type. Send JPEG, PNG, WebP or BMP.", 415
            )
        uploads.append(ImageUpload(filename=name, data=data))
    if not uploads:
        raise UploadError("No image was sent. Choose one or more pictures (field 'image').")
    if len(uploads) > max_files:
        raise UploadError(f"Too many files: at most {max_files} images per upload.")
    return uploads


def uploads_from_json(payload) -> list[ImageUpload]:
    """JSON body for scripts: {"image": "<base64 or data: URL>", "filename": "optional"}."""
    if not isinstance(payload, dict) or not isinstance(payload.get("image"), str):
        raise UploadError('JSON body must be an object with an "image" field holding base64 data.')
    encoded = payload["image"]
    if encoded.startswith("data:"):
        encoded = encoded.partition(",")[2]
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise UploadError('"image" is not valid base64.') from None
    filename = payload.get("filename")
    return [ImageUpload(filename=filename if isinstance(filename, str) else "image", data=data)]


def decode_uploads(uploads: list[ImageUpload], max_pixels: int) -> list[DecodedImage]:
    """Decode every image first so that one bad file stores nothing at all."""
    decoded = []
    for upload in uploads:
        if not upload.data:
            raise UploadError(f"{upload.filename}: the file is empty.")
        try:
            image = decode_image(upload.data, max_pixels=max_pixels)
        except InvalidImage as error:
            raise UploadError(f"{upload.filename}: {error}") from None
        decoded.append(DecodedImage(filename=upload.filename[:255], image=image))
    return decoded


def analyse_and_store(user: User, images: list[DecodedImage], source: str = "upload") -> list[AnalysedImage]:
    analyzer = get_analyzer()
    results = []
    for decoded in images:
        height, width = decoded.image.shape[:2]
        analysis = Analysis(
            user=user,
            source=source,
            filename=decoded.filename,
            image_width=int(width),
            image_height=int(height),
        )
        for index, face in enumerate(analyzer.analyze(decoded.image)):
            analysis.faces.append(face_result_from(face, index))
        db.session.add(analysis)
        results.append(AnalysedImage(analysis=analysis, image=decoded.image))
    db.session.commit()
    return results


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


def preview_data_url(image) -> str:
    """A downscaled JPEG of the analysed picture, embedded in the page (nothing is stored)."""
    height, width = image.shape[:2]
    scale = min(1.0, PREVIEW_MAX_SIDE / max(height, width))
    if scale < 1.0:
        image = cv2.resize(image, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
    ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        return ""
    return "data:image/jpeg;base64," + base64.b64encode(jpeg.tobytes()).decode("ascii")


def get_owned_analysis(user: User, analysis_id: int) -> Analysis | None:
    """The analysis if it belongs to user, else None (callers answer 404 either way)."""
    analysis = db.session.get(Analysis, analysis_id)
    if analysis is None or analysis.user_id != user.id:
        return None
    return analysis


def delete_analysis(analysis: Analysis) -> None:
    db.session.delete(analysis)
    db.session.commit()

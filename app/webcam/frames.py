"""Reading one camera frame from a request body: checks that give the browser a clear 4xx."""
from dataclasses import dataclass

from app.analysis.service import UploadError
from app.vision import InvalidImage, Picture, decode_picture

# The page sends JPEG; PNG and WebP are accepted for scripts. Anything else is refused unread.
FRAME_TYPES = ("image/jpeg", "image/png", "image/webp", "application/octet-stream")


class FrameError(UploadError):
    """A bad frame, with a message for the page and the HTTP status to answer with."""


@dataclass
class FrameLimits:
    max_bytes: int
    max_pixels: int


def check_frame_headers(mimetype: str, content_length: int | None, limits: FrameLimits) -> None:
    """Refuse a wrong type or an oversized body before reading it."""
    if mimetype not in FRAME_TYPES:
        raise FrameError(
            f"Send the frame as the raw request body with Content-Type image/jpeg (got '{mimetype or 'none'}').",
            415,
        )
    if content_length is not None and content_length > limits.max_bytes:
        raise FrameError(f"The frame is larger than {limits.max_bytes // 1024} KB; send a smaller JPEG.", 413)


def decode_frame(data: bytes, limits: FrameLimits) -> Picture:
    if not data:
        raise FrameError("The frame is empty.")
    if len(data) > limits.max_bytes:
        raise FrameError(f"The frame is larger than {limits.max_bytes // 1024} KB; send a smaller JPEG.", 413)
    try:
        return decode_picture(data, max_pixels=limits.max_pixels)
    except InvalidImage as error:
        if error.too_large:
            raise FrameError(f"{error} Please downscale the frame (the page sends 640 pixels on the longest side).", 413) from None
        raise FrameError(f"Bad frame: {error}") from None

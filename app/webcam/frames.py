"""Reading one camera frame from a request body: checks that give the browser a clear 4xx."""
import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, UnidentifiedImageError

from app.vision import InvalidImage, decode_image

# The page sends JPEG; PNG and WebP are accepted for scripts. Anything else is refused unread.
FRAME_TYPES = ("image/jpeg", "image/png", "image/webp", "application/octet-stream")


class FrameError(ValueError):
    """A bad frame, with a message for the page and the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


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


def decode_frame(data: bytes, limits: FrameLimits) -> np.ndarray:
    if not data:
        raise FrameError("The frame is empty.")
    if len(data) > limits.max_bytes:
        raise FrameError(f"The frame is larger than {limits.max_bytes // 1024} KB; send a smaller JPEG.", 413)
    size = header_size(data)
    if size and size[0] * size[1] > limits.max_pixels:
        raise FrameError(
            f"The frame is {size[0]}x{size[1]} pixels; downscale it to at most {limits.max_pixels:,} pixels "
            "(the page sends 640 pixels on the longest side).",
            413,
        )
    try:
        return decode_image(data, max_pixels=limits.max_pixels)
    except InvalidImage as error:
        raise FrameError(f"Bad frame: {error}") from None


def header_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the image header (no pixel decoded), or None if unreadable."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (UnidentifiedImageError, OSError, ValueError):
        return None  # decode_image reports it with the right message

"""Turn uploaded bytes into a pixel array, refusing anything that is not a sane image.

The header is read first, so a decompression bomb (a small file that claims
30000x30000 pixels) is refused before a single pixel is decoded.
"""
from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "BMP"}
DEFAULT_MAX_PIXELS = 40_000_000
MIN_SIDE = 32  # smaller than this cannot hold a face the detector could find

# We enforce our own pixel limit before decoding; Pillow's warning would only duplicate it.
Image.MAX_IMAGE_PIXELS = None


class InvalidImage(ValueError):
    """The bytes are not an image we accept; the message is fit to show a user.

    ``too_large`` tells a web layer to answer 413 (shrink it) rather than 400 (broken).
    """

    def __init__(self, message: str, too_large: bool = False):
        super().__init__(message)
        self.too_large = too_large


def decode_image(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Decode JPEG/PNG/WebP/BMP bytes to a BGR uint8 array (EXIF rotation applied)."""
    if not data:
        raise InvalidImage("The file is empty.")
    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, ValueError):
        raise InvalidImage("The file is not an image we can read (JPEG, PNG, WebP or BMP).") from None
    with image:
        if image.format not in ALLOWED_FORMATS:
            raise InvalidImage(f"{image.format or 'This'} images are not supported; use JPEG, PNG, WebP or BMP.")
        width, height = image.size
        if width * height > max_pixels:
            raise InvalidImage(f"The image is {width}x{height} pixels; the limit is {max_pixels:,} pixels.",
                               too_large=True)
        if min(width, height) < MIN_SIDE:
            raise InvalidImage(f"The image is {width}x{height} pixels; it must be at least {MIN_SIDE} pixels on each side.")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                image.load()  # a truncated or corrupt file fails here, not later
                upright = ImageOps.exif_transpose(image)
                rgb = np.asarray(upright.convert("RGB"))
        except (OSError, ValueError, SyntaxError):
            raise InvalidImage("The image file is damaged or truncated.") from None
    return np.ascontiguousarray(rgb[:, :, ::-1])

"""Turn uploaded bytes into a pixel array, refusing anything that is not a sane image.

The header is read first, so a decompression bomb (a small file that claims
30000x30000 pixels) is refused before a single pixel is decoded. Pictures
larger than ``MAX_WORKING_SIDE`` are brought down to it while decoding (JPEG
decodes at 1/2, 1/4 or 1/8 scale directly; other formats are reduced right
after), so the memory a request needs stays bounded whatever the upload.
Phone pictures are handled as phones write them: EXIF orientation applied,
multi-picture JPEGs (MPO) read as their main picture, 16-bit PNGs scaled to
8 bits rather than clipped.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image, UnidentifiedImageError

# MPO is what Pillow calls a JPEG with extra pictures appended (depth maps, previews), as many
# phones write; its first picture is an ordinary JPEG.
ALLOWED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP", "BMP"}
DEFAULT_MAX_PIXELS = 40_000_000
MIN_SIDE = 32  # smaller than this cannot hold a face the detector could find
# Faces are searched at 640 px and classified at 48x48: more than this adds memory, not accuracy.
MAX_WORKING_SIDE = 2048
SIXTEEN_BIT_MODES = {"I;16", "I;16L", "I;16B", "I;16N", "I"}
REDUCIBLE_MODES = {"L", "LA", "RGB", "RGBA", "I", "F"}

# We enforce our own pixel limit before decoding; Pillow's warning would only duplicate it.
Image.MAX_IMAGE_PIXELS = None


class InvalidImage(ValueError):
    """The bytes are not an image we accept; the message is fit to show a user.

    ``too_large`` tells a web layer to answer 413 (shrink it) rather than 400 (broken).
    """

    def __init__(self, message: str, too_large: bool = False):
        super().__init__(message)
        self.too_large = too_large


@dataclass(frozen=True)
class Picture:
    """A decoded picture: ``image`` (upright BGR, at most MAX_WORKING_SIDE a side) and the size of
    the picture itself, upright (after its EXIF rotation), which ``image`` may be a reduction of."""

    image: np.ndarray
    width: int
    height: int

    def original_box(self, box) -> tuple[int, int, int, int]:
        """A box (x, y, w, h) found in ``image``, in the picture's own pixels, kept inside it."""
        work_height, work_width = self.image.shape[:2]
        sx, sy = self.width / work_width, self.height / work_height
        x, y, w, h = (float(v) for v in box)
        left = min(max(0, round(x * sx)), self.width - 1)
        top = min(max(0, round(y * sy)), self.height - 1)
        right = min(self.width, max(left + 1, round((x + w) * sx)))
        bottom = min(self.height, max(top + 1, round((y + h) * sy)))
        return left, top, right - left, bottom - top

    def in_original_pixels(self, faces: list) -> list:
        """``faces`` (dataclasses with a ``box``, such as app.vision.Face) with their boxes in the
        picture's own pixels."""
        if self.image.shape[:2] == (self.height, self.width):
            return list(faces)
        return [replace(face, box=self.original_box(face.box)) for face in faces]


def decode_image(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Decode JPEG/PNG/WebP/BMP bytes to an upright BGR uint8 array, at most MAX_WORKING_SIDE a side."""
    return decode_picture(data, max_pixels).image


def decode_picture(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> Picture:
    """Like ``decode_image``, keeping the picture's own upright size for reporting boxes in it."""
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
                rgb = upright_rgb(image)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            raise InvalidImage("The image file is damaged or truncated.") from None
        if exif_orientation(image) in QUARTER_TURNS:
            width, height = height, width
    return Picture(np.ascontiguousarray(rgb[:, :, ::-1]), int(width), int(height))


def exif_orientation(image: Image.Image) -> int | None:
    try:
        return image.getexif().get(0x0112)
    except (OSError, ValueError, SyntaxError):
        return None


def upright_rgb(image: Image.Image) -> np.ndarray:
    """Decode (a truncated or corrupt file fails here), shrink, apply EXIF rotation, make RGB."""
    if image.format in {"JPEG", "MPO"} and max(image.size) > MAX_WORKING_SIDE:
        image.draft("RGB", (MAX_WORKING_SIDE, MAX_WORKING_SIDE))  # decode at 1/2, 1/4 or 1/8 scale
    image.load()
    exif = image.getexif()  # read before conversions, which drop it
    if image.mode in SIXTEEN_BIT_MODES:
        image = eight_bit_gray(image)
    factor = -(-max(image.size) // MAX_WORKING_SIDE)  # ceiling division
    if factor > 1:
        if image.mode not in REDUCIBLE_MODES:
            image = image.convert("RGBA" if "transparency" in image.info else "RGB")
        image = image.reduce(factor)
    orientation = exif.get(0x0112)
    if orientation in ORIENTATION_TRANSPOSE:
        image = image.transpose(ORIENTATION_TRANSPOSE[orientation])
    return np.asarray(image.convert("RGB"))


ORIENTATION_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


QUARTER_TURNS = {5, 6, 7, 8}  # orientations whose transposition swaps width and height


def eight_bit_gray(image: Image.Image) -> Image.Image:
    """16-bit (or 32-bit integer) gray to 8 bits by scale, not by clipping everything above 255."""
    pixels = np.asarray(image).astype(np.uint32)
    peak = 65535 if image.mode.startswith("I;16") or pixels.max(initial=0) > 255 else 255
    return Image.fromarray((pixels * 255 // peak).clip(0, 255).astype(np.uint8), "L")

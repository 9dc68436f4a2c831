"""Small guards for values that come straight from a request.

* Row ids: the database's integer columns hold at most 2**31 - 1 (PostgreSQL ``integer``);
  a larger number in a URL or query must be "no such row", not an overflow in the driver.
* File names: shown back to their owner and stored in ``analyses.filename``; a browser or a
  script can send anything there, including NUL (which PostgreSQL refuses), lone UTF-16
  surrogates (which no UTF-8 database accepts), control and bidirectional-override characters
  (which make a name display as something else) and client-side paths.
"""
import unicodedata

from werkzeug.routing import IntegerConverter

MAX_ROW_ID = 2**31 - 1
MAX_FILENAME_LENGTH = 255


def is_row_id(text: str) -> bool:
    """True for a plain decimal number that can be a row id."""
    return text.isascii() and text.isdigit() and len(text) <= 10 and 0 < int(text) <= MAX_ROW_ID


class RowIdConverter(IntegerConverter):
    """``<int:...>`` in URLs, bounded to what an integer column can hold (larger: 404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ROW_ID)
        super().__init__(map, *args, **kwargs)


def clean_filename(name: str | None, default: str = "image") -> str:
    """The last path component of ``name`` as valid, printable Unicode, at most 255 characters.

    Lone surrogates become U+FFFD; control and format characters (NUL, newlines, bidi
    overrides, zero-width joiners...) are dropped; an empty result becomes ``default``."""
    if not isinstance(name, str):
        return default
    name = "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in name)  # lone surrogates
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Co", "Cn"))
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if name in ("", ".", ".."):
        return default
    return name[:MAX_FILENAME_LENGTH]

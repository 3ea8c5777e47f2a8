"""One text form for every source, and plain-text attachments.

Every reader (PDF text layer, OCR, DOCX, text files) ends in :func:`normalise`, so the
recogniser sees the same spaces, line ends and page separators (form feeds) whatever the
format; ``_letters`` is the package's one measure of "is there any text here".
"""

from __future__ import annotations

import re
import unicodedata

from ..htmltext import html_to_text, looks_like_html
from .model import EMPTY, _Leaf

# ------------------------------------------------------------------------------------------
# Text normalisation

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u3000]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufffe\uffff]")
_BLANK_LINES = re.compile(r"\n{3,}")


def normalise(text: str) -> str:
    """One form for all sources: NFKC (ligatures), \\n line ends, single spaces, <= 1 blank line.

    Form feeds are kept: they separate pages.
    """
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\x02", "")  # PDFium's soft hyphen at line ends
    text = _CONTROL.sub("", text)
    pages = []
    for page in text.split("\f"):
        lines = [_SPACES.sub(" ", line).strip() for line in page.split("\n")]
        pages.append(_BLANK_LINES.sub("\n\n", "\n".join(lines)).strip())
    return "\f".join(pages)


_LETTER = re.compile(r"[^\W\d_]")


def _letters(text: str) -> int:
    return len(_LETTER.findall(text))

# ------------------------------------------------------------------------------------------
# Plain text


def _extract_text(data: bytes) -> _Leaf:
    """UTF-8/16 by BOM, else UTF-8, else Windows-1252; HTML tags dropped."""
    if data.startswith(b"\xef\xbb\xbf"):
        text = data[3:].decode("utf-8", "replace")
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", "replace")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1252", "replace")
    if looks_like_html(text):
        text = html_to_text(text)
    text = normalise(text)
    if not _letters(text):
        return _Leaf(kind="text", method="text", text=text, error=EMPTY, detail="the file has no text")
    return _Leaf(kind="text", method="text", text=text)

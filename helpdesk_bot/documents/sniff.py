"""What a file is, from its bytes: requesters' names say nothing and extensions lie.

A scan saved as ``surat.jpg.pdf``, a DOCX renamed ``.doc``, a ZIP called ``lampiran``: the
kind comes from magic bytes (and a ZIP's directory, to tell DOCX from a folder of files), never
from the name. Nothing here parses beyond the first bytes and a ZIP's central directory.
"""

from __future__ import annotations

import io
import zipfile

def sniff(data: bytes) -> str:
    """The kind of ``data`` from its first bytes (and a ZIP's directory), never its name."""
    head = data[:8]
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _sniff_zip(data)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "doc"
    if head[:4] == b"\x78\x9f\x3e\x22":
        return "tnef"
    if _is_image(data):
        return "image"
    if data[:1024].find(b"%PDF-") >= 0:  # readers accept junk before the header; so do we
        return "pdf"
    if _looks_like_text(data):
        return "text"
    return "unknown"

# ------------------------------------------------------------------------------------------
# Sniffing helpers

_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*", b"BM")


def _is_image(data: bytes) -> bool:
    if data.startswith(_IMAGE_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return True
    return False


def _sniff_zip(data: bytes) -> str:
    """DOCX is a ZIP with word/document.xml; other OOXML/ODF packages are not readable here."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except Exception:
        return "zip"  # a damaged ZIP; the ZIP reader reports it
    if "word/document.xml" in names and "[Content_Types].xml" in names:
        return "docx"
    if "[Content_Types].xml" in names or "mimetype" in names:
        return "unknown"  # xlsx, pptx, odt...: a ZIP by format, not a folder of documents
    return "zip"


def _sniff_cheap(data: bytes) -> str:
    """For refused files: the kind without opening anything."""
    head = data[:8]
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK"):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "doc"
    if head[:4] == b"\x78\x9f\x3e\x22":
        return "tnef"
    return "image" if _is_image(data) else "unknown"


def _looks_like_text(data: bytes) -> bool:
    """UTF-8/UTF-16 with a BOM, or bytes without NULs that are mostly printable."""
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return True
    sample = data[:8192]
    if not sample or b"\x00" in sample:
        return False
    if sample.lstrip().startswith(b"{\\rtf"):
        return False
    printable = sum(1 for b in sample if b >= 32 or b in (9, 10, 12, 13))
    return printable / len(sample) > 0.95


def _unsupported_detail(data: bytes) -> str:
    if data.lstrip()[:5] == b"{\\rtf":
        return "RTF documents are not supported; PDF or DOCX is needed"
    if data.startswith(b"PK"):
        return "an Office/OpenDocument package other than Word (e.g. xlsx, pptx, odt) is not supported"
    return f"unknown file format (starts with {data[:8].hex()})"


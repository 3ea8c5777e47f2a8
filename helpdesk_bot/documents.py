"""The documents stage: the text of each attachment, robustly and within limits.

Requesters send scanned letters, phone photos, Word files, ZIPs and winmail.dat, often with
names that say nothing and extensions that lie, so the kind is sniffed from the content. Every
path is bounded: sizes are checked before parsing, ZIP limits are checked from the headers *and*
while decompressing (headers lie), PDFs are read up to ``max_pdf_pages`` and OCR runs on at most
``max_ocr_pages`` pages under a per-page and a per-mail time budget. Nothing here raises: any
failure becomes a :class:`DocumentText` with a short ``error`` code and an English ``detail``,
so one bad file never blocks the mail and staff can see why a document was not read.

Choices (measured on this machine, see bench/bench_documents.py and tests/test_documents.py):

* PDF text comes from pypdfium2 (about 1 ms a page); pdfplumber (about 45 ms a page) is only
  opened when the PDF has an AcroForm, to read the field values, which are not in the page text.
* A page with fewer than ``MIN_LETTERS`` letters in its text layer (or a full-page image with a
  tiny text layer, like a "Scanned with CamScanner" stamp) is rendered at ``OCR_DPI`` = 200 dpi
  in grey and OCRed with tesseract ``ind``. 200 dpi read every word of the test forms, like
  300 dpi, in 60 % of the time (0.34 s against 0.55 s for a clean page); 150 dpi was not
  faster enough to risk small print.
* Orientation: tesseract's own layout pass already copes with slight skew (3 degrees read 24/24
  words) and often with 270 degrees, so the first pass is at 0 degrees. Only when that pass
  yields mostly low-confidence words does OSD (``image_to_osd``, on a 150 dpi copy, ~0.45 s)
  pick the rotation, and the better of the two readings is kept.
* ``OMP_THREAD_LIMIT=1`` is set (if unset) on import: tesseract is 4x faster single-threaded
  for page-sized images (TESTING.md section 5).
* Decisions about limits: a PDF longer than ``max_pdf_pages`` is read up to that page and
  noted in ``detail`` (not an error: forms put their title on page 1); a PDF of more than
  ``ABSURD_PAGES_FACTOR`` x ``max_pdf_pages`` pages is refused as ``too_many_pages``. Attachments
  beyond ``max_attachments`` get the extra code ``too_many_attachments``.
* The cache is keyed by the content's SHA-256. Only complete leaf results are stored (not
  container errors, which are cheap to recompute, nor results cut short by a time budget or a
  missing tesseract, which may succeed later).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import re
import threading
import time
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Any, Protocol

os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # before pytesseract runs tesseract

from .config import LimitsConfig  # noqa: E402
from .envelope import Attachment  # noqa: E402
from .htmltext import html_to_text, looks_like_html  # noqa: E402

# Error codes (the contract with classify/replies; "" means fine).
ENCRYPTED = "encrypted"
BROKEN = "broken"
TOO_LARGE = "too_large"
TOO_MANY_PAGES = "too_many_pages"
TOO_MANY_ATTACHMENTS = "too_many_attachments"
OLD_DOC_FORMAT = "old_doc_format"
ZIP_BOMB = "zip_bomb"
ZIP_TOO_DEEP = "zip_too_deep"
UNSUPPORTED = "unsupported"
OCR_TIMEOUT = "ocr_timeout"
OCR_UNAVAILABLE = "ocr_unavailable"
EMPTY = "empty"

#: Errors that depend only on the bytes, so they may be cached like a success.
_CACHEABLE_ERRORS = frozenset({"", ENCRYPTED, BROKEN, OLD_DOC_FORMAT, UNSUPPORTED, EMPTY})

#: A page whose text layer has fewer letters than this is treated as a scan and OCRed.
MIN_LETTERS = 20
#: A page mostly covered by one image with fewer letters than this is OCRed as well (scanner apps
#: stamp a line of text on image-only pages).
MIN_LETTERS_OVER_IMAGE = 100
OCR_DPI = 200
OSD_DPI = 150
#: Never render a page to more pixels than this (an A3 page at 200 dpi is 7.7 MP).
MAX_RENDER_PIXELS = 12_000_000
#: An image (embedded in a PDF, or attached) with more pixels is not decoded for OCR: decoding
#: it would take hundreds of MB. JPEGs are decoded downscaled, so they get a larger allowance.
MAX_IMAGE_PIXELS = 40_000_000
MAX_JPEG_PIXELS = 400_000_000
#: Attached images are downscaled so the long side is at most this (about 250 dpi for A4).
MAX_IMAGE_SIDE = 3000
ABSURD_PAGES_FACTOR = 100
#: Members smaller than this are not held to the compression-ratio limit (a page of spaces
#: compresses 100x and harms no one).
RATIO_FLOOR_BYTES = 1024 * 1024
_CHUNK = 64 * 1024
#: An OCR call gets at least this many seconds, or it is not started.
_MIN_OCR_SECONDS = 0.5
_DETAIL_MAX = 300

_PDFIUM_LOCK = threading.RLock()  # PDFium is not thread-safe; OCR runs outside the lock


# ------------------------------------------------------------------------------------------
# Public types


@dataclass(frozen=True)
class DocumentText:
    filename: str
    sha256: str
    kind: str
    method: str
    text: str
    form_values: dict[str, str] = field(default_factory=dict)
    error: str = ""
    detail: str = ""
    origin: str = ""
    pages: int = 0

    def to_json(self) -> dict:
        """Plain JSON types only, for the SQLite cache and the CLI's --json output."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> "DocumentText":
        """Tolerates missing and unknown keys, so old cache rows still load after a change."""
        names = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: v for k, v in d.items() if k in names}
        kwargs["form_values"] = {str(k): str(v) for k, v in dict(kwargs.get("form_values") or {}).items()}
        for key in ("filename", "sha256", "kind", "method", "text"):
            kwargs.setdefault(key, "")
        kwargs["pages"] = int(kwargs.get("pages") or 0)
        return cls(**kwargs)

    @property
    def ok(self) -> bool:
        return not self.error


class DocumentCache(Protocol):
    def get(self, sha256: str) -> DocumentText | None: ...

    def put(self, doc: DocumentText) -> None: ...


class _Failure(Exception):
    """Raised inside an extractor; becomes a DocumentText with this code at the boundary."""

    def __init__(self, code: str, detail: str, cacheable: bool | None = None):
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.cacheable = code in _CACHEABLE_ERRORS if cacheable is None else cacheable


@dataclass
class _Context:
    """State shared by all attachments of one mail: limits, the deadline, the ZIP budget.

    The ZIP budget (members, inflated bytes) is the mail's, not each attachment's: with a
    budget per attachment, 30 ZIPs of 99 MiB each were all "within the limit".
    """

    limits: LimitsConfig
    deadline: float
    cache: DocumentCache | None
    zip_bytes: int = 0
    zip_members: int = 0

    def seconds_left(self) -> float:
        return self.deadline - time.monotonic()


@dataclass
class _Leaf:
    """What a leaf extractor returns; ``complete`` is False when a budget cut it short."""

    kind: str
    method: str
    text: str
    pages: int = 0
    form_values: dict[str, str] = field(default_factory=dict)
    error: str = ""
    detail: str = ""
    complete: bool = True


# ------------------------------------------------------------------------------------------
# Entry points


def extract_all(attachments: list[Attachment], limits: LimitsConfig,
                cache: DocumentCache | None = None) -> list[DocumentText]:
    """Text of every attachment of one mail, sharing one OCR deadline (ocr_seconds_per_mail)."""
    ctx = _Context(limits=limits, deadline=time.monotonic() + limits.ocr_seconds_per_mail, cache=cache)
    out: list[DocumentText] = []
    for i, att in enumerate(attachments):
        if i >= limits.max_attachments:
            out.append(_error_doc(att.filename, _sha(att), "unknown", TOO_MANY_ATTACHMENTS,
                                  f"the mail has {len(attachments)} attachments; only the first "
                                  f"{limits.max_attachments} are read", att.origin))
            continue
        out.extend(_extract_attachment(att, ctx))
    return out


def extract_one(att: Attachment, limits: LimitsConfig, cache: DocumentCache | None = None,
                deadline: float | None = None) -> list[DocumentText]:
    """Text of one attachment; a ZIP or winmail.dat gives one entry per member. Never raises."""
    if deadline is None:
        deadline = time.monotonic() + limits.ocr_seconds_per_mail
    return _extract_attachment(att, _Context(limits=limits, deadline=deadline, cache=cache))


def _extract_attachment(att: Attachment, ctx: _Context) -> list[DocumentText]:
    try:
        return _extract_node(att.filename or "lampiran", att.data, att.origin, ctx, depth=0,
                             sha=_sha(att))
    except Exception as e:  # the last line of defence: never let a document kill the daemon
        return [_error_doc(att.filename, _sha(att), "unknown", BROKEN, _describe(e), att.origin)]


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
# Dispatch and cache


def _extract_node(name: str, data: bytes, origin: str, ctx: _Context, depth: int,
                  sha: str | None = None) -> list[DocumentText]:
    """One file of the tree: cache lookup, size check, sniff, then the extractor for its kind."""
    sha = sha or hashlib.sha256(data).hexdigest()
    cached = _cache_get(ctx.cache, sha)
    if cached is not None:
        return [dataclasses.replace(cached, filename=name, origin=origin)]
    if len(data) > ctx.limits.max_attachment_bytes:
        return [_error_doc(name, sha, _sniff_cheap(data), TOO_LARGE,
                           f"{_mb(len(data))} is over the limit of {_mb(ctx.limits.max_attachment_bytes)}",
                           origin)]
    kind = sniff(data)
    if kind in ("zip", "tnef"):
        try:
            return _expand_container(kind, name, data, origin, ctx, depth)
        except _Failure as f:
            return [_error_doc(name, sha, kind, f.code, f.detail, origin)]
    try:
        leaf = _extract_leaf(kind, data, ctx)
    except _Failure as f:
        leaf = _Leaf(kind=kind, method="none", text="", error=f.code, detail=f.detail,
                     complete=f.cacheable)
    except Exception as e:
        leaf = _Leaf(kind=kind, method="none", text="", error=_code_for(e), detail=_describe(e))
    doc = DocumentText(filename=name, sha256=sha, kind=leaf.kind, method=leaf.method,
                       text=leaf.text, form_values=leaf.form_values, error=leaf.error,
                       detail=leaf.detail[:_DETAIL_MAX], origin=origin, pages=leaf.pages)
    if leaf.complete and doc.error in _CACHEABLE_ERRORS:
        _cache_put(ctx.cache, doc)
    return [doc]


def _extract_leaf(kind: str, data: bytes, ctx: _Context) -> _Leaf:
    if not data:
        return _Leaf(kind="unknown", method="none", text="", error=EMPTY, detail="the file is empty")
    if kind == "pdf":
        return _extract_pdf(data, ctx)
    if kind == "docx":
        return _extract_docx(data, ctx)
    if kind == "image":
        return _extract_image(data, ctx)
    if kind == "text":
        return _extract_text(data)
    if kind == "doc":
        raise _Failure(OLD_DOC_FORMAT, "old Microsoft Office (OLE2) file such as a Word 97-2003 .doc: "
                                       "cannot be read; PDF or DOCX is needed")
    raise _Failure(UNSUPPORTED, _unsupported_detail(data))


def _cache_get(cache: DocumentCache | None, sha: str) -> DocumentText | None:
    """A cache that fails is a cache miss: extraction must not depend on it."""
    if cache is None:
        return None
    try:
        return cache.get(sha)
    except Exception:
        return None


def _cache_put(cache: DocumentCache | None, doc: DocumentText) -> None:
    if cache is None:
        return
    try:
        cache.put(doc)
    except Exception:
        pass


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
# PDF


@dataclass
class _PdfScan:
    """What is read from the PDF under the PDFium lock."""

    total_pages: int
    texts: list[str]
    to_ocr: list[tuple[int, Any]]  # (page index, PIL image)
    has_form: bool
    notes: list[str]
    #: Pages that needed OCR but the mail's time budget was spent before they were rendered.
    out_of_time: int = 0


def _extract_pdf(data: bytes, ctx: _Context) -> _Leaf:
    """Text layer of each page; OCR for pages without one; AcroForm values when there is a form."""
    scan = _read_pdf(data, ctx)
    texts, notes, complete = list(scan.texts), list(scan.notes), not scan.out_of_time
    ocr_used = False
    ocr_errors: list[str] = [OCR_TIMEOUT] if scan.out_of_time else []
    for index, image in scan.to_ocr:
        result = _ocr(image, ctx)
        if result.error:
            ocr_errors.append(result.error)
            notes.append(f"page {index + 1}: {result.detail}")
            complete = False
            continue
        ocr_used = True
        layer = texts[index].strip()
        texts[index] = f"{layer}\n{result.text}" if layer else result.text
    form_values = _acroform_values(data) if scan.has_form else {}
    text = normalise("\f".join(texts))
    leaf = _Leaf(kind="pdf", method="ocr" if ocr_used else "pdf-text", text=text,
                 pages=scan.total_pages, form_values=form_values, detail="; ".join(notes),
                 complete=complete)
    if not _letters(text) and not form_values:
        leaf.method = "none" if not ocr_used else leaf.method
        leaf.error = ocr_errors[0] if ocr_errors else EMPTY
        if not leaf.detail:
            leaf.detail = "no text layer and OCR found no text" if scan.to_ocr else "the PDF has no text"
    elif ocr_errors and not leaf.detail:
        leaf.detail = "some pages could not be OCRed"
    return leaf


def _read_pdf(data: bytes, ctx: _Context) -> _PdfScan:
    import pypdfium2 as pdfium

    limits = ctx.limits
    _check_pdf_streams(data, limits.max_pdf_inflated_bytes)
    with _PDFIUM_LOCK:
        try:
            doc = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as e:
            if getattr(e, "err_code", None) in (4, 5):  # FPDF_ERR_PASSWORD, FPDF_ERR_SECURITY
                raise _Failure(ENCRYPTED, "the PDF is password-protected")
            raise _Failure(BROKEN, f"the PDF cannot be opened ({_pdfium_reason(e)})")
        try:
            total = len(doc)
            if total == 0:
                raise _Failure(BROKEN, "the PDF has no pages")
            if total > ABSURD_PAGES_FACTOR * limits.max_pdf_pages:
                raise _Failure(TOO_MANY_PAGES, f"the PDF has {total} pages (read up to "
                                               f"{limits.max_pdf_pages}, refused over "
                                               f"{ABSURD_PAGES_FACTOR * limits.max_pdf_pages})")
            scan = _PdfScan(total_pages=total, texts=[], to_ocr=[], has_form=_has_form(doc), notes=[])
            if total > limits.max_pdf_pages:
                scan.notes.append(f"only the first {limits.max_pdf_pages} of {total} pages were read")
            for index in range(min(total, limits.max_pdf_pages)):
                _read_pdf_page(doc, index, ctx, scan)
            return scan
        finally:
            doc.close()


def _read_pdf_page(doc: Any, index: int, ctx: _Context, scan: _PdfScan) -> None:
    """Text layer of one page; renders it for OCR when it looks scanned and budgets allow."""
    page = doc[index]
    try:
        textpage = page.get_textpage()
        try:
            text = textpage.get_text_bounded()
        finally:
            textpage.close()
        scan.texts.append(text)
        letters = _letters(text)
        if letters >= MIN_LETTERS_OVER_IMAGE:
            return
        marks = _page_marks(page)
        if not marks.any or (letters >= MIN_LETTERS and not marks.full_page_image):
            return
        if len(scan.to_ocr) >= ctx.limits.max_ocr_pages:
            scan.notes.append(f"page {index + 1}: not OCRed (max_ocr_pages = {ctx.limits.max_ocr_pages})")
            return
        if marks.largest_image_px > MAX_IMAGE_PIXELS:
            scan.notes.append(f"page {index + 1}: not OCRed, its image has "
                              f"{marks.largest_image_px // 1_000_000} MP")
            return
        if ctx.seconds_left() < _MIN_OCR_SECONDS:
            scan.notes.append(f"page {index + 1}: not OCRed, the mail's OCR time budget is spent")
            scan.out_of_time += 1
            return
        scan.to_ocr.append((index, _render(page, OCR_DPI)))
    finally:
        page.close()


#: A stream: the keyword (not "endstream") and its line end; the dictionary before it names
#: the filters. Both patterns start at a literal and never backtrack past it.
_PDF_STREAM = re.compile(rb"(?<!end)stream\r?\n")
_PDF_FILTER = re.compile(rb"/Filter\s*+(\[[^\]]{0,300}\]|/[A-Za-z0-9]++)")
_PDF_NAME = re.compile(rb"/([A-Za-z0-9]++)")
_PDF_IMAGE = re.compile(rb"/Subtype\s*+/Image(?![A-Za-z0-9])")
_FLATE, _AHX, _A85, _RL = ("FlateDecode", "Fl"), ("ASCIIHexDecode", "AHx"), ("ASCII85Decode", "A85"), \
    ("RunLengthDecode", "RL")


def _check_pdf_streams(data: bytes, cap: int) -> None:
    """Refuse a PDF whose streams inflate past ``cap`` bytes, before PDFium opens it.

    PDFium inflates a page's content stream whole: a 3 MB PDF whose FlateDecode stream
    inflates to gigabytes took the process to 4.1 GB for 3 minutes. Each stream is inflated
    here in chunks that are counted and dropped (ASCIIHex/ASCII85 wrappers decoded first,
    RunLength counted without expanding), so memory stays at one chunk and the work stops at
    the cap (inflating is the cost: about 20 ms a MiB of a bomb on the 2-core test machine).
    Image streams, image codecs (DCT, JPX, JBIG2, CCITT) and LZW are counted at their encoded
    size: PDFium decodes an image only to render it for OCR, bounded by its declared pixels
    (MAX_IMAGE_PIXELS); the unit's MemoryMax= is the backstop for the rest.
    """
    total, pos, view = 0, 0, memoryview(data)
    while m := _PDF_STREAM.search(data, pos):
        start = m.end()
        end = data.find(b"endstream", start)
        end = len(data) if end < 0 else end
        pos = end + 1  # the next stream starts after this one ("stream" inside data is data)
        head = data[max(0, m.start() - 1024):m.start()]
        cut = max(head.rfind(b"endobj"), head.rfind(b"endstream"))
        head = head[cut + 1:] if cut >= 0 else head
        if _PDF_IMAGE.search(head):
            total += end - start  # decoded only when rendered for OCR, within the pixel limits
            continue
        f = _PDF_FILTER.search(head)
        names = [n.decode("ascii", "replace") for n in _PDF_NAME.findall(f.group(1))] if f else []
        total += _stream_size(view[start:end], names, cap - total)
        if total > cap:
            raise _Failure(TOO_LARGE, f"the PDF's streams inflate past {_mb(cap)} "
                                      f"(max_pdf_inflated_bytes)", cacheable=True)


def _stream_size(raw: memoryview, filters: list[str], budget: int) -> int:
    """Decoded size of one stream, or budget + 1 as soon as it exceeds ``budget``."""
    import base64
    import binascii

    data: bytes | memoryview = raw
    for i, name in enumerate(filters):
        try:
            if name in _AHX:
                data = bytes(data)
                hexdigits = bytes(c for c in data.split(b">", 1)[0] if c not in b" \t\r\n\f\x00")
                data = binascii.unhexlify(hexdigits + (b"0" if len(hexdigits) % 2 else b""))
            elif name in _A85:
                data = bytes(data)
                data = base64.a85decode(data.strip().removeprefix(b"<~").split(b"~>", 1)[0] + b"~>", adobe=True)
            elif name in _FLATE:
                if i == len(filters) - 1:
                    return _inflated_size(data, budget)
                data = _inflate(data, budget)
            elif name in _RL:
                return _runlength_size(data, budget) if i == len(filters) - 1 else len(data)
            else:
                return len(data)  # image codecs and LZW: their encoded size (see above)
        except (ValueError, binascii.Error, zlib.error):
            return len(data)  # PDFium will fail on it too; nothing to inflate
    return len(data)


_MIB_OUT = 1024 * 1024


def _inflated_size(data: bytes | memoryview, budget: int) -> int:
    """Inflated size of a Flate stream, counted and dropped in chunks; stops past ``budget``.

    Input goes in 16 KiB at a time: zlib copies the unconsumed input on every call, so
    feeding it all at once costs input x calls (18 s for a 3 MB stream).
    """
    d = zlib.decompressobj()
    size = 0
    try:
        for at in range(0, len(data), 16 * 1024):
            pending = data[at:at + 16 * 1024]
            while pending and size <= budget:
                size += len(d.decompress(pending, _MIB_OUT))
                pending = d.unconsumed_tail
            if d.eof or size > budget:
                break
    except zlib.error:
        pass  # a damaged stream: what was inflated so far counts
    return size


def _inflate(data: bytes | memoryview, budget: int) -> bytes:
    """A Flate stage followed by another filter (rare): its output, at most budget + 1 bytes."""
    return zlib.decompressobj().decompress(data, budget + 1)


def _runlength_size(data: bytes | memoryview, budget: int) -> int:
    size, i, n = 0, 0, len(data)
    while i < n and size <= budget:
        length = data[i]
        if length == 128:
            break
        if length < 128:
            size += length + 1
            i += length + 2
        else:
            size += 257 - length
            i += 2
    return size


@dataclass
class _Marks:
    any: bool = False
    full_page_image: bool = False
    largest_image_px: int = 0


def _page_marks(page: Any) -> _Marks:
    """Whether a page has images or paths (something to OCR), and how big its images are."""
    import pypdfium2.raw as pdfium_c

    marks = _Marks()
    pw, ph = page.get_size()
    page_area = max(pw * ph, 1.0)
    for n, obj in enumerate(page.get_objects(max_depth=3)):
        if n > 5000:
            break
        if obj.type == pdfium_c.FPDF_PAGEOBJ_PATH:
            marks.any = True
        elif obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            marks.any = True
            try:
                w, h = obj.get_px_size()
                marks.largest_image_px = max(marks.largest_image_px, w * h)
                left, bottom, right, top = obj.get_bounds()
                if (right - left) * (top - bottom) >= 0.5 * page_area:
                    marks.full_page_image = True
            except Exception:
                continue
    return marks


def _render(page: Any, dpi: int) -> Any:
    """A grey PIL image of the page at ``dpi``, fewer pixels if the page is huge."""
    pw, ph = page.get_size()
    scale = dpi / 72
    if pw * ph * scale * scale > MAX_RENDER_PIXELS:
        scale = (MAX_RENDER_PIXELS / max(pw * ph, 1.0)) ** 0.5
    return page.render(scale=scale, grayscale=True, may_draw_forms=False).to_pil().convert("L")


def _has_form(doc: Any) -> bool:
    try:
        return doc.get_formtype() != 0
    except Exception:
        return False


def _pdfium_reason(e: Exception) -> str:
    m = re.search(r"PDFium: ([^)]+)", str(e))
    return m.group(1) if m else str(e)


def _acroform_values(data: bytes) -> dict[str, str]:
    """Filled-in AcroForm fields by full name (``parent.child``), read with pdfplumber.

    The catalog's field tree is walked rather than each page's annotations: it gives the full
    names and the values that sit on a parent field, and it needs no page parsing.
    """
    try:
        import pdfplumber
        from pdfminer.pdftypes import resolve1

        with pdfplumber.open(io.BytesIO(data)) as pdf:
            form = resolve1(pdf.doc.catalog.get("AcroForm"))
            if not isinstance(form, dict):
                return {}
            values: dict[str, str] = {}
            _walk_fields(resolve1(form.get("Fields")) or [], "", values, 0)
            return values
    except Exception:
        return {}


def _walk_fields(fields: list, prefix: str, out: dict[str, str], depth: int) -> None:
    from pdfminer.pdftypes import resolve1

    if depth > 10 or len(out) > 500:
        return
    for ref in fields:
        f = resolve1(ref)
        if not isinstance(f, dict):
            continue
        name = _pdf_string(resolve1(f.get("T")))
        full = f"{prefix}.{name}" if prefix and name else (name or prefix)
        kids = resolve1(f.get("Kids"))
        if "V" in f and full:
            value = _pdf_string(resolve1(f.get("V")))
            if value:
                out[full] = value
        if isinstance(kids, list):
            _walk_fields(kids, full, out, depth + 1)


def _pdf_string(value: Any) -> str:
    """PDF text strings: UTF-16 with BOM or PDFDocEncoding; names (/Yes) as their text."""
    from pdfminer.psparser import PSLiteral
    from pdfminer.utils import decode_text

    if value is None:
        return ""
    if isinstance(value, bytes):
        return decode_text(value).strip()
    if isinstance(value, PSLiteral):
        name = value.name
        return (name.decode("latin-1") if isinstance(name, bytes) else str(name)).strip()
    if isinstance(value, list):
        return ", ".join(filter(None, (_pdf_string(v) for v in value)))
    return str(value).strip()


# ------------------------------------------------------------------------------------------
# OCR


@dataclass
class _OcrResult:
    text: str = ""
    error: str = ""
    detail: str = ""


_tesseract_lang: str | None = None
_tesseract_checked = False


def _ocr_language() -> str | None:
    """"ind" when installed, else "eng" (Indonesian is plain Latin script), else None."""
    global _tesseract_lang, _tesseract_checked
    if not _tesseract_checked:
        try:
            import pytesseract

            langs = set(pytesseract.get_languages(config=""))
            _tesseract_lang = "ind" if "ind" in langs else ("eng" if "eng" in langs else None)
        except Exception:
            _tesseract_lang = None
        _tesseract_checked = True
    return _tesseract_lang


def _ocr(image: Any, ctx: _Context) -> _OcrResult:
    """OCR one page image within the page and mail budgets, fixing its orientation if needed."""
    lang = _ocr_language()
    if lang is None:
        return _OcrResult(error=OCR_UNAVAILABLE, detail="tesseract or its language data is not installed")
    page_deadline = min(time.monotonic() + ctx.limits.ocr_seconds_per_page, ctx.deadline)
    try:
        image = _deskew(image)
        first = _tesseract(image, lang, page_deadline)
        if first.good_ratio >= 0.5 or first.words < 3:
            return _OcrResult(text=first.text)
        best = first
        rotation = _osd_rotation(image, page_deadline)
        if rotation:
            turned = _tesseract(image.rotate(-rotation, expand=True), lang, page_deadline)
            if turned.good > best.good:
                best = turned
        return _OcrResult(text=best.text)
    except _OcrTimeout:
        return _OcrResult(error=OCR_TIMEOUT, detail="OCR did not finish within the time budget")
    except Exception as e:
        if type(e).__name__ == "TesseractNotFoundError":
            return _OcrResult(error=OCR_UNAVAILABLE, detail="tesseract is not installed")
        return _OcrResult(error=BROKEN, detail=f"OCR failed: {_describe(e)}")


class _OcrTimeout(Exception):
    pass


#: Skew search: whole degrees first, then quarter degrees around the best one.
_SKEW_COARSE = (-4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0)
_SKEW_WIDTH = 400


def _deskew(image: Any) -> Any:
    """Straighten a page skewed by up to 4 degrees.

    Tesseract reads short skewed lines, but drops long ones (a 1.2 degree scan lost its title
    line and a whole paragraph). The angle is the one that makes the row profile sharpest:
    text lines become dark rows separated by white ones. Measured on a 400 px wide copy, whole
    degrees then quarter degrees, it costs about 30 ms a page.
    """
    from PIL import Image, ImageOps

    height = max(1, round(image.height * _SKEW_WIDTH / image.width))
    small = ImageOps.invert(image.convert("L")).resize((_SKEW_WIDTH, height), Image.Resampling.BILINEAR)
    small = small.point(lambda v: 255 if v > 96 else 0)
    scores: dict[float, float] = {}

    def sharpness(angle: float) -> float:
        if angle not in scores:
            rows = small.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=0)
            profile = rows.resize((1, rows.height), Image.Resampling.BOX).histogram()
            # Variance of the row means, from the histogram of the 1-pixel-wide column.
            n = sum(profile)
            mean = sum(v * c for v, c in enumerate(profile)) / n
            scores[angle] = sum(c * (v - mean) ** 2 for v, c in enumerate(profile)) / n
        return scores[angle]

    coarse = max(_SKEW_COARSE, key=sharpness)
    best = max((coarse + d for d in (-0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75)), key=sharpness)
    if abs(best) < 0.5 or sharpness(best) < sharpness(0.0) * 1.05:
        return image
    return image.rotate(best, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=255)


@dataclass
class _Reading:
    text: str
    words: int
    good: int

    @property
    def good_ratio(self) -> float:
        return self.good / self.words if self.words else 0.0


def _timeout(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left < _MIN_OCR_SECONDS:
        raise _OcrTimeout()
    return left


def _tesseract(image: Any, lang: str, deadline: float) -> _Reading:
    """One tesseract pass: text rebuilt line by line, plus how many words it is sure of."""
    import pytesseract

    # pytesseract hands the image over as a file in this format. Uncompressed TIFF: PNG's deflate
    # of a noisy 3000 px photo took 1.5 s of a 2 s OCR, and 8-bit grey BMPs are misread by
    # leptonica, which then drops whole lines (a photographed SK lost its title that way).
    image.format = "TIFF"
    try:
        data = pytesseract.image_to_data(image, lang=lang, config="--psm 3",
                                         output_type=pytesseract.Output.DICT, timeout=_timeout(deadline))
    except RuntimeError as e:
        if "timeout" in str(e).lower():
            raise _OcrTimeout() from e
        raise
    return _reading_from_data(data)


def _reading_from_data(data: dict) -> _Reading:
    lines: dict[tuple[int, int, int], list[str]] = {}
    words = good = 0
    for i, word in enumerate(data.get("text", [])):
        word = (word or "").strip()
        if not word:
            continue
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        lines.setdefault(key, []).append(word)
        if any(ch.isalnum() for ch in word):
            words += 1
            if float(data["conf"][i]) >= 60 and _letters(word) >= 3:
                good += 1
    out: list[str] = []
    previous_block = None
    for (block, _par, _line), ws in lines.items():
        if previous_block is not None and block != previous_block:
            out.append("")
        out.append(" ".join(ws))
        previous_block = block
    return _Reading(text="\n".join(out), words=words, good=good)


def _osd_rotation(image: Any, deadline: float) -> int:
    """Clockwise degrees that make the page upright, by tesseract OSD on a smaller copy; 0 if unsure."""
    import pytesseract

    scale = OSD_DPI / OCR_DPI
    small = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))))
    small.format = "TIFF"
    try:
        osd = pytesseract.image_to_osd(small, output_type=pytesseract.Output.DICT,
                                       timeout=_timeout(deadline))
    except RuntimeError as e:
        if "timeout" in str(e).lower():
            raise _OcrTimeout() from e
        return 0  # "Too few characters": no opinion
    except Exception:
        return 0
    return int(osd.get("rotate", 0)) % 360


# ------------------------------------------------------------------------------------------
# Images


def _extract_image(data: bytes, ctx: _Context) -> _Leaf:
    """Phone photos and scans saved as images (multi-page TIFF too): upright, grey, OCR."""
    from PIL import Image

    try:
        im = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as e:
        raise _Failure(TOO_LARGE, f"the image is too large to decode ({e})")
    except Exception as e:
        raise _Failure(BROKEN, f"the image cannot be read ({_describe(e)})")
    with im:
        frames = getattr(im, "n_frames", 1)
        texts, notes, errors = [], [], []
        for frame in range(min(frames, ctx.limits.max_ocr_pages)):
            if frame:
                im.seek(frame)
            page = _prepare_image(im)
            result = _ocr(page, ctx)
            if result.error:
                errors.append(result.error)
                notes.append(f"page {frame + 1}: {result.detail}" if frames > 1 else result.detail)
                texts.append("")
                continue
            texts.append(result.text)
        if frames > ctx.limits.max_ocr_pages:
            notes.append(f"only the first {ctx.limits.max_ocr_pages} of {frames} pages were OCRed")
    text = normalise("\f".join(texts))
    leaf = _Leaf(kind="image", method="ocr" if not errors or _letters(text) else "none", text=text,
                 pages=frames, detail="; ".join(notes), complete=not errors)
    if not _letters(text):
        leaf.error = errors[0] if errors else EMPTY
        leaf.detail = leaf.detail or "OCR found no text in the image"
    return leaf


def _prepare_image(im: Any) -> Any:
    """EXIF-upright, grey, at most MAX_IMAGE_SIDE on the long side; huge images refused."""
    from PIL import Image, ImageOps

    pixels = im.width * im.height
    if im.format == "JPEG":
        if pixels > MAX_JPEG_PIXELS:
            raise _Failure(TOO_LARGE, f"the photo has {pixels // 1_000_000} MP")
        im.draft("L", (MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))  # decode at 1/2, 1/4 or 1/8 size: cheap
    elif pixels > MAX_IMAGE_PIXELS:
        raise _Failure(TOO_LARGE, f"the image has {pixels // 1_000_000} MP")
    img = ImageOps.exif_transpose(im)
    if img.mode not in ("L", "RGB"):
        if "A" in img.getbands() or img.mode == "P":
            img = img.convert("RGBA")
            background = Image.new("RGBA", img.size, (255, 255, 255, 255))
            img = Image.alpha_composite(background, img)
    img = img.convert("L")
    longest = max(img.size)
    if longest > MAX_IMAGE_SIDE:
        factor = MAX_IMAGE_SIDE / longest
        img = img.resize((round(img.width * factor), round(img.height * factor)), Image.Resampling.LANCZOS)
    return img


# ------------------------------------------------------------------------------------------
# DOCX


def _extract_docx(data: bytes, ctx: _Context) -> _Leaf:
    """Headers, then the body's paragraphs and tables in document order, text boxes included."""
    import docx

    _check_package_size(data, ctx)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as e:
        raise _Failure(BROKEN, f"the Word file cannot be opened ({_describe(e)})")
    lines: list[str] = []
    seen_headers: set[str] = set()
    for section in document.sections:
        for hf in (section.first_page_header, section.header, section.even_page_header):
            try:
                if hf.is_linked_to_previous:
                    continue
                for line in _docx_blocks(hf):
                    if line not in seen_headers:
                        seen_headers.add(line)
                        lines.append(line)
            except Exception:
                continue
    lines.extend(_docx_blocks(document))
    text = normalise("\n".join(lines))
    if not _letters(text):
        return _Leaf(kind="docx", method="docx", text=text, error=EMPTY, detail="the Word file has no text")
    return _Leaf(kind="docx", method="docx", text=text)


def _docx_blocks(container: Any, depth: int = 0) -> list[str]:
    """Lines of a body, header or table cell: paragraphs, and table rows as "a | b"."""
    from docx.table import Table

    out: list[str] = []
    for block in container.iter_inner_content():
        if isinstance(block, Table):
            out.extend(_docx_table(block, depth))
        else:
            out.append(block.text)
            out.extend(_textbox_lines(block))
    return out


def _docx_table(table: Any, depth: int) -> list[str]:
    """One line per row; merged cells (repeated by python-docx) appear once; nested tables after."""
    out: list[str] = []
    if depth > 5:
        return out
    for row in table.rows:
        cells, nested, seen = [], [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            parts = []
            for block in cell.iter_inner_content():
                if hasattr(block, "rows"):
                    nested.extend(_docx_table(block, depth + 1))
                else:
                    parts.append(block.text)
            cells.append(" ".join(p for p in parts if p.strip()))
        out.append(" | ".join(c for c in cells if c))
        out.extend(nested)
    return out


def _textbox_lines(paragraph: Any) -> list[str]:
    """Text boxes anchored in a paragraph (python-docx skips them); Word stores each twice."""
    out: list[str] = []
    for p in paragraph._p.xpath(".//w:txbxContent//w:p"):
        line = "".join(t.text or "" for t in p.xpath(".//w:t"))
        if line.strip() and line not in out:
            out.append(line)
    return out


def _check_package_size(data: bytes, ctx: _Context) -> None:
    """A DOCX is a ZIP: refuse one whose XML would inflate past the ZIP limits."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except Exception as e:
        raise _Failure(BROKEN, f"the Word file is not a valid package ({_describe(e)})")
    _check_overlaps(infos, len(data))
    total = sum(i.file_size for i in infos)
    if ctx.zip_bytes + total > ctx.limits.zip_max_total_bytes:
        raise _Failure(ZIP_BOMB, f"the Word file inflates to {_mb(total)} (with the mail's other "
                                 f"archives {_mb(ctx.zip_bytes + total)}, limit "
                                 f"{_mb(ctx.limits.zip_max_total_bytes)})", cacheable=False)
    ctx.zip_bytes += total
    for i in infos:
        if i.file_size > RATIO_FLOOR_BYTES and i.file_size / max(i.compress_size, 1) > ctx.limits.zip_max_ratio:
            raise _Failure(ZIP_BOMB, f"{i.filename} in the Word file has compression ratio "
                                     f"{i.file_size // max(i.compress_size, 1)}")


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


# ------------------------------------------------------------------------------------------
# Containers: ZIP and TNEF

_JUNK = re.compile(r"(^|/)(__MACOSX/|\._|\.DS_Store$|Thumbs\.db$|desktop\.ini$)", re.I)


def _expand_container(kind: str, name: str, data: bytes, origin: str, ctx: _Context,
                      depth: int) -> list[DocumentText]:
    """Members of a ZIP or winmail.dat, each extracted as a file of its own."""
    if depth + 1 > ctx.limits.zip_max_depth:
        raise _Failure(ZIP_TOO_DEEP, f"containers nested more than {ctx.limits.zip_max_depth} deep")
    if kind == "tnef":
        return _expand_tnef(name, data, ctx, depth)
    return _expand_zip(name, data, origin, ctx, depth)


def _expand_zip(name: str, data: bytes, origin: str, ctx: _Context, depth: int) -> list[DocumentText]:
    sha = hashlib.sha256(data).hexdigest()
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as e:
        raise _Failure(BROKEN, f"the ZIP cannot be opened ({_describe(e)})")
    with zf:
        _check_overlaps(zf.infolist(), len(data))
        members = [i for i in zf.infolist() if not i.is_dir() and not _JUNK.search(i.filename)]
        _check_zip_headers(members, ctx)
        out: list[DocumentText] = []
        child_origin = f"zip:{name}"
        for info in members:
            display = f"{name}/{_zip_member_name(info)}"
            if info.flag_bits & 0x1:
                out.append(_error_doc(display, "", "unknown", ENCRYPTED, "the ZIP member is password-protected",
                                      child_origin))
                continue
            if info.file_size > ctx.limits.max_attachment_bytes:
                out.append(_error_doc(display, "", "unknown", TOO_LARGE,
                                      f"{_mb(info.file_size)} is over the limit of "
                                      f"{_mb(ctx.limits.max_attachment_bytes)}", child_origin))
                continue
            try:
                payload = _read_member(zf, info, ctx)
            except _Failure as f:
                if f.code == ZIP_BOMB:  # the whole archive is refused; members read so far stay
                    out.append(_error_doc(name, sha, "zip", f.code, f.detail, origin))
                    break
                out.append(_error_doc(display, "", "unknown", f.code, f.detail, child_origin))
                continue
            out.extend(_extract_node(display, payload, child_origin, ctx, depth + 1))
    if not out:
        raise _Failure(EMPTY, "the ZIP holds no files")
    return out


def _check_overlaps(infos: list[zipfile.ZipInfo], size: int) -> None:
    """Refuse a ZIP whose central directory lists the same data twice or overlapping data.

    Honest archivers write each member's data once; 33 entries pointing at one 3 MB blob
    cost 16 s and 261 MB, each inflated and extracted again. A member's local header is at
    least 30 bytes, so the next member cannot start before offset + 30 + compressed size.
    """
    end, previous = -1, ""
    for info in sorted(infos, key=lambda i: i.header_offset):
        if info.header_offset < end:
            raise _Failure(ZIP_BOMB, f"{_zip_member_name(info)} overlaps the data of {previous} "
                                     f"(the same bytes listed twice)")
        end, previous = info.header_offset + 30 + info.compress_size, _zip_member_name(info)
        if end > size:
            raise _Failure(BROKEN, f"{previous} extends past the end of the ZIP")


def _check_zip_headers(members: list[zipfile.ZipInfo], ctx: _Context) -> None:
    """Refuse from the central directory alone: too many members, too many bytes, a bomb's ratio."""
    limits = ctx.limits
    ctx.zip_members += len(members)
    if ctx.zip_members > limits.zip_max_members:
        raise _Failure(ZIP_BOMB, f"{ctx.zip_members} files in the ZIP (limit {limits.zip_max_members})")
    declared = sum(i.file_size for i in members)
    if ctx.zip_bytes + declared > limits.zip_max_total_bytes:
        raise _Failure(ZIP_BOMB, f"the ZIP inflates to {_mb(ctx.zip_bytes + declared)} "
                                 f"(limit {_mb(limits.zip_max_total_bytes)})")
    for i in members:
        if i.compress_size > i.file_size + i.file_size // 100 + 1024:
            # Deflate never grows data by more than a few bytes per 16 KB: the size lies.
            raise _Failure(ZIP_BOMB, f"{i.filename} declares {i.file_size} bytes but holds "
                                     f"{i.compress_size} compressed bytes")
        ratio = i.file_size / max(i.compress_size, 1)
        if i.file_size > RATIO_FLOOR_BYTES and ratio > limits.zip_max_ratio:
            raise _Failure(ZIP_BOMB, f"{i.filename} has compression ratio {ratio:.0f} "
                                     f"(limit {limits.zip_max_ratio:.0f})")


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, ctx: _Context) -> bytes:
    """Decompress in chunks, counting real bytes: a header that lies is caught at the limit."""
    buf = bytearray()
    try:
        with zf.open(info) as f:
            while chunk := f.read(_CHUNK):
                buf += chunk
                ctx.zip_bytes += len(chunk)
                _check_member_progress(len(buf), info, ctx)
    except _Failure:
        raise
    except NotImplementedError as e:
        raise _Failure(UNSUPPORTED, f"the ZIP member uses an unsupported compression ({e})")
    except RuntimeError as e:
        if "encrypt" in str(e).lower() or "password" in str(e).lower():
            raise _Failure(ENCRYPTED, "the ZIP member is password-protected")
        raise _Failure(BROKEN, f"the ZIP member cannot be read ({_describe(e)})")
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as e:
        raise _Failure(BROKEN, f"the ZIP member cannot be read ({_describe(e)})")
    return bytes(buf)


def _check_member_progress(size: int, info: zipfile.ZipInfo, ctx: _Context) -> None:
    limits = ctx.limits
    if size > info.file_size:
        raise _Failure(ZIP_BOMB, f"{info.filename} inflates past the {info.file_size} bytes its header declares")
    if ctx.zip_bytes > limits.zip_max_total_bytes:
        raise _Failure(ZIP_BOMB, f"the ZIP inflates past {_mb(limits.zip_max_total_bytes)}")
    if size > RATIO_FLOOR_BYTES and size / max(info.compress_size, 1) > limits.zip_max_ratio:
        raise _Failure(ZIP_BOMB, f"{info.filename} inflates more than {limits.zip_max_ratio:.0f} times")
    if size > limits.max_attachment_bytes:
        raise _Failure(TOO_LARGE, f"{info.filename} inflates past {_mb(limits.max_attachment_bytes)}")


def _zip_member_name(info: zipfile.ZipInfo) -> str:
    """Names without the UTF-8 flag are decoded as CP437 by zipfile; many tools wrote UTF-8."""
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            name = name.encode("cp437").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    name = name.replace("\\", "/").lstrip("/")
    return "/".join(p for p in name.split("/") if p not in ("", ".", ".."))


def _expand_tnef(name: str, data: bytes, ctx: _Context, depth: int) -> list[DocumentText]:
    """Outlook's winmail.dat: each attachment inside becomes a document "winmail.dat/x.pdf"."""
    import tnefparse

    try:
        tnef = tnefparse.TNEF(data, do_checksum=False)
    except Exception as e:
        raise _Failure(BROKEN, f"the winmail.dat cannot be decoded ({_describe(e)})")
    attachments = tnef.attachments[: ctx.limits.zip_max_members]
    out: list[DocumentText] = []
    for i, att in enumerate(attachments):
        try:
            member = att.long_filename() or att.name
        except Exception:
            member = ""
        member = (member or f"attachment{i + 1}").strip("\x00").replace("\\", "/").split("/")[-1]
        payload = att.data if isinstance(att.data, bytes) else b""
        out.extend(_extract_node(f"{name}/{member}", payload, f"tnef:{name}", ctx, depth + 1))
    if not out:
        raise _Failure(EMPTY, "the winmail.dat holds no attachments")
    return out


# ------------------------------------------------------------------------------------------
# Small helpers


def _sha(att: Attachment) -> str:
    try:
        return att.sha256
    except Exception:
        return hashlib.sha256(att.data or b"").hexdigest()


def _error_doc(name: str, sha: str, kind: str, code: str, detail: str, origin: str) -> DocumentText:
    return DocumentText(filename=name, sha256=sha, kind=kind, method="none", text="", form_values={},
                        error=code, detail=detail[:_DETAIL_MAX], origin=origin)


def _describe(e: BaseException) -> str:
    text = str(e).strip().replace("\n", " ")
    return f"{type(e).__name__}: {text}"[:_DETAIL_MAX] if text else type(e).__name__


def _code_for(e: Exception) -> str:
    if isinstance(e, MemoryError):
        return TOO_LARGE
    return BROKEN


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


__all__ = [
    "DocumentText", "DocumentCache", "extract_all", "extract_one", "sniff", "normalise",
    "ENCRYPTED", "BROKEN", "TOO_LARGE", "TOO_MANY_PAGES", "TOO_MANY_ATTACHMENTS", "OLD_DOC_FORMAT",
    "ZIP_BOMB", "ZIP_TOO_DEEP", "UNSUPPORTED", "OCR_TIMEOUT", "OCR_UNAVAILABLE", "EMPTY",
]

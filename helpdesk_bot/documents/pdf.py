"""PDF: the text layer of each page, OCR for scanned pages, AcroForm values, within limits.

Choices (measured on this machine, see bench/bench_documents.py and tests/test_documents.py):

* PDF text comes from pypdfium2 (about 1 ms a page); pdfplumber (about 45 ms a page) is only
  opened when the PDF has an AcroForm, to read the field values, which are not in the page text.
* A page with fewer than ``MIN_LETTERS`` letters in its text layer (or a full-page image with a
  tiny text layer, like a "Scanned with CamScanner" stamp) is rendered at ``OCR_DPI`` and OCRed
  (see :mod:`.ocr`).
* A PDF longer than ``max_pdf_pages`` is read up to that page and noted in ``detail`` (not an
  error: forms put their title on page 1); a PDF of more than ``ABSURD_PAGES_FACTOR`` x
  ``max_pdf_pages`` pages is refused as ``too_many_pages``.
* Streams are inflated and counted before PDFium opens the file (``_check_pdf_streams``): a
  FlateDecode bomb is refused at ``max_pdf_inflated_bytes`` instead of filling memory.
"""

from __future__ import annotations

import io
import re
import threading
import zlib
from dataclasses import dataclass
from typing import Any

from .model import BROKEN, EMPTY, ENCRYPTED, OCR_TIMEOUT, TOO_LARGE, TOO_MANY_PAGES, _Context, _Failure, _Leaf, _mb
from .ocr import _MIN_OCR_SECONDS, MAX_IMAGE_PIXELS, OCR_DPI, _ocr
from .text import _letters, normalise

#: A page whose text layer has fewer letters than this is treated as a scan and OCRed.
MIN_LETTERS = 20
#: A page mostly covered by one image with fewer letters than this is OCRed as well (scanner apps
#: stamp a line of text on image-only pages).
MIN_LETTERS_OVER_IMAGE = 100

#: Never render a page to more pixels than this (an A3 page at 200 dpi is 7.7 MP).
MAX_RENDER_PIXELS = 12_000_000

ABSURD_PAGES_FACTOR = 100

_PDFIUM_LOCK = threading.RLock()  # PDFium is not thread-safe; OCR runs outside the lock

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

"""OCR with tesseract: scanned PDF pages and attached images (phone photos, TIFF scans).

The slow and fragile part of the stage, so it lives on its own with its budgets: every call
runs under the page's and the mail's deadline, huge images are refused before decoding, and a
missing tesseract is a result (``ocr_unavailable``), not a crash.

Choices (measured on this machine, see bench/bench_documents.py and tests/test_documents.py):

* Pages are OCRed in grey at ``OCR_DPI`` = 200 dpi with tesseract ``ind``. 200 dpi read every
  word of the test forms, like 300 dpi, in 60 % of the time (0.34 s against 0.55 s for a clean
  page); 150 dpi was not faster enough to risk small print.
* Orientation: tesseract's own layout pass already copes with slight skew (3 degrees read 24/24
  words) and often with 270 degrees, so the first pass is at 0 degrees. Only when that pass
  yields mostly low-confidence words does OSD (``image_to_osd``, on a 150 dpi copy, ~0.45 s)
  pick the rotation, and the better of the two readings is kept.
* ``OMP_THREAD_LIMIT=1`` is set (if unset) on import: tesseract is 4x faster single-threaded
  for page-sized images (TESTING.md section 5).
"""

from __future__ import annotations

import io
import os
import time
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # before pytesseract runs tesseract

from .model import BROKEN, EMPTY, OCR_TIMEOUT, OCR_UNAVAILABLE, TOO_LARGE, _Context, _describe, _Failure, _Leaf  # noqa: E402
from .text import _letters, normalise  # noqa: E402

OCR_DPI = 200
OSD_DPI = 150

#: An image (embedded in a PDF, or attached) with more pixels is not decoded for OCR: decoding
#: it would take hundreds of MB. JPEGs are decoded downscaled, so they get a larger allowance.
MAX_IMAGE_PIXELS = 40_000_000
MAX_JPEG_PIXELS = 400_000_000
#: Attached images are downscaled so the long side is at most this (about 250 dpi for A4).
MAX_IMAGE_SIDE = 3000

#: An OCR call gets at least this many seconds, or it is not started.
_MIN_OCR_SECONDS = 0.5

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

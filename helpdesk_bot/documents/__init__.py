"""The documents stage: the text of each attachment, robustly and within limits.

Requesters send scanned letters, phone photos, Word files, ZIPs and winmail.dat, often with
names that say nothing and extensions that lie, so the kind is sniffed from the content. Every
path is bounded: sizes are checked before parsing, ZIP limits are checked from the headers *and*
while decompressing (headers lie), PDFs are read up to ``max_pdf_pages`` and OCR runs on at most
``max_ocr_pages`` pages under a per-page and a per-mail time budget. Nothing here raises: any
failure becomes a :class:`DocumentText` with a short ``error`` code and an English ``detail``,
so one bad file never blocks the mail and staff can see why a document was not read.

One module per concern, so a format can be read, tested and hardened on its own:

* :mod:`.model`   -- ``DocumentText``, ``DocumentCache``, the error codes; the mail's shared
  context (limits, deadline, ZIP budget) and how a reader reports a failure.
* :mod:`.extract` -- ``extract_all`` / ``extract_one``: cache, size check, sniff, dispatch.
* :mod:`.sniff`   -- the kind of a file from its bytes.
* :mod:`.pdf`     -- text layer, scanned pages sent to OCR, AcroForm values, stream caps.
* :mod:`.ocr`     -- tesseract (deskew, orientation) and attached images.
* :mod:`.office`  -- Word (DOCX).
* :mod:`.archive` -- ZIP and winmail.dat (TNEF) containers.
* :mod:`.text`    -- plain-text files and the one ``normalise`` every reader ends in.

(There is no mail module: an attached message/rfc822 is unpacked by parse.py into attachments
before this stage, so it never reaches these readers as a file.)

Decisions about limits: a PDF longer than ``max_pdf_pages`` is read up to that page and noted in
``detail``; a PDF of more than ``ABSURD_PAGES_FACTOR`` x ``max_pdf_pages`` pages is refused as
``too_many_pages``. Attachments beyond ``max_attachments`` get the extra code
``too_many_attachments``. The cache is keyed by the content's SHA-256. Only complete leaf results
are stored (not container errors, which are cheap to recompute, nor results cut short by a time
budget or a missing tesseract, which may succeed later).

Only the names in ``__all__`` are the stage's interface; underscore names are shared between
the package's modules and are not for use outside it.
"""

from __future__ import annotations

from .extract import extract_all, extract_one
from .model import (BROKEN, EMPTY, ENCRYPTED, OCR_TIMEOUT, OCR_UNAVAILABLE, OLD_DOC_FORMAT, TOO_LARGE,
                    TOO_MANY_ATTACHMENTS, TOO_MANY_PAGES, UNSUPPORTED, ZIP_BOMB, ZIP_TOO_DEEP, DocumentCache,
                    DocumentText)
from .sniff import sniff
from .text import normalise

__all__ = [
    "DocumentText", "DocumentCache", "extract_all", "extract_one", "sniff", "normalise",
    "ENCRYPTED", "BROKEN", "TOO_LARGE", "TOO_MANY_PAGES", "TOO_MANY_ATTACHMENTS", "OLD_DOC_FORMAT",
    "ZIP_BOMB", "ZIP_TOO_DEEP", "UNSUPPORTED", "OCR_TIMEOUT", "OCR_UNAVAILABLE", "EMPTY",
]

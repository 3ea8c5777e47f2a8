"""The process the analysis workers are forked from, started as early as the daemon can.

Workers come from a ``forkserver``: a clean, single-threaded process that has imported the
analysis code (PDF, image and Office libraries included) once, so starting or replacing a
worker is a fork, never an interpreter start, and never a fork of the daemon's own threads and
connections (workers.py). Its imports take about half a second. ``helpdesk-bot run`` calls
:func:`start_early` before it imports the daemon's own stages, so the two import at the same
time on different cores instead of one after the other: the first mail of a backlog is
analysed that much sooner. This module imports nothing of the package, so calling it is cheap.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
from typing import Any

#: Imported once by the forkserver, so a new worker starts warm (the PDF, image and Office
#: libraries are imported lazily by the documents package: in a fresh worker that took seconds).
PRELOAD = ("helpdesk_bot.workers", "helpdesk_bot.trust", "mailparser", "pypdfium2", "pdfplumber",
           "pdfminer.pdftypes", "pdfminer.psparser", "PIL.Image", "PIL.ImageOps", "pytesseract", "docx")


def context() -> Any:
    """forkserver (with PRELOAD) where available, else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(list(PRELOAD))  # a module that fails to import is skipped
        return ctx
    return multiprocessing.get_context("spawn")  # pragma: no cover - not Linux


def start_early() -> None:
    """Launch the forkserver now; it imports PRELOAD in its own process while the caller goes on."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context()
        multiprocessing.forkserver.ensure_running()

"""The daemon's single writer: one thread, one connection, every mail's decision committed there.

Mailbox threads fetch and acknowledge, worker processes analyse; neither decides. Each analysed
mail is handed to the writer as ``(mailbox, message, Analysis)`` on one queue; the writer's
thread runs ``Pipeline.process`` (threading, ticket or follow-up, events, replies queued: one
transaction per mail) and hands the :class:`~.outcome.Outcome` back through a future. Only then
does the mailbox thread flag or move the message, so a SIGKILL at any moment leaves each mail
either committed (the ledger knows it: acknowledged without processing on the next fetch) or not
(fetched and decided again): never lost, never doubled.

Why one writer: SQLite serialises writers anyway, so several mailbox threads committing their
own mail only queued on the database lock (``busy_timeout``) and each needed its own write
connection; with one, decisions for all mailboxes are made in arrival order by one thread on
one connection, and the order a mailbox thread hands its mail over (ordering.py: a follow-up
never before its request) is the order they are committed.

The writer thread holds no lock while it waits and never waits on the network, so the mailbox
loops (IDLE), the sender and the clock stay responsive; its queue hop costs microseconds.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import structlog

if TYPE_CHECKING:  # pragma: no cover
    from .analysis import Analysis
    from .outcome import Outcome
    from .pipeline import Pipeline
    from .sources.base import SourceMessage

log = structlog.get_logger("helpdesk_bot.writer")


class WriterStopped(Exception):
    """The writer stopped before it decided this mail; it is not acknowledged, so it comes again."""


class EarlierMailFailed(WriterStopped):
    """An earlier mail of the same lane failed (database locked, disk full): this one is not
    decided either, so a follow-up never overtakes its request; both come again."""


class Lane:
    """The mails one mailbox thread hands over in one pass, in their order.

    A mailbox thread hands mails over without waiting for each decision (the writer is never
    idle while a backlog drains). When one decision raises, every later mail of its lane is
    refused instead of decided: the caller stops, leaves them unacknowledged, and the next
    pass brings them again in the same order.
    """

    def __init__(self) -> None:
        self.failed = False


@dataclass
class _Item:
    mailbox: str
    msg: SourceMessage
    analysis: Analysis | None
    lane: Lane | None = None
    future: Future[Outcome] = field(default_factory=Future)


class Writer:
    """One thread deciding and committing every mail, fed by a queue; see the module docstring.

    ``make_pipeline`` is called in the writer's thread (it opens the writer's own connection);
    it returns None while the database cannot be opened and the daemon is stopping.
    """

    def __init__(self, make_pipeline: Callable[[], Pipeline | None], close: Callable[[Pipeline], None] | None = None):
        self._make_pipeline = make_pipeline
        self._close = close
        self._queue: queue.Queue[_Item | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    # -- the callers' side -------------------------------------------------------------------------

    def start(self) -> Writer:
        with self._lock:
            if self._thread is None:
                self._stopping.clear()
                self._thread = threading.Thread(target=self._run, name="writer", daemon=True)
                self._thread.start()
        return self

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def submit(self, msg: SourceMessage, analysis: Analysis | None, lane: Lane | None = None) -> Future[Outcome]:
        """Queue one mail for its decision; the future holds its Outcome (or the error).

        Mails are decided in the order they are submitted; with a ``lane``, a mail whose
        lane already had a failure is refused with :class:`EarlierMailFailed`.
        """
        item = _Item(msg.mailbox, msg, analysis, lane)
        if self._stopping.is_set() or not self.alive():
            item.future.set_exception(WriterStopped("the writer is not running"))
            return item.future
        self._queue.put(item)
        return item.future

    def process(self, msg: SourceMessage, analysis: Analysis | None = None) -> Outcome:
        """Hand one mail to the writer and wait for its committed Outcome.

        A transient failure (database locked, disk full) is raised here as it was raised in the
        writer, so the mailbox loop backs off and leaves the message unacknowledged.
        """
        return self.outcome(self.submit(msg, analysis))

    def outcome(self, future: Future[Outcome]) -> Outcome:
        """A submitted mail's committed Outcome (or its error), waiting as long as the writer lives."""
        while True:
            try:
                return future.result(timeout=1.0)
            except FutureTimeout:
                if not self.alive():
                    raise WriterStopped("the writer stopped") from None

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the mail being decided, refuse the ones still queued (they come again), stop."""
        self._stopping.set()
        self._queue.put(None)
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        self._refuse_queued()
        with self._lock:
            self._thread = None

    # -- the writer's thread -----------------------------------------------------------------------

    def _run(self) -> None:
        pipeline = self._make_pipeline()
        if pipeline is None:
            self._refuse_queued()
            return
        try:
            while True:
                item = self._queue.get()
                if item is None:
                    break
                if self._stopping.is_set():
                    item.future.set_exception(WriterStopped("the writer is stopping"))
                    continue
                if not item.future.set_running_or_notify_cancel():
                    continue
                if item.lane is not None and item.lane.failed:
                    item.future.set_exception(EarlierMailFailed("an earlier mail of this pass was not decided"))
                    continue
                try:
                    out = pipeline.process(item.msg, item.analysis)
                except BaseException as e:  # noqa: BLE001 - handed to the caller, never ends the thread
                    if item.lane is not None:
                        item.lane.failed = True
                    item.future.set_exception(e)
                    if not isinstance(e, Exception):
                        raise
                else:
                    item.future.set_result(out)
        finally:
            self._refuse_queued()
            if self._close is not None:
                try:
                    self._close(pipeline)
                except Exception as e:
                    log.warning("writer_close_failed", error=f"{type(e).__name__}: {e}")

    def _refuse_queued(self) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is not None and not item.future.done():
                item.future.set_exception(WriterStopped("the writer stopped"))


__all__ = ["EarlierMailFailed", "Lane", "Writer", "WriterStopped"]

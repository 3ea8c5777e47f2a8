"""The daemon: one thread per mailbox (IDLE or polling), analysis workers, one writer, one sender, one clock.

Each mailbox thread owns its mailbox connection: it fetches what the ledger has not recorded,
hands each mail to the worker processes for analysis (workers.py), then hands each analysed
mail to the single writer (writer.py), which decides and commits it (one transaction per mail,
on the only connection that writes mail decisions) and hands the Outcome back; a follow-up is
never handed over before its request (ordering.py). The mailbox thread acknowledges each
message only after its outcome is committed. Errors are logged and retried with backoff; they
never end the loop. ``run_once`` is the same work done once, for cron jobs, tests and backlogs.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from typing import Any

import structlog

from . import metrics
from .analysis import Analysis
from .config import Config, MailboxConfig
from .office_hours import OfficeCalendar
from .ordering import raw_keys, thread_refs
from .outbox import DeliveryResult, Sender
from .pipeline import Outcome, Pipeline
from .reload import RulesHolder
from .sources import Source, SourceMessage, open_source
from .store import Store, open_store
from .workers import WorkerPool
from .writer import Lane, Writer

log = structlog.get_logger("helpdesk_bot.daemon")

#: Messages acknowledged per IMAP STORE while draining a backlog.
ACK_BATCH = 50
#: Mails handed to the writer whose outcome the mailbox thread has not taken yet.
MAX_DECIDING = ACK_BATCH
#: Later mails that may be fetched while one mail is still being analysed (a slow scan): beyond
#: that the mailbox thread waits for it. Together with the two above, this bounds how far below
#: the ledger's highest done UID a mail can be unfinished, which the IMAP source's look-back
#: (sources/imap.py ACK_WINDOW) must cover, or a crash would leave it unread for good.
MAX_AHEAD = 200


@dataclass
class Summary:
    counts: dict[str, int] = field(default_factory=dict)
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, out: Outcome) -> None:
        self.counts[out.kind] = self.counts.get(out.kind, 0) + 1

    def add_delivery(self, d: DeliveryResult) -> None:
        self.sent += d.sent
        self.retried += d.retried
        self.failed += d.failed


@dataclass
class _Pending:
    """A fetched mail whose analysis runs in a worker (``future`` None: already done, none needed)."""

    msg: SourceMessage
    future: Future[Analysis] | None
    #: Its Message-IDs and ticket tags, read from the raw header block (ordering.raw_keys).
    keys: frozenset[str] = frozenset()
    #: Its place in the order of fetching (drain's MAX_AHEAD).
    seq: int = 0

    def ready(self) -> bool:
        return self.future is None or self.future.done()

    def analysis(self) -> Analysis | None:
        return self.future.result() if self.future is not None else None


class Daemon:
    def __init__(self, config: Config, rules: RulesHolder | None = None, hooks_factory: Callable[[], list[Any]] | None = None,
                 analysis_hook: str = ""):
        self.config = config
        #: "module:function" run in the workers before each analysis (tests of poison mail only).
        self.analysis_hook = analysis_hook
        self._pool: WorkerPool | None = None
        self._pool_lock = threading.Lock()
        self.rules = rules or RulesHolder(config)
        self.calendar = OfficeCalendar(config.working_hours, config.helpdesk.timezone)
        self.stop_event = threading.Event()
        self.outbox_event = threading.Event()
        self.hooks_factory = hooks_factory or default_hooks
        self._threads: list[threading.Thread] = []
        self._sent_copies: dict[str, Source] = {}
        self._sent_lock = threading.Lock()
        #: The single writer (started with the daemon, or for the length of ``run_once``).
        self.writer: Writer | None = None

    # -- building blocks -----------------------------------------------------------------------

    def pipeline(self, store: Store) -> Pipeline:
        return Pipeline(self.config, store, self.rules.get, self.calendar, hooks=self.hooks_factory())

    def make_writer(self) -> Writer:
        """The single writer: its thread opens its own connection and Pipeline (writer.py)."""

        def make() -> Pipeline | None:
            store = self._open_store("writer")
            return self.pipeline(store) if store is not None else None

        return Writer(make, close=lambda p: p.store.close())

    def pool(self) -> WorkerPool:
        """The analysis workers, shared by every mailbox thread; started on first use."""
        with self._pool_lock:
            if self._pool is None:
                self._pool = WorkerPool.from_config(self.config, self.analysis_hook)
            return self._pool

    def _close_pool(self) -> None:
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    def drain(self, source: Source, pipeline: Pipeline, summary: Summary | None = None,
              writer: Writer | None = None) -> int:
        """Process every pending message of one source; return how many were processed.

        ``writer`` (the daemon's single writer) decides and commits each mail; without one (tests
        that drive a Pipeline on a fake clock) ``pipeline`` commits in this thread. ``pipeline``
        here only reads: the ledger (already done?) and the rule set the workers analyse with.

        Three stages overlap, so that a backlog keeps every core busy: mails are analysed in the
        worker pool (up to ``window`` at once; a slow one is overtaken by at most MAX_AHEAD later
        mails); an analysed mail is handed to the writer as soon as no earlier mail of its thread
        is still being analysed (ordering.py), without waiting for the decisions of the mails
        handed over before it (up to MAX_DECIDING); and outcomes are collected in hand-over order.
        Each message is acknowledged only after its outcome is committed, in batches of ACK_BATCH
        (one IMAP STORE for many): a crash before the batch's ack leaves messages the ledger
        already knows, which the next fetch acknowledges without processing them again. When a
        decision fails (database locked), the writer refuses the rest of this pass (writer.Lane),
        nothing after it is acknowledged, and the error is raised.
        """
        pool = self.pool()
        window = max(4, 4 * pool.count)
        lane = Lane()
        state = {"n": 0}
        committed: list[SourceMessage] = []
        pending: list[_Pending] = []
        deciding: deque[tuple[SourceMessage, Future[Outcome]]] = deque()

        def hand_over(item: _Pending) -> None:
            if writer is not None:
                deciding.append((item.msg, writer.submit(item.msg, item.analysis(), lane)))
            else:
                done: Future[Outcome] = Future()
                try:
                    done.set_result(pipeline.process(item.msg, item.analysis()))
                except Exception as e:
                    done.set_exception(e)
                deciding.append((item.msg, done))
            collect(keep=MAX_DECIDING)

        def collect(keep: int) -> None:
            """Take the outcomes of the oldest handed-over mails: those decided, and more (waiting)
            while over ``keep`` are outstanding."""
            while deciding and (len(deciding) > keep or deciding[0][1].done()):
                msg, future = deciding[0]
                out = _outcome(future, writer)
                deciding.popleft()
                after_commit(msg, out)

        def after_commit(msg: SourceMessage, out: Outcome, ack: bool = True) -> None:
            if out.kind == "quarantined":
                try:
                    source.quarantine(msg)
                except Exception as e:  # the quarantine row is committed; moving is a courtesy
                    log.warning("quarantine_move_failed", mailbox=source.name, key=msg.key, error=str(e))
            committed.append(msg)
            if ack and len(committed) >= ACK_BATCH:
                source.ack_many(committed)
                committed.clear()
            if summary is not None:
                summary.add(out)
            if out.replies:
                self.outbox_event.set()
            state["n"] += 1

        try:
            for seq, msg in enumerate(source.fetch_new()):
                if self.stop_event.is_set():
                    break
                if pipeline.is_done(msg):
                    pending.append(_Pending(msg, None, seq=seq))
                else:
                    pending.append(_Pending(msg, pool.submit(msg.raw, pipeline.rules), raw_keys(msg.raw), seq))
                self._hand_over_ready(pending, hand_over, keep=window - 1)
                while pending and seq - pending[0].seq >= MAX_AHEAD and not self.stop_event.is_set():
                    self._hand_over_ready(pending, hand_over, keep=len(pending) - 1)  # wait for the slow one
                collect(keep=MAX_DECIDING)
            self._hand_over_ready(pending, hand_over, keep=0)
            collect(keep=0)
        finally:
            for item in pending:  # not handed over: not acknowledged, so fetched again next time
                if item.future is not None:
                    item.future.cancel()
            # Handed over before an error or a stop: the writer decides or refuses each of them
            # in moments; those committed are handled like the rest and acknowledged with them.
            for msg, future in deciding:
                try:
                    out = _outcome(future, writer)
                except Exception:
                    continue
                after_commit(msg, out, ack=False)
            if committed:
                source.ack_many(committed)
        return state["n"]

    def _hand_over_ready(self, pending: list[_Pending], hand_over: Callable[[_Pending], None], keep: int) -> None:
        """Hand over every analysed mail no earlier pending mail of its thread holds back; wait
        for analyses while more than ``keep`` mails are pending."""
        while pending and not self.stop_event.is_set():
            index = None
            for i, item in enumerate(pending):
                if not item.ready():
                    continue
                refs = thread_refs(item.analysis()) if i else frozenset()
                if not refs or not any(refs & earlier.keys for earlier in pending[:i]):
                    index = i
                    break
            if index is not None:
                hand_over(pending.pop(index))
                continue
            if len(pending) <= keep:
                return
            running = [p.future for p in pending if p.future is not None and not p.future.done()]
            if running:
                wait(running, timeout=1.0, return_when=FIRST_COMPLETED)

    def _on_sent(self, rows: list[dict[str, Any]]) -> None:
        """Append copies of sent mail to their mailboxes' Sent folders, a batch at a time."""
        by_mailbox: dict[str, list[bytes]] = {}
        for row in rows:
            by_mailbox.setdefault(row.get("mailbox") or "", []).append(row["raw"])
        for name, raws in by_mailbox.items():
            mb = next((m for m in self.config.mailbox if m.name == name), None)
            if mb is None or mb.kind != "imap" or not mb.sent_folder:
                continue
            self._append_sent(mb, raws)

    def _append_sent(self, mb: MailboxConfig, raws: list[bytes]) -> None:
        with self._sent_lock:
            # A cached connection that died (IMAP server restarted, idle timeout) is only noticed
            # when used: then the copies are appended again over a fresh connection, once.
            for attempt in (1, 2):
                src = self._sent_copies.get(mb.name)
                if src is None:
                    store = open_store(self.config)
                    src = open_source(mb, self.config, store)
                    src.connect()
                    self._sent_copies[mb.name] = src
                try:
                    src.append_sent_many(raws)
                    return
                except Exception:
                    self._sent_copies.pop(mb.name, None)
                    try:
                        src.close()
                    except Exception:
                        pass
                    if attempt == 2:
                        raise

    # -- run once -------------------------------------------------------------------------------

    def run_once(self) -> Summary:
        """Drain every mailbox once, do what the clock would do now, send what is due, stop.

        Replies are sent while the mailboxes drain (a sender thread, as in the daemon), so a
        backlog's acknowledgements leave while later mails are still being analysed; every
        outbox row is tried at most once per run (a failed one waits for the next run).
        """
        summary = Summary()
        store = open_store(self.config)
        writer = self.make_writer().start()
        tried: set[int] = set()
        drained = threading.Event()
        sender = threading.Thread(target=self._send_while, args=(drained, tried, summary), name="sender", daemon=True)
        try:
            self.pool().start()  # workers fork while the mailboxes connect
            sender.start()
            pipeline = self.pipeline(store)
            for mb in self.config.mailbox:
                source = open_source(mb, self.config, store)
                try:
                    source.connect()
                    self.drain(source, pipeline, summary, writer)
                except Exception as e:
                    summary.errors.append(f"{mb.name}: {type(e).__name__}: {e}")
                    log.error("mailbox_failed", mailbox=mb.name, error=str(e))
                finally:
                    source.close()
            drained.set()
            self.outbox_event.set()
            if sender.is_alive():
                sender.join()
            # What the clock would do now (reminders, overdue marks, a due digest), so that a
            # cron job running `run --once` gets them too; every job is idempotent.
            from . import scheduler

            try:
                scheduler.Jobs(self.config, store, self.rules.get, self.calendar).tick()
            except Exception as e:
                summary.errors.append(f"clock: {type(e).__name__}: {e}")
                log.error("clock_error", error=str(e))
            summary.add_delivery(Sender(self.config, store, self._on_sent).flush(ignore_backoff=True, seen=tried))
        finally:
            drained.set()
            self.outbox_event.set()
            if sender.is_alive():
                sender.join()
            writer.stop()
            self._close_pool()
            self._close_sent_copies()
            store.close()
        return summary

    def _send_while(self, drained: threading.Event, tried: set[int], summary: Summary) -> None:
        """run_once's sender: send what the writer queues until the mailboxes are drained."""
        try:
            store = open_store(self.config)
        except Exception as e:  # the final flush in run_once sends everything anyway
            log.warning("sender_error", error=f"{type(e).__name__}: {e}")
            return
        try:
            sender = Sender(self.config, store, self._on_sent)
            while not drained.is_set():
                self.outbox_event.wait(1.0)
                self.outbox_event.clear()
                try:
                    summary.add_delivery(sender.flush(ignore_backoff=True, seen=tried))
                except Exception as e:  # the run fails (exit 1); rows not tried yet go in the final flush
                    summary.errors.append(f"sender: {type(e).__name__}: {e}")
                    log.error("sender_error", error=f"{type(e).__name__}: {e}")
        finally:
            store.close()

    # -- run forever ----------------------------------------------------------------------------

    def _open_store(self, role: str) -> Store | None:
        """open_store, retried with backoff (a full disk or a locked file at start must not end a thread)."""
        delay = 1.0
        while not self.stop_event.is_set():
            try:
                return open_store(self.config)
            except Exception as e:
                log.error("database_unavailable", thread=role, error=f"{type(e).__name__}: {e}", retry_in=delay)
                self.stop_event.wait(delay)
                delay = min(delay * 2, 60.0)
        return None

    def _mailbox_loop(self, mb: MailboxConfig) -> None:
        store = self._open_store(f"mailbox-{mb.name}")
        if store is None:
            return
        pipeline = self.pipeline(store)
        source = open_source(mb, self.config, store)
        metrics.watch_mailbox(mb, source)
        delay = 1.0
        while not self.stop_event.is_set():
            try:
                ensure = getattr(source, "ensure_connected", None)
                if ensure is not None:
                    ensure(self.stop_event)
                else:
                    source.connect()
                self.drain(source, pipeline, writer=self.writer)
                metrics.polled(mb.name)
                delay = 1.0
                source.wait(mb.idle_timeout if mb.kind == "imap" else mb.poll_interval, self.stop_event)
            except Exception as e:
                log.warning("mailbox_error", mailbox=mb.name, error=f"{type(e).__name__}: {e}", retry_in=delay)
                try:
                    source.close()
                except Exception:
                    pass
                self.stop_event.wait(delay)
                delay = min(delay * 2, 60.0)
        source.close()
        store.close()

    def _sender_loop(self) -> None:
        store = self._open_store("sender")
        if store is None:
            return
        sender = Sender(self.config, store, self._on_sent)
        while not self.stop_event.is_set():
            try:
                metrics.delivered(sender.flush())
            except Exception as e:
                log.error("sender_error", error=f"{type(e).__name__}: {e}")
            self.outbox_event.wait(self._next_retry_in(store))
            self.outbox_event.clear()
        store.close()

    @staticmethod
    def _next_retry_in(store: Store, longest: float = 5.0, shortest: float = 0.25) -> float:
        """Seconds until the earliest pending retry is due, so smtp.retry_base is honoured."""
        try:
            t = store.next_outbox_attempt()
        except Exception:
            return longest
        if not t:
            return longest
        due = dt.datetime.fromisoformat(t)
        return max(shortest, min(longest, (due - store.now()).total_seconds()))

    def _clock_loop(self) -> None:
        """Rules hot reload here; the scheduled work (reminders, digest) on APScheduler's clock.

        The APScheduler job only calls the idempotent ``Jobs.tick``; what is due lives in the
        database, so nothing is lost when the daemon stops between two ticks.
        """
        from . import scheduler

        store = self._open_store("clock")
        if store is None:
            return
        jobs = scheduler.Jobs(self.config, store, self.rules.get, self.calendar)
        clock = scheduler.start_clock(jobs, self.outbox_event.set)
        try:
            while not self.stop_event.is_set():
                try:
                    self.rules.reload_if_changed()
                except Exception as e:
                    log.error("clock_error", error=f"{type(e).__name__}: {e}")
                self.stop_event.wait(2.0)
        finally:
            clock.shutdown(wait=True)
            store.close()

    def start(self) -> None:
        self._metrics = metrics.serve(self.config)
        self.pool().start()  # workers fork while the mailboxes connect
        self.writer = self.make_writer().start()
        for mb in self.config.mailbox:
            self._spawn(f"mailbox-{mb.name}", self._mailbox_loop, mb)
        self._spawn("sender", self._sender_loop)
        self._spawn("clock", self._clock_loop)
        log.info("daemon_started", mailboxes=[m.name for m in self.config.mailbox], rules=self.rules.get().version,
                 pid=os.getpid())

    def _spawn(self, name: str, target: Callable[..., None], *args: Any) -> None:
        t = threading.Thread(target=target, args=args, name=name, daemon=True)
        t.start()
        self._threads.append(t)

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_event.set()
        self.outbox_event.set()
        for t in self._threads:
            t.join(timeout)
        if self.writer is not None:  # after the mailbox threads: it finishes what they handed over
            self.writer.stop(timeout)
            self.writer = None
        self._close_pool()
        self._close_sent_copies()
        if getattr(self, "_metrics", None) is not None:
            self._metrics.stop()
            self._metrics = None
        log.info("daemon_stopped")

    def _close_sent_copies(self) -> None:
        with self._sent_lock:
            for src in self._sent_copies.values():
                try:
                    src.close()
                except Exception:
                    pass
            self._sent_copies.clear()

    def run_forever(self) -> None:
        """Run until SIGTERM/SIGINT; SIGHUP reloads rules, forms and templates."""
        signal.signal(signal.SIGTERM, lambda *_: self.stop_event.set())
        signal.signal(signal.SIGINT, lambda *_: self.stop_event.set())
        signal.signal(signal.SIGHUP, lambda *_: threading.Thread(target=self.rules.reload, args=("SIGHUP",)).start())
        self.start()
        notify = _systemd_notifier()
        notify("READY=1")
        while not self.stop_event.wait(5.0):
            notify("WATCHDOG=1")
        notify("STOPPING=1")
        self.stop()


def _outcome(future: Future[Outcome], writer: Writer | None) -> Outcome:
    """A handed-over mail's Outcome: from the writer, or already decided in this thread."""
    return writer.outcome(future) if writer is not None else future.result()


def default_hooks() -> list[Any]:
    """Handlers for mail in a ticket's thread (staff commands, password confirmations)."""
    try:
        from .workflow import thread_hooks
    except ImportError:
        return []
    return thread_hooks()


def _systemd_notifier() -> Callable[[str], None]:
    """sd_notify over $NOTIFY_SOCKET (Type=notify, WatchdogSec); a no-op outside systemd."""
    import socket

    addr = os.environ.get("NOTIFY_SOCKET")
    if not addr:
        return lambda _msg: None
    if addr.startswith("@"):
        addr = "\0" + addr[1:]

    def send(msg: str) -> None:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
                s.connect(addr)
                s.sendall(msg.encode())
        except OSError:
            pass

    return send

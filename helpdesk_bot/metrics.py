"""Prometheus metrics: one registry, one-line hooks for the daemon, and a localhost /metrics.

Why an HTTP endpoint in the daemon rather than a node-exporter textfile: the interesting
values live in the running process (is each IMAP connection up right now, when did each
mailbox last finish a poll, how long analyses take) and a textfile would be stale between
writes and need node-exporter on the host. The endpoint is off by default (``[metrics] listen``)
and refuses non-loopback addresses unless ``allow_remote`` is set: the numbers name mailboxes
and reveal mail volume. Scrape it locally (Prometheus or an agent on the same host).

Two kinds of values:

- **Kept in this process** and set by the daemon with one call each: ``analysed`` (analysis
  time histogram; the Analysis carries its own duration, so analyses done in worker processes
  are observed here, in the writer), ``watch_mailbox`` (connection state read from the source
  at scrape time), ``polled`` (last successful poll), ``delivered`` (SMTP results).
- **Read from the database at scrape time** (a read-only connection per scrape): mails by
  outcome (the ledger, so the counts survive restarts and include ``run --once`` and imports),
  outbox depth and failures, open quarantine, open and overdue tickets. A database that cannot
  be read gives ``helpdesk_database_up 0`` instead of a failed scrape.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:  # pragma: no cover
    from .store import DatabaseFigures
    from .config import Config, MailboxConfig

log = structlog.get_logger("helpdesk_bot.metrics")

#: Everything helpdesk-bot exports; not prometheus_client's global REGISTRY, so tests and the
#: CLI can build daemons in one process without "duplicated timeseries" errors.
REGISTRY = CollectorRegistry(auto_describe=True)

ANALYSIS_SECONDS = Histogram(
    "helpdesk_analysis_seconds", "Time to analyse one mail (parse, screen, documents incl. OCR, classification).",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120), registry=REGISTRY)
ANALYSIS_ERRORS = Counter("helpdesk_analysis_errors_total", "Analyses that ended in an error (the mail is quarantined).",
                          registry=REGISTRY)
LAST_POLL = Gauge("helpdesk_mailbox_last_poll_success_timestamp_seconds",
                  "Unix time the mailbox's last fetch of new mail completed without error.", ["mailbox"],
                  registry=REGISTRY)
DELIVERIES = Counter("helpdesk_smtp_deliveries_total", "Outbox delivery attempts by result (sent, retried, failed).",
                     ["result"], registry=REGISTRY)

_watched: dict[str, tuple[str, Any]] = {}
_lock = threading.Lock()


# -- hooks (one line each at the call site) ------------------------------------------------------


def analysed(analysis: Any) -> None:
    """Observe one Analysis (its ``seconds``; ``error`` counts as an analysis error)."""
    seconds = getattr(analysis, "seconds", None)
    if seconds is not None and seconds >= 0:
        ANALYSIS_SECONDS.observe(seconds)
    if getattr(analysis, "error", ""):
        ANALYSIS_ERRORS.inc()


def watch_mailbox(mb: MailboxConfig, source: Any) -> None:
    """Report this source's connection state at every scrape (its ``connected`` property).

    IMAP sources say whether a logged-in connection exists; a Maildir source is always
    "connected". The latest source for a mailbox name wins (the loop may build a new one).
    """
    with _lock:
        _watched[mb.name] = (mb.kind, source)
        LAST_POLL.labels(mb.name)  # the series exists (0) before the first poll completes


def polled(mailbox: str, when: float | None = None) -> None:
    """The mailbox's fetch of new mail completed without error."""
    LAST_POLL.labels(mailbox).set(when if when is not None else time.time())


def delivered(result: Any) -> None:
    """Count an outbox flush's DeliveryResult (sent, retried, failed)."""
    for name in ("sent", "retried", "failed"):
        n = getattr(result, name, 0) or 0
        if n:
            DELIVERIES.labels(name).inc(n)


# -- read at scrape time -------------------------------------------------------------------------


class _MailboxCollector(Collector):
    def collect(self) -> Iterator[Any]:
        g = GaugeMetricFamily("helpdesk_mailbox_connected",
                              "1 when the mailbox's connection is up (IMAP logged in; Maildir always 1).",
                              labels=["mailbox", "kind"])
        with _lock:
            watched = dict(_watched)
        for name, (kind, source) in sorted(watched.items()):
            up = getattr(source, "connected", True) if kind == "imap" else True
            g.add_metric([name, kind], 1.0 if up else 0.0)
        yield g


class DatabaseCollector(Collector):
    """Figures from the tickets database, read when Prometheus scrapes."""

    def __init__(self, path: str | Path, clock: Any = time.time):
        self.path = str(path)
        self.clock = clock

    def collect(self) -> Iterator[Any]:
        from .store import read_figures

        up = GaugeMetricFamily("helpdesk_database_up", "1 when the tickets database could be read for this scrape.")
        try:
            figures = read_figures(self.path, _utc(self.clock()))
        except sqlite3.Error as e:
            log.warning("metrics_database_unreadable", error=f"{type(e).__name__}: {e}")
            up.add_metric([], 0.0)
            yield up
            return
        up.add_metric([], 1.0)
        yield up
        yield from self._families(figures)

    def _families(self, f: DatabaseFigures) -> Iterator[Any]:
        mails = CounterMetricFamily("helpdesk_mails", "Mails recorded in the ledger, by mailbox and outcome "
                                    "(ticket, followup, suppressed, duplicate, quarantined, ...).",
                                    labels=["mailbox", "outcome"])
        for (mailbox, outcome), n in f.mails.items():
            mails.add_metric([mailbox, outcome], n)
        yield mails
        outbox = GaugeMetricFamily("helpdesk_outbox_messages", "Outbox entries by status (pending = not yet sent, "
                                   "failed = given up after max_attempts).", labels=["status"])
        counts = dict.fromkeys(("pending", "sent", "failed"), 0)
        counts.update(f.outbox)
        for status, n in sorted(counts.items()):
            outbox.add_metric([status], n)
        yield outbox
        yield GaugeMetricFamily("helpdesk_outbox_retrying", "Pending outbox entries that already failed at least once.",
                                value=f.outbox_retrying)
        oldest = f.outbox_oldest_pending
        age = max(0.0, self.clock() - oldest.timestamp()) if oldest else 0.0
        yield GaugeMetricFamily("helpdesk_outbox_oldest_pending_age_seconds",
                                "Age of the oldest unsent outbox entry (0 when none).", value=age)
        yield GaugeMetricFamily("helpdesk_quarantine_open", "Quarantined mails waiting for staff.", value=f.quarantine_open)
        tickets = GaugeMetricFamily("helpdesk_tickets_open", "Open tickets by status.", labels=["status"])
        for status, n in f.tickets_open.items():
            tickets.add_metric([status], n)
        yield tickets
        yield GaugeMetricFamily("helpdesk_tickets_overdue", "Queued tickets past their due time.", value=f.tickets_overdue)


def _utc(ts: float) -> Any:
    import datetime as dt

    return dt.datetime.fromtimestamp(ts, dt.timezone.utc)


REGISTRY.register(_MailboxCollector())


# -- the endpoint --------------------------------------------------------------------------------


class Endpoint:
    """A running /metrics server and the database collector it registered."""

    def __init__(self, server: Any, thread: threading.Thread, collector: DatabaseCollector, address: str):
        self.server = server
        self.thread = thread
        self.collector = collector
        self.address = address

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
        try:
            REGISTRY.unregister(self.collector)
        except KeyError:
            pass


def split_listen(listen: str) -> tuple[str, int]:
    """"127.0.0.1:9464" / "[::1]:9464" / "localhost:9464" -> (host, port) (validated at config load)."""
    host, _, port = listen.rpartition(":")
    return host.strip("[]"), int(port)


def serve(config: Config) -> Endpoint | None:
    """Start /metrics on ``[metrics] listen``; None when off or the address cannot be bound.

    A port already in use is logged, not fatal: mail matters more than its metrics.
    """
    if not config.metrics.listen:
        return None
    from prometheus_client import start_http_server

    host, port = split_listen(config.metrics.listen)
    collector = DatabaseCollector(config.resolve(config.storage.database))
    REGISTRY.register(collector)
    try:
        server, thread = start_http_server(port, addr=host, registry=REGISTRY)
    except OSError as e:
        REGISTRY.unregister(collector)
        log.error("metrics_unavailable", listen=config.metrics.listen, error=f"{type(e).__name__}: {e}")
        return None
    log.info("metrics_listening", listen=config.metrics.listen, path="/metrics")
    return Endpoint(server, thread, collector, config.metrics.listen)


__all__ = ["REGISTRY", "analysed", "watch_mailbox", "polled", "delivered", "serve", "Endpoint", "DatabaseCollector"]

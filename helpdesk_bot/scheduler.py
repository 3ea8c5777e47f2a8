"""Scheduled work: what is due is read from the tickets database on each tick.

Due times live in the database (``tickets.next_reminder_at``, ``tickets.due_at``, the last
digest in the state table), never in pickled jobs, so every action is idempotent across
restarts: a tick after a crash finds the same rows due and does each thing once, because the
row's next due time moves in the same transaction that queues the mail.

APScheduler 3.x is only the clock: one in-memory interval job calls ``Jobs.tick``. Tests call
``tick(now)`` directly with a fake clock instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import structlog

from . import digest
from .ratelimit import release_deferred
from .config import Config
from .office_hours import OfficeCalendar, format_datetime_id
from .reply_service import ReplyService
from .ruleset import RuleSet
from .store import Store, Ticket, iso

log = structlog.get_logger("helpdesk_bot.scheduler")

#: Seconds between ticks of the daemon's clock.
TICK_SECONDS = 30.0


class Jobs:
    """Everything the clock does: password reminders, overdue marks, the daily digest."""

    def __init__(self, config: Config, store: Store, rules: Callable[[], RuleSet], calendar: OfficeCalendar):
        self.config = config
        self.store = store
        self.rules = rules
        self.calendar = calendar

    def replies(self) -> ReplyService:
        """What renders, decides and queues the clock's mail (cheap; built per tick)."""
        return ReplyService(self.config, self.store, self.rules, self.calendar)

    def tick(self, now: dt.datetime | None = None) -> bool:
        """Run whatever is due at ``now`` (default: the store's clock); True when mail was queued."""
        now = now or self.store.now()
        replies = self.replies()
        queued = self.reminders(replies, now)
        queued += len(release_deferred(self.store, self.config.screening, now))
        self.overdue(now)
        self.retention(now)
        if digest.send(self.store, replies, now, scheduled=True):
            queued += 1
        queued += self.monthly_report(replies, now)
        return queued > 0

    def monthly_report(self, replies: ReplyService, now: dt.datetime) -> int:
        """The previous month's report to [report] recipients, once (report.py); 1 when queued.

        A failure (a chart that cannot be drawn) is logged and retried next tick; it never stops
        reminders or the digest.
        """
        from . import report

        try:
            return 1 if report.send(self.store, replies, now=now, scheduled=True) else 0
        except Exception as e:
            log.error("report_failed", error=f"{type(e).__name__}: {e}")
            return 0

    # -- password reminders ----------------------------------------------------------------------

    def reminders(self, replies: ReplyService, now: dt.datetime) -> int:
        """Send each due reminder once; after the last one, flag the ticket for staff.

        Only while the office is open: due times are computed in working hours, but a daemon
        that was down over the weekend must not catch up on Saturday; it does at the opening.
        """
        sent = 0
        if not self.calendar.is_open(now):
            return 0
        for ticket_id in self.store.reminders_due(now):
            with self.store.transaction():
                ticket = self.store.ticket(ticket_id)
                # Re-read inside the write lock: a confirmation may have arrived meanwhile.
                if ticket is None or ticket.password_confirmed_at is not None or ticket.next_reminder_at is None \
                        or ticket.next_reminder_at > now or ticket.status != "selesai":
                    continue
                if ticket.reminder_count < self.config.reminders.max_count:
                    sent += self._remind(replies, ticket, now)
                else:
                    self._flag(ticket)
        return sent

    def _remind(self, replies: ReplyService, ticket: Ticket, now: dt.datetime) -> int:
        number = ticket.reminder_count + 1
        total = self.config.reminders.max_count
        nxt = self.calendar.add_working_hours(now, self.config.reminders.interval_hours)
        self.store.update_ticket(ticket.id, reminder_count=number, next_reminder_at=nxt)
        rt = replies.rules.types.get(ticket.request_type, replies.rules.fallback)
        tz = self.config.helpdesk.timezone
        sent = replies.notify(ticket, "reminder_password", dict(
            ticket=ticket, requester_name=ticket.requester_name, type_name=rt.name, number=number, total=total,
            last=number >= total, closed=format_datetime_id(ticket.closed_at or now, tz)))
        if not sent:
            return 0
        self.store.add_event(ticket.id, "password_reminder_sent", number=number, next_at=iso(nxt))
        log.info("password_reminder_sent", ticket=ticket.id, number=number, total=total)
        return 1

    def _flag(self, ticket: Ticket) -> None:
        from .workflow import PASSWORD_FLAG

        self.store.update_ticket(ticket.id, next_reminder_at=None, needs_staff=PASSWORD_FLAG)
        self.store.add_event(ticket.id, "password_unconfirmed", reminders_sent=ticket.reminder_count)
        log.warning("password_unconfirmed", ticket=ticket.id, reminders_sent=ticket.reminder_count)

    # -- overdue -----------------------------------------------------------------------------------

    def overdue(self, now: dt.datetime) -> int:
        """Record one ``overdue`` event per ticket whose due time passed (audit trail, digest)."""
        rows = self.store.overdue_unrecorded(now)
        if rows:
            with self.store.transaction():
                for r in rows:
                    self.store.add_event(r["id"], "overdue", due_at=r["due_at"])
                    log.warning("ticket_overdue", ticket=r["id"], due_at=r["due_at"])
        return len(rows)


    # -- retention -----------------------------------------------------------------------------------

    def retention(self, now: dt.datetime) -> None:
        """Purge closed tickets' attachments after storage.retention_days (attachments.py).

        Idempotent (purged tickets get a ``retention_purged`` event); a failure is logged and
        never stops reminders or the digest.
        """
        from . import attachments

        try:
            attachments.purge(self.store, self.config, now)
        except Exception as e:
            log.error("retention_purge_failed", error=f"{type(e).__name__}: {e}")


def start_clock(jobs: Jobs, on_queued: Callable[[], None], seconds: float = TICK_SECONDS) -> Any:
    """An APScheduler BackgroundScheduler calling ``jobs.tick`` every ``seconds`` (first run now).

    In-memory job store on purpose: the job holds no state, the database does. ``coalesce`` and
    ``max_instances=1`` keep a slow tick from piling up behind itself.
    """
    from apscheduler.schedulers.background import BackgroundScheduler

    def run() -> None:
        try:
            if jobs.tick():
                on_queued()
        except Exception as e:  # logged, and the next tick tries again: the rows are still due
            log.error("tick_failed", error=f"{type(e).__name__}: {e}")

    sched = BackgroundScheduler(timezone=jobs.config.helpdesk.timezone)
    sched.add_job(run, "interval", seconds=seconds, id="tick", max_instances=1, coalesce=True,
                  next_run_time=dt.datetime.now(dt.timezone.utc), misfire_grace_time=None)
    sched.start()
    return sched


__all__ = ["Jobs", "TICK_SECONDS", "start_clock"]

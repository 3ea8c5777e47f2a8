"""Outages of SPSE that staff declare (SLA II.b.9: the Balai announces disruptions).

Staff declare one by mail (``#gangguan <pengumuman>``, ``#gangguan selesai``) or by CLI
(``helpdesk-bot gangguan start|stop``). While one is declared, every acknowledgement carries
its announcement, a ``gangguan`` report is answered with it and linked to it, and the digest
shows it. Ending it tells every linked report's requester that SPSE is back and closes those
tickets. At most one outage is open at a time: declaring again replaces the announcement text.

Runs inside the caller's transaction; times from ``Store.now()``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog

from .office_hours import format_datetime_id
from .redact import redact
from .store import parse_iso

if TYPE_CHECKING:  # pragma: no cover
    from .store import Store

log = structlog.get_logger("helpdesk_bot.outages")

#: Longest announcement kept: it is repeated in every acknowledgement while declared.
MAX_TEXT = 1000
#: Words after #gangguan that end the outage.
END_WORDS = ("selesai", "berakhir", "normal", "pulih")


@dataclass(frozen=True)
class Outage:
    id: int
    text: str
    started_at: dt.datetime
    started_by: str
    ended_at: dt.datetime | None = None

    def announcement(self, tz: str) -> dict[str, str]:
        """What templates show: the text and "Senin, 30 November 2026 pukul 09.15 WIB"."""
        return {"text": self.text, "started": format_datetime_id(self.started_at, tz)}


def _from_row(r: dict[str, Any]) -> Outage:
    return Outage(r["id"], r["text"], parse_iso(r["started_at"]), r["started_by"] or "",  # type: ignore[arg-type]
                  parse_iso(r["ended_at"]))


def current(store: Store) -> Outage | None:
    row = store.current_outage()
    return _from_row(row) if row else None


def announcement(store: Store | None, tz: str) -> dict[str, str] | None:
    """The current outage for a template, or None (also without a store, as in --explain)."""
    if store is None:
        return None
    outage = current(store)
    return outage.announcement(tz) if outage else None


def declare(store: Store, text: str, actor: str) -> Outage:
    """Open an outage, or replace the current one's text."""
    text = " ".join(redact(text).split())[:MAX_TEXT]
    if not text:
        raise ValueError("Pengumuman gangguan memerlukan teks, misalnya: #gangguan SPSE tidak dapat diakses sejak pukul 08.00 WIB.")
    now = store.now()
    existing = current(store)
    if existing:
        store.set_outage_text(existing.id, text)
        store.add_event(None, "outage_updated", actor=actor, outage_id=existing.id, text=text)
        log.info("outage_updated", outage=existing.id, actor=actor)
        return Outage(existing.id, text, existing.started_at, existing.started_by)
    oid = store.start_outage(text, now, actor)
    store.add_event(None, "outage_declared", actor=actor, outage_id=oid, text=text)
    log.info("outage_declared", outage=oid, actor=actor)
    return Outage(oid, text, now, actor)


def end(store: Store, actor: str) -> tuple[Outage | None, list[str]]:
    """Close the current outage; the ids of its linked reports still open, for the staff workflow
    (``workflow.end_outage``) to close and answer: outages stay below the workflow, not beside it."""
    outage = current(store)
    if outage is None:
        return None, []
    now = store.now()
    store.end_outage(outage.id, now, actor)
    store.add_event(None, "outage_ended", actor=actor, outage_id=outage.id)
    open_reports = store.open_outage_reports(outage.id)
    log.info("outage_ended", outage=outage.id, actor=actor, open_reports=len(open_reports))
    return outage, open_reports


def is_end(argument: str) -> bool:
    """``#gangguan selesai`` (or berakhir/normal/pulih) ends the outage; anything else declares it."""
    words = argument.strip().lower().split()
    return bool(words) and words[0].strip(".,!") in END_WORDS and len(words) <= 3


__all__ = ["Outage", "current", "announcement", "declare", "end", "is_end"]

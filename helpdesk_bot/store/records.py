"""What the store hands out: time helpers, ticket statuses and the ``Ticket`` record.

Kept apart from the SQL so a module that only reads a ``Ticket`` (explain, staff) imports no
connection code.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def iso(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


def parse_iso(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


#: Ticket lifecycle (DOMAIN/issue 4): new, waiting for documents, queued, in progress, done, refused.
STATUSES = ("baru", "menunggu_kelengkapan", "antre", "diproses", "selesai", "ditolak")
OPEN_STATUSES = ("baru", "menunggu_kelengkapan", "antre", "diproses")
#: Closed tickets: no staff action left (retention counts from ``closed_at``).
CLOSED_STATUSES = ("selesai", "ditolak")


@dataclass(frozen=True)
class Ticket:
    id: str
    request_type: str
    status: str
    requester: str
    requester_name: str
    mailbox: str
    subject: str
    message_id: str
    documents: list[str]
    missing: list[str]
    fields: dict[str, str]
    lacking: list[str]
    reasons: list[str]
    urgent: bool
    needs_staff: str
    due_at: dt.datetime | None
    start_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    closed_at: dt.datetime | None
    reminder_count: int
    next_reminder_at: dt.datetime | None
    password_confirmed_at: dt.datetime | None
    #: The requester's own words (redacted, quoted thread cut off, capped), for staff.
    requester_text: str = ""
    #: The declared outage a gangguan report was answered with.
    outage_id: int | None = None
    #: Onboarding step (workflow.ONBOARDING_STEPS); "" before the documents are complete.
    onboarding: str = ""
    #: The bimtek date and place as staff wrote it (#bimtek).
    bimtek: str = ""

    @classmethod
    def from_row(cls, r: dict[str, Any]) -> Ticket:
        return cls(
            id=r["id"], request_type=r["request_type"], status=r["status"], requester=r["requester"],
            requester_name=r["requester_name"] or "", mailbox=r["mailbox"] or "", subject=r["subject"] or "",
            message_id=r["message_id"] or "", documents=json.loads(r["documents"]),
            missing=json.loads(r["missing"]), fields=json.loads(r["fields"]), lacking=json.loads(r["lacking"]),
            reasons=json.loads(r["reasons"]), urgent=bool(r["urgent"]), needs_staff=r["needs_staff"] or "",
            due_at=parse_iso(r["due_at"]), start_at=parse_iso(r["start_at"]),
            created_at=parse_iso(r["created_at"]), updated_at=parse_iso(r["updated_at"]),  # type: ignore[arg-type]
            closed_at=parse_iso(r["closed_at"]), reminder_count=r["reminder_count"],
            next_reminder_at=parse_iso(r["next_reminder_at"]),
            password_confirmed_at=parse_iso(r["password_confirmed_at"]),
            requester_text=r.get("requester_text") or "", outage_id=r.get("outage_id"),
            onboarding=r.get("onboarding") or "", bimtek=r.get("bimtek") or "",
        )

    def to_json(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        for k, v in d.items():
            if isinstance(v, dt.datetime):
                d[k] = iso(v)
        return d


def encode(values: dict[str, Any]) -> dict[str, Any]:
    """Column values as SQLite stores them: JSON for lists and dicts, ISO for times, 0/1 for bools."""
    out = {}
    for k, v in values.items():
        if isinstance(v, (list, dict, tuple)):
            out[k] = json.dumps(v, ensure_ascii=False)
        elif isinstance(v, dt.datetime):
            out[k] = iso(v)
        elif isinstance(v, bool):
            out[k] = int(v)
        else:
            out[k] = v
    return out

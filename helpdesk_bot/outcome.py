"""What became of one mail or staff action: plain data the writer returns and the daemon logs.

Its own module so that the writer (pipeline), the staff workflow and quarantine can all return
one without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Outcome:
    #: ticket, followup, duplicate, suppressed, quarantined, command, already_done
    kind: str
    ticket_id: str | None = None
    reason: str = ""
    replies: list[str] = field(default_factory=list)

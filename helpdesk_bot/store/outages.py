"""Outages staff declare (``#gangguan``), and the staff corrections ``rules eval`` replays."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from .base import StoreBase
from .records import iso


class StaffRecordStore(StoreBase):
    # -- outages --------------------------------------------------------------------------------

    def current_outage(self) -> dict[str, Any] | None:
        """The outage staff declared and have not ended (the latest), as a row."""
        return self.one("SELECT * FROM outages WHERE ended_at IS NULL ORDER BY id DESC LIMIT 1")

    def start_outage(self, text: str, started_at: dt.datetime, actor: str) -> int:
        return self.insert("outages", {"text": text, "started_at": iso(started_at), "started_by": actor})

    def set_outage_text(self, outage_id: int, text: str) -> None:
        self.update("outages", outage_id, {"text": text})

    def end_outage(self, outage_id: int, ended_at: dt.datetime, actor: str) -> None:
        self.update("outages", outage_id, {"ended_at": iso(ended_at), "ended_by": actor})

    # -- corrections ----------------------------------------------------------------------------

    def add_correction(self, *, ticket_id: str, kind: str, words: list[str], request_type: str, missing: list[str],
                       actor: str, via: str, request_message_id: str, mail_path: str, mail_sha256: str) -> int:
        """One staff correction with the ticket's state after it and the request mail it corrects."""
        return self.insert("corrections", dict(
            ticket_id=ticket_id, kind=kind, value=json.dumps(words), request_type=request_type,
            missing=json.dumps(missing), actor=actor, via=via, request_message_id=request_message_id,
            mail_path=mail_path, mail_sha256=mail_sha256, created_at=self.now().isoformat()))

    def corrections(self) -> list[dict[str, Any]]:
        """Every correction, oldest first (``missing`` and ``value`` as JSON text)."""
        return self.query("SELECT * FROM corrections ORDER BY id")

"""The sender's pass over the outbox (outbox.Sender), on the embedded default's directory transport."""

from __future__ import annotations

from pathlib import Path

from helpdesk_bot.config import embedded_default
from helpdesk_bot.outbox import Sender
from helpdesk_bot.store import open_store


def _queue(store, n: int) -> list[int]:  # type: ignore[no-untyped-def]
    with store.transaction():
        return [store.enqueue(ticket_id=None, kind="ack", automatic=False, message_id=f"<m{i}@helpdesk.test>",
                              mail_from="helpdesk@example.test", recipients=[f"p{i}@example.go.id"],
                              raw=f"Subject: {i}\n\nisi\n".encode()) for i in range(n)]


def test_rows_tried_earlier_in_a_run_never_hide_the_rest_of_the_outbox(tmp_path: Path) -> None:
    """``run --once`` shares one set of tried rows between its flushes; 200 of them still
    pending (a refused batch) must not stop the rows after them from being sent."""
    cfg = embedded_default(tmp_path)
    store = open_store(cfg)
    try:
        ids = _queue(store, 250)
        tried = set(ids[:220])
        result = Sender(cfg, store).flush(ignore_backoff=True, seen=tried)
        assert result.sent == 30
        assert {store.outbox_status(i) for i in ids[:220]} == {"pending"}
        assert {store.outbox_status(i) for i in ids[220:]} == {"sent"}
        assert tried == set(ids)
        # Within one run, nothing is tried twice.
        assert Sender(cfg, store).flush(ignore_backoff=True, seen=tried).sent == 0
        assert len(list(cfg.resolve(cfg.smtp.path).glob("*.eml"))) == 30
    finally:
        store.close()

"""Per-sender limits count the mailbox (case, +tags); the overall cap defers, never drops."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from helpdesk_bot import digest
from helpdesk_bot.scheduler import Jobs
from mails import request_mail
from test_workflow import World, make_world, wib


def world(tmp_path: Path, **screening: int) -> World:
    w = make_world(tmp_path, wib(2026, 11, 24, 9, 0))
    w.config = dataclasses.replace(w.config, screening=dataclasses.replace(w.config.screening, **screening))
    w.pipeline.config = w.config
    return w


def acks(w: World) -> list:
    return [m for m in w.outbox() if "Ringkasan" not in str(m["Subject"])]


def test_plus_tags_and_case_share_one_budget(tmp_path: Path) -> None:
    w = world(tmp_path)
    for i in range(8):
        w.deliver(request_mail(subject=f"Permohonan {i}", sender=f"Target+{i}@BandungKab.go.id"))
    assert len(acks(w)) == w.config.screening.per_sender_per_hour == 5
    withheld = w.store.query("SELECT COUNT(*) AS n FROM events WHERE kind = 'reply_withheld'")[0]["n"]
    assert withheld == 3


def test_over_the_overall_cap_a_reply_is_deferred_then_sent(tmp_path: Path) -> None:
    w = world(tmp_path, overall_per_hour=2)
    ids = [w.deliver(request_mail(subject=f"Permohonan {i}", sender=f"u{i}@bandungkab.go.id")).ticket_id for i in range(3)]
    rows = w.store.query("SELECT ticket_id, status FROM outbox ORDER BY id")
    assert [r["status"] for r in rows] == ["pending", "pending", "deferred"]
    assert "reply_deferred" in [e["kind"] for e in w.store.events(ids[2])]
    d = digest.collect(w.store, w.replies)
    assert [r.ticket_id for r in d.undelivered] == [ids[2]] and "ditunda" in d.undelivered[0].reason
    jobs = Jobs(w.config, w.store, lambda: w.pipeline.rules, w.pipeline.calendar)
    w.clock.advance(minutes=30)
    jobs.tick()  # the hour is still full: stays deferred
    assert w.store.one("SELECT status FROM outbox WHERE ticket_id = ?", (ids[2],))["status"] == "deferred"
    w.clock.advance(minutes=31)
    jobs.tick()
    assert w.store.one("SELECT status FROM outbox WHERE ticket_id = ?", (ids[2],))["status"] == "pending"
    assert "reply_released" in [e["kind"] for e in w.store.events(ids[2])]
    assert len(acks(w)) == 3  # nobody left without an answer

"""The clock: password reminders, overdue marks and the digest, driven by a fake clock.

Every test advances a FakeClock and calls ``Jobs.tick``; a "restart" is a new Store and Jobs on
the same database file, which is all the daemon keeps across restarts.
"""

from __future__ import annotations

import dataclasses
import json
import datetime as dt
import threading
from pathlib import Path

from helpdesk_bot import digest
from helpdesk_bot.config import DigestConfig, RemindersConfig
from helpdesk_bot.scheduler import Jobs, start_clock
from helpdesk_bot.store import Store
from helpdesk_bot.workflow import PASSWORD_FLAG, act
from mails import request_mail
from test_workflow import STAFF, World, make_world, staff_mail, ubah_jadwal_request, wib


def jobs_for(w: World) -> Jobs:
    return Jobs(w.config, w.store, lambda: w.pipeline.rules, w.pipeline.calendar)


def done_ticket(w: World) -> str:
    """An ubah_jadwal ticket closed by staff (#selesai) at the clock's time."""
    t_id = w.deliver(ubah_jadwal_request()).ticket_id
    w.deliver(staff_mail(w, t_id, "#selesai"))
    assert w.store.ticket(t_id).status == "selesai"
    return t_id


def reminders_sent(w: World, t_id: str) -> int:
    return len(w.store.query("SELECT 1 FROM outbox WHERE kind = 'reminder_password' AND ticket_id = ?", (t_id,)))


def test_reminders_repeat_in_working_hours_then_flag(tmp_path: Path) -> None:
    w = make_world(tmp_path, wib(2026, 11, 24, 9, 0))  # Tuesday
    w.config = dataclasses.replace(w.config, reminders=RemindersConfig(interval_hours=4.0, max_count=2),
                                   digest=DigestConfig(time=""))
    w.pipeline.config = w.config
    t_id = done_ticket(w)
    jobs = jobs_for(w)
    first_due = w.store.ticket(t_id).next_reminder_at
    assert first_due == wib(2026, 11, 24, 14, 0)  # 09-12 (3 h), 13-14 (1 h)

    w.clock.now = wib(2026, 11, 24, 13, 59)
    assert not jobs.tick() and reminders_sent(w, t_id) == 0
    w.clock.now = wib(2026, 11, 24, 14, 0)
    assert jobs.tick() and reminders_sent(w, t_id) == 1
    assert not jobs.tick() and reminders_sent(w, t_id) == 1  # same tick again: nothing new
    t = w.store.ticket(t_id)
    assert t.reminder_count == 1 and t.next_reminder_at == wib(2026, 11, 25, 9, 30)  # 14-16, then Wed 07.30 + 2 h

    w.clock.now = wib(2026, 11, 25, 9, 30)
    assert jobs.tick() and reminders_sent(w, t_id) == 2
    reminder = w.outbox("reminder_password")[-1]
    body = " ".join(reminder.get_body(("plain",)).get_content().split())
    assert "pengingat ke-2 dari 2" in body and reminder["In-Reply-To"] == w.store.ticket(t_id).message_id

    w.clock.now = wib(2026, 11, 25, 15, 0)
    assert not jobs.tick()
    t = w.store.ticket(t_id)
    assert reminders_sent(w, t_id) == 2 and t.next_reminder_at is None and t.needs_staff == PASSWORD_FLAG
    assert "password_unconfirmed" in w.kinds(t_id)


def test_confirmation_stops_reminders(tmp_path: Path) -> None:
    w = make_world(tmp_path, wib(2026, 11, 24, 9, 0))
    t_id = done_ticket(w)
    jobs = jobs_for(w)
    w.clock.now = w.store.ticket(t_id).next_reminder_at
    jobs.tick()
    assert reminders_sent(w, t_id) == 1
    reminder = w.outbox("reminder_password")[-1]
    w.clock.advance(minutes=10)
    out = w.deliver(request_mail(subject=f"Re: {reminder['Subject']}", body="sudah saya ganti",
                                 in_reply_to=reminder["Message-ID"]))
    assert out.kind == "password_confirmed"
    w.clock.advance(days=10)
    jobs.tick()
    assert reminders_sent(w, t_id) == 1
    assert w.store.ticket(t_id).needs_staff == ""


def test_reminders_are_idempotent_across_restarts(tmp_path: Path) -> None:
    w = make_world(tmp_path, wib(2026, 11, 24, 9, 0))
    t_id = done_ticket(w)
    due = w.store.ticket(t_id).next_reminder_at
    w.clock.now = due + dt.timedelta(minutes=1)
    jobs_for(w).tick()
    # "Restart": a new connection and a new Jobs on the same file, same moment.
    store2 = Store(w.store.path, clock=w.clock)
    w2 = dataclasses.replace(w, store=store2)
    w2.pipeline.store = store2
    jobs2 = Jobs(w.config, store2, lambda: w.pipeline.rules, w.pipeline.calendar)
    jobs2.tick()
    jobs2.tick()
    assert reminders_sent(w2, t_id) == 1


def test_overdue_recorded_once(tmp_path: Path) -> None:
    w = make_world(tmp_path, wib(2026, 11, 24, 9, 0))
    t_id = w.deliver(ubah_jadwal_request()).ticket_id
    jobs = jobs_for(w)
    due = w.store.ticket(t_id).due_at
    w.clock.now = due - dt.timedelta(minutes=1)
    assert jobs.overdue(w.clock.now) == 0
    w.clock.now = due + dt.timedelta(minutes=1)
    assert jobs.overdue(w.clock.now) == 1
    assert jobs.overdue(w.clock.now) == 0
    assert w.kinds(t_id).count("overdue") == 1


def test_digest_on_working_days_at_the_configured_time_once(tmp_path: Path) -> None:
    w = make_world(tmp_path, wib(2026, 11, 27, 6, 0))  # Friday
    w.config = dataclasses.replace(w.config, digest=DigestConfig(recipients=("kepala@lpse.jabarprov.go.id",),
                                                                 time="07:00"))
    w.pipeline.config = w.config
    jobs = jobs_for(w)
    assert not jobs.tick()
    w.deliver(ubah_jadwal_request())  # something new: a digest is due (none when nothing is new)
    w.clock.now = wib(2026, 11, 27, 7, 0)
    assert jobs.tick()
    assert len(w.outbox("digest")) == 1
    w.clock.now = wib(2026, 11, 27, 15, 0)
    assert not jobs.tick()
    for day in (28, 29):  # weekend: no digest
        w.clock.now = wib(2026, 11, day, 8, 0)
        jobs.tick()
    assert len(w.outbox("digest")) == 1
    w.deliver(ubah_jadwal_request())  # Sunday's mail makes Monday's digest
    w.clock.now = wib(2026, 11, 30, 7, 5)  # Monday
    jobs.tick()
    assert len(w.outbox("digest")) == 2
    assert digest.last_digest_at(w.store) == wib(2026, 11, 30, 7, 5)
    w.clock.now = wib(2026, 12, 25, 8, 0)  # Christmas: a public holiday
    jobs.tick()
    assert len(w.outbox("digest")) == 2
    mail = w.outbox("digest")[0]
    assert mail["To"] == "kepala@lpse.jabarprov.go.id"
    assert {p.get_content_type() for p in mail.walk()} >= {"text/plain", "text/html"}


def test_digest_goes_to_staff_addresses_by_default(tmp_path: Path) -> None:
    w = make_world(tmp_path, wib(2026, 11, 27, 8, 0))
    w.deliver(ubah_jadwal_request())
    jobs_for(w).tick()
    rows = w.store.query("SELECT recipients FROM outbox WHERE kind = 'digest'")
    assert len(rows) == 1 and STAFF in rows[0]["recipients"]


def test_apscheduler_clock_calls_tick(tmp_path: Path) -> None:
    w = make_world(tmp_path, wib(2026, 11, 24, 9, 0))
    t_id = done_ticket(w)
    w.clock.now = w.store.ticket(t_id).next_reminder_at
    queued = threading.Event()
    sched = start_clock(jobs_for(w), queued.set, seconds=0.2)
    try:
        assert queued.wait(5)
    finally:
        sched.shutdown(wait=True)
    assert reminders_sent(w, t_id) == 1


def test_act_via_cli_path_also_schedules(tmp_path: Path) -> None:
    w = make_world(tmp_path, wib(2026, 11, 24, 9, 0))
    t_id = w.deliver(ubah_jadwal_request()).ticket_id
    with w.store.transaction():
        act(w.store, w.replies, t_id, "selesai", "cli:andi")
    assert w.store.ticket(t_id).next_reminder_at is not None


def test_reminder_due_before_a_weekend_waits_for_the_opening(tmp_path: Path) -> None:
    w = make_world(tmp_path, wib(2026, 11, 27, 14, 0))  # Friday
    t_id = done_ticket(w)
    due = w.store.ticket(t_id).next_reminder_at
    assert due == wib(2026, 11, 30, 14, 0)  # 14-16.30 (2.5 h), Monday 07.30-12 (4.5 h), 13-14 (1 h)
    jobs = jobs_for(w)
    w.clock.now = wib(2026, 12, 5, 10, 0)  # daemon was down; back on Saturday
    jobs.tick()
    assert reminders_sent(w, t_id) == 0
    w.clock.now = wib(2026, 12, 7, 7, 30)  # Monday opening: one reminder, not a burst
    jobs.tick()
    jobs.tick()
    assert reminders_sent(w, t_id) == 1


def test_retention_purge_runs_on_the_clock(tmp_path: Path) -> None:
    w = make_world(tmp_path, wib(2026, 11, 24, 9, 0))
    t_id = done_ticket(w)
    w.clock.now = wib(2027, 3, 1, 9, 0)  # > 90 days after closing
    jobs_for(w).tick()
    assert "retention_purged" in w.kinds(t_id)


def test_threads_opening_a_fresh_database_at_once_all_migrate(tmp_path: Path) -> None:
    """The daemon's mailbox, sender and clock threads open the database together at start.

    Repeated: switching a fresh file to WAL failed with "database is locked" in about 1 start
    in 15 before the switch was retried (store.base._enter_wal)."""
    errors: list[BaseException] = []
    for trial in range(25):
        path = tmp_path / f"fresh{trial}.db"
        barrier = threading.Barrier(8)

        def open_it() -> None:
            try:
                barrier.wait()
                Store(path).close()
            except BaseException as e:  # noqa: BLE001 - collected for the assertion
                errors.append(e)

        threads = [threading.Thread(target=open_it) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []


def test_reminder_without_a_requester_address_is_recorded_as_withheld(tmp_path: Path) -> None:
    """The reminder goes through the reply service: no address, no mail, an event saying which
    mail was withheld, and the clock moves on (it used to fail the tick on every pass)."""
    w = make_world(tmp_path, wib(2026, 11, 24, 9, 0))
    t_id = done_ticket(w)
    w.store.update_ticket(t_id, requester="")
    w.clock.now = w.store.ticket(t_id).next_reminder_at
    assert jobs_for(w).reminders(w.replies, w.clock.now) == 0
    assert reminders_sent(w, t_id) == 0
    [withheld] = [e for e in w.store.events(t_id) if e["kind"] == "reply_withheld"]
    detail = json.loads(withheld["detail"])
    assert detail["mail"] == "reminder_password" and detail["reason"] == "no requester address"
    assert w.store.ticket(t_id).reminder_count == 1

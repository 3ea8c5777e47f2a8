"""The store's named methods: what each question returns, on a real SQLite file.

The modules that call them (digest, report, attachments, outbox, quarantine, queries) have their
own end-to-end tests; these pin the edges of the selections themselves (boundaries, statuses,
what counts as news), which those tests reach only through rendered text.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from helpdesk_bot.store import MIGRATIONS, Store, TicketSearch, inspect_database

T0 = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.timezone.utc)


class Clock:
    def __init__(self, now: dt.datetime = T0):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kw: float) -> dt.datetime:
        self.now += dt.timedelta(**kw)
        return self.now


def make(tmp_path: Path) -> tuple[Store, Clock]:
    clock = Clock()
    return Store(tmp_path / "h.db", clock=clock), clock


def ticket(store: Store, **values: object) -> str:
    row = dict(request_type="ubah_jadwal", status="baru", requester="a@x.go.id")
    row.update(values)
    return store.create_ticket("LPSE", **row)


def test_a_fresh_file_has_every_migration_and_reopening_applies_none(tmp_path: Path) -> None:
    store, _ = make(tmp_path)
    assert store.migrate() == []
    store.close()
    state = inspect_database(tmp_path / "h.db")
    assert state.integrity == "ok" and state.pending == [] and state.applied == {n for n, _ in MIGRATIONS}
    assert Store(tmp_path / "h.db").migrate() == []


def test_activity_since_sees_each_kind_of_news_and_nothing_older(tmp_path: Path) -> None:
    store, clock = make(tmp_path)
    since = clock.advance(hours=1)
    now = clock.advance(hours=1)
    assert not store.activity_since(since, now)
    # Before ``since``: not news.
    clock.now = since - dt.timedelta(minutes=1)
    store.add_event(None, "outage_declared", text="x")
    clock.now = now
    assert not store.activity_since(since, now)
    store.add_event(None, "outage_ended")
    assert store.activity_since(since, now)
    assert not store.activity_since(now + dt.timedelta(seconds=1), now)

    store2, clock2 = make(tmp_path / "b")
    t = ticket(store2)
    since2 = clock2.advance(hours=1)
    assert not store2.activity_since(since2, clock2.now)
    store2.add_event(t, "assigned", assignee="x")  # not news
    assert not store2.activity_since(since2, clock2.now)
    store2.add_event(t, "staff_note", text="cek")
    assert store2.activity_since(since2, clock2.now)

    store3, clock3 = make(tmp_path / "c")
    store3.update_ticket(ticket(store3), due_at=T0 + dt.timedelta(hours=2))
    # A ticket falling due inside [since, now) is news; one due later is not yet.
    assert store3.activity_since(T0 + dt.timedelta(hours=1), T0 + dt.timedelta(hours=3))
    assert not store3.activity_since(T0 + dt.timedelta(hours=1), T0 + dt.timedelta(hours=2))


def test_retention_selects_closed_tickets_once_per_closing(tmp_path: Path) -> None:
    store, clock = make(tmp_path)
    old = ticket(store, status="selesai", closed_at=T0)
    fresh = ticket(store, status="ditolak", closed_at=T0 + dt.timedelta(days=20))
    open_ = ticket(store, status="antre")
    cutoff = T0 + dt.timedelta(days=10)
    assert store.closed_unpurged(cutoff) == [old]
    assert sorted(store.tickets_kept_after(cutoff)) == sorted([fresh, open_])
    clock.advance(days=11)
    store.add_event(old, "retention_purged")
    assert store.closed_unpurged(cutoff) == []
    # Reopened and closed again after the purge: due again once its new closing is old enough.
    store.update_ticket(old, closed_at=clock.advance(days=1))
    assert store.closed_unpurged(clock.now) == [old]


def test_attachment_digests_and_dropping_cached_text(tmp_path: Path) -> None:
    store, _ = make(tmp_path)
    a, b = ticket(store), ticket(store)
    store.add_event(a, "attachments_stored", sha256=["s1", "s2"])
    store.add_event(b, "attachments_stored", sha256=["s2", "s3"])
    assert store.attachment_digests([a]) == {"s1", "s2"}
    assert store.attachment_digests([a, b]) == {"s1", "s2", "s3"}
    assert store.attachment_digests([]) == set()
    for sha in ("s1", "s3"):
        store.insert("doc_cache", {"sha256": sha, "data": "{}", "created_at": "2026-11-30T02:00:00+00:00"})
    assert store.drop_cached(["s1", "nope"]) == 1
    assert store.one("SELECT group_concat(sha256) AS s FROM doc_cache") == {"s": "s3"}


def test_outbox_results_and_forgetting_sent_copies(tmp_path: Path) -> None:
    store, clock = make(tmp_path)
    t = ticket(store)
    ids = [store.enqueue(ticket_id=t, kind="ack", automatic=True, message_id=f"<{i}@x>", mail_from="hd@x",
                         recipients=["A+tag@X.go.id"], raw=b"mail") for i in range(3)]
    assert store.automatic_replies_since(T0, "a@x.go.id") == 3
    store.mark_sent(ids[0], attempts=1)
    store.schedule_retry(ids[1], 1, clock.now + dt.timedelta(minutes=5), "421 busy " * 100)
    store.mark_failed(ids[2], 3, "550 no such user")
    assert [r["id"] for r in store.due_outbox(clock.now)] == []
    assert [r["id"] for r in store.due_outbox(clock.now + dt.timedelta(minutes=5))] == [ids[1]]
    [retrying] = [r for r in store.retrying_outbox(10) if r["id"] == ids[1]]
    assert retrying["attempts"] == 1 and len(retrying["last_error"]) == 500
    assert [r["id"] for r in store.undelivered_outbox()] == [ids[2]]
    assert store.forget_sent_copies(t) == 2  # the sent and the failed one; the pending one keeps its bytes
    assert store.forget_sent_copies(t) == 0


def test_first_notice_per_ticket_of_the_month(tmp_path: Path) -> None:
    store, clock = make(tmp_path)
    t = ticket(store)
    for kind in ("ack", "notice_diterima", "notice_selesai"):
        clock.advance(hours=1)
        store.enqueue(ticket_id=t, kind=kind, automatic=False, message_id=f"<{kind}@x>", mail_from="hd@x",
                      recipients=["a@x.go.id"], raw=b"m")
    assert store.first_notices(T0, T0 + dt.timedelta(days=1)) == {t: T0 + dt.timedelta(hours=2)}
    assert store.first_notices(T0 + dt.timedelta(seconds=1), T0 + dt.timedelta(days=1)) == {}


def test_quarantine_closes_only_from_the_expected_status(tmp_path: Path) -> None:
    store, _ = make(tmp_path)
    qid = store.add_quarantine(mailbox="in", key="1:5", message_id="<m>", sender="s@x", subject="s", reason="boom",
                               traceback="tb", raw=b"raw")
    assert store.close_quarantine_for("in", "1:5", "resolved", only_if="dismissed") is False
    assert store.close_quarantine_for("in", "1:5", "resolved", only_if="open") is True
    row = store.quarantine_entry(qid)
    assert row is not None and row["status"] == "resolved" and row["raw"] is None
    assert store.count_quarantine("open") == 0 and store.quarantined_between(T0, T0 + dt.timedelta(days=1)) == 1


def test_requester_tickets_and_search(tmp_path: Path) -> None:
    store, clock = make(tmp_path)
    first = ticket(store, requester="Budi@Dinas.go.id", fields={"satuan_kerja": "Dinas 50%_Pendidikan"})
    clock.advance(hours=1)
    status_q = ticket(store, requester="budi@dinas.go.id", request_type="status")
    clock.advance(hours=1)
    second = ticket(store, requester="budi@dinas.go.id", subject="Jadwal")
    assert [t.id for t in store.requester_tickets("BUDI@dinas.go.id", excluding_type="status")] == [second, first]
    assert [t.id for t in store.requester_tickets("budi@dinas.go.id")] == [second, status_q, first]
    agency = TicketSearch(agency="50%_pend", agency_fields=("satuan_kerja",))
    assert [t.id for t in store.search_tickets(agency)] == [first]
    assert store.search_tickets(TicketSearch(agency="50%_x", agency_fields=("satuan_kerja",))) == []
    assert [t.id for t in store.search_tickets(TicketSearch(created_from=T0 + dt.timedelta(hours=2)))] == [second]
    assert [t.id for t in store.search_tickets(TicketSearch(created_before=T0 + dt.timedelta(hours=1)))] == [first]
    assert len(store.search_tickets(TicketSearch())) == 3


def test_corrections_round_trip(tmp_path: Path) -> None:
    store, _ = make(tmp_path)
    t = ticket(store)
    store.add_correction(ticket_id=t, kind="missing", words=["sk"], request_type="ubah_jadwal", missing=["sk"],
                         actor="staff@x", via="cli", request_message_id="<m>", mail_path="", mail_sha256="")
    [c] = store.corrections()
    assert c["ticket_id"] == t and json.loads(c["missing"]) == ["sk"] and json.loads(c["value"]) == ["sk"]


def test_the_old_import_path_is_the_same_store() -> None:
    """``helpdesk_bot.tickets`` is a re-export kept for imports written before the package."""
    from helpdesk_bot import tickets

    assert tickets.Store is Store and tickets.open_store.__module__ == "helpdesk_bot.store"


def test_threads_of_one_process_take_turns_and_a_failed_transaction_lets_the_next_one_in(tmp_path: Path) -> None:
    """Each thread has its own connection; writes take turns on a process-wide lock
    (store/base.py _write_lock). A transaction that raises releases it; a thread that waits
    longer than its connection's busy_timeout gets SQLite's own "database is locked"."""
    import sqlite3
    import threading

    a, _ = make(tmp_path)
    b = Store(tmp_path / "h.db")
    with pytest.raises(RuntimeError):
        with a.transaction():
            ticket(a)
            raise RuntimeError("a decision failed")
    assert a.tickets() == []

    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        with a.transaction():
            ticket(a, requester="first@x.go.id")
            inside.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert inside.wait(10)
    b.conn.execute("PRAGMA busy_timeout=100")
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        with b.transaction():
            ticket(b, requester="impatient@x.go.id")
    b.conn.execute("PRAGMA busy_timeout=30000")

    def second() -> None:
        with b.transaction():
            ticket(b, requester="second@x.go.id")

    waiter = threading.Thread(target=second)
    waiter.start()
    waiter.join(0.3)
    assert waiter.is_alive()  # waiting for the first transaction, not failing
    release.set()
    holder.join(10)
    waiter.join(10)
    assert sorted(t.requester for t in a.tickets()) == ["first@x.go.id", "second@x.go.id"]

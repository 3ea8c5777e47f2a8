"""The single writer: one thread decides and commits every mail, one transaction per mail.

The daemon's mailbox threads hand analysed mail to ``writer.Writer``; these tests drive it with
the real Pipeline on a Store file (no mail server needed). The crash tests
(test_mailserver_faults: SIGKILL, locked database, full disk) run the whole daemon around it.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from helpdesk_bot.pipeline import Pipeline
from helpdesk_bot.reply_service import ReplyService
from helpdesk_bot.sources.base import SourceMessage
from helpdesk_bot.tickets import Store
from helpdesk_bot.workflow import thread_hooks
from helpdesk_bot.writer import EarlierMailFailed, Lane, Writer, WriterStopped
from test_workflow import World, make_world, ubah_jadwal_request, wib

MAILS = 6


def _request(i: int) -> bytes:
    msg = ubah_jadwal_request()
    msg.replace_header("From", f"Pokja {i} <pokja{i}@bandungkab.go.id>")
    msg.replace_header("Message-ID", f"<req-{i}@bandungkab.go.id>")
    return bytes(msg)


def _writer(w: World, seen: list[str] | None = None, gate: threading.Event | None = None,
            busy_ms: int = 30000) -> Writer:
    """A Writer whose pipeline runs on its own connection to the world's database file."""

    def make() -> Pipeline:
        store = Store(w.store.path, clock=w.clock)
        store.conn.execute(f"PRAGMA busy_timeout={busy_ms}")
        pipeline = Pipeline(w.config, store, lambda: w.pipeline.rules, w.pipeline.calendar, hooks=thread_hooks())
        process = pipeline.process

        def traced(msg, analysis=None):  # type: ignore[no-untyped-def]
            if seen is not None:
                seen.append(threading.current_thread().name)
            if gate is not None:
                gate.wait(10)
            return process(msg, analysis)

        pipeline.process = traced  # type: ignore[method-assign]
        return pipeline

    return Writer(make, close=lambda p: p.store.close()).start()


def test_mail_from_every_mailbox_thread_is_decided_in_the_one_writer_thread(tmp_path: Path) -> None:
    w = make_world(tmp_path, wib(2026, 11, 24, 9, 0))
    seen: list[str] = []
    writer = _writer(w, seen)
    outcomes: dict[str, str] = {}

    def mailbox(name: str, first: int) -> None:
        for i in range(first, first + MAILS // 2):
            out = writer.process(SourceMessage(name, f"{name}-{i}", _request(i)))
            outcomes[f"{name}-{i}"] = out.kind

    threads = [threading.Thread(target=mailbox, args=(n, k), name=f"mailbox-{n}")
               for n, k in (("helpdesk", 0), ("lpse", MAILS // 2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    writer.stop()
    assert sorted(outcomes.values()) == ["ticket"] * MAILS
    assert set(seen) == {"writer"} and len(seen) == MAILS
    assert len(w.store.tickets()) == MAILS


class _SeenByHook:
    """A hook that writes before the decision fails (as a staff-command hook does)."""

    def handle(self, pipeline, env, ticket, msg):  # type: ignore[no-untyped-def]
        return None

    def handle_unthreaded(self, pipeline, env, msg):  # type: ignore[no-untyped-def]
        pipeline.store.add_event(None, "seen_by_hook", subject=env.subject[:100])
        return None


class _BrokenReplies(ReplyService):
    def acknowledge(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("template broken")


def test_a_failing_decision_leaves_only_its_quarantine_entry(tmp_path: Path) -> None:
    """One transaction per mail: what the decision wrote before it failed (a hook's event, the
    ticket row) is undone, and the quarantine entry is committed in its place."""
    w = make_world(tmp_path, wib(2026, 11, 24, 9, 0))
    rules = lambda: w.pipeline.rules  # noqa: E731
    pipeline = Pipeline(w.config, w.store, rules, w.pipeline.calendar, hooks=[_SeenByHook()],
                        replies=_BrokenReplies(w.config, w.store, rules))
    out = pipeline.process(SourceMessage("helpdesk", "k1", _request(1)))
    assert out.kind == "quarantined" and "template broken" in out.reason
    assert w.store.tickets() == []
    assert w.store.events_since(("seen_by_hook", "created"), wib(2026, 1, 1, 0, 0)) == []
    assert [e["kind"] for e in w.store.events_since(("quarantined",), wib(2026, 1, 1, 0, 0))] == ["quarantined"]
    assert w.store.outcome_of("helpdesk", "k1") == "quarantined"


def test_a_locked_database_is_raised_to_the_mailbox_thread_and_commits_nothing(tmp_path: Path) -> None:
    """Transient: the caller gets the error (it leaves the message unacknowledged), the writer
    lives on and decides the same mail once the lock is gone."""
    w = make_world(tmp_path, wib(2026, 11, 24, 9, 0))
    writer = _writer(w, busy_ms=300)
    msg = SourceMessage("helpdesk", "k2", _request(2))
    try:
        holder = sqlite3.connect(w.store.path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(sqlite3.OperationalError):
            writer.process(msg)
        holder.execute("ROLLBACK")
        holder.close()
        assert w.store.outcome_of("helpdesk", "k2") is None and w.store.tickets() == []
        assert writer.alive()
        assert writer.process(msg).kind == "ticket"
    finally:
        writer.stop()


def test_stopping_finishes_the_mail_in_hand_and_refuses_the_queued_ones(tmp_path: Path) -> None:
    w = make_world(tmp_path, wib(2026, 11, 24, 9, 0))
    gate = threading.Event()
    seen: list[str] = []
    writer = _writer(w, seen, gate=gate)
    futures = [writer.submit(SourceMessage("helpdesk", f"k{i}", _request(i)), None) for i in range(3)]
    deadline = time.monotonic() + 10
    while not seen and time.monotonic() < deadline:  # the first mail is in hand (the writer waits at the gate)
        time.sleep(0.005)
    stopper = threading.Thread(target=writer.stop)
    stopper.start()
    gate.set()
    stopper.join(30)
    assert futures[0].result(5).kind == "ticket"
    for f in futures[1:]:
        with pytest.raises(WriterStopped):
            f.result(5)
    assert len(w.store.tickets()) == 1
    with pytest.raises(WriterStopped):
        writer.process(SourceMessage("helpdesk", "k9", _request(9)))


def test_after_a_failed_decision_the_rest_of_its_pass_is_refused_and_other_passes_go_on(tmp_path: Path) -> None:
    """A mailbox thread hands a backlog over without waiting for each decision (writer.Lane):
    when one decision fails (database locked), the mails handed over after it in the same pass
    are not decided (a follow-up must not overtake its request); they stay unacknowledged and
    come again. Another mailbox's pass is not affected."""
    w = make_world(tmp_path, wib(2026, 11, 24, 9, 0))
    gate = threading.Event()

    def make() -> Pipeline:
        store = Store(w.store.path, clock=w.clock)
        pipeline = Pipeline(w.config, store, lambda: w.pipeline.rules, w.pipeline.calendar, hooks=thread_hooks())
        process = pipeline.process

        def flaky(msg, analysis=None):  # type: ignore[no-untyped-def]
            gate.wait(10)  # every mail below is queued before the first is decided
            if msg.key == "helpdesk-1":
                raise sqlite3.OperationalError("database is locked")
            return process(msg, analysis)

        pipeline.process = flaky  # type: ignore[method-assign]
        return pipeline

    writer = Writer(make, close=lambda p: p.store.close()).start()
    try:
        helpdesk, info = Lane(), Lane()
        first = writer.submit(SourceMessage("helpdesk", "helpdesk-1", _request(1)), None, helpdesk)
        later = [writer.submit(SourceMessage("helpdesk", f"helpdesk-{i}", _request(i)), None, helpdesk) for i in (2, 3)]
        other = writer.submit(SourceMessage("info", "info-4", _request(4)), None, info)
        gate.set()
        with pytest.raises(sqlite3.OperationalError):
            first.result(10)
        for f in later:
            with pytest.raises(EarlierMailFailed):
                f.result(10)
        assert other.result(10).kind == "ticket"
        assert [w.store.outcome_of("helpdesk", f"helpdesk-{i}") for i in (1, 2, 3)] == [None, None, None]
        assert w.store.outcome_of("info", "info-4") == "ticket"
        # The next pass (a new lane) decides them.
        assert writer.submit(SourceMessage("helpdesk", "helpdesk-2", _request(2)), None, Lane()).result(10).kind == "ticket"
    finally:
        writer.stop()

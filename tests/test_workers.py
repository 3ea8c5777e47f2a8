"""Analysis in worker processes: a mail that overruns its time or memory is quarantined with the
reason, after one retry, while the mail next to it is answered; a worker killed mid-mail loses
and doubles nothing; a follow-up is never decided before its request."""

from __future__ import annotations

import dataclasses
import os
import signal
import threading
import time

from docgen import SAMPLE_FIELDS, text_pdf
from helpers import drop, maildir_config, outbox_mails
from mails import request_mail

from helpdesk_bot import metrics
from helpdesk_bot.config import WorkersConfig
from helpdesk_bot.daemon import Daemon, open_store

UBAH = ("formulir.pdf", text_pdf("FORMULIR PERMINTAAN UBAH JADWAL", SAMPLE_FIELDS))
ADMIN = {"Nama Lengkap": "Siti Aminah", "NIP": "19800415 200501 2 003", "No. Telepon/HP": "081222334455",
         "Alamat Email": "siti@garutkab.go.id"}
RESET = ("surat.pdf", text_pdf("SURAT PERMOHONAN RESET PASSWORD ADMINISTRATOR AGENCY", ADMIN))
TIMEOUT = 8.0


def _config(tmp_path, **workers):
    cfg = maildir_config(tmp_path)
    return dataclasses.replace(cfg, workers=WorkersConfig(**{"count": 2, "timeout_seconds": TIMEOUT,
                                                              "memory_mb": 1024, **workers}))


def _ledger(cfg):
    store = open_store(cfg)
    try:
        return [dict(r) for r in store.query("SELECT rowid, outcome, reason, subject, ticket_id FROM messages ORDER BY rowid")]
    finally:
        store.close()


def _quarantine(cfg):
    store = open_store(cfg)
    try:
        return [dict(r) for r in store.query("SELECT reason FROM quarantine")]
    finally:
        store.close()


def _drop_poison_and_request(cfg, poison_subject: str):
    drop(cfg, request_mail(poison_subject, sender="Iseng <iseng@example.com>"))
    drop(cfg, request_mail("Mohon ubah jadwal", attachments=[UBAH]))


def test_a_mail_that_never_finishes_is_quarantined_as_timeout_and_its_neighbour_answered(tmp_path):
    cfg = _config(tmp_path)
    _drop_poison_and_request(cfg, "POISON-SLEEP mohon bantuan")
    analysed_before = metrics.REGISTRY.get_sample_value("helpdesk_analysis_seconds_sum") or 0.0
    t0 = time.monotonic()
    summary = Daemon(cfg, analysis_hook="poison:hook").run_once()
    elapsed = time.monotonic() - t0
    # The killed mail's time is in the analysis histogram (both attempts), not recorded as 0.
    analysed = metrics.REGISTRY.get_sample_value("helpdesk_analysis_seconds_sum") - analysed_before
    assert analysed >= 2 * TIMEOUT
    assert summary.counts == {"ticket": 1, "quarantined": 1}
    rows = _ledger(cfg)
    # The request was committed first: the poison mail ahead of it held nothing back.
    assert [r["outcome"] for r in rows] == ["ticket", "quarantined"]
    assert rows[1]["reason"].startswith("timeout: analysis took longer than workers.timeout_seconds = 8 s")
    assert "tried 2 times" in rows[1]["reason"]
    [q] = _quarantine(cfg)
    assert q["reason"].startswith("timeout")
    [reply] = outbox_mails(cfg)
    assert reply["Subject"].endswith("Re: Mohon ubah jadwal")
    assert elapsed < 2 * TIMEOUT + 60  # two attempts, plus start-up on a loaded machine


def test_a_mail_that_needs_too_much_memory_is_quarantined_as_memory(tmp_path):
    cfg = _config(tmp_path)
    _drop_poison_and_request(cfg, "POISON-ALLOC mohon bantuan")
    summary = Daemon(cfg, analysis_hook="poison:hook").run_once()
    assert summary.counts == {"ticket": 1, "quarantined": 1}
    [q] = _quarantine(cfg)
    assert q["reason"].startswith("memory: analysis needed more than workers.memory_mb = 1024 MiB")
    assert len(outbox_mails(cfg)) == 1


def test_a_real_backtracking_subject_ends_recorded_within_its_limit(tmp_path):
    """24 x "Fw: " made a screening regex backtrack for minutes; whether or not the pattern is
    fixed, the mail ends recorded within two time limits and its neighbour is answered."""
    cfg = _config(tmp_path)
    _drop_poison_and_request(cfg, "Fw: " * 24 + "Mohon ubah jadwal")
    t0 = time.monotonic()
    summary = Daemon(cfg).run_once()
    elapsed = time.monotonic() - t0
    rows = _ledger(cfg)
    assert len(rows) == 2 and sum(summary.counts.values()) == 2
    poison = next(r for r in rows if r["subject"].startswith("Fw:") or r["outcome"] == "quarantined")
    assert poison["outcome"] != "quarantined" or poison["reason"].startswith(("timeout", "memory"))
    assert any(r["outcome"] == "ticket" and "ubah" in r["reason"] for r in rows)
    assert elapsed < 2 * TIMEOUT + 60


def test_a_worker_killed_mid_mail_loses_and_doubles_nothing(tmp_path):
    cfg = _config(tmp_path, timeout_seconds=60.0)
    drop(cfg, request_mail("POISON-SLOW mohon ubah jadwal", attachments=[UBAH]))
    daemon = Daemon(cfg, analysis_hook="poison:hook")
    killed: list[int] = []

    def killer() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            pool = daemon._pool
            pids = pool.pids() if pool is not None else []
            if pids:
                time.sleep(1.0)  # mid-mail: the hook sleeps 3 s
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])
            time.sleep(0.05)

    t = threading.Thread(target=killer)
    t.start()
    summary = daemon.run_once()
    t.join()
    assert killed, "no worker was running"
    assert summary.counts == {"ticket": 1}
    rows = _ledger(cfg)
    assert [r["outcome"] for r in rows] == ["ticket"]
    assert len(outbox_mails(cfg)) == 1
    # Run again: the mail is done, nothing new.
    assert Daemon(cfg).run_once().counts == {}
    assert len(outbox_mails(cfg)) == 1


def test_a_follow_up_is_never_decided_before_its_request(tmp_path):
    """The request's analysis is slow (3 s), its follow-up's is instant: the follow-up waits."""
    cfg = _config(tmp_path, timeout_seconds=60.0)
    req = request_mail("POISON-SLOW Permohonan reset password admin agency")
    drop(cfg, req)
    drop(cfg, request_mail("Re: Permohonan reset password admin agency", "Berikut kami lampirkan.",
                           attachments=[RESET], in_reply_to=req["Message-ID"], references=req["Message-ID"]))
    drop(cfg, request_mail("Mohon ubah jadwal", attachments=[UBAH], sender="Lain <lain@garutkab.go.id>"))
    summary = Daemon(cfg, analysis_hook="poison:hook").run_once()
    rows = _ledger(cfg)
    # The unrelated request overtook the slow one; the follow-up did not.
    assert [r["subject"][:20] for r in rows][0] == "Mohon ubah jadwal"
    assert [r["outcome"] for r in rows[1:]] == ["ticket", "followup"]
    assert rows[2]["ticket_id"] == rows[1]["ticket_id"]
    assert summary.counts == {"ticket": 2, "followup": 1}


def test_a_slow_mail_is_overtaken_by_a_bounded_number_of_later_mails(tmp_path, monkeypatch):
    """Unrelated mail overtakes a slow scan, but only up to daemon.MAX_AHEAD mails: further back
    than the IMAP look-back (sources/imap.py ACK_WINDOW), a crash would leave it unread."""
    from helpdesk_bot import daemon

    monkeypatch.setattr(daemon, "MAX_AHEAD", 3)
    cfg = _config(tmp_path, timeout_seconds=60.0)
    drop(cfg, request_mail("POISON-SLOW Mohon ubah jadwal", attachments=[UBAH], sender="Lambat <lambat@garutkab.go.id>"))
    for i in range(8):
        drop(cfg, request_mail(f"Mohon ubah jadwal {i}", attachments=[UBAH], sender=f"Pokja {i} <p{i}@garutkab.go.id>"))
    summary = Daemon(cfg, analysis_hook="poison:hook").run_once()
    subjects = [r["subject"] for r in _ledger(cfg)]
    assert summary.counts == {"ticket": 9}
    assert 1 <= subjects.index("POISON-SLOW Mohon ubah jadwal") <= 3  # overtaken, by 3 at most

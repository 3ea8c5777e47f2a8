"""The embedded default answers at once: a file dropped into new/ of a running daemon is
answered long before the 60 s poll, because new/ is watched with inotify.

Latency figures (p50/p95 delivery -> reply .eml): ``python3 bench/bench_latency.py --maildir``.
"""

from __future__ import annotations

import mailbox
import threading
import time
from pathlib import Path

from daemonproc import start_daemon, stop_daemon, wait_for
from docgen import SAMPLE_FIELDS, text_pdf
from mails import request_mail
from test_cli_ops import ops_config

from helpdesk_bot.config import load
from helpdesk_bot.sources.maildir import MaildirSource


def test_a_dropped_mail_is_answered_within_seconds_though_the_poll_is_a_minute(tmp_path: Path):
    cfg = ops_config(tmp_path)
    cfg.write_text(cfg.read_text().replace("poll_interval = 0.2", "poll_interval = 60"))
    (tmp_path / "var/maildir").mkdir(parents=True)
    box = mailbox.Maildir(str(tmp_path / "var/maildir/helpdesk"), create=True)
    outbox = tmp_path / "var/outbox"
    form = ("formulir.pdf", text_pdf("FORMULIR PERMINTAAN UBAH JADWAL", SAMPLE_FIELDS))
    box.add(request_mail("Mohon ubah jadwal", attachments=[form]).as_bytes())
    proc = start_daemon(cfg)
    try:
        # The first mail is there at start (the first scan reads it): the daemon is warm after it.
        wait_for(lambda: len(list(outbox.glob("*.eml"))) >= 1 if outbox.exists() else False, 180, "the first reply")
        dropped = time.monotonic()
        box.add(request_mail("Mohon ubah jadwal lagi", attachments=[form]).as_bytes())
        wait_for(lambda: len(list(outbox.glob("*.eml"))) >= 2, 30, "the reply to the dropped mail")
        assert time.monotonic() - dropped < 30  # far below poll_interval = 60
    finally:
        stop_daemon(proc)


def test_wait_returns_when_a_file_lands_and_falls_back_to_polling(tmp_path: Path):
    cfg = load(ops_config(tmp_path))
    mb = cfg.mailbox[0]
    source = MaildirSource(mb, cfg, ledger=None)
    source.connect()
    try:
        assert source.watcher is not None  # Linux: inotify
        stop = threading.Event()
        threading.Timer(0.3, lambda: mailbox.Maildir(str(cfg.resolve(mb.path))).add(b"Subject: x\n\nisi\n")).start()
        t = time.monotonic()
        source.wait(30.0, stop)
        assert time.monotonic() - t < 10
        source.close()  # no watch: a plain bounded sleep
        t = time.monotonic()
        source.wait(0.5, stop)
        assert 0.15 <= time.monotonic() - t < 5  # poll_interval = 0.2
    finally:
        source.close()


class _Ledger:
    """The ledger's two questions, answered from a set of done keys."""

    def __init__(self, done: set[str]):
        self.done = done

    def is_done(self, mailbox: str, key: str) -> bool:
        return key in self.done

    def last_uid(self, mailbox: str, uidvalidity: int) -> int:  # pragma: no cover - IMAP only
        return 0


def test_a_recorded_mail_left_in_new_by_a_crash_is_moved_and_not_fetched_again(tmp_path: Path):
    """Acks follow commits in batches: a daemon killed in between leaves recorded mail in new/.
    The next fetch finishes the move (as the IMAP source sets its keyword) and skips it."""
    cfg = load(ops_config(tmp_path))
    mb = cfg.mailbox[0]
    cfg.resolve(mb.path).parent.mkdir(parents=True, exist_ok=True)
    box = mailbox.Maildir(str(cfg.resolve(mb.path)), create=True)
    done_key = box.add(b"Subject: sudah\n\nisi\n")
    box.add(b"Subject: belum\n\nisi\n")
    source = MaildirSource(mb, cfg, ledger=_Ledger({done_key}))
    fetched = [m.raw for m in source.fetch_new()]
    assert fetched == [b"Subject: belum\n\nisi\n"]
    new = cfg.resolve(mb.path) / "new"
    assert not any(p.name.startswith(done_key) for p in new.iterdir())
    assert any(p.name.startswith(done_key) for p in (cfg.resolve(mb.path) / "cur").iterdir())

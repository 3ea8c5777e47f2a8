#!/usr/bin/env python3
"""Backlog benchmark: ``helpdesk-bot run --once`` on N waiting requests vs the bare servers.

A private Dovecot and an aiosmtpd server (recording only, no relay) are started with the test
fixtures' code (tests/servers.py). N requests, each with its own one-page text PDF form (a
different Kode Tender each, so the extraction cache does not help), are delivered to
helpdesk@'s INBOX over LMTP beforehand. Then, in the same run:

* bare: the least any client must do: fetch the N mails with imapclient (``BODY.PEEK[]`` in
  batches) and send N replies of the acknowledgement's size with plain aiosmtplib over one
  connection;
* daemon: ``helpdesk-bot --config ... run --once`` as a subprocess (interpreter start-up and
  imports included), which parses, classifies, records N tickets, renders and sends N replies,
  acknowledges N messages and appends N copies to the Sent folder.

Prints both times and the ratio; the target is a ratio within 2x. ``--profile`` runs the daemon
in-process under cProfile instead and prints the top functions.

    python3 bench/bench_backlog.py            # N = 1000
    python3 bench/bench_backlog.py -n 200 --profile
"""

from __future__ import annotations

import argparse
import asyncio
import email.utils
import os
import smtplib
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from docgen import SAMPLE_FIELDS, text_pdf  # noqa: E402
from mails import request_mail  # noqa: E402
from servers import DovecotServer, SmtpServer, daemon_config_toml, imap_login  # noqa: E402

HELPDESK_BOT = [sys.executable, "-c", "import sys; from helpdesk_bot.cli import main; sys.exit(main())"]


def make_requests(n: int) -> list[bytes]:
    out = []
    for i in range(n):
        fields = dict(SAMPLE_FIELDS, **{"Kode Tender": str(40_000_000 + i)})
        pdf = text_pdf("FORMULIR PERMINTAAN UBAH JADWAL", fields)
        out.append(request_mail(f"Mohon ubah jadwal tender {40_000_000 + i}", attachments=[("formulir.pdf", pdf)],
                                sender=f"Pokja {i} <pokja{i}@example.go.id>", to="helpdesk@example.test").as_bytes())
    return out


def deliver_all(dovecot: DovecotServer, raws: list[bytes]) -> None:
    """Over one LMTP connection, one transaction per mail, as an MTA delivers a queue."""
    with smtplib.LMTP(dovecot.host, dovecot.lmtp_port) as lmtp:
        for raw in raws:
            lmtp.sendmail("sender@example.test", ["helpdesk@example.test"], raw)


def write_config(directory: Path, dovecot: DovecotServer, smtp: SmtpServer, sent_folder: str) -> Path:
    return daemon_config_toml(directory, dovecot, smtp, mailbox_extra=f'sent_folder = "{sent_folder}"',
                              smtp_extra="", log_level="warning")


def bare_reply(i: int, size: int) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Helpdesk <helpdesk@example.test>"
    msg["To"] = f"pokja{i}@example.go.id"
    msg["Subject"] = f"[HD-2026-{i:05d}] Re: Mohon ubah jadwal tender {40_000_000 + i}"
    msg["Date"] = email.utils.formatdate(localtime=True)
    msg["Message-ID"] = email.utils.make_msgid("bare", domain="example.test")
    msg.set_content(("Yth. Bapak/Ibu, permohonan Saudara telah kami terima. " * 40)[:size])
    return msg


def bare(dovecot: DovecotServer, smtp: SmtpServer, n: int, batch: int, reply_size: int) -> tuple[float, float]:
    """(fetch seconds, send seconds) of the minimum work."""
    t0 = time.perf_counter()
    fetched = 0
    with imap_login(dovecot, "helpdesk") as c:
        c.select_folder("INBOX")
        uids = sorted(c.search(["ALL"]))
        for start in range(0, len(uids), batch):
            chunk = uids[start:start + batch]
            data = c.fetch(chunk, ["BODY.PEEK[]"])
            fetched += sum(1 for u in chunk if b"BODY[]" in data.get(u, {}))
    t1 = time.perf_counter()
    assert fetched == n, (fetched, n)
    replies = [bare_reply(i, reply_size) for i in range(n)]

    async def send() -> None:
        import aiosmtplib

        client = aiosmtplib.SMTP(hostname=smtp.host, port=smtp.port, start_tls=False, use_tls=False)
        await client.connect()
        for msg in replies:
            await client.send_message(msg)
        await client.quit()

    asyncio.run(send())
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1


def run_daemon(config: Path, profile: bool, py_spy: str = "") -> float:
    t0 = time.perf_counter()
    if not profile:
        wrap = ["py-spy", "record", "--format", "raw", "--rate", "250", "-o", py_spy, "--"] if py_spy else []
        res = subprocess.run([*wrap, *HELPDESK_BOT, "--config", str(config), "run", "--once"], capture_output=True,
                             text=True, cwd=config.parent)
        elapsed = time.perf_counter() - t0
        print("  daemon said:", res.stderr.strip().splitlines()[-1] if res.stderr.strip() else "(nothing)")
        if res.returncode != 0:
            raise SystemExit(f"run --once failed rc={res.returncode}\n{res.stderr[-3000:]}")
        return elapsed
    import cProfile
    import pstats

    from helpdesk_bot.config import load
    from helpdesk_bot.daemon import Daemon
    from helpdesk_bot.logs import configure

    cfg = load(config)
    configure("warning", "json")
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    summary = Daemon(cfg).run_once()
    prof.disable()
    elapsed = time.perf_counter() - t0
    print("  summary:", summary.counts, "sent", summary.sent, "errors", summary.errors)
    stats = pstats.Stats(prof).sort_stats("cumulative")
    stats.print_stats(45)
    pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=1000, help="mails in the backlog (default 1000)")
    ap.add_argument("--batch", type=int, default=100, help="IMAP fetch batch of the bare client")
    ap.add_argument("--no-sent-copies", action="store_true", help="sent_folder = \"\" (no APPEND per reply)")
    ap.add_argument("--profile", action="store_true", help="run the daemon in-process under cProfile")
    ap.add_argument("--py-spy", default="", metavar="FILE",
                    help="record the daemon subprocess with py-spy (collapsed stacks into FILE)")
    args = ap.parse_args()
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")

    dovecot = DovecotServer()
    smtp = SmtpServer(None)  # record only: neither side pays for a relay
    work = Path(tempfile.mkdtemp(prefix="bench-backlog-"))
    try:
        dovecot.start()
        smtp.start()
        t = time.perf_counter()
        raws = make_requests(args.n)
        print(f"generated {args.n} requests with distinct one-page text PDFs in {time.perf_counter() - t:.1f} s "
              f"(median size {sorted(map(len, raws))[len(raws) // 2]} bytes)")
        t = time.perf_counter()
        deliver_all(dovecot, raws)
        print(f"delivered over LMTP in {time.perf_counter() - t:.1f} s")

        config = write_config(work, dovecot, smtp, "" if args.no_sent_copies else "Sent")
        # The acknowledgement's real size, so the bare client sends as many bytes.
        fetch_s, send_s = bare(dovecot, smtp, args.n, args.batch, reply_size=2500)
        smtp.envelopes.clear()
        bare_s = fetch_s + send_s
        print(f"bare:   fetch {fetch_s:.2f} s + send {send_s:.2f} s = {bare_s:.2f} s")

        daemon_s = run_daemon(config, args.profile, args.py_spy)
        sent = len(smtp.envelopes)
        avg_reply = sum(len(e.original_content) for e in smtp.envelopes) / max(sent, 1)
        print(f"daemon: {daemon_s:.2f} s for {args.n} mails ({daemon_s / args.n * 1000:.1f} ms/mail), "
              f"{sent} replies (avg {avg_reply:.0f} bytes), sent copies {'off' if args.no_sent_copies else 'on'}")
        print(f"ratio daemon/bare: {daemon_s / bare_s:.2f}x (target <= 2x)")
        if sent != args.n:
            raise SystemExit(f"expected {args.n} replies, the SMTP server got {sent}")
    finally:
        smtp.stop()
        dovecot.cleanup()
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

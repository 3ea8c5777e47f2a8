#!/usr/bin/env python3
"""Latency benchmark: LMTP delivery of a request -> its acknowledgement accepted by SMTP (IDLE).

Starts a private Dovecot and an aiosmtpd server (tests/servers.py; the SMTP handler records
the time it accepts each message, and relays nothing), then ``helpdesk-bot run`` as a
subprocess against them, exactly as deployed (IDLE on). One warm-up request is sent and not
counted; then N requests (default 50), one at a time about a second apart, each with its own
one-page text PDF form, are delivered over LMTP. For each, latency = the SMTP server's accept
time of the reply whose In-Reply-To is the request's Message-ID, minus the moment the LMTP
delivery started (both clocks are this process's monotonic clock).

Target (issue 10): p50 <= 0.6 s, p95 <= 1.0 s. Dovecot itself signals IDLE about 0.5 s after a
delivery (TESTING.md 2.3), so that half second is the floor.

``--maildir`` measures the embedded default instead (README's first command: Maildir in, replies
written as .eml files): ``helpdesk-bot run`` with no config in an empty folder; latency = the
moment the request is renamed into ``new/`` (mailbox.Maildir.add, as an MDA does) to the moment
its reply's .eml file exists in the outbox folder (polled every 5 ms). Target: p95 <= 1.0 s.

    python3 bench/bench_latency.py          # 50 mails over IMAP IDLE
    python3 bench/bench_latency.py -n 20 --gap 0.5
    python3 bench/bench_latency.py --maildir
"""

from __future__ import annotations

import argparse
import email
import email.policy
import mailbox
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from docgen import SAMPLE_FIELDS, text_pdf  # noqa: E402
from mails import request_mail  # noqa: E402
from daemonproc import stop_daemon  # noqa: E402
from servers import DovecotServer, SmtpServer, daemon_config_toml, deliver  # noqa: E402

HELPDESK_BOT = [sys.executable, "-c", "import sys; from helpdesk_bot.cli import main; sys.exit(main())"]


class Stamped:
    """Wraps the relay handler: remember when each reply was accepted, by In-Reply-To."""

    def __init__(self, server: SmtpServer):
        self.accepted: dict[str, float] = {}
        self.cond = threading.Condition()
        handler = server.handler
        original = handler.handle_DATA

        async def handle_DATA(srv: Any, session: Any, envelope: Any) -> str:
            reply = await original(srv, session, envelope)
            now = time.monotonic()
            msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
            with self.cond:
                self.accepted[str(msg["In-Reply-To"] or "")] = now
                self.cond.notify_all()
            return reply

        handler.handle_DATA = handle_DATA  # type: ignore[method-assign]

    def wait(self, message_id: str, timeout: float) -> float | None:
        deadline = time.monotonic() + timeout
        with self.cond:
            while message_id not in self.accepted:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)
            return self.accepted[message_id]


def write_config(directory: Path, dovecot: DovecotServer, smtp: SmtpServer) -> Path:
    return daemon_config_toml(directory, dovecot, smtp, smtp_extra="")


def request(i: int) -> tuple[str, bytes]:
    fields = dict(SAMPLE_FIELDS, **{"Kode Tender": str(50_000_000 + i)})
    msg = request_mail(f"Mohon ubah jadwal tender {50_000_000 + i}",
                       attachments=[("formulir.pdf", text_pdf("FORMULIR PERMINTAAN UBAH JADWAL", fields))],
                       sender=f"Pokja {i} <pokja{i}@example.go.id>", to="helpdesk@example.test")
    return str(msg["Message-ID"]), msg.as_bytes()


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100 * len(s) + 0.5)) - 1))
    return s[k]


def report(latencies: list[float], missing: int, what: str, p50_target: float, p95_target: float) -> None:
    if not latencies:
        raise SystemExit("no reply measured")
    p50, p95, worst = statistics.median(latencies), pct(latencies, 95), max(latencies)
    print(f"latency {what}, n={len(latencies)} (missing {missing}):")
    print(f"  p50 {p50:.3f} s   p95 {p95:.3f} s   max {worst:.3f} s   min {min(latencies):.3f} s")
    print(f"  target p50 <= {p50_target} s: {'met' if p50 <= p50_target else 'NOT met'};  "
          f"p95 <= {p95_target} s: {'met' if p95 <= p95_target else 'NOT met'}")


class OutboxWatch:
    """Reply .eml files of the embedded default, by In-Reply-To, with the time each was first seen."""

    def __init__(self, folder: Path):
        self.folder, self.seen, self.found = folder, set(), {}

    def wait(self, message_id: str, timeout: float) -> float | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            now = time.monotonic()
            if self.folder.is_dir():
                for entry in os.scandir(self.folder):
                    if entry.name in self.seen or not entry.name.endswith(".eml"):
                        continue
                    self.seen.add(entry.name)
                    with open(entry.path, "rb") as f:
                        msg = email.message_from_binary_file(f, policy=email.policy.default)
                    self.found[str(msg["In-Reply-To"] or "")] = now
            if message_id in self.found:
                return self.found[message_id]
            time.sleep(0.005)
        return None


def measure(mails: list[tuple[str, bytes]], send: Any, wait: Any, args: argparse.Namespace, work: Path,
            t_start: float, warmup_timeout: float) -> tuple[list[float], int]:
    """Warm up with the first mail (not counted), then send the rest one at a time ``args.gap``
    apart; ``send(raw)`` delivers, ``wait(message_id, timeout)`` returns when the reply was seen."""
    mid, raw = mails[0]
    send(raw)
    if wait(mid, warmup_timeout) is None:
        raise SystemExit("no reply to the warm-up request\n" + (work / "daemon.log").read_text()[-3000:])
    print(f"daemon up and answering {time.monotonic() - t_start:.1f} s after start (warm-up excluded)")
    time.sleep(args.gap)
    latencies: list[float] = []
    missing = 0
    for i, (mid, raw) in enumerate(mails[1:], 1):
        t0 = time.monotonic()
        send(raw)
        seen = wait(mid, args.timeout)
        if seen is None:
            missing += 1
            print(f"  #{i}: no reply within {args.timeout} s")
            continue
        latencies.append(seen - t0)
        time.sleep(max(0.0, args.gap - (time.monotonic() - t0)))
    return latencies, missing


def run_maildir(args: argparse.Namespace) -> None:
    from helpdesk_bot.config import embedded_default

    work = Path(tempfile.mkdtemp(prefix="bench-latency-maildir-"))
    proc: subprocess.Popen | None = None
    try:
        cfg = embedded_default(work)
        box_path = cfg.resolve(cfg.mailbox[0].path)
        box_path.parent.mkdir(parents=True, exist_ok=True)
        box = mailbox.Maildir(str(box_path), create=True)
        watch = OutboxWatch(cfg.resolve(cfg.smtp.path))
        mails = [request(i) for i in range(args.n + 1)]
        log = open(work / "daemon.log", "wb")
        t_start = time.monotonic()
        proc = subprocess.Popen([*HELPDESK_BOT, "run"], stdout=log, stderr=subprocess.STDOUT, cwd=work,
                                start_new_session=True)
        latencies, missing = measure(mails, box.add, watch.wait, args, work, t_start, 90)
        report(latencies, missing, "Maildir new/ -> reply .eml in the outbox folder (embedded default)", 0.6, 1.0)
    finally:
        if proc is not None:
            stop_daemon(proc)
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=50, help="requests measured (default 50)")
    ap.add_argument("--gap", type=float, default=1.0, help="seconds between deliveries (default 1.0)")
    ap.add_argument("--timeout", type=float, default=15.0, help="give up on one reply after this many seconds")
    ap.add_argument("--maildir", action="store_true", help="the embedded default (Maildir in, .eml out), not IMAP IDLE")
    args = ap.parse_args()
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    if args.maildir:
        run_maildir(args)
        return

    dovecot = DovecotServer()
    smtp = SmtpServer(None)  # record only: the latency ends when the SMTP server accepts the reply
    stamped = Stamped(smtp)
    work = Path(tempfile.mkdtemp(prefix="bench-latency-"))
    proc: subprocess.Popen | None = None
    try:
        dovecot.start()
        smtp.start()
        config = write_config(work, dovecot, smtp)
        mails = [request(i) for i in range(args.n + 1)]
        log = open(work / "daemon.log", "wb")
        t_start = time.monotonic()
        proc = subprocess.Popen([*HELPDESK_BOT, "--config", str(config), "run"], stdout=log, stderr=subprocess.STDOUT,
                                cwd=work, start_new_session=True)

        # Warm-up (not counted): start-up, imports, first IDLE, first SMTP connection.
        latencies, missing = measure(mails, lambda raw: deliver(dovecot, raw), stamped.wait, args, work, t_start, 60)

        report(latencies, missing, "LMTP delivery -> reply accepted by SMTP, IDLE", 0.6, 1.0)
    finally:
        if proc is not None:
            stop_daemon(proc)
        smtp.stop()
        dovecot.cleanup()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

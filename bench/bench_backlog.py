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

Prints both times and the ratio (issue 10's target: within 1.5x), and the CPU seconds each
process used while the daemon ran, which is where the time goes on a machine with few cores.
``--profile`` runs the daemon in-process under cProfile instead and prints the top functions.

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
import threading
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


class CpuSampler(threading.Thread):
    """Where the machine's CPU goes while the daemon runs, read from /proc every 50 ms.

    Each process's utime + stime is taken at its last sample (a process that exits between two
    samples loses under 50 ms), grouped by role: the daemon, its analysis workers (the
    forkserver's children), Dovecot, and this process (the SMTP server the replies go to).
    """

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop_event = threading.Event()
        self.start_cpu: dict[int, float] = {}
        self.last: dict[int, tuple[str, float]] = {}
        self.machine_start = self.machine()
        self.machine_end = self.machine_start
        for pid, (_role, cpu) in self.sample().items():
            self.start_cpu[pid] = cpu

    @staticmethod
    def machine() -> tuple[int, int]:
        with open("/proc/stat") as f:
            ticks = [int(x) for x in f.readline().split()[1:]]
        return sum(ticks), ticks[3] + ticks[4]

    def role(self, pid: int) -> str:
        if pid == os.getpid():
            return "SMTP server (this process)"
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            return ""
        if b"helpdesk_bot.cli" in cmd:
            return "daemon"
        if b"multiprocessing" in cmd:
            return "analysis workers"
        if b"dovecot" in cmd or cmd.startswith((b"imap", b"lmtp")) or b"/dovecot/" in cmd:
            return "Dovecot"
        return ""

    def sample(self) -> dict[int, tuple[str, float]]:
        out = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            pid = int(entry)
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue
            role = self.last[pid][0] if pid in self.last else self.role(pid)
            if not role:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            out[pid] = (role, (int(fields[11]) + int(fields[12])) / self.TICK)
        return out

    def run(self) -> None:
        while not self.stop_event.wait(0.05):
            self.last.update(self.sample())

    def finish(self) -> str:
        self.stop_event.set()
        self.join()
        self.last.update(self.sample())
        self.machine_end = self.machine()
        by_role: dict[str, float] = {}
        for pid, (role, cpu) in self.last.items():
            by_role[role] = by_role.get(role, 0.0) + cpu - self.start_cpu.get(pid, 0.0)
        total, idle = (b - a for a, b in zip(self.machine_start, self.machine_end))
        busy = 100 * (total - idle) / total if total else 0.0
        parts = ", ".join(f"{role} {cpu:.2f}" for role, cpu in sorted(by_role.items(), key=lambda x: -x[1]))
        return f"  CPU seconds while it ran: {parts}; all cores busy {busy:.0f} % of the time"


def run_daemon(config: Path, profile: bool, py_spy: str = "") -> float:
    t0 = time.perf_counter()
    if not profile:
        sampler = CpuSampler()
        sampler.start()
        wrap = ["py-spy", "record", "--format", "raw", "--rate", "250", "-o", py_spy, "--"] if py_spy else []
        res = subprocess.run([*wrap, *HELPDESK_BOT, "--config", str(config), "run", "--once"], capture_output=True,
                             text=True, cwd=config.parent)
        elapsed = time.perf_counter() - t0
        print(sampler.finish())
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
        print(f"ratio daemon/bare: {daemon_s / bare_s:.2f}x (target <= 1.5x)")
        if sent != args.n:
            raise SystemExit(f"expected {args.n} replies, the SMTP server got {sent}")
    finally:
        smtp.stop()
        dovecot.cleanup()
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

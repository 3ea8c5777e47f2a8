"""Hot reload of rules, forms and templates: atomic, on file change and on SIGHUP.

The end-to-end test runs ``helpdesk-bot run`` as a subprocess on the embedded Maildir layout in
a temporary directory, breaks a rule file under it, shows the daemon keeps classifying with the
last good rules (and logs ``rules_reload_rejected`` with file:line), then fixes the file and
shows the new rules are used. It also checks the sd_notify protocol the systemd unit relies on
(READY=1, then WATCHDOG=1 at least every WatchdogSec/2).
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from docgen import SAMPLE_FIELDS, text_pdf
from helpers import drop
from mails import request_mail
from test_cli_ops import ops_config

from helpdesk_bot.config import load
from helpdesk_bot.reload import RulesHolder

UBAH = ("formulir.pdf", text_pdf("FORMULIR PERMINTAAN UBAH JADWAL", SAMPLE_FIELDS))


# ---------------------------------------------------------------------------------------------
# RulesHolder in-process


def test_broken_edit_is_rejected_whole_and_the_last_good_set_stays(tmp_path):
    cfg = load(ops_config(tmp_path))
    holder = RulesHolder(cfg)
    before = holder.get()
    rule = tmp_path / "rules" / "ubah_jadwal.toml"
    good = rule.read_text()
    rule.write_text(good.replace('name = "Permintaan Ubah Jadwal"', 'name = "Ubah Jadwal BARU"') + "\npriority = = 1\n")
    assert holder.reload_if_changed() is False
    assert holder.get() is before and holder.get().types["ubah_jadwal"].name == "Permintaan Ubah Jadwal"
    assert holder.reload_if_changed() is False  # the same broken files are not retried every poll
    rule.write_text(good.replace('name = "Permintaan Ubah Jadwal"', 'name = "Ubah Jadwal BARU"'))
    assert holder.reload_if_changed() is True
    assert holder.get().types["ubah_jadwal"].name == "Ubah Jadwal BARU" and holder.get().version != before.version


def test_readers_never_see_a_half_loaded_rule_set(tmp_path):
    cfg = load(ops_config(tmp_path))
    holder = RulesHolder(cfg)
    rule = tmp_path / "rules" / "ubah_jadwal.toml"
    good = rule.read_text()
    variants = [good, good.replace("due_hours = 4", "due_hours = 5"), good + "\nbroken = = \n"]
    stop = threading.Event()
    seen: list[str] = []

    def reader() -> None:
        while not stop.is_set():
            rs = holder.get()
            if len(rs.types) != 13 or len(rs.forms) != 11 or rs.types["ubah_jadwal"].due_hours not in (4.0, 5.0):
                seen.append(f"inconsistent {rs.version}")
            time.sleep(0.0002)  # yield the GIL: two spinning readers starved the reloads (150 s)

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for i in range(60):
            rule.write_text(variants[i % 3])
            holder.reload(f"test {i}")
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert seen == []


def test_rejected_template_edit_is_not_used_by_replies(tmp_path):
    from helpdesk_bot.replies import Renderer

    cfg = load(ops_config(tmp_path))
    holder = RulesHolder(cfg)
    t = tmp_path / "templates" / "ack_lainnya.txt.j2"
    t.write_text(t.read_text() + "{% if %}\n")
    assert holder.reload_if_changed() is False
    # The kept rule set renders from its snapshot: the broken file on disk is never compiled.
    Renderer.for_rules(cfg, holder.get()).env.get_template("ack_lainnya.txt.j2")


# ---------------------------------------------------------------------------------------------
# The daemon as a subprocess


class DaemonProcess:
    def __init__(self, tmp: Path, config: Path):
        self.tmp = tmp
        self.config = config
        self.log = tmp / "daemon.log"
        self.notify_path = str(tmp / "notify.sock")
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(self.notify_path)
        self.notify.settimeout(0.2)
        self.notifications: list[tuple[float, str]] = []
        env = dict(os.environ, NOTIFY_SOCKET=self.notify_path, OMP_THREAD_LIMIT="1")
        self._log_file = self.log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from helpdesk_bot.cli import main; main()", "--config", str(config), "run"],
            cwd=tmp, stdout=self._log_file, stderr=subprocess.STDOUT, env=env)

    def events(self) -> list[dict]:
        out = []
        for line in self.log.read_text(errors="replace").splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    def wait_event(self, name: str, after: int = 0, timeout: float = 15.0, **match) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.read_notify()
            for ev in self.events()[after:]:
                if ev.get("event") == name and all(ev.get(k) == v for k, v in match.items()):
                    return ev
            if self.proc.poll() is not None:
                raise AssertionError(f"daemon exited rc={self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.1)
        raise AssertionError(f"no {name} {match} within {timeout} s:\n{self.log.read_text()[-3000:]}")

    def read_notify(self) -> None:
        while True:
            try:
                data = self.notify.recv(4096)
            except (socket.timeout, BlockingIOError):
                return
            self.notifications.append((time.monotonic(), data.decode()))

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.read_notify()
        self._log_file.close()
        self.notify.close()
        return self.proc.returncode


def _replies(cfg) -> list[email.message.EmailMessage]:
    out = cfg.resolve(cfg.smtp.path)
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(out.glob("*.eml"))] if out.exists() else []


def _wait_replies(cfg, n: int, daemon: DaemonProcess, timeout: float = 20.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = _replies(cfg)
        if len(got) >= n:
            return [m.get_body(preferencelist=("plain",)).get_content() for m in got]
        if daemon.proc.poll() is not None:
            break
        time.sleep(0.1)
    raise AssertionError(f"{len(_replies(cfg))} replies, expected {n}:\n{daemon.log.read_text()[-3000:]}")


def test_running_daemon_keeps_old_rules_on_a_broken_edit_and_picks_up_the_fix(tmp_path):
    cfg_path = ops_config(tmp_path, extra='\n[logging]\nformat = "json"\n')
    cfg = load(cfg_path)
    daemon = DaemonProcess(tmp_path, cfg_path)
    try:
        daemon.wait_event("daemon_started")
        drop(cfg, request_mail("Mohon ubah jadwal", attachments=[UBAH]))
        bodies = _wait_replies(cfg, 1, daemon)
        assert "menerima Permintaan Ubah Jadwal dari Bapak/Ibu" in bodies[0]

        # A broken edit: it renames the type AND has a syntax error; nothing of it may apply.
        rule = tmp_path / "rules" / "ubah_jadwal.toml"
        good = rule.read_text()
        renamed = good.replace('name = "Permintaan Ubah Jadwal"', 'name = "Permohonan Perubahan Jadwal Tender"')
        rule.write_text(renamed + "\npriority = = 70\n")
        bad_line = len((renamed + "\npriority = = 70\n").splitlines())
        n = len(daemon.events())
        ev = daemon.wait_event("rules_reload_rejected", after=n)
        assert any(p.startswith(f"{rule}:{bad_line}: TOML syntax error") for p in ev["problems"]), ev
        assert ev["level"] == "error" and ev["kept"]

        drop(cfg, request_mail("Mohon ubah jadwal lagi", attachments=[UBAH]))
        bodies = _wait_replies(cfg, 2, daemon)
        assert "menerima Permintaan Ubah Jadwal dari Bapak/Ibu" in bodies[1]  # old rules still in force
        assert "Perubahan Jadwal Tender" not in bodies[1]

        # The fix: the rename applies now.
        n = len(daemon.events())
        rule.write_text(renamed)
        ev = daemon.wait_event("rules_reloaded", after=n)
        assert ev["reason"] == "files changed" and ev["version"] != ev["previous"]
        drop(cfg, request_mail("Mohon ubah jadwal ketiga", attachments=[UBAH]))
        bodies = _wait_replies(cfg, 3, daemon)
        assert "menerima Permohonan Perubahan Jadwal Tender dari Bapak/Ibu" in bodies[2]

        # SIGHUP reloads at once (systemctl reload).
        n = len(daemon.events())
        daemon.proc.send_signal(signal.SIGHUP)
        daemon.wait_event("rules_reloaded", after=n, timeout=5, reason="SIGHUP")

        # sd_notify: READY=1 once started, then WATCHDOG=1 every 5 s (the unit's WatchdogSec is 30 s).
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and not any(m == "WATCHDOG=1" for _t, m in daemon.notifications):
            daemon.read_notify()
            time.sleep(0.2)
        messages = [m for _t, m in daemon.notifications]
        assert messages[0] == "READY=1" and "WATCHDOG=1" in messages
    finally:
        rc = daemon.stop()
    assert rc == 0
    assert any(m == "STOPPING=1" for _t, m in daemon.notifications)
    tickets = [e for e in daemon.events() if e.get("event") == "ticket_created"]
    assert len(tickets) == 3 and all(e.get("ticket") for e in tickets)

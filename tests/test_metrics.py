"""Prometheus metrics: a scrape of a running daemon's /metrics, parsed by prometheus_client."""

from __future__ import annotations

import mailbox
import re
import time
import urllib.request
from pathlib import Path

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from daemonproc import db_count, db_rows, start_daemon, stop_daemon, wait_for
from helpdesk_bot import metrics
from helpdesk_bot.config import PACKAGE_DIR, ConfigError, load
from helpdesk_bot.store import Store
from servers import free_port

EXAMPLES = sorted((PACKAGE_DIR / "examples").glob("*.eml"))


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """{(sample name, sorted labels): value} of an exposition, through the official parser."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(found: dict, name: str, **labels: str) -> float:
    return found[(name, tuple(sorted(labels.items())))]


def write_config(tmp_path: Path, port: int, imap_port: int) -> Path:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"""
[storage]
database = "var/helpdesk.db"

[[mailbox]]
name = "helpdesk"
address = "helpdesk@lpse.jabarprov.go.id"
kind = "maildir"
path = "var/maildir/helpdesk"
poll_interval = 0.5

# Nothing listens there: its connection state must read 0.
[[mailbox]]
name = "info"
address = "info@lpse.jabarprov.go.id"
kind = "imap"
host = "127.0.0.1"
port = {imap_port}
security = "none"
username = "info"
password = "x"

[smtp]
kind = "directory"
path = "var/outbox"

[metrics]
listen = "127.0.0.1:{port}"

[logging]
format = "json"
""")
    return cfg


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
        assert resp.status == 200
        return resp.read().decode()


@pytest.mark.skipif(not EXAMPLES, reason="no example mails shipped")
def test_scrape_of_a_running_daemon(tmp_path: Path) -> None:
    port, imap_port = free_port(), free_port()
    cfg = write_config(tmp_path, port, imap_port)
    (tmp_path / "var/maildir").mkdir(parents=True)
    box = mailbox.Maildir(str(tmp_path / "var/maildir/helpdesk"), create=True)
    for path in EXAMPLES:
        box.add(mailbox.MaildirMessage(path.read_bytes()))
    db = tmp_path / "var/helpdesk.db"
    started = time.time()
    proc = start_daemon(cfg)
    try:
        wait_for(lambda: db_count(db, "SELECT COUNT(*) FROM messages") == len(EXAMPLES), 240, "every example processed")
        wait_for(lambda: db_count(db, "SELECT COUNT(*) FROM outbox WHERE status = 'pending'") == 0, 60, "outbox sent")

        def polled_after_processing() -> dict | None:
            try:
                found = samples(scrape(port))
            except OSError:
                return None
            ok = value(found, "helpdesk_mailbox_last_poll_success_timestamp_seconds", mailbox="helpdesk") > started
            return found if ok else None

        found = wait_for(polled_after_processing, 30, "a scrape after a completed poll")
        outcomes = dict(((mb, outcome), n) for mb, outcome, n in
                        db_rows(db, "SELECT mailbox, outcome, COUNT(*) FROM messages GROUP BY 1, 2"))
        assert ("helpdesk", "ticket") in outcomes and ("helpdesk", "suppressed") in outcomes  # the auto-reply
        for (mb, outcome), n in outcomes.items():
            assert value(found, "helpdesk_mails_total", mailbox=mb, outcome=outcome) == n
        assert value(found, "helpdesk_analysis_seconds_count") == len(EXAMPLES)
        assert value(found, "helpdesk_analysis_seconds_sum") > 0
        assert value(found, "helpdesk_mailbox_connected", mailbox="helpdesk", kind="maildir") == 1
        assert value(found, "helpdesk_mailbox_connected", mailbox="info", kind="imap") == 0
        assert value(found, "helpdesk_mailbox_last_poll_success_timestamp_seconds", mailbox="info") == 0
        sent = db_count(db, "SELECT COUNT(*) FROM outbox WHERE status = 'sent'")
        assert sent > 0
        assert value(found, "helpdesk_outbox_messages", status="sent") == sent
        assert value(found, "helpdesk_outbox_messages", status="pending") == 0
        assert value(found, "helpdesk_smtp_deliveries_total", result="sent") == sent
        assert value(found, "helpdesk_quarantine_open") == 0
        assert value(found, "helpdesk_database_up") == 1
        # Every metric the example alert rules use is one this daemon exports.
        rules = (Path(__file__).parent.parent / "deploy" / "prometheus-alerts.yml").read_text()
        used = set(re.findall(r"\bhelpdesk_[a-z_]+", rules))
        exported = {name for name, _labels in found}
        assert used and used <= exported, used - exported
        open_tickets = db_count(db, "SELECT COUNT(*) FROM tickets WHERE status NOT IN ('selesai', 'ditolak')")
        assert sum(v for (name, _l), v in found.items() if name == "helpdesk_tickets_open") == open_tickets
    finally:
        stop_daemon(proc)
    assert proc.returncode == 0
    with pytest.raises(OSError):
        scrape(port)  # the endpoint went away with the daemon


def test_database_figures_and_unreadable_database(tmp_path: Path) -> None:
    store = Store(tmp_path / "h.db")
    with store.transaction():
        for i in range(3):
            store.enqueue(ticket_id=None, kind="ack", automatic=True, message_id=f"<m{i}@x>", mail_from="a@x",
                          recipients=["b@x"], raw=b"x")
        store.update("outbox", 1, {"status": "failed"})
        store.update("outbox", 2, {"attempts": 2})
        store.record_message("helpdesk", "k1", message_id="<a@x>", sha256="0", sender="s@x", subject="s",
                             outcome="quarantined")
        store.add_quarantine(mailbox="helpdesk", key="k1", message_id="<a@x>", sender="s@x", subject="s",
                             reason="ParseError", traceback="", raw=b"")
    store.close()
    registry = metrics.CollectorRegistry()
    collector = metrics.DatabaseCollector(tmp_path / "h.db")
    registry.register(collector)
    found = samples(generate_latest(registry).decode())
    assert value(found, "helpdesk_outbox_messages", status="pending") == 2
    assert value(found, "helpdesk_outbox_messages", status="failed") == 1
    assert value(found, "helpdesk_outbox_retrying") == 1
    assert value(found, "helpdesk_outbox_oldest_pending_age_seconds") >= 0
    assert value(found, "helpdesk_quarantine_open") == 1
    assert value(found, "helpdesk_mails_total", mailbox="helpdesk", outcome="quarantined") == 1
    broken = metrics.CollectorRegistry()
    broken.register(metrics.DatabaseCollector(tmp_path / "missing.db"))
    found = samples(generate_latest(broken).decode())
    assert value(found, "helpdesk_database_up") == 0  # a scrape still answers


def test_alert_rules_are_valid_yaml() -> None:
    yaml = pytest.importorskip("yaml")
    doc = yaml.safe_load((Path(__file__).parent.parent / "deploy" / "prometheus-alerts.yml").read_text())
    rules = doc["groups"][0]["rules"]
    assert rules and all({"alert", "expr", "annotations"} <= set(r) for r in rules)


@pytest.mark.parametrize("listen, ok", [("127.0.0.1:9464", True), ("[::1]:9464", True), ("localhost:9464", True),
                                        ("0.0.0.0:9464", False), ("9464", False), ("127.0.0.1:99999", False)])
def test_listen_is_validated_and_loopback_only(tmp_path: Path, listen: str, ok: bool) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[[mailbox]]\nname = "h"\naddress = "h@x.go.id"\nkind = "maildir"\npath = "m"\n'
                   f'[metrics]\nlisten = "{listen}"\n')
    if ok:
        assert load(cfg).metrics.listen == listen
    else:
        with pytest.raises(ConfigError, match="metrics.listen"):
            load(cfg)

"""The poison inputs of issue 10 end recorded, with their reason, within their limits.

Each mail goes through the embedded default (Maildir in, SQLite, .eml outbox) with a normal
request dropped at the same moment, which must still be answered. Peak memory of the real
3 GB PDF bomb is checked in a child process (ru_maxrss). Before/after figures of each poison:
``python3 bench/bench_poison.py``.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from docgen import SAMPLE_FIELDS, text_pdf
from helpers import drop, maildir_config, outbox_mails
from mails import request_mail
from poison_inputs import pdf_bomb, zip_of_spaces, zip_shared_blob

from helpdesk_bot.config import LimitsConfig
from helpdesk_bot.daemon import Daemon, open_store
from helpdesk_bot.documents import extract_all, extract_one
from helpdesk_bot.envelope import Attachment

HERE = Path(__file__).parent
FORM = text_pdf("FORMULIR PERMINTAAN UBAH JADWAL", SAMPLE_FIELDS)
MIB = 1024 * 1024


def _run(cfg, poison_mail, normal_mail):
    drop(cfg, poison_mail)
    drop(cfg, normal_mail)
    Daemon(cfg).run_once()
    store = open_store(cfg)
    try:
        rows = store.query("SELECT subject, outcome, reason, ticket_id FROM messages")
        events = {r["ticket_id"]: store.events(r["ticket_id"]) for r in rows if r["ticket_id"]}
    finally:
        store.close()
    return rows, events


def _unreadable(events: list[dict]) -> list:
    created = next(e for e in events if e["kind"] == "created")
    return [tuple(x) for x in json.loads(created["detail"]).get("unreadable", [])]


def _limits(cfg, **kw):
    return dataclasses.replace(cfg, limits=dataclasses.replace(cfg.limits, **kw))


@pytest.mark.parametrize("name, data, limits, code", [
    ("bom.pdf", pdf_bomb(64 * MIB), {"max_pdf_inflated_bytes": 8 * MIB}, "too_large"),
    ("berkas.zip", zip_shared_blob(FORM, entries=33), {}, "zip_bomb"),
], ids=["pdf-bomb", "zip-shared-blob"])
def test_poison_attachment_ends_in_a_ticket_with_its_reason_and_a_normal_request_is_answered(
        tmp_path, name, data, limits, code):
    cfg = maildir_config(tmp_path)
    cfg = _limits(cfg, **limits) if limits else cfg
    poison = request_mail("Mohon ubah jadwal (racun)", attachments=[(name, data)])
    normal = request_mail("Mohon ubah jadwal", attachments=[("formulir.pdf", FORM)])
    rows, events = _run(cfg, poison, normal)
    by_subject = {r["subject"]: r for r in rows}
    assert set(by_subject) == {"Mohon ubah jadwal (racun)", "Mohon ubah jadwal"}
    bad = by_subject["Mohon ubah jadwal (racun)"]
    assert bad["outcome"] == "ticket" and (name, code) in _unreadable(events[bad["ticket_id"]])
    assert by_subject["Mohon ubah jadwal"]["outcome"] == "ticket"
    replies = outbox_mails(cfg)
    assert len(replies) == 2  # both answered; the poison's reply says its file could not be read


def test_shared_blob_zip_is_refused_from_its_directory():
    """33 entries pointing at one blob: refused before any member is inflated."""
    (doc,) = extract_one(Attachment("b.zip", "application/zip", zip_shared_blob(FORM)), LimitsConfig())
    assert doc.error == "zip_bomb" and "overlaps" in doc.detail


def test_honest_zip_with_one_member_per_blob_is_read():
    docs = extract_one(Attachment("b.zip", "application/zip", zip_shared_blob(FORM, entries=1)), LimitsConfig())
    assert [d.error for d in docs] == [""] and "UBAH JADWAL" in docs[0].text


def test_zip_budget_is_counted_per_mail_not_per_attachment():
    """Each ZIP is within zip_max_total_bytes alone; together they are not."""
    limits = LimitsConfig(zip_max_total_bytes=3 * MIB)
    one = zip_of_spaces(members=2, member_bytes=700 * 1024)  # 1.4 MiB inflated
    alone = extract_one(Attachment("a.zip", "application/zip", one), limits)
    assert all(d.error == "" for d in alone)
    docs = extract_all([Attachment(f"{i}.zip", "application/zip", one) for i in range(3)], limits)
    assert [d.error for d in docs[:4]] == ["", "", "", ""]
    assert any(d.error == "zip_bomb" and d.filename.startswith("2.zip") for d in docs)


def test_a_normal_pdf_passes_the_stream_check():
    (doc,) = extract_one(Attachment("f.pdf", "application/pdf", FORM), LimitsConfig(max_pdf_inflated_bytes=MIB))
    assert doc.error == "" and "UBAH JADWAL" in doc.text


def test_pdf_bomb_of_3_gb_is_refused_in_bounded_memory():
    """The 3 MB PDF that inflated to 3 GB (4.1 GB, 3 minutes): refused unopened, little memory."""
    code = textwrap.dedent("""
        import resource, sys
        sys.path.insert(0, "tests")
        from poison_inputs import pdf_bomb
        from helpdesk_bot.config import LimitsConfig
        from helpdesk_bot.documents import extract_one
        from helpdesk_bot.envelope import Attachment
        data = pdf_bomb()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        (doc,) = extract_one(Attachment("bom.pdf", "application/pdf", data), LimitsConfig())
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        print(len(data), doc.error, grown // 1024)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240,
                         cwd=HERE.parent, check=True)
    size, error, grown_mib = out.stdout.split()
    assert int(size) < 4 * MIB and error == "too_large"
    assert int(grown_mib) < 200, out.stdout  # the cap is 64 MiB of *counted* bytes, never held

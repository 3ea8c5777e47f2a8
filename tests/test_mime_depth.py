"""A mail nested thousands of multiparts deep is refused at once, and its sender is kept.

3,000 levels made the standard library's recursive MIME parser run 13 s into a RecursionError,
and the quarantine entry had no sender. Real mail stays far below the cap (parse.MAX_MULTIPARTS).
"""

from __future__ import annotations

import time
from pathlib import Path

from helpdesk_bot.analysis import analyse
from helpdesk_bot.config import LimitsConfig
from helpdesk_bot.parse import MAX_MULTIPARTS
from helpdesk_bot.sources import SourceMessage
from poison_inputs import nested_multipart
from test_workflow import make_world, wib


def test_a_mail_nested_3000_deep_is_refused_quickly_with_its_sender_and_a_masked_subject():
    t0 = time.perf_counter()
    a = analyse(nested_multipart(3000, subject=b"Mohon reset password: Rahasia123"), None, LimitsConfig())
    assert time.perf_counter() - t0 < 2.0
    assert a.error.startswith("ParseError: MIME structure refused")
    assert a.env is not None and a.env.sender == "x@evil.example"
    assert "Rahasia123" not in a.env.subject


def test_nesting_up_to_the_cap_is_still_read():
    a = analyse(nested_multipart(MAX_MULTIPARTS - 1), None, LimitsConfig())
    assert not a.error and "Mohon bantuan." in a.env.text


def test_the_quarantine_entry_names_the_sender_and_the_reason(tmp_path: Path):
    w = make_world(tmp_path, wib(2026, 11, 24, 9, 0))
    out = w.pipeline.process(SourceMessage("helpdesk", "deep", nested_multipart(3000)))
    assert out.kind == "quarantined"
    [row] = w.store.query("SELECT sender, reason FROM quarantine")
    assert row["sender"] == "x@evil.example"
    assert "more than 200 multipart containers" in row["reason"]
    assert w.outbox() == []


def test_an_encoded_line_break_in_the_subject_is_a_space_not_a_quarantine(tmp_path: Path):
    """=0D=0A in an encoded Subject made the reply's Subject an 'embedded header' and the mail was quarantined."""
    w = make_world(tmp_path, wib(2026, 11, 24, 9, 0))
    raw = (b"From: Budi <budi@bandungkab.go.id>\r\nTo: helpdesk@lpse.jabarprov.go.id\r\n"
           b"Subject: =?utf-8?q?Mohon_ubah_jadwal=0D=0ABcc:_korban@example.com=00?=\r\n"
           b"Message-ID: <crlf@bandungkab.go.id>\r\nContent-Type: text/plain\r\n\r\nMohon bantuan ubah jadwal.\x00\r\n")
    out = w.pipeline.process(SourceMessage("helpdesk", "crlf", raw))
    assert out.kind == "ticket"
    [reply] = w.outbox()
    assert reply["Subject"].endswith("Re: Mohon ubah jadwal Bcc: korban@example.com")
    assert reply.get_all("Bcc") is None and "korban@example.com" not in reply["To"]
    [ticket] = w.store.query("SELECT subject FROM tickets")
    assert "\n" not in ticket["subject"] and "\x00" not in ticket["subject"]

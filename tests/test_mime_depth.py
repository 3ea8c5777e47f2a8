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
    assert "more than 200 multipart or forwarded-message containers" in row["reason"]
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


def test_forwarded_messages_nested_300_deep_are_refused_with_the_outer_sender():
    inner = b"From: inner@evil.example\r\nSubject: Mohon bimtek\r\nContent-Type: text/plain\r\n\r\nMohon informasi bimtek\r\n"
    for _ in range(300):
        inner = b"From: x@e.example\r\nContent-Type: message/rfc822\r\n\r\n" + inner
    raw = (b"From: m02@evil.example\r\nTo: helpdesk@lpse.jabarprov.go.id\r\nSubject: Mohon informasi bimtek\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\n" + inner)
    a = analyse(raw, None, LimitsConfig())
    assert a.error.startswith("ParseError: MIME structure refused")
    assert a.env.sender == "m02@evil.example" and a.env.subject == "Mohon informasi bimtek"


def _many_attachments(n: int) -> bytes:
    parts = b"".join(b"--zz\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; "
                     b"filename=\"f%d.pdf\"\r\n\r\n%%PDF-1.4\r\n" % i for i in range(n))
    return (b"From: Budi <budi@bandungkab.go.id>\r\nTo: helpdesk@lpse.jabarprov.go.id\r\n"
            b"Subject: Mohon ubah jadwal tender " + b"sangat penting " * 100 + b"\r\n"
            b"Message-ID: <many@bandungkab.go.id>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n"
            b"--zz\r\nContent-Type: text/plain\r\n\r\nMohon ubah jadwal, terlampir formulir.\r\n" + parts + b"--zz--\r\n")


def test_attachments_over_the_cap_are_neither_stored_nor_listed_one_by_one(tmp_path: Path):
    from helpdesk_bot import attachments

    w = make_world(tmp_path, wib(2026, 11, 24, 9, 0))
    out = w.pipeline.process(SourceMessage("helpdesk", "many", _many_attachments(200)))
    assert out.kind == "ticket"
    cap = w.config.limits.max_attachments
    assert len(attachments.files(w.config, out.ticket_id)) <= cap  # not 200 files on disk
    [reply] = w.outbox()
    text = reply.get_body(preferencelist=("plain",)).get_content()
    assert "too_many_attachments" not in text
    assert f"{200 - cap} lampiran lainnya" in text and text.count("f1") < 20
    # The reply's subject repeats a bounded part of the sender's subject (attack 2: 16 KiB echoed).
    assert len(reply["Subject"]) < 260 and reply["Subject"].endswith("\u2026")


def test_a_password_in_a_zip_members_name_is_masked_where_it_is_shown_and_cached():
    import io
    import zipfile

    from helpdesk_bot.analysis import MemoryCache, RecordingCache
    from mails import request_mail

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("password=Xq7S53.txt", "Mohon ubah jadwal tender 48658064")
    cache = RecordingCache(MemoryCache().get)
    a = analyse(request_mail("Mohon ubah jadwal", attachments=[("berkas.zip", buf.getvalue())]).as_bytes(), None,
                LimitsConfig(), cache)
    assert a.docs and all("Xq7S53" not in d.filename for d in a.docs)
    assert all("Xq7S53" not in d.filename for d in cache.new)
    assert a.env.secret_found

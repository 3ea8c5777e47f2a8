"""A password written in a mail is masked everywhere it is kept, and the requester is told."""

from __future__ import annotations

import json
from pathlib import Path

from docgen import text_pdf
from mails import request_mail
from test_workflow import make_world, wib

SECRET = "Rahasia123"


def everything_kept(w) -> str:
    parts = []
    for table in ("tickets", "events", "messages", "doc_cache", "outbox"):
        for row in w.store.query(f"SELECT * FROM {table}"):
            parts.append(json.dumps({k: (v.decode("utf-8", "replace") if isinstance(v, bytes) else v)
                                     for k, v in dict(row).items()}, default=str))
    return "\n".join(parts)


def test_password_in_subject_body_filename_and_attachment(tmp_path: Path) -> None:
    w = make_world(tmp_path, wib(2026, 11, 24, 9, 0))
    pdf = text_pdf("FORMULIR PERMINTAAN UBAH JADWAL", {"Kode Tender": "48658064", "User ID": "pokja12",
                                                        "Password": SECRET})
    out = w.deliver(request_mail(subject=f"ubah jadwal pass: {SECRET}", body=f"Mohon dibantu.\npw: {SECRET}\n",
                                 sender="pokja12@bandungkab.go.id",
                                 attachments=[(f"form password={SECRET}.pdf", pdf)]))
    assert out.kind == "ticket"
    kept = everything_kept(w)
    assert SECRET not in kept and "[disamarkan]" in kept
    stored = list((tmp_path / "var").rglob("*.pdf")) if (tmp_path / "var").exists() else []
    assert all(SECRET not in p.name for p in stored)
    (ack,) = w.outbox()
    text = " ".join(ack.get_body(("plain",)).get_content().split())
    assert "tidak pernah mengirimkan kata sandi melalui email" in text and "segera menggantinya" in text
    assert SECRET not in str(ack["Subject"])


def test_no_warning_without_a_password(tmp_path: Path) -> None:
    w = make_world(tmp_path, wib(2026, 11, 24, 9, 0))
    w.deliver(request_mail(subject="Mohon reset password admin agency", body="password sudah diganti",
                           sender="pokja12@bandungkab.go.id"))
    (ack,) = w.outbox()
    assert "kata sandi melalui email" not in ack.get_body(("plain",)).get_content()

"""``helpdesk-bot classify --explain``: documents, rule hits and misses, decision and the reply."""

from __future__ import annotations

from docgen import SAMPLE_FIELDS, encrypted_pdf, text_pdf
from mails import request_mail
from test_cli_ops import cli, ops_config

from helpdesk_bot.config import embedded_default
from helpdesk_bot.explain import PLACEHOLDER_TICKET, explain
from helpdesk_bot.reload import load_for

UBAH = ("scan0001.pdf", text_pdf("FORMULIR PERMINTAAN UBAH JADWAL", SAMPLE_FIELDS))


def _save(tmp_path, msg, name="mail.eml"):
    p = tmp_path / name
    p.write_bytes(msg.as_bytes() if hasattr(msg, "as_bytes") else msg)
    return p


def test_explain_complete_request_through_the_cli(tmp_path):
    p = _save(tmp_path, request_mail("Mohon ubah jadwal", attachments=[UBAH]))
    res = cli(ops_config(tmp_path), "classify", "--explain", str(p))
    assert res.exit_code == 0, res.output
    out = res.output
    assert "RECOGNISED as formulir_ubah_jadwal (Formulir Permintaan Ubah Jadwal) on page 1 by title" in out
    assert "'formulir permintaan ubah jadwal'" in out
    # every type's score, hit or miss
    assert "=> ubah_jadwal" in out and "score 10" in out
    assert "reset_password" in out and "keywords: no match" in out
    assert "DECISION: ubah_jadwal (Permintaan Ubah Jadwal)" in out
    assert "documents missing:  -" in out
    # the reply, rendered with the real template and a placeholder ticket id
    assert f"Subject: [{PLACEHOLDER_TICKET}] Re: Mohon ubah jadwal" in out
    assert "Yth. Bapak/Ibu di lingkungan Pemerintah Kabupaten Bandung," in out and "Formulir Permintaan Ubah Jadwal" in out
    assert "kode_tender = 48658064" in out
    # nothing written: no database, no outbox
    assert not (tmp_path / "var").exists()


def test_explain_says_why_an_attachment_is_not_recognised(tmp_path):
    unrelated = ("memo.pdf", text_pdf("NOTA DINAS INTERNAL", {"Perihal": "Rapat koordinasi"}))
    locked = ("dokumen.pdf", encrypted_pdf())
    p = _save(tmp_path, request_mail("Permohonan", body="Mohon dibantu.", attachments=[unrelated, locked]))
    cfg = embedded_default(tmp_path)
    out = explain(str(p), cfg, load_for(cfg))
    assert "NOT RECOGNISED: best title score" in out and "< threshold 86" in out and "looks most like" in out
    assert "text begins: 'pemerintah provinsi jawa barat nota dinas internal" in out
    assert "NOT RECOGNISED: unreadable (encrypted)" in out
    assert "berkas terenkripsi" in out  # what the requester is told
    assert "DECISION: lainnya" in out and "because fallback:lainnya" in out
    assert "Lampiran berikut tidak dapat kami baca" in out and "dokumen.pdf" in out


def test_explain_keyword_decides_when_no_document(tmp_path):
    p = _save(tmp_path, request_mail("Permohonan reset password admin agency", body="Mohon reset password."))
    cfg = embedded_default(tmp_path)
    out = explain(str(p), cfg, load_for(cfg))
    assert "ATTACHMENTS (0)" in out and "none" in out
    assert "=> reset_password" in out and "keyword hit: subject matches" in out
    assert "documents missing:  surat_permohonan_reset_password, sk_admin_agency" in out
    assert "belum kami terima" in out  # the rendered reply lists what is missing


def test_explain_suppressed_mail_has_no_reply(tmp_path):
    msg = request_mail("Out of office", headers={"Auto-Submitted": "auto-replied"})
    cfg = embedded_default(tmp_path)
    out = explain(str(_save(tmp_path, msg)), cfg, load_for(cfg))
    assert "suppressed by rule" in out and "Auto-Submitted" in out
    assert "DECISION: suppressed" in out and "REPLY" not in out


def test_explain_unparseable_and_missing_files(tmp_path):
    bad = _save(tmp_path, b"", "empty.eml")
    res = cli(ops_config(tmp_path), "classify", "--explain", str(bad), str(tmp_path / "tidak-ada.eml"))
    assert res.exit_code == 1  # a file that is not there fails the command (issue 13), after every file is explained
    assert "cannot be parsed" in res.output and "quarantine" in res.output
    assert "tidak-ada.eml: error: file not found" in res.output and "1 of 2 file(s) not found" in res.output

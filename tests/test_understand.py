"""Issue 11: mail nobody here wrote. Soft screening signals never beat request evidence;
several documents in one file; what a mail asks (a status question, thanks, a vendor's own
account, an offer); staff corrections. Run through ``analyse``, the daemon's own path."""

from __future__ import annotations

from docgen import SAMPLE_FIELDS, text_pdf
from mails import request_mail

from helpdesk_bot.config import embedded_default
from helpdesk_bot.offline import MemoryCache, analyse, to_json
from helpdesk_bot.reload import load_for

CONFIG = embedded_default()
RULES = load_for(CONFIG)
FORM = text_pdf("FORMULIR PERMINTAAN UBAH JADWAL", SAMPLE_FIELDS)


def run(msg):  # noqa: ANN001, ANN201
    return analyse(msg.as_bytes(), CONFIG, RULES, MemoryCache())


# ---------------------------------------------------------------------------------------------
# 1. Evidence before soft signals


def test_bccd_request_with_a_form_is_answered_and_the_override_recorded():
    a = run(request_mail("Permohonan", "Dengan hormat,\nTerlampir formulir.\n", [("scan0001.pdf", FORM)],
                         to="undisclosed-recipients:;"))
    assert not a.verdict.suppress
    assert a.result is not None and a.result.request_type == "ubah_jadwal"
    assert "undisclosed" in {n for n, _ in a.verdict.hits}
    assert "formulir_ubah_jadwal" in a.verdict.overridden
    line = to_json("x.eml", a)
    assert line["suppress"] is False and "formulir_ubah_jadwal" in line["evidence_override"]
    assert any(s["rule"] == "undisclosed" and s["soft"] for s in line["screening"])


def test_forwarded_penting_request_is_answered():
    inner = request_mail("[Penting] Ubah jadwal tender", "Mohon ditindaklanjuti.", [("form.pdf", FORM)])
    fwd = request_mail("Fwd: [Penting] Ubah jadwal tender", "Mohon ditindaklanjuti.",
                       sender="Sekretariat <sekretariat@garutkab.go.id>", to="kepala@garutkab.go.id",
                       headers={"Cc": "helpdesk@lpse.jabarprov.go.id"})
    fwd.add_attachment(inner)
    assert run(fwd).result.request_type == "ubah_jadwal"
    # Sent to a colleague, the helpdesk only in Bcc, and tagged: still answered for its form.
    fwd.replace_header("Cc", "kepala2@garutkab.go.id")
    a = run(fwd)
    assert not a.verdict.suppress and a.result.request_type == "ubah_jadwal"


def test_bccd_question_in_words_is_answered_but_a_bccd_newsletter_is_not():
    q = run(request_mail("Informasi", "Selamat pagi, mohon informasi jadwal bimtek admin agency berikutnya.",
                         to="undisclosed-recipients:;"))
    assert not q.verdict.suppress
    news = run(request_mail("Buletin November", "Berita terbaru seputar teknologi.\nUnsubscribe di sini.",
                            to="undisclosed-recipients:;"))
    assert news.verdict.suppress and news.result is None


def test_offer_is_suppressed_with_its_reason_unless_it_carries_a_request():
    a = run(request_mail("Penawaran Kerja Sama Jasa SEO", "Yth. Bapak/Ibu,\nKami menawarkan jasa SEO "
                         "agar website LPSE tampil di halaman pertama Google.\nHormat kami."))
    assert a.verdict.suppress and a.verdict.rule == "commercial_offer"
    assert "offer" in a.verdict.reason and "Penawaran Kerja Sama" in a.verdict.reason
    loan = run(request_mail("Pinjaman dana ASN", "Pinjaman tanpa agunan untuk ASN, bunga rendah, pencairan cepat."))
    assert loan.verdict.suppress and loan.verdict.rule == "commercial_offer"
    with_form = run(request_mail("Penawaran kerja sama", "Terlampir formulir ubah jadwal.", [("f.pdf", FORM)]))
    assert not with_form.verdict.suppress and with_form.result.request_type == "ubah_jadwal"


def test_hard_signal_with_a_form_attached_stays_suppressed():
    msg = request_mail("Permohonan", "Terlampir.", [("f.pdf", FORM)], headers={"Auto-Submitted": "auto-replied"})
    a = run(msg)
    assert a.verdict.suppress and a.verdict.rule == "auto_submitted" and a.result is None

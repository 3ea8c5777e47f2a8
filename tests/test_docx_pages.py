"""Issue 11 point 2 for Word files: a DOCX is cut into pages at its page breaks, like a PDF.

Word files carry no pages, only the breaks that make them: an explicit page break, "page break
before" on a paragraph or its style, a section that starts on a new page, and the
``w:lastRenderedPageBreak`` marks Word leaves where its layout broke the page. A cover letter and
the SK after it in one DOCX must then be two documents with their page ranges, the way a
two-page PDF is; a DOCX without breaks must read exactly as before.
"""

from __future__ import annotations

import copy
import dataclasses
import io
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import docgen  # noqa: E402
from mails import request_mail  # noqa: E402

from helpdesk_bot.config import LimitsConfig  # noqa: E402
from helpdesk_bot.documents import DocumentText, extract_one  # noqa: E402
from helpdesk_bot.envelope import Attachment  # noqa: E402

docx = pytest.importorskip("docx")
from docx.enum.section import WD_SECTION  # noqa: E402
from docx.enum.style import WD_STYLE_TYPE  # noqa: E402
from docx.oxml import OxmlElement, parse_xml  # noqa: E402
from docx.oxml.ns import qn  # noqa: E402

LIMITS = LimitsConfig()

KOP = ["PEMERINTAH KABUPATEN GARUT", "DINAS PEKERJAAN UMUM DAN PENATAAN RUANG", "Jalan Merdeka No. 10 Garut"]
LETTER = KOP + [
    "Nomor : 027/311/PBJ", "Sifat : Penting", "Lampiran : 1 (satu) berkas",
    "Perihal : Permohonan Reset Kata Sandi Akun Admin", "Kepada Yth.", "Kepala UPT LPSE Provinsi Jawa Barat",
    "di Bandung", "Dengan hormat,",
    "Bersama ini kami lampirkan Surat Keputusan Kepala Dinas tentang Penunjukan Administrator Agency "
    "sebagai kelengkapan permohonan reset kata sandi akun Administrator Agency kami.",
    "Nama Lengkap : Ir. Budi Santoso", "NIP : 19751203 200003 1 002",
    "Demikian kami sampaikan, atas perhatian Bapak/Ibu kami ucapkan terima kasih.",
]
SK = KOP + ["KEPUTUSAN KEPALA DINAS PEKERJAAN UMUM", "NOMOR : 800/Kep.77-PBJ/2026", "TENTANG",
            "PENUNJUKAN ADMINISTRATOR AGENCY", "LAYANAN PENGADAAN SECARA ELEKTRONIK",
            "Menimbang : bahwa perlu menunjuk Administrator Agency;", "MEMUTUSKAN",
            "Nama Lengkap : Rina Marlina, S.E.", "NIP : 19880722 201101 2 005"]


def saved(document) -> bytes:  # noqa: ANN001
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def read(data: bytes, limits: LimitsConfig = LIMITS) -> DocumentText:
    (doc,) = extract_one(Attachment("Doc1.docx", "application/octet-stream", data), limits)
    assert (doc.kind, doc.method) == ("docx", "docx"), doc.detail
    return doc


def pages_of(doc: DocumentText) -> list[list[str]]:
    return [page.split("\n") for page in doc.text.split("\f")]


def rendered_break_before(paragraph) -> None:  # noqa: ANN001
    """What Word writes in the first run of a page it laid out: ``<w:lastRenderedPageBreak/>``."""
    run = paragraph.runs[0]._r
    run.insert(1 if run.rPr is not None else 0, OxmlElement("w:lastRenderedPageBreak"))


def two_pages(how: str) -> bytes:
    """Page 1 "Surat satu" / "baris dua", page 2 "Lampiran" / "baris empat", cut in the way ``how``."""
    d = docx.Document()
    d.add_paragraph("Surat satu")
    d.add_paragraph("baris dua")
    if how == "break":
        d.add_page_break()  # Ctrl+Enter: a paragraph holding <w:br w:type="page"/>
    elif how == "section":
        d.add_section(WD_SECTION.NEW_PAGE)
    elif how == "odd_section":
        d.add_section(WD_SECTION.ODD_PAGE)
    second = d.add_paragraph("Lampiran")
    if how == "before":
        second.paragraph_format.page_break_before = True
    elif how == "style":  # inherited: the paragraph's style is based on one that breaks
        base = d.styles.add_style("Judul Lampiran", WD_STYLE_TYPE.PARAGRAPH)
        base.paragraph_format.page_break_before = True
        child = d.styles.add_style("Judul Lampiran 2", WD_STYLE_TYPE.PARAGRAPH)
        child.base_style = base
        second.style = child
    elif how == "rendered":
        rendered_break_before(second)
    d.add_paragraph("baris empat")
    return saved(d)


# ------------------------------------------------------------------------------------------
# Where a page starts


@pytest.mark.parametrize("how", ["break", "before", "style", "section", "odd_section", "rendered"])
def test_each_kind_of_page_break_starts_a_page(how):
    doc = read(two_pages(how))
    assert pages_of(doc) == [["Surat satu", "baris dua"], ["Lampiran", "baris empat"]]
    assert doc.pages == 2 and doc.error == "" and doc.detail == ""


def test_continuous_section_column_and_line_breaks_do_not_start_a_page():
    d = docx.Document()
    p = d.add_paragraph("Surat satu")
    p.add_run().add_break(docx.enum.text.WD_BREAK.COLUMN)
    p.add_run("kolom dua")
    d.add_section(WD_SECTION.CONTINUOUS)
    q = d.add_paragraph("baris dua")
    q.add_run().add_break()  # a line break (Shift+Enter)
    q.add_run("baris tiga")
    doc = read(saved(d))
    assert "\f" not in doc.text and doc.pages == 0
    # (the empty line is the paragraph python-docx adds to carry the section break)
    assert doc.text.split("\n") == ["Surat satukolom dua", "", "baris dua", "baris tiga"]


def test_a_page_break_inside_a_paragraph_cuts_it_and_word_s_own_mark_after_it_adds_no_page():
    d = docx.Document()
    p = d.add_paragraph("Demikian kami sampaikan.")
    p.add_run().add_break(docx.enum.text.WD_BREAK.PAGE)
    p.add_run("KEPUTUSAN")
    # Word also marks the first run after the break as the start of a laid-out page.
    p._p.append(copy.deepcopy(p.runs[-1]._r))
    p.runs[-1]._r.insert(0, OxmlElement("w:lastRenderedPageBreak"))
    p.runs[-1].text = " KEPALA DINAS"
    nxt = d.add_paragraph("TENTANG")
    d.add_page_break()
    rendered_break_before(d.add_paragraph("Lampiran"))  # explicit break, then Word's mark: one page
    doc = read(saved(d))
    assert pages_of(doc) == [["Demikian kami sampaikan."], ["KEPUTUSAN KEPALA DINAS", nxt.text], ["Lampiran"]]
    assert doc.pages == 3


def test_a_rendered_break_mid_text_starts_a_page_where_word_laid_it_out():
    d = docx.Document()
    d.add_paragraph("Surat satu")
    p = d.add_paragraph("sambungan")
    p.add_run(" dari halaman satu")
    p.runs[1]._r.insert(0, OxmlElement("w:lastRenderedPageBreak"))
    doc = read(saved(d))
    assert pages_of(doc) == [["Surat satu", "sambungan"], ["dari halaman satu"]]


def test_a_break_at_the_end_adds_no_empty_page_but_a_blank_page_between_is_kept():
    d = docx.Document()
    d.add_paragraph("Surat satu")
    d.add_page_break()
    d.add_page_break()
    d.add_paragraph("Lampiran")
    d.add_page_break()
    doc = read(saved(d))
    assert doc.text.split("\f") == ["Surat satu", "", "Lampiran"]  # page numbers as Word shows them
    assert doc.pages == 3


# ------------------------------------------------------------------------------------------
# What each page holds


def test_one_page_docx_reads_exactly_as_before():
    """The text of the shared test form, as the reader gave it before pages existed."""
    doc = read(docgen.docx_file("FORMULIR PERMINTAAN UBAH JADWAL", {"Kode Tender": "48658064", "Nama": "Siti"}))
    assert doc.text == (f"{docgen.LETTERHEAD}\nFORMULIR PERMINTAAN UBAH JADWAL\n"
                        "Dengan hormat, bersama ini kami mengajukan permohonan sebagai berikut:\n"
                        "Kode Tender | 48658064\nNama | Siti\nDemikian permohonan ini kami sampaikan.")
    assert doc.pages == 0 and doc.detail == ""


def test_tables_and_text_boxes_stay_on_their_pages():
    d = docx.Document()
    d.add_paragraph("FORMULIR")
    t = d.add_table(rows=1, cols=2)
    t.cell(0, 0).text, t.cell(0, 1).text = "Kode Tender", "48658064"
    inner = t.cell(0, 1).add_table(rows=1, cols=1)
    inner.cell(0, 0).text = "bersarang"
    d.add_page_break()
    anchor = d.add_paragraph("Halaman dua")
    box = parse_xml(
        '<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
        ' xmlns:v="urn:schemas-microsoft-com:vml"><w:pict><v:shape><v:textbox><w:txbxContent>'
        "<w:p><w:r><w:t>Isi kotak teks</w:t></w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict></w:r>")
    anchor._p.append(box)
    doc = read(saved(d))
    assert pages_of(doc) == [["FORMULIR", "Kode Tender | 48658064", "bersarang"], ["Halaman dua", "Isi kotak teks"]]


def test_each_section_s_header_opens_the_page_its_section_starts_on():
    d = docx.Document()
    d.sections[0].header.paragraphs[0].text = "KOP SURAT DINAS"
    d.add_paragraph("Surat permohonan")
    second = d.add_section(WD_SECTION.NEW_PAGE)
    second.header.is_linked_to_previous = False
    second.header.paragraphs[0].text = "KOP KEPUTUSAN"
    d.add_paragraph("KEPUTUSAN KEPALA DINAS")
    third = d.add_section(WD_SECTION.NEW_PAGE)  # linked to the previous header: not repeated
    assert third.header.is_linked_to_previous
    d.add_paragraph("LAMPIRAN")
    doc = read(saved(d))
    assert pages_of(doc) == [["KOP SURAT DINAS", "Surat permohonan"], ["KOP KEPUTUSAN", "KEPUTUSAN KEPALA DINAS"],
                             ["LAMPIRAN"]]


def test_page_count_is_capped_and_no_text_is_lost():
    d = docx.Document()
    for i in range(1, 31):
        d.add_paragraph(f"halaman {i}")
        d.add_page_break()
    limits = dataclasses.replace(LIMITS, max_pdf_pages=5)
    doc = read(saved(d), limits)
    assert doc.pages == 5 and "only the first 5 pages" in doc.detail
    assert [p.split("\n")[0] for p in doc.text.split("\f")] == [f"halaman {i}" for i in range(1, 6)]
    assert all(f"halaman {i}" in doc.text for i in range(1, 31))


def test_docx_package_limits_still_apply():
    d = docx.Document()
    d.add_paragraph("Surat")
    d.add_page_break()
    d.add_paragraph("Lampiran")
    data = saved(d)
    limits = dataclasses.replace(LIMITS, zip_max_total_bytes=len(data) // 4)
    (doc,) = extract_one(Attachment("Doc1.docx", "application/octet-stream", data), limits)
    assert doc.error == "zip_bomb" and doc.text == ""


# ------------------------------------------------------------------------------------------
# What the recogniser makes of it


def letter_and_sk_docx() -> bytes:
    d = docx.Document()
    for line in LETTER:
        d.add_paragraph(line)
    d.add_page_break()
    for line in SK:
        d.add_paragraph(line)
    return saved(d)


def test_letter_then_sk_in_one_docx_are_two_documents_in_classify_json(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from helpdesk_bot.cli import main

    eml = tmp_path / "surat.eml"
    eml.write_bytes(request_mail("Mohon bantuan", "Dengan hormat,\nTerlampir surat kami.\n",
                                 [("Dokumen1.docx", letter_and_sk_docx())]).as_bytes())
    monkeypatch.chdir(tmp_path)  # the embedded default configuration; nothing written
    result = CliRunner().invoke(main, ["classify", "--json", str(eml)])
    assert result.exit_code == 0, result.output[-2000:]
    line = json.loads(result.stdout.splitlines()[0])
    assert [(f["document"], f["pages"]) for f in line["documents_found"]] == [
        ("surat_permohonan_reset_password", [1, 1]), ("sk_admin_agency", [2, 2])]
    assert line["request_type"] == "reset_password" and line["missing"] == []
    (att,) = line["attachments"]
    assert att["pages"] == 2 and att["documents"] == ["surat_permohonan_reset_password", "sk_admin_agency"]


def test_the_same_docx_without_the_break_is_one_letter():
    """Why the pages matter: read as one page, the SK below the letter is never seen."""
    from helpdesk_bot.config import embedded_default
    from helpdesk_bot.offline import MemoryCache, analyse, to_json
    from helpdesk_bot.reload import load_for

    config = embedded_default()
    d = docx.Document()
    for line in LETTER + SK:
        d.add_paragraph(line)
    mail = request_mail("Mohon bantuan", "Terlampir.", [("Dokumen1.docx", saved(d))])
    line = to_json("x.eml", analyse(mail.as_bytes(), config, load_for(config), MemoryCache()))
    assert [f["document"] for f in line["documents_found"]] == ["surat_permohonan_reset_password"]
    assert "sk_admin_agency" in line["missing"]

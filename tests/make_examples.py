"""Regenerate the sample requests in helpdesk_bot/examples/ and the blank forms in
helpdesk_bot/forms/blank/ (needs the test extras: fpdf2, python-docx).

    python3 tests/make_examples.py

The .eml files are committed so that the first-run command needs nothing but the package.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
PACKAGE = HERE.parent / "helpdesk_bot"

from docgen import SAMPLE_FIELDS, docx_file, text_pdf  # noqa: E402
from mails import request_mail  # noqa: E402

ADMIN = {"Nama Lengkap": "Dra. Siti Aminah", "NIP": "19800415 200501 2 003",
         "No. Telepon/HP": "0812-2233-4455", "Alamat Email": "siti.aminah@garutkab.go.id"}


BLANK_FORMS = {
    "formulir_ubah_jadwal": ("FORMULIR PERMINTAAN UBAH JADWAL", ["Kode Tender", "Nama Paket", "Satuan Kerja", "Pokja Pemilihan",
                                                                  "Tahapan yang diubah", "Jadwal Semula", "Jadwal Perubahan", "Alasan Perubahan"]),
    "formulir_uji_forensik": ("FORMULIR PERMINTAAN UJI FORENSIK", ["Kode Tender", "Nama Paket", "Nama Peserta", "Nama File Penawaran",
                                                                    "Keterangan Kegagalan"]),
    "berita_acara_uji_forensik": ("BERITA ACARA UJI FORENSIK", ["Hari/Tanggal", "Kode Tender", "Nama Paket", "Nama Peserta",
                                                                 "Nama File", "Anggota Pokja Pemilihan"]),
    "formulir_perbaikan_aplikasi": ("FORMULIR PERMINTAAN PERBAIKAN APLIKASI", ["Kode Tender", "Nama Paket", "Tahapan",
                                                                                "Data Tertulis", "Data Seharusnya", "Alasan Perbaikan"]),
}


def blank_forms() -> None:
    """The blank forms attached to a reply that names them as missing (forms/blank/)."""
    from fpdf import FPDF

    out = PACKAGE / "forms" / "blank"
    out.mkdir(parents=True, exist_ok=True)
    for doc_id, (title, labels) in BLANK_FORMS.items():
        pdf = FPDF(format="A4")
        pdf.set_creation_date(__import__("datetime").datetime(2026, 1, 1, tzinfo=__import__("datetime").timezone.utc))
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 14)
        pdf.cell(0, 10, "LPSE PROVINSI JAWA BARAT", new_x="LMARGIN", new_y="NEXT", align="C")
        pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT", align="C")
        pdf.ln(6)
        pdf.set_font("Helvetica", size=11)
        for label in labels:
            pdf.cell(60, 10, label)
            pdf.cell(0, 10, ": " + "." * 70, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(10)
        pdf.multi_cell(0, 6, "Formulir ini ditandatangani oleh Ketua Pokja Pemilihan/PPK dan dikirimkan kepada "
                             "helpdesk@lpse.jabarprov.go.id dalam bentuk PDF atau hasil pindaian (scan).")
        pdf.ln(20)
        pdf.cell(0, 6, "Ketua Pokja Pemilihan,", new_x="LMARGIN", new_y="NEXT", align="R")
        pdf.ln(20)
        pdf.cell(0, 6, "(........................................)", new_x="LMARGIN", new_y="NEXT", align="R")
        pdf.cell(0, 6, "NIP. ..................................", new_x="LMARGIN", new_y="NEXT", align="R")
        (out / f"{doc_id}.pdf").write_bytes(bytes(pdf.output()))
        print("wrote", f"forms/blank/{doc_id}.pdf")


def main() -> None:
    blank_forms()
    samples = {
        "01-ubah-jadwal-lengkap.eml": request_mail(
            "Mohon perubahan jadwal tender 48658064",
            "Dengan hormat,\nTerlampir formulir permintaan ubah jadwal.\n\nHormat kami,\nPokja Pemilihan 12",
            [("scan0001.pdf", text_pdf("FORMULIR PERMINTAAN UBAH JADWAL", SAMPLE_FIELDS))]),
        "02-reset-password-tanpa-sk.eml": request_mail(
            "Permohonan reset password admin agency",
            "Dengan hormat,\nKami mohon reset password Administrator Agency.\n\nTerima kasih.",
            [("surat.pdf", text_pdf("SURAT PERMOHONAN RESET PASSWORD ADMINISTRATOR AGENCY", ADMIN))],
            sender="Admin Agency Garut <admin.agency@garutkab.go.id>"),
        "03-uji-forensik.eml": request_mail(
            "Uji forensik file penawaran",
            "Dengan hormat,\nFile penawaran peserta tidak dapat dibuka. Terlampir formulir dan berita acara.",
            [("form.pdf", text_pdf("FORMULIR PERMINTAAN UJI FORENSIK", {"Kode Tender": "10158661000", "Nama Peserta": "CV Maju Jaya"})),
             ("ba.pdf", text_pdf("BERITA ACARA UJI FORENSIK", {"Kode Tender": "10158661000", "Nama File": "penawaran.rhs"}))]),
        "04-perbaikan-aplikasi-docx.eml": request_mail(
            "Perbaikan data paket",
            "Mohon bantuan perbaikan data sesuai formulir terlampir.",
            [("Doc1.docx", docx_file("FORMULIR PERMINTAAN PERBAIKAN APLIKASI",
                                     {"Kode Tender": "48658064", "Data Tertulis": "HPS Rp 1.000.000",
                                      "Data Seharusnya": "HPS Rp 10.000.000"}))]),
        "05-sub-agency.eml": request_mail(
            "Pendaftaran Sub Agency Dinas Kesehatan",
            "Dengan hormat,\nKami bermaksud mendaftarkan sub agency untuk UPTD di lingkungan kami."),
        "06-pertanyaan.eml": request_mail(
            "Pertanyaan jadwal bimtek",
            "Selamat siang, kapan jadwal bimbingan teknis berikutnya untuk PPK?",
            sender="Budi <budi.ppk@gmail.com>"),
        "07-balasan-otomatis.eml": request_mail(
            "Balasan Otomatis: Permohonan",
            "Saya sedang cuti sampai 30 November 2026.",
            sender="Kepala Bagian <kabag@bogorkab.go.id>", headers={"Auto-Submitted": "auto-replied"}),
    }
    for name, msg in samples.items():
        (PACKAGE / "examples" / name).write_bytes(msg.as_bytes())
        print("wrote", name)


if __name__ == "__main__":
    main()

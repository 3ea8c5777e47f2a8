"""A labelled corpus of realistic request mails, generated (deterministic for a seed).

Each mail is labelled with the request type and the exact list of missing documents, in the
TSV format `rules eval` reads (``path  request_type  missing``). Variety on purpose: forms and
letters as text PDFs, scans (skewed, noisy, sideways), phone photos, Word files, ZIPs and
forwarded mails; file names that say nothing; subjects that are vague or misleading; cover
letters that *mention* other documents; documents missing; several senders' styles.

    python3 tests/corpus_gen.py OUTDIR --n 300 --seed 1
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from docgen import degrade, docx_file, font, images_to_pdf, zip_of  # noqa: E402
from mails import request_mail  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

REQUIRED = {
    "ubah_jadwal": ["formulir_ubah_jadwal"],
    "uji_forensik": ["formulir_uji_forensik", "berita_acara_uji_forensik"],
    "perbaikan_aplikasi": ["formulir_perbaikan_aplikasi"],
    "reset_password": ["surat_permohonan_reset_password", "sk_admin_agency"],
    "penggantian_admin": ["surat_permohonan_penggantian_admin", "sk_admin_agency"],
    "bergabung": ["surat_permohonan_bergabung", "surat_permohonan_pelatihan", "sk_admin_agency", "sla"],
    "admin_tambahan": ["sk_admin_agency"],
    "sub_agency": [],
    "lainnya": [],
}

AGENCIES = [
    ("PEMERINTAH KABUPATEN GARUT", "DINAS PEKERJAAN UMUM DAN PENATAAN RUANG", "garutkab.go.id"),
    ("PEMERINTAH KABUPATEN BANDUNG", "BAGIAN PENGADAAN BARANG DAN JASA SETDA", "bandungkab.go.id"),
    ("PEMERINTAH KOTA CIMAHI", "DINAS KESEHATAN", "cimahikota.go.id"),
    ("PEMERINTAH PROVINSI JAWA BARAT", "RSUD AL IHSAN", "jabarprov.go.id"),
    ("PEMERINTAH KABUPATEN SUMEDANG", "DINAS PENDIDIKAN", "sumedangkab.go.id"),
    ("UNIVERSITAS SILIWANGI", "UNIT KERJA PENGADAAN BARANG/JASA", "unsil.ac.id"),
]
PEOPLE = [("Dra. Siti Aminah, M.Si.", "19800415 200501 2 003"), ("Ir. Budi Santoso", "19751203 200003 1 002"),
          ("Rina Marlina, S.E.", "19880722 201101 2 005"), ("Asep Saepudin, S.T.", "19830911 200902 1 001")]
PAKET = ["Pembangunan Gedung Puskesmas Cikajang", "Rehabilitasi Jalan Ruas Cibatu - Malangbong",
         "Pengadaan Alat Kesehatan RSUD", "Belanja Jasa Konsultansi Pengawasan Irigasi"]
TAHAPAN = ["Upload Dokumen Penawaran", "Pembukaan Dokumen Penawaran", "Evaluasi Administrasi, Kualifikasi, Teknis dan Harga",
           "Pembuktian Kualifikasi", "Pemberian Penjelasan", "Penetapan Pemenang"]


@dataclass
class Doc:
    doc_id: str
    lines: list[str]
    docx_title: str = ""
    docx_fields: dict[str, str] = field(default_factory=dict)


def _kop(rng: random.Random) -> tuple[list[str], str]:
    gov, unit, domain = rng.choice(AGENCIES)
    return [gov, unit, f"Jalan Merdeka No. {rng.randint(1, 200)} Telp. (022) {rng.randint(4200000, 4299999)}", ""], domain


def _admin_fields(rng: random.Random) -> dict[str, str]:
    name, nip = rng.choice(PEOPLE)
    return {"Nama Lengkap": name, "NIP": nip, "Jabatan": "Pengelola Pengadaan Barang/Jasa",
            "No. Telepon/HP": f"08{rng.randint(11, 59)}-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
            "Alamat Email": f"admin.{rng.randint(1, 99)}@example.go.id"}


def _tender_fields(rng: random.Random) -> dict[str, str]:
    return {"Kode Tender": str(rng.choice([rng.randint(10_000_000, 99_999_999), rng.randint(10_000_000_000, 99_999_999_999)])),
            "Nama Paket": rng.choice(PAKET), "Satuan Kerja": rng.choice(AGENCIES)[1].title(),
            "Tahapan": rng.choice(TAHAPAN), "Jadwal Semula": f"{rng.randint(1, 28)} November 2026 pukul 15.00",
            "Jadwal Perubahan": f"{rng.randint(1, 28)} Desember 2026 pukul 15.00",
            "Alasan": rng.choice(["Gangguan server pada saat unggah", "Adendum dokumen pemilihan", "Permintaan peserta"])}


def _fields_lines(fields: dict[str, str]) -> list[str]:
    return [f"{k} : {v}" for k, v in fields.items()]


def _signature(rng: random.Random) -> list[str]:
    name, nip = rng.choice(PEOPLE)
    return ["", "Demikian kami sampaikan, atas perhatian dan kerja samanya kami ucapkan terima kasih.", "",
            "Kepala Dinas,", "", name, f"NIP. {nip}"]


def make_form(doc_id: str, rng: random.Random) -> Doc:
    titles = {
        "formulir_ubah_jadwal": ["FORMULIR PERMINTAAN UBAH JADWAL", "FORMULIR PERMINTAAN PERUBAHAN JADWAL"],
        "formulir_uji_forensik": ["FORMULIR PERMINTAAN UJI FORENSIK"],
        "formulir_perbaikan_aplikasi": ["FORMULIR PERMINTAAN PERBAIKAN APLIKASI", "FORMULIR PERMINTAAN PERBAIKAN DATA"],
        "berita_acara_uji_forensik": ["BERITA ACARA UJI FORENSIK"],
    }
    title = rng.choice(titles[doc_id])
    fields = _tender_fields(rng)
    if doc_id == "formulir_perbaikan_aplikasi":
        fields = {"Kode Tender": fields["Kode Tender"], "Nama Paket": fields["Nama Paket"], "Tahapan": fields["Tahapan"],
                  "Data Tertulis": "Nilai HPS Rp 1.250.000.000", "Data Seharusnya": "Nilai HPS Rp 1.520.000.000",
                  "Alasan": "Kesalahan input oleh Pokja"}
    elif doc_id in ("formulir_uji_forensik", "berita_acara_uji_forensik"):
        fields = {"Kode Tender": fields["Kode Tender"], "Nama Paket": fields["Nama Paket"],
                  "Nama Peserta": rng.choice(["CV Maju Jaya", "PT Sinar Abadi", "CV Karya Mandiri"]),
                  "Nama File": "penawaran_" + str(rng.randint(100, 999)) + ".rhs"}
        if doc_id == "berita_acara_uji_forensik":
            fields = {"Pada hari ini": "Senin tanggal dua puluh tiga bulan November tahun dua ribu dua puluh enam", **fields}
    kop, _ = _kop(rng) if rng.random() < 0.6 else ([], "")
    lines = kop + [title, ""] + _fields_lines(fields) + _signature(rng)
    return Doc(doc_id, lines, title, fields)


LETTER_SUBJECTS = {
    "surat_permohonan_reset_password": ["Permohonan Reset Password Administrator Agency",
                                        "Permohonan Reset Password Akun Administrator Agency",
                                        # a reset letter that mentions data is no data request (issue 11)
                                        "Permohonan Reset Password dan Pembaruan Data Administrator Agency",
                                        "Permohonan Reset Kata Sandi dan Data Akun Admin Agency"],
    "surat_permohonan_penggantian_admin": ["Permohonan Penggantian Personil Administrator Agency",
                                           "Permohonan Penggantian Administrator Agency"],
    "surat_permohonan_bergabung": ["Permohonan Bergabung dengan LPSE Provinsi Jawa Barat"],
    "surat_permohonan_pelatihan": ["Permohonan Pelatihan Administrator Agency dan Pokja", "Permohonan Pelatihan"],
}


def make_letter(doc_id: str, rng: random.Random) -> Doc:
    kop, _ = _kop(rng)
    perihal = rng.choice(LETTER_SUBJECTS[doc_id])
    titled = rng.random() < 0.5  # some letters repeat the subject as a centred title
    head = kop + [f"Nomor : 027/{rng.randint(100, 999)}/PBJ", "Sifat : Penting", "Lampiran : 1 (satu) berkas",
                  f"Perihal : {perihal}", "", "Kepada Yth.", "Kepala UPT LPSE Provinsi Jawa Barat", "di Bandung", ""]
    if titled:
        head = kop + [("SURAT " + perihal).upper(), f"Nomor : 027/{rng.randint(100, 999)}/PBJ", ""]
    elif rng.random() < 0.3:  # a generic title above the subject line: the subject names the letter
        head = kop[:-1] + ["SURAT PERMOHONAN", ""] + head[len(kop):]
    body = ["Dengan hormat,"]
    fields: dict[str, str] = {}
    if doc_id == "surat_permohonan_reset_password":
        body.append(rng.choice([
            "Sehubungan dengan lupa kata sandi akun Administrator Agency, kami mohon reset password untuk:",
            "Kami mohon reset password akun Administrator Agency dengan data sebagai berikut:",
            "Bersama ini kami mengajukan permohonan reset password dan pembaruan data Administrator Agency:"]))
        fields = _admin_fields(rng)
    elif doc_id == "surat_permohonan_penggantian_admin":
        body.append("Sehubungan dengan mutasi pegawai, kami mohon penggantian Administrator Agency menjadi:")
        fields = _admin_fields(rng)
    elif doc_id == "surat_permohonan_bergabung":
        body += ["Dalam rangka pelaksanaan pengadaan secara elektronik, kami mengajukan permohonan untuk",
                 "bergabung dengan LPSE Provinsi Jawa Barat. Sebagai kelengkapan kami lampirkan:",
                 "1. Surat Keputusan Penunjukan Administrator Agency;", "2. Surat Permohonan Pelatihan;",
                 "3. Service Level Agreement yang telah ditandatangani."]
    else:
        body += ["Bersama ini kami mengajukan permohonan pelatihan bagi Administrator Agency dan Pokja Pemilihan",
                 "di lingkungan instansi kami sebanyak 5 (lima) orang."]
    return Doc(doc_id, head + body + _fields_lines(fields) + _signature(rng), ("SURAT " + perihal).upper(), fields)


def make_sk(rng: random.Random) -> Doc:
    kop, _ = _kop(rng)
    who = rng.choice(["KEPALA DINAS PEKERJAAN UMUM", "SEKRETARIS DAERAH KABUPATEN GARUT", "DIREKTUR RSUD AL IHSAN",
                      "KEPALA BAGIAN PENGADAAN BARANG DAN JASA"])
    style = rng.random()
    title = "SURAT KEPUTUSAN PENUNJUKAN ADMINISTRATOR AGENCY"
    nomor = f"NOMOR : {rng.randint(100, 999)}/SK/2026"
    if style < 0.3:
        head = [f"KEPUTUSAN {who}", f"NOMOR : 800/Kep.{rng.randint(10, 999)}-PBJ/2026", "TENTANG",
                "PENUNJUKAN ADMINISTRATOR AGENCY", "LAYANAN PENGADAAN SECARA ELEKTRONIK", ""]
    elif style < 0.5:
        head = kop + ["SURAT KEPUTUSAN", nomor, "TENTANG", "PENUNJUKAN ADMINISTRATOR AGENCY", ""]
    elif style < 0.65:
        head = kop + ["SURAT KEPUTUSAN PENUNJUKAN ADMINISTRATOR AGENCY", f"Nomor : {rng.randint(100, 999)}/SK/2026", ""]
    else:
        # Headings as people really type them (issue 11): "PENUNJUKKAN", extra words, "PENGELOLA"
        # for the role, a word broken at the end of a line.
        title, lines = rng.choice([
            ("SURAT KEPUTUSAN TENTANG PENUNJUKKAN ADMINISTRATOR AGENCY", ["TENTANG", "PENUNJUKKAN ADMINISTRATOR AGENCY"]),
            ("SURAT KEPUTUSAN TENTANG PENUNJUKAN PENGELOLA AKUN SPSE", ["TENTANG", "PENUNJUKAN PENGELOLA AKUN SPSE", "(ADMINISTRATOR AGENCY)"]),
            ("SURAT KEPUTUSAN TENTANG PENGANGKATAN PEGAWAI SEBAGAI ADMINISTRATOR AGENCY",
             ["TENTANG", "PENGANGKATAN PEGAWAI SEBAGAI ADMINISTRATOR AGENCY", "PADA LPSE PROVINSI JAWA BARAT"]),
            ("SURAT KEPUTUSAN TENTANG PENUNJUKAN ADMINISTRATOR AGENCY", ["TENTANG", "PENUNJUKAN ADMINIS-", "TRATOR AGENCY TAHUN 2026"]),
            ("SURAT KEPUTUSAN TENTANG PENUNJUKAN PENGELOLA LAYANAN PENGADAAN SECARA ELEKTRONIK",
             ["TENTANG", "PENUNJUKAN PENGELOLA LAYANAN", "PENGADAAN SECARA ELEKTRONIK"]),
        ])
        first = rng.choice([f"KEPUTUSAN {who}", "SURAT KEPUTUSAN"])
        head = ([] if first.startswith("KEPUTUSAN") else kop) + [first, nomor] + lines + [""]
    body = ["Menimbang : bahwa untuk kelancaran pengadaan secara elektronik perlu menunjuk Administrator Agency;",
            "MEMUTUSKAN", "Menetapkan : Menunjuk pegawai berikut sebagai Administrator Agency:"]
    fields = _admin_fields(rng)
    if rng.random() < 0.15:  # an SK without NIP/email: the SLA data check must notice
        fields.pop("Alamat Email")
    return Doc("sk_admin_agency", head + body + _fields_lines(fields) + _signature(rng), title, fields)


def make_sla(rng: random.Random) -> Doc:
    _kop_lines, _ = _kop(rng)
    lines = ["SERVICE LEVEL AGREEMENT", "ANTARA", "LPSE PROVINSI JAWA BARAT", "DENGAN", rng.choice(AGENCIES)[1], "",
             "Pada hari ini para pihak sepakat mengenai layanan pengadaan secara elektronik.",
             "I. RUANG LINGKUP", "II. HAK DAN KEWAJIBAN", "III. KETENTUAN LAYANAN"] + _signature(rng)
    return Doc("sla", lines, "SERVICE LEVEL AGREEMENT", {"Para Pihak": "LPSE Provinsi Jawa Barat"})


def make_doc(doc_id: str, rng: random.Random) -> Doc:
    if doc_id.startswith(("formulir", "berita")):
        return make_form(doc_id, rng)
    if doc_id == "sk_admin_agency":
        return make_sk(rng)
    if doc_id == "sla":
        return make_sla(rng)
    return make_letter(doc_id, rng)


# -- rendering ------------------------------------------------------------------------------


def text_pdf_lines(lines: list[str]) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for line in lines:
        safe = line.encode("latin-1", "replace").decode("latin-1")
        pdf.cell(0, 6, safe, new_x="LMARGIN", new_y="NEXT", align="C" if line.isupper() and len(line) < 70 else "L")
    return bytes(pdf.output())


def page_image(lines: list[str], dpi: int = 200) -> Image.Image:
    w, h = round(210 / 25.4 * dpi), round(297 / 25.4 * dpi)
    img = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(img)
    scale = dpi / 200
    f, fb = font(round(28 * scale)), font(round(34 * scale), bold=True)
    y = round(150 * scale)
    for line in lines:
        big = line.isupper() and len(line) < 70
        ff = fb if big else f
        x = (w - draw.textlength(line, font=ff)) / 2 if big else round(140 * scale)
        draw.text((x, y), line, fill=0, font=ff)
        y += round(46 * scale)
    return img


def scanned(lines: list[str], rng: random.Random) -> bytes:
    rot = rng.choice([0, 0, 0.8, -1.2, 2.0, -2.5, 90, 180]) if rng.random() < 0.7 else 0
    img = degrade(page_image(lines), rotate=rot, noise=rng.random() < 0.5, blur=rng.random() < 0.3, seed=rng.randint(1, 999))
    return images_to_pdf([img])


def photo(lines: list[str], rng: random.Random) -> bytes:
    import io

    img = degrade(page_image(lines, dpi=150), rotate=rng.choice([1.5, -2.0, 3.0]), noise=True, seed=rng.randint(1, 99))
    canvas = Image.new("L", (round(img.width * 1.1), round(img.height * 1.08)), 110)
    canvas.paste(img, ((canvas.width - img.width) // 2, (canvas.height - img.height) // 2))
    buf = io.BytesIO()
    canvas.convert("RGB").save(buf, "JPEG", quality=80)
    return buf.getvalue()


NAMES = {
    "pdf": ["scan0001.pdf", "Scan_20261120.pdf", "dokumen.pdf", "surat.pdf", "lampiran 1.pdf", "CamScanner 11-20-2026.pdf"],
    "jpg": ["IMG_20261120_101512.jpg", "WhatsApp Image 2026-11-20 at 10.15.12.jpeg", "foto.jpg"],
    "docx": ["Doc1.docx", "formulir.docx", "surat permohonan.docx"],
}


def render(doc: Doc, fmt: str, rng: random.Random, meaningful: bool) -> tuple[str, bytes]:
    ext = {"text": "pdf", "scan": "pdf", "photo": "jpg", "docx": "docx"}[fmt]
    name = f"{doc.doc_id}.{ext}" if meaningful else rng.choice(NAMES[ext])
    if fmt == "text":
        return name, text_pdf_lines(doc.lines)
    if fmt == "scan":
        return name, scanned(doc.lines, rng)
    if fmt == "photo":
        return name, photo(doc.lines, rng)
    return name, docx_file(doc.docx_title, doc.docx_fields)


# -- mails ----------------------------------------------------------------------------------

SUBJECTS = {
    "ubah_jadwal": ["Permohonan Ubah Jadwal Tender", "Mohon perubahan jadwal", "ubah jadwal kode tender {kode}"],
    "uji_forensik": ["Permohonan Uji Forensik", "File penawaran tidak bisa dibuka", "uji forensik tender {kode}"],
    "perbaikan_aplikasi": ["Permohonan Perbaikan Data Tender", "Perbaikan aplikasi SPSE", "salah input HPS"],
    "reset_password": ["Permohonan Reset Password Admin Agency", "lupa password admin agency", "Reset password"],
    "penggantian_admin": ["Penggantian Administrator Agency", "Permohonan ganti admin agency"],
    "bergabung": ["Permohonan Bergabung LPSE Jabar", "Pendaftaran Agency baru"],
    "admin_tambahan": ["Permohonan Admin Agency Tambahan", "Penambahan administrator agency"],
    "sub_agency": ["Pendaftaran Sub Agency", "Permohonan pembuatan sub agency UPTD"],
    "lainnya": ["Pertanyaan", "Mohon informasi jam layanan helpdesk", "Tanya cara daftar penyedia", "Terima kasih"],
}
VAGUE = ["Mohon bantuan", "Permohonan", "(tanpa subjek)", "Surat dari Dinas", "Fwd: dokumen", "Kirim berkas"]
BODIES = {
    "lainnya": ["Selamat pagi, sampai pukul berapa layanan helpdesk LPSE buka pada hari Jumat?",
                "Mohon informasi cara mendaftar sebagai penyedia di SPSE.", "Terima kasih atas bantuannya kemarin."],
    "sub_agency": ["Dengan hormat, kami mohon dibuatkan Sub Agency untuk UPTD Puskesmas di lingkungan kami."],
}


@dataclass
class Sample:
    name: str
    message: EmailMessage
    request_type: str
    missing: list[str]
    note: str


# -- mails nobody here wrote (issue 11): vendors, status questions, outage reports in Bcc, offers --

#: Share of mails drawn from the scenarios below rather than from the request types above.
SCENARIO_SHARE = 0.3
#: Label of a mail that must never be answered (``rules eval`` reads it the same way).
SUPPRESSED = "(suppressed)"

VENDORS = ["CV Maju Jaya", "PT Sinar Abadi Konstruksi", "CV Karya Mandiri", "PT Bangun Persada Nusantara"]
VENDOR_BODIES = [
    "Dengan hormat,\nKami dari {v}, penyedia yang terdaftar di SPSE LPSE Jawa Barat, lupa password akun kami.\n"
    "Mohon dibantu reset password.\nTerima kasih.",
    "Selamat pagi, saya direktur {v}. User ID perusahaan kami terkunci setelah beberapa kali salah memasukkan kata sandi, "
    "sehingga tidak bisa login untuk mengikuti tender. Mohon bantuannya.",
    "Yth. Admin LPSE,\nMohon reset kata sandi akun SPSE {v} karena email pemulihan tidak masuk.\nHormat kami,\nBagian Tender {v}",
    "Dengan hormat,\nTerlampir surat permohonan reset password akun penyedia {v}.\nAtas bantuannya kami ucapkan terima kasih.",
]
VENDOR_LETTER_SUBJECTS = ["Permohonan Reset Password", "Permohonan Reset Password Akun SPSE",
                          "Permohonan Reset Password Akun Penyedia", "Permohonan Pengaturan Ulang Kata Sandi"]
STATUS_BODIES = [
    "Selamat siang,\nBagaimana kelanjutan permohonan kami yang kami kirim minggu lalu?\nTerima kasih.",
    "Yth. Helpdesk LPSE,\nmohon info progresnya untuk surat permohonan kami. Terima kasih.",
    "Dengan hormat,\nKami ingin menanyakan perkembangan permohonan {what} yang telah kami ajukan. Sudah sejauh mana ya?",
    "Mohon update untuk permohonan {what} yang sudah kami kirimkan tanggal {d} November.",
    "Selamat pagi, apakah sudah ada kabar untuk permohonan {what} kami? Terima kasih.",
    "Mohon konfirmasi status permohonan {what} kami, apakah sudah diproses?",
]
STATUS_SUBJECTS = ["Re: Permohonan {what}", "Menanyakan kelanjutan permohonan", "Follow up", "Konfirmasi", "(tanpa subjek)"]
OUTAGE_BODIES = [
    "Selamat pagi,\nSPSE tidak bisa diakses sejak pukul 08.00 WIB, muncul error 502 Bad Gateway.",
    "Website LPSE Jawa Barat tidak dapat dibuka dari kantor kami sejak tadi pagi.",
    "Aplikasi SPSE sangat lambat, upload dokumen pemilihan selalu gagal.",
    "Halaman login SPSE hanya menampilkan layar putih.",
    "Pokja kami mengalami kendala saat membuka SPSE, loading terus tanpa hasil.",
    "Apakah server LPSE sedang down? Dari tadi tidak bisa akses.",
]
OUTAGE_SUBJECTS = ["SPSE tidak bisa diakses", "Gangguan SPSE", "Laporan", "Kendala akses", "(tanpa subjek)", "URGENT"]
OFFERS = [
    ("Pinjaman dana cepat untuk ASN", "Yth. Bapak/Ibu,\nKami menawarkan pinjaman tanpa agunan bagi ASN, bunga rendah, "
     "pencairan dalam 1 hari. Hubungi WA 0812-3456-7890."),
    ("Kredit Multiguna Pegawai", "Dengan hormat, kami dari Bank Sejahtera memberikan informasi program kredit multiguna "
     "bagi pegawai instansi Bapak/Ibu. Syarat mudah, angsuran ringan."),
    ("Pengurusan SBU dan SKK Konstruksi", "Kami melayani pengurusan SBU konstruksi dan SKK tenaga ahli agar perusahaan "
     "dapat mengikuti tender. Proses cepat, harga terjangkau. Hubungi kami."),
    ("Sertifikasi Badan Usaha", "Perusahaan Anda belum punya SBU? Tim kami siap membantu pengurusan Sertifikat Badan Usaha "
     "dan SKK sampai terbit. Konsultasi gratis!"),
    ("Jasa SEO Website Instansi", "Selamat siang, website instansi Bapak/Ibu belum muncul di halaman pertama Google? "
     "Kami menawarkan jasa SEO dengan harga promo."),
    ("Penawaran Pembuatan Website", "Dengan hormat, perkenankan kami memperkenalkan layanan pembuatan website dan web design "
     "untuk instansi pemerintah, harga mulai Rp 2.500.000."),
    ("SEO services", "Hello, we noticed your website is not on the first page of Google. We offer affordable SEO "
     "services, reply for a free audit."),
]
BROCHURE = ["CV SOLUSI PERIZINAN", "JASA PENGURUSAN SBU DAN SKK KONSTRUKSI", "Proses cepat 7 hari kerja",
            "Harga terjangkau, bergaransi", "Hubungi WA 0812 3456 7890"]


def _vendor_letter(rng: random.Random, vendor: str) -> Doc:
    """A supplier's own reset letter: company letterhead, NPWP, signed by its director."""
    perihal = rng.choice(VENDOR_LETTER_SUBJECTS)
    lines = [vendor.upper(), f"Jl. Soekarno Hatta No. {rng.randint(1, 400)} Bandung", "NPWP : 01.234.567.8-421.000", "",
             f"Nomor : {rng.randint(1, 99)}/{vendor.split()[1][:2].upper()}/XI/2026", f"Perihal : {perihal}", "",
             "Kepada Yth.", "Admin LPSE Provinsi Jawa Barat", "di Bandung", "", "Dengan hormat,",
             rng.choice([f"Kami selaku penyedia barang/jasa mohon reset password akun SPSE {vendor}.",
                         "Yang bertanda tangan di bawah ini mohon reset kata sandi akun perusahaan kami:"]),
             f"Nama Perusahaan : {vendor}", "Nama : Budi Hartono", "Jabatan : Direktur",
             "", "Demikian permohonan ini kami sampaikan.", "", "Direktur,", "", "Budi Hartono"]
    return Doc("vendor_letter", lines, ("SURAT " + perihal).upper(), {"Nama Perusahaan": vendor, "Jabatan": "Direktur"})


def make_scenario(i: int, rng: random.Random, ocr: bool = True) -> Sample:
    """One mail of a kind issue 11 named: the label says what a person would do with it."""
    kind = rng.choice(["vendor", "vendor_letter", "status", "outage_bcc", "offer", "offer_brochure", "sbu_question"])
    gov, unit, domain = rng.choice(AGENCIES)
    person = f"{rng.choice(PEOPLE)[0]} <user{rng.randint(1, 999)}@gmail.com>"
    to = "helpdesk@lpse.jabarprov.go.id"
    attachments: list[tuple[str, bytes]] = []
    what = rng.choice(["ubah jadwal", "reset password admin agency", "bergabung", "uji forensik"])
    if kind in ("vendor", "vendor_letter"):
        vendor = rng.choice(VENDORS)
        subject = rng.choice(["Lupa password", "Reset password akun", "Akun terkunci", "Permohonan Reset Password"])
        body = rng.choice(VENDOR_BODIES).format(v=vendor)
        sender = f"{vendor} <admin{rng.randint(1, 99)}@gmail.com>"
        rtype, note = "lainnya", kind
        if kind == "vendor_letter":
            body = f"Dengan hormat,\nTerlampir surat permohonan kami.\n\n{vendor}"
            fmt = rng.choice(["text", "docx"] + (["scan"] if ocr else []))
            doc = _vendor_letter(rng, vendor)
            name = rng.choice(["surat.pdf", "scan0001.pdf", "permohonan reset password.pdf"])
            if fmt == "docx":
                attachments.append((name.replace(".pdf", ".docx"), docx_file(doc.docx_title, doc.docx_fields,
                                                                            header=vendor.upper(), closing="Hormat kami, Direktur")))
            else:
                attachments.append((name, text_pdf_lines(doc.lines) if fmt == "text" else scanned(doc.lines, rng)))
            note += f",{fmt}"
    elif kind == "status":
        subject = rng.choice(STATUS_SUBJECTS).format(what=what)
        body = rng.choice(STATUS_BODIES).format(what=what, d=rng.randint(1, 28))
        sender, rtype, note = person, "status", "status"
    elif kind == "outage_bcc":
        subject, body = rng.choice(OUTAGE_SUBJECTS), rng.choice(OUTAGE_BODIES)
        sender, rtype, note = f"Pokja Pemilihan <pokja{rng.randint(1, 40)}@{domain}>", "gangguan", "outage,bcc"
        to = "undisclosed-recipients:;"
    elif kind in ("offer", "offer_brochure"):
        subject, body = rng.choice(OFFERS)
        sender, rtype, note = f"Marketing <marketing{rng.randint(1, 9)}@promo-{rng.randint(1, 99)}.com>", SUPPRESSED, kind
        if kind == "offer_brochure":
            subject, body = "Informasi layanan", "Dengan hormat,\nBersama ini kami sampaikan brosur layanan kami.\nTerima kasih."
            attachments.append(("brosur.pdf", text_pdf_lines(BROCHURE)))
        if rng.random() < 0.4:
            to = "undisclosed-recipients:;"
    else:  # a supplier asks about SBU/SKK: names a product, pitches nothing, is answered
        subject = "Pertanyaan persyaratan"
        body = ("Selamat siang, apakah untuk mengikuti tender konstruksi kami wajib memiliki SBU dan SKK? "
                "Mohon penjelasannya.")
        sender, rtype, note = f"{rng.choice(VENDORS)} <info{rng.randint(1, 99)}@gmail.com>", "lainnya", "sbu_question"
    msg = request_mail(subject, body, attachments, sender=sender, to=to)
    return Sample(f"{i:04d}.eml", msg, rtype, [], note)


def make_sample(i: int, rng: random.Random, ocr: bool = True) -> Sample:
    if rng.random() < SCENARIO_SHARE:
        return make_scenario(i, rng, ocr)
    rtype = rng.choices(list(REQUIRED), weights=[22, 10, 12, 12, 8, 8, 6, 4, 8])[0]
    required = REQUIRED[rtype]
    attach_ids = list(required)
    note = []
    if required and rng.random() < 0.3:  # something is missing
        drop_n = rng.randint(1, len(required)) if len(required) > 1 else 1
        for d in rng.sample(required, drop_n):
            attach_ids.remove(d)
        note.append("missing")
    # The subject must let a person tell the type when nothing decisive is attached.
    decisive_missing = not attach_ids or (rtype in ("reset_password", "penggantian_admin", "bergabung") and attach_ids == ["sk_admin_agency"])
    if rtype == "bergabung" and attach_ids and set(attach_ids) <= {"sk_admin_agency"}:
        decisive_missing = True
    kode = str(rng.randint(10_000_000, 99_999_999))
    if decisive_missing or rtype in ("lainnya", "sub_agency") or rng.random() < 0.5:
        subject = rng.choice(SUBJECTS[rtype]).format(kode=kode)
    elif rng.random() < 0.5:
        subject = rng.choice(VAGUE)
    else:  # misleading: names another type; the document decides
        # Only a type the attached documents rule out: a subject naming a type that also uses
        # the attached SK is not misleading, it is the only hint a person has.
        other = rng.choice([t for t in SUBJECTS if t not in (rtype, "lainnya", "sub_agency")
                            and not set(REQUIRED[t]) & set(attach_ids)])
        subject = rng.choice(SUBJECTS[other]).format(kode=kode)
        note.append("misleading-subject")
    if rtype == "admin_tambahan" and not attach_ids:
        subject = rng.choice(SUBJECTS[rtype])
    body = rng.choice(BODIES.get(rtype, ["Dengan hormat,\nBersama ini kami sampaikan permohonan beserta lampirannya.\nTerima kasih."]))
    if subject in VAGUE or "misleading-subject" in note:
        body = "Dengan hormat,\nTerlampir dokumen kami.\nTerima kasih."
    attachments: list[tuple[str, bytes]] = []
    fmts = ["text", "text", "scan", "docx", "photo"] if ocr else ["text", "docx"]
    for doc_id in attach_ids:
        doc = make_doc(doc_id, rng)
        fmt = rng.choice(fmts)
        if fmt == "docx" and doc_id in ("sla",):
            fmt = "text"
        attachments.append(render(doc, fmt, rng, meaningful=rng.random() < 0.3))
        note.append(fmt)
    if rng.random() < 0.15 and attachments:  # an unrelated extra: KTP scan, a photo
        attachments.append(("lampiran_ktp.pdf", text_pdf_lines(["KARTU TANDA PENDUDUK", "NIK : 3205123456780001"])))
    container = rng.random()
    gov, unit, domain = rng.choice(AGENCIES)
    sender = rng.choice([f"Pokja Pemilihan <pokja{rng.randint(1, 40)}@{domain}>", f"{rng.choice(PEOPLE)[0]} <user{rng.randint(1, 999)}@gmail.com>",
                         f"UKPBJ {unit.title()} <ukpbj@{domain}>"])
    if attachments and container < 0.1:
        members: dict[str, bytes] = {}
        for name, data in attachments:  # two "Doc1.docx" must not overwrite each other
            members[name if name not in members else f"{len(members) + 1}_{name}"] = data
        attachments = [("berkas.zip", zip_of(members))]
        note.append("zip")
    msg = request_mail(subject, body, attachments, sender=sender)
    if attachments and 0.1 <= container < 0.18:
        fwd = request_mail(f"Fwd: {subject}", "---------- Forwarded message ---------\nMohon ditindaklanjuti.",
                           sender=f"Sekretariat <sekretariat@{domain}>")
        fwd.add_attachment(msg)
        msg = fwd
        note.append("forwarded")
    missing = [d for d in required if d not in attach_ids]
    return Sample(f"{i:04d}.eml", msg, rtype, missing, ",".join(note))


def generate(out: Path, n: int, seed: int = 1, ocr: bool = True) -> Path:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    rows = ["path\trequest_type\tmissing\tnote"]
    for i in range(n):
        s = make_sample(i, rng, ocr)
        (out / s.name).write_bytes(s.message.as_bytes())
        rows.append(f"{s.name}\t{s.request_type}\t{','.join(s.missing)}\t{s.note}")
    labels = out / "labels.tsv"
    labels.write_text("\n".join(rows) + "\n")
    return labels


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out", type=Path)
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-ocr", action="store_true", help="only text PDFs and Word files")
    a = ap.parse_args(argv)
    print(generate(a.out, a.n, a.seed, not a.no_ocr))


if __name__ == "__main__":
    main()


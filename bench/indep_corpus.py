"""An independent, labelled corpus of helpdesk mail (issue 11, Build point 5).

    python3 bench/indep_corpus.py --out /tmp/indep --n 250 --seed 11      # with scans and photos
    python3 bench/indep_corpus.py --out /tmp/indep --n 250 --no-ocr       # text PDFs and DOCX only
    python3 bench/score_indep.py --dir /tmp/indep                          # score the classifier

Written from DOMAIN.md, DESIGN.md and issue 11 alone, without reading the project's recogniser,
rules, forms or its own corpus generator, so the two do not share assumptions. It writes N `.eml`
files and `labels.jsonl` (one object per file: file, request_type or null for mail that must
never be answered, documents present, missing required documents, kode_tender where a request
names one, suppress, kind, tags, notes) plus `labels.tsv` in the layout `bench/score_corpus.py
--dir` reads. Deterministic for a given --seed (labels and mail text; image noise is seeded too).

Generated mail is test data: write it to /tmp, never commit it.
"""

from __future__ import annotations

import argparse
import base64
import collections
import datetime as dt
import io
import json
import random
import zipfile
from dataclasses import dataclass, field
from email.charset import QP, Charset
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email.mime.image import MIMEImage
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr
from pathlib import Path

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
WIB = dt.timezone(dt.timedelta(hours=7))
HELPDESK = "helpdesk@lpse.jabarprov.go.id"
INFO = "info@lpse.jabarprov.go.id"

REQUIRED = {
    "ubah_jadwal": ["formulir_ubah_jadwal"],
    "uji_forensik": ["formulir_uji_forensik", "berita_acara_uji_forensik"],
    "perbaikan_aplikasi": ["formulir_perbaikan_aplikasi"],
    "reset_password": ["surat_permohonan_reset_password", "sk_admin_agency"],
    "penggantian_admin": ["surat_permohonan_penggantian_admin", "sk_admin_agency"],
    "bergabung": ["surat_permohonan_bergabung", "surat_permohonan_pelatihan", "sk_admin_agency", "sla"],
    "admin_tambahan": ["sk_admin_agency"],
    "sub_agency": [], "permintaan_data": ["surat_permohonan_data"], "bimtek": [], "gangguan": [],
    "status": [], "lainnya": [],
}
TENDER_TYPES = {"ubah_jadwal", "uji_forensik", "perbaikan_aplikasi"}

# --------------------------------------------------------------------------------------------
# People, agencies, packages
# --------------------------------------------------------------------------------------------

NAMES = [
    ("Dedi Supriadi, S.T.", 1), ("Hj. Euis Komariah, S.E., M.M.", 2), ("Asep Saepudin, S.Kom.", 1),
    ("Rina Marlina, S.H.", 2), ("Ir. H. Agus Setiawan, M.T.", 1), ("Yanti Nurhayati, A.Md.", 2),
    ("Dadan Hermawan, S.Sos.", 1), ("Neng Siti Rohmah, S.Pd.", 2), ("Ujang Suryana, S.E.", 1),
    ("Ade Kurniawan, S.T., M.Eng.", 1), ("Wawan Gunawan, S.IP.", 1), ("Iis Sugiarti, S.AP.", 2),
    ("Rizky Ramadhan, S.Kom.", 1), ("Tati Sumiati, S.E.", 2), ("Cecep Hidayat, S.IP., M.Si.", 1),
    ("Dra. Hj. Lilis Suryani, M.Pd.", 2), ("Yudi Permana, S.T.", 1), ("Fitri Handayani, S.Ak.", 2),
    ("Acep Rahmat Hidayat, S.H., M.H.", 1), ("Nining Kurniasih, S.Kep.", 2), ("Heri Heryanto, ST", 1),
    ("drg. Ratna Dewi Kusumah, M.Kes.", 2), ("Irfan Maulana, S.Kom.", 1), ("Dewi Sartika Putri, S.E.", 2),
]
PANGKAT = ["Pembina Utama Muda (IV/c)", "Pembina Tk. I (IV/b)", "Pembina (IV/a)", "Penata Tk. I (III/d)",
           "Penata (III/c)", "Penata Muda Tk. I (III/b)"]


@dataclass(frozen=True)
class Agency:
    parent: str          # first kop line
    name: str            # second kop line (the unit)
    address: str
    city: str
    code: str            # used in letter numbers
    domain: str
    head: str            # title of the head ("Kepala Dinas")
    kind: str = "gov"    # gov | bumd


AGENCIES = [
    Agency("PEMERINTAH DAERAH PROVINSI JAWA BARAT", "DINAS BINA MARGA DAN PENATAAN RUANG",
           "Jalan Asia Afrika Nomor 79 Telp. (022) 4231234 Faks. (022) 4231235", "Bandung", "DBMPR",
           "dbmpr.jabarprov.go.id", "Kepala Dinas Bina Marga dan Penataan Ruang Provinsi Jawa Barat"),
    Agency("PEMERINTAH DAERAH PROVINSI JAWA BARAT", "DINAS PENDIDIKAN",
           "Jalan Dr. Radjiman Nomor 6 Telp. (022) 4264813 Bandung 40171", "Bandung", "Disdik",
           "disdik.jabarprov.go.id", "Kepala Dinas Pendidikan Provinsi Jawa Barat"),
    Agency("PEMERINTAH DAERAH PROVINSI JAWA BARAT", "RUMAH SAKIT UMUM DAERAH AL IHSAN",
           "Jalan Kiastramanggala Baleendah Telp. (022) 5940872 Kabupaten Bandung 40375", "Baleendah",
           "RSUD-AI", "rsudalihsan.jabarprov.go.id", "Direktur RSUD Al Ihsan Provinsi Jawa Barat"),
    Agency("PEMERINTAH DAERAH PROVINSI JAWA BARAT", "RUMAH SAKIT JIWA",
           "Jalan Kolonel Masturi KM 7 Cisarua Telp. (022) 2700260 Kabupaten Bandung Barat 40551",
           "Cisarua", "RSJ", "rsj.jabarprov.go.id", "Direktur Rumah Sakit Jiwa Provinsi Jawa Barat"),
    Agency("PEMERINTAH DAERAH PROVINSI JAWA BARAT", "DINAS KESEHATAN",
           "Jalan Pasteur Nomor 25 Telp. (022) 4230243 Bandung 40171", "Bandung", "Dinkes",
           "diskes.jabarprov.go.id", "Kepala Dinas Kesehatan Provinsi Jawa Barat"),
    Agency("KEMENTERIAN AGAMA REPUBLIK INDONESIA", "KANTOR WILAYAH KEMENTERIAN AGAMA PROVINSI JAWA BARAT",
           "Jalan Jenderal Sudirman Nomor 644 Telepon (022) 6032444 Bandung 40183", "Bandung", "Kw.10.1",
           "kemenag.go.id", "Kepala Kantor Wilayah Kementerian Agama Provinsi Jawa Barat"),
    Agency("SEKRETARIAT DPRD", "PROVINSI JAWA BARAT",
           "Jalan Diponegoro Nomor 27 Telp. (022) 4264000 Bandung 40115", "Bandung", "Setwan",
           "dprd.jabarprov.go.id", "Sekretaris DPRD Provinsi Jawa Barat"),
    Agency("PEMERINTAH DAERAH PROVINSI JAWA BARAT", "BADAN PENANGGULANGAN BENCANA DAERAH",
           "Jalan Soekarno-Hatta Nomor 629 Telp. (022) 7314860 Bandung 40286", "Bandung", "BPBD",
           "bpbd.jabarprov.go.id", "Kepala Pelaksana BPBD Provinsi Jawa Barat"),
    Agency("KEJAKSAAN REPUBLIK INDONESIA", "KEJAKSAAN TINGGI JAWA BARAT",
           "Jalan L.L.R.E. Martadinata Nomor 54 Bandung 40115", "Bandung", "B-Kejati",
           "kejaksaan.go.id", "Kepala Kejaksaan Tinggi Jawa Barat"),
    Agency("PT JASA SARANA (PERSERODA)", "BADAN USAHA MILIK DAERAH PROVINSI JAWA BARAT",
           "Jalan Sidomukti Nomor 99H Bandung 40123 - Telp. (022) 2514432", "Bandung", "JS-DIR",
           "jasasarana.co.id", "Direktur Utama PT Jasa Sarana (Perseroda)", "bumd"),
    Agency("PEMERINTAH DAERAH PROVINSI JAWA BARAT", "DINAS PERUMAHAN DAN PERMUKIMAN",
           "Jalan Kawaluyaan Indah Raya Nomor 4 Bandung 40286", "Bandung", "Disperkim",
           "disperkim.jabarprov.go.id", "Kepala Dinas Perumahan dan Permukiman Provinsi Jawa Barat"),
    Agency("KEMENTERIAN PENDIDIKAN TINGGI, SAINS, DAN TEKNOLOGI", "INSTITUT SENI BUDAYA INDONESIA BANDUNG",
           "Jalan Buah Batu Nomor 212 Bandung 40265 Telepon (022) 7314982", "Bandung", "IT8",
           "isbi.ac.id", "Rektor Institut Seni Budaya Indonesia Bandung"),
]

PAKET = [
    "Rehabilitasi Ruang Kelas SMA Negeri 1 Cikalong Wetan", "Pembangunan Jalan Ruas Cikajang - Bungbulang",
    "Pengadaan Alat Kesehatan Ruang ICU", "Jasa Konsultansi Pengawasan Pembangunan Gedung Rawat Inap",
    "Pemeliharaan Berkala Jalan Ruas Jalancagak - Subang", "Pengadaan Obat dan Bahan Medis Habis Pakai",
    "Penataan Kawasan Situ Cisanti", "Peningkatan Jaringan Irigasi D.I. Cipamingkis",
    "Pembangunan Unit Sekolah Baru SMKN 2 Cikarang", "Belanja Modal Peralatan Jaringan Data Center",
    "Rehabilitasi Gedung Kantor Tahap II", "Pengadaan Makan Minum Pasien Tahun 2027",
    "Penggantian Jembatan Cilalawi", "Pengadaan Kendaraan Operasional Penanggulangan Bencana",
]
TAHAPAN = [
    ("Upload Dokumen Penawaran", "upload penawaran"), ("Pemberian Penjelasan", "aanwijzing"),
    ("Evaluasi Administrasi, Kualifikasi, Teknis dan Harga", "evaluasi"),
    ("Pembuktian Kualifikasi", "pembuktian kualifikasi"), ("Penetapan Pemenang", "penetapan pemenang"),
    ("Pengumuman Pemenang", "pengumuman pemenang"), ("Masa Sanggah", "masa sanggah"),
    ("Download Dokumen Pemilihan", "download dokumen"), ("Pembukaan Dokumen Penawaran", "pembukaan penawaran"),
]
PESERTA = ["CV Karya Mandiri Utama", "PT Bangun Persada Nusantara", "CV Sinar Galuh", "PT Mitra Medika Sejahtera",
           "CV Putra Pasundan", "PT Cipta Graha Priangan", "CV Tirta Kencana", "PT Surya Buana Konstruksi"]
MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember"]
DAYS = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]


def tgl(d: dt.date) -> str:
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


@dataclass
class Ctx:
    """Everything one mail's documents and text agree on."""
    rng: random.Random
    ag: Agency
    signer: str
    signer_nip: str
    pangkat: str
    contact: str
    contact_nip: str
    phone: str
    date: dt.datetime
    kode: str
    rup: str
    paket: str
    pokja: str
    tahap: tuple[str, str]
    peserta: str

    @property
    def day(self) -> dt.date:
        return self.date.date()


def nip(rng: random.Random, gender: int) -> str:
    y = rng.randint(1966, 1996)
    birth = dt.date(y, rng.randint(1, 12), rng.randint(1, 28))
    ay = min(y + rng.randint(22, 30), 2024)
    return f"{birth:%Y%m%d}{ay}{rng.randint(1, 12):02d}{gender}{rng.randint(1, 30):03d}"


def nip_fmt(rng: random.Random, n: str) -> str:
    return rng.choice([f"{n[:8]} {n[8:14]} {n[14]} {n[15:]}", n, f"{n[:8]} {n[8:14]} {n[14:]}"])


def phone(rng: random.Random) -> str:
    p = "08" + rng.choice(["12", "13", "21", "22", "52", "57", "77", "81", "95"]) + "".join(
        str(rng.randint(0, 9)) for _ in range(rng.choice([7, 8])))
    return rng.choice([p, f"{p[:4]}-{p[4:8]}-{p[8:]}", "+62 " + p[1:4] + " " + p[4:8] + " " + p[8:]])


def new_ctx(rng: random.Random, when: dt.datetime) -> Ctx:
    ag = rng.choice(AGENCIES)
    (s, sg), (c, cg) = rng.sample(NAMES, 2)
    kode = str(rng.randint(10_000, 99_999_999)) + rng.choice(["064", "064", "104", "200"])
    return Ctx(rng, ag, s, nip(rng, sg), rng.choice(PANGKAT), c, nip(rng, cg), phone(rng), when, kode,
               str(rng.randint(30_000_000, 59_999_999)), rng.choice(PAKET),
               f"Pokja Pemilihan {rng.randint(1, 24)}", rng.choice(TAHAPAN), rng.choice(PESERTA))


# --------------------------------------------------------------------------------------------
# Documents: a list of pages, each a list of styled lines, rendered to PDF / image / DOCX
# --------------------------------------------------------------------------------------------

@dataclass
class Line:
    text: str
    style: str = "p"  # kop1 kop2 kop3 rule title center p right field row sig small gap stamp


@dataclass
class Doc:
    doc_id: str | None          # a DOMAIN.md document id, or None (cover note, screenshot, brochure)
    label: str                  # a human description for the notes
    pages: list[list[Line]] = field(default_factory=list)


def L(text: str, style: str = "p") -> Line:
    return Line(text, style)


def kop_lines(ag: Agency) -> list[Line]:
    return [L(ag.parent, "kop1"), L(ag.name, "kop2"), L(ag.address, "kop3"), L("", "rule")]


def lpse_head() -> list[Line]:
    return [L("LAYANAN PENGADAAN SECARA ELEKTRONIK", "kop1"), L("PROVINSI JAWA BARAT", "kop2"), L("", "rule")]


def signature(c: Ctx, role: str | None = None, an: bool = False) -> list[Line]:
    r = c.rng
    role = role or (c.ag.head.split(" Provinsi")[0].split(" Kantor")[0] if c.ag.kind == "gov" else "Direktur Utama")
    out = [L(f"{c.ag.city}, {tgl(c.day)}", "sig")] if r.random() < 0.3 else []
    if an:
        out.append(L(f"a.n. {role}", "sig"))
        role = r.choice(["Sekretaris", "Kepala Bagian Umum", "Kepala Sub Bagian Umum dan Kepegawaian"])
    out += [L(role + ",", "sig"), L("", "stamp"), L(c.signer, "sig")]
    if c.ag.kind == "gov":
        out += [L(c.pangkat, "sig"), L("NIP. " + nip_fmt(r, c.signer_nip), "sig")]
    return out


def esign_note(c: Ctx) -> list[Line]:
    if c.rng.random() < 0.25:
        return [L("Dokumen ini telah ditandatangani secara elektronik menggunakan sertifikat elektronik yang "
                  "diterbitkan oleh Balai Besar Sertifikasi Elektronik (BSrE), BSSN.", "small")]
    return []


LPSE_TO = ["Kepala LPSE Provinsi Jawa Barat", "Kepala Biro Pengadaan Barang dan Jasa Setda Provinsi Jawa Barat "
           "c.q. Pengelola LPSE", "Pengelola Layanan Pengadaan Secara Elektronik (LPSE) Provinsi Jawa Barat",
           "Kepala Bagian Layanan Pengadaan Secara Elektronik Biro Pengadaan Barang/Jasa Provinsi Jawa Barat"]


def letter(c: Ctx, perihal: str, paras: list[str], heading: str | None = None, lampiran: str | None = None,
           enclosures: list[str] | None = None, doc_id: str | None = None, label: str = "") -> Doc:
    """A formal letter in one of four layouts real offices use."""
    r = c.rng
    layout = r.choice(["classic", "classic", "hal", "notadinas"] if c.ag.kind == "gov" else ["company"])
    nomor = f"{r.choice(['027', '800', '000.8.3', '045.2', '005'])}/{r.randint(100, 4999)}/{c.ag.code}/{c.day.year}"
    lamp = lampiran or (f"{r.choice(['1 (satu)', '2 (dua)', '1'])} {r.choice(['berkas', 'lembar', 'set'])}"
                        if enclosures else "-")
    to = r.choice(LPSE_TO)
    lines = kop_lines(c.ag)
    if layout == "notadinas":
        lines += [L("NOTA DINAS", "title"), L(f"Kepada\tYth. {to}"), L(f"Dari\t{c.ag.head}"),
                  L(f"Tanggal\t{tgl(c.day)}"), L(f"Nomor\t{nomor}"), L(f"Sifat\t{r.choice(['Penting', 'Segera', 'Biasa'])}"),
                  L(f"Lampiran\t{lamp}"), L(f"Hal\t{perihal}"), L("", "rule")]
        lines = [ln if ln.style != "p" else ln for ln in lines]
        lines = [Line(ln.text, "field") if "\t" in ln.text else ln for ln in lines]
    else:
        lines.append(L(f"{c.ag.city}, {tgl(c.day)}", "right"))
        if heading:
            lines.append(L(heading, "title"))
        key = "Hal" if layout == "hal" else "Perihal"
        lines += [L(f"Nomor\t{nomor}", "field")]
        if layout != "company":
            lines.append(L(f"Sifat\t{r.choice(['Penting', 'Segera', 'Biasa'])}", "field"))
        lines += [L(f"Lampiran\t{lamp}", "field"), L(f"{key}\t{perihal}", "field"), L("", "gap")]
        if layout == "hal":
            lines += [L(f"Yth. {to}"), L(f"di {r.choice(['Bandung', 'Tempat'])}")]
        else:
            lines += [L("Kepada"), L(f"Yth. {to}"), L("di -"), L(r.choice(["BANDUNG", "Tempat"]))]
    lines += [L("", "gap"), L("Dengan hormat,")]
    lines += [L(p) for p in paras]
    if enclosures:
        lines.append(L(r.choice(["Sebagai kelengkapan, bersama ini kami lampirkan:",
                                 "Bersama ini kami lampirkan dokumen sebagai berikut:",
                                 "Adapun sebagai bahan pertimbangan, terlampir kami sampaikan:"])))
        lines += [L(f"{i}. {e}") for i, e in enumerate(enclosures, 1)]
    lines.append(L(r.choice(["Demikian permohonan ini kami sampaikan, atas perhatian dan kerja samanya kami ucapkan "
                             "terima kasih.", "Demikian kami sampaikan, atas perhatian Bapak/Ibu kami ucapkan terima "
                             "kasih.", "Demikian surat ini kami sampaikan. Atas perkenan dan kerjasamanya diucapkan "
                             "terima kasih."])))
    lines += signature(c, an=r.random() < 0.3)
    if r.random() < 0.4:
        lines += [L("Tembusan:", "small"), L(f"1. Yth. {c.ag.head} (sebagai laporan);", "small"), L("2. Arsip.", "small")]
    lines += esign_note(c)
    return Doc(doc_id, label or perihal, [lines])


def admins(c: Ctx, k: int) -> list[tuple[str, str, str, str]]:
    r = c.rng
    out = [(c.contact, c.contact_nip, c.phone, f"{c.contact.split()[0].lower().strip('.,')}.{c.ag.code.lower().replace('.', '')}"
            f"@{r.choice(['gmail.com', c.ag.domain])}")]
    for name, g in r.sample(NAMES, k - 1):
        out.append((name, nip(r, g), phone(r), f"{name.split()[0].lower().strip('.,')}{r.randint(1, 99)}@gmail.com"))
    return out


def sk(c: Ctx, k: int = 1, tambahan: bool = False) -> Doc:
    """A decree appointing Administrator Agency staff: decision page and an attachment page."""
    r = c.rng
    head = c.ag.head.upper()
    what = r.choice(["PENUNJUKAN ADMINISTRATOR AGENCY", "PENGANGKATAN ADMINISTRATOR AGENCY",
                     "PENUNJUKKAN PENGELOLA ADMINISTRATOR AGENCY", "PENETAPAN ADMINISTRATOR AGENCY"])
    if tambahan:
        what = r.choice([what, "PENUNJUKAN ADMINISTRATOR AGENCY TAMBAHAN"])
    nomor = f"{r.choice(['027', '800.1.2', '188.4'])}/Kep.{r.randint(10, 999)}-{c.ag.code}/{c.day.year}"
    first = r.choice(["SURAT KEPUTUSAN", "KEPUTUSAN"]) + " " + head
    p1 = kop_lines(c.ag) if r.random() < 0.5 else []
    p1 += [L(first, "title"), L(f"NOMOR : {nomor}", "center"), L("TENTANG", "center"),
           L(f"{what} LAYANAN PENGADAAN SECARA ELEKTRONIK (LPSE) PADA {c.ag.name}", "title"),
           L(f"{head},", "center"),
           L("Menimbang : a. bahwa dalam rangka pelaksanaan pengadaan barang/jasa secara elektronik melalui "
             "Sistem Pengadaan Secara Elektronik (SPSE) perlu menunjuk Administrator Agency;"),
           L("b. bahwa berdasarkan pertimbangan sebagaimana dimaksud pada huruf a, perlu menetapkan Keputusan "
             f"{c.ag.head} tentang {what.title()};"),
           L("Mengingat : 1. Peraturan Presiden Nomor 16 Tahun 2018 tentang Pengadaan Barang/Jasa Pemerintah "
             "sebagaimana telah diubah dengan Peraturan Presiden Nomor 12 Tahun 2021;"),
           L("2. Peraturan Lembaga Kebijakan Pengadaan Barang/Jasa Pemerintah Nomor 14 Tahun 2018 tentang Unit "
             "Kerja Pengadaan Barang/Jasa;"),
           L("MEMUTUSKAN:", "title"), L(f"Menetapkan : KEPUTUSAN {head} TENTANG {what}."),
           L("KESATU : Menunjuk Saudara yang namanya tercantum dalam Lampiran Keputusan ini sebagai "
             "Administrator Agency pada LPSE Provinsi Jawa Barat."),
           L("KEDUA : Administrator Agency bertugas mengelola akun Pokja Pemilihan, PPK dan Pejabat Pengadaan "
             "di lingkungan satuan kerja."),
           L("KETIGA : Keputusan ini mulai berlaku pada tanggal ditetapkan."),
           L(f"Ditetapkan di {c.ag.city}", "sig"), L(f"pada tanggal {tgl(c.day - dt.timedelta(days=r.randint(3, 60)))}", "sig")]
    p1 += signature(c)[-5:] if c.ag.kind == "gov" else signature(c)
    rows = [L("No\tNama\tNIP\tNo. HP\tEmail", "row")]
    for i, (n, ni, ph, em) in enumerate(admins(c, k), 1):
        rows.append(L(f"{i}\t{n}\t{ni}\t{ph}\t{em}", "row"))
    p2 = [L(f"LAMPIRAN KEPUTUSAN {head}", "small"), L(f"NOMOR : {nomor}", "small"),
          L(f"TENTANG {what}", "small"), L("", "gap"), L("DAFTAR ADMINISTRATOR AGENCY", "title")] + rows
    p2 += [L("", "gap")] + signature(c)[-4:]
    if r.random() < 0.3:   # everything on one page
        return Doc("sk_admin_agency", "SK admin agency", [p1 + [L("", "gap")] + rows])
    return Doc("sk_admin_agency", "SK admin agency", [p1, p2])


def form_head(c: Ctx) -> list[Line]:
    k = c.rng.random()
    return lpse_head() if k < 0.4 else kop_lines(c.ag) if k < 0.75 else []


def form_ident(c: Ctx) -> list[Line]:
    r = c.rng
    kode_label = r.choice(["Kode Tender", "Kode Paket", "Kode Lelang", "Kode Tender/Seleksi", "ID Paket"])
    out = [L(f"Nama Satuan Kerja\t{c.ag.name.title()}", "field"), L(f"{kode_label}\t{c.kode}", "field"),
           L(f"Nama Paket\t{c.paket}", "field")]
    if r.random() < 0.5:
        out.insert(r.randint(0, 2), L(f"Kode RUP\t{c.rup}", "field"))
    if r.random() < 0.4:
        out.append(L(f"Nilai HPS\tRp {r.randint(200, 9000)}.{r.randint(100, 999)}.000,00", "field"))
    out.append(L(f"Pokja Pemilihan\t{c.pokja} {r.choice(['Biro Pengadaan Barang dan Jasa', 'UKPBJ', ''])}".strip(), "field"))
    return out


def pokja_sign(c: Ctx) -> list[Line]:
    return [L(f"{c.ag.city}, {tgl(c.day)}", "sig"), L(f"Ketua {c.pokja},", "sig"), L("", "stamp"),
            L(c.signer, "sig"), L("NIP. " + nip_fmt(c.rng, c.signer_nip), "sig")]


def form_ubah_jadwal(c: Ctx) -> Doc:
    r = c.rng
    title = r.choice(["FORMULIR PERMINTAAN UBAH JADWAL", "FORMULIR PERMOHONAN PERUBAHAN JADWAL TAHAPAN TENDER",
                      "FORM PERMINTAAN PERUBAHAN JADWAL PEMILIHAN", "FORMULIR PERUBAHAN JADWAL",
                      "FORMULIR PERMINTAAN PERUBAHAN JADWAL TENDER"])
    d0 = c.day - dt.timedelta(days=r.randint(0, 3))
    d1 = d0 + dt.timedelta(days=r.randint(2, 7))
    lines = form_head(c) + [L(title, "title"), L("", "gap")] + form_ident(c)
    lines += [L("No\tTahapan\tJadwal Semula\tJadwal Perubahan", "row"),
              L(f"1\t{c.tahap[0]}\t{d0:%d-%m-%Y} 08:00 s.d. {d0 + dt.timedelta(days=1):%d-%m-%Y} 15:00\t"
                f"{d0:%d-%m-%Y} 08:00 s.d. {d1:%d-%m-%Y} 15:00", "row")]
    lines.append(L("Alasan Perubahan\t" + r.choice([
        "Terdapat adendum dokumen pemilihan sehingga waktu penyampaian penawaran perlu diperpanjang.",
        "Pokja belum menyelesaikan evaluasi karena jumlah peserta yang memasukkan penawaran cukup banyak.",
        "Aplikasi SPSE mengalami gangguan pada saat batas akhir unggah dokumen penawaran.",
        "Anggota Pokja sedang melaksanakan tugas dinas luar sehingga pembuktian kualifikasi dijadwalkan ulang.",
        "Jadwal terlewat karena libur cuti bersama."]), "field"))
    if r.random() < 0.25:
        lines += [L(f"User ID Pokja\t{c.pokja.lower().replace(' ', '')}.{c.ag.code.lower()}", "field"),
                  L(f"Password\t{r.choice(['Bandung2026!', 'pokja#123', 'Jabar@Juara1'])}", "field")]
    lines += [L(f"Narahubung\t{c.contact} / {c.phone}", "field"), L("", "gap")] + pokja_sign(c)
    return Doc("formulir_ubah_jadwal", "formulir ubah jadwal", [lines])


def form_uji_forensik(c: Ctx) -> Doc:
    r = c.rng
    title = r.choice(["FORMULIR PERMINTAAN UJI FORENSIK", "FORMULIR PERMOHONAN UJI FORENSIK DOKUMEN PENAWARAN",
                      "FORM PERMINTAAN UJI FORENSIK FILE PENAWARAN", "FORMULIR PERMINTAAN UJI FORENSIK FILE RHS"])
    fn = c.peserta.replace(" ", "_") + r.choice(["_penawaran.rhs", ".rhs", "_Dok_Penawaran.rhs"])
    lines = form_head(c) + [L(title, "title"), L("", "gap")] + form_ident(c)
    lines += [L(f"Nama Peserta\t{c.peserta}", "field"), L(f"Nama File\t{fn}", "field"),
              L(f"Ukuran File\t{r.randint(2, 90)},{r.randint(1, 9)} MB", "field"),
              L("Permasalahan\t" + r.choice([
                  "File penawaran tidak dapat dibuka/didekripsi pada saat pembukaan penawaran.",
                  "Dokumen penawaran peserta gagal dibuka, muncul pesan file corrupt.",
                  "Penawaran terenkripsi tidak bisa dibuka dengan aplikasi SPAMKODOK."]), "field"),
              L("", "gap")] + pokja_sign(c)
    return Doc("formulir_uji_forensik", "formulir uji forensik", [lines])


def ba_uji_forensik(c: Ctx) -> Doc:
    r = c.rng
    title = r.choice(["BERITA ACARA UJI FORENSIK", "BERITA ACARA PERMINTAAN UJI FORENSIK",
                      "BERITA ACARA UJI FORENSIK DOKUMEN PENAWARAN YANG TIDAK DAPAT DIBUKA"])
    d = c.day - dt.timedelta(days=r.randint(0, 2))
    members = [c.signer] + [n for n, _ in r.sample(NAMES, 2)]
    lines = (kop_lines(c.ag) if r.random() < 0.5 else []) + [
        L(title, "title"), L(f"Nomor : BA.{r.randint(10, 99)}/{c.pokja.split()[-1]}/{c.ag.code}/{d.year}", "center"),
        L(f"Pada hari ini {DAYS[d.weekday()]} tanggal {tgl(d)}, kami {c.pokja} yang ditetapkan dengan Surat "
          f"Keputusan Kepala Biro Pengadaan Barang dan Jasa, telah melaksanakan pembukaan dokumen penawaran untuk:"),
        L(f"Kode Tender\t{c.kode}", "field"), L(f"Nama Paket\t{c.paket}", "field"),
        L(f"Dokumen penawaran atas nama {c.peserta} tidak dapat dibuka. Sehubungan dengan hal tersebut Pokja "
          f"mengajukan uji forensik kepada LPSE Provinsi Jawa Barat."),
        L("Demikian berita acara ini dibuat untuk dipergunakan sebagaimana mestinya."),
        L("No\tNama\tJabatan\tTanda Tangan", "row")]
    for i, m in enumerate(members, 1):
        lines.append(L(f"{i}\t{m}\t{'Ketua' if i == 1 else 'Anggota'}\t{i}. ......", "row"))
    return Doc("berita_acara_uji_forensik", "berita acara uji forensik", [lines])


def form_perbaikan(c: Ctx) -> Doc:
    r = c.rng
    title = r.choice(["FORMULIR PERMINTAAN PERBAIKAN APLIKASI", "FORMULIR PERMOHONAN PERBAIKAN DATA TENDER",
                      "FORM PERMINTAAN PERBAIKAN DATA PADA APLIKASI SPSE", "FORMULIR PERBAIKAN DATA PAKET"])
    wrong, right, why = r.choice([
        ("Nilai HPS Rp 1.250.000.000,00", "Nilai HPS Rp 1.205.000.000,00", "salah ketik nilai HPS"),
        ("Kualifikasi Usaha: Non Kecil", "Kualifikasi Usaha: Kecil", "salah memilih kualifikasi usaha"),
        ("Metode Evaluasi: Harga Terendah Sistem Gugur", "Metode Evaluasi: Sistem Nilai", "salah memilih metode"),
        ("Jenis Kontrak: Lumsum", "Jenis Kontrak: Harga Satuan", "kesalahan input jenis kontrak"),
        ("Persyaratan SBU: BG009", "Persyaratan SBU: BG004", "kode subklasifikasi tertukar")])
    lines = form_head(c) + [L(title, "title"), L("", "gap")] + form_ident(c)
    lines += [L(f"Tahapan Saat Ini\t{c.tahap[0]}", "field"), L(f"Data Tertulis di Aplikasi\t{wrong}", "field"),
              L(f"Data Seharusnya\t{right}", "field"), L(f"Alasan\t{why.capitalize()}", "field"), L("", "gap")]
    return Doc("formulir_perbaikan_aplikasi", "formulir perbaikan aplikasi", [lines + pokja_sign(c)])


SK_ENCLOSURE = ["Surat Keputusan {h} tentang Penunjukan Administrator Agency",
                "Fotokopi SK Penunjukan Admin Agency", "Salinan Surat Keputusan Pengangkatan Administrator Agency",
                "SK Administrator Agency yang masih berlaku"]


def sk_enclosure(c: Ctx) -> str:
    return c.rng.choice(SK_ENCLOSURE).format(h=c.ag.head)


def letter_reset(c: Ctx, name_sk: bool) -> Doc:
    r = c.rng
    per = r.choice(["Permohonan Reset Password Administrator Agency", "Permohonan Reset Kata Sandi Admin Agency",
                    "Permohonan Pengaturan Ulang (Reset) Password Akun Admin Agency SPSE",
                    "Reset Password Administrator Agency"])
    head = r.choice([None, None, "SURAT PERMOHONAN RESET PASSWORD ADMINISTRATOR AGENCY", "SURAT PERMOHONAN"])
    paras = [f"Sehubungan dengan {r.choice(['lupanya kata sandi', 'terblokirnya akun', 'tidak dapat login-nya akun'])} "
             f"Administrator Agency {c.ag.name.title()} pada aplikasi SPSE LPSE Provinsi Jawa Barat, dengan ini kami "
             f"mengajukan permohonan reset password untuk akun Administrator Agency atas nama:",
             f"Nama : {c.contact}", f"NIP : {nip_fmt(r, c.contact_nip)}", f"No. HP : {c.phone}",
             f"Email : {c.contact.split()[0].lower().strip('.,')}@{c.ag.domain}"]
    enc = [sk_enclosure(c)] + (["Fotokopi Kartu Pegawai / KTP"] if r.random() < 0.5 else []) if name_sk else None
    return letter(c, per, paras, heading=head, enclosures=enc, doc_id="surat_permohonan_reset_password")


def letter_penggantian(c: Ctx, name_sk: bool) -> Doc:
    r = c.rng
    per = r.choice(["Permohonan Penggantian Personil Administrator Agency", "Pergantian Admin Agency SPSE",
                    "Permohonan Perubahan/Penggantian Administrator Agency", "Penggantian Administrator Agency"])
    head = r.choice([None, None, "SURAT PERMOHONAN PENGGANTIAN PERSONIL ADMINISTRATOR AGENCY"])
    old = r.choice(NAMES)[0]
    paras = [f"Sehubungan dengan {r.choice(['mutasi', 'pensiun', 'pindah tugas'])} Saudara {old} selaku "
             f"Administrator Agency {c.ag.name.title()}, bersama ini kami mohon penggantian Administrator Agency "
             f"kepada:", f"Nama : {c.contact}", f"NIP : {nip_fmt(r, c.contact_nip)}", f"Telepon : {c.phone}"]
    enc = [sk_enclosure(c)] if name_sk else None
    return letter(c, per, paras, heading=head, enclosures=enc, doc_id="surat_permohonan_penggantian_admin")


def letter_bergabung(c: Ctx) -> Doc:
    r = c.rng
    per = r.choice(["Permohonan Bergabung dengan LPSE Provinsi Jawa Barat",
                    "Permohonan Menjadi Agency pada LPSE Provinsi Jawa Barat",
                    "Permohonan Bergabung sebagai Agency LPSE Provinsi Jawa Barat"])
    paras = [f"Dalam rangka pelaksanaan pengadaan barang/jasa secara elektronik di lingkungan {c.ag.name.title()}, "
             f"dengan ini kami mengajukan permohonan untuk bergabung dan menggunakan layanan LPSE Provinsi Jawa Barat.",
             "Kami bersedia mematuhi ketentuan yang tercantum dalam Service Level Agreement (SLA) yang berlaku."]
    enc = ["Surat Permohonan Pelatihan Administrator Agency dan Pokja", sk_enclosure(c),
           "Service Level Agreement yang telah ditandatangani"] if r.random() < 0.6 else None
    return letter(c, per, paras, heading=r.choice([None, "SURAT PERMOHONAN BERGABUNG"]), enclosures=enc,
                  doc_id="surat_permohonan_bergabung")


def letter_pelatihan(c: Ctx) -> Doc:
    r = c.rng
    per = r.choice(["Permohonan Pelatihan Administrator Agency dan Pokja Pemilihan",
                    "Permohonan Pelatihan SPSE bagi Admin Agency dan Pokja",
                    "Permohonan Pelatihan Penggunaan SPSE"])
    paras = [f"Menindaklanjuti permohonan bergabung {c.ag.name.title()} dengan LPSE Provinsi Jawa Barat, kami "
             f"mohon dapat diselenggarakan pelatihan bagi Administrator Agency dan Pokja Pemilihan sebanyak "
             f"{r.randint(3, 12)} orang."]
    return letter(c, per, paras, doc_id="surat_permohonan_pelatihan")


def sla_doc(c: Ctx) -> Doc:
    r = c.rng
    title = r.choice(["SERVICE LEVEL AGREEMENT", "KESEPAKATAN TINGKAT LAYANAN (SERVICE LEVEL AGREEMENT)",
                      "PERJANJIAN TINGKAT LAYANAN / SERVICE LEVEL AGREEMENT (SLA)"])
    p1 = [L(title, "title"), L("PENYELENGGARAAN LAYANAN PENGADAAN SECARA ELEKTRONIK", "title"), L("ANTARA", "center"),
          L("LPSE PROVINSI JAWA BARAT", "center"), L("DENGAN", "center"), L(c.ag.name, "center"),
          L(f"Nomor : {r.randint(100, 999)}/SLA/LPSE/{c.day.year}", "center"),
          L(f"Pada hari ini {DAYS[c.day.weekday()]} tanggal {tgl(c.day)}, yang bertanda tangan di bawah ini:"),
          L("1. Kepala LPSE Provinsi Jawa Barat, selanjutnya disebut PIHAK KESATU;"),
          L(f"2. {c.ag.head}, selanjutnya disebut PIHAK KEDUA;"),
          L("Pasal 1 - Ruang Lingkup", "title"),
          L("PIHAK KESATU menyediakan layanan SPSE, helpdesk, pelatihan dan pendampingan bagi PIHAK KEDUA."),
          L("Pasal 2 - Kewajiban PIHAK KEDUA", "title"),
          L("PIHAK KEDUA menunjuk Administrator Agency dan menyampaikan permintaan layanan melalui email dengan "
            "melampirkan formulir.")]
    p2 = [L("Pasal 3 - Jangka Waktu", "title"),
          L("Kesepakatan ini berlaku sejak ditandatangani dan dievaluasi setiap tahun."),
          L("PIHAK KESATU\tPIHAK KEDUA", "row"), L("", "stamp"),
          L(f"{r.choice(NAMES)[0]}\t{c.signer}", "row")]
    return Doc("sla", "SLA", [p1, p2])


def letter_data(c: Ctx) -> Doc:
    r = c.rng
    per = r.choice(["Permohonan Data Paket Pengadaan Tahun Anggaran 2025",
                    "Permintaan Data Riwayat Tender pada SPSE", "Permohonan Salinan Data/Dokumen Paket Pengadaan",
                    "Permohonan Data Pengadaan untuk Keperluan Pemeriksaan"])
    paras = [f"Dalam rangka {r.choice(['pemeriksaan oleh BPK RI Perwakilan Provinsi Jawa Barat', 'audit oleh Inspektorat Daerah Provinsi Jawa Barat', 'penyusunan laporan tahunan'])}, "
             f"kami mohon bantuan data paket pengadaan {c.ag.name.title()} yang tersimpan pada SPSE berupa "
             f"{r.choice(['riwayat perubahan jadwal dan daftar peserta', 'log akses Pokja dan berita acara hasil pemilihan', 'daftar paket tender beserta nilai kontrak'])} "
             f"untuk paket dengan kode tender {c.kode}."]
    return letter(c, per, paras, heading=r.choice([None, "SURAT PERMOHONAN DATA"]), doc_id="surat_permohonan_data")


def letter_pendampingan(c: Ctx) -> Doc:
    r = c.rng
    per = r.choice(["Permohonan Pendampingan Penggunaan SPSE", "Permohonan Bimbingan Teknis e-Tendering bagi Pokja",
                    "Permohonan Narasumber Bimtek SPSE Versi 4.5"])
    paras = [f"Dalam rangka peningkatan kapasitas Pokja Pemilihan dan PPK di lingkungan {c.ag.name.title()}, kami "
             f"mohon kesediaan LPSE Provinsi Jawa Barat untuk memberikan {r.choice(['pendampingan', 'bimbingan teknis'])} "
             f"yang akan dilaksanakan pada tanggal {tgl(c.day + dt.timedelta(days=r.randint(7, 30)))} bertempat di "
             f"aula kantor kami."]
    return letter(c, per, paras, doc_id=None, label="surat permohonan bimtek/pendampingan")


def letter_sub_agency(c: Ctx) -> Doc:
    r = c.rng
    unit = r.choice(["UPTD Pengelolaan Jalan dan Jembatan Wilayah II", "Cabang Dinas Pendidikan Wilayah VIII",
                     "UPTD Laboratorium Kesehatan", "UPTD Balai Pelatihan Kesehatan"])
    paras = [f"Mengingat banyaknya paket pengadaan di {unit}, kami mohon agar {unit} dapat didaftarkan sebagai "
             f"Sub Agency tersendiri pada SPSE LPSE Provinsi Jawa Barat dengan Administrator Agency sendiri."]
    return letter(c, r.choice(["Permohonan Pendaftaran Sub Agency", "Permohonan Pembuatan Sub Agency pada SPSE"]),
                  paras, doc_id=None, label="surat permohonan sub agency")


def vendor_letter(c: Ctx) -> Doc:
    r = c.rng
    lines = [L(c.peserta.upper(), "kop2"), L(f"Jl. {r.choice(['Cibaduyut Raya', 'Soekarno-Hatta', 'Terusan Jakarta'])} "
                                             f"No. {r.randint(1, 300)} Bandung", "kop3"), L("", "rule"),
             L(f"Bandung, {tgl(c.day)}", "right"), L(f"No\t{r.randint(10, 99)}/{c.peserta.split()[0]}/XI/{c.day.year}", "field"),
             L("Perihal\tPermohonan Reset Password Akun Penyedia", "field"),
             L("Kepada Yth."), L("Admin LPSE Provinsi Jawa Barat"), L("Dengan hormat,"),
             L(f"Kami {c.peserta} sebagai penyedia terdaftar pada SPSE LPSE Provinsi Jawa Barat mohon bantuan reset "
               f"password akun penyedia kami karena lupa kata sandi dan email pemulihan sudah tidak aktif."),
             L("Hormat kami,", "sig"), L("", "stamp"), L(c.signer.split(",")[0], "sig"), L("Direktur", "sig")]
    return Doc(None, "surat penyedia (reset akun penyedia)", [lines])


def screenshot(c: Ctx) -> Doc:
    r = c.rng
    msg = r.choice(["Maaf, terjadi kesalahan pada sistem. Silakan coba beberapa saat lagi.",
                    "502 Bad Gateway", "Error: Koneksi ke server terputus (timeout)",
                    "Gagal mengunggah dokumen penawaran. Ukuran file melebihi batas atau sesi telah berakhir."])
    return Doc(None, "screenshot", [[L("spse.lpse.jabarprov.go.id/eproc4", "small"), L("SPSE 4.5", "kop2"),
                                     L(msg, "title"), L(f"{c.date:%d/%m/%Y %H:%M}", "small")]])


def brochure(rng: random.Random, title: str, lines: list[str]) -> Doc:
    return Doc(None, "brosur penawaran", [[L(title, "kop2"), L("", "rule")] + [L(x) for x in lines] +
                                          [L("Hubungi kami: 0812-2233-4455 (WA)", "title")]])


# --------------------------------------------------------------------------------------------
# Renderers
# --------------------------------------------------------------------------------------------

def _latin1(text: str) -> str:
    """The PDF core fonts are Latin-1; embedding a TrueType font costs ~0.2 s per file."""
    return text.replace("\u2013", "-").replace("\u2014", "-").encode("latin-1", "replace").decode("latin-1")


def render_text_pdf(docs: list[Doc], when: dt.datetime) -> bytes:
    """A PDF with a text layer (typed and exported, or e-signed), laid out like the scans."""
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    cv = canvas.Canvas(buf, pagesize=(595.27, 841.89), invariant=1)
    cv.setCreator("Microsoft Word")
    for doc in docs:
        for page in doc.pages:
            for _ in layout(page, _PdfDrawer(cv), random.Random(0), doc.doc_id not in SANS_DOCS):
                cv.showPage()
    cv.save()
    return buf.getvalue()


SANS_DOCS = ("formulir_ubah_jadwal", "formulir_perbaikan_aplikasi")
PX = 72 / 150


class _PdfDrawer:
    """Draws the pixel layout (A4 at 150 dpi) on a reportlab canvas in points."""

    def __init__(self, cv) -> None:
        self.cv = cv

    def new_page(self) -> None:
        pass

    def font(self, name: str, size: int):
        rl = {"DejaVuSerif.ttf": "Times-Roman", "DejaVuSerif-Bold.ttf": "Times-Bold", "DejaVuSans.ttf": "Helvetica",
              "DejaVuSans-Bold.ttf": "Helvetica-Bold"}[name]
        return (rl, size)

    def length(self, text: str, font) -> float:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        return stringWidth(_latin1(text), font[0], font[1] * PX) / PX

    def text(self, x: float, y: float, text: str, font) -> None:
        self.cv.setFont(font[0], font[1] * PX)
        self.cv.drawString(x * PX, 841.89 - (y + font[1] * 0.85) * PX, _latin1(text))

    def line(self, x0: float, y0: float, x1: float, y1: float, width: int, fill: int = 0) -> None:
        self.cv.setLineWidth(width * PX)
        self.cv.line(x0 * PX, 841.89 - y0 * PX, x1 * PX, 841.89 - y1 * PX)

    def rect(self, x0: float, y0: float, x1: float, y1: float) -> None:
        self.cv.setLineWidth(1)
        self.cv.rect(x0 * PX, 841.89 - y1 * PX, (x1 - x0) * PX, (y1 - y0) * PX)

    def stamp(self, cx: float, cy: float, pts) -> None:
        pass


class _ImgDrawer:
    def __init__(self) -> None:
        self.img = None
        self.d = None

    def new_page(self) -> None:
        from PIL import Image, ImageDraw

        self.img = Image.new("L", (1240, 1754), 255)
        self.d = ImageDraw.Draw(self.img)

    def font(self, name: str, size: int):
        return _font(name, size)

    def length(self, text: str, font) -> float:
        return self.d.textlength(text, font=font)

    def text(self, x: float, y: float, text: str, font) -> None:
        self.d.text((x, y), text, font=font, fill=0)

    def line(self, x0: float, y0: float, x1: float, y1: float, width: int, fill: int = 0) -> None:
        self.d.line((x0, y0, x1, y1), fill=fill, width=width)

    def rect(self, x0: float, y0: float, x1: float, y1: float) -> None:
        self.d.rectangle((x0, y0, x1, y1), outline=0, width=2)

    def stamp(self, cx: float, cy: float, pts) -> None:
        self.d.ellipse((cx - 85, cy - 50, cx + 85, cy + 50), outline=90, width=4)
        self.d.line(pts, fill=30, width=3)


_FONTS: dict[tuple[str, int], object] = {}


def _font(name: str, size: int):
    from PIL import ImageFont

    key = (name, size)
    if key not in _FONTS:
        _FONTS[key] = ImageFont.truetype(str(FONT_DIR / name), size)
    return _FONTS[key]


def _wrap(dr, text: str, font, width: float) -> list[str]:
    out, cur = [], ""
    for w in text.split():
        t = (cur + " " + w).strip()
        if dr.length(t, font) <= width or not cur:
            cur = t
        else:
            out.append(cur)
            cur = w
    return out + ([cur] if cur else [])


def layout(page: list[Line], dr, rng: random.Random, serif: bool = True):
    """Lay one document page out on A4 at 150 dpi; yields once per physical page (overflow continues)."""
    W, H, M = 1240, 1754, 110
    reg = "DejaVuSerif.ttf" if serif else "DejaVuSans.ttf"
    bold = "DejaVuSerif-Bold.ttf" if serif else "DejaVuSans-Bold.ttf"
    dr.new_page()
    y = M
    pending = []

    def need(h: int) -> bool:
        nonlocal y
        if y + h > H - M:
            pending.append(1)
            y = M
            return True
        return False

    for ln in page:
        s, t = ln.style, ln.text
        if pending:
            pending.clear()
            yield dr
            dr.new_page()
        if s in ("kop1", "kop2", "title", "center", "kop3"):
            f = dr.font(bold if s not in ("center", "kop3") else reg,
                        {"kop1": 30, "kop2": 34, "title": 27, "center": 23, "kop3": 18}[s])
            for part in _wrap(dr, t, f, W - 2 * M):
                dr.text((W - dr.length(part, f)) / 2, y, part, f)
                y += {"kop1": 30, "kop2": 34, "title": 27, "center": 23, "kop3": 18}[s] + 10
        elif s == "rule":
            dr.line(M - 20, y + 4, W - M + 20, y + 4, 4)
            dr.line(M - 20, y + 11, W - M + 20, y + 11, 1)
            y += 22
        elif s == "right":
            f = dr.font(reg, 23)
            dr.text(W - M - dr.length(t, f), y, t, f)
            y += 34
        elif s == "field":
            f = dr.font(reg, 23)
            k, _, v = t.partition("\t")
            parts = _wrap(dr, v, f, W - 2 * M - 360) or [""]
            dr.text(M, y, k, f)
            dr.text(M + 330, y, ":", f)
            for part in parts:
                dr.text(M + 355, y, part, f)
                y += 32
        elif s == "row":
            cells = t.split("\t")
            f = dr.font("DejaVuSans.ttf", 17)
            cw = (W - 2 * M) // len(cells)
            wrapped = [_wrap(dr, c, f, cw - 12) or [""] for c in cells]
            h = max(len(w) for w in wrapped) * 23 + 10
            for i, w in enumerate(wrapped):
                dr.rect(M + i * cw, y, M + (i + 1) * cw, y + h)
                for j, part in enumerate(w):
                    dr.text(M + i * cw + 6, y + 5 + j * 23, part, f)
            y += h
        elif s == "sig":
            dr.text(W // 2 + 60, y, t, dr.font(reg, 23))
            y += 32
        elif s == "stamp":
            pts = [(W // 2 + 80 + i * 22, y + 40 + rng.randint(-30, 30)) for i in range(10)]
            dr.stamp(W // 2 + 120, y + 50, pts)
            y += 110
        elif s == "gap":
            y += 18
        elif s == "small":
            f = dr.font(reg, 17)
            for part in _wrap(dr, t, f, W - 2 * M):
                dr.text(M, y, part, f)
                y += 24
        else:
            f = dr.font(reg, 23)
            for part in _wrap(dr, t, f, W - 2 * M):
                dr.text(M, y, part, f)
                y += 32
            y += 6
        need(0)
    yield dr


def render_page_images(page: list[Line], rng: random.Random, serif: bool = True) -> list:
    """One document page as 150-dpi grey images (more than one when the text overflows)."""
    dr = _ImgDrawer()
    return [d.img for d in layout(page, dr, rng, serif)]


def _noise(img, rng: random.Random, amount: float):
    from PIL import Image

    w, h = img.size[0] // 2, img.size[1] // 2
    n = Image.frombytes("L", (w, h), rng.randbytes(w * h)).resize(img.size)
    base = img if img.mode == "L" else img.convert("L")
    out = Image.blend(base, n, amount)
    return out if img.mode == "L" else Image.merge("RGB", [Image.blend(ch, n, amount) for ch in img.split()])


def scan_effect(img, rng: random.Random):
    from PIL import ImageFilter

    img = img.rotate(rng.uniform(-1.2, 1.2), resample=2, fillcolor=255)
    img = _noise(img, rng, rng.uniform(0.03, 0.07))
    return img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.7)))


def photo_effect(img, rng: random.Random):
    """A phone photo of a page on a desk: tilt, uneven light, blur, JPEG."""
    from PIL import Image, ImageFilter

    page = img.convert("RGB").rotate(rng.uniform(-3, 3), resample=2, expand=True, fillcolor=(70, 60, 50))
    bg = Image.new("RGB", (page.width + 160, page.height + 200), (rng.randint(60, 110), rng.randint(50, 90), 40))
    bg.paste(page, (80 + rng.randint(-30, 30), 100 + rng.randint(-40, 40)))
    shade = Image.linear_gradient("L").rotate(rng.choice([90, 180, 270])).resize(bg.size).point(lambda v: v // 4)
    dark = Image.new("RGB", bg.size, (0, 0, 0))
    bg = Image.composite(dark, bg, shade)
    bg = _noise(bg, rng, rng.uniform(0.03, 0.06))
    bg = bg.filter(ImageFilter.GaussianBlur(rng.uniform(0.6, 1.1)))
    return bg.resize((int(bg.width * 0.9), int(bg.height * 0.9)))


def doc_images(docs: list[Doc], rng: random.Random) -> list:
    out = []
    for doc in docs:
        serif = doc.doc_id not in SANS_DOCS or rng.random() < 0.5
        for page in doc.pages:
            out += render_page_images(page, rng, serif)
    return out


def render_scan_pdf(docs: list[Doc], rng: random.Random) -> bytes:
    imgs = [scan_effect(i, rng) for i in doc_images(docs, rng)]
    buf = io.BytesIO()
    imgs[0].save(buf, "PDF", save_all=True, append_images=imgs[1:], resolution=150)
    return buf.getvalue()


def render_photos(docs: list[Doc], rng: random.Random) -> list[bytes]:
    out = []
    for img in doc_images(docs, rng):
        buf = io.BytesIO()
        photo_effect(img, rng).save(buf, "JPEG", quality=rng.randint(72, 88))
        out.append(buf.getvalue())
    return out


def render_png(docs: list[Doc], rng: random.Random) -> bytes:
    img = doc_images(docs, rng)[0]
    img = img.crop((0, 0, img.width, img.height // 2)).convert("RGB")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def render_docx(docs: list[Doc], when: dt.datetime) -> bytes:
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    d = docx.Document()
    d.core_properties.created = when.replace(tzinfo=None)
    d.core_properties.modified = when.replace(tzinfo=None)
    d.core_properties.author = "User"
    first = True
    for doc in docs:
        for page in doc.pages:
            if not first:
                d.add_page_break()
            first = False
            table = None
            for ln in page:
                s, t = ln.style, ln.text
                if s != "row":
                    table = None
                if s == "row":
                    cells = t.split("\t")
                    if table is None or len(table.columns) != len(cells):
                        table = d.add_table(rows=0, cols=len(cells))
                        table.style = "Table Grid"
                    row = table.add_row()
                    for i, c in enumerate(cells):
                        row.cells[i].text = c
                    continue
                if s in ("rule", "stamp"):
                    d.add_paragraph("_" * 60 if s == "rule" else "")
                    continue
                text = t.replace("\t", " : ", 1) if s == "field" else t
                p = d.add_paragraph()
                run = p.add_run(text)
                if s in ("kop1", "kop2", "title"):
                    run.bold = True
                    run.font.size = Pt(14 if s == "kop2" else 12)
                if s in ("kop1", "kop2", "kop3", "title", "center"):
                    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                elif s == "right":
                    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                elif s == "sig":
                    p.paragraph_format.left_indent = Pt(250)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# Attachments: how documents become files (format, packaging, file names)
# --------------------------------------------------------------------------------------------

@dataclass
class Att:
    filename: str
    data: bytes
    ctype: str            # "application/pdf", ...
    name_style: str = "plain"  # plain | rfc2231 | rfc2047
    inline_forward: bool = False


MEANINGLESS = {
    "pdf": ["scan0001.pdf", "Scan_{ts}.pdf", "CamScanner {md}-{y} {hm}.pdf", "{ts}.pdf", "doc{n}.pdf",
            "SKM_C224e{n}.pdf", "lampiran.pdf", "Dokumen.pdf", "New Doc {y}-{m}-{d} {hm}.pdf"],
    "jpg": ["IMG_{ts}.jpg", "WhatsApp Image {y}-{m}-{d} at {hm}.jpeg", "IMG-{y}{m}{d}-WA00{n}.jpg", "foto.jpg",
            "image{n}.jpeg"],
    "docx": ["Doc1.docx", "Dokumen1.docx", "Document{n}.docx", "form.docx", "Untitled.docx"],
    "zip": ["lampiran.zip", "berkas.zip", "dokumen {n}.zip", "scan.zip"],
    "png": ["Screenshot_{ts}.png", "image.png", "Capture.PNG"],
}

MEANINGFUL = {
    "formulir_ubah_jadwal": ["Formulir Ubah Jadwal {k}", "FORM PERUBAHAN JADWAL", "form ubah jadwal pokja {p}",
                             "Permohonan Perubahan Jadwal – {k}"],
    "formulir_uji_forensik": ["Formulir Uji Forensik {k}", "form forensik"],
    "berita_acara_uji_forensik": ["BA Uji Forensik {k}", "Berita Acara", "BA pembukaan penawaran"],
    "formulir_perbaikan_aplikasi": ["Formulir Perbaikan Aplikasi {k}", "form perbaikan data", "Perbaikan – {k}"],
    "surat_permohonan_reset_password": ["Surat Permohonan Reset Password", "surat reset admin", "Srt Permohonan"],
    "sk_admin_agency": ["SK Admin Agency {y}", "SK Penunjukan Admin", "Keputusan Kadis – Admin Agency"],
    "surat_permohonan_penggantian_admin": ["Surat Penggantian Admin Agency", "srt pergantian admin"],
    "surat_permohonan_bergabung": ["Surat Permohonan Bergabung", "permohonan bergabung LPSE"],
    "surat_permohonan_pelatihan": ["Surat Permohonan Pelatihan", "permohonan pelatihan"],
    "sla": ["SLA ttd", "Service Level Agreement", "SLA LPSE Jabar"],
    "surat_permohonan_data": ["Surat Permohonan Data", "permintaan data SPSE"],
    None: ["Surat Pengantar", "surat", "lampiran"],
}


def file_name(rng: random.Random, ext: str, docs: list[Doc], c: Ctx) -> tuple[str, str]:
    when = c.date
    fill = dict(ts=f"{when:%Y%m%d_%H%M%S}", md=f"{when:%m-%d}", y=f"{when:%Y}", m=f"{when:%m}", d=f"{when:%d}",
                hm=f"{when:%H.%M}", n=rng.randint(1, 40), k=c.kode, p=c.pokja.split()[-1])
    r = rng.random()
    if r < 0.45 or ext in ("png",):
        return rng.choice(MEANINGLESS[ext]).format(**fill), "plain"
    base = rng.choice(MEANINGFUL.get(docs[0].doc_id, MEANINGFUL[None])).format(**fill)
    if len(docs) > 1:
        base = rng.choice(["Berkas Permohonan", "Surat dan SK", "dokumen lengkap", base])
    style = "plain"
    if any(ord(ch) > 127 for ch in base) or rng.random() < 0.15:
        style = rng.choice(["rfc2231", "rfc2047"])
        if not any(ord(ch) > 127 for ch in base):
            base += " (ttd)"
    if ext == "pdf" and rng.random() < 0.15:
        return base + ".PDF", style
    return f"{base}.{ext}", style


CTYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png", "zip": "application/zip",
          "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def package(rng: random.Random, c: Ctx, docs: list[Doc], ocr: bool, tags: list[str],
            fmt: str | None = None) -> list[Att]:
    """Turn documents into attachments: separate files, one combined scan, photos, DOCX or a ZIP."""
    if not docs:
        return []
    if fmt is None:
        choices = ["text_pdf"] * 3 + ["docx"] * 2 + ["zip"]
        if ocr:
            choices += ["scan_pdf"] * 4 + ["photo"] * 2
        fmt = rng.choice(choices)
    if not ocr and fmt in ("scan_pdf", "photo"):
        fmt = "text_pdf"
    atts: list[Att] = []
    combine = len(docs) > 1 and fmt in ("scan_pdf", "text_pdf") and rng.random() < 0.55
    if combine:
        tags.append(f"multi_doc_{fmt}")
    groups = [docs] if combine else [[d] for d in docs]
    for g in groups:
        if fmt == "text_pdf":
            data, ext = render_text_pdf(g, c.date), "pdf"
            if any(ln.style == "small" and "BSrE" in ln.text for d in g for p in d.pages for ln in p):
                tags.append("esigned_pdf")
        elif fmt == "scan_pdf":
            data, ext = render_scan_pdf(g, rng), "pdf"
        elif fmt == "docx":
            data, ext = render_docx(g, c.date), "docx"
        elif fmt == "photo":
            for img in render_photos(g, rng):
                name, style = file_name(rng, "jpg", g, c)
                atts.append(Att(name, img, "image/jpeg", style))
            continue
        else:  # zip: the documents inside, as text PDFs or scans
            inner_ocr = ocr and rng.random() < 0.5
            data, ext = (render_scan_pdf(g, rng) if inner_ocr else render_text_pdf(g, c.date)), "pdf"
        name, style = file_name(rng, ext, g, c)
        atts.append(Att(name, data, CTYPES[ext], style))
    tags.append(fmt)
    if fmt == "zip":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            seen = set()
            for a in atts:
                n = a.filename if a.filename not in seen else f"{len(seen)}_{a.filename}"
                seen.add(n)
                z.writestr(zipfile.ZipInfo(n, date_time=c.date.timetuple()[:6]), a.data)
        name, style = file_name(rng, "zip", docs, c)
        atts = [Att(name, buf.getvalue(), "application/zip", style)]
    if rng.random() < 0.05 and len(atts) == 1:   # wrong extension / wrong content type
        a = atts[0]
        if a.ctype == "application/pdf":
            a.filename = a.filename.rsplit(".", 1)[0] + ".jpg"
            a.ctype = "image/jpeg"
        elif a.ctype == "image/jpeg":
            a.filename = a.filename.rsplit(".", 1)[0] + ".pdf"
            a.ctype = "application/octet-stream"
        else:
            a.ctype = "application/octet-stream"
        tags.append("wrong_extension")
    return atts


# --------------------------------------------------------------------------------------------
# Mail text
# --------------------------------------------------------------------------------------------

GREET = ["Yth. Admin LPSE Provinsi Jawa Barat,", "Kepada Yth. Helpdesk LPSE Jabar", "Selamat pagi Bapak/Ibu Admin LPSE,",
         "Assalamualaikum wr. wb.", "Dengan hormat,", "Yth. Bapak/Ibu Helpdesk LPSE Prov. Jabar", "Siang pak/bu,",
         "Selamat siang, mohon maaf mengganggu."]
CLOSE = ["Terima kasih.", "Atas perhatian dan kerjasamanya kami ucapkan terima kasih.", "Hatur nuhun.",
         "Demikian, terima kasih.", "Mohon segera ditindaklanjuti. Terima kasih.", "Wassalamualaikum wr. wb.",
         "Terima kasih atas bantuannya."]
SIGN_EXTRA = ["\n\n--\nDikirim dari Yahoo Mail di Android", "\n\nSent from my iPhone", "\n\nDikirim dari ponsel saya",
              "\n\n-- \nPERHATIAN: Email ini beserta lampirannya ditujukan hanya untuk penerima yang dituju dan dapat "
              "berisi informasi yang bersifat rahasia. Apabila Anda bukan penerima yang dituju, mohon segera "
              "memberitahukan pengirim dan menghapus email ini.",
              "\n\nSalam,\n{name}\n{jab}\nHP/WA {phone}",
              "\n\n________________________________\nKirim dari Outlook untuk Android"]


def sender(c: Ctx, role: str) -> tuple[str, str]:
    r = c.rng
    first = c.contact.split()[0].lower().strip(".,")
    if first in ("hj.", "ir.", "dra.", "drg.", "hj", "ir", "dra", "drg"):
        first = c.contact.split()[1].lower().strip(".,")
    k = r.random()
    if role == "pokja":
        name = r.choice([f"{c.pokja}", f"Pokja {c.pokja.split()[-1]} {c.ag.code}", c.contact.split(",")[0],
                         f"{c.pokja} – {c.ag.code}", "POKJA PEMILIHAN"])
        addr = (f"pokja{c.pokja.split()[-1]}.{c.ag.code.lower().replace('.', '')}@gmail.com" if k < 0.5 else
                f"pokja{c.pokja.split()[-1]}@{c.ag.domain}" if k < 0.8 else f"{first}{r.randint(70, 99)}@yahoo.co.id")
    elif role == "vendor":
        name = c.peserta
        addr = f"{c.peserta.split()[1].lower()}{r.randint(1, 99)}@{r.choice(['gmail.com', 'yahoo.com'])}"
    else:
        name = r.choice([c.contact.split(",")[0], f"Admin {c.ag.code}", f"Umum {c.ag.name.title()}",
                         f"{c.contact.split(',')[0]} – {c.ag.code}"])
        addr = (f"{first}.{r.randint(1, 99)}@gmail.com" if k < 0.4 else f"umum@{c.ag.domain}" if k < 0.7 else
                f"{first}@{c.ag.domain}" if k < 0.9 else f"{first}_{c.ag.code.lower()}@yahoo.com")
    return name, addr


def typo(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    for _ in range(max(1, len(words) // 25)):
        i = rng.randrange(len(words))
        w = words[i]
        if len(w) > 4 and w.isalpha():
            j = rng.randrange(1, len(w) - 2)
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    out = " ".join(words)
    return out.replace("mohon", rng.choice(["mohon", "mhn", "mohon"])).replace("tidak", rng.choice(["tidak", "tdk"]))


# --------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------

@dataclass
class Mail:
    kind: str
    request_type: str | None
    subject: str
    body: str
    docs: list[Doc] = field(default_factory=list)      # documents to package as attachments
    extra_atts: list[Att] = field(default_factory=list)
    role: str = "agency"
    suppress: bool = False
    kode: str | None = None
    notes: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    from_override: tuple[str, str] | None = None
    raw: bytes | None = None          # a complete message (machine mail)
    forwardable: bool = True
    docs_present: list[str] | None = None   # overrides the documents label (e.g. form only in forward)


def body_of(c: Ctx, core: list[str]) -> str:
    r = c.rng
    parts = [r.choice(GREET), ""] + core + ["", r.choice(CLOSE)]
    if r.random() < 0.5:
        parts += ["", c.contact.split(",")[0], r.choice([c.pokja, f"Admin Agency {c.ag.name.title()}", c.ag.name.title()])]
    return "\n".join(parts)


def sc_ubah_jadwal(c: Ctx) -> Mail:
    r = c.rng
    tahap = c.tahap[1]
    v = r.random()
    subj = r.choice([f"Permohonan Perubahan Jadwal Tender {c.kode}", f"ubah jadwal {c.paket}",
                     f"Mohon dibantu perubahan jadwal tahap {tahap}", f"Perubahan jadwal kode {c.kode}",
                     "Formulir perubahan jadwal", f"URGENT ubah jadwal {tahap}", f"permohonan ubah jadwal - {c.pokja}"])
    core = [r.choice([f"Bersama ini kami sampaikan formulir permintaan ubah jadwal untuk paket {c.paket} "
                      f"(kode tender {c.kode}) pada tahapan {tahap}.",
                      f"Mohon bantuannya untuk perubahan jadwal tahapan {tahap} tender {c.kode}, formulir terlampir.",
                      f"Kami dari {c.pokja} mengajukan perubahan jadwal, karena jadwal {tahap} sudah lewat.",
                      "Terlampir form ubah jadwal yang sudah ditandatangani ketua pokja."])]
    if v < 0.12:   # the form promised, not attached
        core = [f"Mohon dibantu perubahan jadwal tahap {tahap} untuk kode tender {c.kode}, jadwalnya sudah terlewat. "
                f"Formulirnya sedang dimintakan tanda tangan ketua pokja, menyusul."]
        return Mail("ubah_jadwal_no_form", "ubah_jadwal", subj, body_of(c, core), [], role="pokja", kode=c.kode,
                    notes=["form promised, not attached"])
    m = Mail("ubah_jadwal", "ubah_jadwal", subj, body_of(c, core), [form_ubah_jadwal(c)], role="pokja", kode=c.kode)
    if r.random() < 0.2:
        m.subject = r.choice(["mohon bantuan", "permohonan", "Lampiran", f"{c.pokja}", "(no subject)"])
        m.body = body_of(c, ["Mohon ditindaklanjuti sesuai lampiran."])
        m.tags.append("vague_text")
    return m


def sc_uji_forensik(c: Ctx) -> Mail:
    r = c.rng
    v = r.random()
    subj = r.choice([f"Permohonan Uji Forensik Tender {c.kode}", "uji forensik file penawaran",
                     f"Mohon uji forensik dokumen penawaran {c.peserta}", "Permintaan Uji Forensik",
                     f"File penawaran tidak bisa dibuka - {c.kode}"])
    core = [f"Pada saat pembukaan penawaran paket {c.paket} (kode {c.kode}) file penawaran {c.peserta} tidak "
            f"dapat dibuka. Bersama ini kami ajukan permohonan uji forensik."]
    docs = [form_uji_forensik(c), ba_uji_forensik(c)]
    kind = "uji_forensik"
    if v < 0.2:
        docs, kind = docs[:1], "uji_forensik_no_ba"
    elif v < 0.3:
        docs, kind = docs[1:], "uji_forensik_ba_only"
    return Mail(kind, "uji_forensik", subj, body_of(c, core), docs, role="pokja", kode=c.kode)


def sc_perbaikan(c: Ctx) -> Mail:
    r = c.rng
    subj = r.choice([f"Permohonan perbaikan data tender {c.kode}", "Perbaikan Aplikasi", f"salah input HPS {c.kode}",
                     f"Mohon perbaikan data paket {c.paket}", "Permintaan Perbaikan Data pada SPSE"])
    core = [r.choice([f"Kami mohon perbaikan data pada tender {c.kode} karena terdapat kesalahan input oleh pokja.",
                      "Terlampir formulir perbaikan aplikasi, mohon dibantu.",
                      f"Pokja salah input data paket {c.paket}, mohon dapat diperbaiki. Form terlampir."])]
    if r.random() < 0.12:
        return Mail("perbaikan_no_form", "perbaikan_aplikasi", subj,
                    body_of(c, [f"Mohon perbaikan data tender {c.kode}, nilai HPS salah ketik. Formulir akan kami kirim "
                                f"setelah ditandatangani."]), [], role="pokja", kode=c.kode,
                    notes=["form not attached"])
    return Mail("perbaikan_aplikasi", "perbaikan_aplikasi", subj, body_of(c, core), [form_perbaikan(c)],
                role="pokja", kode=c.kode)


def sc_reset(c: Ctx) -> Mail:
    r = c.rng
    v = r.random()
    subj = r.choice(["Permohonan Reset Password Admin Agency", "reset password admin agency",
                     f"Reset Password Administrator Agency {c.ag.name.title()}", "Mohon reset akun admin agency",
                     "Lupa password admin agency"])
    core = [r.choice([f"Bersama ini kami sampaikan surat permohonan reset password Administrator Agency "
                      f"{c.ag.name.title()} beserta SK-nya.",
                      "Admin agency kami tidak bisa login, mohon dibantu reset passwordnya. Surat terlampir.",
                      "Terlampir surat permohonan reset password admin agency."])]
    if v < 0.35:
        docs, kind = [letter_reset(c, r.random() < 0.5), sk(c)], "reset_letter_sk"
    elif v < 0.6:
        return Mail("reset_letter_sk_one_scan", "reset_password", subj, body_of(c, core),
                    [letter_reset(c, True), sk(c)], forwardable=True, tags=["force_combine"])
    elif v < 0.85:
        docs, kind = [letter_reset(c, True)], "reset_cover_names_sk_missing"
    else:
        docs, kind = [sk(c)], "reset_sk_only"
        core = ["Mohon reset password admin agency kami, terlampir SK admin agency. Surat permohonan menyusul."]
    return Mail(kind, "reset_password", subj, body_of(c, core), docs)


def sc_penggantian(c: Ctx) -> Mail:
    r = c.rng
    v = r.random()
    subj = r.choice(["Penggantian Admin Agency", "Permohonan penggantian personil administrator agency",
                     f"Pergantian Admin Agency {c.ag.code}", "Perubahan admin agency SPSE"])
    core = [r.choice(["Sehubungan admin agency kami yang lama sudah mutasi, bersama ini kami ajukan penggantian "
                      "admin agency. Surat dan SK terlampir.", "Terlampir surat permohonan penggantian admin agency."])]
    if v < 0.4:
        docs, kind = [letter_penggantian(c, r.random() < 0.5), sk(c)], "penggantian_letter_sk"
    elif v < 0.65:
        return Mail("penggantian_one_scan", "penggantian_admin", subj, body_of(c, core),
                    [letter_penggantian(c, True), sk(c)], tags=["force_combine"])
    else:
        docs, kind = [letter_penggantian(c, True)], "penggantian_cover_names_sk_missing"
    return Mail(kind, "penggantian_admin", subj, body_of(c, core), docs)


def sc_bergabung(c: Ctx) -> Mail:
    r = c.rng
    subj = r.choice(["Permohonan Bergabung LPSE Provinsi Jawa Barat", "Pengajuan bergabung dengan LPSE Jabar",
                     f"Permohonan Menjadi Agency - {c.ag.name.title()}", "berkas permohonan bergabung"])
    all_docs = [letter_bergabung(c), letter_pelatihan(c), sk(c, r.randint(1, 2)), sla_doc(c)]
    v = r.random()
    core = ["Bersama ini kami sampaikan berkas permohonan bergabung dengan LPSE Provinsi Jawa Barat."]
    if v < 0.35:
        return Mail("bergabung_complete", "bergabung", subj, body_of(c, core), all_docs)
    if v < 0.6:
        return Mail("bergabung_one_scan", "bergabung", subj, body_of(c, core), all_docs, tags=["force_combine"])
    keep = [all_docs[0]] + r.sample(all_docs[1:], r.randint(0, 2))
    return Mail("bergabung_partial", "bergabung", subj, body_of(c, core + ["Kelengkapan lainnya menyusul."]), keep)


def sc_admin_tambahan(c: Ctx) -> Mail:
    r = c.rng
    subj = r.choice(["Penambahan Admin Agency", "Permohonan admin agency tambahan",
                     f"Usulan tambahan administrator agency {c.ag.code}"])
    core = [r.choice(["Mengingat banyaknya paket di satuan kerja kami, kami mohon penambahan satu orang Administrator "
                      "Agency. Terlampir SK penunjukannya.",
                      "Dengan ini kami ajukan admin agency tambahan sesuai SK terlampir."])]
    return Mail("admin_tambahan", "admin_tambahan", subj, body_of(c, core), [sk(c, 2, tambahan=True)])


def sc_sub_agency(c: Ctx) -> Mail:
    r = c.rng
    subj = r.choice(["Permohonan pendaftaran Sub Agency", "Pembuatan sub agency UPTD", "Mohon dibuatkan Sub Agency"])
    core = ["Kami mohon dibuatkan Sub Agency untuk UPTD di bawah dinas kami agar dapat mengelola paket sendiri."]
    v = r.random()
    if v < 0.4:
        return Mail("sub_agency_letter", "sub_agency", subj, body_of(c, core), [letter_sub_agency(c)])
    if v < 0.6:
        return Mail("sub_agency_with_sk", "sub_agency", subj, body_of(c, core + ["Terlampir SK admin untuk sub agency."]),
                    [sk(c)])
    return Mail("sub_agency", "sub_agency", subj, body_of(c, core))


def sc_data(c: Ctx) -> Mail:
    r = c.rng
    subj = r.choice(["Permohonan Data Paket Pengadaan", "Permintaan data SPSE untuk pemeriksaan BPK",
                     "Mohon data riwayat tender", "Surat permohonan data"])
    core = ["Bersama ini kami sampaikan surat permohonan data paket pengadaan pada SPSE untuk keperluan pemeriksaan."]
    if r.random() < 0.2:
        return Mail("data_no_letter", "permintaan_data", subj,
                    body_of(c, [f"Mohon dikirimkan data riwayat jadwal dan daftar peserta tender {c.kode} untuk "
                                f"keperluan pemeriksaan Inspektorat."]), [], notes=["letter not attached"])
    return Mail("permintaan_data", "permintaan_data", subj, body_of(c, core), [letter_data(c)])


def sc_bimtek(c: Ctx) -> Mail:
    r = c.rng
    subj = r.choice(["Permohonan Bimtek SPSE", "Permohonan pendampingan e-tendering", "Mohon narasumber bimtek",
                     "Pelatihan untuk PPK baru"])
    core = [r.choice([f"Kami mohon dapat diadakan bimbingan teknis penggunaan SPSE bagi {r.randint(5, 30)} orang "
                      f"PPK dan Pokja di lingkungan {c.ag.name.title()}. Mohon informasi jadwal yang tersedia.",
                      "Apakah LPSE bisa memberikan pendampingan untuk PPK kami yang baru dilantik dalam proses "
                      "e-purchasing dan tender? Kami siap menyesuaikan waktunya.",
                      "Mohon diinformasikan jadwal bimtek SPSE untuk Pokja bulan depan, kami ingin mengirimkan 4 orang."])]
    if r.random() < 0.3:
        return Mail("bimtek_letter", "bimtek", subj, body_of(c, ["Surat permohonan terlampir."]),
                    [letter_pendampingan(c)], notes=["letter asks for pendampingan/bimtek of an existing agency"])
    return Mail("bimtek", "bimtek", subj, body_of(c, core))


def sc_gangguan(c: Ctx) -> Mail:
    r = c.rng
    subj = r.choice(["SPSE tidak bisa diakses", "LPSE JABAR DOWN??", "Error saat upload dokumen", "Gangguan aplikasi SPSE",
                     "website lpse lambat sekali", "tidak bisa login spse sejak pagi"])
    core = [r.choice(["Sejak pagi tadi SPSE LPSE Jabar tidak bisa diakses, muncul pesan error. Padahal hari ini batas "
                      "akhir upload penawaran. Mohon segera dicek.",
                      "Aplikasi SPSE sangat lambat dan sering timeout saat membuka halaman evaluasi.",
                      "Peserta kami melaporkan gagal upload dokumen penawaran, apakah server sedang gangguan?",
                      "Halaman login SPSE menampilkan 502 Bad Gateway sejak jam 9."])]
    m = Mail("gangguan", "gangguan", subj, body_of(c, core), role=r.choice(["pokja", "agency", "vendor"]))
    if r.random() < 0.4:
        m.docs = [screenshot(c)]
        m.tags.append("screenshot")
    return m


def sc_status(c: Ctx) -> Mail:
    r = c.rng
    about = r.choice(["ubah jadwal", "uji forensik", "reset password admin agency", "perbaikan data", "bergabung"])
    ticket = f"HD-{c.day.year}-{r.randint(1, 400):05d}"
    v = r.random()
    if v < 0.35:
        subj = f"Re: [{ticket}] {r.choice(['Permohonan diterima', 'Tanda terima permohonan'])}"
        core = [r.choice(["Mohon info apakah permohonan kami sudah diproses?",
                          "Bagaimana perkembangan permohonan kami ini? Sudah 2 hari belum ada kabar.",
                          "Punten, apakah sudah ditindaklanjuti?"])]
        quoted = f"\n\nPada {tgl(c.day - dt.timedelta(days=2))}, helpdesk@lpse.jabarprov.go.id menulis:\n> Nomor tiket: {ticket}\n> Permohonan {about} Bapak/Ibu telah kami terima."
        m = Mail("status_ticket", "status", subj, body_of(c, core) + quoted)
        m.headers["In-Reply-To"] = f"<{ticket.lower()}.{r.randint(1000, 9999)}@lpse.jabarprov.go.id>"
        return m
    if v < 0.7 and about in ("ubah jadwal", "uji forensik", "perbaikan data"):
        subj = r.choice([f"Menanyakan permohonan {about} tender {c.kode}", f"status {about} {c.kode}",
                         f"Tindak lanjut {about}?"])
        core = [r.choice([f"Apakah permohonan {about} kami untuk tender {c.kode} yang kami kirim kemarin sudah "
                          f"diproses? Soalnya jadwal sudah mepet.",
                          f"Mohon info perkembangan permohonan {about} kode tender {c.kode} yang kami ajukan tanggal "
                          f"{tgl(c.day - dt.timedelta(days=r.randint(1, 4)))}."])]
        return Mail("status_kode", "status", subj, body_of(c, core), role="pokja",
                    notes=[f"asks about an earlier {about} request for {c.kode}"])
    subj = r.choice([f"Menanyakan permohonan {about}", f"Follow up: permohonan {about}", f"permohonan {about} kami"])
    core = [r.choice([f"Apakah permohonan {about} kami minggu lalu sudah diproses? Sampai sekarang belum ada balasan.",
                      f"Mohon maaf, kami ingin menanyakan tindak lanjut permohonan {about} yang sudah kami kirim "
                      f"beberapa hari yang lalu."])]
    return Mail("status_vague", "status", subj, body_of(c, core))


def sc_thanks(c: Ctx) -> Mail:
    r = c.rng
    about = r.choice(["uji forensik", "perubahan jadwal", "reset password", "perbaikan data", "bimtek"])
    subj = r.choice([f"Re: Hasil {about}", f"RE: [HD-{c.day.year}-{r.randint(1, 400):05d}] Permohonan {about} selesai",
                     "Terima kasih", f"Re: {about}"])
    core = [r.choice([f"Terima kasih, hasil {about} sudah kami terima.",
                      f"Baik, terima kasih banyak atas bantuan {about}nya. Sudah kami cek dan sesuai.",
                      f"Siap, {about} sudah berhasil. Hatur nuhun.",
                      f"Terima kasih atas respon cepatnya terkait {about}, password pokja juga sudah kami ganti."])]
    return Mail("thanks", "lainnya", subj, "\n".join(core + ["", c.contact.split(",")[0]]),
                notes=[f"thank-you mentioning {about}: no new request"], kode=None)


def sc_vendor_password(c: Ctx) -> Mail:
    r = c.rng
    subj = r.choice(["Lupa password akun penyedia", "reset password SPSE", "Mohon reset password perusahaan kami",
                     "tidak bisa login akun penyedia", "Permohonan Reset Password"])
    core = [r.choice([f"Kami dari {c.peserta}, lupa password akun SPSE penyedia kami. Bagaimana cara reset "
                      f"passwordnya? User ID kami {c.peserta.split()[1].lower()}{r.randint(10, 99)}.",
                      f"Selamat siang, saya direktur {c.peserta}. Akun penyedia kami terkunci setelah salah "
                      f"memasukkan password beberapa kali. Mohon bantuannya untuk reset password.",
                      f"Mohon reset password akun penyedia {c.peserta}, email pemulihan sudah tidak aktif. "
                      f"Kami mau ikut tender minggu ini."])]
    m = Mail("vendor_password", "lainnya", subj, body_of(c, core), role="vendor",
             notes=["a vendor's own SPSE account: lainnya, not reset_password"])
    if r.random() < 0.35:
        m.docs = [vendor_letter(c)]
        m.tags.append("vendor_letter")
    return m


def sc_lainnya(c: Ctx) -> Mail:
    r = c.rng
    subj, core, role = r.choice([
        ("Pertanyaan pendaftaran penyedia", ["Bagaimana cara mendaftar sebagai penyedia di LPSE Jabar? Apakah harus "
                                             "verifikasi langsung ke kantor?"], "vendor"),
        ("Tanya SBU", ["Apakah untuk tender konstruksi wajib upload SBU terbaru di SIKaP?"], "vendor"),
        ("Mohon info", ["Apakah LPSE buka pada hari Sabtu untuk verifikasi berkas?"], "agency"),
        ("Pertanyaan terkait e-katalog", ["Mohon info, untuk pengadaan lewat e-katalog lokal apakah bisa dibantu "
                                          "oleh LPSE Provinsi?"], "agency"),
        ("Pengaduan", [f"Kami keberatan atas hasil evaluasi tender {c.kode}, kemana kami harus menyampaikan sanggahan?"],
         "vendor"),
    ])
    return Mail("lainnya_question", "lainnya", subj, body_of(c, core), role=role)


OFFERS = [
    ("Penawaran Pinjaman Dana Cepat untuk ASN/PNS", "Pinjaman tanpa agunan untuk ASN dan PNS, cair 1 hari, bunga "
     "rendah 0,8% per bulan, tenor hingga 5 tahun. Cukup SK terakhir dan KTP. Hubungi marketing kami via WA.",
     "KREDIT ASN TANPA AGUNAN"),
    ("Jasa Pengurusan SBU dan SKK Konstruksi Cepat Resmi LPJK", "Kami melayani pengurusan SBU, SKK, NIB, ISO dan "
     "sertifikat badan usaha untuk persyaratan tender LPSE. Proses cepat 3-5 hari kerja, harga bersaing.",
     "JASA SBU & SKK KONSTRUKSI"),
    ("Proposal Jasa SEO & Pembuatan Website Instansi", "Kami menawarkan jasa optimasi SEO agar website LPSE Anda "
     "tampil di halaman pertama Google, serta redesign website instansi pemerintah.", "PROPOSAL JASA SEO"),
    ("Penawaran Kerjasama Pelatihan Pengadaan Barang/Jasa Bersertifikat", "Lembaga kami menyelenggarakan pelatihan "
     "PBJ level 1 bersertifikat di hotel berbintang Bandung. Biaya Rp 4.500.000/peserta. Kuota terbatas!",
     "PELATIHAN PBJ BERSERTIFIKAT"),
    ("Promo Laptop & Printer untuk Instansi - Harga Khusus e-Katalog", "Dapatkan harga khusus instansi pemerintah "
     "untuk pengadaan laptop, printer dan komputer. Tayang di e-Katalog. Gratis ongkir se-Jawa Barat.",
     "KATALOG PRODUK 2027"),
    ("Jasa Tender Terpercaya - Dijamin Menang", "Kami membantu perusahaan Anda memenangkan tender pemerintah: "
     "penyusunan dokumen penawaran, pinjam bendera, dukungan bank. Fee setelah menang.", "KONSULTAN TENDER"),
]


def sc_offer(c: Ctx) -> Mail:
    r = c.rng
    subj, text, title = r.choice(OFFERS)
    if r.random() < 0.3:
        subj = subj.upper()
    body = (f"{r.choice(['Yth. Bapak/Ibu Pimpinan', 'Kepada Yth. Bapak/Ibu', 'Salam sejahtera,', 'Dear Bapak/Ibu,'])}\n\n"
            f"{text}\n\n{r.choice(['Info lebih lanjut hubungi 0812-2233-4455 (WA).', 'Balas email ini untuk konsultasi gratis.'])}"
            f"\n\nSalam,\n{r.choice(['Rudi', 'Sinta', 'Marketing Team', 'Bagus Pratama'])}\n"
            f"{r.choice(['PT Dana Prima Sejahtera', 'CV Mitra Legal Konstruksi', 'Digital Kreatif Agency', 'LPK Bina Pengadaan'])}"
            f"{r.choice(['', chr(10) + chr(10) + 'Jika tidak ingin menerima email ini lagi, balas dengan UNSUBSCRIBE.'])}")
    m = Mail("offer", None, subj, body, role="vendor", suppress=True, notes=["unsolicited commercial offer"],
             forwardable=False)
    addr = f"{r.choice(['marketing', 'info', 'cs', 'admin.sales'])}{r.randint(1, 99)}@{r.choice(['gmail.com', 'yahoo.com', 'outlook.com'])}"
    m.from_override = (r.choice(["Marketing", "Info Promo", "Layanan Konsultasi", ""]), addr)
    if r.random() < 0.4:
        m.docs = [brochure(r, title, [text])]
        m.tags.append("brochure")
    if r.random() < 0.3:
        m.tags.append("bcc")
    return m


def sc_machine(c: Ctx, idx: int) -> Mail:
    r = c.rng
    k = ["bounce", "autoreply_id", "autoreply_en", "list", "autoreply_id", "bounce", "own_address"][idx % 7]
    mid = f"<{r.getrandbits(64):x}@{c.ag.domain}>"
    date = format_datetime(c.date)
    who = sender(c, "agency")
    if k == "bounce":
        orig = (f"From: helpdesk@lpse.jabarprov.go.id\nTo: {who[1]}\nSubject: [HD-{c.day.year}-{r.randint(1, 400):05d}] "
                f"Permohonan Bapak/Ibu telah kami terima\nMessage-ID: <hd.{r.getrandbits(40):x}@lpse.jabarprov.go.id>\n\n"
                f"Yth. Bapak/Ibu, permohonan ubah jadwal telah kami terima.\n")
        raw = (f"Return-Path: <>\nFrom: Mail Delivery System <MAILER-DAEMON@mx.{c.ag.domain}>\nTo: {HELPDESK}\n"
               f"Subject: Undelivered Mail Returned to Sender\nDate: {date}\nMessage-ID: {mid}\nMIME-Version: 1.0\n"
               f"Auto-Submitted: auto-replied\n"
               f"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\n\n--b1\n"
               f"Content-Type: text/plain\n\nThis is the mail system at host mx.{c.ag.domain}.\nI'm sorry to have to "
               f"inform you that your message could not be delivered.\n<{who[1]}>: mailbox full\n\n--b1\n"
               f"Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx.{c.ag.domain}\n\nFinal-Recipient: "
               f"rfc822; {who[1]}\nAction: failed\nStatus: 5.2.2\n\n--b1\nContent-Type: message/rfc822\n\n{orig}\n--b1--\n")
        return Mail("machine_bounce", None, "", "", suppress=True, raw=raw.encode())
    if k.startswith("autoreply"):
        en = k.endswith("en")
        subj = ("Automatic reply: " if en else r.choice(["Balasan Otomatis: ", "Auto: "])) + r.choice(
            ["Permohonan Perubahan Jadwal", f"[HD-{c.day.year}-{r.randint(1, 400):05d}] Permohonan diterima"])
        text = ("I am out of the office until 30 November 2026 with limited access to email." if en else
                "Terima kasih atas email Bapak/Ibu. Saya sedang cuti/dinas luar sampai dengan tanggal 30 November "
                "2026. Untuk keperluan mendesak silakan hubungi Sekretariat.")
        hdr = r.choice(["Auto-Submitted: auto-replied\n", "X-Autoreply: yes\nAuto-Submitted: auto-replied\n",
                        "X-Auto-Response-Suppress: All\nAuto-Submitted: auto-generated\n", "Precedence: auto_reply\n"])
        raw = (f"From: {who[1]}\nTo: {HELPDESK}\nSubject: {Header(subj, 'utf-8').encode()}\nDate: {date}\n"
               f"Message-ID: {mid}\n{hdr}MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n{text}\n")
        return Mail(f"machine_{k}", None, "", "", suppress=True, raw=raw.encode())
    if k == "list":
        raw = (f"From: Buletin Pengadaan <newsletter@{r.choice(['pengadaan.news', 'infotender.id'])}>\nTo: {INFO}\n"
               f"Subject: Info Tender Pekan Ini: 250 paket baru di Jawa Barat\nDate: {date}\nMessage-ID: {mid}\n"
               f"List-Id: <buletin.infotender.id>\nList-Unsubscribe: <mailto:unsubscribe@infotender.id>\n"
               f"Precedence: bulk\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n"
               f"Daftar paket tender terbaru pekan ini. Klik tautan untuk berlangganan paket premium.\n")
        return Mail("machine_list", None, "", "", suppress=True, raw=raw.encode())
    raw = (f"From: Helpdesk LPSE Jabar <{HELPDESK}>\nTo: {HELPDESK}\nSubject: [HD-{c.day.year}-{r.randint(1, 400):05d}] "
           f"Permohonan ubah jadwal telah kami terima\nDate: {date}\nMessage-ID: {mid}\nMIME-Version: 1.0\n"
           f"Content-Type: text/plain; charset=utf-8\n\nYth. Bapak/Ibu, permohonan telah kami terima.\n")
    return Mail("machine_own_address", None, "", "", suppress=True, raw=raw.encode())


SCENARIOS: list[tuple[str, int, object]] = [
    ("ubah_jadwal", 30, sc_ubah_jadwal), ("uji_forensik", 18, sc_uji_forensik), ("perbaikan", 18, sc_perbaikan),
    ("reset", 22, sc_reset), ("penggantian", 14, sc_penggantian), ("bergabung", 14, sc_bergabung),
    ("admin_tambahan", 10, sc_admin_tambahan), ("sub_agency", 8, sc_sub_agency), ("data", 10, sc_data),
    ("bimtek", 10, sc_bimtek), ("gangguan", 12, sc_gangguan), ("status", 16, sc_status), ("thanks", 10, sc_thanks),
    ("vendor_password", 9, sc_vendor_password), ("lainnya", 7, sc_lainnya), ("offer", 14, sc_offer),
    ("machine", 12, None),
]


# --------------------------------------------------------------------------------------------
# Assembling the message
# --------------------------------------------------------------------------------------------

def _attach(msg: MIMEMultipart, a: Att) -> None:
    main, sub = a.ctype.split("/", 1)
    part = MIMEBase(main, sub)
    part.set_payload(base64.encodebytes(a.data).decode())
    part["Content-Transfer-Encoding"] = "base64"
    if a.name_style == "rfc2047":
        enc = Header(a.filename, "utf-8").encode()
        part.replace_header("Content-Type", f'{a.ctype}; name="{enc}"')
        part["Content-Disposition"] = f'attachment; filename="{enc}"'
    elif a.name_style == "rfc2231" or any(ord(ch) > 127 for ch in a.filename):
        part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", a.filename))
    else:
        part.set_param("name", a.filename)
        part.add_header("Content-Disposition", "attachment", filename=a.filename)
    msg.attach(part)


def _qp() -> Charset:
    cs = Charset("utf-8")
    cs.body_encoding = QP
    return cs


def plain(text: str) -> MIMEText:
    """Plain text as most mail clients send it: UTF-8, quoted-printable."""
    return MIMEText(text, "plain", _qp())


def html_of(text: str) -> str:
    esc = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    paras = "".join(f"<div>{ln or '<br>'}</div>" for ln in esc.split("\n"))
    return f'<html><head><meta charset="utf-8"></head><body><div dir="ltr">{paras}</div></body></html>'


def text_part(rng: random.Random, body: str, tags: list[str]):
    v = rng.random()
    if v < 0.12:
        tags.append("html_only")
        return MIMEText(html_of(body), "html", "utf-8")
    if v < 0.4:
        alt = MIMEMultipart("alternative")
        alt.attach(plain(body))
        alt.attach(MIMEText(html_of(body), "html", "utf-8"))
        return alt
    return plain(body)


def build(rng: random.Random, c: Ctx, m: Mail, atts: list[Att], idx: int, domain_seed: int) -> bytes:
    tags = m.tags
    name, addr = m.from_override or sender(c, m.role)
    body = m.body
    if m.request_type and rng.random() < 0.45:
        extra = rng.choice(SIGN_EXTRA).format(name=c.contact.split(",")[0], jab=rng.choice(
            ["Staf Subbag Umum", "Anggota " + c.pokja, "Pengelola Pengadaan"]), phone=c.phone)
        body += extra
    if m.request_type and rng.random() < 0.15:
        body = typo(rng, body)
        tags.append("typos")
    if atts and m.request_type and rng.random() < 0.08:
        body = ""
        tags.append("empty_body")
        if rng.random() < 0.5:
            m.subject = ""
    subject = m.subject
    if m.request_type and rng.random() < 0.1:
        subject = subject.upper()
        tags.append("caps_subject")
    forward = m.request_type and m.forwardable and m.kind not in ("thanks",) and m.request_type != "status" and rng.random() < 0.13
    if forward:
        return build_forward(rng, c, m, atts, name, addr, subject, body, idx)
    msg = MIMEMultipart("mixed") if atts else None
    tp = text_part(rng, body, tags)
    if msg is None:
        msg = tp
    else:
        msg.attach(tp)
        for a in atts:
            _attach(msg, a)
    headers(rng, msg, c, m, name, addr, subject, idx, tags)
    return msg.as_bytes()


def headers(rng: random.Random, msg, c: Ctx, m: Mail, name: str, addr: str, subject: str, idx: int,
            tags: list[str]) -> None:
    if any(ord(ch) > 127 for ch in name) or rng.random() < 0.1:
        msg["From"] = formataddr((name, addr), charset="utf-8") if name else addr
        if name:
            tags.append("rfc2047_from")
    else:
        msg["From"] = formataddr((name, addr)) if name else addr
    v = rng.random()
    if "bcc" in tags or (m.request_type and v < 0.16):
        msg["To"] = "undisclosed-recipients:;"
        if "bcc" not in tags:
            tags.append("bcc")
    elif v < 0.3:
        msg["To"] = f"{HELPDESK}, {INFO}"
        tags.append("to_both")
    elif v < 0.42:
        msg["To"] = rng.choice([HELPDESK, INFO])
        msg["Cc"] = f"{rng.choice(['kasubag.umum', 'sekretariat', 'ppk.2026'])}@{c.ag.domain}"
    else:
        msg["To"] = rng.choice([HELPDESK, HELPDESK, INFO, f"Helpdesk LPSE Jabar <{HELPDESK}>"])
    if any(ord(ch) > 127 for ch in subject):
        msg["Subject"] = Header(subject, "utf-8").encode()
    else:
        msg["Subject"] = subject
    msg["Date"] = format_datetime(c.date)
    msg["Message-ID"] = f"<{idx:04d}.{rng.getrandbits(48):x}@{addr.split('@')[1]}>"
    if msg["MIME-Version"] is None:
        msg["MIME-Version"] = "1.0"
    for k, val in m.headers.items():
        msg[k] = val
    if "gmail" in addr:
        msg["X-Mailer"] = "Gmail"
    elif rng.random() < 0.3:
        msg["X-Mailer"] = rng.choice(["Microsoft Outlook 16.0", "Zimbra 8.8.15_GA (ZimbraWebClient)", "Roundcube Webmail"])


def build_forward(rng: random.Random, c: Ctx, m: Mail, atts: list[Att], name: str, addr: str, subject: str, body: str,
                  idx: int) -> bytes:
    """A colleague forwards the requester's mail: inline (attachments kept) or as message/rfc822."""
    tags = m.tags
    fwd_name = rng.choice([f"Sekretariat {c.ag.code}", c.signer.split(",")[0], f"Kasubag Umum {c.ag.code}"])
    fwd_addr = f"{rng.choice(['sekretariat', 'tu', 'kasubag.umum'])}@{c.ag.domain}"
    prefix = rng.choice(["Fwd: ", "FW: ", "Fwd: [Penting] ", "Fw: ", "FW: [SEGERA] "])
    if "[" in prefix:
        tags.append("tag_penting")
    note = rng.choice(["Mohon ditindaklanjuti.", "", "Diteruskan permohonan dari pokja kami, mohon bantuannya.",
                       "Yth. Helpdesk, berikut kami teruskan. Terima kasih."])
    outer = MIMEMultipart("mixed")
    if rng.random() < 0.5:
        tags.append("forward_inline")
        fwd_text = (f"{note}\n\n---------- Forwarded message ---------\nDari: {name} <{addr}>\n"
                    f"Date: {DAYS[c.day.weekday()]}, {tgl(c.day)}\nSubject: {subject}\nTo: {fwd_addr}\n\n{body}")
        outer.attach(text_part(rng, fwd_text, tags))
        for a in atts:
            _attach(outer, a)
    else:
        tags.append("forward_rfc822")
        inner = MIMEMultipart("mixed") if atts else plain(body)
        if atts:
            inner.attach(plain(body))
            for a in atts:
                _attach(inner, a)
        inner["From"] = formataddr((name, addr), charset="utf-8")
        inner["To"] = fwd_addr
        inner["Subject"] = Header(subject, "utf-8").encode() if any(ord(ch) > 127 for ch in subject) else subject
        inner["Date"] = format_datetime(c.date - dt.timedelta(hours=rng.randint(1, 20)))
        inner["Message-ID"] = f"<orig.{idx:04d}.{rng.getrandbits(40):x}@{addr.split('@')[1]}>"
        outer.attach(plain(note or "Terlampir."))
        part = MIMEMessage(inner)
        part.add_header("Content-Disposition", "attachment", filename="forwarded message.eml")
        outer.attach(part)
    fm = Mail(m.kind, m.request_type, "", "", headers={}, tags=tags)
    headers(rng, outer, c, fm, fwd_name, fwd_addr, prefix + subject, idx, tags)
    return outer.as_bytes()


def allocate(n: int, rng: random.Random) -> list[str]:
    total = sum(w for _, w, _ in SCENARIOS)
    if n < len(SCENARIOS):
        return rng.choices([k for k, _, _ in SCENARIOS], weights=[w for _, w, _ in SCENARIOS], k=n)
    exact = [(k, w * n / total) for k, w, _ in SCENARIOS]
    counts = {k: max(1, int(x)) for k, x in exact}
    rest = sorted(exact, key=lambda kv: kv[1] - int(kv[1]), reverse=True)
    i = 0
    while sum(counts.values()) < n:
        counts[rest[i % len(rest)][0]] += 1
        i += 1
    while sum(counts.values()) > n:
        big = max(counts, key=counts.get)
        counts[big] -= 1
    out = [k for k, v in counts.items() for _ in range(v)]
    rng.shuffle(out)
    return out


def generate(out: Path, n: int = 250, seed: int = 11, ocr: bool = True) -> list[dict]:
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    fns = {k: f for k, _, f in SCENARIOS}
    labels = []
    start = dt.datetime(2026, 11, 16, 7, 0, tzinfo=WIB)
    machine_i = 0
    for idx, key in enumerate(allocate(n, rng), 1):
        mrng = random.Random(f"{seed}:{idx}")
        when = start + dt.timedelta(minutes=mrng.randint(0, 15 * 24 * 60))
        c = new_ctx(mrng, when)
        if key == "machine":
            m = sc_machine(c, machine_i)
            machine_i += 1
        else:
            m = fns[key](c)
        if m.raw is not None:
            raw, present = m.raw, []
        else:
            fmt = None
            if m.docs and all(d.label == "screenshot" for d in m.docs):
                atts = [Att(file_name(mrng, "png", m.docs, c)[0], render_png(m.docs, mrng), "image/png")] if ocr else []
                if not ocr:
                    m.tags.remove("screenshot")
                    m.docs = []
            elif "force_combine" in m.tags:
                m.tags.remove("force_combine")
                fmt = mrng.choice(["scan_pdf", "scan_pdf", "text_pdf"]) if ocr else "text_pdf"
                atts = [Att(file_name(mrng, "pdf", m.docs, c)[0], render_scan_pdf(m.docs, mrng) if fmt == "scan_pdf"
                            else render_text_pdf(m.docs, c.date), "application/pdf")]
                m.tags += [fmt, f"multi_doc_{fmt}"]
            else:
                atts = package(mrng, c, m.docs, ocr, m.tags, fmt)
            present = sorted({d.doc_id for d in m.docs if d.doc_id})
            raw = build(mrng, c, m, atts + m.extra_atts, idx, seed)
        name = f"{idx:04d}-{m.kind.replace('_', '-')}.eml"
        (out / name).write_bytes(raw)
        rt = m.request_type
        missing = [d for d in REQUIRED.get(rt or "", []) if d not in present] if rt else []
        if rt == "sub_agency":
            missing = []
        kode = m.kode if rt in TENDER_TYPES else None
        labels.append({"file": name, "request_type": rt, "documents": present, "missing": missing,
                       "kode_tender": kode, "suppress": m.suppress, "kind": m.kind, "tags": sorted(set(m.tags)),
                       "notes": "; ".join(m.notes + [f"{d.label}" for d in m.docs])})
    with open(out / "labels.jsonl", "w") as fh:
        for lab in labels:
            fh.write(json.dumps(lab, ensure_ascii=False) + "\n")
    with open(out / "labels.tsv", "w") as fh:
        fh.write("path\trequest_type\tmissing\tnote\n")
        for lab in labels:
            fh.write(f"{lab['file']}\t{lab['request_type'] or '(none)'}\t{','.join(lab['missing'])}\t{lab['kind']}\n")
    return labels


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True, help="directory to write into (use /tmp)")
    ap.add_argument("--n", type=int, default=250)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--no-ocr", action="store_true", help="text PDFs and DOCX only: no scans, no photos")
    a = ap.parse_args()
    labels = generate(a.out, a.n, a.seed, not a.no_ocr)
    kinds = collections.Counter(lab["kind"] for lab in labels)
    tags = collections.Counter(t for lab in labels for t in lab["tags"])
    print(f"wrote {len(labels)} mails to {a.out}")
    print("kinds: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    print("tags:  " + ", ".join(f"{k} {v}" for k, v in sorted(tags.items())))


if __name__ == "__main__":
    main()

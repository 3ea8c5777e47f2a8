"""A second held-out, independently written labelled mail corpus for helpdesk-bot (issue 11, Build 5).

    python3 bench/indep2_corpus.py --out /tmp/indep2 --n 250 --seed 7 [--no-ocr]
    PYTHONPATH=$PWD python3 bench/score_indep.py --dir /tmp/indep2

Written from /work/shared/DOMAIN.md and issue 11 only, without reading the recogniser, its rules,
forms, templates or the other corpus generators: it is a measure, never a tuning set. It writes N
`.eml` files and `labels.jsonl` (one JSON object per mail: file, kind, tags, request_type (null =
must not be answered), missing (required document ids not attached), kode_tender (or null),
suppress, documents (ids of the documents really attached)), the format bench/score_indep.py reads.

What it covers, with varied phrasing, layout and sender behaviour:
- every request type of DOMAIN.md, its documents as text PDF (fpdf2 and reportlab), DOCX (tables,
  tab stops, page breaks), scanned PDF and phone photo (rendered text with rotation, noise, blur,
  stamps; left out with --no-ocr), ZIP, forwarded message/rfc822; several documents in one file;
  cover letters that name enclosures they do not carry; forms filled in different ways;
- Bcc'd requests (`To: undisclosed-recipients:;`), `Fwd: [Penting]` forwards, thank-you mails in
  a thread, vendors asking about their own SPSE account, vague and precise status questions;
- mail never to be answered: unsolicited offers (loans, SBU/SKK, SEO, web design, goods),
  newsletters, auto-replies and bounces.

Label choices where DOMAIN.md is silent: a thank-you or confirmation is `lainnya` (person mail,
no request, no documents); a vendor's own account problem is `lainnya`; an offer is suppressed.
Everything is deterministic per seed (fixed dates in PDFs, DOCX and ZIP members, MIME boundaries).
"""

from __future__ import annotations

import argparse
import base64
import email
import datetime as dt
import hashlib
import io
import json
import random
import zipfile
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

WIB = dt.timezone(dt.timedelta(hours=7))
FIXED = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.timezone.utc)
HELPDESK = "helpdesk@lpse.jabarprov.go.id"
INFO = "info@lpse.jabarprov.go.id"
FONT_DIR = Path("/usr/share/fonts/truetype")

REQUIRED = {
    "ubah_jadwal": ["formulir_ubah_jadwal"],
    "uji_forensik": ["formulir_uji_forensik", "berita_acara_uji_forensik"],
    "perbaikan_aplikasi": ["formulir_perbaikan_aplikasi"],
    "reset_password": ["surat_permohonan_reset_password", "sk_admin_agency"],
    "penggantian_admin": ["surat_permohonan_penggantian_admin", "sk_admin_agency"],
    "bergabung": ["surat_permohonan_bergabung", "surat_permohonan_pelatihan", "sk_admin_agency", "sla"],
    "admin_tambahan": ["sk_admin_agency"],
    "sub_agency": [],
    "permintaan_data": ["surat_permohonan_data"],
    "bimtek": [],
    "gangguan": [],
    "status": [],
    "lainnya": [],
}
DOC_NAMES = {
    "formulir_ubah_jadwal": "Formulir Permintaan Ubah Jadwal",
    "formulir_uji_forensik": "Formulir Permintaan Uji Forensik",
    "berita_acara_uji_forensik": "Berita Acara Uji Forensik",
    "formulir_perbaikan_aplikasi": "Formulir Permintaan Perbaikan Aplikasi",
    "surat_permohonan_reset_password": "Surat Permohonan Reset Password Administrator Agency",
    "sk_admin_agency": "Surat Keputusan Penunjukan Administrator Agency",
    "surat_permohonan_penggantian_admin": "Surat Permohonan Penggantian Personil Administrator Agency",
    "surat_permohonan_bergabung": "Surat Permohonan Bergabung dengan LPSE Provinsi Jawa Barat",
    "surat_permohonan_pelatihan": "Surat Permohonan Pelatihan Administrator Agency dan Pokja",
    "sla": "Service Level Agreement",
    "surat_permohonan_data": "Surat Permohonan Data",
}

# --------------------------------------------------------------------------- people and places

AGENCIES = [
    ("PEMERINTAH KABUPATEN GARUT", "SEKRETARIAT DAERAH - BAGIAN PENGADAAN BARANG DAN JASA", "Kabupaten Garut", "garutkab.go.id", "Jl. Pembangunan No. 181 Tarogong Kidul, Garut", "Garut"),
    ("PEMERINTAH KABUPATEN SUMEDANG", "UNIT KERJA PENGADAAN BARANG/JASA", "Kabupaten Sumedang", "sumedangkab.go.id", "Jl. Prabu Geusan Ulun No. 36 Sumedang", "Sumedang"),
    ("PEMERINTAH KOTA BANJAR", "BAGIAN PENGADAAN BARANG/JASA SETDA", "Kota Banjar", "banjarkota.go.id", "Jl. Siliwangi No. 1 Banjar", "Banjar"),
    ("PEMERINTAH KABUPATEN PANGANDARAN", "SEKRETARIAT DAERAH", "Kabupaten Pangandaran", "pangandarankab.go.id", "Jl. Merdeka No. 1 Parigi, Pangandaran", "Pangandaran"),
    ("PEMERINTAH DAERAH PROVINSI JAWA BARAT", "DINAS PENDIDIKAN", "Dinas Pendidikan Provinsi Jawa Barat", "disdik.jabarprov.go.id", "Jl. Dr. Radjiman No. 6 Bandung", "Bandung"),
    ("PEMERINTAH DAERAH PROVINSI JAWA BARAT", "DINAS BINA MARGA DAN PENATAAN RUANG", "DBMPR Provinsi Jawa Barat", "dbmtr.jabarprov.go.id", "Jl. Asia Afrika No. 79 Bandung", "Bandung"),
    ("PEMERINTAH DAERAH PROVINSI JAWA BARAT", "RUMAH SAKIT UMUM DAERAH AL IHSAN", "RSUD Al Ihsan", "rsudalihsan.jabarprov.go.id", "Jl. Kiastramanggala, Baleendah, Kab. Bandung", "Bandung"),
    ("PEMERINTAH DAERAH PROVINSI JAWA BARAT", "BADAN PENANGGULANGAN BENCANA DAERAH", "BPBD Provinsi Jawa Barat", "bpbd.jabarprov.go.id", "Jl. Soekarno-Hatta No. 629 Bandung", "Bandung"),
    ("KEMENTERIAN AGAMA REPUBLIK INDONESIA", "KANTOR WILAYAH PROVINSI JAWA BARAT", "Kanwil Kemenag Jawa Barat", "kemenag.go.id", "Jl. Jenderal Sudirman No. 644 Bandung", "Bandung"),
    ("PERUMDA AIR MINUM TIRTA RAHARJA", "BAGIAN PENGADAAN", "Perumda Tirta Raharja", "tirtaraharja.co.id", "Jl. Ciparay No. 1 Soreang", "Soreang"),
    ("POLITEKNIK NEGERI BANDUNG", "UNIT KERJA PENGADAAN BARANG/JASA", "Politeknik Negeri Bandung", "polban.ac.id", "Jl. Gegerkalong Hilir, Ciwaruga, Bandung Barat", "Bandung"),
    ("PEMERINTAH KABUPATEN KUNINGAN", "DINAS KESEHATAN", "Dinas Kesehatan Kab. Kuningan", "kuningankab.go.id", "Jl. RE Martadinata No. 1 Kuningan", "Kuningan"),
]
FIRST = ["Asep", "Dede", "Rina", "Yayan", "Siti", "Ujang", "Neng", "Hendra", "Dian", "Ai", "Agus", "Tatang",
         "Euis", "Ridwan", "Wawan", "Lilis", "Iwan", "Yuyun", "Cecep", "Nining", "Budi", "Rudi", "Teti", "Hadi"]
LAST = ["Saepudin", "Kurniawan", "Marlina", "Sofyan", "Nurhasanah", "Rahmat", "Ratnasari", "Gunawan", "Permana",
        "Rohmawati", "Setiawan", "Sutarman", "Komalasari", "Hidayat", "Hermawan", "Suryani", "Mulyana", "Sumarni"]
TITLES_PRE = ["", "", "", "Ir. ", "Drs. ", "H. ", "Hj. "]
TITLES_POST = ["S.T.", "S.E., M.M.", "S.Kom.", "S.H.", "S.Sos., M.Si.", "S.T., M.T.", "A.Md.", "S.IP."]
PAKETS = ["Pembangunan Gedung Puskesmas Cikajang", "Rehabilitasi Jalan Ruas Cibatu - Limbangan",
          "Pengadaan Alat Kesehatan Ruang Operasi", "Belanja Modal Komputer dan Jaringan",
          "Jasa Konsultansi Perencanaan Jembatan Cikaso", "Pemeliharaan Berkala Jalan Ruas Sumedang - Cijelag",
          "Pembangunan Jaringan Irigasi D.I. Cikeusik", "Pengadaan Meubelair Sekolah SMA Negeri",
          "Konstruksi Saluran Drainase Kawasan Alun-alun", "Pengadaan Mobil Ambulans Desa",
          "Rehabilitasi Ruang Kelas SMKN 2 Pangandaran", "Jasa Pengawasan Pembangunan Pasar Rakyat",
          "Pengadaan Obat dan Bahan Medis Habis Pakai", "Penggantian Pipa Transmisi Distribusi Zona 3"]
TAHAPAN = [("Upload Dokumen Penawaran", "upload penawaran"), ("Pembukaan Dokumen Penawaran", "pembukaan dok. penawaran"),
           ("Evaluasi Administrasi, Kualifikasi, Teknis dan Harga", "evaluasi penawaran"),
           ("Pembuktian Kualifikasi", "pembuktian kualifikasi"), ("Penetapan Pemenang", "penetapan pemenang"),
           ("Pengumuman Pemenang", "pengumuman pemenang"), ("Masa Sanggah", "masa sanggah"),
           ("Pemberian Penjelasan", "aanwijzing / pemberian penjelasan"),
           ("Download Dokumen Pemilihan", "download dokumen pemilihan")]
MONTHS = ["", "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember"]
DAYS = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
VENDORS = ["CV. Karya Mandiri Sejahtera", "PT. Bumi Parahyangan Konstruksi", "CV. Sinar Galunggung", "PT. Mitra Medika Utama",
           "CV. Tirta Jaya Abadi", "PT. Priangan Cipta Persada", "CV. Rizki Barokah", "PT. Sarana Teknik Nusantara"]


@dataclass
class Person:
    name: str
    nip: str
    phone: str
    email: str
    jabatan: str


@dataclass
class Ctx:
    """Everything one mail is about: who writes, for which agency, which tender."""
    rng: random.Random
    agency: tuple
    sender: Person
    admin: Person
    admin_old: Person
    head: Person
    kode: str
    rup: str
    paket: str
    vendor: str
    when: dt.datetime
    nomor: str
    pokja: str


def _nip(rng: random.Random) -> str:
    y = rng.randint(1966, 1996)
    birth = f"{y}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    appt = f"{min(y + rng.randint(22, 30), 2024)}{rng.randint(1, 12):02d}"
    return f"{birth}{appt}{rng.choice('12')}{rng.randint(1, 9):03d}"


def fmt_nip(rng: random.Random, nip: str) -> str:
    return rng.choice([nip, f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}", f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}"])


def _phone(rng: random.Random) -> str:
    body = f"8{rng.choice(['12', '13', '21', '22', '52', '57', '77', '78', '95', '96'])}{rng.randint(1000000, 99999999)}"
    return rng.choice([f"0{body}", f"0{body[:3]}-{body[3:7]}-{body[7:]}", f"+62 {body[:3]} {body[3:7]} {body[7:]}"])


def _person(rng: random.Random, domain: str, jabatan: str) -> Person:
    f, la = rng.choice(FIRST), rng.choice(LAST)
    name = f"{rng.choice(TITLES_PRE)}{f} {la}, {rng.choice(TITLES_POST)}"
    local = rng.choice([f"{f}.{la}".lower(), f"{f.lower()}{la.lower()[:3]}{rng.randint(1, 99)}", f"{f.lower()}_{la.lower()}"])
    email = rng.choice([f"{local}@{domain}", f"{local}@gmail.com", f"{local}@yahoo.co.id", f"{local}@gmail.com"])
    return Person(name, _nip(rng), _phone(rng), email, jabatan)


def make_ctx(rng: random.Random) -> Ctx:
    ag = rng.choice(AGENCIES)
    dom = ag[3]
    kode = str(rng.randint(10000, 99999)) + "064" if rng.random() < 0.7 else str(rng.randint(1000000, 99999999)) + "064"
    day = rng.randint(2, 30)
    when = dt.datetime(2026, 11, day, rng.randint(6, 20), rng.randint(0, 59), rng.randint(0, 59), tzinfo=WIB)
    nomor = rng.choice([f"027/{rng.randint(100, 999)}/UKPBJ/{when.year}", f"800/{rng.randint(10, 999)}-Sekr/{when.year}",
                        f"B-{rng.randint(1000, 9999)}/Kw.10/KU.01/11/{when.year}", f"{rng.randint(1, 300)}/PBJ/XI/{when.year}"])
    return Ctx(rng, ag,
               _person(rng, dom, rng.choice(["Anggota Pokja Pemilihan", "Ketua Pokja Pemilihan", "PPK", "Pengelola Pengadaan"])),
               _person(rng, dom, "Administrator Agency"), _person(rng, dom, "Administrator Agency"),
               _person(rng, dom, rng.choice(["Kepala Dinas", "Kepala Bagian Pengadaan Barang/Jasa", "Sekretaris Daerah", "Direktur"])),
               kode, str(rng.randint(20000000, 59999999)), rng.choice(PAKETS), rng.choice(VENDORS), when, nomor,
               f"Pokja Pemilihan {rng.randint(1, 40)}")


def tgl(d: dt.datetime, with_day: bool = True) -> str:
    s = f"{d.day} {MONTHS[d.month]} {d.year}"
    return f"{DAYS[d.weekday()]}, {s}" if with_day else s


def jam(d: dt.datetime, rng: random.Random) -> str:
    return rng.choice([f"{d:%H.%M} WIB", f"{d:%H:%M}", f"pukul {d:%H.%M} WIB"])


# --------------------------------------------------------------------------- documents as blocks
# A document is a list of pages; a page is a list of blocks:
#   ("h", text) heading, ("c", text) centred, ("p", text) paragraph, ("kv", key, value) a form field,
#   ("table", [rows]) a grid, ("sig", [lines]) signature block on the right, ("sp",) blank line.

def kop(c: Ctx) -> list:
    ag = c.agency
    return [("c", ag[0]), ("h", ag[1]), ("c", ag[4]), ("hr",)]


def signature(c: Ctx, p: Person, place_date: bool = True) -> tuple:
    r = c.rng
    lines = ([f"{c.agency[5]}, {tgl(c.when, False)}"] if place_date else []) + [p.jabatan + ",", "", "(ttd)" if r.random() < 0.4 else "", "", p.name, f"NIP. {fmt_nip(r, p.nip)}"]
    return ("sig", lines)


def kv_fields(c: Ctx, items: list[tuple[str, str]]) -> list:
    """Forms are filled in several ways: 'Key : value', a two-column table, or the value below."""
    style = c.rng.choice(["kv", "kv", "table", "below", "numbered"])
    if style == "table":
        return [("table", [[k, v] for k, v in items])]
    if style == "below":
        out = []
        for k, v in items:
            out += [("p", k + ":"), ("p", "   " + v)]
        return out
    if style == "numbered":
        return [("kv", f"{i}. {k}", v) for i, (k, v) in enumerate(items, 1)]
    return [("kv", k, v) for k, v in items]


def kode_label(r: random.Random) -> str:
    return r.choice(["Kode Tender", "Kode Tender", "Kode Lelang", "Kode Paket", "ID Tender", "Kode Tender/Paket"])


def doc_ubah_jadwal(c: Ctx) -> list:
    r = c.rng
    t, loose = r.choice(TAHAPAN)
    semula = c.when - dt.timedelta(days=r.randint(0, 2))
    baru = c.when + dt.timedelta(days=r.randint(2, 7))
    title = r.choice(["FORMULIR PERMINTAAN UBAH JADWAL", "FORMULIR PERMINTAAN PERUBAHAN JADWAL",
                      "FORMULIR PERMINTAAN UBAH JADWAL TENDER", "FORM PERMINTAAN PERUBAHAN JADWAL PEMILIHAN"])
    fields = [(kode_label(r), c.kode), ("Kode RUP", c.rup), ("Nama Paket", c.paket), ("Satuan Kerja", c.agency[2]),
              ("Pokja Pemilihan", c.pokja), ("Tahapan", r.choice([t, loose.title()]))]
    if r.random() < 0.3:
        fields.pop(1)
    blocks = kop(c) if r.random() < 0.5 else []
    blocks += [("h", title), ("c", "LPSE PROVINSI JAWA BARAT"), ("sp",)] + kv_fields(c, fields) + [("sp",)]
    blocks += [("table", [["Tahapan", "Jadwal Semula", "Jadwal Perubahan"],
                          [t, f"{semula:%d-%m-%Y} {semula:%H:%M} s.d. {semula:%d-%m-%Y} 15:00",
                           f"{baru:%d-%m-%Y} 08:00 s.d. {baru:%d-%m-%Y} 16:00"]])]
    blocks += [("kv", "Alasan Perubahan", r.choice([
        "Terdapat kendala server sehingga peserta tidak dapat mengunggah dokumen penawaran.",
        "Pokja belum menyelesaikan evaluasi karena jumlah peserta banyak.",
        "Terdapat adendum dokumen pemilihan sehingga waktu penyiapan penawaran perlu ditambah.",
        "Anggota Pokja sedang dinas luar sehingga tahapan tidak dapat dilaksanakan tepat waktu."]))]
    if r.random() < 0.25:   # an old SOP: the form asks for the Pokja's credentials
        blocks += [("kv", "User ID Pokja", f"pokja{r.randint(10, 99)}{c.agency[3].split('.')[0]}"), ("kv", "Password", "********")]
    blocks += [("kv", "Kontak (HP)", c.sender.phone), ("sp",), signature(c, c.sender)]
    return [blocks]


def doc_uji_forensik(c: Ctx) -> list:
    r = c.rng
    title = r.choice(["FORMULIR PERMINTAAN UJI FORENSIK", "FORMULIR PERMINTAAN UJI FORENSIK FILE PENAWARAN",
                      "FORMULIR PERMOHONAN UJI FORENSIK"])
    fields = [(kode_label(r), c.kode), ("Nama Paket", c.paket), ("Satuan Kerja", c.agency[2]), ("Pokja", c.pokja),
              ("Nama Peserta", c.vendor), ("Nama File", f"{c.vendor.split()[1].lower()}_penawaran.rhs"),
              ("Keterangan", r.choice(["File penawaran tidak dapat dibuka (gagal dekripsi)",
                                       "Muncul pesan 'file corrupt' saat dibuka dengan Apendo",
                                       "Ukuran file 0 KB dan tidak dapat di-dekripsi"]))]
    blocks = [("h", title), ("sp",)] + kv_fields(c, fields) + [("sp",), ("p", "Demikian permintaan ini kami sampaikan untuk dapat ditindaklanjuti."), signature(c, c.sender)]
    return [(kop(c) if r.random() < 0.4 else []) + blocks]


def doc_ba_forensik(c: Ctx) -> list:
    r = c.rng
    title = r.choice(["BERITA ACARA UJI FORENSIK", "BERITA ACARA PERMINTAAN UJI FORENSIK",
                      "BERITA ACARA UJI FORENSIK DOKUMEN PENAWARAN"])
    members = [_person(r, c.agency[3], "Anggota") for _ in range(r.choice([3, 5]))]
    blocks = kop(c) + [("h", title), ("c", f"Nomor: BA.{r.randint(10, 99)}/{c.pokja.replace(' ', '')}/{c.when.year}"), ("sp",),
                       ("p", f"Pada hari ini {DAYS[c.when.weekday()]} tanggal {tgl(c.when, False)}, kami {c.pokja} {c.agency[2]} "
                             f"yang ditetapkan dengan Keputusan Kepala UKPBJ, telah melaksanakan pembukaan dokumen penawaran "
                             f"untuk paket {c.paket} dengan kode tender {c.kode}."),
                       ("p", f"Dokumen penawaran dari peserta {c.vendor} tidak dapat dibuka/didekripsi, sehingga Pokja "
                             "memerlukan uji forensik oleh LPSE Provinsi Jawa Barat."),
                       ("p", "Demikian Berita Acara ini dibuat untuk dipergunakan sebagaimana mestinya."), ("sp",),
                       ("table", [["No", "Nama", "Jabatan", "Tanda Tangan"]] +
                        [[str(i), m.name, "Ketua" if i == 1 else "Anggota", "......"] for i, m in enumerate(members, 1)])]
    return [blocks]


def doc_perbaikan(c: Ctx) -> list:
    r = c.rng
    t, _ = r.choice(TAHAPAN)
    title = r.choice(["FORMULIR PERMINTAAN PERBAIKAN APLIKASI", "FORMULIR PERMINTAAN PERBAIKAN DATA",
                      "FORMULIR PERMINTAAN PERBAIKAN DATA APLIKASI SPSE"])
    wrong, right = r.choice([("HPS Rp 1.250.000.000", "HPS Rp 1.520.000.000"),
                             ("Metode evaluasi: Harga Terendah Sistem Gugur", "Metode evaluasi: Kualitas dan Biaya"),
                             ("Jenis kontrak: Lumsum", "Jenis kontrak: Harga Satuan"),
                             (f"Nama pemenang: {VENDORS[0]}", f"Nama pemenang: {VENDORS[1]}"),
                             ("Kualifikasi usaha: Kecil", "Kualifikasi usaha: Non Kecil")])
    fields = [(kode_label(r), c.kode), ("Nama Paket", c.paket), ("Tahapan", t), ("Data Tertulis", wrong),
              ("Data Seharusnya", right), ("Alasan Perbaikan", "Kesalahan input oleh Pokja Pemilihan")]
    return [(kop(c) if r.random() < 0.5 else []) + [("h", title), ("sp",)] + kv_fields(c, fields) + [("sp",), signature(c, c.sender)]]


def letter(c: Ctx, perihal: str, body: list[str], lampiran: str = "-", heading: str | None = None,
           signer: Person | None = None) -> list:
    """An Indonesian official letter: kop, Nomor/Sifat/Lampiran/Hal, Yth., body, signature."""
    r = c.rng
    hal = r.choice(["Perihal", "Hal", "Perihal"])
    blocks = kop(c) + [("p", f"{c.agency[5]}, {tgl(c.when, False)}")]
    blocks += [("kv", "Nomor", c.nomor), ("kv", "Sifat", r.choice(["Penting", "Biasa", "Segera"])),
               ("kv", "Lampiran", lampiran), ("kv", hal, perihal), ("sp",)]
    if heading:
        blocks += [("h", heading), ("sp",)]
    blocks += [("p", r.choice(["Yth. Kepala LPSE Provinsi Jawa Barat", "Kepada Yth. Kepala UPTD LPSE Provinsi Jawa Barat",
                               "Yth. Kepala Biro Pengadaan Barang dan Jasa Setda Provinsi Jawa Barat"])),
               ("p", "di Bandung"), ("sp",), ("p", "Dengan hormat,")]
    blocks += [("p", b) for b in body]
    blocks += [("p", "Demikian permohonan ini kami sampaikan, atas perhatian dan kerja sama Bapak/Ibu kami ucapkan terima kasih."),
               ("sp",), signature(c, signer or c.head, place_date=False)]
    return [blocks]


def admin_lines(p: Person, r: random.Random) -> list[str]:
    return [f"Nama Lengkap : {p.name}", f"NIP : {fmt_nip(r, p.nip)}", f"No. Telepon/HP : {p.phone}", f"Email : {p.email}"]


def enclosure_sentence(c: Ctx, names: list[str]) -> str:
    if not names:
        return ""
    s = ", ".join(names)
    return c.rng.choice([f"Sebagai bahan pertimbangan, bersama ini kami lampirkan {s}.",
                         f"Bersama ini kami lampirkan pula {s}.",
                         f"Sebagai kelengkapan, terlampir kami sampaikan {s}."])


def doc_reset(c: Ctx) -> list:
    r = c.rng
    body = [f"Sehubungan dengan lupa/terblokirnya password akun Administrator Agency {c.agency[2]} pada aplikasi SPSE "
            "LPSE Provinsi Jawa Barat, dengan ini kami mengajukan permohonan reset password Administrator Agency atas nama:"]
    body += admin_lines(c.admin, r)
    body += [enclosure_sentence(c, ["Surat Keputusan tentang Penunjukan Administrator Agency"])]
    heading = "SURAT PERMOHONAN RESET PASSWORD ADMINISTRATOR AGENCY" if r.random() < 0.4 else None
    return letter(c, r.choice(["Permohonan Reset Password Administrator Agency", "Permohonan Reset Password Admin Agency SPSE",
                               "Reset Password Administrator Agency"]), body,
                  r.choice(["1 (satu) berkas", "1 (satu) lembar SK", "Salinan SK Admin Agency"]), heading)


def doc_penggantian(c: Ctx) -> list:
    r = c.rng
    body = [f"Sehubungan dengan mutasi/pindah tugas Sdr. {c.admin_old.name} (NIP. {c.admin_old.nip}) selaku Administrator "
            f"Agency {c.agency[2]}, dengan ini kami mengajukan permohonan penggantian personil Administrator Agency kepada:"]
    body += admin_lines(c.admin, r)
    body += [enclosure_sentence(c, ["Surat Keputusan Penunjukan Administrator Agency yang baru"])]
    heading = "SURAT PERMOHONAN PENGGANTIAN PERSONIL ADMINISTRATOR AGENCY" if r.random() < 0.4 else None
    return letter(c, r.choice(["Permohonan Penggantian Personil Administrator Agency", "Penggantian Administrator Agency SPSE",
                               "Permohonan Penggantian Admin Agency"]), body, "1 (satu) berkas", heading)


def doc_bergabung(c: Ctx) -> list:
    r = c.rng
    body = [f"Dalam rangka pelaksanaan pengadaan barang/jasa secara elektronik di lingkungan {c.agency[2]}, dengan ini "
            "kami mengajukan permohonan untuk bergabung dan menggunakan layanan LPSE Provinsi Jawa Barat.",
            enclosure_sentence(c, ["Surat Permohonan Pelatihan", "SK Penunjukan Administrator Agency",
                                   "Service Level Agreement (SLA) yang telah ditandatangani"])]
    heading = "SURAT PERMOHONAN BERGABUNG DENGAN LPSE PROVINSI JAWA BARAT" if r.random() < 0.4 else None
    return letter(c, r.choice(["Permohonan Bergabung dengan LPSE Provinsi Jawa Barat", "Permohonan Menjadi Agency LPSE Provinsi Jawa Barat",
                               "Permohonan Bergabung LPSE Prov. Jabar"]), body, "3 (tiga) berkas", heading)


def doc_pelatihan(c: Ctx) -> list:
    r = c.rng
    body = [f"Menindaklanjuti permohonan bergabung {c.agency[2]} dengan LPSE Provinsi Jawa Barat, dengan ini kami mohon "
            "dapat diselenggarakan pelatihan/bimbingan teknis SPSE bagi Administrator Agency dan Pokja Pemilihan kami, "
            f"sebanyak {r.randint(3, 15)} orang, dengan daftar peserta terlampir."]
    return letter(c, r.choice(["Permohonan Pelatihan Administrator Agency dan Pokja", "Permohonan Pelatihan SPSE bagi Admin Agency dan Pokja Pemilihan"]),
                  body, "1 (satu) lembar daftar peserta",
                  "SURAT PERMOHONAN PELATIHAN" if r.random() < 0.3 else None)


def doc_sk(c: Ctx) -> list:
    r = c.rng
    who = c.head.jabatan.upper()
    verb = r.choice(["PENUNJUKAN", "PENGANGKATAN", "PENETAPAN"])
    blocks = [("h", r.choice(["KEPUTUSAN", "SURAT KEPUTUSAN"]) + f" {who} {c.agency[2].upper()}"),
              ("c", f"NOMOR: {r.randint(1, 999)}/KEP.{r.randint(10, 99)}-{r.choice(['UKPBJ', 'SETDA', 'DIR', 'ORG'])}/{c.when.year}"),
              ("sp",), ("c", "TENTANG"),
              ("h", f"{verb} ADMINISTRATOR AGENCY LAYANAN PENGADAAN SECARA ELEKTRONIK (LPSE)"),
              ("sp",), ("c", f"{who},"),
              ("kv", "Menimbang", "a. bahwa dalam rangka pelaksanaan pengadaan barang/jasa secara elektronik perlu ditunjuk "
                                  "Administrator Agency; b. bahwa yang namanya tercantum dalam keputusan ini dipandang mampu;"),
              ("kv", "Mengingat", "1. Peraturan Presiden Nomor 16 Tahun 2018 sebagaimana telah diubah dengan Peraturan "
                                  "Presiden Nomor 12 Tahun 2021; 2. Peraturan LKPP tentang Layanan Pengadaan Secara Elektronik;"),
              ("c", "MEMUTUSKAN:"),
              ("kv", "Menetapkan", f"KEPUTUSAN TENTANG {verb} ADMINISTRATOR AGENCY."),
              ("kv", "KESATU", "Menunjuk Saudara yang namanya tercantum di bawah ini sebagai Administrator Agency:")]
    blocks += [("p", "    " + ln) for ln in admin_lines(c.admin, r)]
    blocks += [("kv", "KEDUA", "Administrator Agency bertugas mengelola akun Pokja Pemilihan dan PPK pada SPSE."),
               ("kv", "KETIGA", "Keputusan ini mulai berlaku pada tanggal ditetapkan."), ("sp",),
               ("sig", [f"Ditetapkan di {c.agency[5]}", f"pada tanggal {tgl(c.when - dt.timedelta(days=r.randint(3, 30)), False)}",
                        c.head.jabatan.upper() + ",", "", "", c.head.name, f"NIP. {fmt_nip(r, c.head.nip)}"])]
    return [blocks]


def doc_sla(c: Ctx) -> list:
    r = c.rng
    p1 = [("h", "SERVICE LEVEL AGREEMENT (SLA)"), ("c", "ANTARA"), ("c", "LPSE PROVINSI JAWA BARAT"), ("c", "DENGAN"),
          ("c", c.agency[2].upper()), ("c", f"NOMOR: {r.randint(100, 999)}/SLA-LPSE/{c.when.year}"), ("sp",),
          ("p", f"Pada hari ini, {tgl(c.when)}, yang bertanda tangan di bawah ini sepakat mengikatkan diri dalam "
                "perjanjian tingkat layanan penggunaan Sistem Pengadaan Secara Elektronik (SPSE)."),
          ("h", "BAB I  KETENTUAN UMUM"),
          ("p", "Perjanjian ini mengatur layanan yang diberikan LPSE Provinsi Jawa Barat kepada Agency, termasuk "
                "registrasi, pelatihan, helpdesk, ubah jadwal dan uji forensik.")]
    p2 = [("h", "BAB II  HAK DAN KEWAJIBAN"),
          ("p", "LPSE memproses permintaan ubah jadwal pada jam kerja. Agency menunjuk Administrator Agency dengan Surat "
                "Keputusan dan mengikutsertakan Administrator Agency serta Pokja dalam bimbingan teknis."),
          ("h", "BAB III  PENUTUP"), ("p", "Perjanjian ini dibuat dalam rangkap dua, masing-masing bermeterai cukup."),
          ("table", [["PIHAK PERTAMA", "PIHAK KEDUA"], ["Kepala LPSE Provinsi Jawa Barat", c.head.jabatan],
                     ["(ttd)", "(ttd)"], ["", c.head.name]])]
    return [p1, p2]


def doc_data(c: Ctx) -> list:
    r = c.rng
    purpose = r.choice(["pemeriksaan oleh Badan Pemeriksa Keuangan (BPK)", "keperluan audit Inspektorat",
                        "penyusunan laporan realisasi pengadaan", "penanganan sanggah banding"])
    body = [f"Dalam rangka {purpose}, dengan ini kami mohon bantuan LPSE Provinsi Jawa Barat untuk menyediakan data "
            "yang tersimpan dalam SPSE atas paket pengadaan kami sebagai berikut:",
            f"{kode_label(r)} : {c.kode}", f"Nama Paket : {c.paket}",
            "Data yang dimohon : " + r.choice(["log akses dan riwayat perubahan jadwal", "daftar peserta dan waktu upload penawaran",
                                             "berita acara hasil pemilihan dan dokumen penawaran pemenang"])]
    return letter(c, r.choice(["Permohonan Data Paket Pengadaan", "Permohonan Data/Dokumen Paket Pengadaan", "Permohonan Data SPSE"]),
                  body, "-", "SURAT PERMOHONAN DATA" if r.random() < 0.3 else None)


def doc_cover(c: Ctx, rtype: str, enclosed: list[str]) -> list:
    """A Pokja's surat pengantar: not a required document, it names the forms it encloses."""
    what = {"ubah_jadwal": "Permohonan Perubahan Jadwal Tender", "uji_forensik": "Permohonan Uji Forensik",
            "perbaikan_aplikasi": "Permohonan Perbaikan Data Tender"}[rtype]
    body = [f"Bersama ini kami sampaikan {what.lower()} untuk paket {c.paket} (kode tender {c.kode}).",
            enclosure_sentence(c, [DOC_NAMES[d] for d in enclosed])]
    return letter(c, what, body, f"{len(enclosed)} (berkas)", None, c.sender)


def doc_bimtek_letter(c: Ctx) -> list:
    body = [f"Sehubungan dengan adanya pergantian anggota Pokja Pemilihan di lingkungan {c.agency[2]}, kami mohon "
            "kesediaan LPSE Provinsi Jawa Barat untuk memberikan bimbingan teknis penggunaan SPSE versi 4 kepada "
            f"{c.rng.randint(5, 20)} orang anggota Pokja/PPK pada minggu ke-{c.rng.randint(1, 4)} bulan Desember {c.when.year}."]
    return letter(c, c.rng.choice(["Permohonan Bimbingan Teknis SPSE", "Permohonan Bimtek Aplikasi SPSE bagi Pokja Pemilihan"]), body)


def doc_undangan(c: Ctx) -> list:
    body = [f"Mengharap kehadiran Bapak/Ibu pada Rapat Koordinasi Pengadaan Barang/Jasa {c.agency[2]} yang akan "
            f"dilaksanakan pada hari {tgl(c.when + dt.timedelta(days=7))}, pukul 09.00 WIB, bertempat di Aula {c.agency[1].title()}."]
    return letter(c, "Undangan Rapat Koordinasi", body)


def doc_offer(c: Ctx, company: str, topic: str) -> list:
    return [[("h", "COMPANY PROFILE"), ("c", company), ("sp",),
             ("p", f"{company} adalah perusahaan yang bergerak di bidang {topic}, berpengalaman melayani instansi pemerintah "
                   "dan swasta di seluruh Indonesia."),
             ("h", "DAFTAR HARGA / PENAWARAN"),
             ("table", [["Layanan", "Harga"], [topic.title(), "Rp 2.500.000"], ["Paket Premium", "Rp 7.500.000"]]),
             ("p", "Hubungi marketing kami: 0812-2000-1234 (WA).")]]


BUILDERS = {
    "formulir_ubah_jadwal": doc_ubah_jadwal, "formulir_uji_forensik": doc_uji_forensik,
    "berita_acara_uji_forensik": doc_ba_forensik, "formulir_perbaikan_aplikasi": doc_perbaikan,
    "surat_permohonan_reset_password": doc_reset, "sk_admin_agency": doc_sk,
    "surat_permohonan_penggantian_admin": doc_penggantian, "surat_permohonan_bergabung": doc_bergabung,
    "surat_permohonan_pelatihan": doc_pelatihan, "sla": doc_sla, "surat_permohonan_data": doc_data,
}

# --------------------------------------------------------------------------- renderers


def _latin(s: str) -> str:
    return s.encode("latin-1", "replace").decode("latin-1")


def render_fpdf(pages: list[list]) -> bytes:
    from fpdf import FPDF
    pdf = FPDF(format="A4")
    pdf.set_creation_date(FIXED)
    pdf.set_auto_page_break(True, 15)
    pdf.set_margins(20, 15, 20)
    fam = "Times" if hash_str(str(pages)[:200]) % 2 else "Helvetica"
    for page in pages:
        pdf.add_page()
        for b in page:
            kind = b[0]
            if kind == "h":
                pdf.set_font(fam, "B", 12)
                pdf.multi_cell(0, 6, _latin(b[1]), align="C", new_x="LMARGIN", new_y="NEXT")
            elif kind == "c":
                pdf.set_font(fam, "", 11)
                pdf.multi_cell(0, 5.5, _latin(b[1]), align="C", new_x="LMARGIN", new_y="NEXT")
            elif kind == "p":
                pdf.set_font(fam, "", 11)
                pdf.multi_cell(0, 5.5, _latin(b[1]), new_x="LMARGIN", new_y="NEXT")
            elif kind == "kv":
                pdf.set_font(fam, "", 11)
                pdf.cell(45, 5.5, _latin(b[1]))
                pdf.multi_cell(0, 5.5, _latin(": " + b[2]), new_x="LMARGIN", new_y="NEXT")
            elif kind == "table":
                pdf.set_font(fam, "", 9.5)
                with pdf.table(text_align="LEFT", first_row_as_headings=False, line_height=5) as t:
                    for row in b[1]:
                        tr = t.row()
                        for cell in row:
                            tr.cell(_latin(cell))
            elif kind == "sig":
                pdf.set_font(fam, "", 11)
                for ln in b[1]:
                    pdf.set_x(115)
                    pdf.cell(0, 5.5, _latin(ln), new_x="LMARGIN", new_y="NEXT")
            elif kind == "hr":
                pdf.line(20, pdf.get_y() + 1, pdf.w - 20, pdf.get_y() + 1)
                pdf.ln(3)
            else:
                pdf.ln(4)
    return bytes(pdf.output())


def render_reportlab(pages: list[list]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfgen import canvas
    buf = io.BytesIO()
    cv = canvas.Canvas(buf, pagesize=A4, invariant=1)
    W, H = A4
    for page in pages:
        y = H - 50
        def line(txt: str, x: float = 60, font: str = "Times-Roman", size: float = 11, center: bool = False) -> None:
            nonlocal y
            if y < 50:
                cv.showPage()
                y = H - 50
            cv.setFont(font, size)
            (cv.drawCentredString(W / 2, y, txt) if center else cv.drawString(x, y, txt))
            y -= size + 3
        for b in page:
            if b[0] in ("h", "c"):
                for ln in simpleSplit(b[1], "Times-Bold", 12, W - 120):
                    line(ln, font="Times-Bold" if b[0] == "h" else "Times-Roman", size=12 if b[0] == "h" else 11, center=True)
            elif b[0] == "p":
                for ln in simpleSplit(b[1], "Times-Roman", 11, W - 120):
                    line(ln)
            elif b[0] == "kv":
                parts = simpleSplit(b[2], "Times-Roman", 11, W - 240)
                cv.setFont("Times-Roman", 11)
                cv.drawString(60, y, b[1])
                cv.drawString(180, y, ":")
                for i, ln in enumerate(parts or [""]):
                    line(ln, x=190)
            elif b[0] == "table":
                ncol = max(len(row) for row in b[1])
                w = (W - 120) / ncol
                for row in b[1]:
                    cv.setFont("Times-Roman", 9)
                    cells = [simpleSplit(cell, "Times-Roman", 9, w - 6) or [""] for cell in row]
                    h = 11 * max(len(x) for x in cells) + 4
                    if y - h < 50:
                        cv.showPage()
                        y = H - 50
                        cv.setFont("Times-Roman", 9)
                    for i, lines in enumerate(cells):
                        cv.rect(60 + i * w, y - h + 11, w, h)
                        for j, ln in enumerate(lines):
                            cv.drawString(63 + i * w, y - 11 * j, ln)
                    y -= h
            elif b[0] == "sig":
                for ln in b[1]:
                    line(ln, x=W / 2 + 40)
            elif b[0] == "hr":
                cv.line(60, y + 6, W - 60, y + 6)
                y -= 6
            else:
                y -= 10
        cv.showPage()
    cv.save()
    return buf.getvalue()


def _fixed_zip(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(zipfile.ZipInfo(name, date_time=(2026, 11, 20, 9, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def render_docx(pages: list[list], rng: random.Random) -> bytes:
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    d = docx.Document()
    d.core_properties.created = FIXED.replace(tzinfo=None)
    d.core_properties.modified = FIXED.replace(tzinfo=None)
    d.core_properties.author = "user"
    tabs = rng.random() < 0.5
    for pi, page in enumerate(pages):
        if pi:
            d.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        for b in page:
            if b[0] in ("h", "c"):
                p = d.add_paragraph()
                run = p.add_run(b[1])
                run.bold = b[0] == "h"
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            elif b[0] == "p":
                d.add_paragraph(b[1])
            elif b[0] == "kv":
                d.add_paragraph(f"{b[1]}\t: {b[2]}" if tabs else f"{b[1]} : {b[2]}")
            elif b[0] == "table":
                t = d.add_table(rows=0, cols=max(len(r) for r in b[1]))
                t.style = "Table Grid"
                for row in b[1]:
                    cells = t.add_row().cells
                    for i, v in enumerate(row):
                        cells[i].text = v
            elif b[0] == "sig":
                for ln in b[1]:
                    p = d.add_paragraph(ln)
                    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            elif b[0] == "hr":
                d.add_paragraph("_" * 60)
            else:
                d.add_paragraph("")
    buf = io.BytesIO()
    d.save(buf)
    zin = zipfile.ZipFile(io.BytesIO(buf.getvalue()))   # python-docx stamps members with the wall clock
    return _fixed_zip([(i.filename, zin.read(i.filename)) for i in zin.infolist()])


def _font(size: int, bold: bool = False, serif: bool = True):
    """DejaVu Serif, or Liberation Sans (Debian fonts-liberation; .ci/run installs it, so the
    figures in the notes are reproduced) and DejaVu Sans where it is not installed."""
    from PIL import ImageFont
    if serif:
        names = ["dejavu/DejaVuSerif-Bold.ttf" if bold else "dejavu/DejaVuSerif.ttf"]
    else:
        names = ["liberation/LiberationSans-Bold.ttf" if bold else "liberation/LiberationSans-Regular.ttf",
                 "dejavu/DejaVuSans-Bold.ttf" if bold else "dejavu/DejaVuSans.ttf"]
    path = next((FONT_DIR / n for n in names if (FONT_DIR / n).exists()), FONT_DIR / names[0])
    return ImageFont.truetype(str(path), size)


def _wrap(text: str, width: int) -> list[str]:
    out, cur = [], ""
    for w in text.split():
        if len(cur) + len(w) + 1 > width and cur:
            out.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    return out + [cur] if cur or not out else out


def _wrap_px(dr, text: str, font, maxw: float) -> list[str]:
    """Wrap by measured width: a bold heading is wider than a character count guesses."""
    out, cur = [], ""
    for w in text.split():
        cand = f"{cur} {w}".strip()
        if cur and dr.textlength(cand, font=font) > maxw:
            out.append(cur)
            cur = w
        else:
            cur = cand
    return out + [cur] if cur or not out else out


def render_page_image(page: list, rng: random.Random, photo: bool = False):
    """A page as a scanner or a phone sees it: text, a stamp, then rotation, noise and blur."""
    from PIL import Image, ImageDraw, ImageFilter
    W, H = 1240, 1754
    img = Image.new("L", (W, H), 255)
    dr = ImageDraw.Draw(img)
    serif = rng.random() < 0.6
    size = rng.choice([24, 26, 28])
    f, fb = _font(size, False, serif), _font(size, True, serif)
    y, lh = 90, int(size * 1.45)
    for b in page:
        if y > H - 80:
            break
        if b[0] in ("h", "c"):
            fo = fb if b[0] == "h" else f
            for ln in _wrap_px(dr, b[1], fo, W - 240):
                tw = dr.textlength(ln, font=fo)
                dr.text(((W - tw) / 2, y), ln, font=fo, fill=0)
                y += lh
        elif b[0] == "p":
            for ln in _wrap_px(dr, b[1], f, W - 200):
                dr.text((100, y), ln, font=f, fill=0)
                y += lh
        elif b[0] == "kv":
            lines = _wrap_px(dr, b[2], f, W - 540)
            dr.text((100, y), b[1], font=f, fill=0)
            for ln in lines:
                dr.text((420, y), ": " + ln if ln is lines[0] else "  " + ln, font=f, fill=0)
                y += lh
        elif b[0] == "table":
            ncol = max(len(r) for r in b[1])
            w = (W - 200) // ncol
            for row in b[1]:
                cells = [_wrap_px(dr, cell, f, w - 16) for cell in row]
                h = lh * max(len(x) for x in cells)
                for i, lines in enumerate(cells):
                    dr.rectangle([100 + i * w, y - 6, 100 + (i + 1) * w, y + h - 2], outline=0, width=2)
                    for j, ln in enumerate(lines):
                        dr.text((108 + i * w, y + j * lh), ln, font=f, fill=0)
                y += h + 4
        elif b[0] == "sig":
            y0 = y
            for ln in b[1]:
                dr.text((700, y), ln, font=f, fill=0)
                y += lh
            if rng.random() < 0.8:   # a round stamp half over the signature
                cx, cy = 700 + rng.randint(-40, 40), y0 + 3 * lh
                dr.ellipse([cx - 110, cy - 110, cx + 110, cy + 110], outline=110, width=5)
                dr.text((cx - 80, cy - 14), "CAP DINAS", font=_font(22, True, False), fill=110)
            dr.line([(760, y0 + 2.6 * lh), (900, y0 + 2.0 * lh), (980, y0 + 2.8 * lh)], fill=30, width=3)
        elif b[0] == "hr":
            dr.line([(100, y), (W - 100, y)], fill=0, width=3)
            y += 12
        else:
            y += lh // 2
    angle = rng.uniform(-3.5, 3.5) if photo else rng.uniform(-1.5, 1.5)
    img = img.rotate(angle, resample=Image.BICUBIC, expand=photo, fillcolor=255 if not photo else 90)
    noise = Image.frombytes("L", img.size, rng.randbytes(img.size[0] * img.size[1]))   # seeded, unlike effect_noise
    img = Image.blend(img, noise, rng.uniform(0.05, 0.11))
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0)))
    if photo:
        grad = Image.linear_gradient("L").resize(img.size).point(lambda v: 200 + v // 5)
        img = Image.composite(img, grad, Image.new("L", img.size, 200))
        img = img.convert("RGB")
    return img


def _img_bytes(img, fmt: str, quality: int) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, quality=quality) if fmt == "JPEG" else img.save(buf, fmt)
    return buf.getvalue()


def render_scan_pdf(pages: list[list], rng: random.Random) -> bytes:
    from fpdf import FPDF
    pdf = FPDF(format="A4")
    pdf.set_creation_date(FIXED)
    for page in pages:
        pdf.add_page()
        img = render_page_image(page, rng)
        pdf.image(io.BytesIO(_img_bytes(img.convert("L"), "JPEG", rng.randint(45, 75))), x=0, y=0, w=210, h=297)
    return bytes(pdf.output())


def hash_str(s: str) -> int:
    return int(hashlib.sha256(s.encode()).hexdigest()[:8], 16)


# --------------------------------------------------------------------------- files and attachments

@dataclass
class Att:
    filename: str
    data: bytes
    mime: str
    encode_2047: bool = False


def file_names(r: random.Random, kind: str, docs: list[str], n: int) -> str:
    dull = {"pdf": [f"scan{n:04d}.pdf", f"Scan_{20261100 + r.randint(1, 30)}_{r.randint(100, 999)}.pdf", "Doc1.pdf",
                    f"CamScanner {r.randint(10, 28)}-11-2026 {r.randint(10, 23)}.{r.randint(10, 59)}.pdf", "dokumen.pdf"],
            "docx": ["Doc1.docx", "Dokumen1.docx", f"form ({n}).docx", "New Microsoft Word Document.docx"],
            "jpg": [f"IMG_202611{r.randint(10, 28)}_{r.randint(100000, 235959)}.jpg", f"WhatsApp Image 2026-11-{r.randint(10, 28)} at {r.randint(7, 16)}.{r.randint(10, 59)}.{r.randint(10, 59)}.jpeg"],
            "zip": ["berkas.zip", "Dokumen.zip", f"lampiran_{n}.zip"]}
    if r.random() < 0.55 or not docs:
        return r.choice(dull[kind])
    nice = {"formulir_ubah_jadwal": "Form Ubah Jadwal", "formulir_uji_forensik": "Formulir Uji Forensik",
            "berita_acara_uji_forensik": "BA Forensik", "formulir_perbaikan_aplikasi": "Form Perbaikan Data",
            "surat_permohonan_reset_password": "Surat Reset Password", "sk_admin_agency": "SK Admin Agency",
            "surat_permohonan_penggantian_admin": "Surat Penggantian Admin", "surat_permohonan_bergabung": "Surat Permohonan Bergabung",
            "surat_permohonan_pelatihan": "Surat Permohonan Pelatihan", "sla": "SLA ttd", "surat_permohonan_data": "Surat Permohonan Data"}
    base = " + ".join(nice.get(d, d) for d in docs[:2])
    if r.random() < 0.3:
        base += " – " + r.choice(["rev", "final", "TTE", "ttd lengkap"])   # a non-ASCII dash: RFC 2231/2047 names
    return f"{base}.{kind}"


def render_file(r: random.Random, pages: list[list], fmt: str, docs: list[str], n: int) -> list[Att]:
    """One document bundle in one format; a phone photo is one image per page."""
    if fmt == "pdf":
        data = render_reportlab(pages) if r.random() < 0.35 else render_fpdf(pages)
        return [Att(file_names(r, "pdf", docs, n), data, "application/pdf")]
    if fmt == "docx":
        return [Att(file_names(r, "docx", docs, n), render_docx(pages, r),
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document")]
    if fmt == "scan":
        return [Att(file_names(r, "pdf", docs, n), render_scan_pdf(pages, r), "application/pdf")]
    out = []
    for i, pg in enumerate(pages):
        img = render_page_image(pg, r, photo=True)
        png = r.random() < 0.2
        name = file_names(r, "jpg", docs, n + i)
        out.append(Att(name.rsplit(".", 1)[0] + (".png" if png else "." + name.rsplit(".", 1)[1]),
                       _img_bytes(img, "PNG" if png else "JPEG", r.randint(55, 85)), "image/png" if png else "image/jpeg"))
    return out


def pick_fmt(r: random.Random, ocr: bool, multipage: bool = False) -> str:
    if not ocr:
        return r.choice(["pdf", "pdf", "pdf", "docx"])
    fmts = ["scan", "scan", "scan", "pdf", "pdf", "docx", "photo"]
    return r.choice(fmts)


# --------------------------------------------------------------------------- mail bodies

GREET = ["Yth. Admin Helpdesk LPSE Provinsi Jawa Barat", "Kepada Yth. Helpdesk LPSE Jabar", "Selamat pagi,",
         "Assalamualaikum wr. wb.", "Dengan hormat,", "Yth. Bapak/Ibu Helpdesk LPSE", "Siang min,", "Selamat siang Bapak/Ibu,"]
CLOSE = ["Terima kasih.", "Atas perhatiannya diucapkan terima kasih.", "Demikian, terima kasih.",
         "Mohon dibantu, terima kasih.", "Wassalamualaikum wr. wb.", "Hatur nuhun.", "Terimakasih atas bantuannya."]
FOOT = ["", "", "", "\n\nDikirim dari Yahoo Mail di Android", "\n\nSent from my iPhone", "\n\n--\nSent from Gmail Mobile",
        "\n\nDikirim dari ponsel Samsung Galaxy saya."]


def sig_text(c: Ctx) -> str:
    p = c.sender
    return c.rng.choice([f"\n\n{p.name}\n{p.jabatan}\n{c.agency[2]}\nHP {p.phone}",
                         f"\n\nSalam,\n{p.name.split(',')[0]}\n{c.pokja} - {c.agency[2]}",
                         f"\n\nHormat kami,\n{p.jabatan} {c.agency[2]}\n{p.name}\nNIP. {p.nip}\nTelp. {p.phone}",
                         f"\n\n{p.name.split(',')[0]}"])


FORM_TYPES = ("ubah_jadwal", "uji_forensik", "perbaikan_aplikasi")


def body_for(c: Ctx, rtype: str, docs_attached: bool, mention_kode: bool) -> str:
    r = c.rng
    k = f" kode tender {c.kode}" if mention_kode else ""
    pk = f" paket {c.paket}" if r.random() < 0.5 else ""
    att = r.choice(["Terlampir", "Bersama ini kami kirimkan", "Berikut kami lampirkan", "Kami sampaikan terlampir"]) if docs_attached else \
        r.choice([("Formulir" if rtype in FORM_TYPES else "Surat permohonannya" if rtype == "permintaan_data"
                   else "Surat dan SK-nya") + " akan kami kirimkan menyusul.",
                  "Mohon maaf dokumennya menyusul.", ""])
    texts = {
        "ubah_jadwal": [f"Mohon bantuan untuk perubahan jadwal tahapan {r.choice(TAHAPAN)[1]}{pk}{k} karena waktunya sudah lewat.",
                        f"Dengan hormat, {att.lower() if docs_attached else ''} permohonan ubah jadwal{k}{pk}. Mohon segera diproses karena tahapan sedang berjalan.",
                        f"Kami dari {c.pokja} {c.agency[2]} memohon perubahan jadwal{k}."],
        "uji_forensik": [f"Mohon dilakukan uji forensik atas file penawaran {c.vendor} yang tidak bisa dibuka{k}.",
                         f"Kami memohon bantuan uji forensik dokumen penawaran{pk}{k}, file peserta gagal didekripsi."],
        "perbaikan_aplikasi": [f"Mohon bantuan perbaikan data pada aplikasi SPSE{k}{pk}, terdapat kesalahan input oleh Pokja.",
                               f"Kami mengajukan permintaan perbaikan aplikasi{k} karena nilai yang kami input keliru."],
        "reset_password": [f"Mohon bantuan reset password Administrator Agency {c.agency[2]}.",
                           f"Dengan hormat, kami mengajukan permohonan reset password admin agency {c.agency[2]} karena akun terblokir."],
        "penggantian_admin": [f"Mohon diproses penggantian Administrator Agency {c.agency[2]} karena admin lama sudah mutasi.",
                              "Kami mengajukan penggantian personil admin agency."],
        "bergabung": [f"{c.agency[2]} bermaksud bergabung dengan LPSE Provinsi Jawa Barat.",
                      f"Dengan hormat, bersama ini kami sampaikan permohonan bergabung {c.agency[2]} ke LPSE Prov. Jabar."],
        "admin_tambahan": [f"Mohon didaftarkan tambahan Administrator Agency untuk {c.agency[2]} atas nama {c.admin.name}.",
                           "Kami memohon penambahan satu orang Administrator Agency karena beban kerja bertambah."],
        "sub_agency": [f"Mohon bantuan pendaftaran Sub Agency untuk {r.choice(['UPTD Puskesmas', 'Bagian Umum', 'Cabang Dinas Wilayah VI'])} di bawah {c.agency[2]}.",
                       f"Apakah bisa dibuatkan sub agency baru untuk satuan kerja kami di lingkungan {c.agency[2]}? Mohon diproses."],
        "permintaan_data": [f"Mohon bantuan data paket{k}{pk} untuk keperluan pemeriksaan BPK.",
                            "Kami memohon data SPSE terkait paket pengadaan kami, surat permohonan terlampir."],
    }
    main = r.choice(texts[rtype])
    if docs_attached:
        main += " " + r.choice([f"{att} dokumen yang diperlukan.", f"{att} formulir dan surat yang diminta.", f"{att} berkasnya."])
    elif att:
        main += " " + att
    return f"{r.choice(GREET)}\n\n{main}\n\n{r.choice(CLOSE)}{sig_text(c)}{r.choice(FOOT)}"


SUBJECTS = {
    "ubah_jadwal": ["Permohonan Ubah Jadwal", "ubah jadwal tender {kode}", "PERMOHONAN PERUBAHAN JADWAL - {agency}", "Mohon ubah jadwal segera",
                    "Perubahan Jadwal Paket {paket}"],
    "uji_forensik": ["Permohonan Uji Forensik", "uji forensik file penawaran {kode}", "Permintaan Uji Forensik - {agency}"],
    "perbaikan_aplikasi": ["Permohonan Perbaikan Data", "perbaikan aplikasi kode {kode}", "Permintaan Perbaikan Aplikasi SPSE"],
    "reset_password": ["Permohonan Reset Password Admin Agency", "reset password admin {agency}", "RESET PASSWORD ADMINISTRATOR AGENCY"],
    "penggantian_admin": ["Penggantian Admin Agency", "Permohonan Penggantian Personil Administrator Agency {agency}"],
    "bergabung": ["Permohonan Bergabung LPSE Jabar", "Permohonan bergabung {agency}", "Pendaftaran Agency baru"],
    "admin_tambahan": ["Penambahan Admin Agency", "Permohonan Administrator Agency tambahan {agency}"],
    "sub_agency": ["Pendaftaran Sub Agency", "Permohonan pembuatan sub agency"],
    "permintaan_data": ["Permohonan Data", "Permohonan data paket {kode}", "Permintaan data SPSE untuk pemeriksaan"],
}


def subject_for(c: Ctx, rtype: str) -> str:
    s = c.rng.choice(SUBJECTS[rtype] + ["Permohonan", "(tanpa subjek)", "Surat dari " + c.agency[2], "Mohon bantuan"])
    if s == "(tanpa subjek)":
        return ""
    return s.format(kode=c.kode, agency=c.agency[2], paket=c.paket)


# --------------------------------------------------------------------------- mails


@dataclass
class Mail:
    kind: str
    request_type: str | None
    missing: list[str]
    kode: str | None
    suppress: bool
    subject: str
    body: str
    from_name: str
    from_addr: str
    documents: list[str] = field(default_factory=list)
    attachments: list[Att] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    html: bool = False
    headers: list[tuple[str, str]] = field(default_factory=list)
    to: str = HELPDESK
    cc: str | None = None
    in_reply_to: str | None = None
    rfc822: EmailMessage | None = None


def doc_bundle(c: Ctx, ids: list[str]) -> list[list]:
    pages: list[list] = []
    for d in ids:
        pages += BUILDERS[d](c)
    return pages


def request_mail(c: Ctx, rtype: str, ocr: bool, n: int) -> Mail:
    """A request with its documents: complete, combined in one file, zipped, partly or wholly missing."""
    r = c.rng
    req = REQUIRED[rtype]
    tags: list[str] = []
    mode = r.choices(["separate", "combined", "zip", "missing", "none"], [34, 20, 14, 20, 12])[0]
    if not req:
        mode = "none"
    if mode == "combined" and len(req) == 1:
        mode = "separate"
    attached = list(req)
    if mode == "missing":
        if len(req) == 1:
            attached = []
        else:
            k = r.randint(1, len(req) - 1)
            attached = sorted(r.sample(req, len(req) - k), key=req.index)
    elif mode == "none":
        attached = []
    missing = [d for d in req if d not in attached]
    atts: list[Att] = []
    extra_docs: list[str] = []
    mentioned_kode = rtype in ("ubah_jadwal", "uji_forensik", "perbaikan_aplikasi", "permintaan_data")
    # a Pokja's cover letter naming the forms it encloses (even when one is not there)
    if rtype in ("ubah_jadwal", "uji_forensik", "perbaikan_aplikasi") and r.random() < 0.3:
        cover = doc_cover(c, rtype, req)
        atts += render_file(r, cover, pick_fmt(r, ocr), [], n)
        tags.append("cover_letter")
        if missing:
            tags.append("enclosure_named_not_attached")
    if mode == "combined" and attached:
        pages = doc_bundle(c, attached)
        fmt = r.choice(["pdf", "docx", "scan", "scan"]) if ocr else r.choice(["pdf", "pdf", "docx"])
        atts += render_file(r, pages, fmt, attached, n)
        tags += ["multi_doc_file", f"fmt_{fmt}"]
    elif mode == "zip" and attached:
        members = []
        for i, d in enumerate(attached):
            fmt = pick_fmt(r, ocr)
            for a in render_file(r, doc_bundle(c, [d]), fmt, [d], n + i):
                members.append((r.choice(["", "Berkas/", f"{c.agency[2]}/"]) + a.filename, a.data))
            tags.append(f"fmt_{fmt}")
        seen: set[str] = set()
        uniq = []
        for name, data in members:   # two dull names can collide inside one ZIP
            while name in seen:
                name = "1_" + name
            seen.add(name)
            uniq.append((name, data))
        atts.append(Att(file_names(r, "zip", attached, n), _fixed_zip(uniq), "application/zip"))
        tags.append("zip")
    else:
        for i, d in enumerate(attached):
            fmt = pick_fmt(r, ocr)
            atts += render_file(r, doc_bundle(c, [d]), fmt, [d], n + i)
            tags.append(f"fmt_{fmt}")
    if missing and attached:
        tags.append("missing_some")
    if missing and not attached:
        tags.append("no_required_document")
    if attached == ["sk_admin_agency"] and rtype != "admin_tambahan":
        tags.append("sk_only")   # the SK fits several types: the body has to say which
    if missing and set(missing) & {"sk_admin_agency", "surat_permohonan_pelatihan", "sla"} and attached:
        tags.append("enclosure_named_not_attached")
    body_kode = mentioned_kode and (not attached or r.random() < 0.4)
    if not attached and mentioned_kode and r.random() < 0.3:
        body_kode = False   # "mohon ubah jadwal" with no code at all
    body = body_for(c, rtype, bool(attached), body_kode)
    kode = c.kode if mentioned_kode and (attached or body_kode or "cover_letter" in tags) else None
    subject = subject_for(c, rtype)
    if mentioned_kode and c.kode in subject:
        kode = c.kode
    # only a complete set of documents can speak for itself: an empty body or a misleading subject
    # beside a partial set would leave the type unknowable
    if r.random() < 0.1 and attached and not missing:
        body, tags = "", tags + ["empty_body"]
    if r.random() < 0.08 and attached and not missing:
        subject = r.choice(["Permohonan Ubah Jadwal", "Reset Password", "Uji Forensik"])
        tags.append("subject_may_disagree")
    for a in atts:
        if not a.filename.isascii() and r.random() < 0.5:
            a.encode_2047 = True
            tags.append("rfc2047_name")
    docs = [d for d in req if d in attached]
    return Mail("request", rtype, missing, kode, False, subject, body, c.sender.name.split(",")[0], c.sender.email,
                docs, atts, sorted(set(tags)))


def bimtek_mail(c: Ctx, ocr: bool, n: int) -> Mail:
    r = c.rng
    tags = []
    atts: list[Att] = []
    body = r.choice([
        f"Mohon kiranya LPSE Provinsi Jawa Barat dapat memberikan pendampingan kepada Pokja kami dalam pelaksanaan "
        f"pembuktian kualifikasi dan evaluasi penawaran paket {c.paket}. Kapan kira-kira bisa dijadwalkan?",
        f"Kami bermaksud mengajukan bimtek SPSE untuk {r.randint(5, 25)} orang Pokja dan PPK baru di {c.agency[2]}. "
        "Mohon informasi jadwal yang tersedia.",
        "Min, apakah bulan depan ada jadwal bimtek e-tendering untuk pokja? kami mau daftar 6 orang.",
        f"Mohon pendampingan operasional SPSE untuk admin agency kami yang baru, terutama pembuatan akun Pokja dan PPK."])
    if r.random() < 0.35:
        fmt = pick_fmt(r, ocr)
        atts += render_file(r, doc_bimtek_letter(c), fmt, [], n)
        tags += ["bimtek_letter", f"fmt_{fmt}"]
    subject = r.choice(["Permohonan Bimtek SPSE", "Permohonan Pendampingan", "Jadwal bimtek?", "Bimbingan Teknis Pokja"])
    return Mail("bimtek", "bimtek", [], None, False, subject,
                f"{r.choice(GREET)}\n\n{body}\n\n{r.choice(CLOSE)}{sig_text(c)}", c.sender.name.split(",")[0], c.sender.email,
                [], atts, tags)


def gangguan_mail(c: Ctx, ocr: bool, n: int) -> Mail:
    r = c.rng
    tags = []
    atts: list[Att] = []
    body = r.choice([
        "SPSE LPSE Jabar tidak bisa diakses sejak pagi, muncul tulisan 503 Service Unavailable. Mohon dicek.",
        "Saat pokja mau membuka penawaran muncul error 'Internal Server Error'. Apakah server sedang gangguan?",
        f"Situs spse.jabarprov.go.id sangat lambat dan sering time out sejak pukul {r.randint(8, 14)}.00, kami tidak bisa melanjutkan evaluasi.",
        "Mohon info, apakah aplikasi SPSE sedang maintenance? Halaman login tidak bisa dibuka dari kantor kami.",
        "lpse down ya min? dari tadi loading terus"])
    if ocr and r.random() < 0.4:
        shot = [[("h", "HTTP Status 500 - Internal Server Error"), ("p", "Terjadi kesalahan pada server. Silakan coba beberapa saat lagi."),
                 ("p", "spse.jabarprov.go.id/eproc4/lelang")]]
        atts += render_file(r, shot, "photo", [], n)
        atts[-1].filename = f"Screenshot_2026-11-{r.randint(10, 28)}-{r.randint(10, 23)}-{r.randint(10, 59)}.png"
        tags.append("screenshot")
    subject = r.choice(["SPSE tidak bisa diakses", "Gangguan SPSE", "Error saat buka penawaran", "server lpse down?", "URGENT: SPSE error"])
    return Mail("gangguan", "gangguan", [], None, False, subject, f"{r.choice(GREET)}\n\n{body}\n\n{r.choice(CLOSE)}{sig_text(c)}",
                c.sender.name.split(",")[0], c.sender.email, [], atts, tags)


def ticket_id(r: random.Random) -> str:
    return f"HD-2026-{r.randint(1, 900):05d}"


def quoted(c: Ctx, tid: str, about: str) -> str:
    q = (f"Pada {tgl(c.when - dt.timedelta(days=2))}, Helpdesk LPSE Provinsi Jawa Barat <{HELPDESK}> menulis:\n"
         f"> Yth. Bapak/Ibu,\n> Permohonan Saudara telah kami terima dengan nomor tiket {tid}.\n"
         f"> Dokumen yang diterima: {DOC_NAMES.get(about, about)}.\n> Demikian kami sampaikan.")
    return q


def status_mail(c: Ctx, ocr: bool, n: int) -> Mail:
    r = c.rng
    about = r.choice(["ubah_jadwal", "uji_forensik", "reset_password", "perbaikan_aplikasi", "bergabung", "penggantian_admin"])
    word = {"ubah_jadwal": "ubah jadwal", "uji_forensik": "uji forensik", "reset_password": "reset password admin agency",
            "perbaikan_aplikasi": "perbaikan data", "bergabung": "bergabung", "penggantian_admin": "penggantian admin agency"}[about]
    tid = ticket_id(r)
    precise = r.random() < 0.5
    kode = None
    tags = ["precise" if precise else "vague"]
    if precise:
        with_kode = about in ("ubah_jadwal", "uji_forensik", "perbaikan_aplikasi") and r.random() < 0.6
        ref = f" dengan nomor tiket {tid}" if r.random() < 0.6 or not with_kode else ""
        kk = f" untuk kode tender {c.kode}" if with_kode else ""
        kode = c.kode if with_kode else None
        body = r.choice([f"Mohon informasi tindak lanjut permohonan {word} kami{ref}{kk} yang kami kirim tanggal {tgl(c.when - dt.timedelta(days=2), False)}.",
                         f"Menanyakan status permohonan {word}{ref}{kk}. Apakah sudah diproses?",
                         f"Izin menanyakan, permohonan {word}{kk}{ref} sampai saat ini belum ada kabar. Mohon update."])
        subject = r.choice([f"Re: [{tid}] Permohonan {word.title()}", f"Menanyakan status {tid}", f"Tindak lanjut permohonan {word}"])
        if tid not in body and tid not in subject:
            tags.append("no_ticket_id")
    else:
        body = r.choice([f"Apakah permohonan {word} kami kemarin sudah diproses?", "Mohon info, berkas yang kami kirim minggu lalu sudah diterima belum ya?",
                         f"min, {word} yang kemarin gimana? belum ada balasan", f"Sudah 3 hari belum ada jawaban atas email kami soal {word}. Mohon dicek."])
        subject = r.choice(["Menanyakan", "Re: Permohonan", "status permohonan", "Follow up", f"Re: {word}"])
        tags.append("no_ticket_id")
    text = f"{r.choice(GREET)}\n\n{body}\n\n{r.choice(CLOSE)}{sig_text(c)}"
    m = Mail("status", "status", [], kode, False, subject, text, c.sender.name.split(",")[0], c.sender.email, [], [], tags)
    if subject.startswith("Re:") and r.random() < 0.7:
        m.body += "\n\n" + quoted(c, tid, REQUIRED[about][0])
        m.in_reply_to = f"<{tid.lower()}.{r.randint(1000, 9999)}@lpse.jabarprov.go.id>"
        m.tags.append("in_thread")
    return m


def thanks_mail(c: Ctx, ocr: bool, n: int) -> Mail:
    r = c.rng
    about = r.choice(["uji_forensik", "ubah_jadwal", "reset_password", "perbaikan_aplikasi"])
    word = {"uji_forensik": "hasil uji forensik", "ubah_jadwal": "perubahan jadwal", "reset_password": "reset password admin agency",
            "perbaikan_aplikasi": "perbaikan data"}[about]
    tid = ticket_id(r)
    body = r.choice([f"Terima kasih, {word} sudah kami terima.", f"Baik, terima kasih banyak atas bantuannya. {word.capitalize()} sudah selesai.",
                     f"Siap, sudah kami cek, {word} sudah sesuai. Password Pokja juga sudah kami ganti. Terima kasih.",
                     "Hatur nuhun pisan, sudah beres.", f"Terima kasih atas respon cepatnya terkait {word} kode tender {c.kode}."])
    kode = c.kode if c.kode in body else None
    subject = r.choice([f"Re: [{tid}] Permohonan {about.replace('_', ' ').title()}", f"Re: {word}", "Terima kasih"])
    m = Mail("thanks", "lainnya", [], kode, False, subject, f"{body}\n{sig_text(c)}", c.sender.name.split(",")[0], c.sender.email, [], [], [])
    if subject.startswith("Re:"):
        m.body += "\n\n" + quoted(c, tid, REQUIRED[about][0])
        m.in_reply_to = f"<{tid.lower()}.{r.randint(1000, 9999)}@lpse.jabarprov.go.id>"
        m.tags.append("in_thread")
    return m


def vendor_mail(c: Ctx, ocr: bool, n: int) -> Mail:
    r = c.rng
    v = r.choice(VENDORS)
    name = f"{r.choice(FIRST)} {r.choice(LAST)}"
    addr = f"{v.split()[1].lower()}{v.split()[-1].lower()}{r.randint(1, 99)}@{r.choice(['gmail.com', 'yahoo.com', 'gmail.com'])}"
    body = r.choice([
        f"Saya dari {v}, lupa password akun penyedia SPSE LPSE Jabar. Mohon bantuan reset password, user id kami {v.split()[1].lower()}{r.randint(1, 99)}.",
        f"Akun SPSE perusahaan kami ({v}) terkunci setelah salah memasukkan password beberapa kali. Bagaimana cara membukanya?",
        f"Mohon bantuan, kami penyedia {v} tidak bisa login ke SPSE karena lupa kata sandi, padahal besok batas upload penawaran.",
        f"Bagaimana cara reset password penyedia? Email yang terdaftar di akun {v} sudah tidak aktif."])
    subject = r.choice(["Lupa password akun penyedia", "Reset password", "Akun terkunci", "mohon bantuan login SPSE", "RESET PASSWORD PENYEDIA"])
    atts: list[Att] = []
    tags = []
    if r.random() < 0.25:
        pages = [[("h", v.upper()), ("c", "Jl. Soekarno-Hatta No. " + str(r.randint(1, 900)) + " Bandung"), ("hr",),
                  ("kv", "Perihal", "Permohonan Reset Password User ID Penyedia"), ("sp",),
                  ("p", "Kepada Yth. Admin LPSE Provinsi Jawa Barat"), ("p", "Dengan hormat,"),
                  ("p", f"Kami yang bertanda tangan di bawah ini, Direktur {v}, mengajukan permohonan reset password "
                        "user id penyedia pada SPSE LPSE Provinsi Jawa Barat karena lupa kata sandi."),
                  ("sig", ["Direktur,", "", "", name])]]
        fmt = pick_fmt(r, ocr)
        atts = render_file(r, pages, fmt, [], n)
        tags += ["vendor_letter", f"fmt_{fmt}"]
    return Mail("vendor_own_account", "lainnya", [], None, False, subject,
                f"{r.choice(GREET)}\n\n{body}\n\n{r.choice(CLOSE)}\n\n{name}\n{v}", name, addr, [], atts, tags)


def other_mail(c: Ctx, ocr: bool, n: int) -> Mail:
    r = c.rng
    atts: list[Att] = []
    tags = []
    body = r.choice([
        "Mohon informasi alamat kantor LPSE Provinsi Jawa Barat yang baru dan jam pelayanannya.",
        "Apakah LPSE Jabar menerima kunjungan kerja/studi banding dari DPRD? Mohon informasi prosedurnya.",
        "Izin bertanya, aturan mana yang mengatur masa sanggah untuk tender pekerjaan konstruksi?",
        "Kami ingin menanyakan apakah ada formulir terbaru untuk permintaan layanan LPSE, karena yang lama sudah tidak bisa diunduh.",
        "Mohon konfirmasi apakah email kami sebelumnya masuk ke alamat ini atau harus ke info@?"])
    subject = r.choice(["Pertanyaan", "Mohon informasi", "Tanya", "Informasi layanan LPSE"])
    if r.random() < 0.35:
        fmt = pick_fmt(r, ocr)
        atts = render_file(r, doc_undangan(c), fmt, [], n)
        body = f"Bersama ini kami sampaikan undangan rapat koordinasi pengadaan. Mohon kehadirannya."
        subject = "Undangan Rapat Koordinasi"
        tags += ["undangan", f"fmt_{fmt}"]
    return Mail("lainnya", "lainnya", [], None, False, subject, f"{r.choice(GREET)}\n\n{body}\n\n{r.choice(CLOSE)}{sig_text(c)}",
                c.sender.name.split(",")[0], c.sender.email, [], atts, tags)


OFFERS = [
    ("loan", "KSP Dana Sejahtera", "pinjaman dana", "Pinjaman Dana Cepat untuk ASN & PPPK - Cair 1 Hari",
     "Khusus ASN/PNS/PPPK: pinjaman tanpa agunan hingga Rp 300 juta, potong gaji, bunga 0,8% per bulan, proses cepat cair 1 hari. Hubungi WA 0812-2000-1234."),
    ("sbu_skk", "Biro Jasa Konstruksi Mandiri", "pengurusan SBU dan SKK konstruksi", "Jasa Pengurusan SBU, SKK, ISO - Syarat Ikut Tender LPSE",
     "Kami melayani pengurusan SBU Konstruksi, SKK/SKA/SKT, NIB/OSS RBA, ISO 9001 untuk persyaratan tender di LPSE. Proses cepat, terdaftar di LPJK, harga bersaing."),
    ("seo", "Digital Growth Agency", "optimasi SEO", "Proposal SEO untuk website lpse.jabarprov.go.id",
     "Kami menemukan website Anda belum berada di halaman pertama Google untuk kata kunci penting. Kami menawarkan paket SEO dengan garansi peringkat."),
    ("web", "Kreasi Web Indonesia", "pembuatan website dan aplikasi", "Penawaran Jasa Pembuatan Website & Aplikasi Instansi",
     "Kami menawarkan jasa pembuatan website instansi pemerintah, aplikasi e-office dan sistem informasi dengan harga terjangkau. Portofolio terlampir."),
    ("goods", "CV. Sumber Elektronik", "pengadaan komputer dan laptop", "Penawaran Harga Laptop & Komputer untuk Pengadaan 2027",
     "Bersama ini kami sampaikan penawaran harga laptop, PC dan printer untuk kebutuhan pengadaan Bapak/Ibu tahun anggaran 2027. Tersedia di e-Katalog."),
    ("seo_en", "Rank Experts", "SEO and link building", "Guest post collaboration for lpse.jabarprov.go.id",
     "Hi, I came across your website and would love to contribute a guest post or buy a sponsored link. What is your price? Best regards."),
]


def offer_mail(c: Ctx, ocr: bool, n: int) -> Mail:
    r = c.rng
    key, company, topic, subject, text = r.choice(OFFERS)
    name = f"{r.choice(FIRST)} {r.choice(LAST)}"
    addr = r.choice([f"marketing.{key.replace('_', '')}{r.randint(1, 99)}@gmail.com", f"info@{key.replace('_', '')}-{r.randint(1, 99)}.com",
                     f"{name.split()[0].lower()}{r.randint(10, 99)}@yahoo.com"])
    greet = "Dear Sir/Madam," if key == "seo_en" else r.choice(["Yth. Bapak/Ibu Pimpinan", "Selamat siang Bapak/Ibu,", "Dengan hormat,"])
    m = Mail("offer", None, [], None, True, subject, f"{greet}\n\n{text}\n\nSalam,\n{name}\n{company}", name, addr, [], [], [f"offer_{key}"])
    if r.random() < 0.3:
        m.headers.append(("List-Unsubscribe", f"<mailto:unsubscribe@{key.replace('_', '')}.com>"))
        m.tags.append("bulk_headers")
    if r.random() < 0.35:
        m.attachments = render_file(r, doc_offer(c, company, topic), "pdf", [], n)
        m.attachments[-1].filename = r.choice(["Company Profile.pdf", "Penawaran Harga.pdf", "proposal.pdf"])
        m.tags.append("offer_pdf")
    if r.random() < 0.25:
        m.to = "undisclosed-recipients:;"
        m.tags.append("bcc")
    return m


def newsletter_mail(c: Ctx, ocr: bool, n: int) -> Mail:
    r = c.rng
    src = r.choice([("Info LKPP", "newsletter@lkpp.go.id", "Buletin Pengadaan Edisi November 2026"),
                    ("Webinar Pengadaan Nasional", "event@webinarpbj.id", "[Webinar] Strategi Lolos Evaluasi Tender 2027"),
                    ("e-Katalog Update", "noreply@katalog.inaproc.id", "Update Produk e-Katalog Minggu Ini"),
                    ("Google Alerts", "googlealerts-noreply@google.com", "Google Alert - LPSE Jawa Barat"),
                    ("LinkedIn", "messages-noreply@linkedin.com", "Anda memiliki 3 notifikasi baru")])
    html = (f"<html><body><h2>{src[2]}</h2><p>Yth. Pelanggan, berikut rangkuman berita pengadaan pekan ini: "
            "perubahan Perpres pengadaan, jadwal bimtek nasional, tips mengisi formulir.</p>"
            "<p><a href='https://example.org/unsub'>Berhenti berlangganan</a></p></body></html>")
    m = Mail("newsletter", None, [], None, True, src[2], html, src[0], src[1], [], [], [], html=True)
    if r.random() < 0.85:
        m.headers += [("List-Unsubscribe", f"<https://{src[1].split('@')[1]}/unsubscribe?u={r.randint(1000, 9999)}>"),
                      ("List-Id", f"<news.{src[1].split('@')[1]}>"), ("Precedence", "bulk")]
        m.tags.append("list_headers")
    else:
        m.tags.append("no_list_headers")
    return m


def autoreply_mail(c: Ctx, ocr: bool, n: int) -> Mail:
    r = c.rng
    p = c.sender
    indo = r.random() < 0.6
    subject = (r.choice(["Balasan Otomatis: ", "Automatic reply: ", "Out of Office: "]) +
               r.choice(["[HD-2026-00" + str(r.randint(100, 999)) + "] Tanda terima permohonan", "Permohonan Anda telah kami terima"]))
    body = ("Terima kasih atas email Anda. Saya sedang cuti sampai dengan tanggal 30 November 2026 dan akan membalas "
            "setelah kembali. Untuk hal mendesak silakan hubungi kantor." if indo else
            "Thank you for your message. I am out of the office until 30 November with limited access to email.")
    m = Mail("autoreply", None, [], None, True, subject, body, p.name.split(",")[0], p.email, [], [], ["autoreply"])
    m.headers += [("Auto-Submitted", "auto-replied")] if r.random() < 0.7 else [("X-Autoreply", "yes"), ("Precedence", "auto_reply")]
    return m


def bounce_mail(c: Ctx, ocr: bool, n: int) -> Mail:
    return Mail("bounce", None, [], None, True, "Undelivered Mail Returned to Sender",
                "This is the mail system at host mx.example.go.id.\n\nI'm sorry to have to inform you that your message could not "
                "be delivered to one or more recipients.\n\n<" + c.sender.email + ">: host said: 550 5.1.1 user unknown",
                "Mail Delivery System", "MAILER-DAEMON@mx." + c.agency[3], [], [], ["dsn"])


# --------------------------------------------------------------------------- sender behaviour and MIME

def apply_behaviour(c: Ctx, m: Mail) -> None:
    """How real senders address and forward mail: Bcc, both mailboxes, forwards, HTML only."""
    r = c.rng
    if m.suppress:
        return
    x = r.random()
    if x < 0.14:
        m.to, m.cc = "undisclosed-recipients:;", None
        m.tags.append("bcc")
    elif x < 0.30:
        m.to, m.cc = f"{HELPDESK}, {INFO}", None
        m.tags.append("both_mailboxes")
    elif x < 0.42:
        m.to, m.cc = INFO, HELPDESK
        m.tags.append("cc_helpdesk")
    elif x < 0.50:
        m.to = INFO
    if m.kind == "request" and r.random() < 0.16:
        orig_from = f"{m.from_name} <{m.from_addr}>"
        fw = _person(r, c.agency[3], "Staf")
        prefix = r.choice(["Fwd: [Penting] ", "Fwd: [PENTING] ", "FW: [Penting] ", "Fwd: [Segera] ", "Fwd: "])
        if r.random() < 0.4 and m.attachments:   # forwarded as an attachment (Outlook style)
            inner = build_message(c, m, inner=True)
            m.rfc822 = inner
            m.attachments = []
            m.body = r.choice(["Mohon ditindaklanjuti, terlampir email dari Pokja kami.", "FYI", "Diteruskan.", ""])
            m.tags.append("forward_rfc822")
        else:
            m.body = (r.choice(["Mohon ditindaklanjuti.", "FYI, mohon dibantu.", "Diteruskan permohonan dari Pokja kami.", ""]) +
                      f"\n\n---------- Forwarded message ---------\nDari: {orig_from}\nDate: {tgl(c.when)} {c.when:%H.%M}\n"
                      f"Subject: {m.subject}\nTo: {m.to}\n\n{m.body}")
            m.tags.append("forward_inline")
        m.subject = prefix + (m.subject or "Permohonan")
        m.from_name, m.from_addr = fw.name.split(",")[0], fw.email
    if r.random() < 0.12 and not m.html:
        m.html = True
        m.tags.append("html_only")
    if r.random() < 0.05:
        m.subject = m.subject.upper()


def msgid(c: Ctx, m: Mail, salt: str) -> str:
    h = hashlib.sha256(f"{salt}{m.subject}{m.from_addr}".encode()).hexdigest()
    dom = m.from_addr.split("@")[-1]
    if dom == "gmail.com":
        return f"<CA+{base64.b32encode(bytes.fromhex(h[:30])).decode().rstrip('=')}@mail.gmail.com>"
    return f"<{h[:24]}.{h[24:32]}@{dom}>"


def to_html(text: str) -> str:
    esc = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "<html><body><div dir=\"ltr\">" + "<br>".join(esc.splitlines()) + "</div></body></html>"


def build_message(c: Ctx, m: Mail, inner: bool = False) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"{m.from_name} <{m.from_addr}>" if m.from_name else m.from_addr
    msg["To"] = m.to
    if m.cc:
        msg["Cc"] = m.cc
    msg["Subject"] = m.subject
    msg["Date"] = format_datetime(c.when)
    msg["Message-ID"] = msgid(c, m, "inner" if inner else "outer")
    if m.in_reply_to:
        msg["In-Reply-To"] = m.in_reply_to
        msg["References"] = m.in_reply_to
    for k, v in m.headers:
        msg[k] = v
    if m.kind == "bounce":   # a DSN: multipart/report with a message/delivery-status part, parsed from text
        head = "".join(f"{k}: {v}\n" for k, v in msg.items())
        raw = (f"{head}Auto-Submitted: auto-replied\nReturn-Path: <>\nMIME-Version: 1.0\n"
               'Content-Type: multipart/report; report-type=delivery-status; boundary="dsn"\n\n'
               f"--dsn\nContent-Type: text/plain; charset=us-ascii\n\n{m.body}\n\n"
               f"--dsn\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.{c.agency[3]}\n\n"
               f"Final-Recipient: rfc822; {c.sender.email}\nAction: failed\nStatus: 5.1.1\n\n"
               f"--dsn\nContent-Type: text/rfc822-headers\n\nFrom: {c.sender.name.split(',')[0]} <{c.sender.email}>\n"
               f"To: {HELPDESK}\nSubject: Re: Permohonan\n\n--dsn--\n")
        return email.message_from_string(raw, policy=policy.default)
    if m.html:
        msg.set_content(m.body if m.kind == "newsletter" else to_html(m.body), subtype="html")
    else:
        msg.set_content(m.body or "")
    for a in m.attachments:
        main, sub = a.mime.split("/")
        msg.add_attachment(a.data, maintype=main, subtype=sub, filename=a.filename)
        if a.encode_2047:   # Outlook and many webmails: an RFC 2047 encoded word inside the quotes
            enc = "=?UTF-8?B?" + base64.b64encode(a.filename.encode()).decode() + "?="
            part = msg.get_payload()[-1]
            part.replace_header("Content-Disposition", f'attachment; filename="{enc}"')
            part.replace_header("Content-Type", f'{a.mime}; name="{enc}"')
    if m.rfc822 is not None:
        msg.add_attachment(m.rfc822)
    return msg


def fix_boundaries(msg: EmailMessage, tag: str) -> None:
    """The email package draws random boundaries; fixed ones keep the output identical per seed."""
    for i, part in enumerate(msg.walk()):
        if part.is_multipart():
            part.set_boundary(f"=_{tag}_{i}_{hash_str(tag + str(i)):08x}")


SCENARIOS = [
    # (name, weight, builder)
    ("ubah_jadwal", 14, None), ("uji_forensik", 8, None), ("perbaikan_aplikasi", 8, None), ("reset_password", 9, None),
    ("penggantian_admin", 6, None), ("bergabung", 5, None), ("admin_tambahan", 4, None), ("sub_agency", 2, None),
    ("permintaan_data", 5, None), ("bimtek", 4, bimtek_mail), ("gangguan", 4, gangguan_mail), ("status", 8, status_mail),
    ("thanks", 4, thanks_mail), ("vendor_own_account", 4, vendor_mail), ("lainnya", 3, other_mail),
    ("offer", 8, offer_mail), ("newsletter", 3, newsletter_mail), ("autoreply", 2, autoreply_mail), ("bounce", 1, bounce_mail),
]


def make_mail(rng: random.Random, scen: str, builder, ocr: bool, n: int) -> tuple[Mail, Ctx]:
    c = make_ctx(rng)
    m = builder(c, ocr, n) if builder else request_mail(c, scen, ocr, n)
    apply_behaviour(c, m)
    return m, c


def generate(out: Path, n: int, seed: int, ocr: bool = True) -> list[dict]:
    """Write n mails and labels.jsonl into out; return the labels."""
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    names = [s[0] for s in SCENARIOS]
    order = names[: min(n, len(names))]   # every scenario at least once, then by weight
    order += rng.choices(names, [s[1] for s in SCENARIOS], k=max(0, n - len(order)))
    rng.shuffle(order)
    builders = {s[0]: s[2] for s in SCENARIOS}
    labels = []
    for i, scen in enumerate(order):
        sub = random.Random(f"{seed}:{i}:{scen}")   # one stream per mail: a change in one mail leaves the others alone
        m, c = make_mail(sub, scen, builders[scen], ocr, i)
        msg = build_message(c, m)
        fix_boundaries(msg, f"{seed}x{i}")
        fname = f"m{i:04d}_{m.kind}.eml"
        (out / fname).write_bytes(msg.as_bytes(policy=policy.SMTP))
        labels.append({"file": fname, "kind": m.kind, "tags": sorted(set(m.tags)), "request_type": m.request_type,
                       "missing": m.missing, "kode_tender": m.kode, "suppress": m.suppress, "documents": m.documents})
    with open(out / "labels.jsonl", "w") as f:
        for lab in labels:
            f.write(json.dumps(lab, ensure_ascii=False) + "\n")
    return labels


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True, help="folder to write into (never inside the repository)")
    ap.add_argument("--n", type=int, default=250, help="number of mails")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-ocr", action="store_true", help="no scans or photos (text PDF and DOCX only)")
    a = ap.parse_args()
    labels = generate(a.out, a.n, a.seed, ocr=not a.no_ocr)
    kinds = {}
    for lab in labels:
        kinds[lab["kind"]] = kinds.get(lab["kind"], 0) + 1
    print(f"wrote {len(labels)} mails to {a.out}: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))


if __name__ == "__main__":
    main()

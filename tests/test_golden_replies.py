"""Golden files: every reply a requester can get, rendered through the real pipeline, word for word.

A fluent reader reviewed each file in tests/golden/; a template change shows up here as a diff
to be read again, not as a silent change of tone. To accept new wording after reading it:

    UPDATE_GOLDEN=1 PYTHONPATH=$PWD python3 -m pytest -q tests/test_golden_replies.py

The clock is fixed (Monday 30 November 2026, 09.15 WIB, unless a case moves it), so dates and
ticket numbers are stable.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
import os
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from docgen import text_pdf
from helpdesk_bot.config import StaffConfig, embedded_default
from helpdesk_bot.office_hours import OfficeCalendar
from helpdesk_bot.pipeline import Pipeline
from helpdesk_bot.reload import load_for
from helpdesk_bot.sources.base import SourceMessage
from helpdesk_bot.store import Store
from helpdesk_bot.workflow import act, thread_hooks
from mails import request_mail

GOLDEN = Path(__file__).parent / "golden"
WIB = ZoneInfo("Asia/Jakarta")
STAFF = "andi@lpse.jabarprov.go.id"
ADMIN = {"Nama Lengkap": "Siti Aminah, S.Kom.", "NIP": "198004152005012003", "No. Telepon/HP": "+62 812 2233 4455",
         "Alamat Email": "siti.aminah@garutkab.go.id"}
UBAH = {"Kode Tender": "48658064", "Nama Paket": "Pembangunan Gedung Kantor Dinas Pendidikan",
        "Satuan Kerja": "Dinas Pendidikan Kabupaten Garut", "Tahapan": "Upload Dokumen Penawaran",
        "Jadwal Semula": "Senin, 30 November 2026 pukul 15.00", "Jadwal Perubahan": "Kamis, 3 Desember 2026 pukul 15.00",
        "Alasan": "Gangguan server saat unggah dokumen"}
GARUT = "Pokja Pemilihan 3 <pokja3@garutkab.go.id>"


class Clock:
    def __init__(self, now: dt.datetime):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


class World:
    def __init__(self, tmp_path: Path, now: dt.datetime):
        base = embedded_default(tmp_path)
        helpdesk = dataclasses.replace(base.helpdesk, address="Jl. Contoh Raya No. 1, Bandung 40115",
                                       phone="(022) 1234567")
        self.config = dataclasses.replace(base, helpdesk=helpdesk, staff=StaffConfig(addresses=(STAFF,)))
        self.clock = Clock(now)
        self.store = Store(tmp_path / "helpdesk.db", clock=self.clock)
        rules = load_for(self.config)
        cal = OfficeCalendar(self.config.working_hours, self.config.helpdesk.timezone)
        self.pipeline = Pipeline(self.config, self.store, lambda: rules, cal, hooks=thread_hooks())
        self.n = 0

    def deliver(self, msg: email.message.EmailMessage) -> str:
        self.n += 1
        out = self.pipeline.process(SourceMessage("helpdesk", f"k{self.n}", bytes(msg)))
        assert out.ticket_id, out
        return out.ticket_id

    def last_body(self) -> str:
        row = self.store.query("SELECT raw FROM outbox ORDER BY id DESC LIMIT 1")[0]
        msg = email.message_from_bytes(row["raw"], policy=email.policy.default)
        return msg.get_body(preferencelist=("plain",)).get_content()

    def act(self, ticket_id: str, action: str, text: str = "", attachments=()) -> str:
        with self.store.transaction():
            act(self.store, self.pipeline.replies, ticket_id, action, STAFF, text, list(attachments))
        return self.last_body()


def monday(tmp_path: Path) -> World:
    return World(tmp_path, dt.datetime(2026, 11, 30, 9, 15, tzinfo=WIB))


def pdf(title: str, fields: dict[str, str]) -> bytes:
    return text_pdf(title, fields)


# -- the cases: name -> function(tmp_path) -> plain-text body -----------------------------------

def ack_ubah_jadwal_mendesak(tmp_path: Path) -> str:
    w = monday(tmp_path)
    w.deliver(request_mail("Permohonan ubah jadwal tender 48658064", sender=GARUT,
                           attachments=[("ubah.pdf", pdf("FORMULIR PERMINTAAN UBAH JADWAL", UBAH))]))
    return w.last_body()


def ack_ubah_jadwal_tanggal_lewat(tmp_path: Path) -> str:
    w = monday(tmp_path)
    fields = {**UBAH, "Jadwal Semula": "18 November 2026", "Jadwal Perubahan": "25 November 2026"}
    w.deliver(request_mail("Ubah jadwal", sender=GARUT,
                           attachments=[("ubah.pdf", pdf("FORMULIR PERMINTAAN UBAH JADWAL", fields))]))
    return w.last_body()


def ack_reset_password_kurang_sk(tmp_path: Path) -> str:
    w = World(tmp_path, dt.datetime(2026, 11, 28, 10, 0, tzinfo=WIB))  # Saturday
    w.deliver(request_mail("Reset password admin agency", sender="Admin Agency Garut <admin@garutkab.go.id>",
                           attachments=[("surat.pdf", pdf("SURAT PERMOHONAN RESET PASSWORD ADMINISTRATOR AGENCY", ADMIN))]))
    return w.last_body()


def ack_bergabung_lengkap(tmp_path: Path) -> str:
    w = World(tmp_path, dt.datetime(2026, 12, 24, 17, 0, tzinfo=WIB))  # Thursday before Christmas
    docs = [("surat.pdf", pdf("SURAT PERMOHONAN BERGABUNG DENGAN LPSE PROVINSI JAWA BARAT", {})),
            ("pelatihan.pdf", pdf("SURAT PERMOHONAN PELATIHAN ADMINISTRATOR AGENCY DAN POKJA", {})),
            ("sk.pdf", pdf("SURAT KEPUTUSAN PENUNJUKAN ADMINISTRATOR AGENCY", ADMIN)),
            ("sla.pdf", pdf("SERVICE LEVEL AGREEMENT", {}))]
    w.deliver(request_mail("Permohonan bergabung dengan LPSE Jabar", sender="Sekretariat <setda@pangandarankab.go.id>",
                           attachments=docs))
    return w.last_body()


def ack_permintaan_data(tmp_path: Path) -> str:
    w = monday(tmp_path)
    w.deliver(request_mail("Permohonan data paket pengadaan", sender=GARUT,
                           attachments=[("surat.pdf", pdf("SURAT PERMOHONAN DATA", {"Kode Tender": "48658064"}))]))
    return w.last_body()


def ack_bimtek(tmp_path: Path) -> str:
    w = World(tmp_path, dt.datetime(2026, 12, 4, 12, 5, tzinfo=WIB))  # Friday prayer break
    w.deliver(request_mail("Permohonan bimtek SPSE bagi Pokja", sender="ukpbj.cimahi@gmail.com",
                           body="Dengan hormat, kami memohon bimbingan teknis SPSE bagi 10 anggota Pokja Pemilihan."))
    return w.last_body()


def ack_gangguan(tmp_path: Path) -> str:
    w = monday(tmp_path)
    w.deliver(request_mail("SPSE tidak bisa diakses", sender=GARUT,
                           body="Selamat pagi, SPSE tidak bisa diakses sejak pukul 08.00, muncul pesan error 502."))
    return w.last_body()


def ack_gangguan_diumumkan(tmp_path: Path) -> str:
    from helpdesk_bot import outages

    w = monday(tmp_path)
    with w.store.transaction():
        outages.declare(w.store, "Layanan SPSE tidak dapat diakses sejak pukul 08.30 WIB karena pemeliharaan server. "
                        "Perkiraan pulih pukul 11.00 WIB.", STAFF)
    w.clock.now += dt.timedelta(minutes=20)
    w.deliver(request_mail("SPSE tidak bisa diakses", sender=GARUT, body="SPSE tidak bisa diakses, error 502."))
    return w.last_body()


def _onboarding(tmp_path: Path) -> tuple[World, str]:
    w = monday(tmp_path)
    docs = [("surat.pdf", pdf("SURAT PERMOHONAN PENGGANTIAN PERSONIL ADMINISTRATOR AGENCY", ADMIN)),
            ("sk.pdf", pdf("SURAT KEPUTUSAN PENUNJUKAN ADMINISTRATOR AGENCY", ADMIN))]
    tid = w.deliver(request_mail("Penggantian admin agency", sender="Sekretariat <setda@garutkab.go.id>", attachments=docs))
    return w, tid


def notice_bimtek(tmp_path: Path) -> str:
    w, tid = _onboarding(tmp_path)
    return w.act(tid, "bimtek", "Selasa, 8 Desember 2026 pukul 09.00 WIB di Ruang Pelatihan LPSE Provinsi Jawa Barat")


def notice_hadir(tmp_path: Path) -> str:
    w, tid = _onboarding(tmp_path)
    w.act(tid, "bimtek", "Selasa, 8 Desember 2026 pukul 09.00 WIB")
    return w.act(tid, "hadir")


def notice_akses(tmp_path: Path) -> str:
    w, tid = _onboarding(tmp_path)
    w.act(tid, "bimtek", "Selasa, 8 Desember 2026 pukul 09.00 WIB")
    w.act(tid, "hadir")
    return w.act(tid, "akses")


def ack_lainnya(tmp_path: Path) -> str:
    w = World(tmp_path, dt.datetime(2026, 11, 30, 19, 40, tzinfo=WIB))  # Monday evening
    w.deliver(request_mail("Pertanyaan", sender="Budi <budi.santoso@yahoo.co.id>",
                           body="Apakah penyedia yang belum verifikasi dapat mengikuti tender?"))
    return w.last_body()


def refusal_sub_agency(tmp_path: Path) -> str:
    w = monday(tmp_path)
    w.deliver(request_mail("Pendaftaran sub agency", sender="Dinas Kesehatan <dinkes@bekasikota.go.id>",
                           body="Mohon didaftarkan sub agency untuk Puskesmas."))
    return w.last_body()


def _ubah_ticket(tmp_path: Path) -> tuple[World, str]:
    w = monday(tmp_path)
    tid = w.deliver(request_mail("Ubah jadwal", sender=GARUT,
                                 attachments=[("ubah.pdf", pdf("FORMULIR PERMINTAAN UBAH JADWAL", UBAH))]))
    return w, tid


def notice_proses(tmp_path: Path) -> str:
    w, tid = _ubah_ticket(tmp_path)
    return w.act(tid, "proses")


def notice_selesai(tmp_path: Path) -> str:
    w, tid = _ubah_ticket(tmp_path)
    return w.act(tid, "selesai", "Jadwal tahapan Upload Dokumen Penawaran telah diubah sesuai permohonan.")


def notice_tolak(tmp_path: Path) -> str:
    w, tid = _ubah_ticket(tmp_path)
    return w.act(tid, "tolak", "Formulir belum ditandatangani oleh Ketua Pokja Pemilihan.")


def notice_catatan(tmp_path: Path) -> str:
    w, tid = _ubah_ticket(tmp_path)
    return w.act(tid, "catatan", "Mohon kirimkan juga surat pengantar dari Kepala UKPBJ.")


CASES: dict[str, Callable[[Path], str]] = {f.__name__: f for f in (
    ack_ubah_jadwal_mendesak, ack_ubah_jadwal_tanggal_lewat, ack_reset_password_kurang_sk, ack_bergabung_lengkap,
    ack_permintaan_data, ack_bimtek, ack_gangguan, ack_gangguan_diumumkan, ack_lainnya, refusal_sub_agency,
    notice_proses, notice_selesai, notice_tolak, notice_catatan, notice_bimtek, notice_hadir, notice_akses,
)}


@pytest.mark.parametrize("name", sorted(CASES))
def test_rendered_reply_matches_golden_file(name: str, tmp_path: Path) -> None:
    text = CASES[name](tmp_path)
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path}; run with UPDATE_GOLDEN=1 and read it"
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(CASES))
def test_voice_rules_hold_in_every_reply(name: str) -> None:
    """What the issue found wrong, checked on every golden reply."""
    path = GOLDEN / f"{name}.txt"
    if not path.exists():
        pytest.skip("golden file not written yet")
    text = path.read_text(encoding="utf-8")
    assert "Saudara" not in text  # one form of address
    assert text.startswith("Yth. Bapak/Ibu")
    assert "paling lambat" not in text  # no deadline the SLA never set
    assert "Dengan menyesal" not in text
    assert "Telepon (022) 1234567" in text and "https://lpse.jabarprov.go.id" in text  # letterhead
    for para in text.split("\n\n"):
        lines = para.split("\n")
        # No hard break mid-sentence: a line that ends without punctuation is followed by a list or nothing.
        for a, b in zip(lines, lines[1:]):
            if a and a[-1].isalpha() and b and b[0].islower():
                raise AssertionError(f"hard break mid-sentence in {name}: {a!r} / {b!r}")

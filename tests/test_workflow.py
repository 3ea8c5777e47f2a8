"""Staff workflow: urgency from form dates, commands by mail and CLI, password confirmations.

Everything runs on a Store with an injected clock, through the real Pipeline (text PDFs made
by docgen), so what is tested is what the daemon does; no server is needed here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from docgen import text_pdf
from helpdesk_bot.config import Config, ScreeningConfig, StaffConfig, embedded_default
from helpdesk_bot.office_hours import OfficeCalendar
from helpdesk_bot.pipeline import Pipeline
from helpdesk_bot.reply_service import ReplyService
from helpdesk_bot.reload import load_for
from helpdesk_bot.sources.base import SourceMessage
from helpdesk_bot.store import Store
from helpdesk_bot.quoting import own_text
from helpdesk_bot.workflow import (
    ActionError,
    act,
    is_confirmation,
    is_urgent,
    parse_command,
    stage_end,
    thread_hooks,
)
from mails import request_mail

WIB = ZoneInfo("Asia/Jakarta")
STAFF = "andi@lpse.jabarprov.go.id"
AUTHSERV = "mx.lpse.jabarprov.go.id"
AUTH_PASS = (f"{AUTHSERV}; dkim=pass header.d=lpse.jabarprov.go.id; "
             "spf=pass smtp.mailfrom=andi@lpse.jabarprov.go.id; dmarc=pass header.from=lpse.jabarprov.go.id")
AUTH_FAIL = f"{AUTHSERV}; spf=fail smtp.mailfrom=andi@lpse.jabarprov.go.id; dmarc=fail header.from=lpse.jabarprov.go.id"


def wib(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=WIB)


class FakeClock:
    """The one time source of a test: Store.now() reads it; tests move it."""

    def __init__(self, now: dt.datetime):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += dt.timedelta(**kw)


@dataclasses.dataclass
class World:
    config: Config
    store: Store
    clock: FakeClock
    pipeline: Pipeline
    keys: int = 0

    @property
    def replies(self) -> ReplyService:
        """What staff actions, the digest and the report render and queue their mail with."""
        return self.pipeline.replies

    def deliver(self, msg: email.message.EmailMessage, mailbox: str = "helpdesk") -> object:
        """Run one mail through the pipeline, as the daemon's mailbox loop does."""
        self.keys += 1
        return self.pipeline.process(SourceMessage(mailbox, f"k{self.keys}", bytes(msg)))

    def outbox(self, kind: str | None = None) -> list[email.message.EmailMessage]:
        rows = self.store.query("SELECT * FROM outbox ORDER BY id")
        return [email.message_from_bytes(r["raw"], policy=email.policy.default) for r in rows
                if kind is None or r["kind"] == kind]

    def kinds(self, ticket_id: str) -> list[str]:
        return [e["kind"] for e in self.store.events(ticket_id)]


def make_world(tmp_path: Path, now: dt.datetime, **staff: object) -> World:
    base = embedded_default(tmp_path)
    config = dataclasses.replace(
        base,
        staff=StaffConfig(addresses=(STAFF,), **staff),  # type: ignore[arg-type]
        screening=dataclasses.replace(ScreeningConfig(), trusted_authserv_ids=(AUTHSERV,)),
    )
    clock = FakeClock(now)
    store = Store(tmp_path / "helpdesk.db", clock=clock)
    rules = load_for(config)
    cal = OfficeCalendar(config.working_hours, config.helpdesk.timezone)
    pipeline = Pipeline(config, store, lambda: rules, cal, hooks=thread_hooks())
    return World(config, store, clock, pipeline)


UBAH_JADWAL_FIELDS = {
    "Kode Tender": "48658064",
    "Nama Paket": "Pembangunan Gedung Kantor Dinas Pendidikan",
    "Satuan Kerja": "Dinas Pendidikan Provinsi Jawa Barat",
    "Tahapan": "Upload Dokumen Penawaran",
    "Jadwal Semula": "Jumat, 27 November 2026 pukul 16.00",
    "Jadwal Perubahan": "Senin, 30 November 2026 pukul 15.00",
    "Alasan": "Gangguan server saat unggah dokumen",
}


def cli_config(w: World, tmp_path: Path, extra: str = "") -> Path:
    """A config.toml for the CLI on this world's database (Maildir in, .eml replies), plus ``extra``."""
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"""
[storage]
database = "{w.store.path}"

[[mailbox]]
name = "helpdesk"
address = "helpdesk@lpse.jabarprov.go.id"
kind = "maildir"
path = "{tmp_path}/maildir"

[smtp]
kind = "directory"
path = "{tmp_path}/outbox"
{extra}""")
    return cfg



def ubah_jadwal_request(**fields: str) -> email.message.EmailMessage:
    pdf = text_pdf("FORMULIR PERMINTAAN UBAH JADWAL", {**UBAH_JADWAL_FIELDS, **fields})
    return request_mail(subject="Permohonan ubah jadwal tender 48658064", attachments=[("ubah_jadwal.pdf", pdf)])


def staff_mail(world: World, ticket_id: str, body: str, auth: str | None = AUTH_PASS,
               sender: str = f"Andi Helpdesk <{STAFF}>", attachments: list[tuple[str, bytes]] = (),
               thread: bool = True) -> email.message.EmailMessage:
    """A staff reply in the ticket's thread (or with only the tag in the subject)."""
    ticket = world.store.ticket(ticket_id)
    assert ticket is not None
    headers = {"Authentication-Results": auth} if auth else {}
    return request_mail(subject=f"Re: [{ticket_id}] Permohonan", body=body, sender=sender,
                        in_reply_to=ticket.message_id if thread else "", headers=headers,
                        attachments=list(attachments))


@pytest.fixture
def friday_evening(tmp_path: Path) -> World:
    """Friday 27 November 2026, 17:00 WIB: after office hours, before a weekend."""
    return make_world(tmp_path, wib(2026, 11, 27, 17, 0))


@pytest.fixture
def tuesday(tmp_path: Path) -> World:
    """Tuesday 24 November 2026, 09:00 WIB: office open."""
    return make_world(tmp_path, wib(2026, 11, 24, 9, 0))


# ---------------------------------------------------------------------------------------------
# dates and urgency


@pytest.mark.parametrize("text, expected", [
    ("20 November 2026", wib(2026, 11, 20, 23, 59, 59)),
    ("20/11/2026 15:00", wib(2026, 11, 20, 15, 0)),
    ("Jumat, 27 November 2026 pukul 16.00", wib(2026, 11, 27, 16, 0)),
    ("27 Nopember 2026 pukul 16.00 WIB", wib(2026, 11, 27, 16, 0)),
    ("20 Nov 2026 08.00 s.d. 22 Nov 2026 15.30", wib(2026, 11, 22, 15, 30)),
    ("2026-11-20 10:15", wib(2026, 11, 20, 10, 15)),
    ("20-11-2026", wib(2026, 11, 20, 23, 59, 59)),
    ("Senin, 2 Februari 2026 s/d Rabu, 4 Februari 2026 pukul 23:59", wib(2026, 2, 4, 23, 59)),
])
def test_stage_end_parses_indonesian_dates(text: str, expected: dt.datetime) -> None:
    assert stage_end(text, WIB) == expected


@pytest.mark.parametrize("text", ["", "segera", "31/02/2026", "Upload Dokumen Penawaran"])
def test_stage_end_without_a_date_is_none(text: str) -> None:
    assert stage_end(text, WIB) is None


def test_urgent_when_stage_ends_before_next_opening() -> None:
    cal = OfficeCalendar(embedded_default().working_hours)
    friday_1700 = wib(2026, 11, 27, 17, 0)  # next opening: Monday 30 November 07.30
    assert is_urgent({"jadwal_semula": "Minggu, 29 November 2026 pukul 23.59"}, friday_1700, cal)
    # Already over: hurrying saves nothing, so not urgent; stale_dates names it instead.
    assert not is_urgent({"jadwal_semula": "27/11/2026 16:00"}, friday_1700, cal)
    assert not is_urgent({"jadwal_semula": "30 November 2026 pukul 15.00"}, friday_1700, cal)
    assert not is_urgent({"jadwal_semula": "tidak jelas"}, friday_1700, cal)
    assert not is_urgent({}, friday_1700, cal)


def test_urgent_in_hours_when_stage_ends_today() -> None:
    cal = OfficeCalendar(embedded_default().working_hours)
    tuesday_0900 = wib(2026, 11, 24, 9, 0)
    assert is_urgent({"jadwal_semula": "24 November 2026 pukul 14.00"}, tuesday_0900, cal)
    assert not is_urgent({"jadwal_semula": "25 November 2026 pukul 14.00"}, tuesday_0900, cal)


def test_pipeline_marks_urgent_ticket_and_lists_it_first(friday_evening: World) -> None:
    w = friday_evening
    calm = w.deliver(ubah_jadwal_request(**{"Jadwal Semula": "Rabu, 2 Desember 2026 pukul 15.00"}))
    urgent = w.deliver(ubah_jadwal_request(**{"Jadwal Semula": "Sabtu, 28 November 2026 pukul 10.00"}))
    assert not w.store.ticket(calm.ticket_id).urgent
    assert w.store.ticket(urgent.ticket_id).urgent
    assert [t.id for t in w.store.tickets()][0] == urgent.ticket_id


def test_ack_on_friday_evening_names_monday_opening(friday_evening: World) -> None:
    w = friday_evening
    out = w.deliver(ubah_jadwal_request())
    assert out.kind == "ticket"
    ack = w.outbox()[0].get_body(("plain",)).get_content()
    assert "Senin, 30 November 2026 pukul 07.30 WIB" in " ".join(ack.split())


# ---------------------------------------------------------------------------------------------
# parsing commands and confirmations


def test_parse_command_first_non_empty_line() -> None:
    cmd = parse_command("\n\n#tolak Formulir belum ditandatangani\nMohon kirim ulang.\n\n> quoted\n> #selesai")
    assert cmd is not None and cmd.action == "tolak"
    assert cmd.argument == "Formulir belum ditandatangani"
    assert cmd.text == "Formulir belum ditandatangani\n\nMohon kirim ulang."
    assert parse_command("#SELESAI\nJadwal sudah diubah.").action == "selesai"
    assert parse_command("Terima kasih\n#selesai") is None
    assert parse_command("#hapus semua") is None
    assert parse_command("> #selesai") is None


def test_own_text_stops_at_quote_header_and_signature() -> None:
    text = "#proses\nSedang dikerjakan.\n\nPada Jum, 27 Nov 2026 pukul 17.00, Pokja menulis:\n> lama"
    assert own_text(text) == "#proses\nSedang dikerjakan."
    assert own_text("#catatan ok\n--\nAndi") == "#catatan ok"


@pytest.mark.parametrize("text", ["sudah", "Sudah diganti", "sudah saya ganti, terima kasih", "Telah diganti.",
                                  "Baik, sudah kami ubah", "Password sudah diganti", "sdh diganti pak"])
def test_confirmations(text: str) -> None:
    assert is_confirmation(text + "\n\n> Mohon segera mengganti password")


@pytest.mark.parametrize("text", ["belum", "sudah tapi belum bisa login", "Bagaimana cara mengganti password?",
                                  "Terima kasih", "", "> sudah"])
def test_not_confirmations(text: str) -> None:
    assert not is_confirmation(text)


# ---------------------------------------------------------------------------------------------
# staff commands by mail


def test_staff_selesai_by_mail_sends_notice_and_starts_reminders(tuesday: World) -> None:
    w = tuesday
    t_id = w.deliver(ubah_jadwal_request()).ticket_id
    w.clock.advance(hours=1)
    out = w.deliver(staff_mail(w, t_id, "#selesai\nJadwal upload penawaran telah diubah.\n\n> kutipan lama"))
    assert out.kind == "command", out.reason
    t = w.store.ticket(t_id)
    assert t.status == "selesai" and t.closed_at is not None
    assert t.next_reminder_at == w.pipeline.calendar.add_working_hours(w.clock.now, w.config.reminders.interval_hours)
    notice = w.outbox("notice_selesai")[-1]
    body = " ".join(notice.get_body(("plain",)).get_content().split())
    assert notice["To"] == "pokja12@bandungkab.go.id"
    assert notice["In-Reply-To"] == w.store.ticket(t_id).message_id
    assert t_id in notice["Subject"]
    assert "Jadwal upload penawaran telah diubah." in body
    assert "kutipan lama" not in body
    assert "SEGERA mengganti password" in body
    events = w.store.events(t_id)
    change = next(e for e in events if e["kind"] == "status_changed")
    assert change["actor"] == STAFF and '"new": "selesai"' in change["detail"]


def test_staff_command_with_only_ticket_tag_in_subject(tuesday: World) -> None:
    w = tuesday
    t_id = w.deliver(ubah_jadwal_request()).ticket_id
    out = w.deliver(staff_mail(w, t_id, "#proses", thread=False))
    assert out.kind == "command"
    assert w.store.ticket(t_id).status == "diproses"
    assert len(w.store.tickets()) == 1  # never a new ticket


def test_staff_command_naming_no_ticket_is_a_failed_command_not_a_ticket(tuesday: World) -> None:
    w = tuesday
    t_id = w.deliver(ubah_jadwal_request()).ticket_id
    msg = staff_mail(w, t_id, "#selesai", thread=False)
    msg.replace_header("Subject", "Re: [HD-2026-09999] Permohonan")
    out = w.deliver(msg)
    assert out.kind == "command_failed" and out.ticket_id is None
    assert [t.id for t in w.store.tickets()] == [t_id]
    assert w.store.query("SELECT kind FROM events WHERE ticket_id IS NULL AND kind = 'command_failed'")


def test_forged_staff_command_changes_nothing_and_is_recorded(tuesday: World) -> None:
    w = tuesday
    t_id = w.deliver(ubah_jadwal_request()).ticket_id
    before = w.store.ticket(t_id)
    n_out = len(w.outbox())
    for auth in (AUTH_FAIL, None, AUTH_PASS.replace(AUTHSERV, "mx.evil.example")):
        out = w.deliver(staff_mail(w, t_id, "#selesai\nsudah beres", auth=auth))
        assert out.kind == "command_rejected"
    assert w.store.ticket(t_id) == before
    assert len(w.outbox()) == n_out  # no reply to the forger, no notice to the requester
    assert w.kinds(t_id).count("command_rejected") == 3
    ledger = w.store.query("SELECT outcome FROM messages WHERE outcome = 'command_rejected'")
    assert len(ledger) == 3


def test_command_from_non_staff_is_rejected(tuesday: World) -> None:
    w = tuesday
    t_id = w.deliver(ubah_jadwal_request()).ticket_id
    out = w.deliver(staff_mail(w, t_id, "#selesai", sender="Pokja <pokja12@bandungkab.go.id>"))
    assert out.kind == "command_rejected"
    assert w.store.ticket(t_id).status == "antre"


def test_trusted_relay_counts_as_authenticated(tmp_path: Path) -> None:
    w = make_world(tmp_path, wib(2026, 11, 24, 9, 0), trusted_relays=("relay.lpse.jabarprov.go.id",))
    t_id = w.deliver(ubah_jadwal_request()).ticket_id
    msg = staff_mail(w, t_id, "#proses", auth=None)
    # Received must be the topmost header, as the receiving server writes it; its "from" part
    # (not the "by" host, which is our own server) is the relay.
    raw = f"Received: from relay (relay.lpse.jabarprov.go.id [10.0.0.5]) by {AUTHSERV}\r\n".encode()
    w.keys += 1
    out = w.pipeline.process(SourceMessage("helpdesk", "relay", raw + bytes(msg)))
    assert out.kind == "command"
    assert w.store.ticket(t_id).status == "diproses"


def test_tolak_without_reason_fails_and_is_recorded(tuesday: World) -> None:
    w = tuesday
    t_id = w.deliver(ubah_jadwal_request()).ticket_id
    out = w.deliver(staff_mail(w, t_id, "#tolak"))
    assert out.kind == "command_failed"
    assert w.store.ticket(t_id).status == "antre"
    assert "command_failed" in w.kinds(t_id)


def test_tolak_by_mail_sends_reason(tuesday: World) -> None:
    w = tuesday
    t_id = w.deliver(ubah_jadwal_request()).ticket_id
    w.deliver(staff_mail(w, t_id, "#tolak Formulir belum ditandatangani oleh Ketua Pokja"))
    assert w.store.ticket(t_id).status == "ditolak"
    body = " ".join(w.outbox("notice_tolak")[-1].get_body(("plain",)).get_content().split())
    assert "Formulir belum ditandatangani oleh Ketua Pokja" in body


def test_staff_attachment_goes_to_requester(tuesday: World) -> None:
    w = tuesday
    t_id = w.deliver(ubah_jadwal_request()).ticket_id
    w.deliver(staff_mail(w, t_id, "#catatan Berikut tangkapan layar jadwal baru.",
                         attachments=[("jadwal_baru.pdf", b"%PDF-1.4 hasil")]))
    notice = w.outbox("notice_catatan")[-1]
    names = [p.get_filename() for p in notice.iter_attachments()]
    assert names == ["jadwal_baru.pdf"]
    assert w.store.ticket(t_id).status == "antre"
    assert "staff_note" in w.kinds(t_id)


def test_staff_text_is_redacted_in_notice(tuesday: World) -> None:
    w = tuesday
    t_id = w.deliver(ubah_jadwal_request()).ticket_id
    w.deliver(staff_mail(w, t_id, "#catatan Silakan login, password: Rahasia123"))
    body = w.outbox("notice_catatan")[-1].get_body(("plain",)).get_content()
    assert "Rahasia123" not in body


# ---------------------------------------------------------------------------------------------
# password confirmations


def test_requester_confirmation_stops_reminders(tuesday: World) -> None:
    w = tuesday
    t_id = w.deliver(ubah_jadwal_request()).ticket_id
    w.deliver(staff_mail(w, t_id, "#selesai"))
    notice = w.outbox("notice_selesai")[-1]
    reply = request_mail(subject=f"Re: {notice['Subject']}", body="Sudah diganti, terima kasih.\n\n> PENTING",
                         in_reply_to=notice["Message-ID"])
    out = w.deliver(reply)
    assert out.kind == "password_confirmed"
    t = w.store.ticket(t_id)
    assert t.password_confirmed_at == w.clock.now and t.next_reminder_at is None
    assert "password_confirmed" in w.kinds(t_id)
    # A second "sudah" is an ordinary follow-up now.
    again = request_mail(subject=f"Re: {notice['Subject']}", body="sudah", in_reply_to=notice["Message-ID"])
    assert w.deliver(again).kind == "followup"


def test_confirmation_before_selesai_is_a_followup(tuesday: World) -> None:
    w = tuesday
    created = w.deliver(ubah_jadwal_request())
    ack = w.outbox()[-1]
    out = w.deliver(request_mail(subject=f"Re: {ack['Subject']}", body="sudah", in_reply_to=ack["Message-ID"]))
    assert out.kind == "followup"
    assert w.store.ticket(created.ticket_id).password_confirmed_at is None


# ---------------------------------------------------------------------------------------------
# act() directly (what the CLI calls)


def test_act_lifecycle_and_refusals(tuesday: World) -> None:
    w = tuesday
    t_id = w.deliver(ubah_jadwal_request()).ticket_id
    with w.store.transaction():
        r = act(w.store, w.replies, t_id, "proses", "cli:andi")
    assert (r.old_status, r.new_status) == ("antre", "diproses") and len(r.replies) == 1
    with pytest.raises(ActionError), w.store.transaction():
        act(w.store, w.replies, t_id, "proses", "cli:andi")
    with w.store.transaction():
        act(w.store, w.replies, t_id, "selesai", "cli:andi", "Selesai.")
    with pytest.raises(ActionError, match="berstatus selesai"), w.store.transaction():
        act(w.store, w.replies, t_id, "tolak", "cli:andi", "terlambat")
    with pytest.raises(ActionError, match="tidak ditemukan"):
        act(w.store, w.replies, "HD-2026-99999", "proses", "cli:andi")
    kinds = w.kinds(t_id)
    assert kinds.count("status_changed") == 2


def test_uji_forensik_selesai_requires_and_sends_result(tuesday: World) -> None:
    w = tuesday
    with w.store.transaction():
        t_id = w.store.create_ticket("HD", request_type="uji_forensik", status="diproses",
                                     requester="pokja7@garutkab.go.id", subject="Uji forensik", message_id="<u@x>")
    with pytest.raises(ActionError, match="Hasil permintaan uji forensik wajib dilampirkan"), w.store.transaction():
        act(w.store, w.replies, t_id, "selesai", "cli:andi")
    with w.store.transaction():
        act(w.store, w.replies, t_id, "selesai", "cli:andi", "Berkas dapat dibuka.",
            [("hasil_uji_forensik.pdf", "application/pdf", b"%PDF-1.4 hasil")])
    notice = w.outbox("notice_selesai")[-1]
    assert [p.get_filename() for p in notice.iter_attachments()] == ["hasil_uji_forensik.pdf"]
    body = " ".join(notice.get_body(("plain",)).get_content().split())
    assert "Hasil uji forensik kami sampaikan dalam lampiran" in body
    assert "mengganti password" not in body
    assert w.store.ticket(t_id).next_reminder_at is None


def test_reset_password_notice_never_holds_a_password(tuesday: World) -> None:
    w = tuesday
    with w.store.transaction():
        t_id = w.store.create_ticket("HD", request_type="reset_password", status="antre",
                                     requester="admin@cimahikota.go.id", subject="Reset password", message_id="<r@x>")
    with w.store.transaction():
        r = act(w.store, w.replies, t_id, "selesai", "cli:andi", "Password baru: Baru#2026xyz",
                [("password.txt", "text/plain", b"Baru#2026xyz")])
    notice = w.outbox("notice_selesai")[-1]
    raw = notice.as_string()
    assert "Baru#2026xyz" not in raw
    assert list(notice.iter_attachments()) == []
    assert r.notes and "lampiran tidak dikirim" in r.notes[0]
    assert "kata sandi tidak pernah kami kirimkan" in " ".join(notice.get_body(("plain",)).get_content().split())


def test_new_request_in_a_closed_tickets_thread_opens_a_new_ticket(tuesday: World) -> None:
    w = tuesday
    first = ubah_jadwal_request()
    t_id = w.deliver(first).ticket_id
    assert w.deliver(staff_mail(w, t_id, "#selesai\nJadwal sudah diubah.")).kind == "command"
    ack = w.outbox()[-1]
    again = ubah_jadwal_request()
    del again["In-Reply-To"], again["References"]
    again["In-Reply-To"] = ack["Message-ID"]
    again["References"] = f"{first['Message-ID']} {ack['Message-ID']}"
    out = w.deliver(again)
    assert out.kind == "ticket" and out.ticket_id != t_id
    assert w.store.ticket(t_id).status == "selesai"
    assert "previous_thread" in w.kinds(out.ticket_id)
    # A reply in the new ticket's thread belongs to the new ticket, not the old one.
    reply_to_new = staff_mail(w, out.ticket_id, "#proses")
    assert w.deliver(reply_to_new).ticket_id == out.ticket_id


def test_past_dates_are_stale_not_urgent() -> None:
    """An ubah_jadwal whose Jadwal Semula ended 12 days ago is flagged and named, never 'urgent'."""
    from helpdesk_bot.workflow import stale_dates

    cal = OfficeCalendar(embedded_default().working_hours)
    monday = wib(2026, 11, 30, 9, 0)
    fields = {"jadwal_semula": "18 November 2026 pukul 16.00", "jadwal_perubahan": "Kamis, 3 Desember 2026"}
    assert not is_urgent(fields, monday, cal)
    assert stale_dates(fields, monday, cal) == [("Jadwal Semula", "18 November 2026 pukul 16.00")]
    both = {**fields, "jadwal_perubahan": "25/11/2026"}
    assert [label for label, _ in stale_dates(both, monday, cal)] == [
        "Jadwal Semula", "Jadwal Perubahan (tanggal yang dimohonkan)"]
    assert stale_dates({"jadwal_semula": "30 November 2026 pukul 15.00"}, monday, cal) == []


def test_stale_request_is_flagged_to_staff(tmp_path: Path) -> None:
    world = make_world(tmp_path, wib(2026, 11, 30, 9, 0))
    out = world.deliver(ubah_jadwal_request(**{"Jadwal Semula": "18 November 2026"}))
    ticket = world.store.ticket(out.ticket_id)
    assert not ticket.urgent and "Jadwal Semula 18 November 2026" in ticket.needs_staff
    text = " ".join(world.outbox()[0].get_body(("plain",)).get_content().split())
    assert "tanggal berikut pada formulir telah berlalu" in text and "Jadwal Semula: 18 November 2026" in text


def test_result_required_is_the_rules_flag_not_a_type_id(tuesday: World) -> None:
    """``result_required = true`` in a type's TOML is what refuses "#selesai" without the result:
    set on ubah_jadwal (which never had it), the same command is refused with the type's name."""
    w = tuesday
    rules = w.pipeline.rules
    strict = dataclasses.replace(rules, types={**rules.types, "ubah_jadwal": dataclasses.replace(
        rules.types["ubah_jadwal"], result_required=True)})
    w.pipeline._rules = lambda: strict
    t_id = w.deliver(ubah_jadwal_request()).ticket_id
    out = w.deliver(staff_mail(w, t_id, "#selesai\nSudah diubah."))
    assert out.kind == "command_failed" and "Hasil permintaan ubah jadwal wajib dilampirkan" in out.reason
    assert w.store.ticket(t_id).status == "antre"
    w.deliver(staff_mail(w, t_id, "#selesai\nSudah diubah.", attachments=[("hasil.pdf", b"%PDF-1.4 hasil")]))
    assert w.store.ticket(t_id).status == "selesai"

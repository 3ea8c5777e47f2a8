"""Decide which mails must never be answered, and record why.

A helpdesk that answers a bounce, an out-of-office reply or a mailing list makes noise at
best and a mail loop at worst, so every automatic reply passes through here first. The
checks are the union of what the mature helpdesks do (Zammad's ``AutoResponseCheck``,
osTicket's ``isBounceOrAutoReply``, RT's ``IsMachineGeneratedMail``), arranged as small
named rules in the way GNU Mailman arranges its moderation rules: each rule has a ``name``
and a ``description`` and answers "did I hit, and why?". Every rule runs, so the digest can
show all the evidence, and the first hit names the suppression.

Rules are *hard* (a machine wrote this: DSN/MDN, Auto-Submitted, list headers, our own
address, an empty Return-Path, mailer-daemon ...) or *soft* (a person may well have written
it: the helpdesk in Bcc, a "[Penting]" tag, bulk wording, an unsolicited offer). A hard hit
suppresses outright. A soft hit suppresses only a mail that carries no request evidence (a
recognised document, a ticket id, a request in the text): government staff do Bcc the
helpdesk on real requests, and answering a newsletter costs less than losing a request.
``screen`` returns the verdict before the evidence is known (``soft`` tells the caller to look);
``settle`` applies the evidence once documents and classification are known.

Headers are the strong evidence (RFC 3834 ``Auto-Submitted``, RFC 2369/2919 list headers,
RFC 3464/8098/5965 reports). Subjects and the first lines of the body are the fallback for
the many auto-responders that set no header at all; those checks use only phrases that a
person writing a request would not put there, because suppressing a genuine request is
the other failure this module must avoid.
"""

from __future__ import annotations

import email.message
import email.utils
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from .envelope import Envelope

if TYPE_CHECKING:  # pragma: no cover
    from .config import Config


@dataclass(frozen=True)
class ScreenContext:
    """What the rules need to know about this installation."""

    own_addresses: frozenset[str]
    #: Suppress when the From domain's DMARC check failed (no backscatter to forged senders).
    suppress_on_dmarc_fail: bool = False
    #: authserv-ids whose Authentication-Results headers count; empty = topmost header only.
    trusted_authserv_ids: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, cfg: "Config") -> "ScreenContext":
        """Build the context from the loaded configuration."""
        return cls(
            own_addresses=cfg.own_addresses,
            suppress_on_dmarc_fail=cfg.screening.no_reply_on_dmarc_fail,
            trusted_authserv_ids=cfg.screening.trusted_authserv_ids,
        )


@dataclass(frozen=True)
class ScreenResult:
    """The verdict: suppress or not, the deciding rule, and every rule that hit."""

    suppress: bool
    rule: str
    reason: str
    hits: tuple[tuple[str, str], ...] = field(default=())
    #: Only soft rules hit: request evidence may still lift the suppression (see ``settle``).
    soft: bool = False
    #: Why request evidence overrode the soft hits (empty when it did not).
    overridden: str = ""

    @property
    def soft_hits(self) -> tuple[tuple[str, str], ...]:
        return tuple(h for h in self.hits if h[0] in SOFT_RULES)

    @property
    def hard_hits(self) -> tuple[tuple[str, str], ...]:
        return tuple(h for h in self.hits if h[0] not in SOFT_RULES)


@dataclass(frozen=True)
class Rule:
    """One named check; ``check`` returns the reason it hit, or None."""

    name: str
    description: str
    test: Callable[[Envelope, ScreenContext], str | None] = field(repr=False, compare=False)
    #: A person may write this too: request evidence lifts the suppression.
    soft: bool = False

    def check(self, env: Envelope, ctx: ScreenContext) -> str | None:
        return self.test(env, ctx)


# --------------------------------------------------------------------------------------------
# Helpers


def _values(env: Envelope, name: str) -> list[str]:
    """All values of a header as plain strings (compat32 may hand back Header objects)."""
    try:
        raw = env.headers.get_all(name) or []
    except Exception:  # pragma: no cover - a broken header block must not crash screening
        return []
    return [" ".join(str(v).split()) for v in raw]


def _first(env: Envelope, name: str) -> str:
    values = _values(env, name)
    return values[0] if values else ""


def _addresses_in(value: str) -> list[str]:
    return [a.strip().lower() for _, a in email.utils.getaddresses([value]) if a.strip()]


def _parts(msg: email.message.Message, limit: int = 500) -> Iterator[email.message.Message]:
    """MIME parts of the mail itself, not of messages enclosed in it.

    A person who forwards a bounce to the helpdesk ("why did my mail fail?") is asking a
    question, so the reports inside a ``message/rfc822`` attachment do not count.
    """
    stack = [msg]
    seen = 0
    while stack and seen < limit:
        part = stack.pop()
        seen += 1
        yield part
        if part.get_content_type() == "message/rfc822":
            continue
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend(reversed([p for p in payload if isinstance(p, email.message.Message)]))


#: Auto-responders speak at the start of a line; a 1 MB one-line body is read up to here.
_LINE_CHARS = 1000
_A_LETTER = re.compile(r"[^\W\d_]")


def _first_lines(text: str, count: int = 3) -> list[str]:
    """The first ``count`` lines with words in the body, where auto-responders speak.

    Rulers of asterisks and quoted lines are skipped: they say nothing about the writer.
    """
    lines: list[str] = []
    for line in text.splitlines():
        line = " ".join(line[:_LINE_CHARS].split())
        if _A_LETTER.search(line) and not line.startswith(">"):
            lines.append(line)
            if len(lines) == count:
                break
    return lines


# --------------------------------------------------------------------------------------------
# Header rules


def _own_address(env: Envelope, ctx: ScreenContext) -> str | None:
    if env.sender and env.sender in ctx.own_addresses:
        return f"From: own address {env.sender}"
    if env.reply_to and env.reply_to in ctx.own_addresses:
        return f"Reply-To: own address {env.reply_to}"
    return None


def _x_loop(env: Envelope, ctx: ScreenContext) -> str | None:
    for value in _values(env, "X-Loop"):
        if value.strip().lower() in ("yes", "true", "1"):
            return f"X-Loop: {value}"
        for addr in _addresses_in(value):
            if addr in ctx.own_addresses:
                return f"X-Loop: own address {addr}"
    return None


_HELPDESK_LOOP_HEADERS = {
    "X-RT-Loop-Prevention": None,
    "X-OTRS-Loop": ("yes", "true"),
    "X-Znuny-Loop": ("yes", "true"),
    "X-Zammad-Loop": None,
    "X-Zammad-Send-Auto-Response": ("false", "no"),
    "X-Zammad-Is-Auto-Response": ("true", "yes"),
    "X-OSTicket-Loop": None,
}


def _other_helpdesk(env: Envelope, ctx: ScreenContext) -> str | None:
    for name, wanted in _HELPDESK_LOOP_HEADERS.items():
        for value in _values(env, name):
            if wanted is None or value.strip().lower() in wanted:
                return f"{name}: {value}"
    return None


def _auto_submitted(env: Envelope, ctx: ScreenContext) -> str | None:
    for value in _values(env, "Auto-Submitted"):
        keyword = value.split(";", 1)[0].strip().lower()
        if keyword and keyword != "no":
            return f"Auto-Submitted: {value}"
    return None


_BULK_PRECEDENCE = ("bulk", "list", "junk", "auto_reply", "auto-reply")


def _precedence(env: Envelope, ctx: ScreenContext) -> str | None:
    for name in ("Precedence", "X-Precedence"):
        for value in _values(env, name):
            if value.strip().lower() in _BULK_PRECEDENCE:
                return f"{name}: {value}"
    return None


_SUPPRESS_TOKENS = {"all", "oof", "autoreply", "dr", "rn", "nrn"}


def _auto_response_suppress(env: Envelope, ctx: ScreenContext) -> str | None:
    for value in _values(env, "X-Auto-Response-Suppress"):
        tokens = {t.strip().lower() for t in re.split(r"[,;\s]+", value) if t.strip()}
        if tokens & _SUPPRESS_TOKENS:
            return f"X-Auto-Response-Suppress: {value}"
    return None


_AUTOREPLY_HEADERS = (
    "X-Autoreply",
    "X-Autorespond",
    "X-Autoresponder",
    "X-Autoresponse",
    "X-Auto-Reply",
    "X-Mail-Autoreply",
    "X-Autogenerated",
    "X-AutoReply-From",
    "X-Vacation",
    "X-MS-Exchange-Message-Is-Ndr",
    "X-Amazon-Mail-Relay-Type",
)


def _autoreply_headers(env: Envelope, ctx: ScreenContext) -> str | None:
    for name in _AUTOREPLY_HEADERS:
        for value in _values(env, name):
            if value.strip().lower() not in ("no", "false", "0"):
                return f"{name}: {value}" if value else f"{name} present"
    return None


_LIST_HEADERS = (
    "List-Id",
    "List-Unsubscribe",
    "List-Post",
    "List-Subscribe",
    "List-Help",
    "List-Owner",
    "List-Archive",
    "Mailing-List",
    "X-Mailing-List",
    "X-BeenThere",
    "X-ML-Name",
    "X-List",
    "X-Mailman-Version",
    "X-MLServer",
)


def _list_headers(env: Envelope, ctx: ScreenContext) -> str | None:
    for name in _LIST_HEADERS:
        values = _values(env, name)
        if values:
            return f"{name}: {values[0][:120]}"
    return None


def _empty_return_path(env: Envelope, ctx: ScreenContext) -> str | None:
    for value in _values(env, "Return-Path"):
        if value.strip() in ("<>", "", "<\"\">") or re.fullmatch(r"<\s*>", value.strip()):
            return "Return-Path: <> (empty envelope sender)"
    return None


_MACHINE_LOCAL = re.compile(
    r"""^(?:
        mailer[-_]?daemon | postmaster | post[-_]?master | mail[-_]?delivery[-_a-z]*
      | no[-_.]?reply | do[-_.]?not[-_.]?reply | dont[-_.]?reply | noreply[-_.+a-z0-9]*
      | no[-_.]?replies | bounces? | bounce[-+_.].* | .+[-+]bounces?(?:[-+].*)?
      | majordomo | listserv | listserver | mailman | ezmlm | lyris | smartlist
      | owner-.+ | .+-owner | .+-request | autoreply | auto[-_]?reply | autoresponder
      | vacation | daemon | mailerdaemon | mdaemon | nobody | root
    )$""",
    re.X,
)
_MACHINE_NAME = re.compile(
    r"^(?:mail delivery (?:system|subsystem|service)|mailer[- ]daemon|postmaster"
    r"|microsoft outlook|mail administrator|system administrator|internet mail delivery"
    r"|mail delivery failure)\b",
    re.I,
)


def _machine_sender(env: Envelope, ctx: ScreenContext) -> str | None:
    candidates = [("From", env.sender)]
    candidates += [("Sender", a) for v in _values(env, "Sender") for a in _addresses_in(v)]
    candidates += [("Return-Path", a) for v in _values(env, "Return-Path") for a in _addresses_in(v)]
    for header, addr in candidates:
        local = addr.rsplit("@", 1)[0] if "@" in addr else addr
        if local and _MACHINE_LOCAL.match(local):
            return f"{header}: machine address {addr}"
    if not env.sender:
        for value in _values(env, "From"):
            if re.match(r"^\s*(?:mailer[-_]?daemon|postmaster)\b", value, re.I):
                return f"From: {value[:80]}"
    if env.sender_name and _MACHINE_NAME.match(env.sender_name.strip()):
        return f"From: machine name {env.sender_name!r}"
    return None


_REPORT_TYPES = {
    "delivery-status": "delivery status notification (DSN)",
    "disposition-notification": "read receipt (MDN)",
    "feedback-report": "abuse feedback report (ARF)",
}
_REPORT_PARTS = {
    "message/delivery-status": "delivery status notification (DSN)",
    "message/global-delivery-status": "delivery status notification (DSN)",
    "message/disposition-notification": "read receipt (MDN)",
    "message/global-disposition-notification": "read receipt (MDN)",
    "message/feedback-report": "abuse feedback report (ARF)",
}


def _report(env: Envelope, ctx: ScreenContext) -> str | None:
    for part in _parts(env.headers):
        ctype = part.get_content_type()
        if ctype == "multipart/report":
            rtype = str(part.get_param("report-type") or "").lower()
            what = _REPORT_TYPES.get(rtype, "machine report")
            return f"multipart/report; report-type={rtype or '?'}: {what}"
        if ctype in _REPORT_PARTS:
            return f"{ctype} part: {_REPORT_PARTS[ctype]}"
    return None


def _failed_recipients(env: Envelope, ctx: ScreenContext) -> str | None:
    for name in ("X-Failed-Recipients", "Original-Recipient", "Final-Recipient"):
        values = _values(env, name)
        if values:
            return f"{name}: {values[0][:120]}"
    return None


def _too_many_hops(env: Envelope, ctx: ScreenContext) -> str | None:
    hops = len(_values(env, "Received"))
    return f"{hops} Received headers (mail loop)" if hops >= 30 else None


def _spam_flag(env: Envelope, ctx: ScreenContext) -> str | None:
    if _first(env, "X-Spam-Flag").strip().lower() == "yes":
        return "X-Spam-Flag: YES"
    status = _first(env, "X-Spam-Status")
    if status.lower().startswith("yes"):
        return f"X-Spam-Status: {status[:60]}"
    return None


def _dmarc_fail(env: Envelope, ctx: ScreenContext) -> str | None:
    if not ctx.suppress_on_dmarc_fail:
        return None
    from .trust import sender_authentication  # late import: trust is optional wiring

    verdict = sender_authentication(env, ctx.trusted_authserv_ids)
    return f"DMARC failed for the From domain ({verdict.detail})" if verdict.failed_dmarc else None


def _addressed_to_us(env: Envelope, ctx: ScreenContext) -> bool:
    """Whether one of our addresses is a visible recipient (To, Cc, Resent-To, Resent-Cc).

    Delivered-To and X-Original-To do not count: the receiving server adds them to every
    mail, Bcc and list copies included, which is exactly what this test must tell apart.
    """
    visible = set(env.recipients)
    for name in ("Resent-To", "Resent-Cc"):
        for value in _values(env, name):
            visible.update(_addresses_in(value))
    return bool(visible & ctx.own_addresses)


#: Possessive (``*+``): "Fw: " repeated 26 times must not be split in 2^26 ways ("fw" is
#: both ``fwd?`` and ``fw``) before the bracket is found missing.
_LIST_TAG = re.compile(r"^\s*+(?:(?:re|aw|sv|fwd?)\s*+:\s*+)*+\[[^\]\s][^\]]{0,40}\]", re.I)


def _list_subject_tag(env: Envelope, ctx: ScreenContext) -> str | None:
    """List software tags subjects ("[notmuch] ...") and addresses the list, not us.

    A person who tags a request ("[PENTING] Ubah jadwal") writes to the helpdesk directly,
    so the tag counts only when none of our addresses is a visible recipient.
    """
    m = _LIST_TAG.match(env.subject or "")
    if m and not _addressed_to_us(env, ctx):
        return f"Subject list tag {m.group(0).strip()!r} and not addressed to the helpdesk"
    return None


def _undisclosed(env: Envelope, ctx: ScreenContext) -> str | None:
    """Mass mailings go to "undisclosed recipients" or to the sender, with the rest in Bcc."""
    if _addressed_to_us(env, ctx):
        return None
    to_values = " ".join(_values(env, "To")).lower()
    if "undisclosed" in to_values or "recipient list suppressed" in to_values:
        return f"To: {to_values[:60]} (helpdesk in Bcc of a mass mailing)"
    if env.sender and set(env.recipients) == {env.sender}:
        return f"To: only the sender {env.sender} (helpdesk in Bcc of a mass mailing)"
    return None


_EXECUTABLE = re.compile(
    r"\.(?:exe|pif|scr|com|bat|cmd|vbs|vbe|js|jse|wsf|wsh|hta|cpl|msi|jar|lnk|ps1)\s*$", re.I
)


def _archive_names(data: bytes) -> list[str]:
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return zf.namelist()[:200]
    except Exception:
        return []


def _executable_attachment(env: Envelope, ctx: ScreenContext) -> str | None:
    """Mail carrying programs is a virus, never a request (the SLA asks for PDF and DOCX)."""
    for att in env.attachments:
        names = [att.filename]
        if att.data[:4] == b"PK\x03\x04":
            names += [f"{att.filename}/{n}" for n in _archive_names(att.data)]
        for name in names:
            if _EXECUTABLE.search(name or ""):
                return f"Executable attachment {' '.join(name.split())[:80]!r} (virus)"
    return None


_TZ = re.compile(r"([+-])(\d{2})(\d{2})\s*+(?:\([^()]*+\))?\s*+$")


def _received_dates(env: Envelope) -> list[float]:
    stamps = []
    for value in _values(env, "Received")[:10]:
        date_part = value.rsplit(";", 1)[-1] if ";" in value else ""
        parsed = email.utils.parsedate_tz(date_part.strip()) if date_part else None
        if parsed:
            stamps.append(email.utils.mktime_tz(parsed))
    return stamps


def _forged_date(env: Envelope, ctx: ScreenContext) -> str | None:
    """A Date no mail program writes (time zone +0360) or a year away from delivery: spam.

    Clients with a wrong clock exist, so the gap must be large; the digest still shows it.
    """
    date = _first(env, "Date")
    m = _TZ.search(date)
    if m and (int(m.group(3)) >= 60 or int(m.group(2)) > 14):
        return f"Date with an impossible time zone: {date[:60]!r} (spam)"
    parsed = email.utils.parsedate_tz(date) if date else None
    received = _received_dates(env)
    if parsed and received:
        gap_days = abs(max(received) - email.utils.mktime_tz(parsed)) / 86400
        if gap_days > 365:
            return f"Date {date[:40]!r} is {gap_days:.0f} days from delivery (spam)"
    return None


_BULK_BODY = re.compile(
    r"\b(?:unsubscribe|opt[\s-]?out|berhenti\s+berlangganan|no\s+longer\s+(?:wish|want)\s+to\s+receive"
    r"|remove\s+yourself\s+from|email\s+preferences|manage\s+your\s+subscription)\b",
    re.I,
)


def _bulk_body(env: Envelope, ctx: ScreenContext) -> str | None:
    """Newsletters and spam offer a way out; a person asking the helpdesk for help does not."""
    m = _BULK_BODY.search(env.text or "")
    return f"Body offers to unsubscribe ({m.group(0)!r}): bulk mail" if m else None


#: Unsolicited commercial offers: what is sold (loans, SBU/SKK/ISO certificates, SEO, websites)
#: and how a seller speaks (offers, prices, "hubungi WA 08..."). An offer needs both, or a phrase
#: only a seller writes: a Pokja asking "apakah kami wajib memiliki SBU dan SKK?" names a product
#: and pitches nothing, and "penawaran" alone is a tender's bid.
_OFFER_PRODUCT = re.compile(
    r"\b(?:pinjaman|kredit\s+(?:multiguna|tanpa\s+agunan|usaha|pegawai|asn|pns|kendaraan|tunai)|kta|dana\s+(?:tunai|cepat|talangan)"
    r"|modal\s+usaha|sbu|skk|ska|skt|iujk|siujk|sertifika(?:t|si)\s+(?:badan\s+usaha|kompetensi|iso|keahlian|keterampilan)"
    r"|iso\s*+\d{4,5}|smk3|seo|search\s+engine|optimasi\s+(?:seo|website|situs|mesin\s+pencari)|google\s+ads|backlink"
    r"|peringkat\s+(?:website|situs|google|di\s+google)|halaman\s+(?:pertama|satu|1)\s+(?:di\s+)?google"
    r"|(?:pembuatan|desain|design|redesain)\s+(?:website|web|situs|aplikasi|logo)|web\s*design|website\s+profesional"
    r"|(?:pembuatan|pengembangan|membuat)\s+(?:aplikasi\s+dan\s+)?(?:website|situs|web)|website\s+baru"
    r"|digital\s+marketing|pemasaran\s+digital|social\s+media\s+marketing|kredit\s+usaha\s+rakyat|kur|investasi|imbal\s+hasil"
    r"|pembiayaan|plafon|tenor|bpkb|lpjk|kbli|tenaga\s+ahli|pengurusan\s+(?:izin|perizinan|sertifikat|nib|sbu|skk|ska)"
    r"|traffic|trafik|pengunjung\s+(?:website|situs)|toko\s+online|landing\s+page|company\s+profile|aplikasi\s+(?:mobile|android)"
    r"|asuransi|kartu\s+kredit|web\s*site\s+(?:re)?design|web\s+development|business\s+loans?|loans?|first\s+page\s+of\s+google)\b",
    re.I,
)
#: Phrases only a seller writes: one is an offer by itself.
_OFFER_SELLER = re.compile(
    r"\b(?:penawaran\s+(?:kerja\s*sama|kemitraan|produk|layanan|pinjaman|kredit|dana|modal|spesial|khusus|terbatas)"
    r"|proposal\s+(?:kerja\s*sama|penawaran)|biro\s+jasa|pinjaman\s+(?:tanpa\s+(?:agunan|jaminan)|online|tunai)"
    r"|kredit\s+tanpa\s+agunan|(?:jasa|layanan)\s+(?:pengurusan|pembuatan|perpanjangan)\s+(?:sbu|skk|ska|skt|sertifikat|iujk|siujk|nib|iso|website|web|situs)"
    r"|jasa\s+seo|search\s+engine\s+optimi[sz]ation|special\s+offer|limited\s+offer|harga\s+promo|diskon\s+\d{1,3}\s*%"
    r"|(?:kami|perusahaan\s+kami)\s+menawarkan)",
    re.I,
)
#: How sellers speak. Two of these are an offer even when the product is one we do not list.
_OFFER_STRONG = re.compile(
    r"\b(?:(?:kami|perusahaan\s+kami|tim\s+kami)\s+(?:menawarkan|siap\s+membantu|memberikan\s+(?:layanan|jasa))"
    r"|(?:ingin|bermaksud|hendak)\s+menawarkan|menawarkan\s+(?:jasa|layanan|produk|kerja\s*sama|solusi|program|pinjaman|kredit|pendampingan|konsultasi)"
    r"|penawaran\s+(?:kerja\s*sama|kemitraan|jasa|produk|layanan|pinjaman|kredit|dana|modal|spesial|khusus|terbatas)"
    r"|perkenankan\s+kami|(?:memperkenalkan|perkenalkan)\s+(?:layanan|produk|jasa|perusahaan)|biro\s+jasa|kami\s+(?:biro|konsultan|agen)\b"
    r"|hubungi\s+(?:kami|marketing|admin\s+kami|panitia|cs|customer)|konsultasi\s+gratis|gratis\s+konsultasi"
    r"|harga\s+(?:terjangkau|murah|mulai|promo|spesial|khusus|bersaing)|biaya\s+(?:terjangkau|murah|ringan)"
    r"|mulai\s+(?:dari\s+)?rp|proses\s+(?:cepat|mudah|kilat)|syarat\s+mudah|tanpa\s+(?:agunan|jaminan|ribet|survei)"
    r"|bergaransi|promo|diskon\s+\d|angsuran\s+ringan|cicilan\s+ringan|bunga\s+(?:rendah|ringan|mulai|hanya|\d)"
    r"|pencairan\s+(?:cepat|dana|dalam)|cair\s+dalam|limited\s+offer|special\s+offer|daftar\s+sekarang"
    r"|jangan\s+lewatkan|proposal\s+(?:kerja\s*sama|penawaran)|dibuka\s+pendaftaran|kami\s+dari\s+(?:bank|koperasi|leasing|asuransi)"
    r"|we\s+(?:offer|provide|are\s+an?|can\s+help)|our\s+(?:seo\s+)?(?:team|services|agency|company)"
    r"|free\s+(?:audit|consultation|trial|quote)|apply\s+(?:today|now)|low\s+interest|affordable|reply\s+for)",
    re.I,
)
#: Words a seller uses that anyone might write ("melayani", a WhatsApp number): with a product, an offer.
_OFFER_WEAK = re.compile(
    r"\b(?:melayani|menyediakan|(?:jasa|layanan)\s+(?:pengurusan|pembuatan|perpanjangan|pengajuan|konsultasi|konsultan)"
    r"|(?:wa|whatsapp|telp|tlp|hp|cp|kontak|contact|hubungi|call|info|informasi|hub)\b[^0-9\n]{0,12}+(?:\+?62|0)\s*+8"
    r"|wa\.me|untuk\s+info(?:rmasi)?\s+lebih\s+lanjut|biaya\s+(?:rp|\d)|tersedia\s+(?:fasilitas|layanan|program|paket)"
    r"|informasi\s+program|berpengalaman|terpercaya|vendor\s+it|siap\s+membantu)",
    re.I,
)
#: Seller phrases counted at most (the body is 4000 characters; a pitch repeats itself).
_PITCH_CAP = 8


def _offer_signals(text: str) -> tuple[list[str], int, list[str]]:
    """(distinct seller phrases, how many of them only a seller writes, products named)."""
    pitches: list[str] = []
    strong = 0
    for rx in (_OFFER_SELLER, _OFFER_STRONG, _OFFER_WEAK):
        for m in rx.finditer(text):
            said = " ".join(m.group(0).lower().split())[:60]
            if said not in pitches and len(pitches) < _PITCH_CAP:
                pitches.append(said)
                strong += rx is not _OFFER_WEAK
            if len(pitches) >= _PITCH_CAP:
                break
    product = _OFFER_PRODUCT.search(text)
    return pitches, strong, [" ".join(product.group(0).lower().split())[:40]] if product else []


def offer_hits(text: str, where: str = "") -> list[tuple[str, str]]:
    """The offer rules' hits on a text: ``commercial_offer`` (a seller's phrase, a product and a
    pitch, or two pitches only a seller writes) and ``sales_pitch`` (a product pitched twice or
    more, once at least in words only a seller writes, or three seller-only pitches): a signature's
    "HP/WA: 08..." is no pitch of its own."""
    text = text[:4000]
    hits: list[tuple[str, str]] = []
    seller = _OFFER_SELLER.search(text)
    pitches, strong, products = _offer_signals(text)
    if seller:
        hits.append(("commercial_offer", f"Unsolicited commercial offer{where} ({' '.join(seller.group(0).split())[:60]!r})"))
    elif (pitches and products) or strong >= 2:
        what = products[0] if products else pitches[1]
        hits.append(("commercial_offer", f"Unsolicited commercial offer{where} ({pitches[0]!r} ... {what!r})"))
    if (len(pitches) >= 2 and strong and products) or strong >= 3:
        selling = f" selling {products[0]!r}" if products else ""
        hits.append(("sales_pitch", f"Sales pitch{where}: {', '.join(repr(p) for p in pitches[:4])}{selling}"))
    return hits


def _offer_text(env: Envelope) -> str:
    return f"{env.subject or ''}\n{(env.text or '')[:4000]}"


def _commercial_offer(env: Envelope, ctx: ScreenContext) -> str | None:
    """A seller's pitch is not a request; suppressed unless the mail also carries a request."""
    return dict(offer_hits(_offer_text(env))).get("commercial_offer")


def _sales_pitch(env: Envelope, ctx: ScreenContext) -> str | None:
    """An offer that pitches twice or more (a product, a price, a WhatsApp number ...): its own
    words name what it sells ("pendampingan tender", "website error"), so only a document or a
    ticket id lifts it (``OFFER_RULES``)."""
    return dict(offer_hits(_offer_text(env))).get("sales_pitch")


# --------------------------------------------------------------------------------------------
# Subject and body rules (for auto-responders that set no header)

#: Leading tags a relay or filter may put before an auto-responder's subject. Every
#: repetition here and in ``_FORWARD_PREFIX`` is possessive (``*+``, Python 3.11): a tag or a
#: "Fw:" once taken is never given back, so a subject of many tags or prefixes is read once
#: instead of in every possible split (26 x "Fw: " took minutes).
_TAG_PREFIX = r"^\s*+(?:\[[^\]]{0,40}\]\s*+|\*{1,3}[^*]{0,30}\*{1,3}\s*+)*+"

_AUTOREPLY_SUBJECT_START = re.compile(
    _TAG_PREFIX
    + r"(?:balasan\s+otomatis|balas(?:an)?\s+otomatis|jawaban\s+otomatis|pesan\s+otomatis"
    r"|auto(?:matic|mated)?[\s_-]*(?:reply|response|respond|answer)|autoreply|autoresponse"
    r"|auto[\s-]?antwort|automatische\s+antwort|abwesenheitsnotiz|abwesend"
    r"|out\s+of\s+(?:the\s+)?office|ooo\b|away\s+from\s+(?:the\s+)?office"
    r"|vacation\b|on\s+vacation|on\s+leave|on\s+holiday"
    r"|sedang\s+cuti|sedang\s+tidak\s+(?:berada\s+)?di\s+kantor|sedang\s+di\s+luar\s+kantor"
    r"|r[ée]ponse\s+automatique|r[ée]ponse\s+en\s+absence|absence\s+du\s+bureau"
    r"|risposta\s+automatica|respuesta\s+autom[áa]tica|resposta\s+autom[áa]tica"
    r"|automatisch\s+antwoord|afwezig|automatyczna\s+odpowied[źz]|automatick[áa]\s+odpov[ěe][ďd]"
    r"|autosvar|automaattinen\s+vastaus|fuera\s+de\s+la\s+oficina|assente"
    r"|please\s+confirm\s+your\s+(?:e-?mail|message)|confirm\s+your\s+e-?mail\s+address"
    r"|your\s+e-?mail\s+requires\s+verification|verify\s+your\s+e-?mail"
    r"|read:|dibaca:|not\s+read:|tidak\s+dibaca:|return\s+receipt|read\s+receipt"
    r"|empfangsbest[äa]tigung|gelesen:|lu\s*:)",
    re.I,
)
_AUTOREPLY_SUBJECT_ANYWHERE = re.compile(
    r"\b(?:is\s+out\s+of\s+(?:the\s+)?office|(?:automatic|auto)[\s-]reply\s*:|autoreply\s*:"
    r"|balasan\s+otomatis|out\s+of\s+office\s+(?:reply|auto)|abwesenheitsnotiz"
    r"|r[ée]ponse\s+automatique|risposta\s+automatica|respuesta\s+autom[áa]tica"
    r"|auto-?response\s+from|away\s+message)",
    re.I,
)
_BOUNCE_SUBJECT_ANYWHERE = re.compile(
    r"(?:\((?:delivery\s+failed|undeliverable|failure|delivery\s+failure)\)\s*$|:\s*non\s+remis\b"
    r"|\bdelivery\s+status\s+notification\s+\((?:failure|delay)\))",
    re.I,
)

#: A bounce forwarded as is ("Fwd: Returned mail") is still a bounce, not a request.
_FORWARD_PREFIX = r"(?:(?:fwd?|trs?|wg|rv|enc|terus(?:kan)?)\s*+:\s*+)*+"

_BOUNCE_SUBJECT_START = re.compile(
    _TAG_PREFIX
    + _FORWARD_PREFIX
    + r"(?:loop\s+(?:alert|detected)|mail\s+loop|delivery\s+status\s+notification|undeliverable|undelivered\s+mail|undeliverd"
    r"|mail\s+delivery\s+(?:failed|failure|problem|system|error|notification|report|status)"
    r"|returned\s+mail|return(?:ed)?\s+to\s+sender|failure\s+notice|failed\s+mail|failed\s+delivery"
    r"|delivery\s+(?:failure|failed|notification|report|problem|has\s+failed|delayed|status)"
    r"|non[-\s]?deliver(?:y|able)|nondeliverable|message\s+(?:not\s+delivered|delivery\s+fail|undeliverable)"
    r"|could\s+not\s+send\s+message|warning:\s+could\s+not\s+send|delayed\s+mail|mail\s+system\s+error"
    r"|notice\s+of\s+delivery\s+failure|notification\s+d['e]\s*[ée]tat\s+de\s+(?:la\s+)?distribution"
    r"|unzustellbar|non\s+remis|nicht\s+zustellbar|no\s+entregado|non\s+recapitabile"
    # "Tidak dapat dikirim: <subject>" (Outlook), "Pesan tidak terkirim"; a person's "Gagal
    # mengirim dokumen penawaran" is a report about SPSE, not a bounce.
    r"|(?:tidak\s+terkirim|tidak\s+dapat\s+(?:dikirim|terkirim)|gagal\s+(?:terkirim|dikirim|mengirim))"
    r"(?:\s*+(?::|$)|\s+(?:pesan|email|e-mail|surel|mail)\b)"
    r"|pemberitahuan\s+status\s+pengiriman|pesan\s+tidak\s+terkirim|surat\s+dikembalikan"
    r"|mail\s+could\s+not\s+be\s+delivered|your\s+message\s+(?:could\s+not|was\s+not|wasn't)"
    r"|message\s+you\s+sent\s+(?:could|was)|rejected\s*:|bounced?\s+(?:mail|message)"
    r"|permanent\s+(?:delivery\s+)?(?:error|failure)|temporary\s+(?:delivery\s+)?failure"
    r"|transient\s+failure|delivery\s+unsuccessful|undeliverable\s+mail|mail\s+not\s+delivered"
    r"|postmaster\s+notify|error\s+sending\s+message|sending\s+failed"
    r"|message\s+status\s*-\s*undeliverable|nondelivery|ndn:|ndr:|dsn:)",
    re.I,
)


def _subject(env: Envelope, ctx: ScreenContext) -> str | None:
    subject = " ".join((env.subject or "").split())
    if not subject:
        return None
    if _BOUNCE_SUBJECT_START.match(subject) or _BOUNCE_SUBJECT_ANYWHERE.search(subject):
        return f"Subject of a delivery failure: {subject[:100]!r}"
    if _AUTOREPLY_SUBJECT_START.match(subject) or _AUTOREPLY_SUBJECT_ANYWHERE.search(subject):
        return f"Subject of an automatic reply: {subject[:100]!r}"
    return None


#: Phrases that open a machine's message, never a person's request.
_BODY_STRONG = re.compile(
    r"(?:this\s+is\s+an?\s+auto(?:matic(?:ally)?|mated)(?:[\s-]+generated)?\s+(?:reply|response|message|notification|e-?mail)"
    r"|this\s+is\s+an\s+automatically\s+generated"
    r"|^\W*+(?:balasan|pesan|jawaban)\s+otomatis\b|\b(?:ini|merupakan)\s+(?:adalah\s+)?(?:balasan|pesan|jawaban|email|surel)\s+otomatis"
    r"|\b(?:e-?mail|pesan|surel)\s+ini\s+(?:adalah\s+|merupakan\s+)?(?:balasan\s+otomatis|(?:dikirim|dibuat)\s+(?:secara\s+)?otomatis)"
    r"|^\W*+(?:automatic\s+reply|auto[\s-]?reply|autoresponse|auto[\s-]?response)\b"
    r"|i\s+am\s+(?:currently\s+)?(?:out\s+of\s+(?:the\s+)?office|away\s+from\s+(?:the\s+|my\s+)?office|on\s+(?:annual\s+)?leave|on\s+vacation)"
    r"|i'?m\s+(?:currently\s+)?(?:out\s+of\s+(?:the\s+)?office|away\s+from\s+(?:the\s+|my\s+)?office|on\s+(?:annual\s+)?leave|on\s+vacation)"
    r"|i\s+will\s+be\s+out\s+of\s+(?:the\s+)?office|is\s+out\s+of\s+(?:the\s+)?office"
    r"|thank\s+you\s+for\s+your\s+(?:e-?mail|message)\.?\s+i\s+(?:am|will\s+be)\s+(?:out|away|on)"
    r"|this\s+is\s+the\s+(?:mail\s+system|postfix\s+program|qmail-send\s+program|mail\s+delivery)"
    r"|hi\.\s+this\s+is\s+the\s+qmail"
    r"|^\W*your\s+(?:e-?mail|message)\s+(?:was|has\s+been)\s+received\b"
    r"|^\W*+(?:we\s+have\s+)?received\s+your\s+(?:e-?mail|message)\b.{0,60}\b(?:ticket|case|reference)"
    r"|^\W*+(?:terima\s+kasih[,.!]?\s+)?(?:e-?mail|pesan|surel)\s+(?:anda|saudara|bapak/ibu)\s+(?:telah|sudah)\s+(?:kami\s+)?(?:terima|diterima)"
    r"|this\s+account\s+is\s+protected\s+by|added\s+to\s+the\s+recipient'?s\s+allowed\s+list"
    r"|(?:this\s+message\s+was\s+created\s+automatically\s+by\s+mail\s+delivery)"
    r"|delivery\s+(?:to\s+the\s+following\s+recipients?|has)\s+failed"
    r"|your\s+message\s+(?:did\s+not\s+reach|could\s+not\s+be\s+delivered|was\s+not\s+delivered|wasn't\s+delivered)"
    r"|(?:message|mail)\s+(?:could\s+not|couldn't)\s+be\s+delivered"
    r"|i'?m\s+sorry\s+to\s+(?:have\s+to\s+)?inform\s+you\s+that\s+(?:your|the)\s+message"
    r"|the\s+original\s+message\s+was\s+received\s+at"
    r"|unable\s+to\s+deliver\s+(?:your\s+)?(?:message|mail)"
    r"|votre\s+message\s+n'a\s+pas\s+pu\s+[êe]tre\s+(?:d[ée]livr[ée]|remis|distribu[ée])"
    r"|pesan\s+(?:anda\s+)?tidak\s+(?:dapat\s+)?terkirim|gagal\s+mengirim(?:kan)?\s+pesan)",
    re.I,
)
#: "Saya sedang cuti/tidak di kantor ... dan akan kembali ..." is an out-of-office notice; the
#: same words next to a request ("mohon", "tolong") are a person explaining their situation.
_BODY_AWAY = re.compile(
    r"(?:sedang\s+cuti|sedang\s+tidak\s+(?:berada\s+)?di\s+kantor|sedang\s+di\s+luar\s+kantor"
    r"|sedang\s+(?:dinas|perjalanan\s+dinas)\s+luar)"
    r".{0,120}\b(?:kembali|masuk\s+kantor|aktif\s+kembali|membalas)",
    re.I,
)
_BODY_REQUEST = re.compile(r"\b(?:mohon|tolong|bantu|permohonan|minta|meminta|izin|ijin)\b", re.I)


def _body(env: Envelope, ctx: ScreenContext) -> str | None:
    for line in _first_lines(env.text or ""):
        m = _BODY_STRONG.search(line)
        if m:
            return f"Body opens like a machine: {m.group(0)[:80]!r}"
        m = _BODY_AWAY.search(line)
        if m and not _BODY_REQUEST.search(line):
            return f"Body opens with an out-of-office notice: {m.group(0)[:80]!r}"
    return None


# --------------------------------------------------------------------------------------------

RULES: tuple[Rule, ...] = (
    Rule("own_address", "From or Reply-To is one of the helpdesk's own addresses (loop)", _own_address),
    Rule("x_loop", "X-Loop says yes or names one of our addresses (loop)", _x_loop),
    Rule("other_helpdesk", "Loop markers of other helpdesk systems (RT, OTRS/Znuny, Zammad, osTicket)",
         _other_helpdesk),
    Rule("too_many_hops", "So many Received headers that the mail is looping", _too_many_hops),
    Rule("auto_submitted", "RFC 3834 Auto-Submitted other than 'no'", _auto_submitted),
    Rule("precedence", "Precedence / X-Precedence bulk, list, junk or auto_reply", _precedence),
    Rule("auto_response_suppress", "X-Auto-Response-Suppress asks for no automatic replies",
         _auto_response_suppress),
    Rule("autoreply_headers", "Vendor auto-reply headers (X-Autoreply, X-Autorespond, ...)", _autoreply_headers),
    Rule("list_headers", "Mailing-list headers (List-Id, List-Unsubscribe, ...)", _list_headers),
    Rule("empty_return_path", "Empty envelope sender (Return-Path: <>), as bounces have", _empty_return_path),
    Rule("machine_sender", "Sender is mailer-daemon, postmaster, no-reply, a list robot ...", _machine_sender),
    Rule("report", "multipart/report or a DSN/MDN/ARF part (bounce, read receipt, abuse report)", _report),
    Rule("failed_recipients", "X-Failed-Recipients and other bounce-only headers", _failed_recipients),
    Rule("executable_attachment", "Carries a program (virus)", _executable_attachment),
    Rule("dmarc_fail", "DMARC failed for the From domain (forged sender, no backscatter)", _dmarc_fail),
    Rule("subject", "Subject of an auto-reply or a delivery failure", _subject),
    Rule("body", "The body's first lines are those of an auto-reply or a bounce", _body),
    # Soft: a person may write like this; request evidence lifts the suppression (settle()).
    Rule("list_subject_tag", "Subject carries a list tag and the helpdesk is not a visible recipient",
         _list_subject_tag, soft=True),
    Rule("undisclosed", "Helpdesk in Bcc of a mail to undisclosed recipients or to the sender", _undisclosed,
         soft=True),
    Rule("spam_flag", "Marked as spam by the receiving server", _spam_flag, soft=True),
    Rule("forged_date", "Date header no mail program writes, or a year from delivery (spam)", _forged_date,
         soft=True),
    Rule("bulk_body", "Body offers to unsubscribe (newsletter, spam)", _bulk_body, soft=True),
    Rule("commercial_offer", "Unsolicited commercial offer (loans, SBU/SKK services, SEO)", _commercial_offer,
         soft=True),
    Rule("sales_pitch", "An offer that pitches a product twice or more (prices, contacts, promises)", _sales_pitch,
         soft=True),
)

#: Names of the soft rules (a person may write like this).
SOFT_RULES = frozenset(r.name for r in RULES if r.soft)
#: Soft rules that a plain request in the text may lift: how a person addresses a mail
#: (Bcc, a "[Penting]" tag) says nothing about what it asks. Offers and bulk wording need
#: stronger evidence (a document, a ticket id, or a request type named in the text).
ADDRESSING_RULES = frozenset({"list_subject_tag", "undisclosed"})
#: Soft rules that only a document, a ticket id or a thread lifts: a seller's text names what
#: it sells ("pendampingan tender", "website error"), so words in it are no request evidence.
OFFER_RULES = frozenset({"sales_pitch"})


def screen(env: Envelope, ctx: ScreenContext, rules: tuple[Rule, ...] = RULES) -> ScreenResult:
    """Run every rule and record every hit; suppress when any hits, naming the first hard hit
    (rules are in priority order), else the first soft one with ``soft=True``."""
    hits: list[tuple[str, str]] = []
    hard: list[tuple[str, str]] = []
    for rule in rules:
        try:
            reason = rule.check(env, ctx)
        except Exception as e:  # a rule bug must not let a bounce through, nor crash the loop
            reason = f"rule failed ({type(e).__name__}: {e}); suppressed to be safe"
            hard.append((rule.name, reason))
            hits.append((rule.name, reason))
            continue
        if reason:
            hits.append((rule.name, reason))
            if not rule.soft:
                hard.append((rule.name, reason))
    if not hits:
        return ScreenResult(suppress=False, rule="", reason="", hits=())
    first = hard[0] if hard else hits[0]
    return ScreenResult(suppress=True, rule=first[0], reason=first[1], hits=tuple(hits), soft=not hard)


def attachment_offers(verdict: ScreenResult, texts: list[tuple[str, str]]) -> ScreenResult:
    """Add the offer hits found in attachments that hold no known document (a brochure sent
    with "terlampir brosur kami"): they count like the mail's own words, as soft hits that
    request evidence may still lift (``settle``). ``texts`` is (file name, extracted text)."""
    names = {name for name, _ in verdict.hits}
    extra: list[tuple[str, str]] = []
    for filename, text in texts:
        for name, reason in offer_hits(text, f" in attachment {' '.join(filename.split())[:60]!r}"):
            if name not in names:
                names.add(name)
                extra.append((name, reason))
    if not extra:
        return verdict
    hits = verdict.hits + tuple(extra)
    if verdict.suppress:
        return replace(verdict, hits=hits)
    return ScreenResult(suppress=True, rule=extra[0][0], reason=extra[0][1], hits=hits, soft=True)


def settle(verdict: ScreenResult, strong: list[str], weak: list[str] = (),  # type: ignore[assignment]
           text: list[str] = ()) -> ScreenResult:  # type: ignore[assignment]
    """The final verdict once the request evidence is known.

    ``strong`` evidence (a recognised document, a ticket id, the ticket's thread) lifts any soft
    suppression; ``text`` evidence (a request type named in the subject or body) lifts every soft
    suppression but an offer's (``OFFER_RULES``); ``weak`` evidence (a plain request in the text)
    lifts only suppressions that rest on how the mail was addressed. Hard hits are never lifted.
    """
    if not (verdict.suppress and verdict.soft):
        return verdict
    names = {name for name, _ in verdict.hits}
    why = list(strong)
    if not why and not names & OFFER_RULES:
        why = list(text) or (list(weak) if names <= ADDRESSING_RULES else [])
    if not why:
        return verdict
    return replace(verdict, suppress=False, overridden="; ".join(why))


def screening_summary(verdict: ScreenResult, limit: int = 900) -> str:
    """The deciding reason, then every other hit: what the messages ledger and digest record."""
    others = [f"{name}: {reason}" for name, reason in verdict.hits if name != verdict.rule]
    text = verdict.reason + (f" (also: {'; '.join(others)})" if others else "")
    return text[:limit]


def evidence_note(verdict: ScreenResult) -> str:
    """Why a soft suppression was lifted, for the ticket's reasons and --explain."""
    names = ", ".join(name for name, _ in verdict.soft_hits)
    return f"soft screening hit(s) {names} overridden by request evidence: {verdict.overridden}"


__all__ = ["ADDRESSING_RULES", "OFFER_RULES", "attachment_offers", "offer_hits", "RULES", "SOFT_RULES", "Rule", "ScreenContext", "ScreenResult", "evidence_note", "screen", "screening_summary", "settle"]

"""The request type, the documents received and the documents missing.

The attached document decides ("the attached document decides", DOMAIN.md): a type whose
trigger document is attached beats any subject or body. Subject and body break ties between
types consistent with the documents (an SK alone: reset, replacement, joining or an extra
admin?), and decide alone only when no known document is attached. Every step that counted
is recorded as a Hit, so "why this type?" always has an answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .documents import DocumentText
from .envelope import Envelope
from .fields import extract_fields, find_kode_tender, normalise
from .quoting import own_text
from .recognise import Recognition, page_text, recognise
from .ruleset import RequestType, RuleSet


@dataclass(frozen=True)
class Hit:
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.detail}"


@dataclass
class AttachmentResult:
    filename: str
    documents: list[Recognition]
    method: str
    error: str = ""
    detail: str = ""


@dataclass
class Classification:
    request_type: str
    type_name: str
    documents: list[str]
    missing: list[str]
    fields: dict[str, str]
    field_problems: dict[str, str]
    #: Data the SLA requires that the documents lack (e.g. "NIP", "alamat email").
    lacking_data: list[str]
    hits: list[Hit]
    attachments: list[AttachmentResult] = field(default_factory=list)
    #: Every type's score, for --explain.
    scores: dict[str, int] = field(default_factory=dict)
    #: What the mail does besides asking for a type: "thanks" (a thank-you or a confirmation,
    #: a note on its ticket), "vendor_account" (a penyedia's own SPSE account: the vendor path),
    #: "status" (a question about an earlier request), or "".
    intent: str = ""
    #: The type is the rules' fallback ("nothing else matched"): no request evidence by itself.
    fallback: bool = False

    @property
    def reasons(self) -> list[str]:
        return [str(h) for h in self.hits]


#: The SLA asks four data of an Administrator Agency (DOMAIN.md).
ADMIN_DATA = {"nama_lengkap": "Nama Lengkap", "nip": "NIP", "telepon": "No. Telepon/HP", "email": "alamat email"}

DOC_TRIGGER = 100
DOC_REQUIRED = 10
KW_SUBJECT = 3
KW_BODY = 2
KW_ATTACHMENT = 1


def recognise_attachments(docs: list[DocumentText], rules: RuleSet) -> list[AttachmentResult]:
    return [
        AttachmentResult(d.filename, recognise(d.text, d.filename, rules), d.method, d.error, d.detail)
        for d in docs
    ]


def _keyword_score(rt: RequestType, subject: str, body: str, attachment_text: str) -> tuple[int, list[Hit]]:
    best, hits = 0, []
    for where, text, weight in (("subject", subject, KW_SUBJECT), ("body", body, KW_BODY),
                                ("attachment text", attachment_text, KW_ATTACHMENT)):
        for rx in rt.keywords:
            m = rx.search(text)
            if m:
                hits.append(Hit(f"keyword:{rt.id}", f"{where} matches {rx.pattern!r}: {m.group(0)[:60]!r}"))
                best = max(best, weight * rt.keyword_weight)
                break
    return best, hits


def decide(found: set[str], subject: str, body: str, attachment_text: str, rules: RuleSet) -> tuple[RequestType, list[Hit], dict[str, int]]:
    scores: dict[str, int] = {}
    hits_by_type: dict[str, list[Hit]] = {}
    # Is a deciding document attached? Then words cannot make a type that has no use for the
    # documents. An SK alone decides nothing (four types need one), so words still may.
    deciding = any(found & set(t.triggers) for t in rules.types.values())
    for rt in rules.types.values():
        if rt.fallback:
            continue
        score, hits = 0, []
        triggered = found & set(rt.triggers)
        consistent = found & set(rt.required)
        for doc in sorted(triggered):
            score += DOC_TRIGGER
            hits.append(Hit(f"document:{rt.id}", f"{doc} attached (decides {rt.id})"))
        for doc in sorted(consistent - triggered):
            score += DOC_REQUIRED
            hits.append(Hit(f"document:{rt.id}", f"{doc} attached (required by {rt.id})"))
        kw, kw_hits = _keyword_score(rt, subject, body, attachment_text)
        if deciding and not consistent:
            kw = 0
        score += kw
        if kw:
            hits.extend(kw_hits)
        scores[rt.id] = score
        hits_by_type[rt.id] = hits
    ranked = sorted((t for t in rules.types.values() if not t.fallback and scores[t.id] > 0),
                    key=lambda t: (scores[t.id], t.priority), reverse=True)
    if not ranked:
        fb = rules.fallback
        why = "no known document and no keyword" if not found else f"documents {sorted(found)} decide no type"
        return fb, [Hit(f"fallback:{fb.id}", why)], scores
    winner = ranked[0]
    hits = hits_by_type[winner.id]
    if len(ranked) > 1 and scores[ranked[1].id] == scores[winner.id]:
        hits.append(Hit("tie-break", f"{winner.id} over {ranked[1].id} by priority {winner.priority} > {ranked[1].priority}"))
    return winner, hits, scores


def asks_admin_data(rt: RequestType, found: set[str], rules: RuleSet) -> bool:
    """The type asks the Administrator Agency data (``admin_data`` in its rule) and a document
    that carries them (``admin_data`` in its form) has arrived."""
    return rt.admin_data and any(spec.admin_data for d in found if (spec := rules.forms.get(d)) is not None)


def lacking_admin_data(rt: RequestType, fields: dict[str, str], problems: dict[str, str], found: set[str],
                       rules: RuleSet) -> list[str]:
    """The Administrator Agency data the SLA asks for that the documents lack, as the reply names them."""
    if not asks_admin_data(rt, found, rules):
        return []
    lacking = []
    for key, label in ADMIN_DATA.items():
        if key in problems:
            lacking.append(f"{label} ({problems[key]})")
        elif key not in fields:
            lacking.append(label)
    return lacking


def merge_lacking(rt: RequestType, before: list[str], ticket_fields: dict[str, str], later: Classification,
                  found: set[str], rules: RuleSet) -> list[str]:
    """What is still lacking after documents sent later: a value is settled once any document
    gave it validly; a later invalid value names its problem; otherwise the earlier verdict stays."""
    if not asks_admin_data(rt, found, rules):
        return []
    lacking = []
    for key, label in ADMIN_DATA.items():
        earlier = next((x for x in before if x == label or x.startswith(label + " (")), None)
        if key in later.fields and key not in later.field_problems:
            continue
        if key in ticket_fields and earlier is None:
            continue
        if key in later.field_problems:
            lacking.append(f"{label} ({later.field_problems[key]})")
        else:
            lacking.append(earlier or label)
    return lacking


def classify(env: Envelope, docs: list[DocumentText], rules: RuleSet) -> Classification:
    attachments = recognise_attachments(docs, rules)
    found_order: list[str] = []
    doc_hits: list[Hit] = []
    for att in attachments:
        for r in att.documents:
            if r.doc_id not in found_order:
                found_order.append(r.doc_id)
            doc_hits.append(Hit(f"recognised:{r.doc_id}", f"{att.filename} p.{r.pages} by {r.how} {r.matched!r} ({r.score:g})"))
    found = set(found_order)
    unrecognised_text = "\n".join(
        normalise(d.text[:3000]) for d, a in zip(docs, attachments) if not a.documents)
    rt, hits, scores = decide(found, normalise(env.subject), normalise(env.text[:5000]), unrecognised_text, rules)
    fields: dict[str, str] = {}
    problems: dict[str, str] = {}
    for d, att in zip(docs, attachments):
        for r in att.documents:
            spec = rules.forms.get(r.doc_id)
            if spec and spec.fields:
                # Several documents in one scan: each gives the fields of its own pages.
                text = page_text(d.text, r) if len(att.documents) > 1 else d.text
                got = extract_fields(text, spec.fields, d.form_values)
                for k, v in got.values.items():
                    fields.setdefault(k, v)
                for k, v in got.problems.items():
                    problems.setdefault(k, v)
    if "kode_tender" not in fields:
        kode = find_kode_tender(f"{env.subject}\n{env.text[:5000]}")
        if kode and rt.tender_code:
            fields["kode_tender"] = kode
    # A file name alone ("surat_permohonan_reset_password.pdf", an unreadable scan) is weak: what
    # the mail says about whose account it is may still decide the intent.
    by_content = {r.doc_id for att in attachments for r in att.documents if r.how != "filename"}
    intent, intent_hit = detect_intent(env, by_content, rt, rules, unrecognised_text)
    if intent in ("thanks", "vendor_account") and not rt.fallback:
        rt = rules.fallback  # not a new request of the type its words name
        hits = [intent_hit]
    elif intent_hit is not None:
        hits = [intent_hit, *hits]
    if rt.status_question:
        intent = "status"
    missing = [d for d in rt.required if d not in found]
    return Classification(
        intent=intent,
        request_type=rt.id,
        type_name=rt.name,
        documents=found_order,
        missing=missing,
        fields=fields,
        field_problems=problems,
        lacking_data=lacking_admin_data(rt, fields, problems, found, rules),
        fallback=rt.fallback,
        hits=doc_hits + hits,
        attachments=attachments,
        scores=scores,
    )


# ---------------------------------------------------------------------------------------------
# Request evidence: what lifts a soft screening hit (screen.settle)

#: A ticket id as the daemon writes it in every subject ("HD-2026-00042").
TICKET_ID = re.compile(r"\b[A-Z]{1,6}-\d{4}-\d{3,6}\b")
#: Asking, or reporting a fault ("melaporkan", "kendala", "tidak bisa"): a report that SPSE fails
#: is a request for help even when it asks nothing in so many words.
_PLAIN_REQUEST = re.compile(r"\b(?:mohon|tolong|bantu|bantuan|permohonan|minta|meminta|memohon|apakah|bagaimana|kapan"
                            r"|melaporkan|laporan|lapor|kendala|gangguan|error|eror|gagal"
                            r"|(?:tidak|tdk|gak|ga|nggak|teu)\s+(?:bisa|bs|dapat|dpt|tiasa))\b")
_HELPDESK_WORDS = re.compile(
    r"\b(?:lpse|spse|helpdesk|admin(?:istrator)?\s+agency|pokja|tender|paket|akun|password|kata\s+sandi"
    r"|jadwal|bimtek|pelatihan|penyedia|lelang|pengadaan|tiket|server|situs|website|halaman|aplikasi|login|upload|unggah)\b")


def request_evidence(env: Envelope, result: Classification | None) -> tuple[list[str], list[str], list[str]]:
    """(strong, weak, text) evidence that a person asks the helpdesk for something.

    Strong: a recognised document, a ticket id in the subject. Text: a request type named by
    the subject or body (its keywords decided), a report that SPSE is down among them, or a
    supplier's own account question. Weak: a plain request about the helpdesk's work in the
    subject or first lines ("mohon informasi jadwal bimtek"), or a thank-you, which lift only
    Bcc-like suppressions (screen.settle says what lifts what).
    """
    strong: list[str] = []
    weak: list[str] = []
    text: list[str] = []
    if result is not None:
        for att in result.attachments:
            for r in att.documents:
                strong.append(f"document {r.doc_id} recognised in {att.filename or '(no name)'} "
                              f"({r.how}, page {r.page})")
        if any(h.rule.startswith(("keyword:", "intent:")) for h in result.hits) and not result.fallback:
            text.append(f"the text asks for {result.request_type}")
        elif result.intent == "vendor_account":
            text.append("a supplier asks about its own SPSE account")
        elif result.intent == "thanks":  # a person's note, but a newsletter thanks its readers too
            weak.append("a thank-you or confirmation from a person")
    m = TICKET_ID.search(env.subject or "")
    if m:
        strong.append(f"ticket id {m.group(0)} in the subject")
    head = normalise(f"{env.subject or ''}\n{(env.text or '')[:1500]}")
    req, topic = _PLAIN_REQUEST.search(head), _HELPDESK_WORDS.search(head)
    if req and topic:
        weak.append(f"a request in the text ({req.group(0)!r} ... {topic.group(0)!r})")
    return strong, weak, text


# ---------------------------------------------------------------------------------------------
# Intent: thanks and confirmations, a vendor's own account

#: Thanks and confirmations ("Terima kasih, hasil uji forensik sudah kami terima").
_THANKS = re.compile(r"\b(?:terima\s*kasih|terimakasih|makasih|hatur\s+nuhun|matur\s+nuwun|thank\s+you|thanks)\b"
                     r"|\b(?:sudah|telah)\s+(?:kami\s+)?(?:terima|diterima)\b|\bsudah\s+(?:berhasil|bisa|dapat)\b")
#: Anything that asks for something: then it is no mere thank-you.
_ASKS = re.compile(r"\?|\b(?:mohon(?!\s+maaf)|tolong|minta|meminta|permohonan|apakah|bagaimana|kapan|kenapa|mengapa"
                   r"|bisakah|dapatkah|terlampir|lampiran|berikut\s+kami|bersama\s+ini|belum)\b")
#: "Re:", "Balas:", "Fwd:" ...: the subject is someone else's.
_REPLY_PREFIX = re.compile(r"^\s*+(?:re|aw|sv|balas|bls|fwd?|tr|wg)\s*+:", re.I)
#: A supplier (penyedia) writes about its own SPSE account, not an agency's administrator.
_VENDOR = re.compile(r"\b(?:penyedia|vendor|rekanan|pelaku\s+usaha|perusahaan\s+kami|badan\s+usaha\s+kami"
                     r"|nama\s+perusahaan|(?:direktur|direktris|pimpinan)\s+(?:utama\s+)?(?:pt|cv|ud|firma)"
                     r"|akun\s+(?:spse\s+)?(?:pt|cv|ud|firma|koperasi|perusahaan)|bagian\s+(?:tender|pemasaran|marketing)\s+(?:pt|cv))\b")
_ACCOUNT_PROBLEM = re.compile(
    r"\b(?:lupa|reset|direset|mereset|atur\s+ulang|tidak\s+bisa|tidak\s+dapat|gagal|terblokir|diblokir|terkunci|dikunci|hilang)\s+"
    r"(?:\w+\s+){0,3}?(?:password|kata\s*sandi|sandi|akun|login|masuk|user\s*id|username)\b"
    r"|\b(?:password|kata\s*sandi|akun|user\s*id)\s+(?:\w+\s+){0,3}?(?:terblokir|diblokir|terkunci|dikunci|hilang|lupa"
    r"|tidak\s+bisa|tidak\s+dapat|kedaluwarsa|kadaluarsa|expired|salah)\b")
#: A company signs the mail or names itself as the sender ("CV Maju Jaya <...@gmail.com>").
_COMPANY_NAME = re.compile(r"^[ \t]*+(?:pt|cv|ud|firma)\.?[ \t]++[a-z]", re.M)
#: The account itself is the problem (forgotten, locked, expired), not the site: "tidak bisa
#: login" alone may be an outage (``gangguan``), "lupa password" never is.
_ACCOUNT_ITSELF = re.compile(
    r"\b(?:lupa|reset|direset|mereset|atur\s+ulang|terblokir|diblokir|terkunci|dikunci|hilang|kedaluwarsa|kadaluarsa"
    r"|expired)\b|\bsalah\s+(?:memasukkan\s+)?(?:password|kata\s*sandi|sandi)\b")
#: The account in question is an agency's: its Administrator Agency, or a Pokja's/PPK's user.
_AGENCY_ADMIN = re.compile(r"\badmin(?:istrator)?\s+agency\b|\b(?:akun|user\s*id|password|kata\s*sandi)\s+(?:pokja|ppk)\b"
                           r"|\b(?:kami|saya)\s+(?:selaku|sebagai)\s+(?:anggota\s+)?(?:pokja|ppk)\b")


def _own_text(env: Envelope) -> str:
    return normalise(own_text(env.text or "")[:2000])


def detect_intent(env: Envelope, found: set[str], rt: RequestType, rules: RuleSet,
                  attachment_text: str = "") -> tuple[str, Hit | None]:
    """("thanks" | "vendor_account" | "", the hit saying why). Documents that decide a type
    always win: a thank-you with a new form attached is a new request. ``attachment_text`` is
    the text of attachments no document was recognised in (a supplier's own letter)."""
    if any(found & set(t.triggers) for t in rules.types.values()):
        return "", None
    text = _own_text(env)
    subject = normalise(env.subject or "")
    # A subject of its own ("Mohon bantuan: SPSE tidak bisa login") may carry the request while
    # the body only says "Terima kasih."; a reply's subject quotes the request it answers.
    subject_asks = not _REPLY_PREFIX.match(subject) and (
        _ASKS.search(subject) or any(rx.search(subject) for rx in rt.keywords))
    if text and len(text) < 600 and _THANKS.search(text) and not _ASKS.search(text) and not subject_asks and not found:
        m = _THANKS.search(text)
        return "thanks", Hit("intent:thanks", f"a thank-you or confirmation ({m.group(0)!r}), asking for nothing")
    both = f"{subject}\n{text}\n{attachment_text[:4000]}"
    problem = _ACCOUNT_PROBLEM.search(both)
    vendor = _VENDOR.search(both) or _COMPANY_NAME.search(f"{normalise(env.sender_name or '')}\n{text}")
    if vendor and problem and rt.outage_report and not _ACCOUNT_ITSELF.search(both):
        return "", None  # a supplier reporting that SPSE is down: an outage report like anyone's
    if vendor and problem and not _AGENCY_ADMIN.search(both) and not found:
        return "vendor_account", Hit("intent:vendor_account",
                                     f"a supplier's own SPSE account ({vendor.group(0)!r}, {problem.group(0)!r})")
    return "", None

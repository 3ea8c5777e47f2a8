"""``classify --explain``: why a saved mail gets the type it gets, written for a person.

For one .eml file: the screening verdict, each attachment with the document it was recognised
as (and the title, pattern or file name that matched) or why not (the best title score under
the threshold, no text, unreadable and why), every request type's score with its document and
keyword hits and misses, the decision, and the reply that would be sent, rendered with the
real templates and a placeholder ticket id. No database, mailbox or SMTP server is touched.

The sample contexts that render a reply without a ticket are also what ``rules check`` uses to
render every template once (StrictUndefined catches a template naming an unknown variable).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import textwrap
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from . import redact as redaction
from .promises import make_promise
from .classify import Classification, _keyword_score
from .config import Config
from .documents import DocumentText
from .envelope import Envelope
from .fields import normalise
from .offline import Analysis, MemoryCache, analyse
from .recognise import TITLE_THRESHOLD, _head_lines, _letters
from .ruleset import RequestType, RuleSet
from .store import Ticket

#: Shown instead of a real ticket id: nothing is recorded.
PLACEHOLDER_TICKET = "HD-XXXX-XXXXX"


# ---------------------------------------------------------------------------------------------
# A ticket that does not exist, for rendering


def sample_ticket(rt: RequestType, *, documents: list[str] | None = None, missing: list[str] | None = None,
                  fields: dict[str, str] | None = None, lacking: list[str] | None = None, requester: str = "",
                  requester_name: str = "", subject: str = "", message_id: str = "", urgent: bool = False,
                  status: str = "antre", now: dt.datetime | None = None) -> Ticket:
    now = now or dt.datetime.now(dt.timezone.utc)
    return Ticket(
        id=PLACEHOLDER_TICKET, request_type=rt.id, status=status, requester=requester or "pemohon@contoh.go.id",
        requester_name=requester_name, mailbox="helpdesk", subject=subject or f"Permohonan {rt.name}",
        message_id=message_id, documents=list(documents or []), missing=list(missing if missing is not None else rt.required),
        fields=dict(fields or {}), lacking=list(lacking or []), reasons=[], urgent=urgent, needs_staff="",
        due_at=now + dt.timedelta(hours=rt.due_hours), start_at=now, created_at=now, updated_at=now,
        closed_at=None, reminder_count=0, next_reminder_at=None, password_confirmed_at=None,
    )


def _replies(config: Config, rules: RuleSet) -> Any:
    """A reply service for its context builders and templates only: no store, nothing queued."""
    from .reply_service import ReplyService

    return ReplyService(config, None, lambda: rules)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Explaining one file


def explain(path: str, config: Config, rules: RuleSet) -> str:
    out: list[str] = [f"=== {path}"]
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        return "\n".join(out + [f"cannot read the file: {e.strerror or e}"]) + "\n"
    try:
        a = analyse(raw, config, rules, MemoryCache())
        if a.error or a.env is None:
            raise ValueError(a.error)
    except Exception as e:
        out.append(f"cannot be parsed: {e}" if isinstance(e, ValueError) else f"cannot be parsed: {type(e).__name__}: {e}")
        out.append("The daemon would quarantine this mail and show it to staff; no reply would be sent.")
        return "\n".join(out) + "\n"
    env = a.env
    out += [
        f"From:       {env.sender_name + ' ' if env.sender_name else ''}<{env.sender}>",
        f"Subject:    {env.subject}",
        f"Message-ID: {env.message_id}",
        f"Date:       {env.date.isoformat() if env.date else '-'}",
        "",
    ]
    out += _screening(a)
    if a.result is None or a.verdict.suppress:
        out += ["", "DECISION: suppressed: no ticket reply is sent to a machine (recorded and shown in the digest)."]
        return "\n".join(out) + "\n"
    out += [""] + _attachments(a, rules)
    out += [""] + _rules(a, rules)
    out += [""] + _decision(a.result, rules)
    out += [""] + _reply(a, config, rules)
    return "\n".join(out) + "\n"


def _screening(a: Analysis) -> list[str]:
    """Every rule that hit, hard or soft, and why request evidence did or did not lift a soft one."""
    from .screen import SOFT_RULES

    v = a.verdict
    lines = ["SCREENING"]
    if v.suppress:
        kind = "soft signals only, and no request evidence lifts them" if v.soft else "a hard (machine) signal"
        lines.append(f"  suppressed by rule {v.rule} ({kind}): {v.reason}")
    elif v.overridden:
        lines.append("  not suppressed: only soft signals hit, and the mail carries request evidence")
    else:
        lines.append("  not suppressed: no bounce, auto-reply, list or own-address rule decided")
    for name, reason in v.hits:
        strength = "soft" if name in SOFT_RULES else "hard"
        lines.append(f"  hit {name} [{strength}]: {reason}")
    if v.overridden:
        lines.append(f"  EVIDENCE OVERRIDES the soft hit(s): {v.overridden}")
    for name, reason in a.env.unreadable:
        lines.append(f"  attachment {name!r} could not be decoded: {reason}")
    return lines


def best_title(text: str, rules: RuleSet) -> tuple[float, str, str, int]:
    """(score, document id, the line, page) of the closest title-like line, even under the threshold."""
    best = (0.0, "", "", 0)
    for page_no, page in enumerate(text.split("\f"), start=1):
        lines = _head_lines(page)
        cands = lines + [f"{a} {b}" for a, b in zip(lines, lines[1:])]
        for spec in rules.forms.values():
            for title in (_letters(normalise(t)) for t in spec.titles):
                for cand in cands:
                    if len(cand) < len(title) * 0.6 or len(cand) > len(title) * 1.6 + 12:
                        continue
                    score = fuzz.ratio(title, cand)
                    if score > best[0]:
                        best = (round(score, 1), spec.id, cand[:100], page_no)
    return best


def _attachments(a: Analysis, rules: RuleSet) -> list[str]:
    assert a.result is not None
    lines = [f"ATTACHMENTS ({len(a.docs)})"]
    if not a.docs:
        lines.append("  none")
    for i, (d, att) in enumerate(zip(a.docs, a.result.attachments), start=1):
        where = f" from {d.origin}" if d.origin else ""
        pages = f", {d.pages} page(s)" if d.pages else ""
        lines.append(f"  {i}. {d.filename or '(no name)'}{where}: {d.kind or '?'}, read by {d.method or '-'}{pages}, "
                     f"{len(d.text)} characters of text")
        for r in att.documents:
            where = f"page {r.page}" if r.end == r.page else f"pages {r.pages}"
            lines.append(f"     RECOGNISED as {r.doc_id} ({rules.form_name(r.doc_id)}) on {where} "
                         f"by {r.how} (score {r.score:g}): {r.matched!r}")
        if att.documents:
            continue
        if d.error:
            from .reply_service import UNREADABLE_REASONS

            lines.append(f"     NOT RECOGNISED: unreadable ({d.error}): {d.detail or UNREADABLE_REASONS.get(d.error, '')}")
            lines.append("     the requester is told: " + UNREADABLE_REASONS.get(d.error, d.error))
        elif not d.text.strip():
            lines.append("     NOT RECOGNISED: no text (empty text layer and no OCR result), and no file-name pattern matched")
        else:
            score, doc_id, line, page = best_title(d.text, rules)
            if doc_id:
                lines.append(f"     NOT RECOGNISED: best title score {score:g} < threshold {TITLE_THRESHOLD:g}: "
                             f"{line!r} looks most like {doc_id} (page {page})")
            else:
                lines.append("     NOT RECOGNISED: no line near the top of a page is the length of a known title")
            lines.append("     no form pattern matched the head of a page; no file-name pattern matched")
            head = " ".join(normalise(d.text[:200]).split())
            lines.append(f"     text begins: {head[:120]!r}")
    return lines


def _rules(a: Analysis, rules: RuleSet) -> list[str]:
    assert a.result is not None
    r = a.result
    env = a.env
    found = set(r.documents)
    subject, body = normalise(env.subject), normalise(env.text[:5000])
    unrec = "\n".join(normalise(d.text[:3000]) for d, att in zip(a.docs, r.attachments) if not att.documents)
    lines = ["RULES (score: documents that decide +100, documents required +10, keywords subject 3 / body 2 / attachment 1)"]
    for rt in sorted(rules.types.values(), key=lambda t: (-r.scores.get(t.id, 0), -t.priority, t.id)):
        if rt.fallback:
            continue
        mark = "=>" if rt.id == r.request_type else "  "
        lines.append(f" {mark} {rt.id:<20} score {r.scores.get(rt.id, 0):>3}  priority {rt.priority}")
        trig = sorted(found & set(rt.triggers))
        req = sorted((found & set(rt.required)) - set(trig))
        doc_parts = [f"{d} decides" for d in trig] + [f"{d} required" for d in req]
        lines.append(f"       documents: {', '.join(doc_parts) if doc_parts else 'none of ' + (', '.join(rt.triggers or rt.required) or '(no documents)')}")
        _kw, hits = _keyword_score(rt, subject, body, unrec)
        if not rt.keywords:
            lines.append("       keywords: none defined")
        elif hits:
            cancelled = " (not counted: an attached document has no use for this type)" if found and not (found & set(rt.required)) else ""
            for h in hits:
                lines.append(f"       keyword hit: {h.detail}{cancelled}")
        else:
            lines.append(f"       keywords: no match in subject, body or unrecognised attachment text ({len(rt.keywords)} pattern(s))")
    fb = rules.fallback
    lines.append(f" {'=>' if r.request_type == fb.id else '  '} {fb.id:<20} fallback when no other type scores")
    return lines


def _decision(r: Classification, rules: RuleSet) -> list[str]:
    lines = [f"DECISION: {r.request_type} ({r.type_name})"]
    for h in r.hits:
        if not h.rule.startswith("recognised:"):
            lines.append(f"  because {h}")
    lines.append(f"  documents received: {', '.join(r.documents) or '-'}")
    lines.append(f"  documents missing:  {', '.join(r.missing) or '-'}")
    if r.lacking_data:
        lines.append(f"  data the SLA requires but not found: {', '.join(r.lacking_data)}")
    if r.fields:
        shown = redaction.redact_mapping(r.fields)
        lines.append("  fields: " + "; ".join(f"{k} = {v}" for k, v in shown.items()))
    for k, v in r.field_problems.items():
        lines.append(f"  field problem {k}: {v}")
    return lines


def _reply(a: Analysis, config: Config, rules: RuleSet) -> list[str]:
    from .pipeline import initial_status
    from .promises import schedule
    from .replies import reply_subject

    assert a.result is not None
    r, env = a.result, a.env
    rt = rules.types[r.request_type]
    replies = _replies(config, rules)
    now = dt.datetime.now(dt.timezone.utc)
    urgent = False
    try:
        from .workflow import is_urgent

        urgent = not rt.refuse and is_urgent(r.fields, now, replies.calendar)
    except Exception:
        pass
    ticket = sample_ticket(rt, documents=r.documents, missing=r.missing, fields=redaction.redact_mapping(r.fields),
                           lacking=r.lacking_data, requester=env.reply_address, requester_name=env.sender_name,
                           subject=env.subject, message_id=env.message_id, urgent=urgent,
                           status=initial_status(rt, r), now=now)
    _start, _due, when = schedule(replies.calendar, rt, now, config.helpdesk.timezone)
    lines = [f"REPLY (template {rt.reply}.txt.j2; placeholder ticket id {PLACEHOLDER_TICKET}; as if received now)"]
    if not env.reply_address or "@" not in env.reply_address:
        lines.append("  no reply would be sent: the mail has no address to reply to")
        return lines
    lines.append("  (the daemon also withholds it when the sender's rate limit is reached or DMARC fails)")
    try:
        out = replies.renderer().build(
            template=rt.reply, to=env.reply_address, subject=reply_subject(ticket.id, env.subject),
            in_reply_to=env.message_id, references=env.references, kind=rt.reply,
            **replies.ack_context(ticket, rt, r, a.docs, env, when))
    except Exception as e:
        lines.append(f"  the reply cannot be rendered: {type(e).__name__}: {e}")
        return lines
    msg = out.message
    lines.append("-" * 72)
    for h in ("From", "To", "Subject", "In-Reply-To", "Auto-Submitted"):
        if msg[h]:
            lines.append(f"{h}: {msg[h]}")
    lines.append("")
    lines.append(out.text.rstrip())
    lines.append("-" * 72)
    return lines


# ---------------------------------------------------------------------------------------------
# Rendering every template once (rules check)


@dataclasses.dataclass
class TemplateRender:
    template: str
    #: "ok", "error" or "not rendered"
    status: str
    detail: str = ""


def _sample_env(rt: RequestType) -> Envelope:
    import email.message

    return Envelope(raw=b"", headers=email.message.Message(), message_id="<contoh@contoh.go.id>",
                    subject=f"Permohonan {rt.name}", sender="pemohon@contoh.go.id", sender_name="Pokja Pemilihan Contoh")


def _sample_classification(rt: RequestType, rules: RuleSet, missing: bool) -> Classification:
    required = list(rt.required)
    docs = required[:1] if missing else required
    return Classification(
        request_type=rt.id, type_name=rt.name, documents=docs, missing=[d for d in required if d not in docs],
        fields={"kode_tender": "48658064", "nama_paket": "Pembangunan Jalan Contoh"}, field_problems={},
        lacking_data=["NIP"] if missing and rt.admin_data else [], hits=[], fallback=rt.fallback)


def _sample_docs() -> list[DocumentText]:
    return [DocumentText(filename="scan0001.pdf", sha256="0" * 64, kind="pdf", method="none", text="",
                         error="encrypted", detail="sample")]


def template_samples(config: Config, rules: RuleSet) -> dict[str, list[Callable[[Any], str]]]:
    """Template name (without .txt.j2/.html.j2) -> render calls with sample contexts."""
    replies = _replies(config, rules)
    now = dt.datetime.now(dt.timezone.utc)
    samples: dict[str, list[Callable[[Any], str]]] = {}

    def add(name: str, fn: Callable[[Any], str]) -> None:
        samples.setdefault(name, []).append(fn)

    for rt in rules.types.values():
        for missing, update in ((False, False), (True, False), (True, True)):
            r = _sample_classification(rt, rules, missing)
            ticket = sample_ticket(rt, documents=r.documents, missing=r.missing, fields=r.fields,
                                   lacking=r.lacking_data, urgent=not missing, now=now)
            promise = make_promise(replies.calendar, now, rt.target_hours or 4.0, config.helpdesk.timezone)
            ctx = replies.ack_context(ticket, rt, r, _sample_docs(), _sample_env(rt), promise, update)
            add(rt.reply, lambda ren, ctx=ctx, name=rt.reply: ren.render_text(name, **ctx) + (ren.render_html(name, **ctx) or ""))
    try:
        from .workflow import notice_context
    except ImportError:
        notice_context = None
    if notice_context is not None:
        tz = config.helpdesk.timezone
        for action in ("proses", "selesai", "tolak", "catatan", "bimtek", "hadir", "akses"):
            for rt in rules.types.values():
                ticket = dataclasses.replace(sample_ticket(rt, missing=[], now=now), next_reminder_at=now, urgent=True)
                ctx = notice_context(ticket, rt, "Keterangan contoh dari petugas.", [("hasil.pdf", "application/pdf", b"")], tz)
                name = f"notice_{action}"
                add(name, lambda ren, ctx=ctx, name=name: ren.render_text(name, **ctx) + (ren.render_html(name, **ctx) or ""))
    for rt in rules.types.values():  # corrections.py: the notice after #jenis/#lengkap/#kurang
        for missing in ([], list(rt.required)):
            ticket = sample_ticket(rt, missing=missing, now=now)
            ctx = dict(ticket=ticket, type_name=rt.name, missing=[rules.form_name(d) for d in missing],
                       received=[rules.form_name(d) for d in rt.required if d not in missing], blank_forms=bool(missing))
            add("notice_koreksi", lambda ren, ctx=ctx: ren.render_text("notice_koreksi", **ctx))
    from .office_hours import format_datetime_id

    for rt in rules.types.values():
        if not rt.password_reminder:
            continue
        for number in (1, config.reminders.max_count):
            ticket = sample_ticket(rt, missing=[], now=now, status="selesai")
            ctx = dict(ticket=ticket, requester_name=ticket.requester_name, type_name=rt.name, number=number,
                       total=config.reminders.max_count, last=number >= config.reminders.max_count,
                       closed=format_datetime_id(now, config.helpdesk.timezone))
            add("reminder_password", lambda ren, ctx=ctx: ren.render_text("reminder_password", **ctx))
    try:
        from . import digest as digest_mod
        from .store import Store
    except ImportError:
        digest_mod = None
    if digest_mod is not None:
        def render_digest(ren: Any) -> str:
            store = Store(":memory:")
            try:
                p = _replies_with_store(config, rules, store)
                _seed_digest_store(p, rules)
                d = digest_mod.collect(store, p)
                return ren.render_text("digest", d=d) + (ren.render_html("digest", d=d) or "")
            finally:
                store.close()

        add("digest", render_digest)

        def render_report(ren: Any) -> str:
            from . import report as report_mod

            store = Store(":memory:")
            try:
                p = _replies_with_store(config, rules, store)
                _seed_digest_store(p, rules)
                r = report_mod.for_service(p, _this_month(store, config))
                out = []
                for letter in (False, True):
                    ctx = report_mod._context(r, {"per_type": "data:image/png;base64,"}, letter)
                    out.append(ren.render_text("report", **ctx) + (ren.render_html("report", **ctx) or ""))
                return "".join(out)
            finally:
                store.close()

        add("report", render_report)
    return samples


def _this_month(store: Any, config: Config) -> Any:
    """The month the seeded sample tickets are in (created "now")."""
    from zoneinfo import ZoneInfo

    from .report import Month

    local = store.now().astimezone(ZoneInfo(config.helpdesk.timezone))
    return Month(local.year, local.month, config.helpdesk.timezone)


def _replies_with_store(config: Config, rules: RuleSet, store: Any) -> Any:
    """The reply service the digest and the report render with, on a scratch store."""
    from .reply_service import ReplyService

    return ReplyService(config, store, lambda: rules)


def _seed_digest_store(replies: Any, rules: RuleSet) -> None:
    """A few tickets in several states, so every digest section has a row to render."""
    store = replies.store
    now = store.now()
    with store.transaction():
        for i, (rt, status) in enumerate(zip(list(rules.types.values()) * 2,
                                             ("menunggu_kelengkapan", "antre", "diproses", "selesai", "ditolak", "baru"))):
            store.create_ticket(config_prefix(replies), request_type=rt.id, status=status, requester="pemohon@contoh.go.id",
                                requester_name="Contoh", mailbox="helpdesk", subject="Contoh", message_id=f"<c{i}@contoh>",
                                documents=[], missing=list(rt.required), fields={"kode_tender": "48658064"}, lacking=[],
                                reasons=[], start_at=now - dt.timedelta(days=2), due_at=now - dt.timedelta(hours=i),
                                closed_at=now if status in ("selesai", "ditolak") else None, urgent=bool(i % 2))
        store.record_message("helpdesk", "k1", message_id="<s@contoh>", sha256="0", sender="mailer-daemon@contoh.go.id",
                             subject="Undelivered", outcome="suppressed", rule="bounce", reason="DSN")


def config_prefix(replies: Any) -> str:
    return replies.config.helpdesk.ticket_prefix


def render_all_templates(config: Config, rules: RuleSet) -> list[TemplateRender]:
    """Render every reply template once with sample contexts; report the ones we cannot build a context for."""
    from .replies import Renderer

    renderer = Renderer.for_rules(config, rules)
    samples = template_samples(config, rules)
    names = sorted({p.name.split(".", 1)[0] for p in rules.templates_dir.glob("*.j2") if not p.name.startswith("_")})
    results = []
    for name in names:
        calls = samples.get(name)
        if not calls:
            results.append(TemplateRender(name, "not rendered", "no sample context is known for this template"))
            continue
        for call in calls:
            try:
                call(renderer)
            except Exception as e:
                results.append(TemplateRender(name, "error", _template_error(e, rules.templates_dir)))
                break
        else:
            results.append(TemplateRender(name, "ok", f"{len(calls)} sample context(s)"))
    return results


def _template_error(e: Exception, templates_dir: Path) -> str:
    """``file:line: message`` where the traceback shows the template line."""
    where = ""
    for frame in reversed(traceback.extract_tb(e.__traceback__)):
        if frame.filename.startswith(str(templates_dir)) or frame.filename.endswith(".j2"):
            where = f"{frame.filename}:{frame.lineno}: "
            break
    name = getattr(e, "filename", None)
    if not where and name:
        where = f"{name}:{getattr(e, 'lineno', 1) or 1}: "
    return f"{where}{type(e).__name__}: {textwrap.shorten(str(e), 300)}"

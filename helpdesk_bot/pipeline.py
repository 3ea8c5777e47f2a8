"""One mail's decision: thread → ticket or follow-up → replies, from its :class:`~.analysis.Analysis`.

What a mail *is* (parse, screen, documents, classification) is ``analysis.analyse``, run before
and possibly in a worker process; this module decides what it *means* for the desk.

``Pipeline.process`` never raises for a bad mail: whatever happens, the mail ends as a ticket,
a follow-up on a ticket, a recorded duplicate or suppression, or a quarantine entry with its
reason and traceback, and that outcome is committed in one transaction together with the
replies it causes. Only then does the loop acknowledge the message in its mailbox.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog

from . import attachments as stored_attachments
from . import outages
from . import quarantine as quarantining
from . import redact as redaction
from . import metrics
from .analysis import Analysis, analyse, redact_document
from .classify import Classification, Hit, decide, merge_lacking
from .config import Config
from .documents import DocumentText
from .envelope import Envelope
from .fields import normalise
from .identity import normalise as normalise_address
from .office_hours import OfficeCalendar
from .outcome import Outcome
from .parse import plain_text
from .promises import Promise, schedule
from .reply_service import ReplyService
from .ruleset import RequestType, RuleSet
from .corrections import save_request_mail
from .screen import evidence_note, screening_summary, settle
from .sources.base import SourceMessage
from .store import Store, Ticket
from .quoting import own_text
from .workflow import is_staff_address, is_urgent, onboarding_start, stale_dates, stale_note

log = structlog.get_logger("helpdesk_bot.pipeline")

_TICKET_TAG = re.compile(r"\[\s*([A-Z]{1,6}-\d{4}-\d{3,6})\s*\]")


class AnalysisUnavailable(Exception):
    """The analysis failed for a reason that is the machine's (disk full), not the mail's."""


@dataclass
class Prepared:
    """What the slow stages (documents, classify) produce, before the write transaction."""

    env: Envelope
    docs: list[DocumentText]
    result: Classification | None = None


class RedactingCache:
    """The extraction cache stores text with credentials already masked (issue: secrets)."""

    def __init__(self, store: Store):
        self.store = store

    def get(self, sha256: str) -> DocumentText | None:
        return self.store.get(sha256)

    def put(self, doc: DocumentText) -> None:
        self.store.put(redact_document(doc))


class Pipeline:
    def __init__(self, config: Config, store: Store, rules: Callable[[], RuleSet],
                 calendar: OfficeCalendar | None = None, hooks: list[Any] | None = None,
                 replies: ReplyService | None = None,
                 after_create: Callable[[Store, Ticket], None] | None = None):
        self._config = config
        self.store = store
        self._rules = rules
        self.calendar = calendar or OfficeCalendar(config.working_hours, config.helpdesk.timezone)
        self.cache = RedactingCache(store)
        #: Extra handlers consulted for threaded mail (staff commands, confirmations); each has
        #: ``handle(pipeline, env, ticket, msg) -> Outcome | None`` and runs inside the transaction.
        self.hooks = hooks or []
        #: Every mail this writer causes is rendered, allowed or withheld and queued here; the
        #: importer passes one that sends nothing (reply_service.ArchiveReplies).
        self.replies = replies or ReplyService(config, store, lambda: self.rules, self.calendar)
        #: Called inside the transaction that created a ticket, after its acknowledgement
        #: (the importer's ``--closed`` closes the ticket there, so it is born closed or not at all).
        self.after_create = after_create

    @property
    def rules(self) -> RuleSet:
        return self._rules()

    @property
    def config(self) -> Config:
        return self._config

    @config.setter
    def config(self, value: Config) -> None:
        """One configuration for the decisions and the replies they cause (tests swap it)."""
        self._config = value
        self.replies.config = value

    # -- entry point -----------------------------------------------------------------------

    def analyse(self, raw: bytes) -> Analysis:
        """The analysis in this process (CLI, import, tests); the daemon runs it in a worker."""
        return analyse(raw, self.rules, self.config.limits, self.cache, self.config.own_addresses)

    def process(self, msg: SourceMessage, analysis: Analysis | None = None) -> Outcome:
        """Decide and commit one mail, in one transaction; ``analysis`` is its analysis done
        elsewhere (a worker), else it is analysed here first, outside the transaction.

        The ledger check, the decision (thread, ticket or follow-up, events, replies queued) and
        the ledger row are one ``BEGIN IMMEDIATE ... COMMIT``: another writer (a second daemon,
        ``import``, a CLI retry) can never slip in between, and a crash leaves all or nothing.
        A decision that fails is undone to its savepoint and the mail is quarantined in the same
        transaction; only a transient failure (database locked, disk full) rolls it all back and
        is raised, so that the caller leaves the message unacknowledged and tries it later.
        """
        if self._done(msg):
            return Outcome("already_done")
        env: Envelope | None = None
        try:
            a = analysis if analysis is not None else self.analyse(msg.raw)
            metrics.analysed(a)
            if a.transient:
                raise AnalysisUnavailable(a.error)
        except Exception as e:
            if isinstance(e, AnalysisUnavailable) or quarantining.is_transient(e):
                raise
            return self.quarantine(msg, None, f"{type(e).__name__}: {e}", traceback.format_exc())
        env = a.env
        with self.store.transaction():
            if self._done(msg):  # again, under the write lock
                return Outcome("already_done")
            if a.error:
                return self.quarantine(msg, env, a.error, a.traceback or a.error)
            for doc in a.new_cache_entries:
                self.store.put(doc)  # already redacted by the analysis
            try:
                with self.store.savepoint():
                    return self._process(msg, a)
            except Exception as e:
                if quarantining.is_transient(e):
                    raise  # database locked, disk full: not the mail's fault; the loop retries it later
                return self.quarantine(msg, env, f"{type(e).__name__}: {e}", traceback.format_exc())

    def is_done(self, msg: SourceMessage) -> bool:
        """Whether the mail already has an outcome (then it needs no analysis)."""
        return self._done(msg)

    def _done(self, msg: SourceMessage) -> bool:
        """Whether the ledger has an outcome; a quarantine retry may replace a 'quarantined' one."""
        if quarantining.is_retry(msg):
            outcome = self.store.outcome_of(msg.mailbox, msg.key)
            return outcome is not None and outcome != "quarantined"
        return self.store.is_done(msg.mailbox, msg.key)

    def quarantine(self, msg: SourceMessage, env: Envelope | None, reason: str, tb: str) -> Outcome:
        import hashlib

        reason = redaction.redact(reason)
        with self.store.transaction():
            qid = self.store.add_quarantine(
                mailbox=msg.mailbox, key=msg.key, message_id=env.message_id if env else "",
                sender=env.sender if env else "", subject=env.subject if env else "", reason=redaction.redact(reason),
                traceback=redaction.redact(tb), raw=msg.raw)
            self.store.record_message(msg.mailbox, msg.key, message_id=env.message_id if env else "",
                                      sha256=hashlib.sha256(msg.raw).hexdigest(), sender=env.sender if env else "",
                                      subject=env.subject if env else "", outcome="quarantined", reason=reason)
            self.store.add_event(None, "quarantined", mailbox=msg.mailbox, key=msg.key, quarantine_id=qid, reason=reason[:300])
        log.error("mail_quarantined", mailbox=msg.mailbox, key=msg.key, reason=reason[:300], quarantine_id=qid)
        return Outcome("quarantined", reason=reason)

    # -- the stages --------------------------------------------------------------------------

    def _process(self, msg: SourceMessage, a: Analysis) -> Outcome:
        env, verdict = a.env, a.verdict
        assert env is not None and verdict is not None
        if verdict.suppress and verdict.soft and a.result is not None:
            # Soft hits the mail's own evidence did not lift: a reply in a ticket's thread still does.
            ticket_id = self._thread(env)
            if ticket_id and self.store.ticket(ticket_id) is not None:
                verdict = settle(verdict, [f"a reply in the thread of ticket {ticket_id}"])
        if verdict.suppress:
            return self._record_only(msg, env, "suppressed", verdict.rule, screening_summary(verdict))
        if verdict.overridden and a.result is not None:
            a.result.hits.insert(0, Hit("screen:evidence", evidence_note(verdict)))
        previous = self.duplicate_of(env)
        if previous is not None:
            return self._record_only(msg, env, "duplicate", "same-message-id",
                                     f"same Message-ID, sender and content already processed from {previous['mailbox']}",
                                     previous["ticket_id"] or "")
        ticket_id = self._thread(env)
        if ticket_id:
            ticket = self.store.ticket(ticket_id)
            if ticket is not None:
                for hook in self.hooks:
                    with self.store.transaction():
                        out = hook.handle(self, env, ticket, msg)
                        if out is not None:
                            self._record(msg, env, out)
                            return out
                if not self.is_requester(env, ticket):
                    return self._foreign(msg, env, ticket, a)
                if a.result is not None and a.result.intent == "status" and not a.result.documents:
                    return self._status(msg, env, a, ticket)
                return self._followup(msg, env, ticket, a)
        for hook in self.hooks:
            unthreaded = getattr(hook, "handle_unthreaded", None)
            if unthreaded is not None:
                with self.store.transaction():
                    out = unthreaded(self, env, msg)
                    if out is not None:
                        self._record(msg, env, out)
                        return out
        if a.result is not None and a.result.intent == "status":
            return self._status(msg, env, a, None)
        return self._new_ticket(msg, Prepared(env, a.docs, a.result))

    # -- who may touch a ticket, and which mail is the same mail -------------------------------

    def duplicate_of(self, env: Envelope) -> dict[str, Any] | None:
        """The earlier ledger row of this very mail: same Message-ID, sender *and* content.

        Scanners and some clients reuse fixed Message-IDs, so an id alone would drop another
        person's request. The same mail delivered to two of our mailboxes has the same body.
        """
        return self.store.same_mail(env.message_id, env.sender, content_digest(env))

    def is_requester(self, env: Envelope, ticket: Ticket) -> bool:
        """Whether the mail's sender identity is the ticket's requester (or an agreed alias).

        Only the requester may change a ticket, confirm its password change or receive its
        data; ``[helpdesk] requester_aliases`` lists groups of one agency's addresses that
        count as one requester.
        """
        me, owner = normalise_address(env.sender), normalise_address(ticket.requester)
        if not me or not owner:
            return False
        if me == owner:
            return True
        return any(me in group and owner in group for group in self._alias_groups())

    def _alias_groups(self) -> list[frozenset[str]]:
        return [frozenset(normalise_address(a) for a in g) for g in self.config.helpdesk.requester_aliases]

    def _foreign(self, msg: SourceMessage, env: Envelope, ticket: Ticket, a: Analysis) -> Outcome:
        """Mail in a ticket's thread (or naming its id) from someone who is not its requester.

        It changes nothing and receives nothing of the ticket: staff see it as a note on the
        ticket; if it is a request of its own (it brings documents), it opens its own ticket,
        whose acknowledgement carries only what this sender sent.
        """
        who = env.sender or f"(tanpa identitas: {env.sender_problem or 'tanpa From'})"
        prepared = Prepared(env, a.docs, a.result)
        result = prepared.result
        own_request = (bool(result and result.documents) and not is_staff_address(env.sender, self.config))
        detail = dict(actor=who, subject=env.subject[:200], message_id=env.message_id,
                      attachments=[att.filename for att in env.attachments][:20], text=redaction.redact(env.text[:500]),
                      reason="pengirim bukan pemohon tiket ini")
        if own_request:
            out = self._new_ticket(msg, prepared)
            if out.ticket_id and out.kind == "ticket":
                with self.store.transaction():
                    self.store.add_event(ticket.id, "foreign_message", new_ticket=out.ticket_id, **detail)
                    self.store.add_event(out.ticket_id, "foreign_thread", other_ticket=ticket.id)
            log.warning("foreign_mail_in_thread", ticket=ticket.id, sender=who, new_ticket=out.ticket_id)
            return out
        with self.store.transaction():
            if self._done(msg):
                return Outcome("already_done")
            self.store.add_event(ticket.id, "foreign_message", **detail)
            out = Outcome("foreign_note", ticket.id, f"mail from {who}, not the requester: kept as a note for staff")
            self._record(msg, env, out, rule="not-requester", reason=out.reason)
        log.warning("foreign_mail_in_thread", ticket=ticket.id, sender=who)
        return out

    def _status(self, msg: SourceMessage, env: Envelope, a: Analysis, threaded: Ticket | None) -> Outcome:
        """A question about an earlier request: answered with that ticket's state, no new ticket.
        Not found, or asked by someone other than its requester: a ``status`` ticket for staff."""
        from .intent import asked_ticket, status_context

        assert a.result is not None
        asked, how = asked_ticket(self.store, env, a.result, threaded)
        if asked is not None and not self.is_requester(env, asked):  # trust: data only to the requester
            with self.store.transaction():
                self.store.add_event(asked.id, "status_question_refused", actor=env.reply_address,
                                     reason="asked by someone other than the requester", subject=env.subject[:200])
            asked = None
        if asked is None:
            return self._new_ticket(msg, Prepared(env, a.docs, a.result))
        with self.store.transaction():
            if self._done(msg):
                return Outcome("already_done")
            self.store.link_message_id(env.message_id, asked.id)
            self.store.add_event(asked.id, "status_question", actor=env.reply_address, found_by=how,
                                 subject=env.subject[:200], status=asked.status)
            replies = self.replies.answer_status(
                asked, env, status_context(asked, self.rules, self.config.helpdesk.timezone), msg.mailbox)
            out = Outcome("status", asked.id, f"status question about {asked.id} ({how}): {asked.status}", replies)
            self._record(msg, env, out, rule="status")
        log.info("status_question", ticket=asked.id, found_by=how, status=asked.status, replies=len(replies))
        return out

    def _thread(self, env: Envelope) -> str | None:
        ids = [env.in_reply_to, *reversed(env.references)]
        found = self.store.ticket_for_message_ids(ids)
        if found:
            return found
        m = _TICKET_TAG.search(env.subject or "")
        if m and self.store.ticket(m.group(1)) is not None:
            return m.group(1)
        return None

    def _record_only(self, msg: SourceMessage, env: Envelope, outcome: str, rule: str, reason: str, ticket_id: str = "") -> Outcome:
        out = Outcome(outcome, ticket_id or None, f"{rule}: {reason}")
        with self.store.transaction():
            self._record(msg, env, out, rule=rule, reason=reason)
            if ticket_id and outcome == "suppressed":
                self.store.add_event(ticket_id, "suppressed_mail", rule=rule, reason=reason)
        log.info(f"mail_{outcome}", mailbox=msg.mailbox, sender=env.sender, rule=rule, reason=reason[:200], ticket=ticket_id or None)
        return out

    def _record(self, msg: SourceMessage, env: Envelope, out: Outcome, rule: str = "", reason: str = "") -> None:
        import hashlib

        self.store.record_message(msg.mailbox, msg.key, message_id=env.message_id,
                                  sha256=content_digest(env), sender=env.sender, subject=env.subject,
                                  outcome=out.kind, rule=rule, reason=reason or out.reason, ticket_id=out.ticket_id or "")
        quarantining.resolve(self.store, msg, out)

    # -- when will it be handled ---------------------------------------------------------------

    def schedule(self, rt: RequestType, received: dt.datetime) -> tuple[dt.datetime, dt.datetime, Promise]:
        """(start, internal due time for the digest, the calendar facts the requester is told)."""
        return schedule(self.calendar, rt, received, self.config.helpdesk.timezone)

    # -- new tickets and follow-ups -------------------------------------------------------------

    def _new_ticket(self, msg: SourceMessage, p: Prepared) -> Outcome:
        env, result = p.env, p.result
        assert result is not None
        rules = self.rules
        rt = rules.types[result.request_type]
        now = self.store.now()
        start, due, when = self.schedule(rt, now)
        with self.store.transaction():
            # Re-check inside the write lock: the same mail may have arrived in the other mailbox.
            if self._done(msg):
                return Outcome("already_done")
            previous = self.duplicate_of(env)
            if previous is not None:
                out = Outcome("duplicate", previous["ticket_id"], "same Message-ID, sender and content already processed")
                self._record(msg, env, out, rule="same-message-id")
                return out
            ticket_id = self.store.create_ticket(
                self.config.helpdesk.ticket_prefix, request_type=rt.id, status=initial_status(rt, result),
                requester=env.reply_address, requester_name=env.sender_name, mailbox=msg.mailbox,
                subject=env.subject[:300], message_id=env.message_id, documents=result.documents,
                missing=result.missing, fields=redaction.redact_mapping(result.fields), lacking=result.lacking_data,
                reasons=result.reasons[:50], start_at=start, due_at=due if not rt.refuse else None,
                urgent=not rt.refuse and is_urgent(result.fields, now, self.calendar),
                closed_at=now if rt.refuse else None,
                needs_staff=stale_note(stale) if (stale := stale_dates(result.fields, now, self.calendar)) else None,
                requester_text=requester_text(env.text),
                onboarding=onboarding_start(rt, result.missing, result.lacking_data),
                outage_id=outage.id if (rt.outage_report and (outage := outages.current(self.store))) else None)
            self.store.link_message_id(env.message_id, ticket_id)
            self.store.add_event(ticket_id, "created", actor=env.reply_address, request_type=rt.id,
                                 documents=result.documents, missing=result.missing, mailbox=msg.mailbox,
                                 unreadable=[(d.filename, d.error) for d in p.docs if d.error], rules=rules.version)
            if not env.sender:
                self._flag_unproven_sender(ticket_id, env)
            ticket = self.store.ticket(ticket_id)
            assert ticket is not None
            replies = self.replies.acknowledge(ticket, rt, result, p.docs, env, when, msg.mailbox)
            if self.after_create is not None:
                self.after_create(self.store, ticket)
            stored_attachments.store(self.config, self.store, ticket_id, env.attachments, [d.sha256 for d in p.docs], fresh=True)
            save_request_mail(self.config, ticket_id, msg.raw)  # what a staff correction refers to
            out = Outcome("ticket", ticket_id, f"{rt.id}; missing {result.missing}", replies)
            self._record(msg, env, out, rule=rt.id)
        log.info("ticket_created", ticket=ticket_id, request_type=rt.id, mailbox=msg.mailbox,
                 documents=result.documents, missing=result.missing, replies=len(replies))
        return out

    def _flag_unproven_sender(self, ticket_id: str, env: Envelope) -> None:
        """A mail without a sender identity is kept, answered to nobody and shown to staff."""
        why = env.sender_problem or "no From address"
        self.store.add_event(ticket_id, "sender_unproven", reason=why)
        self.store.update_ticket(ticket_id, needs_staff=f"Pengirim tidak dapat dipastikan ({why}); tidak ada balasan otomatis.")

    def _is_new_request(self, ticket: Ticket, result: Classification) -> bool:
        """Documents in a closed ticket's thread, or documents an open ticket has no use for."""
        if not result.documents:
            return False
        if ticket.status in ("selesai", "ditolak"):
            return True
        rt = self.rules.types.get(ticket.request_type)
        return rt is not None and not rt.fallback and not set(result.documents) & set(rt.required)

    def _followup(self, msg: SourceMessage, env: Envelope, ticket: Ticket, a: Analysis) -> Outcome:
        """A reply in a ticket's thread: new documents complete it; anything else is noted."""
        docs, result = a.docs, a.result
        assert result is not None
        rules = self.rules
        if self._is_new_request(ticket, result):
            # Pokja reuse an old thread for their next request: a new ticket, linked in its events.
            out = self._new_ticket(msg, Prepared(env, docs, result))
            if out.ticket_id:
                with self.store.transaction():
                    self.store.add_event(out.ticket_id, "previous_thread", previous_ticket=ticket.id)
            return out
        new_docs = [d for d in result.documents if d not in ticket.documents]
        all_docs = ticket.documents + new_docs
        rt = rules.types.get(ticket.request_type, rules.fallback)
        if rt.fallback and new_docs:  # "lainnya" until the documents came: now they decide
            rt, _hits, _ = decide(set(all_docs), normalise(ticket.subject), normalise(env.text[:3000]), "", rules)
        # A later document's valid value updates the ticket; an invalid one never replaces a value.
        merged_fields = dict(ticket.fields)
        for key, value in redaction.redact_mapping(result.fields).items():
            if key not in result.field_problems or key not in merged_fields:
                merged_fields[key] = value
        missing = [d for d in rt.required if d not in all_docs]
        # Documents sent again (a corrected SK) count like new ones: they may settle lacking data.
        resent = bool(result.documents)
        lacking = merge_lacking(rt, ticket.lacking, ticket.fields, result, set(all_docs), self.rules) if resent else ticket.lacking
        with self.store.transaction():
            if self._done(msg):
                return Outcome("already_done")
            self.store.link_message_id(env.message_id, ticket.id)
            stored_attachments.store(self.config, self.store, ticket.id, env.attachments, [d.sha256 for d in docs])
            replies: list[str] = []
            if resent:
                status = ticket.status
                if status == "menunggu_kelengkapan" and not missing and not lacking:
                    status = "antre"
                now = self.store.now()
                start, due, when = self.schedule(rt, now)
                changes: dict[str, Any] = dict(documents=all_docs, missing=missing, fields=merged_fields, lacking=lacking,
                                               status=status, request_type=rt.id)
                if status == "antre" and ticket.status == "menunggu_kelengkapan":
                    changes.update(start_at=start, due_at=due)
                    if not ticket.onboarding:
                        changes["onboarding"] = onboarding_start(rt, missing, lacking)
                self.store.update_ticket(ticket.id, **changes)
                self.store.add_event(ticket.id, "documents_added", actor=env.reply_address, documents=new_docs,
                                     resent=[d for d in result.documents if d not in new_docs], missing=missing,
                                     lacking=lacking, status=status)
                updated = self.store.ticket(ticket.id)
                assert updated is not None
                replies = self.replies.acknowledge(updated, rt, result, docs, env, when, msg.mailbox, update=True)
            else:
                self.store.add_event(ticket.id, "requester_message", actor=env.reply_address, subject=env.subject[:200],
                                     attachments=[d.filename for d in docs])
            out = Outcome("followup", ticket.id, f"new documents {new_docs}" if new_docs else "message added", replies)
            self._record(msg, env, out)
        log.info("ticket_followup", ticket=ticket.id, new_documents=new_docs, missing=missing, replies=len(replies))
        return out


def content_digest(env: Envelope) -> str:
    """sha256 of what the sender wrote and attached: the text, then each attachment's sha256.

    Decoded content rather than raw bytes, because the same mail reaching two of our mailboxes
    differs in the header block our servers wrote (Received, Delivered-To) and may be
    re-encoded on the way (8BITMIME downgrade, new MIME boundaries); what a person sent does
    not change. The subject is left out: relays add "[EXTERNAL]" tags to it.
    """
    h = hashlib.sha256((env.text or "").replace("\r\n", "\n").strip().encode("utf-8", "surrogatepass"))
    for att in env.attachments:
        h.update(b"\0" + att.sha256.encode())
    return h.hexdigest()


#: The requester's words kept with a ticket: enough for staff to answer a question, bounded.
MAX_REQUESTER_TEXT = 8000


def requester_text(text: str) -> str:
    """The requester's own text (quoted thread cut off), redacted, capped, without terminal
    escapes: what staff read in ``ticket show``."""
    return plain_text(redaction.redact(own_text((text or "")[: MAX_REQUESTER_TEXT * 4])))[:MAX_REQUESTER_TEXT]


def initial_status(rt: RequestType, result: Classification) -> str:
    """A new ticket's status: refused types are closed at once, incomplete ones wait for documents."""
    if rt.refuse:
        return "ditolak"
    if result.missing or result.lacking_data:
        return "menunggu_kelengkapan"
    return "baru" if rt.fallback else "antre"

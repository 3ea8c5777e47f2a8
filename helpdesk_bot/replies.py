"""Replies: Jinja2 templates named after the event they answer, rendered into EmailMessages.

Every mail the daemon writes is threaded to the mail it answers (In-Reply-To, References),
carries the ticket id in its subject, a Message-ID in the daemon's own domain, and the
headers that tell other robots not to answer it (RFC 3834 Auto-Submitted, Microsoft's
X-Auto-Response-Suppress).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from dataclasses import dataclass, field
from email import encoders
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.policy import Compat32
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from .config import Config
from .people import agency_of, format_nip, format_phone
from .ruleset import RuleSet

_TAG = re.compile(r"\[\s*[A-Z]{1,6}-\d{4}-\d{3,6}\s*\]")
_RE = re.compile(r"^\s*((re|aw|fw|fwd|bls|balas|tr|sv|vs)\s*(\[\d+\])?\s*:\s*)+", re.I)


#: Characters of the requester's subject a reply repeats: parse keeps up to 16 KiB of a header
#: field, and a reply's size must not grow with what a stranger sends.
MAX_REPLY_SUBJECT_CHARS = 200


def reply_subject(ticket_id: str, original: str) -> str:
    """"[HD-2026-00042] Re: <original>", without piling up tags and Re: prefixes."""
    base = _RE.sub("", _TAG.sub("", (original or "")[:MAX_REPLY_SUBJECT_CHARS * 4])).strip() or "Permohonan Layanan Helpdesk"
    if len(base) > MAX_REPLY_SUBJECT_CHARS:
        base = base[:MAX_REPLY_SUBJECT_CHARS].rstrip() + "…"
    return f"[{ticket_id}] Re: {base}"


@dataclass
class Outgoing:
    """A rendered mail ready for the outbox."""

    message: Message
    recipients: list[str]
    kind: str
    automatic: bool = True
    #: The plain-text body as rendered (for --explain and tests).
    text: str = ""

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    def as_bytes(self) -> bytes:
        """The mail as it goes to the outbox (the same bytes as ``message.as_bytes()``)."""
        return self.message.as_bytes(policy=_OWN_HEADERS)


#: A header value that compat32 would write unchanged on one line: printable ASCII words
#: separated by single spaces (no encoding, no folding, nothing to sanitise).
_PLAIN_HEADER = re.compile(r"[!-~]+(?: [!-~]+)*")


class _OwnHeaders(Compat32):
    """compat32 with a shortcut for the headers a reply is mostly made of.

    compat32 passes every header through ``email.header.Header`` to fold it, about 40 us a
    header: a sixth of the writer's time per mail in a backlog. A short, plain ASCII value
    comes out of that unchanged, so it is written directly; anything else (non-ASCII, long,
    odd whitespace) takes compat32's own path. tests/test_reply_headers.py compares the two.
    """

    def fold_binary(self, name: str, value: Any) -> bytes:
        if (type(value) is str and len(name) + 2 + len(value) <= (self.max_line_length or 0)
                and _PLAIN_HEADER.fullmatch(value)):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


_OWN_HEADERS = _OwnHeaders()


class _SnapshotLoader(jinja2.BaseLoader):
    """Templates from a snapshot of their sources, still named by their file (for tracebacks
    and ``rules check`` line numbers), never re-read from disk."""

    def __init__(self, sources: dict[str, str], directory: Path):
        self.sources = sources
        self.directory = directory

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        if template not in self.sources:
            raise jinja2.TemplateNotFound(template)
        return self.sources[template], str(self.directory / template), lambda: True


@dataclass
class Renderer:
    config: Config
    templates_dir: Path
    #: Template sources by file name (RuleSet.templates); without them, read from templates_dir.
    sources: dict[str, str] | None = None
    env: jinja2.Environment = field(init=False)
    #: Templates with no HTML variant: looked up once (a miss is an exception, and not cached by jinja).
    _no_html: set[str] = field(init=False, default_factory=set)

    @classmethod
    def for_rules(cls, config: Config, rules: RuleSet) -> Renderer:
        """Render from the rule set's checked snapshot, never from files edited since."""
        return cls(config, rules.templates_dir, rules.templates)

    def __post_init__(self) -> None:
        loader: jinja2.BaseLoader = (_SnapshotLoader(self.sources, self.templates_dir) if self.sources is not None
                                     else jinja2.FileSystemLoader(str(self.templates_dir)))
        self.env = jinja2.Environment(
            loader=loader,
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        )
        # The salutation and the numbers in every reply are shaped the same way (people.py).
        self.env.globals.update(agency_of=agency_of, format_nip=format_nip, format_phone=format_phone)

    def render_text(self, name: str, **context: Any) -> str:
        context.setdefault("helpdesk", self.config.helpdesk)
        text = self.env.get_template(f"{name}.txt.j2").render(**context)
        return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"

    def render_html(self, name: str, **context: Any) -> str | None:
        if name in self._no_html:
            return None
        try:
            tpl = self.env.get_template(f"{name}.html.j2")
        except jinja2.TemplateNotFound:
            self._no_html.add(name)
            return None
        context.setdefault("helpdesk", self.config.helpdesk)
        return tpl.render(**context)

    def build(self, *, template: str, to: str, subject: str, in_reply_to: str = "", references: tuple[str, ...] = (),
              attachments: list[tuple[str, str, bytes]] = (), kind: str = "", automatic: bool = True,
              **context: Any) -> Outgoing:
        """Render ``template`` into a complete mail.

        Built with the standard library's compat32 MIME classes: the modern header registry
        parses every header it is given again, which was a quarter of the per-mail cost of a
        backlog; these headers are ours and already well formed.
        """
        smtp = self.config.smtp
        text = self.render_text(template, **context)
        html = self.render_html(template, **context)
        body: Message = _text_part(text, "plain")
        if html:
            alternative = MIMEMultipart("alternative")
            alternative.attach(body)
            alternative.attach(_text_part(html, "html"))
            body = alternative
        msg: Message = body
        if attachments:
            msg = MIMEMultipart("mixed")
            msg.attach(body)
            for filename, ctype, data in attachments:
                maintype, _, subtype = ctype.partition("/")
                part = MIMEBase(maintype, subtype or "octet-stream")
                part.set_payload(data)
                encoders.encode_base64(part)
                part.add_header("Content-Disposition", "attachment", filename=_param(filename))
                msg.attach(part)
        msg["From"] = email.utils.formataddr((smtp.from_name, smtp.from_address), charset="utf-8")
        msg["To"] = to
        msg["Subject"] = _header(subject)
        msg["Date"] = email.utils.format_datetime(dt.datetime.now(ZoneInfo(self.config.helpdesk.timezone)))
        msg["Message-ID"] = email.utils.make_msgid("helpdesk", domain=self.config.helpdesk.message_id_domain)
        if in_reply_to:
            msg["In-Reply-To"] = in_reply_to
            refs = [r for r in references if r != in_reply_to][-10:] + [in_reply_to]
            msg["References"] = " ".join(refs)
        msg["Auto-Submitted"] = "auto-replied" if automatic else "auto-generated"
        msg["X-Auto-Response-Suppress"] = "All"
        msg["Precedence"] = "auto_reply" if automatic else "bulk"
        ticket = context.get("ticket")
        if ticket is not None:
            msg["X-Helpdesk-Ticket"] = ticket.id
        return Outgoing(msg, [to], kind or template, automatic, text)


_UTF8 = Charset("utf-8")
_UTF8.body_encoding = QP


def _text_part(text: str, subtype: str) -> Message:
    part = MIMENonMultipart("text", subtype)
    part.set_payload(text, _UTF8)
    return part


def _header(value: str) -> str | Header:
    return value if value.isascii() else Header(value, "utf-8")


def _param(value: str) -> str | tuple[str, str, str]:
    """A file name parameter, RFC 2231-encoded when it is not ASCII."""
    return value if value.isascii() else ("utf-8", "", value)

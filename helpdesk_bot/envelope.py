"""The one object that travels through the pipeline for each mail.

Stages add to it in order (parse fills the headers and attachments, screen the verdict,
documents the extracted text, classify the decision); none of them reaches back.
"""

from __future__ import annotations

import datetime as dt
import email.message
import hashlib
from dataclasses import dataclass, field
from functools import cached_property


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes
    #: Where it came from: "" for the mail itself, "zip:NAME", "forwarded", "tnef:winmail.dat".
    origin: str = ""

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class Envelope:
    raw: bytes
    #: The root header block (and structure) for screening; parsed by the standard library.
    headers: email.message.Message
    message_id: str
    subject: str
    sender: str
    sender_name: str = ""
    reply_to: str = ""
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    date: dt.datetime | None = None
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    text: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    #: Attachments that could not be decoded or were refused by a limit, with the reason.
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    #: Why the mail has no sender identity (identity.py): several or no From addresses, ...
    sender_problem: str = ""
    #: The sender wrote a credential (body, subject, file name or attachment text); the
    #: acknowledgement asks them to change it (SLA III.b.1.6). Set by the pipeline's redaction.
    secret_found: bool = False

    @property
    def reply_address(self) -> str:
        """Where a reply goes: the proven From address only.

        Reply-To is the sender's wish, not proof: answering it would send a ticket's data to
        whatever address a forger names. So it is recorded (``reply_to``) and never used.
        """
        return self.sender

    @property
    def recipients(self) -> tuple[str, ...]:
        return self.to + self.cc

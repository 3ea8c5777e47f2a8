"""Which analysed mail may be committed before an earlier one that is still being analysed.

Analyses finish in any order (a scan takes seconds, a text mail milliseconds, a poison mail its
whole time limit), but a follow-up must never be decided before its request: the request's
ticket would not exist yet and the follow-up would open a ticket of its own. So a finished
mail waits for an earlier unfinished one exactly when they could belong to the same thread:
when the later one's In-Reply-To, References or ticket tag names a Message-ID, reference or
ticket tag of the earlier one. Anything else (mail from other people, other threads) is
committed as soon as it is analysed, so one slow mail does not hold up the desk.

The earlier mail's keys are read from its raw header block before any analysis, with the
standard library's header parser on a bounded prefix and a linear pattern: cheap and safe
even for the mail that is about to time out in its worker.
"""

from __future__ import annotations

import email.header
import email.parser
import email.policy
import re

from .analysis import Analysis
from .parse import message_ids

#: Bytes of a mail searched for its header block.
HEADER_BYTES = 64 * 1024
#: Characters of one header value read for Message-IDs / a subject read for tags.
VALUE_CHARS = 16 * 1024
#: A ticket tag in a subject, as pipeline._thread finds it: "[HD-2026-00042]".
TICKET_TAG = re.compile(r"\[[ \t]*([A-Z]{1,6}-\d{4}-\d{3,6})[ \t]*\]")


def _tags(subject: str) -> set[str]:
    return {"tag:" + t for t in TICKET_TAG.findall(subject[:VALUE_CHARS])}


def raw_keys(raw: bytes) -> frozenset[str]:
    """Message-IDs (own, In-Reply-To, References) and ticket tags of a mail not yet analysed."""
    head = raw[:HEADER_BYTES]
    ends = [i for i in (head.find(b"\n\n"), head.find(b"\r\n\r\n")) if i >= 0]
    if ends:
        head = head[:min(ends)]
    try:
        headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(head)
        keys: set[str] = set()
        for name in ("Message-ID", "In-Reply-To", "References"):
            for value in headers.get_all(name) or []:
                keys.update(message_ids(str(value)[:VALUE_CHARS]))
        subject = str(headers.get("Subject") or "")[:VALUE_CHARS]
        try:
            subject = str(email.header.make_header(email.header.decode_header(subject)))
        except Exception:
            pass
        keys |= _tags(subject)
        return frozenset(keys)
    except Exception:  # an unreadable header block relates to nothing
        return frozenset()


def thread_refs(a: Analysis | None) -> frozenset[str]:
    """What an analysed mail points at: its In-Reply-To, References and ticket tags."""
    if a is None or a.env is None:
        return frozenset()
    env = a.env
    refs = {r for r in (env.in_reply_to, *env.references) if r}
    return frozenset(refs | _tags(env.subject or ""))


__all__ = ["raw_keys", "thread_refs"]

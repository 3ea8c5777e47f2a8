"""Raw bytes to one Envelope.

mail-parser does the MIME walk: it decodes RFC 2047/2231 file names, flattens forwarded
``message/rfc822`` parts (their attachments count as the request's) and collects the text.
The standard library's header parser gives the header block that screening reads. Anything
mail-parser cannot decode raises ParseError, which the pipeline turns into a quarantine entry.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import email.utils
import re
from email.header import decode_header, make_header

import mailparser

from .envelope import Attachment, Envelope


class ParseError(Exception):
    """The mail cannot be parsed at all."""


_MSGID = re.compile(r"<[^<>\s]+>")


def _header(msg: email.message.Message, name: str) -> str:
    value = msg.get(name)
    if value is None:
        return ""
    try:
        return str(make_header(decode_header(str(value)))).strip()
    except Exception:
        return str(value).strip()


def _addresses(msg: email.message.Message, *names: str) -> list[tuple[str, str]]:
    values = [_header(msg, n) for n in names]
    return [(n, a.strip().lower()) for n, a in email.utils.getaddresses(values) if "@" in a]


def message_ids(value: str) -> tuple[str, ...]:
    return tuple(_MSGID.findall(value or ""))


def _decode_payload(att: dict) -> bytes:
    payload = att.get("payload") or ""
    if att.get("binary"):
        try:
            return base64.b64decode(payload)
        except (binascii.Error, ValueError):
            return payload.encode("utf-8", "replace")
    charset = att.get("charset") or "utf-8"
    try:
        return payload.encode(charset, "replace")
    except LookupError:
        return payload.encode("utf-8", "replace")


def parse(raw: bytes) -> Envelope:
    """Parse raw RFC 5322 bytes; raise ParseError when there is no mail in them."""
    if not raw or not raw.strip():
        raise ParseError("empty message")
    headers = email.message_from_bytes(raw, policy=email.policy.compat32)
    if not headers.keys():
        raise ParseError("no header fields")
    try:
        mp = mailparser.parse_from_bytes(raw)
    except Exception as e:  # mail-parser raises assorted errors on broken MIME
        raise ParseError(f"mail-parser failed: {type(e).__name__}: {e}") from e
    senders = _addresses(headers, "From") or _addresses(headers, "Sender")
    sender_name, sender = senders[0] if senders else ("", "")
    reply_to = _addresses(headers, "Reply-To")
    date = None
    try:
        date = email.utils.parsedate_to_datetime(_header(headers, "Date")) if headers.get("Date") else None
    except (TypeError, ValueError, IndexError):
        date = None
    mid = message_ids(_header(headers, "Message-ID"))
    attachments: list[Attachment] = []
    unreadable: list[tuple[str, str]] = []
    for att in mp.attachments:
        name = att.get("filename") or "lampiran"
        ctype = (att.get("mail_content_type") or "application/octet-stream").lower()
        if ctype == "message/rfc822":
            continue  # its parts are already flattened by mail-parser
        try:
            data = _decode_payload(att)
        except Exception as e:  # pragma: no cover - defensive
            unreadable.append((name, f"tidak dapat didekode: {e}"))
            continue
        attachments.append(Attachment(filename=name, content_type=ctype, data=data,
                                      origin="forwarded" if _is_forwarded(att) else ""))
    text = "\n".join(mp.text_plain) if mp.text_plain else _html_to_text("\n".join(mp.text_html))
    return Envelope(
        raw=raw,
        headers=headers,
        message_id=mid[0] if mid else "",
        subject=_header(headers, "Subject"),
        sender=sender,
        sender_name=sender_name,
        reply_to=reply_to[0][1] if reply_to else "",
        to=tuple(a for _, a in _addresses(headers, "To")),
        cc=tuple(a for _, a in _addresses(headers, "Cc")),
        date=date,
        in_reply_to=(message_ids(_header(headers, "In-Reply-To")) or ("",))[0],
        references=message_ids(_header(headers, "References")),
        text=text.replace("\r\n", "\n"),
        attachments=attachments,
        unreadable=unreadable,
        defects=[str(d) for d in (mp.defects or [])][:20],
    )


def _is_forwarded(att: dict) -> bool:
    # mail-parser does not say which parts came from a nested message; the policy above
    # (count them as the request's) makes the distinction informational only.
    return False


_TAG = re.compile(r"<(script|style)[^>]*>.*?</\1>|<[^>]+>", re.S | re.I)


def _html_to_text(html: str) -> str:
    import html as htmllib

    text = re.sub(r"<br\s*/?>|</p>|</div>|</tr>", "\n", html, flags=re.I)
    return htmllib.unescape(_TAG.sub(" ", text))

"""Raw bytes to one Envelope.

mail-parser does the MIME walk: it decodes RFC 2047/2231 file names, flattens forwarded
``message/rfc822`` parts (their attachments count as the request's) and collects the text.
The standard library's header parser gives the header block that screening reads. Anything
mail-parser cannot decode raises ParseError, which the pipeline turns into a quarantine entry.
"""

from __future__ import annotations

import base64
import logging
import binascii
import email
import email.policy
import email.utils
import re
from email.header import decode_header, make_header

import mailparser

from .envelope import Attachment, Envelope
from .identity import sender_identity


class ParseError(Exception):
    """The mail cannot be parsed at all."""


_MSGID = re.compile(r"<[^<>\s]+>")


logging.getLogger("mailparser").setLevel(logging.ERROR)  # "rfc822-headers not handled" on every bounce

_ADDR = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_ADDR_ANY = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")


def _raw_value(msg: email.message.Message, name: str) -> str | None:
    """The first field called ``name``, raw with 8-bit text decoded; None when absent."""
    values = _raw_values(msg, name)
    return values[0] if values else None


def _raw_values(msg: email.message.Message, name: str) -> list[str]:
    """Every field called ``name``, raw but with 8-bit text decoded, for the strict sender parse."""
    return [_decode_8bit(value) for key, value in msg.raw_items() if key.lower() == name.lower()]


def _decode_8bit(value: object) -> str:
    """Header text as a string; 8-bit bytes (often UTF-8 sent unencoded) decoded, not lost."""
    if not isinstance(value, str):
        return str(value)
    try:
        raw = value.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return value
    for charset in ("utf-8", "cp1252"):
        try:
            return raw.decode(charset)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def _header(msg: email.message.Message, name: str) -> str:
    value = _raw_value(msg, name)
    if value is None:
        return ""
    value = re.sub(r"\r?\n[ \t]", " ", value)
    try:
        return str(make_header(decode_header(value))).strip()
    except Exception:
        return value.strip()


def _addresses(msg: email.message.Message, *names: str) -> list[tuple[str, str]]:
    values = [_header(msg, n) for n in names]
    found = [(n, a.strip().lower()) for n, a in email.utils.getaddresses(values) if _ADDR.match(a.strip())]
    if not found and any(values):
        found = [("", a.lower()) for v in values for a in _ADDR_ANY.findall(v)]
    return found


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
    try:
        mp = mailparser.parse_from_bytes(raw)
    except Exception as e:  # mail-parser raises assorted errors on broken MIME
        headers = email.message_from_bytes(raw, policy=email.policy.compat32)
        if not headers.keys():
            raise ParseError("no header fields") from e
        return _from_stdlib(raw, headers, f"mail-parser failed: {type(e).__name__}: {e}")
    # mail-parser's own standard-library message (compat32): parsing once is half the cost.
    headers = mp.message
    if not headers.keys():
        raise ParseError("no header fields")
    attachments: list[Attachment] = []
    unreadable: list[tuple[str, str]] = []
    forwarded = _forwarded_names(headers) if any(
        (a.get("mail_content_type") or "").lower() == "message/rfc822" for a in mp.attachments) else set()
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
                                      origin="forwarded" if name in forwarded else ""))
    text = "\n".join(mp.text_plain) if mp.text_plain else _html_to_text("\n".join(mp.text_html))
    return _envelope(raw, headers, text, attachments, unreadable, [str(d) for d in (mp.defects or [])][:20])


def _envelope(raw: bytes, headers: email.message.Message, text: str, attachments: list[Attachment],
              unreadable: list[tuple[str, str]], defects: list[str]) -> Envelope:
    identity = sender_identity(_raw_values(headers, "From"))
    reply_to = _addresses(headers, "Reply-To")
    try:
        date = email.utils.parsedate_to_datetime(_header(headers, "Date")) if headers.get("Date") else None
    except (TypeError, ValueError, IndexError):
        date = None
    mid = message_ids(_header(headers, "Message-ID"))
    return Envelope(
        raw=raw,
        headers=headers,
        message_id=mid[0] if mid else "",
        subject=_header(headers, "Subject"),
        sender=identity.address,
        sender_name=identity.display_name,
        sender_problem=identity.problem,
        reply_to=reply_to[0][1] if reply_to else "",
        to=tuple(a for _, a in _addresses(headers, "To")),
        cc=tuple(a for _, a in _addresses(headers, "Cc")),
        date=date,
        in_reply_to=(message_ids(_header(headers, "In-Reply-To")) or ("",))[0],
        references=message_ids(_header(headers, "References")),
        text=text.replace("\r\n", "\n"),
        attachments=attachments,
        unreadable=unreadable,
        defects=defects,
    )


def _from_stdlib(raw: bytes, headers: email.message.Message, why: str) -> Envelope:
    """When mail-parser gives up on broken MIME, the standard library still reads most of it."""
    texts: list[str] = []
    attachments: list[Attachment] = []
    unreadable: list[tuple[str, str]] = []
    for part in headers.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        try:
            payload = part.get_payload(decode=True) or b""
        except Exception as e:  # pragma: no cover - defensive
            unreadable.append((filename or "lampiran", f"tidak dapat didekode: {e}"))
            continue
        if filename:
            try:
                filename = str(make_header(decode_header(filename)))
            except Exception:
                pass
            attachments.append(Attachment(filename, part.get_content_type(), payload))
        elif part.get_content_type() == "text/plain":
            texts.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
    return _envelope(raw, headers, "\n".join(texts), attachments, unreadable, [why])


def _forwarded_names(msg: email.message.Message) -> set[str]:
    """File names of the parts inside forwarded messages (message/rfc822), which mail-parser
    flattens into the mail's own attachments without saying so."""
    names: set[str] = set()

    def walk(part: email.message.Message, inside: bool) -> None:
        if part.get_content_type() == "message/rfc822" or part.get_content_maintype() == "multipart":
            payload = part.get_payload()
            for sub in payload if isinstance(payload, list) else [payload]:
                if isinstance(sub, email.message.Message):
                    walk(sub, inside or part.get_content_type() == "message/rfc822")
        elif inside and part.get_filename():
            names.add(str(make_header(decode_header(part.get_filename()))))

    try:
        walk(msg, False)
    except Exception:  # informational only: a strange structure must not fail the parse
        return set()
    return names


_TAG = re.compile(r"<(script|style)[^>]*>.*?</\1>|<[^>]+>", re.S | re.I)


def _html_to_text(html: str) -> str:
    import html as htmllib

    text = re.sub(r"<br\s*/?>|</p>|</div>|</tr>", "\n", html, flags=re.I)
    return htmllib.unescape(_TAG.sub(" ", text))

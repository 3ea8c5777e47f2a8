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
from .htmltext import html_to_text
from .identity import sender_identity


class ParseError(Exception):
    """The mail cannot be parsed at all.

    ``envelope``, when set, holds what could be read safely (the header block: sender,
    subject, ids) so the quarantine entry still says who sent it.
    """

    def __init__(self, message: str, envelope: "Envelope | None" = None):
        super().__init__(message)
        self.envelope = envelope


_MSGID = re.compile(r"<[^<>\s]+>")


logging.getLogger("mailparser").setLevel(logging.ERROR)  # "rfc822-headers not handled" on every bounce

_ADDR = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
#: Only from the start of a run of address characters, and possessive: a 160 KB From without
#: "@" was scanned from each of its letters (quadratic, 76 s); now it is read once.
_ADDR_ANY = re.compile(r"(?<![\w.+'-])[\w.+'-]++@[\w-]++(?:\.[\w-]++)+")


#: Caps applied to the header block before anything parses it (mail-parser, the standard
#: library and our own patterns all cost more than linear time on a long address list: 1,600
#: addresses took mail-parser 3 s, a 4 KB word 0.25 s). RFC 5322 allows 998 bytes a line; real From/To/Cc fields
#: stay far below these, real mails far below the field count.
MAX_HEADER_FIELD_BYTES = 16 * 1024
MAX_ADDRESS_FIELD_BYTES = 2 * 1024
MAX_ADDRESSES_PER_FIELD = 50
MAX_HEADER_FIELDS = 1000
_ADDRESS_FIELDS = frozenset({
    b"from", b"sender", b"reply-to", b"to", b"cc", b"bcc", b"resent-from", b"resent-sender",
    b"resent-to", b"resent-cc", b"resent-bcc", b"return-path", b"disposition-notification-to",
    b"mail-followup-to", b"mail-reply-to", b"errors-to",
})
_FIELD_NAME = re.compile(rb"([!-9;-~]++):")


#: Containers (multipart, forwarded message/rfc822) one mail may declare. The standard library
#: parses nested containers recursively: 3,000 multipart levels took 13 s and ended in
#: RecursionError with no sender recorded; 300 nested forwards failed the same way. Real mail
#: (forwards of forwards included) stays below a few dozen.
MAX_MULTIPARTS = 200
_MULTIPART = re.compile(rb"^content-type:[ \t]*+(?:multipart/|message/rfc822)", re.I | re.M)


def count_multiparts(raw: bytes, stop_after: int = MAX_MULTIPARTS) -> int:
    """How many multipart or message/rfc822 Content-Type fields ``raw`` declares (stops past the cap)."""
    count = 0
    for _ in _MULTIPART.finditer(raw):
        count += 1
        if count > stop_after:
            break
    return count


def cap_headers(raw: bytes) -> tuple[bytes, list[str]]:
    """``raw`` with its header block cut to the caps above, and a note for each cut.

    The header block is read once, line by line, the way the standard library reads it (it
    ends at the first empty line or the first line that is neither a field nor a
    continuation). Only when something is over a cap is the mail rebuilt; the body is never
    touched. The stored original (``Envelope.raw``) keeps every byte.
    """
    fields: list[list[bytes]] = []
    pos, size, end = 0, len(raw), len(raw)
    prefix = b""
    if raw.startswith(b"From "):  # mbox "From " line
        nl = raw.find(b"\n")
        pos = size if nl < 0 else nl + 1
        prefix = raw[:pos]
    while pos < size:
        nl = raw.find(b"\n", pos)
        line_end = size if nl < 0 else nl + 1
        first = raw[pos:pos + 1]
        if first in (b" ", b"\t") and fields:
            fields[-1].append(raw[pos:line_end])
        elif first not in (b"\r", b"\n") and _FIELD_NAME.match(raw, pos, min(line_end, pos + 200)):
            fields.append([raw[pos:line_end]])
        else:
            end = pos
            break
        pos = line_end
    notes: list[str] = []
    kept: list[bytes] = []
    changed = False
    for i, lines in enumerate(fields):
        field = b"".join(lines)
        if i >= MAX_HEADER_FIELDS:
            notes.append(f"header cut: {len(fields) - MAX_HEADER_FIELDS} header fields over "
                         f"{MAX_HEADER_FIELDS} dropped")
            changed = True
            break
        capped = _cap_field(field)
        if capped is not field:
            name = field.split(b":", 1)[0].decode("ascii", "replace")
            notes.append(f"header cut: {name} of {len(field)} bytes cut to {len(capped)}")
            changed = True
        kept.append(capped)
    if not changed:
        return raw, []
    return prefix + b"".join(kept) + raw[end:], notes


def _cap_field(field: bytes) -> bytes:
    """One field within its caps (the same object when it already is), ending with its EOL."""
    name = field.split(b":", 1)[0].strip().lower()
    is_address = name in _ADDRESS_FIELDS
    limit = MAX_ADDRESS_FIELD_BYTES if is_address else MAX_HEADER_FIELD_BYTES
    cut = len(field)
    if is_address and field.count(b",") >= MAX_ADDRESSES_PER_FIELD:
        at = -1
        for _ in range(MAX_ADDRESSES_PER_FIELD):
            at = field.find(b",", at + 1)
        cut = at
    cut = min(cut, limit)
    if cut >= len(field):
        return field
    eol = b"\r\n" if field.endswith(b"\r\n") else b"\n"
    return field[:cut].rstrip(b"\r\n") + eol


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


#: Control characters (C0, DEL) as spaces: an encoded word may decode to CR/LF ("=0D=0ABcc: ...").
#: Such a subject repeated in a reply's Subject was refused by the mail library (the mail was
#: quarantined) and, written anywhere else, would start a new line or end a C string.
#: C0 controls, DEL and the C1 controls (U+0080-U+009F: CSI and OSC as one character are
#: terminal escapes too).
_CONTROLS = {i: " " for i in [*range(0x00, 0x20), *range(0x7F, 0xA0)]}
#: The same, line breaks and tabs kept.
_CONTROLS_IN_TEXT = {i: v for i, v in _CONTROLS.items() if i not in (0x09, 0x0A)}


def one_line(text: str) -> str:
    """Decoded header text on one line: control characters as spaces, runs of spaces as one."""
    return " ".join(text.translate(_CONTROLS).split())


def plain_text(text: str) -> str:
    """Mail text as it may be shown on a terminal: lines and tabs kept, every other control
    character (ESC of an escape sequence, BEL, C1) a space."""
    return text.translate(_CONTROLS_IN_TEXT)


def _header(msg: email.message.Message, name: str) -> str:
    value = _raw_value(msg, name)
    if value is None:
        return ""
    value = re.sub(r"\r?\n[ \t]", " ", value)  # unfold first: encoded words may span lines
    try:
        return one_line(str(make_header(decode_header(value))))
    except Exception:
        return one_line(value)


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
    original = raw
    raw, cuts = cap_headers(raw)
    if count_multiparts(raw) > MAX_MULTIPARTS:
        why = f"MIME structure refused: more than {MAX_MULTIPARTS} multipart or forwarded-message containers"
        raise ParseError(why, _headers_only(original, raw, cuts + [why]))
    try:
        mp = mailparser.parse_from_bytes(raw)
    except Exception as e:  # mail-parser raises assorted errors on broken MIME
        headers = email.message_from_bytes(raw, policy=email.policy.compat32)
        if not headers.keys():
            raise ParseError("no header fields") from e
        return _from_stdlib(original, headers, f"mail-parser failed: {type(e).__name__}: {e}", cuts)
    # mail-parser's own standard-library message (compat32): parsing once is half the cost.
    headers = mp.message
    if not headers.keys():
        raise ParseError("no header fields")
    attachments: list[Attachment] = []
    unreadable: list[tuple[str, str]] = []
    forwarded = _forwarded_names(headers) if any(
        (a.get("mail_content_type") or "").lower() == "message/rfc822" for a in mp.attachments) else set()
    for att in mp.attachments:
        name = one_line(att.get("filename") or "") or "lampiran"
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
    text = "\n".join(mp.text_plain) if mp.text_plain else html_to_text("\n".join(mp.text_html))
    return _envelope(original, headers, text, attachments, unreadable,
                     cuts[:5] + [str(d) for d in (mp.defects or [])][:20])


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
        sender_name=one_line(identity.display_name),
        sender_problem=identity.problem,
        reply_to=reply_to[0][1] if reply_to else "",
        to=tuple(a for _, a in _addresses(headers, "To")),
        cc=tuple(a for _, a in _addresses(headers, "Cc")),
        date=date,
        in_reply_to=(message_ids(_header(headers, "In-Reply-To")) or ("",))[0],
        references=message_ids(_header(headers, "References")),
        text=text.replace("\r\n", "\n").replace("\x00", ""),
        attachments=attachments,
        unreadable=unreadable,
        defects=defects,
    )


def _headers_only(original: bytes, raw: bytes, notes: list[str]) -> Envelope | None:
    """The header block alone (no MIME walk), for a mail whose body is refused."""
    end = min((i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0), default=len(raw))
    headers = email.message_from_bytes(raw[:end] + b"\r\n\r\n", policy=email.policy.compat32)
    if not headers.keys():
        return None
    return _envelope(original, headers, "", [], [], notes)


def _from_stdlib(raw: bytes, headers: email.message.Message, why: str, cuts: list[str]) -> Envelope:
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
            filename = one_line(filename) or "lampiran"
            attachments.append(Attachment(filename, part.get_content_type(), payload))
        elif part.get_content_type() == "text/plain":
            texts.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
    return _envelope(raw, headers, "\n".join(texts), attachments, unreadable, cuts[:5] + [why])


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

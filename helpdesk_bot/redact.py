"""Hide credentials that people put in mail and forms, before anything stores or shows text.

Old SOPs told Pokja to write their user id and password on the ubah-jadwal request so the
helpdesk could log in for them, and people still do, in the body or in the form. The
daemon must never echo, log or digest those values, so every text that leaves the parsing
stage for a log line, a digest or a reply goes through ``redact`` first.

The label stays ("Password: [disamarkan]") so staff know a credential was there and can
open the original if they must. Only the value goes. The hard part is not destroying
ordinary sentences: "Mohon reset password Administrator Agency" names a password but
gives none. So a value counts when it follows an explicit separator (":", "=",
"adalah", "yaitu", "is"), or, after a bare space, only when it looks like a credential
(has a digit, a symbol or a capital letter inside the word): "password Rahasia123" is
hidden, "password baru" and "password Administrator" are not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MASK = "[disamarkan]"

#: Labels that introduce a credential after a separator or a space.
_STRONG_LABELS = (
    r"kata\s*sandi|password|pass\s+word|passwd|pwd|pin"
    r"|user\s*+[-_]?\s*+id|user\s*+[-_]?\s*+name|nama\s+pengguna|id\s+pengguna|akun|account"
)
#: Labels too ordinary as words ("Bapak Sandi", "user baru") to trust after a bare space.
_WEAK_LABELS = r"sandi|user|login|kode\s+akses|otp"

_LABEL = re.compile(
    rf"(?<![\w@.])(?:(?P<strong>{_STRONG_LABELS})|(?P<weak>{_WEAK_LABELS}))(?P<nya>nya)?(?!\w)",
    re.I,
)
#: Words that may sit between the label and its value ("password saya adalah ...").
_QUALIFIERS = (
    r"saya|kami|anda|kamu|baru|lama|sementara|awal|default|pokja|admin|agency|yang"
    r"|digunakan|tersebut|nya|spse|lpse|untuk\s+login|login|my|new|old|the"
)
_TAIL = re.compile(
    rf"(?P<quals>(?:[ \t]++(?:{_QUALIFIERS})(?!\w)){{0,3}})"
    r"(?:(?P<explicit>[ \t]*+[:=][ \t]*+|[ \t]++(?:adalah|yaitu|ialah|is|are)(?!\w)[ \t]*+[:=]?[ \t]*+)"
    r"|(?P<space>[ \t]+))",
    re.I,
)
_TOKEN = re.compile(r"\S+")
_TRAILING = ".,;:!?)]}\"'"


def _looks_like_credential(token: str) -> bool:
    """A digit, a symbol, or a capital inside the word: not how ordinary words look."""
    core = token.strip(_TRAILING).lstrip("([{\"'")
    if len(core) < 4 or core == MASK:
        return False
    if any(c.isdigit() for c in core):
        return True
    if any(not c.isalnum() for c in core):
        return True
    return any(c.isupper() for c in core[1:]) and any(c.islower() for c in core)


def _next_field(line: str, start: int) -> int:
    """Where the next "label:" field on the same line begins (after a space), else the end."""
    for m in _LABEL.finditer(line, start + 1):
        tail = _TAIL.match(line, m.end())
        if line[m.start() - 1] in " \t,;|" and tail and tail.group("explicit") is not None:
            return m.start()
    return len(line)


def _mask_explicit(line: str, value_start: int) -> tuple[str, int]:
    """Mask from ``value_start`` to the next field or the end of the line."""
    end = _next_field(line, value_start)
    value = line[value_start:end].rstrip(" \t,;|")
    if not value or value == MASK:
        return line, value_start + len(value)
    new = line[:value_start] + MASK + line[value_start + len(value):]
    return new, value_start + len(MASK)


def _mask_token(line: str, start: int) -> tuple[str, int] | None:
    m = _TOKEN.match(line, start)
    if not m or not _looks_like_credential(m.group(0)):
        return None
    token = m.group(0)
    core_end = m.start() + len(token.rstrip(_TRAILING))
    return line[: m.start()] + MASK + line[core_end:], m.start() + len(MASK)


#: What a label at the end of a line leaves for the next line.
_NONE, _ANY, _LIKELY = 0, 1, 2


def _redact_line(line: str) -> tuple[str, int]:
    """Redact one line; also say whether a label ended it with the value still to come.

    ``_ANY`` follows "Password :" (the next line's lone word is the value), ``_LIKELY`` a
    bare "Password" (only a credential-looking word counts), as form tables extract.
    """
    pos = 0
    pending = _NONE
    while True:
        m = _LABEL.search(line, pos)
        if not m:
            return line, pending
        pos = m.end()
        pending = _NONE
        rest = line[m.end():]
        if not rest.strip():
            pending = _LIKELY if m.group("strong") else _NONE
            return line, pending
        tail = _TAIL.match(line, m.end())
        if not tail:
            continue
        if tail.group("explicit") is not None:
            if tail.end() >= len(line.rstrip()):
                return line, _ANY
            line, pos = _mask_explicit(line, tail.end())
        elif m.group("strong"):
            masked = _mask_token(line, tail.end())
            if masked:
                line, pos = masked


def _redact_next_line(line: str, pending: int) -> str:
    """Mask the value a label on the previous line announced, if this line holds it."""
    indent = line[: len(line) - len(line.lstrip())]
    words = line.split()
    if not words or _LABEL.match(words[0]):
        return line
    if pending == _ANY and len(words) == 1:
        return indent + MASK
    masked = _mask_token(line, len(indent))
    return masked[0] if masked else line


def redact(text: str) -> str:
    """Replace credential values in free text by ``[disamarkan]``, keeping the labels."""
    if not text:
        return text
    lines = text.split("\n")
    pending = _NONE
    for i, line in enumerate(lines):
        if pending:
            line = _redact_next_line(line, pending)
        lines[i], pending = _redact_line(line)
    return "\n".join(lines)


_KEY = re.compile(
    rf"(?<![a-z])(?:{_STRONG_LABELS}|{_WEAK_LABELS}|secret|rahasia|token|credential|kredensial)"
    r"(?:s|nya)?(?![a-z])",
    re.I,
)


def is_credential_key(key: str) -> bool:
    """Form field names like "password", "User ID", "kata_sandi", "userid_pokja"."""
    normal = re.sub(r"[_\-.]+", " ", str(key))
    normal = re.sub(r"([a-z])([A-Z])", r"\1 \2", normal)
    return bool(_KEY.search(normal))


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return redact_mapping(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_redact_value(v) for v in value)
    return value


def redact_mapping(d: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a form's fields with credential values masked and free text redacted."""
    out: dict[str, Any] = {}
    for key, value in d.items():
        if is_credential_key(key) and value not in (None, "") and not isinstance(value, Mapping):
            out[key] = MASK
        else:
            out[key] = _redact_value(value)
    return out


__all__ = ["MASK", "redact", "redact_mapping", "is_credential_key"]

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
hidden, "password baru" and "password Administrator" are not. After an ordinary word used as
a label ("pass", "user", "otp") and a bare space, only a value with a digit counts ("pass
Rahasia123", "otp 482913"; not "pass ujian", "user Budi").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MASK = "[disamarkan]"

#: Between the words of a label: "kata sandi", "kata_sandi", "kata-sandi", "katasandi".
_J = r"[\s_-]{0,3}"
#: Letter-spaced labels ("P a s s w o r d", "K.a.t.a s.a.n.d.i"): one space or dot between letters.
_SPACED_PASSWORD = r"p[ .]a[ .]s[ .]s[ .]w[ .]o[ .]r[ .]d"
_SPACED_SANDI = r"k[ .]a[ .]t[ .]a[ .]{1,3}s[ .]a[ .]n[ .]d[ .]i"
#: Labels that introduce a credential after a separator or a space.
_STRONG_LABELS = (
    rf"kata{_J}sandi|kata{_J}kunci|kode{_J}sandi|password|pass{_J}word|passwd|pasword|paswd|passwrd|passowrd|passcode|pass{_J}code|passphrase"
    rf"|pwd|pswd|psw|pin|user{_J}id|user{_J}name|nama{_J}pengguna|id{_J}pengguna|akun|account"
    rf"|{_SPACED_PASSWORD}|{_SPACED_SANDI}"
)
#: Labels too ordinary as words ("Bapak Sandi", "user baru", "pass ujian") to trust after a
#: bare space; they count after a separator, or with a qualifier before a credential-like word
#: ("sandi baru Xy7#abc").
_WEAK_LABELS = rf"sandi|user|login|kode{_J}akses|otp|pass|pw"

#: A letter or digit (not "_", which joins words in file names and form keys).
_ALNUM = r"[^\W_]"
_LABEL = re.compile(
    rf"(?<!{_ALNUM})(?<![@.])(?:(?P<strong>{_STRONG_LABELS})|(?P<weak>{_WEAK_LABELS}))(?P<nya>nya)?(?!{_ALNUM})",
    re.I,
)
#: Words that may sit between the label and its value ("password saya adalah ...").
_QUALIFIERS = (
    r"saya|kami|anda|kamu|baru|lama|sementara|awal|default|pokja|admin|agency|yang|yg|akun|email"
    r"|digunakan|tersebut|nya|spse|lpse|untuk[ \t]{1,3}login|login|masuk|sekarang|terbaru|my|new|old|the|your"
)
#: Separators that make whatever follows the value: ":", "=", full-width and look-alike colons,
#: a table cell border "|" (form tables extract as "Password | X"), arrows, dashes set off by
#: spaces, and "adalah"/"is".
_SEPARATOR = r"(?:[:=\uff1a\ufe55\ua789\u2236|]|->|=>|\u2192|[ \t][\u2014\u2013-]{1,2}(?=[ \t]))"
_TAIL = re.compile(
    rf"(?P<quals>(?:[ \t_]{{1,5}}(?:{_QUALIFIERS})(?:[ \t]{{1,3}}\d{{1,4}})?(?!{_ALNUM})|[ \t]{{0,5}}\([^()\n]{{0,40}}\)){{0,3}})"
    rf"(?:(?P<explicit>[ \t]{{0,5}}{_SEPARATOR}[ \t]{{0,5}}"
    rf"|[ \t]{{1,5}}(?:adalah|yaitu|ialah|is|are)(?!{_ALNUM})[ \t]{{0,5}}(?:{_SEPARATOR}[ \t]{{0,5}})?)"
    r"|(?P<space>[ \t]{1,20}))",
    re.I,
)
_TOKEN = re.compile(r"\S+")
_TRAILING = ".,;:!?)]}\"'"


#: The parenthesis a qualifier may be (the same shape _TAIL accepts: no nesting, 40 characters).
_PAREN = re.compile(r"\([^()\n]{0,40}\)")


def _has_word_qualifier(quals: str) -> bool:
    """A qualifier word ("baru", "pokja 3"), not just a parenthesis: "dkim=pass (not aligned)
    spf=none" in an authentication verdict is no password."""
    return bool(_PAREN.sub("", quals).strip(" \t_"))


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


def _explicit_value(line: str, value_start: int, cell: bool = False) -> tuple[int, int] | None:
    """The value after "label:": up to the next field or the end of the line; None if masked.

    ``cell``: the separator was a table border ("Password | X | Kode Tender | 123"), so the
    value is the next cell only."""
    end = _next_field(line, value_start)
    if cell:  # one cell, and one word: "Password | Kode Tender | ..." is a table's header row
        border = line.find("|", value_start, end)
        end = end if border < 0 else border
        if len(line[value_start:end].split()) != 1:
            return None
    value_end = value_start + len(line[value_start:end].rstrip(" \t,;|"))
    if value_end == value_start or line.startswith(MASK, value_start) and value_end == value_start + len(MASK):
        return None
    return value_start, value_end


def _credential_token(line: str, start: int, need_digit: bool = False) -> tuple[int, int] | None:
    """The credential-looking word at ``start`` (without trailing punctuation), if it is one."""
    m = _TOKEN.match(line, start)
    if not m or not _looks_like_credential(m.group(0)) or need_digit and not any(c.isdigit() for c in m.group(0)):
        return None
    return m.start(), m.start() + len(m.group(0).rstrip(_TRAILING))


def _mask_token(line: str, start: int) -> tuple[str, int] | None:
    span = _credential_token(line, start)
    if span is None:
        return None
    return line[: span[0]] + MASK + line[span[1]:], span[0] + len(MASK)


#: What a label at the end of a line leaves for the next line.
_NONE, _ANY, _LIKELY = 0, 1, 2


def _redact_line(line: str) -> tuple[str, int]:
    """Redact one line; also say whether a label ended it with the value still to come.

    ``_ANY`` follows "Password :" (the next line's lone word is the value), ``_LIKELY`` a
    bare "Password" (only a credential-looking word counts), as form tables extract.
    The line is read once, left to right, and the output assembled from pieces, so a long
    hostile line costs time in proportion to its length.
    """
    pieces: list[str] = []
    copied = 0
    pos = 0
    content_end = len(line.rstrip())
    while True:
        m = _LABEL.search(line, pos)
        if not m:
            break
        pos = m.end()
        if m.end() >= content_end:
            pieces.append(line[copied:])
            return "".join(pieces), _LIKELY if m.group("strong") else _NONE
        tail = _TAIL.match(line, m.end())
        if not tail:
            continue
        span: tuple[int, int] | None = None
        if tail.group("explicit") is not None:
            if tail.end() >= content_end:
                pieces.append(line[copied:])
                return "".join(pieces), _ANY
            span = _explicit_value(line, tail.end(), cell="|" in tail.group("explicit"))
            if span is None:
                pos = max(pos, tail.end())
        elif m.group("strong") or _has_word_qualifier(tail.group("quals")):
            span = _credential_token(line, tail.end())
        else:  # an ordinary word as label ("pass", "user", "otp"): only a value with a digit counts
            span = _credential_token(line, tail.end(), need_digit=True)
        if span is not None:
            pieces += [line[copied:span[0]], MASK]
            copied = pos = span[1]
    pieces.append(line[copied:])
    return "".join(pieces), _NONE


def has_secret(text: str) -> bool:
    """Whether ``text`` holds a credential value that ``redact`` would mask."""
    return bool(text) and redact(text) != plain(text)


def redact_filename(name: str) -> str:
    """A file name with a credential masked ("password_Rahasia1.pdf"); the extension stays."""
    if not name:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext) > 5 or not ext.isalnum():
        stem, dot, ext = name, "", ""
    spaced = plain(stem.replace("_", " ").replace("-", " "))
    masked = redact(spaced)
    return name if masked == spaced else f"{masked}{dot}{ext}"


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


#: Full-width ASCII ("Ｐａｓｓｗｏｒｄ", phone keyboards) as ASCII; zero-width characters and soft
#: hyphens (copied from web pages, or put inside a label) removed. ASCII text is unchanged.
_PLAIN = {0xFF01 + i: 0x21 + i for i in range(94)} | dict.fromkeys([0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD])


def plain(text: str) -> str:
    """``text`` as ``redact`` reads it (see _PLAIN); compare with this to see what was masked."""
    return text if text.isascii() else text.translate(_PLAIN)


def redact(text: str) -> str:
    """Replace credential values in free text by ``[disamarkan]``, keeping the labels."""
    if not text:
        return text
    lines = plain(text).split("\n")
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


def redact_texts(value: Any) -> Any:
    """Every string inside lists and mappings redacted; keys and other values kept."""
    return _redact_value(value)


def redact_mapping(d: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a form's fields with credential values masked and free text redacted."""
    out: dict[str, Any] = {}
    for key, value in d.items():
        if is_credential_key(key) and value not in (None, "") and not isinstance(value, Mapping):
            out[key] = MASK
        else:
            out[key] = _redact_value(value)
    return out


__all__ = ["MASK", "has_secret", "plain", "is_credential_key", "redact", "redact_filename", "redact_mapping", "redact_texts"]

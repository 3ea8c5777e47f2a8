"""The requester's own words in a reply: the text above the quoted thread or the signature.

Classification (what is this mail about?), staff commands (is the first line a command?) and
the text stored for staff all read only what the sender wrote now, never the quoted history,
in which our own acknowledgement, with every request-type word, would otherwise be found.
It lives apart from the workflow so that analysis (classify) does not import the writer.
"""

from __future__ import annotations

import re

_QUOTE_HEADER = re.compile(
    r"^\s*(on\s.+wrote:|pada\s.+(menulis|tulis)\s*:|-{2,}\s*original message\s*-{2,}|-{2,}\s*pesan asli\s*-{2,}"
    r"|_{5,}|from:\s.+|dari:\s.+)\s*$", re.I)


def own_text(text: str) -> str:
    """The new text of a reply: stops at the quoted thread or the signature separator."""
    lines: list[str] = []
    for line in (text or "").replace("\r\n", "\n").split("\n"):
        if line.startswith(">") or _QUOTE_HEADER.match(line) or line.rstrip() == "--":
            break
        lines.append(line.rstrip())
    return "\n".join(lines).strip()

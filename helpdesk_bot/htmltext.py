"""HTML to plain text for mail bodies and attached HTML files, in linear time.

Both the mail body (``parse``) and attached ``.html`` files (``documents``) are
attacker-controlled, so this is written to read its input once: ``<script>``/``<style>``
blocks are dropped by a left-to-right scan with ``str.find`` (the regex
``<(script|style)>.*?</\\1>`` rescanned the rest of the text from every unclosed
``<script>``), and a tag may not contain ``<`` (``<[^>]+>`` rescanned from every ``<``).
"""

from __future__ import annotations

import html as htmllib
import re

_BREAK = re.compile(r"<br\s*+/?>|</p>|</div>|</tr>|</h\d>|</li>", re.I)
_TAG = re.compile(r"<[^<>]++>")
_DOCTYPE = re.compile(r"\A\s*+(?:<!doctype html|<html)", re.I)


def looks_like_html(text: str) -> bool:
    """Whether a text file is an HTML page (its first 200 characters say so)."""
    return bool(_DOCTYPE.match(text[:200]))


def _drop_blocks(html: str) -> str:
    """``html`` without its script and style elements; an unclosed one is left as it is."""
    lower = html.lower()
    out: list[str] = []
    pos = 0
    nxt = {name: lower.find(f"<{name}", 0) for name in ("script", "style")}
    while True:
        for name, at in nxt.items():  # keep each cached position at or after pos
            if 0 <= at < pos:
                nxt[name] = lower.find(f"<{name}", pos)
        starts = [(at, name) for name, at in nxt.items() if at >= 0]
        if not starts:
            break
        start, name = min(starts)
        close = lower.find(f"</{name}", start)
        end = lower.find(">", close) if close >= 0 else -1
        if end < 0:
            break
        out.append(html[pos:start])
        out.append(" ")
        pos = end + 1
    out.append(html[pos:])
    return "".join(out)


def html_to_text(html: str) -> str:
    """The text of an HTML document: line breaks kept for block ends, tags become spaces."""
    text = _BREAK.sub("\n", _drop_blocks(html))
    return htmllib.unescape(_TAG.sub(" ", text))

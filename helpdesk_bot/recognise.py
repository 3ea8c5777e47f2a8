"""Which document is this attachment? Titles near the top of a page, then file names.

Forms put their title at the top of the first page; a cover letter that *mentions* other
documents ("bersama ini kami lampirkan SK ...") mentions them lower down. So each page is
recognised by the earliest title-like line in its head, and a mention further down never
counts. Titles are compared fuzzily (rapidfuzz) so OCR noise ("FORMUL1R PERMINTAAN UBAH
JADWA L") still matches; the matched text is kept as the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from .fields import normalise
from .ruleset import FormSpec, RuleSet

#: Lines of a page searched for a title (letterheads take 5-10 lines).
HEAD_LINES = 30
#: Minimum similarity (0-100) of a line to a title.
TITLE_THRESHOLD = 86.0
#: Enumerated lines ("1. Surat Keputusan ...", "- SLA") list attachments, never a title.
_LIST_ITEM = re.compile(r"^\s*(\d{1,2}|[a-h])\s*[.)]\s|^\s*[-•*]\s")
#: Letter subjects: "Perihal : Permohonan Reset Password ..." names the letter's own document.
_SUBJECT_LABEL = re.compile(r"^(perihal|hal|prihal|perihai|pokok surat)\s*[:.]?\s*")


@dataclass(frozen=True)
class Recognition:
    doc_id: str
    #: "title", "pattern", "subject-line" or "filename"
    how: str
    #: The text (or file name) that matched.
    matched: str
    score: float
    page: int = 1


def _letters(s: str) -> str:
    return re.sub(r"[^a-z0-9 ]+", " ", s).strip()


def _head_lines(page: str) -> list[str]:
    """The first lines of a page, letters and digits only; list items blanked (kept as lines
    so that positions stay comparable)."""
    raw = [ln for ln in normalise(page).split("\n") if ln.strip()]
    lines = ["" if _LIST_ITEM.match(ln) else re.sub(r"\s+", " ", _letters(ln)) for ln in raw]
    # Titles are often broken over two lines: also try each line joined with the next.
    return lines[:HEAD_LINES]


def _title_hits(lines: list[str], spec: FormSpec, page_no: int) -> list[tuple[int, Recognition]]:
    hits = []
    titles = [_letters(normalise(t)) for t in spec.titles]
    for i, line in enumerate(lines):
        if not line:
            continue
        candidates = [(line, "title")]
        if i + 1 < len(lines):
            candidates.append((f"{line} {lines[i + 1]}", "title"))
        m = _SUBJECT_LABEL.match(line)
        if m:
            candidates.append((line[m.end():], "subject-line"))
        for cand, how in candidates:
            for title in titles:
                if len(cand) < len(title) * 0.6 or len(cand) > len(title) * 1.6 + 12:
                    continue
                score = fuzz.ratio(title, cand)
                if score < TITLE_THRESHOLD and how == "subject-line":
                    score = max(score, fuzz.partial_ratio(title, cand) if len(cand) >= len(title) else 0)
                if score >= TITLE_THRESHOLD:
                    hits.append((i, Recognition(spec.id, how, cand[:120], round(score, 1), page_no)))
    return hits


def _pattern_hits(head: str, lines_before: list[int], spec: FormSpec, page_no: int) -> list[tuple[int, Recognition]]:
    hits = []
    for rx in spec.patterns:
        m = rx.search(head)
        if m:
            line_no = head.count("\n", 0, m.start())
            hits.append((line_no, Recognition(spec.id, "pattern", m.group(0)[:120], 100.0, page_no)))
    return hits


def recognise_text(text: str, rules: RuleSet) -> list[Recognition]:
    """One recognition per page at most (the earliest title on it), pages in order."""
    found: list[Recognition] = []
    for page_no, page in enumerate(text.split("\f"), start=1):
        lines = _head_lines(page)
        if not lines:
            continue
        head = "\n".join(lines)
        hits: list[tuple[int, Recognition]] = []
        for spec in rules.forms.values():
            hits.extend(_title_hits(lines, spec, page_no))
            hits.extend(_pattern_hits(head, [], spec, page_no))
        if hits:
            hits.sort(key=lambda h: (h[0], -h[1].score, h[1].how != "title"))
            found.append(hits[0][1])
    return found


def recognise_filename(filename: str, rules: RuleSet) -> Recognition | None:
    name = filename.rsplit("/", 1)[-1].lower()
    for spec in rules.forms.values():
        for rx in spec.filenames:
            if rx.search(name):
                return Recognition(spec.id, "filename", filename, 60.0)
    return None


def recognise(text: str, filename: str, rules: RuleSet) -> list[Recognition]:
    """The documents in one attachment: by its text; by file name only when the text says nothing."""
    by_text = recognise_text(text, rules) if text.strip() else []
    if by_text:
        seen: dict[str, Recognition] = {}
        for r in by_text:
            seen.setdefault(r.doc_id, r)
        return list(seen.values())
    by_name = recognise_filename(filename, rules)
    return [by_name] if by_name else []

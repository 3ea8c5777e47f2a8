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

from rapidfuzz import fuzz, process

from .fields import normalise
from .ruleset import FormSpec, RuleSet

#: Lines of a page searched for a title (letterheads take 5-10 lines).
HEAD_LINES = 30
#: Minimum similarity (0-100) of a line to a title.
TITLE_THRESHOLD = 86.0
#: Enumerated lines ("1. Surat Keputusan ...", "- SLA") list attachments, never a title.
_LIST_ITEM = re.compile(r"^\s*(\d{1,2}|[a-h])\s*[.)]\s|^\s*[-•*]\s")
#: Letter subjects: "Perihal : Permohonan Reset Password ..." names the letter's own document.
_SUBJECT_LABEL = re.compile(r"^(perihal|hal|prihal|perihai|pokok surat)\s*+[:.]?\s*+")


@dataclass(frozen=True)
class Recognition:
    doc_id: str
    #: "title", "pattern", "subject-line" or "filename"
    how: str
    #: The text (or file name) that matched.
    matched: str
    score: float
    page: int = 1


_NOT_ALNUM = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")


def _letters(s: str) -> str:
    return _NOT_ALNUM.sub(" ", s).strip()


def _head_lines(page: str) -> list[str]:
    """The first lines of a page, letters and digits only; list items blanked (kept as lines
    so that positions stay comparable)."""
    raw = [ln for ln in normalise(page).split("\n") if ln.strip()]
    lines = ["" if _LIST_ITEM.match(ln) else _SPACES.sub(" ", _letters(ln)) for ln in raw]
    # Titles are often broken over two lines: also try each line joined with the next.
    return lines[:HEAD_LINES]


_TITLES: dict[int, tuple[RuleSet, list[str], list[str]]] = {}


def _titles(rules: RuleSet) -> tuple[list[str], list[str]]:
    """Every form's titles, normalised once per rule set: (titles, their document ids)."""
    got = _TITLES.get(id(rules))
    if got is None or got[0] is not rules:
        titles, ids = [], []
        for spec in rules.forms.values():
            for t in spec.titles:
                titles.append(_letters(normalise(t)))
                ids.append(spec.id)
        if len(_TITLES) > 8:
            _TITLES.clear()
        got = _TITLES[id(rules)] = (rules, titles, ids)
    return got[1], got[2]


def _title_hits(lines: list[str], rules: RuleSet, page_no: int) -> list[tuple[int, Recognition]]:
    """Lines (and pairs of lines, titles wrap) that are a form's title, fuzzily."""
    titles, ids = _titles(rules)
    hits = []
    for i, line in enumerate(lines):
        if not line:
            continue
        candidates = [(line, "title")]
        if i + 1 < len(lines) and lines[i + 1]:
            candidates.append((f"{line} {lines[i + 1]}", "title"))
        m = _SUBJECT_LABEL.match(line)
        if m:
            candidates.append((line[m.end():], "subject-line"))
        for cand, how in candidates:
            for _title, score, k in process.extract(cand, titles, scorer=fuzz.ratio, score_cutoff=TITLE_THRESHOLD, limit=3):
                hits.append((i, Recognition(ids[k], how, cand[:120], round(score, 1), page_no)))
            if how == "subject-line":  # "Perihal : Permohonan Reset Password Akun Administrator Agency Dinas X"
                for _title, score, k in process.extract(cand, titles, scorer=fuzz.partial_ratio, score_cutoff=TITLE_THRESHOLD + 4, limit=3):
                    if len(cand) >= len(titles[k]):
                        hits.append((i, Recognition(ids[k], how, cand[:120], round(score, 1), page_no)))
    return hits


def _pattern_hits(head: str, spec: FormSpec, page_no: int) -> list[tuple[int, Recognition]]:
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
        if not any(lines):
            continue
        head = "\n".join(lines)
        hits = _title_hits(lines, rules, page_no)
        for spec in rules.forms.values():
            hits.extend(_pattern_hits(head, spec, page_no))
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
    """The documents in one attachment: by its text; by file name only when the text names none
    (unreadable files, and forms whose title is a picture above a text layer)."""
    by_text = recognise_text(text, rules) if text.strip() else []
    if by_text:
        seen: dict[str, Recognition] = {}
        for r in by_text:
            seen.setdefault(r.doc_id, r)
        return list(seen.values())
    by_name = recognise_filename(filename, rules)
    return [by_name] if by_name else []

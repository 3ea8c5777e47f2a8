"""Which documents does this attachment hold? Page by page: titles near the top, letters by
their subject line, then file names.

One scan may hold several documents (a cover letter, then the SK it encloses). Each page is
recognised on its own: a page with a title of its own starts a document; a page without one
(the letter's second page, the signatures) continues the document before it, so every
document gets a page range. Forms put their title at the top; a letter names its own document
in its subject line ("Perihal : Permohonan Reset Password ..."), and whatever it says after its
salutation ("bersama ini kami lampirkan Surat Keputusan ...") is body text that mentions other
documents, never a title. Titles are compared fuzzily (rapidfuzz) so OCR noise ("FORMUL1R
PERMINTAAN UBAH JADWA L") still matches; the matched text is kept as the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from rapidfuzz import fuzz, process

from .fields import normalise
from .ruleset import FormSpec, RuleSet

#: Lines of a page searched for a title (letterheads take 5-10 lines).
HEAD_LINES = 30
#: Minimum similarity (0-100) of a line to a title.
TITLE_THRESHOLD = 86.0
#: Enumerated lines ("1. Surat Keputusan ...", "- SLA") list attachments, never a title.
_LIST_ITEM = re.compile(r"^\s*(\d{1,2}|[a-h])\s*[.)]\s|^\s*[-•*]\s")
#: Letter subjects: "Perihal : Permohonan Reset Password ..." names the letter's own document
#: (matched on letters-only lines, so the colon is gone; "halaman 2" is not a subject).
_SUBJECT_LABEL = re.compile(r"^(?:perihal|prihal|perihai|perlhal|perihak|hal|pokok surat)\b\s*+")
#: Where a letter's or decree's body starts: nothing from here on is a title.
_BODY_START = re.compile(
    r"^(?:dengan hormat|sehubungan|bersama (?:ini|surat)|menindaklanjuti|memperhatikan|yang bertanda tangan"
    r"|kami (?:mohon|sampaikan|mengajukan|bermaksud|lampirkan)|berdasarkan|dalam rangka|menimbang|mengingat"
    r"|menetapkan|memutuskan|demikian)\b")
#: A sentence mentioning enclosures ("... kami lampirkan Surat Keputusan ..."): not a title.
_ENCLOSURE = re.compile(r"\b(?:lampirkan|terlampir|dilampirkan|melampirkan|kami sampaikan|sebagai kelengkapan)\b")
#: Lines that name the next element of a letter head, so the subject line does not go on.
_HEAD_LABEL = re.compile(r"^(?:kepada|yth|nomor|no|lampiran|sifat|tanggal|di|tembusan)\b")
#: The first lines of a page that has its own heading (a letterhead, a decree, a subject line).
_HEADING = re.compile(
    r"^(?:pemerintah|kementerian|kementrian|dinas|badan|universitas|rumah sakit|rsud|sekretariat|kantor"
    r"|lembaga|institut|politeknik|bagian|keputusan|surat|formulir|form|berita acara|service level|perjanjian"
    r"|kesepakatan|nomor)\b")


@dataclass(frozen=True)
class Recognition:
    doc_id: str
    #: "title", "pattern", "subject-line" or "filename"
    how: str
    #: The text (or file name) that matched.
    matched: str
    score: float
    #: First page of the document in its file (1-based).
    page: int = 1
    #: Last page (continuation pages without a heading join the document before them).
    last_page: int = 0

    @property
    def end(self) -> int:
        return max(self.page, self.last_page)

    @property
    def pages(self) -> str:
        """"2" or "1-3", as people write page ranges."""
        return str(self.page) if self.end == self.page else f"{self.page}-{self.end}"


_NOT_ALNUM = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")
#: A word broken at the end of a line ("ADMINIS-" / "TRATOR AGENCY"), as typed titles wrap
#: and OCR reads them: joined again before the page is read line by line.
_HYPHEN_WRAP = re.compile(r"(?<=[a-z])-[ \t]*+\n[ \t]*+(?=[a-z])")
#: Title words shorter than this are not checked one by one ("dan", "uji" survive OCR poorly).
_WORD_MIN = 4
#: Similarity (0-100) of a candidate's word to a title's word for the word to count as present.
_WORD_THRESHOLD = 75.0


def _letters(s: str) -> str:
    return _NOT_ALNUM.sub(" ", s).strip()


def _head_lines(page: str) -> list[str]:
    """The first lines of a page, letters and digits only; list items blanked (kept as lines
    so that positions stay comparable)."""
    raw = [ln for ln in _HYPHEN_WRAP.sub("", normalise(page)).split("\n") if ln.strip()]
    lines = ["" if _LIST_ITEM.match(ln) else _SPACES.sub(" ", _letters(ln)) for ln in raw[:HEAD_LINES]]
    return lines


def _title_zone(lines: list[str]) -> list[str]:
    """The lines that may hold a title: up to the body (salutation, "Menimbang", ...), with
    sentences about enclosures blanked, because a letter that *mentions* an SK is not one."""
    zone: list[str] = []
    blank_next = False
    for line in lines:
        if _BODY_START.match(line):
            break
        if blank_next or _ENCLOSURE.search(line):
            zone.append("")
            blank_next = bool(_ENCLOSURE.search(line))
            continue
        zone.append(line)
    return zone


def _subject_line(lines: list[str]) -> tuple[int, str] | None:
    """(line index, text) of a letter's subject ("Perihal ..."), joined with its wrapped
    second line; None when the page has none."""
    for i, line in enumerate(lines):
        m = _SUBJECT_LABEL.match(line)
        if not m:
            continue
        text = line[m.end():].strip()
        if sum(1 for w in text.split() if w.isalpha()) < 2:
            continue  # "hal 2 dari 3": a page number, not a subject
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if nxt and not _HEAD_LABEL.match(nxt) and len(text) < 70:
            text = f"{text} {nxt}"
        return i, text
    return None


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


def _has_every_word(title: str, cand: str) -> bool:
    """Every word of the title is in the candidate, give or take OCR noise. A fuzzy score over
    the whole line forgives a *missing* word when the title is short ("SURAT PERMOHONAN" is
    86 % of "SURAT PERMOHONAN DATA"), and the missing word is the one that names the document."""
    words = cand.split()
    return all(any(fuzz.ratio(w, c) >= _WORD_THRESHOLD for c in words)
               for w in title.split() if len(w) >= _WORD_MIN)


def _title_hits(lines: list[str], rules: RuleSet, page_no: int, subject: bool = False) -> list[tuple[int, Recognition]]:
    """Lines (and pairs of lines, titles wrap) that are a form's title, fuzzily. With ``subject``
    the lines are a letter's subject line, which may go on after the title ("... Dinas X")."""
    titles, ids = _titles(rules)
    how = "subject-line" if subject else "title"
    hits = []
    for i, line in enumerate(lines):
        if not line:
            continue
        candidates = [line]
        if not subject and i + 1 < len(lines) and lines[i + 1]:
            candidates.append(f"{line} {lines[i + 1]}")
        for cand in candidates:
            for title, score, k in process.extract(cand, titles, scorer=fuzz.ratio, score_cutoff=TITLE_THRESHOLD, limit=3):
                if not _has_every_word(title, cand):
                    continue
                hits.append((i, Recognition(ids[k], how, cand[:120], round(score, 1), page_no)))
            if subject:  # "Permohonan Reset Password Akun Administrator Agency Dinas X"
                for title, score, k in process.extract(cand, titles, scorer=fuzz.partial_ratio, score_cutoff=TITLE_THRESHOLD + 4, limit=3):
                    if len(cand) >= len(title) and _has_every_word(title, cand):
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


def _subject_hits(text: str, rules: RuleSet, line_no: int, page_no: int) -> list[tuple[int, Recognition]]:
    """What a letter's subject line names: a title (fuzzily), a form pattern or a subject regex."""
    hits = _title_hits([text], rules, page_no, subject=True)
    for spec in rules.forms.values():
        for rx in (*spec.patterns, *spec.subjects):
            m = rx.search(text)
            if m:
                hits.append((0, Recognition(spec.id, "subject-line", text[:120], 95.0 - m.start() / 100, page_no)))
                break
    return [(line_no, r) for _, r in hits]


def recognise_page(page: str, rules: RuleSet, page_no: int = 1) -> tuple[Recognition | None, bool]:
    """(the document this page starts, whether the page has a heading of its own).

    A letter (a page with a subject line) is named by a title above its subject line or by the
    subject line itself; nothing below counts. Other pages: the earliest title or pattern
    before the body starts. A page without a heading continues the document before it.
    """
    lines = _head_lines(page)
    zone = _title_zone(lines)
    subject = _subject_line(zone)
    if subject is not None:
        line_no, text = subject
        above = zone[:line_no]
        hits = _title_hits(above, rules, page_no) + _subject_hits(text, rules, line_no, page_no)
        for spec in rules.forms.values():
            hits.extend(_pattern_hits("\n".join(above), spec, page_no))
    else:
        hits = _title_hits(zone, rules, page_no)
        head = "\n".join(zone)
        for spec in rules.forms.values():
            hits.extend(_pattern_hits(head, spec, page_no))
    if hits:
        hits.sort(key=lambda h: (h[0], -h[1].score, h[1].how != "title"))
        return hits[0][1], True
    headed = subject is not None or any(_HEADING.match(ln) for ln in lines[:4] if ln)
    return None, headed


def recognise_text(text: str, rules: RuleSet) -> list[Recognition]:
    """Every document in a file's text, in page order, each with its page range."""
    found: list[Recognition] = []
    current: int | None = None  # the document a page without a heading continues
    for page_no, page in enumerate(text.split("\f"), start=1):
        if not page.strip():
            continue
        hit, headed = recognise_page(page, rules, page_no)
        if hit is not None:
            prev = found[current] if current is not None else None
            if prev is not None and prev.doc_id == hit.doc_id and prev.end == page_no - 1:
                found[current] = replace(prev, last_page=page_no)  # "... - Halaman 2": the same document
                continue
            found.append(hit)
            current = len(found) - 1
        elif headed:
            current = None  # a document we do not know (a KTP, an unrelated letter)
        elif current is not None:
            found[current] = replace(found[current], last_page=page_no)
    return found


def page_text(text: str, r: Recognition) -> str:
    """The text of the pages a recognised document spans."""
    pages = text.split("\f")
    return "\f".join(pages[r.page - 1:r.end])


def recognise_filename(filename: str, rules: RuleSet) -> Recognition | None:
    name = filename.rsplit("/", 1)[-1].lower()
    for spec in rules.forms.values():
        for rx in spec.filenames:
            if rx.search(name):
                return Recognition(spec.id, "filename", filename, 60.0)
    return None


def excluded(spec: FormSpec | None, text: str) -> str:
    """The text of ``spec``'s first exclude pattern found in ``text`` ("" when none is): the
    document is another one with the same words (forms' ``excludes``)."""
    if spec is None or not spec.excludes:
        return ""
    head = normalise(text[:20000])
    for rx in spec.excludes:
        m = rx.search(head)
        if m:
            return m.group(0)[:80]
    return ""


def recognise(text: str, filename: str, rules: RuleSet) -> list[Recognition]:
    """The documents in one attachment, each with its pages: by its text; by file name only when
    the text names none (unreadable files, and forms whose title is a picture above a text layer).
    A document whose pages match one of its form's ``excludes`` is not that document."""
    by_text = recognise_text(text, rules) if text.strip() else []
    by_text = [r for r in by_text if not excluded(rules.forms.get(r.doc_id), page_text(text, r))]
    if by_text:
        return by_text
    by_name = recognise_filename(filename, rules)
    if by_name is not None and excluded(rules.forms.get(by_name.doc_id), text):
        return []
    return [by_name] if by_name else []

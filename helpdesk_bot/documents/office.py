"""Word (DOCX) files: headers, paragraphs, tables and text boxes in document order.

A DOCX is a ZIP, so it is held to the same package limits as an archive (declared sizes,
compression ratio, overlapping entries, the mail's ZIP budget) before python-docx opens it.
Old binary .doc files are not read here (see the ``old_doc_format`` error).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

from .archive import RATIO_FLOOR_BYTES, _check_overlaps
from .model import BROKEN, EMPTY, ZIP_BOMB, _Context, _describe, _Failure, _Leaf, _mb
from .text import _letters, normalise

# ------------------------------------------------------------------------------------------
# DOCX


def _extract_docx(data: bytes, ctx: _Context) -> _Leaf:
    """Headers, then the body's paragraphs and tables in document order, text boxes included,
    cut into pages at the file's page breaks (form feeds, as in a PDF's text)."""
    import docx

    _check_package_size(data, ctx)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as e:
        raise _Failure(BROKEN, f"the Word file cannot be opened ({_describe(e)})")
    pages = _DocxPages(max_pages=ctx.limits.max_pdf_pages)
    _docx_body(document, pages)
    text = normalise(pages.text())
    detail = (f"only the first {ctx.limits.max_pdf_pages} pages were kept apart; the rest joins the last"
              if pages.capped else "")
    count = pages.count() if pages.count() > 1 else 0  # 0: one page as far as the file tells
    if not _letters(text):
        return _Leaf(kind="docx", method="docx", text=text, pages=count, error=EMPTY,
                     detail="the Word file has no text")
    return _Leaf(kind="docx", method="docx", text=text, pages=count, detail=detail)


@dataclass
class _DocxPages:
    """The pages of a Word file as it is read: each page's header lines, then its body lines.

    Word has no pages in the file, only the breaks that make them: an explicit page break
    (``w:br w:type="page"``), "page break before" on a paragraph (or its style), a section
    that starts on a new page, and ``w:lastRenderedPageBreak``, where Word's own layout broke
    the page when the file was last saved there (a letter typed down to the next page with
    Enter, then the SK). A rendered break where the page has no body text yet is the same
    boundary as an explicit break just before it, so it starts no page. Headers are written
    once (not on every page: a letterhead repeated on a letter's second page would make that
    page look like a new document), at the top of the page where their section starts.
    """

    max_pages: int
    pages: list[tuple[list[str], list[str]]] = field(default_factory=lambda: [([], [])])
    capped: bool = False

    def header(self, line: str) -> None:
        self.pages[-1][0].append(line)

    def body(self, line: str) -> None:
        self.pages[-1][1].append(line)

    def new_page(self, rendered: bool = False) -> None:
        if rendered and not any(line.strip() for line in self.pages[-1][1]):
            return
        if len(self.pages) >= self.max_pages:
            self.capped = True  # hostile files: thousands of breaks would be thousands of pages
            return
        self.pages.append(([], []))

    def count(self) -> int:
        return len(self._kept())

    def text(self) -> str:
        return "\f".join("\n".join(head + body) for head, body in self._kept())

    def _kept(self) -> list[tuple[list[str], list[str]]]:
        """Without trailing pages that hold nothing (a break at the very end)."""
        kept = list(self.pages)
        while len(kept) > 1 and not any(line.strip() for line in kept[-1][0] + kept[-1][1]):
            kept.pop()
        return kept


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_W_TYPE = _W + "type"
#: Section start types (``w:type``) that begin on a new page; a missing type means a new page.
_NEW_PAGE_STARTS = ("nextPage", "oddPage", "evenPage")


def _docx_body(document: Any, pages: _DocxPages) -> None:
    """Headers and body into ``pages``: each section's headers at the top of the page it starts on."""
    from docx.table import Table

    sections = document.element.body.xpath("./w:p/w:pPr/w:sectPr | ./w:sectPr")
    seen_headers: set[str] = set()
    style_breaks: dict[str | None, bool] = {}
    _section_headers(document, 0, pages, seen_headers)
    section = 0
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for line in _docx_table(block, 0):
                pages.body(line)
            continue
        ppr = block._p.find(_W + "pPr")
        if _page_break_before(block, ppr, style_breaks):
            pages.new_page()
        fragments, cuts = _paragraph_pages(block)
        pages.body(fragments[0])
        for rendered, fragment in zip(cuts, fragments[1:]):
            pages.new_page(rendered=rendered)
            pages.body(fragment)
        for line in _textbox_lines(block):
            pages.body(line)
        if ppr is not None and ppr.find(_W + "sectPr") is not None and section + 1 < len(sections):
            section += 1
            start = sections[section].xpath("./w:type/@w:val")
            if not start or start[0] in _NEW_PAGE_STARTS:
                pages.new_page()
            _section_headers(document, section, pages, seen_headers)


def _section_headers(document: Any, index: int, pages: _DocxPages, seen: set[str]) -> None:
    """The section's own headers (first page, default, even), each line once per file."""
    try:
        section = document.sections[index]
        headers = (section.first_page_header, section.header, section.even_page_header)
    except Exception:
        return
    for hf in headers:
        try:
            if hf.is_linked_to_previous:
                continue
            for line in _docx_blocks(hf):
                if line not in seen:
                    seen.add(line)
                    pages.header(line)
        except Exception:
            continue


def _page_break_before(paragraph: Any, ppr: Any, by_style: dict[str | None, bool]) -> bool:
    """``w:pageBreakBefore`` on the paragraph, else on its style or the styles it is based on.

    The paragraph's own properties are read with lxml (python-docx's accessors cost more than
    the rest of the paragraph), and a style's answer is kept in ``by_style``: python-docx looks
    a style up by scanning every style, about 2 ms a paragraph in a file with dozens of styles.
    """
    try:
        direct = ppr.find(_W + "pageBreakBefore") if ppr is not None else None
        if direct is not None:
            return (direct.get(_W + "val") or "true").lower() not in ("0", "false", "off")
        pstyle = ppr.find(_W + "pStyle") if ppr is not None else None
        style_id = pstyle.get(_W + "val") if pstyle is not None else None
        if style_id not in by_style:
            value = None
            style = paragraph.style
            for _ in range(10):  # a style chain longer than this is a loop in a hostile file
                if value is not None or style is None:
                    break
                value = style.paragraph_format.page_break_before
                style = style.base_style
            by_style[style_id] = bool(value)
        return by_style[style_id]
    except Exception:
        return False


_RUN_CONTENT = "w:br | w:cr | w:noBreakHyphen | w:ptab | w:t | w:tab | w:lastRenderedPageBreak"


def _paragraph_pages(paragraph: Any) -> tuple[list[str], list[bool]]:
    """The paragraph's text cut at its page breaks: (fragments, whether each cut was rendered).

    Read like python-docx's ``Paragraph.text`` (runs and hyperlinked runs; text boxes apart),
    which gives a page break no text, so a paragraph without breaks reads exactly as before.
    """
    p = paragraph._p
    # lxml's own walk (C) first: most paragraphs have no break, and xpath costs more per call.
    if not any(e.tag != _W + "br" or e.get(_W_TYPE) == "page" for e in p.iter(_W + "br", _W + "lastRenderedPageBreak")):
        return [paragraph.text], []
    fragments: list[str] = []
    cuts: list[bool] = []
    current: list[str] = []
    for run in p.xpath("./w:r | ./w:hyperlink/w:r"):
        for e in run.xpath(_RUN_CONTENT):
            tag = e.tag.rsplit("}", 1)[-1]
            if tag == "lastRenderedPageBreak" or (tag == "br" and e.get(_W_TYPE) == "page"):
                fragments.append("".join(current))
                cuts.append(tag == "lastRenderedPageBreak")
                current = []
            else:
                current.append(str(e))
    fragments.append("".join(current))
    return fragments, cuts


def _docx_blocks(container: Any, depth: int = 0) -> list[str]:
    """Lines of a body, header or table cell: paragraphs, and table rows as "a | b"."""
    from docx.table import Table

    out: list[str] = []
    for block in container.iter_inner_content():
        if isinstance(block, Table):
            out.extend(_docx_table(block, depth))
        else:
            out.append(block.text)
            out.extend(_textbox_lines(block))
    return out


def _docx_table(table: Any, depth: int) -> list[str]:
    """One line per row; merged cells (repeated by python-docx) appear once; nested tables after."""
    out: list[str] = []
    if depth > 5:
        return out
    for row in table.rows:
        cells, nested, seen = [], [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            parts = []
            for block in cell.iter_inner_content():
                if hasattr(block, "rows"):
                    nested.extend(_docx_table(block, depth + 1))
                else:
                    parts.append(block.text)
            cells.append(" ".join(p for p in parts if p.strip()))
        out.append(" | ".join(c for c in cells if c))
        out.extend(nested)
    return out


def _textbox_lines(paragraph: Any) -> list[str]:
    """Text boxes anchored in a paragraph (python-docx skips them); Word stores each twice."""
    out: list[str] = []
    if next(paragraph._p.iter(_W + "txbxContent"), None) is None:  # most paragraphs: skip the xpath
        return out
    for p in paragraph._p.xpath(".//w:txbxContent//w:p"):
        line = "".join(t.text or "" for t in p.xpath(".//w:t"))
        if line.strip() and line not in out:
            out.append(line)
    return out


def _check_package_size(data: bytes, ctx: _Context) -> None:
    """A DOCX is a ZIP: refuse one whose XML would inflate past the ZIP limits."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except Exception as e:
        raise _Failure(BROKEN, f"the Word file is not a valid package ({_describe(e)})")
    _check_overlaps(infos, len(data))
    total = sum(i.file_size for i in infos)
    if ctx.zip_bytes + total > ctx.limits.zip_max_total_bytes:
        raise _Failure(ZIP_BOMB, f"the Word file inflates to {_mb(total)} (with the mail's other "
                                 f"archives {_mb(ctx.zip_bytes + total)}, limit "
                                 f"{_mb(ctx.limits.zip_max_total_bytes)})", cacheable=False)
    ctx.zip_bytes += total
    for i in infos:
        if i.file_size > RATIO_FLOOR_BYTES and i.file_size / max(i.compress_size, 1) > ctx.limits.zip_max_ratio:
            raise _Failure(ZIP_BOMB, f"{i.filename} in the Word file has compression ratio "
                                     f"{i.file_size // max(i.compress_size, 1)}")

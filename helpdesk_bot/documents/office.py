"""Word (DOCX) files: headers, paragraphs, tables and text boxes in document order.

A DOCX is a ZIP, so it is held to the same package limits as an archive (declared sizes,
compression ratio, overlapping entries, the mail's ZIP budget) before python-docx opens it.
Old binary .doc files are not read here (see the ``old_doc_format`` error).
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from .archive import RATIO_FLOOR_BYTES, _check_overlaps
from .model import BROKEN, EMPTY, ZIP_BOMB, _Context, _describe, _Failure, _Leaf, _mb
from .text import _letters, normalise

# ------------------------------------------------------------------------------------------
# DOCX


def _extract_docx(data: bytes, ctx: _Context) -> _Leaf:
    """Headers, then the body's paragraphs and tables in document order, text boxes included."""
    import docx

    _check_package_size(data, ctx)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as e:
        raise _Failure(BROKEN, f"the Word file cannot be opened ({_describe(e)})")
    lines: list[str] = []
    seen_headers: set[str] = set()
    for section in document.sections:
        for hf in (section.first_page_header, section.header, section.even_page_header):
            try:
                if hf.is_linked_to_previous:
                    continue
                for line in _docx_blocks(hf):
                    if line not in seen_headers:
                        seen_headers.add(line)
                        lines.append(line)
            except Exception:
                continue
    lines.extend(_docx_blocks(document))
    text = normalise("\n".join(lines))
    if not _letters(text):
        return _Leaf(kind="docx", method="docx", text=text, error=EMPTY, detail="the Word file has no text")
    return _Leaf(kind="docx", method="docx", text=text)


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

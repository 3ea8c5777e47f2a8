"""Containers: ZIP archives and Outlook's winmail.dat (TNEF), expanded member by member.

Archives are where the cheap attacks are (bombs, lying headers, the same data listed many
times), so every limit is checked twice: from the central directory before anything is
inflated, and again on the real bytes while decompressing. The budget (members, inflated
bytes) is the mail's, shared through ``_Context``. Each member is handed back to the
dispatcher (``extract_node``, passed in so this module does not import it: no cycle).
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
import zlib
from typing import Callable

from .model import (BROKEN, EMPTY, ENCRYPTED, TOO_LARGE, UNSUPPORTED, ZIP_BOMB, ZIP_TOO_DEEP, DocumentText,
                    _Context, _describe, _error_doc, _Failure, _mb)

#: Extracts one file of the tree (``extract._extract_node``): name, bytes, origin, context, depth.
NodeExtractor = Callable[[str, bytes, str, _Context, int], list[DocumentText]]

#: Members smaller than this are not held to the compression-ratio limit (a page of spaces
#: compresses 100x and harms no one).
RATIO_FLOOR_BYTES = 1024 * 1024
_CHUNK = 64 * 1024

# ------------------------------------------------------------------------------------------
# Containers: ZIP and TNEF

_JUNK = re.compile(r"(^|/)(__MACOSX/|\._|\.DS_Store$|Thumbs\.db$|desktop\.ini$)", re.I)


def _expand_container(kind: str, name: str, data: bytes, origin: str, ctx: _Context,
                      depth: int, extract_node: NodeExtractor) -> list[DocumentText]:
    """Members of a ZIP or winmail.dat, each extracted as a file of its own."""
    if depth + 1 > ctx.limits.zip_max_depth:
        raise _Failure(ZIP_TOO_DEEP, f"containers nested more than {ctx.limits.zip_max_depth} deep")
    if kind == "tnef":
        return _expand_tnef(name, data, ctx, depth, extract_node)
    return _expand_zip(name, data, origin, ctx, depth, extract_node)


def _expand_zip(name: str, data: bytes, origin: str, ctx: _Context, depth: int,
                extract_node: NodeExtractor) -> list[DocumentText]:
    sha = hashlib.sha256(data).hexdigest()
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as e:
        raise _Failure(BROKEN, f"the ZIP cannot be opened ({_describe(e)})")
    with zf:
        _check_overlaps(zf.infolist(), len(data))
        members = [i for i in zf.infolist() if not i.is_dir() and not _JUNK.search(i.filename)]
        _check_zip_headers(members, ctx)
        out: list[DocumentText] = []
        child_origin = f"zip:{name}"
        for info in members:
            display = f"{name}/{_zip_member_name(info)}"
            if info.flag_bits & 0x1:
                out.append(_error_doc(display, "", "unknown", ENCRYPTED, "the ZIP member is password-protected",
                                      child_origin))
                continue
            if info.file_size > ctx.limits.max_attachment_bytes:
                out.append(_error_doc(display, "", "unknown", TOO_LARGE,
                                      f"{_mb(info.file_size)} is over the limit of "
                                      f"{_mb(ctx.limits.max_attachment_bytes)}", child_origin))
                continue
            try:
                payload = _read_member(zf, info, ctx)
            except _Failure as f:
                if f.code == ZIP_BOMB:  # the whole archive is refused; members read so far stay
                    out.append(_error_doc(name, sha, "zip", f.code, f.detail, origin))
                    break
                out.append(_error_doc(display, "", "unknown", f.code, f.detail, child_origin))
                continue
            out.extend(extract_node(display, payload, child_origin, ctx, depth + 1))
    if not out:
        raise _Failure(EMPTY, "the ZIP holds no files")
    return out


def _check_overlaps(infos: list[zipfile.ZipInfo], size: int) -> None:
    """Refuse a ZIP whose central directory lists the same data twice or overlapping data.

    Honest archivers write each member's data once; 33 entries pointing at one 3 MB blob
    cost 16 s and 261 MB, each inflated and extracted again. A member's local header is at
    least 30 bytes, so the next member cannot start before offset + 30 + compressed size.
    """
    end, previous = -1, ""
    for info in sorted(infos, key=lambda i: i.header_offset):
        if info.header_offset < end:
            raise _Failure(ZIP_BOMB, f"{_zip_member_name(info)} overlaps the data of {previous} "
                                     f"(the same bytes listed twice)")
        end, previous = info.header_offset + 30 + info.compress_size, _zip_member_name(info)
        if end > size:
            raise _Failure(BROKEN, f"{previous} extends past the end of the ZIP")


def _check_zip_headers(members: list[zipfile.ZipInfo], ctx: _Context) -> None:
    """Refuse from the central directory alone: too many members, too many bytes, a bomb's ratio."""
    limits = ctx.limits
    ctx.zip_members += len(members)
    if ctx.zip_members > limits.zip_max_members:
        raise _Failure(ZIP_BOMB, f"{ctx.zip_members} files in the ZIP (limit {limits.zip_max_members})")
    declared = sum(i.file_size for i in members)
    if ctx.zip_bytes + declared > limits.zip_max_total_bytes:
        raise _Failure(ZIP_BOMB, f"the ZIP inflates to {_mb(ctx.zip_bytes + declared)} "
                                 f"(limit {_mb(limits.zip_max_total_bytes)})")
    for i in members:
        if i.compress_size > i.file_size + i.file_size // 100 + 1024:
            # Deflate never grows data by more than a few bytes per 16 KB: the size lies.
            raise _Failure(ZIP_BOMB, f"{i.filename} declares {i.file_size} bytes but holds "
                                     f"{i.compress_size} compressed bytes")
        ratio = i.file_size / max(i.compress_size, 1)
        if i.file_size > RATIO_FLOOR_BYTES and ratio > limits.zip_max_ratio:
            raise _Failure(ZIP_BOMB, f"{i.filename} has compression ratio {ratio:.0f} "
                                     f"(limit {limits.zip_max_ratio:.0f})")


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, ctx: _Context) -> bytes:
    """Decompress in chunks, counting real bytes: a header that lies is caught at the limit."""
    buf = bytearray()
    try:
        with zf.open(info) as f:
            while chunk := f.read(_CHUNK):
                buf += chunk
                ctx.zip_bytes += len(chunk)
                _check_member_progress(len(buf), info, ctx)
    except _Failure:
        raise
    except NotImplementedError as e:
        raise _Failure(UNSUPPORTED, f"the ZIP member uses an unsupported compression ({e})")
    except RuntimeError as e:
        if "encrypt" in str(e).lower() or "password" in str(e).lower():
            raise _Failure(ENCRYPTED, "the ZIP member is password-protected")
        raise _Failure(BROKEN, f"the ZIP member cannot be read ({_describe(e)})")
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as e:
        raise _Failure(BROKEN, f"the ZIP member cannot be read ({_describe(e)})")
    return bytes(buf)


def _check_member_progress(size: int, info: zipfile.ZipInfo, ctx: _Context) -> None:
    limits = ctx.limits
    if size > info.file_size:
        raise _Failure(ZIP_BOMB, f"{info.filename} inflates past the {info.file_size} bytes its header declares")
    if ctx.zip_bytes > limits.zip_max_total_bytes:
        raise _Failure(ZIP_BOMB, f"the ZIP inflates past {_mb(limits.zip_max_total_bytes)}")
    if size > RATIO_FLOOR_BYTES and size / max(info.compress_size, 1) > limits.zip_max_ratio:
        raise _Failure(ZIP_BOMB, f"{info.filename} inflates more than {limits.zip_max_ratio:.0f} times")
    if size > limits.max_attachment_bytes:
        raise _Failure(TOO_LARGE, f"{info.filename} inflates past {_mb(limits.max_attachment_bytes)}")


def _zip_member_name(info: zipfile.ZipInfo) -> str:
    """Names without the UTF-8 flag are decoded as CP437 by zipfile; many tools wrote UTF-8."""
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            name = name.encode("cp437").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    name = name.replace("\\", "/").lstrip("/")
    return "/".join(p for p in name.split("/") if p not in ("", ".", ".."))


def _expand_tnef(name: str, data: bytes, ctx: _Context, depth: int,
                 extract_node: NodeExtractor) -> list[DocumentText]:
    """Outlook's winmail.dat: each attachment inside becomes a document "winmail.dat/x.pdf"."""
    import tnefparse

    try:
        tnef = tnefparse.TNEF(data, do_checksum=False)
    except Exception as e:
        raise _Failure(BROKEN, f"the winmail.dat cannot be decoded ({_describe(e)})")
    attachments = tnef.attachments[: ctx.limits.zip_max_members]
    out: list[DocumentText] = []
    for i, att in enumerate(attachments):
        try:
            member = att.long_filename() or att.name
        except Exception:
            member = ""
        member = (member or f"attachment{i + 1}").strip("\x00").replace("\\", "/").split("/")[-1]
        payload = att.data if isinstance(att.data, bytes) else b""
        out.extend(extract_node(f"{name}/{member}", payload, f"tnef:{name}", ctx, depth + 1))
    if not out:
        raise _Failure(EMPTY, "the winmail.dat holds no attachments")
    return out

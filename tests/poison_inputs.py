"""Builders of the poison inputs of issue 10: mails and attachments that used to stop the desk.

Each builder is cheap (a "3 GB" PDF is built in well under a second from repeated deflate
blocks) and deterministic, and says in code what it holds. Used by tests/test_poison.py and
bench/bench_poison.py (before/after figures).
"""

from __future__ import annotations

import struct
import zipfile
import zlib

_MIB = 1024 * 1024


def deflate_of_spaces(size: int) -> bytes:
    """A zlib stream inflating to ``size`` spaces (a multiple of 1 MiB), about 1,000x smaller.

    One MiB of spaces is deflated once with a full flush (the block stands alone), repeated,
    and closed with an empty final block and the Adler-32 of the whole, computed in closed
    form so the 3 GB never exist.
    """
    blocks = max(1, size // _MIB)
    c = zlib.compressobj(9)
    one = c.compress(b" " * _MIB) + c.flush(zlib.Z_FULL_FLUSH)
    header, body = one[:2], one[2:]
    total = blocks * _MIB
    a = (1 + 32 * total) % 65521
    b = (total + 32 * (total * (total + 1) // 2)) % 65521
    final = b"\x03\x00"  # BFINAL=1, fixed Huffman, end of block
    return header + body * blocks + final + struct.pack(">I", (b << 16) | a)


def pdf_bomb(inflated: int = 3 * 1024 * _MIB) -> bytes:
    """A one-page PDF whose content stream is FlateDecode of ``inflated`` bytes of spaces."""
    stream = deflate_of_spaces(inflated)
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def zip_shared_blob(member: bytes, entries: int = 33, name: str = "formulir.pdf") -> bytes:
    """A ZIP whose central directory lists ``entries`` members that all point at one data blob."""
    data = zlib.compress(member, 9)[2:-4]  # raw deflate
    crc = zlib.crc32(member)
    fname = name.encode()
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), len(member),
                        len(fname), 0) + fname + data
    central = b""
    for _ in range(entries):
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc, len(data),
                               len(member), len(fname), 0, 0, 0, 0, 0, 0) + fname
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, entries, entries, len(central), len(local), 0)
    return local + central + end


def zip_of_spaces(members: int, member_bytes: int) -> bytes:
    """An honest ZIP of ``members`` files of spaces (deflated), ``member_bytes`` each."""
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(members):
            zf.writestr(f"lampiran{i}.txt", b"isi surat " + b" " * member_bytes)
    return buf.getvalue()


def nested_multipart(depth: int, subject: bytes = b"Permohonan", sender: bytes = b"x@evil.example") -> bytes:
    """A mail of ``depth`` multipart containers nested in one another around one text part."""
    head = (b"From: Penyerang <" + sender + b">\r\nTo: helpdesk@lpse.jabarprov.go.id\r\nSubject: " + subject
            + b"\r\nMessage-ID: <deep@evil.example>\r\nMIME-Version: 1.0\r\n")
    opening = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i) for i in range(depth))
    closing = b"".join(b"\r\n--b%d--\r\n" % i for i in reversed(range(depth)))
    return head + opening + b"Content-Type: text/plain\r\n\r\nMohon bantuan.\r\n" + closing

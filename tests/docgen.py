"""Generators for document test fixtures: forms as text PDFs, scans, phone photos, DOCX, ZIP, TNEF.

Everything is generated at test time, so no binary fixture is committed and every fixture says
in code what it contains. The same generators build the labelled corpus for the classifier, so
they take a title (see DOMAIN.md "The documents", e.g. "FORMULIR PERMINTAAN UBAH JADWAL") and
"Label : value" fields, and they are deterministic: a ``seed`` fixes the noise and the
perspective of scans and photos.

Only fpdf2, reportlab, Pillow and python-docx are needed; DejaVuSans is used when the system
has it (Debian: fonts-dejavu-core), else Pillow's built-in scalable font, which tesseract reads
as well (TESTING.md section 5).
"""

from __future__ import annotations

import io
import os
import random
import struct
import zipfile
from collections.abc import Iterable, Mapping

from PIL import Image, ImageDraw, ImageFilter, ImageFont

#: A typical ubah-jadwal form, for callers that need "some fields".
SAMPLE_FIELDS: dict[str, str] = {
    "Kode Tender": "48658064",
    "Nama Paket": "Pembangunan Gedung Kantor Dinas Pendidikan",
    "Satuan Kerja": "Dinas Pendidikan Provinsi Jawa Barat",
    "Tahapan": "Upload Dokumen Penawaran",
    "Jadwal Semula": "20 November 2026",
    "Jadwal Perubahan": "27 November 2026",
    "Alasan": "Gangguan server saat unggah dokumen",
}

#: The letterhead most letters carry above the title.
LETTERHEAD = "PEMERINTAH PROVINSI JAWA BARAT"

_DEJAVU_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF")

A4_MM = (210.0, 297.0)


def dejavu_path(bold: bool = False) -> str | None:
    """Path of DejaVuSans(-Bold).ttf if installed, else None."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for d in _DEJAVU_DIRS:
        p = os.path.join(d, name)
        if os.path.exists(p):
            return p
    return None


def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A scalable font: DejaVuSans when present (more like a real letter), else Pillow's own."""
    path = dejavu_path(bold)
    if path:
        return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def form_lines(title: str, fields: Mapping[str, str], extra_lines: Iterable[str] = ()) -> list[str]:
    """The text of a form, line by line: letterhead, title, "Label : value" lines, extras."""
    lines = [LETTERHEAD, title, ""]
    lines += [f"{label} : {value}" for label, value in fields.items()]
    lines += list(extra_lines)
    return lines


# ------------------------------------------------------------------------------------------
# PDFs with a text layer


def text_pdf(title: str, fields: Mapping[str, str], extra_lines: Iterable[str] = (), pages: int = 1) -> bytes:
    """An electronically made form (fpdf2): a real text layer, as from "Save as PDF".

    ``pages`` > 1 repeats the fields on further pages headed "Halaman N", to test page limits.
    """
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    regular, bold = dejavu_path(False), dejavu_path(True)
    texts = [title, LETTERHEAD, *fields.keys(), *fields.values(), *extra_lines]
    needs_unicode = not all(_latin1(t) for t in texts)
    if needs_unicode and regular and bold:  # core fonts are latin-1 only; TTF embedding costs ~0.4 s
        pdf.add_font("DejaVu", "", regular)
        pdf.add_font("DejaVu", "B", bold)
        family = "DejaVu"
    else:
        family = "Helvetica"
    for page in range(1, pages + 1):
        pdf.add_page()
        pdf.set_font(family, "B", 11)
        pdf.cell(0, 7, LETTERHEAD, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "B", 14)
        pdf.cell(0, 10, title if page == 1 else f"{title} - Halaman {page}", align="C",
                 new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        pdf.set_font(family, "", 11)
        for label, value in fields.items():
            pdf.cell(0, 7, f"{label} : {value}", new_x="LMARGIN", new_y="NEXT")
        for line in extra_lines:
            pdf.multi_cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
        return True
    except UnicodeEncodeError:
        return False


def acroform_pdf(title: str, values: Mapping[str, str]) -> bytes:
    """A fillable form (reportlab AcroForm): the values live in fields, not in the page text."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    width, height = A4
    c.setFont("Helvetica-Bold", 14)
    c.drawCentredString(width / 2, height - 60, title)
    c.setFont("Helvetica", 11)
    y = height - 110
    for name, value in values.items():
        c.drawString(50, y + 5, f"{name} :")
        c.acroForm.textfield(name=name, value=value, x=200, y=y, width=300, height=20,
                             borderWidth=0, fontSize=10)
        y -= 32
    c.showPage()
    c.save()
    return buf.getvalue()


def encrypted_pdf(title: str = "FORMULIR PERMINTAAN UBAH JADWAL", user_password: str = "rahasia") -> bytes:
    """A PDF that needs a password to open (reportlab standard encryption)."""
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, encrypt=user_password)
    c.drawString(72, 750, title)
    c.showPage()
    c.save()
    return buf.getvalue()


def broken_pdf() -> bytes:
    """Starts like a PDF, then nothing a reader can repair: no objects, no xref, no trailer."""
    rng = random.Random(7)
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(rng.randrange(256) for _ in range(2048))


def truncated_pdf(title: str = "FORMULIR PERMINTAAN UBAH JADWAL") -> bytes:
    """A text PDF cut in the middle, as from an interrupted upload."""
    data = text_pdf(title, SAMPLE_FIELDS)
    return data[: len(data) // 3]


def blank_pdf(pages: int = 1) -> bytes:
    """A PDF whose pages are empty: nothing to read, nothing to OCR."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    for _ in range(pages):
        pdf.add_page()
    return bytes(pdf.output())


# ------------------------------------------------------------------------------------------
# Scans and photos


def render_page(title: str, fields: Mapping[str, str], extra_lines: Iterable[str] = (),
                dpi: int = 200) -> Image.Image:
    """A white A4 page ("L" mode) with the form drawn at roughly 11-14 pt, like a printed letter."""
    w, h = (round(mm / 25.4 * dpi) for mm in A4_MM)
    img = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(img)
    scale = dpi / 200
    body, head = font(round(30 * scale)), font(round(40 * scale), bold=True)
    margin, y = round(150 * scale), round(160 * scale)
    for i, line in enumerate(form_lines(title, fields, extra_lines)):
        f = head if i in (0, 1) else body
        if i in (0, 1):
            tw = draw.textlength(line, font=f)
            draw.text(((w - tw) / 2, y), line, fill=0, font=f)
        elif line:
            draw.text((margin, y), line, fill=0, font=f)
        y += round((62 if i in (0, 1) else 48) * scale)
    # A signature-like scribble and a stamp circle, as on real signed letters.
    sy = y + round(80 * scale)
    draw.line([(w - margin - 400 * scale, sy + 60 * scale), (w - margin - 250 * scale, sy),
               (w - margin - 120 * scale, sy + 70 * scale)], fill=40, width=max(2, round(4 * scale)))
    draw.ellipse([w - margin - 420 * scale, sy - 40 * scale, w - margin - 240 * scale, sy + 140 * scale],
                 outline=90, width=max(2, round(3 * scale)))
    return img


def degrade(img: Image.Image, rotate: float = 0.0, noise: bool = False, blur: bool = False,
            seed: int = 1) -> Image.Image:
    """Make a clean render look scanned: slight rotation (degrees, counter-clockwise), speckle, blur."""
    if rotate:
        img = img.rotate(rotate, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    if noise:
        rng = random.Random(seed)
        px = img.load()
        w, h = img.size
        for _ in range(w * h // 400):
            x, y = rng.randrange(w), rng.randrange(h)
            px[x, y] = rng.choice((0, 60, 200))
    if blur:
        img = img.filter(ImageFilter.GaussianBlur(0.8))
    return img


def images_to_pdf(images: list[Image.Image], dpi: int = 200, jpeg: bool = True) -> bytes:
    """An image-only PDF (no text layer), one image per page, as a scanner makes."""
    buf = io.BytesIO()
    first, rest = images[0], images[1:]
    first.save(buf, "PDF", resolution=dpi, save_all=True, append_images=rest,
               **({"quality": 80} if jpeg else {}))
    return buf.getvalue()


def scanned_pdf(title: str, fields: Mapping[str, str], rotate: float = 0.0, noise: bool = False,
                blur: bool = False, extra_lines: Iterable[str] = (), dpi: int = 200, pages: int = 1,
                seed: int = 1) -> bytes:
    """A scanned letter: image-only PDF of the rendered form, optionally rotated/noisy/blurred.

    ``rotate=90`` gives a page fed sideways (landscape page, text running upwards);
    ``rotate=2.5`` a slightly skewed feed. Pages after the first carry "Halaman N".
    """
    imgs = []
    for page in range(1, pages + 1):
        t = title if page == 1 else f"{title} HALAMAN {page}"
        img = render_page(t, fields, extra_lines, dpi=dpi)
        imgs.append(degrade(img, rotate=rotate, noise=noise, blur=blur, seed=seed + page))
    return images_to_pdf(imgs, dpi=dpi)


#: EXIF orientation -> how the camera stored the pixels relative to upright (PIL rotate angle).
_EXIF_STORED_ROTATION = {1: 0, 3: 180, 6: 90, 8: 270}


def photo_jpg(title: str, fields: Mapping[str, str], exif_orientation: int = 6, tilt: float = 2.0,
              noise: bool = True, long_side: int = 3000, seed: int = 3) -> bytes:
    """A phone photo of a printed form: on a grey desk, perspective and tilt, noise, EXIF tag.

    The pixels are stored as the sensor saw them (e.g. sideways for orientation 6) and the EXIF
    Orientation tag says how to turn them upright, as phones do; a reader that ignores EXIF sees
    a sideways page.
    """
    rng = random.Random(seed)
    page = render_page(title, fields, dpi=200)
    pw, ph = page.size
    desk = Image.new("L", (round(pw * 1.15), round(ph * 1.1)), 120)
    desk.paste(page, ((desk.width - pw) // 2, (desk.height - ph) // 2))
    # Slight perspective: the top edge a little narrower than the bottom.
    d = round(pw * 0.03)
    w, h = desk.size
    coeffs = _perspective_coeffs([(d, 0), (w - d, 0), (w, h), (0, h)], [(0, 0), (w, 0), (w, h), (0, h)])
    img = desk.transform(desk.size, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC,
                         fillcolor=120)
    img = img.rotate(tilt, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=120)
    if noise:
        grain = Image.frombytes("L", img.size, rng.randbytes(img.width * img.height))
        img = Image.blend(img, grain, 0.10).filter(ImageFilter.GaussianBlur(0.6))
    scale = long_side / max(img.size)
    img = img.resize((round(img.width * scale), round(img.height * scale)), Image.Resampling.BICUBIC)
    img = img.convert("RGB")
    stored = img.rotate(_EXIF_STORED_ROTATION.get(exif_orientation, 0), expand=True)
    exif = Image.Exif()
    exif[0x0112] = exif_orientation
    buf = io.BytesIO()
    stored.save(buf, "JPEG", quality=85, exif=exif.tobytes())
    return buf.getvalue()


def _perspective_coeffs(src: list[tuple[float, float]], dst: list[tuple[float, float]]) -> list[float]:
    """Coefficients for Image.transform(PERSPECTIVE) mapping dst corners to src corners."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(dst, src):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return _solve(rows, rhs)


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Gaussian elimination for the 8x8 system above (no numpy needed)."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for col in range(n):
        piv = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[piv] = m[piv], m[col]
        for r in range(n):
            if r != col:
                f = m[r][col] / m[col][col]
                m[r] = [x - f * y for x, y in zip(m[r], m[col])]
    return [m[i][n] / m[i][i] for i in range(n)]


def png_image(title: str, fields: Mapping[str, str], rotate: float = 0.0) -> bytes:
    """A clean screenshot-like PNG of the form (no EXIF)."""
    img = degrade(render_page(title, fields), rotate=rotate)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


# ------------------------------------------------------------------------------------------
# Word


def docx_file(title: str, fields: Mapping[str, str], table: bool = True, header: str = LETTERHEAD,
              closing: str = "Demikian permohonan ini kami sampaikan.") -> bytes:
    """A Word form: letterhead in the page header, title, intro, fields (table or lines), closing."""
    import docx

    doc = docx.Document()
    if header:
        doc.sections[0].header.paragraphs[0].text = header
    doc.add_heading(title, level=1)
    doc.add_paragraph("Dengan hormat, bersama ini kami mengajukan permohonan sebagai berikut:")
    if table:
        t = doc.add_table(rows=0, cols=2)
        for label, value in fields.items():
            cells = t.add_row().cells
            cells[0].text, cells[1].text = label, value
    else:
        for label, value in fields.items():
            doc.add_paragraph(f"{label} : {value}")
    doc.add_paragraph(closing)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def old_doc() -> bytes:
    """The first bytes of a Word 97-2003 .doc (OLE2 compound file): enough to be sniffed."""
    return bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 504


# ------------------------------------------------------------------------------------------
# Containers


def zip_of(files: Mapping[str, bytes], name_encoding: str = "utf-8",
           compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A ZIP of ``files`` (name -> bytes; "dir/x.pdf" makes a folder entry too).

    ``name_encoding``: "utf-8" (flagged, as modern tools write), "utf-8-noflag" (UTF-8 bytes
    without the flag, as old macOS/Linux tools write) or "cp437" (the DOS code page, as Windows
    Explorer writes).
    """
    placeholders: dict[bytes, bytes] = {}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        dirs = sorted({n.rsplit("/", 1)[0] + "/" for n in files if "/" in n})
        for d in dirs:
            zf.writestr(d, b"")
        for i, (name, data) in enumerate(files.items()):
            if name_encoding == "utf-8" or name.isascii():
                zf.writestr(name, data)
                continue
            raw = name.encode("utf-8" if name_encoding == "utf-8-noflag" else name_encoding)
            ph = (f"Q{i:03d}" + "Q" * len(raw))[: len(raw)]
            placeholders[ph.encode()] = raw
            zf.writestr(ph, data)
    out = buf.getvalue()
    for ph, raw in placeholders.items():
        out = out.replace(ph, raw)
    return out


def encrypted_zip(files: Mapping[str, bytes]) -> bytes:
    """A ZIP whose members carry the "encrypted" flag (bit 0), as a password-protected ZIP does."""
    data = bytearray(zip_of(files, compression=zipfile.ZIP_STORED))
    for sig, flag_off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (i := data.find(sig, start)) >= 0:
            struct.pack_into("<H", data, i + flag_off, struct.unpack_from("<H", data, i + flag_off)[0] | 1)
            start = i + 4
    return bytes(data)


def zip_bomb(size: int = 200 * 1024 * 1024, lie: bool = False) -> bytes:
    """One member of ``size`` zero bytes, deflated to ~0.1 % of that (ratio ~1000).

    With ``lie=True`` the headers claim the member is 1 000 bytes, so only a reader that counts
    what it actually decompresses notices.
    """
    buf = io.BytesIO()
    chunk = b"\0" * (1024 * 1024)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("formulir.txt", "w", force_zip64=size > 0xFFFFFFF0) as f:
            left = size
            while left > 0:
                f.write(chunk[: min(left, len(chunk))])
                left -= len(chunk)
    data = bytearray(buf.getvalue())
    if lie and size <= 0xFFFFFFF0:
        for sig, off in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
            i = data.find(sig)
            struct.pack_into("<I", data, i + off, 1000)
    return bytes(data)


def nested_zip(depth: int, inner: Mapping[str, bytes]) -> bytes:
    """``depth`` ZIPs inside each other, the innermost holding ``inner``."""
    data = zip_of(inner)
    for level in range(depth - 1, 0, -1):
        data = zip_of({f"level{level + 1}.zip": data})
    return data


def tnef_file(files: Mapping[str, bytes]) -> bytes:
    """A minimal winmail.dat (TNEF) holding ``files`` as attachments, as Outlook sends."""

    def attr(level: int, name: int, typ: int, data: bytes) -> bytes:
        head = struct.pack("<BHHI", level, name, typ, len(data))
        return head + data + struct.pack("<H", sum(data) & 0xFFFF)

    out = struct.pack("<IH", 0x223E9F78, 0x0001)
    out += attr(1, 0x9006, 0x0008, struct.pack("<I", 0x00010000))  # attTnefVersion
    for name, data in files.items():
        out += attr(2, 0x9002, 0x0006, b"\x01\x00" + b"\xff" * 12)  # attAttachRendData: starts one
        out += attr(2, 0x8010, 0x0001, name.encode("cp1252", "replace") + b"\0")  # attAttachTitle
        out += attr(2, 0x800F, 0x0006, data)  # attAttachData
    return out


__all__ = [
    "SAMPLE_FIELDS", "LETTERHEAD", "font", "form_lines", "text_pdf", "acroform_pdf", "encrypted_pdf",
    "broken_pdf", "truncated_pdf", "blank_pdf", "render_page", "degrade", "images_to_pdf",
    "scanned_pdf", "photo_jpg", "png_image", "docx_file", "old_doc", "zip_of", "encrypted_zip",
    "zip_bomb", "nested_zip", "tnef_file",
]

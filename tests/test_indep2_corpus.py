"""Invariants of the second independent corpus generator (bench/indep2_corpus.py), not the recogniser's score.

The generator is a held-out measure (issue 11, Build 5): these tests only guard that it keeps writing
valid MIME whose labels use DOMAIN.md's ids, agree with what each mail carries, cover every request
type and the hard cases, and come out byte-identical for one seed.
"""

from __future__ import annotations

import email
import importlib.util
import io
import json
import sys
import zipfile
from email import policy
from pathlib import Path

import pytest

for _mod in ("fpdf", "docx", "reportlab", "PIL"):
    pytest.importorskip(_mod)

ROOT = Path(__file__).resolve().parents[1]
DOMAIN_TYPES = {"ubah_jadwal", "uji_forensik", "perbaikan_aplikasi", "reset_password", "penggantian_admin", "bergabung",
                "admin_tambahan", "sub_agency", "permintaan_data", "bimtek", "gangguan", "status", "lainnya"}


def _load():
    spec = importlib.util.spec_from_file_location("indep2_corpus", ROOT / "bench" / "indep2_corpus.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod   # dataclasses look their module up here
    spec.loader.exec_module(mod)
    return mod


gen = _load()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, list[dict]]:
    out = tmp_path_factory.mktemp("indep2")
    gen.generate(out, 45, 3, ocr=False)
    labels = [json.loads(ln) for ln in (out / "labels.jsonl").read_text().splitlines() if ln.strip()]
    return out, labels


def test_labels_parse_and_agree_with_domain(corpus):
    out, labels = corpus
    assert len(labels) == 45
    assert len({lab["file"] for lab in labels}) == 45
    assert set(gen.REQUIRED) == DOMAIN_TYPES
    for lab in labels:
        assert (out / lab["file"]).is_file()
        assert lab["suppress"] == (lab["request_type"] is None), lab
        if lab["request_type"] is None:
            assert lab["missing"] == [] and lab["documents"] == []
            continue
        assert lab["request_type"] in DOMAIN_TYPES
        req = gen.REQUIRED[lab["request_type"]]
        # the label's missing list is exactly the required documents that were not attached
        assert sorted(lab["missing"] + lab["documents"]) == sorted(req), lab
        if lab["kode_tender"] is not None:
            assert lab["kode_tender"].isdigit() and 6 <= len(lab["kode_tender"]) <= 11


def test_every_type_and_kind_is_covered(corpus):
    _, labels = corpus
    assert {lab["request_type"] for lab in labels} == DOMAIN_TYPES | {None}
    kinds = {lab["kind"] for lab in labels}
    assert {"request", "status", "thanks", "vendor_own_account", "offer", "newsletter", "autoreply", "bounce"} <= kinds


def test_hard_cases_occur(corpus):
    _, labels = corpus
    tags = {t for lab in labels for t in lab["tags"]}
    for t in ("bcc", "multi_doc_file", "enclosure_named_not_attached", "zip"):
        assert t in tags, t
    assert any(t.startswith("forward_") for t in tags)


def _attachments(msg):
    for part in msg.iter_attachments():
        if part.get_content_type() == "message/rfc822":
            yield from _attachments(part.get_content())
        else:
            yield part


def test_every_file_is_valid_mime_with_readable_attachments(corpus):
    pdfium = pytest.importorskip("pypdfium2")
    import docx
    out, labels = corpus
    for lab in labels:
        raw = (out / lab["file"]).read_bytes()
        msg = email.message_from_bytes(raw, policy=policy.default)
        for part in msg.walk():
            assert not part.defects, (lab["file"], part.defects)
        assert msg["From"] and msg["Date"] and msg["Message-ID"], lab["file"]
        if "bcc" in lab["tags"]:
            assert msg["To"] == "undisclosed-recipients:;"
        if lab["kind"] == "bounce":   # a DSN's parts are reports, not attachments
            assert msg.get_content_type() == "multipart/report"
            continue
        for att in _attachments(msg):
            data = att.get_content()
            ct = att.get_content_type()
            assert att.get_filename(), lab["file"]
            assert not ct.startswith("image/"), "--no-ocr must leave out photos"
            if ct == "application/pdf":
                pdf = pdfium.PdfDocument(data)
                assert pdf[0].get_textpage().get_text_range().strip(), "--no-ocr must leave out scans"
            elif ct.endswith("wordprocessingml.document"):
                assert docx.Document(io.BytesIO(data)).paragraphs
            elif ct == "application/zip":
                with zipfile.ZipFile(io.BytesIO(data)) as z:
                    assert z.testzip() is None and z.namelist()


def test_deterministic_per_seed(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    gen.generate(a, 8, 21, ocr=False)
    gen.generate(b, 8, 21, ocr=False)
    gen.generate(c, 8, 22, ocr=False)
    files = sorted(p.name for p in a.iterdir())
    assert files == sorted(p.name for p in b.iterdir())
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
    assert (a / "labels.jsonl").read_bytes() != (c / "labels.jsonl").read_bytes()


def test_scans_are_image_only_and_deterministic():
    pdfium = pytest.importorskip("pypdfium2")
    import random
    c = gen.make_ctx(random.Random(1))
    pages = gen.doc_reset(c) + gen.doc_sk(c)   # a letter, then its SK on the next page
    one = gen.render_scan_pdf(pages, random.Random(5))
    assert one == gen.render_scan_pdf(pages, random.Random(5))
    pdf = pdfium.PdfDocument(one)
    assert len(pdf) == 2
    assert all(not pdf[i].get_textpage().get_text_range().strip() for i in range(2))

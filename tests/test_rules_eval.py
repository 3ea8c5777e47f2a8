"""``helpdesk-bot rules eval``: a labelled folder of saved mail, measured; re-runs are cached."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from docgen import SAMPLE_FIELDS, text_pdf
from mails import request_mail
from test_cli_ops import cli, ops_config

from helpdesk_bot.config import PROJECT_ROOT, embedded_default
from helpdesk_bot.evaluate import read_labels, run
from helpdesk_bot.reload import load_for

ADMIN = {"Nama Lengkap": "Siti Aminah", "NIP": "19800415 200501 2 003", "No. Telepon/HP": "081222334455",
         "Alamat Email": "siti@garutkab.go.id"}
CORPUS = PROJECT_ROOT.parent / "shared" / "corpora"


def request_corpus(d: Path) -> Path:
    """Six request mails and one auto-reply, labelled; one label is deliberately wrong."""
    d.mkdir(parents=True, exist_ok=True)
    mails = {
        "ubah.eml": (request_mail("Mohon ubah jadwal", attachments=[("f.pdf", text_pdf("FORMULIR PERMINTAAN UBAH JADWAL", SAMPLE_FIELDS))]),
                     "ubah_jadwal", ""),
        "reset.eml": (request_mail("Reset password admin", attachments=[("s.pdf", text_pdf("SURAT PERMOHONAN RESET PASSWORD ADMINISTRATOR AGENCY", ADMIN))]),
                      "reset_password", "sk_admin_agency"),
        "reset-lengkap.eml": (request_mail("Reset password", attachments=[
            ("s.pdf", text_pdf("SURAT PERMOHONAN RESET PASSWORD ADMINISTRATOR AGENCY", ADMIN)),
            ("sk.pdf", text_pdf("SURAT KEPUTUSAN PENUNJUKAN ADMINISTRATOR AGENCY", ADMIN))]), "reset_password", ""),
        "forensik.eml": (request_mail("Uji forensik", attachments=[("f.pdf", text_pdf("FORMULIR PERMINTAAN UJI FORENSIK", SAMPLE_FIELDS))]),
                         "uji_forensik", "berita_acara_uji_forensik"),
        "tanya.eml": (request_mail("Pertanyaan", body="Bagaimana cara mendaftar akun penyedia?"), "lainnya", ""),
        # labelled wrong on purpose: the label says the SK is missing, it is not required at all
        "salah.eml": (request_mail("Mohon ubah jadwal", attachments=[("f.pdf", text_pdf("FORMULIR PERMINTAAN UBAH JADWAL", SAMPLE_FIELDS))]),
                      "ubah_jadwal", "sk_admin_agency"),
        "otomatis.eml": (request_mail("Out of office", headers={"Auto-Submitted": "auto-replied"}), "lainnya", ""),
    }
    lines = ["path\trequest_type\tmissing"]
    for name, (msg, rt, missing) in mails.items():
        (d / name).write_bytes(msg.as_bytes())
        lines.append(f"{name}\t{rt}\t{missing}")
    (d / "labels.tsv").write_text("\n".join(lines) + "\n")
    return d


def test_eval_classification_confusion_precision_recall_and_missing(tmp_path):
    cfg = ops_config(tmp_path)
    d = request_corpus(tmp_path / "corpus")
    res = cli(cfg, "rules", "eval", str(d))
    assert res.exit_code == 0, res.output
    out = res.output
    assert "rules eval: 7 mails" in out and "mode: classification" in out
    assert "confusion (rows: label, columns: decision)" in out
    assert "(suppressed)" in out  # the auto-reply labelled lainnya was suppressed
    assert "accuracy: 6/7 = 85.7%" in out
    assert "missing list exact match: 5/7 = 71.4%" in out
    assert "WRONG salah.eml: labelled ubah_jadwal missing=[sk_admin_agency], decided ubah_jadwal missing=[]" in out
    assert "changed since the previous eval: (no previous eval" in out
    metrics = json.loads(cli(cfg, "rules", "eval", "--json", str(d)).output)
    assert metrics["per_type"]["reset_password"] == {"labelled": 2, "decided": 2, "precision": 1.0, "recall": 1.0}
    assert metrics["per_type"]["lainnya"]["recall"] == 0.5 and metrics["per_type"]["lainnya"]["precision"] == 1.0
    assert metrics["cached"] == 7 and metrics["changed"] == []


def test_eval_lists_decisions_changed_by_a_rules_edit(tmp_path):
    cfg = ops_config(tmp_path)
    d = request_corpus(tmp_path / "corpus")
    cli(cfg, "rules", "eval", str(d))
    rule = tmp_path / "rules" / "uji_forensik.toml"
    rule.write_text(rule.read_text().replace('"berita_acara_uji_forensik"]', ']', 1).replace(
        'required = ["formulir_uji_forensik", ]', 'required = ["formulir_uji_forensik"]'))
    assert cli(cfg, "rules", "check").exit_code == 0
    res = cli(cfg, "rules", "eval", str(d))
    assert "changed since the previous eval: 1" in res.output
    assert "forensik.eml: uji_forensik missing=[berita_acara_uji_forensik] -> uji_forensik missing=[]" in res.output
    assert "7 from the cache" in res.output


def test_eval_suppression_mode_with_kind_labels(tmp_path):
    d = tmp_path / "c"
    d.mkdir()
    bounce = (b"From: MAILER-DAEMON@mx.example.go.id\r\nTo: helpdesk@lpse.jabarprov.go.id\r\nSubject: Undelivered Mail\r\n"
              b"Message-ID: <b1@mx>\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n"
              b"--x\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--x\r\nContent-Type: message/delivery-status\r\n\r\n"
              b"Reporting-MTA: dns; mx\r\n\r\nFinal-Recipient: rfc822; a@b\r\nAction: failed\r\nStatus: 5.1.1\r\n--x--\r\n")
    (d / "bounce.eml").write_bytes(bounce)
    (d / "list.eml").write_bytes(request_mail("Newsletter", headers={"List-Id": "<berita.example.go.id>"}).as_bytes())
    (d / "plain.eml").write_bytes(request_mail("Pertanyaan").as_bytes())
    (d / "leak.eml").write_bytes(request_mail("Saya sedang cuti").as_bytes())  # labelled autoreply, not detectable
    (d / "labels.tsv").write_text("path\tkind\tsource_says\nbounce.eml\tbounce\tx\nlist.eml\tlist\tx\n"
                                  "plain.eml\tordinary\tx\nleak.eml\tautoreply\tx\n")
    cfg = embedded_default(tmp_path)
    report = run(d, cfg, load_for(cfg))
    res = cli(None, "rules", "eval", "--cache-dir", str(tmp_path / "cache"), str(d))
    assert res.exit_code == 0, res.output
    assert "machine mail suppressed (recall): 2/3 = 66.7%" in res.output
    assert "NOT SUPPRESSED (autoreply): leak.eml" in res.output
    assert "ordinary mail wrongly suppressed: 0/1 = 0.0%" in res.output
    assert report.mode == "suppression" and report.total == 4


def test_labels_errors_name_the_file_and_line(tmp_path):
    (tmp_path / "labels.tsv").write_text("file\tkind\n")
    res = cli(None, "rules", "eval", str(tmp_path))
    assert res.exit_code == 1 and "labels.tsv:1: expected a header" in res.output
    (tmp_path / "labels.tsv").write_text("path\trequest_type\tmissing\njustonecolumn\n")
    res = cli(None, "rules", "eval", str(tmp_path))
    assert res.exit_code == 1 and "labels.tsv:2: expected at least 2" in res.output


def test_eval_without_labels_lists_decisions(tmp_path):
    d = request_corpus(tmp_path / "c")
    (d / "labels.tsv").unlink()
    mode, labels = read_labels(d, None)
    assert mode == "unlabelled" and len(labels) == 7
    res = cli(None, "rules", "eval", str(d))
    assert "no labels file: decisions only" in res.output and "ubah_jadwal" in res.output


@pytest.mark.corpus
def test_corpus_eval_suppresses_every_machine_mail_and_reruns_in_seconds(tmp_path):
    if not (CORPUS / "labels.tsv").exists():
        pytest.skip("../shared/corpora is absent")
    cfg = embedded_default(tmp_path)
    rules = load_for(cfg)
    first = run(CORPUS, cfg, rules, cache_dir=tmp_path / "cache")
    t0 = time.perf_counter()
    second = run(CORPUS, cfg, rules, cache_dir=tmp_path / "cache")
    warm = time.perf_counter() - t0
    assert second.total > 1500 and second.cached == second.total
    assert warm < 5.0, f"warm re-run took {warm:.1f} s"
    leaked = [d.path for lb, d in second.decisions if lb.kind in ("bounce", "autoreply", "list") and not d.suppress]
    assert leaked == []
    assert [d.key for _lb, d in first.decisions] == [d.key for _lb, d in second.decisions]

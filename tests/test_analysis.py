"""analyse(): one pure function of the mail's bytes and the rules, whose result travels between
processes, never raises for a bad mail, and is what the CLI, rules eval and the daemon all use."""

from __future__ import annotations

import dataclasses
import pickle

from docgen import SAMPLE_FIELDS, text_pdf
from mails import request_mail

from helpdesk_bot import evaluate, offline
from helpdesk_bot.analysis import MemoryCache, RecordingCache, analyse
from helpdesk_bot.config import embedded_default
from helpdesk_bot.pipeline import Pipeline
from helpdesk_bot.reload import load_for
from helpdesk_bot.store import DocCacheReader, Store

CONFIG = embedded_default()
RULES = load_for(CONFIG)


def _request(kode: str = "48658064", extra: dict | None = None) -> bytes:
    fields = dict(SAMPLE_FIELDS, **{"Kode Tender": kode}, **(extra or {}))
    pdf = text_pdf("FORMULIR PERMINTAAN UBAH JADWAL", fields)
    return request_mail("Mohon ubah jadwal", attachments=[("formulir.pdf", pdf)]).as_bytes()


def _analyse(raw: bytes, cache=None):
    return analyse(raw, RULES, CONFIG.limits, cache, CONFIG.own_addresses)


def test_analysis_survives_a_trip_between_processes():
    a = _analyse(_request())
    assert a.error == "" and a.result is not None and a.result.request_type == "ubah_jadwal"
    b = pickle.loads(pickle.dumps(a))
    assert b.result == a.result
    assert [d.text for d in b.docs] == [d.text for d in a.docs]
    assert b.env.message_id == a.env.message_id and b.env.headers["Subject"] == "Mohon ubah jadwal"
    assert b.rules_version == RULES.version


def test_unreadable_mail_is_an_answer_not_an_exception():
    assert _analyse(b"").error == "ParseError: empty message"
    small = dataclasses.replace(CONFIG.limits, max_mail_bytes=1000)
    a = analyse(_request(), RULES, small, None, CONFIG.own_addresses)
    assert a.env is None and "max_mail_bytes" in a.error


def test_without_rules_it_stops_before_classifying():
    a = analyse(_request(), None, CONFIG.limits, None, CONFIG.own_addresses)
    assert a.result is None and a.error == "" and len(a.docs) == 1 and "Kode Tender" in a.docs[0].text


def test_credentials_are_masked_before_anything_sees_the_text():
    raw = request_mail("Mohon ubah jadwal password: Rahasia123", "User ID: pokja12\npassword: Rahasia123").as_bytes()
    a = _analyse(raw)
    assert "Rahasia123" not in a.env.subject


def test_a_worker_records_new_extractions_for_the_writer_and_reads_known_ones(tmp_path):
    store = Store(tmp_path / "db.sqlite")
    raw = _request("41000001")
    cache = RecordingCache(DocCacheReader(store.path).get)
    a = _analyse(raw, cache)
    assert [d.sha256 for d in a.new_cache_entries] == [a.docs[0].sha256]
    for d in a.new_cache_entries:
        store.put(d)
    again = _analyse(raw, RecordingCache(DocCacheReader(store.path).get))
    assert again.new_cache_entries == [] and again.result == a.result


def test_cli_eval_and_daemon_reach_the_same_decision(tmp_path):
    raw = _request("41000002")
    path = tmp_path / "m.eml"
    path.write_bytes(raw)
    cli = offline.classify_file(str(path), CONFIG, RULES)
    rec = evaluate.prepare(raw, CONFIG, MemoryCache())
    ev = evaluate.decide("m.eml", rec, RULES)
    pipe = Pipeline(CONFIG, Store(tmp_path / "db.sqlite"), lambda: RULES).analyse(raw)
    assert cli["request_type"] == ev.request_type == pipe.result.request_type == "ubah_jadwal"
    assert cli["missing"] == list(ev.missing) == pipe.result.missing

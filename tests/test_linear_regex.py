"""Every regular expression of helpdesk_bot runs in linear time on hostile input.

tests/redos.py collects the patterns (module attributes, literal ``re.*`` calls, the label and
keyword patterns of the shipped rules) and times each on attack strings built from its own
repetitions; it runs as a child process because a backtracking pattern cannot be interrupted.
The mail-level tests below feed the inputs that used to stop the daemon through parse and
screening, and check the verdicts stay right.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpdesk_bot.parse import MAX_ADDRESS_FIELD_BYTES, MAX_HEADER_FIELDS, cap_headers, parse
from helpdesk_bot.screen import ScreenContext, screen

HERE = Path(__file__).parent
OWN = "helpdesk@lpse.jabarprov.go.id"
CTX = ScreenContext(own_addresses=frozenset({OWN}))


@pytest.mark.timeout(1200)
def test_every_pattern_is_linear_on_adversarial_input():
    try:
        out = subprocess.run([sys.executable, str(HERE / "redos.py")], capture_output=True, text=True,
                             timeout=900, cwd=HERE.parent)
        stdout, code = out.stdout, out.returncode
    except subprocess.TimeoutExpired as e:
        stdout = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        started = [ln for ln in stdout.splitlines() if ln.startswith("START")]
        pytest.fail(f"pattern never finished (exponential backtracking?): {started[-1] if started else '?'}")
    count = next(int(ln.split()[1]) for ln in stdout.splitlines() if ln.startswith("COUNT"))
    assert count >= 100, stdout[-2000:]  # the collector found the patterns (there are ~170)
    problems = [ln for ln in stdout.splitlines() if ln.startswith(("FAIL", "DYNAMIC"))]
    assert not problems and code == 0, "\n".join(problems) or out.stderr[-3000:]


def _mail(headers: bytes, body: bytes = b"Mohon bantuan reset password.\r\n") -> bytes:
    return headers + b"\r\n" + body


def _timed(raw: bytes):
    t = time.perf_counter()
    env = parse(raw)
    result = screen(env, CTX)
    return env, result, time.perf_counter() - t


@pytest.mark.parametrize("n", [26, 5000])
def test_forward_prefixes_in_a_subject_are_read_once(n):
    """26 x "Fw: " took minutes in _BOUNCE_SUBJECT_START; the bounce behind them is still seen."""
    raw = _mail(b"From: a@example.org\r\nTo: " + OWN.encode() + b"\r\nSubject: " + b"Fw: " * n
                + b"Undeliverable: jadwal\r\n")
    env, result, seconds = _timed(raw)
    assert seconds < 2.0
    if n == 26:  # 5000 prefixes are over the 16 KB field cap: the phrase is cut off
        assert result.suppress and result.rule == "subject"


def test_many_prefixes_without_a_phrase_are_not_suppressed_and_fast():
    raw = _mail(b"From: a@example.org\r\nTo: " + OWN.encode() + b"\r\nSubject: " + b"Fw: " * 26
                + b"re: " * 26 + b"mohon reset password\r\n")
    env, result, seconds = _timed(raw)
    assert seconds < 2.0 and not result.suppress


def test_list_tag_after_many_prefixes_is_still_a_list_tag():
    raw = _mail(b"From: a@example.org\r\nTo: list@example.org\r\nSubject: " + b"Fwd: " * 30
                + b"[spse-users] rapat\r\n")
    env, result, seconds = _timed(raw)
    assert seconds < 2.0 and "list_subject_tag" in dict(result.hits)


def test_a_160_kb_from_is_cut_and_parsed_in_time():
    """A From of 160 KB took 76 s (quadratic address scan); it is cut to the field cap."""
    raw = _mail(b"From: " + b"a" * 160_000 + b"\r\nTo: " + OWN.encode() + b"\r\nSubject: x\r\n")
    env, result, seconds = _timed(raw)
    assert seconds < 2.0
    assert env.raw == raw  # the stored original keeps every byte
    assert any("header cut: From" in d for d in env.defects)


def test_a_long_address_list_is_cut_to_the_address_cap():
    to = b", ".join(b"user%d@example.org" % i for i in range(5000))
    raw = _mail(b"From: a@example.org\r\nTo: " + OWN.encode() + b", " + to + b"\r\nSubject: x\r\n")
    env, result, seconds = _timed(raw)
    assert seconds < 2.0
    assert OWN in env.to and len(env.to) <= 50
    assert not result.suppress


def test_cap_headers_leaves_a_normal_mail_untouched():
    raw = _mail(b"From: A <a@example.org>\r\nTo: " + OWN.encode() + b"\r\nSubject: x\r\n")
    assert cap_headers(raw) == (raw, [])


def test_cap_headers_cuts_fields_count_and_keeps_the_body():
    body = b"isi surat\r\n"
    raw = _mail(b"From: a@example.org\r\n" + b"X-Junk: y\r\n" * (MAX_HEADER_FIELDS + 50), body)
    capped, notes = cap_headers(raw)
    assert capped.endswith(b"\r\n" + body)
    assert capped.count(b"X-Junk") == MAX_HEADER_FIELDS - 1
    assert "50 header fields" in notes[0] or "51 header fields" in notes[0]


def test_cap_headers_keeps_folded_fields_whole_and_cuts_long_ones():
    raw = _mail(b"From: a@example.org\r\nReply-To: " + b"b" * 10_000 + b"\r\n\tc@example.org\r\nSubject: x\r\n")
    capped, notes = cap_headers(raw)
    reply_to = capped.split(b"Reply-To: ", 1)[1].split(b"\r\nSubject", 1)[0]
    assert len(reply_to) <= MAX_ADDRESS_FIELD_BYTES and b"Subject: x\r\n\r\n" in capped
    assert notes and "Reply-To" in notes[0]

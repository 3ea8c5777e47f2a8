"""The sender identity: one addr-spec from From, parsed by RFC 5322, or none with a reason."""

from __future__ import annotations

import time

import pytest

from helpdesk_bot.identity import MAX_FROM_CHARS, mailbox_key, sender_identity
from helpdesk_bot.parse import parse

STAFF = "petugas@lpse.jabarprov.go.id"


@pytest.mark.parametrize("value, address", [
    ("Budi <budi@bandungkab.go.id>", "budi@bandungkab.go.id"),
    ("budi@bandungkab.go.id", "budi@bandungkab.go.id"),
    ("Budi S. <BUDI@BandungKab.GO.ID>", "budi@bandungkab.go.id"),          # obsolete period, case folded
    ('"Pokja 12, Dinas PU" <pokja12@bandungkab.go.id>', "pokja12@bandungkab.go.id"),
    ("budi@bandungkab.go.id (Budi)", "budi@bandungkab.go.id"),
    ("=?utf-8?q?Budi_Santoso?= <budi@bandungkab.go.id>", "budi@bandungkab.go.id"),
    # The tricks: the staff address only in a display name or an encoded word.
    (f'"{STAFF}" <"john doe"@evil.example>', '"john doe"@evil.example'),
    ("=?utf-8?q?petugas=40lpse.jabarprov.go.id=2C?= <attacker@evil.example>", "attacker@evil.example"),
    (f"Budi <attacker@evil.example> ({STAFF})", "attacker@evil.example"),
])
def test_the_addr_spec_is_the_identity(value: str, address: str) -> None:
    ident = sender_identity([value])
    assert (ident.address, ident.problem) == (address, "")


@pytest.mark.parametrize("values, problem", [
    ([], "no From field"),
    (["a@x.example", "b@y.example"], "2 From fields"),
    (["a@x.example, b@y.example"], "2 addresses in From"),
    ([f"{STAFF}, <attacker@evil.example>"], "2 addresses in From"),
    (["undisclosed-recipients:;"], "group"),
    (["Staf: a@x.example;"], "group"),
    ([""], "no address in From"),
    (["nobody"], "not one valid address"),
    ([f"{STAFF} <attacker@evil.example>"], "not one valid address"),
    (["=?utf-8?b?cGV0dWdhc0BscHNlLmphYmFycHJvdi5nby5pZA==?="], "not one valid address"),
    (["=?utf-8?q?petugas?=@lpse.jabarprov.go.id"], "not one valid address"),
    (["x <petugas@=?utf-8?q?lpse.jabarprov.go.id?=>"], "not one valid address"),
    (["Budi <budi@[10.0.0.1]>"], "domain literal"),
    (["budi@localhost"], "without a dot"),
    (["(" * 300], "unreadable"),
    (["a" * (MAX_FROM_CHARS + 1) + "@x.example"], "characters (limit"),
])
def test_no_identity_with_a_reason(values: list[str], problem: str) -> None:
    ident = sender_identity(values)
    assert ident.address == "" and problem in ident.problem


def test_hostile_from_fields_are_bounded_in_time() -> None:
    worst = 0.0
    for unit in ("(", "(a", ",", "a.", '"a', "<a", "\\", "=?utf-8?q?a?= "):
        value = unit * (MAX_FROM_CHARS // len(unit))
        t0 = time.perf_counter()
        sender_identity([value])
        worst = max(worst, time.perf_counter() - t0)
    assert worst < 2.0  # about 0.1 s on an idle core; the cap is what keeps it there


def test_parse_uses_the_strict_identity_and_never_reply_to() -> None:
    raw = (f'From: "{STAFF}" <attacker@evil.example>\r\nReply-To: {STAFF}\r\nTo: helpdesk@lpse.jabarprov.go.id\r\n'
           "Subject: x\r\nMessage-ID: <a@b>\r\n\r\nhalo\r\n").encode()
    env = parse(raw)
    assert env.sender == env.reply_address == "attacker@evil.example"
    assert env.sender_name == STAFF and env.reply_to == STAFF


def test_parse_records_why_there_is_no_identity() -> None:
    raw = b"From: a@x.example, b@y.example\r\nSender: a@x.example\r\nSubject: x\r\n\r\nhalo\r\n"
    env = parse(raw)
    assert env.sender == "" and env.sender_problem == "2 addresses in From"


def test_eight_bit_display_name() -> None:
    raw = "From: Bú Dí <budi@bandungkab.go.id>\r\nSubject: x\r\n\r\nhalo\r\n".encode()
    env = parse(raw)
    assert (env.sender, env.sender_name) == ("budi@bandungkab.go.id", "Bú Dí")


@pytest.mark.parametrize("address, key", [
    ("Target+1@BandungKab.go.id", "target@bandungkab.go.id"),
    ("target@bandungkab.go.id", "target@bandungkab.go.id"),
    ("+x@bandungkab.go.id", "+x@bandungkab.go.id"),
    ('"a+b"@x.example', '"a+b"@x.example'),
])
def test_mailbox_key(address: str, key: str) -> None:
    assert mailbox_key(address) == key

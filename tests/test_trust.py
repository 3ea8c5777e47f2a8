"""Authentication-Results reading: only our own server's verdict counts."""

from __future__ import annotations

import pytest

from helpdesk_bot.parse import parse
from helpdesk_bot.trust import AuthVerdict, is_from_trusted_relay, sender_authentication

OURS = "mx.jabarprov.go.id"


def mail(*headers: str, sender: str = "budi@bandungkab.go.id") -> bytes:
    lines = list(headers) + [
        f"From: Budi <{sender}>",
        "To: helpdesk@lpse.jabarprov.go.id",
        "Subject: Permohonan ubah jadwal",
        "Message-ID: <x1@bandungkab.go.id>",
    ]
    return ("\r\n".join(lines) + "\r\n\r\nMohon bantuan.\r\n").encode()


def verdict(raw: bytes, trusted: tuple[str, ...] = ()) -> AuthVerdict:
    return sender_authentication(parse(raw), trusted)


def test_dmarc_pass() -> None:
    v = verdict(mail(f"Authentication-Results: {OURS}; dkim=pass header.d=bandungkab.go.id; "
                     "spf=pass smtp.mailfrom=budi@bandungkab.go.id; dmarc=pass header.from=bandungkab.go.id"))
    assert v.passed and not v.failed_dmarc
    assert (v.dmarc, v.dkim, v.spf, v.authserv_id) == ("pass", "pass", "pass", OURS)


def test_dmarc_fail_wins_over_dkim_pass() -> None:
    v = verdict(mail(f"Authentication-Results: {OURS}; dkim=pass header.d=bandungkab.go.id; "
                     "dmarc=fail header.from=bandungkab.go.id"))
    assert not v.passed and v.failed_dmarc


def test_no_dmarc_aligned_dkim_passes() -> None:
    v = verdict(mail(f"Authentication-Results: {OURS}; dkim=pass header.d=bandungkab.go.id"))
    assert v.passed and v.dmarc == "none"


def test_no_dmarc_subdomain_dkim_is_aligned() -> None:
    v = verdict(mail(f"Authentication-Results: {OURS}; dkim=pass header.d=bandungkab.go.id",
                     sender="budi@mail.bandungkab.go.id"))
    assert v.passed


def test_no_dmarc_unaligned_dkim_fails() -> None:
    v = verdict(mail(f"Authentication-Results: {OURS}; dkim=pass header.d=mailer.example.com"))
    assert not v.passed and "not aligned" in v.detail


def test_no_dmarc_spf_for_from_domain_passes() -> None:
    v = verdict(mail(f"Authentication-Results: {OURS}; spf=pass smtp.mailfrom=bounce@bandungkab.go.id"))
    assert v.passed and v.spf == "pass"


def test_spf_for_other_domain_fails() -> None:
    v = verdict(mail(f"Authentication-Results: {OURS}; spf=pass smtp.mailfrom=x@sendgrid.net"))
    assert not v.passed


def test_dmarc_none_policy_counts_as_no_dmarc() -> None:
    v = verdict(mail(f"Authentication-Results: {OURS}; spf=pass smtp.mailfrom=budi@bandungkab.go.id; "
                     "dmarc=none header.from=bandungkab.go.id"))
    assert v.passed


def test_only_topmost_header_without_trusted_ids() -> None:
    # The lower header was written by the sender: a forged pass.
    raw = mail(f"Authentication-Results: {OURS}; dkim=none; spf=fail smtp.mailfrom=budi@bandungkab.go.id",
               "Authentication-Results: forged.example; dmarc=pass header.from=bandungkab.go.id")
    v = verdict(raw)
    assert not v.passed and v.authserv_id == OURS


def test_trusted_ids_ignore_other_servers() -> None:
    raw = mail("Authentication-Results: relay.example; dmarc=pass header.from=bandungkab.go.id",
               f"Authentication-Results: {OURS}; dmarc=fail header.from=bandungkab.go.id")
    v = verdict(raw, (OURS,))
    assert v.failed_dmarc and not v.passed and v.authserv_id == OURS
    assert verdict(raw, ("relay.example",)).passed


def test_trusted_ids_merge_several_headers() -> None:
    raw = mail(f"Authentication-Results: {OURS}; spf=pass smtp.mailfrom=budi@bandungkab.go.id",
               f"Authentication-Results: {OURS}; dkim=pass header.d=bandungkab.go.id")
    v = verdict(raw, (OURS.upper(),))
    assert v.passed and v.dkim == "pass" and v.spf == "pass"


@pytest.mark.parametrize("headers", [
    (),
    ("Authentication-Results: this is ;;; not = valid",),
    (f"Authentication-Results: {OURS}; none",),
])
def test_missing_or_broken_headers(headers: tuple[str, ...]) -> None:
    v = verdict(mail(*headers))
    assert not v.passed and not v.failed_dmarc


def test_untrusted_only_gives_nothing() -> None:
    v = verdict(mail("Authentication-Results: evil.example; dmarc=pass header.from=bandungkab.go.id"), (OURS,))
    assert not v.passed and v.authserv_id == ""


RECEIVED = ("Received: from mail.jabarprov.go.id (mail.jabarprov.go.id [10.1.2.3])\r\n"
            "\tby mx.lpse.jabarprov.go.id (Postfix) with ESMTPS id ABC; Mon, 30 Nov 2026 08:00:00 +0700")


def test_trusted_relay_from_received() -> None:
    env = parse(mail(RECEIVED, "Received: from evil.example by mail.jabarprov.go.id; Mon, 30 Nov 2026"))
    assert is_from_trusted_relay(env, ("mail.jabarprov.go.id",))
    assert is_from_trusted_relay(env, ("10.1.2.3",))
    assert is_from_trusted_relay(env, ("jabarprov.go.id",))  # a domain covers its hosts
    assert not is_from_trusted_relay(env, ("evil.example",))  # lower hops are not ours
    assert not is_from_trusted_relay(env, ())


def test_trusted_relay_ignores_forged_helo() -> None:
    raw = mail("Received: from mail.jabarprov.go.id (attacker.example [203.0.113.9]) "
               "by mx.example.net; Mon, 30 Nov 2026 08:00:00 +0700")
    env = parse(raw)
    assert not is_from_trusted_relay(env, ("mail.jabarprov.go.id",))
    assert is_from_trusted_relay(env, ("mx.example.net",))


def test_trusted_relay_from_authserv_id() -> None:
    env = parse(mail(f"Authentication-Results: {OURS}; dkim=pass header.d=jabarprov.go.id"))
    assert is_from_trusted_relay(env, (OURS,))
    assert not is_from_trusted_relay(env, ("other.example",))

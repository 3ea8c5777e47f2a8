"""Authentication-Results reading: only our own server's verdict counts."""

from __future__ import annotations

import pytest

from helpdesk_bot.parse import parse
from helpdesk_bot.trust import AuthVerdict, aligned, handover_hop, is_from_trusted_relay, sender_authentication

OURS = "mx.jabarprov.go.id"


def mail(*headers: str, sender: str = "budi@bandungkab.go.id") -> bytes:
    lines = list(headers) + [
        f"From: Budi <{sender}>",
        "To: helpdesk@lpse.jabarprov.go.id",
        "Subject: Permohonan ubah jadwal",
        "Message-ID: <x1@bandungkab.go.id>",
    ]
    return ("\r\n".join(lines) + "\r\n\r\nMohon bantuan.\r\n").encode()


def verdict(raw: bytes, trusted: tuple[str, ...] = (OURS,)) -> AuthVerdict:
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


def test_nothing_counts_without_trusted_ids() -> None:
    # RFC 8601 5: a header from an unknown server is ignored; with no id configured every one is.
    raw = mail(f"Authentication-Results: {OURS}; dmarc=pass header.from=bandungkab.go.id")
    v = verdict(raw, ())
    assert not v.passed and "trusted_authserv_ids" in v.detail


def test_only_the_topmost_trusted_header_counts() -> None:
    # Below ours: a forged header with our id that a non-conforming server left in place.
    raw = mail(f"Authentication-Results: {OURS}; spf=fail smtp.mailfrom=budi@bandungkab.go.id",
               f"Authentication-Results: {OURS}; dmarc=pass header.from=bandungkab.go.id")
    v = verdict(raw, (OURS,))
    assert not v.passed and v.spf == "fail" and v.dmarc == "none"


def test_trusted_ids_ignore_other_servers() -> None:
    raw = mail("Authentication-Results: relay.example; dmarc=pass header.from=bandungkab.go.id",
               f"Authentication-Results: {OURS}; dmarc=fail header.from=bandungkab.go.id")
    v = verdict(raw, (OURS,))
    assert v.failed_dmarc and not v.passed and v.authserv_id == OURS
    assert verdict(raw, ("relay.example",)).passed
    assert verdict(raw, (OURS.upper(),)).failed_dmarc


def test_dmarc_pass_for_another_domain_does_not_count() -> None:
    # A genuine pass, but for the attacker's own domain: says nothing about the From domain.
    raw = mail(f"Authentication-Results: {OURS}; dmarc=pass header.from=evil.example; "
               "dkim=pass header.d=evil.example; spf=pass smtp.mailfrom=x@evil.example")
    v = verdict(raw, (OURS,))
    assert not v.passed and not v.failed_dmarc and "evil.example ignored" in v.detail


def test_dmarc_fail_for_another_domain_is_not_our_failure() -> None:
    raw = mail(f"Authentication-Results: {OURS}; dmarc=fail header.from=evil.example; dkim=pass header.d=bandungkab.go.id")
    v = verdict(raw, (OURS,))
    assert v.passed and not v.failed_dmarc


def test_no_identity_is_never_authenticated() -> None:
    raw = mail(f"Authentication-Results: {OURS}; dmarc=pass header.from=bandungkab.go.id",
               sender="a@bandungkab.go.id>, <b@bandungkab.go.id")
    v = verdict(raw, (OURS,))
    assert not v.passed and "no sender identity" in v.detail


@pytest.mark.parametrize("d, from_domain, ok", [
    ("bandungkab.go.id", "bandungkab.go.id", True),
    ("bandungkab.go.id", "mail.bandungkab.go.id", True),
    ("mail.bandungkab.go.id", "bandungkab.go.id", True),
    ("go.id", "bandungkab.go.id", False),       # a public suffix never aligns
    ("id", "bandungkab.go.id", False),
    ("co.uk", "x.co.uk", False),
    ("example.test", "lpse.example.test", True),
    ("evilbandungkab.go.id", "bandungkab.go.id", False),
    ("", "bandungkab.go.id", False),
])
def test_alignment(d: str, from_domain: str, ok: bool) -> None:
    assert aligned(d, from_domain) is ok


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


MX = "mx.lpse.jabarprov.go.id"
RECEIVED = ("Received: from mail.jabarprov.go.id (mail.jabarprov.go.id [10.1.2.3])\r\n"
            f"\tby {MX} (Postfix) with ESMTPS id ABC; Mon, 30 Nov 2026 08:00:00 +0700")
LMTP = f"Received: from {MX} ([127.0.0.1])\r\n\tby imap.lpse.jabarprov.go.id with LMTP id q; Mon, 30 Nov 2026 08:00:01 +0700"


def relay(env, relays: tuple[str, ...], ours: tuple[str, ...] = (MX,)) -> bool:
    return is_from_trusted_relay(env, relays, ours)


def test_trusted_relay_is_the_hop_that_handed_the_mail_to_our_server() -> None:
    env = parse(mail(LMTP, RECEIVED, f"Received: from evil.example (evil.example [203.0.113.9]) by {MX}; Mon, 30 Nov 2026"))
    assert handover_hop(env, (MX,)).ip == "10.1.2.3"
    assert relay(env, ("mail.jabarprov.go.id",))
    assert relay(env, ("10.1.2.3",)) and relay(env, ("10.1.0.0/16",))
    assert relay(env, ("jabarprov.go.id",))  # a domain covers its hosts
    assert not relay(env, ("evil.example",))  # lower fields are the sender's to invent
    assert not relay(env, ())
    assert not relay(env, ("mail.jabarprov.go.id",), ())  # our hosts unknown: no hop is ours


def test_listing_our_own_server_as_relay_trusts_nobody() -> None:
    # The hole: the "by" host is our MX on every mail, so it must never match.
    env = parse(mail(f"Received: from attacker.example (attacker.example [203.0.113.9]) by {MX} (Postfix); Mon, 30 Nov 2026"))
    assert not relay(env, (MX,))
    assert handover_hop(env, (MX,)).name == "attacker.example"


def test_trusted_relay_ignores_forged_helo() -> None:
    env = parse(mail(f"Received: from mail.jabarprov.go.id (attacker.example [203.0.113.9]) by {MX}; Mon, 30 Nov 2026"))
    assert not relay(env, ("mail.jabarprov.go.id",))
    env = parse(mail(f"Received: from mail.jabarprov.go.id (unknown [203.0.113.9]) by {MX}; Mon, 30 Nov 2026"))
    assert not relay(env, ("mail.jabarprov.go.id",)) and handover_hop(env, (MX,)).name == ""


def test_internal_hops_lead_to_the_handover() -> None:
    # A content filter re-injects from localhost: that hop is ours, the one below it counts.
    filt = f"Received: from localhost (localhost [127.0.0.1]) by {MX} (Postfix) with ESMTP id F; Mon, 30 Nov 2026"
    env = parse(mail(filt, RECEIVED))
    assert relay(env, ("10.1.2.3",), (MX, "127.0.0.1"))
    assert not relay(env, ("10.1.2.3",), (MX,))  # localhost not declared ours: it is the hop


def test_relay_chain_broken_by_a_foreign_field_trusts_nothing() -> None:
    filt = f"Received: from localhost (localhost [127.0.0.1]) by {MX}; Mon, 30 Nov 2026"
    forged = "Received: from mail.jabarprov.go.id (mail.jabarprov.go.id [10.1.2.3]) by elsewhere.example; Mon"
    env = parse(mail(filt, forged))
    assert not relay(env, ("10.1.2.3",), (MX, "127.0.0.1"))


def test_authserv_id_is_not_a_relay() -> None:
    env = parse(mail(f"Authentication-Results: {OURS}; dkim=pass header.d=jabarprov.go.id"))
    assert not relay(env, (OURS,))

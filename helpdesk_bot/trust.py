"""Whether the From address of a mail is believable, read from Authentication-Results.

Two decisions depend on it: staff commands (``#selesai``) must come from staff, not from
someone who typed a staff address into From; and an acknowledgement must not go to a
forged sender (backscatter). The receiving server already checked SPF, DKIM and DMARC and
wrote the outcome into ``Authentication-Results`` (RFC 8601); this module reads that with
the ``authres`` package instead of verifying signatures again.

Only a header written by our own server counts. A sender can put any header into the mail,
including a fake "dmarc=pass"; a conforming border server removes incoming headers that
carry its own authserv-id, so those ids are trusted when configured. Without a list only
the topmost header counts, because it was added last, by the server that delivered to us.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import authres

from .envelope import Envelope


@dataclass(frozen=True)
class AuthVerdict:
    """The authentication results that apply to the From domain, and what they add up to."""

    dmarc: str
    dkim: str
    spf: str
    authserv_id: str
    passed: bool
    failed_dmarc: bool
    detail: str


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[-1].strip().strip(".>").lower() if address else ""


def _aligned(domain: str, from_domain: str) -> bool:
    """Relaxed alignment (RFC 7489 3.1): same domain, or one a subdomain of the other."""
    if not domain or not from_domain:
        return False
    return domain == from_domain or domain.endswith("." + from_domain) or from_domain.endswith("." + domain)


def _prop(result: authres.core.AuthenticationResult, ptype: str, name: str) -> str:
    for prop in result.properties:
        if prop.type == ptype and prop.name == name:
            return str(prop.value or "").strip().lower()
    return ""


def _headers(env: Envelope, trusted: tuple[str, ...]) -> list[authres.AuthenticationResultsHeader]:
    """Parsed Authentication-Results that count: trusted authserv-ids, or the topmost one."""
    values = env.headers.get_all("Authentication-Results") or []
    wanted = {t.strip().lower() for t in trusted if t.strip()}
    parsed = []
    for value in values:
        try:
            header = authres.AuthenticationResultsHeader.parse_value(" ".join(str(value).split()))
        except Exception:  # authres.SyntaxError and friends: a broken header counts as none
            header = None
        if not wanted:
            return [header] if header is not None else []
        if header is not None and str(header.authserv_id).lower() in wanted:
            parsed.append(header)
    return parsed


def _pick(results: list, method: str, from_domain: str, domain_of) -> tuple[str, bool]:
    """The result of ``method`` for the From domain: an aligned one first, else the first."""
    found = [r for r in results if str(r.method).lower() == method]
    if not found:
        return "none", False
    for r in found:
        if _aligned(domain_of(r), from_domain):
            return str(r.result).lower(), True
    return str(found[0].result).lower(), False


def sender_authentication(env: Envelope, trusted_authserv_ids: tuple[str, ...]) -> AuthVerdict:
    """Read the Authentication-Results that count and decide whether From is authentic.

    Passed when DMARC passed, or, for a domain without a DMARC result, when DKIM passed
    for a domain aligned with From or SPF passed for the From domain.
    """
    headers = _headers(env, trusted_authserv_ids)
    from_domain = _domain(env.sender)
    if not headers:
        return AuthVerdict("none", "none", "none", "", False, False,
                           "no trusted Authentication-Results header")
    results = [r for h in headers for r in h.results]
    dmarc, _ = _pick(results, "dmarc", from_domain, lambda r: _prop(r, "header", "from"))
    dkim, dkim_aligned = _pick(
        results, "dkim", from_domain,
        lambda r: _prop(r, "header", "d") or _domain(_prop(r, "header", "i")),
    )
    spf, spf_aligned = _pick(
        results, "spf", from_domain,
        lambda r: _domain(_prop(r, "smtp", "mailfrom")) or _prop(r, "smtp", "helo"),
    )
    no_dmarc = dmarc in ("none", "")
    passed = dmarc == "pass" or (no_dmarc and ((dkim == "pass" and dkim_aligned) or (spf == "pass" and spf_aligned)))
    authserv_id = ", ".join(dict.fromkeys(str(h.authserv_id) for h in headers))
    detail = (f"{authserv_id}: dmarc={dmarc} dkim={dkim}{'' if dkim_aligned else ' (not aligned)'}"
              f" spf={spf}{'' if spf_aligned else ' (not aligned)'} from={from_domain or '?'}")
    return AuthVerdict(dmarc, dkim, spf, authserv_id, passed, dmarc == "fail", detail)


_FROM = re.compile(r"\bfrom\s+(?P<helo>\S+)(?:\s+\((?P<info>[^)]*)\))?", re.I)
_BY = re.compile(r"\bby\s+(?P<host>[^\s;()]+)", re.I)
_HOSTLIKE = re.compile(r"(?:ipv6:)?[a-z0-9][a-z0-9.:-]*", re.I)


def _received_hosts(value: str) -> set[str]:
    """Host names and IPs in a Received header's "from" and "by" clauses."""
    hosts: set[str] = set()
    value = " ".join(value.split())
    m = _FROM.search(value)
    if m:
        info = m.group("info") or ""
        # What our server looked up (reverse DNS, IP) beats the HELO name the client chose;
        # "helo=" words inside the comment are the client's claim too.
        seen = [w.strip("[]") for w in info.split() if _HOSTLIKE.fullmatch(w.strip("[]"))]
        hosts.update(seen or [m.group("helo").strip("[]")])
    by = _BY.search(value)
    if by:
        hosts.add(by.group("host"))
    return {h.lower().rstrip(".") for h in hosts if h}


def _host_matches(host: str, relay: str) -> bool:
    relay = relay.strip().lower().rstrip(".")
    return bool(relay) and (host == relay or host.endswith("." + relay))


def is_from_trusted_relay(env: Envelope, relays: tuple[str, ...]) -> bool:
    """Whether the topmost Received hop or Authentication-Results names a trusted relay.

    The topmost Received header is the one our side wrote, so its "from" and "by" hosts
    are what our server saw, not what the sender claims further down.
    """
    if not relays:
        return False
    hosts: set[str] = set()
    received = env.headers.get_all("Received") or []
    if received:
        hosts |= _received_hosts(str(received[0]))
    results = env.headers.get_all("Authentication-Results") or []
    if results:
        try:
            top = authres.AuthenticationResultsHeader.parse_value(" ".join(str(results[0]).split()))
            hosts.add(str(top.authserv_id).lower())
        except Exception:
            pass
    return any(_host_matches(h, r) for h in hosts for r in relays)


__all__ = ["AuthVerdict", "sender_authentication", "is_from_trusted_relay"]

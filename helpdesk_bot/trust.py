"""Whether the From address of a mail is proven, read from what our own server wrote.

Two decisions depend on it: staff commands (``#selesai``) must come from staff, not from
someone who typed a staff address into From; and an acknowledgement must not go to a
forged sender (backscatter). The receiving server already checked SPF, DKIM and DMARC and
wrote the outcome into ``Authentication-Results`` (RFC 8601); this module reads that with
the ``authres`` package instead of verifying signatures again. THREATS.md has the whole model.

Rules, each closing a hole a forger used:

* **Only configured authserv-ids count** (``[screening] trusted_authserv_ids``). Any header
  without one is the sender's own text. An empty list trusts *nothing* (RFC 8601 §5: a
  header from an unknown server must be ignored), and ``doctor`` warns about it.
* **The topmost header with such an id**, the one our server added last. A conforming border
  server deletes incoming headers carrying its own id; if it does not, the forged ones sit
  below the genuine one and are ignored here.
* **Alignment.** A ``dmarc=pass`` counts only when its ``header.from`` *is* the From domain
  (a genuine pass for ``evil.example`` says nothing about ``lpse.jabarprov.go.id``). Without a
  DMARC result for the From domain, a DKIM pass whose ``d=`` is aligned with the From domain
  or an SPF pass for an aligned MAIL FROM domain counts, as DMARC itself would count them.
* **Trusted relays** are matched against the hop that handed the mail to our server: the
  ``from`` part (reverse-DNS name and IP address our server looked up, never the HELO name the
  client chose) of the Received field our server wrote (its ``by`` host is one of
  ``[screening] receiving_hosts``). Never the ``by`` host itself: that is our own server,
  on every mail, so listing it trusted everybody.
"""

from __future__ import annotations

import ipaddress
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
    return address.rsplit("@", 1)[-1].strip().strip(".>").lower() if address and "@" in address else (address or "").strip().strip(".").lower()


#: Second-level labels under a two-letter country TLD that are public suffixes (go.id, co.uk):
#: a DKIM key for ``go.id`` must never align with every agency below it.
_PUBLIC_SLD = frozenset("go co ac or web sch mil net my biz ponpes desa com gov edu org ne gob nic".split())


def _is_suffix_like(domain: str) -> bool:
    labels = domain.split(".")
    if len(labels) < 2:
        return True
    return len(labels) == 2 and len(labels[1]) == 2 and labels[0] in _PUBLIC_SLD


def aligned(domain: str, from_domain: str) -> bool:
    """Relaxed alignment (RFC 7489 3.1): same domain, or one below the other, the upper one
    being a registrable domain and not a public suffix."""
    domain, from_domain = domain.lower().strip("."), from_domain.lower().strip(".")
    if not domain or not from_domain:
        return False
    if domain == from_domain:
        return True
    if from_domain.endswith("." + domain):
        return not _is_suffix_like(domain)
    if domain.endswith("." + from_domain):
        return not _is_suffix_like(from_domain)
    return False


def _prop(result: authres.core.AuthenticationResult, ptype: str, name: str) -> str:
    for prop in result.properties:
        if prop.type == ptype and prop.name == name:
            return str(prop.value or "").strip().lower()
    return ""


def _parse(value: str) -> authres.AuthenticationResultsHeader | None:
    try:
        return authres.AuthenticationResultsHeader.parse_value(" ".join(str(value).split())[:4000])
    except Exception:  # authres.SyntaxError and friends: a broken header counts as none
        return None


def trusted_header(env: Envelope, trusted: tuple[str, ...]) -> authres.AuthenticationResultsHeader | None:
    """The topmost Authentication-Results whose authserv-id is configured; None without one."""
    wanted = {t.strip().lower() for t in trusted if t.strip()}
    if not wanted:
        return None
    for value in (env.headers.get_all("Authentication-Results") or [])[:50]:
        header = _parse(value)
        if header is not None and str(header.authserv_id).lower() in wanted:
            return header
    return None


def sender_authentication(env: Envelope, trusted_authserv_ids: tuple[str, ...]) -> AuthVerdict:
    """Read the one Authentication-Results that counts and decide whether From is proven.

    Passed when DMARC passed for the From domain itself, or, for a From domain without a
    DMARC result, when DKIM passed for an aligned ``d=`` or SPF for an aligned MAIL FROM.
    """
    from_domain = _domain(env.sender)
    if not env.sender:
        return AuthVerdict("none", "none", "none", "", False, False, "no sender identity to authenticate")
    if not trusted_authserv_ids:
        return AuthVerdict("none", "none", "none", "", False, False,
                           "no trusted authserv-id configured ([screening] trusted_authserv_ids)")
    header = trusted_header(env, trusted_authserv_ids)
    if header is None:
        return AuthVerdict("none", "none", "none", "", False, False, "no trusted Authentication-Results header")
    results = list(header.results)
    dmarcs = [r for r in results if str(r.method).lower() == "dmarc"]
    own = [r for r in dmarcs if _prop(r, "header", "from") == from_domain]
    dmarc = str(own[0].result).lower() if own else "none"
    other = sorted({_prop(r, "header", "from") or "?" for r in dmarcs if r not in own})
    dkim, dkim_aligned = _best(results, "dkim", from_domain, lambda r: _prop(r, "header", "d") or _domain(_prop(r, "header", "i")))
    spf, spf_aligned = _best(results, "spf", from_domain, lambda r: _domain(_prop(r, "smtp", "mailfrom")))
    passed = dmarc == "pass" or (dmarc == "none" and ((dkim == "pass" and dkim_aligned) or (spf == "pass" and spf_aligned)))
    authserv_id = str(header.authserv_id)
    detail = (f"{authserv_id}: dmarc={dmarc} dkim={dkim}{'' if dkim_aligned else ' (not aligned)'}"
              f" spf={spf}{'' if spf_aligned else ' (not aligned)'} from={from_domain or '?'}"
              + (f"; dmarc for other domain(s) {', '.join(other)} ignored" if other else ""))
    return AuthVerdict(dmarc, dkim, spf, authserv_id, passed, dmarc == "fail", detail)


def _best(results: list, method: str, from_domain: str, domain_of) -> tuple[str, bool]:
    """The result of ``method``: an aligned pass first, else an aligned result, else the first."""
    found = [r for r in results if str(r.method).lower() == method]
    if not found:
        return "none", False
    aligned_ones = [r for r in found if aligned(domain_of(r), from_domain)]
    for r in aligned_ones:
        if str(r.result).lower() == "pass":
            return "pass", True
    if aligned_ones:
        return str(aligned_ones[0].result).lower(), True
    return str(found[0].result).lower(), False


# ---------------------------------------------------------------------------------------------
# Received: the hop that handed the mail to our server

#: ``from HELO (INFO) by HOST`` at the start of a Received field, as Postfix and Dovecot write
#: it; anything else (nested comments, a missing ``by``) is not read, so never trusted.
_RECEIVED = re.compile(r"\A\s*+from\s+(?P<helo>[^\s()]{1,255})\s+\((?P<info>[^()]{0,300})\)\s+by\s+(?P<by>[^\s;()]{1,255})", re.I)
_IP_TOKEN = re.compile(r"\[(?:ipv6:)?(?P<ip>[0-9a-f.:]{2,45})\]", re.I)
_NAME_TOKEN = re.compile(r"[a-z0-9][a-z0-9.-]{0,252}", re.I)


@dataclass(frozen=True)
class Hop:
    """Who handed the mail to our server, as our server recorded it."""

    #: Reverse-DNS name our server looked up ("" for "unknown").
    name: str
    #: The peer's IP address.
    ip: str
    #: Our host that wrote the field.
    by: str


def _parse_received(value: str) -> Hop | None:
    m = _RECEIVED.match(" ".join(str(value).split())[:2000])
    if not m:
        return None
    ip_m = _IP_TOKEN.search(m.group("info"))
    ip = ip_m.group("ip").lower() if ip_m else ""
    words = [w for w in m.group("info").split() if not w.startswith("[") and "=" not in w]
    name = words[0].lower().rstrip(".") if words and _NAME_TOKEN.fullmatch(words[0]) and words[0].lower() != "unknown" else ""
    return Hop(name, ip, m.group("by").lower().rstrip("."))


def _matches(host: str, pattern: str) -> bool:
    """A host name (or a domain covering it), an IP address, or a network like 10.1.0.0/16."""
    pattern = pattern.strip().lower().rstrip(".")
    if not host or not pattern:
        return False
    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network(pattern, strict=False)
    except ValueError:
        pass
    return host == pattern or host.endswith("." + pattern)


def _ours(hop_host: str, receiving_hosts: tuple[str, ...]) -> bool:
    return any(_matches(hop_host, h) for h in receiving_hosts)


def handover_hop(env: Envelope, receiving_hosts: tuple[str, ...]) -> Hop | None:
    """The hop that handed the mail to our server, from the Received fields our hosts wrote.

    Walks from the top: fields written by hosts downstream of ours (the delivery agent) are
    skipped until the first one whose ``by`` is ours; a hop *from* one of our hosts (a
    content filter re-injecting) leads to the next field, which must be ours too. The first
    hop from a foreign host is the answer. Fields below it are the sender's to invent.
    """
    if not receiving_hosts:
        return None
    seen_ours = False
    for value in (env.headers.get_all("Received") or [])[:30]:
        hop = _parse_received(value)
        if hop is None or not _ours(hop.by, receiving_hosts):
            if seen_ours:
                return None  # the chain of our own hosts is broken: trust nothing below
            continue
        seen_ours = True
        if (hop.name and _ours(hop.name, receiving_hosts)) or (hop.ip and _ours(hop.ip, receiving_hosts)):
            continue
        return hop
    return None


def receiving_hosts(config: object) -> tuple[str, ...]:
    """Our hosts that write Received fields: ``[screening] receiving_hosts``, else the
    authserv-ids (usually the MX's own name)."""
    screening = config.screening  # type: ignore[attr-defined]
    return tuple(screening.receiving_hosts or screening.trusted_authserv_ids)


def is_from_trusted_relay(env: Envelope, relays: tuple[str, ...], receiving_hosts: tuple[str, ...]) -> bool:
    """Whether the hop that handed the mail to our server is a configured trusted relay."""
    if not relays:
        return False
    hop = handover_hop(env, receiving_hosts)
    if hop is None:
        return False
    return any(_matches(h, r) for h in (hop.name, hop.ip) if h for r in relays)


__all__ = ["AuthVerdict", "Hop", "aligned", "handover_hop", "is_from_trusted_relay", "receiving_hosts",
           "sender_authentication",
           "trusted_header"]

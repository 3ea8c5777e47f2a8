"""Who sent a mail: exactly one addr-spec from the From field, parsed as RFC 5322 says, or nobody.

Everything that decides who may do what (staff commands, a requester's follow-up, where a
ticket's data may go) starts from this one address, so it is parsed strictly:

* The structure is parsed *before* anything is decoded, by the standard library's
  ``email.headerregistry`` (the RFC 5322 parser behind ``email.policy.default``). An encoded
  word (RFC 2047) can only ever be a display name there: ``=?utf-8?q?staf=40lpse...=2C?=
  <attacker@evil.example>`` is the attacker's address with a funny name, never the staff's.
  (The old way, decoding the header first and then splitting it on commas, turned that name
  into a second, "first" address.)
* The address is the addr-spec between the angle brackets, never an address-looking display
  name: ``"staf@lpse..." <"john doe"@evil.example>`` is ``"john doe"@evil.example``.
* Exactly one From field holding exactly one mailbox. Several addresses, none, a group, a
  domain literal, or anything the parser had to guess at (``InvalidHeaderDefect``) gives *no*
  identity with the reason, which the pipeline records and shows to staff. Such a mail still
  becomes a ticket (nothing is lost), but nobody is its proven requester and nothing is sent.
* The field is capped before parsing (``MAX_FROM_CHARS``): the standard library's parser is
  recursive and costs about 0.3 ms per character on hostile input (nested comments), and no
  real From line is longer than a few hundred characters.
"""

from __future__ import annotations

from dataclasses import dataclass
from email import errors
from email.headerregistry import HeaderRegistry

#: Longer From fields are refused unparsed (a 400-character hostile field parses in < 0.2 s).
MAX_FROM_CHARS = 400

_REGISTRY = HeaderRegistry()


@dataclass(frozen=True)
class Identity:
    #: The addr-spec, lower-cased; "" when the mail has no provable single sender.
    address: str
    #: The decoded display name, for salutations only; never used to decide anything.
    display_name: str = ""
    #: Why there is no identity (empty when there is one).
    problem: str = ""


def sender_identity(from_values: list[str]) -> Identity:
    """The one sender of a mail from the raw (undecoded, unfolded or not) From field values."""
    if not from_values:
        return Identity("", "", "no From field")
    if len(from_values) > 1:
        return Identity("", "", f"{len(from_values)} From fields")
    value = " ".join(str(from_values[0]).split())
    if len(value) > MAX_FROM_CHARS:
        return Identity("", "", f"From field of {len(value)} characters (limit {MAX_FROM_CHARS})")
    try:
        header = _REGISTRY("From", value)
        groups = header.groups
        defects = header.defects
    except (RecursionError, IndexError, ValueError, TypeError, AttributeError, errors.HeaderParseError) as e:
        return Identity("", "", f"From field unreadable ({type(e).__name__})")
    mailboxes = [a for g in groups for a in g.addresses]
    if any(g.display_name is not None for g in groups):
        return Identity("", "", "From holds a group, not a mailbox")
    if not mailboxes:
        return Identity("", "", "no address in From")
    if len(mailboxes) > 1:
        return Identity("", "", f"{len(mailboxes)} addresses in From")
    invalid = [d for d in defects if isinstance(d, (errors.InvalidHeaderDefect, errors.UndecodableBytesDefect))]
    if invalid:
        return Identity("", "", f"From is not one valid address ({invalid[0]})")
    box = mailboxes[0]
    problem = _address_problem(box.username, box.domain)
    if problem:
        return Identity("", "", problem)
    return Identity(box.addr_spec.lower(), box.display_name or "", "")


def _address_problem(local: str, domain: str) -> str:
    if not local or not domain:
        return "From address without a domain"
    if domain.startswith("["):
        return "From address with a domain literal"
    if "." not in domain.strip("."):
        return "From domain without a dot"
    if "=?" in local or "=?" in domain:
        return "encoded word inside the From address"
    return ""


def normalise(address: str) -> str:
    """The form in which two addresses are compared for identity: case-folded, trimmed."""
    return (address or "").strip().lower()


def mailbox_key(address: str) -> str:
    """The mailbox behind an address, for counting: case-folded, ``+tag`` dropped.

    ``Target+1@x`` and ``target+2@x`` reach one inbox, so a rate limit counts them together.
    Not used for ticket access: there a different spelling is a different address.
    """
    address = normalise(address)
    local, at, domain = address.rpartition("@")
    if not at:
        return address
    if local.startswith('"'):
        return address
    return f"{local.split('+', 1)[0] or local}@{domain}"


__all__ = ["Identity", "MAX_FROM_CHARS", "mailbox_key", "normalise", "sender_identity"]

"""How many automatic replies are too many: a pure decision, counted elsewhere.

Screening catches machines that say they are machines; the rate limit catches the ones
that do not (an auto-responder with no headers, a script, a forged sender) before two
responders can ping-pong for long. The caller counts replies already sent from the
outbox table; this module only compares, so it is trivial to test and to explain.

Why the defaults in ``ScreeningConfig`` fit a provincial LPSE helpdesk:

* **5 per sender per hour.** A Pokja that is busy with one tender sends a request, a
  corrected form, a missing attachment and perhaps a question: four mails in an hour is
  already a lot. A sixth acknowledgement within the hour adds nothing a person needs, while
  an unrecognised auto-responder would reach it within minutes. Staff still see every mail.
* **20 per sender per day.** One address often serves a whole Pokja or an agency's
  procurement office handling several tenders, so a day's cap must allow several separate
  requests; twenty is about a week of normal traffic from the busiest agencies. Znuny's
  default (``PostmasterMaxEmailsPerAddress``, 40 per address per day) is sized for
  commercial service desks with many more mails per customer; half of it is plenty here
  and halves the damage a loop can do before the cap holds.
* **300 overall per hour.** LPSE Jawa Barat's helpdesk receives on the order of tens to a
  few hundred request mails per working day. Three hundred acknowledgements in one hour is
  more than a normal day's total, so reaching it means a flood (a loop with many forged
  senders, a spam run, a replayed archive) rather than real demand, and the cap keeps the
  office's SMTP relay and the sender reputation of ``jabarprov.go.id`` safe.
* **Counted per mailbox, not per spelling.** Per-sender counts use the normalised address
  (case folded, ``+tag`` dropped: identity.mailbox_key), so ``target+1@`` .. ``target+9@``
  share one budget instead of multiplying it.
* **The overall cap defers, it does not drop.** A reply over ``overall_per_hour`` is queued
  with status ``deferred`` (rendered now, not counted, not sent) and released oldest first by
  the clock's tick when the last hour leaves room; staff see it in the digest meanwhile. After
  an outage every requester still hears back, at the pace the cap allows. Per-sender limits
  still withhold: they are there to stop loops with auto-responders.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from .config import ScreeningConfig

if TYPE_CHECKING:  # pragma: no cover
    from .store import Store

#: The words of the overall-cap reason; a reply refused for it is deferred, not withheld.
OVERALL = "automatic replies overall in the last hour"


def over_limit(
    sent_to_sender_last_hour: int,
    sent_to_sender_last_day: int,
    sent_overall_last_hour: int,
    cfg: ScreeningConfig,
) -> str | None:
    """Return why one more automatic reply must not be sent, or None when it may.

    The counts are replies already sent, so the limit is reached when a count equals
    the configured maximum. A limit of 0 or less disables that check, so an operator can
    switch one off without inventing a huge number.
    """
    checks = (
        (sent_to_sender_last_hour, cfg.per_sender_per_hour, "automatic replies to this sender in the last hour"),
        (sent_to_sender_last_day, cfg.per_sender_per_day, "automatic replies to this sender in the last 24 hours"),
        (sent_overall_last_hour, cfg.overall_per_hour, OVERALL),
    )
    for count, limit, what in checks:
        if limit > 0 and count >= limit:
            return f"rate limit: {count} {what} (limit {limit})"
    return None


def deferrable(why: str | None) -> bool:
    """Whether a refusal by ``over_limit`` is the overall cap (deferred) rather than a sender's."""
    return bool(why) and OVERALL in why  # type: ignore[operator]


def release_deferred(store: Store, cfg: ScreeningConfig, now: dt.datetime | None = None) -> list[int]:
    """Turn deferred replies into pending ones, oldest first, while the last hour has room.

    Call inside no transaction; each release is its own (the sender picks them up next).
    """
    now = now or store.now()
    released: list[int] = []
    rows = store.deferred_outbox(limit=1000)
    for row in rows:
        with store.transaction():
            used = store.automatic_replies_since(now - dt.timedelta(hours=1))
            if cfg.overall_per_hour > 0 and used >= cfg.overall_per_hour:
                break
            store.release_outbox(row["id"], now)
            if row["ticket_id"]:
                store.add_event(row["ticket_id"], "reply_released", outbox_id=row["id"])
        released.append(row["id"])
    return released


__all__ = ["OVERALL", "deferrable", "over_limit", "release_deferred"]

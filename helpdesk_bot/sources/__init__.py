"""Where mail comes from: IMAP mailboxes (the real deployment) and Maildir (the embedded default)."""

from __future__ import annotations

from ..config import Config, MailboxConfig
from .base import Ledger, Source, SourceMessage


def open_source(mb: MailboxConfig, config: Config, ledger: Ledger) -> Source:
    if mb.kind == "imap":
        from .imap import ImapSource

        return ImapSource(mb, config, ledger)
    from .maildir import MaildirSource

    return MaildirSource(mb, config, ledger)


__all__ = ["Ledger", "Source", "SourceMessage", "open_source"]

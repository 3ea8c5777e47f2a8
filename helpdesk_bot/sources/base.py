"""The contract every source keeps.

A source only reads and acknowledges: it never decides whether a message is done. The ledger
(the tickets database) does, because "done" means "its outcome is committed", and the loop calls
``ack`` only after that commit. A crash between commit and ack re-delivers the message, and the
ledger says it is done, so it is acknowledged without being processed twice.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from ..config import Config, MailboxConfig


@dataclass(frozen=True)
class SourceMessage:
    mailbox: str
    #: Stable id within the mailbox: "UIDVALIDITY:UID" for IMAP, the file's unique name for Maildir.
    key: str
    raw: bytes


class Ledger(Protocol):
    def is_done(self, mailbox: str, key: str) -> bool: ...

    def last_uid(self, mailbox: str, uidvalidity: int) -> int:
        """Highest UID recorded as done under this UIDVALIDITY (0 if none)."""
        ...


class Source(ABC):
    def __init__(self, mb: MailboxConfig, config: Config, ledger: Ledger):
        self.mb = mb
        self.config = config
        self.ledger = ledger

    @property
    def name(self) -> str:
        return self.mb.name

    def connect(self) -> None:
        """Open the connection (no-op for Maildir). Raises OSError-like errors on failure."""

    def close(self) -> None:
        """Close quietly."""

    @abstractmethod
    def fetch_new(self, batch: int = 50) -> Iterator[SourceMessage]:
        """Every message not yet done, oldest first, without marking anything read."""

    @abstractmethod
    def ack(self, msg: SourceMessage) -> None:
        """Mark a message done in the mailbox; called only after its outcome is committed."""

    def ack_many(self, msgs: list[SourceMessage]) -> None:
        """Acknowledge several committed messages at once (one IMAP STORE for a whole batch)."""
        for msg in msgs:
            self.ack(msg)

    def quarantine(self, msg: SourceMessage) -> None:
        """Move a quarantined message to the configured quarantine folder, if any."""

    def append_sent(self, raw: bytes) -> None:
        """Append a copy of a sent mail to the Sent folder, if the source has one."""

    def append_sent_many(self, raws: list[bytes]) -> None:
        """Append several sent mails at once (IMAP MULTIAPPEND where offered)."""
        for raw in raws:
            self.append_sent(raw)

    @abstractmethod
    def wait(self, timeout: float, stop: threading.Event) -> None:
        """Block until new mail may have arrived (IMAP IDLE), the timeout passes, or stop is set."""

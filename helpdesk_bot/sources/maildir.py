"""Maildir: the embedded default, and the way to replay saved mail.

Messages in ``new/`` and ``cur/`` that the ledger has not recorded are pending; ``ack`` moves
a message from ``new/`` to ``cur/`` (standard Maildir semantics for "seen by a program",
without the S flag, so a person's mail client still shows it unread). The key is the unique
part of the file name, which survives that move.
"""

from __future__ import annotations

import mailbox
import os
import threading
from collections.abc import Iterator

from .base import Source, SourceMessage


class MaildirSource(Source):
    def connect(self) -> None:
        path = self.config.resolve(self.mb.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.box = mailbox.Maildir(str(path), factory=None, create=True)

    def close(self) -> None:
        pass

    def _box(self) -> mailbox.Maildir:
        if not hasattr(self, "box"):
            self.connect()
        return self.box

    def fetch_new(self, batch: int = 50) -> Iterator[SourceMessage]:
        box = self._box()
        box._refresh()  # noqa: SLF001 - pick up files delivered since the last scan
        # Maildir unique names start with the delivery time, so name order is arrival order.
        keys = sorted(k for k in box.iterkeys() if not self.ledger.is_done(self.name, k))
        for key in keys:
            try:
                with box.get_file(key) as f:
                    raw = f.read()
            except (KeyError, FileNotFoundError):
                continue  # removed meanwhile
            yield SourceMessage(self.name, key, raw)

    def ack(self, msg: SourceMessage) -> None:
        box = self._box()
        sub = box._toc.get(msg.key, "")  # noqa: SLF001
        if not sub.startswith("new"):
            return
        src = os.path.join(box._path, sub)  # noqa: SLF001
        dst = os.path.join(box._path, "cur", os.path.basename(sub) + box.colon + "2,")  # noqa: SLF001
        try:
            os.rename(src, dst)
            box._toc[msg.key] = os.path.relpath(dst, box._path)  # noqa: SLF001
        except FileNotFoundError:
            pass

    def wait(self, timeout: float, stop: threading.Event) -> None:
        stop.wait(min(timeout, max(self.mb.poll_interval, 0.2)))

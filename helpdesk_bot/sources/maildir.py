"""Maildir: the embedded default, and the way to replay saved mail.

Messages in ``new/`` and ``cur/`` that the ledger has not recorded are pending; ``ack`` moves
a message from ``new/`` to ``cur/`` (standard Maildir semantics for "seen by a program",
without the S flag, so a person's mail client still shows it unread). The key is the unique
part of the file name, which survives that move.
"""

from __future__ import annotations

import mailbox
import os
import re
import threading
from collections.abc import Iterator

from .base import Source, SourceMessage


_UNIQUE = re.compile(r"^(\d+)\.M(\d+)P(\d+)Q(\d+)")
_SECONDS = re.compile(r"^(\d+)\.")


def _arrival(key: str) -> tuple[int, int, int, str]:
    """Arrival order from a Maildir unique name: "1795684763.M780362P16495Q1.host".

    Plain string order is wrong: the microseconds are not zero-padded ("M98123" sorts after
    "M780362"), so a follow-up delivered in the same second could be read before its request.
    """
    m = _UNIQUE.match(key)
    if m:
        return int(m[1]), int(m[2]), int(m[4]), key
    m = _SECONDS.match(key)
    return (int(m[1]) if m else 0), 0, 0, key


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
        keys = sorted((k for k in box.iterkeys() if not self.ledger.is_done(self.name, k)), key=_arrival)
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

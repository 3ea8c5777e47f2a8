"""Maildir: the embedded default, and the way to replay saved mail.

Messages in ``new/`` and ``cur/`` that the ledger has not recorded are pending; ``ack`` moves
a message from ``new/`` to ``cur/`` (standard Maildir semantics for "seen by a program",
without the S flag, so a person's mail client still shows it unread); a recorded one still in
``new/`` (the daemon stopped between commit and ack) is moved by the next fetch. The key is
the unique part of the file name, which survives that move.

``wait`` returns as soon as a file lands in ``new/``: the directory is watched with inotify
(``inotify_simple``; a delivery renames or links into ``new/``, a hand copy writes there),
so the embedded default answers within a second instead of at the next 60 s poll. Where
inotify is unavailable (not Linux, no watches left) it falls back to polling every
``poll_interval`` seconds; with inotify, ``poll_interval`` is only the safety-net rescan.
"""

from __future__ import annotations

import mailbox
import os
import re
import threading
import time
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


#: How often a wait looks at the stop event while inotify has nothing to say.
_STOP_CHECK = 0.25


def _watch(directory: str):
    """An inotify watch on ``directory`` for files arriving, or None where there is none."""
    try:
        from inotify_simple import INotify, flags
    except ImportError:  # pragma: no cover - a declared dependency; polling still works
        return None
    try:
        watch = INotify()
        # MOVED_TO: rename from tmp/ (MTAs); CREATE: hard link from tmp/ (Python's mailbox,
        # Dovecot); CLOSE_WRITE: a file written in place by hand.
        watch.add_watch(directory, flags.MOVED_TO | flags.CREATE | flags.CLOSE_WRITE)
        return watch
    except OSError:  # not Linux, or fs.inotify.max_user_watches reached
        return None


class MaildirSource(Source):
    #: The inotify watch on new/ (None: polling).
    watcher = None

    def connect(self) -> None:
        path = self.config.resolve(self.mb.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.box = mailbox.Maildir(str(path), factory=None, create=True)
        if self.watcher is None:  # before the first scan, so nothing lands unseen in between
            self.watcher = _watch(os.path.join(str(path), "new"))

    def close(self) -> None:
        if self.watcher is not None:
            try:
                self.watcher.close()
            except OSError:
                pass
            self.watcher = None

    def _box(self) -> mailbox.Maildir:
        if not hasattr(self, "box"):
            self.connect()
        return self.box

    def fetch_new(self, batch: int = 50) -> Iterator[SourceMessage]:
        box = self._box()
        box._refresh()  # noqa: SLF001 - pick up files delivered since the last scan
        keys = []
        for key in box.iterkeys():
            if not self.ledger.is_done(self.name, key):
                keys.append(key)
            elif box._toc.get(key, "").startswith("new"):  # noqa: SLF001
                # Committed, but the daemon stopped before moving it (acks follow commits in
                # batches): finish the ack, or it would stay in new/ for good.
                self.ack(SourceMessage(self.name, key, b""))
        keys.sort(key=_arrival)
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
        """Until a file lands in new/, ``timeout`` passes, or ``stop`` is set."""
        timeout = min(timeout, max(self.mb.poll_interval, 0.2))
        if self.watcher is None:
            stop.wait(timeout)
            return
        end = time.monotonic() + timeout
        while not stop.is_set():
            left = end - time.monotonic()
            if left <= 0:
                return
            try:
                events = self.watcher.read(timeout=int(min(left, _STOP_CHECK) * 1000))
            except OSError:
                self.close()  # the watch broke: poll from now on
                stop.wait(max(0.0, end - time.monotonic()))
                return
            if events:
                return

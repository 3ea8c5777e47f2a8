"""Attachments kept for staff, readable by the service user only, and purged after retention.

Layout: ``<storage.attachments>/<ticket id>/<first 12 hex of SHA-256>-<safe file name>``; the
directories are mode 0700 and the files 0600 whatever the umask, written atomically (temporary
file, rename; no fsync, the same guarantee as the database's WAL with synchronous=NORMAL:
a killed process loses nothing, a power cut may lose the last seconds, and the mail is still in
the mailbox). The pipeline calls :func:`store` inside the transaction that creates or
updates the ticket, so a failure to write (disk full) rolls the ticket back; a crash after the
write but before the commit leaves files under a ticket id that was never committed, and since
ids are reused after such a rollback, :func:`store` with ``fresh=True`` (a new ticket) first
clears whatever a crashed attempt left there.

Each call records an ``attachments_stored`` event with the file names and the SHA-256 of every
attachment and of every extracted document (a ZIP's members have their own), which is how
:func:`purge` finds the extraction-cache rows that belong to a ticket.

Retention (:func:`purge`): ``storage.retention_days`` after a ticket closes (``closed_at``,
status ``selesai`` or ``ditolak``) its attachment directory is deleted, the cached text of its
documents is dropped from ``doc_cache`` (unless a ticket still within retention uses the same
document), its ``fields`` (form values: names, NIP, phone numbers) are emptied except the tender
code, and the stored copies of the replies sent for it (which quote those fields) are emptied.
The ticket row, its status and dates and its whole events table (the audit trail) are kept;
an event ``retention_purged`` says what was removed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import structlog

from .config import Config
from .envelope import Attachment
from .store import Store

log = structlog.get_logger("helpdesk_bot.attachments")

DIR_MODE = 0o700
FILE_MODE = 0o600
#: Ticket fields kept after the purge: identifiers of the tender, not of a person.
KEPT_FIELDS = ("kode_tender",)

_UNSAFE = re.compile(r"[^\w.\- ()\[\]+,]+")


def safe_name(filename: str, limit: int = 120) -> str:
    """A file name that cannot leave its directory or hide: no separators, no leading dots."""
    name = unicodedata.normalize("NFC", filename or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" ._") or "lampiran"
    if len(name) > limit:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: limit - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else name[:limit]
    return name


def ticket_dir(config: Config, ticket_id: str) -> Path:
    if not re.fullmatch(r"[A-Za-z0-9-]+", ticket_id):
        raise ValueError(f"not a ticket id: {ticket_id!r}")
    return config.resolve(config.storage.attachments) / ticket_id


#: Attachment roots this process has made private already (checked once, not for every mail).
_PRIVATE_ROOTS: set[Path] = set()


def _private_dir(path: Path) -> None:
    """Create ``path`` (and its parents up to the attachments root) as 0700; the root too is
    made 0700, once per process, even when it existed before (an older install, an admin)."""
    try:
        os.mkdir(path, DIR_MODE)
    except FileNotFoundError:  # the attachments root itself is new
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    except FileExistsError:
        pass
    os.chmod(path, DIR_MODE)
    if path.parent not in _PRIVATE_ROOTS:
        os.chmod(path.parent, DIR_MODE)
        _PRIVATE_ROOTS.add(path.parent)


def _write_private(path: Path, data: bytes, new: bool = False) -> None:
    """Write ``path`` as 0600, atomically (temporary file, rename).

    ``new``: the file belongs to a ticket created in the current transaction, in a directory
    cleared for it (``store(fresh=True)``), so it is created in place: a crash mid-write leaves
    a file of a ticket that was never committed, and the next attempt clears it. That saves
    the temporary name and the rename, a fifth of the writer's time for a backlog of requests.
    """
    if new:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as f:
                os.fchmod(fd, FILE_MODE)
                f.write(data)
            return
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def store(config: Config, db: Store, ticket_id: str, attachments: Iterable[Attachment],
          doc_shas: Iterable[str] = (), fresh: bool = False) -> list[dict[str, Any]]:
    """Write a mail's attachments for staff; call inside the ticket's transaction.

    ``fresh`` (a ticket created in this transaction): leftovers of a crashed attempt that had
    the same ticket id are removed first. Returns what was stored (name, sha256, size).
    """
    attachments = list(attachments)
    # Only as many as are read (limits.max_attachments): 3,000 tiny parts must not become 3,000
    # files. The rest stay in the kept request mail (request.eml) for staff.
    cap = config.limits.max_attachments
    not_stored = max(0, len(attachments) - cap)
    attachments = attachments[:cap]
    directory = ticket_dir(config, ticket_id)
    if fresh and directory.exists():
        shutil.rmtree(directory)
    stored: list[dict[str, Any]] = []
    if attachments:
        _private_dir(directory)
    for att in attachments:
        sha = hashlib.sha256(att.data).hexdigest()
        name = f"{sha[:12]}-{safe_name(att.filename)}"
        path = directory / name
        if fresh or not path.exists():
            _write_private(path, att.data, new=fresh)
        stored.append({"file": name, "sha256": sha, "size": len(att.data)})
    shas = sorted({s["sha256"] for s in stored} | {s for s in doc_shas if s})
    if stored or shas:
        extra = {"not_stored": not_stored} if not_stored else {}
        db.add_event(ticket_id, "attachments_stored", files=[s["file"] for s in stored], sha256=shas, **extra)
    return stored


#: The ticket's request mail kept beside its attachments for staff corrections (corrections.py);
#: it is not one of the requester's attachments.
REQUEST_MAIL = "request.eml"


def files(config: Config, ticket_id: str) -> list[Path]:
    """The requester's stored attachments (not the kept request mail, not half-written files)."""
    d = ticket_dir(config, ticket_id)
    return sorted(p for p in d.iterdir()
                  if p.is_file() and not p.name.startswith(".tmp-") and p.name != REQUEST_MAIL) if d.is_dir() else []


# -- retention ----------------------------------------------------------------------------------


def due_for_purge(db: Store, config: Config, now: dt.datetime) -> list[str]:
    """Tickets closed more than retention_days before ``now`` and not purged since they closed."""
    return db.closed_unpurged(now - dt.timedelta(days=config.storage.retention_days))


def purge(db: Store, config: Config, now: dt.datetime | None = None) -> dict[str, int]:
    """Purge attachments and extracted text of tickets closed more than retention_days ago.

    Idempotent and safe to call on every scheduler tick: files go first, then one transaction
    per ticket, so a crash in between only repeats the (harmless) deletion next time.
    """
    now = now or db.now()
    totals = {"tickets": 0, "files": 0, "doc_cache": 0, "replies": 0}
    if config.storage.retention_days < 0:
        return totals
    due = due_for_purge(db, config, now)
    if not due:
        return totals
    cutoff = now - dt.timedelta(days=config.storage.retention_days)
    still_used = db.attachment_digests(db.tickets_kept_after(cutoff))
    for ticket_id in due:
        n_files = len(files(config, ticket_id))
        shutil.rmtree(ticket_dir(config, ticket_id), ignore_errors=True)
        shas = sorted(db.attachment_digests([ticket_id]) - still_used)
        with db.transaction():
            ticket = db.ticket(ticket_id)
            if ticket is None:
                continue
            n_cache = db.drop_cached(shas)
            fields = {k: v for k, v in ticket.fields.items() if k in KEPT_FIELDS}
            db.update_ticket(ticket_id, fields=fields)
            n_replies = db.forget_sent_copies(ticket_id)
            db.add_event(ticket_id, "retention_purged", files=n_files, doc_cache=n_cache, replies=n_replies,
                         retention_days=config.storage.retention_days)
        totals["tickets"] += 1
        totals["files"] += n_files
        totals["doc_cache"] += n_cache
        totals["replies"] += n_replies
    log.info("retention_purged", **totals)
    return totals


__all__ = ["DIR_MODE", "FILE_MODE", "files", "purge", "safe_name", "store", "ticket_dir"]

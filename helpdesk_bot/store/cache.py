"""The extraction cache (``doc_cache``: a document's text by its SHA-256) and its read-only view
for worker processes.

Workers never write: what they extract travels back in the Analysis and the writer stores it.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from ..documents import DocumentText
from .base import StoreBase
from .records import iso


class DocCacheReader:
    """The extraction cache, read-only: all a worker process sees of the database.

    A cache that cannot be read is a cache miss (the analysis must not depend on it).
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.conn: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection | None:
        """Connected on first use: a worker may start before the daemon created the database."""
        if self.conn is None and self.path.exists():
            try:
                self.conn = sqlite3.connect(self.path.resolve().as_uri() + "?mode=ro", uri=True, timeout=5,
                                            check_same_thread=False)
            except (sqlite3.Error, ValueError):
                self.conn = None
        return self.conn

    def get(self, sha256: str) -> DocumentText | None:
        conn = self._connect()
        if conn is None:
            return None
        try:
            row = conn.execute("SELECT data FROM doc_cache WHERE sha256 = ?", (sha256,)).fetchone()
        except sqlite3.Error:
            return None
        return DocumentText.from_json(json.loads(row[0])) if row else None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


class DocCacheStore(StoreBase):
    """documents.DocumentCache: ``get`` and ``put``."""

    def get(self, sha256: str) -> DocumentText | None:
        row = self.one("SELECT data FROM doc_cache WHERE sha256 = ?", (sha256,))
        return DocumentText.from_json(json.loads(row["data"])) if row else None

    def put(self, doc: DocumentText) -> None:
        with self.transaction():
            self.insert("doc_cache", {"sha256": doc.sha256, "data": json.dumps(doc.to_json(), ensure_ascii=False),
                                      "created_at": iso(self.now())}, replace=True)

    def drop_cached(self, sha256s: list[str]) -> int:
        """Forget the cached text of these documents (retention); how many rows went."""
        n = 0
        for i in range(0, len(sha256s), 500):
            chunk = sha256s[i:i + 500]
            n += self.conn.execute(f"DELETE FROM doc_cache WHERE sha256 IN ({','.join('?' * len(chunk))})",
                                   tuple(chunk)).rowcount
        return n

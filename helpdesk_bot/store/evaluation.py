"""The cache file of ``rules eval``: a Store (its extraction cache) plus the prepared mails, the
rule-independent half of an evaluation, keyed by the mail's SHA-256 and a fingerprint of the
code and configuration that prepared it. Not part of the daemon's database (no migration)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .base import StoreBase
from .cache import DocCacheStore


class EvalStore(DocCacheStore, StoreBase):
    def __init__(self, path: str | Path):
        super().__init__(path)
        self.conn.execute("CREATE TABLE IF NOT EXISTS eval_mail (sha256 TEXT NOT NULL, fingerprint TEXT NOT NULL, "
                          "data TEXT NOT NULL, PRIMARY KEY (sha256, fingerprint))")

    def prepared_mails(self, shas: list[str], fingerprint: str) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for i in range(0, len(shas), 500):
            chunk = shas[i:i + 500]
            q = f"SELECT sha256, data FROM eval_mail WHERE fingerprint = ? AND sha256 IN ({','.join('?' * len(chunk))})"
            for sha, data in self.conn.execute(q, (fingerprint, *chunk)):
                out[sha] = json.loads(data)
        return out

    def put_prepared_mails(self, items: list[tuple[str, dict[str, Any]]], fingerprint: str) -> None:
        if not items:
            return
        with self.transaction():
            self.conn.executemany("INSERT OR REPLACE INTO eval_mail VALUES (?, ?, ?)",
                                  [(sha, fingerprint, json.dumps(data, ensure_ascii=False)) for sha, data in items])

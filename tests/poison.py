"""Test-only analysis hook (Daemon(analysis_hook="poison:hook")): runs in the worker before analyse.

A marker in the Subject makes the analysis misbehave the way a crafted mail can:
``POISON-SLEEP`` never finishes (a regex backtracking for minutes), ``POISON-ALLOC`` allocates
8 GiB (a decompression bomb), ``POISON-SLOW`` takes 3 s (a long scan, to kill its worker mid-mail).
"""

from __future__ import annotations

import time


def hook(raw: bytes) -> None:
    head = raw[:4000]
    if b"POISON-SLEEP" in head:
        time.sleep(3600)
    if b"POISON-ALLOC" in head:
        blob = bytearray(8 * 1024 ** 3)
        blob[-1] = 1
    if b"POISON-SLOW" in head:
        time.sleep(3)

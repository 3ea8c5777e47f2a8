"""The live rule set, reloaded atomically.

``RulesHolder.get()`` always returns a complete, checked RuleSet. ``reload()`` builds a new one
from disk and swaps it in only if every file loads; a broken edit is logged with its
``file:line: message`` problems and the last good set stays in force. The daemon calls it on
SIGHUP and when a file under rules/, forms/ or templates/ changes.
"""

from __future__ import annotations

import threading
from pathlib import Path

import structlog

from .config import Config
from .ruleset import RuleSet, RuleSetError, load_ruleset

log = structlog.get_logger("helpdesk_bot.reload")


def ruleset_dirs(config: Config) -> tuple[Path, Path, Path]:
    return (config.resource_dir(config.paths.rules), config.resource_dir(config.paths.forms),
            config.resource_dir(config.paths.templates))


def load_for(config: Config) -> RuleSet:
    return load_ruleset(*ruleset_dirs(config))


class RulesHolder:
    def __init__(self, config: Config):
        self.config = config
        self._lock = threading.Lock()
        self._rules = load_for(config)
        self._stamp = self._fingerprint()

    def get(self) -> RuleSet:
        return self._rules

    def _fingerprint(self) -> tuple[tuple[str, float, int], ...]:
        out = []
        for d in ruleset_dirs(self.config):
            if d.is_dir():
                for p in sorted(d.iterdir()):
                    if p.is_file():
                        st = p.stat()
                        out.append((str(p), st.st_mtime, st.st_size))
        return tuple(out)

    def reload(self, reason: str = "signal") -> bool:
        """Swap in the files on disk if they are all good; return whether it swapped."""
        with self._lock:
            stamp = self._fingerprint()
            try:
                rules = load_for(self.config)
            except RuleSetError as e:
                self._stamp = stamp  # do not retry the same broken files every poll
                log.error("rules_reload_rejected", reason=reason, problems=e.problems[:20], kept=self._rules.version)
                return False
            self._stamp = stamp
            old, self._rules = self._rules, rules
            log.info("rules_reloaded", reason=reason, version=rules.version, previous=old.version)
            return True

    def reload_if_changed(self) -> bool:
        if self._fingerprint() != self._stamp:
            return self.reload("files changed")
        return False

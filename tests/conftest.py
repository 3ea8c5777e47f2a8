"""Shared fixtures: one private Dovecot and one SMTP relay per test session.

Servers are session-scoped (start-up is cheap but not free); isolation comes from the
function-scoped ``mailbox`` fixture and from resetting server state before every test, so that
a test which stopped a server or set ``refuse`` and then failed cannot break the next one.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from servers import (  # noqa: F401  (re-exported for tests: from conftest import ... is discouraged)
    DovecotServer,
    SmtpServer,
    deliver,
    empty_mailboxes,
    folder_flags,
    imap_login,
    read_folder,
    read_inbox,
)

_started: dict[str, object] = {}


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    """A private Dovecot: IMAP + LMTP on free ports, users helpdesk/info/warga/staf, "secret"."""
    if not shutil.which("dovecot"):
        pytest.skip("dovecot not installed (apt-get install dovecot-imapd dovecot-lmtpd)")
    server = DovecotServer()
    try:
        server.start()
        _started["dovecot"] = server
        yield server
    finally:
        _started.pop("dovecot", None)
        server.cleanup()


@pytest.fixture(scope="session")
def smtp_server(dovecot: DovecotServer) -> Iterator[SmtpServer]:
    """aiosmtpd relay recording envelopes and delivering Dovecot users' mail over LMTP."""
    server = SmtpServer(dovecot)
    server.start()
    _started["smtp"] = server
    try:
        yield server
    finally:
        _started.pop("smtp", None)
        server.stop()


@pytest.fixture(autouse=True)
def _reset_servers() -> None:
    """Undo what a previous (maybe failed) test did to the shared servers: stopped, refusing."""
    dc = _started.get("dovecot")
    if isinstance(dc, DovecotServer) and not dc.running:
        dc.start()
    smtp = _started.get("smtp")
    if isinstance(smtp, SmtpServer):
        smtp.reset()


@pytest.fixture
def mailbox(dovecot: DovecotServer) -> Iterator[DovecotServer]:
    """Clean mail state: every user's INBOX empty, no other folders, before (and after) the test."""
    empty_mailboxes(dovecot)
    yield dovecot
    if dovecot.running:
        empty_mailboxes(dovecot)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that use a real server are marked ``mailserver``, so ``-m 'not mailserver'`` works."""
    for item in items:
        if {"dovecot", "smtp_server", "mailbox"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.mailserver)

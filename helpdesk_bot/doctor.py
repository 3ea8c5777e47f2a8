"""``helpdesk-bot doctor``: is this installation able to run? Each check says OK, WARN or FAIL,
what is wrong and how to fix it.

Checks: the configuration; each mailbox (IMAP: connect, TLS, login, folder, IDLE; Maildir: the
directory is writable); SMTP (connect, STARTTLS or SSL, login) or the outbox directory; the
database (opens, migrations applied, writable); tesseract and its ``ind`` language; the rules.
Nothing is changed: no mail is read or sent, the database is opened read-only (immutable) and
not migrated, so running it as root leaves no root-owned file behind.
"""

from __future__ import annotations

import os
import sqlite3
import ssl
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .config import Config, ConfigError, MailboxConfig, load


@dataclass
class Check:
    name: str
    status: str  # OK, WARN, FAIL
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"{self.status:<4} {self.name}: {self.detail}"
        if self.fix and self.status != "OK":
            text += f"\n       fix: {self.fix}"
        return text


def run_checks(config_path: str | None, timeout: float = 10.0) -> list[Check]:
    try:
        config = load(config_path)
    except ConfigError as e:
        return [Check("config", "FAIL", str(e), "correct the key named above (config.example.toml documents every key)")]
    out = [Check("config", "OK", f"{config.source} ({len(config.mailbox)} mailbox(es), smtp kind {config.smtp.kind})")]
    for mb in config.mailbox:
        out += check_mailbox(mb, config, timeout)
    out.append(check_smtp(config, timeout))
    out += check_database(config)
    out += check_tesseract()
    out.append(check_rules(config))
    out.append(check_trust(config))
    out.append(check_holidays(config))
    return out


def check_holidays(config: Config, today: "date | None" = None) -> Check:
    """Next year's cuti bersama must be known, or the office would count them as working days.

    The decree comes late in the year and an old ``holidays`` package knows nothing of it: a
    Pokja's acknowledgement would then promise work on a day the office is closed.
    """
    import datetime as dt

    import holidays

    today = today or dt.date.today()
    year = today.year + 1
    categories = tuple(c for c in config.working_hours.holiday_categories if c != "public") or ("government",)
    try:
        known = holidays.country_holidays("ID", years=year, categories=categories, language="id")
    except Exception as e:  # an old package without the category
        known, why = {}, f"{type(e).__name__}: {e}"
    else:
        why = ""
    local = [d for d in config.working_hours.closed_dates if d.startswith(f"{year}-")]
    if known or local:
        return Check("holidays", "OK", f"holidays {holidays.__version__}: {len(known)} cuti bersama day(s) of {year} "
                     f"known, {len(local)} local closed date(s)")
    return Check("holidays", "WARN", f"holidays {holidays.__version__} knows no cuti bersama for {year} {why}".strip(),
                 f"pip install -U holidays, or list {year}'s cuti bersama in [working_hours] closed_dates")


def check_trust(config: Config) -> Check:
    """Without a trusted authserv-id no Authentication-Results counts: no staff command is
    accepted (except through a trusted relay) and DMARC failures are not seen."""
    ids = config.screening.trusted_authserv_ids
    if not ids:
        return Check("trust", "WARN", "[screening] trusted_authserv_ids is empty: no Authentication-Results is "
                     "trusted, so staff commands by mail are all rejected" +
                     ("" if not config.staff.trusted_relays else " unless they come through a trusted relay"),
                     "set it to the authserv-id your receiving server writes (the first word of its "
                     "Authentication-Results header); see THREATS.md")
    hosts = config.screening.receiving_hosts or ids
    return Check("trust", "OK", f"authserv-ids {', '.join(ids)}; our receiving hosts {', '.join(hosts)}; "
                 f"{len(config.staff.addresses)} staff address(es), {len(config.staff.trusted_relays)} trusted relay(s)")


# ---------------------------------------------------------------------------------------------
# Secrets


def _secret(what: str, read: Callable[[], str], key_prefix: str) -> tuple[str | None, Check | None]:
    try:
        return read(), None
    except OSError as e:
        return None, Check(what, "FAIL", f"{key_prefix}.password_file cannot be read: {e.strerror or e} ({getattr(e, 'filename', '')})",
                           "create the file (mode 0600, owned by the service user), or with systemd pass it with "
                           "LoadCredential= and set password_file = \"${CREDENTIALS_DIRECTORY}/<name>\"")


# ---------------------------------------------------------------------------------------------
# Mailboxes


def check_mailbox(mb: MailboxConfig, config: Config, timeout: float) -> list[Check]:
    name = f"mailbox {mb.name}"
    if mb.kind == "maildir":
        return [_writable_dir(name, config.resolve(mb.path), "Maildir",
                              f"create it or fix its owner/permissions (mailbox {mb.name} path = {mb.path!r})")]
    password, bad = _secret(name, mb.secret, f"mailbox {mb.name}")
    if bad:
        return [bad]
    return [_check_imap(name, mb, password or "", timeout)]


def _check_imap(name: str, mb: MailboxConfig, password: str, timeout: float) -> Check:
    from imapclient import IMAPClient
    from imapclient.exceptions import LoginError

    from .sources.imap import ssl_context

    where = f"{mb.host}:{mb.port} ({mb.security})"
    try:
        ctx = ssl_context(mb.tls_verify, mb.ca_file) if mb.security in ("ssl", "starttls") else None
        client = IMAPClient(mb.host, port=mb.port, ssl=mb.security == "ssl", ssl_context=ctx, timeout=timeout)
    except ssl.SSLError as e:
        return Check(name, "FAIL", f"TLS handshake with {where} failed: {e}",
                     "check security (\"ssl\" for port 993, \"starttls\" or \"none\" for 143) and the certificate "
                     "(ca_file, or tls_verify = false for a test server only)")
    except (OSError, Exception) as e:
        return Check(name, "FAIL", f"cannot connect to {where}: {type(e).__name__}: {e}",
                     "check host and port, that the server runs, and that no firewall blocks the port")
    try:
        if mb.security == "starttls":
            try:
                client.starttls(ctx)
            except Exception as e:
                return Check(name, "FAIL", f"STARTTLS on {where} failed: {type(e).__name__}: {e}",
                             "use security = \"ssl\" or \"none\" as the server offers, or fix ca_file / tls_verify")
        try:
            client.login(mb.username, password)
        except LoginError as e:
            return Check(name, "FAIL", f"IMAP login as {mb.username!r} on {where} refused: {_text(e)}",
                         "check username and the password (password_file / password_env)")
        if not client.folder_exists(mb.folder):
            return Check(name, "FAIL", f"logged in as {mb.username!r} on {where}, but folder {mb.folder!r} does not exist",
                         f"set folder to an existing folder (the server has: {', '.join(sorted(f[2] for f in client.list_folders())[:10])})")
        idle = b"IDLE" in client.capabilities()
        detail = f"{where}, logged in as {mb.username!r}, folder {mb.folder!r} exists, IDLE {'supported' if idle else 'NOT supported'}"
        if not idle and mb.idle:
            return Check(name, "WARN", detail, f"the daemon will poll every {mb.poll_interval:g} s; lower poll_interval for faster answers")
        return Check(name, "OK", detail)
    except Exception as e:
        return Check(name, "FAIL", f"IMAP error on {where}: {type(e).__name__}: {e}", "see the error; check the server's log")
    finally:
        try:
            client.logout()
        except Exception:
            pass


def _text(e: Exception) -> str:
    s = str(e)
    return s.decode(errors="replace") if isinstance(s, bytes) else s


def _writable_dir(name: str, path: Path, what: str, fix: str) -> Check:
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        return Check(name, "FAIL", f"{what} {path}: {probe} is not a directory", fix)
    try:
        fd, tmp = tempfile.mkstemp(dir=probe, prefix=".doctor-")
        os.close(fd)
        os.unlink(tmp)
    except OSError as e:
        return Check(name, "FAIL", f"{what} {path} is not writable ({probe}: {e.strerror or e})", fix)
    state = "exists" if path.exists() else f"will be created (in {probe})"
    return Check(name, "OK", f"{what} {path} {state}, writable")


# ---------------------------------------------------------------------------------------------
# SMTP


def check_smtp(config: Config, timeout: float) -> Check:
    smtp = config.smtp
    if smtp.kind == "directory":
        return _writable_dir("smtp", config.resolve(smtp.path), "outbox directory",
                             "create it or fix its owner/permissions (smtp.path)")
    password, bad = _secret("smtp", smtp.secret, "smtp")
    if bad:
        return bad
    import asyncio

    return asyncio.run(_check_smtp(config, password or "", timeout))


async def _check_smtp(config: Config, password: str, timeout: float) -> Check:
    import aiosmtplib

    from .outbox import _tls_context

    c = config.smtp
    where = f"{c.host}:{c.port} ({c.security})"
    client = aiosmtplib.SMTP(hostname=c.host, port=c.port, timeout=timeout, use_tls=c.security == "ssl",
                             start_tls=False, tls_context=_tls_context(c) if c.security != "none" else None)
    try:
        await client.connect()
    except ssl.SSLError as e:
        return Check("smtp", "FAIL", f"TLS handshake with {where} failed: {e}",
                     "check security (\"ssl\" for 465, \"starttls\" for 587) and the certificate (ca_file / tls_verify)")
    except (OSError, aiosmtplib.SMTPException, TimeoutError) as e:
        return Check("smtp", "FAIL", f"cannot connect to {where}: {type(e).__name__}: {e}",
                     "check smtp.host and smtp.port, that the server runs, and that no firewall blocks the port")
    try:
        steps = ["connected"]
        if c.security == "starttls":
            try:
                await client.starttls()
                steps.append("STARTTLS")
            except (aiosmtplib.SMTPException, ssl.SSLError, OSError) as e:
                return Check("smtp", "FAIL", f"STARTTLS on {where} failed: {type(e).__name__}: {e}",
                             "use security = \"ssl\" or \"none\" as the server offers, or fix ca_file / tls_verify")
        elif c.security == "ssl":
            steps.append("SSL")
        if c.username:
            try:
                await client.login(c.username, password)
                steps.append(f"logged in as {c.username!r}")
            except aiosmtplib.SMTPAuthenticationError as e:
                return Check("smtp", "FAIL", f"SMTP login as {c.username!r} on {where} refused: {e.code} {e.message}",
                             "check smtp.username and the password (password_file / password_env)")
            except aiosmtplib.SMTPException as e:
                return Check("smtp", "FAIL", f"SMTP login on {where} failed: {type(e).__name__}: {e}",
                             "the server may not offer AUTH on this connection: use STARTTLS or SSL, or leave username empty")
        else:
            steps.append("no login (smtp.username is empty)")
        return Check("smtp", "OK", f"{where}: {', '.join(steps)}")
    finally:
        try:
            await client.quit()
        except Exception:
            client.close()


# ---------------------------------------------------------------------------------------------
# Database


def check_database(config: Config) -> list[Check]:
    from .store import inspect_database

    path = config.resolve(config.storage.database)
    fix = "fix the owner/permissions of the database and its directory (storage.database), or restore a backup"
    if not path.exists():
        return [_writable_dir("database", path.parent, "database directory", fix + "; the daemon creates the file at start")]
    if not (os.access(path, os.R_OK | os.W_OK) and os.access(path.parent, os.W_OK)):
        return [Check("database", "FAIL", f"{path} or its directory is not writable by this user (SQLite needs the "
                      "directory for its -wal and -shm files)", fix)]
    try:
        state = inspect_database(path)
    except sqlite3.Error as e:
        return [Check("database", "FAIL", f"{path} cannot be read as a database: {e}", fix)]
    if state.integrity != "ok":
        return [Check("database", "FAIL", f"{path} is damaged: {state.integrity}", "restore a backup")]
    pending, unknown, tickets = state.pending, state.unknown, state.tickets
    if unknown:
        return [Check("database", "WARN", f"{path}: migrations {unknown} are newer than this version of helpdesk-bot",
                      "upgrade helpdesk-bot, or restore a backup made by this version")]
    if pending:
        return [Check("database", "WARN", f"{path}: migrations {pending} not applied yet",
                      "they are applied when the daemon next starts (helpdesk-bot run)")]
    return [Check("database", "OK", f"{path}: opens, writable, {len(state.applied)} migration(s) applied, {tickets} ticket(s)")]


# ---------------------------------------------------------------------------------------------
# Tesseract


def check_tesseract() -> list[Check]:
    try:
        import pytesseract

        version = pytesseract.get_tesseract_version()
        langs = set(pytesseract.get_languages(config=""))
    except Exception as e:
        return [Check("tesseract", "FAIL", f"tesseract is not usable: {type(e).__name__}: {e}",
                      "apt-get install tesseract-ocr tesseract-ocr-ind (scanned forms cannot be read without it)")]
    if "ind" not in langs:
        return [Check("tesseract", "FAIL", f"tesseract {version} has no 'ind' language (has: {', '.join(sorted(langs))})",
                      "apt-get install tesseract-ocr-ind")]
    return [Check("tesseract", "OK", f"tesseract {version}, languages {', '.join(sorted(langs))}")]


# ---------------------------------------------------------------------------------------------
# Rules


def check_rules(config: Config) -> Check:
    from .explain import render_all_templates
    from .reload import load_for, ruleset_dirs
    from .ruleset import RuleSetError

    dirs = ", ".join(map(str, ruleset_dirs(config)))
    try:
        rules = load_for(config)
    except RuleSetError as e:
        return Check("rules", "FAIL", f"{len(e.problems)} problem(s): " + "; ".join(e.problems[:5]),
                     "run helpdesk-bot rules check, fix each file:line it names")
    bad = [r for r in render_all_templates(config, rules) if r.status == "error"]
    if bad:
        return Check("rules", "FAIL", f"template {bad[0].template} does not render: {bad[0].detail}",
                     "run helpdesk-bot rules check")
    return Check("rules", "OK", f"{len(rules.types)} request types, {len(rules.forms)} documents from {dirs} (version {rules.version})")

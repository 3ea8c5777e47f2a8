"""Configuration: TOML files loaded into frozen dataclasses, validated at load.

Every error names the file, the key and what was expected, because an operator reading a
journal line at night should not have to guess which of three files is wrong.

The loader is generic: each dataclass field's type annotation is the schema, so adding a key
means adding a field with its default (and a line in config.example.toml).
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import importlib.resources
import os
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
#: The source tree's root (systemd/, tests/); meaningless in an installed wheel.
PROJECT_ROOT = PACKAGE_DIR.parent
#: The shipped defaults, package data inside helpdesk_bot/ (so a wheel carries them).
RESOURCE_NAMES = ("rules", "forms", "templates", "examples")

_resource_files = contextlib.ExitStack()
atexit.register(_resource_files.close)


def shipped(name: str) -> Path:
    """The shipped copy of rules/, forms/, templates/ or examples/ as a real directory.

    Found with importlib.resources so that it works from a wheel as well as a source tree; a
    zipped install is extracted once for the life of the process (the loaders need paths).
    """
    if name not in RESOURCE_NAMES:
        raise ValueError(f"not a shipped resource: {name!r}")
    return Path(_resource_files.enter_context(importlib.resources.as_file(
        importlib.resources.files("helpdesk_bot") / name)))


class ConfigError(Exception):
    """A configuration value is wrong. ``str()`` reads ``file: key: expected ..., got ...``."""

    def __init__(self, file: str | os.PathLike[str], key: str, message: str):
        self.file = str(file)
        self.key = key
        self.message = message
        super().__init__(f"{self.file}: {key}: {message}")


@dataclass(frozen=True)
class StorageConfig:
    database: str = "var/helpdesk.db"
    #: Attachments kept for staff, mode 0600 in a 0700 directory.
    attachments: str = "var/attachments"
    #: Days after a ticket closes before its attachments and extracted text are purged.
    retention_days: int = 90


@dataclass(frozen=True)
class PathsConfig:
    rules: str = "rules"
    forms: str = "forms"
    templates: str = "templates"


@dataclass(frozen=True)
class MailboxConfig:
    name: str = ""
    address: str = ""
    kind: str = "maildir"
    host: str = ""
    port: int = 993
    security: str = "ssl"
    username: str = ""
    password: str = ""
    password_file: str = ""
    password_env: str = ""
    folder: str = "INBOX"
    path: str = ""
    #: Use IMAP IDLE when the server offers it; otherwise (or when false) poll.
    idle: bool = True
    #: Seconds between polls when IDLE is off or not offered.
    poll_interval: float = 60.0
    #: IDLE is re-issued after this many seconds (RFC 2177 says servers may drop at 30 min).
    idle_timeout: float = 1740.0
    #: Sent mail is appended here so staff see whole conversations ("" disables).
    sent_folder: str = "Sent"
    #: Quarantined messages are moved here ("" leaves them in the folder).
    quarantine_folder: str = ""
    #: Verify the server certificate (turn off only for a test server).
    tls_verify: bool = True
    #: CA file for a private certificate authority.
    ca_file: str = ""

    def secret(self) -> str:
        return _read_secret(self.password, self.password_file, self.password_env)


@dataclass(frozen=True)
class SmtpConfig:
    kind: str = "directory"
    host: str = ""
    port: int = 587
    security: str = "starttls"
    username: str = ""
    password: str = ""
    password_file: str = ""
    password_env: str = ""
    from_address: str = "helpdesk@lpse.jabarprov.go.id"
    from_name: str = "Helpdesk LPSE Provinsi Jawa Barat"
    path: str = "var/outbox"
    timeout: float = 30.0
    #: Attempts before an outbox entry is given up and shown to staff.
    max_attempts: int = 12
    #: First retry delay in seconds; doubles each attempt, capped at 1 hour.
    retry_base: float = 30.0
    tls_verify: bool = True
    ca_file: str = ""

    def secret(self) -> str:
        return _read_secret(self.password, self.password_file, self.password_env)


@dataclass(frozen=True)
class HelpdeskConfig:
    name: str = "LPSE Provinsi Jawa Barat"
    #: Prefix of the human ticket ids, e.g. HD-2026-00042.
    ticket_prefix: str = "HD"
    #: Domain of the Message-IDs the daemon creates.
    message_id_domain: str = "lpse.jabarprov.go.id"
    #: Addresses the daemon never answers (its own, besides every mailbox address).
    own_addresses: tuple[str, ...] = ()
    timezone: str = "Asia/Jakarta"
    #: Groups of one agency's addresses that count as one requester: mail from any of them
    #: may follow up on, confirm and receive the data of a ticket opened by another.
    requester_aliases: tuple[tuple[str, ...], ...] = ()
    #: First line of the signature under every reply (the team).
    signature: str = "Helpdesk LPSE Provinsi Jawa Barat"
    #: The letterhead under it: the Balai's name, address, phone and website, as on its letters.
    office: str = "Balai Layanan Pengadaan Secara Elektronik Provinsi Jawa Barat"
    address: str = ""
    phone: str = ""
    website: str = "https://lpse.jabarprov.go.id"

    @property
    def letterhead(self) -> tuple[str, ...]:
        """The signature block, line by line, without the empty parts."""
        phone = f"Telepon {self.phone}" if self.phone else ""
        return tuple(x for x in (self.signature, self.office, self.address, phone, self.website) if x)


@dataclass(frozen=True)
class SpecialHours:
    """Date-ranged hours (Ramadan), weekday -> list of "HH:MM-HH:MM" spans."""

    name: str = ""
    start: str = ""
    end: str = ""
    monday: tuple[str, ...] = ()
    tuesday: tuple[str, ...] = ()
    wednesday: tuple[str, ...] = ()
    thursday: tuple[str, ...] = ()
    friday: tuple[str, ...] = ()
    saturday: tuple[str, ...] = ()
    sunday: tuple[str, ...] = ()


def _ramadan(name: str, start: str, end: str) -> SpecialHours:
    week = ("06:30-14:00",)
    return SpecialHours(name=name, start=start, end=end, monday=week, tuesday=week, wednesday=week,
                        thursday=week, friday=("06:30-14:30",))


#: Ramadan office hours (DOMAIN.md: 2025, Mon-Thu 06.30-14.00, Fri 06.30-14.30). 1447 H began on
#: 19 February 2026 (government's isbat) and ended on 19 March 2026; its hours are assumed equal to
#: 2025's until confirmed by the province's circular (Surat Edaran Gubernur) for that year.
RAMADAN: tuple[SpecialHours, ...] = (
    _ramadan("Ramadan 1446 H", "2025-03-01", "2025-03-30"),
    _ramadan("Ramadan 1447 H (jam kerja menunggu konfirmasi surat edaran Gubernur)", "2026-02-19", "2026-03-19"),
)


@dataclass(frozen=True)
class WorkingHoursConfig:
    """Office hours per weekday as spans; a break is the gap between two spans."""

    monday: tuple[str, ...] = ("07:30-12:00", "13:00-16:00")
    tuesday: tuple[str, ...] = ("07:30-12:00", "13:00-16:00")
    wednesday: tuple[str, ...] = ("07:30-12:00", "13:00-16:00")
    thursday: tuple[str, ...] = ("07:30-12:00", "13:00-16:00")
    friday: tuple[str, ...] = ("07:30-11:30", "13:30-16:30")
    saturday: tuple[str, ...] = ()
    sunday: tuple[str, ...] = ()
    #: Holiday categories of the `holidays` package: public, and government = cuti bersama.
    holiday_categories: tuple[str, ...] = ("public", "government")
    #: Extra closed dates (YYYY-MM-DD), for decrees newer than the holidays package.
    closed_dates: tuple[str, ...] = ()
    #: Extra open dates (YYYY-MM-DD) that the package lists as holidays.
    open_dates: tuple[str, ...] = ()
    #: Date-ranged hours; by default the Ramadan hours the province published (see RAMADAN).
    special: tuple[SpecialHours, ...] = field(default_factory=lambda: RAMADAN)


@dataclass(frozen=True)
class LimitsConfig:
    max_mail_bytes: int = 40 * 1024 * 1024
    max_attachment_bytes: int = 25 * 1024 * 1024
    max_attachments: int = 30
    #: Pages read per PDF; also the most pages a Word file is cut into (the rest joins the last).
    max_pdf_pages: int = 20
    #: What a PDF's content streams (not its images) may inflate to in all, checked before the
    #: PDF is opened; a 500-page text PDF needs about 25 MiB.
    max_pdf_inflated_bytes: int = 64 * 1024 * 1024
    #: Pages of a scanned PDF that are OCRed (forms put their title on page 1).
    #: Scanned pages OCRed per PDF: each page may start another document (one scan of a whole
    #: "bergabung" file holds four), at about 0.4-0.6 s a page.
    max_ocr_pages: int = 6
    ocr_seconds_per_page: float = 20.0
    ocr_seconds_per_mail: float = 60.0
    zip_max_depth: int = 3
    zip_max_members: int = 100
    zip_max_total_bytes: int = 100 * 1024 * 1024
    zip_max_ratio: float = 100.0


@dataclass(frozen=True)
class WorkersConfig:
    """The processes that analyse mail (parse, screen, extract, classify), each mail under limits.

    A mail whose analysis overruns ``timeout_seconds`` of wall time, or needs more than
    ``memory_mb`` of address space, has its worker killed and replaced; it is tried once more
    (the machine may just have been busy) and then quarantined with reason ``timeout`` or ``memory``.
    """

    #: Worker processes; 0 = one per CPU core.
    count: int = 0
    #: Wall time one mail's analysis may take; above limits.ocr_seconds_per_mail (OCR's own cap).
    timeout_seconds: float = 120.0
    #: Address space (RLIMIT_AS) of a worker, in MiB; 0 = no limit.
    memory_mb: int = 2048


@dataclass(frozen=True)
class ScreeningConfig:
    #: Automatic replies to one sender per hour and per day.
    per_sender_per_hour: int = 5
    per_sender_per_day: int = 20
    #: Automatic replies overall per hour.
    overall_per_hour: int = 300
    #: When DMARC fails for the From domain, do not answer (avoids backscatter to forged senders).
    no_reply_on_dmarc_fail: bool = True
    #: authserv-ids of our own receiving server, whose Authentication-Results are trusted (the
    #: topmost one with such an id); empty trusts none, so no staff command is accepted.
    trusted_authserv_ids: tuple[str, ...] = ()
    #: Our hosts that write Received fields (MX, content filter), as they name themselves in
    #: "by" and, for internal hops, in "from"; empty = the authserv-ids. Trusted relays are
    #: matched against the hop that handed the mail to these hosts.
    receiving_hosts: tuple[str, ...] = ()


@dataclass(frozen=True)
class StaffConfig:
    addresses: tuple[str, ...] = ()
    #: Relays whose mail counts as authenticated: host name, domain, IP or network of the hop
    #: that handed the mail to our server (the "from" of the Received field our server wrote).
    trusted_relays: tuple[str, ...] = ()
    #: Staff commands always need an aligned pass or a trusted relay; false is refused at load.
    require_authentication: bool = True


@dataclass(frozen=True)
class DigestConfig:
    recipients: tuple[str, ...] = ()
    #: Local time (WIB) on working days.
    time: str = "07:00"
    #: Rows shown per section; the rest is counted ("dan 12 lainnya") so the mail stays readable.
    max_rows: int = 15
    #: Days ahead for which office closures (holidays, cuti bersama) are listed.
    closures_days: int = 14


@dataclass(frozen=True)
class ReportConfig:
    """The monthly report (report.py): who gets it by mail, and when."""

    #: Addresses that receive the previous month's report by mail; empty: no monthly mail.
    recipients: tuple[str, ...] = ()
    #: Sent on the first working day on or after this day of the month (1-28)...
    day: int = 1
    #: ...at or after this local time.
    time: str = "07:00"
    #: Names for requester domains, "domain = name" (e.g. "bandungkab.go.id = Pemerintah Kabupaten Bandung").
    agency_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class MetricsConfig:
    """Prometheus metrics (metrics.py) over HTTP from the running daemon."""

    #: "127.0.0.1:9464" serves /metrics there; empty: off.
    listen: str = ""
    #: Listening on an address other than loopback needs this (the metrics name mailboxes and counts).
    allow_remote: bool = False


@dataclass(frozen=True)
class RemindersConfig:
    #: Working hours between password-change reminders.
    interval_hours: float = 8.0
    max_count: int = 3


@dataclass(frozen=True)
class LoggingConfig:
    level: str = "info"
    #: "auto" = readable on a terminal, JSON lines otherwise; or "json" / "console".
    format: str = "auto"


@dataclass(frozen=True)
class Config:
    source: str = "<embedded default>"
    base_dir: str = "."
    storage: StorageConfig = field(default_factory=StorageConfig)
    paths: PathsConfig = field(default_factory=PathsConfig)
    mailbox: tuple[MailboxConfig, ...] = ()
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    helpdesk: HelpdeskConfig = field(default_factory=HelpdeskConfig)
    working_hours: WorkingHoursConfig = field(default_factory=WorkingHoursConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    workers: WorkersConfig = field(default_factory=WorkersConfig)
    screening: ScreeningConfig = field(default_factory=ScreeningConfig)
    staff: StaffConfig = field(default_factory=StaffConfig)
    digest: DigestConfig = field(default_factory=DigestConfig)
    reminders: RemindersConfig = field(default_factory=RemindersConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)

    def resolve(self, path: str) -> Path:
        """A path from the config, relative to the config file's directory."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else Path(self.base_dir) / p

    def resource_dir(self, path: str) -> Path:
        """rules/, forms/ or templates/: the operator's copy relative to the config if it
        exists, else the copy shipped in the package (so `pip install` alone runs)."""
        p = self.resolve(path)
        if p.exists() or Path(path).is_absolute():
            return p
        return shipped(path) if path in RESOURCE_NAMES else p

    @property
    def own_addresses(self) -> frozenset[str]:
        addrs = {a.lower() for a in self.helpdesk.own_addresses}
        addrs.update(m.address.lower() for m in self.mailbox if m.address)
        addrs.add(self.smtp.from_address.lower())
        return frozenset(addrs)


# --------------------------------------------------------------------------------------------
# Generic validation


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is tuple:
        (inner, *_rest) = typing.get_args(tp)
        return f"a list of {_type_name(inner)}"
    if dataclasses.is_dataclass(tp):
        return "a table"
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false"}.get(
        tp, str(tp)
    )


def _convert(tp: Any, value: Any, file: str, key: str) -> Any:
    origin = typing.get_origin(tp)
    if origin is tuple:
        (inner, *_rest) = typing.get_args(tp)
        if dataclasses.is_dataclass(inner) and isinstance(value, dict):
            value = [value]
        if not isinstance(value, list):
            raise ConfigError(file, key, f"expected {_type_name(tp)}, got {value!r}")
        return tuple(_convert(inner, v, file, f"{key}[{i}]") for i, v in enumerate(value))
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(file, key, f"expected a table, got {value!r}")
        return build(tp, value, file, key)
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(file, key, f"expected true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(file, key, f"expected an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(file, key, f"expected a number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(file, key, f"expected a string, got {value!r}")
        return value
    raise ConfigError(file, key, f"unsupported type {tp}")  # pragma: no cover


def build(cls: type, table: dict[str, Any], file: str, prefix: str = "") -> Any:
    """Build dataclass ``cls`` from a TOML table; unknown keys and wrong types are errors."""
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in table.items():
        full = f"{prefix}.{key}" if prefix else key
        if key not in names or key in ("source", "base_dir"):
            known = ", ".join(sorted(n for n in names if n not in ("source", "base_dir")))
            raise ConfigError(file, full, f"unknown key (known keys: {known})")
        kwargs[key] = _convert(hints[key], value, file, full)
    return cls(**kwargs)


def _require_choice(file: str, key: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(file, key, f"expected one of {', '.join(map(repr, choices))}, got {value!r}")


def _validate(cfg: Config) -> None:
    f = cfg.source
    names: set[str] = set()
    for i, mb in enumerate(cfg.mailbox):
        k = f"mailbox[{i}]"
        if not mb.name:
            raise ConfigError(f, f"{k}.name", "expected a non-empty name")
        if mb.name in names:
            raise ConfigError(f, f"{k}.name", f"expected a unique name, {mb.name!r} is used twice")
        names.add(mb.name)
        if "@" not in mb.address:
            raise ConfigError(f, f"{k}.address", f"expected an email address, got {mb.address!r}")
        _require_choice(f, f"{k}.kind", mb.kind, ("imap", "maildir"))
        if mb.kind == "imap":
            _require_choice(f, f"{k}.security", mb.security, ("ssl", "starttls", "none"))
            if not mb.host:
                raise ConfigError(f, f"{k}.host", "expected a host name for kind = \"imap\"")
            if not mb.username:
                raise ConfigError(f, f"{k}.username", "expected a user name for kind = \"imap\"")
        elif not mb.path:
            raise ConfigError(f, f"{k}.path", "expected a Maildir path for kind = \"maildir\"")
        if not 1 <= mb.port <= 65535:
            raise ConfigError(f, f"{k}.port", f"expected a port 1-65535, got {mb.port}")
    _require_choice(f, "smtp.kind", cfg.smtp.kind, ("smtp", "directory"))
    if cfg.smtp.kind == "smtp":
        _require_choice(f, "smtp.security", cfg.smtp.security, ("ssl", "starttls", "none"))
        if not cfg.smtp.host:
            raise ConfigError(f, "smtp.host", "expected a host name for kind = \"smtp\"")
    if "@" not in cfg.smtp.from_address:
        raise ConfigError(f, "smtp.from_address", f"expected an email address, got {cfg.smtp.from_address!r}")
    _require_choice(f, "logging.format", cfg.logging.format, ("auto", "json", "console"))
    _require_choice(f, "logging.level", cfg.logging.level, ("debug", "info", "warning", "error"))
    try:
        import zoneinfo

        zoneinfo.ZoneInfo(cfg.helpdesk.timezone)
    except Exception:
        raise ConfigError(f, "helpdesk.timezone", f"expected an IANA time zone, got {cfg.helpdesk.timezone!r}")
    _validate_hours(cfg)
    _validate_trust(cfg)
    _validate_workers(cfg)


def _validate_trust(cfg: Config) -> None:
    """Staff commands are never accepted unproven; relays and hosts must be usable patterns."""
    f = cfg.source
    if not cfg.staff.require_authentication:
        raise ConfigError(f, "staff.require_authentication",
                          "expected true: staff commands always need an aligned authentication pass or a "
                          "trusted relay (THREATS.md); remove the key")
    for i, group in enumerate(cfg.helpdesk.requester_aliases):
        if len(group) < 2 or any("@" not in a for a in group):
            raise ConfigError(f, f"helpdesk.requester_aliases[{i}]",
                              f"expected a list of two or more email addresses, got {list(group)!r}")
    for key, values in (("staff.trusted_relays", cfg.staff.trusted_relays),
                        ("screening.receiving_hosts", cfg.screening.receiving_hosts),
                        ("screening.trusted_authserv_ids", cfg.screening.trusted_authserv_ids)):
        for v in values:
            if not v.strip() or any(c.isspace() for c in v.strip()) or "@" in v:
                raise ConfigError(f, key, f"expected host names, domains or IP addresses, got {v!r}")


def _validate_workers(cfg: Config) -> None:
    w = cfg.workers
    if not 0 <= w.count <= 256:
        raise ConfigError(cfg.source, "workers.count", f"expected 0 (one per core) to 256 processes, got {w.count}")
    if not w.timeout_seconds > 0:
        raise ConfigError(cfg.source, "workers.timeout_seconds", f"expected a number of seconds > 0, got {w.timeout_seconds}")
    if w.memory_mb != 0 and w.memory_mb < 256:
        raise ConfigError(cfg.source, "workers.memory_mb",
                          f"expected 0 (no limit) or at least 256 MiB (Python and the PDF libraries need it), got {w.memory_mb}")


def _validate_hours(cfg: Config) -> None:
    import datetime as dt
    import re

    span = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
    days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

    def check_spans(prefix: str, obj: Any) -> None:
        for day in days:
            for s in getattr(obj, day):
                m = span.match(s)
                if not m or not (int(m[1]) * 60 + int(m[2]) < int(m[3]) * 60 + int(m[4]) <= 24 * 60):
                    raise ConfigError(cfg.source, f"{prefix}.{day}", f'expected spans like "07:30-12:00", got {s!r}')

    def check_date(key: str, value: str) -> None:
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise ConfigError(cfg.source, key, f"expected a date YYYY-MM-DD, got {value!r}")

    wh = cfg.working_hours
    check_spans("working_hours", wh)
    for key in ("closed_dates", "open_dates"):
        for v in getattr(wh, key):
            check_date(f"working_hours.{key}", v)
    for i, sp in enumerate(wh.special):
        check_spans(f"working_hours.special[{i}]", sp)
        check_date(f"working_hours.special[{i}].start", sp.start)
        check_date(f"working_hours.special[{i}].end", sp.end)
    if not span.match(cfg.digest.time + "-23:59") and cfg.digest.time != "":
        raise ConfigError(cfg.source, "digest.time", f'expected a time like "07:00", got {cfg.digest.time!r}')
    _validate_report(cfg)


def _validate_report(cfg: Config) -> None:
    import ipaddress
    import re

    r = cfg.report
    if not 1 <= r.day <= 28:
        raise ConfigError(cfg.source, "report.day", f"expected a day of the month 1-28, got {r.day}")
    if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", r.time):
        raise ConfigError(cfg.source, "report.time", f'expected a time like "07:00", got {r.time!r}')
    for a in r.recipients:
        if "@" not in a:
            raise ConfigError(cfg.source, "report.recipients", f"expected email addresses, got {a!r}")
    for entry in r.agency_names:
        domain, sep, name = entry.partition("=")
        if not sep or not domain.strip() or not name.strip() or " " in domain.strip():
            raise ConfigError(cfg.source, "report.agency_names", f'expected "domain = name", got {entry!r}')
    if cfg.metrics.listen:
        host, sep, port = cfg.metrics.listen.rpartition(":")
        host = host.strip("[]")
        if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise ConfigError(cfg.source, "metrics.listen", f'expected "host:port" like "127.0.0.1:9464", got {cfg.metrics.listen!r}')
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback and not cfg.metrics.allow_remote:
            raise ConfigError(cfg.source, "metrics.listen", f"expected a loopback address (127.0.0.1, ::1 or localhost), "
                              f"got {host!r}; set metrics.allow_remote = true to listen elsewhere")


def _read_secret(password: str, password_file: str, password_env: str) -> str:
    if password_file:
        # "${CREDENTIALS_DIRECTORY}/imap.secret": systemd's LoadCredential= (see systemd/).
        return Path(os.path.expandvars(password_file)).read_text(encoding="utf-8").strip()
    if password_env:
        return os.environ.get(password_env, "")
    return password


def embedded_default(base_dir: str | Path = ".") -> Config:
    """Maildir in, SQLite, replies written as .eml files: runs with nothing but the repo."""
    cfg = Config(
        source="<embedded default>",
        base_dir=str(base_dir),
        mailbox=(
            MailboxConfig(name="helpdesk", address="helpdesk@lpse.jabarprov.go.id", kind="maildir",
                          path="var/maildir/helpdesk"),
            MailboxConfig(name="info", address="info@lpse.jabarprov.go.id", kind="maildir",
                          path="var/maildir/info"),
        ),
    )
    _validate(cfg)
    return cfg


def load(path: str | os.PathLike[str] | None = None) -> Config:
    """Load ``path``; with None, ``config.toml`` in the working directory, else the default."""
    if path is None:
        if Path("config.toml").exists():
            path = "config.toml"
        else:
            return embedded_default()
    file = str(path)
    try:
        raw = Path(file).read_bytes()
    except OSError as e:
        raise ConfigError(file, "(file)", f"cannot be read: {e.strerror or e}")
    try:
        table = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(file, "(syntax)", f"expected valid TOML: {e}")
    cfg = build(Config, table, file)
    cfg = dataclasses.replace(cfg, source=file, base_dir=str(Path(file).resolve().parent))
    if not cfg.mailbox:
        raise ConfigError(file, "mailbox", "expected at least one [[mailbox]] table")
    _validate(cfg)
    return cfg


__all__ = ["Config", "ConfigError", "load", "embedded_default", "build"]

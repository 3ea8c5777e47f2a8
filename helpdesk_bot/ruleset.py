"""Operators' classification files, compiled: forms/*.toml (documents) and rules/*.toml
(request types), plus the templates the rules name.

Loading is all-or-nothing: ``load_ruleset`` either returns a complete, cross-checked RuleSet
or raises RuleSetError listing every problem as ``file:line: message``. That is what lets the
daemon reload on SIGHUP and keep the last good set when an edit is broken.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Field kinds with a dedicated extractor/validator in fields.py.
FIELD_KINDS = ("text", "kode_tender", "nip", "phone", "email", "tahapan", "date")


class RuleSetError(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class FieldSpec:
    name: str
    labels: tuple[str, ...]
    kind: str = "text"


@dataclass(frozen=True)
class FormSpec:
    id: str
    name: str
    titles: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    filenames: tuple[re.Pattern[str], ...]
    fields: tuple[FieldSpec, ...] = ()
    #: Regexes matched only against a letter's subject line (Perihal/Hal): how a letter is
    #: recognised when its subject does not repeat the document's title word for word.
    subjects: tuple[re.Pattern[str], ...] = ()
    #: Regexes over the document's own pages that show it is a different document with the same
    #: words: a supplier's letter asking to reset *its own* SPSE password is no Administrator
    #: Agency's reset letter. A recognition whose pages match one is dropped.
    excludes: tuple[re.Pattern[str], ...] = ()
    #: A blank form shipped with the project, attached when the document is missing.
    blank_form: str = ""
    #: The document carries the Administrator Agency data the SLA asks for (name, NIP, phone,
    #: email): once it arrives for a type with ``admin_data``, the reply names what it lacks.
    admin_data: bool = False
    source: str = ""


@dataclass(frozen=True)
class RequestType:
    id: str
    name: str
    required: tuple[str, ...]
    triggers: tuple[str, ...]
    keywords: tuple[re.Pattern[str], ...]
    priority: int = 0
    keyword_weight: int = 1
    #: Internal: working hours after which the ticket shows as overdue in the staff's digest.
    due_hours: float = 16.0
    #: Target for the first staff response, in working hours (0: none; the SLA sets none).
    response_hours: float = 0.0
    #: The office's own target shown to the requester (working hours, rounded up to the half
    #: hour); 0 = none. The SLA sets no response time, so every shipped rule leaves it off.
    target_hours: float = 0.0
    # What the type does is said here, never by its id in code (README, "Request types"):
    #: Processed only during working hours (SLA II.b.5); the acknowledgement says so.
    working_hours_only: bool = False
    #: After "selesai", remind the requester to change the password until they confirm.
    password_reminder: bool = False
    #: The result is sent by email (the acknowledgement says so, the selesai notice carries it).
    result_by_email: bool = False
    #: "#selesai" is refused without the result attached (SLA III.b.3, uji forensik).
    result_required: bool = False
    #: Notices never carry attachments (nothing that could hold a password).
    never_store_password: bool = False
    #: The request ends only when the User ID is handed over after bimtek (SLA III.b.1.4, II.b.4):
    #: the acknowledgement says so, and staff walk it through #bimtek, #hadir, #akses.
    onboarding: bool = False
    #: Staff may schedule a bimtek on it (#bimtek) without the onboarding steps (bimtek requests).
    schedules_bimtek: bool = False
    #: A report of an outage: linked to the outage staff declared, answered with its announcement.
    outage_report: bool = False
    #: The SLA asks the Administrator Agency data (name, NIP, phone, email) from the documents
    #: whose form sets ``admin_data``; the reply names what they lack.
    admin_data: bool = False
    #: The request concerns one tender: a Kode Tender in the subject or body is taken when no
    #: document gave one.
    tender_code: bool = False
    #: A question about an earlier request: answered with that ticket's state, no new ticket.
    status_question: bool = False
    #: Staff read and decide the request (permintaan data); the acknowledgement says so.
    staff_decides: bool = False
    #: What the requester sent, as the acknowledgement names it ("Laporan", "Pesan"); empty:
    #: the first word of ``name`` when it is Permintaan/Permohonan, otherwise "Permohonan".
    reply_noun: str = ""
    #: Refused on arrival with its reply, no ticket work (Sub Agency, SLA III.b.7).
    refuse: bool = False
    #: The type when nothing else matches (exactly one).
    fallback: bool = False
    reply: str = "ack"
    source: str = ""


@dataclass(frozen=True)
class RuleSet:
    forms: dict[str, FormSpec]
    types: dict[str, RequestType]
    templates_dir: Path
    #: sha of the files it was built from, for logs ("which rules decided this?").
    version: str = ""
    files: tuple[str, ...] = field(default=())
    #: The templates' text as loaded and checked: replies render from this snapshot, so an
    #: edit that a reload rejected never reaches a requester.
    templates: dict[str, str] = field(default_factory=dict)

    @property
    def fallback(self) -> RequestType:
        return next(t for t in self.types.values() if t.fallback)

    def form_name(self, doc_id: str) -> str:
        spec = self.forms.get(doc_id)
        return spec.name if spec else doc_id


_FORM_KEYS = {"id", "name", "titles", "patterns", "filenames", "subjects", "excludes", "field", "blank_form", "admin_data"}
_FIELD_KEYS = {"name", "labels", "kind"}
_TYPE_KEYS = {
    "id", "name", "required", "triggers", "keywords", "priority", "keyword_weight", "due_hours", "target_hours",
    "response_hours", "working_hours_only", "password_reminder", "result_by_email", "never_store_password",
    "refuse", "fallback", "reply", "result_required", "onboarding", "admin_data", "tender_code", "staff_decides",
    "reply_noun", "schedules_bimtek", "outage_report", "status_question",
}
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class _Collector:
    """Gathers problems with file and line so one run reports all of them."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, file: Path, text: str, key: str | None, message: str) -> None:
        self.problems.append(f"{file}:{_line_of(text, key)}: {message}")


def _line_of(text: str, key: str | None, value: str | None = None) -> int:
    """Best-effort line number of a key (tomllib gives none for semantic errors)."""
    if not key:
        return 1
    needle = re.compile(rf"^\s*{re.escape(key)}\s*=", re.M)
    if value is not None:
        for m in needle.finditer(text):
            end = text.find("\n", m.end())
            if value in text[m.start(): end if end >= 0 else None]:
                return text.count("\n", 0, m.start()) + 1
        idx = text.find(value)
        if idx >= 0:
            return text.count("\n", 0, idx) + 1
    m = needle.search(text)
    return text.count("\n", 0, m.start()) + 1 if m else 1


def _read_toml(path: Path, out: _Collector) -> tuple[dict[str, Any], str] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        out.problems.append(f"{path}:1: cannot be read: {e}")
        return None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"line (\d+)", str(e))
        out.problems.append(f"{path}:{m.group(1) if m else 1}: TOML syntax error: {e}")
        return None


def _strings(data: dict[str, Any], key: str, path: Path, text: str, out: _Collector) -> tuple[str, ...]:
    value = data.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        out.add(path, text, key, f"{key}: expected a list of strings")
        return ()
    return tuple(value)


def _regexes(data: dict[str, Any], key: str, path: Path, text: str, out: _Collector, flags: int) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for src in _strings(data, key, path, text, out):
        try:
            compiled.append(re.compile(src, flags))
        except re.error as e:
            out.problems.append(f"{path}:{_line_of(text, key, src[:20])}: {key}: regex {src!r} does not compile: {e}")
    return tuple(compiled)


def _check_keys(data: dict[str, Any], allowed: set[str], path: Path, text: str, out: _Collector, where: str = "") -> None:
    for key in data:
        if key not in allowed:
            out.add(path, text, key, f"{where}{key}: unknown key (allowed: {', '.join(sorted(allowed))})")


def _open_spec(path: Path, out: _Collector, allowed: set[str], example_id: str) -> tuple[dict[str, Any], str, str] | None:
    """(table, text, id) of one operator file, its keys checked; None if it cannot be used."""
    got = _read_toml(path, out)
    if got is None:
        return None
    data, text = got
    _check_keys(data, allowed, path, text, out)
    spec_id = data.get("id")
    if not isinstance(spec_id, str) or not _ID.match(spec_id):
        out.add(path, text, "id", f"id: expected a lower-case identifier like \"{example_id}\"")
        return None
    return data, text, spec_id


def _load_form(path: Path, out: _Collector) -> FormSpec | None:
    opened = _open_spec(path, out, _FORM_KEYS, "formulir_ubah_jadwal")
    if opened is None:
        return None
    data, text, doc_id = opened
    fields = []
    raw_fields = data.get("field", [])
    if not isinstance(raw_fields, list):
        out.add(path, text, "field", "field: expected [[field]] tables")
        raw_fields = []
    for f in raw_fields:
        _check_keys(f, _FIELD_KEYS, path, text, out, "field.")
        kind = f.get("kind", "text")
        if kind not in FIELD_KINDS:
            out.problems.append(f"{path}:{_line_of(text, 'kind', kind)}: field.kind: expected one of {', '.join(FIELD_KINDS)}, got {kind!r}")
        name = f.get("name")
        if not isinstance(name, str) or not _ID.match(name):
            out.add(path, text, "name", f"field.name: expected an identifier, got {name!r}")
            continue
        fields.append(FieldSpec(name=name, labels=_strings(f, "labels", path, text, out), kind=kind))
    blank = data.get("blank_form", "")
    if blank and not (path.parent / str(blank)).is_file():
        out.add(path, text, "blank_form", f"blank_form: file {path.parent / str(blank)} does not exist")
    titles = _strings(data, "titles", path, text, out)
    patterns = _regexes(data, "patterns", path, text, out, re.I | re.S | re.M)
    filenames = _regexes(data, "filenames", path, text, out, re.I)
    subjects = _regexes(data, "subjects", path, text, out, re.I)
    excludes = _regexes(data, "excludes", path, text, out, re.I | re.M)
    if not (titles or patterns or filenames):
        out.add(path, text, "titles", "expected at least one of titles, patterns or filenames")
    admin_data = data.get("admin_data", False)
    if not isinstance(admin_data, bool):
        out.add(path, text, "admin_data", f"admin_data: expected true or false, got {admin_data!r}")
        admin_data = False
    return FormSpec(
        id=doc_id, name=str(data.get("name") or doc_id), titles=titles, patterns=patterns,
        filenames=filenames, fields=tuple(fields), subjects=subjects, excludes=excludes,
        blank_form=str(path.parent / str(blank)) if blank else "",
        admin_data=admin_data, source=str(path),
    )


_TYPE_SCALARS: tuple[tuple[str, Any, str], ...] = (
    ("priority", int, "an integer"), ("keyword_weight", int, "an integer"), ("due_hours", (int, float), "a number"),
    ("response_hours", (int, float), "a number"),
    ("target_hours", (int, float), "a number >= 0"),
    ("working_hours_only", bool, "true or false"), ("password_reminder", bool, "true or false"),
    ("result_by_email", bool, "true or false"), ("never_store_password", bool, "true or false"),
    ("refuse", bool, "true or false"), ("fallback", bool, "true or false"), ("reply", str, "a string"),
    ("result_required", bool, "true or false"), ("onboarding", bool, "true or false"),
    ("admin_data", bool, "true or false"), ("tender_code", bool, "true or false"),
    ("staff_decides", bool, "true or false"), ("reply_noun", str, "a string"),
    ("schedules_bimtek", bool, "true or false"), ("outage_report", bool, "true or false"),
    ("status_question", bool, "true or false"),
)


def _load_type(path: Path, out: _Collector) -> tuple[RequestType, str] | None:
    opened = _open_spec(path, out, _TYPE_KEYS, example_id="ubah_jadwal")
    if opened is None:
        return None
    data, text, type_id = opened
    kwargs: dict[str, Any] = {}
    for key, typ, expected in _TYPE_SCALARS:
        if key in data:
            v = data[key]
            if not isinstance(v, typ) or (typ is not bool and isinstance(v, bool)):
                out.add(path, text, key, f"{key}: expected {expected}, got {v!r}")
                continue
            if key == "target_hours" and v < 0:
                out.add(path, text, key, f"{key}: expected a number >= 0, got {v!r}")
                continue
            kwargs[key] = float(v) if key in ("due_hours", "response_hours", "target_hours") else v
    rt = RequestType(
        id=type_id, name=str(data.get("name") or type_id),
        required=_strings(data, "required", path, text, out),
        triggers=_strings(data, "triggers", path, text, out),
        keywords=_regexes(data, "keywords", path, text, out, re.I | re.S),
        source=str(path), **kwargs,
    )
    return rt, text


def _toml_files(directory: Path, out: _Collector, what: str) -> list[Path]:
    if not directory.is_dir():
        out.problems.append(f"{directory}:1: {what} directory does not exist")
        return []
    return sorted(directory.glob("*.toml"))


def load_ruleset(rules_dir: Path, forms_dir: Path, templates_dir: Path) -> RuleSet:
    """Load and cross-check every file; raise RuleSetError with all problems at once."""
    import hashlib

    out = _Collector()
    digest = hashlib.sha256()
    forms: dict[str, FormSpec] = {}
    for path in _toml_files(forms_dir, out, "forms"):
        digest.update(path.read_bytes())
        spec = _load_form(path, out)
        if spec is None:
            continue
        if spec.id in forms:
            out.problems.append(f"{path}:1: duplicate document id {spec.id!r} (also in {forms[spec.id].source})")
            continue
        forms[spec.id] = spec
    types: dict[str, RequestType] = {}
    texts: dict[str, str] = {}
    for path in _toml_files(rules_dir, out, "rules"):
        digest.update(path.read_bytes())
        got = _load_type(path, out)
        if got is None:
            continue
        rt, text = got
        if rt.id in types:
            out.problems.append(f"{path}:1: duplicate request type {rt.id!r} (also in {types[rt.id].source})")
            continue
        types[rt.id] = rt
        texts[rt.id] = text
    for rt in types.values():
        path, text = Path(rt.source), texts[rt.id]
        for key in ("required", "triggers"):
            for doc in getattr(rt, key):
                if doc not in forms:
                    out.problems.append(f"{path}:{_line_of(text, key, doc)}: {key}: unknown document id {doc!r}")
        for suffix in (".txt.j2",):
            if not (templates_dir / f"{rt.reply}{suffix}").exists():
                out.problems.append(f"{path}:{_line_of(text, 'reply')}: reply: missing template {templates_dir / (rt.reply + suffix)}")
    if types and sum(1 for t in types.values() if t.fallback) != 1:
        out.problems.append(f"{rules_dir}:1: expected exactly one request type with fallback = true")
    templates: dict[str, str] = {}
    for path in sorted(templates_dir.glob("*.j2")) if templates_dir.is_dir() else []:
        digest.update(path.read_bytes())
        source = _check_template(path, out)
        if source is not None:
            templates[path.name] = source
    if out.problems:
        raise RuleSetError(out.problems)
    return RuleSet(forms=forms, types=types, templates_dir=templates_dir, templates=templates,
                   version=digest.hexdigest()[:12],
                   files=tuple(str(p) for p in (*forms_dir.glob("*.toml"), *rules_dir.glob("*.toml"))))


def _check_template(path: Path, out: _Collector) -> str | None:
    """The template's source if it parses; otherwise None and a problem."""
    import jinja2

    try:
        source = path.read_text(encoding="utf-8")
        jinja2.Environment().parse(source)
        return source
    except jinja2.TemplateSyntaxError as e:
        out.problems.append(f"{path}:{e.lineno}: template syntax error: {e.message}")
    except (OSError, UnicodeDecodeError) as e:
        out.problems.append(f"{path}:1: cannot be read: {e}")
    return None

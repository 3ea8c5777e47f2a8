"""Operators' commands: ``rules check``, ``rules eval``, ``doctor`` and ``import``.

They attach themselves to the ``main`` group of cli.py; output is for the operator (English),
anything a requester or the staff would read stays in the templates.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import click

from .cli import State, main, pass_state


@main.group()
def rules() -> None:
    """Check and measure the operators' files (rules/, forms/, templates/)."""


def _duplicate_names(ruleset) -> list[str]:  # type: ignore[no-untyped-def]
    """Two documents or two request types with the same human name confuse replies and digests."""
    problems = []
    for what, items in (("document", ruleset.forms.values()), ("request type", ruleset.types.values())):
        seen: dict[str, str] = {}
        for item in items:
            key = item.name.strip().lower()
            if key in seen:
                line = _line_of_key(item.source, "name")
                problems.append(f"{item.source}:{line}: duplicate {what} name {item.name!r} (also in {seen[key]})")
            else:
                seen[key] = item.source
    return problems


def _line_of_key(path: str, key: str) -> int:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError:
        return 1
    m = re.search(rf"^\s*{re.escape(key)}\s*=", text, re.M)
    return text.count("\n", 0, m.start()) + 1 if m else 1


@rules.command("check")
@pass_state
def rules_check(state: State) -> None:
    """Load every file of rules/, forms/ and templates/ and render every reply template once.

    Prints each problem as file:line: message and exits 1, or prints a one-line OK summary.
    """
    from .explain import render_all_templates
    from .reload import load_for, ruleset_dirs
    from .ruleset import RuleSetError

    config = state.config
    dirs = ruleset_dirs(config)
    try:
        ruleset = load_for(config)
    except RuleSetError as e:
        for p in e.problems:
            click.echo(p)
        raise click.ClickException(f"{len(e.problems)} problem(s) in {', '.join(map(str, dirs))}") from e
    problems = _duplicate_names(ruleset)
    renders = render_all_templates(config, ruleset)
    problems += [r.detail if r.detail.split(":", 1)[0].endswith(".j2") else f"{ruleset.templates_dir / (r.template + '.txt.j2')}:1: {r.detail}"
                 for r in renders if r.status == "error"]
    for p in problems:
        click.echo(p)
    not_rendered = [r for r in renders if r.status == "not rendered"]
    for r in not_rendered:
        click.echo(f"note: template {r.template}: not rendered ({r.detail})")
    if problems:
        raise click.ClickException(f"{len(problems)} problem(s) in {', '.join(map(str, dirs))}")
    ok = sum(1 for r in renders if r.status == "ok")
    click.echo(f"OK: {len(ruleset.types)} request types, {len(ruleset.forms)} documents, "
               f"{ok} templates rendered, {len(not_rendered)} not rendered (rules version {ruleset.version})")


@rules.command("eval")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path), required=False)
@click.option("--corrections", is_flag=True,
              help="Replay the staff's corrections (ticket retype/documents, #jenis/#lengkap/#kurang) as labelled "
                   "cases: each corrected ticket's request mail against its corrected type and missing list.")
@click.option("--labels", "labels_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="TSV with header 'path kind source_says' or 'path request_type missing' (default DIR/labels.tsv).")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Extraction cache and previous decisions (default DIR/.helpdesk-eval).")
@click.option("--workers", type=int, default=None, help="Worker processes for cache misses (default: CPUs, at most 4).")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as one JSON object.")
@pass_state
def rules_eval(state: State, directory: Path | None, corrections: bool, labels_file: Path | None,
               cache_dir: Path | None, workers: int | None, as_json: bool) -> None:
    """Measure the rules on a labelled folder of .eml files: confusion table, precision and
    recall per request type (or suppression rates), and the mails whose decision changed.
    With --corrections, on the staff's corrections instead (DIR, if given, keeps the cases)."""
    from . import evaluate

    config = state.config
    ruleset = state.rules()
    if corrections:
        directory = _corrections_dir(state, directory)
    elif directory is None:
        raise click.UsageError("give DIRECTORY, or --corrections")
    try:
        report = evaluate.run(directory, config, ruleset, labels_file, cache_dir, workers)
    except evaluate.LabelsError as e:
        raise click.ClickException(str(e)) from e
    text, metrics = evaluate.format_report(report, ruleset)
    click.echo(json.dumps(metrics, ensure_ascii=False) if as_json else text)


def _corrections_dir(state: State, directory: Path | None) -> Path:
    """The corrected tickets' request mails and their labels, written for the eval."""
    import tempfile

    from .corrections import labelled_cases
    from .daemon import open_store

    target = directory or Path(tempfile.mkdtemp(prefix="helpdesk-corrections-"))
    store = open_store(state.config)
    try:
        labels = labelled_cases(store, target)
    finally:
        store.close()
    if len(labels.read_text(encoding="utf-8").splitlines()) < 2:
        raise click.ClickException("no corrections with a stored request mail to replay")
    return target


@main.command()
@click.option("--timeout", type=float, default=10.0, show_default=True, help="Seconds per network check.")
@pass_state
def doctor(state: State, timeout: float) -> None:
    """Check the configuration, mailboxes, SMTP, database, tesseract and rules; exit 1 on any FAIL."""
    from .doctor import run_checks

    results = run_checks(state.config_path, timeout=timeout)
    for r in results:
        click.echo(r.line())
    failed = [r for r in results if r.status == "FAIL"]
    if failed:
        raise click.ClickException(f"{len(failed)} check(s) failed")
    warned = sum(r.status == "WARN" for r in results)
    click.echo(f"{len(results)} checks passed, {warned} with a warning (see WARN above)" if warned
               else f"all {len(results)} checks passed")


class BarSafeStream:
    """stderr for log lines while a progress bar is drawn on the same terminal.

    click redraws its bar in place with a carriage return; a log line written in between lands
    in the middle of the bar and the next redraw overwrites half of it. This stream clears the
    bar's line before each complete log line and redraws the bar after it, so the terminal
    shows whole log lines scrolling above one intact bar. Off a terminal (the journal, a pipe)
    click draws no bar and the lines pass through untouched.
    """

    def __init__(self, stream: Any, bar: Any):
        self.stream = stream
        self.bar = bar
        self._pending = ""

    def isatty(self) -> bool:
        return bool(getattr(self.stream, "isatty", lambda: False)())

    def write(self, text: str) -> int:
        self._pending += text
        if "\n" not in self._pending:
            return len(text)
        lines, self._pending = self._pending.rsplit("\n", 1)
        tty = self.isatty()
        if tty:
            self.stream.write("\r\x1b[K")
        self.stream.write(lines + "\n")
        self.stream.flush()
        if tty:
            self.bar.render_progress()
        return len(text)

    def flush(self) -> None:
        self.stream.flush()


@main.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--mailbox", "mailbox_name", default=None, help="Record the tickets under this mailbox (default: the first).")
@click.option("--keep-dates/--no-keep-dates", default=True, show_default=True,
              help="Date tickets by the mail's Date header (else by now).")
@click.option("--closed", is_flag=True,
              help="History: every new ticket is closed (selesai) on its mail's date, never overdue, never announced.")
@pass_state
def import_(state: State, path: Path, mailbox_name: str | None, keep_dates: bool, closed: bool) -> None:
    """Backfill archived mail (mbox, Maildir or a folder of .eml) as tickets, sending no reply.

    Idempotent: a mail already imported (same bytes) is skipped. Without --closed the tickets
    are live (open, with due times); with it they are the record of what was handled already.
    Creates the database if there is none (an import may come before the first run).
    """
    from .importer import ImportError_, count_messages, import_messages
    from .logs import configure

    config = state.config
    names = [m.name for m in config.mailbox]
    name = mailbox_name or (names[0] if names else "import")
    if mailbox_name and mailbox_name not in names:
        raise click.ClickException(f"no mailbox named {mailbox_name!r} in the configuration (known: {', '.join(names)})")
    try:
        total = count_messages(path)
    except ImportError_ as e:
        raise click.ClickException(str(e)) from e
    database = config.resolve(config.storage.database).absolute()
    if not database.exists():
        click.echo(f"creating a new database at {database}", err=True)
    err = click.get_text_stream("stderr")
    with click.progressbar(length=total, label=f"importing {path}", file=err, show_pos=True) as bar:
        configure(config.logging.level, config.logging.format, stream=BarSafeStream(err, bar))
        try:
            summary = import_messages(path, config, name, keep_dates=keep_dates, progress=bar.update, closed=closed)
        finally:
            configure(config.logging.level, config.logging.format)
    click.echo(summary.line())
    for e in summary.errors[:20]:
        click.echo(f"  {e}", err=True)
    if summary.counts.get("error"):
        raise click.exceptions.Exit(1)

"""The command line: thin. Library errors become click errors here and only here."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from . import __version__
from .config import Config, ConfigError, load


class State:
    def __init__(self, config_path: str | None):
        self.config_path = config_path
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            try:
                self._config = load(self.config_path)
            except ConfigError as e:
                raise click.ClickException(f"bad configuration: {e}") from e
        return self._config


    def rules(self) -> Any:
        """The rule set, or a click error listing every ``file:line: message``."""
        from .reload import load_for
        from .ruleset import RuleSetError

        try:
            return load_for(self.config)
        except RuleSetError as e:
            raise click.ClickException(_broken(e)) from e

    def daemon(self) -> Any:
        from .daemon import Daemon
        from .ruleset import RuleSetError

        try:
            return Daemon(self.config)
        except RuleSetError as e:
            raise click.ClickException(_broken(e)) from e


def _broken(e: Any) -> str:
    return "rules, forms or templates are broken:\n" + "\n".join(e.problems)


pass_state = click.make_pass_decorator(State)


def _setup_logging(config: Config) -> None:
    from .logs import configure

    configure(config.logging.level, config.logging.format)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="Configuration file (default: config.toml in the working directory, else the embedded default).")
@click.version_option(__version__, prog_name="helpdesk-bot")
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """helpdesk-bot: reads the helpdesk mailboxes, recognises each request by its attached
    form, records a ticket and answers in formal Indonesian."""
    ctx.obj = State(config_path)


# -- run ----------------------------------------------------------------------------------------


@main.command()
@click.option("--once", is_flag=True, help="Process everything waiting in every mailbox, send the outbox, and exit 0.")
@pass_state
def run(state: State, once: bool) -> None:
    """Run the daemon (IDLE where the server offers it, polling otherwise)."""
    config = state.config
    _setup_logging(config)
    daemon = state.daemon()
    if once:
        summary = daemon.run_once()
        parts = ", ".join(f"{k}: {v}" for k, v in sorted(summary.counts.items())) or "no new mail"
        click.echo(f"processed: {parts}; sent: {summary.sent}, retrying: {summary.retried}, failed: {summary.failed}", err=True)
        for err in summary.errors:
            click.echo(f"error: {err}", err=True)
        return
    daemon.run_forever()


# -- classify -----------------------------------------------------------------------------------


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file, one per line.")
@click.option("--explain", is_flag=True, help="For a person: documents, rule hits and misses, decision, and the reply.")
@pass_state
def classify(state: State, files: tuple[str, ...], as_json: bool, explain: bool) -> None:
    """Classify saved .eml files without touching any mailbox, database or SMTP server."""
    from .offline import classify_file, explain_file

    config = state.config
    rules = state.rules()
    for path in files:
        if explain:
            click.echo(explain_file(path, config, rules))
            continue
        result = classify_file(path, config, rules)
        if as_json:
            click.echo(json.dumps(result, ensure_ascii=False))
        else:
            if result.get("error"):
                click.echo(f"{path}: error: {result['error']}")
            elif result["suppress"]:
                click.echo(f"{path}: suppressed ({result['suppress_reason']})")
            else:
                missing = ", ".join(result["missing"]) or "-"
                click.echo(f"{path}: {result['request_type']}; documents: {', '.join(result['documents']) or '-'}; missing: {missing}")


# -- tickets ------------------------------------------------------------------------------------


@main.group()
def tickets() -> None:
    """Tickets in the database."""


@tickets.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of ticket objects.")
@click.option("--status", multiple=True, help="Only tickets in this status (repeatable).")
@pass_state
def tickets_list(state: State, as_json: bool, status: tuple[str, ...]) -> None:
    """List tickets, urgent first, oldest first."""
    from .daemon import open_store

    store = open_store(state.config)
    try:
        if status:
            rows = store.tickets(f"status IN ({','.join('?' * len(status))})", tuple(status))
        else:
            rows = store.tickets()
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps([t.to_json() for t in rows], ensure_ascii=False, indent=1))
        return
    if not rows:
        click.echo("no tickets")
    for t in rows:
        flag = "!" if t.urgent else " "
        missing = f" missing: {', '.join(t.missing)}" if t.missing else ""
        click.echo(f"{flag}{t.id}  {t.status:<21} {t.request_type:<19} {t.requester}{missing}")


@main.command()
@pass_state
def examples(state: State) -> None:
    """Copy the sample requests of examples/ into the first Maildir mailbox's new/ folder."""
    import mailbox as mailboxlib

    from .config import shipped

    config = state.config
    target = next((m for m in config.mailbox if m.kind == "maildir"), None)
    if target is None:
        raise click.ClickException("no mailbox with kind = \"maildir\" in the configuration")
    samples = sorted(shipped("examples").glob("*.eml"))
    if not samples:
        raise click.ClickException(f"no sample requests in {shipped('examples')}")
    config.resolve(target.path).parent.mkdir(parents=True, exist_ok=True)
    box = mailboxlib.Maildir(str(config.resolve(target.path)), create=True)
    for path in samples:
        box.add(mailboxlib.MaildirMessage(path.read_bytes()))
    click.echo(f"copied {len(samples)} sample requests into {config.resolve(target.path)}/new")


def _register_command_modules() -> None:
    """Commands grouped by who uses them live in their own modules and attach to ``main``."""
    import importlib

    for name in ("cli_staff", "cli_ops", "cli_quarantine", "cli_report"):
        try:
            importlib.import_module(f"helpdesk_bot.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"helpdesk_bot.{name}":
                raise


_register_command_modules()


if __name__ == "__main__":  # pragma: no cover
    # Run as a script this module is __main__; the command modules attach to the importable
    # helpdesk_bot.cli.main, so run that one.
    from helpdesk_bot.cli import main as _main

    sys.exit(_main())

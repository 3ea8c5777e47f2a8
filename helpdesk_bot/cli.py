"""The command line: thin. Library errors become click errors here and only here.

Language: the command line speaks English (help, summaries, its own errors). It is the
operator's and staff's tool on the server, next to click's own messages ("Usage:", "No such
option"), the config and rules-check errors and the journal, which are all English; mixing in
Indonesian made one screen flip between the two. What requesters and staff read as *mail*
(notices, digest, refusals of a command, which mail commands share) stays formal Indonesian.

``--config`` is accepted before or after any command name (``helpdesk-bot --config x.toml run``
and ``helpdesk-bot run --config x.toml``), or from ``HELPDESK_BOT_CONFIG``.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from . import __version__
from .config import Config, ConfigError, load


CONFIG_ENV = "HELPDESK_BOT_CONFIG"


class State:
    def __init__(self, config_path: str | None):
        self.config_path = config_path
        self._config: Config | None = None

    def where(self) -> str:
        """Which configuration is in use, for messages that say where we looked."""
        if self.config_path:
            return f"configuration {self.config_path}"
        import os

        return f"the embedded default configuration (no config.toml in {os.getcwd()})" if self.config.source.startswith("<") \
            else f"configuration {self.config.source}"

    def store(self, create: bool = False) -> Any:
        """The configured database; refuses to create one unless ``create`` (run, examples, import).

        A read command run in the wrong folder would otherwise create an empty database there
        and report "no tickets", which looks like data loss.
        """
        from .store import open_store

        path = self.config.resolve(self.config.storage.database).absolute()
        if not create and not path.exists():
            raise click.ClickException(
                f"no database at {path} (from {self.where()}); pass --config (or set {CONFIG_ENV}) "
                "to the deployment's config.toml, or run `helpdesk-bot run --once` first")
        return open_store(self.config)

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


CONFIG_HELP = (f"Configuration file (default: ${CONFIG_ENV}, else config.toml in the working directory, "
               "else the embedded default). Accepted before or after the command name.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None, envvar=CONFIG_ENV,
              show_envvar=True, help=CONFIG_HELP)
@click.version_option(__version__, prog_name="helpdesk-bot")
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """helpdesk-bot: reads the helpdesk mailboxes, recognises each request by its attached
    form, records a ticket and answers in formal Indonesian."""
    ctx.obj = State(config_path)


def _late_config(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    """``--config`` given after the command name: the group's State exists by now; set it there."""
    if value is not None:
        ctx.ensure_object(State).config_path = value


def _accept_config_everywhere(group: click.Group) -> None:
    """Give every command and sub-group (including those other modules register) ``--config``."""
    for cmd in group.commands.values():
        if not any(p.name == "late_config" for p in cmd.params):
            cmd.params.append(click.Option(["--config", "late_config"], type=click.Path(dir_okay=False),
                                           expose_value=False, callback=_late_config, help=CONFIG_HELP))
        if isinstance(cmd, click.Group):
            _accept_config_everywhere(cmd)


# -- run ----------------------------------------------------------------------------------------


@main.command()
@click.option("--once", is_flag=True,
              help="Process everything waiting in every mailbox, send the outbox, and exit: 0 when every "
                   "mailbox was read and every reply delivered, 1 otherwise (a deployment check).")
@pass_state
def run(state: State, once: bool) -> None:
    """Run the daemon (IDLE where the server offers it, polling otherwise)."""
    config = state.config
    _setup_logging(config)
    from .forkserver import start_early

    start_early()  # the workers' imports run while the daemon's own stages import
    daemon = state.daemon()
    if once:
        summary = daemon.run_once()
        parts = ", ".join(f"{k}: {v}" for k, v in sorted(summary.counts.items())) or "no new mail"
        click.echo(f"processed: {parts}; sent: {summary.sent}, retrying: {summary.retried}, failed: {summary.failed}", err=True)
        problems = list(summary.errors)
        if summary.retried or summary.failed:
            from .queries import undelivered

            store = state.store()
            try:
                problems += [f"reply not delivered: {row}" for row in undelivered(store)]
            finally:
                store.close()
        for err in problems:
            click.echo(f"error: {err}", err=True)
        if problems:
            raise click.exceptions.Exit(1)
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
    from .explain import explain as explain_file
    from .offline import classify_file

    from pathlib import Path

    config = state.config
    rules = state.rules()
    unreadable = 0
    for path in files:
        if not Path(path).is_file():
            # Every file still gets its line (DESIGN), and the exit code says something was wrong.
            unreadable += 1
            result = {"path": path, "request_type": None, "documents": [], "missing": [], "suppress": False,
                      "suppress_reason": None, "fields": {}, "reasons": [], "error": "file not found"}
            click.echo(json.dumps(result, ensure_ascii=False) if as_json else f"{path}: error: file not found",
                       err=not as_json)
            continue
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
    if unreadable:
        raise click.ClickException(f"{unreadable} of {len(files)} file(s) not found")


# -- tickets ------------------------------------------------------------------------------------


@main.group()
def tickets() -> None:
    """Tickets in the database."""


def _date_option(name: str, help_text: str) -> Any:
    return click.option(name, type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help=help_text)


@tickets.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of ticket objects.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV with a header row (times in the helpdesk time zone).")
@click.option("--status", multiple=True, metavar="STATUS",
              help="Only this status (repeatable): baru, menunggu_kelengkapan, antre, diproses, selesai, "
                   "ditolak; or 'open' for the first four.")
@click.option("--type", "request_types", multiple=True, metavar="TYPE", help="Only this request type id (repeatable).")
@click.option("--requester", default=None, help="Requester address or name contains this text.")
@click.option("--agency", default=None, help="The agency (Satuan Kerja / Instansi field, or the requester's domain) contains this text.")
@click.option("--tender", default=None, help="Kode tender equals this.")
@_date_option("--since", "Created on or after this day (YYYY-MM-DD, helpdesk time zone).")
@_date_option("--until", "Created on or before this day (YYYY-MM-DD, helpdesk time zone).")
@click.option("--search", default=None, help="Text in the subject, fields, requester or staff notes.")
@pass_state
def tickets_list(state: State, as_json: bool, as_csv: bool, status: tuple[str, ...], request_types: tuple[str, ...],
                 requester: str | None, agency: str | None, tender: str | None, since: Any, until: Any,
                 search: str | None) -> None:
    """List tickets, urgent first, oldest first; the filters combine (AND)."""
    from .queries import QueryError, TicketFilter, assignees, csv_text, search_tickets

    if as_json and as_csv:
        raise click.UsageError("choose one of --json and --csv")
    wanted = TicketFilter(statuses=status, types=request_types, requester=requester, agency=agency, tender=tender,
                          since=since.date() if since else None, until=until.date() if until else None,
                          search=search, timezone=state.config.helpdesk.timezone,
                          known_types=tuple(state.rules().types) if request_types else ())
    store = state.store()
    try:
        rows = search_tickets(store, wanted)
        assigned = assignees(store, [t.id for t in rows]) if as_csv else {}
    except QueryError as e:
        raise click.BadParameter(str(e), param_hint=e.option) from e
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps([t.to_json() for t in rows], ensure_ascii=False, indent=1))
        return
    if as_csv:
        click.echo(csv_text(rows, state.config.helpdesk.timezone, assigned), nl=False)
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

    for name in ("cli_staff", "cli_ops", "cli_quarantine", "cli_report", "cli_outage"):
        try:
            importlib.import_module(f"helpdesk_bot.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"helpdesk_bot.{name}":
                raise


_register_command_modules()
_accept_config_everywhere(main)


if __name__ == "__main__":  # pragma: no cover
    # Run as a script this module is __main__; the command modules attach to the importable
    # helpdesk_bot.cli.main, so run that one.
    from helpdesk_bot.cli import main as _main

    sys.exit(_main())

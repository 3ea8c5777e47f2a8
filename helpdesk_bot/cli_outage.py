"""``helpdesk-bot gangguan start|stop|status``: declare an SPSE outage (SLA II.b.9) from the CLI.

The same as the staff mail command ``#gangguan <pengumuman>`` / ``#gangguan selesai``
(outages.py): while declared, every acknowledgement carries the announcement and reports of
the outage are answered with it; stopping it tells those requesters SPSE is back.
"""

from __future__ import annotations

import getpass

import click

from .cli import State, main, pass_state


@main.group("gangguan")
def outage_group() -> None:
    """Declare, end or show an SPSE outage announced to requesters (in Indonesian)."""


def _actor(actor: str | None) -> str:
    return actor or f"cli:{getpass.getuser()}"


@outage_group.command("start")
@click.argument("text", nargs=-1, required=True)
@click.option("--actor", default=None, help="Staff name recorded in the audit trail.")
@pass_state
def start(state: State, text: tuple[str, ...], actor: str | None) -> None:
    """Declare an outage with its announcement TEXT (Indonesian), or replace the current text."""
    from . import outages

    store = state.store()
    try:
        with store.transaction():
            outage = outages.declare(store, " ".join(text), _actor(actor))
    except ValueError as e:
        raise click.ClickException(str(e)) from e
    finally:
        store.close()
    click.echo(f"outage {outage.id} declared: {outage.text}")


@outage_group.command("stop")
@click.option("--actor", default=None, help="Staff name recorded in the audit trail.")
@pass_state
def stop(state: State, actor: str | None) -> None:
    """End the current outage; linked reports are closed and their requesters told."""
    from .reply_service import ReplyService
    from .workflow import end_outage

    rules = state.rules()
    store = state.store()
    try:
        with store.transaction():
            ended, closed = end_outage(store, ReplyService(state.config, store, lambda: rules), _actor(actor))
    finally:
        store.close()
    if ended is None:
        raise click.ClickException("no outage is declared")
    click.echo(f"outage {ended.id} ended; {len(closed)} report(s) closed and answered: {', '.join(closed) or '-'}")


@outage_group.command("status")
@pass_state
def status(state: State) -> None:
    """Show the declared outage, if any."""
    from . import outages

    store = state.store()
    try:
        outage = outages.current(store)
    finally:
        store.close()
    if outage is None:
        click.echo("no outage declared")
    else:
        click.echo(f"outage {outage.id} since {outage.started_at.isoformat()} by {outage.started_by}: {outage.text}")

"""Safety commands: the quarantine (list, show, retry) and the retention purge.

    helpdesk-bot quarantine list [--json] [--all]
    helpdesk-bot quarantine show ID [--raw]
    helpdesk-bot quarantine retry ID
    helpdesk-bot quarantine dismiss ID --reason TEXT
    helpdesk-bot purge [--dry-run]
"""

from __future__ import annotations

import json
import sys

import click

from .cli import State, main, pass_state


def _store(state: State):  # noqa: ANN202
    return state.store()


@main.group()
def quarantine() -> None:
    """Mail that could not be processed, kept with its reason (status open, resolved or dismissed)."""


@quarantine.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of entries.")
@click.option("--all", "show_all", is_flag=True, help="Resolved and dismissed entries too (default: open only).")
@pass_state
def quarantine_list(state: State, as_json: bool, show_all: bool) -> None:
    """List quarantined mail, oldest first."""
    from .quarantine import OPEN, entries

    store = _store(state)
    try:
        rows = entries(store, None if show_all else OPEN)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    if not rows:
        click.echo("no quarantined mail" if show_all else "no open quarantine entries")
    for r in rows:
        click.echo(f"#{r['id']:<5} {r['status']:<8} {r['created_at']}  {r['mailbox']}  {r['sender'] or '-'}  "
                   f"retries: {r['retries']}\n       {r['subject'] or '(no subject)'}\n       {r['reason']}")


@quarantine.command("show")
@click.argument("qid", type=int)
@click.option("--raw", is_flag=True, help="Print the stored original mail instead.")
@click.option("--json", "as_json", is_flag=True, help="The entry as JSON (without the raw mail).")
@pass_state
def quarantine_show(state: State, qid: int, raw: bool, as_json: bool) -> None:
    """One entry: reason, traceback, ledger row and history."""
    from .quarantine import QuarantineError, entry

    store = _store(state)
    try:
        row = entry(store, qid)
    except QuarantineError as e:
        raise click.ClickException(str(e)) from e
    finally:
        store.close()
    data = row.pop("raw")
    if raw:
        if data is None:
            raise click.ClickException(f"quarantine entry #{qid} has no stored mail (resolved entries drop it)")
        sys.stdout.buffer.write(bytes(data))
        return
    row["size"] = len(data) if data is not None else 0
    if as_json:
        click.echo(json.dumps(row, ensure_ascii=False, indent=1, default=str))
        return
    click.echo(f"#{row['id']} {row['status']} (retries: {row['retries']})\n"
               f"mailbox: {row['mailbox']}  key: {row['key']}\nfrom: {row['sender']}\nsubject: {row['subject']}\n"
               f"message-id: {row['message_id']}\nquarantined at: {row['created_at']}\nsize: {row['size']} bytes\n"
               f"reason: {row['reason']}\n")
    if row["ledger"]:
        led = row["ledger"]
        click.echo(f"ledger: {led['outcome']} {led['ticket_id'] or ''} at {led['processed_at']}")
    for e in row["events"]:
        click.echo(f"event: {e['at']} {e['kind']} {json.dumps(e['detail'], ensure_ascii=False)}")
    click.echo("\ntraceback:\n" + (row["traceback"] or "-"))


@quarantine.command("retry")
@click.argument("qid", type=int)
@pass_state
def quarantine_retry(state: State, qid: int) -> None:
    """Run the stored mail through the pipeline again (after a fix to rules, templates or code).

    On success the entry becomes resolved and the mail's ledger row holds the new outcome; the
    replies it causes are queued and sent by the running daemon (or the next `run --once`).
    """
    from .quarantine import QuarantineError, retry

    daemon = state.daemon()
    store = _store(state)
    try:
        out = retry(daemon.pipeline(store), qid)
    except QuarantineError as e:
        raise click.ClickException(str(e)) from e
    finally:
        store.close()
    if out.kind == "quarantined":
        raise click.ClickException(f"#{qid} failed again and stays open: {out.reason}")
    click.echo(f"#{qid} resolved: {out.kind}" + (f" {out.ticket_id}" if out.ticket_id else "")
               + (f", {len(out.replies)} reply queued" if out.replies else ""))


@quarantine.command("dismiss")
@click.argument("qid", type=int)
@click.option("--reason", "-r", required=True, help="Why nothing needs doing (kept in the audit trail).")
@click.option("--actor", default=None, help="Staff name recorded (default: cli:<system user>).")
@pass_state
def quarantine_dismiss(state: State, qid: int, reason: str, actor: str | None) -> None:
    """Close an open entry without processing it (junk, a test, handled by hand)."""
    import getpass

    from .quarantine import QuarantineError, dismiss

    store = _store(state)
    try:
        dismiss(store, qid, reason, actor or f"cli:{getpass.getuser()}")
    except QuarantineError as e:
        raise click.ClickException(str(e)) from e
    finally:
        store.close()
    click.echo(f"#{qid} dismissed: {reason.strip()}")


@main.command()
@click.option("--dry-run", is_flag=True, help="Only list the tickets whose data would be purged.")
@pass_state
def purge(state: State, dry_run: bool) -> None:
    """Delete attachments and extracted text of tickets closed more than retention_days ago."""
    from . import attachments

    config = state.config
    store = _store(state)
    try:
        if dry_run:
            due = attachments.due_for_purge(store, config, store.now())
            click.echo("\n".join(due) if due else "nothing to purge")
            return
        totals = attachments.purge(store, config)
    finally:
        store.close()
    click.echo(", ".join(f"{k}: {v}" for k, v in totals.items()))

"""Staff commands: act on a ticket (``ticket proses|selesai|tolak|catatan ID``), the staff
tools (``ticket note|assign|reopen``), see one (``ticket show``), and the digest.

The actions call the same ``workflow.act`` as the ``#selesai`` mail commands, so a ticket moves
the same way whichever door staff use. The command line speaks English (see cli.py); the
notices and the digest it sends are Indonesian, as ever.
"""

from __future__ import annotations

import getpass
import json
import mimetypes
from pathlib import Path
from typing import Any

import click

from .cli import State, main, pass_state


def _replies(state: State) -> tuple[Any, Any]:
    """(store, reply service) for the configured database and the rules on disk: what staff
    actions, the digest and the report render, decide and queue their mail with."""
    from .reply_service import ReplyService

    config = state.config
    rules = state.rules()
    store = state.store()
    return store, ReplyService(config, store, lambda: rules)


def _read_attachments(paths: tuple[str, ...]) -> list[tuple[str, str, bytes]]:
    out = []
    for p in paths:
        path = Path(p)
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        out.append((path.name, ctype, path.read_bytes()))
    return out


# -- ticket ---------------------------------------------------------------------------------------


@main.group("ticket")
def ticket_group() -> None:
    """Staff actions on one ticket. proses, selesai, tolak and catatan are the mail commands
    #proses, #selesai, #tolak and #catatan and notify the requester; note, assign and reopen
    are staff tools."""


def _actor(actor: str | None) -> str:
    return actor or f"cli:{getpass.getuser()}"


ACTOR_OPTION = click.option("--actor", default=None, help="Staff name recorded in the audit trail (default: cli:<system user>).")
QUIET_OPTION = click.option("--quiet", "-q", is_flag=True, help="Change the ticket without a notice to the requester.")


def _action_command(action: str, help_text: str) -> None:
    @ticket_group.command(action, help=help_text)
    @click.argument("ticket_id")
    @click.option("--text", "-t", default="", help="Text for the requester, in Indonesian (the reason for 'tolak').")
    @click.option("--attach", "-a", multiple=True, type=click.Path(exists=True, dir_okay=False),
                  help="A file attached to the notice (repeatable).")
    @ACTOR_OPTION
    @QUIET_OPTION
    @pass_state
    def command(state: State, ticket_id: str, text: str, attach: tuple[str, ...], actor: str | None, quiet: bool) -> None:
        from .workflow import ActionError, act

        if quiet and action == "catatan":
            raise click.UsageError("catatan is a message to the requester; for a note staff only see, use `ticket note`")
        store, replies = _replies(state)
        try:
            with store.transaction():
                result = act(store, replies, ticket_id, action, _actor(actor), text, _read_attachments(attach),
                             via="cli", notify=not quiet)
        except ActionError as e:
            raise click.ClickException(str(e)) from e
        finally:
            store.close()
        change = (f"{result.old_status} -> {result.new_status}" if result.old_status != result.new_status
                  else f"status stays {result.new_status}")
        sent = ("no notice to the requester (--quiet)" if quiet
                else f"notice to the requester queued ({len(result.replies)} mail)")
        click.echo(f"{result.ticket_id}: {change}; {sent}.")
        for note in result.notes:
            click.echo(f"note: {note}")


_action_command("proses", "Mark the ticket in progress (diproses) and notify the requester.")
_action_command("selesai", "Mark the ticket done (selesai) and notify the requester (with the password-change "
                           "reminder for ubah jadwal and perbaikan aplikasi; uji forensik needs the result attached).")
_action_command("tolak", "Refuse the ticket (ditolak) with a reason (--text) and notify the requester.")
_action_command("catatan", "Send the requester a message (--text) without changing the status.")
_action_command("bimtek", "Schedule the bimtek/pendampingan (--text: date and place, in Indonesian) and notify the requester.")
_action_command("hadir", "Record that the bimtek was attended; next step: handing over the User ID.")
_action_command("akses", "Record that the User ID was handed over after bimtek; the onboarding ticket is done.")


def _correct(state: State, ticket_id: str, kind: str, argument: str, actor: str | None, quiet: bool) -> None:
    from .corrections import CorrectionError, correct

    store, replies = _replies(state)
    try:
        with store.transaction():
            done = correct(store, replies, ticket_id, kind, argument, _actor(actor), via="cli", notify=not quiet)
    except CorrectionError as e:
        raise click.ClickException(str(e)) from e
    finally:
        store.close()
    click.echo(f"{done['ticket']}: {done['request_type']}, status {done['status']}, missing "
               f"{', '.join(done['missing']) or '-'}; " + ("no notice (--quiet)" if quiet else "notice to the requester queued"))


@ticket_group.command("retype")
@click.argument("ticket_id")
@click.argument("request_type")
@ACTOR_OPTION
@QUIET_OPTION
@pass_state
def ticket_retype(state: State, ticket_id: str, request_type: str, actor: str | None, quiet: bool) -> None:
    """Correct the ticket's request type; its missing list follows (same as #jenis by mail). Stored
    with the request mail, replayed by `rules eval --corrections`."""
    _correct(state, ticket_id, "retype", request_type, actor, quiet)


@ticket_group.command("documents")
@click.argument("ticket_id")
@click.option("--complete", is_flag=True, help="Every required document is there (same as #lengkap by mail).")
@click.option("--missing", "missing", multiple=True, help="A document id still missing (repeatable; same as #kurang).")
@ACTOR_OPTION
@QUIET_OPTION
@pass_state
def ticket_documents(state: State, ticket_id: str, complete: bool, missing: tuple[str, ...], actor: str | None,
                     quiet: bool) -> None:
    """Correct the ticket's missing-document list; status and the requester's notice follow."""
    if complete == bool(missing):
        raise click.UsageError("give either --complete or one or more --missing DOCUMENT_ID")
    _correct(state, ticket_id, "complete" if complete else "missing", " ".join(missing), actor, quiet)


def _staff_call(state: State, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a staff tool in one transaction; its errors become click errors."""
    from .staff import StaffError

    store, replies = _replies(state)
    try:
        with store.transaction():
            return fn(store, replies, *args, **kwargs)
    except StaffError as e:
        raise click.ClickException(str(e)) from e
    finally:
        store.close()


@ticket_group.command("note")
@click.argument("ticket_id")
@click.option("--text", "-t", required=True, help="The note. Staff see it in `ticket show`; it is never mailed.")
@ACTOR_OPTION
@pass_state
def ticket_note(state: State, ticket_id: str, text: str, actor: str | None) -> None:
    """Add an internal note to the audit trail (never sent to the requester)."""
    from . import staff

    result = _staff_call(state, lambda store, _p: staff.note(store, ticket_id, _actor(actor), text))
    click.echo(f"{result.ticket_id}: internal note added; nothing is sent.")


@ticket_group.command("assign")
@click.argument("ticket_id")
@click.argument("assignee", required=False, default="")
@ACTOR_OPTION
@pass_state
def ticket_assign(state: State, ticket_id: str, assignee: str, actor: str | None) -> None:
    """Assign the ticket to a staff member (no ASSIGNEE: unassign)."""
    from . import staff

    result = _staff_call(state, lambda store, _p: staff.assign(store, ticket_id, _actor(actor), assignee))
    click.echo(f"{result.ticket_id}: " + (f"assigned to {assignee}" if assignee.strip() else "unassigned") + ".")


@ticket_group.command("reopen")
@click.argument("ticket_id")
@click.option("--text", "-t", default="", help="Text for the requester (and the audit trail), in Indonesian.")
@ACTOR_OPTION
@QUIET_OPTION
@pass_state
def ticket_reopen(state: State, ticket_id: str, text: str, actor: str | None, quiet: bool) -> None:
    """Reopen a closed ticket (selesai or ditolak -> diproses, new due time) and notify the requester."""
    from . import staff

    result = _staff_call(state, lambda store, p: staff.reopen(store, p, ticket_id, _actor(actor), text, notify=not quiet))
    sent = "no notice to the requester (--quiet)" if quiet else f"notice to the requester queued ({len(result.replies)} mail)"
    click.echo(f"{result.ticket_id}: {result.old_status} -> {result.new_status}; {sent}.")


@ticket_group.command("show")
@click.argument("ticket_id")
@click.option("--json", "as_json", is_flag=True, help="The ticket, its attachments and its audit trail as JSON (UTC).")
@pass_state
def ticket_show(state: State, ticket_id: str, as_json: bool) -> None:
    """One ticket: fields, missing documents, attachments, the requester's text and the audit trail,
    times in the helpdesk time zone (WIB)."""
    from . import attachments as stored
    from .queries import local_time
    from .staff import current_assignee

    config = state.config
    store = state.store()
    try:
        ticket = store.ticket(ticket_id)
        if ticket is None:
            raise click.ClickException(f"no ticket {ticket_id} in {store.path}")
        events = store.events(ticket.id)
        assignee = current_assignee(store, ticket.id)
    finally:
        store.close()
    files = stored.files(config, ticket.id)
    if as_json:
        click.echo(json.dumps({"ticket": ticket.to_json(), "assignee": assignee,
                               "attachments": [{"name": p.name, "size": p.stat().st_size} for p in files],
                               "events": events}, ensure_ascii=False, indent=1))
        return
    click.echo(_render_ticket(ticket, events, files, assignee, config.helpdesk.timezone, local_time))


def _render_ticket(ticket: Any, events: list[dict[str, Any]], files: list[Path], assignee: str, tz: str,
                   local_time: Any) -> str:
    from .parse import plain_text
    from .store import parse_iso

    t = ticket
    lines = [f"{t.id}  {t.status}  {t.request_type}" + ("  URGENT" if t.urgent else "")]
    rows = [("requester", f"{t.requester_name} <{t.requester}>" if t.requester_name else t.requester),
            ("mailbox", t.mailbox), ("subject", t.subject), ("assigned to", assignee),
            ("created", local_time(t.created_at, tz)), ("due", local_time(t.due_at, tz)),
            ("closed", local_time(t.closed_at, tz)), ("needs staff", t.needs_staff),
            ("password reminders", f"{t.reminder_count}, next {local_time(t.next_reminder_at, tz)}"
             if t.next_reminder_at else (str(t.reminder_count) if t.reminder_count else "")),
            ("password confirmed", local_time(t.password_confirmed_at, tz))]
    lines += [f"  {k:<19} {v}" for k, v in rows if v]
    lines.append("documents received:  " + (", ".join(t.documents) or "-"))
    lines.append("missing documents:   " + (", ".join(t.missing) or "-"))
    if t.lacking:
        lines.append("missing data:        " + ", ".join(map(str, t.lacking)))
    lines.append("fields:" + ("" if t.fields else " -"))
    lines += [f"  {k:<19} {v}" for k, v in t.fields.items()]
    lines.append("attachments:" + ("" if files else " -"))
    lines += [f"  {p.name}  ({p.stat().st_size:,} bytes)" for p in files]
    text = next((getattr(t, k) for k in ("requester_text", "text", "body") if getattr(t, k, "")), "")
    if text:
        lines.append("requester's text (redacted):")
        lines += [f"  | {line}" for line in str(text).splitlines()]
    lines.append("audit trail:")
    for e in events:
        when = local_time(parse_iso(e["at"]), tz)
        detail = json.loads(e["detail"] or "{}")
        lines.append(f"  {when}  {e['kind']:<20} {e['actor'] or '-'}  {_detail(e['kind'], detail)}")
    return plain_text("\n".join(lines))  # every value above came from a mail: no terminal escapes


def _detail(kind: str, d: dict[str, Any]) -> str:
    """One readable line for an event's detail; the text of notes in full, other keys compact."""
    if kind == "internal_note":
        return f"[internal] {d.get('text', '')}"
    if kind == "assigned":
        return f"-> {d.get('assignee') or '(nobody)'}" + (f" (was {d['previous']})" if d.get("previous") else "")
    if kind == "status_changed":
        head = f"{d.get('old')} -> {d.get('new')}"
        return head + (f": {d['text']}" if d.get("text") else "")
    return json.dumps(d, ensure_ascii=False) if d else ""


# -- digest ---------------------------------------------------------------------------------------


@main.command("digest")
@click.option("--print", "print_", is_flag=True, help="Print the digest without sending it (the default).")
@click.option("--html", is_flag=True, help="With --print: the HTML version.")
@click.option("--send", is_flag=True, help="Send the digest now to the configured recipients.")
@pass_state
def digest_command(state: State, print_: bool, html: bool, send: bool) -> None:
    """The staff's daily digest (in Indonesian): print it (--print) or send it now (--send)."""
    from . import digest

    if print_ and send:
        raise click.UsageError("choose one of --print and --send")
    store, replies = _replies(state)
    try:
        if send:
            message_id = digest.send(store, replies)
            if message_id is None:
                raise click.ClickException("no recipients: set [digest] recipients or [staff] addresses")
            delivery = _flush(state, store)
            click.echo(f"digest sent to {', '.join(digest.recipients(replies))} ({message_id}); "
                       f"sent: {delivery.sent}, retrying: {delivery.retried}, failed: {delivery.failed}")
            return
        text, html_text = digest.render(replies, digest.collect(store, replies))
        click.echo(html_text if html else text, nl=False)
    finally:
        store.close()


def _flush(state: State, store: Any) -> Any:
    """Deliver the outbox now, with the Sent-folder copies the daemon makes."""
    from .daemon import Daemon
    from .outbox import Sender

    daemon = Daemon(state.config)
    try:
        return Sender(state.config, store, daemon._on_sent).flush(ignore_backoff=True)
    finally:
        daemon._close_sent_copies()

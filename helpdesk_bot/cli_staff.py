"""Staff commands: act on a ticket (``ticket proses|selesai|tolak|catatan ID``), see one, and the digest.

They call the same ``workflow.act`` as the ``#selesai`` mail commands, so a ticket moves the
same way whichever door staff use. Messages are in Indonesian: staff read them.
"""

from __future__ import annotations

import getpass
import json
import mimetypes
from pathlib import Path
from typing import Any

import click

from .cli import State, main, pass_state


def _pipeline(state: State) -> tuple[Any, Any]:
    """(store, pipeline) for the configured database and the rules on disk."""
    from .daemon import open_store
    from .pipeline import Pipeline

    config = state.config
    rules = state.rules()
    store = open_store(config)
    return store, Pipeline(config, store, lambda: rules)


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
    """Tindakan petugas pada satu tiket (sama dengan perintah #proses, #selesai, #tolak, #catatan lewat email)."""


def _action_command(action: str, help_text: str) -> None:
    @ticket_group.command(action, help=help_text)
    @click.argument("ticket_id")
    @click.option("--text", "-t", default="", help="Teks untuk pemohon (alasan penolakan untuk 'tolak').")
    @click.option("--attach", "-a", multiple=True, type=click.Path(exists=True, dir_okay=False),
                  help="Berkas yang dilampirkan pada pemberitahuan (dapat diulang).")
    @click.option("--actor", default=None, help="Nama petugas yang dicatat (bawaan: cli:<pengguna sistem>).")
    @pass_state
    def command(state: State, ticket_id: str, text: str, attach: tuple[str, ...], actor: str | None) -> None:
        from .workflow import ActionError, act

        store, pipeline = _pipeline(state)
        try:
            with store.transaction():
                result = act(store, pipeline, ticket_id, action, actor or f"cli:{getpass.getuser()}", text,
                             _read_attachments(attach), via="cli")
        except ActionError as e:
            raise click.ClickException(str(e)) from e
        finally:
            store.close()
        change = (f"{result.old_status} -> {result.new_status}" if result.old_status != result.new_status
                  else f"status tetap {result.new_status}")
        click.echo(f"Tiket {result.ticket_id}: {change}; pemberitahuan kepada pemohon masuk antrean pengiriman "
                   f"({len(result.replies)} email).")
        for note in result.notes:
            click.echo(f"Catatan: {note}")


_action_command("proses", "Tandai tiket sedang diproses dan beri tahu pemohon.")
_action_command("selesai", "Tandai tiket selesai dan kirim pemberitahuan (dengan pengingat penggantian password "
                           "untuk ubah jadwal dan perbaikan aplikasi; hasil uji forensik wajib dilampirkan).")
_action_command("tolak", "Tolak tiket dengan alasan (--text) dan beri tahu pemohon.")
_action_command("catatan", "Kirim catatan kepada pemohon tanpa mengubah status.")


@ticket_group.command("show")
@click.argument("ticket_id")
@click.option("--json", "as_json", is_flag=True, help="Tiket dan riwayatnya sebagai JSON.")
@pass_state
def ticket_show(state: State, ticket_id: str, as_json: bool) -> None:
    """Tampilkan satu tiket beserta riwayat kejadiannya."""
    from .daemon import open_store

    store = open_store(state.config)
    try:
        ticket = store.ticket(ticket_id)
        if ticket is None:
            raise click.ClickException(f"Tiket {ticket_id} tidak ditemukan.")
        events = store.events(ticket.id)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps({"ticket": ticket.to_json(), "events": events}, ensure_ascii=False, indent=1))
        return
    t = ticket.to_json()
    for key in ("id", "request_type", "status", "requester", "subject", "urgent", "due_at", "closed_at",
                "reminder_count", "next_reminder_at", "password_confirmed_at", "needs_staff"):
        click.echo(f"{key:<22} {t[key] if t[key] not in (None, '') else '-'}")
    click.echo("riwayat:")
    for e in events:
        click.echo(f"  {e['at']}  {e['kind']:<22} {e['actor'] or '-'}  {e['detail']}")


# -- digest ---------------------------------------------------------------------------------------


@main.command("digest")
@click.option("--print", "print_", is_flag=True, help="Tampilkan ringkasan tanpa mengirim (bawaan).")
@click.option("--html", is_flag=True, help="Dengan --print: tampilkan versi HTML.")
@click.option("--send", is_flag=True, help="Kirim ringkasan sekarang kepada penerima yang dikonfigurasi.")
@pass_state
def digest_command(state: State, print_: bool, html: bool, send: bool) -> None:
    """Ringkasan harian untuk petugas helpdesk: tampilkan (--print) atau kirim sekarang (--send)."""
    from . import digest

    if print_ and send:
        raise click.UsageError("pilih salah satu: --print atau --send")
    store, pipeline = _pipeline(state)
    try:
        if send:
            message_id = digest.send(store, pipeline)
            if message_id is None:
                raise click.ClickException("Tidak ada penerima: isi [digest] recipients atau [staff] addresses.")
            delivery = _flush(state, store)
            click.echo(f"Ringkasan dikirim kepada {', '.join(digest.recipients(pipeline))} ({message_id}); "
                       f"terkirim {delivery.sent}, menunggu ulang {delivery.retried}, gagal {delivery.failed}.")
            return
        text, html_text = digest.render(pipeline, digest.collect(store, pipeline))
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

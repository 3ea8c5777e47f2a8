"""``helpdesk-bot report``: the monthly figures on the terminal, as an HTML file, or mailed now.

Attaches itself to the ``main`` group of cli.py. The report is for staff and management, so it
is in Indonesian like the digest; the definitions of every figure are printed with it.
"""

from __future__ import annotations

from pathlib import Path

import click

from .cli import State, main, pass_state


@main.command("report")
@click.option("--month", "month_text", default=None, metavar="YYYY-MM",
              help="The month to report, e.g. 2026-11 (default: last month).")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the HTML report, with its charts, to this file.")
@click.option("--send", is_flag=True, help="Mail the report now to [report] recipients.")
@pass_state
def report_command(state: State, month_text: str | None, html_file: Path | None, send: bool) -> None:
    """The monthly report: volume per type and per agency, first response and resolution in working
    hours, the share within target, unanswered mail and quarantine (the report itself is in Indonesian)."""
    from . import report
    from .cli_staff import _flush, _replies

    config = state.config
    try:
        month = report.Month.parse(month_text, config.helpdesk.timezone) if month_text else None
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--month") from e
    store, replies = _replies(state)
    try:
        month = month or report.Month.previous(store.now(), config.helpdesk.timezone)
        if send:
            message_id = report.send(store, replies, month)
            if message_id is None:
                raise click.ClickException("no recipients: set [report] recipients in the configuration")
            delivery = _flush(state, store)
            click.echo(f"report {month.label} mailed to {', '.join(report.recipients(config))} ({message_id}); "
                       f"sent {delivery.sent}, retrying {delivery.retried}, failed {delivery.failed}")
            return
        r = report.for_service(replies, month)
        click.echo(report.render_text(replies, r), nl=False)
        if html_file is not None:
            try:
                html_file.write_text(report.render_html(replies, r), encoding="utf-8")
            except OSError as e:
                raise click.ClickException(f"{html_file}: cannot write: {e.strerror or e}") from e
            click.echo(f"HTML report written to {html_file}", err=True)
    finally:
        store.close()

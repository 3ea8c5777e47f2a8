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
              help="Bulan laporan, misalnya 2026-11 (bawaan: bulan lalu).")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Tulis juga laporan HTML dengan grafik ke berkas ini.")
@click.option("--send", is_flag=True, help="Kirim laporan sekarang kepada [report] recipients.")
@pass_state
def report_command(state: State, month_text: str | None, html_file: Path | None, send: bool) -> None:
    """Laporan bulanan: volume per jenis dan per instansi, waktu tanggapan dan penyelesaian dalam
    jam kerja, bagian yang selesai dalam target, email yang tidak dijawab dan karantina."""
    from . import report
    from .cli_staff import _flush, _pipeline

    config = state.config
    try:
        month = report.Month.parse(month_text, config.helpdesk.timezone) if month_text else None
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--month") from e
    store, pipeline = _pipeline(state)
    try:
        month = month or report.Month.previous(store.now(), config.helpdesk.timezone)
        if send:
            message_id = report.send(store, pipeline, month)
            if message_id is None:
                raise click.ClickException("Tidak ada penerima: isi [report] recipients pada konfigurasi.")
            delivery = _flush(state, store)
            click.echo(f"Laporan {month.label} dikirim kepada {', '.join(report.recipients(config))} ({message_id}); "
                       f"terkirim {delivery.sent}, menunggu ulang {delivery.retried}, gagal {delivery.failed}.")
            return
        r = report.for_pipeline(pipeline, month)
        click.echo(report.render_text(pipeline, r), nl=False)
        if html_file is not None:
            try:
                html_file.write_text(report.render_html(pipeline, r), encoding="utf-8")
            except OSError as e:
                raise click.ClickException(f"{html_file}: tidak dapat ditulis: {e.strerror or e}") from e
            click.echo(f"Laporan HTML ditulis ke {html_file}", err=True)
    finally:
        store.close()

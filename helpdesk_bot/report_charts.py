"""Charts of the monthly report, drawn with matplotlib into PNG bytes.

Only the object-oriented API (``Figure``), never pyplot: pyplot keeps global state and a GUI
backend, which a daemon thread must not touch; a bare Figure renders with Agg. Labels are in
Indonesian, like the report around them. matplotlib is imported here only, so the daemon pays
its import time (about a second) when a report is drawn, not at start.
"""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .report import Report

BLUE = "#1f3b5a"
LIGHT = "#8fb3d9"
RED = "#c0392b"
GREEN = "#2e8b57"
#: Pixels = inches x DPI; 7.2 x DPI 100 fits the 760 px column of the HTML.
DPI = 100
WIDTH = 7.2


def _figure(height: float):  # type: ignore[no-untyped-def]
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH, height), dpi=DPI)
    ax = fig.add_subplot(1, 1, 1)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=9)
    return fig, ax


def _title(fig, text: str) -> None:  # type: ignore[no-untyped-def]
    """A title over the whole figure, left-aligned: an axes title starts after long y labels and is cut off."""
    fig.suptitle(text, x=0.01, ha="left", fontsize=11, color=BLUE)


def _png(fig) -> bytes:  # type: ignore[no-untyped-def]
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def _empty(ax, text: str = "Tidak ada data pada bulan ini") -> None:  # type: ignore[no-untyped-def]
    ax.set_xticks([])
    ax.set_yticks([])
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#777", fontsize=11)


def _hbar(title: str, labels: list[str], values: list[int], color: str = BLUE) -> bytes:
    """A horizontal bar chart, largest first, each bar labelled with its value."""
    fig, ax = _figure(max(2.0, 0.9 + 0.32 * len(labels)))
    _title(fig, title)
    if not labels:
        _empty(ax)
        return _png(fig)
    y = list(range(len(labels)))[::-1]
    bars = ax.barh(y, values, color=color, height=0.6)
    ax.set_yticks(y, [lbl if len(lbl) <= 45 else lbl[:44] + "…" for lbl in labels])
    ax.bar_label(bars, padding=3, fontsize=9)
    ax.set_ylim(-0.7, len(labels) - 0.3)  # one bar stays a bar, not a block
    ax.set_xlim(0, max(values) * 1.15 + 0.5)
    ax.xaxis.get_major_locator().set_params(integer=True)
    return _png(fig)


def volume_by_type(r: Report) -> bytes:
    rows = [t for t in r.types if t.created]
    return _hbar("Tiket baru per jenis permohonan", [t.name for t in rows], [t.created for t in rows])


def volume_by_agency(r: Report) -> bytes:
    return _hbar("Tiket baru per instansi", [a for a, _n in r.agencies], [n for _a, n in r.agencies], LIGHT)


def per_day(r: Report) -> bytes:
    """Tickets created each day; closed days (weekends, holidays) drawn grey."""
    fig, ax = _figure(2.6)
    _title(fig, "Tiket baru per hari")
    days = [d for d, _n in r.per_day]
    counts = [n for _d, n in r.per_day]
    colors = [BLUE if working else "#bbbbbb" for working in r.working_days]
    ax.bar([d.day for d in days], counts, color=colors)
    ax.set_xticks([d.day for d in days if d.day == 1 or d.day % 5 == 0])
    ax.set_xlabel("Tanggal (abu-abu: hari libur)", fontsize=9)
    ax.yaxis.get_major_locator().set_params(integer=True)
    if not any(counts):
        ax.set_ylim(0, 1)
    return _png(fig)


def resolution_vs_target(r: Report) -> bytes:
    """Median resolution time per type against its target, in working hours."""
    rows = [t for t in r.types if t.resolution.count]
    fig, ax = _figure(max(2.0, 0.9 + 0.36 * len(rows)))
    _title(fig, "Median waktu penyelesaian (jam kerja); garis hitam: target, merah: melewatinya")
    if not rows:
        _empty(ax, "Belum ada tiket yang selesai")
        return _png(fig)
    y = list(range(len(rows)))[::-1]
    medians = [t.resolution.median or 0.0 for t in rows]
    colors = [RED if t.resolution.target and m > t.resolution.target else GREEN if t.resolution.target else LIGHT
              for t, m in zip(rows, medians)]
    bars = ax.barh(y, medians, color=colors, height=0.6)
    ax.bar_label(bars, labels=[f"{m:.1f}".replace(".", ",") for m in medians], padding=3, fontsize=9)
    for yi, t in zip(y, rows):
        if t.resolution.target:
            ax.plot([t.resolution.target] * 2, [yi - 0.4, yi + 0.4], color="#222", linewidth=2)
    ax.set_yticks(y, [t.name if len(t.name) <= 45 else t.name[:44] + "…" for t in rows])
    ax.set_ylim(-0.7, len(rows) - 0.3)
    top = max(medians + [t.resolution.target for t in rows])
    ax.set_xlim(0, top * 1.2 + 0.5)
    ax.set_xlabel("jam kerja", fontsize=9)
    return _png(fig)


#: Chart name -> drawing function, in the order the report shows them.
CHARTS = {
    "per_type": volume_by_type,
    "per_agency": volume_by_agency,
    "per_day": per_day,
    "resolution": resolution_vs_target,
}


def draw_all(r: Report) -> dict[str, bytes]:
    return {name: draw(r) for name, draw in CHARTS.items()}


def data_uri(png: bytes) -> str:
    """For a standalone HTML file: the image inside the page, nothing to fetch."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")

"""Draws a reply's chart (handlers.io.Chart) as a PNG, for the channels that send pictures.

matplotlib's object API (a Figure of its own, no pyplot): no global state, so charts may be drawn in worker threads
(`drawn`) while the event loop goes on. The picture has no words, only day labels and numbers (a chat's fonts here
may lack the reader's script): the reply's text says what the colours mean.
"""
from __future__ import annotations

import asyncio
import io
from functools import lru_cache

from handlers.io import Bars, Chart

# The colours of the squares the text names them by (🟩 🟥 🟦 🟧, as most chat apps draw them).
COLOURS = {"green": "#78b159", "red": "#dd2e44", "blue": "#55acee", "orange": "#f4900c"}
WIDTH_INCHES, PANEL_INCHES, DPI = 8.0, 2.6, 120
CROWDED = 14  # more bars than this are too narrow for their totals in full
DAY_LABELS = 15  # at most this many labels on the axis fit side by side


def _panel(ax, labels: tuple[str, ...], bars: Bars) -> None:  # noqa: ANN001 - a matplotlib Axes
    positions = range(len(labels))
    bottom = [0.0] * len(labels)
    for colour, values in bars.series:
        heights = [v / 100 if bars.money else float(v) for v in values]
        ax.bar(positions, heights, bottom=bottom, color=COLOURS[colour], width=0.7)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    crowded = len(labels) > CROWDED
    for x, total in zip(positions, bottom, strict=True):  # the bar's total above it, where it has one
        if total:  # a month's bars are narrow: whole yuan there (the text has every day's exact figure)
            ax.annotate(f"{total:.{0 if crowded or not bars.money else 2}f}", (x, total), ha="center", va="bottom",
                        fontsize=6 if crowded else 8, xytext=(0, 2), textcoords="offset points")
    ax.set_ylim(0, max(bottom, default=0) * 1.18 or 1)
    if not bars.money:
        ax.yaxis.get_major_locator().set_params(integer=True)  # orders come whole
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)


def png(chart: Chart) -> bytes:
    from matplotlib.figure import Figure  # imported when first drawn: a second at start-up otherwise

    figure = Figure(figsize=(WIDTH_INCHES, PANEL_INCHES * len(chart.panels)), dpi=DPI, layout="constrained")
    axes = figure.subplots(len(chart.panels), 1, sharex=True, squeeze=False)[:, 0]
    for ax, bars in zip(axes, chart.panels, strict=True):
        _panel(ax, chart.labels, bars)
    every = -(-len(chart.labels) // DAY_LABELS)  # a month's days would overlap: every third one is labelled
    axes[-1].set_xticks(range(len(chart.labels))[::every], chart.labels[::every], fontsize=8)
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


@lru_cache(maxsize=8)
def _cached_png(chart: Chart) -> bytes:
    return png(chart)


async def drawn(chart: Chart) -> bytes:
    """The chart as a PNG, drawn in a worker thread (a tenth of a second or so of CPU); the same chart (a reply sent
    again, the outbox retrying) is not drawn twice."""
    return await asyncio.to_thread(_cached_png, chart)

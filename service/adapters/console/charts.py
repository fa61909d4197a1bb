"""Charts drawn on the server as SVG: bars whose geometry is computed here and whose
drawing is a template. No script, no inline style (the CSP allows neither); each chart
has its numbers in a table beside it, which is also what a screen reader reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

WIDTH: Final = 600
BAR_HEIGHT: Final = 22
GAP: Final = 10
LABEL_WIDTH: Final = 190
VALUE_WIDTH: Final = 70


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float
    shown: str  # the value as the reader reads it (a share, a number of days)
    y: int
    length: float
    second: bool = False


@dataclass(frozen=True, slots=True)
class BarChart:
    title: str
    bars: list[Bar]
    height: int
    label_width: int = LABEL_WIDTH
    # Where a target line is drawn (an on-time share of 90 %, say), as x.
    target_x: float | None = None

    @property
    def width(self) -> int:
        return WIDTH


def bar_chart(
    title: str,
    rows: Sequence[tuple[str, float, str]],
    *,
    scale_to: float | None = None,
    target: float | None = None,
) -> BarChart:
    """Horizontal bars, one per (label, value, value as shown) row, longest = largest
    value (or `scale_to`, e.g. 1.0 for shares)."""
    largest = scale_to if scale_to is not None else max((v for _l, v, _s in rows), default=0.0)
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    bars = [
        Bar(
            label=label,
            value=value,
            shown=shown,
            y=GAP + index * (BAR_HEIGHT + GAP),
            length=round(span * value / largest, 1) if largest > 0 else 0.0,
        )
        for index, (label, value, shown) in enumerate(rows)
    ]
    height = GAP + len(bars) * (BAR_HEIGHT + GAP)
    target_x = (
        round(LABEL_WIDTH + span * target / largest, 1)
        if target is not None and largest > 0
        else None
    )
    return BarChart(title=title, bars=bars, height=max(height, 2 * GAP), target_x=target_x)

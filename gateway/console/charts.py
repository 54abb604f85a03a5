"""Bar charts drawn as SVG on the server: horizontal stacked bars, one per group."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.reporting import ViewBars

WIDTH, LABEL, ROW, GAP = 760, 260, 22, 6


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    series: int
    value: int


@dataclass(frozen=True)
class Bar:
    y: float
    label: str
    total: int
    segments: list[Segment]


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    label_width: int
    row: int
    bars: list[Bar]


def bars(view: ViewBars) -> Chart:
    """Bars scaled to the largest group's total; each segment's value kept for its title."""
    largest = max((sum(values) for _label, values in view.groups), default=0) or 1
    room = WIDTH - LABEL - 60
    drawn = []
    for index, (label, values) in enumerate(view.groups):
        x, segments = float(LABEL), []
        for series, value in enumerate(values):
            width = room * value / largest
            segments.append(Segment(round(x, 1), round(width, 1), series, value))
            x += width
        drawn.append(Bar(index * (ROW + GAP), label, sum(values), segments))
    height = max(len(drawn) * (ROW + GAP), ROW)
    return Chart(WIDTH, height, LABEL, ROW, drawn)

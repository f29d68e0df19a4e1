"""Inline SVG charts for the report page, drawn from :class:`~brandkit.registry.models.Metrics`.

Only geometry is computed here (plain dataclasses); the SVG markup is in ``templates/report.html`` so that
Jinja's autoescape covers every label. No JavaScript, no chart library.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from brandkit.registry.models import CountRow, Metrics, TrendPoint

WIDTH, HEIGHT = 640, 220
BAR_VIEW_WIDTH, BAR_X, BAR_MAX = 460, 170, 230
"""Bar charts: the SVG's viewBox width, where bars start (labels to the left) and a full bar's length."""
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 48, 16, 12, 32
RATE_SERIES = (
    ("first_pass_yield", "first-pass yield", "#2b7a4b"),
    ("approval_rate", "approval rate", "#2456a6"),
    ("revision_rate", "revision rate", "#c0562b"),
)


@dataclass(frozen=True)
class Bar:
    """One horizontal bar: ``fraction`` of the chart's width (0–1) and the text shown beside it."""

    label: str
    value: float
    text: str
    fraction: float


@dataclass(frozen=True)
class Point:
    """A data point in SVG coordinates, with the value it shows."""

    x: float
    y: float
    text: str


@dataclass(frozen=True)
class Series:
    """One line of a line chart."""

    name: str
    color: str
    points: list[Point]

    @property
    def path(self) -> str:
        """The SVG ``points`` attribute of a polyline through the points."""
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass(frozen=True)
class LineChart:
    """A line chart of rates per day: axes, ticks, series."""

    width: int = WIDTH
    height: int = HEIGHT
    x_labels: list[Point] = field(default_factory=list)
    y_ticks: list[Point] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)

    @property
    def left(self) -> int:
        """x of the y axis."""
        return PAD_LEFT

    @property
    def bottom(self) -> int:
        """y of the x axis."""
        return self.height - PAD_BOTTOM

    @property
    def right(self) -> int:
        """x of the right edge of the plot."""
        return self.width - PAD_RIGHT


def pct(value: float | None) -> str:
    """A rate as a percentage, ``—`` when there is nothing to divide by."""
    return "—" if value is None else f"{value:.0%}"


def rate_bars(metrics: Metrics) -> list[Bar]:
    """First-pass yield, approval rate and revision rate as bars on a 0–100 % scale; a rate with nothing to
    divide by (no produced or no reviewed asset yet) is an empty bar reading ``— (no data)``."""
    bars = []
    for attr, label, _color in RATE_SERIES:
        value: float | None = getattr(metrics, attr)
        if value is None:
            bars.append(Bar(label=label, value=0.0, text="— (no data)", fraction=0.0))
        else:
            bars.append(Bar(label=label, value=value, text=pct(value), fraction=max(0.0, min(1.0, value))))
    return bars


def count_bars(rows: list[CountRow], limit: int = 8) -> list[Bar]:
    """Counts (rework checks or reasons) as bars scaled to the largest."""
    top = rows[:limit]
    most = max((r.count for r in top), default=0)
    return [Bar(label=r.name, value=r.count, text=str(r.count), fraction=r.count / most if most else 0.0) for r in top]


def _rate(point: TrendPoint, attr: str) -> float | None:
    value: float | None = getattr(point, attr)
    return value


def trend_chart(trend: list[TrendPoint]) -> LineChart:
    """The three rates per day (0–100 %) as a line chart; a day without data for a rate breaks no line, it is
    simply not plotted for that rate."""
    chart = LineChart()
    plot_w = chart.right - chart.left
    plot_h = chart.bottom - PAD_TOP
    n = len(trend)

    def x_of(i: int) -> float:
        return chart.left + (plot_w / 2 if n == 1 else plot_w * i / (n - 1))

    def y_of(v: float) -> float:
        return chart.bottom - plot_h * max(0.0, min(1.0, v))

    step = max(1, n // 6)
    chart.x_labels.extend(Point(x_of(i), chart.bottom + 18, p.day[5:]) for i, p in enumerate(trend) if i % step == 0)
    chart.y_ticks.extend(Point(chart.left - 6, y_of(v), f"{v:.0%}") for v in (0.0, 0.25, 0.5, 0.75, 1.0))
    for attr, label, color in RATE_SERIES:
        points = [
            Point(x_of(i), y_of(value), f"{p.day}: {label} {value:.0%}")
            for i, p in enumerate(trend)
            if (value := _rate(p, attr)) is not None
        ]
        if points:
            chart.series.append(Series(name=label, color=color, points=points))
    return chart

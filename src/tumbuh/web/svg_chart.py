"""A child's growth chart as server-rendered SVG (a few kB instead of a 1 MB chart library on
a phone): the WHO −3 … +3 SD lines of :func:`tumbuh.web.growth_charts.chart_with_points`
and the child's measurements, with axes, end labels and a <title> per point."""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

from tumbuh.i18n import format_number

WIDTH, HEIGHT = 360, 260
LEFT, RIGHT, TOP, BOTTOM = 40, 44, 12, 38
COLOURS = {
    "-3": "#8a1414", "-2": "#b53d0a", "-1": "#6b7570", "0": "#1d5c3f",
    "1": "#6b7570", "2": "#b53d0a", "3": "#8a1414",
}  # fmt: skip
MAX_POINTS_PER_LINE = 70


def _nice_step(span: float, ticks: int = 6) -> float:
    raw = span / max(ticks, 1)
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for mult in (1, 2, 2.5, 5, 10):
        if raw <= mult * power:
            return mult * power
    return 10 * power


def _thin(line: Sequence[Sequence[float]]) -> list[Sequence[float]]:
    step = max(1, math.ceil(len(line) / MAX_POINTS_PER_LINE))
    kept = list(line[::step])
    if line and kept[-1] is not line[-1]:
        kept.append(line[-1])
    return kept


def _fmt(value: float, lang: str) -> str:
    return format_number(value, 6, lang, min_decimals=0)


def growth_svg(payload: dict[str, object], *, lang: str, label: str) -> Markup:
    """Inline SVG of one chart payload (lines, points, labels, x_unit, y_unit)."""
    lines: dict[str, list[list[float]]] = payload["lines"]  # type: ignore[assignment]
    points: list[list[float]] = payload.get("points") or []  # type: ignore[assignment]
    labels: dict[str, str] = payload.get("labels") or {}  # type: ignore[assignment]
    x_unit = str(payload.get("x_unit"))
    y_unit = str(payload.get("y_unit"))
    xs = [p[0] for line in lines.values() for p in line]
    if x_unit == "month":
        x_min, x_max = 0.0, 60.0
        if points:
            x_max = min(
                60.0, max(24.0, 6 * math.ceil(max(p[0] for p in points) / 6 + 1))
            )
    else:
        x_min, x_max = min(xs), max(xs)
    in_range = [p for line in lines.values() for p in line if x_min <= p[0] <= x_max]
    ys = [p[1] for p in in_range] + [p[1] for p in points]
    y_step = _nice_step(max(ys) - min(ys))
    y_min = math.floor(min(ys) / y_step) * y_step
    y_max = math.ceil(max(ys) / y_step) * y_step
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def sx(x: float) -> float:
        return LEFT + (x - x_min) / (x_max - x_min) * plot_w

    def sy(y: float) -> float:
        return TOP + (y_max - y) / (y_max - y_min) * plot_h

    out: list[str] = [
        f'<svg class="growth-svg" data-ready="1" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(label)}</title>",
        '<g class="grid" stroke="#d5dbd8" stroke-width="0.5">',
    ]
    x_step = 6.0 if x_unit == "month" else _nice_step(x_max - x_min)
    ticks_x = [x_min + i * x_step for i in range(int((x_max - x_min) / x_step) + 1)]
    ticks_y = [
        y_min + i * y_step for i in range(int(round((y_max - y_min) / y_step)) + 1)
    ]
    for x in ticks_x:
        out.append(
            f'<line x1="{sx(x):.1f}" y1="{TOP}" x2="{sx(x):.1f}" y2="{TOP + plot_h}"/>'
        )
    for y in ticks_y:
        out.append(
            f'<line x1="{LEFT}" y1="{sy(y):.1f}" x2="{LEFT + plot_w}" y2="{sy(y):.1f}"/>'
        )
    out.append('</g><g class="axes" font-size="10" fill="#333">')
    for x in ticks_x:
        out.append(
            f'<text x="{sx(x):.1f}" y="{TOP + plot_h + 12}" text-anchor="middle">{_fmt(x, lang)}</text>'
        )
    for y in ticks_y:
        out.append(
            f'<text x="{LEFT - 4}" y="{sy(y) + 3:.1f}" text-anchor="end">{_fmt(y, lang)}</text>'
        )
    out.append(
        f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 4}" text-anchor="middle">'
        f"{escape(labels.get('x', ''))}</text>"
        f'<text x="4" y="{TOP + 8}">{escape(y_unit)}</text></g>'
    )
    out.append('<g class="lines" fill="none">')
    for z in sorted(lines, key=float):
        kept = [p for p in _thin(lines[z]) if x_min <= p[0] <= x_max]
        if not kept:
            continue
        coords = "L".join(f"{sx(p[0]):.1f},{sy(p[1]):.1f}" for p in kept)
        dash = ' stroke-dasharray="4 3"' if z in ("-1", "1") else ""
        width = 2 if z == "0" else 1.2
        name = ("+" if float(z) > 0 else "") + z + " SD"
        out.append(
            f'<path data-z="{z}" d="M{coords}" stroke="{COLOURS[z]}" '
            f'stroke-width="{width}"{dash}/>'
            f'<text x="{sx(kept[-1][0]) + 3:.1f}" y="{sy(kept[-1][1]) + 3:.1f}" '
            f'font-size="9" fill="{COLOURS[z]}">{name}</text>'
        )
    out.append("</g>")
    shown = [p for p in points if x_min <= p[0] <= x_max]
    if shown:
        coords = "L".join(f"{sx(p[0]):.1f},{sy(p[1]):.1f}" for p in shown)
        out.append(
            f'<path class="child-line" d="M{coords}" fill="none" '
            'stroke="#1b1f1d" stroke-width="1.5"/>'
        )
        for p in shown:
            tip = f"{_fmt(round(p[0], 1), lang)} · {_fmt(p[1], lang)} {y_unit}"
            out.append(
                f'<circle class="child-point" cx="{sx(p[0]):.1f}" cy="{sy(p[1]):.1f}" '
                f'r="3.5" fill="#1b1f1d"><title>{escape(tip)}</title></circle>'
            )
    out.append("</svg>")
    return Markup("".join(out))

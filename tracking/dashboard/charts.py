"""Server-rendered inline SVG charts: geometry here, markup in templates/dashboard/_chart.html.

No JavaScript and no library: a bar chart is a handful of rectangles, and the page also shows
the same numbers as a table (the accessible form, and the CSV)."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT, PAD = 640, 160, 18


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: float


def bars(points: list[tuple[str, float]], width: int = WIDTH, height: int = HEIGHT) -> dict:
    """Vertical bars scaled to the largest value; an all-zero series draws a flat baseline."""
    top = max((v for _label, v in points), default=0) or 1
    n = max(len(points), 1)
    slot = width / n
    gap = min(4.0, slot * 0.2)
    plot = height - PAD
    out = []
    for i, (label, value) in enumerate(points):
        h = plot * (value / top)
        out.append(
            Bar(
                round(i * slot + gap / 2, 2),
                round(plot - h, 2),
                round(slot - gap, 2),
                round(h, 2),
                label,
                value,
            )
        )
    return {"bars": out, "width": width, "height": height, "baseline": plot, "max": top}

"""Step-line charts as inline SVG (no script, no external file), for the run report."""

from __future__ import annotations

import html

__all__ = ["Series", "svg_chart", "thin"]

Series = dict[str, list[tuple[float, float]]]
_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")


def thin(points: list[tuple[float, float]], buckets: int) -> list[tuple[float, float]]:
    """At most about ``2 x buckets`` points of ``points`` (sorted by x): per
    bucket of equal x width its lowest and highest point, in x order, so that
    no spike (say, of inventory) vanishes from the chart."""
    if len(points) <= 2 * buckets:
        return points
    x0, x1 = points[0][0], points[-1][0]
    span = (x1 - x0) or 1.0
    groups: dict[int, list[tuple[float, float]]] = {}
    for p in points:
        groups.setdefault(min(int((p[0] - x0) / span * buckets), buckets - 1), []).append(p)
    out: list[tuple[float, float]] = []
    for group in groups.values():
        lo = min(group, key=lambda p: p[1])
        hi = max(group, key=lambda p: p[1])
        out.extend(sorted({lo, hi, group[-1]}))
    return out


def svg_chart(title: str, series: Series, y_label: str, *, width: int = 760, height: int = 260) -> str:
    """A step-line chart of ``series`` (label -> ``(x, y)`` points) as inline SVG."""
    series = {label: thin(pts, width) for label, pts in series.items() if pts}
    left, right, top, bottom = 70, 170, 28, 36
    xs = [x for pts in series.values() for x, _ in pts] or [0.0]
    ys = [y for pts in series.values() for _, y in pts] or [0.0]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(min(ys), 0.0), max(max(ys), 0.0)
    x1 = x1 if x1 > x0 else x0 + 1
    y1 = y1 if y1 > y0 else y0 + 1
    pw, ph = width - left - right, height - top - bottom

    def px(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * pw

    def py(y: float) -> float:
        return top + (y1 - y) / (y1 - y0) * ph

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">',
        f"<title>{html.escape(title)}</title>",
        f'<text x="{left}" y="18" class="t">{html.escape(title)}</text>',
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" class="frame"/>',
    ]
    for i in range(5):
        y = y0 + (y1 - y0) * i / 4
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{py(y):.1f}" y2="{py(y):.1f}" class="grid"/>')
        out.append(f'<text x="{left - 6}" y="{py(y) + 4:.1f}" class="yl">{y:.4g}</text>')
        x = x0 + (x1 - x0) * i / 4
        out.append(f'<text x="{px(x):.1f}" y="{top + ph + 16}" class="xl">{x:.4g}</text>')
    out.append(f'<line x1="{left}" x2="{left + pw}" y1="{py(0):.1f}" y2="{py(0):.1f}" class="zero"/>')
    out.append(f'<text x="{left + pw / 2}" y="{height - 4}" class="xl">seconds since first point</text>')
    out.append(f'<text x="12" y="{top + ph / 2}" class="yl" transform="rotate(-90 12 {top + ph / 2})">'
               f"{html.escape(y_label)}</text>")
    for n, (label, pts) in enumerate(series.items()):
        colour = _COLOURS[n % len(_COLOURS)]
        d = f"M{px(pts[0][0]):.1f},{py(pts[0][1]):.1f}" + "".join(
            f"H{px(x):.1f}V{py(y):.1f}" for x, y in pts[1:]
        ) + f"H{px(x1):.1f}"
        out.append(f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="1.6"/>')
        ly = top + 12 + 16 * n
        out.append(f'<rect x="{left + pw + 10}" y="{ly - 9}" width="10" height="10" fill="{colour}"/>')
        out.append(f'<text x="{left + pw + 26}" y="{ly}" class="lg">{html.escape(label)}</text>')
    out.append("</svg>")
    return "\n".join(out)

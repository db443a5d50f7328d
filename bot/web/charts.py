"""Small bar charts as inline SVG, drawn on the server (no JavaScript, no CDN)."""

from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 600, 200, 44, 28, 12


def vn_number(n: int | float) -> str:
    """1240 -> '1.240' (Vietnamese thousands separator)."""
    return f"{int(round(n)):,}".replace(",", ".")


def bar_chart(labels: list[str], values: list[int], title: str, color: str = "#2e7d32") -> str:
    top = max(values, default=0) or 1
    n = max(len(values), 1)
    plot_w, plot_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_BOTTOM - PAD_TOP
    step = plot_w / n
    bar_w = step * 0.7
    parts = [
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" class="chart" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for frac in (0, 0.5, 1):
        y = PAD_TOP + plot_h * (1 - frac)
        parts.append(
            f'<line x1="{PAD_LEFT}" y1="{y:.1f}" x2="{WIDTH - 8}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{PAD_LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" class="axis">'
            f"{vn_number(top * frac)}</text>"
        )
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = plot_h * value / top
        x = PAD_LEFT + i * step + (step - bar_w) / 2
        y = PAD_TOP + plot_h - h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
            f'fill="{color}"><title>{escape(label)}: {vn_number(value)}</title></rect>'
        )
        if n <= 12 or i % 2 == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{HEIGHT - 10}" text-anchor="middle" '
                f'class="axis">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def hbar_chart(
    labels: list[str],
    values: Sequence[float],
    title: str,
    *,
    suffix: str = "",
    highlight: int | None = None,
    color: str = "#2e7d32",
) -> str:
    """Horizontal bars, one row each (readable on a phone: labels never overlap); values
    are printed after the bars; `highlight` marks one row (the viewer's own)."""
    row_h, label_w, width = 22, 210, WIDTH
    top = max(values, default=0) or 1
    height = PAD_TOP + row_h * max(len(values), 1) + 4
    plot_w = width - label_w - 70
    parts = [
        f'<svg viewBox="0 0 {width} {height}" class="chart" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = PAD_TOP + i * row_h
        w = plot_w * value / top
        fill = "#ef6c00" if i == highlight else color
        shown = f"{value:.1f}".replace(".", ",") if isinstance(value, float) else vn_number(value)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" class="axis">'
            f"{escape(label[:34])}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" '
            f'fill="{fill}"><title>{escape(label)}: {shown}{suffix}</title></rect>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 15}" class="axis">{shown}{suffix}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)

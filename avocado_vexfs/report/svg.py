"""Small inline SVG plots for the report: no plotting library, no files beside the page.

Each function returns SVG markup (text); the template marks it safe. Numbers only come
from our own JSON, and labels are escaped.
"""
from markupsafe import escape

STATUS_COLOURS = {"PASS": "#2e7d32", "FAIL": "#c62828", "ERROR": "#ef6c00",
                  "CANCEL": "#757575", "SKIP": "#9e9e9e", "WARN": "#f9a825",
                  "INTERRUPTED": "#6a1b9a"}


def status_history(history, width=600, height=120):
    """Stacked bars of test statuses per past job (oldest left); ``history`` is a list of
    (job name, {status: count})."""
    if not history:
        return ""
    top = max(sum(counts.values()) for _name, counts in history) or 1
    bar = min(width / len(history), 30.0)
    parts = [f'<svg class="plot" role="img" aria-label="status history" '
             f'width="{width}" height="{height + 14}" viewBox="0 0 {width} {height + 14}">']
    for index, (name, counts) in enumerate(history):
        y = height
        for status in STATUS_COLOURS:
            count = counts.get(status, 0)
            if not count:
                continue
            h = count / top * height
            y -= h
            parts.append(f'<rect x="{index * bar + 1:.1f}" y="{y:.1f}" width="{bar - 2:.1f}"'
                         f' height="{h:.1f}" fill="{STATUS_COLOURS[status]}">'
                         f'<title>{escape(name)}: {count} {status}</title></rect>')
    parts.append(f'<text x="0" y="{height + 12}" font-size="10">{escape(history[0][0])}'
                 f'</text><text x="{max(len(history) * bar, 300):.0f}" y="{height + 12}" font-size="10" '
                 f'text-anchor="end">{escape(history[-1][0])} (this job)</text></svg>')
    return "".join(parts)


def trend_line(points, width=220, height=48):
    """A sparkline of (label, value) points, oldest first, last point marked."""
    if len(points) < 2:
        return ""
    values = [v for _l, v in points]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = (width - 8) / (len(points) - 1)
    coords = [(4 + i * step, height - 4 - (v - low) / span * (height - 8))
              for i, v in enumerate(values)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2"><title>{escape(label)}: '
                   f'{value:.4g}</title></circle>'
                   for (x, y), (label, value) in zip(coords, points))
    return (f'<svg class="plot trend" role="img" aria-label="trend" width="{width}" '
            f'height="{height}"><polyline fill="none" stroke="#1565c0" stroke-width="1.5" '
            f'points="{line}"/>{dots}</svg>')


def distribution(values_by_group, width=220, height=48):
    """Dots of every repetition per group (one row each): spread at a glance."""
    groups = [(g, v) for g, v in values_by_group.items() if v]
    if not groups:
        return ""
    every = [x for _g, values in groups for x in values]
    low, high = min(every), max(every)
    span = (high - low) or 1.0
    row = height / len(groups)
    parts = [f'<svg class="plot dist" role="img" aria-label="distribution" '
             f'width="{width}" height="{height}">']
    for index, (group, values) in enumerate(groups):
        y = row * index + row / 2
        parts.append(f'<text x="0" y="{y + 3:.1f}" font-size="9">{escape(group)}</text>')
        for value in values:
            x = 40 + (value - low) / span * (width - 46)
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill-opacity="0.6">'
                         f'<title>{escape(group)}: {value:.4g}</title></circle>')
    parts.append("</svg>")
    return "".join(parts)

"""Charts drawn on the server as SVG, with the same numbers as a table.

One small module for every chart of the site (calibration now; the 360 report and the
dashboards next). `bar_chart(...)` returns the markup of a <figure> holding:
- an <svg role="img"> named by its <title> and summarised by its <desc>; bars are <rect>s
  coloured by CSS classes (static/css/charts.css), since the Content-Security-Policy allows
  no style attributes (SVG presentation attributes such as width, height or text-anchor are
  not styles and are fine);
- a legend, and the numbers as a <table> (with data-label cells for the phone layout): what
  screen readers read, and what anyone checking a figure reads.
Every text is escaped. A value of None draws no bar and shows "—" in the table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 16, 40
SERIES_CLASSES = 4  # series-0 … series-3 in charts.css, then they repeat


@dataclass(frozen=True)
class Series:
    """One set of bars, one value per category."""

    name: str
    values: Sequence
    css: str | None = None  # a class of its own (a status colour) instead of series-N


@dataclass(frozen=True)
class Marker:
    """A reference line over one category (a guidance limit, a target), and its label."""

    category: int
    value: object
    label: str



def _px(value) -> str:
    """A coordinate as the SVG writes it: one decimal."""
    return format(Decimal(value).quantize(Decimal("0.1")), "f")


def _share(value, top) -> Decimal:
    """`value` as a share of the axis' `top`, kept within 0..1."""
    return min(max(Decimal(str(value)) / top, Decimal(0)), Decimal(1)) if top else Decimal(0)


def _svg_open(ident: str, width, height, title, summary) -> list[str]:
    """The opening of a chart: the image, its title and its description (text alternative)."""
    return [f'<svg class="chart-svg" viewBox="0 0 {width} {height}" role="img" '
            f'aria-labelledby="{ident}-title {ident}-desc" focusable="false">',
            f'<title id="{ident}-title">{escape(title)}</title>',
            f'<desc id="{ident}-desc">{escape(summary or title)}</desc>']

def number(value, places: int = 1) -> str:
    """A value as the chart and the table print it: "12.5", "40", "—"."""
    if value is None:
        return "—"
    quantum = Decimal(1).scaleb(-places)
    text = format(Decimal(str(value)).quantize(quantum).normalize(), "f")
    return "0" if text in ("-0", "") else text


def _nice_top(largest: Decimal) -> Decimal:
    """The axis' top: the largest value rounded up to a step of 1, 2 or 5 × 10^n."""
    if largest <= 0:
        return Decimal(1)
    exponent = largest.adjusted()
    for step in (1, 2, 5, 10):
        top = Decimal(step).scaleb(exponent)
        if top >= largest:
            return top
    return Decimal(10).scaleb(exponent)


def _attrs(**values) -> str:
    return " ".join(f'{name.replace("_", "-")}="{escape(value)}"'
                    for name, value in values.items())


def _element(tag: str, css: str, text: str | None = None, **values) -> str:
    """An SVG element with a class and presentation attributes (and text, escaped)."""
    opening = f'<{tag} class="{escape(css)}" {_attrs(**values)}'
    return f"{opening}/>" if text is None else f"{opening}>{escape(text)}</{tag}>"


def bar_chart(*, chart_id: str, title: str, categories: Sequence[str],
              series: Sequence[Series], unit: str = "", max_value=None,
              markers: Sequence[Marker] = (), summary: str = "", category_heading: str = "",
              marker_heading: str = "", places: int = 1) -> Markup:
    """A grouped bar chart: for each category one bar per series, and optional markers.

    `chart_id` makes the ids of the title, description and table unique on the page;
    `unit` follows every value ("%"); `max_value` fixes the axis' top (e.g. 100 for shares).
    """
    ident = escape(chart_id)
    values = [Decimal(str(v)) for s in series for v in s.values if v is not None]
    values += [Decimal(str(m.value)) for m in markers if m.value is not None]
    top = Decimal(str(max_value)) if max_value is not None else _nice_top(max(values, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group_w = Decimal(plot_w) / max(len(categories), 1)
    bar_w = group_w * Decimal("0.8") / max(len(series), 1)

    def y(value) -> Decimal:
        return TOP + plot_h - _share(value, top) * plot_h


    parts = _svg_open(ident, WIDTH, HEIGHT, title, summary)
    for i in range(5):  # the axis: five gridlines with their values
        value = top * i / 4
        parts.append(_element("line", "chart-grid", x1=LEFT, x2=WIDTH - RIGHT,
                              y1=_px(y(value)), y2=_px(y(value))))
        parts.append(_element("text", "chart-axis", number(value, places) + unit, x=LEFT - 6,
                              y=_px(y(value) + 4), text_anchor="end"))
    for c, category in enumerate(categories):
        left = LEFT + group_w * c + group_w * Decimal("0.1")
        for s, item in enumerate(series):
            value = item.values[c] if c < len(item.values) else None
            if value is None:
                continue
            x = left + bar_w * s
            parts.append(_element("rect", f"chart-bar series-{s % SERIES_CLASSES}", x=_px(x),
                                  y=_px(y(value)), width=_px(bar_w - 2),
                                  height=_px(TOP + plot_h - y(value))))
            parts.append(_element("text", "chart-value", number(value, places),
                                  x=_px(x + bar_w / 2 - 1), y=_px(y(value) - 4),
                                  text_anchor="middle"))
        parts.append(_element("text", "chart-category", str(category),
                              x=_px(LEFT + group_w * c + group_w / 2), y=HEIGHT - BOTTOM + 18,
                              text_anchor="middle"))
    for marker in markers:
        if marker.value is None:
            continue
        x1 = LEFT + group_w * marker.category + group_w * Decimal("0.05")
        parts.append(_element("line", "chart-marker", x1=_px(x1),
                              x2=_px(x1 + group_w * Decimal("0.9")),
                              y1=_px(y(marker.value)), y2=_px(y(marker.value))))
    parts.append(_element("line", "chart-baseline", x1=LEFT, x2=WIDTH - RIGHT,
                          y1=TOP + plot_h, y2=TOP + plot_h))
    parts.append("</svg>")

    legend = ['<ul class="chart-legend">']
    for s, item in enumerate(series):
        legend.append(f'<li><span class="chart-swatch series-{s % SERIES_CLASSES}" '
                      f'aria-hidden="true"></span>{escape(item.name)}</li>')
    if markers and marker_heading:
        legend.append(f'<li><span class="chart-swatch chart-swatch-marker" aria-hidden="true">'
                      f'</span>{escape(marker_heading)}</li>')
    legend.append("</ul>")

    marker_text: dict[int, list[str]] = {}
    for marker in markers:
        marker_text.setdefault(marker.category, []).append(marker.label)
    heading = escape(category_heading)
    table = [f'<table class="table chart-data" id="{ident}-table">',
             f'<caption class="visually-hidden">{escape(title)}</caption>',
             f'<thead><tr><th scope="col">{heading}</th>']
    table += [f'<th scope="col" class="num">{escape(item.name)}</th>' for item in series]
    if markers and marker_heading:
        table.append(f'<th scope="col">{escape(marker_heading)}</th>')
    table.append("</tr></thead><tbody>")
    for c, category in enumerate(categories):
        table.append(f'<tr><th scope="row" data-label="{heading}">{escape(category)}</th>')
        for item in series:
            value = item.values[c] if c < len(item.values) else None
            shown = number(value, places) + (unit if value is not None else "")
            table.append(f'<td class="num" data-label="{escape(item.name)}">{escape(shown)}</td>')
        if markers and marker_heading:
            table.append(f'<td data-label="{escape(marker_heading)}">'
                         f'{escape(", ".join(marker_text.get(c, [])))}</td>')
        table.append("</tr>")
    table.append("</tbody></table>")

    return Markup(f'<figure class="chart chart-wide" id="{ident}">'
                  f'<figcaption class="chart-caption">{escape(title)}</figcaption>'
                  f'<div class="chart-drawing">' + "".join(parts) + "".join(legend) + "</div>"
                  + "".join(table) + "</figure>")


# Dashboards: long category names read better as horizontal bars; trends as lines -----------

# Drawn narrower than the bar chart: on a phone the text then stays readable.
NARROW_W, ROW_H = 420, 26


def _figure(ident, title: str, svg: list[str], categories, series, unit: str, places: int,
            category_heading: str, with_legend: bool = True, wide: bool = False) -> Markup:
    """The figure: its caption, the drawing (with its legend) and the numbers as a table.
    A wide drawing (a line over months) would be too small to read on a phone: there the
    table stands in for it (charts.css)."""
    legend = ""
    if with_legend:
        legend = '<ul class="chart-legend">' + "".join(
            f'<li><span class="chart-swatch {_css(item, s)}" aria-hidden="true">'
            f'</span>{escape(item.name)}</li>' for s, item in enumerate(series)) + "</ul>"
    return Markup(f'<figure class="chart{" chart-wide" if wide else ""}" id="{ident}">'
                  f'<figcaption class="chart-caption">{escape(title)}</figcaption>'
                  f'<div class="chart-drawing">{"".join(svg)}{legend}</div>'
                  + _table(ident, title, categories, series, unit, places, category_heading)
                  + "</figure>")


def _table(ident, title: str, categories, series, unit: str, places: int,
           category_heading: str) -> str:
    """The numbers of a chart as a table: what screen readers read."""
    heading = escape(category_heading)
    table = [f'<table class="table chart-data" id="{ident}-table">',
             f'<caption class="visually-hidden">{escape(title)}</caption>',
             f'<thead><tr><th scope="col">{heading}</th>']
    table += [f'<th scope="col" class="num">{escape(item.name)}</th>' for item in series]
    table.append("</tr></thead><tbody>")
    for c, category in enumerate(categories):
        table.append(f'<tr><th scope="row" data-label="{heading}">{escape(category)}</th>')
        for item in series:
            value = item.values[c] if c < len(item.values) else None
            shown = number(value, places) + (unit if value is not None else "")
            table.append(f'<td class="num" data-label="{escape(item.name)}">{escape(shown)}</td>')
        table.append("</tr>")
    table.append("</tbody></table>")
    return "".join(table)


def _css(series: Series, index: int) -> str:
    return series.css or f"series-{index % SERIES_CLASSES}"


def _top(values, max_value, places: int) -> Decimal:
    """The axis' top; for counts (no decimals) a multiple of 4, so every gridline is whole."""
    if max_value is not None:
        return Decimal(str(max_value))
    largest = max(values, default=Decimal(0))
    if places == 0:
        return Decimal(max(4, -(-int(largest) // 4) * 4))
    return _nice_top(largest)


def _text_width(text: str) -> float:
    """A text's width in ems, roughly: a Chinese character is one em, a Latin one about half."""
    return sum(1.0 if ord(ch) >= 0x2E80 else 0.6 for ch in text)


def wrap(text: str, ems: float) -> list[str]:
    """`text` in lines of at most `ems` wide: between words, or between Chinese characters
    (which have no spaces between them); a word longer than a line is split."""
    lines: list[str] = []
    line = ""
    for token in re.findall(r"[\u2e80-\U0002ffff]|[^\s\u2e80-\U0002ffff]+|\s+", str(text)):
        candidate = line + token
        if _text_width(candidate.strip()) <= ems or not line.strip():
            line = candidate
            while _text_width(line.strip()) > ems:  # one word wider than the line
                cut = len(line)
                while cut > 1 and _text_width(line[:cut]) > ems:
                    cut -= 1
                lines.append(line[:cut].strip())
                line = line[cut:]
        else:
            lines.append(line.strip())
            line = token.lstrip()
    if line.strip():
        lines.append(line.strip())
    return lines or [""]


# Horizontal bars: each name whole on its own line(s) above its bars, in type large enough to
# read where the drawing is shrunk to a phone's width (static/css/charts.css sets the sizes).
LABEL_SIZE, LINE_H, BAR_H, VALUE_W = 16, 20, 20, 64


def horizontal_bar_chart(*, chart_id: str, title: str, categories: Sequence[str],
                         series: Sequence[Series], unit: str = "", max_value=None,
                         summary: str = "", category_heading: str = "",
                         places: int = 1) -> Markup:
    """Bars from left to right, one group per category (for long names: targets, people);
    each name is written whole above its bars, wrapped to the drawing's width."""
    ident = escape(chart_id)
    values = [Decimal(str(v)) for s in series for v in s.values if v is not None]
    top = _top(values, max_value, places)
    left = 4
    plot_w = NARROW_W - left - VALUE_W
    labels = [wrap(category, (NARROW_W - 2 * left) / LABEL_SIZE) for category in categories]
    rows_h = sum(len(lines) * LINE_H + len(series) * (BAR_H + 4) + 10 for lines in labels)
    height = TOP + max(rows_h, ROW_H) + 28

    def x(value) -> Decimal:
        return left + _share(value, top) * plot_w

    parts = _svg_open(ident, NARROW_W, height, title, summary)
    bottom = height - 28
    for i in range(5):
        value = top * i / 4
        parts.append(_element("line", "chart-grid", x1=_px(x(value)), x2=_px(x(value)),
                              y1=TOP, y2=bottom))
        parts.append(_element("text", "chart-axis", number(value, places) + unit,
                              x=_px(x(value)), y=bottom + 18,
                              text_anchor="start" if i == 0 else "end" if i == 4 else "middle"))
    y = Decimal(TOP)
    for c, lines in enumerate(labels):
        for line in lines:
            y += LINE_H
            parts.append(_element("text", "chart-category chart-label", line, x=left,
                                  y=_px(y - 5)))
        for s, item in enumerate(series):
            value = item.values[c] if c < len(item.values) else None
            if value is not None:
                parts.append(_element("rect", f"chart-bar {_css(item, s)}", x=left,
                                      y=_px(y + 2), width=_px(max(x(value) - left, 1)),
                                      height=BAR_H))
                parts.append(_element("text", "chart-value", number(value, places) + unit,
                                      x=_px(x(value) + 4), y=_px(y + BAR_H - 3)))
            y += BAR_H + 4
        y += 10
    parts.append(_element("line", "chart-baseline", x1=left, x2=left, y1=TOP, y2=bottom))
    parts.append("</svg>")
    return _figure(ident, title, parts, categories, series, unit, places, category_heading,
                   with_legend=len(series) > 1)


def line_chart(*, chart_id: str, title: str, categories: Sequence[str],
               series: Sequence[Series], unit: str = "", max_value=None, summary: str = "",
               category_heading: str = "", places: int = 1,
               axis_labels: Sequence[str] | None = None) -> Markup:
    """One line per series over the categories (months); a None value leaves a gap.
    `axis_labels`: shorter names for the drawing's axis ("Jul" for "Jul 2026"), so that
    they do not run into each other; the table keeps the categories whole."""
    ident = escape(chart_id)
    values = [Decimal(str(v)) for s in series for v in s.values if v is not None]
    top = _top(values, max_value, places)
    plot_w, plot_h = NARROW_W - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = Decimal(plot_w) / max(len(categories), 1)

    def x(c: int) -> Decimal:
        return LEFT + step * c + step / 2

    def y(value) -> Decimal:
        return TOP + plot_h - _share(value, top) * plot_h


    parts = _svg_open(ident, NARROW_W, HEIGHT, title, summary)
    for i in range(5):
        value = top * i / 4
        parts.append(_element("line", "chart-grid", x1=LEFT, x2=NARROW_W - RIGHT,
                              y1=_px(y(value)), y2=_px(y(value))))
        parts.append(_element("text", "chart-axis", number(value, places) + unit, x=LEFT - 6,
                              y=_px(y(value) + 4), text_anchor="end"))
    for c, category in enumerate(axis_labels or categories):
        parts.append(_element("text", "chart-category chart-label", str(category), x=_px(x(c)),
                              y=HEIGHT - BOTTOM + 18, text_anchor="middle"))
    for s, item in enumerate(series):
        css = _css(item, s)
        run: list[str] = []
        for c in range(len(categories)):
            value = item.values[c] if c < len(item.values) else None
            if value is None:
                if len(run) > 1:
                    parts.append(_element("polyline", f"chart-line {css}", points=" ".join(run)))
                run = []
                continue
            run.append(f"{_px(x(c))},{_px(y(value))}")
            parts.append(_element("circle", f"chart-point {css}", cx=_px(x(c)), cy=_px(y(value)),
                                  r=4))
        if len(run) > 1:
            parts.append(_element("polyline", f"chart-line {css}", points=" ".join(run)))
    parts.append(_element("line", "chart-baseline", x1=LEFT, x2=NARROW_W - RIGHT,
                          y1=TOP + plot_h, y2=TOP + plot_h))
    parts.append("</svg>")
    return _figure(ident, title, parts, categories, series, unit, places, category_heading,
                   wide=True)


@dataclass(frozen=True)
class GridCell:
    """One box of a 3 × 3 grid: its place (row 0 at the top, column 0 on the left), its
    name, how many people are in it, and a CSS tone (grid-tone-low/medium/high). No links
    inside: an image (role="img") holds nothing focusable; the table beside it links."""

    row: int
    column: int
    name: str
    count: int
    tone: str


GRID_W, GRID_H, GRID_LEFT, GRID_BOTTOM = 480, 400, 64, 56


def _grid_name(name: str, x, y) -> str:
    """A box's name, whole, on one line or (when long) two, centred at x."""
    words = str(name).split()
    lines = [str(name)]
    if len(str(name)) > 14 and len(words) > 1:
        best = min(range(1, len(words)),
                   key=lambda i: abs(len(" ".join(words[:i])) - len(" ".join(words[i:]))))
        lines = [" ".join(words[:best]), " ".join(words[best:])]
    spans = "".join(f'<tspan x="{_px(x)}" dy="{0 if i == 0 else 16}">{escape(line)}</tspan>'
                    for i, line in enumerate(lines))
    return (f'<text class="grid-name" x="{_px(x)}" y="{_px(y)}" '
            f'text-anchor="middle">{spans}</text>')


def grid_chart(*, chart_id: str, title: str, summary: str, cells: Sequence[GridCell],
               column_labels: Sequence[str], row_labels: Sequence[str], x_title: str,
               y_title: str) -> Markup:
    """A 3 × 3 grid (the talent review's nine boxes): each box with its name and count,
    the columns labelled along the bottom, the rows up the side. The names of the people
    in each box go in a table beside it (the page draws it): the SVG holds only counts."""
    ident = escape(chart_id)
    size_w = (GRID_W - GRID_LEFT - 8) / 3
    size_h = (GRID_H - GRID_BOTTOM - 8) / 3
    parts = _svg_open(ident, GRID_W, GRID_H, title, summary)
    for cell in cells:
        x = GRID_LEFT + cell.column * size_w
        y = 8 + cell.row * size_h
        box = [_element("rect", f"grid-box grid-tone-{cell.tone}", x=_px(x + 2), y=_px(y + 2),
                        width=_px(size_w - 4), height=_px(size_h - 4), rx=6),
               _grid_name(cell.name, x + size_w / 2, y + 24),
               _element("text", "grid-count", str(cell.count), x=_px(x + size_w / 2),
                        y=_px(y + size_h / 2 + 22), text_anchor="middle")]
        parts.extend(box)
    for c, label in enumerate(column_labels):
        parts.append(_element("text", "chart-axis", label,
                              x=_px(GRID_LEFT + (c + Decimal("0.5")) * Decimal(size_w)),
                              y=GRID_H - GRID_BOTTOM + 22, text_anchor="middle"))
    for r, label in enumerate(row_labels):
        parts.append(_element("text", "chart-axis", label, x=GRID_LEFT - 8,
                              y=_px(8 + (r + Decimal("0.5")) * Decimal(size_h)),
                              text_anchor="end"))
    parts.append(_element("text", "chart-axis-title", x_title,
                          x=_px(GRID_LEFT + (GRID_W - GRID_LEFT) / 2), y=GRID_H - 8,
                          text_anchor="middle"))
    parts.append(_element("text", "chart-axis-title", y_title, x=14,
                          y=_px((GRID_H - GRID_BOTTOM) / 2), text_anchor="middle",
                          transform=f"rotate(-90 14 {_px((GRID_H - GRID_BOTTOM) / 2)})"))
    parts.append("</svg>")
    return Markup(f'<figure class="chart grid-chart" id="{ident}">'
                  f'<figcaption class="chart-caption">{escape(title)}</figcaption>'
                  + "".join(parts) + "</figure>")

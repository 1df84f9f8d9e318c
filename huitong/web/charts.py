"""Bar charts as data for a server-drawn SVG: no chart library, nothing to download, and the
same numbers in a table beside each chart for screen readers and keyboard users."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    share: float  # of the largest bar, 0..100, for the SVG width


def bars(pairs: list[tuple[str, int]], *, limit: int | None = None) -> list[Bar]:
    """Largest first; beyond ``limit`` the rest are summed into one "…" bar."""
    ordered = sorted(pairs, key=lambda p: (-p[1], p[0]))
    if limit is not None and len(ordered) > limit:
        rest = sum(n for _, n in ordered[limit - 1 :])
        ordered = [*ordered[: limit - 1], ("…", rest)]
    top = max((n for _, n in ordered), default=0) or 1
    return [Bar(label, n, round(100 * n / top, 1)) for label, n in ordered]


PALETTE = ("#0b5cad", "#c0392b", "#1e7b34", "#8e44ad", "#d35400", "#16808a", "#7f6a00", "#5b6775")


@dataclass(frozen=True)
class FlowNode:
    label: str
    total: int
    x: float
    y: float  # top of the node's bar
    height: float
    colour: str


@dataclass(frozen=True)
class FlowLink:
    source: str
    target: str
    weight: int
    width: float
    path: str  # SVG path data: a cubic curve from the provider's bar to the consumer's
    colour: str


@dataclass(frozen=True)
class FlowDiagram:
    width: int
    height: int
    sources: list[FlowNode]
    targets: list[FlowNode]
    links: list[FlowLink]


def flow_diagram(
    flows: list[tuple[str, str, int]], *, width: int = 760, label_space: int = 240, max_line: float = 22.0
) -> FlowDiagram | None:
    """A bipartite flow diagram (providers left, consumers right) as SVG geometry: each link's
    line width is its weight relative to the heaviest, and each node's bar is as tall as its
    links together, so a department's share of the flows reads at a glance."""
    flows = [(s, t, w) for s, t, w in flows if w > 0]
    if not flows:
        return None
    top = max(w for _, _, w in flows)

    def thickness(w: int) -> float:
        return round(max(2.0, max_line * w / top), 1)

    def totals(index: int) -> list[tuple[str, int]]:
        sums: dict[str, int] = {}
        for f in flows:
            sums[f[index]] = sums.get(f[index], 0) + f[2]
        return sorted(sums.items(), key=lambda p: (-p[1], p[0]))

    left, right = totals(0), totals(1)
    ordered = sorted(flows, key=lambda f: (-f[2], f[0], f[1]))
    span = {
        side: {
            name: sum(thickness(w) for s, t, w in flows if (s if side == 0 else t) == name)
            for name, _ in nodes
        }
        for side, nodes in ((0, left), (1, right))
    }
    row = max(40.0, max(max(span[0].values()), max(span[1].values())) + 14)
    pad = 12.0
    height = int(pad * 2 + row * max(len(left), len(right)))
    lx, rx, bar = float(label_space), float(width - label_space), 8.0
    colours = {name: PALETTE[i % len(PALETTE)] for i, (name, _) in enumerate(left)}

    def place(nodes, side, x) -> dict[str, FlowNode]:
        offset = pad + (height - pad * 2 - row * len(nodes)) / 2
        out = {}
        for i, (name, total) in enumerate(nodes):
            h = span[side][name]
            centre = offset + row * (i + 0.5)
            colour = colours.get(name, "#5b6775")
            out[name] = FlowNode(name, total, x, round(centre - h / 2, 1), h, colour)
        return out

    sources, targets = place(left, 0, lx - bar), place(right, 1, rx)
    used = {name: 0.0 for name in [*sources, *targets]}
    links = []
    for s, t, w in sorted(ordered, key=lambda f: (list(sources).index(f[0]), list(targets).index(f[1]))):
        th = thickness(w)
        y1 = sources[s].y + used[s] + th / 2
        y2 = targets[t].y + used[t] + th / 2
        used[s] += th
        used[t] += th
        mid = (lx + rx) / 2
        path = f"M{lx:.1f},{y1:.1f} C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} {rx:.1f},{y2:.1f}"
        links.append(FlowLink(s, t, w, th, path, colours[s]))
    return FlowDiagram(width, height, list(sources.values()), list(targets.values()), links)


@dataclass(frozen=True)
class TrendPoint:
    x: float
    y: float
    label: str  # the version's date
    value: float | None


@dataclass(frozen=True)
class Trend:
    width: int
    height: int
    points: list[TrendPoint]
    path: str  # SVG polyline points through the known values
    grid: list[tuple[float, int]]  # (y, score) of the 0/50/100 lines


def trend(points: list[tuple[str, float | None]], *, width: int = 560, height: int = 160) -> Trend | None:
    """A score trend (0-100) over versions, oldest first, as SVG coordinates; None for no points.
    A version with no score is kept on the axis but leaves a gap-free line through the others."""
    if not points:
        return None
    left, right, top, bottom = 36, 12, 10, 24
    span_x, span_y = width - left - right, height - top - bottom
    step = span_x / max(len(points) - 1, 1)
    out = []
    for n, (label, value) in enumerate(points):
        y = top + span_y * (1 - (value if value is not None else 0) / 100)
        out.append(TrendPoint(round(left + n * step, 1), round(y, 1), label, value))
    path = " ".join(f"{p.x},{p.y}" for p in out if p.value is not None)
    grid = [(round(top + span_y * (1 - s / 100), 1), s) for s in (0, 50, 100)]
    return Trend(width, height, out, path, grid)


POSITIVE, NEGATIVE = "#1e7b34", "#c0392b"  # evidence for a match / against it


@dataclass(frozen=True)
class WeightBar:
    comparison: str
    level: str  # a stable key (the template translates it)
    weight: float | None  # None: the level was never seen in training (no bar)
    y: float  # top of the bar's row
    x: float  # left edge of the bar
    width: float
    positive: bool
    colour: str


@dataclass(frozen=True)
class WeightGroup:
    comparison: str
    y: float  # the heading's baseline


@dataclass(frozen=True)
class WeightChart:
    width: int
    height: int
    zero: float  # x of weight 0
    top: float  # the plot's top and bottom (for the zero line and the grid)
    bottom: float
    label_x: float  # where the level labels end (right-aligned)
    row: int
    groups: list[WeightGroup]
    bars: list[WeightBar]
    ticks: list[tuple[float, int]]  # (x, weight) of the grid lines


def _tick_step(span: float) -> int:
    for step in (1, 2, 5, 10, 20, 50):
        if span / step <= 8:
            return step
    return 100


def weight_bars(
    levels: list[tuple[str, str, float | None]],
    *,
    width: int = 760,
    label_space: int = 190,
    row: int = 20,
    heading: int = 24,
    pad: int = 46,
) -> WeightChart | None:
    """A diverging bar chart of match weights (log2 m/u) as SVG geometry: one bar per comparison
    level, grouped by comparison in the order given, from a zero line that sits where the largest
    negative and positive weights leave it; evidence for a match to the right in one colour,
    against it to the left in another. ``levels`` are (comparison, level, weight); None for none."""
    if not levels:
        return None
    known = [w for _, _, w in levels if w is not None]
    most = max([0.0, *known])
    least = min([0.0, *known])
    span = (most - least) or 1.0
    left, right = label_space + pad, width - pad
    scale = (right - left) / span
    zero = left - least * scale
    y = 8.0
    groups: list[WeightGroup] = []
    bars: list[WeightBar] = []
    current = None
    for comparison, level, weight in levels:
        if comparison != current:
            current = comparison
            y += heading
            groups.append(WeightGroup(comparison, round(y - 7, 1)))
        w = 0.0 if weight is None else weight
        length = abs(w) * scale
        x = zero if w >= 0 else zero - length
        positive = w >= 0
        bars.append(
            WeightBar(
                comparison,
                level,
                weight,
                round(y, 1),
                round(x, 1),
                round(length, 1),
                positive,
                POSITIVE if positive else NEGATIVE,
            )
        )
        y += row
    top, bottom = 8.0 + heading - 16, y + 4
    step = _tick_step(span)
    first = -(int(-least) // step) * step if least < 0 else 0
    ticks = [(round(zero + t * scale, 1), t) for t in range(first, int(most) + 1, step) if least <= t <= most]
    return WeightChart(
        width,
        int(bottom + 22),
        round(zero, 1),
        top,
        round(bottom, 1),
        float(label_space),
        row,
        groups,
        bars,
        ticks,
    )

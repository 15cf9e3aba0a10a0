"""The dashboard's chart: one stacked bar per pillar, a segment per state, laid out here and
drawn as a server-rendered SVG by templates/staff/index.html."""

from dataclasses import dataclass, field

from models import Pillar
from models.enums import StudyState

S = StudyState

# Segment colours of the chart, one per state (SVG presentation attributes: CSP allows them).
STATE_COLOURS = {
    S.draft: "#b9b4a8",
    S.submitted: "#7aa6d6",
    S.in_review: "#2f6fb0",
    S.changes_requested: "#e0a526",
    S.in_affirmation: "#8a5cc2",
    S.affirmed: "#3f9e6e",
    S.published: "#1f6b45",
    S.declined: "#c2473a",
    S.withdrawn: "#6d6a63",
}


@dataclass
class Segment:
    state: StudyState
    count: int
    x: float
    width: float
    fill: str


@dataclass
class Bar:
    pillar: Pillar
    total: int
    y: float
    segments: list[Segment] = field(default_factory=list)


@dataclass
class Chart:
    bars: list[Bar]
    width: int
    height: int
    label_width: int
    bar_height: int
    max_total: int


def chart(
    pillars: list[Pillar],
    counts: dict,
    width: int = 720,
    label_width: int = 280,
    bar_height: int = 26,
) -> Chart:
    """Lay out one stacked bar per pillar, a segment per state, for a server-rendered SVG."""
    totals = {p.id: sum(n for (pid, _), n in counts.items() if pid == p.id) for p in pillars}
    max_total = max(totals.values(), default=0) or 1
    span = width - label_width - 50  # room on the right for the total
    bars = []
    for i, pillar in enumerate(pillars):
        bar = Bar(pillar=pillar, total=totals[pillar.id], y=i * (bar_height + 10))
        x = float(label_width)
        for state in StudyState:
            n = counts.get((pillar.id, state), 0)
            if n:
                w = span * n / max_total
                bar.segments.append(
                    Segment(state, n, round(x, 2), round(w, 2), STATE_COLOURS[state])
                )
                x += w
        bars.append(bar)
    height = len(pillars) * (bar_height + 10)
    return Chart(bars, width, height, label_width, bar_height, max_total)

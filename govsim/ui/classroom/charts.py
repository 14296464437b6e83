"""The teacher's dashboard charts: every team on shared axes (Vega-Lite dicts, no Solara).

Each chart draws one outcome for every team plus the weak-baseline copy (dashed, black), with
the same week axis (0 to the room's current week) on every chart, and the y axis fixed where the
outcome has a natural range, so that charts and teams can be compared at a glance. The
:class:`govsim.ui.views.Chart` description (the chart's ARIA label) lists the latest values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from govsim.ui.views import SCHEMA, Chart, group_colors

from .room import BASELINE
from .summary import history

if TYPE_CHECKING:
    from .room import Room

__all__ = ["OUTCOMES", "Outcome", "dashboard_charts", "outcome_chart"]


@dataclass(frozen=True)
class Outcome:
    """One outcome the dashboard charts."""

    metric: str
    title: str
    y_title: str
    domain: tuple[float, float] | None


#: The four outcomes on the dashboard, in order.
OUTCOMES: tuple[Outcome, ...] = (
    Outcome("participation_rate", "Participation", "share taking part", (0.0, 1.0)),
    Outcome("opinion_variance", "Consensus", "opinion variance (0 = consensus)", None),
    Outcome("mean_trust", "Trust", "mean trust in the leading organization", (0.0, 1.0)),
    Outcome("resolution_rate", "Needs", "resolved share of closed needs", (0.0, 1.0)),
)


def _num(x: float) -> float | None:
    return round(float(x), 5) if math.isfinite(float(x)) else None


def outcome_chart(room: Room, outcome: Outcome, width: int = 360, height: int = 210) -> Chart:
    """One outcome for every team and the weak baseline, weeks 0 to the current week."""
    names = [t.name for t in room.teams.values()]
    models = [t.model for t in room.teams.values()]
    series = [*names, BASELINE]
    rows: list[dict[str, Any]] = []
    latest = []
    for name, model in zip(series, [*models, room.baseline], strict=True):
        h = history(model, outcome.metric)
        rows += [{"week": w, "team": name, "value": _num(v)} for w, v in enumerate(h)]
        latest.append(f"{name} {h[-1]:.3f}" if len(h) and math.isfinite(h[-1]) else f"{name} n/a")
    colors = [*group_colors(len(names)), "#222222"]
    y: dict[str, Any] = {"field": "value", "type": "quantitative", "title": outcome.y_title}
    if outcome.domain is not None:
        y["scale"] = {"domain": list(outcome.domain)}
    spec = {
        "$schema": SCHEMA,
        "title": {"text": outcome.title, "anchor": "start", "fontSize": 14},
        "usermeta": {"embedOptions": {"actions": False}},
        "autosize": {"type": "pad", "resize": True},
        "background": "white",
        "config": {"view": {"stroke": None}, "legend": {"labelLimit": 140}},
        "width": width,
        "height": height,
        "data": {"name": "table"},
        "mark": {"type": "line", "strokeWidth": 2, "clip": True},
        "encoding": {
            "x": {"field": "week", "type": "quantitative", "title": "week",
                  "scale": {"domain": [0, max(room.week, 1)], "nice": False},
                  "axis": {"tickMinStep": 1, "format": "d"}},
            "y": y,
            "color": {"field": "team", "type": "nominal", "title": None,
                      "scale": {"domain": series, "range": colors},
                      "legend": {"orient": "bottom", "columns": 4}},
            "strokeDash": {"field": "team", "type": "nominal", "title": None,
                           "scale": {"domain": series,
                                     "range": [[1, 0]] * len(names) + [[4, 3]]}},
            "tooltip": [{"field": "week", "type": "quantitative"},
                        {"field": "team", "type": "nominal"},
                        {"field": "value", "type": "quantitative", "format": ".3f"}],
        },
    }  # fmt: skip
    desc = f"{outcome.title}, week {room.week}: " + ", ".join(latest)
    return Chart(spec, {"table": rows}, desc)


def dashboard_charts(room: Room) -> list[Chart]:
    """The four outcome charts, on shared week axes."""
    return [outcome_chart(room, o) for o in OUTCOMES]

"""What the classroom UI draws, as Vega-Lite specifications (plain dicts).

Pure functions of a model: no solara, no Mesa visualization, so they are tested and timed
without a browser. The app (``govsim.ui.app``) hands the dicts to solara's Vega-Lite widget.
Specs are written by hand rather than through altair: building and validating an altair chart
costs 15–35 ms per chart per redraw; these dicts cost well under 1 ms plus their data.

* :func:`network_spec` — the resident network (a sample of at most :data:`NETWORK_SAMPLE`
  residents, the layout computed once per model and cached), coloured by opinion,
  participation or group; Party members as triangles; organizations as squares on an outer ring
  with their co-building links (the "concentric circle" of organizational leadership).
* :func:`participation_spec`, :func:`consensus_spec`, :func:`trust_spec`, :func:`needs_spec`,
  :func:`effort_spec` — time series read from the model's DataCollector, whose columns are the
  metrics registry (:mod:`sim.metrics`).

Each function returns a :class:`Chart`: the spec (structure, fixed while a model runs), the data
that change every step, and a ``description`` summarising the latest values (the chart's ARIA
label: screen readers and the browser tests read it). The app embeds a chart once and then
only sends new data (:mod:`govsim.ui.vega`).
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.metrics import GROUP_METRICS, MODEL_METRICS
from sim.network import Graph
from sim.params import ORG_KINDS
from sim.strategies import LEVERS

if TYPE_CHECKING:
    from sim import GovernanceModel

__all__ = [
    "CHARTS",
    "COLOR_MODES",
    "NETWORK_SAMPLE",
    "Chart",
    "NetworkLayout",
    "consensus_spec",
    "effort_spec",
    "needs_spec",
    "network_layout",
    "network_spec",
    "opinions_spec",
    "participation_spec",
    "sample_residents",
    "trust_spec",
]

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
#: Most residents drawn in the network view.
NETWORK_SAMPLE = 300
#: Longest history drawn point by point; longer runs are thinned evenly (last week kept).
MAX_POINTS = 600
#: How the network view can colour residents.
COLOR_MODES: tuple[str, ...] = ("opinion", "participation", "group", "platform")

WIDTH = 380
NETWORK_SIZE = 290
GROUP_COLORS = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)  # fmt: skip  (Tableau 10)


def group_colors(n: int) -> list[str]:
    """Colours of ``n`` resident groups (the palette repeats after ten)."""
    return [GROUP_COLORS[i % len(GROUP_COLORS)] for i in range(n)]


LEVER_COLORS = {"ideological": "#d62728", "political": "#ff7f0e",
                "organizational": "#1f77b4", "smart": "#2ca02c"}  # fmt: skip
ORG_LABELS = {
    "party_committee": "community Party committee",
    "residents_committee": "residents' committee",
    "property_management": "property-management company",
    "owners_committee": "owners' committee",
    "social_organization": "social organization",
    "government_department": "government department",
    "resident_unit": "unit located in the area",
    "volunteer_team": "volunteer team",
}
assert set(ORG_LABELS) == set(ORG_KINDS)

# Every metric drawn, checked against the registry at import.
_MODEL_USED = (
    "participation_rate", "opinion_variance", "opinion_clusters", "polarization",
    "leader_credibility", "resolution_rate", "resolution_rate_week", "backlog", "mean_wait",
    "platform_adoption",
    *(f"effort_{lever}" for lever in LEVERS),
)  # fmt: skip
_GROUP_USED = ("participation_rate", "mean_trust")
assert all(m in MODEL_METRICS for m in _MODEL_USED), "a charted metric left the registry"
assert all(m in GROUP_METRICS for m in _GROUP_USED), "a charted group metric left the registry"


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _num(x: float, digits: int = 4) -> float | None:
    """A JSON-safe number: rounded, ``None`` for NaN/inf (Vega-Lite leaves a gap)."""
    x = float(x)
    return round(x, digits) if math.isfinite(x) else None


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%" if math.isfinite(x) else "n/a"


def _fmt(x: float, digits: int = 2) -> str:
    return f"{x:.{digits}f}" if math.isfinite(x) else "n/a"


@dataclass(frozen=True)
class Chart:
    """A chart in two parts: its structure, and the data that change every step.

    Attributes:
        spec: Vega-Lite spec whose changing data sources are named (``{"name": "table"}``);
            data that are fixed for a model sit in its ``datasets``.
        data: Rows of the named sources, ``{name: [row, ...]}``.
        description: The latest values in words (the chart's ARIA label).
    """

    spec: dict[str, Any]
    data: dict[str, list[dict[str, Any]]]
    description: str

    def full_spec(self) -> dict[str, Any]:
        """One self-contained Vega-Lite spec (data included), e.g. for a file or altair."""
        datasets = {**self.spec.get("datasets", {}), **self.data}
        return {**self.spec, "description": self.description, "datasets": datasets}


def _base(title: str | None = None, **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"$schema": SCHEMA}
    if title:
        spec["title"] = {"text": title, "anchor": "start", "fontSize": 14}
    return {
        **spec,
        "usermeta": {"embedOptions": {"actions": False}},
        # re-fit the layout on every data update (axis labels widen as values grow)
        "autosize": {"type": "pad", "resize": True},
        "background": "white",  # readable in the app's dark theme too
        "config": {"view": {"stroke": None}, "legend": {"labelLimit": 140}},
        **extra,
    }


def _history(model: GovernanceModel, name: str) -> np.ndarray:
    return np.asarray(model.datacollector.model_vars[name], dtype=float)


def _group_history(model: GovernanceModel, name: str) -> np.ndarray:
    """``(weeks, groups)`` history of a group metric."""
    rows = model.datacollector.model_vars["_groups"]
    return np.asarray([r[name] for r in rows], dtype=float).reshape(len(rows), -1)


def _weeks_index(n: int) -> np.ndarray:
    """Indices of the weeks drawn: all of them, or an even thinning that keeps the last."""
    if n <= MAX_POINTS:
        return np.arange(n)
    idx = np.linspace(0, n - 1, MAX_POINTS).round().astype(int)
    return np.unique(idx)


def _wide(weeks: np.ndarray, series: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    """One record per week with one column per series, named ``s0, s1, ...``.

    Series labels may contain characters that Vega reads as field paths (``.``, ``'``, ``[``),
    so the columns get plain names and :func:`_fold` puts the labels back.
    """
    cols = [[_num(v) for v in arr] for arr in series.values()]
    return [
        {"week": int(w), **{f"s{j}": col[i] for j, col in enumerate(cols)}}
        for i, w in enumerate(weeks)
    ]


def _fold(labels: Sequence[str], key: str) -> list[dict[str, Any]]:
    """Transforms: columns ``s0, s1, ...`` to long form, with the label in field ``key``."""
    cols = [f"s{j}" for j in range(len(labels))]
    return [
        {"fold": cols, "as": ["col", "value"]},
        {
            "lookup": "col",
            "from": {
                "data": {
                    "values": [{"col": c, key: lab} for c, lab in zip(cols, labels, strict=True)]
                },
                "key": "col",
                "fields": [key],
            },
        },
    ]


_WEEK_X = {
    "field": "week",
    "type": "quantitative",
    "title": "week",
    "scale": {"domainMin": 0, "nice": False},
    "axis": {"tickMinStep": 1, "format": "d"},
}


def _lines(
    model: GovernanceModel,
    series: dict[str, np.ndarray],
    colors: Sequence[str],
    *,
    title: str,
    y_title: str,
    description: str,
    dashed: Sequence[str] = (),
    y_domain: tuple[float, float] | None = (0.0, 1.0),
    height: int = 230,
) -> Chart:
    n = len(next(iter(series.values())))
    idx = _weeks_index(n)
    names = list(series)
    data = _wide(idx, {k: v[idx] for k, v in series.items()})
    y: dict[str, Any] = {"field": "value", "type": "quantitative", "title": y_title}
    if y_domain is not None:
        y["scale"] = {"domain": list(y_domain)}
    spec = _base(
        title,
        width=WIDTH,
        height=height,
        data={"name": "table"},
        transform=_fold(names, "series"),
        mark={"type": "line", "strokeWidth": 2, "clip": True},
        encoding={
            "x": _WEEK_X,
            "y": y,
            "color": {"field": "series", "type": "nominal", "title": None,
                      "scale": {"domain": names, "range": list(colors)},
                      "legend": {"orient": "bottom", "columns": 3}},
            "strokeDash": {"field": "series", "type": "nominal", "title": None,
                           "scale": {"domain": names,
                                     "range": [[4, 3] if k in dashed else [1, 0] for k in names]}},
            "tooltip": [{"field": "week", "type": "quantitative"},
                        {"field": "series", "type": "nominal"},
                        {"field": "value", "type": "quantitative", "format": ".3f"}],
        },
    )  # fmt: skip
    return Chart(spec, {"table": data}, description)


def _panels(
    model: GovernanceModel,
    series: dict[str, np.ndarray],
    *,
    title: str,
    description: str,
    color: str = "#4e79a7",
    height: int = 62,
) -> dict[str, Any]:
    """Small multiples: one panel per series, each with its own y scale."""
    n = len(next(iter(series.values())))
    idx = _weeks_index(n)
    names = list(series)
    data = _wide(idx, {k: v[idx] for k, v in series.items()})
    spec = _base(
        title,
        data={"name": "table"},
        transform=_fold(names, "metric"),
        facet={"row": {"field": "metric", "type": "nominal", "sort": names,
                       "header": {"title": None, "labelAngle": 0, "labelOrient": "top",
                                  "labelAnchor": "start", "labelFontWeight": "bold"}}},
        spec={
            "width": WIDTH,
            "height": height,
            "mark": {"type": "line", "strokeWidth": 2, "color": color},
            "encoding": {
                "x": _WEEK_X,
                "y": {"field": "value", "type": "quantitative", "title": None,
                      "scale": {"zero": True}, "axis": {"tickCount": 3}},
                "tooltip": [{"field": "week", "type": "quantitative"},
                            {"field": "metric", "type": "nominal"},
                            {"field": "value", "type": "quantitative", "format": ".3f"}],
            },
        },
        resolve={"scale": {"y": "independent"}},
        spacing=8,
    )  # fmt: skip
    return Chart(spec, {"table": data}, description)


# --------------------------------------------------------------------------------------------
# time series
# --------------------------------------------------------------------------------------------


def participation_spec(model: GovernanceModel) -> Chart:
    """Participation rate of each group and of all residents (dashed)."""
    groups = _group_history(model, "participation_rate")
    series = {g: groups[:, i] for i, g in enumerate(model.group_names)}
    overall = _history(model, "participation_rate")
    series["all residents"] = overall
    colors = [*group_colors(len(model.group_names)), "#222222"]
    last = ", ".join(f"{g} {_pct(groups[-1, i])}" for i, g in enumerate(model.group_names))
    desc = f"Participation, week {model.steps}: all residents {_pct(overall[-1])}; by group: {last}"
    return _lines(
        model, series, colors, title="Participation", y_title="share taking part",
        description=desc,
        dashed=["all residents"],
    )  # fmt: skip


def consensus_spec(model: GovernanceModel) -> Chart:
    """Opinion variance, number of opinion clusters and polarization."""
    series = {
        "opinion variance": _history(model, "opinion_variance"),
        "opinion clusters": _history(model, "opinion_clusters"),
        "polarization (Duclos–Esteban–Ray)": _history(model, "polarization"),
    }
    v, c, p = (s[-1] for s in series.values())
    clusters = f"{c:.0f} opinion cluster(s)" if np.isfinite(c) else "clusters not yet settled"
    desc = (
        f"Consensus, week {model.steps}: opinion variance {_fmt(v, 3)}, "
        f"{clusters}, polarization {_fmt(p)}"
    )
    return _panels(model, series, title="Consensus", description=desc, color="#7b4fa6")


def trust_spec(model: GovernanceModel) -> Chart:
    """Mean trust of each group and the leading organization's service record (dashed)."""
    groups = _group_history(model, "mean_trust")
    series = {g: groups[:, i] for i, g in enumerate(model.group_names)}
    cred = _history(model, "leader_credibility")
    series["leader's service record"] = cred
    colors = [*group_colors(len(model.group_names)), "#222222"]
    mean = float(model.residents.trust.mean())
    last = ", ".join(f"{g} {_fmt(groups[-1, i])}" for i, g in enumerate(model.group_names))
    desc = (
        f"Trust, week {model.steps}: mean {_fmt(mean)}; by group: {last}; "
        f"leading organization's service record {_fmt(cred[-1])}"
    )
    return _lines(
        model, series, colors, title="Trust", y_title="trust in the leading organization",
        description=desc,
        dashed=["leader's service record"],
    )  # fmt: skip


def needs_spec(model: GovernanceModel) -> Chart:
    """Need resolution rate (this week and so far), backlog and waiting time."""
    series = {
        "resolved share of needs closed this week": _history(model, "resolution_rate_week"),
        "resolved share of closed needs, so far": _history(model, "resolution_rate"),
        "backlog (open needs per 1,000)": _history(model, "backlog"),
        "mean wait of closed needs (weeks)": _history(model, "mean_wait"),
    }
    rw, r, b, w = (s[-1] for s in series.values())
    desc = (
        f"Needs, week {model.steps}: resolved this week {_pct(rw)} of closed needs "
        f"({_pct(r)} so far), backlog {_fmt(b, 1)} per 1,000, mean wait of closed needs "
        f"{_fmt(w, 1)} weeks"
    )
    return _panels(model, series, title="Needs and services", description=desc, color="#e15759")


def effort_spec(model: GovernanceModel) -> Chart:
    """This week's effort of each lever, and platform adoption (dashed)."""
    series = {lever: _history(model, f"effort_{lever}") for lever in LEVERS}
    series["platform adoption"] = _history(model, "platform_adoption")
    colors = [LEVER_COLORS[lever] for lever in LEVERS] + ["#7f7f7f"]
    efforts = ", ".join(f"{lever} {_fmt(series[lever][-1])}" for lever in LEVERS)
    desc = (
        f"Leadership, week {model.steps}: effort {efforts}; "
        f"platform adoption {_pct(series['platform adoption'][-1])}"
    )
    return _lines(
        model, series, colors, title="Leadership effort and platform adoption",
        y_title="effort / share", description=desc,
        dashed=["platform adoption"], height=200,
    )  # fmt: skip


def opinions_spec(model: GovernanceModel, bins: int = 20) -> Chart:
    """This week's opinions: a histogram stacked by group, with the shared agenda marked."""
    res = model.residents
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.searchsorted(edges, res.opinion, side="right") - 1, 0, bins - 1)
    ng = len(model.group_names)
    counts = np.bincount(res.group.astype(np.intp) * bins + which, minlength=ng * bins)
    counts = counts.reshape(ng, bins)
    data = [
        {"group": g, "from": round(float(edges[b]), 3), "to": round(float(edges[b + 1]), 3),
         "residents": int(counts[i, b])}
        for i, g in enumerate(model.group_names) for b in range(bins) if counts[i, b]
    ]  # fmt: skip
    agenda = float(model.params.opinions.agenda)
    desc = (
        f"Opinions, week {model.steps}: mean {_fmt(float(res.opinion.mean()))}, "
        f"{_pct(float(np.mean(np.abs(res.opinion - agenda) < 0.1)))} within 0.1 of the agenda "
        f"({agenda:g})"
    )
    names = list(model.group_names)
    colors = group_colors(ng)
    x = {"field": "from", "type": "quantitative", "title": "opinion (agenda marked)",
         "bin": {"binned": True, "step": 1 / bins}, "scale": {"domain": [0, 1]}}  # fmt: skip
    spec = _base(
        "Opinions this week",
        width=WIDTH,
        height=230,
        layer=[
            {"data": {"name": "bins"}, "mark": {"type": "bar", "binSpacing": 1},
             "encoding": {
                 "x": x, "x2": {"field": "to"},
                 "y": {"field": "residents", "type": "quantitative", "stack": True,
                       "title": "residents"},
                 "color": {"field": "group", "type": "nominal", "title": None,
                           "scale": {"domain": names, "range": colors},
                           "legend": {"orient": "bottom", "columns": 3}},
                 "tooltip": [{"field": "group"}, {"field": "from"}, {"field": "to"},
                             {"field": "residents"}],
             }},
            {"data": {"values": [{"agenda": agenda}]},
             "mark": {"type": "rule", "color": "#c62828", "strokeWidth": 2, "strokeDash": [5, 3]},
             "encoding": {"x": {"field": "agenda", "type": "quantitative"}}},
        ],
    )  # fmt: skip
    return Chart(spec, {"bins": data}, desc)


#: The charts of the main grid, in the order the app shows them.
CHARTS = (opinions_spec, consensus_spec, participation_spec, trust_spec, needs_spec, effort_spec)


# --------------------------------------------------------------------------------------------
# network
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NetworkLayout:
    """A drawable sample of the network, computed once per model.

    Attributes:
        nodes: Indices of the residents drawn.
        xy: Their positions, ``(len(nodes), 2)``, inside the unit disc.
        ties: Ties among them, as index pairs into ``nodes``.
        org_xy: Positions of the organizations on the outer ring.
        members: ``(node position, organization)`` pairs of drawn residents with an org.
        total: Number of residents.
    """

    nodes: np.ndarray
    xy: np.ndarray
    ties: np.ndarray
    org_xy: np.ndarray
    members: np.ndarray
    total: int


_LAYOUTS: weakref.WeakKeyDictionary[Any, NetworkLayout] = weakref.WeakKeyDictionary()
RING = 1.22


def sample_residents(graph: Graph, k: int, rng: np.random.Generator) -> np.ndarray:
    """At most ``k`` residents, sorted: all of them, or snowballs around random seeds.

    A uniform sample of a sparse network keeps few ties (each of a resident's ties survives
    with probability k/n); a multi-source breadth-first sample keeps neighbourhoods whole, so
    clusters and homophily stay visible. On the complete graph the sample is uniform.
    """
    n = graph.n
    if n <= k:
        return np.arange(n)
    if graph.complete:
        return np.sort(rng.choice(n, size=k, replace=False))
    chosen = np.zeros(n, dtype=bool)
    picked: list[int] = []
    frontier = list(rng.choice(n, size=max(1, k // 30), replace=False))
    while len(picked) < k:
        if not frontier:  # a component ran out: start again somewhere unvisited
            rest = np.flatnonzero(~chosen)
            frontier = [int(rng.choice(rest))]
        rng.shuffle(frontier)
        nxt: list[int] = []
        for v in frontier:
            if chosen[v]:
                continue
            chosen[v] = True
            picked.append(int(v))
            if len(picked) >= k:
                break
            nb = graph.indices[graph.indptr[v] : graph.indptr[v + 1]]
            nxt.extend(nb[~chosen[nb]].tolist())
        frontier = nxt
    return np.sort(np.asarray(picked, dtype=np.int64))


def _spring(n: int, ties: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Fruchterman–Reingold positions (networkx), scaled into the unit disc."""
    import networkx as nx

    if n == 0:
        return np.zeros((0, 2))
    if ties.size == 0:  # nothing to lay out (e.g. the complete graph, not drawn): a uniform disc
        r = np.sqrt(rng.random(n))
        a = 2 * np.pi * rng.random(n)
        return np.stack([r * np.cos(a), r * np.sin(a)], axis=1)
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(ties.tolist())
    init = {i: tuple(p) for i, p in enumerate(rng.uniform(-1, 1, size=(n, 2)))}
    pos = nx.spring_layout(g, pos=init, iterations=60, seed=int(rng.integers(2**31)))
    xy = np.array([pos[i] for i in range(n)], dtype=float)
    xy -= np.median(xy, axis=0)
    radius = np.sqrt((xy**2).sum(axis=1))
    r = float(np.quantile(radius, 0.95))  # a few far-flung stragglers must not shrink the rest
    if r <= 0:
        return xy
    xy /= r
    far = radius / r > 1.0
    xy[far] /= (radius[far] / r)[:, None]  # onto the unit circle
    return xy


def network_layout(model: GovernanceModel, k: int = NETWORK_SAMPLE) -> NetworkLayout:
    """The sample and layout of ``model``'s network (computed once per model, then cached)."""
    hit = _LAYOUTS.get(model)
    if hit is not None:
        return hit
    graph = model.graph
    # Own generator, seeded from the model's seed: drawing never moves the model's streams.
    rng = np.random.default_rng([int(model.seed_entropy or 0) % 2**63, 7])
    nodes = sample_residents(graph, k, rng)
    pos = np.full(graph.n, -1, dtype=np.int64)
    pos[nodes] = np.arange(nodes.size)
    if graph.complete:
        ties = np.zeros((0, 2), dtype=np.int64)
    else:
        pu, pv = pos[graph.u], pos[graph.v]
        keep = (pu >= 0) & (pv >= 0)
        ties = np.stack([pu[keep], pv[keep]], axis=1)
    xy = _spring(nodes.size, ties, rng)
    n_orgs = len(model.orgs)
    angle = np.pi / 2 - 2 * np.pi * np.arange(n_orgs) / max(n_orgs, 1)
    org_xy = RING * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    org = model.residents.org[nodes]
    has = np.flatnonzero(org >= 0)
    members = np.stack([has, org[has]], axis=1)
    layout = NetworkLayout(nodes, xy, ties, org_xy, members, graph.n)
    _LAYOUTS[model] = layout
    return layout


def _resident_color(mode: str, model: GovernanceModel) -> dict[str, Any]:
    if mode == "opinion":
        return {"field": "opinion", "type": "quantitative", "title": "opinion",
                "scale": {"domain": [0, 1], "scheme": "viridis"},
                "legend": {"orient": "right", "gradientLength": 120}}  # fmt: skip
    if mode == "participation":
        return {"field": "takes part", "type": "nominal", "title": "takes part",
                "scale": {"domain": ["this week", "before", "never"],
                          "range": ["#2ca02c", "#f2b447", "#c7c7c7"]}}  # fmt: skip
    if mode == "platform":
        return {"field": "platform", "type": "nominal", "title": "platform",
                "scale": {"domain": ["uses it", "not yet"],
                          "range": ["#1f77b4", "#c7c7c7"]}}  # fmt: skip
    if mode == "group":
        names = list(model.group_names)
        return {"field": "group", "type": "nominal", "title": "group",
                "scale": {"domain": names,
                          "range": group_colors(len(names))}}  # fmt: skip
    raise ValueError(f"color_by={mode!r}: allowed: {', '.join(COLOR_MODES)}")


def network_spec(model: GovernanceModel, color_by: str = "opinion") -> Chart:
    """The network view: sampled residents and their ties, organizations and their links."""
    lay = network_layout(model)
    res = model.residents
    nodes = lay.nodes
    part = np.where(res.participating[nodes], 0, np.where(res.ever_participated[nodes], 1, 2))
    part_names = np.array(["this week", "before", "never"])[part]
    group_names = np.asarray(model.group_names, dtype=object)[res.group[nodes]]
    opinion = res.opinion[nodes]
    trust = res.trust[nodes]
    party = res.is_party[nodes]
    digital = res.digital[nodes]
    residents = [
        {
            "x": _num(lay.xy[i, 0], 3),
            "y": _num(lay.xy[i, 1], 3),
            "opinion": _num(opinion[i], 3),
            "trust": _num(trust[i], 2),
            "takes part": str(part_names[i]),
            "group": str(group_names[i]),
            "role": "Party member" if party[i] else "resident",
            "platform": "uses it" if digital[i] else "not yet",
        }
        for i in range(nodes.size)
    ]
    ties = [
        {"x": _num(lay.xy[a, 0], 3), "y": _num(lay.xy[a, 1], 3),
         "x2": _num(lay.xy[b, 0], 3), "y2": _num(lay.xy[b, 1], 3)}
        for a, b in lay.ties.tolist()
    ]  # fmt: skip
    members = [
        {"x": _num(lay.xy[a, 0], 3), "y": _num(lay.xy[a, 1], 3),
         "x2": _num(lay.org_xy[o, 0], 3), "y2": _num(lay.org_xy[o, 1], 3)}
        for a, o in lay.members.tolist()
    ]  # fmt: skip
    links = np.argwhere(np.triu(model.links, 1))
    org_links = [
        {"x": _num(lay.org_xy[a, 0], 3), "y": _num(lay.org_xy[a, 1], 3),
         "x2": _num(lay.org_xy[b, 0], 3), "y2": _num(lay.org_xy[b, 1], 3)}
        for a, b in links.tolist()
    ]  # fmt: skip
    orgs = [
        {
            "x": _num(lay.org_xy[o.index, 0], 3),
            "y": _num(lay.org_xy[o.index, 1], 3),
            "organization": ORG_LABELS.get(o.kind, o.kind),
            "leading": bool(o.is_leader),
            "capacity": _num(o.capacity, 1),
            "members": int(o.members),
            "service record": _num(o.credibility, 2),
            "links": int(model.links[o.index].sum()),
        }
        for o in model.orgs
    ]
    dom = [-RING - 0.12, RING + 0.12]
    x = {"field": "x", "type": "quantitative", "axis": None, "scale": {"domain": dom}}
    y = {"field": "y", "type": "quantitative", "axis": None, "scale": {"domain": dom}}
    seg = {"x": x, "y": y, "x2": {"field": "x2"}, "y2": {"field": "y2"}}
    sample = (
        f"{nodes.size} of {lay.total} residents"
        if nodes.size < lay.total
        else f"all {lay.total} residents"
    )
    shown = {
        "opinion": f"mean opinion {_fmt(float(res.opinion.mean()))}",
        "participation": f"{_pct(float(res.participating.mean()))} take part this week",
        "group": f"{len(model.group_names)} groups",
        "platform": f"{_pct(float(res.digital.mean()))} use the platform",
    }[color_by]
    ties_text = (
        "complete graph: everyone meets everyone (ties not drawn)"
        if model.graph.complete
        else f"{len(lay.ties)} ties drawn"
    )
    desc = (
        f"Network, week {model.steps}, coloured by {color_by}: {sample}, "
        f"{ties_text}; {len(orgs)} organizations with {len(org_links)} "
        f"co-building links; {shown}"
    )
    size = 160 if nodes.size < 150 else 42
    spec = _base(
        "Residents and organizations",
        width=NETWORK_SIZE,
        height=NETWORK_SIZE,
        datasets={"ties": ties, "members": members},  # fixed for a model: sent once
        layer=[
            {"data": {"name": "ties"}, "mark": {"type": "rule", "color": "#9aa3ad",
                                                  "opacity": 0.35, "strokeWidth": 0.7},
             "encoding": seg},
            {"data": {"name": "members"}, "mark": {"type": "rule", "color": "#b08fc7",
                                                     "opacity": 0.18, "strokeWidth": 0.6},
             "encoding": seg},
            {"data": {"name": "org_links"}, "mark": {"type": "rule", "color": "#37474f",
                                                       "opacity": 0.75, "strokeWidth": 1.6},
             "encoding": seg},
            {"data": {"name": "residents"},
             "mark": {"type": "point", "filled": True, "opacity": 0.9, "size": size,
                      "stroke": "white", "strokeWidth": 0.4},
             "encoding": {
                 "x": x, "y": y,
                 "color": _resident_color(color_by, model),
                 "shape": {"field": "role", "type": "nominal", "title": None,
                           "scale": {"domain": ["resident", "Party member"],
                                     "range": ["circle", "triangle-up"]},
                           "legend": {"orient": "right"}},
                 "tooltip": [{"field": "group"}, {"field": "role"},
                             {"field": "opinion", "format": ".2f"},
                             {"field": "trust", "format": ".2f"}, {"field": "takes part"},
                             {"field": "platform"}],
             }},
            {"data": {"name": "orgs"},
             "mark": {"type": "square", "filled": True, "stroke": "white", "strokeWidth": 1},
             "encoding": {
                 "x": x, "y": y,
                 "color": {"condition": {"test": "datum.leading", "value": "#c62828"},
                           "value": "#37474f"},
                 "size": {"field": "capacity", "type": "quantitative", "legend": None,
                          "scale": {"range": [70, 420], "zero": True}},
                 "tooltip": [{"field": "organization"}, {"field": "capacity"},
                             {"field": "members"}, {"field": "links"},
                             {"field": "service record"}],
             }},
        ],
        resolve={"scale": {"size": "independent"}},
    )  # fmt: skip
    data = {"residents": residents, "orgs": orgs, "org_links": org_links}
    return Chart(spec, data, desc)

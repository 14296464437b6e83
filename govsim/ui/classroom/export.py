"""The whole classroom session as tables, files and a one-page summary (no Solara).

* :func:`decisions_table` — one row per team and round: the four levers' efforts, their
  cost, the budget, how the decision came about (submitted / carried over / joined late), and
  the team's outcomes at the end of the round next to the weak baseline's;
* :func:`outcomes_table` — one row per community (each team and the weak baseline) and week:
  every model-level metric of the registry (:data:`sim.metrics.MODEL_METRICS`);
* :func:`rounds_table` — one row per round: length, budget, weeks, what ran it, compute time;
* :func:`session_zip` — all three as CSV and Parquet plus ``room.json`` in one zip file;
* :func:`summary_figure` — a one-page PNG or PDF (matplotlib): the four outcomes of every
  team on shared axes, lever choices per round, and the ranking on the teacher's goal.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.metrics import MODEL_METRICS
from sim.strategies import LEVERS

from .charts import OUTCOMES
from .room import BASELINE, BUDGET_UNIT, GOALS
from .summary import history

if TYPE_CHECKING:
    from .room import Room

__all__ = [
    "ROUND_OUTCOMES",
    "decisions_table",
    "outcomes_table",
    "rounds_table",
    "session_zip",
    "summary_figure",
]

#: Outcomes reported at the end of each round in the decisions table.
ROUND_OUTCOMES = (
    "participation_rate", "opinion_variance", "polarization", "mean_trust", "resolution_rate",
    "backlog", "platform_adoption",
)  # fmt: skip


def _at(model: Any, metric: str, week: int) -> float:
    h = history(model, metric)
    return float(h[week]) if week < len(h) else math.nan


def decisions_table(room: Room) -> pd.DataFrame:
    """Every decision of every team in every round, with the outcomes at the round's end."""
    rounds = {r.number: r for r in room.rounds}
    rows = []
    for team in room.teams.values():
        for d in team.decisions:
            rec = rounds[d.round]
            row: dict[str, Any] = {
                "round": d.round, "team": d.team,
                **{lever: d.efforts[lever] for lever in LEVERS},
                "cost": round(d.cost, 6), "budget": d.budget, "weeks": d.weeks,
                "source": d.source, "submitted_s": d.submitted_s,
                "first_week": rec.first_week, "last_week": rec.last_week,
            }  # fmt: skip
            for m in ROUND_OUTCOMES:
                row[m] = _at(team.model, m, rec.last_week)
                row[f"baseline_{m}"] = _at(room.baseline, m, rec.last_week)
            rows.append(row)
        pending = room.pending.get(team.token)
        if pending is not None:  # submitted for the round that has not run yet
            rows.append({"round": pending.round, "team": pending.team,
                         **{lever: pending.efforts[lever] for lever in LEVERS},
                         "cost": round(pending.cost, 6), "budget": pending.budget,
                         "weeks": pending.weeks, "source": "pending",
                         "submitted_s": pending.submitted_s})  # fmt: skip
    columns = ["round", "team", *LEVERS, "cost", "budget", "weeks", "source", "submitted_s",
               "first_week", "last_week",
               *(c for m in ROUND_OUTCOMES for c in (m, f"baseline_{m}"))]  # fmt: skip
    df = pd.DataFrame(rows, columns=columns)
    return df.sort_values(["round", "team"], kind="stable").reset_index(drop=True)


def outcomes_table(room: Room) -> pd.DataFrame:
    """Every metric of every community, week by week (team ``weak baseline``: the copy)."""
    week_round = np.zeros(room.week + 1, dtype=int)
    for r in room.rounds:
        week_round[r.first_week : r.last_week + 1] = r.number
    frames = []
    communities = [(t.name, t.model) for t in room.teams.values()] + [(BASELINE, room.baseline)]
    for name, model in communities:
        data = {m: history(model, m) for m in MODEL_METRICS}
        n = len(next(iter(data.values())))
        frame = pd.DataFrame({"team": name, "week": np.arange(n), "round": week_round[:n], **data})
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def rounds_table(room: Room) -> pd.DataFrame:
    """One row per round that has run."""
    cols = ["round", "weeks", "budget", "first_week", "last_week", "trigger", "submitted",
            "teams", "compute_s"]  # fmt: skip
    rows = [
        [r.number, r.weeks, r.budget, r.first_week, r.last_week, r.trigger, r.submitted,
         r.teams, round(r.compute_s, 4)]
        for r in room.rounds
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


def _room_info(room: Room) -> dict[str, Any]:
    return {
        "join_code": room.code,
        "scenario": room.settings.scenario,
        "seed": room.settings.seed,
        "residents": room.settings.residents,
        "rounds_run": len(room.rounds),
        "week": room.week,
        "state": room.state,
        "teams": [t.name for t in room.teams.values()],
        "budget_unit": BUDGET_UNIT,
        "goal": room.goal,
    }


def session_zip(room: Room) -> bytes:
    """The session as ``decisions``, ``outcomes`` and ``rounds`` (CSV and Parquet) and room.json."""
    tables = {
        "decisions": decisions_table(room),
        "outcomes": outcomes_table(room),
        "rounds": rounds_table(room),
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, df in tables.items():
            zf.writestr(f"{name}.csv", df.to_csv(index=False))
            pq = io.BytesIO()
            df.to_parquet(pq, index=False)
            zf.writestr(f"{name}.parquet", pq.getvalue())
        zf.writestr("room.json", json.dumps(_room_info(room), indent=2))
    return buf.getvalue()


def summary_figure(room: Room, fmt: str = "png") -> bytes:
    """A one-page summary of the session as PNG or PDF bytes (matplotlib, A4 landscape)."""
    if fmt not in ("png", "pdf"):
        raise ValueError(f"fmt {fmt!r}: png or pdf")
    from matplotlib.figure import Figure  # matplotlib only when a summary is asked for

    fig = Figure(figsize=(11.69, 8.27), dpi=110 if fmt == "png" else 72)
    grid = fig.add_gridspec(2, 3, hspace=0.45, wspace=0.32, left=0.06, right=0.98, top=0.88,
                            bottom=0.08)  # fmt: skip
    s = room.settings
    fig.suptitle(
        f"govsim classroom session {room.display_code}: scenario {s.scenario}, seed {s.seed}, "
        f"{len(room.rounds)} rounds, {room.week} weeks, {len(room.teams)} teams",
        fontsize=12, x=0.06, ha="left",
    )  # fmt: skip
    teams = list(room.teams.values())
    colors = [f"C{i % 10}" for i in range(len(teams))]
    for k, outcome in enumerate(OUTCOMES):
        ax = fig.add_subplot(grid[k // 2, k % 2] if k < 2 else grid[1, k - 2])
        for team, c in zip(teams, colors, strict=True):
            ax.plot(history(team.model, outcome.metric), color=c, lw=1.4, label=team.name)
        ax.plot(history(room.baseline, outcome.metric), color="black", lw=1.4, ls="--",
                label=BASELINE)  # fmt: skip
        for r in room.rounds[:-1]:
            ax.axvline(r.last_week, color="0.85", lw=0.8, zorder=0)
        ax.set_xlim(0, max(room.week, 1))
        if outcome.domain is not None:
            ax.set_ylim(*outcome.domain)
        ax.set_title(outcome.title, loc="left", fontsize=10)
        ax.set_xlabel("week", fontsize=8)
        ax.set_ylabel(outcome.y_title, fontsize=8)
        ax.tick_params(labelsize=7)
    handles, labels = fig.axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(8, len(labels)), fontsize=7,
               frameon=False)  # fmt: skip

    # lever choices: each team's mean effort per lever over the rounds
    ax = fig.add_subplot(grid[0, 2])
    dec = decisions_table(room)
    if len(dec):
        means = dec.groupby("team", sort=False)[list(LEVERS)].mean()
        left = np.zeros(len(means))
        lever_colors = {"ideological": "#d62728", "political": "#ff7f0e",
                        "organizational": "#1f77b4", "smart": "#2ca02c"}  # fmt: skip
        for lever in LEVERS:
            ax.barh(means.index, means[lever], left=left, color=lever_colors[lever], label=lever)
            left += means[lever].to_numpy()
        ax.invert_yaxis()
        ax.legend(fontsize=6, loc="lower right")
    ax.set_title("Lever choices (mean effort per week)", loc="left", fontsize=10)
    ax.tick_params(labelsize=7)

    # ranking on the teacher's goal
    ax = fig.add_subplot(grid[1, 2])
    ax.axis("off")
    goal = GOALS[room.goal]
    lines = [f"Ranking at week {room.week} on {goal.key}", f"({goal.label})", ""]
    for row in room.ranking()[:15]:
        lines.append(f"{row['rank']:>2}. {row['team'][:16]:<16} {goal.format(row['value']):>7}")
    lines += [
        "",
        f"weak baseline: {goal.format(room.ranking()[0]['baseline'])}" if room.teams else "",
    ]
    if len(room.teams) > 15:
        lines.append(f"... and {len(room.teams) - 15} more (see decisions.csv)")
    ax.text(0, 1, "\n".join(lines), va="top", ha="left", family="monospace", fontsize=7.5)
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt)
    return buf.getvalue()

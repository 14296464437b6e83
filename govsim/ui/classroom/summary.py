"""The round summary a team reads: what changed in its community this round, and why.

Plain words built from the team's own DataCollector history and that of the weak-baseline
copy (the same community, same seed, all levers at zero) over the same weeks. The "why" lines
name the mechanisms through which each lever the team paid for acts in the model (docs/odd.md,
section 7; the same wording as :data:`govsim.ui.text.LEVER_TEXT`) next to the outcome that
mechanism moves, measured against the baseline; they do not claim more than the numbers show.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim.costs import COST_UNIT
from sim.strategies import LEVERS

if TYPE_CHECKING:
    from sim import GovernanceModel

    from .room import Decision, RoundRecord

__all__ = ["history", "round_summary"]


def history(model: GovernanceModel, metric: str) -> np.ndarray:
    """A model-level metric by week (index = week, 0 = the start)."""
    return np.asarray(model.datacollector.model_vars[metric], dtype=float)


def _group_history(model: GovernanceModel, metric: str) -> np.ndarray:
    rows = model.datacollector.model_vars["_groups"]
    return np.asarray([r[metric] for r in rows], dtype=float).reshape(len(rows), -1)


def _pts(x: float) -> str:
    """A change in a share as percentage points, signed."""
    return f"{100 * x:+.0f} points"


def _pct(x: float) -> str:
    return "–" if not math.isfinite(x) else f"{100 * x:.0f}%"


def _closed_share(model: GovernanceModel, a: int, b: int) -> tuple[float, float]:
    """Resolved share of the needs closed in weeks a..b, and the number resolved."""
    r = history(model, "needs_resolved")[a : b + 1].sum()
    e = history(model, "needs_expired")[a : b + 1].sum()
    return (r / (r + e) if r + e > 0 else math.nan), float(r)


def _spent(decision: Decision) -> str:
    used = [f"{decision.efforts[lv]:.2f} on {lv}" for lv in LEVERS if decision.efforts[lv] > 0]
    return ", ".join(used) if used else "nothing on any lever"


def round_summary(
    model: GovernanceModel, baseline: GovernanceModel, rec: RoundRecord, decision: Decision
) -> list[str]:
    """Plain-words lines on round ``rec`` for the team whose community is ``model``."""
    a, b = rec.first_week, rec.last_week
    s = a - 1  # the week before the round
    lines: list[str] = []
    if decision.source == "carried over":
        lines.append(
            f"Round {rec.number} (weeks {a}–{b}): your team did not submit in time, so your "
            f"levers stayed where they were: {_spent(decision)} "
            f"(cost {decision.cost:.1f} of {decision.budget:.1f} {COST_UNIT})."
        )
    else:
        lines.append(
            f"Round {rec.number} (weeks {a}–{b}): your leadership spent {_spent(decision)} "
            f"(cost {decision.cost:.1f} of {decision.budget:.1f} {COST_UNIT})."
        )

    # participation, overall and the group that moved most
    p, pb = history(model, "participation_rate"), history(baseline, "participation_rate")
    text = (
        f"Participation went from {_pct(p[s])} to {_pct(p[b])} ({_pts(p[b] - p[s])}); "
        f"the same community without leadership is at {_pct(pb[b])}."
    )
    groups = list(getattr(model, "group_names", []))
    if groups:
        g = _group_history(model, "participation_rate")
        change = g[b] - g[s]
        i = int(np.nanargmax(np.abs(change)))
        if abs(change[i]) >= 0.01:
            word = "gained most" if change[i] > 0 else "lost most"
            text += f" The group that {word}: {groups[i]} ({_pts(change[i])})."
    lines.append(text)

    t, tb = history(model, "mean_trust"), history(baseline, "mean_trust")
    lines.append(
        f"Trust in the leading organization: {t[s]:.2f} → {t[b]:.2f} "
        f"(without leadership: {tb[b]:.2f})."
    )

    share, resolved = _closed_share(model, a, b)
    share_b, resolved_b = _closed_share(baseline, a, b)
    backlog = history(model, "backlog")
    lines.append(
        f"Needs: {resolved:.0f} resolved this round, {_pct(share)} of those closed "
        f"(without leadership: {resolved_b:.0f}, {_pct(share_b)}); open needs per 1,000 "
        f"residents {backlog[s]:.0f} → {backlog[b]:.0f}."
    )

    v, vb = history(model, "opinion_variance"), history(baseline, "opinion_variance")
    d, db = history(model, "agenda_distance"), history(baseline, "agenda_distance")
    lines.append(
        f"Consensus: opinion variance {v[s]:.3f} → {v[b]:.3f} (0 = everyone agrees; without "
        f"leadership {vb[b]:.3f}); distance from the shared agenda {d[s]:.2f} → {d[b]:.2f} "
        f"(without leadership {db[b]:.2f})."
    )

    # why: the mechanisms of the levers paid for, beside the outcome each one moves
    e = decision.efforts
    if e["ideological"] > 0:
        lines.append(
            "Why (ideological): value-guidance activities pull the residents who attend toward "
            "the shared agenda, more so the more they trust the organization — your distance "
            f"from the agenda is {d[b]:.2f} against {db[b]:.2f} without leadership."
        )
    if e["political"] > 0:
        lines.append(
            "Why (political): the leading organization gained capacity and resources, takes on "
            "the most common needs, and taking part costs residents less — "
            f"{resolved:.0f} needs resolved this round against {resolved_b:.0f} without leadership."
        )
    if e["organizational"] > 0:
        lost = history(model, "needs_dropped_wrong_org")[a : b + 1].sum()
        lost_b = history(baseline, "needs_dropped_wrong_org")[a : b + 1].sum()
        lines.append(
            "Why (organizational): co-building links between organizations route needs to whoever "
            "can handle them, pool unused resources and mediate disputes — "
            f"{lost:.0f} needs aged out at an organization that could not handle them, "
            f"against {lost_b:.0f} without leadership."
        )
    if e["smart"] > 0:
        pa = history(model, "platform_adoption")
        lines.append(
            "Why (smart): the community platform spreads by digital literacy (a digital divide); "
            "adopters report needs at once and take part at lower cost — platform use "
            f"{_pct(pa[s])} → {_pct(pa[b])}."
        )
    unused = [lv for lv in LEVERS if e[lv] <= 0]
    if unused and len(unused) < len(LEVERS):
        lines.append(f"Levers you left at zero this round: {', '.join(unused)}.")
    return lines

"""Mechanism 4: participation in community affairs.

Each week every resident compares a score with its threshold and takes part if

    w_social · social proof + w_trust · trust + w_agreement · (1 − |opinion − agenda|)
    + w_served · served − w_cost · cost'   ≥   threshold

Social proof is the share of neighbours who took part last week (Granovetter 1978, *AJS*
83:1420; Watts 2002, *PNAS* 99:5766); a platform adopter sees community-wide participation
with weight ``visibility`` (smart lever). ``served`` is the remembered experience of being
served (−1…1, :mod:`sim.mechanisms.needs`). The effective cost cost' is lowered by
"ways of working residents like" (political lever, ``cost_reduction`` × intensity) and, for
adopters, by taking part online (smart ``cost_reduction``).

With only the social-proof term (all other weights 0) and ``sticky`` on, this is the threshold
model: a resident joins once the share of active neighbours reaches its threshold and stays.
Updates are synchronous (everyone sees last week's state); for the monotone threshold model
the final state does not depend on the update order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..model import GovernanceModel


class Participation:
    """Weekly participation decisions."""

    name = "participation"

    @staticmethod
    def enabled(model: GovernanceModel) -> bool:
        """Switched by ``participation.enabled``."""
        return model.p.participation.enabled

    @staticmethod
    def effective_cost(model: GovernanceModel) -> np.ndarray:
        """Participation cost after the political and smart levers."""
        res = model.residents
        lv = model.p.levers
        cost = res.cost * (1.0 - lv.political.cost_reduction * model.effort.political)
        if res.digital.any():
            cost = np.where(res.digital, cost * (1.0 - lv.smart.cost_reduction), cost)
        return cost

    def step(self, model: GovernanceModel) -> None:
        """Decide who takes part this week."""
        p = model.p.participation
        res = model.residents
        prev = res.participating  # last week's (bool: the neighbour share is an exact count)
        social = model.graph.neighbor_mean(prev)
        if res.digital.any():
            vis = model.p.levers.smart.visibility
            social = np.where(res.digital, (1 - vis) * social + vis * prev.mean(), social)
        score = p.w_social * social
        if p.w_trust:
            score = score + p.w_trust * res.trust
        if p.w_agreement:
            score = score + p.w_agreement * (1.0 - np.abs(res.opinion - model.p.opinions.agenda))
        if p.w_served:
            score = score + p.w_served * res.served
        if p.w_cost:
            score = score - p.w_cost * self.effective_cost(model)
        now = score >= res.threshold
        if p.sticky:
            now |= res.participating
        res.participating[:] = now
        res.ever_participated |= now
        res.weeks_participated += now

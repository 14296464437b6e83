"""Mechanism 4: participation in community affairs.

Each week every resident computes a score

    S = w_social · social proof + w_trust · trust + w_agreement · (1 − |opinion − agenda|)
        + w_served · served − w_cost · cost' + party_bonus · [active Party member]

and takes part with the logit (random-utility) probability 1 / (1 + exp(−(S − threshold)/τ)),
τ = ``temperature`` (McFadden 1974; the same form as the logit response of Brock & Durlauf
2001, *Rev. Econ. Stud.* 68:235). Draws are independent each week, so participants rotate:
a resident near its threshold takes part some weeks and not others, and "never took part"
counts those for whom the chance stayed small. τ = 0 is the deterministic threshold rule
S ≥ threshold. Active Party members get ``party_bonus`` (assumption: they are asked to take
part, source §1 "report to the community"). An isolated resident (no ties) takes its own last
week's choice as social proof.

Social proof is the share of neighbours who took part last week (Granovetter 1978, *AJS*
83:1420; Watts 2002, *PNAS* 99:5766); a platform adopter sees community-wide participation
with weight ``visibility`` (smart lever). ``served`` is the remembered experience of being
served (−1…1, :mod:`sim.mechanisms.needs`). The effective cost cost' is lowered by
"ways of working residents like" (political lever, ``cost_reduction`` × effort) and, for
adopters, by taking part online (smart ``cost_reduction``).

With only the social-proof term (all other weights 0) and ``sticky`` on, this is the threshold
model: a resident joins once the share of active neighbours reaches its threshold and stays.
Updates are synchronous (everyone sees last week's state); for the monotone threshold model
the final state does not depend on the update order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._jit import active as jit_active
from .._jit import njit

if TYPE_CHECKING:
    from ..model import GovernanceModel


def _decide_loop(
    indptr: np.ndarray,
    indices: np.ndarray,
    degree: np.ndarray,
    prev: np.ndarray,
    digital: np.ndarray,
    any_digital: bool,
    a_vis: float,
    b_vis: float,
    w_social: float,
    w_trust: float,
    trust: np.ndarray,
    w_agreement: float,
    opinion: np.ndarray,
    agenda: float,
    w_served: float,
    served: np.ndarray,
    w_cost: float,
    cost: np.ndarray,
    f_political: float,
    f_smart: float,
    threshold: np.ndarray,
    sticky: bool,
    bonus: float,
    exemplar: np.ndarray,
    temperature: float,
    u: np.ndarray,
    now: np.ndarray,
) -> None:  # pragma: no cover - compiled by numba (coverage cannot see inside)
    """:meth:`Participation.step`'s decision for every resident in one compiled pass.

    The same operations in the same order as the numpy code (the share of taking-part
    neighbours as in ``Graph.neighbor_mean``, then each weighted term added in turn), so the
    decisions are the same bit for bit; ``prev`` is last week's participation as bytes and is
    not changed (everyone decides from last week).
    """
    lo = indptr[0]
    for i in range(now.size):
        hi = indptr[i + 1]
        s = 0.0
        for jj in range(lo, hi):
            s += prev[np.uint64(indices[jj])]
        lo = hi
        d = degree[i]
        social = s / d if d > 0 else float(prev[i])
        dig = any_digital and digital[i]
        if dig:
            social = a_vis * social + b_vis
        score = w_social * social
        if w_trust != 0.0:
            score = score + w_trust * trust[i]
        if w_agreement != 0.0:
            score = score + w_agreement * (1.0 - abs(opinion[i] - agenda))
        if w_served != 0.0:
            score = score + w_served * served[i]
        if w_cost != 0.0:
            c = cost[i] * f_political
            if dig:
                c = c * f_smart
            score = score - w_cost * c
        if bonus != 0.0 and exemplar[i]:
            score = score + bonus
        if temperature > 0.0:
            z = (score - threshold[i]) / temperature
            z = min(700.0, max(-700.0, z))  # as np.clip: no overflow in exp
            decide = u[i] < 1.0 / (1.0 + np.exp(-z))
        else:
            decide = score >= threshold[i]
        if sticky:
            decide = decide or prev[i] != 0
        now[i] = decide


_decide_jit = njit(_decide_loop)


class Participation:
    """Weekly participation decisions."""

    name = "participation"

    @staticmethod
    def enabled(model: GovernanceModel) -> bool:
        """Switched by ``participation.enabled``."""
        return model.params.participation.enabled

    @staticmethod
    def effective_cost(model: GovernanceModel) -> np.ndarray:
        """Participation cost after the political and smart levers."""
        res = model.residents
        lv = model.params.levers
        cost = res.cost * (1.0 - lv.political.cost_reduction * model.effort.political)
        if res.digital.any():
            cost = np.where(res.digital, cost * (1.0 - lv.smart.cost_reduction), cost)
        return cost

    def step(self, model: GovernanceModel) -> None:
        """Decide who takes part this week."""
        res = model.residents
        if _decide_jit is not None and not model.graph.complete and jit_active():
            now = self._decide_compiled(model)
        else:
            now = self._decide(model)
        res.participating[:] = now
        res.ever_participated |= now
        res.weeks_participated += now

    @staticmethod
    def _decide_compiled(model: GovernanceModel) -> np.ndarray:
        """:meth:`_decide` in one compiled pass (same decisions, bit for bit)."""
        p = model.params.participation
        res = model.residents
        g = model.graph
        lv = model.params.levers
        any_digital = bool(res.digital.any())
        vis = lv.smart.visibility
        b_vis = vis * float(res.participating.mean()) if any_digital else 0.0
        now = np.empty(res.n, dtype=np.bool_)
        _decide_jit(
            g.indptr, g.indices, g.degree, res.participating.view(np.uint8), res.digital,
            any_digital, 1 - vis, b_vis, float(p.w_social), float(p.w_trust), res.trust,
            float(p.w_agreement), res.opinion, float(model.params.opinions.agenda),
            float(p.w_served), res.served, float(p.w_cost), res.cost,
            1.0 - lv.political.cost_reduction * model.effort.political,
            1.0 - lv.smart.cost_reduction, res.threshold, bool(p.sticky),
            float(p.party_bonus), res.exemplar(), float(p.temperature),
            Participation.draws(model), now,
        )  # fmt: skip
        return now

    @staticmethod
    def draws(model: GovernanceModel) -> np.ndarray:
        """This week's uniforms of the logit choice (none when it is deterministic)."""
        if model.params.participation.temperature > 0:
            return model.rngs["participation"].random(model.residents.n)
        return np.empty(0)

    def _decide(self, model: GovernanceModel) -> np.ndarray:
        """Who takes part this week (numpy; the definition of the compiled pass)."""
        p = model.params.participation
        res = model.residents
        prev = res.participating  # last week's (bool: the neighbour share is an exact count)
        social = model.graph.neighbor_mean(prev)
        if res.digital.any():
            vis = model.params.levers.smart.visibility
            social = np.where(res.digital, (1 - vis) * social + vis * prev.mean(), social)
        score = p.w_social * social
        if p.w_trust:
            score = score + p.w_trust * res.trust
        if p.w_agreement:
            score = score + p.w_agreement * (
                1.0 - np.abs(res.opinion - model.params.opinions.agenda)
            )
        if p.w_served:
            score = score + p.w_served * res.served
        if p.w_cost:
            score = score - p.w_cost * self.effective_cost(model)
        if p.party_bonus:
            score = np.where(res.exemplar(), score + p.party_bonus, score)
        u = self.draws(model)
        if p.temperature > 0:
            z = np.clip((score - res.threshold) / p.temperature, -700.0, 700.0)
            now = u < 1.0 / (1.0 + np.exp(-z))
        else:
            now = score >= res.threshold
        if p.sticky:
            now |= res.participating
        return now

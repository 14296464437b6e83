"""Mechanism 5: consultation, deliberation and decision.

Every ``interval`` weeks a community issue is put to consultation. Those taking part that week
meet: ``rounds`` · P / 2 encounters between random pairs of participants, with the same
bounded-confidence rule as everyday exchange (a meeting mixes across the network). They then
vote: a participant supports the agenda's proposal when its opinion is on the agenda's side of
the midpoint. The share in favour is recorded as ``decision_agreement``; the proposal passes
with a majority. Assumption: participants' trust moves by ``trust_effect`` × (2 · agreement − 1)
(up after broad agreement, down after a split or a defeat) — legitimacy through participation.

A decision changes something: a passed proposal is a project (a repair drive, a volunteer
service) that adds ``project_capacity`` needs/week per 1,000 residents to the residents'
committees and volunteer teams until the next consultation
(:meth:`sim.mechanisms.needs.Service.volunteer_capacity`); a failed one adds nothing, and
participants' trust falls by the legitimacy term (agreement < 1/2). Agreement follows the
state of opinions: it is near 1 only while most participants are on the agenda's side.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .opinions import Opinions, exchange

if TYPE_CHECKING:
    from ..model import GovernanceModel


class Deliberation:
    """Periodic consultation among participants."""

    name = "deliberation"

    @staticmethod
    def enabled(model: GovernanceModel) -> bool:
        """Switched by ``deliberation.enabled``."""
        return model.params.deliberation.enabled

    def step(self, model: GovernanceModel) -> None:
        """Hold a consultation every ``interval`` weeks."""
        p = model.params.deliberation
        if model.steps % p.interval:
            return
        res = model.residents
        rng = model.rngs["deliberation"]
        part = np.flatnonzero(res.participating)
        if part.size < 2:
            model.last_decision = (model.steps, float("nan"), False, int(part.size))
            model.project_capacity = 0.0
            return
        k = int(round(p.rounds * part.size / 2))
        a = part[rng.integers(0, part.size, size=k)]
        b = part[rng.integers(0, part.size, size=k)]
        keep = a != b
        exchange(model, a[keep], b[keep], Opinions.exemplar_strength(model))
        agenda = model.params.opinions.agenda
        side = res.opinion[part] >= 0.5 if agenda >= 0.5 else res.opinion[part] <= 0.5
        agreement = float(side.mean())
        if p.trust_effect > 0:
            t = res.trust[part]
            d = p.trust_effect * (2.0 * agreement - 1.0)
            res.trust[part] = np.clip(np.where(d >= 0, t + d * (1 - t), t + d * t), 0.0, 1.0)
        model.last_decision = (model.steps, agreement, agreement > 0.5, int(part.size))
        model.decisions.append(model.last_decision)
        model.project_capacity = project_capacity(model, agreement > 0.5)


def project_capacity(model: GovernanceModel, passed: bool) -> float:
    """Capacity the decision's project adds until the next consultation (0 when it failed)."""
    return (
        model.params.deliberation.project_capacity * model.residents.n / 1000.0 if passed else 0.0
    )

"""Mechanism 2: trust in the community's leading organization.

A resolved need raises the resident's trust, a need that ages out lowers it; trust also
drifts toward the neighbours' mean trust (DeGroot-style social averaging, DeGroot 1974).
Trust in turn scales how much the leading organization's activities and the Party members'
example persuade (:mod:`sim.mechanisms.opinions`) and how willing a resident is to take part
(:mod:`sim.mechanisms.participation`).

Assumption: each resolved need closes a share ``gain_resolved`` of the gap to full trust,
each aged-out need removes a share ``loss_unresolved`` of the current trust, so trust stays in
[0, 1] by construction (``1 − (1 − t)(1 − g)^k`` and ``t (1 − l)^k``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..model import GovernanceModel


def count_power(base: float, k: np.ndarray) -> np.ndarray:
    """``base ** k`` for a per-resident count ``k`` (mostly zero), computing ``pow`` only where
    ``k > 0`` — bit-for-bit ``base ** k`` (``pow(x, 0) = 1`` exactly), ~10× faster at 10⁶."""
    out = np.ones(k.shape)
    nz = np.flatnonzero(k)
    if nz.size:
        out[nz] = base ** k[nz]
    return out


class Trust:
    """Service experience and social drift of trust."""

    name = "trust"

    @staticmethod
    def enabled(model: GovernanceModel) -> bool:
        """Switched by ``trust.enabled``."""
        return model.p.trust.enabled

    def step(self, model: GovernanceModel) -> None:
        """Apply this week's service outcomes, then drift toward neighbours."""
        p = model.p.trust
        res = model.residents
        t = res.trust
        k_res = model.events.get("resolved_by_resident")
        if k_res is not None:
            k_exp = model.events["expired_by_resident"]
            t[:] = 1.0 - (1.0 - t) * count_power(1.0 - p.gain_resolved, k_res)
            t *= count_power(1.0 - p.loss_unresolved, k_exp)
        if p.social_weight > 0:
            nb = model.graph.neighbor_mean(t)
            t += p.social_weight * (nb - t)
        np.clip(t, 0.0, 1.0, out=t)

"""The community platform: adoption under the smart lever (智慧引领).

Each week a resident who does not use the platform adopts it with probability

    smart · adoption_rate · literacy_g · (1 + peer_effect · share of adopting neighbours)

(capped at 1), so adoption spreads faster where neighbours already use it and slower in groups
with low digital literacy: a digital divide (Rogers 2003, diffusion of innovations).
Assumption: adoption is permanent. Without the smart lever nobody adopts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..model import GovernanceModel


class Platform:
    """Platform adoption."""

    name = "platform"

    @staticmethod
    def enabled(model: GovernanceModel) -> bool:
        """Runs whenever the smart lever can act (it is a no-op at intensity 0)."""
        return True

    def step(self, model: GovernanceModel) -> None:
        """Spread adoption."""
        s = model.effort.smart
        if s <= 0:
            return
        sp = model.p.levers.smart
        res = model.residents
        rng = model.rngs["platform"]
        peer = model.graph.neighbor_mean(res.digital)
        prob = np.minimum(1.0, s * sp.adoption_rate * res.literacy * (1.0 + sp.peer_effect * peer))
        res.digital |= rng.random(res.n) < prob

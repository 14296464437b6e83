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

from .._jit import active as jit_active
from .._jit import njit

if TYPE_CHECKING:
    from ..model import GovernanceModel


def _adopt_loop(
    indptr: np.ndarray,
    indices: np.ndarray,
    degree: np.ndarray,
    digital: np.ndarray,
    a: float,
    literacy: np.ndarray,
    peer_effect: float,
    u: np.ndarray,
    out: np.ndarray,
) -> None:  # pragma: no cover - compiled by numba (coverage cannot see inside)
    """:meth:`Platform.step`'s adoption for every resident in one compiled pass: the share of
    adopting neighbours (as ``Graph.neighbor_mean``), ``min(1, a·literacy·(1 + e·share))``
    with ``a`` = effort × rate, and the draw — the same operations in the same order as
    the numpy code. ``digital`` (bytes) is last week's and is not changed."""
    lo = indptr[0]
    for i in range(out.size):
        hi = indptr[i + 1]
        s = 0.0
        for jj in range(lo, hi):
            s += digital[np.uint64(indices[jj])]
        lo = hi
        d = degree[i]
        peer = s / d if d > 0 else float(digital[i])
        x = a * literacy[i] * (1.0 + peer_effect * peer)
        prob = 1.0 if x > 1.0 else x  # np.minimum(1.0, x), NaN kept
        out[i] = digital[i] != 0 or u[i] < prob


_adopt_jit = njit(_adopt_loop)


class Platform:
    """Platform adoption."""

    name = "platform"

    @staticmethod
    def enabled(model: GovernanceModel) -> bool:
        """Runs whenever the smart lever can act (it is a no-op at effort 0)."""
        return True

    def step(self, model: GovernanceModel) -> None:
        """Spread adoption."""
        s = model.effort.smart
        if s <= 0:
            return
        sp = model.params.levers.smart
        res = model.residents
        rng = model.rngs["platform"]
        g = model.graph
        if _adopt_jit is not None and not g.complete and jit_active():
            out = np.empty(res.n, dtype=np.bool_)
            _adopt_jit(
                g.indptr, g.indices, g.degree, res.digital.view(np.uint8),
                s * sp.adoption_rate, res.literacy, float(sp.peer_effect), rng.random(res.n), out,
            )  # fmt: skip
            res.digital[:] = out
            return
        peer = g.neighbor_mean(res.digital)
        prob = np.minimum(1.0, s * sp.adoption_rate * res.literacy * (1.0 + sp.peer_effect * peer))
        res.digital |= rng.random(res.n) < prob

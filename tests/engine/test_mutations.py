"""Mutation test of the literature checks: deliberately wrong kernels must be rejected.

Each mutation replaces one piece of the engine (through ``monkeypatch``, so nothing outlives
the test) by a plausible mistake: μ changed, ε scaled by 0.8 or 1.25, φ scaled by 0.75 or
1.25, one-sided updates, the resident itself counted in its social-proof share, and pairs
drawn node-then-neighbour instead of edge-uniformly. The literature checks
(tests/engine/literature.py) run in order until one fails; the test fails if none does. A
control — the same hand-written exchange with the correct rule — must pass the checks that
reject the opinion mutations, so a rejection is the mutation's doing, not the harness's.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim.mechanisms.opinions as opinions_mod
import sim.mechanisms.participation as participation_mod
from sim.mechanisms.participation import Participation
from sim.network import Graph

from .literature import CHECKS


def exchange_with(*, mu: float | None = None, eps_scale: float = 1.0, one_sided: bool = False):
    """A Deffuant–Weisbuch exchange written out encounter by encounter, optionally wrong."""

    def exchange(model, a, b, exemplar_s):  # same signature as sim.mechanisms.opinions.exchange
        o = model.residents.opinion
        tol = model.residents.tolerance * eps_scale
        m = model.params.opinions.mu if mu is None else mu
        moved = 0
        for i, k in zip(a.tolist(), b.tolist(), strict=True):
            d = o[k] - o[i]
            ad = abs(d)
            move_i, move_k = ad < tol[i], ad < tol[k] and not one_sided
            if move_i:
                o[i] += m * d
            if move_k:
                o[k] -= m * d
            moved += int(bool(move_i) and d != 0) + int(bool(move_k) and d != 0)
        np.clip(o, 0.0, 1.0, out=o)
        return moved

    return exchange


def scaled_thresholds(monkeypatch, factor: float) -> None:
    """Decisions compare the score with φ·factor instead of φ (both decision paths)."""
    compiled, plain = Participation._decide_compiled, Participation._decide

    def with_scaled(fn):
        def run(*args):
            model = args[-1]
            res = model.residents
            kept = res.threshold
            res.threshold = kept * factor
            try:
                return fn(*args)
            finally:
                res.threshold = kept

        return run

    monkeypatch.setattr(Participation, "_decide_compiled", staticmethod(with_scaled(compiled)))
    monkeypatch.setattr(Participation, "_decide", with_scaled(plain))


def self_in_social_proof(monkeypatch) -> None:
    """The share of taking-part neighbours counts the resident itself: (Σ_j x_j + x_i)/(d + 1)."""
    monkeypatch.setattr(participation_mod, "_decide_jit", None)  # the numpy path reads the graph

    def neighbor_mean(self, x):
        x = np.asarray(x, dtype=np.float64)
        return (self.neighbor_sum(x) + x) / (self.degree + 1.0)

    monkeypatch.setattr(Graph, "neighbor_mean", neighbor_mean)


def node_then_neighbour(monkeypatch) -> None:
    """Pairs drawn as a uniform resident and then a uniform neighbour of it."""
    original = Graph.sample_edges

    def sample_edges(self, k, rng):
        if self.complete:
            return original(self, k, rng)
        a = rng.integers(0, self.n, size=k)
        d = self.degree[a]
        pick = (rng.random(k) * np.maximum(d, 1)).astype(np.int64)
        at = np.minimum(self.indptr[a] + pick, self.indices.size - 1)
        b = np.where(d > 0, self.indices[at], a)
        return a.astype(np.int64), b.astype(np.int64)

    monkeypatch.setattr(Graph, "sample_edges", sample_edges)


MUTATIONS = {
    "mu=0.1": lambda mp: mp.setattr(opinions_mod, "exchange", exchange_with(mu=0.1)),
    "mu=0.2": lambda mp: mp.setattr(opinions_mod, "exchange", exchange_with(mu=0.2)),
    "eps*0.8": lambda mp: mp.setattr(opinions_mod, "exchange", exchange_with(eps_scale=0.8)),
    "eps*1.25": lambda mp: mp.setattr(opinions_mod, "exchange", exchange_with(eps_scale=1.25)),
    "one-sided": lambda mp: mp.setattr(opinions_mod, "exchange", exchange_with(one_sided=True)),
    "phi*0.75": lambda mp: scaled_thresholds(mp, 0.75),
    "phi*1.25": lambda mp: scaled_thresholds(mp, 1.25),
    "self in social proof": self_in_social_proof,
    "node-then-neighbour": node_then_neighbour,
}


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_literature_checks_reject_the_mutation(name: str, monkeypatch) -> None:
    MUTATIONS[name](monkeypatch)
    for fn in CHECKS.values():
        if fn():
            return  # rejected
    pytest.fail(f"mutation {name!r} passed every literature check ({', '.join(CHECKS)})")


@pytest.mark.parametrize(
    "check", ["dw_mean_is_conserved", "dw_variance_decay", "dw_encounters_within_eps"]
)
def test_the_hand_written_exchange_passes_when_correct(check: str, monkeypatch) -> None:
    monkeypatch.setattr(opinions_mod, "exchange", exchange_with())
    assert CHECKS[check]() == []

"""Residential turnover: residents move out, new residents move in.

Each week a resident of group g moves out with probability ``population.groups.g.turnover``
(renters and newcomers most often; contrarian sources never move: they stand for a lasting
counter-current, not for households). A new resident of the *same* group moves into the flat,
so group shares stay as configured, and is drawn as the residents of week 0 were:

* opinion uniform on the group's initial interval, trust from the group's mean (± 0.1 normal),
  a fresh participation threshold;
* a Party member with probability ``population.party_share`` (active with
  ``party_active_share``; a Party member starts near the agenda and belongs to the leading
  organization), else affiliated with an organization with the group's ``membership``
  probability;
* not taking part, never having taken part, no service memory, no platform, no open needs.
  The leaver's open needs and disputes leave with it (counted in ``needs.total_moved_out``).

Ties: the new resident keeps the *number* of ties of the flat (degrees are unchanged) but not
the partners: each tie is moved by a degree-preserving double-edge swap to a partner drawn from
the new resident's group with probability ``turnover.tie_homophily`` (block model: the
network's homophily), else uniformly (:meth:`sim.network.Graph.rewire`). The old neighbour
``j`` of the tie is compensated by the swapped partner's old tie, so nobody loses a tie.

This is the source's "group differentiation" (§1: newcomers and renters who do not share the
community's ideological ground) as a process: a flow of fresh opinions that keeps the
community from ever settling for good. Rates are assumptions (see docs/parameters.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..agents import PartyMemberView, ResidentView

if TYPE_CHECKING:
    from ..model import GovernanceModel


def tie_homophily(model: GovernanceModel) -> float:
    """The probability that a new resident's tie goes to its own group."""
    h = model.params.turnover.tie_homophily
    if h >= 0:
        return h
    return model.params.network.homophily if model.params.network.kind == "sbm" else 0.0


def group_traits(model: GovernanceModel, name: str) -> np.ndarray:
    """One trait of every group, in group order."""
    return np.array(
        [getattr(g, name) for g in model.params.population.groups.values()], dtype=float
    )


class Turnover:
    """Residents move out; new residents of the same group move in."""

    name = "turnover"

    @staticmethod
    def enabled(model: GovernanceModel) -> bool:
        """Switched by ``turnover.enabled``."""
        return model.params.turnover.enabled

    def step(self, model: GovernanceModel) -> None:
        """This week's moves."""
        res = model.residents
        rng = model.rngs["turnover"]
        rate = group_traits(model, "turnover")[res.group]
        movers = np.flatnonzero((rng.random(res.n) < rate) & ~res.contrarian)
        model.events["moved"] = int(movers.size)
        if movers.size == 0:
            return
        self.move_in(model, movers, rng)
        model.graph.rewire(movers, res.group, tie_homophily(model), rng)

    @staticmethod
    def move_in(model: GovernanceModel, movers: np.ndarray, rng: np.random.Generator) -> None:
        """Replace the residents ``movers`` by new residents of the same groups."""
        p = model.params
        pop = p.population
        res = model.residents
        k = movers.size
        g = res.group[movers]

        def trait(name: str) -> np.ndarray:
            return group_traits(model, name)[g]

        # The leavers take their open needs and disputes with them.
        gone = np.zeros(res.n, dtype=bool)
        gone[movers] = True
        book = model.needs
        if book.size:
            leaving = gone[book.resident]
            book.total_moved_out += int(leaving.sum())
            book.remove(leaving)
        cb = model.conflicts
        if cb.size:
            ended = gone[cb.a] | (cb.b >= 0) & gone[np.maximum(cb.b, 0)]
            cb.total_moved_out += int(ended.sum())
            cb.remove(ended)
        if cb.feud_a.size:  # a feud ends when one of the pair moves away
            keep = ~(gone[cb.feud_a] | gone[cb.feud_b])
            cb.feud_a, cb.feud_b, cb.feud_until = (
                cb.feud_a[keep],
                cb.feud_b[keep],
                cb.feud_until[keep],
            )
        old_org = res.org[movers]
        mean, spread = trait("opinion_mean"), trait("opinion_spread")
        lo = np.clip(mean - spread / 2, 0.0, 1.0)
        hi = np.clip(mean + spread / 2, 0.0, 1.0)
        opinion = lo + (hi - lo) * rng.random(k)
        trust = np.clip(trait("trust_mean") + 0.1 * rng.standard_normal(k), 0.0, 1.0)
        threshold = trait("threshold_mean") + trait("threshold_sd") * rng.standard_normal(k)
        party = rng.random(k) < pop.party_share
        active = party & (rng.random(k) < pop.party_active_share)
        agenda = p.opinions.agenda
        toward_middle = np.sign(agenda - 0.5)
        near = np.clip(agenda - 0.1 * rng.random(k) * toward_middle, 0.0, 1.0)
        opinion = np.where(party, near, opinion)
        joins = rng.random(k) < trait("membership")
        draw = rng.random(k)
        others = np.array(
            [
                o.index
                for o in model.orgs
                if o.kind not in ("party_committee", "residents_committee")
            ],
            dtype=np.int32,
        )
        org = np.full(k, -1, dtype=np.int32)
        if others.size:
            org = np.where(joins, others[(draw * others.size).astype(np.int64)], -1)
        org = np.where(party, 0, org).astype(np.int32)
        res.opinion[movers] = opinion
        res.tolerance[movers] = trait("tolerance")  # fresh (it moves under relative agreement)
        res.trust[movers] = trust
        res.threshold[movers] = threshold
        res.is_party[movers] = party
        res.party_active[movers] = active
        res.org[movers] = org
        res.digital[movers] = False
        res.participating[movers] = False
        res.ever_participated[movers] = False
        res.weeks_participated[movers] = 0
        res.served[movers] = 0.0
        res.open_needs[movers] = 0
        n_orgs = len(model.orgs)
        delta = np.bincount(org[org >= 0], minlength=n_orgs) - np.bincount(
            old_org[old_org >= 0], minlength=n_orgs
        )
        for o, d in zip(model.orgs, delta, strict=True):
            o.members += int(d)
        model.n_exemplars = int(res.exemplar().sum())
        if getattr(model, "views_created", False) and hasattr(model, "_views"):
            for i in movers.tolist():  # a new household is a new agent
                model._views[i].remove()
                model._views[i] = (PartyMemberView if res.is_party[i] else ResidentView)(model, i)

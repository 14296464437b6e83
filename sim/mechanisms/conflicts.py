"""Mechanism 6: conflicts — disputes, mediation, escalation.

Disputes arise at ``rate`` per resident per week: a share ``with_management`` sets a resident
against property management, the rest two neighbours (a random network tie). Each week an open
dispute is mediated with probability ``base_mediation`` + organizational effort ×
``levers.organizational.mediation`` ("coordinate and resolve contradictions and conflicts",
source §3); mediation raises both parties' trust. A dispute still open after ``escalate_after``
weeks escalates: both parties lose trust and two quarrelling neighbours' opinions are pushed
``repulsion`` apart (negative influence; an assumption in the spirit of Flache et al. 2017).

Link to needs: with probability ``request_share`` the first party of a new dispute asks for
mediation — a need of category 'disputes' (:func:`request_mediation`) that organizations serve
with their capacity and resources like any need; when one is resolved, the resident's oldest
open dispute is mediated (:func:`mediated_by_service`). So mediation uses capacity.
Feuds (``feud_weeks`` > 0; off by default): an escalated quarrel between two neighbours stays a
negative relation for ``feud_weeks`` weeks. Every later week of the feud the pair is pushed
``repulsion`` apart again, unless mediation reconciles it that week (probability as for a
dispute). A one-off push is undone by everyday bounded-confidence exchange within weeks; a
feud keeps the two apart (tests/engine/test_rules.py measures both).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .needs import DISPUTES, add_needs
from .trust import count_power

if TYPE_CHECKING:
    from ..model import GovernanceModel


def push_apart(
    model: GovernanceModel, a: np.ndarray, b: np.ndarray, amount: float, rng: np.random.Generator
) -> None:
    """Push residents ``a[j]`` and ``b[j]`` apart by ``amount`` (half each; ties: a coin).

    Contrarian sources never move; opinions are clipped to [0, 1].
    """
    o = model.residents.opinion
    away = np.sign(o[a] - o[b])
    away[away == 0] = np.where(rng.random(int((away == 0).sum())) < 0.5, -1.0, 1.0)
    movable = ~model.residents.contrarian  # contrarian sources never move
    np.add.at(o, a, amount * away / 2 * movable[a])
    np.add.at(o, b, -amount * away / 2 * movable[b])
    np.clip(o, 0.0, 1.0, out=o)


def feud_week(model: GovernanceModel, rng: np.random.Generator) -> None:
    """One week of the open feuds: mediation may reconcile a pair, the others are pushed apart.

    A feud is reconciled with this week's mediation probability (the same as for a dispute);
    the rest are pushed ``repulsion`` apart again; feuds past their last week end. Assumed —
    a lasting negative relation after an escalated quarrel, the negative-influence reading of
    Flache et al. 2017 (JASSS 20(4):2, §"negative influence").
    """
    p = model.params.conflicts
    book = model.conflicts
    prob = p.base_mediation + model.effort.organizational * (
        model.params.levers.organizational.mediation
    )
    reconciled = rng.random(book.feud_a.size) < min(1.0, prob)
    live = ~reconciled & (book.feud_until >= model.steps)
    if p.repulsion > 0 and live.any():
        push_apart(model, book.feud_a[live], book.feud_b[live], p.repulsion, rng)
    keep = live & (book.feud_until > model.steps)
    book.feud_a, book.feud_b = book.feud_a[keep], book.feud_b[keep]
    book.feud_until = book.feud_until[keep]
    model.events["feuds"] = int(keep.sum())


class Conflicts:
    """Disputes between residents, and with property management."""

    name = "conflicts"

    @staticmethod
    def enabled(model: GovernanceModel) -> bool:
        """Switched by ``conflicts.enabled``."""
        return model.params.conflicts.enabled

    def step(self, model: GovernanceModel) -> None:
        """New disputes, mediation, escalation."""
        p = model.params.conflicts
        res = model.residents
        rng = model.rngs["conflicts"]
        book = model.conflicts
        week = model.steps
        k = int(rng.poisson(p.rate * res.n))
        if k:
            with_pm = rng.random(k) < p.with_management
            a, b = model.graph.sample_edges(k, rng)
            if a.size < k:  # no ties at all: every dispute is with management
                a = rng.integers(0, res.n, size=k)
                b = np.full(k, -1, dtype=np.int64)
            b = np.where(with_pm, -1, b)
            book.append(a, b, week)
            request_mediation(model, a, rng)
        if p.feud_weeks > 0 and book.feud_a.size:
            feud_week(model, rng)
        if book.size == 0:
            model.events["conflicts_mediated"] = model.events["conflicts_escalated"] = 0
            return
        prob = p.base_mediation + model.effort.organizational * (
            model.params.levers.organizational.mediation
        )
        mediated = rng.random(book.size) < min(1.0, prob)
        mediated |= mediated_by_service(model)
        escalated = ~mediated & (week - book.started >= p.escalate_after)
        t = res.trust
        for mask, sign in ((mediated, +1), (escalated, -1)):
            parties = np.concatenate([book.a[mask], book.b[mask][book.b[mask] >= 0]])
            cnt = np.bincount(parties, minlength=res.n)
            if sign > 0:
                t[:] = 1.0 - (1.0 - t) * count_power(1.0 - p.trust_gain, cnt)
            else:
                t *= count_power(1.0 - p.trust_loss, cnt)
        pair = escalated & (book.b >= 0)
        if p.repulsion > 0 and pair.any():
            push_apart(model, book.a[pair], book.b[pair], p.repulsion, rng)
        if p.feud_weeks > 0 and pair.any():
            book.feud_a = np.concatenate([book.feud_a, book.a[pair]])
            book.feud_b = np.concatenate([book.feud_b, book.b[pair]])
            until = np.full(int(pair.sum()), week + p.feud_weeks, dtype=np.int64)
            book.feud_until = np.concatenate([book.feud_until, until])
        book.total_mediated += int(mediated.sum())
        book.total_escalated += int(escalated.sum())
        model.events["conflicts_mediated"] = int(mediated.sum())
        model.events["conflicts_escalated"] = int(escalated.sum())
        book.remove(mediated | escalated)


def request_mediation(model: GovernanceModel, a: np.ndarray, rng: np.random.Generator) -> None:
    """A share ``request_share`` of new disputes' first parties ask an organization to mediate:
    a need of category 'disputes', served like any need (capacity, resources, routing)."""
    share = model.params.conflicts.request_share
    if share <= 0 or not model.params.needs.enabled:
        return
    who = a[rng.random(a.size) < share]
    if who.size:
        add_needs(model, who, np.full(who.size, DISPUTES, dtype=np.int8), rng)
        model.events["needs_created"] = model.events.get("needs_created", 0) + int(who.size)


def mediated_by_service(model: GovernanceModel) -> np.ndarray:
    """Open disputes mediated because an organization resolved a 'disputes' need this week:
    each such need mediates its resident's oldest open dispute (as either party), so
    mediation uses the organizations' capacity and resources."""
    book = model.conflicts
    out = np.zeros(book.size, dtype=bool)
    who = model.events.get("dispute_requests_resolved")
    if who is None or who.size == 0 or book.size == 0:
        return out
    credit = np.bincount(who, minlength=model.residents.n)
    for j in range(book.size):  # oldest first; few disputes are open at a time
        for r in (int(book.a[j]), int(book.b[j])):
            if r >= 0 and credit[r] > 0:
                credit[r] -= 1
                out[j] = True
                break
    return out

"""Mechanism 3: opinions — bounded-confidence exchange with exemplars and counter-currents.

The core is the Deffuant–Weisbuch model (Deffuant, Neau, Amblard & Weisbuch 2000, *Adv.
Complex Syst.* 3:87): a random pair of neighbours meets; if their opinions differ by less than
the listener's tolerance ε, the listener moves a share μ of the way toward the other. Each week
``interactions · N / 2`` encounters are drawn i.i.d. (edges uniformly, a random direction).

Exactness: DW is asynchronous — encounters happen one after another. Two encounters that share
no resident commute, so the week's sequence is cut into *layers*: an encounter joins the first
layer after every earlier encounter that shares a resident with it. Each layer is a set of
disjoint pairs, applied at once with numpy; the result equals applying the whole sequence one
by one (:func:`disjoint_layers`).

Additions on top of DW (all off in the ``deffuant`` preset, which makes the model *be* DW):

* **Exemplars** — "Party members act as vanguard exemplars" (source §1). A listener meeting an
  active Party member uses μ' = μ + (1 − μ)·S·trust, S = ``exemplar_strength`` + ideological
  effort × ``exemplar_boost``; active members are pulled toward the agenda by
  ``party_anchor`` × their commitment each week, a commitment that decays unless ideological
  leadership renews it (:meth:`Opinions.commitment`: bounded anchoring).
* **Value-guidance activities** — ideological lever: ``frequency``·effort activities a week,
  each reaching ``reach``·effort of residents (participants twice as likely); each attendance
  pulls the attendee ``pull``·trust of the way to the agenda — nothing under zero trust, and
  away from it below ``backfire_below`` (reactance; an assumption, off by default).
* **Counter-currents** ("resist bad trends", §1) — ``counter_share`` stubborn contrarians held at
  1 − agenda who still persuade others; ``noise`` redraws opinions uniformly at random at a
  weekly rate (the noisy bounded-confidence model of Pineda, Toral & Hernández-García 2009,
  *J. Stat. Mech.* P08001).
* **The platform** — a share ``online_share`` of an adopter's encounters are with a random
  adopter, from the adopter's own group with probability ``echo_chamber``.

Rival rules (``opinions.rule``: repulsive, biased assimilation, relative agreement,
Hegselmann–Krause) are in :mod:`sim.mechanisms.rules`; ``opinions.pairing="node"`` draws each
encounter as a uniform resident and then a uniform neighbour
(:meth:`sim.network.Graph.sample_node_pairs`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._jit import active as jit_active
from .._jit import njit, prefetch
from .layers import disjoint_layers
from .rules import exchange_rule, hk_round

if TYPE_CHECKING:
    from ..model import GovernanceModel


#: How many encounters ahead the compiled loop prefetches (12–24 measured alike at 10⁶).
_AHEAD = 16


def _exchange_sequential(
    a: np.ndarray,
    b: np.ndarray,
    o: np.ndarray,
    tol: np.ndarray,
    trust: np.ndarray,
    frozen: np.ndarray,
    ex: np.ndarray,
    use_ex: bool,
    mu: float,
    c: float,
) -> int:  # pragma: no cover - compiled by numba (coverage cannot see inside)
    """The encounters one by one, in sequence order (the literal DW rule).

    The same arithmetic as the layered numpy path, operation for operation (``c`` is
    ``(1 − μ)·S``), so both give bit-for-bit the same opinions.

    Written for speed at 10⁶ residents, where every encounter touches two random residents:
    indices are read as unsigned (no negative-index wraparound code), both sides' conditions
    are evaluated without short-circuit (``&``) and the steps chosen by selects, so that the
    compiled loop has no data-dependent branch to mispredict and the memory accesses of
    successive encounters overlap; the opinions and tolerances of the encounter
    ``_AHEAD`` places later are prefetched (a hint to the cache; no effect on results).
    """
    moved = 0
    n = a.size
    for j in range(n):
        if j + _AHEAD < n:
            p = np.uint64(a[j + _AHEAD])
            q = np.uint64(b[j + _AHEAD])
            prefetch(o, p)
            prefetch(o, q)
            prefetch(tol, p)
            prefetch(tol, q)
        i = np.uint64(a[j])
        k = np.uint64(b[j])
        oi = o[i]
        d = o[k] - oi
        ad = abs(d)
        mu_a = mu
        mu_b = mu
        if use_ex:
            mu_a = mu + c * trust[i] if ex[k] else mu
            mu_b = mu + c * trust[k] if ex[i] else mu
        move_a = (ad < tol[i]) & (not frozen[i])
        move_b = (ad < tol[k]) & (not frozen[k])
        step_a = mu_a * d if move_a else 0.0
        step_b = mu_b * d if move_b else 0.0
        o[i] = oi + step_a
        o[k] = o[k] - step_b
        moved += (step_a != 0.0) + (step_b != 0.0)
    return moved


_exchange_jit = njit(_exchange_sequential)


def exchange(model: GovernanceModel, a: np.ndarray, b: np.ndarray, exemplar_s: float) -> int:
    """Apply DW encounters ``(a[j], b[j])`` in sequence order; return how many moved someone.

    With numba the encounters run one by one in a compiled loop; without it, in layers of
    disjoint pairs (:func:`disjoint_layers`). Both give the same result bit for bit.
    """
    if a.size == 0:
        return 0
    if model.params.opinions.rule != "deffuant":
        return exchange_rule(model, a, b, exemplar_s)
    res = model.residents
    o, tol, trust = res.opinion, res.tolerance, res.trust
    mu = model.params.opinions.mu
    frozen = res.contrarian
    ex = res.exemplar() if exemplar_s > 0 else None
    if _exchange_jit is not None and jit_active():
        moved = _exchange_jit(
            np.ascontiguousarray(a, dtype=np.int64),
            np.ascontiguousarray(b, dtype=np.int64),
            o,
            tol,
            trust,
            frozen,
            frozen if ex is None else ex,
            ex is not None,
            float(mu),
            float((1.0 - mu) * exemplar_s),
        )
        np.clip(o, 0.0, 1.0, out=o)
        return int(moved)
    moved = 0
    for layer in disjoint_layers(a, b, res.n):
        la, lb = a[layer], b[layer]
        d = o[lb] - o[la]
        ad = np.abs(d)
        mu_a = np.full(la.size, mu)
        mu_b = np.full(la.size, mu)
        if ex is not None:
            mu_a = np.where(ex[lb], mu + (1.0 - mu) * exemplar_s * trust[la], mu_a)
            mu_b = np.where(ex[la], mu + (1.0 - mu) * exemplar_s * trust[lb], mu_b)
        step_a = np.where((ad < tol[la]) & ~frozen[la], mu_a * d, 0.0)
        step_b = np.where((ad < tol[lb]) & ~frozen[lb], mu_b * d, 0.0)
        o[la] += step_a
        o[lb] -= step_b
        moved += int(np.count_nonzero(step_a) + np.count_nonzero(step_b))
    np.clip(o, 0.0, 1.0, out=o)
    return moved


def online_partners(model: GovernanceModel, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Replace some adopters' partners by platform partners (see module docstring)."""
    res = model.residents
    sp = model.params.levers.smart
    if sp.online_share <= 0 or not res.digital.any():
        return b
    rng = model.rngs["opinions"]
    adopters = np.flatnonzero(res.digital)
    online = res.digital[a] & (rng.random(a.size) < sp.online_share)
    idx = np.flatnonzero(online)
    b = b.copy()
    b[idx] = adopters[rng.integers(0, adopters.size, size=idx.size)]
    if sp.echo_chamber > 0 and idx.size:
        same = idx[rng.random(idx.size) < sp.echo_chamber]
        grp = res.group[adopters]
        order = np.argsort(grp, kind="stable")
        counts = np.bincount(grp, minlength=len(model.group_names))
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        g = res.group[a[same]]
        pick = starts[g] + (rng.random(same.size) * counts[g]).astype(np.int64)
        b[same] = adopters[order[pick]]
    return b


class Opinions:
    """Value-guidance activities, pairwise exchange, counter-currents, anchoring."""

    name = "opinions"

    @staticmethod
    def enabled(model: GovernanceModel) -> bool:
        """Switched by ``opinions.enabled``."""
        return model.params.opinions.enabled

    @staticmethod
    def exemplar_strength(model: GovernanceModel) -> float:
        """This week's exemplar strength S (0 when there are no active Party members)."""
        p = model.params
        s = p.opinions.exemplar_strength
        s += model.effort.ideological * p.levers.ideological.exemplar_boost
        return min(1.0, s) if model.n_exemplars else 0.0

    def step(self, model: GovernanceModel) -> None:
        """One week of opinion dynamics."""
        p = model.params.opinions
        res = model.residents
        rng = model.rngs["opinions"]
        self.activities(model)
        if p.rule == "hegselmann_krause":
            f = p.interactions
            rounds = int(f) + int(rng.random() < f - int(f))
            s = self.exemplar_strength(model)
            model.events["encounters_effective"] = sum(hk_round(model, s) for _ in range(rounds))
        else:
            k = int(round(p.interactions * res.n / 2))
            a, b = model.graph.sample_pairs(k, rng, p.pairing)
            b = online_partners(model, a, b)
            keep = a != b
            model.events["encounters_effective"] = exchange(
                model, a[keep], b[keep], self.exemplar_strength(model)
            )
        free = ~res.contrarian
        if p.noise > 0:
            redraw = free & (rng.random(res.n) < p.noise)
            res.opinion[redraw] = rng.random(int(redraw.sum()))
        pull = p.party_anchor * self.commitment(model)
        if pull > 0 and model.n_exemplars:
            ex = res.exemplar() & free
            res.opinion[ex] += pull * (p.agenda - res.opinion[ex])

    @staticmethod
    def commitment(model: GovernanceModel) -> float:
        """This week's commitment c of active Party members (bounded anchoring).

        c starts at 1 and relaxes each week toward the ideological effort I:
        c ← c + ``anchor_decay``·(I − c). The weekly pull toward the agenda is
        ``party_anchor``·c. Without ideological leadership c decays geometrically, so the total
        pull a member ever gets is bounded (``party_anchor``/``anchor_decay``) and active
        members are not the zealots of Mobilia (2003, *PRL* 91:028701) whose unbounded pull
        captures every resident reachable through chains of ε; under full ideological
        leadership ("organize Party members to study", source §1) c → 1. Assumption: one
        commitment for all active members.
        """
        d = model.params.opinions.anchor_decay
        model.party_commitment += d * (model.effort.ideological - model.party_commitment)
        return model.party_commitment

    def activities(self, model: GovernanceModel) -> None:
        """Ideological lever: value-guidance activities pull attendees toward the agenda."""
        ideo = model.effort.ideological
        if ideo <= 0:
            return
        lp = model.params.levers.ideological
        res = model.residents
        rng = model.rngs["opinions"]
        agenda = model.params.opinions.agenda
        n_f = lp.frequency * ideo
        n_act = int(n_f) + int(rng.random() < n_f - int(n_f))
        if n_act == 0:
            return
        q = np.minimum(1.0, lp.reach * ideo * (1.0 + res.participating))
        k = rng.binomial(n_act, q)
        k[res.contrarian] = 0
        att = k > 0
        model.events["attendances"] = int(k.sum())
        o, t = res.opinion[att], res.trust[att]
        kk = k[att]
        toward = 1.0 - (1.0 - lp.pull * t) ** kk
        delta = toward * (agenda - o)
        if lp.backfire_below > 0:
            back = t < lp.backfire_below
            away = 1.0 - (1.0 - lp.pull * (1.0 - t)) ** kk
            delta = np.where(back, -away * (agenda - o), delta)
        res.opinion[att] = np.clip(o + delta, 0.0, 1.0)

"""The reference engine: the rules of govsim written the idiomatic Mesa way.

Select it with ``engine.kind="reference"`` (``make_model(**{"engine.kind": "reference"})``
or ``run_one(..., **{"engine.kind": "reference"})``); everything else — the parameter schema,
the network generators, the organizations and their service code, the strategies, the metrics
registry, :func:`sim.run.run_one` — is shared with the array engine.

Here every resident is a plain :class:`mesa.Agent` holding its own state in ordinary Python
attributes (``self.opinion``, ``self.trust``, ``self.participating`` ...) and a list of its
neighbours (other agents). A week is a sequence of *stages*; in each stage the residents are
activated in random order (``AgentSet.shuffle_do``, Mesa 3's replacement for the old
``StagedActivation`` scheduler) and each one reads its neighbours one by one. This file is
meant to be read as the specification of the rules: an educator can show it to a class.
:mod:`sim.mechanisms` computes the same rules for all residents at once with numpy; it is
much faster (see ``benchmarks/``) and gives the same *distribution* of outcomes, though not the
same numbers for a seed, since the two engines draw their random numbers differently
(``tests/docking`` checks the distributions; ``docs/performance.md`` explains).

Where the two engines differ *by design* (all undetectable at the level the docking tests
check; see ``docs/performance.md``):

* *Platform adoption* and the *social drift of trust* update residents in place, in random
  order (a resident may see a neighbour who moved earlier the same week); the array engine
  updates everyone at once from last week's state.
* *Participation* is staged in both engines: every resident decides from last week's state
  (:meth:`ResidentAgent.step`), then all commit (:meth:`ResidentAgent.advance`) — the rule says
  "the share of neighbours who took part last week".
* *Opinion exchange* is the literal Deffuant–Weisbuch loop — encounters one after another;
  the array engine's compiled loop or its layers of disjoint pairs give the same sequence
  semantics exactly.
* Within a week, new needs join the queue in activation order (array engine: resident order).
* The rival opinion rules (``opinions.rule``) are methods of :class:`ResidentAgent`
  (:meth:`ResidentAgent.meet_repulsive`, :meth:`ResidentAgent.meet_biased`,
  :meth:`ResidentAgent.meet_relative_agreement`; Hegselmann–Krause: :meth:`ResidentAgent.hk_target`
  for everyone from the old opinions, then all commit), with the same arithmetic as
  :mod:`sim.mechanisms.rules` (HK window sums in another order, so equal up to rounding).
  Feuds are a list of ``[resident, resident, last week]`` (:meth:`ReferenceModel.feuds_week`).

State and metrics: the agents' attributes are the source of truth. After every week (and at
set-up) :meth:`ReferenceModel.sync_arrays` copies them into ``model.residents`` — the arrays
the metrics registry, the strategies and the tables read — so every metric, table and chart
works unchanged. Writing ``model.residents`` directly has no effect on a reference run (it is
overwritten at the next sync); change an agent instead (``model.resident(i).opinion = 0.9``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._mesa import mesa
from .agents import Organization
from .mechanisms import Opinions
from .mechanisms.deliberation import project_capacity
from .mechanisms.turnover import group_traits, tie_homophily
from .model import GovernanceModel
from .network import from_pairs
from .params import CATEGORIES

__all__ = ["MUTABLE_FIELDS", "PartyMemberAgent", "ReferenceModel", "ResidentAgent"]

#: Resident attributes that change during a run (copied into the arrays after every week).
MUTABLE_FIELDS: tuple[str, ...] = (
    "opinion",
    "trust",
    "threshold",
    "org",
    "is_party",
    "party_active",
    "digital",
    "participating",
    "ever_participated",
    "weeks_participated",
    "served",
    "open_needs",
    "tolerance",  # moves under the relative-agreement rule (uncertainty)
)

#: Resident attributes fixed at set-up (group traits: a new resident is of the leaver's group).
STATIC_FIELDS: tuple[str, ...] = (
    "group",
    "cost",
    "literacy",
    "need_rate",
    "contrarian",
)


def poisson(random: Any, lam: float) -> int:
    """A Poisson(λ) number by Knuth's multiplication method (fine for the small weekly rates)."""
    if lam <= 0.0:
        return 0
    limit, k, prod = math.exp(-lam), 0, random.random()
    while prod > limit:
        k += 1
        prod *= random.random()
    return k


class ResidentAgent(mesa.Agent):
    """A resident: its own state, its neighbours, and one method per stage of the week.

    The reference engine's resident *owns* its state (named apart from the array engine's
    :class:`sim.agents.ResidentView`, which only points into ``model.residents``).

    Attributes:
        index: Position of the resident (the same in ``model.residents``).
        neighbors: The residents it is tied to in the social network.
        group, opinion, tolerance, trust, threshold, cost, literacy, need_rate, org,
            is_party, party_active, contrarian, digital, participating, ever_participated,
            weeks_participated, served, open_needs: As in :class:`sim.state.Residents`.
    """

    model: ReferenceModel

    def __init__(self, model: ReferenceModel, index: int, **state: Any) -> None:
        super().__init__(model)
        self.index = index
        for name, value in state.items():
            setattr(self, name, value)
        self._neighbors: list[ResidentAgent] = []
        # This week's scratch values.
        self.resolved_now = 0
        self.expired_now = 0
        self.resolved_lead_now = 0  # of which by the leading organization
        self.expired_lead_now = 0
        self.mediation_credit = 0  # 'disputes' needs of mine resolved this week
        self.next_participating = self.participating
        self.moving = False

    @property
    def neighbors(self) -> list[ResidentAgent]:
        """The residents tied to this one (everyone else on the complete graph)."""
        if self.model.graph.complete:
            return [r for r in self.model.resident_list if r is not self]
        return self._neighbors

    @property
    def group_name(self) -> str:
        """Name of this resident's group."""
        return self.model.group_names[self.group]

    @property
    def exemplar(self) -> bool:
        """An active Party member (persuades more, anchored to the agenda)."""
        return self.is_party and self.party_active

    def share_of_neighbors(self, attribute: str) -> float | None:
        """Share (mean) of ``attribute`` over the neighbours, read one by one (None if none)."""
        neighbors = self.neighbors
        if not neighbors:
            return None
        total = 0.0
        for other in neighbors:
            total += getattr(other, attribute)
        return total / len(neighbors)

    # -- stage: turnover -------------------------------------------------------------------------

    def consider_moving(self) -> None:
        """Move out with my group's weekly turnover probability (contrarian sources stay)."""
        rate = self.model.turnover_rates[self.group]
        self.moving = not self.contrarian and self.random.random() < rate

    # -- stage: platform adoption (smart lever) ---------------------------------------------

    def adopt_platform(self) -> None:
        """Adopt the platform with probability smart·rate·literacy·(1 + peer·adopting share)."""
        if self.digital:
            return  # adoption is permanent
        m = self.model
        sp = m.params.levers.smart
        share = self.share_of_neighbors("digital") or 0.0
        prob = min(
            1.0, m.effort.smart * sp.adoption_rate * self.literacy * (1 + sp.peer_effect * share)
        )
        if self.random.random() < prob:
            self.digital = True

    # -- stage: needs --------------------------------------------------------------------------

    def raise_needs(self) -> None:
        """Raise this week's needs and hand each to an entry organization."""
        m = self.model
        p = m.params.needs
        for _ in range(poisson(self.random, self.need_rate)):
            category = self.random.choices(range(len(CATEGORIES)), weights=p.category_mix)[0]
            self.raise_need(category)

    def raise_need(self, category: int) -> None:
        """Raise one need of ``category`` and hand it to an entry organization."""
        m = self.model
        # Entry organization: its own organization, else a residents' committee ...
        if self.org >= 0:
            holder = self.org
        else:
            holder = int(self.random.choice(m.org_of_kind["residents_committee"]))
        # ... unless the resident knows an organization that handles this category.
        knows = self.random.random() < m.params.needs.know_right_org
        capable = m.capable[category]
        if knows and capable.size:
            holder = int(self.random.choice(capable))
        # Platform adopters report at once; the others report later (see needs_week).
        m.new_needs.append((self.index, category, self.digital, holder))
        self.open_needs += 1

    def experience_service(self) -> None:
        """Remember this week's service: served ← m·served + (1 − m)·clip(resolved − aged out)."""
        memory = self.model.params.trust.memory
        outcome = max(-1, min(1, self.resolved_now - self.expired_now))
        self.served = memory * self.served + (1.0 - memory) * outcome

    # -- stage: trust --------------------------------------------------------------------------

    def trust_from_service(self) -> None:
        """Each resolved need closes a share of the gap to full trust; each aged-out one costs."""
        p = self.model.params.trust
        a = p.attribution_others  # another organization's service counts a times as much
        g, lo = p.gain_resolved, p.loss_unresolved
        others_res = self.resolved_now - self.resolved_lead_now
        others_exp = self.expired_now - self.expired_lead_now
        self.trust = (
            1.0
            - (1.0 - self.trust) * (1.0 - g) ** self.resolved_lead_now * (1.0 - a * g) ** others_res
        )
        self.trust *= (1.0 - lo) ** self.expired_lead_now * (1.0 - a * lo) ** others_exp

    def trust_drift(self) -> None:
        """Move a share ``social_weight`` of the way toward the neighbours' mean trust."""
        mean = self.share_of_neighbors("trust")
        if mean is not None:
            self.trust += self.model.params.trust.social_weight * (mean - self.trust)
        self.trust = min(1.0, max(0.0, self.trust))

    # -- conflicts ------------------------------------------------------------------------------

    def dispute_mediated(self) -> None:
        """A dispute of mine was mediated: trust closes a share of its gap."""
        self.trust = 1.0 - (1.0 - self.trust) * (1.0 - self.model.params.conflicts.trust_gain)

    def dispute_escalated(self, other: ResidentAgent | None) -> None:
        """A dispute of mine escalated: trust falls; a quarrel with a neighbour pushes us apart."""
        self.trust *= 1.0 - self.model.params.conflicts.trust_loss
        if other is not None:
            self.pushed_apart(other)

    def pushed_apart(self, other: ResidentAgent) -> None:
        """A quarrel (or a feud's week) pushes us ``repulsion`` apart, half each."""
        p = self.model.params.conflicts
        if p.repulsion > 0:
            gap = self.opinion - other.opinion
            away = (1.0 if gap > 0 else -1.0) if gap != 0 else self.random.choice((-1.0, 1.0))
            if not self.contrarian:  # contrarian sources never move
                self.opinion = min(1.0, max(0.0, self.opinion + p.repulsion * away / 2))
            if not other.contrarian:
                other.opinion = min(1.0, max(0.0, other.opinion - p.repulsion * away / 2))

    # -- stage: opinions -----------------------------------------------------------------------

    def attend_activities(self, n_activities: int) -> None:
        """Attend each of this week's activities with probability q; each pulls to the agenda."""
        if self.contrarian:
            return
        m = self.model
        lp = m.params.levers.ideological
        ideo = m.effort.ideological
        q = min(1.0, lp.reach * ideo * (1.0 + self.participating))
        attended = sum(self.random.random() < q for _ in range(n_activities))
        if not attended:
            return
        agenda = m.params.opinions.agenda
        if self.trust < lp.backfire_below:  # reactance (off by default)
            away = 1.0 - (1.0 - lp.pull * (1.0 - self.trust)) ** attended
            delta = -away * (agenda - self.opinion)
        else:
            toward = 1.0 - (1.0 - lp.pull * self.trust) ** attended
            delta = toward * (agenda - self.opinion)
        self.opinion = min(1.0, max(0.0, self.opinion + delta))

    def meet(self, other: ResidentAgent, exemplar_strength: float) -> bool:
        """A Deffuant–Weisbuch encounter: each side within its tolerance moves toward the other.

        Under ``opinions.rule`` "repulsive" or "relative_agreement" the encounter follows that
        rule instead (:meth:`meet_repulsive`, :meth:`meet_relative_agreement`).
        Returns whether anyone moved.
        """
        rule = self.model.params.opinions.rule
        if rule == "repulsive":
            return self.meet_repulsive(other, exemplar_strength)
        if rule == "relative_agreement":
            return self.meet_relative_agreement(other, exemplar_strength)
        if rule == "biased_assimilation":
            return self.meet_biased(other, exemplar_strength)
        mu = self.model.params.opinions.mu
        d = other.opinion - self.opinion
        mu_self = mu_other = mu
        if exemplar_strength > 0:  # Party exemplars persuade more, in proportion to trust
            if other.exemplar:
                mu_self = mu + (1.0 - mu) * exemplar_strength * self.trust
            if self.exemplar:
                mu_other = mu + (1.0 - mu) * exemplar_strength * other.trust
        step_self = mu_self * d if abs(d) < self.tolerance and not self.contrarian else 0.0
        step_other = mu_other * d if abs(d) < other.tolerance and not other.contrarian else 0.0
        self.opinion += step_self
        other.opinion -= step_other
        return step_self != 0.0 or step_other != 0.0

    def boosted_mu(self, other: ResidentAgent, exemplar_strength: float) -> float:
        """μ for my listening to ``other``: more when ``other`` is an exemplar (× my trust)."""
        mu = self.model.params.opinions.mu
        if exemplar_strength > 0 and other.exemplar:
            return mu + (1.0 - mu) * exemplar_strength * self.trust
        return mu

    def meet_repulsive(self, other: ResidentAgent, exemplar_strength: float) -> bool:
        """Jager–Amblard: closer than my ε attracts, farther than ``rejection`` repels."""
        p = self.model.params.opinions
        d = other.opinion - self.opinion
        steps = []
        for me, them, sign in ((self, other, 1.0), (other, self, -1.0)):
            step = 0.0
            if not me.contrarian:
                if abs(d) < me.tolerance:
                    step = me.boosted_mu(them, exemplar_strength) * d
                elif abs(d) > p.rejection:
                    step = -(p.mu * d)
            steps.append(step)
            me.opinion = min(1.0, max(0.0, me.opinion + sign * step))
        return steps[0] != 0.0 or steps[1] != 0.0

    def meet_biased(self, other: ResidentAgent, exemplar_strength: float) -> bool:
        """Biased assimilation (Dandekar et al. 2013) within my ε: evidence for my side counts
        x^b, against it (1 − x)^b; b = 0 is the DW step."""
        b = self.model.params.opinions.bias
        x1, x2 = self.opinion, other.opinion
        moved = False
        for me, them, x, y in ((self, other, x1, x2), (other, self, x2, x1)):
            if me.contrarian or not abs(y - x) < me.tolerance:
                continue
            mu = me.boosted_mu(them, exemplar_strength)
            up = mu * x**b * y
            down = mu * (1.0 - x) ** b * (1.0 - y)
            me.opinion = ((1.0 - mu) * x + up) / ((1.0 - mu) + up + down)
            moved = moved or me.opinion != x
        return moved

    def meet_relative_agreement(self, other: ResidentAgent, exemplar_strength: float) -> bool:
        """Deffuant et al. 2002: the overlap of our segments [x ± u] moves opinion and u."""
        x1, u1, x2, u2 = self.opinion, self.tolerance, other.opinion, other.tolerance
        overlap = min(x1 + u1, x2 + u2) - max(x1 - u1, x2 - u2)
        moved = False
        for me, them, xs, us, xt, ut in (
            (self, other, x1, u1, x2, u2),
            (other, self, x2, u2, x1, u1),
        ):
            if me.contrarian or ut <= 0.0 or overlap <= ut:
                continue
            w = me.boosted_mu(them, exemplar_strength) * (overlap / ut - 1.0)
            me.opinion = min(1.0, max(0.0, xs + w * (xt - xs)))
            me.tolerance = us + w * (ut - us)
            moved = moved or w != 0.0
        return moved

    def hk_mean(self, pool: list[ResidentAgent]) -> tuple[float, float | None]:
        """Hegselmann–Krause: the mean of me and everyone in ``pool`` within my ε (≤ ε), and
        the mean of the active Party members among them (None if there are none)."""
        total, count, ex_total, ex_count = self.opinion, 1, 0.0, 0
        for other in pool:
            if abs(other.opinion - self.opinion) <= self.tolerance:
                total += other.opinion
                count += 1
                if other.exemplar:
                    ex_total += other.opinion
                    ex_count += 1
        return total / count, (ex_total / ex_count if ex_count else None)

    def hk_target(
        self, pool: list[ResidentAgent], exemplar_strength: float, platform: bool
    ) -> float:
        """My new HK opinion: the mean within ε over ``pool`` (mixed with the platform's for an
        adopter when ``platform``), then a share S·trust toward the exemplars within ε."""
        mean, ex_mean = self.hk_mean(pool)
        if platform:
            mean = self.hk_platform(mean)
        if exemplar_strength > 0 and ex_mean is not None:
            mean += exemplar_strength * self.trust * (ex_mean - mean)
        return mean

    def hk_platform(self, offline: float) -> float:
        """An adopter's HK mean mixes in the platform (echo chamber: own group's adopters)."""
        m = self.model
        sp = m.params.levers.smart
        if not (self.digital and sp.online_share > 0):
            return offline
        online = self.hk_mean([r for r in m.adopters if r is not self])[0]
        if sp.echo_chamber > 0:
            own = [r for r in m.adopters_by_group[self.group] if r is not self]
            online = (1 - sp.echo_chamber) * online + sp.echo_chamber * self.hk_mean(own)[0]
        return (1 - sp.online_share) * offline + sp.online_share * online

    def online_partner(self, partner: ResidentAgent) -> ResidentAgent:
        """An adopter meets a share of its partners on the platform instead (echo chambers)."""
        m = self.model
        sp = m.params.levers.smart
        if not (self.digital and m.adopters and self.random.random() < sp.online_share):
            return partner
        if sp.echo_chamber > 0 and self.random.random() < sp.echo_chamber:
            return self.random.choice(m.adopters_by_group[self.group])
        return self.random.choice(m.adopters)

    def counter_currents(self) -> None:
        """Noise redraws an opinion; active Party members are pulled toward the agenda."""
        if self.contrarian:
            return
        p = self.model.params.opinions
        if p.noise > 0 and self.random.random() < p.noise:
            self.opinion = self.random.random()
        pull = p.party_anchor * self.model.party_commitment
        if self.exemplar and pull > 0:
            self.opinion += pull * (p.agenda - self.opinion)

    # -- stage: participation (decide from last week, then commit) --------------------------------

    def step(self) -> None:
        """Decide whether to take part this week (reads last week's state; see advance)."""
        m = self.model
        p = m.params.participation
        lv = m.params.levers
        social = self.share_of_neighbors("participating")
        if social is None:
            social = float(self.participating)
        if self.digital:  # the platform shows community-wide participation
            vis = lv.smart.visibility
            social = (1 - vis) * social + vis * m.last_participation_rate
        cost = self.cost * (1.0 - lv.political.cost_reduction * m.effort.political)
        if self.digital:
            cost *= 1.0 - lv.smart.cost_reduction
        agreement = 1.0 - abs(self.opinion - m.params.opinions.agenda)
        score = (
            p.w_social * social
            + p.w_trust * self.trust
            + p.w_agreement * agreement
            + p.w_served * self.served
            - p.w_cost * cost
        )
        if self.exemplar:  # active Party members are asked to take part
            score += p.party_bonus
        if p.temperature > 0:  # logit choice
            z = min(700.0, max(-700.0, (score - self.threshold) / p.temperature))
            takes_part = self.random.random() < 1.0 / (1.0 + math.exp(-z))
        else:
            takes_part = score >= self.threshold
        self.next_participating = takes_part or (p.sticky and self.participating)

    def advance(self) -> None:
        """Commit this week's decision."""
        self.participating = self.next_participating
        self.ever_participated = self.ever_participated or self.participating
        self.weeks_participated += int(self.participating)

    # -- consultation ----------------------------------------------------------------------------

    def vote(self) -> bool:
        """Support the agenda's proposal when on the agenda's side of the midpoint."""
        if self.model.params.opinions.agenda >= 0.5:
            return self.opinion >= 0.5
        return self.opinion <= 0.5

    def legitimacy(self, agreement: float) -> None:
        """Participants' trust moves with the breadth of agreement."""
        d = self.model.params.deliberation.trust_effect * (2.0 * agreement - 1.0)
        t = self.trust
        self.trust = min(1.0, max(0.0, t + d * (1 - t) if d >= 0 else t + d * t))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(index={self.index}, group={self.group_name!r}, "
            f"opinion={self.opinion:.3f}, trust={self.trust:.3f}, "
            f"participating={self.participating})"
        )


class PartyMemberAgent(ResidentAgent):
    """A Party member: a resident with the exemplar role (``is_party``, ``party_active``)."""


class ReferenceModel(GovernanceModel):
    """The governance model computed agent by agent (``engine.kind="reference"``).

    Same constructor, attributes and tables as :class:`sim.model.GovernanceModel` (set-up —
    population, network, organizations — is shared, so a seed gives both engines the same
    initial community); :meth:`step` runs the week resident by resident. ``resident_list[i]``
    is resident ``i``. Build it with :func:`sim.make_model` (or directly: ``ReferenceModel(
    {"engine": {"kind": "reference"}})``).
    """

    engine_kind = "reference"

    def _setup_views(self) -> None:
        """Create one agent per resident from the initial arrays (the agents own the state)."""
        res = self.residents
        self.views_created = True
        self.resident_list: list[ResidentAgent] = []
        for i in range(res.n):
            state = {
                name: getattr(res, name)[i].item() for name in (*STATIC_FIELDS, *MUTABLE_FIELDS)
            }
            cls = PartyMemberAgent if state["is_party"] else ResidentAgent
            self.resident_list.append(cls(self, i, **state))
        g = self.graph
        if not g.complete:
            indptr, indices = g.indptr.tolist(), g.indices.tolist()
            for i, r in enumerate(self.resident_list):
                r._neighbors = [self.resident_list[j] for j in indices[indptr[i] : indptr[i + 1]]]
        self._resident_set = mesa.agent.AgentSet(self.resident_list, random=self.random)
        self.turnover_rates = group_traits(self, "turnover").tolist()
        self.group_indices: dict[int, list[int]] = {}
        for i, r in enumerate(self.resident_list):
            self.group_indices.setdefault(r.group, []).append(i)
        self.new_needs: list[tuple[int, int, bool, int]] = []
        self.adopters: list[ResidentAgent] = []
        self.adopters_by_group: dict[int, list[ResidentAgent]] = {}
        self.feuds: list[list[Any]] = []  # [resident, resident, last week] (conflicts.feud_weeks)
        self.last_participation_rate = float(res.participating.mean())

    def resident(self, index: int) -> ResidentAgent:
        """Resident ``index`` (the agent itself, the source of truth)."""
        return self.resident_list[index]

    @property
    def resident_agents(self) -> mesa.agent.AgentSet:
        """All residents as a Mesa AgentSet (Party members included)."""
        return self._resident_set

    def sync_arrays(self) -> None:
        """Copy the agents' changing attributes into ``model.residents`` (read by the metrics)."""
        res = self.residents
        agents = self.resident_list
        for name in MUTABLE_FIELDS:
            arr = getattr(res, name)
            arr[:] = np.fromiter((getattr(a, name) for a in agents), dtype=arr.dtype, count=res.n)

    # -- the week ---------------------------------------------------------------------------------

    def step(self) -> None:
        """Advance one week, stage by stage (same order as :data:`sim.model.PIPELINE`)."""
        p = self.params
        self.events = {}
        self.effort = self.strategy.efforts(self)
        if p.turnover.enabled:
            self.turnover_week()
        residents = self.resident_agents
        if self.effort.smart > 0:
            residents.shuffle_do("adopt_platform")
        if p.needs.enabled:
            self.needs_week(residents)
        if p.conflicts.enabled:
            self.conflicts_week()
        if p.trust.enabled:
            self.trust_week(residents)
        if p.opinions.enabled:
            self.opinions_week(residents)
        if p.participation.enabled:
            self.participation_week(residents)
        if p.deliberation.enabled and self.steps % p.deliberation.interval == 0:
            self.consultation()
        for r in self.resident_list:
            r.resolved_now = r.expired_now = r.resolved_lead_now = r.expired_lead_now = 0
            r.mediation_credit = 0
        self.sync_arrays()
        self.datacollector.collect(self)
        every = p.engine.collect_agents_every
        if every and self.steps % every == 0:
            self.snapshots.append((self.steps, self.agent_state()))

    def turnover_week(self) -> None:
        """Residents decide whether to move out; each leaver's flat gets a new resident."""
        self.resident_agents.shuffle_do("consider_moving")
        movers = [r.index for r in self.resident_list if r.moving]
        self.events["moved"] = len(movers)
        if not movers:
            return
        gone = set(movers)
        book = self.needs
        leaving = np.array([int(i) in gone for i in book.resident], dtype=bool)
        book.total_moved_out += int(leaving.sum())
        book.remove(leaving)
        cb = self.conflicts
        pairs = zip(cb.a.tolist(), cb.b.tolist(), strict=True)
        ended = np.array([a in gone or b in gone for a, b in pairs], dtype=bool)
        cb.total_moved_out += int(ended.sum())
        cb.remove(ended)
        self.feuds = [f for f in self.feuds if f[0].index not in gone and f[1].index not in gone]
        for i in movers:
            self.move_in(i)
        if not self.graph.complete and self.graph.n_edges:
            for i in movers:
                self.rewire_ties(self.resident_list[i])
            rl = self.resident_list
            a = [r.index for r in rl for o in r._neighbors if r.index < o.index]
            b = [o.index for r in rl for o in r._neighbors if r.index < o.index]
            self.graph = from_pairs(len(rl), np.asarray(a, np.int64), np.asarray(b, np.int64))
        self._resident_set = mesa.agent.AgentSet(self.resident_list, random=self.random)
        self.n_exemplars = sum(r.exemplar for r in self.resident_list)

    def move_in(self, i: int) -> None:
        """Resident ``i`` moves out; a new resident of the same group moves into the flat."""
        old = self.resident_list[i]
        p, pop, rnd = self.params, self.params.population, self.random
        g = list(pop.groups.values())[old.group]
        state = {name: getattr(old, name) for name in STATIC_FIELDS}
        lo = min(1.0, max(0.0, g.opinion_mean - g.opinion_spread / 2))
        hi = min(1.0, max(0.0, g.opinion_mean + g.opinion_spread / 2))
        opinion = lo + (hi - lo) * rnd.random()
        trust = min(1.0, max(0.0, g.trust_mean + 0.1 * rnd.gauss(0.0, 1.0)))
        threshold = g.threshold_mean + g.threshold_sd * rnd.gauss(0.0, 1.0)
        is_party = rnd.random() < pop.party_share
        active = is_party and rnd.random() < pop.party_active_share
        org = -1
        if is_party:  # a Party member starts near the agenda, in the leading organization
            agenda = p.opinions.agenda
            toward_middle = (agenda > 0.5) - (agenda < 0.5)
            opinion = min(1.0, max(0.0, agenda - 0.1 * rnd.random() * toward_middle))
            org = 0
        elif rnd.random() < g.membership:
            others = [o.index for o in self.orgs
                      if o.kind not in ("party_committee", "residents_committee")]  # fmt: skip
            if others:
                org = rnd.choice(others)
        if old.org >= 0:
            self.orgs[old.org].members -= 1
        if org >= 0:
            self.orgs[org].members += 1
        state.update(
            opinion=opinion, tolerance=g.tolerance, trust=trust, threshold=threshold, org=org,
            is_party=is_party, party_active=active, digital=False, participating=False,
            ever_participated=False, weeks_participated=0, served=0.0, open_needs=0,
        )  # fmt: skip
        new = (PartyMemberAgent if is_party else ResidentAgent)(self, i, **state)
        new._neighbors = old._neighbors
        for other in new._neighbors:  # my neighbours now know the new resident
            other._neighbors[other._neighbors.index(old)] = new
        self.resident_list[i] = new
        old.remove()

    def rewire_ties(self, r: ResidentAgent) -> None:
        """Move each of the new resident's ties i–j to a new partner k by a swap with a tie k–l
        (i–k and j–l; no self-loop, no double tie; degrees unchanged; up to 3 tries a tie)."""
        h = tie_homophily(self)
        rl, rnd = self.resident_list, self.random
        for pos in range(len(r._neighbors)):
            j = r._neighbors[pos]
            for _ in range(3):
                if rnd.random() < h:
                    k = rl[rnd.choice(self.group_indices[r.group])]
                else:
                    k = rnd.choice(rl)
                if not k._neighbors or k is r or k is j:
                    continue
                l = rnd.choice(k._neighbors)  # noqa: E741
                if l is r or l is j or k in r._neighbors or l in j._neighbors:
                    continue
                r._neighbors[pos] = k
                k._neighbors[k._neighbors.index(l)] = r
                j._neighbors[j._neighbors.index(r)] = l
                l._neighbors[l._neighbors.index(k)] = j
                break

    def needs_week(self, residents: mesa.agent.AgentSet) -> None:
        """Needs are raised and reported, organizations serve, needs close."""
        p = self.params.needs
        book = self.needs
        self.new_needs = []
        residents.shuffle_do("raise_needs")
        self.flush_new_needs()
        # Waiting needs reach an organization offline, or shared data reveals them.
        discover = self.params.levers.smart.data_discovery * self.effort.smart
        found = 0
        for j in range(book.size):
            if book.reported[j]:
                continue
            if self.random.random() < p.report_prob:
                book.reported[j] = True
            elif self.random.random() < discover:
                book.reported[j] = True
                found += 1
        self.events["needs_created"] = len(self.new_needs)
        self.events["needs_discovered"] = found
        # Organizations (shared code with the array engine): levers, routing, service.
        self.service.prepare(self)
        self.agents_by_type[Organization].shuffle_do("step")
        self.close_needs()
        residents.do("experience_service")

    def flush_new_needs(self) -> None:
        """Put the needs raised since the last flush into the needs book."""
        if self.new_needs:
            who, cat, reported, holder = (np.array(c) for c in zip(*self.new_needs, strict=True))
            self.needs.append(who, cat, self.steps, reported, holder)

    def close_needs(self) -> None:
        """Resolved needs leave the queue; needs older than ``max_wait`` age out."""
        book = self.needs
        week = self.steps
        max_wait = self.params.needs.max_wait
        closed = np.zeros(book.size, dtype=bool)
        n_res = n_exp = wrong = 0
        wait_sum = expired_wait_sum = 0.0
        resolved_ids = []
        for j in range(book.size):
            r = self.resident_list[int(book.resident[j])]
            holder, cat = int(book.holder[j]), int(book.category[j])
            if self.served_now[j]:
                r.resolved_now += 1
                r.resolved_lead_now += holder == 0
                r.mediation_credit += CATEGORIES[cat] == "disputes"
                n_res += 1
                wait_sum += week - int(book.created[j])
                resolved_ids.append(int(book.id[j]))
                self.group_resolved[r.group] += 1
            elif week - int(book.created[j]) >= max_wait:
                r.expired_now += 1
                r.expired_lead_now += holder == 0
                n_exp += 1
                expired_wait_sum += week - int(book.created[j])
                self.orgs[holder].lost += 1  # misdirected or not, it aged out in its hands
                if not self.handles[holder, cat]:
                    wrong += 1
            else:
                continue
            closed[j] = True
            r.open_needs -= 1
            self.group_closed[r.group] += 1
        self.last_resolved_ids = np.asarray(resolved_ids, dtype=np.int64)
        book.total_resolved += n_res
        book.total_expired += n_exp
        book.total_dropped_wrong_org += wrong
        book.remove(closed)
        self.events.update(
            needs_resolved=n_res, needs_expired=n_exp, needs_dropped_wrong_org=wrong,
            wait_sum=wait_sum, expired_wait_sum=expired_wait_sum,
        )  # fmt: skip

    def trust_week(self, residents: mesa.agent.AgentSet) -> None:
        """Service experience moves each resident's trust, then trust drifts (random order)."""
        residents.do("trust_from_service")
        if self.params.trust.social_weight > 0:
            residents.shuffle_do("trust_drift")

    def participation_week(self, residents: mesa.agent.AgentSet) -> None:
        """Everyone decides from last week's state (step), then all commit (advance)."""
        rl = self.resident_list
        self.last_participation_rate = sum(r.participating for r in rl) / len(rl)
        residents.shuffle_do("step")
        residents.do("advance")

    def random_tie(self) -> tuple[ResidentAgent, ResidentAgent]:
        """A uniformly drawn tie of the network, in a random direction."""
        g, rl = self.graph, self.resident_list
        if g.complete:
            a, b = self.random.sample(rl, 2)
            return a, b
        e = self.random.randrange(g.n_edges)
        a, b = rl[int(g.u[e])], rl[int(g.v[e])]
        return (b, a) if self.random.random() < 0.5 else (a, b)

    def random_node_pair(self) -> tuple[ResidentAgent, ResidentAgent | None]:
        """A uniform resident and a uniform neighbour of it (None when it has none)."""
        if self.graph.complete:
            return self.random_tie()
        a = self.random.choice(self.resident_list)
        return a, (self.random.choice(a.neighbors) if a.neighbors else None)

    def hk_round(self, strength: float) -> int:
        """One synchronous HK round: every target from the same old opinions, then commit."""
        targets = []
        for r in self.resident_list:
            target = r.hk_target(r.neighbors, strength, platform=True)
            targets.append(r.opinion if r.contrarian else min(1.0, max(0.0, target)))
        moved = 0
        for r, t in zip(self.resident_list, targets, strict=True):
            moved += t != r.opinion
            r.opinion = t
        return moved

    def conflicts_week(self) -> None:
        """Disputes arise on ties (or with property management), are mediated or escalate."""
        p = self.params.conflicts
        book = self.conflicts
        rl = self.resident_list
        k = int(self.rngs["conflicts"].poisson(p.rate * len(rl)))
        if k:
            a, b = [], []
            for _ in range(k):
                has_ties = self.graph.complete or self.graph.n_edges > 0
                x, y = self.random_tie() if has_ties else (self.random.choice(rl), None)
                with_pm = y is None or self.random.random() < p.with_management
                a.append(x.index)
                b.append(-1 if with_pm else y.index)
            book.append(np.array(a), np.array(b), self.steps)
            if self.params.needs.enabled and p.request_share > 0:
                self.new_needs = []
                for i in a:  # the first party may ask an organization to mediate
                    if self.random.random() < p.request_share:
                        self.resident_list[i].raise_need(CATEGORIES.index("disputes"))
                self.flush_new_needs()
                created = self.events.get("needs_created", 0) + len(self.new_needs)
                self.events["needs_created"] = created
        prob = min(1.0, p.base_mediation + self.effort.organizational * (
            self.params.levers.organizational.mediation
        ))  # fmt: skip
        if p.feud_weeks > 0:
            self.feuds_week(prob)
        closed = np.zeros(book.size, dtype=bool)
        mediated = escalated = 0
        for j in range(book.size):
            x = rl[int(book.a[j])]
            y = rl[int(book.b[j])] if book.b[j] >= 0 else None
            # An organization resolved my request for mediation this week (capacity used) ...
            by_service = next((r for r in (x, y) if r is not None and r.mediation_credit), None)
            if by_service is not None:
                by_service.mediation_credit -= 1
            # ... or the dispute is mediated otherwise (on its own, or by coordination).
            if by_service is not None or self.random.random() < prob:
                x.dispute_mediated()
                if y is not None:
                    y.dispute_mediated()
                mediated += 1
            elif self.steps - int(book.started[j]) >= p.escalate_after:
                x.dispute_escalated(y)
                if y is not None:
                    y.dispute_escalated(None)
                    if p.feud_weeks > 0:
                        self.feuds.append([x, y, self.steps + p.feud_weeks])
                escalated += 1
            else:
                continue
            closed[j] = True
        book.total_mediated += mediated
        book.total_escalated += escalated
        self.events["conflicts_mediated"] = mediated
        self.events["conflicts_escalated"] = escalated
        book.remove(closed)

    def feuds_week(self, prob: float) -> None:
        """Feuds: each is reconciled with the mediation probability, else pushes the pair apart."""
        live = []
        for x, y, until in self.feuds:
            if self.random.random() < prob or until < self.steps:
                continue
            x.pushed_apart(y)
            if until > self.steps:
                live.append([x, y, until])
        self.feuds = live

    def opinions_week(self, residents: mesa.agent.AgentSet) -> None:
        """Activities, then N·x/2 pairwise encounters one after another, then counter-currents."""
        p = self.params.opinions
        ideo = self.effort.ideological
        if ideo > 0:
            f = self.params.levers.ideological.frequency * ideo
            n_act = int(f) + int(self.random.random() < f - int(f))
            if n_act:
                residents.shuffle_do("attend_activities", n_act)
        self.adopters = [r for r in self.resident_list if r.digital]
        self.adopters_by_group = {}
        for r in self.adopters:
            self.adopters_by_group.setdefault(r.group, []).append(r)
        strength = Opinions.exemplar_strength(self)
        Opinions.commitment(self)  # this week's commitment of active Party members
        moved = 0
        if p.rule == "hegselmann_krause":
            f = p.interactions
            rounds = int(f) + int(self.random.random() < f - int(f))
            for _ in range(rounds):
                moved += self.hk_round(strength)
            self.events["encounters_effective"] = moved
            residents.do("counter_currents")
            return
        has_ties = self.graph.complete or self.graph.n_edges > 0
        for _ in range(round(p.interactions * len(self.resident_list) / 2) if has_ties else 0):
            if p.pairing == "node":
                a, b = self.random_node_pair()
                if b is None:
                    continue
            else:
                a, b = self.random_tie()
            b = a.online_partner(b)
            if a is not b:
                moved += a.meet(b, strength)
        self.events["encounters_effective"] = moved
        residents.do("counter_currents")

    def consultation(self) -> None:
        """Participants deliberate (DW encounters among them), vote, and trust follows."""
        part = [r for r in self.resident_list if r.participating]
        if len(part) < 2:
            self.last_decision = (self.steps, float("nan"), False, len(part))
            self.project_capacity = 0.0
            return
        strength = Opinions.exemplar_strength(self)
        hk = self.params.opinions.rule == "hegselmann_krause"
        met: dict[ResidentAgent, list[ResidentAgent]] = {}
        for _ in range(round(self.params.deliberation.rounds * len(part) / 2)):
            a, b = self.random.choice(part), self.random.choice(part)
            if a is not b and hk:  # HK: all of a meeting's encounters at once (below)
                met.setdefault(a, []).append(b)
                met.setdefault(b, []).append(a)
            elif a is not b:
                a.meet(b, strength)
        targets = [(r, r.hk_target(pool, strength, platform=False)) for r, pool in met.items()]
        for r, t in targets:
            if not r.contrarian:
                r.opinion = min(1.0, max(0.0, t))
        agreement = sum(r.vote() for r in part) / len(part)
        if self.params.deliberation.trust_effect > 0:
            for r in part:
                r.legitimacy(agreement)
        self.last_decision = (self.steps, agreement, agreement > 0.5, len(part))
        self.decisions.append(self.last_decision)
        # A passed proposal is a project: capacity until the next consultation.
        self.project_capacity = project_capacity(self, agreement > 0.5)

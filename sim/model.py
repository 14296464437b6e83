"""The governance model: Mesa model, set-up, and the order of one week.

One step is one week of community life. The order of a week is written once, in
:data:`PIPELINE`:

1. the strategy sets this week's lever efforts (``model.effort``);
1a. residential turnover: some residents move out, new ones move in;
2. platform adoption (smart lever);
3. needs are raised and reported;
4. organizations serve (levers applied, routing, each organization in random order), needs age out;
5. disputes arise, are mediated or escalate;
6. trust responds to service and drifts toward neighbours;
7. opinions: value-guidance activities, pairwise exchange, counter-currents, anchoring;
8. participation decisions;
9. consultation and decision (every ``deliberation.interval`` weeks);
10. the metrics are recorded.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special

from . import _jit
from ._mesa import mesa
from .agents import Organization, PartyMemberView, ResidentView
from .mechanisms import (
    Conflicts,
    Deliberation,
    Needs,
    Opinions,
    Participation,
    Platform,
    Service,
    Trust,
    Turnover,
)
from .metrics import datacollector_reporters
from .network import make_network
from .params import (
    CATEGORIES,
    ORG_KINDS,
    Params,
    StrategyParams,
    build_params,
    check_seed,
    to_dict,
)
from .state import ConflictBook, NeedsBook, Residents
from .strategies import Efforts, make_strategy

__all__ = ["PIPELINE", "RNG_STREAMS", "GovernanceModel"]

#: The order of one week (mechanism objects; each can be switched off by its ``enabled``).
PIPELINE = (
    Turnover(),
    Platform(),
    Needs(),
    Service(),
    Conflicts(),
    Trust(),
    Opinions(),
    Participation(),
    Deliberation(),
)

#: Independent random streams, spawned from the run's seed in this order. Each component draws
#: only from its own stream, so that switching one mechanism does not shift the others' draws
#: (common random numbers across strategies).
RNG_STREAMS = (
    "mesa",
    "population",
    "network",
    "organizations",
    "platform",
    "needs",
    "service",
    "conflicts",
    "opinions",
    "deliberation",
    "turnover",
    "participation",
)


def _seed_sequence(rng: Any) -> np.random.SeedSequence:
    if isinstance(rng, np.random.SeedSequence):
        return rng
    if isinstance(rng, bool):
        raise ValueError(f"rng={rng!r}: expected an int seed ≥ 0, not a boolean")
    if rng is None or isinstance(rng, int | np.integer):
        return np.random.SeedSequence(None if rng is None else check_seed(rng, "rng", stored=False))
    if isinstance(rng, np.random.Generator):
        return np.random.SeedSequence(int(rng.integers(0, 2**63)))
    raise ValueError(
        f"rng={rng!r}: expected an int seed, a numpy SeedSequence, a Generator or None"
    )


def _exact_counts(shares: np.ndarray, n: int) -> np.ndarray:
    """Largest-remainder apportionment of ``n`` by ``shares``."""
    raw = shares * n
    base = np.floor(raw).astype(np.int64)
    rest = n - int(base.sum())
    order = np.argsort(-(raw - base), kind="stable")
    base[order[:rest]] += 1
    return base


class GovernanceModel(mesa.Model):
    """Community governance under configurable leadership strategies.

    This class is the array engine (``engine.kind="array"``); :func:`sim.engines.make_model`
    builds the model on whichever engine the parameters select. Parameters are validated once: a
    :class:`~sim.params.Params` that :func:`sim.params.build_params` (or ``validate``,
    ``preset``, ``make_model``) returned is used as it is; anything else — a mapping,
    ``None``, overrides, a ``Params`` constructed directly — is validated here, once.

    Args:
        params: A :class:`sim.params.Params`, a nested mapping, or ``None`` for the defaults.
        rng: The run's seed: an int, a ``numpy.random.SeedSequence``, a Generator, or ``None``
            (fresh entropy, recorded in ``model.seed_entropy``).
        **overrides: Parameters by dotted name, e.g.
            ``GovernanceModel(**{"opinions.mu": 0.2})`` or ``GovernanceModel(opinions__mu=0.2)``.

    Raises:
        ValueError: Bad parameters, before anything is built (also an ``engine.kind`` this
            class does not compute: use :func:`sim.engines.make_model`).

    Attributes:
        params: The validated parameters.
        residents: Per-resident arrays (:class:`sim.state.Residents`).
        graph: The resident network (:class:`sim.network.Graph`).
        orgs: The organizations, leading organization first.
        strategy: The strategy object; ``effort`` holds this week's lever efforts.
        needs, conflicts: Open needs and disputes.
        datacollector: Mesa DataCollector built from :mod:`sim.metrics`.
    """

    #: The engine this class computes (``engine.kind``); :func:`engine_class` picks the class.
    engine_kind = "array"

    def __init__(self, params: Params | dict | None = None, *, rng: Any = None, **overrides: Any):
        p = build_params(params, overrides)  # a validated Params comes back as it is
        if p.engine.kind != self.engine_kind:
            raise ValueError(
                f"engine.kind={p.engine.kind!r}: {type(self).__name__} computes the "
                f"{self.engine_kind!r} engine; build the model with sim.make_model(...), which "
                "picks the engine's class"
            )
        ss = _seed_sequence(rng)
        children = ss.spawn(len(RNG_STREAMS))
        super().__init__(rng=np.random.default_rng(children[0]))
        self.params = p
        self.seed_entropy = ss.entropy
        self.rngs = {
            name: np.random.default_rng(c)
            for name, c in zip(RNG_STREAMS[1:], children[1:], strict=True)
        }
        self.strategy = make_strategy(p.strategy, p.costs)
        self.strategy_changes: list[tuple[int, Any]] = []
        self.service = next(m for m in PIPELINE if isinstance(m, Service))
        self.effort = Efforts()
        self.events: dict[str, Any] = {}
        self.decisions: list[tuple[int, float, bool, int]] = []
        self.last_decision: tuple[int, float, bool, int] | None = None
        self.last_resolved_ids = np.empty(0, dtype=np.int64)
        #: Active Party members' commitment: the factor of opinions.party_anchor (bounded
        #: anchoring, :meth:`sim.mechanisms.Opinions.commitment`).
        self.party_commitment = 1.0
        #: Capacity added by the project of the last passed decision (needs/week).
        self.project_capacity = 0.0
        self._setup_residents()
        self._setup_organizations()
        self.needs = NeedsBook()
        self.conflicts = ConflictBook()
        ng = len(self.group_names)
        self.group_resolved = np.zeros(ng)
        self.group_closed = np.zeros(ng)
        self.served_now = np.zeros(0, dtype=bool)
        self._setup_views()
        self.snapshots: list[tuple[int, dict[str, np.ndarray]]] = []
        self.datacollector = mesa.DataCollector(model_reporters=datacollector_reporters())
        self.datacollector.collect(self)

    # -- set-up -------------------------------------------------------------------------------

    def _setup_residents(self) -> None:
        p = self.params
        pop = p.population
        rng = self.rngs["population"]
        n = pop.n_residents
        self.group_names: tuple[str, ...] = tuple(pop.groups)
        groups = list(pop.groups.values())
        shares = np.array([g.share for g in groups])
        counts = _exact_counts(shares, n)
        group = rng.permutation(np.repeat(np.arange(len(groups), dtype=np.int16), counts))

        def trait(name: str) -> np.ndarray:
            return np.array([getattr(g, name) for g in groups], dtype=np.float64)[group]

        mean, spread = trait("opinion_mean"), trait("opinion_spread")
        lo = np.clip(mean - spread / 2, 0.0, 1.0)
        hi = np.clip(mean + spread / 2, 0.0, 1.0)
        opinion = lo + (hi - lo) * rng.random(n)
        trust = np.clip(trait("trust_mean") + 0.1 * rng.standard_normal(n), 0.0, 1.0)
        z = rng.standard_normal(n)  # drawn whatever the distribution: later draws stay aligned
        if pop.threshold_distribution == "explicit":
            threshold = np.asarray(pop.thresholds, dtype=np.float64).copy()
        elif pop.threshold_distribution == "uniform":
            # same mean and sd as the normal: uniform on mean ± √3·sd, from the normal's draw
            u = special.ndtr(z)
            threshold = trait("threshold_mean") + trait("threshold_sd") * np.sqrt(3.0) * (2 * u - 1)
        else:
            threshold = trait("threshold_mean") + trait("threshold_sd") * z
        n_party = int(round(pop.party_share * n))
        party_idx = rng.choice(n, size=n_party, replace=False)
        is_party = np.zeros(n, dtype=bool)
        is_party[party_idx] = True
        active = np.zeros(n, dtype=bool)
        active[party_idx] = rng.random(n_party) < pop.party_active_share
        agenda = p.opinions.agenda
        # Party members start close to the agenda (within 0.1).
        toward_middle = np.sign(agenda - 0.5)
        opinion[is_party] = np.clip(agenda - 0.1 * rng.random(n_party) * toward_middle, 0.0, 1.0)
        n_counter = int(round(p.opinions.counter_share * n))
        ordinary = np.flatnonzero(~is_party)
        counter_idx = rng.choice(ordinary, size=min(n_counter, ordinary.size), replace=False)
        contrarian = np.zeros(n, dtype=bool)
        contrarian[counter_idx] = True
        opinion[contrarian] = 1.0 - agenda
        start_draw = rng.random(n)
        if p.participation.initial_count >= 0:
            # exactly initial_count residents: those with the smallest draws (a uniform sample
            # without replacement, from the same draws as the share rule)
            participating = np.zeros(n, dtype=bool)
            first = np.argsort(start_draw, kind="stable")[: p.participation.initial_count]
            participating[first] = True
        else:
            participating = start_draw < p.participation.initial_share
        member_draw = rng.random(n)
        org_draw = rng.random(n)
        self.residents = Residents(
            group=group,
            opinion=opinion,
            tolerance=trait("tolerance"),
            trust=trust,
            threshold=threshold,
            cost=trait("cost"),
            literacy=trait("digital_literacy"),
            need_rate=p.needs.rate * trait("need_rate"),
            org=np.full(n, -1, dtype=np.int32),
            is_party=is_party,
            party_active=active,
            contrarian=contrarian,
            digital=np.zeros(n, dtype=bool),
            participating=participating,
            ever_participated=participating.copy(),
            weeks_participated=participating.astype(np.int32),
            served=np.zeros(n),
            open_needs=np.zeros(n, dtype=np.int32),
        )
        self._member_draw = (member_draw < trait("membership"), org_draw)
        self.n_exemplars = int(self.residents.exemplar().sum())
        net = p.network
        self.graph = make_network(
            net.kind,
            n,
            net.mean_degree,
            self.rngs["network"],
            rewire=net.rewire,
            homophily=net.homophily,
            gamma=net.powerlaw_exponent,
            group=group.astype(np.int64),
        )

    def _setup_organizations(self) -> None:
        p = self.params
        po = p.organizations
        rng = self.rngs["organizations"]
        n = self.residents.n
        kinds = [k for k, c in zip(ORG_KINDS, po.counts, strict=True) for _ in range(c)]
        n_orgs = len(kinds)
        handles = np.zeros((n_orgs, len(CATEGORIES)), dtype=bool)
        for i, kind in enumerate(kinds):
            cats = po.categories[ORG_KINDS.index(kind)]
            for c in filter(None, cats.split("+")):
                handles[i, CATEGORIES.index(c)] = True
        total_cap = p.needs.capacity_per_1000 * n / 1000.0
        total_res = p.needs.resources_per_1000 * n / 1000.0
        lead = po.leader_capacity_share
        share = np.full(n_orgs, (1.0 - lead) / max(n_orgs - 1, 1))
        share[0] = lead if n_orgs > 1 else 1.0
        self.orgs: list[Organization] = [
            Organization(self, i, kind, handles[i], total_cap * share[i], total_res * share[i])
            for i, kind in enumerate(kinds)
        ]
        self.base_handles = handles
        self.handles = handles.copy()
        self.capable = [np.flatnonzero(handles[:, c]) for c in range(len(CATEGORIES))]
        self.org_of_kind = {
            k: np.array([i for i, kk in enumerate(kinds) if kk == k], dtype=np.int32)
            for k in ORG_KINDS
        }
        u = rng.random((n_orgs, n_orgs))
        u = np.triu(u, 1)
        u = u + u.T
        np.fill_diagonal(u, 2.0)  # never linked to itself
        self.link_draw = u
        self.links = u < po.base_links
        # Membership: Party members belong to the leading organization; others join one of the
        # non-leading, non-residents'-committee organizations with their group's probability.
        res = self.residents
        joins, draw = self._member_draw
        others = np.array(
            [i for i, k in enumerate(kinds) if k not in ("party_committee", "residents_committee")],
            dtype=np.int32,
        )
        if others.size:
            pick = others[(draw * others.size).astype(np.int64)]
            res.org[:] = np.where(joins, pick, -1)
        res.org[res.is_party] = 0
        for o, cnt in zip(
            self.orgs, np.bincount(res.org[res.org >= 0], minlength=n_orgs), strict=True
        ):
            o.members = int(cnt)
        self.category_cost = np.asarray(p.needs.category_cost, dtype=np.float64)
        del self._member_draw

    def _setup_views(self) -> None:
        res = self.residents
        self.views_created = res.n <= self.params.engine.agent_views_max
        self._views: list[ResidentView] = []
        if self.views_created:
            self._views = [
                (PartyMemberView if res.is_party[i] else ResidentView)(self, i)
                for i in range(res.n)
            ]

    # -- public API ---------------------------------------------------------------------------

    def resident(self, index: int) -> ResidentView:
        """The view of resident ``index`` (made on demand when views were not created)."""
        if self.views_created:
            return self._views[index]
        cls = PartyMemberView if self.residents.is_party[index] else ResidentView
        view = cls(self, index)
        self.deregister_agent(view)
        return view

    def set_strategy(self, strategy: Any = None, /, **overrides: Any) -> None:
        """Change the leadership strategy from the next week on (e.g. from the classroom app).

        Args:
            strategy: A :class:`sim.params.StrategyParams`, a mapping of its fields, or any
                object with ``efforts(model)`` (used as it is); ``None`` keeps the current
                strategy parameters and applies ``overrides``.
            **overrides: Fields of the strategy section, e.g. ``smart=0.5`` or
                ``name="integrated"``.

        Raises:
            ValueError: Bad strategy parameters (the model is left unchanged).

        The change is recorded in ``strategy_changes`` as ``(first week it applies, what)``.
        """
        if strategy is not None and callable(getattr(strategy, "efforts", None)):
            if overrides:
                raise ValueError("set_strategy: give a strategy object or overrides, not both")
            self.strategy = strategy
            self.strategy_changes.append((self.steps + 1, strategy))
            return
        fields: dict[str, Any] = {}
        if isinstance(strategy, StrategyParams):
            fields = to_dict(strategy)
        elif isinstance(strategy, dict):
            fields = dict(strategy)
        elif strategy is not None:
            raise ValueError(
                f"set_strategy: expected StrategyParams, a mapping or a strategy object, "
                f"got {type(strategy).__name__}"
            )
        fields.update(overrides)
        # Settings of the old strategy that the new one does not read go back to their defaults.
        params = build_params(
            self.params, {f"strategy.{k}": v for k, v in fields.items()}, unread="reset"
        )
        new = make_strategy(params.strategy, params.costs)
        self.params, self.strategy = params, new
        self.strategy_changes.append((self.steps + 1, params.strategy))

    def step(self) -> None:
        """Advance one week (the order is :data:`PIPELINE`)."""
        _jit.account(self.residents.opinion.size)  # when to switch to compiled kernels
        self.events = {}
        self.effort = self.strategy.efforts(self)
        for mechanism in PIPELINE:
            if mechanism.enabled(self):
                mechanism.step(self)
        self.datacollector.collect(self)
        every = self.params.engine.collect_agents_every
        if every and self.steps % every == 0:
            self.snapshots.append((self.steps, self.agent_state()))

    def run(self, steps: int) -> GovernanceModel:
        """Advance ``steps`` weeks; returns the model for chaining."""
        if steps < 0:
            raise ValueError(f"steps={steps}: must be ≥ 0")
        for _ in range(steps):
            self.step()
        return self

    def run_until_settled(
        self, max_steps: int, *, tol: float = 1e-9, weeks: int = 1
    ) -> GovernanceModel:
        """Advance until the residents' state has settled, at most ``max_steps`` weeks.

        Settled: for ``weeks`` consecutive weeks no participation decision changed and no
        opinion moved by more than ``tol`` (other state — needs, trust — may still move; the
        classic set-ups switch those mechanisms off). ``self.settled_at`` records the week
        the last change happened, or ``None`` if the run stopped at ``max_steps`` unsettled.

        Returns:
            The model, for chaining.
        """
        if max_steps < 0 or weeks < 1 or not tol >= 0:
            raise ValueError(
                f"run_until_settled(max_steps={max_steps}, tol={tol}, weeks={weeks}): need "
                "max_steps ≥ 0, tol ≥ 0 and weeks ≥ 1"
            )
        res = self.residents
        quiet = 0
        self.settled_at: int | None = None
        for _ in range(max_steps):
            before_o, before_p = res.opinion.copy(), res.participating.copy()
            self.step()
            moved = np.abs(res.opinion - before_o).max(initial=0.0) > tol
            if moved or not np.array_equal(before_p, res.participating):
                quiet = 0
            else:
                quiet += 1
                if quiet >= weeks:
                    self.settled_at = self.steps - weeks
                    break
        return self

    def agent_state(self) -> dict[str, np.ndarray]:
        """A copy of every per-resident array (for tables and snapshots)."""
        res = self.residents
        return {
            "resident": np.arange(res.n),
            "group": np.asarray(self.group_names, dtype=object)[res.group],
            "party": res.is_party.copy(),
            "party_active": res.party_active.copy(),
            "contrarian": res.contrarian.copy(),
            "opinion": res.opinion.copy(),
            "tolerance": res.tolerance.copy(),
            "trust": res.trust.copy(),
            "threshold": res.threshold.copy(),
            "cost": res.cost.copy(),
            "digital": res.digital.copy(),
            "participating": res.participating.copy(),
            "ever_participated": res.ever_participated.copy(),
            "weeks_participated": res.weeks_participated.copy(),
            "served": res.served.copy(),
            "open_needs": res.open_needs.copy(),
            "org": res.org.copy(),
            "degree": self.graph.degree.copy(),
        }

"""The one typed parameter schema of govsim.

Every parameter of the model is a field of a frozen dataclass below. Each field carries its
documentation (meaning, unit, range) in ``dataclasses.field(metadata=...)``, so the same schema
feeds the engine, the Hydra structured configs, the UI's sliders and the ODD parameter table
(``docs/parameters.md`` is generated from it by :func:`parameter_table_markdown`).

Parameters are addressed by dotted names (``"opinions.mu"``, ``"population.groups.elderly.share"``,
``"levers.smart.adoption_rate"``). :func:`build_params` applies such overrides and validates the
result; every error is a :class:`ValueError` naming the parameter, the value given and what is
allowed.

This module is the schema: the dataclasses, where each default comes from (:data:`SOURCES`),
which choices read which settings (:data:`MECHANISM_ONLY`, :data:`NETWORK_READERS`, ...) and the
cross-parameter rules (:func:`validate`). The generic machinery — overriding by dotted name,
coercion and range checks, ``to_dict``/``flatten``/``diff``/``get``, the field documentation —
is :mod:`sim.schema`; the names callers use are re-exported here.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .costs import COST_UNIT, CostParams
from .schema import (
    FieldInfo,
    check_ranges,
    diff,
    flatten,
    get,
    is_validated,
    lookup,
    mark_validated,
    normalise_key,
    override,
    show,
    suggest,
    table_markdown,
    to_dict,
    unmarked_state,
)
from .schema import iter_fields as _iter_fields
from .schema import param as p
from .strategies import COST_STRATEGIES, StrategyParams, reads_costs, strategy_reads

__all__ = [
    "CATEGORIES",
    "COST_UNIT",
    "MAX_SEED",
    "MAX_STEPS",
    "OPINION_RULES",
    "ORG_KINDS",
    "PAIRINGS",
    "ConflictParams",
    "CostParams",
    "DeliberationParams",
    "EngineParams",
    "FieldInfo",
    "GroupParams",
    "IdeologicalParams",
    "LeverParams",
    "MetricParams",
    "NeedsParams",
    "NetworkParams",
    "OpinionParams",
    "OrganizationParams",
    "OrganizationalParams",
    "Params",
    "ParticipationParams",
    "PoliticalParams",
    "PopulationParams",
    "SmartParams",
    "StrategyParams",
    "TrustParams",
    "TurnoverParams",
    "build_params",
    "check_seed",
    "check_steps",
    "diff",
    "flatten",
    "get",
    "iter_fields",
    "parameter_table_markdown",
    "to_dict",
    "unread_parameters",
]

#: Need categories, in the order used by every per-category array.
CATEGORIES: tuple[str, ...] = (
    "repairs",
    "sanitation",
    "elder_care",
    "parking",
    "safety",
    "disputes",
)

#: Organization kinds. The first is the community's leading organization.
ORG_KINDS: tuple[str, ...] = (
    "party_committee",
    "residents_committee",
    "property_management",
    "owners_committee",
    "social_organization",
    "government_department",
    "resident_unit",
    "volunteer_team",
)

NETWORK_KINDS = ("small_world", "scale_free", "erdos_renyi", "complete", "sbm")

#: Opinion-influence rules (``opinions.rule``); the first is the classic default.
OPINION_RULES = (
    "deffuant",
    "repulsive",
    "biased_assimilation",
    "relative_agreement",
    "hegselmann_krause",
)

#: How the week's encounter pairs are drawn (``opinions.pairing``).
PAIRINGS = ("edge", "node")

#: How per-resident participation thresholds are drawn (``population.threshold_distribution``).
THRESHOLD_DISTRIBUTIONS = ("normal", "uniform", "explicit")
#: Largest seed accepted anywhere (run_one, the model, the CLI, experiment seeds): seeds are
#: stored as signed 64-bit integers in the results tables.
MAX_SEED: int = 2**63 - 1

#: Most weeks one run may simulate (about 1,900 years); a bound so that a typo such as
#: ``steps=1e308`` is refused instead of running until killed.
MAX_STEPS: int = 100_000


def _as_int(name: str, value: Any, lo: int, hi: int, what: str) -> int:
    """``value`` as an int in [lo, hi]; ValueError naming ``name`` and the range otherwise."""
    given = value
    ok = isinstance(value, int) and not isinstance(value, bool)
    if not ok and type(value).__module__ == "numpy" and hasattr(value, "dtype"):
        ok = value.dtype.kind in "iu"  # a numpy integer scalar
    if ok:
        value = int(value)
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value, ok = int(value), True
    if not ok or not lo <= value <= hi:
        shown = repr(given) if len(repr(given)) <= 40 else repr(given)[:37] + "..."
        raise ValueError(f"{name}={shown}: expected {what}, an integer {lo} … {hi}")
    return value


def check_seed(value: Any, name: str = "seed", *, stored: bool = True) -> int:
    """A seed as an int ≥ 0, at most :data:`MAX_SEED` when ``stored`` (bools are refused).

    The engine takes any integer ≥ 0 (numpy's ``SeedSequence`` does; a model's recorded
    128-bit ``seed_entropy`` reproduces it): ``stored=False``. Seeds that go into results
    tables (the CLI's ``seed``, experiment seeds) are signed 64-bit integers.

    Raises:
        ValueError: Naming ``name``, the value and the allowed range.
    """
    if not stored:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            if not (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "iu"):
                shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
                raise ValueError(f"{name}={shown}: expected a seed, an integer ≥ 0")
        return int(value)
    return _as_int(name, value, 0, MAX_SEED, "a seed")


def check_steps(value: Any, name: str = "steps") -> int:
    """A number of weeks as an int in 0 … :data:`MAX_STEPS` (bools are refused).

    Raises:
        ValueError: Naming ``name``, the value and the allowed range.
    """
    return _as_int(name, value, 0, MAX_STEPS, "a number of weeks")


# --------------------------------------------------------------------------------------------
# Population
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupParams:
    """Traits of one resident group (long-term residents, newcomers, renters, elderly, ...)."""

    share: float = p(0.2, "Share of residents in this group", unit="fraction", lo=0.0, hi=1.0)
    opinion_mean: float = p(
        0.5, "Mean initial opinion (1 = fully shares the agenda)", unit="opinion", lo=0.0, hi=1.0
    )
    opinion_spread: float = p(
        0.5,
        "Width of the uniform initial-opinion interval around the mean (clipped to [0, 1])",
        unit="opinion",
        lo=0.0,
        hi=1.0,
    )
    tolerance: float = p(
        0.3, "Bounded-confidence tolerance ε", unit="opinion distance", lo=0.0, hi=1.0
    )
    trust_mean: float = p(
        0.5, "Mean initial trust in the leading organization", unit="trust", lo=0.0, hi=1.0
    )
    threshold_mean: float = p(0.55, "Mean participation threshold", unit="score", lo=0.0, hi=2.0)
    threshold_sd: float = p(
        0.25, "Standard deviation of participation thresholds", unit="score", lo=0.0, hi=1.0
    )
    cost: float = p(0.2, "Participation cost (time, effort)", unit="score", lo=0.0, hi=2.0)
    digital_literacy: float = p(
        0.5,
        "Relative propensity to adopt the community platform (digital divide)",
        unit="probability scale",
        lo=0.0,
        hi=1.0,
    )
    need_rate: float = p(
        1.0, "Multiplier of the base need rate for this group", unit="×", lo=0.0, hi=10.0
    )
    membership: float = p(
        0.3,
        "Probability of belonging to an organization other than the residents' committee",
        unit="probability",
        lo=0.0,
        hi=1.0,
    )
    turnover: float = p(
        0.001,
        "Weekly probability that a resident of this group moves out; a new resident of the "
        "same group moves in with fresh opinion, trust and ties (turnover mechanism)",
        unit="probability/week",
        lo=0.0,
        hi=1.0,
    )


def _default_groups() -> dict[str, GroupParams]:
    return {
        "long_term": GroupParams(
            share=0.35, opinion_mean=0.6, tolerance=0.3, trust_mean=0.6, threshold_mean=0.55,
            cost=0.2, digital_literacy=0.5, need_rate=1.0, membership=0.4, turnover=0.0005,
        ),
        "newcomers": GroupParams(
            share=0.2, opinion_mean=0.4, tolerance=0.25, trust_mean=0.4, threshold_mean=0.65,
            cost=0.3, digital_literacy=0.7, need_rate=1.2, membership=0.15, turnover=0.002,
        ),
        "renters": GroupParams(
            share=0.15, opinion_mean=0.4, tolerance=0.25, trust_mean=0.4, threshold_mean=0.7,
            cost=0.3, digital_literacy=0.7, need_rate=1.0, membership=0.1, turnover=0.004,
        ),
        "elderly": GroupParams(
            share=0.2, opinion_mean=0.6, tolerance=0.2, trust_mean=0.6, threshold_mean=0.55,
            cost=0.15, digital_literacy=0.15, need_rate=1.5, membership=0.4, turnover=0.0005,
        ),
        "young_families": GroupParams(
            share=0.1, opinion_mean=0.5, tolerance=0.3, trust_mean=0.5, threshold_mean=0.6,
            cost=0.35, digital_literacy=0.8, need_rate=1.2, membership=0.3, turnover=0.001,
        ),
    }  # fmt: skip


@dataclass(frozen=True)
class PopulationParams:
    """Who lives in the community."""

    n_residents: int = p(
        2000, "Number of residents (Party members included)", unit="residents", lo=2, hi=1e7
    )
    party_share: float = p(
        0.07,
        "Share of residents who are Party members (≈7 % nationally)",
        unit="fraction",
        lo=0.0,
        hi=1.0,
    )
    party_active_share: float = p(
        0.6,
        "Share of Party members active locally ('reporting to the community')",
        unit="fraction",
        lo=0.0,
        hi=1.0,
    )
    groups: dict[str, GroupParams] = p(
        None,
        "Resident groups by name; shares must sum to 1",
        factory=_default_groups,
    )
    threshold_distribution: str = p(
        "normal",
        "How participation thresholds are drawn: 'normal' (group threshold_mean + "
        "threshold_sd · N(0, 1)), 'uniform' (uniform on threshold_mean ± √3·threshold_sd: the "
        "same mean and sd), 'explicit' (population.thresholds, one value per resident)",
        choices=THRESHOLD_DISTRIBUTIONS,
    )
    thresholds: tuple[float, ...] = p(
        (),
        "Explicit per-resident participation thresholds (resident i gets entry i; exactly "
        "n_residents values; only with threshold_distribution='explicit')",
        unit="score",
        lo=-10.0,
        hi=10.0,
        factory=tuple,
    )


@dataclass(frozen=True)
class NetworkParams:
    """The resident social network."""

    kind: str = p(
        "sbm",
        "Network generator",
        choices=NETWORK_KINDS,
    )
    mean_degree: float = p(8.0, "Mean number of ties per resident", unit="ties", lo=0.0, hi=1e3)
    rewire: float = p(
        0.1, "Small-world rewiring probability (Watts–Strogatz)", unit="probability", lo=0.0, hi=1.0
    )
    homophily: float = p(
        0.7,
        "Block model: probability that a tie stays inside the resident's own group",
        unit="probability",
        lo=0.0,
        hi=1.0,
    )
    powerlaw_exponent: float = p(
        2.7, "Scale-free degree exponent γ (Chung–Lu)", unit="", lo=2.01, hi=5.0
    )


# --------------------------------------------------------------------------------------------
# Mechanisms
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NeedsParams:
    """Mechanism 1: needs and services."""

    enabled: bool = p(True, "Residents raise needs that organizations serve")
    rate: float = p(
        0.02, "Base number of needs a resident raises per week", unit="needs/week", lo=0.0, hi=5.0
    )
    category_mix: tuple[float, ...] = p(
        None,
        "Relative frequency of need categories " + ", ".join(CATEGORIES),
        unit="weights",
        lo=0.0,
        hi=1e6,
        factory=lambda: (0.25, 0.2, 0.15, 0.15, 0.1, 0.15),
    )
    max_wait: int = p(
        8, "Weeks a need waits before it ages out unresolved", unit="weeks", lo=1, hi=1000
    )
    report_prob: float = p(
        0.35,
        "Weekly probability that an unreported need reaches an organization offline",
        unit="probability/week",
        lo=0.0,
        hi=1.0,
    )
    know_right_org: float = p(
        0.5,
        "Probability that a resident reports a need to an organization that can handle it",
        unit="probability",
        lo=0.0,
        hi=1.0,
    )
    capacity_per_1000: float = p(
        14.0,
        "Total service capacity of all organizations per 1,000 residents",
        unit="needs/week",
        lo=0.0,
        hi=1e4,
    )
    resources_per_1000: float = p(
        16.0,
        "Total resources of all organizations per 1,000 residents",
        unit="units/week",
        lo=0.0,
        hi=1e4,
    )
    resource_buffer_weeks: float = p(
        4.0,
        "Unused resources carry over to later weeks, up to this many weeks of an "
        "organization's weekly resources, and at least the cost of the costliest need "
        "(1 = only that minimum)",
        unit="weeks",
        lo=1.0,
        hi=52.0,
    )
    category_cost: tuple[float, ...] = p(
        None,
        "Resource units one resolved need costs, by category " + ", ".join(CATEGORIES),
        unit="units",
        lo=0.0,
        hi=1e3,
        factory=lambda: (1.5, 1.0, 1.2, 0.6, 1.0, 0.5),
    )


@dataclass(frozen=True)
class TrustParams:
    """Mechanism 2: trust in the leading organization."""

    enabled: bool = p(True, "Trust responds to service and to neighbours")
    gain_resolved: float = p(
        0.15, "Trust gained when a need is resolved (× (1 − trust))", unit="fraction", lo=0, hi=1
    )
    loss_unresolved: float = p(
        0.2, "Trust lost when a need ages out (× trust)", unit="fraction", lo=0.0, hi=1.0
    )
    social_weight: float = p(
        0.05,
        "Weekly drift of trust toward the neighbours' mean",
        unit="fraction/week",
        lo=0.0,
        hi=1.0,
    )
    memory: float = p(
        0.8,
        "Decay of a resident's remembered service experience per week",
        unit="fraction",
        lo=0.0,
        hi=1.0,
    )
    attribution_others: float = p(
        1.0,
        "How much a need resolved (or lost) by an organization other than the leading one "
        "moves trust in the leading organization, relative to its own service (1 = the same, "
        "0 = not at all)",
        unit="fraction",
        lo=0.0,
        hi=1.0,
    )


@dataclass(frozen=True)
class OpinionParams:
    """Mechanism 3: bounded-confidence opinion dynamics (Deffuant et al. 2000)."""

    enabled: bool = p(True, "Residents exchange opinions pairwise")
    rule: str = p(
        "deffuant",
        "Influence rule: 'deffuant' (pairwise bounded confidence), 'repulsive' (beyond "
        "opinions.rejection a partner repels: Jager & Amblard 2005), 'biased_assimilation' "
        "(like-minded partners weigh more, by opinions.bias: Dandekar et al. 2013), "
        "'relative_agreement' "
        "(tolerance is an uncertainty that itself moves: Deffuant et al. 2002), "
        "'hegselmann_krause' (synchronous averaging over all neighbours within ε: "
        "Hegselmann & Krause 2002)",
        choices=OPINION_RULES,
        source="Deffuant et al. 2000 (the classic rule); the others are rival rules for "
        "structural-uncertainty analysis (issue 15)",
    )
    pairing: str = p(
        "edge",
        "How encounter pairs are drawn: 'edge' (a uniform network tie, random direction) or "
        "'node' (a uniform resident, then a uniform neighbour of it)",
        choices=PAIRINGS,
        source="edge-uniform is the classic DW-on-networks choice; node-then-neighbour is the "
        "common alternative (it gives low-degree residents as many turns as hubs)",
    )
    rejection: float = p(
        0.6,
        "Repulsive rule: opinion distance beyond which a partner's opinion repels (latitude "
        "of rejection; between ε and this distance nothing happens)",
        unit="opinion distance",
        lo=0.0,
        hi=1.0,
        source="assumed: twice the default tolerance ε = 0.3, so that only clearly opposed "
        "residents repel (Jager & Amblard 2005 vary it)",
    )
    bias: float = p(
        1.0,
        "Biased-assimilation rule: exponent b of the weight x^b a resident at x gives to "
        "evidence for its own side (0 = plain DW step)",
        unit="",
        lo=0.0,
        hi=10.0,
        source="assumed: b = 1 (evidence weighed in proportion to one's own position); "
        "Dandekar et al. 2013 treat b as a free parameter",
    )
    mu: float = p(0.3, "Convergence parameter μ of Deffuant–Weisbuch", unit="", lo=0.0, hi=0.5)
    interactions: float = p(
        1.0,
        "Pairwise encounters per resident per week (N·x/2 pairs; Hegselmann–Krause: rounds)",
        unit="encounters/week",
        lo=0.0,
        hi=100.0,
    )
    agenda: float = p(
        1.0, "Position of the community's shared agenda", unit="opinion", lo=0.0, hi=1.0
    )
    exemplar_strength: float = p(
        0.5,
        "How much more a Party member persuades (scales μ toward 1, × trust)",
        unit="fraction",
        lo=0.0,
        hi=1.0,
    )
    party_anchor: float = p(
        0.1,
        "Weekly pull of Party members' own opinions toward the agenda",
        unit="fraction/week",
        lo=0.0,
        hi=1.0,
    )
    counter_share: float = p(
        0.0,
        "Share of residents who are contrarian sources ('bad trends'), fixed at 1 − agenda",
        unit="fraction",
        lo=0.0,
        hi=1.0,
    )
    noise: float = p(
        0.002,
        "Weekly probability a resident's opinion is redrawn uniformly (noisy sources)",
        unit="probability/week",
        lo=0.0,
        hi=1.0,
    )
    cluster_gap: float = p(
        0.05,
        "Opinion gap that separates two clusters in the cluster count",
        unit="opinion",
        lo=1e-6,
        hi=1.0,
    )
    anchor_decay: float = p(
        0.02,
        "Weekly rate at which active Party members' commitment (the factor of party_anchor, "
        "1 at week 0) relaxes toward the ideological effort (0 = commitment stays 1)",
        unit="fraction/week",
        lo=0.0,
        hi=1.0,
    )


@dataclass(frozen=True)
class ParticipationParams:
    """Mechanism 4: participation (Granovetter 1978; Watts 2002) plus individual motives."""

    enabled: bool = p(True, "Residents decide each week whether to take part")
    w_social: float = p(
        0.5, "Weight of social proof (share of neighbours taking part)", unit="", lo=0, hi=10
    )
    w_trust: float = p(0.4, "Weight of trust in the leading organization", unit="", lo=0, hi=10)
    w_agreement: float = p(
        0.4, "Weight of agreement with the agenda (1 − |opinion − agenda|)", unit="", lo=0, hi=10
    )
    w_served: float = p(0.3, "Weight of recent experience of being served", unit="", lo=0, hi=10)
    w_cost: float = p(1.0, "Weight of participation cost", unit="", lo=0.0, hi=10.0)
    initial_share: float = p(
        0.1, "Share of residents taking part in week 0 (seeds)", unit="fraction", lo=0.0, hi=1.0
    )
    initial_count: int = p(
        -1,
        "Exact number of residents taking part in week 0, drawn uniformly without replacement "
        "(−1 = draw each with probability initial_share; otherwise initial_share must be 0)",
        unit="residents",
        lo=-1,
        hi=1e7,
    )
    sticky: bool = p(
        False, "Once taking part, always taking part (Granovetter/Watts irreversibility)"
    )
    temperature: float = p(
        0.1,
        "Logit choice: a resident takes part with probability 1 / (1 + exp(−(score − "
        "threshold) / temperature)); 0 = the deterministic threshold rule",
        unit="score",
        lo=0.0,
        hi=10.0,
    )
    party_bonus: float = p(
        0.2,
        "Extra score of active Party members (they are asked to take part: more active)",
        unit="score",
        lo=0.0,
        hi=10.0,
    )
    coproduction: float = p(
        0.01,
        "Volunteer service capacity each resident taking part adds to the residents' "
        "committees and volunteer teams the next week (co-production)",
        unit="needs/week",
        lo=0.0,
        hi=10.0,
    )


@dataclass(frozen=True)
class DeliberationParams:
    """Mechanism 5: periodic consultation, deliberation and decision."""

    enabled: bool = p(True, "Community issues are periodically put to consultation")
    interval: int = p(4, "Weeks between consultations", unit="weeks", lo=1, hi=1000)
    rounds: int = p(
        2,
        "Deliberation encounters per participant at a consultation",
        unit="encounters",
        lo=0,
        hi=100,
    )
    trust_effect: float = p(
        0.02,
        "Trust change of participants when a decision passes with broad agreement (scaled)",
        unit="fraction",
        lo=0.0,
        hi=1.0,
    )
    project_capacity: float = p(
        2.0,
        "Service capacity a passed decision's project adds to the residents' committees and "
        "volunteer teams until the next consultation, per 1,000 residents",
        unit="needs/week",
        lo=0.0,
        hi=1e3,
    )


@dataclass(frozen=True)
class ConflictParams:
    """Mechanism 6: disputes, mediation and escalation."""

    enabled: bool = p(True, "Disputes arise between residents and with property management")
    rate: float = p(
        0.002, "Disputes arising per resident per week", unit="disputes/week", lo=0.0, hi=1.0
    )
    with_management: float = p(
        0.3,
        "Share of disputes that set a resident against property management",
        unit="fraction",
        lo=0.0,
        hi=1.0,
    )
    base_mediation: float = p(
        0.15,
        "Weekly probability an open dispute is mediated without organizational leadership",
        unit="probability/week",
        lo=0.0,
        hi=1.0,
    )
    escalate_after: int = p(
        4,
        "Weeks an unmediated dispute stays open before it escalates",
        unit="weeks",
        lo=1,
        hi=1000,
    )
    trust_loss: float = p(
        0.1,
        "Trust lost by each party when a dispute escalates (× trust)",
        unit="fraction",
        lo=0,
        hi=1,
    )
    repulsion: float = p(
        0.1,
        "How far escalation pushes the two parties' opinions apart",
        unit="opinion",
        lo=0.0,
        hi=1.0,
    )
    trust_gain: float = p(
        0.05,
        "Trust gained by each party when a dispute is mediated (× (1 − trust))",
        unit="fraction",
        lo=0.0,
        hi=1.0,
    )
    request_share: float = p(
        0.5,
        "Probability that a new dispute's first party asks an organization to mediate (a "
        "'disputes' need; resolving it mediates the dispute)",
        unit="probability",
        lo=0.0,
        hi=1.0,
    )
    feud_weeks: int = p(
        0,
        "Weeks an escalated dispute between two neighbours stays a feud: every feud week "
        "pushes the pair ``repulsion`` apart again (0 = only the one push at escalation)",
        unit="weeks",
        lo=0,
        hi=1000,
        source="assumed: off by default (classic one-off push); a lasting negative relation "
        "is the negative-influence reading of Flache et al. 2017",
    )


@dataclass(frozen=True)
class TurnoverParams:
    """Residential turnover: residents move out, new residents move in (rates by group)."""

    enabled: bool = p(
        True,
        "Residents move out at their group's weekly turnover rate and are replaced by a new "
        "resident of the same group",
    )
    tie_homophily: float = p(
        -1.0,
        "Probability that each of the new resident's ties goes to a resident of its own group "
        "(−1 = network.homophily on the block model, else no preference)",
        unit="probability",
        lo=-1.0,
        hi=1.0,
    )


# --------------------------------------------------------------------------------------------
# Organizations
# --------------------------------------------------------------------------------------------


def _default_org_counts() -> tuple[int, ...]:
    return (1, 1, 2, 1, 3, 2, 3, 2)


def _default_org_categories() -> tuple[str, ...]:
    # One entry per kind: the need categories it handles, '+'-separated ('' = none).
    return (
        "disputes",
        "disputes+sanitation+elder_care",
        "repairs+sanitation+parking",
        "parking+repairs",
        "elder_care+disputes",
        "safety+sanitation",
        "elder_care+safety",
        "elder_care+sanitation",
    )


@dataclass(frozen=True)
class OrganizationParams:
    """The organizations of the community."""

    counts: tuple[int, ...] = p(
        None,
        "Number of organizations of each kind: " + ", ".join(ORG_KINDS),
        unit="organizations",
        lo=0,
        hi=1000,
        factory=_default_org_counts,
    )
    categories: tuple[str, ...] = p(
        None,
        "Need categories each kind handles ('+'-separated), in the order of ORG_KINDS",
        factory=_default_org_categories,
    )
    leader_capacity_share: float = p(
        0.1,
        "Share of all service capacity and resources held by the leading organization",
        unit="fraction",
        lo=0.0,
        hi=1.0,
    )
    base_links: float = p(
        0.1,
        "Density of co-building links between organizations without organizational leadership",
        unit="fraction of pairs",
        lo=0.0,
        hi=1.0,
    )


# --------------------------------------------------------------------------------------------
# Levers (each lever's own parameters) and the strategy that sets their efforts
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IdeologicalParams:
    """Ideological leadership (思想引领): value-guidance activities and exemplars."""

    reach: float = p(
        0.1,
        "Share of residents an activity reaches at full effort",
        unit="fraction",
        lo=0.0,
        hi=1.0,
    )
    frequency: float = p(
        1.0, "Value-guidance activities per week at full effort", unit="1/week", lo=0.0, hi=7.0
    )
    pull: float = p(
        0.2,
        "Pull of an activity on an attendee's opinion toward the agenda (× trust)",
        unit="fraction",
        lo=0.0,
        hi=1.0,
    )
    exemplar_boost: float = p(
        0.5,
        "Extra Party-member exemplar strength at full effort",
        unit="fraction",
        lo=0.0,
        hi=1.0,
    )
    backfire_below: float = p(
        0.0,
        "Trust below which an activity pushes attendees away from the agenda (0 = never)",
        unit="trust",
        lo=0.0,
        hi=1.0,
    )


@dataclass(frozen=True)
class PoliticalParams:
    """Political leadership (政治引领): capacity, resources, mass line, ways residents like."""

    capacity_gain: float = p(
        2.0,
        "Relative increase of the leading organization's capacity at full effort",
        unit="×",
        lo=0.0,
        hi=100.0,
    )
    resource_gain: float = p(
        2.0,
        "Relative increase of the leading organization's resources at full effort",
        unit="×",
        lo=0.0,
        hi=100.0,
    )
    mass_line: float = p(
        1.0,
        "Probability (× effort) that the leading organization takes on the most common "
        "categories of the backlog",
        unit="probability",
        lo=0.0,
        hi=1.0,
    )
    mass_line_categories: int = p(
        2,
        "How many of the most common backlog categories it takes on",
        unit="categories",
        lo=0,
        hi=len(CATEGORIES),
    )
    cost_reduction: float = p(
        0.3,
        "Reduction of participation cost ('ways of working residents like') at full effort",
        unit="fraction",
        lo=0.0,
        hi=1.0,
    )


@dataclass(frozen=True)
class OrganizationalParams:
    """Organizational leadership (组织引领): co-building, routing, pooling, mediation."""

    link_density: float = p(
        0.8,
        "Density of co-building links at full effort",
        unit="fraction of pairs",
        lo=0.0,
        hi=1.0,
    )
    routing: float = p(
        0.8,
        "Weekly probability (× effort) that a need held by the wrong organization is passed "
        "to a linked one that can handle it",
        unit="probability/week",
        lo=0.0,
        hi=1.0,
    )
    pooling: float = p(
        0.5,
        "Share (× effort) of unused resources a linked organization lends",
        unit="fraction",
        lo=0.0,
        hi=1.0,
    )
    mediation: float = p(
        0.5,
        "Extra weekly mediation probability of open disputes at full effort",
        unit="probability/week",
        lo=0.0,
        hi=1.0,
    )


@dataclass(frozen=True)
class SmartParams:
    """Smart leadership (智慧引领): the community platform and shared data."""

    adoption_rate: float = p(
        0.1,
        "Weekly adoption probability at full effort and full literacy",
        unit="probability/week",
        lo=0.0,
        hi=1.0,
    )
    peer_effect: float = p(
        1.0, "Extra adoption from the share of adopting neighbours", unit="×", lo=0.0, hi=10.0
    )
    visibility: float = p(
        0.5,
        "Weight adopters give to community-wide participation over their neighbours'",
        unit="fraction",
        lo=0.0,
        hi=1.0,
    )
    cost_reduction: float = p(
        0.3, "Participation cost reduction for adopters", unit="fraction", lo=0.0, hi=1.0
    )
    data_discovery: float = p(
        0.3,
        "Weekly probability (× effort) that shared data reveals an unreported need",
        unit="probability/week",
        lo=0.0,
        hi=1.0,
    )
    online_share: float = p(
        0.3,
        "Share of an adopter's encounters that happen on the platform",
        unit="fraction",
        lo=0.0,
        hi=1.0,
    )
    echo_chamber: float = p(
        0.0,
        "Probability that an online partner is drawn from the adopter's own group",
        unit="probability",
        lo=0.0,
        hi=1.0,
    )


@dataclass(frozen=True)
class LeverParams:
    """Each lever's own parameters."""

    ideological: IdeologicalParams = p(None, "Ideological lever", factory=IdeologicalParams)
    political: PoliticalParams = p(None, "Political lever", factory=PoliticalParams)
    organizational: OrganizationalParams = p(
        None, "Organizational lever", factory=OrganizationalParams
    )
    smart: SmartParams = p(None, "Smart lever", factory=SmartParams)


ENGINE_KINDS = ("array", "reference")


@dataclass(frozen=True)
class EngineParams:
    """How the model is computed. These settings do not change the model's outcomes; the
    engine kind changes the random numbers drawn, so a seed gives other numbers, but the
    distribution of every outcome over seeds is the same (tests/docking)."""

    kind: str = p(
        "array",
        "Engine: 'array' (vectorized numpy, fast) or 'reference' (one Mesa agent per resident "
        "with its own step(), activated in random order; the readable specification, slow). "
        "Same rules and outcome distributions, different random numbers per seed",
        choices=ENGINE_KINDS,
    )
    agent_views_max: int = p(
        200_000,
        "Create a Mesa Resident view per resident only up to this population "
        "(above it, views are made on demand by model.resident(i))",
        unit="residents",
        lo=0,
        hi=1e9,
    )
    collect_agents_every: int = p(
        0,
        "Record a per-resident snapshot every this many weeks (0 = only the final state)",
        unit="weeks",
        lo=0,
        hi=1e9,
    )


@dataclass(frozen=True)
class MetricParams:
    """How outcomes are measured (``sim.metrics``). These settings change recorded numbers,
    never the dynamics."""

    polarization_alpha: float = p(
        1.0,
        "Polarization sensitivity α of the Duclos–Esteban–Ray index (their admissible range "
        "0.25 … 1; 0 would be the Gini mean difference)",
        unit="",
        lo=0.25,
        hi=1.0,
    )
    polarization_bandwidth: float = p(
        0.05,
        "Width h (sd) of the Gaussian kernel smoothing opinions in the polarization index "
        "(fixed on the opinion scale; assumed, see docs/odd.md; ≥ 0.02 keeps the 1/1024 grid's "
        "error below 10⁻³)",
        unit="opinion",
        lo=0.02,
        hi=0.5,
    )
    cluster_min_share: float = p(
        0.01,
        "Smallest share of residents a run of opinions needs to count as a cluster",
        unit="fraction",
        lo=0.0,
        hi=1.0,
    )
    cluster_max_span: float = p(
        0.1,
        "Widest opinion range a counted cluster may have; wider means the opinions have not "
        "settled and the cluster count is undefined (NaN)",
        unit="opinion",
        lo=0.0,
        hi=1.0,
    )
    consensus_sd: float = p(
        0.02,
        "Consensus tolerance: opinions count as a consensus while their standard deviation "
        "is at most this (time to consensus, the consensus indicator)",
        unit="opinion",
        lo=0.0,
        hi=0.5,
    )


@dataclass(frozen=True)
class Params:
    """All parameters of a govsim run."""

    population: PopulationParams = p(None, "Population", factory=PopulationParams)
    network: NetworkParams = p(None, "Social network", factory=NetworkParams)
    needs: NeedsParams = p(None, "Needs and services", factory=NeedsParams)
    trust: TrustParams = p(None, "Trust", factory=TrustParams)
    opinions: OpinionParams = p(None, "Opinions", factory=OpinionParams)
    participation: ParticipationParams = p(None, "Participation", factory=ParticipationParams)
    deliberation: DeliberationParams = p(None, "Deliberation", factory=DeliberationParams)
    conflicts: ConflictParams = p(None, "Conflicts", factory=ConflictParams)
    turnover: TurnoverParams = p(None, "Residential turnover", factory=TurnoverParams)
    organizations: OrganizationParams = p(None, "Organizations", factory=OrganizationParams)
    levers: LeverParams = p(None, "Lever parameters", factory=LeverParams)
    costs: CostParams = p(None, "Lever costs (the common cost model)", factory=CostParams)
    strategy: StrategyParams = p(None, "Leadership strategy", factory=StrategyParams)
    engine: EngineParams = p(None, "Engine settings", factory=EngineParams)
    metrics: MetricParams = p(None, "Outcome measurement settings", factory=MetricParams)

    def replace(self, **overrides: Any) -> Params:
        """Return a validated copy with dotted-name overrides applied."""
        return build_params(self, overrides)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the validation mark (:func:`sim.schema.mark_validated`)."""
        return unmarked_state(self)

    def to_dict(self) -> dict[str, Any]:
        """Nested plain-Python form (JSON/YAML-ready)."""
        return to_dict(self)

    def flat(self) -> dict[str, Any]:
        """Flat ``{dotted name: value}`` form."""
        return flatten(self)


# --------------------------------------------------------------------------------------------
# Building and validating Params (the generic machinery is sim/schema.py)
# --------------------------------------------------------------------------------------------


def iter_fields(obj: Any = None, prefix: str = "") -> Iterator[FieldInfo]:
    """Yield documentation for every leaf parameter of ``obj`` (default: ``Params()``)."""
    return _iter_fields(Params() if obj is None else obj, prefix)


def parameter_table_markdown(params: Params | None = None) -> str:
    """The parameter table of the ODD description, generated from the schema."""
    return table_markdown(params or Params())


def build_params(
    base: Params | Mapping[str, Any] | None = None,
    overrides: Mapping | None = None,
    *,
    unread: str = "refuse",
) -> Params:
    """Build validated :class:`Params` from a base and dotted-name overrides.

    Args:
        base: A :class:`Params`, a nested mapping (e.g. from YAML) or ``None`` for defaults.
        overrides: ``{dotted name: value}``; ``a__b`` is accepted for ``a.b``.
        unread: What to do with a parameter set away from its default that nothing reads
            (:func:`unread_parameters`): ``"refuse"`` (a ValueError), or ``"reset"``: put it
            back to its default when it came from ``base``, refuse it when ``overrides`` names
            it (for a change of strategy or network on a running setup, e.g. the classroom).

    Returns:
        The validated parameters.

    Raises:
        ValueError: An unknown name, a wrong type, an out-of-range value or an impossible
            combination; the message names the parameter, the value and what is allowed.
    """
    if unread not in ("refuse", "reset"):
        raise ValueError(f"unread={unread!r}: allowed: refuse, reset")
    if isinstance(base, Params) and is_validated(base) and not overrides:
        return base  # validated once already (build_params, validate): nothing to check
    if base is None:
        params = Params()  # the defaults (tests/engine/test_params.py: they validate)
    elif isinstance(base, Params):
        params = base
        if not is_validated(base):
            check_ranges(base)  # built directly, not through override: check every leaf once
    elif isinstance(base, Mapping):
        params = Params()
        for k, v in base.items():  # nested, dotted ({"opinions.mu": 0.1}) or both
            params = override(params, str(k).split("."), v, str(k))
    else:
        raise ValueError(f"params must be a Params or a mapping, got {type(base).__name__}")
    given = []
    for key, value in (overrides or {}).items():
        key = normalise_key(str(key))
        given.append(key)
        params = override(params, key.split("."), value, key)
    if unread == "reset":
        defaults = Params()
        for message in unread_parameters(params):
            name = message.split("=", 1)[0].split()[-1]
            if not any(name == g or name.startswith(g + ".") for g in given):
                params = override(params, name.split("."), lookup(defaults, name), name)
    # Every leaf's range was checked once on its way in (override checks what it sets):
    # what is left are the rules across parameters.
    check_rules(params)
    return mark_validated(params)


def validate(params: Params) -> Params:
    """Check a :class:`Params` built some other way than :func:`build_params` (ranges and
    choices of every leaf, then :func:`check_rules`); returns it marked as validated.

    Raises:
        ValueError: The first problem found, naming the parameter and what is allowed.
    """
    check_ranges(params)
    check_rules(params)
    return mark_validated(params)


def check_rules(params: Params) -> None:
    """Check the rules across parameters (group shares sum to 1, list lengths, one leading
    organization, the strategy window, the threshold list, the initial participants, settings
    nothing reads, the network degree); the ranges of single values are checked where they are
    set (:func:`sim.schema.override`) or by :func:`validate`."""
    pop = params.population
    if not pop.groups:
        raise ValueError("parameter population.groups={}: at least one group is required")
    total = sum(g.share for g in pop.groups.values())
    if abs(total - 1.0) > 1e-6:
        shares = ", ".join(f"{k}={g.share:g}" for k, g in pop.groups.items())
        raise ValueError(
            f"parameter population.groups.*.share: shares sum to {total:.6g} ({shares}); "
            "they must sum to 1"
        )
    # More Party members than residents cannot happen: party_share ≤ 1 is checked above.
    nc = len(CATEGORIES)
    for name in ("category_mix", "category_cost"):
        val = getattr(params.needs, name)
        if len(val) != nc:
            raise ValueError(
                f"parameter needs.{name}={list(val)!r}: needs {nc} values, one per category "
                f"({', '.join(CATEGORIES)})"
            )
    if sum(params.needs.category_mix) <= 0:
        raise ValueError(
            f"parameter needs.category_mix={list(params.needs.category_mix)!r}: "
            "at least one weight must be positive"
        )
    orgs = params.organizations
    nk = len(ORG_KINDS)
    if len(orgs.counts) != nk:
        raise ValueError(
            f"parameter organizations.counts={list(orgs.counts)!r}: needs {nk} values, one per "
            f"kind ({', '.join(ORG_KINDS)})"
        )
    if len(orgs.categories) != nk:
        raise ValueError(
            f"parameter organizations.categories={list(orgs.categories)!r}: needs {nk} entries, "
            f"one per kind ({', '.join(ORG_KINDS)})"
        )
    for kind, cats in zip(ORG_KINDS, orgs.categories, strict=True):
        for c in filter(None, cats.split("+")):
            if c not in CATEGORIES:
                raise ValueError(
                    f"parameter organizations.categories: {kind} lists {c!r}; "
                    f"allowed categories: {', '.join(CATEGORIES)}{suggest(c, list(CATEGORIES))}"
                )
    if orgs.counts[0] < 1:
        raise ValueError(
            f"parameter organizations.counts[0]={orgs.counts[0]}: the community needs one "
            "leading organization (party_committee ≥ 1)"
        )
    if orgs.counts[1] < 1:
        raise ValueError(
            f"parameter organizations.counts[1]={orgs.counts[1]}: residents report to the "
            "residents' committee, so at least one is required"
        )
    s = params.strategy
    if s.end_step != -1 and s.end_step < s.start_step:
        raise ValueError(
            f"parameter strategy.end_step={s.end_step}: must be −1 (never) or ≥ "
            f"strategy.start_step={s.start_step}"
        )
    if pop.threshold_distribution == "explicit":
        if len(pop.thresholds) != pop.n_residents:
            raise ValueError(
                f"parameter population.thresholds: {len(pop.thresholds)} values given; "
                f"threshold_distribution='explicit' needs exactly population.n_residents="
                f"{pop.n_residents}, one per resident"
            )
    elif pop.thresholds:
        raise ValueError(
            f"parameter population.thresholds: {len(pop.thresholds)} values given but "
            f"population.threshold_distribution={pop.threshold_distribution!r} does not read "
            "them; set threshold_distribution='explicit' or drop the list"
        )
    part = params.participation
    if part.initial_count >= 0:
        if part.initial_share != 0:
            raise ValueError(
                f"parameter participation.initial_count={part.initial_count}: give either an "
                f"exact count or participation.initial_share (={part.initial_share:g}), not "
                "both; set initial_share=0 with initial_count"
            )
        if part.initial_count > pop.n_residents:
            raise ValueError(
                f"parameter participation.initial_count={part.initial_count}: at most "
                f"population.n_residents={pop.n_residents}"
            )
    unread = unread_parameters(params)
    if unread:
        more = f" (and {len(unread) - 1} more)" if len(unread) > 1 else ""
        raise ValueError(unread[0] + more)
    net = params.network
    if net.kind != "complete" and net.mean_degree >= pop.n_residents:
        raise ValueError(
            f"parameter network.mean_degree={net.mean_degree:g}: must be below "
            f"population.n_residents={pop.n_residents}"
        )


#: Parameters that only one mechanism reads, and only while it is switched on
#: (``<section>.enabled``). Verified against sim/mechanisms, sim/model.py and sim/reference.py:
#: other fields of these sections are also read elsewhere (``opinions.agenda`` by the
#: set-up, participation and the metrics; ``trust.memory`` by the needs mechanism;
#: ``participation.initial_share`` by the set-up), so they are not listed.
MECHANISM_ONLY: dict[str, tuple[str, ...]] = {
    "needs": (
        "rate", "category_mix", "max_wait", "report_prob", "know_right_org",
        "capacity_per_1000", "resources_per_1000", "resource_buffer_weeks", "category_cost",
    ),
    "trust": ("gain_resolved", "loss_unresolved", "social_weight"),
    "opinions": ("mu", "interactions", "exemplar_strength", "party_anchor", "noise"),
    "participation": ("w_social", "w_trust", "w_agreement", "w_served", "w_cost", "sticky"),
    "deliberation": ("interval", "rounds", "trust_effect"),
    "conflicts": (
        "rate", "with_management", "base_mediation", "escalate_after", "trust_loss",
        "repulsion", "trust_gain",
    ),
}  # fmt: skip

#: Network parameters and the generators (``network.kind``) that read them.
NETWORK_READERS: dict[str, tuple[str, ...]] = {
    "mean_degree": ("small_world", "scale_free", "erdos_renyi", "sbm"),
    "rewire": ("small_world",),
    "homophily": ("sbm",),
    "powerlaw_exponent": ("scale_free",),
}

#: Opinion parameters and the influence rules (``opinions.rule``) that read them.
RULE_READERS: dict[str, tuple[str, ...]] = {
    "rejection": ("repulsive",),
    "bias": ("biased_assimilation",),
    "pairing": tuple(r for r in OPINION_RULES if r != "hegselmann_krause"),
}

#: Engine parameters and the engines (``engine.kind``) that read them.
ENGINE_READERS: dict[str, tuple[str, ...]] = {"agent_views_max": ("array",)}


def unread_parameters(params: Params) -> list[str]:
    """One message for each parameter set away from its default that nothing would read.

    A parameter is unread when the chosen strategy (``strategy.*`` fields, and the lever
    parameters ``levers.<lever>.*`` of levers no chosen strategy can use), network generator,
    opinion rule, engine, or a switched-off mechanism does not read it. Each message names the
    parameter, its value, and what would read it.
    """
    default = Params()
    out: list[str] = []

    def changed(section: str, name: str) -> Any:
        value = getattr(getattr(params, section), name)
        return value != getattr(getattr(default, section), name), value

    for section, names in MECHANISM_ONLY.items():
        if getattr(params, section).enabled:
            continue
        for name in names:
            differs, value = changed(section, name)
            if differs:
                out.append(
                    f"parameter {section}.{name}={show(value)}: not read while "
                    f"{section}.enabled=false (set {section}.enabled=true to use it)"
                )
    # Settings read only under some choices: (section, readers, the choosing field).
    for section, table, choice in (
        ("network", NETWORK_READERS, "kind"),
        ("opinions", RULE_READERS, "rule"),
        ("engine", ENGINE_READERS, "kind"),
    ):
        chosen = getattr(getattr(params, section), choice)
        for name, kinds in table.items():
            differs, value = changed(section, name)
            if differs and chosen not in kinds:
                out.append(
                    f"parameter {section}.{name}={show(value)}: not read by "
                    f"{section}.{choice}={chosen}; read by {section}.{choice}=" + " or ".join(kinds)
                )
    reads = strategy_reads(params.strategy)
    if reads is None:  # an unknown name: make_strategy reports it
        return out
    fields, levers, readers = reads
    name = params.strategy.name
    for f in dataclasses.fields(StrategyParams):
        differs, value = changed("strategy", f.name)
        if differs and f.name not in fields:
            who = readers(f.name)
            out.append(
                f"parameter strategy.{f.name}={show(value)}: strategy.name={name!r} does not "
                f"read it; read by strategy.name=" + (" or ".join(who) if who else "none")
            )
    if not reads_costs(params.strategy):
        for f in dataclasses.fields(CostParams):
            differs, value = changed("costs", f.name)
            if differs:
                out.append(
                    f"parameter costs.{f.name}={show(value)}: strategy.name={name!r} does not "
                    "spend a budget; read by strategy.name=" + " or ".join(sorted(COST_STRATEGIES))
                )
    for lever in LeverParams.__dataclass_fields__:
        if lever in levers:
            continue
        sub, sub_default = getattr(params.levers, lever), getattr(default.levers, lever)
        for f in dataclasses.fields(sub):
            value = getattr(sub, f.name)
            if value != getattr(sub_default, f.name):
                out.append(
                    f"parameter levers.{lever}.{f.name}={show(value)}: strategy.name={name!r} "
                    f"never uses the {lever} lever; read by strategies that do (e.g. "
                    f"strategy.name={lever} or integrated)"
                )
    return out


# --------------------------------------------------------------------------------------------
# Where each default comes from (the "source" column of docs/parameters.md)
# --------------------------------------------------------------------------------------------

_A = "assumed: "

#: ``"Class.field" -> where its default comes from``: a cited figure, a stylised fact, a
#: literature convention, a setting, or "assumed" with the reasoning. Attached to every field's
#: metadata as ``source`` by :func:`_attach_sources` (a test checks that none is missing).
_COST_SOURCE = (
    "assumed: the same for every lever, about half a community worker's week per 1,000 "
    "residents, because no source gives the levers' relative costs; the exponents carry the "
    "difference between levers. Vary costs.* to test a comparison's sensitivity to it"
)

SOURCES: dict[str, str] = {
    # population
    "PopulationParams.n_residents": "setting: a large urban community (shequ) of a few "
    "thousand residents; results are reported per resident or per 1,000",
    "PopulationParams.party_share": "sourced: ≈ 99 million CPC members at the end of 2023 "
    "(CPC Central Organization Department) over ≈ 1.41 billion people ≈ 7 %",
    "PopulationParams.party_active_share": _A + "most members registered in a community "
    "report to it (the 'reporting to the community' campaign); no figure found",
    "PopulationParams.groups": "setting: five groups named in the source (§1 'group "
    "differentiation'); traits below",
    "GroupParams.share": _A + "a mixed older community; no survey used",
    "GroupParams.opinion_mean": _A + "long-term residents and the elderly nearer the agenda "
    "(0.6) than newcomers and renters (0.4)",
    "GroupParams.opinion_spread": _A + "half the opinion scale, so groups overlap",
    "GroupParams.tolerance": _A + "0.2–0.3, near the DW consensus threshold (≈ 0.25 on "
    "uniform opinions, Deffuant et al. 2000) so that levers can tip it",
    "GroupParams.trust_mean": _A + "middling trust (0.4–0.6), higher for long-term residents",
    "GroupParams.threshold_mean": _A + "set so that ≈ 10–25 % take part without leadership",
    "GroupParams.threshold_sd": _A + "heterogeneous thresholds (Granovetter 1978 uses a "
    "distribution; its width here is a guess)",
    "GroupParams.cost": _A + "higher for working-age groups (time), lowest for the elderly",
    "GroupParams.digital_literacy": "stylised fact: the elderly adopt digital services least "
    "(digital divide); sizes assumed",
    "GroupParams.need_rate": _A + "the elderly and newcomers raise more needs",
    "GroupParams.membership": _A + "long-term residents and the elderly most often belong to "
    "an organization",
    "GroupParams.turnover": _A + "renters 0.004/week (≈ 19 %/year), newcomers 0.002, young "
    "families 0.001, long-term and elderly 0.0005 (≈ 2.6 %/year); renting is the more mobile "
    "tenure (stylised fact), sizes are guesses",
    # network
    "NetworkParams.kind": "setting: homophilous block model (residents mix most within their "
    "group, stylised fact of homophily, McPherson et al. 2001)",
    "NetworkParams.mean_degree": _A + "a handful of neighbourhood acquaintances",
    "NetworkParams.rewire": "literature convention: Watts & Strogatz (1998) small-world regime",
    "NetworkParams.homophily": _A + "most ties inside one's group",
    "NetworkParams.powerlaw_exponent": "stylised fact: degree exponents of social networks "
    "mostly lie between 2 and 3",
    # needs
    "NeedsParams.enabled": "setting: mechanism on",
    "NeedsParams.rate": _A + "about one need a resident a year (0.02/week)",
    "NeedsParams.category_mix": _A + "repairs most common; no complaint statistics used",
    "NeedsParams.max_wait": _A + "two months before a need is given up",
    "NeedsParams.report_prob": _A + "offline reporting takes about three weeks on average",
    "NeedsParams.know_right_org": _A + "residents know the right organization half the time "
    "(the 'silos' of source §3)",
    "NeedsParams.capacity_per_1000": _A + "capacity slightly below demand without leadership "
    "(≈ 23 needs/week per 1,000 raised), so service is thin",
    "NeedsParams.resources_per_1000": _A + "resources just cover capacity at the mean cost",
    "NeedsParams.resource_buffer_weeks": _A + "a month of savings",
    "NeedsParams.category_cost": _A + "repairs and elder care cost most",
    # trust
    "TrustParams.enabled": "setting: mechanism on",
    "TrustParams.gain_resolved": _A + "one resolved need closes 15 % of the gap to full trust",
    "TrustParams.loss_unresolved": _A + "a failure weighs more than a success (negativity "
    "bias, stylised fact); sizes assumed",
    "TrustParams.social_weight": _A + "trust follows neighbours slowly (≈ 20-week time scale)",
    "TrustParams.memory": _A + "service experience is remembered for about a month",
    "TrustParams.attribution_others": _A + "residents credit (and blame) the leading "
    "organization for all community service, since it leads all of it (source §3); 0 tests "
    "the opposite",
    # opinions
    "OpinionParams.enabled": "setting: mechanism on",
    "OpinionParams.mu": "literature convention: Deffuant et al. (2000) use μ ∈ (0, 0.5]; μ "
    "changes convergence time more than outcomes",
    "OpinionParams.interactions": _A + "one conversation on community affairs a week",
    "OpinionParams.agenda": "setting: the scale is oriented so that 1 is the shared agenda",
    "OpinionParams.exemplar_strength": _A + "Party members persuade more (source §1); size a guess",
    "OpinionParams.party_anchor": _A + "10 % of the way back to the agenda a week while committed",
    "OpinionParams.counter_share": "setting: no contrarians in the default community "
    "(the counter_currents scenario has 5 %)",
    "OpinionParams.noise": _A + "one resident in ten changes view for outside reasons in a "
    "year (uniform redraw, Pineda et al. 2009)",
    "OpinionParams.cluster_gap": "setting: a gap of 0.05 separates clusters (metric)",
    "OpinionParams.anchor_decay": _A + "commitment without renewal halves in ≈ 35 weeks",
    # participation
    "ParticipationParams.enabled": "setting: mechanism on",
    "ParticipationParams.w_social": _A + "social proof the largest single motive (Granovetter "
    "1978; Watts 2002 use it alone)",
    "ParticipationParams.w_trust": _A + "trust in the leading organization a motive (source §2)",
    "ParticipationParams.w_agreement": _A + "agreement with the agenda a motive (source §1)",
    "ParticipationParams.w_served": _A + "being served a motive (source §2)",
    "ParticipationParams.w_cost": "setting: the unit of the score (cost enters with weight 1)",
    "ParticipationParams.initial_share": _A + "a tenth of residents active at the start",
    "ParticipationParams.sticky": "setting: off (participation is reversible); on in the "
    "threshold preset (Granovetter 1978)",
    "ParticipationParams.temperature": _A + "a tenth of the threshold spread: the score "
    "decides most choices, residents near their threshold rotate",
    "ParticipationParams.party_bonus": _A + "Party members are asked to take part (source §1 "
    "'report to the community'); size a guess",
    "ParticipationParams.coproduction": _A + "100 residents taking part add one need a week of "
    "volunteer service (the source's 'governance community'); size a guess",
    # deliberation
    "DeliberationParams.enabled": "setting: mechanism on",
    "DeliberationParams.interval": _A + "a consultation a month",
    "DeliberationParams.rounds": _A + "two exchanges per participant at a meeting",
    "DeliberationParams.trust_effect": _A + "legitimacy through participation; size a guess",
    "DeliberationParams.project_capacity": _A + "an agreed project adds ≈ 15 % to the "
    "community's service capacity for a month; size a guess",
    # conflicts
    "ConflictParams.enabled": "setting: mechanism on",
    "ConflictParams.rate": _A + "about one dispute per 10 residents a year",
    "ConflictParams.with_management": _A + "a third of disputes are with property management",
    "ConflictParams.base_mediation": _A + "a weekly chance of 0.15 of settling on its own",
    "ConflictParams.escalate_after": _A + "a month",
    "ConflictParams.trust_loss": _A + "an escalation costs 10 % of trust",
    "ConflictParams.repulsion": _A + "negative influence between quarrelling neighbours "
    "(Flache et al. 2017 review such rules); size a guess",
    "ConflictParams.trust_gain": _A + "a mediation gains 5 % of the gap to full trust",
    "ConflictParams.request_share": _A + "half of disputes are brought to an organization",
    # turnover
    "OpinionParams.rule": "literature convention: Deffuant et al. 2000 bounded confidence (the "
    "classic rule); the rival rules are selectable",
    "OpinionParams.pairing": "literature convention: edge-uniform pairs, as in classic DW on "
    "networks",
    "TurnoverParams.enabled": "setting: on (the stationary regime rests on it)",
    "TurnoverParams.tie_homophily": "setting: −1 = the network's homophily, so new residents' "
    "ties keep the network's mixing",
    # organizations
    "OrganizationParams.counts": _A + "a typical mix of the kinds the source names (§3)",
    "OrganizationParams.categories": _A + "each kind serves the needs its name suggests",
    "OrganizationParams.leader_capacity_share": _A + "the Party committee itself serves little "
    "without political leadership",
    "OrganizationParams.base_links": _A + "few co-building links without leadership (the "
    "'silos' of source §3)",
    # levers
    "IdeologicalParams.reach": _A + "an activity reaches a tenth of residents",
    "IdeologicalParams.frequency": _A + "one activity a week at full effort",
    "IdeologicalParams.pull": _A + "an attendance moves 20 % × trust of the way",
    "IdeologicalParams.exemplar_boost": _A + "full ideological effort doubles exemplar strength",
    "IdeologicalParams.backfire_below": "setting: off (reactance is an option)",
    "PoliticalParams.capacity_gain": _A + "full effort triples the leader's capacity",
    "PoliticalParams.resource_gain": _A + "full effort triples the leader's resources",
    "PoliticalParams.mass_line": _A + "at full effort the leader always takes on the top "
    "categories",
    "PoliticalParams.mass_line_categories": _A + "the two most common backlog categories",
    "PoliticalParams.cost_reduction": _A + "'ways residents like' cut cost by 30 %",
    "OrganizationalParams.link_density": _A + "most organization pairs linked at full effort",
    "OrganizationalParams.routing": _A + "a misrouted need is passed on within ≈ 1 week",
    "OrganizationalParams.pooling": _A + "half of unused resources lent",
    "OrganizationalParams.mediation": _A + "full effort mediates a dispute in ≈ 1.5 weeks",
    "SmartParams.adoption_rate": _A + "adoption over months at full effort (Rogers 2003 "
    "S-curve shape)",
    "SmartParams.peer_effect": _A + "adopting neighbours double adoption (Rogers 2003)",
    "SmartParams.visibility": _A + "the platform shows half community-wide activity",
    "SmartParams.cost_reduction": _A + "taking part online cuts cost by 30 %",
    "SmartParams.data_discovery": _A + "shared data reveals a hidden need in ≈ 3 weeks",
    "SmartParams.online_share": _A + "a third of an adopter's conversations happen online",
    "SmartParams.echo_chamber": "setting: off (online partners uniform among adopters)",
    # strategy and engine
    "StrategyParams.name": "setting: no leadership (the weak baseline)",
    "StrategyParams.ideological": "setting: lever off",
    "StrategyParams.political": "setting: lever off",
    "StrategyParams.organizational": "setting: lever off",
    "StrategyParams.smart": "setting: lever off",
    "StrategyParams.start_step": "setting: from the first week",
    "StrategyParams.end_step": "setting: never stops",
    "StrategyParams.budget": "setting: the cost of one lever at full effort under the default "
    "costs (20 staff-hours a week per 1,000 residents)",
    # the common cost model (sim/costs.py)
    "CostParams.ideological": _COST_SOURCE,
    "CostParams.political": _COST_SOURCE,
    "CostParams.organizational": _COST_SOURCE,
    "CostParams.smart": _COST_SOURCE,
    "CostParams.ideological_exponent": "setting, chosen so that cost is proportional to the "
    "lever's dose: an effort e holds frequency·e activities reaching reach·e of residents, so "
    "attendances (what staff time pays for) grow as e²",
    "CostParams.political_exponent": "setting, chosen so that cost is proportional to the "
    "dose: the added capacity, resources, mass-line probability and cost cut all grow as e",
    "CostParams.organizational_exponent": "setting, chosen so that cost is proportional to the "
    "dose: link density above base, routing, pooling and mediation all grow as e",
    "CostParams.smart_exponent": "setting, chosen so that cost is proportional to the dose: "
    "the weekly adoption probability and data discovery grow as e",
    "StrategyParams.adapt_every": _A + "a re-allocation every ten weeks",
    "StrategyParams.adapt_step": _A + "10 % of the budget moved at a time",
    "StrategyParams.options": "setting: none",
    "EngineParams.kind": "setting: the fast engine",
    "EngineParams.agent_views_max": "setting: memory bound for agent views",
    "EngineParams.collect_agents_every": "setting: final state only",
    # classic set-ups and metric definitions (issue 14)
    "PopulationParams.threshold_distribution": "setting: normal around each group's mean, as "
    "the group traits; 'explicit' and 'uniform' reproduce the classic threshold experiments",
    "PopulationParams.thresholds": "setting: empty (only read with 'explicit')",
    "ParticipationParams.initial_count": "setting: −1 (use initial_share); an exact count is "
    "for the classic threshold set-ups",
    "MetricParams.polarization_alpha": "literature convention: α = 1 is inside the "
    "admissible range 0.25 … 1 of Duclos, Esteban & Ray (2004)",
    "MetricParams.polarization_bandwidth": _A + "a kernel of sd 0.05 resolves groups 0.1 "
    "apart on the opinion scale and smooths sampling noise of a few thousand residents",
    "MetricParams.cluster_min_share": "literature convention: runs under 1 % of residents "
    "are stragglers, not clusters (as in Lorenz 2007's cluster counts)",
    "MetricParams.cluster_max_span": _A + "a settled cluster is narrower than the default "
    "cluster gap (0.1), so wider runs mean opinions are still spread",
    "MetricParams.consensus_sd": _A + "sd 0.02 (variance 4·10⁻⁴): near-identical opinions; "
    "the former variance 0.01 let a uniform spread of width 0.35 pass",
}


def _attach_sources() -> None:
    """Put :data:`SOURCES` into every schema field's metadata as ``source``."""
    import sys
    import types

    for obj in list(vars(sys.modules[__name__]).values()):
        if not (isinstance(obj, type) and dataclasses.is_dataclass(obj)) or obj is FieldInfo:
            continue
        for f in dataclasses.fields(obj):
            src = SOURCES.get(f"{obj.__name__}.{f.name}")
            if src is not None:
                f.metadata = types.MappingProxyType({**f.metadata, "source": src})


_attach_sources()

"""The one typed parameter schema of govsim.

Every parameter of the model is a field of a frozen dataclass below. Each field carries its
documentation (meaning, unit, range) in ``dataclasses.field(metadata=...)``, so the same schema
feeds the engine, the Hydra structured configs, the UI's sliders and the ODD parameter table
(``docs/parameters.md`` is generated from it by :func:`parameter_table_markdown`).

Parameters are addressed by dotted names (``"opinions.mu"``, ``"population.groups.elderly.share"``,
``"levers.smart.adoption_rate"``). :func:`build_params` applies such overrides and validates the
result; every error is a :class:`ValueError` naming the parameter, the value given and what is
allowed.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CATEGORIES",
    "OPINION_RULES",
    "ORG_KINDS",
    "PAIRINGS",
    "ConflictParams",
    "DeliberationParams",
    "EngineParams",
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
    "build_params",
    "diff",
    "flatten",
    "iter_fields",
    "parameter_table_markdown",
    "to_dict",
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


def p(
    default: Any,
    doc: str,
    *,
    unit: str = "",
    lo: float | None = None,
    hi: float | None = None,
    choices: tuple[Any, ...] | None = None,
    factory: Any = None,
    source: str = "",
) -> Any:
    """A schema field with its documentation, allowed range and where its default comes from."""
    meta = {"doc": doc, "unit": unit, "lo": lo, "hi": hi, "choices": choices, "source": source}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


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


def _default_groups() -> dict[str, GroupParams]:
    return {
        "long_term": GroupParams(
            share=0.35, opinion_mean=0.6, tolerance=0.3, trust_mean=0.6, threshold_mean=0.55,
            cost=0.2, digital_literacy=0.5, need_rate=1.0, membership=0.4,
        ),
        "newcomers": GroupParams(
            share=0.2, opinion_mean=0.4, tolerance=0.25, trust_mean=0.4, threshold_mean=0.65,
            cost=0.3, digital_literacy=0.7, need_rate=1.2, membership=0.15,
        ),
        "renters": GroupParams(
            share=0.15, opinion_mean=0.4, tolerance=0.25, trust_mean=0.4, threshold_mean=0.7,
            cost=0.3, digital_literacy=0.7, need_rate=1.0, membership=0.1,
        ),
        "elderly": GroupParams(
            share=0.2, opinion_mean=0.6, tolerance=0.2, trust_mean=0.6, threshold_mean=0.55,
            cost=0.15, digital_literacy=0.15, need_rate=1.5, membership=0.4,
        ),
        "young_families": GroupParams(
            share=0.1, opinion_mean=0.5, tolerance=0.3, trust_mean=0.5, threshold_mean=0.6,
            cost=0.35, digital_literacy=0.8, need_rate=1.2, membership=0.3,
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
        0.0,
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
# Levers (each lever's own parameters) and the strategy that sets their intensities
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IdeologicalParams:
    """Ideological leadership (思想引领): value-guidance activities and exemplars."""

    reach: float = p(
        0.1,
        "Share of residents an activity reaches at full intensity",
        unit="fraction",
        lo=0.0,
        hi=1.0,
    )
    frequency: float = p(
        1.0, "Value-guidance activities per week at full intensity", unit="1/week", lo=0.0, hi=7.0
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
        "Extra Party-member exemplar strength at full intensity",
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
        "Relative increase of the leading organization's capacity at full intensity",
        unit="×",
        lo=0.0,
        hi=100.0,
    )
    resource_gain: float = p(
        2.0,
        "Relative increase of the leading organization's resources at full intensity",
        unit="×",
        lo=0.0,
        hi=100.0,
    )
    mass_line: float = p(
        1.0,
        "Probability (× intensity) that the leading organization takes on the most common "
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
        "Reduction of participation cost ('ways of working residents like') at full intensity",
        unit="fraction",
        lo=0.0,
        hi=1.0,
    )


@dataclass(frozen=True)
class OrganizationalParams:
    """Organizational leadership (组织引领): co-building, routing, pooling, mediation."""

    link_density: float = p(
        0.8,
        "Density of co-building links at full intensity",
        unit="fraction of pairs",
        lo=0.0,
        hi=1.0,
    )
    routing: float = p(
        0.8,
        "Weekly probability (× intensity) that a need held by the wrong organization is passed "
        "to a linked one that can handle it",
        unit="probability/week",
        lo=0.0,
        hi=1.0,
    )
    pooling: float = p(
        0.5,
        "Share (× intensity) of unused resources a linked organization lends",
        unit="fraction",
        lo=0.0,
        hi=1.0,
    )
    mediation: float = p(
        0.5,
        "Extra weekly mediation probability of open disputes at full intensity",
        unit="probability/week",
        lo=0.0,
        hi=1.0,
    )


@dataclass(frozen=True)
class SmartParams:
    """Smart leadership (智慧引领): the community platform and shared data."""

    adoption_rate: float = p(
        0.1,
        "Weekly adoption probability at full intensity and full literacy",
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
        "Weekly probability (× intensity) that shared data reveals an unreported need",
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


@dataclass(frozen=True)
class StrategyParams:
    """The leadership strategy: which object sets the four lever intensities each week."""

    name: str = p(
        "none",
        "Strategy name: none, ideological, political, organizational, smart, integrated, "
        "budgeted, adaptive, 'a+b' to compose, or 'module:Class' / 'file.py:Class'",
    )
    ideological: float = p(0.0, "Ideological intensity", unit="effort", lo=0.0, hi=1.0)
    political: float = p(0.0, "Political intensity", unit="effort", lo=0.0, hi=1.0)
    organizational: float = p(0.0, "Organizational intensity", unit="effort", lo=0.0, hi=1.0)
    smart: float = p(0.0, "Smart intensity", unit="effort", lo=0.0, hi=1.0)
    start_step: int = p(
        0,
        "Week the strategy starts (a campaign); before it all intensities are 0",
        unit="week",
        lo=0,
        hi=1e9,
    )
    end_step: int = p(-1, "Week the strategy stops (−1 = never)", unit="week", lo=-1, hi=1e9)
    budget: float = p(
        1.0,
        "Total effort (sum of intensities) of budgeted and adaptive strategies",
        unit="effort",
        lo=0.0,
        hi=4.0,
    )
    adapt_every: int = p(
        10, "Adaptive strategy: weeks between re-allocations", unit="weeks", lo=1, hi=1000
    )
    adapt_step: float = p(
        0.1,
        "Adaptive strategy: share of budget moved per re-allocation",
        unit="fraction",
        lo=0.0,
        hi=1.0,
    )
    options: dict[str, float] = p(
        None, "Free numeric options for user-written strategies", factory=dict
    )


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
    organizations: OrganizationParams = p(None, "Organizations", factory=OrganizationParams)
    levers: LeverParams = p(None, "Lever parameters", factory=LeverParams)
    strategy: StrategyParams = p(None, "Leadership strategy", factory=StrategyParams)
    engine: EngineParams = p(None, "Engine settings", factory=EngineParams)
    metrics: MetricParams = p(None, "Outcome measurement settings", factory=MetricParams)

    def replace(self, **overrides: Any) -> Params:
        """Return a validated copy with dotted-name overrides applied."""
        return build_params(self, overrides)

    def to_dict(self) -> dict[str, Any]:
        """Nested plain-Python form (JSON/YAML-ready)."""
        return to_dict(self)

    def flat(self) -> dict[str, Any]:
        """Flat ``{dotted name: value}`` form."""
        return flatten(self)


# --------------------------------------------------------------------------------------------
# Generic machinery: walking, overriding, validating, documenting
# --------------------------------------------------------------------------------------------


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _is_dc(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def to_dict(obj: Any) -> Any:
    """Convert a schema object to nested dicts / lists of plain values."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): to_dict(v) for k, v in obj.items()}
    if isinstance(obj, tuple | list):
        return [to_dict(v) for v in obj]
    return obj


def flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    """Flatten a schema object to ``{dotted name: leaf value}``.

    Tuples are leaves; mappings of dataclasses (the groups) are walked by key.
    """
    out: dict[str, Any] = {}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            out.update(flatten(getattr(obj, f.name), f"{prefix}{f.name}."))
        return out
    if isinstance(obj, Mapping) and obj and all(dataclasses.is_dataclass(v) for v in obj.values()):
        for k, v in obj.items():
            out.update(flatten(v, f"{prefix}{k}."))
        return out
    out[prefix[:-1]] = obj
    return out


@dataclass(frozen=True)
class FieldInfo:
    """Documentation of one leaf parameter."""

    name: str
    type: str
    default: Any
    doc: str
    unit: str
    lo: float | None
    hi: float | None
    choices: tuple[Any, ...] | None

    @property
    def allowed(self) -> str:
        """Human-readable allowed values."""
        if self.choices:
            return "one of " + ", ".join(map(str, self.choices))
        if self.type == "bool":
            return "true or false"
        if self.lo is not None and self.hi is not None:
            return f"{_fmt(self.lo)} … {_fmt(self.hi)}"
        return "any " + self.type


def _fmt(x: float) -> str:
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        x = int(x)
    if isinstance(x, int) and abs(x) >= 10**6:
        return f"{x:.0e}".replace("e+0", "e").replace("e+", "e")
    return str(x)


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is None:
        return getattr(tp, "__name__", str(tp))
    args = ", ".join(_type_name(a) for a in typing.get_args(tp) if a is not Ellipsis)
    return f"{origin.__name__}[{args}]"


def iter_fields(obj: Any = None, prefix: str = "") -> Iterator[FieldInfo]:
    """Yield documentation for every leaf parameter of ``obj`` (default: ``Params()``)."""
    if obj is None:
        obj = Params()
    hints = _hints(type(obj))
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        tp = hints[f.name]
        name = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(value):
            yield from iter_fields(value, name + ".")
        elif (
            isinstance(value, Mapping)
            and value
            and all(dataclasses.is_dataclass(v) for v in value.values())
        ):
            for k, v in value.items():
                yield from iter_fields(v, f"{name}.{k}.")
        else:
            m = f.metadata
            yield FieldInfo(
                name=name,
                type=_type_name(tp),
                default=value,
                doc=m.get("doc", ""),
                unit=m.get("unit", ""),
                lo=m.get("lo"),
                hi=m.get("hi"),
                choices=m.get("choices"),
            )


def _field_meta(cls: type, name: str) -> Mapping[str, Any]:
    for f in dataclasses.fields(cls):
        if f.name == name:
            return f.metadata
    raise KeyError(name)


def _plain(value: Any) -> Any:
    """A numpy (or pandas) scalar as the Python value it holds: ``np.int64`` → int,
    ``np.float32`` → float, ``np.bool_`` → bool, ``np.str_`` → str; a 1-d array → a list.
    Anything else is returned as it is (numpy is not imported to find out)."""
    if type(value).__module__ == "numpy":
        shape = getattr(value, "shape", None)
        if shape == ():
            return value.item()
        if shape is not None and len(shape) == 1:
            return value.tolist()
    return value


def _coerce(name: str, value: Any, tp: Any, meta: Mapping[str, Any]) -> Any:
    """Check and convert one leaf value; raise ValueError naming what is allowed."""
    origin = typing.get_origin(tp)
    value = _plain(value)

    def bad(what: str) -> ValueError:
        return ValueError(f"parameter {name}={value!r}: {what}")

    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise bad("expected true or false")
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise bad("expected an integer")
        try:
            fv = float(value)
        except ValueError:
            raise bad("expected an integer") from None
        if not math.isfinite(fv) or fv != int(fv):
            raise bad("expected an integer")
        value_c: Any = int(fv)
    elif tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise bad("expected a number")
        try:
            value_c = float(value)
        except ValueError:
            raise bad("expected a number") from None
        if not math.isfinite(value_c):
            raise bad("expected a finite number")
    elif tp is str:
        if not isinstance(value, str):
            raise bad("expected a string")
        value_c = value
    elif origin is tuple:
        (elem_tp, *_) = typing.get_args(tp)
        if isinstance(value, str) or not isinstance(value, tuple | list):
            raise bad("expected a list")
        value_c = tuple(_coerce(f"{name}[{i}]", v, elem_tp, meta) for i, v in enumerate(value))
        return value_c
    elif origin is dict:
        if not isinstance(value, Mapping):
            raise bad("expected a mapping")
        _, vt = typing.get_args(tp)
        return {str(k): _coerce(f"{name}.{k}", v, vt, {}) for k, v in value.items()}
    else:  # pragma: no cover - schema only uses the types above
        value_c = value
    choices = meta.get("choices")
    if choices and value_c not in choices:
        raise bad("allowed: " + ", ".join(map(str, choices)))
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is not None and value_c < lo:
        raise bad(f"allowed range {_fmt(lo)} … {_fmt(hi)}")
    if hi is not None and value_c > hi:
        raise bad(f"allowed range {_fmt(lo)} … {_fmt(hi)}")
    return value_c


def _suggest(key: str, options: list[str]) -> str:
    close = difflib.get_close_matches(key, options, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _apply(obj: Any, path: list[str], value: Any, full: str) -> Any:
    """Return a copy of dataclass ``obj`` with ``path`` set to ``value`` (validated)."""
    cls = type(obj)
    names = [f.name for f in dataclasses.fields(obj)]
    head = path[0]
    if head not in names:
        allowed = ", ".join(names)
        raise ValueError(
            f"unknown parameter {full!r}{_suggest(head, names)}; allowed at this level: {allowed}"
        )
    tp = _hints(cls)[head]
    meta = _field_meta(cls, head)
    current = getattr(obj, head)
    if len(path) == 1:
        if _is_dc(tp):
            if isinstance(value, tp):
                new = value
            elif isinstance(value, Mapping):
                new = current
                for k, v in value.items():  # keys may be dotted: {"opinions.mu": 0.1}
                    new = _apply(new, str(k).split("."), v, f"{full}.{k}")
            else:
                raise ValueError(f"parameter {full}={value!r}: expected a mapping of parameters")
        elif typing.get_origin(tp) is dict and _is_dc(typing.get_args(tp)[1]):
            new = _coerce_group_map(full, value, typing.get_args(tp)[1])
        else:
            new = _coerce(full, value, tp, meta)
        return dataclasses.replace(obj, **{head: new})
    if _is_dc(tp):
        return dataclasses.replace(obj, **{head: _apply(current, path[1:], value, full)})
    if typing.get_origin(tp) is dict and _is_dc(typing.get_args(tp)[1]):
        key = path[1]
        vt = typing.get_args(tp)[1]
        if key not in current:
            if len(path) == 2 and isinstance(value, Mapping | vt):
                member = vt() if isinstance(value, Mapping) else value
            else:
                raise ValueError(
                    f"unknown group {key!r} in {full!r}{_suggest(key, list(current))}; "
                    f"groups: {', '.join(current)} (add one by giving all its traits)"
                )
        else:
            member = current[key]
        if len(path) == 2:
            if isinstance(value, vt):
                member = value
            elif isinstance(value, Mapping):
                for k, v in value.items():
                    member = _apply(member, str(k).split("."), v, f"{full}.{k}")
            else:
                raise ValueError(f"parameter {full}={value!r}: expected a mapping of traits")
        else:
            member = _apply(member, path[2:], value, full)
        return dataclasses.replace(obj, **{head: {**current, key: member}})
    if typing.get_origin(tp) is dict:
        new = dict(current)
        new[".".join(path[1:])] = _coerce(full, value, typing.get_args(tp)[1], {})
        return dataclasses.replace(obj, **{head: new})
    raise ValueError(f"unknown parameter {full!r}: {head} has no sub-parameters")


def _coerce_group_map(full: str, value: Any, vt: type) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"parameter {full}={value!r}: expected a mapping of groups")
    out = {}
    for k, v in value.items():
        if isinstance(v, vt):
            out[str(k)] = v
        elif isinstance(v, Mapping):
            member = vt()
            for kk, vv in v.items():
                member = _apply(member, str(kk).split("."), vv, f"{full}.{k}.{kk}")
            out[str(k)] = member
        else:
            raise ValueError(f"parameter {full}.{k}={v!r}: expected a mapping of traits")
    return out


def _normalise_key(key: str) -> str:
    return key.replace("__", ".")


def build_params(
    base: Params | Mapping[str, Any] | None = None,
    overrides: Mapping | None = None,
) -> Params:
    """Build validated :class:`Params` from a base and dotted-name overrides.

    Args:
        base: A :class:`Params`, a nested mapping (e.g. from YAML) or ``None`` for defaults.
        overrides: ``{dotted name: value}``; ``a__b`` is accepted for ``a.b``.

    Returns:
        The validated parameters.

    Raises:
        ValueError: An unknown name, a wrong type, an out-of-range value or an impossible
            combination; the message names the parameter, the value and what is allowed.
    """
    if base is None:
        params = Params()
    elif isinstance(base, Params):
        params = base
    elif isinstance(base, Mapping):
        params = Params()
        for k, v in base.items():  # nested, dotted ({"opinions.mu": 0.1}) or both
            params = _apply(params, str(k).split("."), v, str(k))
    else:
        raise ValueError(f"params must be a Params or a mapping, got {type(base).__name__}")
    for key, value in (overrides or {}).items():
        key = _normalise_key(str(key))
        params = _apply(params, key.split("."), value, key)
    validate(params)
    return params


def validate(params: Params) -> None:
    """Check cross-parameter constraints (ranges are checked on assignment)."""
    for info in iter_fields(params):
        value = _get(params, info.name)
        if info.type in ("int", "float") and not isinstance(value, bool):
            too_low = info.lo is not None and value < info.lo
            if too_low or (info.hi is not None and value > info.hi):
                raise ValueError(f"parameter {info.name}={value!r}: allowed range {info.allowed}")
        if info.choices and value not in info.choices:
            raise ValueError(f"parameter {info.name}={value!r}: allowed: {info.allowed}")
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
                    f"allowed categories: {', '.join(CATEGORIES)}{_suggest(c, list(CATEGORIES))}"
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
    net = params.network
    if net.kind != "complete" and net.mean_degree >= pop.n_residents:
        raise ValueError(
            f"parameter network.mean_degree={net.mean_degree:g}: must be below "
            f"population.n_residents={pop.n_residents}"
        )


def diff(base: Params, other: Params) -> dict[str, Any]:
    """Dotted-name overrides that turn ``base`` into ``other``.

    ``build_params(base, diff(base, other)) == other``. When the two have different sets of
    resident groups, the whole ``population.groups`` mapping is one entry.
    """
    out: dict[str, Any] = {}
    same_groups = list(base.population.groups) == list(other.population.groups)
    if not same_groups:
        out["population.groups"] = to_dict(other.population.groups)
    fa, fb = flatten(base), flatten(other)
    for key, value in fb.items():
        if key.startswith("population.groups.") and not same_groups:
            continue
        if fa.get(key) != value:
            out[key] = list(value) if isinstance(value, tuple) else value
    return out


def _get(params: Any, dotted: str) -> Any:
    obj = params
    for part in dotted.split("."):
        obj = obj[part] if isinstance(obj, Mapping) else getattr(obj, part)
    return obj


def get(params: Params, dotted: str) -> Any:
    """Read a parameter by dotted name."""
    return _get(params, _normalise_key(dotted))


def parameter_table_markdown(params: Params | None = None) -> str:
    """The parameter table of the ODD description, generated from the schema."""
    params = params or Params()
    lines: list[str] = []
    section = None
    for info in iter_fields(params):
        top = info.name.split(".")[0]
        if top != section:
            section = top
            cls = _hints(Params)[top]
            lines += [
                "",
                f"### `{top}` — {(cls.__doc__ or '').strip().splitlines()[0]}",
                "",
                "| parameter | meaning | unit | default | allowed |",
                "|---|---|---|---|---|",
            ]
        default = info.default
        if isinstance(default, tuple):
            default = ", ".join(map(str, default))
        elif isinstance(default, dict):
            default = "{}" if not default else str(default)
        doc = info.doc.replace("|", "\\|")
        lines.append(f"| `{info.name}` | {doc} | {info.unit or '–'} | {default} | {info.allowed} |")
    return "\n".join(lines).lstrip() + "\n"

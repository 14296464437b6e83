"""Named special cases of the model, as dotted-name overrides of the defaults.

* ``deffuant`` — levers off, no Party members, opinions only: the model *is* the
  Deffuant–Weisbuch bounded-confidence model (Deffuant et al. 2000) on the chosen network;
  with ``network.kind=complete`` it is the original, well-mixed model. One group with uniform
  initial opinions on [0, 1] and a common tolerance ε (``population.groups.all.tolerance``).
* ``threshold`` — participation from social proof only, irreversible: the model *is* the
  threshold model of collective behaviour (Granovetter 1978) on a network (Watts 2002, "A simple
  model of global cascades on random networks"), with a share ``participation.initial_share``
  of initiators.

Scenario presets of the community (weak baseline, fragmented community, credibility crisis, …)
are Hydra configs under ``configs/scenario/``; these two are here because the engine's tests
check them against the literature.
"""

from __future__ import annotations

from typing import Any

from .params import Params, build_params

__all__ = ["PRESETS", "preset"]

_ONE_GROUP = {
    "all": {
        "share": 1.0,
        "opinion_mean": 0.5,
        "opinion_spread": 1.0,
        "tolerance": 0.2,
        "trust_mean": 0.5,
        "threshold_mean": 0.18,
        "threshold_sd": 0.0,
        "cost": 0.0,
        "digital_literacy": 0.0,
        "need_rate": 1.0,
        "membership": 0.0,
    }
}

_ONLY = {
    "needs.enabled": False,
    "trust.enabled": False,
    "conflicts.enabled": False,
    "deliberation.enabled": False,
    "strategy.name": "none",
    "population.party_share": 0.0,
    "turnover.enabled": False,
}

PRESETS: dict[str, dict[str, Any]] = {
    "deffuant": {
        **_ONLY,
        "population.groups": _ONE_GROUP,
        "participation.enabled": False,
        "opinions.enabled": True,
        "opinions.exemplar_strength": 0.0,
        "opinions.party_anchor": 0.0,
        "opinions.counter_share": 0.0,
        "opinions.noise": 0.0,
        "opinions.mu": 0.5,
        "network.kind": "complete",
    },
    "threshold": {
        **_ONLY,
        "population.groups": _ONE_GROUP,
        "opinions.enabled": False,
        "participation.enabled": True,
        "participation.w_social": 1.0,
        "participation.w_trust": 0.0,
        "participation.w_agreement": 0.0,
        "participation.w_served": 0.0,
        "participation.w_cost": 0.0,
        "participation.sticky": True,
        "participation.temperature": 0.0,
        "participation.initial_share": 0.001,
        "network.kind": "erdos_renyi",
        "network.mean_degree": 4.0,
    },
}


def preset(name: str, **overrides: Any) -> Params:
    """Parameters of a named preset, with dotted-name overrides on top."""
    if name not in PRESETS:
        raise ValueError(f"preset {name!r}: unknown; allowed: {', '.join(PRESETS)}")
    # A preset setting the overrides leave unread (its network.mean_degree once
    # network.kind=complete) goes back to its default; an override nothing reads is refused.
    return build_params(PRESETS[name], overrides, unread="reset")

"""govsim's engine: community governance under four kinds of leadership, on Mesa.

The engine imports no Hydra, does no file I/O and draws no plots. Start with::

    from sim import GovernanceModel, run_one
    model = GovernanceModel(rng=42).run(52)
    result = run_one({"strategy": {"name": "integrated", "political": 0.5}}, seed=1, steps=100)
"""

from .agents import Organization, PartyMember, Resident
from .metrics import GROUP_METRICS, MODEL_METRICS
from .model import PIPELINE, GovernanceModel
from .params import Params, build_params
from .presets import PRESETS, preset
from .run import RunResult, run_one
from .strategies import STRATEGIES, Efforts, Strategy, register_strategy

__all__ = [
    "GROUP_METRICS",
    "MODEL_METRICS",
    "PIPELINE",
    "PRESETS",
    "STRATEGIES",
    "Efforts",
    "GovernanceModel",
    "Organization",
    "Params",
    "PartyMember",
    "Resident",
    "RunResult",
    "Strategy",
    "build_params",
    "preset",
    "register_strategy",
    "run_one",
]

__version__ = "0.1.0"

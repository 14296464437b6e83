"""govsim's engine: community governance under four kinds of leadership, on Mesa.

The engine imports no Hydra, does no file I/O and draws no plots. Start with::

    from sim import make_model, run_one
    model = make_model(rng=42).run(52)     # a GovernanceModel on the engine engine.kind picks
    result = run_one({"strategy": {"name": "integrated", "political": 0.5}}, seed=1, steps=100)
"""

import importlib
from typing import TYPE_CHECKING, Any

#: Where each public name lives. They are imported on first use (PEP 562), so that
#: ``import sim.params`` — all the ``govsim`` command needs to read and check a
#: configuration — does not import Mesa, pandas and numba.
_EXPORTS = {
    "Organization": "agents",
    "PartyMemberView": "agents",
    "ResidentView": "agents",
    "GROUP_METRICS": "metrics",
    "MODEL_METRICS": "metrics",
    "PIPELINE": "model",
    "GovernanceModel": "model",
    "make_model": "engines",
    "Params": "params",
    "build_params": "params",
    "PRESETS": "presets",
    "preset": "presets",
    "RunResult": "run",
    "run_one": "run",
    "STRATEGIES": "strategies",
    "Efforts": "strategies",
    "Strategy": "strategies",
    "register_strategy": "strategies",
}

if TYPE_CHECKING:
    from .agents import Organization, PartyMemberView, ResidentView
    from .engines import make_model
    from .metrics import GROUP_METRICS, MODEL_METRICS
    from .model import PIPELINE, GovernanceModel
    from .params import Params, build_params
    from .presets import PRESETS, preset
    from .run import RunResult, run_one
    from .strategies import STRATEGIES, Efforts, Strategy, register_strategy


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


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
    "PartyMemberView",
    "ResidentView",
    "RunResult",
    "Strategy",
    "build_params",
    "make_model",
    "preset",
    "register_strategy",
    "run_one",
]

__version__ = "0.1.0"

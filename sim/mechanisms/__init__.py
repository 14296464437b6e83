"""The six mechanisms of the brief, plus platform adoption (the smart lever's structure) and
residential turnover.

Each mechanism is a module with one class exposing ``name``, ``enabled(params)`` and
``step(model)``; :data:`sim.model.PIPELINE` lists them in the order of one week.
"""

from .conflicts import Conflicts
from .deliberation import Deliberation
from .needs import Needs, Service
from .opinions import Opinions
from .participation import Participation
from .platform import Platform
from .trust import Trust
from .turnover import Turnover

__all__ = [
    "Conflicts",
    "Deliberation",
    "Needs",
    "Opinions",
    "Participation",
    "Platform",
    "Service",
    "Trust",
    "Turnover",
]

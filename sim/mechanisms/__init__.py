"""The mechanisms of one week: the six of the brief, plus platform adoption (the smart
lever's structure) and residential turnover.

The brief's six are needs and services (:mod:`.needs`: :class:`Needs` raises and reports needs,
:class:`Service` lets the organizations serve them — two steps of the week), trust, opinions,
participation, deliberation and conflicts. Each mechanism is a class exposing ``name``,
``enabled(model)`` (whether it runs for this model's parameters, ``model.params``) and
``step(model)``; :data:`sim.model.PIPELINE` lists them, nine steps in all, in the order of one
week. :mod:`.rules` is not a step: it holds the rival opinion-influence rules that
:class:`Opinions` calls.
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

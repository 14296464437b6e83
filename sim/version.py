"""Versions of what a run's numbers depend on, beside the package version.

A stored run is only comparable with another if both came from the same model rules and the
same metric definitions. Each constant below is bumped by hand, in the commit that changes what
it names, and the experiment runners put both in every run's identity, so results of an older
model or of older metric definitions are never silently mixed with new ones.

* :data:`MODEL_VERSION` -- the dynamics: mechanisms, their order, the random draws they make,
  parameter defaults. Bump it whenever the same parameters and seed would give other states.
* :data:`METRICS_VERSION` -- the definitions of the recorded outcomes (``sim.metrics``). Bump it
  whenever the same states would give other recorded numbers or other columns.
"""

#: Version of the model's dynamics (mechanisms, schedule, draws, defaults).
MODEL_VERSION = "3"

#: Version of the outcome definitions (``sim.metrics``).
METRICS_VERSION = "3"

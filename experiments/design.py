"""Experiment designs: replicate seeds, factorial and Latin-hypercube points, validation.

Everything here is pure planning: no run is started. A design is a table of *points* (one
column per varied parameter, addressed by its dotted schema name such as
``"strategy.political"``); each point is run with the same ``R`` replicate seeds (common random
numbers), so differences between points are never differences of luck alone.

Bad input raises :class:`ExperimentConfigError` with a one-line message that names the setting,
the value and what is allowed; the ``govsim`` verbs turn it into exit status 2 before any run.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import qmc

from sim.params import Params, build_params, iter_fields

from .errors import ExperimentConfigError

__all__ = [
    "ExperimentConfigError",
    "factorial_design",
    "lhs_design",
    "param_kind",
    "replicate_seeds",
    "validate_points",
]


def replicate_seeds(root_seed: int, replications: int) -> list[int]:
    """The ``replications`` run seeds spawned from one root :class:`numpy.random.SeedSequence`.

    Seed ``r`` is a 63-bit integer drawn from child ``r`` of ``SeedSequence(root_seed)``; the
    children are independent streams (NumPy's ``spawn``) and prefix-stable: the first ``R``
    seeds are the same whether 10 or 100 replications are asked for, so adding replications to
    a finished experiment reuses every run already stored. ``run_one(params, seed=seed)``
    reproduces any run from its ``seed`` column.

    Args:
        root_seed: The experiment's root seed (an integer ≥ 0).
        replications: Number of replications R ≥ 1.

    Returns:
        R integer seeds.
    """
    if isinstance(replications, bool) or not isinstance(replications, int | np.integer):
        raise ExperimentConfigError(
            f"replications={replications!r}: expected an integer ≥ 1 (runs per design point)"
        )
    if replications < 1:
        raise ExperimentConfigError(
            f"replications={replications}: must be ≥ 1 (runs per design point)"
        )
    if isinstance(root_seed, bool) or not isinstance(root_seed, int | np.integer) or root_seed < 0:
        raise ExperimentConfigError(f"root_seed={root_seed!r}: expected an integer ≥ 0")
    children = np.random.SeedSequence(int(root_seed)).spawn(int(replications))
    return [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]


def design_rng(root_seed: int, stream: int = 1) -> np.random.Generator:
    """A generator for design sampling, independent of the replicate seeds."""
    return np.random.default_rng(np.random.SeedSequence(int(root_seed), spawn_key=(2**31, stream)))


def param_kind(base: Params, name: str) -> str:
    """Type name (``int``, ``float``, ``bool``, ``str``, …) of schema parameter ``name``.

    Raises:
        ExperimentConfigError: ``name`` is not a parameter of the schema (with a suggestion).
    """
    for info in iter_fields(base):
        if info.name == name:
            return info.type
    if name.startswith("strategy.options."):
        return "float"
    try:  # the engine's own message names the closest parameter
        build_params(base, {name: 0})
    except ValueError as exc:
        raise ExperimentConfigError(str(exc)) from None
    raise ExperimentConfigError(f"unknown parameter {name!r}")  # pragma: no cover


def _cast(kind: str, value: Any) -> Any:
    if kind == "int" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _as_values(name: str, spec: Any) -> list[Any]:
    """Levels of a factorial axis: a list, or ``{lo, hi, num}`` (evenly spaced)."""
    if isinstance(spec, Mapping):
        missing = [k for k in ("lo", "hi", "num") if k not in spec]
        if missing:
            raise ExperimentConfigError(
                f"design.params.{name}: give a list of values or {{lo, hi, num}} "
                f"(missing {', '.join(missing)})"
            )
        num = spec["num"]
        if isinstance(num, bool) or not isinstance(num, int) or num < 1:
            raise ExperimentConfigError(
                f"design.params.{name}.num={num!r}: expected an integer ≥ 1"
            )
        lo, hi = _bounds(name, (spec["lo"], spec["hi"]), allow_equal=True)
        return [float(v) for v in np.linspace(lo, hi, num)]
    if isinstance(spec, str) or not isinstance(spec, Sequence):
        raise ExperimentConfigError(
            f"design.params.{name}={spec!r}: expected a list of values or {{lo, hi, num}}"
        )
    values = list(spec)
    if not values:
        raise ExperimentConfigError(f"design.params.{name}: empty list of values")
    return values


def _bounds(name: str, spec: Any, *, allow_equal: bool = False) -> tuple[float, float]:
    if isinstance(spec, Mapping):
        spec = (spec.get("lo"), spec.get("hi"))
    try:
        lo, hi = (float(v) for v in spec)
    except (TypeError, ValueError):
        raise ExperimentConfigError(
            f"{name}={spec!r}: expected bounds [lo, hi] or {{lo: …, hi: …}}"
        ) from None
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi or (lo == hi and not allow_equal):
        raise ExperimentConfigError(f"{name}=[{lo:g}, {hi:g}]: need finite bounds with lo < hi")
    return lo, hi


def factorial_design(base: Params, params: Mapping[str, Any]) -> pd.DataFrame:
    """Full factorial design: every combination of the levels of every parameter.

    Args:
        base: Parameters the design varies (used to check names and types).
        params: ``{dotted name: [levels]}`` or ``{dotted name: {lo, hi, num}}``.

    Returns:
        One row per point, one column per parameter (in the order given).
    """
    if not params:
        raise ExperimentConfigError("design.params is empty: name at least one parameter to vary")
    axes = {}
    for name, spec in params.items():
        kind = param_kind(base, name)
        axes[name] = [_cast(kind, v) for v in _as_values(name, spec)]
    rows = list(itertools.product(*axes.values()))
    return pd.DataFrame(rows, columns=list(axes))


def lhs_design(
    base: Params, params: Mapping[str, Any], samples: int, root_seed: int
) -> pd.DataFrame:
    """Latin-hypercube design (:class:`scipy.stats.qmc.LatinHypercube`) over numeric bounds.

    Integer parameters are rounded to the nearest integer. The design is drawn from a stream of
    the root seed independent of the replicate seeds, so it is reproducible.

    Args:
        base: Parameters (to check names and types).
        params: ``{dotted name: [lo, hi]}``.
        samples: Number of points n ≥ 1.
        root_seed: The experiment's root seed.

    Returns:
        One row per point, one column per parameter.
    """
    if not params:
        raise ExperimentConfigError("design.params is empty: name at least one parameter to vary")
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise ExperimentConfigError(f"design.samples={samples!r}: expected an integer ≥ 1")
    names = list(params)
    kinds = [param_kind(base, n) for n in names]
    for name, kind in zip(names, kinds, strict=True):
        if kind not in ("int", "float"):
            raise ExperimentConfigError(
                f"design.params.{name}: a Latin hypercube needs a numeric parameter, "
                f"{name} is {kind}"
            )
    bounds = np.array([_bounds(f"design.params.{n}", params[n]) for n in names])
    unit = qmc.LatinHypercube(d=len(names), rng=design_rng(root_seed)).random(samples)
    x = qmc.scale(unit, bounds[:, 0], bounds[:, 1])
    df = pd.DataFrame(x, columns=names)
    for name, kind in zip(names, kinds, strict=True):
        if kind == "int":
            df[name] = np.rint(df[name]).astype(np.int64)
    return df


def validate_points(base: Params, points: Sequence[Mapping[str, Any]], what: str) -> list[Params]:
    """Build (and so validate) the parameters of every point before any run.

    A base setting that a point leaves unread (the base's lever efforts at a point with
    ``strategy.name=none``) goes back to its default; a point's own unread setting is refused.

    Raises:
        ExperimentConfigError: The first invalid point, with the engine's one-line reason.
    """
    out = []
    for i, overrides in enumerate(points):
        try:
            out.append(build_params(base, dict(overrides), unread="reset"))
        except ValueError as exc:
            raise ExperimentConfigError(f"{what} {i}: {exc}") from None
    return out


# --------------------------------------------------------------------------------------------
# Size of the work, estimated before anything is planned
# --------------------------------------------------------------------------------------------

#: Beyond any of these an experiment is refused unless ``experiment.confirm_large=true``.
MAX_RUNS = 1_000_000
MAX_RESIDENT_WEEKS = 1e10
MAX_STORED_BYTES = 50e9
#: From these on the estimate is printed before the runs start.
SHOW_RUNS = 10_000
SHOW_RESIDENT_WEEKS = 1e8
#: Rough cost of one resident-week, measured on one core of a 2-core machine with the default
#: community (2,000 residents, 50 weeks: 3.8 µs); smaller communities cost more per resident.
SECONDS_PER_RESIDENT_WEEK = 4e-6
#: Bytes of one planned run (its record in the plan) and of one stored value.
_PLAN_BYTES_PER_RUN = 1_000
_BYTES_PER_VALUE = 8


class WorkEstimate:
    """Runs × residents × weeks of an experiment, and what they cost in time and space."""

    def __init__(self, runs: int, residents: int, weeks: int, columns: int) -> None:
        self.runs, self.residents, self.weeks, self.columns = runs, residents, weeks, columns

    @property
    def resident_weeks(self) -> float:
        """Residents simulated for a week, summed over every run."""
        return float(self.runs) * float(self.residents) * float(self.weeks)

    @property
    def stored_bytes(self) -> float:
        """Uncompressed size of the stored rows (one row per run and week)."""
        return float(self.runs) * (float(self.weeks) + 1) * self.columns * _BYTES_PER_VALUE

    @property
    def plan_bytes(self) -> float:
        """Memory the plan of every run takes while launching."""
        return float(self.runs) * _PLAN_BYTES_PER_RUN

    @property
    def cpu_s(self) -> float:
        """Rough single-core seconds (:data:`SECONDS_PER_RESIDENT_WEEK`)."""
        return self.resident_weeks * SECONDS_PER_RESIDENT_WEEK

    def too_large(self) -> str:
        """Which limit the work exceeds ('' if none)."""
        if self.runs > MAX_RUNS:
            return f"more than {MAX_RUNS:,} runs"
        if self.resident_weeks > MAX_RESIDENT_WEEKS:
            return f"more than {MAX_RESIDENT_WEEKS:.0e} resident-weeks"
        if self.stored_bytes > MAX_STORED_BYTES:
            return f"more than {_size(MAX_STORED_BYTES)} of results"
        return ""

    def large(self) -> bool:
        """Whether the estimate is worth printing before the runs start."""
        return self.runs >= SHOW_RUNS or self.resident_weeks >= SHOW_RESIDENT_WEEKS

    def line(self) -> str:
        """``work: 40,000 runs × 2,000 residents × 100 weeks = 8e+09 resident-weeks, …``."""
        return (
            f"work: {self.runs:,} runs × {self.residents:,} residents × {self.weeks:,} weeks = "
            f"{self.resident_weeks:.2g} resident-weeks (≈ {_duration(self.cpu_s)} on one core), "
            f"≈ {_size(self.stored_bytes)} of results, ≈ {_size(self.plan_bytes)} to plan"
        )


def _size(b: float) -> str:
    for unit, k in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if b >= k:
            return f"{b / k:.3g} {unit}"
    return f"{b:.0f} B"


def _duration(s: float) -> str:
    for unit, k in (("years", 3.15e7), ("days", 86400), ("h", 3600), ("min", 60)):
        if s >= k:
            return f"{s / k:.3g} {unit}"
    return f"{s:.2g} s"


def check_work(est: WorkEstimate, *, confirm: Any = False, echo: Any = None) -> WorkEstimate:
    """Refuse work beyond the limits unless confirmed; print the estimate of large work.

    Args:
        est: The estimate.
        confirm: ``experiment.confirm_large`` (True runs it anyway).
        echo: Where the estimate of large work goes (None: nowhere).

    Raises:
        ExperimentConfigError: The work exceeds a limit and ``confirm`` is not True.
    """
    if not isinstance(confirm, bool):
        raise ExperimentConfigError(f"experiment.confirm_large={confirm!r}: expected true or false")
    why = est.too_large()
    if why and not confirm:
        raise ExperimentConfigError(
            f"{est.line()} — {why}; reduce the design, replications, population.n_residents or "
            "steps, or set experiment.confirm_large=true to run it anyway"
        )
    if echo is not None and (why or est.large()):
        echo(est.line())
    return est

"""The experiment record every kind shares: validation, ``experiment.json``, batch settings.

An :class:`Experiment` is what a kind needs, resolved and validated before any run: the base
parameters (a composed scenario plus overrides), weeks per run, the replicate seeds, the raw
``experiment`` config node (``settings``) and the kind's typed settings record
(``kind_settings``)::

    name: lever_sweep              # results/<name>/
    description: ...
    replications: 10               # R runs per design point (common random numbers)
    root_seed: 0                   # seeds are spawned from SeedSequence(root_seed)
    level: 0.95                    # confidence level
    outcomes: [...]                # run-level outcomes to tabulate/test (final_*, mean_*, …)
    batch: {target_seconds: 10, runs_per_job: null, in_process_below_s: 3}
    <kind settings>                # design: / conditions: / sensitivity: / optimise: / …

:func:`experiment_record` validates the settings every kind shares; each kind
(:mod:`experiments.kinds`) validates its own block on top. Nothing here knows a kind by name.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.metrics import MODEL_METRICS
from sim.params import MAX_SEED, MAX_STEPS, Params, build_params, to_dict

from .dataset import ON_MODEL_CHANGE
from .design import (
    ExperimentConfigError,
    WorkEstimate,
    check_work,
    replicate_seeds,
    validate_points,
)
from .execute import (
    IN_PROCESS_BELOW_S,
    WORKER_STARTUP_S,
    ExecutionSummary,
    ExperimentPaths,
    RunSpec,
    execute,
    make_runs,
)
from .posterior import replicate_bases
from .provenance import provenance
from .store import atomic_write_bytes
from .tables import outcome_names

__all__ = [
    "COMMON_KEYS",
    "DEFAULT_OUTCOMES",
    "Experiment",
    "ExperimentConfigError",
    "check_outcomes",
    "design_runs",
    "execute_runs",
    "experiment_record",
    "int_setting",
    "list_setting",
    "load_experiment",
    "write_spec",
]

#: Run-level outcomes tabulated and tested by default.
DEFAULT_OUTCOMES: tuple[str, ...] = (
    "mean_participation_rate",
    "final_participation_rate",
    "final_participation_gap",
    "final_participation_gini",
    "final_agenda_distance",
    "final_opinion_variance",
    "final_polarization",
    "final_opinion_clusters",
    "final_mean_trust",
    "final_resolution_rate",
    "mean_resolution_rate_week",
    "mean_mean_wait",
    "consensus_reached",
    "final_conflicts_unresolved",
    "final_platform_adoption",
)

#: Settings of ``experiment.batch`` (how runs are grouped into launcher jobs).
BATCH_KEYS = ("in_process_below_s", "runs_per_job", "target_seconds", "worker_startup_s")

SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
#: Settings of the ``experiment`` node every kind reads (a kind adds its own: ``keys`` and
#: ``settings_key`` of :class:`experiments.kinds.base.ExperimentKind`).
COMMON_KEYS = frozenset(
    {
        "name",
        "description",
        "kind",
        "replications",
        "root_seed",
        "seeds",
        "scenarios",
        "overrides",
        "level",
        "outcomes",
        "batch",
        "steps",
        "on_model_change",
        "confirm_large",
    }
)


@dataclass
class Experiment:
    """A resolved, validated experiment (everything needed to plan and analyse it)."""

    kind: str
    name: str
    base: Params
    steps: int
    seeds: list[int]
    root_seed: int
    settings: dict[str, Any]
    scenario: str = ""
    description: str = ""
    conditions: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    work: WorkEstimate | None = None
    #: The kind's typed settings record (``ExperimentKind.Settings``), set by its kind.
    kind_settings: Any = None
    #: ``experiment.posterior``: the overrides of each replicate's posterior draw (one per
    #: seed; :mod:`experiments.posterior`), or None.
    replicate_overrides: list[dict[str, Any]] | None = None

    @property
    def on_model_change(self) -> str:
        """``experiment.on_model_change``: refuse (default), recompute or reuse."""
        return str(self.settings.get("on_model_change") or "refuse")

    @property
    def level(self) -> float:
        """Confidence level of every interval."""
        return float(self.settings.get("level", 0.95))

    @property
    def outcomes(self) -> list[str]:
        """Run-level outcomes to tabulate and test."""
        return list(self.settings.get("outcomes") or DEFAULT_OUTCOMES)

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``experiment.json``."""
        return {
            "kind": self.kind,
            "name": self.name,
            "description": self.description,
            "scenario": self.scenario,
            "steps": self.steps,
            "seeds": self.seeds,
            "root_seed": self.root_seed,
            "settings": self.settings,
            "conditions": [[label, ov] for label, ov in self.conditions],
            "base": to_dict(self.base),
            **(
                {"posterior_draws": self.replicate_overrides}
                if self.replicate_overrides is not None
                else {}
            ),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Experiment:
        """Inverse of :meth:`to_json`."""
        return cls(
            kind=data["kind"],
            name=data["name"],
            base=build_params(data["base"]),
            steps=int(data["steps"]),
            seeds=[int(s) for s in data["seeds"]],
            root_seed=int(data["root_seed"]),
            settings=dict(data["settings"]),
            scenario=data.get("scenario", ""),
            description=data.get("description", ""),
            conditions=[(str(a), dict(b)) for a, b in data.get("conditions", [])],
            replicate_overrides=data.get("posterior_draws"),
        )


def load_experiment(root: Path | str) -> Experiment:
    """The experiment stored in ``root/experiment.json``."""
    path = ExperimentPaths(Path(root)).spec
    if not path.is_file():
        raise ExperimentConfigError(
            f"{root}: no experiment.json here — not a govsim experiment folder "
            "(expected results/<experiment>/ written by replicate, sweep, compare, sensitivity "
            "or optimise)"
        )
    return Experiment.from_json(json.loads(path.read_text(encoding="utf-8")))


# --------------------------------------------------------------------------------------------
# From a config node to an Experiment
# --------------------------------------------------------------------------------------------


#: Most replications one experiment may ask for (a bound on the seeds spawned while planning;
#: the size of the whole job is estimated separately).
MAX_REPLICATIONS = 1_000_000


def int_setting(key: str, value: Any, lo: int, hi: int | None = None) -> int:
    """``experiment.<key>`` as an integer in ``[lo, hi]`` (an integral float is accepted)."""
    given = value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    bad = isinstance(value, bool) or not isinstance(value, int | np.integer) or value < lo
    if bad or (hi is not None and value > hi):
        shown = repr(given) if len(repr(given)) <= 40 else repr(given)[:37] + "..."
        allowed = f"an integer {lo} … {hi}" if hi is not None else f"an integer ≥ {lo}"
        raise ExperimentConfigError(f"experiment.{key}={shown}: expected {allowed}")
    return int(value)


def list_setting(key: str, value: Any) -> list[Any]:
    """``value`` as a list; a string or a number is refused (not walked letter by letter)."""
    if value is None:
        return []
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise ExperimentConfigError(
            f"experiment.{key}={value!r}: expected a list, e.g. experiment.{key}=[a,b] "
            "(in brackets)"
        )
    return list(value)


def check_outcomes(names: Sequence[str], key: str = "experiment.outcomes") -> list[str]:
    """``names`` if every one is a run-level outcome (one-line error naming the first bad one)."""
    allowed = outcome_names()
    if isinstance(names, str) or not isinstance(names, Sequence) or not names:
        raise ExperimentConfigError(
            f"{key}={names!r}: expected a non-empty list of outcomes such as "
            "final_participation_rate, mean_mean_trust, time_to_consensus"
        )
    for n in names:
        if n not in allowed:
            close = difflib.get_close_matches(str(n), allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ExperimentConfigError(
                f"{key}: unknown outcome {n!r}{hint}; outcomes are final_<metric>, "
                f"mean_<metric> or time_to_consensus, metrics: {', '.join(MODEL_METRICS)}"
            )
    return list(names)


def replications_setting(value: Any) -> int:
    """``experiment.replications`` as an integer 1 … :data:`MAX_REPLICATIONS`."""
    given = value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    shown = repr(given) if len(repr(given)) <= 40 else repr(given)[:37] + "..."
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ExperimentConfigError(
            f"experiment.replications={shown}: expected an integer ≥ 1 (runs per design point)"
        )
    if not 1 <= value <= MAX_REPLICATIONS:
        raise ExperimentConfigError(
            f"experiment.replications={shown}: must be 1 … {MAX_REPLICATIONS:,} (runs per "
            "design point)"
        )
    return int(value)


def experiment_record(
    kind: str,
    exp: Mapping[str, Any],
    base: Params,
    steps: int,
    *,
    scenario: str = "",
    known_keys: Collection[str] = COMMON_KEYS,
    n_points: Callable[[Mapping[str, Any]], int | None] | None = None,
) -> Experiment:
    """Validate the settings of an ``experiment`` node that every kind shares.

    Args:
        kind: The kind's name (:attr:`Experiment.kind`).
        exp: The ``experiment`` node as plain data.
        base: The base parameters (the composed scenario with the command-line overrides).
        steps: Weeks per run.
        scenario: The base scenario's name (for the report).
        known_keys: Every setting of the node some kind reads (others are refused).
        n_points: ``exp -> design points`` (None: unknown before running), for the size check.

    Raises:
        ExperimentConfigError: One line naming the setting, the value and what is allowed.
    """
    exp = dict(exp)
    unknown = sorted(set(exp) - set(known_keys))
    if unknown:
        raise ExperimentConfigError(
            f"experiment.{unknown[0]}: unknown setting; allowed: {', '.join(sorted(known_keys))}"
        )
    name = exp.get("name") or ""
    if not name:
        name = f"{kind}-{scenario}" if scenario else kind
    if not isinstance(name, str) or not SAFE_NAME.match(name):
        raise ExperimentConfigError(
            f"experiment.name={name!r}: expected a folder name of letters, digits, '.', '_', "
            "'+' or '-'"
        )
    if exp.get("steps") is not None:
        steps = int_setting("steps", exp["steps"], 1, MAX_STEPS)
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise ExperimentConfigError(
            f"steps={steps!r}: expected an integer 1 … {MAX_STEPS} (weeks per run)"
        )
    root_seed = int_setting("root_seed", exp.get("root_seed", 0) or 0, 0, MAX_SEED)
    list_setting("scenarios", exp.get("scenarios"))
    if exp.get("design") is not None and not isinstance(exp["design"], Mapping):
        raise ExperimentConfigError(
            f"experiment.design={exp['design']!r}: expected a mapping, e.g. "
            "{kind: factorial, params: {strategy.political: [0, 0.5, 1]}}"
        )
    policy = exp.get("on_model_change", "refuse")
    if policy not in ON_MODEL_CHANGE:
        raise ExperimentConfigError(
            f"experiment.on_model_change={policy!r}: allowed: {', '.join(ON_MODEL_CHANGE)} "
            "(what a launch does with stored runs of another model version)"
        )
    # The size of the work is checked before a single seed or design point is materialised.
    if exp.get("replications") is not None:
        n_rep = replications_setting(exp["replications"])
    else:
        n_rep = len(exp.get("seeds") or [])
    work = None
    points = _count(n_points, exp)
    if points is not None and n_rep:
        work = check_work(
            WorkEstimate(
                points * n_rep, base.population.n_residents, int(steps), len(MODEL_METRICS) + 8
            ),
            confirm=exp.get("confirm_large", False),
        )
    if exp.get("replications") is not None:
        seeds = replicate_seeds(root_seed, n_rep)
    elif exp.get("seeds"):
        seeds = [
            int_setting("seeds[]", s, 0, MAX_SEED) for s in list_setting("seeds", exp["seeds"])
        ]
        if len(set(seeds)) != len(seeds):
            raise ExperimentConfigError(f"experiment.seeds={seeds}: seeds must be distinct")
    else:
        raise ExperimentConfigError(
            "experiment.replications: not set; give the number of runs per design point "
            "(an integer ≥ 1), e.g. experiment.replications=10"
        )
    level = exp.get("level", 0.95)
    if not isinstance(level, float | int) or not 0 < float(level) < 1:
        raise ExperimentConfigError(f"experiment.level={level!r}: expected a number in (0, 1)")
    settings = {
        k: v for k, v in exp.items() if k not in ("name", "description", "seeds", "scenarios")
    }
    settings["level"] = float(level)
    if exp.get("outcomes"):
        settings["outcomes"] = check_outcomes(exp["outcomes"])
    check_batch(exp.get("batch"))
    draws = None
    if exp.get("posterior") is not None:
        draws = replicate_bases(str(exp["posterior"]), base, len(seeds), root_seed)
    return Experiment(
        kind=kind,
        name=name,
        base=base,
        steps=int(steps),
        seeds=seeds,
        root_seed=root_seed,
        settings=settings,
        scenario=scenario,
        description=str(exp.get("description") or ""),
        work=work,
        replicate_overrides=draws,
    )


def _count(n_points: Callable[[Mapping[str, Any]], int | None] | None, exp: Mapping) -> int | None:
    if n_points is None:
        return None
    try:
        return n_points(exp)
    except (TypeError, ValueError, KeyError, AttributeError):
        return None  # a malformed config: its own validation reports it later


def check_batch(raw: Any) -> dict[str, Any]:
    """Validate ``experiment.batch`` (how runs are grouped into launcher jobs)."""
    batch = dict(raw or {})
    unknown = sorted(set(batch) - set(BATCH_KEYS))
    if unknown:
        raise ExperimentConfigError(
            f"experiment.batch.{unknown[0]}: unknown setting; allowed: {', '.join(BATCH_KEYS)}"
        )
    if batch.get("runs_per_job") is not None:
        int_setting("batch.runs_per_job", batch["runs_per_job"], 1)
    checks = (("target_seconds", True), ("in_process_below_s", False), ("worker_startup_s", False))
    for key, positive in checks:
        t = batch.get(key)
        if t is None:
            continue
        number = isinstance(t, int | float) and not isinstance(t, bool)
        if not number or not (t > 0 if positive else t >= 0):
            bound = "> 0" if positive else "≥ 0"
            raise ExperimentConfigError(f"experiment.batch.{key}={t!r}: expected a number {bound}")
    return batch


# --------------------------------------------------------------------------------------------
# Planning and running helpers
# --------------------------------------------------------------------------------------------


def plain(v: Any) -> Any:
    """A numpy scalar as the Python value (for overrides and JSON)."""
    return v.item() if isinstance(v, np.generic) else v


def design_runs(e: Experiment, design: pd.DataFrame, what: str) -> list[RunSpec]:
    """The runs of a design table (one row per point, one column per parameter) × the seeds."""
    points = [{k: plain(v) for k, v in row.items()} for row in design.to_dict("records")]
    params = validate_points(e.base, points, what)
    return make_runs(
        e.base, points, params, e.seeds, e.steps, replicate_overrides=e.replicate_overrides
    )


def write_spec(e: Experiment, paths: ExperimentPaths) -> None:
    """Write ``experiment.json`` (atomically), with the provenance of this launch."""
    paths.root.mkdir(parents=True, exist_ok=True)
    data = {**e.to_json(), "provenance": provenance(experiment=e.name)}
    atomic_write_bytes(json.dumps(data, indent=1, default=str).encode("utf-8"), paths.spec)


def execute_runs(
    e: Experiment,
    paths: ExperimentPaths,
    runs: Sequence[RunSpec],
    *,
    launcher: Sequence[str] = (),
    progress: bool | str = "auto",
    echo: Callable[[str], None] | None = print,
    full_design: bool = True,
    before_launch: Callable[[], None] | None = None,
) -> ExecutionSummary:
    """:func:`experiments.execute.execute` with the experiment's batch settings."""
    batch = dict(e.settings.get("batch") or {})
    return execute(
        e.name,
        paths,
        e.base,
        e.steps,
        runs,
        launcher=launcher,
        progress=progress,
        target_job_s=float(batch.get("target_seconds") or 10.0),
        runs_per_job=batch.get("runs_per_job"),
        in_process_below_s=float(
            IN_PROCESS_BELOW_S
            if batch.get("in_process_below_s") is None
            else batch["in_process_below_s"]
        ),
        worker_startup_s=float(
            WORKER_STARTUP_S if batch.get("worker_startup_s") is None else batch["worker_startup_s"]
        ),
        echo=echo,
        on_model_change=e.on_model_change,
        full_design=full_design,
        before_launch=before_launch,
    )

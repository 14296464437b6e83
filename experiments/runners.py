"""The experiment verbs: replicate, sweep, compare, sensitivity, optimise (and report).

An :class:`Experiment` is what a verb needs, resolved and validated before any run: the base
parameters (a composed scenario plus overrides), weeks per run, the replicate seeds, and the
verb's own settings from the ``experiment`` config node (``configs/experiment/<name>.yaml``)::

    name: lever_sweep              # results/<name>/
    description: ...
    replications: 10               # R runs per design point (common random numbers)
    root_seed: 0                   # seeds are spawned from SeedSequence(root_seed)
    level: 0.95                    # confidence level
    outcomes: [...]                # run-level outcomes to tabulate/test (final_*, mean_*, …)
    design: {kind: factorial, params: {strategy.political: [0, 0.5, 1]}}      # sweep
    conditions: {label: {dotted.name: value}}   / scenarios: [a, b]             # compare
    sensitivity: {method: sobol, params: {name: [lo, hi]}, n_base: 32}        # sensitivity
    optimise: {objective: participation, budget: 1.0, popsize: 8, maxiter: 10}  # optimise
    batch: {target_seconds: 10, runs_per_job: null, in_process_below_s: 3}

:func:`run_experiment` plans the runs, writes ``results/<name>/experiment.json``, executes the
runs that are not stored yet (:func:`experiments.execute.execute`) and then writes the tables,
figures and ``report.md`` from the store alone (:func:`experiments.analysis.analyse`, which
``govsim report`` calls on its own).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.metrics import MODEL_METRICS
from sim.params import MAX_SEED, MAX_STEPS, Params, build_params, diff, to_dict

from .dataset import ON_MODEL_CHANGE, experiment_lock
from .design import (
    ExperimentConfigError,
    WorkEstimate,
    check_work,
    count_points,
    factorial_design,
    lhs_design,
    param_kind,
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
from .store import atomic_write_bytes
from .tables import outcome_names

__all__ = [
    "DEFAULT_OUTCOMES",
    "KINDS",
    "Experiment",
    "ExperimentConfigError",
    "experiment_from_config",
    "load_experiment",
    "plan_runs",
    "run_experiment",
]

KINDS = ("replicate", "sweep", "compare", "sensitivity", "optimise")

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

_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
_KNOWN_KEYS = {
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
    "design",
    "conditions",
    "baseline",
    "sensitivity",
    "optimise",
    "batch",
    "steps",
    "on_model_change",
    "confirm_large",
}


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


def _int(key: str, value: Any, lo: int, hi: int | None = None) -> int:
    given = value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    bad = isinstance(value, bool) or not isinstance(value, int | np.integer) or value < lo
    if bad or (hi is not None and value > hi):
        shown = repr(given) if len(repr(given)) <= 40 else repr(given)[:37] + "..."
        allowed = f"an integer {lo} … {hi}" if hi is not None else f"an integer ≥ {lo}"
        raise ExperimentConfigError(f"experiment.{key}={shown}: expected {allowed}")
    return int(value)


def _list(key: str, value: Any) -> list[Any]:
    """``value`` as a list; a string or a number is refused (not walked letter by letter)."""
    if value is None:
        return []
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise ExperimentConfigError(
            f"experiment.{key}={value!r}: expected a list, e.g. experiment.{key}=[a,b] "
            "(in brackets)"
        )
    return list(value)


def _check_outcomes(names: Sequence[str], key: str = "experiment.outcomes") -> list[str]:
    allowed = outcome_names()
    if isinstance(names, str) or not isinstance(names, Sequence) or not names:
        raise ExperimentConfigError(
            f"{key}={names!r}: expected a non-empty list of outcomes such as "
            "final_participation_rate, mean_mean_trust, time_to_consensus"
        )
    for n in names:
        if n not in allowed:
            import difflib

            close = difflib.get_close_matches(str(n), allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ExperimentConfigError(
                f"{key}: unknown outcome {n!r}{hint}; outcomes are final_<metric>, "
                f"mean_<metric> or time_to_consensus, metrics: {', '.join(MODEL_METRICS)}"
            )
    return list(names)


def experiment_from_config(
    kind: str,
    exp: Mapping[str, Any],
    base: Params,
    steps: int,
    *,
    scenario: str = "",
    scenario_params: Callable[[str], Params] | None = None,
) -> Experiment:
    """Validate an ``experiment`` config node for verb ``kind``.

    Args:
        kind: One of :data:`KINDS`.
        exp: The ``experiment`` node as plain data.
        base: The base parameters (the composed scenario with the command-line overrides).
        steps: Weeks per run.
        scenario: The base scenario's name (for the report).
        scenario_params: ``name -> Params`` for the conditions of a compare given as
            ``scenarios: [...]`` (the command-line overrides applied on top).

    Raises:
        ExperimentConfigError: One line naming the setting, the value and what is allowed.
    """
    if kind not in KINDS:
        raise ExperimentConfigError(
            f"unknown experiment kind {kind!r}; allowed: {', '.join(KINDS)}"
        )
    exp = dict(exp)
    unknown = sorted(set(exp) - _KNOWN_KEYS)
    if unknown:
        raise ExperimentConfigError(
            f"experiment.{unknown[0]}: unknown setting; allowed: {', '.join(sorted(_KNOWN_KEYS))}"
        )
    name = exp.get("name") or ""
    if not name:
        name = f"{kind}-{scenario}" if scenario else kind
    if not isinstance(name, str) or not _SAFE.match(name):
        raise ExperimentConfigError(
            f"experiment.name={name!r}: expected a folder name of letters, digits, '.', '_', "
            "'+' or '-'"
        )
    if exp.get("steps") is not None:
        steps = _int("steps", exp["steps"], 1, MAX_STEPS)
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise ExperimentConfigError(
            f"steps={steps!r}: expected an integer 1 … {MAX_STEPS} (weeks per run)"
        )
    root_seed = _int("root_seed", exp.get("root_seed", 0) or 0, 0, MAX_SEED)
    _list("scenarios", exp.get("scenarios"))
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
        n_rep = _int_r(exp["replications"])
    else:
        n_rep = len(exp.get("seeds") or [])
    work = None
    n_points = count_points(kind, exp)
    if n_points is not None and n_rep:
        work = check_work(
            WorkEstimate(
                n_points * n_rep, base.population.n_residents, int(steps), len(MODEL_METRICS) + 8
            ),
            confirm=exp.get("confirm_large", False),
        )
    if exp.get("replications") is not None:
        seeds = replicate_seeds(root_seed, n_rep)
    elif exp.get("seeds"):
        seeds = [_int("seeds[]", s, 0, MAX_SEED) for s in _list("seeds", exp["seeds"])]
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
        settings["outcomes"] = _check_outcomes(exp["outcomes"])
    batch = dict(exp.get("batch") or {})
    unknown = sorted(set(batch) - set(BATCH_KEYS))
    if unknown:
        raise ExperimentConfigError(
            f"experiment.batch.{unknown[0]}: unknown setting; allowed: {', '.join(BATCH_KEYS)}"
        )
    if batch.get("runs_per_job") is not None:
        _int("batch.runs_per_job", batch["runs_per_job"], 1)
    checks = (("target_seconds", True), ("in_process_below_s", False), ("worker_startup_s", False))
    for key, positive in checks:
        t = batch.get(key)
        if t is None:
            continue
        number = isinstance(t, int | float) and not isinstance(t, bool)
        if not number or not (t > 0 if positive else t >= 0):
            bound = "> 0" if positive else "≥ 0"
            raise ExperimentConfigError(f"experiment.batch.{key}={t!r}: expected a number {bound}")
    out = Experiment(
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
    )
    if kind == "compare":
        out.conditions = _conditions(exp, base, scenario, scenario_params)
    if kind == "optimise":
        from .optimise import check_settings

        check_settings(out)
    return out


def _int_r(value: Any) -> int:
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


def _conditions(
    exp: Mapping[str, Any],
    base: Params,
    scenario: str,
    scenario_params: Callable[[str], Params] | None,
) -> list[tuple[str, dict[str, Any]]]:
    conds: list[tuple[str, dict[str, Any]]] = []
    for s in _list("scenarios", exp.get("scenarios")):
        if scenario_params is None:
            raise ExperimentConfigError("experiment.scenarios: scenarios need the govsim configs")
        conds.append((str(s), diff(base, scenario_params(str(s)))))
    raw = exp.get("conditions") or {}
    if not isinstance(raw, Mapping):
        raise ExperimentConfigError(
            f"experiment.conditions={raw!r}: expected a mapping label → {{dotted.name: value}}"
        )
    for label, ov in raw.items():
        if ov is None:
            ov = {}
        if not isinstance(ov, Mapping):
            raise ExperimentConfigError(
                f"experiment.conditions.{label}={ov!r}: expected a mapping of dotted parameter "
                "names to values ({} for the base itself)"
            )
        conds.append((str(label), {str(k): v for k, v in ov.items()}))
    labels = [c[0] for c in conds]
    if len(conds) < 2:
        raise ExperimentConfigError(
            f"experiment.conditions: a comparison needs two or more conditions, got {len(conds)} "
            f"({', '.join(labels) or 'none'}); set experiment.scenarios=[a,b] or "
            "experiment.conditions"
        )
    if len(set(labels)) != len(labels):
        raise ExperimentConfigError(f"experiment.conditions: duplicate labels in {labels}")
    for label in labels:
        if not _SAFE.match(label):
            raise ExperimentConfigError(f"experiment.conditions: bad label {label!r}")
    baseline = exp.get("baseline") or labels[0]
    if baseline not in labels:
        raise ExperimentConfigError(
            f"experiment.baseline={baseline!r}: not a condition; conditions: {', '.join(labels)}"
        )
    conds.sort(key=lambda c: c[0] != baseline)
    return conds


# --------------------------------------------------------------------------------------------
# Planning
# --------------------------------------------------------------------------------------------


def sweep_design(e: Experiment) -> pd.DataFrame:
    """The sweep's design points (a factorial or a Latin hypercube)."""
    d = e.settings.get("design")
    if not isinstance(d, Mapping):
        raise ExperimentConfigError(
            "experiment.design: not set; e.g. {kind: factorial, params: {strategy.political: "
            "[0, 0.5, 1]}} or {kind: lhs, samples: 20, params: {opinions.mu: [0.1, 0.5]}}"
        )
    kind = d.get("kind", "factorial")
    params = d.get("params") or {}
    if not isinstance(params, Mapping):
        raise ExperimentConfigError(f"experiment.design.params={params!r}: expected a mapping")
    if kind == "factorial":
        return factorial_design(e.base, params)
    if kind == "lhs":
        return lhs_design(e.base, params, d.get("samples", 0), e.root_seed)
    raise ExperimentConfigError(
        f"experiment.design.kind={kind!r}: allowed: factorial, lhs (Latin hypercube)"
    )


def sensitivity_design(e: Experiment) -> tuple[dict[str, Any], np.ndarray]:
    """The SALib problem and design matrix of a sensitivity analysis."""
    from .sensitivity import make_problem, morris_sample, sobol_sample

    s = dict(e.settings.get("sensitivity") or {})
    method = s.get("method", "sobol")
    params = s.get("params") or {}
    if not isinstance(params, Mapping) or not params:
        raise ExperimentConfigError(
            "experiment.sensitivity.params: empty; give {dotted.name: [lo, hi]} for two or more "
            "parameters"
        )
    bounds: dict[str, Any] = {}
    for name, b in params.items():
        kind = param_kind(e.base, name)
        if kind in ("str", "bool"):
            bounds[name] = _categorical_factor(e, name, b)
            continue
        if kind not in ("int", "float"):
            raise ExperimentConfigError(
                f"experiment.sensitivity.params.{name}: needs a numeric parameter (or a list of "
                f"levels of a categorical one), it is {kind}"
            )
        try:
            lo, hi = (float(v) for v in (b.values() if isinstance(b, Mapping) else b))
        except (TypeError, ValueError):
            raise ExperimentConfigError(
                f"experiment.sensitivity.params.{name}={b!r}: expected [lo, hi]"
            ) from None
        if not lo < hi:
            raise ExperimentConfigError(
                f"experiment.sensitivity.params.{name}=[{lo:g}, {hi:g}]: need lo < hi"
            )
        bounds[name] = (lo, hi)
    problem = make_problem(bounds)
    seed = np.random.SeedSequence(e.root_seed, spawn_key=(2**31, 3))
    if method == "sobol":
        n = s.get("n_base", 32)
        try:
            X = sobol_sample(
                problem, n, calc_second_order=bool(s.get("second_order", False)), seed=seed
            )
        except ValueError as exc:
            raise ExperimentConfigError(f"experiment.sensitivity.n_base: {exc}") from None
    elif method == "morris":
        r = _int("sensitivity.trajectories", s.get("trajectories", 10), 2)
        levels = _int("sensitivity.levels", s.get("levels", 4), 2)
        try:
            X = morris_sample(problem, r, levels, seed=seed)
        except ValueError as exc:
            raise ExperimentConfigError(f"experiment.sensitivity.levels: {exc}") from None
    else:
        raise ExperimentConfigError(
            f"experiment.sensitivity.method={method!r}: allowed: sobol, morris"
        )
    return problem, X


def _categorical_factor(e: Experiment, name: str, spec: Any) -> Any:
    """A categorical sensitivity factor: a list of two or more distinct, valid levels."""
    from .sensitivity import Categorical

    if isinstance(spec, str) or not isinstance(spec, Sequence) or len(spec) < 2:
        raise ExperimentConfigError(
            f"experiment.sensitivity.params.{name}={spec!r}: a categorical factor needs a list "
            "of two or more levels, e.g. [deffuant, repulsive, hegselmann_krause]"
        )
    for level in spec:
        try:
            build_params(e.base, {name: level})
        except ValueError as exc:
            raise ExperimentConfigError(f"experiment.sensitivity.params.{name}: {exc}") from None
    try:
        return Categorical(tuple(spec))
    except ValueError as exc:
        raise ExperimentConfigError(f"experiment.sensitivity.params.{name}: {exc}") from None


def _design_runs(e: Experiment, design: pd.DataFrame, what: str) -> list[RunSpec]:
    points = [{k: _py(v) for k, v in row.items()} for row in design.to_dict("records")]
    params = validate_points(e.base, points, what)
    return make_runs(e.base, points, params, e.seeds, e.steps)


def _py(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def plan_runs(e: Experiment) -> list[RunSpec]:
    """Every run of a (non-optimise) experiment, validated, in a deterministic order."""
    if e.kind == "replicate":
        params = validate_points(e.base, [{}], "configuration")
        return make_runs(e.base, [{}], params, e.seeds, e.steps)
    if e.kind == "sweep":
        return _design_runs(e, sweep_design(e), "design point")
    if e.kind == "compare":
        points = [ov for _, ov in e.conditions]
        params = validate_points(e.base, points, "condition")
        tags = [{"condition": label} for label, _ in e.conditions]
        return make_runs(e.base, points, params, e.seeds, e.steps, tags)
    if e.kind == "sensitivity":
        from .sensitivity import design_frame

        problem, X = sensitivity_design(e)
        design = design_frame(problem, X)
        for name in problem["names"]:
            if param_kind(e.base, name) == "int":
                design[name] = np.rint(design[name]).astype(np.int64)
        return _design_runs(e, design, "design point")
    raise ExperimentConfigError(f"{e.kind}: runs are planned while it runs")


# --------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------


def write_spec(e: Experiment, paths: ExperimentPaths) -> None:
    """Write ``experiment.json`` (atomically), with the provenance of this launch."""
    from .provenance import provenance

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


def run_experiment(
    e: Experiment,
    results_dir: Path | str,
    *,
    launcher: Sequence[str] = (),
    progress: bool | str = "auto",
    echo: Callable[[str], None] | None = print,
    analyse: bool = True,
) -> tuple[ExecutionSummary, Path]:
    """Plan, run (resumably) and analyse an experiment.

    Returns:
        ``(summary, experiment folder)``; ``summary.ok`` is False when runs failed or were not
        run (the analysis then covers the runs that are stored).
    """
    paths = ExperimentPaths(Path(results_dir) / e.name)
    if echo is not None and e.work is not None and (e.work.large() or e.work.too_large()):
        echo(e.work.line())
    runs = plan_runs(e) if e.kind != "optimise" else []
    # One launch at a time per experiment folder: a second one waits, then skips what the
    # first stored (experiments.dataset.experiment_lock).
    with experiment_lock(paths.root, echo=echo):
        if e.kind == "optimise":
            from .optimise import run_optimise

            summary = run_optimise(e, paths, launcher=launcher, progress=progress, echo=echo)
        else:
            summary = execute_runs(
                e,
                paths,
                runs,
                launcher=launcher,
                progress=progress,
                echo=echo,
                before_launch=lambda: write_spec(e, paths),
            )
        if analyse:
            from .analysis import analyse as do_analyse

            do_analyse(paths.root, echo=echo)
    return summary, paths.root

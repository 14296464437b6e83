"""``govsim calibrate``: which parameter values are consistent with what is observed?

Approximate Bayesian computation by sequential Monte Carlo (ABC-SMC; Toni et al. 2009, *J. R.
Soc. Interface* 6:187; Beaumont et al. 2002, *Genetics* 162:2025) with :mod:`pyabc` (Schälte
et al. 2022, *J. Open Source Softw.* 7:4304): priors over chosen dotted parameters, the
observed patterns of a targets file (:mod:`experiments.targets`; pattern-oriented modelling,
Grimm et al. 2005), and a simulation budget.

* **The model** is govsim's own run function: each particle's parameters are applied to the
  experiment's base with :func:`sim.params.build_params` (so the schema validates them) and
  simulated by :func:`sim.run.run_one`; the summaries are the targets' statistics of that run
  (:func:`experiments.targets.target_statistics`). A combination the schema refuses (a
  cross-parameter constraint) gives NaN summaries, which pyabc rejects.
* **Distance**: a weighted Euclidean distance on standardised summaries, pyabc's
  ``AdaptivePNormDistance``, whose scale of each summary is re-estimated every generation
  (Prangle 2017, *Bayesian Anal.* 12:289) as √(MAD² + σ²): the median absolute deviation of the
  simulated summaries and the observation's own uncertainty σ (given as ``sd``, or an
  ``interval`` read as a 90 % range), so a loosely observed pattern weighs less. The targets'
  weights multiply.
* **Seeds**: each simulation's seed is a hash of the experiment's root seed and the particle's
  parameters, so any particle is reproduced by ``run_one`` from its stored values. With
  ``common_seeds: K`` every simulation uses one of K fixed seeds (common random numbers:
  particles are compared on the same K realisations of the community's chance events, which
  lowers the noise of their differences; K = 0 draws fresh noise for every simulation).
* **Resume**: pyabc's SQLite history (``abc.db`` in the experiment folder) commits every
  finished generation; after ``kill -9`` the same command loads it (``ABCSMC.load``) and goes on
  with the next generation. Only the simulations of the unfinished generation are redone.
* **Scale-out** is pyabc's own: ``sampler.kind`` = ``single``, ``multicore``
  (``MulticoreEvalParallelSampler``), ``dask`` (``DaskDistributedSampler`` on a scheduler
  address, or a local cluster) or ``redis`` (``RedisEvalParallelSampler``; start
  ``abc-redis-worker`` processes on any machine).

Output (``results/<name>/``): ``posterior.parquet`` (the last population: parameters and
weights), ``tables/credible_intervals.csv`` (weighted quantiles, the prior's, and the
posterior/prior width ratio of each parameter: the identifiability note), the pairwise figure,
posterior predictive checks against every target (``tables/fit.csv``, ``figures/fit.png``) and a
scenario preset of the posterior medians (``preset/scenario/calibrated.yaml``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import multiprocessing
import os
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from sim.params import Params, build_params, diff, iter_fields, to_dict
from sim.run import run_one

from ..dataset import experiment_lock
from ..design import ExperimentConfigError, replicate_seeds
from ..execute import ExecutionSummary, ExperimentPaths
from ..figures import save
from ..posterior import POSTERIOR_FILE, draw_posterior
from ..report import md_table, write_table
from ..spec import Experiment, load_experiment, write_spec
from ..store import atomic_write_bytes, atomic_write_parquet
from ..targets import TargetSet, load_targets, target_statistics
from .base import ExperimentKind, register_kind

__all__ = [
    "PRIOR_KINDS",
    "SAMPLERS",
    "Calibrate",
    "CalibrateSettings",
    "Prior",
    "Simulator",
    "calibration_state",
    "credible_intervals",
    "load_posterior",
    "parse_settings",
    "posterior_draws",
    "run_abc",
    "weighted_quantile",
]

PRIOR_KINDS = ("uniform", "loguniform", "normal")
SAMPLERS = ("single", "multicore", "dask", "redis")
DB_NAME = "abc.db"
STATE_NAME = "calibration.json"
#: Below this posterior/prior width ratio a parameter counts as pinned down by the targets.
PINNED = 0.5
#: Above this it is left (almost) open.
OPEN = 0.8
#: Below this effective sample size (Kish: 1 / Σ w², weights summing to 1) the posterior's
#: intervals are too rough for a verdict on identifiability.
MIN_ESS = 30.0


@dataclass(frozen=True)
class Prior:
    """Prior of one calibrated parameter (independent across parameters).

    ``uniform`` and ``loguniform`` on [a, b]; ``normal`` with mean a and sd b (values outside
    the schema's range are refused by the schema, so it acts truncated).
    """

    name: str
    kind: str
    a: float
    b: float

    def frozen(self) -> Any:
        """The scipy.stats distribution."""
        if self.kind == "uniform":
            return stats.uniform(self.a, self.b - self.a)
        if self.kind == "loguniform":
            return stats.loguniform(self.a, self.b)
        return stats.norm(self.a, self.b)

    def rv(self) -> Any:
        """The pyabc random variable."""
        import pyabc

        if self.kind == "uniform":
            return pyabc.RV("uniform", self.a, self.b - self.a)
        if self.kind == "loguniform":
            return pyabc.RV("loguniform", self.a, self.b)
        return pyabc.RV("norm", self.a, self.b)

    def text(self) -> str:
        """``uniform(0.1, 0.5)`` etc."""
        return f"{self.kind}({self.a:g}, {self.b:g})"


@dataclass(frozen=True)
class CalibrateSettings:
    """``experiment.calibrate``: what to fit, to what, with which budget.

    Attributes:
        targets: The targets file (YAML or CSV; a relative path is looked up in the working
            directory, then in govsim's source tree).
        priors: ``dotted parameter -> [lo, hi]`` (uniform) or ``{uniform|loguniform: [lo, hi]}``
            or ``{normal: [mean, sd]}``.
        population_size: Particles per generation.
        generations: Most generations (populations) to sample.
        max_simulations: Stop after this many simulations in all (0: no limit).
        min_epsilon: Stop once the acceptance threshold is at or below this (0: never).
        min_acceptance_rate: Stop once a generation accepts fewer than this share.
        common_seeds: 0: fresh seed per simulation; K > 0: each simulation uses one of K
            fixed seeds (common random numbers).
        sampler: ``{kind: single|multicore|dask|redis, n_procs, address, host, port,
            password}``.
        level: Level of the credible intervals.
    """

    targets: str
    priors: tuple[Prior, ...]
    population_size: int = 100
    generations: int = 8
    max_simulations: int = 0
    min_epsilon: float = 0.0
    min_acceptance_rate: float = 0.0
    common_seeds: int = 0
    sampler: dict[str, Any] = field(default_factory=lambda: {"kind": "multicore"})
    level: float = 0.9
    target_set: TargetSet | None = field(default=None, compare=False, repr=False)

    @property
    def names(self) -> list[str]:
        """The calibrated parameters, in config order."""
        return [p.name for p in self.priors]

    def to_json(self) -> dict[str, Any]:
        """Plain data (what identifies a calibration: a resume must match it)."""
        return {
            "targets": self.targets,
            "priors": {p.name: {p.kind: [p.a, p.b]} for p in self.priors},
            "population_size": self.population_size,
            "common_seeds": self.common_seeds,
        }


_SETTINGS = (
    "targets", "priors", "population_size", "generations", "max_simulations", "min_epsilon",
    "min_acceptance_rate", "common_seeds", "sampler", "level",
)  # fmt: skip
_SAMPLER_KEYS = {
    "single": (),
    "multicore": ("n_procs",),
    "dask": ("address", "n_procs"),
    "redis": ("host", "port", "password"),
}
_PKG_ROOT = Path(__file__).resolve().parents[2]


def _key(name: str) -> str:
    return f"experiment.calibrate.{name}"


def _int(name: str, value: Any, lo: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < lo:
        raise ExperimentConfigError(f"{_key(name)}={value!r}: expected an integer ≥ {lo}")
    return int(value)


def _float(name: str, value: Any, lo: float, hi: float = math.inf) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not math.isfinite(float(value)) or not lo <= float(value) <= hi:
        rng = f"[{lo:g}, {hi:g}]" if math.isfinite(hi) else f"≥ {lo:g}"
        raise ExperimentConfigError(f"{_key(name)}={value!r}: expected a number {rng}")
    return float(value)


def resolve_targets(path: str) -> Path:
    """The targets file: as given (relative to the working directory), else ``configs/…``
    of govsim's source tree, of ``GOVSIM_CONFIG_DIR`` or of an installed wheel (which ships
    ``configs/`` as ``govsim/_configs``)."""
    p = Path(path).expanduser()
    if p.is_file() or p.is_absolute():
        return p.resolve() if p.exists() else p
    inner = Path(*p.parts[1:]) if p.parts and p.parts[0] == "configs" else p
    roots = [Path(os.environ["GOVSIM_CONFIG_DIR"])] if os.environ.get("GOVSIM_CONFIG_DIR") else []
    roots += [_PKG_ROOT / "configs", _PKG_ROOT / "govsim" / "_configs"]
    for root in roots:
        if (root / inner).is_file():
            return (root / inner).resolve()
    return p


def _schema_range(base: Params, name: str) -> tuple[str, float | None, float | None]:
    for info in iter_fields(base):
        if info.name == name:
            return info.type, info.lo, info.hi
    try:  # the engine's own message names the closest parameter
        build_params(base, {name: 0.0})
    except ValueError as exc:
        raise ExperimentConfigError(f"{_key('priors')}: {exc}") from None
    raise ExperimentConfigError(f"{_key('priors')}: unknown parameter {name!r}")


def _prior(name: str, spec: Any, base: Params) -> Prior:
    where = f"{_key('priors')}.{name}"
    kind, vals = "uniform", spec
    if isinstance(spec, Mapping):
        if len(spec) != 1 or next(iter(spec)) not in PRIOR_KINDS:
            raise ExperimentConfigError(
                f"{where}={dict(spec)!r}: expected [lo, hi] or one of "
                "{uniform: [lo, hi]}, {loguniform: [lo, hi]}, {normal: [mean, sd]}"
            )
        kind, vals = next(iter(spec.items()))
    ok = isinstance(vals, Sequence) and not isinstance(vals, str) and len(vals) == 2
    nums = ok and all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in vals
    )
    if not nums:
        raise ExperimentConfigError(f"{where}={vals!r}: expected two finite numbers")
    a, b = float(vals[0]), float(vals[1])
    if kind in ("uniform", "loguniform") and not a < b:
        raise ExperimentConfigError(f"{where}: {kind}({a:g}, {b:g}): lo must be below hi")
    if kind == "loguniform" and a <= 0:
        raise ExperimentConfigError(f"{where}: loguniform needs lo > 0, got {a:g}")
    if kind == "normal" and b <= 0:
        raise ExperimentConfigError(f"{where}: normal({a:g}, {b:g}): sd must be > 0")
    typ, lo, hi = _schema_range(base, name)
    if typ != "float":
        raise ExperimentConfigError(
            f"{where}: {name} is a {typ} parameter; calibrate continuous (float) parameters"
        )
    prior = Prior(name, kind, a, b)
    ends = (a, b) if kind != "normal" else tuple(prior.frozen().ppf([0.001, 0.999]))
    for v in ends:
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            if kind == "normal":
                continue  # the schema truncates a normal prior
            raise ExperimentConfigError(
                f"{where}: {prior.text()} leaves the parameter's range [{lo:g}, {hi:g}]"
            )
    if kind != "normal":
        for v in (a, b):  # the ends must be valid models of this base (cross-constraints)
            try:
                build_params(base, {name: v}, unread="reset")
            except ValueError as exc:
                raise ExperimentConfigError(f"{where}: at {v:g}: {exc}") from None
    return prior


def parse_settings(raw: Mapping[str, Any], base: Params) -> CalibrateSettings:
    """Validate ``experiment.calibrate`` against the base parameters.

    Raises:
        ExperimentConfigError: One line naming the setting and what is allowed (a bad targets
            file: :class:`experiments.targets.TargetsError`, the same one line).
    """
    if not isinstance(raw, Mapping):
        raise ExperimentConfigError(
            f"experiment.calibrate={raw!r}: expected a mapping of {', '.join(_SETTINGS)}"
        )
    raw = {k: v for k, v in raw.items() if v is not None}
    unknown = sorted(set(raw) - set(_SETTINGS))
    if unknown:
        raise ExperimentConfigError(
            f"{_key(unknown[0])}: unknown setting; allowed: {', '.join(_SETTINGS)}"
        )
    if not raw.get("targets"):
        raise ExperimentConfigError(
            f"{_key('targets')}: not set; give a targets file, e.g. "
            "experiment.calibrate.targets=configs/targets/urban_china.yaml"
        )
    path = resolve_targets(str(raw["targets"]))
    targets = load_targets(path)
    targets.check_groups(list(base.population.groups))
    pri = raw.get("priors")
    if not isinstance(pri, Mapping) or not pri:
        raise ExperimentConfigError(
            f"{_key('priors')}: expected a mapping dotted parameter → [lo, hi], e.g. "
            "{opinions.mu: [0.05, 0.5]}"
        )
    priors = tuple(_prior(str(k), v, base) for k, v in pri.items())
    smp = raw.get("sampler", {"kind": "multicore"})
    if isinstance(smp, str):
        smp = {"kind": smp}
    if not isinstance(smp, Mapping) or smp.get("kind", "multicore") not in SAMPLERS:
        raise ExperimentConfigError(
            f"{_key('sampler')}={smp!r}: expected {{kind: {'|'.join(SAMPLERS)}, ...}}"
        )
    smp = {"kind": "multicore", **dict(smp)}
    extra = sorted(set(smp) - {"kind", *_SAMPLER_KEYS[smp["kind"]]})
    if extra:
        allowed = ", ".join(("kind", *_SAMPLER_KEYS[smp["kind"]]))
        raise ExperimentConfigError(
            f"{_key('sampler')}.{extra[0]}: not read by sampler {smp['kind']}; allowed: {allowed}"
        )
    if smp.get("n_procs") is not None:
        _int("sampler.n_procs", smp["n_procs"], 1)
    s = CalibrateSettings(
        targets=str(path),
        priors=priors,
        population_size=_int("population_size", raw.get("population_size", 100), 2),
        generations=_int("generations", raw.get("generations", 8), 1),
        max_simulations=_int("max_simulations", raw.get("max_simulations", 0), 0),
        min_epsilon=_float("min_epsilon", raw.get("min_epsilon", 0.0), 0.0),
        min_acceptance_rate=_float("min_acceptance_rate", raw.get("min_acceptance_rate", 0), 0, 1),
        common_seeds=_int("common_seeds", raw.get("common_seeds", 0), 0),
        sampler=smp,
        level=_float("level", raw.get("level", 0.9), 0.01, 0.999),
        target_set=targets,
    )
    return s


# --------------------------------------------------------------------------------------------
# The model pyabc calls
# --------------------------------------------------------------------------------------------


class Simulator:
    """``theta -> {target component: value}``: one govsim run per call (picklable).

    Args:
        base: The experiment's base parameters.
        names: The calibrated parameters.
        steps: Weeks per run.
        targets: The targets whose statistics are returned.
        root_seed: The experiment's root seed.
        common_seeds: 0 (a seed per parameter vector) or the size of a fixed seed pool.
    """

    def __init__(
        self,
        base: Params,
        names: Sequence[str],
        steps: int,
        targets: TargetSet,
        root_seed: int,
        common_seeds: int = 0,
    ) -> None:
        self.base = base
        self.names = list(names)
        self.steps = int(steps)
        self.targets = targets
        self.root_seed = int(root_seed)
        self.pool = replicate_seeds(self.root_seed + 2**42, common_seeds) if common_seeds else []

    def overrides(self, theta: Mapping[str, Any]) -> dict[str, float]:
        """The dotted-name overrides of a particle."""
        return {n: float(theta[n]) for n in self.names}

    def seed(self, theta: Mapping[str, Any]) -> int:
        """The particle's seed: a hash of the root seed and its parameter values."""
        vals = np.asarray([float(theta[n]) for n in self.names], dtype=np.float64)
        digest = hashlib.sha256(vals.tobytes() + str(self.root_seed).encode()).digest()
        h = int.from_bytes(digest[:8], "little") >> 1
        if self.pool:
            return self.pool[h % len(self.pool)]
        return h

    def statistics(self, theta: Mapping[str, Any], seed: int) -> dict[str, float]:
        """Run the model at ``theta`` with ``seed``; NaN summaries if the schema refuses it."""
        try:
            params = build_params(self.base, self.overrides(theta), unread="reset")
        except ValueError:
            return dict.fromkeys(self.targets.components, math.nan)
        r = run_one(params, seed=int(seed), steps=self.steps)
        return target_statistics(self.targets, r.model, r.groups, r.summary)

    def __call__(self, theta: Mapping[str, Any]) -> dict[str, float]:
        return self.statistics(theta, self.seed(theta))


class ObservationScale:
    """pyabc scale function √(MAD² + σ²) (see the module docstring); picklable."""

    __name__ = "mad_with_observation_sd"  # pyabc records the scale function by name

    def __init__(self, sd: Mapping[str, float]) -> None:
        self.sd = {k: float(v) for k, v in sd.items()}

    def __call__(self, *, samples: np.ndarray, s_ids: Sequence[str], **kwargs: Any) -> np.ndarray:
        samples = np.asarray(samples, dtype=float)
        with np.errstate(all="ignore"):
            med = np.nanmedian(samples, axis=0)
            mad = np.nanmedian(np.abs(samples - med), axis=0)
        sd = np.array([self.sd.get(str(k), 0.0) for k in s_ids], dtype=float)
        sd = np.where(np.isfinite(sd), sd, 0.0)
        return np.sqrt(np.where(np.isfinite(mad), mad, 0.0) ** 2 + sd**2)


def _sampler(s: CalibrateSettings) -> Any:
    import pyabc

    kind = s.sampler["kind"]
    if kind == "single":
        return pyabc.sampler.SingleCoreSampler()
    if kind == "multicore":
        return pyabc.sampler.MulticoreEvalParallelSampler(n_procs=s.sampler.get("n_procs"))
    if kind == "dask":
        from dask.distributed import Client, LocalCluster

        if s.sampler.get("address"):
            client = Client(s.sampler["address"])
        else:
            n = s.sampler.get("n_procs")
            client = Client(LocalCluster(n_workers=n, threads_per_worker=1, processes=True))
        return pyabc.sampler.DaskDistributedSampler(dask_client=client)
    return pyabc.sampler.RedisEvalParallelSampler(
        host=s.sampler.get("host", "localhost"),
        port=int(s.sampler.get("port", 6379)),
        password=s.sampler.get("password"),
    )


def _fingerprint(s: CalibrateSettings, base: Params, steps: int, root_seed: int) -> str:
    assert s.target_set is not None
    data = {
        "settings": {k: v for k, v in s.to_json().items() if k != "targets"},  # not its path
        "targets": [t.__dict__ for t in s.target_set.targets],
        "base": to_dict(base),
        "steps": int(steps),
        "root_seed": int(root_seed),
    }
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def calibration_state(root: Path) -> dict[str, Any]:
    """What ``calibration.json`` in an experiment folder says (``{}`` if none)."""
    p = Path(root) / STATE_NAME
    return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else {}


def run_abc(
    s: CalibrateSettings,
    base: Params,
    steps: int,
    root_seed: int,
    root: Path,
    *,
    echo: Callable[[str], None] | None = print,
) -> dict[str, Any]:
    """Run (or resume) the ABC-SMC of one calibration in folder ``root``, holding the
    experiment's lock (a second launch on the same folder waits).

    Returns:
        The calibration state: generations done, simulations, epsilon per generation, whether
        it was resumed.

    Raises:
        ExperimentConfigError: The folder holds a calibration with other settings.
    """
    with experiment_lock(root, echo=echo):
        return _run_abc(s, base, steps, root_seed, Path(root), echo=echo)


def _run_abc(
    s: CalibrateSettings,
    base: Params,
    steps: int,
    root_seed: int,
    root: Path,
    *,
    echo: Callable[[str], None] | None = print,
) -> dict[str, Any]:
    import pyabc

    assert s.target_set is not None
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    db = root / DB_NAME
    fp = _fingerprint(s, base, steps, root_seed)
    state = calibration_state(root)
    if db.exists() and state.get("fingerprint") not in (None, fp):
        raise ExperimentConfigError(
            f"{root}: holds a calibration with other priors, targets, base or budget-defining "
            "settings; choose another experiment.name or remove the folder"
        )
    # A copy of the targets file travels with the results (the report reads it, not the
    # original, which may change later).
    src = Path(s.targets)
    copy = root / f"targets{src.suffix}"
    if not copy.exists() or copy.read_bytes() != src.read_bytes():
        atomic_write_bytes(src.read_bytes(), copy)
    sim = Simulator(base, s.names, steps, s.target_set, root_seed, s.common_seeds)
    prior = pyabc.Distribution(**{p.name: p.rv() for p in s.priors})
    sd = {c: v for t in s.target_set.targets for c, v in zip(t.components, t.sd, strict=True)}
    distance = pyabc.AdaptivePNormDistance(
        p=2, scale_function=ObservationScale(sd), fixed_weights=s.target_set.weights()
    )
    logging.getLogger("ABC").setLevel(logging.WARNING)
    logging.getLogger("pyabc").setLevel(logging.WARNING)
    abc = pyabc.ABCSMC(sim, prior, distance, population_size=s.population_size, sampler=_sampler(s))
    url = "sqlite:///" + str(db)
    resumed = False
    done = 0
    if db.exists():
        try:
            h = pyabc.History(url)
            done = int(h.max_t) + 1 if h.n_populations else 0
        except Exception:  # an empty or foreign file: start afresh
            done = 0
    if done > 0:
        abc.load(url, 1)
        resumed = True
        if echo:
            echo(f"  resuming: {done} generation(s) stored in {db}")
    else:
        if db.exists():
            db.unlink()  # nothing finished in it (killed during the first generation)
        # pyabc draws from NumPy's global generator (single-core runs are reproducible)
        np.random.seed(int(root_seed) % 2**32)  # noqa: NPY002
        abc.new(url, s.target_set.observed())
    atomic_write_bytes(
        json.dumps({"fingerprint": fp, "status": "running"}, indent=1).encode(), root / STATE_NAME
    )
    left = s.generations - done
    if left > 0:
        h0 = abc.history
        sims_done = int(h0.total_nr_simulations) if done else 0
        cap = s.max_simulations - sims_done if s.max_simulations else np.inf
        if cap > 0:
            abc.run(
                minimum_epsilon=s.min_epsilon or None,
                max_nr_populations=left,
                min_acceptance_rate=s.min_acceptance_rate,
                max_total_nr_simulations=s.max_simulations or np.inf,
            )
    h = pyabc.History(url)
    pops = h.get_all_populations()
    pops = pops[pops["t"] >= 0]
    out = {
        "fingerprint": fp,
        "status": "done",
        "resumed": resumed,
        "generations": int(len(pops)),
        "simulations": int(h.total_nr_simulations),
        "epsilon": [float(x) for x in pops["epsilon"]],
        "samples": [int(x) for x in pops["samples"]],
        "population_size": s.population_size,
        "sampler": s.sampler,
    }
    atomic_write_parquet(load_posterior(root), root / POSTERIOR_FILE, index=False)
    atomic_write_bytes(json.dumps(out, indent=1).encode(), root / STATE_NAME)
    return out


# --------------------------------------------------------------------------------------------
# The posterior
# --------------------------------------------------------------------------------------------


def load_posterior(root: Path | str, t: int | None = None) -> pd.DataFrame:
    """The posterior sample of a calibration folder: one row per particle (its parameters,
    ``weight`` summing to 1, ``generation``); the last generation by default."""
    import pyabc

    db = Path(root) / DB_NAME
    if not db.is_file():
        raise ExperimentConfigError(
            f"{root}: no calibration here ({DB_NAME} missing); run `govsim calibrate` first"
        )
    h = pyabc.History("sqlite:///" + str(db))
    if not h.n_populations:
        raise ExperimentConfigError(f"{root}: the calibration has no finished generation yet")
    tt = h.max_t if t is None else t
    df, w = h.get_distribution(m=0, t=tt)
    out = df.reset_index(drop=True).copy()
    out.columns = [str(c) for c in out.columns]
    out["weight"] = np.asarray(w, dtype=float) / float(np.sum(w))
    out["generation"] = int(tt)
    return out


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """Quantiles of a weighted sample (inverse of the weighted empirical CDF, midpoints)."""
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    x, w = x[w > 0], w[w > 0]
    order = np.argsort(x)
    x, w = x[order], w[order]
    cdf = (np.cumsum(w) - 0.5 * w) / np.sum(w)
    return np.interp(np.asarray(q, dtype=float), cdf, x)


def credible_intervals(
    post: pd.DataFrame, priors: Sequence[Prior], level: float = 0.9
) -> pd.DataFrame:
    """Weighted posterior mean, median and central ``level`` interval of each parameter, the
    prior's interval at the same level, and their width ratio with a verdict (the
    identifiability note: *pinned* below :data:`PINNED`, *open* above :data:`OPEN`; no verdict,
    *too few particles*, when the sample's effective size ``ess`` is below :data:`MIN_ESS`)."""
    a = (1.0 - level) / 2
    rows = []
    w = post["weight"].to_numpy(dtype=float)
    w = w / w.sum()
    ess = float(1.0 / np.sum(w**2))
    for p in priors:
        x = post[p.name].to_numpy(dtype=float)
        lo, med, hi = weighted_quantile(x, w, [a, 0.5, 1 - a])
        plo, phi = p.frozen().ppf([a, 1 - a])
        ratio = (hi - lo) / (phi - plo) if phi > plo else math.nan
        verdict = "pinned" if ratio < PINNED else ("open" if ratio > OPEN else "partly")
        if ess < MIN_ESS:
            verdict = "too few particles"
        rows.append(
            {
                "parameter": p.name,
                "prior": p.text(),
                "mean": float(np.sum(w * x)),
                "median": float(med),
                "lo": float(lo),
                "hi": float(hi),
                "prior_lo": float(plo),
                "prior_hi": float(phi),
                "width_ratio": float(ratio),
                "identified": verdict,
                "ess": ess,
            }
        )
    return pd.DataFrame(rows)


def posterior_draws(root: Path | str, n: int, seed: int) -> list[dict[str, float]]:
    """``n`` parameter vectors resampled from a calibration's posterior by weight (with
    replacement; deterministic given ``seed``) as dotted-name overrides."""
    return draw_posterior(load_posterior(root), n, seed)


def _nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in flat.items():
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def preset_yaml(base: Params, central: Mapping[str, float], description: str) -> str:
    """A Hydra scenario file (``# @package _global_``) whose parameters are ``base`` with the
    ``central`` values: every setting that differs from the schema defaults."""
    params = build_params(base, dict(central), unread="reset")
    body = _nest({k: v for k, v in diff(Params(), params).items() if k != "population.groups"})
    d = diff(Params(), params)
    if "population.groups" in d:
        body.setdefault("population", {})["groups"] = d["population.groups"]
    head = {"scenario": {"description": description, "claim": ""}}
    text = yaml.safe_dump({**head, **body}, sort_keys=False, allow_unicode=True, width=96)
    return "# @package _global_\n" + text


# --------------------------------------------------------------------------------------------
# Posterior predictive checks
# --------------------------------------------------------------------------------------------

PPC_NAME = "ppc.parquet"


def run_ppc(
    s: CalibrateSettings,
    base: Params,
    steps: int,
    root_seed: int,
    root: Path,
    seeds: Sequence[int],
    *,
    n_jobs: int = 1,
) -> pd.DataFrame:
    """Simulate one posterior draw per seed (``experiment.replications`` of them), and the
    posterior medians (the
    calibrated preset) on the same seeds (common random numbers: the preset's spread is the
    community's chance alone, the draws' spread adds the parameter uncertainty).

    Written to ``ppc.parquet`` (one row per simulation: ``kind`` draw/central, ``draw``,
    ``seed``, the parameters, one column per target component); reused while the posterior
    and settings are unchanged.
    """
    assert s.target_set is not None
    path = Path(root) / PPC_NAME
    post = load_posterior(root)
    n = len(seeds)
    seeds_hash = hashlib.sha256(json.dumps([int(x) for x in seeds]).encode()).hexdigest()[:12]
    stamp = (
        f"{_fingerprint(s, base, steps, root_seed)}/{int(post['generation'].iloc[0])}/{seeds_hash}"
    )
    if path.is_file():
        old = pd.read_parquet(path)
        if len(old) and str(old["stamp"].iloc[0]) == stamp:
            return old
    draws = posterior_draws(root, n, root_seed)
    ci = credible_intervals(post, s.priors, s.level)
    central = dict(zip(ci["parameter"], ci["median"], strict=True))
    sim = Simulator(base, s.names, steps, s.target_set, root_seed)
    jobs = [("draw", i, d, seeds[i]) for i, d in enumerate(draws)]
    jobs += [("central", i, central, seeds[i]) for i in range(n)]
    args = ([d for _, _, d, _ in jobs], [seed for *_, seed in jobs])
    if n_jobs > 1:
        # fork where the platform has it (as pyabc's multicore samplers do): the workers
        # inherit the compiled engine instead of importing and compiling it again
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
        with ProcessPoolExecutor(max_workers=n_jobs, mp_context=ctx) as pool:
            results = list(pool.map(sim.statistics, *args))
    else:
        results = [sim.statistics(d, seed) for d, seed in zip(*args, strict=True)]
    rows = []
    for (kind, i, d, seed), res in zip(jobs, results, strict=True):
        rows.append({"stamp": stamp, "kind": kind, "draw": i, "seed": seed, **d, **res})
    df = pd.DataFrame(rows)
    atomic_write_parquet(df, path, index=False)
    return df


def fit_table(targets: TargetSet, ppc: pd.DataFrame, level: float = 0.9) -> pd.DataFrame:
    """Each target component against the posterior predictive distribution.

    Columns: the observation (value, interval, source kind), the predictive median and central
    ``level`` interval over the posterior draws, the calibrated preset's median over the same
    seeds, ``z`` (predictive median − observed, in units of the observation's sd or, where none
    is given, of the predictive sd), and ``fits``: the observed value lies inside the predictive
    interval (or, for an observed interval, the two overlap).
    """
    a = (1.0 - level) / 2
    draws = ppc[ppc["kind"] == "draw"] if len(ppc) else ppc
    cen = ppc[ppc["kind"] == "central"] if len(ppc) else ppc
    rows = []
    for t in targets.targets:
        for c, v, iv, sd in zip(t.components, t.values, t.intervals, t.sd, strict=True):
            x = draws[c].to_numpy(dtype=float) if c in draws else np.array([])
            x = x[np.isfinite(x)]
            if x.size:
                lo, med, hi = np.quantile(x, [a, 0.5, 1 - a])
                spread = float(np.std(x, ddof=1)) if x.size > 1 else math.nan
            else:
                lo = med = hi = spread = math.nan
            y = cen[c].to_numpy(dtype=float) if c in cen else np.array([])
            y = y[np.isfinite(y)]
            scale = sd if math.isfinite(sd) else spread
            z = (med - v) / scale if scale and math.isfinite(scale) and scale > 0 else math.nan
            if iv is not None:
                fits = bool(x.size) and hi >= iv[0] and lo <= iv[1]
            else:
                fits = bool(x.size) and lo <= v <= hi
            rows.append(
                {
                    "target": c,
                    "statistic": t.describe(),
                    "observed": v,
                    "obs_lo": iv[0] if iv else math.nan,
                    "obs_hi": iv[1] if iv else math.nan,
                    "pred_median": med,
                    "pred_lo": lo,
                    "pred_hi": hi,
                    "preset_median": float(np.median(y)) if y.size else math.nan,
                    "z": z,
                    "fits": fits,
                    "weight": t.weight,
                    "source": "assumed" if t.assumed else "sourced",
                    "runs": int(x.size),
                }
            )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


def plot_posterior(post: pd.DataFrame, priors: Sequence[Prior], title: str = "") -> Any:
    """Marginals (weighted histograms over the prior density) on the diagonal, pairwise
    weighted scatter plots below it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    k = len(priors)
    fig = Figure(figsize=(2.6 * k + 1, 2.6 * k + 0.6), layout="constrained")
    FigureCanvasAgg(fig)
    w = post["weight"].to_numpy(dtype=float)
    for i, pi in enumerate(priors):
        for j, pj in enumerate(priors):
            if j > i:
                continue
            ax = fig.add_subplot(k, k, i * k + j + 1)
            xi = post[pi.name].to_numpy(dtype=float)
            if i == j:
                lo, hi = pi.frozen().ppf([0.001, 0.999])
                ax.hist(xi, bins=20, range=(lo, hi), weights=w, density=True, color="C0")
                grid = np.linspace(lo, hi, 200)
                ax.plot(grid, pi.frozen().pdf(grid), color="0.4", ls="--", lw=1)
                ax.set_yticks([])
            else:
                xj = post[pj.name].to_numpy(dtype=float)
                ax.scatter(xj, xi, s=6 + 300 * w, alpha=0.5, color="C0", lw=0)
            if i == k - 1:
                ax.set_xlabel(pj.name, fontsize=8)
            if j == 0 and i != j:
                ax.set_ylabel(pi.name, fontsize=8)
            ax.tick_params(labelsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def plot_fit(table: pd.DataFrame, ppc: pd.DataFrame, title: str = "") -> Any:
    """One panel per target component: the posterior predictive values (dots, their interval
    as a bar), the calibrated preset's values, and the observation (line, or band)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    n = len(table)
    ncols = min(n, 4)
    nrows = math.ceil(n / ncols)
    fig = Figure(figsize=(3.2 * ncols, 2.6 * nrows + 0.4), layout="constrained")
    FigureCanvasAgg(fig)
    rng = np.random.default_rng(0)  # jitter only
    for k, row in enumerate(table.itertuples(index=False)):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        for pos, kind, color in ((0, "draw", "C0"), (1, "central", "C2")):
            vals = ppc.loc[ppc["kind"] == kind, row.target].to_numpy(dtype=float)
            vals = vals[np.isfinite(vals)]
            ax.scatter(pos + rng.uniform(-0.15, 0.15, vals.size), vals, s=8, color=color, alpha=0.6)
        ax.plot([0, 0], [row.pred_lo, row.pred_hi], color="C0", lw=3, alpha=0.5)
        if math.isfinite(row.obs_lo):
            ax.axhspan(row.obs_lo, row.obs_hi, color="C3", alpha=0.15)
        ax.axhline(row.observed, color="C3", lw=1.5)
        ax.set_xticks([0, 1], ["posterior", "preset"], fontsize=7)
        ax.set_xlim(-0.5, 1.5)
        ax.set_title(("✓ " if row.fits else "✗ ") + row.target, fontsize=8)
        ax.tick_params(labelsize=7)
    if title:
        fig.suptitle(title + " (red: observed)", fontsize=10)
    return fig


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------


def generations_table(root: Path | str) -> pd.DataFrame:
    """Per generation: epsilon, simulations, accepted particles and the acceptance rate."""
    import pyabc

    h = pyabc.History("sqlite:///" + str(Path(root) / DB_NAME))
    pops = h.get_all_populations()
    pops = pops[pops["t"] >= 0].copy()
    n = h.get_nr_particles_per_population()
    pops["particles"] = [int(n.get(t, 0)) for t in pops["t"]]
    pops["acceptance_rate"] = pops["particles"] / pops["samples"]
    return pops[["t", "epsilon", "samples", "particles", "acceptance_rate"]].rename(
        columns={"t": "generation", "samples": "simulations"}
    )


def write_outputs(
    s: CalibrateSettings,
    base: Params,
    steps: int,
    root_seed: int,
    root: Path,
    *,
    name: str = "calibration",
    fmt: Callable[[pd.DataFrame], str] | None = None,
) -> list[str]:
    """Write the posterior, its tables and figures, the fit and the preset; return the
    Markdown lines of the report (``fmt`` renders a table; default: ``DataFrame.to_markdown``
    free plain text)."""
    assert s.target_set is not None
    root = Path(root)
    show = fmt or (lambda df: df.to_string(index=False))
    post = load_posterior(root)
    atomic_write_parquet(post, root / POSTERIOR_FILE, index=False)
    ci = credible_intervals(post, s.priors, s.level)
    write_table(ci, root / "tables" / "credible_intervals")
    gens = generations_table(root)
    write_table(gens, root / "tables" / "generations")
    state = calibration_state(root)
    pct = f"{s.level:.0%}"
    lines = [
        "## Calibration",
        "",
        f"ABC-SMC (pyabc) of {len(s.priors)} parameters against {len(s.target_set.targets)} "
        f"targets ({len(s.target_set.components)} components) of `{Path(s.targets).name}`: "
        f"{len(gens)} generations of {s.population_size} particles, "
        f"{int(state.get('simulations', gens['simulations'].sum()))} simulations (the prior "
        "sample that sets the first scales included) "
        f"({state.get('sampler', s.sampler).get('kind')} sampler); acceptance threshold "
        + " → ".join(f"{e:.3g}" for e in gens["epsilon"])
        + ". `tables/generations.csv`.",
        "",
        show(gens),
        "",
        f"## Posterior ({pct} credible intervals)",
        "",
        f"Posterior sample: `posterior.parquet` ({len(post)} particles of generation "
        f"{int(post['generation'].iloc[0])}, with weights). `tables/credible_intervals.csv`.",
        "",
        show(ci[["parameter", "prior", "median", "lo", "hi", "width_ratio", "identified"]]),
        "",
    ]
    fig = save(plot_posterior(post, s.priors, f"{name}: posterior"), root / "figures/posterior.png")
    lines += [f"![posterior]({fig.relative_to(root).as_posix()})", ""]
    ess = float(ci["ess"].iloc[0]) if len(ci) else math.nan
    lines += [
        f"Effective sample size of the posterior (1 / Σ w²): {ess:.1f} of {len(post)} particles"
        + (
            f" — below {MIN_ESS:g}: a few particles carry most of the weight, the intervals "
            "are rough and no identifiability verdict is given; raise "
            "experiment.calibrate.population_size and generations (the run resumes)."
            if ess < MIN_ESS
            else "."
        ),
        "",
    ]
    pinned = ci.loc[ci["identified"] == "pinned", "parameter"].tolist()
    partly = ci.loc[ci["identified"] == "partly", "parameter"].tolist()
    left = ci.loc[ci["identified"] == "open", "parameter"].tolist()
    lines += [
        "## Identifiability",
        "",
        f"Width ratio = posterior {pct} interval width / prior {pct} interval width. "
        f"Pinned down by the targets (< {PINNED}): {', '.join(pinned) or 'none'}. "
        f"Partly ({PINNED}–{OPEN}): {', '.join(partly) or 'none'}. "
        f"Left open (> {OPEN}): {', '.join(left) or 'none'} — the targets do not inform "
        + ("these; their posterior is close to the prior." if left else "any parameter fully.")
        + " Ridges in the pairwise plot mean the targets fix a combination of parameters.",
        "",
    ]
    if ess < MIN_ESS:
        lines[-2] = (
            f"No verdict: the posterior has {ess:.1f} effective particles (< {MIN_ESS:g}). "
            f"Width ratios (posterior {pct} interval / prior {pct} interval) are in the table "
            "above but measure the few heavy particles, not what the targets pin down."
        )
    ppc_path = root / PPC_NAME
    if ppc_path.is_file():
        ppc = pd.read_parquet(ppc_path)
        ft = fit_table(s.target_set, ppc, s.level)
        write_table(ft, root / "tables" / "fit")
        fig = save(
            plot_fit(ft, ppc, f"{name}: posterior predictive checks"), root / "figures/fit.png"
        )
        n_draws = int((ppc["kind"] == "draw").sum())
        assumed = int((ft["source"] == "assumed").sum())
        lines += [
            "## Posterior predictive checks",
            "",
            f"{n_draws} posterior draws, each simulated on its own seed, and the calibrated "
            f"preset (posterior medians) on the same seeds. `fits`: the observed value lies "
            f"in the {pct} predictive interval (an observed interval overlaps it). "
            f"{int(ft['fits'].sum())} of {len(ft)} target components fit; {assumed} of them "
            "are assumed, not observed. `tables/fit.csv`, `ppc.parquet`.",
            "",
            show(ft[["target", "observed", "obs_lo", "obs_hi", "pred_median", "pred_lo",
                     "pred_hi", "preset_median", "z", "fits", "source"]]),
            "",
            f"![fit]({fig.relative_to(root).as_posix()})",
            "",
        ]  # fmt: skip
    central = dict(zip(ci["parameter"], ci["median"], strict=True))
    preset = root / "preset" / "scenario" / "calibrated.yaml"
    desc = (
        f"Calibrated by govsim calibrate ({name}): the posterior medians of "
        + ", ".join(f"{k} = {v:.4g}" for k, v in central.items())
        + f" on the experiment's base, against {Path(s.targets).name}."
    )
    preset.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(preset_yaml(base, central, desc).encode("utf-8"), preset)
    lines += [
        "## Calibrated preset",
        "",
        f"`{preset.relative_to(root).as_posix()}`: the base with the posterior medians. Run "
        f"it with `GOVSIM_CONFIG_PATH={root}/preset govsim replicate scenario=calibrated`, or "
        f"run any experiment over posterior draws with `experiment.posterior={root}`.",
        "",
    ]
    return lines


# --------------------------------------------------------------------------------------------
# The experiment kind
# --------------------------------------------------------------------------------------------


@register_kind
class Calibrate(ExperimentKind):
    """``govsim calibrate``: ABC-SMC of chosen parameters against observed patterns."""

    name = "calibrate"
    help = "fit chosen parameters to observed patterns (ABC-SMC with pyabc): posterior, fit, preset"
    description = (
        "Approximate Bayesian computation (ABC-SMC, pyabc) of the parameters in "
        "experiment.calibrate.priors against the targets file experiment.calibrate.targets "
        "(observed patterns with their sources): the posterior sample, credible intervals, "
        "an identifiability note, posterior predictive checks against every target (one "
        "posterior draw per replication), and a calibrated scenario preset. Scale-out: "
        "experiment.calibrate.sampler (pyabc's multicore, Dask or Redis samplers); kill -9 "
        "and rerun resumes from the last finished generation. See docs/calibration.md."
    )
    examples = (
        "govsim calibrate\n"
        "govsim calibrate experiment.calibrate.population_size=20 "
        "experiment.calibrate.generations=3\n"
        "govsim calibrate experiment.calibrate.targets=my_targets.yaml "
        "'experiment.calibrate.sampler={kind: dask, address: tcp://10.0.0.5:8786}'\n"
        "govsim report results/calibrate"
    )
    settings_key = "calibrate"
    Settings = CalibrateSettings
    order = 60

    def settings(self, raw: Mapping[str, Any], base: Params) -> CalibrateSettings:
        """Validate ``experiment.calibrate`` (:func:`parse_settings`); pyabc must be there."""
        try:
            import pyabc  # noqa: F401
        except ImportError:
            raise ExperimentConfigError(
                "govsim calibrate needs pyabc: pip install 'govsim[calibrate]' (or pip install "
                "pyabc)"
            ) from None
        return parse_settings(raw, base)

    def load(self, paths: ExperimentPaths) -> Experiment:
        """The stored experiment; its targets are the copy in the folder (the original may
        have changed since)."""
        e = load_experiment(paths.root)
        raw = dict(e.settings.get("calibrate") or {})
        copies = sorted(paths.root.glob("targets.*"))
        if copies:
            raw["targets"] = str(copies[0])
        e.kind_settings = self.settings(raw, e.base)
        return e

    def announce(self, e: Experiment, folder: Path) -> str:
        """The line printed before the simulations start."""
        s = e.kind_settings
        return (
            f"govsim calibrate: {e.name} — {len(s.priors)} parameters, "
            f"{len(s.target_set.components)} target components of {Path(s.targets).name}; "
            f"base scenario {e.scenario}, {e.base.population.n_residents} residents, "
            f"{e.steps} weeks; {s.population_size} particles × ≤ {s.generations} generations"
            f"{f', ≤ {s.max_simulations} simulations' if s.max_simulations else ''}, "
            f"{s.sampler['kind']} sampler → {folder}"
        )

    def run(
        self,
        e: Experiment,
        paths: ExperimentPaths,
        *,
        launcher: Sequence[str] = (),
        progress: bool | str = "auto",
        echo: Callable[[str], None] | None = print,
    ) -> ExecutionSummary:
        """ABC-SMC (resumable), then the posterior predictive simulations."""
        if launcher:
            raise ExperimentConfigError(
                f"govsim calibrate: {launcher[0]}: calibrate scales out through pyabc's "
                "samplers, experiment.calibrate.sampler={kind: multicore|dask|redis, ...}, "
                "not a Hydra launcher"
            )
        s = e.kind_settings
        t0 = time.perf_counter()
        write_spec(e, paths)
        state = run_abc(s, e.base, e.steps, e.root_seed, paths.root, echo=echo)
        n_jobs = int(s.sampler.get("n_procs") or os.cpu_count() or 1)
        run_ppc(s, e.base, e.steps, e.root_seed, paths.root, e.seeds, n_jobs=n_jobs)
        wall = time.perf_counter() - t0
        if echo is not None:
            echo(
                f"  {state['generations']} generations, {state['simulations']} simulations"
                f"{' (resumed)' if state['resumed'] else ''}; {len(e.seeds)} posterior "
                f"predictive draws; {wall:.0f} s"
            )
        n = state["simulations"] + 2 * len(e.seeds)
        return ExecutionSummary(n, 0, n, 0, 0, wall, launcher="pyabc " + s.sampler["kind"])

    def report(self, root: Path | str, *, echo: Callable[[str], None] | None = print) -> Path:
        """(Re)write the tables, figures, preset and ``report.md`` from the stored history,
        posterior and checks alone (no simulation)."""
        paths = ExperimentPaths(Path(root))
        e = self.load(paths)
        s = e.kind_settings
        body, n, _ = self.body(e, paths)
        head = [
            f"# calibrate: {e.name}",
            "",
            e.description.strip(),
            "",
            f"- base scenario: `{e.scenario or '(engine defaults)'}`, "
            f"{e.base.population.n_residents} residents, {e.steps} weeks per simulation",
            f"- root seed {e.root_seed}; simulations stored in `abc.db` (pyabc's history): {n}",
            f"- posterior predictive checks: {len(e.seeds)} draws (experiment.replications)",
            f"- credible intervals: {s.level:.0%}",
            "",
        ]
        tail = [
            "## Reading the results",
            "",
            "```python",
            "import pandas as pd, pyabc",
            f'post = pd.read_parquet("{paths.root.as_posix()}/posterior.parquet")   # + weight',
            f'ppc = pd.read_parquet("{paths.root.as_posix()}/ppc.parquet")',
            f'h = pyabc.History("sqlite:///{paths.root.as_posix()}/abc.db")   # every generation',
            "```",
            "",
        ]
        atomic_write_bytes("\n".join([*head, *body, *tail]).encode("utf-8"), paths.report)
        if echo is not None:
            echo(f"report: {paths.report}  (tables/ and figures/ beside it)")
        return paths.report

    def body(self, e: Experiment, paths: ExperimentPaths) -> tuple[list[str], int, int]:
        """The report body from the stored history, posterior and checks alone."""
        if not (paths.root / DB_NAME).is_file():
            return ["No calibration is stored yet: run `govsim calibrate` first.", ""], 0, 0
        lines = write_outputs(
            e.kind_settings, e.base, e.steps, e.root_seed, paths.root, name=e.name, fmt=md_table
        )
        n = int(calibration_state(paths.root).get("simulations", 0))
        return lines, n, n

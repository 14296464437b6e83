"""Run batches of simulation runs through a Hydra launcher (joblib, Ray, SLURM via submitit, …).

Hydra's launchers take a list of jobs (each a list of overrides) and a task function. Here each
job is one *batch* of runs, ``batch=<i>`` of a plan file written by :mod:`experiments.execute`;
the task function (:func:`experiments.execute.batch_task`, passed in) runs that batch and writes
its rows into the result store itself. So the same experiment runs on this machine
(``hydra/launcher=joblib``, the default, one worker per core), in this process
(``hydra/launcher=basic``), on a Ray cluster (``hydra/launcher=ray``) or on SLURM
(``hydra/launcher=submitit_slurm``), and the launcher only has to carry ``plan`` and ``batch``.

Hydra itself has no resume and skips ``on_multirun_end`` when a job fails; nothing here relies
on either: the plan lists only unfinished runs, and aggregation is a separate step.

Hydra's *internal* API (``hydra._internal``) is used to compose the job config and instantiate
the launcher without ``@hydra.main`` taking over ``sys.argv``; it is stable within the 1.3
series pinned in ``pyproject.toml``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "JOB_CONFIG",
    "JobOutcome",
    "Launcher",
    "config_dir_of",
    "launch_batches",
    "launcher_config",
    "quote",
]

#: Name of the primary config of a batch job (registered in Hydra's ConfigStore).
JOB_CONFIG = "govsim_batch_job"

_DEFAULT_LAUNCHER = "joblib"


@dataclass(frozen=True)
class JobOutcome:
    """What one launched job reported (or why it did not)."""

    batch: int
    ok: bool
    value: Any = None
    error: str = ""


class Launcher(tuple):
    """Launcher overrides (a tuple of ``hydra/launcher=…``, ``hydra.launcher.*=…`` strings) that
    also carry the config folder holding the project's launcher configs (``configs/hydra/``).

    The command line passes one down (it knows where the configs are); everywhere below, it is
    the ``launcher`` sequence it always was. Without a config folder, Hydra's own launchers
    (``joblib``, ``basic``, ``ray``, ``submitit_*``) are available.
    """

    config_dir: Path | None

    def __new__(cls, overrides: Sequence[str] = (), config_dir: Path | None = None) -> Launcher:
        """``Launcher(["hydra/launcher=joblib"], config_dir=Path("configs"))``."""
        self = super().__new__(cls, tuple(overrides))
        self.config_dir = config_dir
        return self


def config_dir_of(launcher: Sequence[str]) -> Path | None:
    """The config folder a :class:`Launcher` carries (None for a plain list of overrides)."""
    return getattr(launcher, "config_dir", None)


def quote(value: Any) -> str:
    """A value quoted for a Hydra override (paths may hold characters Hydra parses)."""
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def _register() -> None:
    from hydra.core.config_store import ConfigStore

    cs = ConfigStore.instance()
    cs.store(
        group="hydra/job_logging",
        name="govsim_file",
        node={
            "version": 1,
            "formatters": {
                "simple": {"format": "[%(asctime)s][%(name)s][%(levelname)s] - %(message)s"}
            },
            "handlers": {
                "file": {
                    "class": "logging.FileHandler",
                    "formatter": "simple",
                    "filename": "${hydra.runtime.output_dir}/${hydra.job.name}.log",
                    "delay": True,
                }
            },
            "root": {"level": "INFO", "handlers": ["file"]},
            "disable_existing_loggers": False,
        },
    )
    cs.store(
        name=JOB_CONFIG,
        node={
            "defaults": [
                {"override hydra/launcher": _DEFAULT_LAUNCHER},
                {"override hydra/hydra_logging": "none"},
                {"override hydra/job_logging": "govsim_file"},
                "_self_",
            ],
            "plan": "???",
            "batch": 0,
            "hydra": {
                "job": {"name": "batch", "chdir": False},
                "sweep": {"dir": "???", "subdir": "${hydra.job.num}"},
                "run": {"dir": "${hydra.sweep.dir}"},
            },
        },
    )


@contextlib.contextmanager
def _hydra(config_dir: Path | None) -> Iterator[Any]:
    """A fresh global Hydra whose search path holds ``configs/`` (cleared afterwards)."""
    from hydra import version
    from hydra._internal.hydra import Hydra
    from hydra._internal.utils import create_config_search_path
    from hydra.core.global_hydra import GlobalHydra

    _register()
    version.setbase("1.3")
    gh = GlobalHydra.instance()
    if gh.is_initialized():
        gh.clear()
    search = create_config_search_path(str(config_dir) if config_dir else None)
    hydra = Hydra.create_main_hydra2(task_name="batch", config_search_path=search)
    try:
        yield hydra
    finally:
        GlobalHydra.instance().clear()


def _compose(hydra: Any, plan: Path, sweep_dir: Path, overrides: Sequence[str]) -> Any:
    from hydra.types import RunMode

    return hydra.compose_config(
        config_name=JOB_CONFIG,
        overrides=[
            f"plan={quote(plan)}",
            f"hydra.sweep.dir={quote(sweep_dir)}",
            *overrides,
        ],
        run_mode=RunMode.MULTIRUN,
        with_log_configuration=False,
    )


def launcher_config(overrides: Sequence[str] = (), config_dir: Path | None = None) -> dict:
    """The launcher settings that ``overrides`` select (``hydra.launcher`` as a plain dict).

    Raises:
        ValueError: An unknown launcher or a malformed override, in one line.
    """
    from omegaconf import OmegaConf

    try:
        with _hydra(config_dir if config_dir is not None else config_dir_of(overrides)) as hydra:
            cfg = _compose(hydra, Path("plan.json"), Path("sweep"), overrides)
            return OmegaConf.to_container(cfg.hydra.launcher, resolve=False)  # type: ignore[return-value]
    except Exception as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"launcher settings {' '.join(overrides) or '(default)'}: {msg}") from None


def workers_of(launcher: dict) -> int:
    """How many jobs the launcher runs at once (a planning estimate)."""
    target = str(launcher.get("_target_", ""))
    cpus = os.cpu_count() or 1
    if target.endswith("BasicLauncher"):
        return 1
    if "joblib" in target.lower():
        n = int(launcher.get("n_jobs", -1) or -1)
        return max(1, cpus + 1 + n if n < 0 else n)
    if "submitit" in target.lower():
        return max(1, int(launcher.get("array_parallelism", 256) or 256))
    return cpus


@contextlib.contextmanager
def _logging() -> Iterator[None]:
    """Undo the logging set-up of jobs run in this process (the basic launcher).

    Hydra configures job logging on the root logger of the process that runs the job (a file
    handler in the job's folder); without this, that handler would outlive the launch.
    """
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        for h in list(root.handlers):
            if h not in handlers:
                root.removeHandler(h)
                h.close()
        for h in handlers:
            if h not in root.handlers:
                root.addHandler(h)
        root.setLevel(level)


def launch_batches(
    plan: Path,
    n_batches: int,
    sweep_dir: Path,
    overrides: Sequence[str] = (),
    config_dir: Path | None = None,
    *,
    task_function: Callable[[Any], Any],
) -> list[JobOutcome]:
    """Launch jobs ``batch=0 … n_batches-1`` of ``plan`` with the launcher ``overrides`` pick.

    ``task_function(cfg)`` runs one job (``cfg.plan``, ``cfg.batch``); it must be importable by
    name in the workers (:func:`experiments.execute.batch_task`). ``config_dir``: the folder
    with the launcher configs (default: the one a :class:`Launcher` carries).

    Returns:
        One :class:`JobOutcome` per job. A job whose task raised is reported, not re-raised; an
        error of the launcher itself (a worker killed, a cluster refusing the submission)
        propagates.
    """
    from hydra.core.hydra_config import HydraConfig
    from hydra.core.plugins import Plugins
    from hydra.core.utils import JobStatus
    from hydra.types import HydraContext

    try:
        from hydra._internal.callbacks import Callbacks
    except ImportError:  # pragma: no cover - moved in other Hydra versions
        from hydra.core.utils import Callbacks  # type: ignore[no-redef]

    if n_batches < 1:
        return []
    sweep_dir.mkdir(parents=True, exist_ok=True)
    folder = config_dir if config_dir is not None else config_dir_of(overrides)
    with _hydra(folder) as hydra, _logging():
        cfg = _compose(hydra, plan, sweep_dir, overrides)
        HydraConfig.instance().set_config(cfg)
        launcher = Plugins.instance().instantiate_launcher(
            hydra_context=HydraContext(config_loader=hydra.config_loader, callbacks=Callbacks(cfg)),
            task_function=task_function,
            config=cfg,
        )
        # A job's config is re-composed from the hydra overrides plus its own, so the task
        # overrides (plan, batch) go with every job.
        jobs = [[f"plan={quote(plan)}", f"batch={i}"] for i in range(n_batches)]
        returns = launcher.launch(jobs, initial_job_idx=0)
    out = []
    for i, ret in enumerate(returns):
        if ret.status == JobStatus.COMPLETED:
            out.append(JobOutcome(i, True, ret.return_value))
        else:
            err = getattr(ret, "_return_value", None)
            text = str(err).strip().splitlines()[0] if str(err).strip() else ""
            out.append(JobOutcome(i, False, None, f"{type(err).__name__}: {text}"))
    return out

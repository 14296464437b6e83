"""The experiment-kind protocol and its registry (``KINDS``, :func:`register_kind`).

A kind is one verb of ``govsim`` and one value of ``experiment.kind``: replicate, sweep,
compare, sensitivity, optimise, study, … It says which settings it reads, which runs it plans,
how they run (the shared executor by default) and what it reports. Adding a kind is adding one
module to :mod:`experiments.kinds` (or an entry point in the group ``govsim.kinds``)::

    from experiments.kinds.base import ExperimentKind, register_kind

    @register_kind
    class Replicate(ExperimentKind):
        name = "replicate"
        help = "R seeds of one configuration"

        def plan(self, e):
            return design_runs(e, pd.DataFrame([{}]), "configuration")

        def analyse(self, e, paths, rows):
            ...                                 # write tables/figures, return Markdown lines
            return ["## Outcomes", "", md_table(table)]

Everything here sits above the shared helpers (:mod:`experiments.spec`, :mod:`experiments.execute`,
:mod:`experiments.report`) and below the command line (:mod:`govsim.commands.experiments`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from sim.params import Params

from ..dataset import read_manifest
from ..design import ExperimentConfigError
from ..execute import ExecutionSummary, ExperimentPaths, RunSpec
from ..report import (
    md_table,
    not_written,
    reason,
    start_report,
    tag_from_plan,
    write_report,
    write_table,
)
from ..spec import (
    COMMON_KEYS,
    Experiment,
    execute_runs,
    experiment_record,
    load_experiment,
    write_spec,
)
from ..tables import load_rows, run_outcomes

__all__ = ["KINDS", "ExperimentKind", "NoSettings", "ordered", "register_kind"]


@dataclass(frozen=True)
class NoSettings:
    """The settings record of a kind that reads no block of its own."""


#: Echo function of the shared pipeline (None: silent).
Echo = Callable[[str], None] | None


class ExperimentKind:
    """One kind of experiment. Subclass, set the attributes, override what differs.

    Attributes:
        name: The CLI verb, ``experiment.kind`` and the default config
            ``configs/experiment/<name>.yaml``.
        help: One line for ``govsim --help``.
        description: Longer text for ``govsim <name> --help``.
        examples: Example command lines, one per line.
        settings_key: The block ``experiment.<settings_key>`` this kind reads (None: none).
        Settings: The typed record of that block (a dataclass).
        keys: Other top-level settings of the ``experiment`` node this kind reads.
        tags: Columns its run rows carry besides ``point`` and ``replicate``.
        config_arg: Set when the CLI takes the config's name as a positional argument (e.g.
            ``govsim study source-claims``) instead of ``experiment=<name>``.
        order: Where ``govsim --help`` lists the kind (then by name).
        refused_overrides: Command-line overrides the kind refuses (key → what to do instead),
            e.g. ``scenario=`` for the demo, whose conditions are ``experiment.scenarios``.
    """

    name: ClassVar[str] = ""
    help: ClassVar[str] = ""
    description: ClassVar[str] = ""
    examples: ClassVar[str] = ""
    settings_key: ClassVar[str | None] = None
    Settings: ClassVar[type] = NoSettings
    keys: ClassVar[tuple[str, ...]] = ()
    tags: ClassVar[tuple[str, ...]] = ()
    config_arg: ClassVar[str | None] = None
    order: ClassVar[int] = 100
    refused_overrides: ClassVar[Mapping[str, str]] = {}

    # ---------------------------------------------------------------------------- settings

    def settings(self, raw: Mapping[str, Any], base: Params) -> Any:
        """The typed settings record of ``experiment.<settings_key>``, validated once.

        The default fills :attr:`Settings` (a dataclass) from ``raw`` and refuses a key it
        has no field for; override to check values.

        Raises:
            ExperimentConfigError: One line naming the setting and what is allowed.
        """
        cls = self.Settings
        if not is_dataclass(cls):
            return cls(raw) if raw else cls()
        names = [f.name for f in fields(cls)]
        if not isinstance(raw, Mapping):
            raise ExperimentConfigError(
                f"experiment.{self.settings_key}={raw!r}: expected a mapping of "
                f"{', '.join(names) or 'nothing'}"
            )
        unknown = sorted(set(raw) - set(names))
        if unknown:
            raise ExperimentConfigError(
                f"experiment.{self.settings_key}.{unknown[0]}: unknown setting; allowed: "
                f"{', '.join(names) or 'none'}"
            )
        return cls(**{k: v for k, v in raw.items() if v is not None})

    def count_points(self, exp: Mapping[str, Any]) -> int | None:
        """Design points of a config before its design is built (None: not known up front)."""
        return None

    def experiment(
        self,
        exp: Mapping[str, Any],
        base: Params,
        steps: int,
        *,
        scenario: str = "",
        scenario_params: Callable[[str], Params] | None = None,
        known_keys: Sequence[str] = (),
    ) -> Experiment:
        """Validate an ``experiment`` config node into an :class:`Experiment` of this kind.

        Args:
            exp: The node as plain data.
            base: The base parameters (composed scenario + command-line overrides).
            steps: Weeks per run.
            scenario: The base scenario's name.
            scenario_params: ``name -> Params`` composing a scenario preset (with the same
                command-line overrides); passed down by the caller that knows the configs.
            known_keys: Top-level settings any registered kind reads (others are refused).
        """
        if exp.get("posterior") is not None and "posterior" not in self.own_keys():
            readers = [k.name for k in ordered(KINDS) if "posterior" in k.own_keys()]
            raise ExperimentConfigError(
                f"experiment.posterior: not read by govsim {self.name}; read by "
                + ", ".join(readers)
            )
        e = experiment_record(
            self.name,
            exp,
            base,
            steps,
            scenario=scenario,
            known_keys=set(known_keys) | COMMON_KEYS | set(self.own_keys()),
            n_points=self.count_points,
        )
        raw = exp.get(self.settings_key) if self.settings_key else None
        e.kind_settings = self.settings(raw or {}, base)
        return e

    def own_keys(self) -> tuple[str, ...]:
        """The top-level settings this kind reads besides :data:`experiments.spec.COMMON_KEYS`."""
        return (*self.keys, *((self.settings_key,) if self.settings_key else ()))

    def load(self, paths: ExperimentPaths) -> Experiment:
        """The experiment stored in ``paths.spec``, with its settings record."""
        e = load_experiment(paths.root)
        raw = e.settings.get(self.settings_key) if self.settings_key else None
        e.kind_settings = self.settings(raw or {}, e.base)
        return e

    # ---------------------------------------------------------------------------- running

    def plan(self, e: Experiment) -> list[RunSpec]:
        """Every run of a static design, in a deterministic order (adaptive kinds: those known
        before starting, possibly none)."""
        return []

    def announce(self, e: Experiment, folder: Path) -> str:
        """The line printed before the runs start."""
        n = len(self.plan(e))
        return (
            f"govsim {self.name}: {e.name} — base scenario {e.scenario}, "
            f"{e.base.population.n_residents} residents, {e.steps} weeks, {len(e.seeds)} "
            "replications" + (f", {n} runs" if n else "") + f" → {folder}"
        )

    def run(
        self,
        e: Experiment,
        paths: ExperimentPaths,
        *,
        launcher: Sequence[str] = (),
        progress: bool | str = "auto",
        echo: Echo = print,
    ) -> ExecutionSummary:
        """Execute :meth:`plan` resumably through the shared executor (adaptive kinds override
        this and call :func:`experiments.spec.execute_runs` round by round)."""
        return execute_runs(
            e,
            paths,
            self.plan(e),
            launcher=launcher,
            progress=progress,
            echo=echo,
            before_launch=lambda: write_spec(e, paths),
        )

    # ---------------------------------------------------------------------------- reporting

    def analyse(self, e: Experiment, paths: ExperimentPaths, rows: pd.DataFrame) -> list[str]:
        """Write this kind's tables and figures; return the Markdown body of ``report.md``.

        ``rows``: the stored rows of every planned run (one per run and week), tagged as the
        plan tags them. The default writes ``tables/runs.csv`` (one row per run).
        """
        runs = run_outcomes(rows, ["point", "seed"])
        write_table(runs, paths.tables / "runs")
        outs = [o for o in e.outcomes if o in runs.columns]
        means = runs.groupby("point")[outs].mean().reset_index()
        return ["## Mean outcomes per point", "", md_table(means), ""]

    def body(self, e: Experiment, paths: ExperimentPaths) -> tuple[list[str], int, int]:
        """``(report body, runs stored, runs planned)`` from the store: loads the rows of
        :meth:`plan` and calls :meth:`analyse` (adaptive kinds override this)."""
        plan = self.plan(e)
        planned = {r.run_id for r in plan}
        rows = tag_from_plan(load_rows(paths.store(), planned, read_manifest(paths.root)), plan)
        n_runs, n_planned = rows["run_id"].nunique() if len(rows) else 0, len(planned)
        if not len(rows):
            return ["No runs are stored yet: run the experiment's command first.", ""], 0, n_planned
        with warnings.catch_warnings():
            # Matplotlib warns about all-NaN colour scales of undefined outcomes only.
            warnings.filterwarnings("ignore", message=".*(All-NaN|empty slice).*")
            try:
                body = self.analyse(e, paths, rows)
            except Exception as exc:  # the tables written so far stay; say what failed
                not_written(f"the {e.kind} analysis: {reason(exc)}")
                body = []
        return body, n_runs, n_planned

    def report(self, root: Path | str, *, echo: Echo = print) -> Path:
        """(Re)write the tables, figures and ``report.md`` of the experiment in ``root`` from
        its stored results alone; returns the report's path."""
        paths = ExperimentPaths(Path(root))
        e = self.load(paths)
        start_report()
        body, n_runs, n_planned = self.body(e, paths)
        return write_report(
            e, paths, body, n_runs, n_planned, tags=("point", "replicate", *self.tags), echo=echo
        )


def ordered(kinds: Mapping[str, ExperimentKind]) -> list[ExperimentKind]:
    """The kinds in the order ``govsim --help`` lists them."""
    return sorted(kinds.values(), key=lambda k: (k.order, k.name))


#: The registered kinds, name → kind object (filled by :func:`experiments.kinds.load_kinds`).
KINDS: dict[str, ExperimentKind] = {}


def register_kind(cls_or_obj: Any) -> Any:
    """Register an :class:`ExperimentKind` (class or instance); usable as a class decorator.

    Raises:
        ValueError: No name, or another kind already has the name.
    """
    kind = cls_or_obj() if isinstance(cls_or_obj, type) else cls_or_obj
    name = getattr(kind, "name", "")
    if not name or not isinstance(name, str):
        raise ValueError(f"{cls_or_obj!r}: an experiment kind needs a name")
    if name in KINDS and type(KINDS[name]) is not type(kind):
        raise ValueError(
            f"experiment kind {name!r} is registered twice ({type(KINDS[name]).__module__} and "
            f"{type(kind).__module__})"
        )
    KINDS[name] = kind
    return cls_or_obj

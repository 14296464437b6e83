"""Calibration targets as data: observed patterns a calibrated model must reproduce.

A *targets file* (YAML or CSV) lists observed patterns of a real community, each a summary
statistic of a run with its observed value (or interval), its weight and its source. It is the
data side of pattern-oriented modelling (Grimm et al. 2005, *Science* 310:987): the patterns
are what :mod:`experiments.kinds.calibrate` fits the model to, and what its posterior
predictive checks test the calibrated model against. The format is documented in
``docs/calibration.md``; in YAML::

    description: Stylised facts of an urban community
    targets:
      - name: elderly_participation        # a unique label (letters, digits, _ . -)
        statistic: participation_rate      # a registered metric or run-level outcome
        group: elderly                     # optional: a group metric of this resident group
        summary: steady                    # final | mean | steady | series (metrics only)
        window: [52, 150]                  # summary=mean: the weeks averaged (inclusive)
        value: 0.3                         # the observed value ...
        interval: [0.2, 0.4]               # ... or an interval (or both: value inside it)
        weight: 1.0                        # relative weight in the ABC distance (default 1)
        source: "assumed: ..."             # required: a citation, or 'assumed: <reasoning>'

``summary: series`` takes ``weeks: [w1, w2, ...]`` and a list of values (or of intervals), one
per week; it contributes one component per week. A statistic that is already a run-level
outcome (``steady_mean_trust``, ``final_never_participated``, ``time_to_consensus`` …, see
:func:`experiments.tables.outcome_names`) takes no ``summary``. Every error is one line naming
the file, the target and what is allowed (:class:`TargetsError`, exit status 2 on the command
line).
"""

from __future__ import annotations

import csv
import difflib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.metrics import GROUP_METRICS, MODEL_METRICS, summarise
from sim.stationarity import steady_state

from .design import ExperimentConfigError
from .tables import outcome_names

__all__ = [
    "SUMMARIES",
    "Target",
    "TargetSet",
    "TargetsError",
    "load_targets",
    "parse_targets",
    "target_statistics",
]

#: How a metric's weekly series is reduced to the observed statistic.
SUMMARIES = ("final", "mean", "steady", "series")
_KEYS = (
    "name", "statistic", "group", "summary", "window", "weeks", "value", "interval", "sd",
    "weight", "source",
)  # fmt: skip
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
#: Half-width of an interval in standard deviations when the interval is read as a 90 % range.
_Z90 = 1.6448536269514722


class TargetsError(ExperimentConfigError):
    """A bad targets file (one line: file, target, what is wrong and what is allowed)."""


@dataclass(frozen=True)
class Target:
    """One observed pattern (after validation).

    Attributes:
        name: Unique label; a series' components are ``name[week]``.
        statistic: A metric (:data:`sim.metrics.MODEL_METRICS` or, with ``group``,
            :data:`sim.metrics.GROUP_METRICS`) or a run-level outcome.
        group: Resident group of a group metric ("" for the whole community).
        summary: ``final``, ``mean``, ``steady``, ``series`` (metrics) or "" (an outcome).
        window: ``(first, last)`` week of ``summary=mean`` (inclusive; None: every week ≥ 1).
        weeks: The weeks of ``summary=series`` (one component each).
        values: The observed value of each component (the interval's midpoint if only an
            interval is given).
        intervals: ``(lo, hi)`` of each component, or None where only a value is given.
        sd: Observation uncertainty of each component (given, or the interval read as a
            90 % range: half-width / 1.645), NaN where neither is given.
        weight: Relative weight in the distance.
        source: Where the observation comes from, or ``assumed: <reasoning>``.
    """

    name: str
    statistic: str
    group: str
    summary: str
    window: tuple[int, int] | None
    weeks: tuple[int, ...]
    values: tuple[float, ...]
    intervals: tuple[tuple[float, float] | None, ...]
    sd: tuple[float, ...]
    weight: float
    source: str

    @property
    def components(self) -> list[str]:
        """Names of this target's scalar components (``name`` or ``name[week]``)."""
        if self.summary == "series":
            return [f"{self.name}[{w}]" for w in self.weeks]
        return [self.name]

    @property
    def assumed(self) -> bool:
        """Whether the source says the value is assumed rather than observed."""
        return self.source.strip().lower().startswith("assumed")

    def describe(self) -> str:
        """A short text of what is measured (for tables)."""
        who = f" of {self.group}" if self.group else ""
        if not self.summary:
            return f"{self.statistic}{who}"
        how = {
            "final": "in the last week",
            "steady": "mean over the stationary weeks",
            "series": "at weeks " + ", ".join(map(str, self.weeks)),
            "mean": (
                f"mean over weeks {self.window[0]}–{self.window[1]}"
                if self.window
                else "mean over all weeks"
            ),
        }[self.summary]
        return f"{self.statistic}{who}, {how}"


@dataclass(frozen=True)
class TargetSet:
    """The validated targets of one file."""

    path: str
    description: str
    targets: tuple[Target, ...]

    @property
    def components(self) -> list[str]:
        """Every scalar component, in file order."""
        return [c for t in self.targets for c in t.components]

    def observed(self) -> dict[str, float]:
        """``component -> observed value``."""
        return {c: v for t in self.targets for c, v in zip(t.components, t.values, strict=True)}

    def weights(self) -> dict[str, float]:
        """``component -> weight`` (a series' weight is shared by its weeks)."""
        return {c: t.weight / len(t.components) for t in self.targets for c in t.components}

    def check_groups(self, groups: Sequence[str], where: str = "the base scenario") -> None:
        """Refuse a target of a resident group that ``groups`` does not have."""
        for t in self.targets:
            if t.group and t.group not in groups:
                raise TargetsError(
                    f"{self.path}: target {t.name!r}: group {t.group!r} is not a resident group "
                    f"of {where}; groups: {', '.join(groups)}"
                )

    def max_week(self) -> int:
        """The latest week any target reads (0 if none names one)."""
        weeks = [w for t in self.targets for w in t.weeks]
        weeks += [t.window[1] for t in self.targets if t.window]
        return max(weeks, default=0)


# --------------------------------------------------------------------------------------------
# Parsing and validation
# --------------------------------------------------------------------------------------------


def _number(where: str, key: str, value: Any) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(value, str):
        try:
            value, ok = float(value), True
        except ValueError:
            ok = False
    if not ok or not math.isfinite(float(value)):
        raise TargetsError(f"{where}: {key}={value!r}: expected a finite number")
    return float(value)


def _interval(where: str, value: Any) -> tuple[float, float]:
    if isinstance(value, str):
        value = [v for v in re.split(r"[,;\s]+", value.strip("[]() ")) if v]
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or len(value) != 2:
        raise TargetsError(
            f"{where}: interval={value!r}: malformed interval; expected [lo, hi], two finite "
            "numbers with lo < hi"
        )
    try:
        lo, hi = (_number(where, "interval", v) for v in value)
    except TargetsError:
        raise TargetsError(
            f"{where}: interval={list(value)!r}: malformed interval; expected [lo, hi], two "
            "finite numbers with lo < hi"
        ) from None
    if not lo < hi:
        raise TargetsError(
            f"{where}: interval=[{lo:g}, {hi:g}]: malformed interval; lo must be below hi"
        )
    return lo, hi


def _weeks(where: str, key: str, value: Any) -> list[int]:
    if isinstance(value, str):
        value = [v for v in re.split(r"[,;\s-]+", value.strip("[]() ")) if v]
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or not value:
        raise TargetsError(f"{where}: {key}={value!r}: expected a list of weeks (integers ≥ 0)")
    out = []
    for v in value:
        x = _number(where, key, v)
        if not x.is_integer() or x < 0:
            raise TargetsError(f"{where}: {key}={value!r}: weeks are integers ≥ 0")
        out.append(int(x))
    return out


def _statistic_error(where: str, stat: Any, group: bool) -> TargetsError:
    metrics = list(GROUP_METRICS if group else MODEL_METRICS)
    allowed = metrics if group else metrics + outcome_names()
    close = difflib.get_close_matches(str(stat), allowed, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    if group:
        return TargetsError(
            f"{where}: unknown statistic {stat!r}{hint} for a group; group metrics: "
            + ", ".join(metrics)
        )
    return TargetsError(
        f"{where}: unknown statistic {stat!r}{hint}; statistics: a metric ("
        + ", ".join(metrics)
        + ") with summary final/mean/steady/series, or a run outcome final_<metric>, "
        "mean_<metric>, steady_<metric>, time_to_consensus, consensus_reached"
    )


def _target(raw: Mapping[str, Any], where: str, index: int) -> Target:
    if not isinstance(raw, Mapping):
        raise TargetsError(
            f"{where}: target {index + 1}: expected a mapping of " + ", ".join(_KEYS)
        )
    raw = {str(k): v for k, v in raw.items() if not (isinstance(v, str) and v == "")}
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise TargetsError(
            f"{where}: target {index + 1}: name={name!r}: expected a label of letters, digits, "
            "'_', '.' or '-'"
        )
    at = f"{where}: target {name!r}"
    unknown = sorted(set(raw) - set(_KEYS))
    if unknown:
        raise TargetsError(f"{at}: unknown field {unknown[0]!r}; fields: {', '.join(_KEYS)}")
    source = raw.get("source")
    if not isinstance(source, str) or not source.strip():
        raise TargetsError(
            f"{at}: missing source field; every target needs a source: a citation of where "
            "the observation comes from, or 'assumed: <reasoning>'"
        )
    stat = raw.get("statistic")
    group = raw.get("group") or ""
    if not isinstance(group, str):
        raise TargetsError(f"{at}: group={group!r}: expected the name of a resident group")
    summary = raw.get("summary") or ""
    if group:
        if stat not in GROUP_METRICS:
            raise _statistic_error(at, stat, True)
    elif stat not in MODEL_METRICS and stat not in outcome_names():
        raise _statistic_error(at, stat, False)
    is_metric = stat in MODEL_METRICS or bool(group)
    if is_metric and summary not in SUMMARIES:
        raise TargetsError(
            f"{at}: summary={summary or None!r}: the metric {stat!r} needs a summary: "
            + ", ".join(SUMMARIES)
        )
    if not is_metric and summary:
        raise TargetsError(
            f"{at}: summary={summary!r}: {stat!r} is already a run outcome; drop summary "
            "(or use the metric name with a summary)"
        )
    window = None
    if "window" in raw:
        if summary != "mean":
            raise TargetsError(f"{at}: window is read only with summary=mean")
        w = _weeks(at, "window", raw["window"])
        if len(w) != 2 or not w[0] <= w[1]:
            raise TargetsError(
                f"{at}: window={raw['window']!r}: expected [first, last] weeks, first ≤ last"
            )
        window = (w[0], w[1])
    weeks: list[int] = []
    if summary == "series":
        if "weeks" not in raw:
            raise TargetsError(f"{at}: summary=series needs weeks: [w1, w2, ...]")
        weeks = _weeks(at, "weeks", raw["weeks"])
        if len(set(weeks)) != len(weeks):
            raise TargetsError(f"{at}: weeks={weeks}: each week once")
    elif "weeks" in raw:
        raise TargetsError(f"{at}: weeks is read only with summary=series")
    n = max(len(weeks), 1)

    def per_week(key: str, value: Any, parse: Any) -> list[Any]:
        if summary != "series":
            return [parse(value)]
        if isinstance(value, str):
            value = [v for v in value.split(";") if v.strip()]
        if isinstance(value, str | bytes) or not isinstance(value, Sequence):
            raise TargetsError(f"{at}: {key}={value!r}: a series needs a list, one per week")
        if len(value) != n:
            raise TargetsError(
                f"{at}: {key} has {len(value)} entries for {n} weeks; give one per week"
            )
        return [parse(v) for v in value]

    if "value" not in raw and "interval" not in raw:
        raise TargetsError(f"{at}: no observation; give value: <number> or interval: [lo, hi]")
    intervals: list[tuple[float, float] | None] = [None] * n
    if "interval" in raw:
        intervals = per_week("interval", raw["interval"], lambda v: _interval(at, v))
    if "value" in raw:
        values = per_week("value", raw["value"], lambda v: _number(at, "value", v))
    else:
        values = [(iv[0] + iv[1]) / 2 for iv in intervals if iv is not None]
    for v, iv in zip(values, intervals, strict=True):
        if iv is not None and not iv[0] <= v <= iv[1]:
            raise TargetsError(
                f"{at}: value={v:g} lies outside its interval [{iv[0]:g}, {iv[1]:g}]"
            )
    if "sd" in raw:
        sd = per_week("sd", raw["sd"], lambda v: _number(at, "sd", v))
        if any(s <= 0 for s in sd):
            raise TargetsError(f"{at}: sd={raw['sd']!r}: expected a number > 0")
    else:
        sd = [(iv[1] - iv[0]) / (2 * _Z90) if iv else math.nan for iv in intervals]
    weight = _number(at, "weight", raw.get("weight", 1.0))
    if weight <= 0:
        raise TargetsError(f"{at}: weight={weight:g}: expected a number > 0")
    return Target(
        name=name,
        statistic=str(stat),
        group=group,
        summary=summary,
        window=window,
        weeks=tuple(weeks),
        values=tuple(values),
        intervals=tuple(intervals),
        sd=tuple(sd),
        weight=weight,
        source=source.strip(),
    )


def parse_targets(data: Any, path: str = "targets") -> TargetSet:
    """Validate the plain data of a targets file (the YAML's top level).

    Raises:
        TargetsError: One line naming ``path``, the target and what is allowed.
    """
    if isinstance(data, Sequence) and not isinstance(data, str | bytes):
        data = {"targets": data}
    if not isinstance(data, Mapping):
        raise TargetsError(f"{path}: expected a mapping with targets: [...] (and description)")
    unknown = sorted(set(data) - {"description", "targets", "community"})
    if unknown:
        raise TargetsError(
            f"{path}: unknown top-level key {unknown[0]!r}; allowed: description, community, "
            "targets"
        )
    raw = data.get("targets")
    if isinstance(raw, str | bytes) or not isinstance(raw, Sequence) or not raw:
        raise TargetsError(f"{path}: targets: expected a non-empty list of targets")
    targets = [_target(t, path, i) for i, t in enumerate(raw)]
    seen: set[str] = set()
    for t in targets:
        if t.name in seen:
            raise TargetsError(f"{path}: target {t.name!r}: duplicate name; names must be unique")
        seen.add(t.name)
    return TargetSet(path, str(data.get("description") or ""), tuple(targets))


def load_targets(path: str | Path) -> TargetSet:
    """Read and validate a targets file (``.yaml``/``.yml`` or ``.csv``).

    A CSV file has one target per row with the columns of the YAML fields; ``window``,
    ``weeks`` and an ``interval`` are written ``52-150``, ``10;50;100`` and ``0.2;0.4``
    (a series' values ``0.1;0.2;0.3``, its intervals ``0.1 0.2;0.15 0.3``).

    Raises:
        TargetsError: A missing or unreadable file, or a bad target (one line).
    """
    p = Path(path)
    shown = str(path)
    if not p.is_file():
        raise TargetsError(f"{shown}: no such targets file (a .yaml or .csv file)")
    text = p.read_text(encoding="utf-8")
    if p.suffix.lower() == ".csv":
        rows = list(csv.DictReader(text.splitlines()))
        if not rows:
            raise TargetsError(f"{shown}: no targets (a header row and one row per target)")
        for row in rows:
            if None in row:
                raise TargetsError(f"{shown}: a row has more cells than the header")
            if row.get("interval") and row.get("summary") == "series":
                row["interval"] = [v for v in row["interval"].split(";") if v.strip()]
            if row.get("window"):
                row["window"] = row["window"].replace("-", ";")
        return parse_targets({"targets": rows}, shown)
    if p.suffix.lower() not in (".yaml", ".yml"):
        raise TargetsError(f"{shown}: unknown targets format; allowed: .yaml, .yml, .csv")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark else ""
        raise TargetsError(f"{shown}: not valid YAML{at}") from None
    return parse_targets(data, shown)


# --------------------------------------------------------------------------------------------
# Statistics of a run
# --------------------------------------------------------------------------------------------


def target_statistics(
    targets: TargetSet,
    model: pd.DataFrame,
    groups: pd.DataFrame | None = None,
    summary: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """The value of every target component in one run.

    Args:
        targets: The targets.
        model: The run's weekly model table (:attr:`sim.run.RunResult.model`).
        groups: Its weekly group table (needed by group targets).
        summary: Its run-level outcomes (:attr:`sim.run.RunResult.summary`); computed from
            ``model`` where missing.

    Returns:
        ``component -> value`` (NaN where the run does not define it, e.g. a week past its end).
    """
    summary = dict(summary or {})
    burn: float | None = summary.get("burn_in")
    out: dict[str, float] = {}
    for t in targets.targets:
        if not t.summary:
            if t.statistic not in summary:
                summary.update(summarise(model))
                summary.update(steady_state(model, metrics=list(MODEL_METRICS)))
            out[t.name] = float(summary[t.statistic])
            continue
        if t.group:
            if groups is None:
                raise ValueError(f"target {t.name!r} needs the run's group table")
            frame = groups[groups["group"] == t.group]
        else:
            frame = model
        steps = frame["step"].to_numpy()
        col = frame[t.statistic].to_numpy(dtype=float)
        if t.summary == "final":
            out[t.name] = float(col[-1]) if col.size else math.nan
        elif t.summary == "series":
            by_week = dict(zip(steps.tolist(), col, strict=True))
            for c, w in zip(t.components, t.weeks, strict=True):
                out[c] = float(by_week.get(w, math.nan))
        else:
            if t.summary == "steady":
                if burn is None:
                    burn = steady_state(model, metrics=[])["burn_in"]
                keep = steps > burn
            elif t.window is not None:
                keep = (steps >= t.window[0]) & (steps <= t.window[1])
            else:
                keep = steps > 0 if (steps > 0).any() else np.ones_like(steps, dtype=bool)
            sel = col[keep]
            out[t.name] = float(np.nanmean(sel)) if np.isfinite(sel).any() else math.nan
    return out

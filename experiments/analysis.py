"""Tables, figures and the Markdown report of an experiment — from its stored results alone.

:func:`analyse` reads ``results/<name>/experiment.json`` and the rows in ``parts/`` (nothing is
simulated) and (re)writes::

    tables/   CSV (and Parquet / Markdown) tables of the experiment's kind
    figures/  PNG figures
    report.md the page that ties them together

``govsim report results/<name>`` is this function; every verb calls it after its runs.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.metrics import consensus_survival

from .dataset import read_manifest
from .execute import ExperimentPaths
from .figures import (
    plot_bands,
    plot_forest,
    plot_heatmaps,
    plot_scatter,
    plot_sweep_lines,
    save,
)
from .runners import Experiment, load_experiment, plan_runs, sensitivity_design
from .stats import holm, mean_ci, paired_compare, summarise_over_time
from .store import atomic_write_bytes
from .tables import bootstrap_over_time, load_rows, outcome_names, run_outcomes

__all__ = ["analyse", "md_table"]

#: Metrics drawn over time (CI bands).
HEADLINE_METRICS: tuple[str, ...] = (
    "participation_rate",
    "participation_gap",
    "agenda_distance",
    "opinion_variance",
    "polarization",
    "mean_trust",
    "resolution_rate",
    "conflicts_unresolved",
    "platform_adoption",
)


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _fmt(x: Any, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if isinstance(x, bool | np.bool_):
        return "yes" if x else "no"
    if isinstance(x, float | np.floating):
        x = float(x)
        if math.isinf(x):
            return "∞" if x > 0 else "−∞"
        if x != 0 and (abs(x) < 10 ** (-digits) or abs(x) >= 1e5):
            return f"{x:.{digits}g}"
        return f"{x:.{digits}f}"
    return str(x)


def md_table(df: pd.DataFrame, digits: int = 3, max_rows: int | None = None) -> str:
    """A GitHub-flavoured Markdown table (no extra dependency)."""
    if max_rows is not None and len(df) > max_rows:
        note = f"\n\n({len(df) - max_rows} more rows in the CSV file)"
        df = df.head(max_rows)
    else:
        note = ""
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in df.itertuples(index=False):
        cells = [_fmt(v, digits).replace("|", "\\|") for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + note


def _write_table(df: pd.DataFrame, path: Path, *, parquet: bool = False) -> list[Path]:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(df.to_csv(index=False).encode("utf-8"), path.with_suffix(".csv"))
    out = [path.with_suffix(".csv")]
    if parquet:
        from .store import atomic_write_parquet

        atomic_write_parquet(df, path.with_suffix(".parquet"), index=False)
        out.append(path.with_suffix(".parquet"))
    return out


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


#: What the analysis in progress could not write (one line each; see :func:`analyse`).
_NOT_WRITTEN: list[str] = []


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _figure(make: Callable[[], Any], path: Path) -> Path | None:
    """Draw and save a figure; on failure note one line (the rest of the report goes on)."""
    try:
        return save(make(), path)
    except Exception as exc:  # a degenerate design (one point, all-NaN outcome, ...)
        _NOT_WRITTEN.append(f"figure `{path.name}`: {_reason(exc)}")
        return None


def _image(fig: Path | None, alt: str, root: Path) -> str:
    return f"![{alt}]({_rel(fig, root)})" if fig is not None else f"(figure {alt}: not drawn)"


def _launch_totals(paths: ExperimentPaths) -> dict[str, Any]:
    done = failed = 0
    wall = 0.0
    launchers: list[str] = []
    n = 0
    for p in sorted(paths.launches.glob("*/summary.json")):
        try:
            s = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        n += 1
        done += int(s.get("done", 0))
        wall += float(s.get("wall_s", 0.0))
        if s.get("launcher") and s["launcher"] not in launchers:
            launchers.append(s["launcher"])
    failed = len(paths.store().failed_ids())
    return {"launches": n, "done": done, "wall_s": wall, "launchers": launchers, "failed": failed}


def _header(e: Experiment, paths: ExperimentPaths, n_runs: int, n_planned: int) -> list[str]:
    t = _launch_totals(paths)
    seeds = (
        f"{len(e.seeds)} replications per point, seeds spawned from SeedSequence({e.root_seed})"
        if e.settings.get("replications") is not None
        else f"seeds {e.seeds}"
    )
    lines = [
        f"# {e.kind}: {e.name}",
        "",
        e.description.strip() or "",
        "",
        f"- base scenario: `{e.scenario or '(engine defaults)'}`, "
        f"{e.base.population.n_residents} residents, {e.steps} weeks per run",
        f"- {seeds} (common random numbers: every point/condition runs on the same seeds)",
        f"- runs stored: {n_runs} of {n_planned} planned"
        + (
            f"; **{n_planned - n_runs} missing** — rerun the command to complete"
            if n_runs < n_planned
            else ""
        ),
        f"- launches: {t['launches']} ({', '.join(t['launchers']) or '–'}), "
        f"{t['done']} runs executed in {t['wall_s']:.1f} s wall time; "
        f"failed runs on record: {t['failed']}"
        + (f" (see `{_rel(paths.failures, paths.root)}/`)" if t["failed"] else ""),
        f"- confidence level: {e.level:.0%}",
        "",
    ]
    return lines


_QUERY = """## Querying the stored results

One row per run and week: `run_id`, tags ({tags}), the varied parameters, `seed`, `step` and
one column per outcome. `parts/` holds exactly the runs of this design, each once (runs of
earlier designs are in `archive/`, the design's run ids in `manifest.parquet`), so these
queries and this report agree.

```python
import pandas as pd
df = pd.read_parquet("{parts}")

import duckdb   # column names with dots need double quotes
duckdb.sql("SELECT step, avg(participation_rate) FROM read_parquet('{parts}/*.parquet') "
           "GROUP BY step ORDER BY step").df()
```
"""


# --------------------------------------------------------------------------------------------
# The kinds
# --------------------------------------------------------------------------------------------


def _tag_from_plan(rows: pd.DataFrame, plan: Sequence[Any]) -> pd.DataFrame:
    """Rows of every planned run, tagged as the plan tags them.

    A run's identity is its parameters and seed, so two design points or conditions with the
    same parameters share their runs; each gets a copy here, under its own tags.
    """
    if rows.empty:
        return rows
    tags = pd.DataFrame([{"run_id": r.run_id, **r.tags} for r in plan])
    if not tags["run_id"].duplicated().any():
        return rows
    cols = [c for c in tags.columns if c != "run_id"]
    keyed = tags.assign(_key=tags["run_id"] + "#" + tags.index.astype(str))
    out = rows.drop(columns=[c for c in cols if c in rows.columns]).merge(keyed, on="run_id")
    out["run_id"] = out.pop("_key")
    return out.sort_values(["run_id", "step"], kind="stable").reset_index(drop=True)


def _over_time(
    rows: pd.DataFrame, e: Experiment, paths: ExperimentPaths, by: Sequence[str] = ()
) -> tuple[pd.DataFrame, Path]:
    from sim.metrics import MODEL_METRICS

    metrics = [m for m in MODEL_METRICS if m in rows.columns]
    summ = summarise_over_time(rows, by=list(by), value_cols=metrics, level=e.level)
    boot = bootstrap_over_time(rows, metrics, by=list(by), level=e.level, seed=e.root_seed)
    table = summ.merge(boot, on=[*by, "step", "variable"], how="left")
    _write_table(table, paths.tables / "over_time", parquet=True)
    heads = [m for m in HEADLINE_METRICS if m in metrics]
    fig = _figure(
        lambda: plot_bands(
            table,
            heads,
            by=by[0] if by else None,
            boot=boot,
            title=f"{e.name}: mean over replications, {e.level:.0%} t band (shaded), "
            "bootstrap (dotted)",
        ),
        paths.figures / "over_time.png",
    )
    return table, fig


def _replicate(e: Experiment, paths: ExperimentPaths, rows: pd.DataFrame) -> list[str]:
    _, fig = _over_time(rows, e, paths)
    runs = run_outcomes(rows, ["seed"])
    recs = []
    for name in outcome_names([m for m in rows.columns if f"final_{m}" in runs.columns]):
        x = runs[name].to_numpy(dtype=float)
        m, lo, hi = mean_ci(x, e.level, "t")
        _, blo, bhi = mean_ci(x, e.level, "bootstrap", n_boot=9999, rng=e.root_seed)
        recs.append(
            {
                "outcome": name,
                "n": int(np.isfinite(x).sum()),
                "mean": m,
                "sd": float(np.nanstd(x, ddof=1)) if np.isfinite(x).sum() > 1 else float("nan"),
                "t_lo": lo,
                "t_hi": hi,
                "boot_lo": blo,
                "boot_hi": bhi,
            }
        )
    table = pd.DataFrame(recs)
    _write_table(table, paths.tables / "outcomes")
    _write_table(runs, paths.tables / "runs")
    shown = table[table["outcome"].isin(e.outcomes)]
    return [
        "## Outcomes at the end (mean over replications)",
        "",
        f"t interval (Student) and BCa bootstrap interval (scipy.stats.bootstrap, 9,999 "
        f"resamples), {e.level:.0%}. All outcomes: `tables/outcomes.csv`; per run: "
        "`tables/runs.csv`; every metric over time with both intervals: "
        "`tables/over_time.csv`.",
        "",
        md_table(shown),
        "",
        *_consensus_lines(runs),
        "## Over time",
        "",
        _image(fig, "over time", paths.root),
        "",
    ]


def _consensus_lines(runs: pd.DataFrame, by: str | None = None) -> list[str]:
    """Time to consensus with the censored runs kept in (share never, Kaplan–Meier median,
    restricted mean; :func:`sim.metrics.consensus_survival`)."""
    if "consensus_reached" not in runs.columns:
        return []
    parts = runs.groupby(by, sort=False, observed=True) if by else [("all runs", runs)]
    recs = []
    for key, g in parts:
        s = consensus_survival(
            g["time_to_consensus"].to_numpy(float),
            g["consensus_reached"].to_numpy(float),
            g["consensus_followup"].to_numpy(float),
        )
        recs.append({by or "runs": key, **s})
    return [
        "## Time to consensus (censored runs kept)",
        "",
        "Consensus: opinion sd ≤ `metrics.consensus_sd`, held to the end of the run. A run "
        "that ends outside consensus is censored at its last week, not dropped: `share_never` "
        "is the share of such runs, `km_median` the Kaplan–Meier median (NaN when fewer than "
        "half reach it), `rmst` the restricted mean time to consensus up to `horizon` (the "
        "shortest run).",
        "",
        md_table(pd.DataFrame(recs)),
        "",
    ]


def _points(runs: pd.DataFrame, keys: list[str], outcomes: list[str], level: float) -> pd.DataFrame:
    s = summarise_over_time(runs, by=keys, value_cols=outcomes, level=level, step_col=None)
    # dropna=False: an interval undefined everywhere (one replication, an outcome that is NaN
    # in every run) stays a column of NaN instead of vanishing from the table
    wide = s.pivot_table(
        index=keys, columns="variable", values=["mean", "lo", "hi", "n"], dropna=False
    )
    wide.columns = [f"{var}_{stat}" for stat, var in wide.columns]
    wide = wide.reset_index()
    order = [*keys] + [f"{o}_{k}" for o in outcomes for k in ("mean", "lo", "hi", "n")]
    # an outcome undefined in every run (e.g. clusters that never settled) stays, as NaN
    return wide.reindex(columns=order)


def _sweep(e: Experiment, paths: ExperimentPaths, rows: pd.DataFrame) -> list[str]:
    from .runners import sweep_design

    design = sweep_design(e)
    params = list(design.columns)
    varied = [p for p in params if design[p].nunique() > 1] or params
    runs = run_outcomes(rows, ["point", *params, "seed"])
    outs = [o for o in e.outcomes if o in runs.columns]
    points = _points(runs, ["point", *params], outs, e.level)
    _write_table(points, paths.tables / "points", parquet=True)
    _write_table(runs, paths.tables / "runs", parquet=True)
    figs = []
    numeric = [p for p in varied if pd.api.types.is_numeric_dtype(points[p])]
    kind = (e.settings.get("design") or {}).get("kind", "factorial")
    title = f"{e.name}: mean over {len(e.seeds)} replications"
    if kind == "factorial" and len(varied) == 2 and len(numeric) == 2:
        figs.append(
            _figure(
                lambda: plot_heatmaps(points, varied[0], varied[1], outs, title=title),
                paths.figures / "heatmaps.png",
            )
        )
        figs.append(
            _figure(
                lambda: plot_sweep_lines(points, varied[0], outs, hue=varied[1], title=title),
                paths.figures / "lines.png",
            )
        )
    elif kind == "factorial" and len(varied) <= 2 and numeric:
        x = numeric[0]
        hue = next((p for p in varied if p != x), None)
        figs.append(
            _figure(
                lambda: plot_sweep_lines(points, x, outs, hue=hue, title=title),
                paths.figures / "lines.png",
            )
        )
    else:
        for o in outs[:4]:
            figs.append(
                _figure(
                    lambda o=o: plot_scatter(points, numeric or varied, o, title=f"{e.name}: {o}"),
                    paths.figures / f"scatter_{o}.png",
                )
            )
    show = points[["point", *params] + [c for c in points.columns if c.endswith("_mean")]]
    return [
        "## Design",
        "",
        f"{kind} design over {', '.join(f'`{p}`' for p in params)}: {len(design)} points × "
        f"{len(e.seeds)} replications.",
        "",
        "## Mean outcomes per design point",
        "",
        f"With {e.level:.0%} t intervals in `tables/points.csv` (columns `<outcome>_lo/_hi`); "
        "one row per run in `tables/runs.csv`.",
        "",
        md_table(show, max_rows=60),
        "",
        "## Figures",
        "",
        *[f"![{f.stem}]({_rel(f, paths.root)})\n" for f in figs if f is not None],
    ]


def compare_table(
    runs: pd.DataFrame, conditions: Sequence[str], outcomes: Sequence[str], level: float = 0.95
) -> pd.DataFrame:
    """Paired comparisons of every condition with the first (the baseline), per outcome.

    Runs are paired by ``seed`` (common random numbers). Holm's correction is applied across
    the outcomes of each comparison, to the paired-t and the Wilcoxon p-values separately;
    ``significant`` means the Holm-adjusted paired-t p-value is at most 1 − level.
    """
    base = conditions[0]
    recs = []
    for cond in conditions[1:]:
        rows = []
        for out in outcomes:
            wide = runs.pivot_table(index="seed", columns="condition", values=out, dropna=False)
            a = wide[cond] if cond in wide else pd.Series(dtype=float)
            b = wide[base] if base in wide else pd.Series(dtype=float)
            a, b = a.align(b, join="inner")
            pc = paired_compare(a.to_numpy(dtype=float), b.to_numpy(dtype=float), level)
            rows.append({"comparison": f"{cond} − {base}", "outcome": out, **pc.to_dict()})
        df = pd.DataFrame(rows)
        df["p_ttest_holm"] = holm(df["p_ttest"].to_numpy(dtype=float))
        df["p_wilcoxon_holm"] = holm(df["p_wilcoxon"].to_numpy(dtype=float))
        df["significant"] = df["p_ttest_holm"] <= 1 - level
        recs.append(df)
    return pd.concat(recs, ignore_index=True) if recs else pd.DataFrame()


def _compare(e: Experiment, paths: ExperimentPaths, rows: pd.DataFrame) -> list[str]:
    labels = [c for c, _ in e.conditions]
    _, fig_time = _over_time(rows, e, paths, by=["condition"])
    runs = run_outcomes(rows, ["condition", "seed"])
    outs = [o for o in e.outcomes if o in runs.columns]
    table = compare_table(runs, labels, outs, e.level)
    _write_table(table, paths.tables / "comparison")
    _write_table(runs, paths.tables / "runs")
    pct = f"{e.level:.0%}"
    paper = pd.DataFrame(
        {
            "comparison": table["comparison"],
            "outcome": table["outcome"],
            "n pairs": table["n"],
            "baseline mean": table["mean_b"],
            "condition mean": table["mean_a"],
            f"difference [{pct} CI]": [
                f"{_fmt(d)} [{_fmt(lo)}, {_fmt(hi)}]"
                for d, lo, hi in zip(
                    table["mean_diff"], table["diff_lo"], table["diff_hi"], strict=True
                )
            ],
            f"d_z [{pct} CI]": [
                f"{_fmt(d, 2)} [{_fmt(lo, 2)}, {_fmt(hi, 2)}]"
                for d, lo, hi in zip(table["d_z"], table["d_z_lo"], table["d_z_hi"], strict=True)
            ],
            "p (paired t, Holm)": table["p_ttest_holm"],
            "p (Wilcoxon, Holm)": table["p_wilcoxon_holm"],
            "significant": table["significant"],
        }
    )
    md = md_table(paper, digits=3)
    atomic_write_bytes((md + "\n").encode("utf-8"), paths.tables / "comparison.md")
    fig = _figure(
        lambda: plot_forest(table, title=f"{e.name}: paired effects vs {labels[0]}"),
        paths.figures / "comparison.png",
    )
    return [
        "## Paired comparison with the baseline",
        "",
        f"Conditions: {', '.join(f'`{c}`' for c in labels)} (baseline `{labels[0]}`), each run "
        f"on the same {len(e.seeds)} seeds, so differences are paired by seed. Difference = "
        f"condition − baseline with its {pct} t interval; d_z = mean difference / sd of the "
        "differences with an exact noncentral-t interval; paired t-test and Wilcoxon "
        "signed-rank test, Holm-adjusted across the outcomes of each comparison. Table: "
        "`tables/comparison.csv` (all statistics), `tables/comparison.md` (this table).",
        "",
        md,
        "",
        _image(fig, "paired effects", paths.root),
        "",
        *_consensus_lines(runs, "condition"),
        "## Over time",
        "",
        _image(fig_time, "over time", paths.root),
        "",
    ]


def _sensitivity(e: Experiment, paths: ExperimentPaths, rows: pd.DataFrame) -> list[str]:
    from .sensitivity import morris_indices, plot_morris, plot_sobol, sobol_indices

    problem, X = sensitivity_design(e)
    cat = problem.get("categorical") or {}
    s = dict(e.settings.get("sensitivity") or {})
    method = s.get("method", "sobol")
    runs = run_outcomes(rows, ["point", "seed"])
    outs = [o for o in (s.get("outcomes") or e.outcomes[:4]) if o in runs.columns]
    means = runs.groupby("point")[outs].mean().reindex(range(len(X)))
    missing = int(means.isna().any(axis=1).sum())
    lines = [
        "## Global sensitivity",
        "",
        f"{method.capitalize()} analysis (SALib) over "
        + ", ".join(
            f"`{n}` ∈ {{{', '.join(map(str, cat[n]))}}} (categorical, coded on [0, 1])"
            if n in cat
            else f"`{n}` ∈ [{lo:g}, {hi:g}]"
            for n, (lo, hi) in zip(problem["names"], problem["bounds"], strict=True)
        )
        + f"; {len(X)} design points × {len(e.seeds)} replications, outcomes averaged over "
        "the replications of each point (common random numbers).",
        "",
    ]
    if missing:
        bad = means.isna().any(axis=1)
        lines += [
            f"**{missing} design points have no (finite) outcome** — runs missing or failed, or "
            "an outcome undefined there (NaN); indices need every point. Rerun the command, or "
            f"choose outcomes defined everywhere. First incomplete points: "
            f"{list(means.index[bad][:5])}",
            "",
        ]
        return lines
    seed = np.random.SeedSequence(e.root_seed, spawn_key=(2**31, 3))
    second: pd.DataFrame | None = None
    if method == "sobol":
        idx, second = sobol_indices(
            problem,
            means[outs],
            calc_second_order=bool(s.get("second_order", False)),
            seed=seed,
            conf_level=e.level,
        )
        make = lambda: plot_sobol(idx)  # noqa: E731
        name = "sobol"
        expl = (
            "S1: first-order index (share of output variance due to the parameter alone); "
            f"ST: total index (with all its interactions); `_conf`: {e.level:.0%} bootstrap "
            "half-widths."
        )
    else:
        idx = morris_indices(
            problem, X, means[outs], int(s.get("levels", 4)), seed=seed, conf_level=e.level
        )
        make = lambda: plot_morris(idx)  # noqa: E731
        name = "morris"
        expl = (
            "μ*: mean absolute elementary effect (overall influence, per unit of the "
            "normalised range); σ: spread of the effects (non-linearity or interactions)."
        )
    _write_table(idx, paths.tables / "indices")
    path = _figure(make, paths.figures / f"{name}.png")
    out = [*lines, expl, "", md_table(idx), "", _image(path, name, paths.root), ""]
    if second is not None:
        _write_table(second, paths.tables / "indices_second_order")
        out += [
            "### Second-order indices",
            "",
            "S2: share of output variance due to the interaction of two parameters (beyond "
            f"their first-order effects); `S2_conf`: {e.level:.0%} bootstrap half-widths. "
            "Table: `tables/indices_second_order.csv`.",
            "",
            md_table(second),
            "",
        ]
    return out


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def _is_study(paths: ExperimentPaths) -> bool:
    try:
        return json.loads(paths.spec.read_text(encoding="utf-8")).get("kind") == "study"
    except (OSError, ValueError):
        return False


def analyse(root: Path | str, *, echo: Callable[[str], None] | None = print) -> Path:
    """(Re)write the tables, figures and ``report.md`` of the experiment in ``root``.

    Only stored results are read; nothing is simulated.

    Returns:
        Path of ``report.md``.

    Raises:
        ExperimentConfigError: ``root`` is not an experiment folder.
    """
    paths = ExperimentPaths(Path(root))
    if _is_study(paths):
        from .study import analyse_study

        return analyse_study(paths.root, echo=echo)
    e = load_experiment(paths.root)
    store = paths.store()
    _NOT_WRITTEN.clear()
    if e.kind == "optimise":
        from .optimise import analyse_optimise

        body, n_runs, n_planned = analyse_optimise(e, paths)
    else:
        plan = plan_runs(e)
        planned = {r.run_id for r in plan}
        rows = _tag_from_plan(load_rows(store, planned, read_manifest(paths.root)), plan)
        n_runs, n_planned = rows["run_id"].nunique() if len(rows) else 0, len(planned)
        if not len(rows):
            body = ["No runs are stored yet: run the experiment's command first.", ""]
        else:
            with warnings.catch_warnings():
                # Matplotlib warns about all-NaN colour scales of undefined outcomes only.
                warnings.filterwarnings("ignore", message=".*(All-NaN|empty slice).*")
                try:
                    body = {
                        "replicate": _replicate,
                        "sweep": _sweep,
                        "compare": _compare,
                        "sensitivity": _sensitivity,
                    }[e.kind](e, paths, rows)
                except Exception as exc:  # the tables written so far stay; say what failed
                    _NOT_WRITTEN.append(f"the {e.kind} analysis: {_reason(exc)}")
                    body = []
    not_written = list(_NOT_WRITTEN)
    _NOT_WRITTEN.clear()
    if not_written:
        body = [
            *body,
            "## Not written",
            "",
            "The design is too small or an outcome is undefined (NaN) in every run for:",
            "",
            *[f"- {line}" for line in not_written],
            "",
        ]
    parts = _rel(paths.parts, paths.root)
    tags = {
        "replicate": "`point`, `replicate`",
        "sweep": "`point`, `replicate`",
        "compare": "`point`, `replicate`, `condition`",
        "sensitivity": "`point`, `replicate`",
        "optimise": "`point`, `replicate`, `phase`, `candidate`",
    }[e.kind]
    text = "\n".join(
        [
            *_header(e, paths, n_runs, n_planned),
            *body,
            _QUERY.format(tags=tags, parts=f"{paths.root.as_posix()}/{parts}"),
        ]
    )
    atomic_write_bytes(text.encode("utf-8"), paths.report)
    if echo is not None:
        for line in not_written:
            echo(f"report: not written: {line}")
        echo(f"report: {paths.report}  (tables/ and figures/ beside it)")
    return paths.report

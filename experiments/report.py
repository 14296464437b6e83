"""Shared report helpers of every experiment kind: tables, figures, Markdown, the report frame.

A kind's ``analyse`` writes its tables with :func:`write_table`, draws its figures with
:func:`figure` (a failure is noted, not raised: :func:`not_written`), formats numbers with
:func:`fmt` and tables with :func:`md_table`, and returns the Markdown body; :func:`write_report`
adds the header (:func:`header`), the "Not written" section and the query help.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.metrics import MODEL_METRICS, consensus_survival

from .execute import ExperimentPaths
from .figures import plot_bands, save
from .posterior import draw_summary
from .spec import Experiment
from .stats import summarise_over_time
from .store import atomic_write_bytes, atomic_write_parquet
from .tables import bootstrap_over_time

__all__ = [
    "HEADLINE_METRICS",
    "consensus_lines",
    "figure",
    "fmt",
    "fmt_limits",
    "header",
    "image",
    "md_table",
    "not_written",
    "over_time",
    "rel",
    "tag_from_plan",
    "write_report",
    "write_table",
]

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


def fmt(x: Any, digits: int = 3) -> str:
    """A number for a report: 3 decimals, ``g`` format when tiny or huge, – for NaN/None."""
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
        cells = [fmt(v, digits).replace("|", "\\|") for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + note


def fmt_limits(limits: pd.DataFrame) -> str:
    """A PRIM box's limits as one condition: ``lo ≤ name ≤ hi and …``.

    Args:
        limits: One row per restricted parameter: ``parameter``, ``lo`` and ``hi`` (NaN where
            unrestricted on that side) or ``levels`` (a categorical parameter's kept levels).

    Returns:
        The condition, or ``(the whole space)`` when nothing is restricted.
    """
    parts = []
    for r in limits.to_dict("records"):
        if r.get("parameter") == "(no restriction)":
            continue
        lo, hi = r.get("lo", np.nan), r.get("hi", np.nan)
        if isinstance(r.get("levels"), str):
            parts.append(f"{r['parameter']} ∈ {{{r['levels']}}}")
        elif pd.notna(lo) and pd.notna(hi):
            parts.append(f"{lo:.3g} ≤ {r['parameter']} ≤ {hi:.3g}")
        elif pd.notna(lo):
            parts.append(f"{r['parameter']} ≥ {lo:.3g}")
        elif pd.notna(hi):
            parts.append(f"{r['parameter']} ≤ {hi:.3g}")
    return " and ".join(parts) or "(the whole space)"


def write_table(df: pd.DataFrame, path: Path, *, parquet: bool = False) -> list[Path]:
    """Write ``df`` as ``path``.csv (and .parquet), atomically; returns the files."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(df.to_csv(index=False).encode("utf-8"), path.with_suffix(".csv"))
    out = [path.with_suffix(".csv")]
    if parquet:
        atomic_write_parquet(df, path.with_suffix(".parquet"), index=False)
        out.append(path.with_suffix(".parquet"))
    return out


def rel(path: Path, root: Path) -> str:
    """``path`` relative to ``root``, with forward slashes (for Markdown links)."""
    return path.relative_to(root).as_posix()


#: What the analysis in progress could not write (one line each; see :func:`analyse`).
_NOT_WRITTEN: list[str] = []


def reason(exc: BaseException) -> str:
    """One line for an exception: its type and the first line of its message."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def not_written(line: str) -> None:
    """Note one thing the analysis in progress could not write (listed in the report)."""
    _NOT_WRITTEN.append(line)


def figure(make: Callable[[], Any], path: Path) -> Path | None:
    """Draw and save a figure; on failure note one line (the rest of the report goes on)."""
    try:
        return save(make(), path)
    except Exception as exc:  # a degenerate design (one point, all-NaN outcome, ...)
        not_written(f"figure `{path.name}`: {reason(exc)}")
        return None


def image(fig: Path | None, alt: str, root: Path) -> str:
    """The Markdown image of a figure, or a note that it was not drawn."""
    return f"![{alt}]({rel(fig, root)})" if fig is not None else f"(figure {alt}: not drawn)"


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


def _posterior_bullet(e: Experiment) -> list[str]:
    """With ``experiment.posterior``: which parameters the replicates drew, and from where."""
    draws = e.replicate_overrides
    if not draws:
        return []
    names, distinct = draw_summary(draws)
    return [
        f"- parameters over the calibration posterior `{e.settings.get('posterior')}`: "
        f"replicate r of every point runs posterior draw r ({len(draws)} draws by weight, "
        f"{distinct} distinct particles) of {', '.join(f'`{n}`' for n in names)}, with the "
        "point's own settings on top — differences carry that parameter uncertainty as well "
        "as the seeds'"
    ]


def header(e: Experiment, paths: ExperimentPaths, n_runs: int, n_planned: int) -> list[str]:
    """The top of ``report.md``: what was run, how much of it is stored, the launches."""
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
        *_posterior_bullet(e),
        f"- runs stored: {n_runs} of {n_planned} planned"
        + (
            f"; **{n_planned - n_runs} missing** — rerun the command to complete"
            if n_runs < n_planned
            else ""
        ),
        f"- launches: {t['launches']} ({', '.join(t['launchers']) or '–'}), "
        f"{t['done']} runs executed in {t['wall_s']:.1f} s wall time; "
        f"failed runs on record: {t['failed']}"
        + (f" (see `{rel(paths.failures, paths.root)}/`)" if t["failed"] else ""),
        f"- confidence level: {e.level:.0%}",
        "",
    ]
    return lines


QUERY = """## Querying the stored results

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


def tag_from_plan(rows: pd.DataFrame, plan: Sequence[Any]) -> pd.DataFrame:
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


def over_time(
    rows: pd.DataFrame, e: Experiment, paths: ExperimentPaths, by: Sequence[str] = ()
) -> tuple[pd.DataFrame, Path]:
    metrics = [m for m in MODEL_METRICS if m in rows.columns]
    summ = summarise_over_time(rows, by=list(by), value_cols=metrics, level=e.level)
    boot = bootstrap_over_time(rows, metrics, by=list(by), level=e.level, seed=e.root_seed)
    table = summ.merge(boot, on=[*by, "step", "variable"], how="left")
    write_table(table, paths.tables / "over_time", parquet=True)
    heads = [m for m in HEADLINE_METRICS if m in metrics]
    fig = figure(
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


def consensus_lines(runs: pd.DataFrame, by: str | None = None) -> list[str]:
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


def write_report(
    e: Experiment,
    paths: ExperimentPaths,
    body: list[str],
    n_runs: int,
    n_planned: int,
    *,
    tags: Sequence[str],
    echo: Callable[[str], None] | None = print,
) -> Path:
    """Write ``report.md``: the header, ``body``, what was not written, the query help.

    Args:
        tags: The tag columns of the experiment's rows, for the query help.
    """
    noted = list(_NOT_WRITTEN)
    _NOT_WRITTEN.clear()
    if noted:
        body = [
            *body,
            "## Not written",
            "",
            "The design is too small or an outcome is undefined (NaN) in every run for:",
            "",
            *[f"- {line}" for line in noted],
            "",
        ]
    parts = rel(paths.parts, paths.root)
    text = "\n".join(
        [
            *header(e, paths, n_runs, n_planned),
            *body,
            QUERY.format(
                tags=", ".join(f"`{t}`" for t in tags), parts=f"{paths.root.as_posix()}/{parts}"
            ),
        ]
    )
    atomic_write_bytes(text.encode("utf-8"), paths.report)
    if echo is not None:
        for line in noted:
            echo(f"report: not written: {line}")
        echo(f"report: {paths.report}  (tables/ and figures/ beside it)")
    return paths.report


def start_report() -> None:
    """Forget what an earlier analysis in this process could not write."""
    _NOT_WRITTEN.clear()

"""The source-claims study: every hypothesis as a paired comparison, resumable, reported.

``govsim study source-claims`` (config ``configs/experiment/source_claims.yaml``) plans one run
per (community type, arm, seed): the arms of all hypotheses in a community share the same
seeds (common random numbers), and an arm that two hypotheses share (e.g. the no-leadership
control) is run once — a run's identity is its parameters and seed. Runs execute through the
same resumable machinery as every sweep (:func:`experiments.execute.execute`, driven by the
``study`` kind, :mod:`experiments.kinds.study`); the report is written from the stored results
alone (:func:`analyse_study`, also ``govsim report``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.metrics import MODEL_METRICS
from sim.params import Params, build_params, diff

from .claims import (
    Hypothesis,
    StudySpec,
    hypothesis_verdicts,
    outcome_verdicts,
    paired_power,
    replications_for_power,
)
from .dataset import ON_MODEL_CHANGE, read_manifest
from .design import ExperimentConfigError, WorkEstimate, check_work, replicate_seeds
from .execute import ExperimentPaths, RunSpec, identity_key
from .figures import plot_forest, save
from .report import md_table
from .stats import paired_compare
from .store import atomic_write_bytes, current_versions, versioned_id
from .tables import load_rows, outcome_names, run_outcomes

__all__ = ["StudyPlan", "analyse_study", "plan_study", "spec_from_config", "spec_json"]

_SPEC_KEYS = {
    "name",
    "description",
    "kind",
    "communities",
    "replications",
    "root_seed",
    "steps",
    "alpha",
    "target_power",
    "overrides",
    "hypotheses",
    "on_model_change",
    "confirm_large",
}
_HYP_KEYS = {"title", "section", "claim", "treatment", "control", "outcomes", "communities"}


def spec_from_config(exp: Mapping[str, Any], steps: int) -> StudySpec:
    """Validate a study config node (``configs/experiment/source_claims.yaml``).

    Raises:
        ExperimentConfigError: One line naming the setting, the value and what is allowed.
    """
    unknown = sorted(set(exp) - _SPEC_KEYS)
    if unknown:
        raise ExperimentConfigError(
            f"experiment.{unknown[0]}: unknown study setting; allowed: "
            f"{', '.join(sorted(_SPEC_KEYS))}"
        )
    valid = set(outcome_names())
    hyps = []
    raw = exp.get("hypotheses") or {}
    if not isinstance(raw, Mapping) or not raw:
        raise ExperimentConfigError("experiment.hypotheses: expected a non-empty mapping")
    for name, h in raw.items():
        if not isinstance(h, Mapping):
            raise ExperimentConfigError(f"experiment.hypotheses.{name}: expected a mapping")
        bad = sorted(set(h) - _HYP_KEYS)
        if bad:
            raise ExperimentConfigError(
                f"experiment.hypotheses.{name}.{bad[0]}: unknown; allowed: "
                f"{', '.join(sorted(_HYP_KEYS))}"
            )
        outcomes = dict(h.get("outcomes") or {})
        for o in outcomes:
            if o not in valid:
                import difflib

                close = difflib.get_close_matches(o, sorted(valid), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ExperimentConfigError(
                    f"experiment.hypotheses.{name}.outcomes.{o}: unknown outcome{hint}; "
                    "allowed: final_<metric>, mean_<metric>, steady_<metric>, time_to_consensus, "
                    "burn_in, stationary, max_abs_geweke_z"
                )
        try:
            hyps.append(
                Hypothesis(
                    name=str(name),
                    title=str(h.get("title", name)),
                    claim=" ".join(str(h.get("claim", "")).split()),
                    section=str(h.get("section", "")),
                    treatment=dict(h.get("treatment") or {}),
                    control=dict(h.get("control") or {}),
                    outcomes=outcomes,
                    communities=tuple(h.get("communities") or ()),
                )
            )
        except ValueError as exc:
            raise ExperimentConfigError(str(exc)) from None
    try:
        return StudySpec(
            name=str(exp.get("name") or "study"),
            hypotheses=tuple(hyps),
            communities=tuple(exp.get("communities") or ()),
            replications=int(exp.get("replications") or 0),
            steps=int(exp.get("steps") or steps),
            root_seed=int(exp.get("root_seed") or 0),
            alpha=float(exp.get("alpha", 0.05)),
            target_power=float(exp.get("target_power", 0.8)),
            on_model_change=_policy(exp.get("on_model_change", "refuse")),
            confirm_large=exp.get("confirm_large", False),
        )
    except ValueError as exc:
        raise ExperimentConfigError(str(exc)) from None


def _policy(value: Any) -> str:
    if value not in ON_MODEL_CHANGE:
        raise ExperimentConfigError(
            f"experiment.on_model_change={value!r}: allowed: {', '.join(ON_MODEL_CHANGE)}"
        )
    return str(value)


@dataclass
class StudyPlan:
    """What a study runs: the arms and their runs.

    Attributes:
        spec: The study.
        seeds: The replicate seeds (the same for every arm).
        arms: One record per (hypothesis, community, arm) with the run ids of its seeds.
        runs: The distinct runs (shared arms once).
        work: Its size (:class:`experiments.design.WorkEstimate`), printed when large.
    """

    spec: StudySpec
    seeds: list[int]
    arms: list[dict[str, Any]]
    runs: list[RunSpec]
    work: Any = None


def plan_study(spec: StudySpec, community_params: Callable[[str], Params]) -> StudyPlan:
    """Plan every arm of every hypothesis in each of its community types.

    Args:
        spec: The study.
        community_params: ``name -> Params`` of a community type (scenario + base overrides).

    Raises:
        ExperimentConfigError: A bad override in a hypothesis (before any run).
    """
    n_arms = sum(2 * len(spec.communities_of(h)) for h in spec.hypotheses)
    first = next((c for h in spec.hypotheses for c in spec.communities_of(h)), None)
    residents = (community_params(first) if first else Params()).population.n_residents
    work = check_work(
        WorkEstimate(n_arms * spec.replications, residents, spec.steps, len(MODEL_METRICS) + 8),
        confirm=spec.confirm_large,
    )
    seeds = replicate_seeds(spec.root_seed, spec.replications)
    versions = current_versions()
    base = Params()
    arms: list[dict[str, Any]] = []
    runs: dict[str, RunSpec] = {}
    cache: dict[str, Params] = {}
    for h in spec.hypotheses:
        for community in spec.communities_of(h):
            if community not in cache:
                cache[community] = community_params(community)
            for arm, ov in (("treatment", h.treatment), ("control", h.control)):
                try:
                    params = build_params(cache[community], dict(ov), unread="reset")
                except ValueError as exc:
                    raise ExperimentConfigError(
                        f"experiment.hypotheses.{h.name}.{arm}: {exc}"
                    ) from None
                overrides = diff(base, params)
                ids = []
                for seed in seeds:
                    key = identity_key(params, seed, spec.steps)
                    rid = versioned_id(key, versions)
                    ids.append(rid)
                    runs.setdefault(
                        rid,
                        RunSpec(
                            run_id=rid,
                            seed=int(seed),
                            overrides=overrides,
                            tags={"community": community, "arm_of": f"{h.name}/{arm}"},
                            key=key,
                        ),
                    )
                arms.append(
                    {"hypothesis": h.name, "community": community, "arm": arm, "run_ids": ids}
                )
    return StudyPlan(spec=spec, seeds=seeds, arms=arms, runs=list(runs.values()), work=work)


def spec_json(plan: StudyPlan) -> dict[str, Any]:
    """What ``experiment.json`` of a study holds: the spec, the seeds, the arms' run ids."""
    spec = plan.spec
    return {
        "kind": "study",
        "spec": {
            **{k: v for k, v in asdict(spec).items() if k != "hypotheses"},
            "hypotheses": [asdict(h) for h in spec.hypotheses],
        },
        "seeds": plan.seeds,
        "arms": plan.arms,
    }


def _load_spec(data: Mapping[str, Any]) -> tuple[StudySpec, list[dict[str, Any]]]:
    s = dict(data["spec"])
    hyps = tuple(
        Hypothesis(**{**h, "communities": tuple(h.get("communities") or ())})
        for h in s.pop("hypotheses")
    )
    s["communities"] = tuple(s["communities"])
    s.pop("base", None)
    return StudySpec(hypotheses=hyps, **s), list(data["arms"])


def _pair_rows(spec: StudySpec, arms: list[dict[str, Any]], runs: pd.DataFrame) -> pd.DataFrame:
    by_id = runs.set_index("run_id")
    table = {(a["hypothesis"], a["community"], a["arm"]): a["run_ids"] for a in arms}
    recs = []
    for h in spec.hypotheses:
        for community in spec.communities_of(h):
            t_ids = table[(h.name, community, "treatment")]
            c_ids = table[(h.name, community, "control")]
            have = [
                (t, c)
                for t, c in zip(t_ids, c_ids, strict=True)
                if t in by_id.index and c in by_id.index
            ]
            for outcome, direction in h.outcomes.items():
                a = np.array([by_id.at[t, outcome] for t, _ in have], dtype=float)
                b = np.array([by_id.at[c, outcome] for _, c in have], dtype=float)
                pc = paired_compare(a, b) if len(have) >= 2 else None
                rec = {
                    "hypothesis": h.name,
                    "community": community,
                    "outcome": outcome,
                    "direction": direction,
                    "primary": outcome == h.primary,
                }
                if pc is None:
                    rec.update({"n": len(have), "mean_diff": np.nan, "p_ttest": np.nan})
                else:
                    rec.update(pc.to_dict())
                recs.append(rec)
    return pd.DataFrame.from_records(recs)


def analyse_study(root: Path | str, *, echo: Callable[[str], None] | None = print) -> Path:
    """Write the study's tables, figures and ``report.md`` from its stored results alone."""
    paths = ExperimentPaths(Path(root))
    spec, arms = _load_spec(json.loads(paths.spec.read_text(encoding="utf-8")))
    wanted = {rid for a in arms for rid in a["run_ids"]}
    rows = load_rows(paths.store(), wanted, read_manifest(paths.root))
    if rows.empty:
        raise ExperimentConfigError(f"{paths.root}: no stored runs to report on")
    runs = run_outcomes(rows)
    pairs = _pair_rows(spec, arms, runs)
    pairs = outcome_verdicts(pairs, spec.alpha)
    verdicts = hypothesis_verdicts(pairs, spec.hypotheses)
    n_pairs = spec.replications
    short = pairs[pairs["n"] < n_pairs]
    d_detect = _detectable(n_pairs, spec.alpha, spec.target_power)
    paths.tables.mkdir(parents=True, exist_ok=True)
    for name, df in (("comparisons", pairs), ("verdicts", verdicts)):
        body = df.to_csv(index=False).encode("utf-8")
        atomic_write_bytes(body, paths.tables / f"{name}.csv")
    lines = [
        f"# {spec.name}: the source's claims, tested",
        "",
        f"{len(spec.hypotheses)} hypotheses, each a paired comparison (treatment − control) on "
        f"common random numbers: {n_pairs} replicate seeds per arm (root seed {spec.root_seed}), "
        f"{spec.steps} weeks per run, {len(wanted)} planned runs ({len(set(rows['run_id']))} "
        "stored). Outcomes are run-level (`steady_*`: mean over the weeks after the run's "
        "burn-in, `sim.stationarity`; `mean_*`: mean over weeks 1…T; `final_*`: last week). "
        f"Tests: paired t (and Wilcoxon signed-rank), Holm-corrected across all "
        f"{len(pairs)} outcome × community tests of the study at family-wise α = {spec.alpha}. "
        f"With {n_pairs} pairs the paired t-test has power {spec.target_power:.0%} for "
        f"|d_z| ≥ {d_detect:.2f} at α = {spec.alpha} before correction; "
        f"{replications_for_power(0.5, spec.target_power, spec.alpha)} pairs would be needed for "
        "d_z = 0.5.",
        "",
        *(
            [
                f"{len(short)} of the {len(pairs)} tests had fewer pairs (an outcome undefined "
                "in some runs, e.g. no need resolved, or runs not stored yet); their `n` "
                "column says how many.",
                "",
            ]
            if len(short)
            else []
        ),
        "Verdict rules: an outcome *agrees* in a community when its Holm-adjusted paired-t p < α "
        "with the expected sign, *contradicts* with the opposite sign; a hypothesis is "
        "**supported** when its primary (first) outcome agrees in every community type, "
        "**contradicted** when it contradicts in every one, **depends on conditions** when it "
        "agrees in some (named) and not in others, **not supported** otherwise. The model may "
        "contradict the source; where it does, the table says so.",
        "",
        "## Verdicts",
        "",
        md_table(verdicts.drop(columns=["communities"])),
        "",
    ]
    for h in spec.hypotheses:
        sub = pairs[pairs["hypothesis"] == h.name].copy()
        sub["comparison"] = sub["community"]
        sub["significant"] = sub["verdict"] != "not detected"
        fig = save(
            plot_forest(sub, title=f"{h.name}: treatment − control (d_z, by community type)"),
            paths.figures / f"{h.name}.png",
        )
        v = verdicts.set_index("hypothesis").loc[h.name]
        show = sub[
            [
                "community",
                "outcome",
                "direction",
                "n",
                "mean_a",
                "mean_b",
                "mean_diff",
                "diff_lo",
                "diff_hi",
                "d_z",
                "d_z_lo",
                "d_z_hi",
                "p_holm",
                "verdict",
            ]
        ]
        lines += [
            f"## {h.name} — {h.title}",
            "",
            f"*{h.section}.* {h.claim}",
            "",
            f"Treatment `{_fmt_ov(h.treatment)}` vs control `{_fmt_ov(h.control)}`. "
            f"**Verdict: {v['verdict']}**"
            + (f" (agrees in {v['agrees_in']})" if v["agrees_in"] else "")
            + (f"; contradicts in {v['contradicts_in']}" if v["contradicts_in"] else "")
            + ".",
            "",
            md_table(show.rename(columns={"mean_a": "treatment", "mean_b": "control"})),
            "",
            f"![{h.name}](figures/{fig.name})",
            "",
        ]
    failing = _failures(pairs, spec)
    lines += ["## Where a lever fails", "", *failing, ""]
    report = paths.root / "report.md"
    atomic_write_bytes("\n".join(lines).encode("utf-8"), report)
    if echo is not None:
        echo(f"report: {report}")
        for _, r in verdicts.iterrows():
            echo(f"  {r['hypothesis']}: {r['verdict']}")
    return report


def _detectable(n: int, alpha: float, power: float) -> float:
    if n < 2:
        return float("nan")
    lo, hi = 0.0, 10.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if paired_power(n, mid, alpha) < power else (lo, mid)
    return hi


def _fmt_ov(ov: Mapping[str, Any]) -> str:
    if not ov:
        return "(the community as it is)"
    return ", ".join(f"{k}={v}" for k, v in ov.items())


def _failures(pairs: pd.DataFrame, spec: StudySpec) -> list[str]:
    """Plain-language list of (hypothesis, community) where the primary outcome did not agree."""
    out = []
    prim = pairs[pairs["primary"]]
    for _, r in prim.iterrows():
        if r["verdict"] == "agrees":
            continue
        what = (
            "goes the other way" if r["verdict"] == "contradicts" else "shows no detectable effect"
        )
        out.append(
            f"* {r['hypothesis']} in `{r['community']}`: `{r['outcome']}` {what} "
            f"(difference {r['mean_diff']:.3g}, d_z {r['d_z']:.2f}, Holm p {r['p_holm']:.3g})."
        )
    return out or ["* Every primary outcome agreed with its hypothesis in every community type."]

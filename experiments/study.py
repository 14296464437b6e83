"""The source-claims study: every hypothesis as a paired comparison, resumable, reported.

``govsim study source-claims`` (config ``configs/experiment/source_claims.yaml``) plans one run
per (community type, arm, seed): the arms of all hypotheses in a community share the same
seeds (common random numbers), and an arm that two hypotheses share (e.g. the no-leadership
control) is run once — a run's identity is its parameters and seed. Runs execute through the
same resumable machinery as every sweep (:func:`experiments.execute.execute`, driven by the
``study`` kind, :mod:`experiments.kinds.study`); the report is written from the stored results
alone (:func:`analyse_study`, also ``govsim report``).

The report keeps apart what the comparisons can and cannot show: claims and mechanism checks
(true by construction) in separate tables and Holm families, equivalence (TOST) before any "no
effect", power at the first Holm step, each arm's weekly cost under the common cost model
(:mod:`sim.costs`), and steady-state beside transient (first ``transient_weeks``) outcomes.

Scenario discovery hook (:func:`_discover_shares`): the ``tables/holds_share.csv`` of every
``govsim discover`` folder in the same results directory (or ``<study>/discover/shares.csv``)
adds to the verdict table the share of plausible communities in which each hypothesis holds,
with its interval, and the report links the discovery reports. Nothing here writes them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.costs import COST_UNIT, LEVERS, efforts_cost
from sim.metrics import MODEL_METRICS
from sim.params import Params, build_params, diff

from .claims import (
    HYPOTHESIS_KINDS,
    Hypothesis,
    StudySpec,
    comparison_rows,
    hypothesis_verdicts,
    metric_of,
    outcome_verdicts,
    paired_power,
    replications_for_power,
)
from .dataset import ON_MODEL_CHANGE, read_manifest
from .design import ExperimentConfigError, WorkEstimate, check_work, replicate_seeds
from .execute import ExperimentPaths, RunSpec, identity_key
from .figures import plot_forest, save
from .posterior import check_draws, draw_posterior, draw_summary, merged, read_posterior
from .report import fmt_limits, md_table
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
    "sesoi",
    "transient_weeks",
    "detect_dz",
    "posterior",
}
_HYP_KEYS = {
    "title",
    "section",
    "claim",
    "treatment",
    "control",
    "outcomes",
    "communities",
    "mechanism",
    "held_fixed",
    "kind",
    "by_construction",
}


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
                    mechanism=" ".join(str(h.get("mechanism", "")).split()),
                    held_fixed=" ".join(str(h.get("held_fixed", "")).split()),
                    kind=_choice(f"hypotheses.{name}.kind", h.get("kind", "claim")),
                    by_construction=" ".join(str(h.get("by_construction", "")).split()),
                )
            )
        except ValueError as exc:
            raise ExperimentConfigError(str(exc)) from None
    sesoi = exp.get("sesoi") or {}
    if not isinstance(sesoi, Mapping):
        raise ExperimentConfigError("experiment.sesoi: expected a mapping metric → effect size")
    try:
        sesoi = {str(k): float(v) for k, v in sesoi.items()}
    except (TypeError, ValueError):
        raise ExperimentConfigError("experiment.sesoi: every value must be a number") from None
    try:
        spec = StudySpec(
            name=str(exp.get("name") or "study"),
            hypotheses=tuple(hyps),
            communities=tuple(exp.get("communities") or ()),
            replications=2 if exp.get("replications") == "auto" else _int_setting(exp),
            steps=int(exp.get("steps") or steps),
            root_seed=int(exp.get("root_seed") or 0),
            alpha=float(exp.get("alpha", 0.05)),
            target_power=float(exp.get("target_power", 0.8)),
            on_model_change=_policy(exp.get("on_model_change", "refuse")),
            confirm_large=exp.get("confirm_large", False),
            sesoi=sesoi,
            transient_weeks=int(exp.get("transient_weeks", 52)),
            posterior=_posterior_setting(exp.get("posterior")),
        )
    except ValueError as exc:
        raise ExperimentConfigError(str(exc)) from None
    if exp.get("replications") == "auto":
        # replications chosen to reach the target power at the first Holm step of the claims
        dz = exp.get("detect_dz")
        if not isinstance(dz, int | float) or not dz > 0:
            raise ExperimentConfigError(
                "experiment.detect_dz: replications=auto needs the standardized effect d_z > 0 "
                "to detect"
            )
        n = replications_for_power(float(dz), spec.target_power, spec.first_step_alpha())
        spec = replace(spec, replications=n)
    elif "detect_dz" in exp:
        raise ExperimentConfigError(
            "experiment.detect_dz: only read with experiment.replications=auto"
        )
    return spec


def _posterior_setting(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str | Path):
        raise ExperimentConfigError(
            f"experiment.posterior={value!r}: expected the folder of a govsim calibrate run "
            "(e.g. results/calibrate)"
        )
    read_posterior(value)  # one line now if there is no usable posterior there
    return str(value)


def _int_setting(exp: Mapping[str, Any]) -> int:
    value = exp.get("replications") or 0
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ExperimentConfigError(
            f"experiment.replications={value!r}: expected a number ≥ 2 or 'auto'"
        ) from None


def _choice(name: str, value: Any) -> str:
    if value not in HYPOTHESIS_KINDS:
        raise ExperimentConfigError(
            f"experiment.{name}={value!r}: allowed: {', '.join(HYPOTHESIS_KINDS)}"
        )
    return str(value)


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
        draws: With ``experiment.posterior``: the overrides of each replicate's posterior draw
            (replicate ``r`` of every arm runs draw ``r``); None otherwise.
    """

    spec: StudySpec
    seeds: list[int]
    arms: list[dict[str, Any]]
    runs: list[RunSpec]
    work: Any = None
    draws: list[dict[str, Any]] | None = None


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
    # the same draws in every community (they depend on the root seed only)
    draws = (
        None
        if spec.posterior is None
        else draw_posterior(read_posterior(spec.posterior), spec.replications, spec.root_seed)
    )
    for h in spec.hypotheses:
        for community in spec.communities_of(h):
            if community not in cache:
                cache[community] = community_params(community)
                if draws is not None:
                    check_draws(draws, cache[community])
            for arm, ov in (("treatment", h.treatment), ("control", h.control)):
                # replicate r of both arms: posterior draw r (if any), the arm's overrides on top
                try:
                    if draws is None:
                        per_seed = [build_params(cache[community], dict(ov), unread="reset")]
                        per_seed *= len(seeds)
                    else:
                        per_seed = [
                            build_params(cache[community], merged(d, ov), unread="reset")
                            for d in draws
                        ]
                except ValueError as exc:
                    raise ExperimentConfigError(
                        f"experiment.hypotheses.{h.name}.{arm}: {exc}"
                    ) from None
                ids = []
                for seed, params in zip(seeds, per_seed, strict=True):
                    key = identity_key(params, seed, spec.steps)
                    rid = versioned_id(key, versions)
                    ids.append(rid)
                    if rid not in runs:
                        runs[rid] = RunSpec(
                            run_id=rid,
                            seed=int(seed),
                            overrides=diff(base, params),
                            tags={"community": community, "arm_of": f"{h.name}/{arm}"},
                            key=key,
                        )
                arms.append(
                    {"hypothesis": h.name, "community": community, "arm": arm, "run_ids": ids}
                )
    return StudyPlan(
        spec=spec, seeds=seeds, arms=arms, runs=list(runs.values()), work=work, draws=draws
    )


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
        **({"posterior_draws": plan.draws} if plan.draws is not None else {}),
    }


def _load_spec(data: Mapping[str, Any]) -> tuple[StudySpec, list[dict[str, Any]]]:
    s = dict(data["spec"])
    hyps = tuple(
        Hypothesis(**{**h, "communities": tuple(h.get("communities") or ())})
        for h in s.pop("hypotheses")
    )
    s["communities"] = tuple(s["communities"])
    s.pop("base", None)
    s["sesoi"] = dict(s.get("sesoi") or {})
    return StudySpec(hypotheses=hyps, **s), list(data["arms"])


def _transient(rows: pd.DataFrame, metrics: Sequence[str], weeks: int) -> pd.DataFrame:
    """``transient_<m>``: each run's mean of metric ``m`` over weeks 1…``weeks``."""
    have = [m for m in metrics if m in rows.columns]
    early = rows[(rows["step"] >= 1) & (rows["step"] <= weeks)]
    out = early.groupby("run_id", sort=True)[have].mean()
    return out.rename(columns={m: f"transient_{m}" for m in have}).reset_index()


def _long_pairs(
    h: Hypothesis,
    community: str,
    table: Mapping[tuple[str, str, str], list[str]],
    by_id: pd.DataFrame,
    outcomes: Sequence[str],
) -> pd.DataFrame:
    t_ids = table[(h.name, community, "treatment")]
    c_ids = table[(h.name, community, "control")]
    have = [
        (t, c) for t, c in zip(t_ids, c_ids, strict=True) if t in by_id.index and c in by_id.index
    ]
    recs = []
    for outcome in outcomes:
        if outcome not in by_id.columns:
            continue
        for t, c in have:
            recs.append(
                {
                    "community": community,
                    "outcome": outcome,
                    "treatment": float(by_id.at[t, outcome]),
                    "control": float(by_id.at[c, outcome]),
                }
            )
    return pd.DataFrame.from_records(recs, columns=["community", "outcome", "treatment", "control"])


def transient_name(outcome: str) -> str | None:
    """The transient counterpart of a ``steady_*`` outcome (``transient_<metric>``)."""
    return f"transient_{metric_of(outcome)}" if outcome.startswith("steady_") else None


def _pair_rows(spec: StudySpec, arms: list[dict[str, Any]], runs: pd.DataFrame) -> pd.DataFrame:
    """Every (hypothesis, community, outcome) comparison, with its transient counterpart
    (family ``transient``) for each ``steady_*`` outcome."""
    by_id = runs.set_index("run_id")
    table = {(a["hypothesis"], a["community"], a["arm"]): a["run_ids"] for a in arms}
    frames = []
    fam_alpha = {f: spec.first_step_alpha(f) for f in ("claims", "mechanism checks", "transient")}
    for h in spec.hypotheses:
        trans = {o: transient_name(o) for o in h.outcomes}
        h_trans = (
            Hypothesis(
                h.name,
                h.title,
                h.claim,
                h.section,
                h.treatment,
                h.control,
                {t: h.outcomes[o] for o, t in trans.items() if t},
            )
            if any(trans.values())
            else None
        )
        for community in spec.communities_of(h):
            outs = list(h.outcomes) + [t for t in trans.values() if t]
            pairs = _long_pairs(h, community, table, by_id, outs)
            if pairs.empty:
                continue
            rows = comparison_rows(
                h,
                pairs,
                spec.sesoi,
                alpha_power=fam_alpha[h.family],
                target_power=spec.target_power,
            )
            if "stationary" in by_id.columns and not rows.empty:
                for arm in ("treatment", "control"):
                    ids = [r for r in table[(h.name, community, arm)] if r in by_id.index]
                    share = by_id.loc[ids, "stationary"].astype(float).mean() if ids else np.nan
                    rows[f"stationary_{arm}"] = share
            frames.append(rows)
            if h_trans is not None:
                tr = comparison_rows(
                    h_trans,
                    pairs,
                    spec.sesoi,
                    alpha_power=fam_alpha["transient"],
                    target_power=spec.target_power,
                )
                if not tr.empty:
                    tr["family"] = "transient"
                    tr["primary"] = tr["outcome"] == trans[h.primary]
                    frames.append(tr)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def arm_costs(spec: StudySpec, arms: list[dict[str, Any]], runs: pd.DataFrame) -> pd.DataFrame:
    """Each arm's weekly cost under the common cost model (:mod:`sim.costs`, default costs):
    the cost of its mean efforts (``mean_effort_<lever>``, exact for constant strategies)."""
    cols = [f"mean_effort_{lever}" for lever in LEVERS]
    by_id = runs.set_index("run_id")
    if not set(cols) <= set(by_id.columns):
        return pd.DataFrame()
    recs = []
    for a in arms:
        ids = [r for r in a["run_ids"] if r in by_id.index]
        if not ids:
            continue
        eff = by_id.loc[ids, cols].mean().to_numpy(dtype=float)
        recs.append(
            {
                "hypothesis": a["hypothesis"],
                "community": a["community"],
                "arm": a["arm"],
                **{lever: float(v) for lever, v in zip(LEVERS, eff, strict=True)},
                "cost": efforts_cost(np.clip(eff, 0.0, 1.0)),
            }
        )
    return pd.DataFrame.from_records(recs)


def _discover_shares(
    root: Path,
    primary: Mapping[str, str] | None = None,
    model_version: str | None = None,
) -> tuple[pd.DataFrame | None, list[str]]:
    """The scenario-discovery hook: the share of plausible communities in which each hypothesis
    holds, from ``govsim discover`` results next to the study, and the discoveries left out.

    Read: ``<study>/discover/shares.csv`` (columns ``hypothesis``, ``share_holds``), and the
    ``tables/holds_share.csv`` of every discovery folder in the same results directory or under
    ``<study>/discover/`` (one row each: ``hypothesis``, ``share``, ``share_lo``, ``share_hi``,
    ``contexts``; :func:`experiments.kinds.discover.holds_share`). A hypothesis found in several
    discoveries keeps the one with the most contexts; ``discovery`` names its folder.

    A discovery is left out, with the reason, when it labels another outcome than the
    hypothesis's primary one (``primary``: hypothesis → outcome), or when its
    ``experiment.json`` records another model version than the study's (``model_version``):
    its share would answer another question, or describe another model. A discovery meant to
    answer another question (e.g. over the cost assumptions) belongs in another results
    directory.

    Returns:
        The shares (or ``None`` when none is usable) and one line per discovery left out.
    """
    frames = []
    skipped: list[str] = []
    f = root / "discover" / "shares.csv"
    if f.is_file():
        df = pd.read_csv(f)
        if {"hypothesis", "share_holds"} <= set(df.columns):
            frames.append(df.assign(discovery="discover"))
    found = sorted(root.parent.glob("*/tables/holds_share.csv"))
    found += sorted((root / "discover").glob("**/tables/holds_share.csv"))
    for g in found:
        folder = g.parent.parent
        if folder == root:
            continue
        rel = folder.relative_to(root) if folder.is_relative_to(root) else Path("..", folder.name)
        spec_file = folder / "experiment.json"
        try:  # a neighbour's broken file is named, not allowed to stop the study's report
            df = pd.read_csv(g)
            spec = json.loads(spec_file.read_text(encoding="utf-8")) if spec_file.is_file() else {}
            if not isinstance(spec, dict):
                raise ValueError("experiment.json is not a JSON object")
        except (OSError, ValueError) as exc:
            skipped.append(f"`{rel}`: unreadable ({type(exc).__name__}: {exc})")
            continue
        if not {"hypothesis", "share"} <= set(df.columns):
            continue
        if model_version is not None:
            theirs = (spec.get("provenance") or {}).get("model_version")
            if theirs is not None and str(theirs) != str(model_version):
                skipped.append(f"`{rel}`: model version {theirs}, the study's is {model_version}")
                continue
        if primary is not None and "outcome" in df.columns:
            want = df["hypothesis"].map(primary)
            off = df[want.notna() & (df["outcome"] != want)]
            for _, r in off.iterrows():
                skipped.append(
                    f"`{rel}`: labels {r['hypothesis']} by `{r['outcome']}`, "
                    f"not its primary outcome `{primary[r['hypothesis']]}`"
                )
            df = df.drop(index=off.index)
            if df.empty:
                continue
        frames.append(df.rename(columns={"share": "share_holds"}).assign(discovery=str(rel)))
    if not frames:
        return None, skipped
    out = pd.concat(frames, ignore_index=True)
    if "contexts" in out:
        out = out.sort_values("contexts", ascending=False, kind="stable")
    out = out.drop_duplicates("hypothesis")
    for c in ("share_lo", "share_hi", "contexts"):
        if c not in out:
            out[c] = np.nan
    cols = ["hypothesis", "share_holds", "share_lo", "share_hi", "contexts", "discovery"]
    return out[cols], skipped


def _failure_boxes(root: Path, shares: pd.DataFrame) -> pd.DataFrame:
    """The PRIM boxes of the contexts where each claim *fails*, from its discovery's
    ``tables/boxes.csv`` (:func:`experiments.kinds.discover.box_table`), one row per hypothesis
    and box: ``hypothesis``, ``discovery``, ``box``, ``where`` (the box's limits as one
    condition), ``coverage``, ``density``, ``mass``, ``meets_threshold``. A hypothesis whose
    discovery found no box (every context holds, or none does, or no box met PRIM's density
    threshold) has a row with ``box`` NaN and ``where`` saying so."""
    recs = []
    for r in shares.to_dict("records"):
        base = {"hypothesis": r["hypothesis"], "discovery": r["discovery"]}
        f = root / str(r["discovery"]) / "tables" / "boxes.csv"
        try:
            boxes = pd.read_csv(f) if f.is_file() else pd.DataFrame()
        except (OSError, ValueError) as exc:
            recs.append({**base, "box": np.nan, "where": f"unreadable boxes.csv ({exc})"})
            continue
        fails = boxes[boxes["cases"] == "fails"] if "cases" in boxes else boxes
        if fails.empty:
            share = r.get("share_holds")
            why = (
                "holds in every context: nowhere to fail"
                if share == 1
                else "fails in every context"
                if share == 0
                else "no box found"
            )
            recs.append({**base, "box": np.nan, "where": why})
            continue
        for box, g in fails.groupby("box", sort=True):
            head = g.iloc[0]
            meets = bool(head.get("meets_threshold", True))
            where = fmt_limits(g)
            if not meets:
                where = f"no box reaches PRIM's density threshold; the densest: {where}"
            recs.append(
                {
                    **base,
                    "box": int(box),
                    "where": where,
                    "coverage": float(head["coverage"]),
                    "density": float(head["density"]),
                    "mass": float(head["mass"]),
                    "meets_threshold": meets,
                }
            )
    cols = ["hypothesis", "discovery", "box", "where", "coverage", "density", "mass"]
    return pd.DataFrame.from_records(recs).reindex(columns=[*cols, "meets_threshold"])


def analyse_study(root: Path | str, *, echo: Callable[[str], None] | None = print) -> Path:
    """Write the study's tables, figures and ``report.md`` from its stored results alone."""
    paths = ExperimentPaths(Path(root))
    data = json.loads(paths.spec.read_text(encoding="utf-8"))
    spec, arms = _load_spec(data)
    wanted = {rid for a in arms for rid in a["run_ids"]}
    rows = load_rows(paths.store(), wanted, read_manifest(paths.root))
    if rows.empty:
        raise ExperimentConfigError(f"{paths.root}: no stored runs to report on")
    runs = run_outcomes(rows)
    metrics = sorted({metric_of(o) for h in spec.hypotheses for o in h.outcomes})
    runs = runs.merge(_transient(rows, metrics, spec.transient_weeks), on="run_id", how="left")
    pairs = _pair_rows(spec, arms, runs)
    pairs = outcome_verdicts(pairs, spec.alpha)
    main_rows = pairs[pairs["family"] != "transient"]
    verdicts = hypothesis_verdicts(main_rows, spec.hypotheses)
    trans_rows = pairs[pairs["family"] == "transient"]
    trans_verdicts = hypothesis_verdicts(
        trans_rows.assign(outcome=trans_rows["outcome"].str.replace("transient_", "steady_")),
        spec.hypotheses,
    )
    shares, shares_skipped = _discover_shares(
        paths.root,
        {h.name: h.primary for h in spec.hypotheses},
        (data.get("provenance") or {}).get("model_version"),
    )
    if shares is not None:
        verdicts = verdicts.merge(
            shares[["hypothesis", "share_holds", "share_lo", "share_hi", "discovery"]],
            on="hypothesis",
            how="left",
        )
    costs = arm_costs(spec, arms, runs)
    n_pairs = spec.replications
    short = main_rows[main_rows["n"] < n_pairs]
    m_claims = spec.family_size("claims")
    a1 = spec.first_step_alpha("claims")
    d_detect = _detectable(n_pairs, a1, spec.target_power)
    paths.tables.mkdir(parents=True, exist_ok=True)
    for name, df in (
        ("comparisons", pairs),
        ("verdicts", verdicts),
        ("transient_verdicts", trans_verdicts),
        ("arm_costs", costs),
    ):
        body = df.to_csv(index=False).encode("utf-8")
        atomic_write_bytes(body, paths.tables / f"{name}.csv")
    stat = runs[["run_id", "stationary", "burn_in"]] if "stationary" in runs else None
    claims = [h for h in spec.hypotheses if h.kind == "claim"]
    checks = [h for h in spec.hypotheses if h.kind == "mechanism_check"]
    lines = [
        f"# {spec.name}: the source's claims, tested",
        "",
        f"{len(claims)} claims and {len(checks)} mechanism checks, each a paired comparison "
        f"(treatment − control) on common random numbers: {n_pairs} replicate seeds per arm "
        f"(root seed {spec.root_seed}), {spec.steps} weeks per run, {len(wanted)} "
        f"planned runs ({len(set(rows['run_id']))} stored). Outcomes are run-level (`steady_*`: "
        "mean over the weeks after the run's burn-in, `sim.stationarity`; `transient_*`: mean "
        f"over weeks 1…{spec.transient_weeks}; `mean_*`: weeks 1…T; `final_*`: last week).",
        "",
        _parameters_line(spec, data.get("posterior_draws")),
        "",
        "**Tests.** Paired t (and Wilcoxon signed-rank); Holm-corrected within three families "
        f"at family-wise α = {spec.alpha}: the claims ({m_claims} tests), the mechanism checks "
        f"({spec.family_size('mechanism checks')}), the transient outcomes "
        f"({spec.family_size('transient')} at most). Each outcome has a smallest effect size "
        "of interest (SESOI, column `sesoi`, in the outcome's unit); the TOST equivalence test "
        "of the difference within ±SESOI is Holm-corrected the same way (`p_tost_holm`).",
        "",
        f"**Power at the level used.** The smallest p of the claims must pass the first Holm "
        f"step α/m = {a1:.2g}. There {n_pairs} pairs give power {spec.target_power:.0%} for "
        f"|d_z| ≥ {_fmt_dz(d_detect)} (before correction: |d_z| ≥ "
        f"{_fmt_dz(_detectable(n_pairs, spec.alpha, spec.target_power))}); d_z = 0.5 would need "
        f"{replications_for_power(0.5, spec.target_power, a1)} pairs. Per comparison, "
        "`power_sesoi` is the power to detect a difference of one SESOI given the observed sd "
        "of the differences at that level, `pairs_for_power` the pairs that would reach "
        f"{spec.target_power:.0%}, `power_equivalence` the TOST power at a true difference 0.",
        "",
        *(
            [
                f"{len(short)} of the {len(main_rows)} tests had fewer pairs (an outcome "
                "undefined in some runs, e.g. no need resolved, or runs not stored yet); their "
                "`n` column says how many.",
                "",
            ]
            if len(short)
            else []
        ),
        "**Verdicts.** An outcome *agrees* (Holm p < α, expected sign, not equivalent), "
        "*contradicts* (opposite sign), is *negligible* (significant but equivalent: smaller "
        "than SESOI), *no effect* (equivalent, not significant) or *inconclusive* (neither: "
        "not detected, but not shown to be absent either). A hypothesis is **supported** when "
        "its primary (first) outcome agrees in every community type, **contradicted** when it "
        "contradicts in every one, **no effect** when it is equivalent in every one, **depends "
        "on conditions** when it agrees in some (named) and not others, **not supported** when "
        "it agrees nowhere and contradicts somewhere, **inconclusive** otherwise. The model may "
        "contradict the source; where it does, the table says so.",
        "",
    ]
    if stat is not None and len(stat):
        st = runs.merge(_run_community(arms), on="run_id", how="left")
        summary = (
            st.groupby("community")
            .agg(
                runs=("run_id", "nunique"),
                stationary=("stationary", "mean"),
                burn_in_median=("burn_in", "median"),
            )
            .reset_index()
        )
        lines += [
            "## Stationarity",
            "",
            "Share of runs in which every recorded metric passed the stationarity test after "
            "its burn-in (`sim.stationarity`), and the median burn-in (weeks). Where a share is "
            "below 1, `steady_*` of those runs averages a window that is not yet stationary: "
            "read them beside the transient outcomes below. Per comparison, "
            "`stationary_treatment` and `stationary_control` give the share of each arm's runs "
            "that passed.",
            "",
            md_table(summary),
            "",
        ]
    vcols = ["hypothesis", "title", "primary_outcome", "verdict", "agrees_in", "contradicts_in"]
    vcols += ["no_effect_in", "inconclusive_in"]
    if shares is not None:
        vcols += ["share_holds", "share_lo", "share_hi"]
    lines += [
        "## Verdicts on the claims",
        "",
        md_table(verdicts[verdicts["kind"] == "claim"][vcols]),
        "",
    ]
    if shares is not None:
        links = ", ".join(
            f"[{d}]({d}/report.md)" for d in sorted(set(shares["discovery"].dropna()))
        )
        lines += [
            "`share_holds`: the share of plausible communities (sampled by `govsim discover`) "
            "in which the claim holds, with its interval over the sampled contexts; the boxes "
            f"where it fails are in the discovery reports: {links}.",
            "",
        ]
        fails = _failure_boxes(paths.root, shares)
        atomic_write_bytes(
            fails.to_csv(index=False).encode("utf-8"), paths.tables / "failure_boxes.csv"
        )
        lines += [
            "### Where the claims fail (PRIM boxes of the discoveries)",
            "",
            "Per claim with a discovery, the box PRIM peeled around the contexts where the "
            "claim fails (coverage: the share of all failing contexts inside the box; density: "
            "the share of the contexts inside that fail; `tables/failure_boxes.csv`). A box is "
            "a condition to test, not a finding: see each discovery's quasi-p-values.",
            "",
            md_table(
                fails.drop(columns=["meets_threshold"]).assign(
                    box=fails["box"].map(lambda b: "–" if pd.isna(b) else str(int(b)))
                )
            ),
            "",
        ]
    else:
        lines += [
            "Where each claim holds beyond these community types: no discovery found for this "
            "study (`govsim discover experiment.discover.hypothesis=<name>` with its results "
            "in the same results directory; the report then shows the share of plausible "
            "communities in which each claim holds).",
            "",
        ]
    if shares_skipped:
        lines += [
            "Discoveries left out of `share_holds` (another outcome or model version, or "
            "unreadable): " + "; ".join(shares_skipped) + ".",
            "",
        ]
    if checks:
        lines += [
            "## Mechanism checks (true by construction — not evidence)",
            "",
            "Each of these compares arms whose outcome is set directly by the rule the "
            "treatment switches on; a pass verifies the code, not the source's claim. They "
            "are a Holm family of their own and are not counted as support.",
            "",
            md_table(
                verdicts[verdicts["kind"] == "mechanism_check"][
                    ["hypothesis", "title", "primary_outcome", "verdict"]
                ].assign(
                    by_construction=[
                        h.by_construction for h in checks if h.name in set(verdicts["hypothesis"])
                    ]
                )
            ),
            "",
        ]
    lines += [
        "## Steady state and transient",
        "",
        f"The primary outcome's verdict from the steady state (`steady_*`) and from the first "
        f"{spec.transient_weeks} weeks (`transient_*`, its own Holm family). A verdict that "
        "differs says the claim is about the path, not the regime (or the reverse).",
        "",
        md_table(
            verdicts[["hypothesis", "kind", "verdict"]].merge(
                trans_verdicts[["hypothesis", "verdict"]].rename(
                    columns={"verdict": "transient_verdict"}
                ),
                on="hypothesis",
                how="left",
            )
        ),
        "",
    ]
    if not costs.empty:
        cost_tab = costs.pivot_table(
            index=["hypothesis", "community"], columns="arm", values="cost"
        ).reset_index()
        lines += [
            "## What each arm costs",
            "",
            f"Weekly cost of each arm's lever efforts under the common cost model "
            f"(`sim.costs`, default costs: every lever 20 {COST_UNIT} at full effort, the "
            "ideological lever's cost growing as effort²). Equal-effort comparisons (H8) are "
            "equal in this cost by design; other hypotheses compare a lever with none.",
            "",
            md_table(cost_tab),
            "",
        ]
    for h in spec.hypotheses:
        lines += _hypothesis_section(h, pairs, verdicts, spec, paths, plot_forest, save, md_table)
    failing = _failures(main_rows[main_rows["family"] == "claims"], spec)
    lines += ["## Where a claim fails", "", *failing, ""]
    lines += ["## Caveats", "", *_caveats(spec, main_rows, runs), ""]
    report = paths.root / "report.md"
    atomic_write_bytes("\n".join(lines).encode("utf-8"), report)
    if echo is not None:
        echo(f"report: {report}")
        for _, r in verdicts.iterrows():
            tag = "" if r["kind"] == "claim" else " (mechanism check)"
            echo(f"  {r['hypothesis']}: {r['verdict']}{tag}")
    return report


_SHOW = [
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
    "sesoi",
    "p_holm",
    "p_tost_holm",
    "power_sesoi",
    "pairs_for_power",
    "stationary_treatment",
    "stationary_control",
    "verdict",
]


def _hypothesis_section(h, pairs, verdicts, spec, paths, plot_forest, save, md_table) -> list[str]:
    sub = pairs[(pairs["hypothesis"] == h.name) & (pairs["family"] != "transient")].copy()
    tr = pairs[(pairs["hypothesis"] == h.name) & (pairs["family"] == "transient")]
    sub["comparison"] = sub["community"]
    sub["significant"] = sub["verdict"].isin(["agrees", "contradicts", "negligible"])
    fig = save(
        plot_forest(sub, title=f"{h.name}: treatment − control (d_z, by community type)"),
        paths.figures / f"{h.name}.png",
    )
    v = verdicts.set_index("hypothesis").loc[h.name]
    kind = "Claim" if h.kind == "claim" else "Mechanism check (true by construction)"
    show = [c for c in _SHOW if c in sub.columns]
    out = [
        f"## {h.name} — {h.title}",
        "",
        f"*{kind}; {h.section}.* {h.claim}",
        "",
    ]
    if h.mechanism:
        out += [f"**Mechanism isolated:** {h.mechanism}", ""]
    if h.held_fixed:
        out += [f"**Held fixed:** {h.held_fixed}", ""]
    if h.by_construction:
        out += [f"**Why it is true by construction:** {h.by_construction}", ""]
    out += [
        f"Treatment `{_fmt_ov(h.treatment)}` vs control `{_fmt_ov(h.control)}`. "
        f"**Verdict: {v['verdict']}**"
        + (f" (agrees in {v['agrees_in']})" if v["agrees_in"] else "")
        + (f"; contradicts in {v['contradicts_in']}" if v["contradicts_in"] else "")
        + (f"; no effect in {v['no_effect_in']}" if v["no_effect_in"] else "")
        + (f"; inconclusive in {v['inconclusive_in']}" if v["inconclusive_in"] else "")
        + ".",
        "",
        md_table(sub[show].rename(columns={"mean_a": "treatment", "mean_b": "control"})),
        "",
    ]
    if not tr.empty:
        tshow = ["community", "outcome", "mean_diff", "diff_lo", "diff_hi", "d_z", "verdict"]
        out += [
            f"Transient (weeks 1…{spec.transient_weeks}):",
            "",
            md_table(tr[tshow]),
            "",
        ]
    out += [f"![{h.name}](figures/{fig.name})", ""]
    return out


def _parameters_line(spec: StudySpec, draws: Sequence[Mapping[str, Any]] | None) -> str:
    """What the parameters of the runs were: point values, or posterior draws (and which)."""
    if not spec.posterior or not draws:
        return (
            "**Parameters: point values.** Each community type runs at its preset's values "
            "(no `experiment.posterior`), so a verdict carries the variation between seeds, "
            "not the uncertainty of the parameters; `experiment.posterior=<govsim calibrate "
            "folder>` runs replicate r of both arms on posterior draw r instead."
        )
    names, distinct = draw_summary(list(draws))
    return (
        f"**Parameters: over the calibration posterior** `{spec.posterior}`. Replicate r of "
        f"both arms of every comparison runs posterior draw r ({len(draws)} draws by weight, "
        f"{distinct} distinct particles) of {', '.join(f'`{n}`' for n in names)}, on each "
        "community type's other values, with the arm's overrides on top; so each verdict "
        "carries that posterior's parameter uncertainty as well as the seeds'. The posterior "
        "is only as grounded as the targets it was calibrated to (see that folder's "
        "report.md: the default targets are assumed stylised facts, not survey figures)."
    )


def _run_community(arms: list[dict[str, Any]]) -> pd.DataFrame:
    recs = {}
    for a in arms:
        for rid in a["run_ids"]:
            recs.setdefault(rid, a["community"])
    return pd.DataFrame({"run_id": list(recs), "community": list(recs.values())})


def _names(rows: pd.DataFrame) -> str:
    return ", ".join(sorted({f"{r.hypothesis} ({r.community})" for r in rows.itertuples()}))


def _caveats(spec: StudySpec, rows: pd.DataFrame, runs: pd.DataFrame) -> list[str]:
    """Plain-language caveats the numbers call for."""
    out = []
    prim = rows[rows["primary"] & (rows["family"] == "claims")]
    weak = prim[prim["power_sesoi"] < spec.target_power] if "power_sesoi" in prim else prim[[]]
    if len(weak):
        text = (
            f"* Underpowered: {len(weak)} of {len(prim)} primary comparisons have power below "
            f"{spec.target_power:.0%} to detect one SESOI at the first Holm step "
            f"({spec.first_step_alpha():.2g}), given the spread of their paired differences: "
            f"{_names(weak)}."
        )
        verdict = weak["verdict"] if "verdict" in weak else pd.Series("", index=weak.index)
        inc = weak[verdict == "inconclusive"]
        det = weak[verdict.isin(["agrees", "contradicts"])]
        if len(inc):
            text += (
                f" Where such a comparison is *inconclusive* ({_names(inc)}), the study was too "
                "small, not the effect shown absent; `pairs_for_power` says how many pairs "
                "would do."
            )
        if len(det):
            text += (
                f" Where it detected an effect all the same ({_names(det)}), the effect is "
                "larger than the one SESOI the power refers to."
            )
        out.append(text)
    if "stationary" in runs:
        share = float(runs["stationary"].mean())
        if share < 1:
            out.append(
                f"* {1 - share:.0%} of the runs did not pass the stationarity test: their "
                "`steady_*` values average a window that may still drift."
            )
    out.append(
        "* Equal cost rests on the cost model's assumption that every lever costs the same at "
        "full effort (`costs.*`, no source gives their relative costs); vary `costs.*` to see "
        "whether an equal-cost ranking survives another assumption."
    )
    out.append(
        "* The community types are a handful of presets, not a sample of communities; where a "
        "claim holds across plausible communities is the question of `govsim discover`."
    )
    return out


def _detectable(n: int, alpha: float, power: float) -> float:
    if n < 2:
        return float("nan")
    lo, hi = 0.0, 20.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if paired_power(n, mid, alpha) < power else (lo, mid)
    return hi


def _fmt_dz(d: float) -> str:
    return "more than 20 (never, in practice)" if d >= 20.0 else f"{d:.2f}"


def _fmt_ov(ov: Mapping[str, Any]) -> str:
    if not ov:
        return "(the community as it is)"
    return ", ".join(f"{k}={v}" for k, v in ov.items())


def _failures(pairs: pd.DataFrame, spec: StudySpec) -> list[str]:
    """Plain-language list of (claim, community) where the primary outcome did not agree."""
    out = []
    prim = pairs[pairs["primary"]]
    words = {
        "contradicts": "goes the other way",
        "negligible": "changes by less than its SESOI",
        "no effect": "is equivalent to no effect (within ±SESOI)",
        "inconclusive": "is inconclusive (neither detected nor shown absent)",
    }
    for _, r in prim.iterrows():
        if r["verdict"] == "agrees":
            continue
        out.append(
            f"* {r['hypothesis']} in `{r['community']}`: `{r['outcome']}` "
            f"{words.get(r['verdict'], r['verdict'])} (difference {r['mean_diff']:.3g} "
            f"[{r['diff_lo']:.3g}, {r['diff_hi']:.3g}], d_z {r['d_z']:.2f}, Holm p "
            f"{r['p_holm']:.3g}, Holm TOST p {r['p_tost_holm']:.3g})."
        )
    return out or ["* Every claim's primary outcome agreed in every community type."]

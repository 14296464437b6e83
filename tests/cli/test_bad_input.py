"""The bad-input suite: every bad input gets one line on stderr, exit 2, nothing written, and a
message that names what is wrong.

The cases are generated from the parameter schema (every field: a wrong type, a value out of
range, a misspelt name, a list where a scalar goes or the reverse, a setting nothing would read)
and listed from issue 12 (huge integers, seeds, steps, results folders, run names, user scenario
files, experiment settings, non-ASCII text). The CLI cases call ``govsim.cli.main`` in this
process with stderr captured; a handful run the real command in a subprocess; the API cases call
``run_one`` / ``build_params`` / ``GovernanceModel``. The test ids show each case, and
``test_suite_size`` prints how many there are.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from govsim.cli import main
from sim.params import (
    ENGINE_READERS,
    MECHANISM_ONLY,
    NETWORK_READERS,
    OPINION_RULES,
    RULE_READERS,
    Params,
    build_params,
    iter_fields,
)

REPO = Path(__file__).resolve().parents[2]
FIELDS = [f for f in iter_fields(Params()) if f.name != "strategy.options"]


def _misspell(name: str) -> str:
    """A name one letter away from ``name`` (its last segment with two letters swapped)."""
    head, _, last = name.rpartition(".")
    bad = last[1] + last[0] + last[2:] if len(last) > 2 and last[0] != last[1] else last + "x"
    return f"{head}.{bad}" if head else bad


def _schema_cases() -> list[tuple[str, str, object, str]]:
    """(id, dotted name, bad value, text the message must contain) for every field."""
    cases = []
    for f in FIELDS:
        name = f.name
        if f.type == "bool":
            cases.append((f"{name}:wrong-type", name, "maybe", name))
        elif f.type in ("int", "float"):
            cases.append((f"{name}:wrong-type", name, "lots", name))
            if f.hi is not None:
                over = f.hi + 1 if f.type == "int" else f.hi * 2 + 1
                cases.append((f"{name}:above-range", name, over, name))
            if f.lo is not None and (f.type == "int" or f.lo > -1e300):
                cases.append((f"{name}:below-range", name, f.lo - 1, name))
            cases.append((f"{name}:list-for-number", name, [1, 2], name))
        elif f.type == "str":
            if f.choices:
                cases.append((f"{name}:not-a-choice", name, "nonsense_choice", name))
        elif f.type.startswith("tuple"):
            cases.append((f"{name}:string-for-list", name, "abc", name))
            if f.default:  # an empty default (e.g. population.thresholds) has no shorter form
                cases.append((f"{name}:too-short", name, list(f.default)[:-1], name))
        cases.append((f"{name}:misspelt", _misspell(name), 1, _misspell(name)))
    for section, names in MECHANISM_ONLY.items():
        for n in names:
            f = next(x for x in FIELDS if x.name == f"{section}.{n}")
            cases.append(
                (
                    f"{section}.{n}:unread-when-disabled",
                    f"{section}.{n}",
                    (f"{section}.enabled", False, _other_value(f)),
                    f"{section}.{n}",
                )
            )
    for n, kinds in NETWORK_READERS.items():
        f = next(x for x in FIELDS if x.name == f"network.{n}")
        other = "complete" if "complete" not in kinds else "sbm"
        if n != "mean_degree":
            other = next(k for k in ("sbm", "small_world", "complete") if k not in kinds)
        cases.append(
            (
                f"network.{n}:unread-by-{other}",
                f"network.{n}",
                ("network.kind", other, _other_value(f)),
                f"network.{n}",
            )
        )
    for n in ENGINE_READERS:
        f = next(x for x in FIELDS if x.name == f"engine.{n}")
        cases.append(
            (
                f"engine.{n}:unread-by-reference",
                f"engine.{n}",
                ("engine.kind", "reference", _other_value(f)),
                f"engine.{n}",
            )
        )
    for n, rules in RULE_READERS.items():
        f = next(x for x in FIELDS if x.name == f"opinions.{n}")
        other = next(r for r in OPINION_RULES if r not in rules)
        cases.append(
            (
                f"opinions.{n}:unread-by-{other}",
                f"opinions.{n}",
                ("opinions.rule", other, _other_value(f)),
                f"opinions.{n}",
            )
        )
    for strategy, field in [
        ("none", "strategy.political"),
        ("ideological", "strategy.political"),
        ("political", "strategy.smart"),
        ("smart", "strategy.budget"),
        ("integrated", "strategy.adapt_every"),
        ("adaptive", "strategy.ideological"),
        ("budgeted", "strategy.adapt_step"),
        ("none", "levers.smart.echo_chamber"),
        ("ideological", "levers.political.mass_line"),
        ("political", "levers.organizational.routing"),
    ]:
        f = next(x for x in FIELDS if x.name == field)
        cases.append(
            (
                f"{field}:unread-by-strategy-{strategy}",
                field,
                ("strategy.name", strategy, _other_value(f)),
                field,
            )
        )
    return cases


def _other_value(f) -> object:
    """A valid value of field ``f`` other than its default."""
    if f.type == "bool":
        return not f.default
    if f.choices:
        return next(c for c in f.choices if c != f.default)
    if f.type.startswith("tuple"):
        return [v * 2 + 1 for v in f.default]
    if f.type == "int":
        return f.default + 1 if f.hi is None or f.default + 1 <= f.hi else f.default - 1
    lo, hi = f.lo, f.hi
    mid = (lo + min(hi, lo + 1.0)) / 2
    return mid if mid != f.default else (lo + mid) / 2


SCHEMA_CASES = _schema_cases()


def _cli_sample(cases):
    """One case per field for the default CLI run (the CLI composes Hydra for each, ~0.3 s),
    cycling through the kinds of bad value; the other resident groups' traits are the same
    code path as ``long_term``'s. Every case runs through the API, and through the CLI with
    ``pytest -m slow``."""
    seen, fast = set(), []
    for case in cases:
        field = case[0].split(":")[0]
        group = field.split(".")[2] if field.startswith("population.groups.") else "long_term"
        if field in seen or group != "long_term":
            continue
        same = [c for c in cases if c[0].split(":")[0] == field]
        pick = same[len(seen) % len(same)]
        seen.add(field)
        fast.append(pick)
    return fast


CLI_FAST = _cli_sample(SCHEMA_CASES)
CLI_SLOW = [c for c in SCHEMA_CASES if c not in CLI_FAST]


def _cli_value(value: object) -> str:
    if isinstance(value, list):
        return "[" + ",".join(str(v) for v in value) + "]"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _cli_args(name: str, value: object) -> list[str]:
    if isinstance(value, tuple):  # (context key, context value, value)
        key, ctx, v = value
        return [f"{key}={_cli_value(ctx)}", f"{name}={_cli_value(v)}"]
    return [f"{name}={_cli_value(value)}"]


def _api_overrides(name: str, value: object) -> dict[str, object]:
    if isinstance(value, tuple):
        key, ctx, v = value
        return {key: ctx, name: v}
    return {name: value}


# --------------------------------------------------------------------------------------------
# Cases from the issue
# --------------------------------------------------------------------------------------------

HUGE = "1" + "0" * 400

#: (id, argv with TMP for the results root, text the message must contain)
LISTED_CLI = [
    ("unread-political-ideological", ["run", "strategy.name=ideological", "strategy.political=0.9"],
     "strategy.political"),
    # the lever sweep (strategy.political × strategy.smart) under the default strategy
    ("unread-lever-sweep", ["sweep", "experiment.overrides=[]"], "strategy.smart"),
    ("seed-bool", ["run", "seed=True"], "seed"),
    ("seed-negative", ["run", "seed=-1"], "seed"),
    ("seed-2^63", ["run", f"seed={2**63}"], "seed"),
    ("seed-400-digits", ["run", f"seed={HUGE}"], "seed"),
    ("steps-1e308", ["run", "steps=1e308"], "steps"),
    ("steps-huge", ["run", f"steps={HUGE}"], "steps"),
    ("steps-negative", ["run", "steps=-3"], "steps"),
    ("n_residents-400-digits", ["run", f"population.n_residents={HUGE}"],
     "population.n_residents"),
    ("mu-400-digits", ["run", f"opinions.mu={HUGE}"], "opinions.mu"),
    ("replications-1e308", ["sweep", "experiment.replications=1e308"], "experiment.replications"),
    ("replications-400-digits", ["replicate", f"experiment.replications={HUGE}"],
     "experiment.replications"),
    ("replications-zero", ["replicate", "experiment.replications=0"], "experiment.replications"),
    ("root-seed-huge", ["replicate", f"experiment.root_seed={HUGE}"], "experiment.root_seed"),
    ("experiment-seeds-2^63", ["replicate", "experiment.replications=null",
                               f"experiment.seeds=[1,{2**63}]"], "experiment.seeds"),
    ("experiment-seeds-string", ["replicate", "experiment.replications=null",
                                 "experiment.seeds=abc"], "experiment.seeds"),
    ("results-dir-file", ["run", "results_dir=FILE"], "results_dir"),
    ("results-dir-under-file", ["run", "results_dir=FILE/sub"], "results_dir"),
    ("results-dir-uncreatable", ["run", "results_dir=/proc/govsim-test/x"], "results_dir"),
    ("results-dir-option-file", ["run", "--results-dir", "FILE"], "--results-dir"),
    ("sweep-results-dir-file", ["sweep", "--results-dir", "FILE"], "--results-dir"),
    ("demo-results-dir-file", ["demo", "--results-dir", "FILE"], "--results-dir"),
    ("run-name-300", ["run", "run_name=" + "r" * 300], "run_name"),
    ("run-name-slash", ["run", "run_name=a/b"], "run_name"),
    ("experiment-name-300", ["replicate", "experiment.name=" + "e" * 300], "experiment.name"),
    ("scenario-tabs", ["run", "scenario=tabs"], "tabs.yaml"),
    ("scenario-malformed", ["run", "scenario=malformed"], "malformed.yaml"),
    ("scenario-no-header", ["run", "scenario=noheader"], "noheader.yaml"),
    ("scenario-header-second", ["run", "scenario=header_second"], "header_second.yaml"),
    ("scenario-unknown-strategy", ["run", "scenario=bad_strategy"], "ideologicl"),
    ("scenario-bad-key", ["run", "scenario=bad_key"], "opinions.muu"),
    ("scenarios-string", ["compare", "experiment.scenarios=weak_baseline"],
     "experiment.scenarios"),
    ("scenarios-unknown", ["compare", "experiment.scenarios=[weak_baseline,fragmentd]"],
     "fragmentd"),
    ("design-5", ["sweep", "experiment.design=5"], "experiment.design"),
    ("design-kind", ["sweep", "experiment.design.kind=grid"], "experiment.design.kind"),
    ("non-ascii-number", ["run", "opinions.mu=é"], "opinions.mu"),
    ("non-ascii-int", ["run", "population.n_residents=两千"], "population.n_residents"),
    ("non-ascii-strategy", ["run", "strategy.name=智慧"], "strategy.name"),
    ("non-ascii-key", ["run", "ö=1"], "ö"),
    ("non-ascii-scenario", ["run", "scenario=碎片"], "scenario"),
    ("launcher-setting-misspelt", ["sweep", "hydra.launcher.n_jbs=4"], "hydra.launcher.n_jbs"),
    ("launcher-unknown", ["sweep", "hydra/launcher=jobli"], "hydra/launcher"),
    ("unknown-group-option", ["run", "strategy=ideologicl"], "strategy"),
    ("unknown-top-level", ["run", "opinons.mu=0.2"], "opinons.mu"),
    ("progress-bad", ["run", "progress=sometimes"], "progress"),
    ("plots-bad", ["run", "plots=perhaps"], "plots"),
    ("strategy-unknown", ["run", "strategy.name=ideologcal"], "strategy.name"),
    ("sweep-not-one-value", ["run", "opinions.mu=0.1,0.2"], "opinions.mu"),
    ("no-equals", ["run", "opinions.mu"], "opinions.mu"),
    ("shares-do-not-sum", ["run", "population.groups.elderly.share=0.5"],
     "population.groups"),
    ("end-before-start", ["run", "strategy.name=campaign", "strategy.start_step=10",
                          "strategy.end_step=5"], "strategy.end_step"),
]  # fmt: skip


@pytest.fixture
def user_configs(tmp_path_factory) -> Path:
    """A GOVSIM_CONFIG_PATH folder with broken scenario files."""
    root = tmp_path_factory.mktemp("user_configs")
    sc = root / "scenario"
    sc.mkdir()
    g = "# @package _global_\n"
    (sc / "tabs.yaml").write_text(g + "opinions:\n\tmu: 0.2\n")
    (sc / "malformed.yaml").write_text(g + "opinions: [mu: 0.2\n")
    (sc / "noheader.yaml").write_text("# my scenario\nopinions:\n  mu: 0.2\n")
    (sc / "header_second.yaml").write_text("# my scenario\n" + g + "opinions:\n  mu: 0.2\n")
    (sc / "bad_strategy.yaml").write_text(g + "defaults:\n  - override /strategy: ideologicl\n")
    (sc / "bad_key.yaml").write_text(g + "opinions:\n  muu: 0.2\n")
    (sc / "good.yaml").write_text(g + "# a good one\nopinions:\n  mu: 0.2\n")
    return root


def _check(rc, out, err, files, must_name, *, quiet_stdout=True):
    lines = err.strip().splitlines()
    assert rc == 2, f"exit {rc}; stderr: {err!r}"
    assert len(lines) == 1, f"{len(lines)} lines on stderr: {err!r}"
    assert must_name in lines[0], f"{must_name!r} not named in {lines[0]!r}"
    if quiet_stdout:
        assert out == "", f"printed before the check: {out!r}"
    assert files == [], f"files written: {files}"


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def _run_main(argv, capsys, results):
    capsys.readouterr()
    rc = main(argv)
    out, err = capsys.readouterr()
    return rc, out, err, _files(results)


@pytest.fixture
def sandbox(tmp_path, monkeypatch, user_configs):
    """An empty results root and working directory; the user scenario files on the path."""
    results = tmp_path / "results"
    results.mkdir()
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("GOVSIM_CONFIG_PATH", str(user_configs))
    monkeypatch.delenv("GOVSIM_RESULTS", raising=False)
    from govsim.config import clear_caches

    clear_caches()
    yield results, cwd
    clear_caches()


def _with_results(argv: list[str], results: Path, a_file: Path) -> list[str]:
    argv = [a.replace("FILE", str(a_file)) for a in argv]
    if not any(a.startswith(("results_dir=", "--results-dir")) for a in argv):
        argv = [*argv, f"results_dir={results}"]
    if argv[0] == "demo" or any(a.startswith("population.n_residents=") for a in argv):
        return argv
    return [*argv, "population.n_residents=60"]


@pytest.mark.parametrize(
    ("name", "value", "must_name"),
    [pytest.param(n, v, m, id=i) for i, n, v, m in CLI_FAST]
    + [pytest.param(n, v, m, id=i, marks=pytest.mark.slow) for i, n, v, m in CLI_SLOW],
)
def test_cli_schema_case(name, value, must_name, sandbox, capsys):
    results, cwd = sandbox
    argv = ["run", *_cli_args(name, value), f"results_dir={results}", "steps=1"]
    rc, out, err, files = _run_main(argv, capsys, results)
    _check(rc, out, err, files + _files(cwd), must_name)


@pytest.mark.parametrize(
    ("argv", "must_name"), [pytest.param(a, m, id=i) for i, a, m in LISTED_CLI]
)
def test_cli_listed_case(argv, must_name, sandbox, capsys, tmp_path):
    results, cwd = sandbox
    a_file = tmp_path / "a_file.txt"
    a_file.write_text("not a folder")
    argv = _with_results(argv, results, a_file)
    rc, out, err, files = _run_main(argv, capsys, results)
    _check(rc, out, err, files + _files(cwd), must_name)


def test_cli_config_path_missing(sandbox, capsys, monkeypatch):
    results, cwd = sandbox
    monkeypatch.setenv("GOVSIM_CONFIG_PATH", str(cwd / "nonexistent"))
    rc, out, err, files = _run_main(["run", f"results_dir={results}"], capsys, results)
    _check(rc, out, err, files, "GOVSIM_CONFIG_PATH")


def test_user_scenario_with_header_first_works(sandbox, capsys):
    from govsim.config import resolve

    assert resolve(["scenario=good"]).params.opinions.mu == 0.2


#: Cases run through the real command in a subprocess (the console script's path).
SUBPROCESS = [
    ("unread", ["run", "strategy.name=ideological", "strategy.political=0.9"],
     "strategy.political"),
    ("seed-2^63", ["run", f"seed={2**63}"], "seed"),
    ("steps-1e308", ["run", "steps=1e308"], "steps"),
    ("results-dir-file", ["run", "results_dir=FILE"], "results_dir"),
    ("scenario-no-header", ["run", "scenario=noheader"], "noheader.yaml"),
    ("replications-1e308", ["sweep", "experiment.replications=1e308"],
     "experiment.replications"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "must_name"), [pytest.param(a, m, id=i) for i, a, m in SUBPROCESS]
)
def test_cli_subprocess_case(argv, must_name, tmp_path, user_configs):
    results = tmp_path / "results"
    results.mkdir()
    a_file = tmp_path / "a_file.txt"
    a_file.write_text("x")
    argv = _with_results(argv, results, a_file)
    env = {
        **os.environ,
        "GOVSIM_CONFIG_PATH": str(user_configs),
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p),
    }
    env.pop("GOVSIM_RESULTS", None)
    cmd = [sys.executable, "-c", "import sys; from govsim.cli import main; sys.exit(main())"]
    proc = subprocess.run(
        [*cmd, *argv], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    _check(proc.returncode, proc.stdout, proc.stderr, _files(results), must_name)


# --------------------------------------------------------------------------------------------
# The Python API
# --------------------------------------------------------------------------------------------


def _api_check(call, must_name):
    with pytest.raises(ValueError) as info:
        call()
    assert type(info.value) is not OverflowError
    text = str(info.value)
    assert "\n" not in text.strip(), text
    assert must_name in text, f"{must_name!r} not named in {text!r}"


@pytest.mark.parametrize(
    ("name", "value", "must_name"),
    [pytest.param(n, v, m, id=i) for i, n, v, m in SCHEMA_CASES],
)
def test_api_schema_case(name, value, must_name):
    _api_check(lambda: build_params(None, _api_overrides(name, value)), must_name)


def _run_one(**kwargs):
    from sim import run_one

    return lambda: run_one(**{"steps": 1, "params": {"population": {"n_residents": 50}}, **kwargs})


def _model(**kwargs):
    from sim import GovernanceModel

    return lambda: GovernanceModel({"population": {"n_residents": 50}}, **kwargs)


LISTED_API = [
    ("run_one-unread", lambda: _run_one(
        params={"strategy": {"name": "ideological", "political": 0.9}})(), "strategy.political"),
    ("run_one-unread-overrides", lambda: _run_one(
        **{"strategy.name": "ideological", "strategy.political": 0.9})(), "strategy.political"),
    ("run_one-seed-bool", lambda: _run_one(seed=True)(), "seed"),
    ("run_one-seed-negative", lambda: _run_one(seed=-1)(), "seed"),
    ("run_one-steps-1e308", lambda: _run_one(steps=1e308)(), "steps"),
    ("run_one-steps-huge", lambda: _run_one(steps=10**400)(), "steps"),
    ("run_one-steps-bool", lambda: _run_one(steps=True)(), "steps"),
    ("run_one-on_step-5", lambda: _run_one(on_step=5)(), "on_step"),
    ("run_one-n-400-digits", lambda: _run_one(
        params={"population": {"n_residents": 10**400}})(), "population.n_residents"),
    ("run_one-mu-400-digits", lambda: _run_one(
        params={"opinions": {"mu": 10**400}})(), "opinions.mu"),
    ("model-rng-bool", lambda: _model(rng=True)(), "rng"),
    ("model-rng-negative", lambda: _model(rng=-5)(), "rng"),
    ("replications-1e308", lambda: __import__(
        "experiments.runners", fromlist=["x"]).experiment_from_config(
        "replicate", {"replications": 1e308}, Params(), 10), "experiment.replications"),
    ("scenarios-string", lambda: __import__(
        "experiments.runners", fromlist=["x"]).experiment_from_config(
        "compare", {"replications": 2, "scenarios": "weak_baseline"}, Params(), 10),
     "experiment.scenarios"),
    ("scenario_params-unread", lambda: __import__(
        "govsim.config", fromlist=["x"]).scenario_params(
        "ideological_only", {"strategy.political": 0.5}), "strategy.political"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("call", "must_name"), [pytest.param(c, m, id=i) for i, c, m in LISTED_API]
)
def test_api_listed_case(call, must_name):
    _api_check(call, must_name)


def test_a_subclass_of_the_model_honours_engine_kind():
    from govsim.ui.model import ClassroomModel
    from sim import GovernanceModel, make_model
    from sim.reference import ReferenceModel

    class Mine(GovernanceModel):
        pass

    ref_params = {"population": {"n_residents": 40}, "engine": {"kind": "reference"}}
    m = make_model(ref_params, rng=1, cls=Mine)
    assert isinstance(m, ReferenceModel) and isinstance(m, Mine)
    assert type(make_model(ref_params, rng=2, cls=Mine)) is type(m)  # one class, made once
    assert isinstance(Mine({"population": {"n_residents": 40}}, rng=1), Mine)
    assert not isinstance(Mine({"population": {"n_residents": 40}}, rng=1), ReferenceModel)
    assert type(make_model(ref_params)) is ReferenceModel
    # a class computes one engine: another engine.kind is refused, naming the factory
    with pytest.raises(ValueError, match=r"engine\.kind='reference'.*make_model"):
        Mine(ref_params, rng=1)
    with pytest.raises(ValueError, match=r"engine\.kind='array'.*make_model"):
        ReferenceModel({"population": {"n_residents": 40}})
    assert not isinstance(ClassroomModel(population__n_residents=100), ReferenceModel)


def test_classroom_model_on_the_reference_engine(sandbox):
    from govsim.config import clear_caches
    from govsim.ui.model import ClassroomModel, classroom_model
    from sim.reference import ReferenceModel

    cfg = Path(os.environ["GOVSIM_CONFIG_PATH"])
    (cfg / "scenario" / "by_agent.yaml").write_text(
        "# @package _global_\nengine:\n  kind: reference\npopulation:\n  n_residents: 100\n"
    )
    clear_caches()
    m = classroom_model("by_agent", levers={"smart": 0.5})
    assert isinstance(m, ReferenceModel) and isinstance(m, ClassroomModel)
    m.step()
    assert m.steps == 1
    again = type(m)("by_agent", seed=1)  # Mesa's Reset: the same class, the same engine
    assert isinstance(again, ReferenceModel)
    assert not isinstance(classroom_model(population__n_residents=100), ReferenceModel)


def test_the_engine_takes_any_seed_numpy_takes():
    from sim import GovernanceModel, run_one

    a = run_one({"population": {"n_residents": 50}}, seed=2**100, steps=2)
    m = GovernanceModel({"population": {"n_residents": 50}}, rng=2**100).run(2)
    assert a.model.equals(__import__("sim.run", fromlist=["x"]).model_tables(m)[0])


def test_suite_size():
    cli = len(CLI_FAST) + len(LISTED_CLI) + len(SUBPROCESS) + 1  # +1: GOVSIM_CONFIG_PATH
    api = len(SCHEMA_CASES) + len(LISTED_API)
    print(
        f"\nbad-input suite: {cli + api} invocations by default — CLI {cli} ({len(CLI_FAST)} "
        f"from the schema, {len(LISTED_CLI)} listed, {len(SUBPROCESS)} in a subprocess, 1 "
        f"config path), API {api} ({len(SCHEMA_CASES)} from the schema, {len(LISTED_API)} "
        f"listed); {len(CLI_SLOW)} more CLI schema cases with -m slow"
    )
    assert cli + api >= 300 and cli >= 100


def test_classroom_resets_scenario_settings_its_controls_leave_unread():
    from govsim.ui.model import ClassroomModel
    from sim.params import NetworkParams

    # fragmented sets network.homophily=0.95 (block model); the teacher picks a small world
    m = ClassroomModel("fragmented", network__kind="small_world", population__n_residents=200)
    assert m.params.network.kind == "small_world"
    assert m.params.network.homophily == NetworkParams().homophily
    # the teacher's own setting that nothing reads is refused, not ignored
    with pytest.raises(ValueError, match=r"network\.homophily=0\.3: not read by"):
        ClassroomModel(
            "fragmented",
            network__kind="small_world",
            network__homophily=0.3,
            population__n_residents=200,
        )

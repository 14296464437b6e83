"""The ``govsim`` command in-process: run, list, show, demo, help, bad input, output schema."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govsim import cli
from govsim.config import resolve
from govsim.runs import is_complete, list_runs, load_run, save_run, simulate
from sim import run_one
from sim.metrics import GROUP_METRICS, MODEL_METRICS

PNG = b"\x89PNG\r\n\x1a\n"


def test_help_lists_commands_with_examples(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for verb in ("run", "list", "show", "demo"):
        assert verb in out
    assert "examples:" in out and "govsim demo" in out
    for verb in ("run", "list", "show", "demo"):
        assert cli.main([verb, "--help"]) == 0
        text = capsys.readouterr().out
        assert "examples:" in text, verb
        assert f"govsim {verb}" in text, verb


def test_no_command_prints_help(capsys):
    assert cli.main([]) == 0
    assert "commands" in capsys.readouterr().out


def test_list_shows_scenarios_strategies_networks_with_descriptions(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    for word in (
        "scenarios (scenario=NAME)",
        "strategies",
        "networks",
        "weak_baseline",
        "fragmented",
        "deffuant",
        "small_world",
        "integrated",
        "Block model",
    ):
        assert word in out, word
    assert cli.main(["list", "scenarios", "--claims"]) == 0
    assert "Claim:" in capsys.readouterr().out


def test_show_prints_documented_parameters(capsys):
    assert cli.main(["show", "scenario=credibility_crisis", "opinions.mu=0.2"]) == 0
    out = capsys.readouterr().out
    assert "scenario: credibility_crisis" in out
    assert "Claim:" in out
    assert "opinions.mu" in out and "Convergence parameter" in out
    assert "*opinions.mu" in out and "[default 0.3]" in out
    assert cli.main(["show", "scenario=credibility_crisis", "--changed"]) == 0
    changed = capsys.readouterr().out
    assert "needs.capacity_per_1000" in changed and "opinions.agenda" not in changed
    assert cli.main(["show", "--yaml", "strategy=integrated"]) == 0
    from omegaconf import OmegaConf

    cfg = OmegaConf.create(capsys.readouterr().out)
    assert cfg.strategy.name == "integrated" and cfg.choices.strategy == "integrated"


def test_run_writes_a_complete_run_folder(workdir, small, capsys):
    code = cli.main(["run", *small, "seed=3", "scenario=integrated", "--results-dir", "out"])
    assert code == 0
    out = capsys.readouterr().out
    runs = list_runs(workdir / "out")
    assert len(runs) == 1
    folder = runs[0]
    assert folder.parent == workdir / "out" / "integrated"
    assert folder.name.endswith("-seed3")
    assert f"wrote {Path('out') / 'integrated' / folder.name}" in out
    names = {p.name for p in folder.iterdir()}
    assert names == {
        "model.parquet", "model.csv", "groups.parquet", "agents.parquet", "summary.json",
        "config.yaml", "provenance.json", "plots",
    }  # fmt: skip
    for fig in ("participation", "consensus", "trust", "needs"):
        assert (folder / "plots" / f"{fig}.png").read_bytes()[:8] == PNG
    # Nothing but the results folder in the working directory (no outputs/, no .hydra).
    assert sorted(p.name for p in workdir.iterdir()) == ["out"]
    assert not list((workdir / "out").rglob(".*"))


def test_output_schema(workdir, small):
    assert cli.main(["run", *small, "steps=6", "run_name=schema", "--results-dir", "r"]) == 0
    run = load_run(workdir / "r" / "weak_baseline" / "schema")
    n, steps = 150, 6
    m = run.model
    assert list(m.columns) == ["step", *MODEL_METRICS]
    assert m["step"].dtype == np.int64 and m["step"].tolist() == list(range(steps + 1))
    assert all(m[c].dtype == np.float64 for c in MODEL_METRICS)
    g = run.groups
    assert list(g.columns) == ["step", "group", *GROUP_METRICS]
    assert isinstance(g["group"].dtype, pd.CategoricalDtype)
    groups = list(run.params.population.groups)
    assert len(g) == (steps + 1) * len(groups)
    assert g.groupby("step", observed=True).size().eq(len(groups)).all()
    a = run.agents
    assert len(a) == n and (a["step"] == steps).all()
    assert {"resident", "group", "opinion", "trust", "participating"} <= set(a.columns)
    csv = pd.read_csv(run.path / "model.csv")
    assert list(csv.columns) == list(m.columns) and len(csv) == steps + 1
    np.testing.assert_allclose(csv["participation_rate"], m["participation_rate"], rtol=1e-5)
    s = run.summary
    assert s["scenario"] == "weak_baseline" and s["seed"] == 0 and s["steps"] == steps
    assert set(s["final"]) == set(MODEL_METRICS) == set(s["mean"])
    assert s["final"]["participation_rate"] == pytest.approx(m["participation_rate"].iloc[-1])
    assert s["mean"]["participation_rate"] == pytest.approx(m["participation_rate"].iloc[1:].mean())
    assert set(s["final_by_group"]) == set(groups)
    p = run.provenance
    for key in ("seed", "started", "ended", "command", "git", "versions"):
        assert key in p
    assert p["versions"]["mesa"] and p["versions"]["hydra-core"]
    assert run.config["seed"] == 0 and run.config["choices"]["scenario"] == "weak_baseline"
    assert run.params == resolve(["population.n_residents=150"]).params


def test_results_dir_from_override_and_environment(workdir, small, monkeypatch):
    assert cli.main(["run", *small, "results_dir=a", "experiment.name=exp1", "-q"]) == 0
    assert len(list_runs(workdir / "a" / "exp1")) == 1
    monkeypatch.setenv("GOVSIM_RESULTS", str(workdir / "env"))
    assert cli.main(["run", *small, "plots=false", "-q"]) == 0
    (run,) = list_runs(workdir / "env")
    assert not (run / "plots").exists()


def test_same_run_name_never_overwrites(workdir, small):
    for _ in range(2):
        assert cli.main(["run", *small, "run_name=x", "plots=false", "-q"]) == 0
    names = sorted(p.name for p in (workdir / "results" / "weak_baseline").iterdir())
    assert names == ["x", "x-2"]


def test_overrides_before_and_after_options(workdir, small):
    argv = ["run", "scenario=silos", "--results-dir", "o", *small, "plots=false", "-q"]
    assert cli.main(argv) == 0
    assert len(list_runs(workdir / "o" / "silos")) == 1


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["run", "scenario=fragmentd"], ["scenario='fragmentd'", "did you mean 'fragmented'"]),
        (["run", "opinions.muu=0.2"], ["opinions.muu", "did you mean 'mu'"]),
        (["run", "opinions.mu=abc"], ["opinions.mu='abc'", "expected a number"]),
        (["run", "opinions.mu=0.9"], ["opinions.mu=0.9", "allowed range 0 … 0.5"]),
        (["run", "steps=-5"], ["steps=-5", "an integer 0 … 100000"]),
        (["run", "--bogus"], ["--bogus"]),
        (["rn", "steps=3"], ["'rn'", "did you mean 'run'"]),
        (["opinions.mu=0.2"], ["govsim run opinions.mu=0.2"]),
        (["demo", "scenario=silos"], ["scenario=silos", "experiment.scenarios"]),
        (["demo", "experiment.seeds=[1,1]"], ["experiment.seeds", "distinct"]),
        (["show", "network=ring"], ["network='ring'", "small_world"]),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(workdir, capsys, argv, expected):
    assert cli.main([*argv, "--results-dir", "out"] if argv[0] in ("run", "demo") else argv) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert len(err.splitlines()) == 1, err
    for part in expected:
        assert part in err, err
    assert captured.out == ""
    assert list(workdir.iterdir()) == []


def test_demo_compares_the_same_seeds(workdir, capsys):
    """The demo is a compare experiment: paired by seed, its table and headline printed."""
    argv = ["demo", "population.n_residents=150", "steps=5", "experiment.seeds=[0,1]",
            "hydra/launcher=basic", "--results-dir", "res"]  # fmt: skip
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    root = workdir / "res" / "demo"
    assert "headline: integrated vs weak_baseline" in out
    assert "participation rate (mean of all weeks)" in out and "difference [95% CI]" in out
    assert json.loads((root / "experiment.json").read_text())["kind"] == "demo"
    for name in ("tables/comparison.csv", "tables/comparison.md", "tables/runs.csv"):
        assert (root / name).is_file()
    assert (root / "figures" / "comparison.png").read_bytes()[:8] == PNG
    assert "runs stored: 4 of 4 planned" in (root / "report.md").read_text()
    runs = pd.read_csv(root / "tables" / "runs.csv")
    assert sorted(zip(runs.condition, runs.seed, strict=True)) == [
        ("integrated", 0), ("integrated", 1), ("weak_baseline", 0), ("weak_baseline", 1),
    ]  # fmt: skip
    comp = pd.read_csv(root / "tables" / "comparison.csv")
    row = comp.set_index("outcome").loc["mean_participation_rate"]
    base = runs[runs.condition == "weak_baseline"].set_index("seed")["mean_participation_rate"]
    other = runs[runs.condition == "integrated"].set_index("seed")["mean_participation_rate"]
    assert row["comparison"] == "integrated − weak_baseline"
    assert row["mean_diff"] == pytest.approx((other - base).mean(), rel=1e-9)
    assert row["n"] == 2
    # the printed difference is the stored one
    line = next(x for x in out.splitlines() if x.startswith("participation rate (mean of all"))
    assert f"{row['mean_diff']:+.3f}" in line


def test_simulate_gives_the_same_tables_as_run_one():
    params = resolve(["scenario=integrated", "population.n_residents=150"]).params
    a = simulate(params, 7, 5, progress=True)
    b = run_one(params, seed=7, steps=5)
    pd.testing.assert_frame_equal(a.model, b.model)
    pd.testing.assert_frame_equal(a.groups, b.groups)
    pd.testing.assert_frame_equal(a.agents, b.agents)
    assert a.summary.keys() == b.summary.keys()


def test_an_interrupted_run_leaves_nothing(tmp_path):
    params = resolve(["population.n_residents=150"]).params
    weeks = []

    def stop(week: int) -> None:
        weeks.append(week)
        if week == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        save_run(
            tmp_path / "exp" / "run",
            params=params,
            seed=0,
            steps=50,
            config={"seed": 0},
            plots=False,
            on_step=stop,
        )
    assert weeks == [1, 2, 3]
    assert list((tmp_path / "exp").iterdir()) == []


def test_replace_swaps_a_run_folder(tmp_path):
    params = resolve(["population.n_residents=150"]).params
    kwargs = {"params": params, "seed": 0, "steps": 2, "config": {"seed": 0}, "plots": False}
    first, _, _ = save_run(tmp_path / "run", **kwargs)
    (first / "marker").write_text("old")
    again, _, _ = save_run(tmp_path / "run", replace=True, **kwargs)
    assert again == first and not (again / "marker").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_a_folder_without_summary_is_not_complete(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / ".b.tmp-1").mkdir()
    (tmp_path / ".b.tmp-1" / "summary.json").write_text("{}")
    assert not is_complete(tmp_path / "a") and not is_complete(tmp_path / ".b.tmp-1")
    assert list_runs(tmp_path) == []


def test_registered_commands_are_dispatched(capsys, monkeypatch):
    monkeypatch.setattr(cli, "COMMANDS", dict(cli.COMMANDS))

    @cli.command("echo", help="echo the overrides", examples="govsim echo a=1")
    def _echo(args):
        cli.say(args, json.dumps(args.overrides))
        return 0

    assert cli.main(["echo", "a=1", "b=2"]) == 0
    assert json.loads(capsys.readouterr().out) == ["a=1", "b=2"]
    assert cli.main(["--help"]) == 0
    assert "echo the overrides" in capsys.readouterr().out

"""Bad experiment configs: one clear line on stderr, exit 2, before any run."""

from __future__ import annotations

import pytest

from .conftest import TINY, govsim


@pytest.mark.parametrize(
    ("verb", "args", "message"),
    [
        (
            "sweep",
            ["~experiment.design.params", "+experiment.design.params={}"],
            "design.params is empty",
        ),
        (
            "sweep",
            ["experiment.design.kind=lhs", "experiment.design.samples=0"],
            "design.samples=0: expected an integer ≥ 1",
        ),
        (
            "sweep",
            ["~experiment.design.params", "+experiment.design.params={strategy.politcal: [0, 1]}"],
            "unknown parameter 'strategy.politcal' (did you mean 'political'?)",
        ),
        (
            "sweep",
            ["~experiment.design.params", "+experiment.design.params={opinions.mu: [0.2, 0.9]}"],
            "design point 1: parameter opinions.mu=0.9",
        ),
        ("replicate", ["experiment.replications=0"], "replications=0: must be 1 … 1,000,000"),
        ("compare", ["experiment.scenarios=[weak_baseline]"], "two or more conditions"),
        (
            "compare",
            ["experiment.outcomes=[final_participaton_rate]"],
            "did you mean 'final_participation_rate'",
        ),
        ("sensitivity", ["experiment.sensitivity.n_base=3"], "power of two"),
        ("sensitivity", ["experiment.sensitivity.method=fast"], "allowed: sobol, morris"),
        ("sweep", ["hydra/launcher=rayy"], "unknown hydra/launcher option"),
        (
            "optimise",
            ["experiment.optimise.objective=happiness"],
            "allowed: participation, consensus, weighted, pareto",
        ),
    ],
)
def test_bad_experiment_config_is_one_line_exit_2_before_any_run(
    verb, args, message, results, capsys
):
    code = govsim(verb, *TINY, *args, "--results-dir", str(results))
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert err.count("\n") == 1 and err.startswith(f"govsim {verb}: error: ")
    assert not results.exists()  # nothing was planned, written or run


def test_report_on_a_folder_that_is_not_an_experiment(tmp_path, capsys):
    assert govsim("report", str(tmp_path)) == 2
    assert "not a govsim experiment folder" in capsys.readouterr().err

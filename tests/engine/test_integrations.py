"""govsim inside other tools: multiprocessing untouched, numpy scalars, dotted mappings, and the
examples of docs/integrations.md run as printed."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import run_one
from sim.params import build_params

REPO = Path(__file__).resolve().parents[2]
SMALL = {"population.n_residents": 150}


def _env() -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")]))
    return {**os.environ, "PYTHONPATH": path}


def _python(code: str, cwd: Path | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    env = _env()
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd or REPO,
        env=env,
    )


@pytest.mark.parametrize("preset", [None, "fork", "forkserver"])
def test_importing_and_running_sim_keeps_the_callers_start_method(preset):
    code = (
        "import multiprocessing as mp\n"
        + (f"mp.set_start_method({preset!r})\n" if preset else "")
        + "from sim import run_one, GovernanceModel\n"
        "import sim.reference\n"
        "run_one(steps=2, **{'population.n_residents': 60})\n"
        "print('start method:', mp.get_start_method(allow_none=True))\n"
    )
    proc = _python(code)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"start method: {preset}" in proc.stdout


def _tables(r):
    return r.model, r.groups, r.agents


def _assert_same_run(a, b):
    for x, y in zip(_tables(a), _tables(b), strict=True):
        pd.testing.assert_frame_equal(x, y)


def test_numpy_scalars_are_numbers_everywhere():
    plain = run_one(
        {"strategy": {"name": "integrated", "political": 0.5}, "opinions.enabled": True},
        seed=3,
        steps=6,
        **SMALL,
    )
    numpy = run_one(
        {
            "strategy": {"name": "integrated", "political": np.float32(0.5)},
            "opinions.enabled": np.bool_(True),
        },
        seed=np.int64(3),
        steps=np.int64(6),
        **{"population.n_residents": np.int64(150)},
    )
    _assert_same_run(plain, numpy)
    p = build_params(
        None,
        {
            "population.n_residents": np.int32(300),
            "opinions.mu": np.float32(0.25),
            "participation.sticky": np.bool_(False),
            "strategy.start_step": pd.Series([4]).iloc[0],  # a pandas cell: np.int64
            "needs.category_mix": np.arange(1.0, 7.0),  # a list parameter from an array
        },
    )
    assert p.needs.category_mix == (1.0, 2.0, 3.0, 4.0, 5.0, 6.0)
    assert type(p.population.n_residents) is int and p.population.n_residents == 300
    assert type(p.opinions.mu) is float and p.opinions.mu == pytest.approx(0.25)
    assert p.participation.sticky is False
    assert type(p.strategy.start_step) is int and p.strategy.start_step == 4


def test_numpy_scalars_still_checked():
    with pytest.raises(ValueError, match=r"population\.n_residents.*integer"):
        build_params(None, {"population.n_residents": np.float64(10.5)})
    with pytest.raises(ValueError, match=r"opinions\.mu.*range"):
        build_params(None, {"opinions.mu": np.float32(7.0)})
    with pytest.raises(ValueError, match=r"opinions\.enabled.*true or false"):
        build_params(None, {"opinions.enabled": np.int64(1)})


def test_dotted_names_in_the_mapping_equal_the_keyword_form():
    _assert_same_run(
        run_one({"opinions.mu": 0.1, **SMALL}, seed=1, steps=5),
        run_one(None, seed=1, steps=5, **{"opinions.mu": 0.1}, **SMALL),
    )
    mixed = build_params(
        {
            "strategy": {"name": "integrated"},
            "strategy.political": 0.7,
            "levers": {"political.mass_line": 0.5},
            "population": {"groups.renters.tolerance": 0.11},
        }
    )
    keyword = build_params(
        None,
        {
            "strategy.name": "integrated",
            "strategy.political": 0.7,
            "levers.political.mass_line": 0.5,
            "population.groups.renters.tolerance": 0.11,
        },
    )
    assert keyword.levers.political.mass_line == 0.5 and keyword != build_params()
    assert mixed == keyword
    with pytest.raises(ValueError, match=r"unknown parameter 'opinions\.muu'"):
        build_params({"opinions.muu": 0.1})


def _examples() -> list[tuple[str, str]]:
    text = (REPO / "docs" / "integrations.md").read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"```python\n(.*?)```", text, re.S):
        tool = "ema_workbench" if "ema_workbench" in block else "SALib" if "SALib" in block else ""
        tool = tool or ("duckdb" if "duckdb" in block else "")
        out.append((tool, block))
    return out


def test_integrations_doc_has_the_three_examples():
    assert [t for t, _ in _examples()] == ["ema_workbench", "SALib", "duckdb"]


@pytest.mark.parametrize(("tool", "code"), _examples(), ids=[t for t, _ in _examples()])
def test_integrations_doc_example_runs(tool, code, tmp_path):
    if importlib.util.find_spec(tool) is None:
        pytest.skip(f"{tool} not installed (the test extra installs it)")
    script = tmp_path / "example.py"
    script.write_text(code)
    proc = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        env=_env(),
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]

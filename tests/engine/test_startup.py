"""Start-up you don't notice: a process calls numba's compiled kernels only once it has done
enough work to earn back loading them (sim._jit.active), and switching changes no result."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim import _jit, run_one

REPO = Path(__file__).resolve().parents[2]
needs_numba = pytest.mark.skipif(not _jit.HAVE_NUMBA, reason="numba not installed")


@pytest.fixture
def policy(monkeypatch):
    """A fresh process's policy, with a stated threshold."""

    def set_(mode: str = "auto", threshold: float = 100.0) -> None:
        monkeypatch.setattr(_jit, "_MODE", mode)
        monkeypatch.setattr(_jit, "_ACTIVE", [])
        monkeypatch.setattr(_jit, "_WORK", [0.0])
        monkeypatch.setattr(_jit, "_THRESHOLD", [threshold])

    return set_


@needs_numba
def test_switches_once_the_work_passes_the_threshold_and_stays(policy):
    policy("auto", 100.0)
    _jit.account(60)
    assert not _jit.active()
    _jit.account(40)
    assert _jit.active()
    _jit._WORK[0] = 0.0
    assert _jit.active()  # latched: a process does not switch back


def test_never_and_always(policy):
    policy("never", 0.0)
    _jit.account(1e12)
    assert not _jit.active()
    policy("always", 1e18)
    assert _jit.active() == _jit.HAVE_NUMBA


def test_an_empty_numba_cache_raises_the_threshold(tmp_path, monkeypatch):
    assert not _jit.cache_is_warm(str(tmp_path))
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "opinions._exchange_sequential-1.py311.nbi").write_bytes(b"")
    assert _jit.cache_is_warm(str(tmp_path))
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    for warm, want in ((True, _jit.JIT_AFTER_WARM), (False, _jit.JIT_AFTER_COLD)):
        monkeypatch.setattr(_jit, "_THRESHOLD", [])
        monkeypatch.setattr(_jit, "cache_is_warm", lambda root=None, w=warm: w)
        assert _jit.threshold() == want
    assert _jit.JIT_AFTER_COLD > 10 * _jit.JIT_AFTER_WARM


@needs_numba
def test_switching_mid_run_changes_no_result(policy):
    over = {"strategy.name": "integrated", "strategy.ideological": 0.5, "strategy.smart": 0.5}
    over |= {"strategy.political": 0.5, "strategy.organizational": 0.5}
    n = 300
    policy("never")
    numpy = run_one(None, seed=4, steps=8, **over, **{"population.n_residents": n})
    policy("auto", threshold=3.5 * n)  # numpy for three weeks, compiled from the fourth
    mixed = run_one(None, seed=4, steps=8, **over, **{"population.n_residents": n})
    assert _jit.active()
    for a, b in ((numpy.model, mixed.model), (numpy.groups, mixed.groups)):
        pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(numpy.agents, mixed.agents)


@needs_numba
def test_a_small_run_in_a_fresh_process_loads_no_compiled_kernel():
    code = (
        "from sim import run_one\n"
        "from sim import metric_kernels, network\n"
        "from sim.mechanisms import opinions, participation, platform, trust\n"
        "run_one(None, seed=1, steps=10, **{'population.n_residents': 300,"
        " 'strategy.name': 'integrated', 'strategy.smart': 0.5})\n"
        "ks = [opinions._exchange_jit, participation._decide_jit, platform._adopt_jit,\n"
        "      trust._drift_jit, metric_kernels.resident_pass_jit, metric_kernels.moments_jit,\n"
        "      network._neighbor_mean_jit, network._pick_edges_jit]\n"
        "print('loaded:', sum(len(k.signatures) for k in ks))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "GOVSIM_JIT"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "loaded: 0" in proc.stdout, proc.stdout

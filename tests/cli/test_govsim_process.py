"""The ``govsim`` console command as a real process: a run, and runs killed mid-way."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def _govsim() -> list[str]:
    exe = shutil.which("govsim")
    return [exe] if exe else [sys.executable, "-m", "govsim.cli"]


def _env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("GOVSIM_RESULTS", None)
    env["MPLCONFIGDIR"] = str(tmp / "mpl")
    return env


def test_govsim_run_subprocess(tmp_path, complete_runs):
    args = ["scenario=fragmented", "population.n_residents=150", "steps=3", "seed=2", "run_name=r1"]
    proc = subprocess.run(
        [*_govsim(), "run", *args],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # no progress bar (not a terminal), no warnings
    assert complete_runs(tmp_path / "results") == [tmp_path / "results" / "fragmented" / "r1"]
    assert "wrote results/fragmented/r1" in proc.stdout
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "mpl") == ["results"]


def _start_long_run(tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    root = tmp_path / "results"
    proc = subprocess.Popen(
        [*_govsim(), "run", "population.n_residents=200", "steps=100000", "run_name=long"],
        cwd=tmp_path,
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    exp = root / "weak_baseline"
    while time.monotonic() < deadline:
        staged = list(exp.glob(".long.tmp-*")) if exp.is_dir() else []
        if staged and (staged[0] / "config.yaml").exists():
            time.sleep(0.3)  # well inside the simulation now
            return proc, root
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    pytest.fail(f"the run did not start: {proc.communicate()}")


def test_sigkill_mid_run_leaves_no_complete_looking_run(tmp_path, complete_runs):
    proc, root = _start_long_run(tmp_path)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert complete_runs(root) == []
    exp = root / "weak_baseline"
    visible = [p for p in exp.iterdir() if not p.name.startswith(".")]
    assert visible == []  # only the hidden staging folder remains
    for staged in exp.iterdir():
        assert ".tmp-" in staged.name and not (staged / "summary.json").exists()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_kill_removes_the_staged_run(tmp_path, complete_runs, sig):
    proc, root = _start_long_run(tmp_path)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == (130 if sig == signal.SIGINT else 128 + signal.SIGTERM)
    assert "no incomplete run was kept" in err
    assert complete_runs(root) == []
    assert list((root / "weak_baseline").iterdir()) == []


def test_reading_configs_does_not_import_the_engine():
    """`govsim list`, `show` and config errors need only the schema: no Mesa, pandas, numba
    (which take ~1 s to import); the engine's names still come from `sim` on first use.
    (`govsim --help` lists the experiment verbs from the kinds' registry, which imports the
    kinds and with them pandas: issue 13.)"""
    code = (
        "import sys, contextlib, io\n"
        "import sim, sim.params, govsim.config\n"
        "from govsim.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['list', 'scenarios']) == 0\n"
        "    assert main(['show', 'scenario=fragmented', '--changed']) == 0\n"
        "with contextlib.redirect_stderr(io.StringIO()):\n"
        "    assert main(['show', 'opinions.mu=7']) == 2\n"
        "heavy = sorted(m for m in ('mesa', 'pandas', 'numba') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
        "from sim import GovernanceModel, run_one\n"
        "assert 'mesa' in sys.modules and 'run_one' in dir(sim)\n"
        "try:\n"
        "    sim.no_such_name\n"
        "except AttributeError as e:\n"
        "    assert 'no_such_name' in str(e)\n"
        "else:\n"
        "    raise SystemExit('no AttributeError')\n"
    )
    repo = Path(__file__).resolve().parents[2]
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=repo)
    assert res.returncode == 0, res.stderr[-2000:]


def test_a_swallowed_ctrl_c_still_stops_the_run():
    """numba compiling a kernel swallows a KeyboardInterrupt raised in its ctypes callback
    (seen in a fresh clone: the run went on): the signal is recorded and raised again."""
    from govsim.signals import check, stop_signals

    with stop_signals():
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
        except KeyboardInterrupt:
            pass  # what a C callback does with it
        with pytest.raises(KeyboardInterrupt):
            check()
    check()  # outside the context nothing is pending

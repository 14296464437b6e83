"""The launcher choice accounts for worker start-up (experiments.execute.prefer_in_process).

Stated timings, no clocks: the decision is a function of the pilot's estimate, the number of
runs and workers, and the workers' start-up.
"""

from __future__ import annotations

import pytest

from experiments.execute import IN_PROCESS_BELOW_S, WORKER_STARTUP_S, prefer_in_process


def test_a_27_run_sweep_of_quick_runs_stays_in_this_process():
    # the case of the issue: 27 runs × 0.15 s = 4 s of work, above the old 3 s rule, on 2 cores;
    # two workers need their start-up (6 s) before sharing 4 s: serial is sooner
    assert 27 * 0.15 > IN_PROCESS_BELOW_S
    assert prefer_in_process(27, 0.15, 2, startup_s=6.0)


def test_enough_work_goes_to_the_workers():
    # 1,000 runs × 0.15 s = 150 s here against 6 + 75 s (plus jobs) on two workers
    assert not prefer_in_process(1000, 0.15, 2, startup_s=6.0)
    # 27 runs of 2 s: 54 s here against 6 + 27 s on two workers
    assert not prefer_in_process(27, 2.0, 2, startup_s=6.0)


def test_break_even_follows_the_start_up():
    # on w workers the parallel launch wins once work × (1 − 1/w) exceeds the start-up
    # (plus the jobs' fixed costs): with no job overhead exactly at work = startup · w / (w − 1)
    kw = {"job_overhead_s": 0.0, "always_below_s": 1e-9}
    assert prefer_in_process(100, 0.119, 2, startup_s=6.0, **kw)  # 11.9 s of work
    assert not prefer_in_process(100, 0.121, 2, startup_s=6.0, **kw)  # 12.1 s
    # a slower start (a loaded machine) moves the break-even up; more workers move it down
    assert prefer_in_process(100, 0.121, 2, startup_s=7.0, **kw)
    assert not prefer_in_process(100, 0.121, 4, startup_s=6.0, **kw)  # 12.1 > 6 · 4/3


def test_settings_bound_the_choice():
    # below the floor: always here; floor 0: never here; one worker: nothing to start
    assert prefer_in_process(10, 0.1, 8, startup_s=0.0)
    assert not prefer_in_process(27, 0.15, 2, startup_s=6.0, always_below_s=0)
    assert prefer_in_process(10_000, 5.0, 1)
    assert prefer_in_process(0, 1.0, 2)


@pytest.mark.parametrize("workers", [2, 4, 16])
def test_default_start_up_is_the_measured_one(workers):
    # the default comes from benchmarks/startup.py; a tiny sweep never pays it
    assert WORKER_STARTUP_S > 1.0
    assert prefer_in_process(8, 0.5, workers)


def test_workers_cannot_beat_a_busy_machine():
    # 1,000 runs × 0.15 s: on two idle cores the workers win; with other processes keeping
    # all but one core busy they cannot be faster than this process, and with 1.5 free cores
    # the break-even moves up (6 s start-up / (1 − 1/1.5) = 18 s of work)
    assert not prefer_in_process(1000, 0.15, 2, startup_s=6.0, free_cores=2.0)
    assert prefer_in_process(1000, 0.15, 2, startup_s=6.0, free_cores=1.0)
    kw = {"job_overhead_s": 0.0, "always_below_s": 1e-9, "startup_s": 6.0}
    assert prefer_in_process(100, 0.179, 2, free_cores=1.5, **kw)
    assert not prefer_in_process(100, 0.181, 2, free_cores=1.5, **kw)


def test_free_cores_reads_the_load(monkeypatch):
    import experiments.execute as ex

    monkeypatch.setattr(ex.os, "cpu_count", lambda: 4)
    monkeypatch.setattr(ex.os, "getloadavg", lambda: (1.0, 0.0, 0.0))
    assert ex.free_cores() == 4.0  # only our own pilot
    monkeypatch.setattr(ex.os, "getloadavg", lambda: (3.5, 0.0, 0.0))
    assert ex.free_cores() == 1.5
    monkeypatch.setattr(ex.os, "getloadavg", lambda: (9.0, 0.0, 0.0))
    assert ex.free_cores() == 0.0

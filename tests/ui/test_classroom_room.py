"""Classroom mode's room logic (govsim/ui/classroom): no browser, no Solara.

Join codes and tokens, the rate limit on wrong secrets, rounds, submissions, the rules that run
a round (all submitted, teacher, time limit), carry-over, late joins, the weak-baseline copy,
round summaries, the ranking and the export.
"""

from __future__ import annotations

import io
import math
import threading
import zipfile

import numpy as np
import pandas as pd
import pytest

from govsim.ui.classroom import JOIN_ALPHABET, Room, RoomError, RoomSettings, normalize_code
from govsim.ui.classroom.export import (
    decisions_table,
    outcomes_table,
    session_zip,
    summary_figure,
)
from govsim.ui.classroom.room import AttemptLimiter, new_join_code
from govsim.ui.classroom.summary import history
from sim.strategies import LEVERS

TEACHER = "teacher-token-for-tests-0123"


class Clock:
    """A settable clock for time limits and the rate limiter."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_room(clock: Clock | None = None, **settings) -> Room:
    settings = {"round_weeks": 3, "residents": 200, **settings}
    return Room(RoomSettings(**settings), code="K7M2QX9P", teacher_token=TEACHER,
                clock=clock or Clock())  # fmt: skip


# ------------------------------------------------------------------------------ codes, secrets


def test_join_codes_are_long_random_and_unambiguous():
    codes = {new_join_code() for _ in range(2000)}
    assert len(codes) == 2000  # 31**8 ≈ 8.5e11 codes: a repeat in 2000 draws is ~2e-6 likely
    assert all(len(c) == 8 and set(c) <= set(JOIN_ALPHABET) for c in codes)
    assert not set("01OIL") & set(JOIN_ALPHABET)
    assert 8 * math.log2(len(JOIN_ALPHABET)) > 39  # bits of entropy
    assert normalize_code(" k7m2-qx9p ") == "K7M2QX9P"


def test_join_accepts_the_code_as_typed_and_refuses_a_wrong_one():
    room = make_room()
    team = room.join("k7m2-qx9p", "  Red   team ")
    assert team.name == "Red team" and len(team.token) >= 16
    with pytest.raises(RoomError, match="not this room's join code"):
        room.join("K7M2QX9Q", "Blue")
    assert [t.name for t in room.teams.values()] == ["Red team"]


def test_wrong_codes_are_rate_limited_per_browser_and_per_room():
    clock = Clock()
    room = make_room(clock)
    for _ in range(5):
        with pytest.raises(RoomError, match="join code"):
            room.check_code("AAAAAAAA", client="guesser")
    # the sixth try is refused before the code is even looked at, right or wrong
    with pytest.raises(RoomError, match="too many wrong codes or links from this browser"):
        room.check_code("K7M2QX9P", client="guesser")
    room.check_code("K7M2QX9P", client="student")  # another browser is not blocked
    clock.now += 61
    room.check_code("K7M2QX9P", client="guesser")  # the window has passed

    limiter = AttemptLimiter(per_client=100, total=3, clock=clock)
    for i in range(3):
        limiter.failed(f"c{i}")
    with pytest.raises(RoomError, match="in this room"):
        limiter.check("someone-new")


def test_team_links_and_the_teacher_token_are_not_rate_limited():
    room = make_room()
    a, b = room.join(room.code, "A"), room.join(room.code, "B")
    assert a.token != b.token
    assert room.team_for(b.token) is b  # a reload: the link's token finds the team again
    with pytest.raises(RoomError, match="team link is not known"):
        room.team_for(a.token[:-1] + ("x" if a.token[-1] != "x" else "y"))
    assert room.is_teacher(TEACHER) and not room.is_teacher(a.token) and not room.is_teacher("")
    for _ in range(70):  # wrong join codes from everywhere do not lock out a team or the teacher
        with pytest.raises(RoomError):
            room.check_code("AAAAAAAA", client="flood")
    assert room.team_for(a.token, client="flood") is a
    room.check_teacher(TEACHER, client="flood")


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "enter a team name"), ("x" * 31, "too long"), ("Weak Baseline", "taken"),
     ("a", "exists")],
)  # fmt: skip
def test_bad_team_names(name, message):
    room = make_room()
    room.join(room.code, "A")
    with pytest.raises(RoomError, match=message):
        room.join(room.code, name)


def test_only_the_teacher_can_advance_change_or_end_the_room():
    room = make_room()
    team = room.join(room.code, "A")
    for token in ("", "guess", team.token, room.code):
        with pytest.raises(RoomError, match="only the teacher"):
            room.advance(token)
        with pytest.raises(RoomError, match="only the teacher"):
            room.set_round(token, weeks=5)
        with pytest.raises(RoomError, match="only the teacher"):
            room.end(token)
        with pytest.raises(RoomError, match="only the teacher"):
            room.set_goal(token, "trust")
    assert room.rounds == [] and room.state == "open" and room.settings.round_weeks == 3
    assert room.week == 0 and team.model.steps == 0


# ------------------------------------------------------------------------------ rounds


@pytest.mark.parametrize(
    ("efforts", "message"),
    [({"smart": 1.2}, "between 0 and 1"), ({"political": -0.1}, "between 0 and 1"),
     ({"smart": "a lot"}, "between 0 and 1"), ({"money": 0.1}, "unknown lever"),
     ({"smart": 0.6, "political": 0.5}, "over this round's budget")],
)  # fmt: skip
def test_bad_allocations_are_refused(efforts, message):
    room = make_room()
    team = room.join(room.code, "A")
    with pytest.raises(RoomError, match=message):
        room.submit(team, efforts)
    assert room.submitted(team) is None


def test_the_round_runs_when_every_team_has_submitted():
    room = make_room()
    a, b = room.join(room.code, "A"), room.join(room.code, "B")
    room.submit(a, {"political": 0.5, "smart": 0.5})
    assert room.rounds == [] and room.week == 0  # waits for B
    room.submit(b, {"ideological": 1.0})
    (rec,) = room.rounds
    assert (rec.trigger, rec.submitted, rec.first_week, rec.last_week) == ("all submitted", 2, 1, 3)
    assert a.model.steps == b.model.steps == room.baseline.steps == 3
    assert room.round == 2 and room.pending == {}
    # the levers ran at the submitted efforts in every week of the round
    for lever, value in {"political": 0.5, "smart": 0.5, "ideological": 0.0}.items():
        assert history(a.model, f"effort_{lever}")[1:].tolist() == [value] * 3
    assert history(room.baseline, "effort_political")[1:].tolist() == [0.0] * 3


def test_a_dropped_team_does_not_block_the_round():
    room = make_room()
    a, b = room.join(room.code, "A"), room.join(room.code, "B")
    room.submit(a, {"smart": 0.4}, autorun=False)
    room.submit(b, {"organizational": 1.0}, autorun=False)
    assert room.complete()
    room.run_if_complete()
    room.submit(a, {"smart": 0.2})  # B has gone quiet: the teacher runs round 2
    rec = room.advance(TEACHER)
    assert (rec.trigger, rec.submitted, rec.teams) == ("teacher", 1, 2)
    assert [d.source for d in b.decisions] == ["submitted", "carried over"]
    assert b.decisions[-1].efforts["organizational"] == 1.0  # B's last allocation stays
    assert history(b.model, "effort_organizational")[-3:].tolist() == [1.0] * 3


def test_a_time_limit_runs_the_round_without_the_late_teams():
    clock = Clock()
    room = make_room(clock, round_timeout_s=60)
    clock.now += 300  # an empty room: the limit counts from the first team
    assert room.advance_if_due() is None
    a = room.join(room.code, "A")
    room.join(room.code, "B")
    room.submit(a, {"political": 1.0})
    clock.now += 59
    assert room.advance_if_due() is None
    clock.now += 2
    rec = room.advance_if_due()
    assert rec is not None and rec.trigger == "time limit" and rec.submitted == 1
    # the first round of a team that never submitted: no leadership
    assert room.teams[list(room.teams)[1]].decisions[0].efforts == dict.fromkeys(LEVERS, 0.0)
    assert room.advance_if_due() is None  # the clock of round 2 starts now


def test_same_seed_same_community_so_only_decisions_differ():
    room = make_room()
    a, b, c = (room.join(room.code, n) for n in "ABC")
    room.submit(a, {"political": 0.5})
    room.submit(b, {"political": 0.5})
    room.submit(c, {})  # spends nothing: exactly the weak baseline
    metrics = ("participation_rate", "mean_trust", "opinion_variance", "backlog")
    for m in metrics:
        np.testing.assert_array_equal(history(a.model, m), history(b.model, m))
        np.testing.assert_array_equal(history(c.model, m), history(room.baseline, m))
    assert any(not np.array_equal(history(a.model, m), history(c.model, m)) for m in metrics)


def test_settings_apply_to_the_next_round_and_a_smaller_budget_withdraws():
    room = make_room()
    a, b = room.join(room.code, "A"), room.join(room.code, "B")
    room.submit(a, {"smart": 0.8, "political": 0.2})
    room.submit(b, {"smart": 0.5})
    room.submit(a, {"smart": 0.8, "political": 0.2}, autorun=False)
    room.set_round(TEACHER, weeks=2, budget=12)
    assert room.submitted(a) is None  # 1.0 no longer fits: A submits again
    room.advance(TEACHER)
    rec = room.rounds[-1]
    assert (rec.weeks, rec.budget, rec.last_week) == (2, 12, 5)
    carried = a.decisions[-1]
    assert carried.source == "carried over"
    assert carried.cost == pytest.approx(12, abs=1e-3)  # scaled down to the new budget
    assert carried.efforts["smart"] == pytest.approx(0.48, abs=1e-5)
    with pytest.raises(RoomError, match="round length"):
        room.set_round(TEACHER, weeks=0)
    with pytest.raises(RoomError, match="budget"):
        room.set_round(TEACHER, budget=2e4)


def test_a_late_team_catches_up_without_leadership():
    room = make_room()
    a = room.join(room.code, "A")
    room.submit(a, {"smart": 1.0})
    late = room.join(room.code, "Late")
    assert late.model.steps == room.week == 3
    assert [d.source for d in late.decisions] == ["joined late"]
    np.testing.assert_array_equal(
        history(late.model, "participation_rate"), history(room.baseline, "participation_rate")
    )


def test_an_ended_room_refuses_changes_but_keeps_its_results():
    room = make_room()
    a = room.join(room.code, "A")
    room.submit(a, {"smart": 1.0})
    room.end(TEACHER)
    for call in (lambda: room.submit(a, {}), lambda: room.join(room.code, "B"),
                 lambda: room.advance(TEACHER)):  # fmt: skip
        with pytest.raises(RoomError, match="ended"):
            call()
    assert len(decisions_table(room)) == 1


def test_waiters_wake_when_the_room_changes():
    room = make_room()
    seen = room.version
    woke: list[int] = []
    thread = threading.Thread(target=lambda: woke.append(room.wait_for_change(seen, 10)))
    thread.start()
    room.join(room.code, "A")
    thread.join(5)
    assert woke and woke[0] != seen


# ------------------------------------------------------------------------------ results


def test_summary_says_what_changed_with_the_numbers_and_the_mechanisms():
    room = make_room()
    a, b = room.join(room.code, "A"), room.join(room.code, "B")
    room.submit(a, {"political": 0.7, "smart": 0.3})
    room.submit(b, {"ideological": 1.0})
    lines = a.summaries[1]
    p = history(a.model, "participation_rate")
    assert lines[0].startswith("Round 1 (weeks 1–3): your leadership spent 0.70 on political")
    assert "(cost 20.0 of 20.0 staff-hours/week per 1,000 residents)" in lines[0]
    assert f"from {100 * p[0]:.0f}% to {100 * p[3]:.0f}%" in lines[1]
    text = "\n".join(lines)
    assert "Why (political)" in text and "Why (smart)" in text
    assert "Why (ideological)" not in text and "Why (organizational)" not in text
    assert "left at zero this round: ideological, organizational" in text
    assert "Why (ideological)" in "\n".join(b.summaries[1])
    resolved = history(a.model, "needs_resolved")[1:4].sum()
    assert f"{resolved:.0f} needs resolved this round" in text


def test_ranking_follows_the_goal_direction():
    room = make_room()
    teams = [room.join(room.code, n) for n in "ABC"]
    for t, e in zip(teams, ({"political": 1.0}, {}, {"smart": 1.0}), strict=True):
        room.submit(t, e)
    for goal, higher in (("participation", True), ("consensus", False)):
        rows = room.ranking(goal)
        values = [r["value"] for r in rows]
        assert values == sorted(values, reverse=higher)
        assert [r["rank"] for r in rows] == [1, 2, 3]
    room.set_goal(TEACHER, "trust")
    assert room.goal == "trust"
    with pytest.raises(RoomError, match="goal"):
        room.set_goal(TEACHER, "happiness")


def test_export_has_every_decision_and_every_week():
    room = make_room()
    a, b = room.join(room.code, "A"), room.join(room.code, "B")
    room.submit(a, {"political": 0.25, "smart": 0.75})
    room.submit(b, {"organizational": 0.5})
    room.submit(a, {"ideological": 0.1})
    room.advance(TEACHER)
    room.submit(b, {"smart": 0.3}, autorun=False)  # round 3, not run yet
    dec = decisions_table(room)
    assert dec[["round", "team", "source"]].values.tolist() == [
        [1, "A", "submitted"], [1, "B", "submitted"], [2, "A", "submitted"],
        [2, "B", "carried over"], [3, "B", "pending"],
    ]  # fmt: skip
    assert dec.loc[0, list(LEVERS)].tolist() == [0.0, 0.25, 0.0, 0.75]
    assert dec.loc[2, "ideological"] == 0.1 and dec.loc[4, "smart"] == 0.3
    assert dec.loc[1, "participation_rate"] == history(b.model, "participation_rate")[3]
    out = outcomes_table(room)
    assert sorted(out.team.unique()) == ["A", "B", "weak baseline"]
    assert out.groupby("team").week.max().tolist() == [6, 6, 6]
    assert out[out.week.isin([1, 3])]["round"].unique().tolist() == [1]

    with zipfile.ZipFile(io.BytesIO(session_zip(room))) as zf:
        names = set(zf.namelist())
        assert names == {f"{t}.{x}" for t in ("decisions", "outcomes", "rounds")
                         for x in ("csv", "parquet")} | {"room.json"}  # fmt: skip
        from_csv = pd.read_csv(zf.open("decisions.csv"))
        from_parquet = pd.read_parquet(io.BytesIO(zf.read("decisions.parquet")))
        assert "teacher" not in zf.read("room.json").decode()  # no secret in the export
    pd.testing.assert_frame_equal(from_csv[list(LEVERS)], dec[list(LEVERS)])
    pd.testing.assert_frame_equal(from_parquet[list(LEVERS)], dec[list(LEVERS)])


def test_one_page_summary_png_and_pdf():
    room = make_room()
    room.submit(room.join(room.code, "A"), {"smart": 1.0})
    assert summary_figure(room, "png").startswith(b"\x89PNG")
    assert summary_figure(room, "pdf").startswith(b"%PDF")
    with pytest.raises(ValueError, match="png or pdf"):
        summary_figure(room, "svg")


def test_dashboard_charts_share_their_axes_and_show_every_team_and_the_baseline():
    from govsim.ui.classroom.charts import OUTCOMES, dashboard_charts

    room = make_room()
    a, b = room.join(room.code, "A"), room.join(room.code, "B")
    room.submit(a, {"smart": 1.0})
    room.submit(b, {})
    charts = dashboard_charts(room)
    assert [c.description.split(",")[0] for c in charts] == [o.title for o in OUTCOMES]
    for chart, outcome in zip(charts, OUTCOMES, strict=True):
        x = chart.spec["encoding"]["x"]["scale"]["domain"]
        assert x == [0, room.week]  # the same weeks on every chart
        rows = chart.data["table"]
        assert {r["team"] for r in rows} == {"A", "B", "weak baseline"}
        assert len(rows) == 3 * (room.week + 1)
        last_a = [r["value"] for r in rows if r["team"] == "A"][-1]
        assert last_a == pytest.approx(history(a.model, outcome.metric)[-1], abs=1e-5)
        dash = chart.spec["encoding"]["strokeDash"]["scale"]
        assert dash["range"][dash["domain"].index("weak baseline")] == [4, 3]


def test_clicks_during_a_running_round_are_refused_not_moved_to_the_next_round():
    room = make_room()
    a, b = room.join(room.code, "A"), room.join(room.code, "B")
    seen: dict[str, str] = {}
    real_step = b.model.step

    def step_and_click() -> None:  # runs while round 1 is running
        if room.state == "running" and not seen:
            for name, call in (("submit", lambda: room.submit(a, {"smart": 0.1})),
                               ("advance", lambda: room.advance(TEACHER)),
                               ("withdraw", lambda: room.withdraw(a))):  # fmt: skip
                try:
                    call()
                except RoomError as exc:
                    seen[name] = str(exc)
        real_step()

    b.model.step = step_and_click
    room.submit(a, {"political": 1.0})
    room.submit(b, {})
    assert set(seen) == {"submit", "advance", "withdraw"}
    assert all("round 1 is running" in m for m in seen.values())
    assert len(room.rounds) == 1 and room.pending == {}  # nothing landed in round 2


def test_setting_a_time_limit_restarts_its_clock():
    clock = Clock()
    room = make_room(clock)
    room.join(room.code, "A")
    clock.now += 500
    room.set_round(TEACHER, timeout_s=30)
    assert room.deadline() == clock.now + 30
    assert room.advance_if_due() is None
    clock.now += 31
    assert room.advance_if_due().trigger == "time limit"


def test_baseline_comparison_signs_every_goal_so_that_positive_is_better():
    from govsim.ui.classroom import GOALS

    room = make_room()
    a, b = room.join(room.code, "A"), room.join(room.code, "B")
    room.submit(a, {"political": 1.0})
    room.submit(b, {})
    rows = {r["team"]: r for r in room.baseline_comparison()}
    for key, g in GOALS.items():
        base = history(room.baseline, g.metric)[-1]
        if math.isnan(base):  # e.g. no need closed yet: nothing to compare
            assert math.isnan(rows["B"][key])
            continue
        assert rows["B"][key] == 0.0  # B spent nothing: B is the baseline
        diff = history(a.model, g.metric)[-1] - base
        assert rows["A"][key] == pytest.approx(diff if g.higher_is_better else -diff)
    assert sum(not math.isnan(rows["A"][k]) for k in GOALS) >= 3


def test_the_budget_is_the_lever_cost_model():
    from sim.costs import efforts_cost

    room = make_room()
    team = room.join(room.code, "A")
    # ideological costs 20 x effort^2 by default: 0.9 ideological + 0.19 smart fits in 20 ...
    plan = {"ideological": 0.9, "smart": 0.19}
    assert efforts_cost(plan, room.baseline.params) == pytest.approx(20 * 0.81 + 20 * 0.19)
    decision = room.submit(team, plan, autorun=False)
    assert decision.cost == pytest.approx(20.0)
    # ... a linear lever at the same efforts would not
    with pytest.raises(RoomError, match=r"cost 21\.8, over this round's budget of 20\.0"):
        room.submit(team, {"political": 0.9, "smart": 0.19})
    # a smaller budget scales a carried-over allocation down until its cost fits
    room.advance(TEACHER)
    room.set_round(TEACHER, budget=5)
    room.advance(TEACHER)
    carried = team.decisions[-1]
    assert carried.source == "carried over" and carried.cost <= 5 + 1e-9
    assert carried.cost == pytest.approx(5, abs=1e-3)
    ratio = carried.efforts["smart"] / 0.19
    assert carried.efforts["ideological"] == pytest.approx(0.9 * ratio, abs=1e-5)

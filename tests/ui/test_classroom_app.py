"""End-to-end: classroom mode (govsim/ui/classroom/app.py) in a real browser, offline.

One server for the module (``solara run govsim.ui.classroom.app``) with a known join code and
teacher token; the tests share its room, in file order: a teacher and three students play two
rounds and the export holds every decision; a student reloads and rejoins; a non-teacher cannot
advance.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from urllib.parse import urlsplit

import pandas as pd
import pytest

from sim.costs import efforts_cost
from sim.strategies import LEVERS

pytestmark = pytest.mark.ui

CODE = "K7M2QX9P"
TEACHER = "teacher-token-of-the-browser-tests"
WEEKS = 3


@pytest.fixture(scope="module")
def solara_app() -> Iterator[str]:
    with pytest.MonkeyPatch.context() as mp:  # read by the server when it starts
        mp.setenv("GOVSIM_CLASSROOM_CODE", CODE)
        mp.setenv("GOVSIM_CLASSROOM_TEACHER", TEACHER)
        mp.setenv("GOVSIM_CLASSROOM_WEEKS", str(WEEKS))
        mp.setenv("GOVSIM_CLASSROOM_RESIDENTS", "300")
        mp.delenv("GOVSIM_CLASSROOM_TIMEOUT", raising=False)
        mp.delenv("GOVSIM_UI_SCENARIO", raising=False)
        yield "govsim.ui.classroom.app"


def _open(open_app, path: str):
    return open_app(path, wait_for_controls=False)


def status(page):
    return page.locator(".room-status")


def expect_status(page, pattern: str, timeout_ms: int = 30_000) -> None:
    from playwright.sync_api import expect

    expect(status(page)).to_have_text(re.compile(pattern), timeout=timeout_ms)


def open_teacher(open_app):
    from playwright.sync_api import expect

    page = _open(open_app, f"/?teacher={TEACHER}")
    expect(page.get_by_text(re.compile(r"join code"))).to_be_visible(timeout=30_000)
    return page


def join(open_app, name: str):
    """A student opens the students' link, enters a team name and joins."""
    from playwright.sync_api import expect

    page = _open(open_app, f"/?code={CODE}")
    page.get_by_label("Team name").fill(name)
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_role("heading", name=f"Team {name}")).to_be_visible(timeout=30_000)
    assert re.search(r"\?team=[\w-]{16,}$", page.url), page.url  # the team's own link
    return page


def submit(page, mesa_ui, efforts: dict[str, float], round_no: int) -> None:
    from playwright.sync_api import expect

    for lever, value in efforts.items():
        mesa_ui.set_slider(page, f"{lever.capitalize()} leadership", value)
    now = {lv: mesa_ui.read_slider(page, f"{lv.capitalize()} leadership") for lv in LEVERS}
    cost = efforts_cost(now)  # the default costs (the default scenario's)
    expect(page.locator(".budget-spent")).to_have_text(re.compile(rf"^Spent {cost:.1f} of"))
    button = page.get_by_role("button", name=f"Submit round {round_no}")
    expect(button).to_be_enabled()
    button.click()


def summary_heading(page, round_no: int):
    return page.get_by_text(f"What happened in round {round_no}", exact=True)


def test_teacher_and_three_teams_play_two_rounds(open_app, mesa_ui, ui_artifacts_dir):
    from playwright.sync_api import expect

    teacher = open_teacher(open_app)
    expect_status(teacher, r"^Round 1: 3 weeks, budget 20\.0 \(staff-hours.* 0 of 0 teams")
    names = ["Red", "Green", "Blue"]
    students = [join(open_app, n) for n in names]
    expect_status(teacher, r"0 of 3 teams have submitted")
    for name in names:
        expect(
            mesa_ui.card(teacher, "Teams").get_by_role("cell", name=name, exact=True)
        ).to_be_visible()

    # round 1: every team submits; the last submission runs the round
    plans1 = [{"political": 0.5, "smart": 0.5}, {"ideological": 1.0}, {"organizational": 0.3}]
    submit(students[0], mesa_ui, plans1[0], 1)
    expect(students[0].locator(".submitted-note")).to_contain_text("political 0.50")
    expect_status(teacher, r"1 of 3 teams have submitted")
    # over budget: the button is disabled and the page says why
    mesa_ui.set_slider(students[1], "Ideological leadership", 1.0)
    mesa_ui.set_slider(students[1], "Smart leadership", 0.2)
    expect(students[1].locator(".budget-spent")).to_contain_text("over budget")
    expect(students[1].get_by_role("button", name="Submit round 1")).to_be_disabled()
    mesa_ui.set_slider(students[1], "Smart leadership", 0.0)
    submit(students[1], mesa_ui, {}, 1)
    submit(students[2], mesa_ui, plans1[2], 1)
    for page in students:
        expect(summary_heading(page, 1)).to_be_visible(timeout=60_000)
        expect_status(page, r"^Round 2: ")
    expect(
        students[0].get_by_text(
            re.compile(r"spent 0\.50 on political, 0\.50 on smart \(cost 20\.0 of 20\.0")
        )
    ).to_be_visible()
    expect(students[0].get_by_text(re.compile(r"^Why \(political\)"))).to_be_visible()
    expect(students[0].locator('.vega-embed[aria-label^="Participation, week 3"]')).to_be_visible()

    # round 2: Blue drops out; the teacher runs the round without it
    submit(students[0], mesa_ui, {"political": 0.0, "smart": 1.0}, 2)
    submit(students[1], mesa_ui, {"ideological": 0.5, "organizational": 0.5}, 2)
    students[2].context.close()
    expect_status(teacher, r"2 of 3 teams have submitted")
    teacher.get_by_role("button", name="Run round 2 now").click()
    for page in students[:2]:
        expect(summary_heading(page, 2)).to_be_visible(timeout=60_000)
    expect_status(teacher, r"^Round 3: ")
    expect(teacher.get_by_text("(carried over)")).to_be_visible()
    for chart in ("Participation", "Consensus", "Trust", "Needs"):
        label = teacher.locator(f'.vega-embed[aria-label^="{chart}, week 6"]')
        expect(label).to_be_visible(timeout=30_000)
        text = label.get_attribute("aria-label")
        assert all(n in text for n in [*names, "weak baseline"]), text
    replay = mesa_ui.card(teacher, "Replay with the weak baseline")
    for name in names:
        expect(replay.get_by_role("cell", name=name, exact=True)).to_be_visible()
    ranking = mesa_ui.card(teacher, "Ranking")
    for name in names:
        expect(ranking.get_by_role("cell", name=name, exact=True)).to_be_visible()
    mesa_ui.screenshot(teacher, ui_artifacts_dir, "classroom-teacher")
    mesa_ui.screenshot(students[0], ui_artifacts_dir, "classroom-student")

    # the export holds every decision
    with teacher.expect_download(timeout=30_000) as download:
        teacher.get_by_role("button", name=re.compile("Session \\(CSV")).click()
    with zipfile.ZipFile(download.value.path()) as zf:
        dec = pd.read_csv(io.BytesIO(zf.read("decisions.csv")))
        assert {"decisions.parquet", "outcomes.csv", "outcomes.parquet"} <= set(zf.namelist())
    got = {(r.round, r.team): (r.ideological, r.political, r.organizational, r.smart, r.source)
           for r in dec.itertuples()}  # fmt: skip
    assert got == {
        (1, "Red"): (0.0, 0.5, 0.0, 0.5, "submitted"),
        (1, "Green"): (1.0, 0.0, 0.0, 0.0, "submitted"),
        (1, "Blue"): (0.0, 0.0, 0.3, 0.0, "submitted"),
        (2, "Red"): (0.0, 0.0, 0.0, 1.0, "submitted"),
        (2, "Green"): (0.5, 0.0, 0.5, 0.0, "submitted"),
        (2, "Blue"): (0.0, 0.0, 0.3, 0.0, "carried over"),
    }
    with teacher.expect_download(timeout=30_000) as download:
        teacher.get_by_role("button", name=re.compile(r"summary \(PNG\)")).click()
    with open(download.value.path(), "rb") as fh:
        assert fh.read(4) == b"\x89PNG"
    for page in [teacher, *students[:2]]:
        mesa_ui.assert_no_console_errors(page)


def test_a_student_who_reloads_rejoins_the_team(open_app, mesa_ui):
    from playwright.sync_api import expect

    page = join(open_app, "Reloaders")
    link = page.url
    expect(
        page.get_by_text(re.compile(r"joined late|summary of each round|What happened"))
    ).to_be_visible()
    submit(page, mesa_ui, {"smart": 0.25}, 3)
    page.reload()
    expect(page.get_by_role("heading", name="Team Reloaders")).to_be_visible(timeout=30_000)
    expect(page.locator(".submitted-note")).to_contain_text("smart 0.25")
    # the same link on another device is the same team
    parts = urlsplit(link)
    other = _open(open_app, f"{parts.path}?{parts.query}")
    expect(other.get_by_role("heading", name="Team Reloaders")).to_be_visible(timeout=30_000)
    # a made-up team link is refused
    bad = _open(open_app, "/?team=not-a-team-of-this-room")
    expect(bad.get_by_text("Team link not recognised")).to_be_visible(timeout=30_000)
    mesa_ui.assert_no_console_errors(page)


def test_a_non_teacher_cannot_advance_the_round(open_app):
    from playwright.sync_api import expect

    teacher = open_teacher(open_app)
    expect_status(teacher, r"^Round 3: ")
    student = join(open_app, "Curious")
    assert student.get_by_role("button", name=re.compile("Run round|End room")).count() == 0
    for token in ("guess", CODE, "teacher-token-of-the-browser-test"):
        fake = _open(open_app, f"/?teacher={token}")
        expect(fake.locator(".not-teacher")).to_be_visible(timeout=30_000)
        assert fake.get_by_role("button", name=re.compile("Run round|End room|Apply")).count() == 0
    expect_status(teacher, r"^Round 3: ")  # nothing ran
    expect_status(student, r"^Round 3: ")

"""The classroom-mode pages (Solara) on top of :class:`govsim.ui.classroom.Room`.

Served by ``govsim ui --classroom`` (``solara run govsim.ui.classroom.app``). One page, three
views chosen by the link's query string:

* ``/?code=K7M2QX9P`` or ``/`` — join: enter the code (pre-filled from the link) and a team
  name; the page then moves to the team's own link, ``/?team=TOKEN``;
* ``/?team=TOKEN`` — the team's page: the round's budget, four lever sliders, Submit, the
  round summaries and the team's own charts. Reloading it (or opening it on another device)
  is back on the same team;
* ``/?teacher=TOKEN`` — the teacher's dashboard (the token is printed by ``govsim ui
  --classroom``; any other token is refused).

State: the :data:`ROOM` is a module-level object on purpose — every browser session connected
to the server shares it (Solara imports the app once per server). What belongs to one browser
(the sliders a student is moving, the teacher's form fields) is per-session state inside the
components. Each session follows the room through a thread that waits on
:meth:`Room.wait_for_change <govsim.ui.classroom.room.Room.wait_for_change>` and re-renders when
the room's version moves. Rounds run in a worker thread, so the last team to submit (or the
teacher) does not wait for every community to step.

Settings come from the environment (set by the CLI): ``GOVSIM_CLASSROOM_CODE``,
``GOVSIM_CLASSROOM_TEACHER`` (else fresh ones, printed to the server's output),
``GOVSIM_UI_SCENARIO``, ``GOVSIM_CLASSROOM_SEED``, ``GOVSIM_CLASSROOM_WEEKS``,
``GOVSIM_CLASSROOM_BUDGET``, ``GOVSIM_CLASSROOM_TIMEOUT`` (seconds), ``GOVSIM_CLASSROOM_RESIDENTS``,
``GOVSIM_CLASSROOM_URL`` (the address students use, shown on the dashboard).
"""

from __future__ import annotations

import os
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, quote

from govsim.ui import quiet  # noqa: F401  (warning filters before solara and mesa)

# isort: split
import solara

from govsim.config import DEFAULT_SCENARIO
from govsim.ui.text import LEVER_TEXT, scenario_title
from govsim.ui.vega import ChartView
from govsim.ui.views import consensus_spec, effort_spec, needs_spec, participation_spec, trust_spec
from sim.costs import lever_cost
from sim.strategies import LEVERS

from .charts import dashboard_charts
from .export import session_zip, summary_figure
from .room import (
    BUDGET_UNIT,
    DEFAULT_BUDGET,
    GOALS,
    Room,
    RoomError,
    RoomSettings,
    RoundRecord,
    Team,
)

__all__ = ["ROOM", "Page", "room_from_env"]


def _env_number(name: str, kind: type, default: Any) -> Any:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return kind(raw)
    except ValueError:
        raise RoomError(f"{name}={raw!r}: not a {kind.__name__}") from None


def room_from_env() -> Room:
    """The room this server runs, from the ``GOVSIM_CLASSROOM_*`` environment."""
    timeout = _env_number("GOVSIM_CLASSROOM_TIMEOUT", float, None)
    settings = RoomSettings(
        scenario=os.environ.get("GOVSIM_UI_SCENARIO") or DEFAULT_SCENARIO,
        seed=_env_number("GOVSIM_CLASSROOM_SEED", int, 0),
        round_weeks=_env_number("GOVSIM_CLASSROOM_WEEKS", int, 10),
        budget=_env_number("GOVSIM_CLASSROOM_BUDGET", float, DEFAULT_BUDGET),
        round_timeout_s=timeout if timeout else None,
        residents=_env_number("GOVSIM_CLASSROOM_RESIDENTS", int, None),
    )
    code = os.environ.get("GOVSIM_CLASSROOM_CODE") or None
    token = os.environ.get("GOVSIM_CLASSROOM_TEACHER") or None
    room = Room(settings, code=code, teacher_token=token)
    if token is None:  # started without the CLI: say how to reach the dashboard
        print(
            f"govsim classroom: join code {room.display_code}; teacher dashboard: "
            f"/?teacher={room.teacher_token}",
            flush=True,
        )
    return room


#: The room: shared by every browser session on this server (deliberately module-level).
ROOM = room_from_env()
STUDENT_URL = os.environ.get("GOVSIM_CLASSROOM_URL", "")


def _in_background(what: str, fn: Callable[[], object]) -> None:
    """Run ``fn`` in a worker thread (a round); a failure goes to the server's log."""

    def run() -> None:
        try:
            _report(fn())
        except RoomError as exc:
            ROOM.last_error = str(exc)
        except Exception:  # pragma: no cover - reported, the room ends itself
            print(f"govsim classroom: {what} failed:\n{traceback.format_exc()}", file=sys.stderr)

    threading.Thread(target=run, name=f"classroom-{what}", daemon=True).start()


def _report(rec: object) -> None:
    """One line in the server's output per round run (for the teacher and the load test)."""
    if isinstance(rec, RoundRecord):
        slowest = max(rec.step_s.values(), default=0.0)
        print(
            f"govsim classroom: round {rec.number} ({rec.trigger}, {rec.submitted} of "
            f"{rec.teams} submitted) ran {rec.teams} communities + the baseline for "
            f"{rec.weeks} weeks in {rec.compute_s:.2f} s (slowest team {slowest:.2f} s)",
            flush=True,
        )


def _watch_time_limit() -> None:
    """Run a round whose time limit has passed (one thread per server)."""
    while ROOM.state != "ended":
        ROOM.wait_for_change(-1, timeout=1.0)
        try:
            _report(ROOM.advance_if_due())
        except Exception:  # pragma: no cover
            print(
                f"govsim classroom: timed round failed:\n{traceback.format_exc()}", file=sys.stderr
            )


threading.Thread(target=_watch_time_limit, name="classroom-time-limit", daemon=True).start()


def use_room_version() -> int:
    """Re-render this session whenever the room changes; returns the room's version."""
    version, set_version = solara.use_state(ROOM.version)

    def follow(cancel: threading.Event) -> None:
        seen = ROOM.version
        while not cancel.is_set():
            now = ROOM.wait_for_change(seen, timeout=1.0)
            if now != seen and not cancel.is_set():
                seen = now
                set_version(now)

    solara.use_thread(follow, [], intrusive_cancel=False)
    return version


def _client() -> str:
    try:
        return solara.get_session_id()
    except Exception:  # pragma: no cover - outside a server
        return ""


def _status(room: Room) -> str:
    if room.state == "ended":
        return "The teacher has ended this room. Thank you for playing!"
    if room.state == "running":
        return f"Round {room.round} is running…"
    n, k = len(room.teams), len(room.pending)
    s = room.settings
    text = (
        f"Round {room.round}: {s.round_weeks} weeks, budget {s.budget:.1f} ({BUDGET_UNIT}). "
        f"{k} of {n} teams have submitted."
    )
    if s.round_timeout_s:
        text += f" The round runs by itself {s.round_timeout_s:.0f} s after it opened."
    return text


# --------------------------------------------------------------------------------------------
# join
# --------------------------------------------------------------------------------------------


@solara.component
def JoinView(code: str):
    """Enter the code and a team name; moves to the team's link."""
    router = solara.use_router()
    typed_code, set_code = solara.use_state(code)
    name, set_name = solara.use_state("")
    error, set_error = solara.use_state("")

    def join() -> None:
        try:
            team = ROOM.join(typed_code, name, _client())
        except RoomError as exc:
            set_error(str(exc))
            return
        router.push(f"/?team={quote(team.token)}")

    with solara.Card("Join the classroom", style={"max-width": "480px", "margin": "40px auto"}):
        solara.Markdown(
            f"Scenario: **{scenario_title(ROOM.settings.scenario)}**. Every team leads its own "
            "copy of the same community; your decisions alone make the difference."
        )
        solara.InputText("Join code", value=typed_code, on_value=set_code, continuous_update=True)
        solara.InputText("Team name", value=name, on_value=set_name, continuous_update=True)
        solara.Button("Join", on_click=join, color="primary", disabled=ROOM.state == "ended")
        if error:
            solara.Error(error, classes=["join-error"])
        if ROOM.state == "ended":
            solara.Warning("This room has ended.")


# --------------------------------------------------------------------------------------------
# team
# --------------------------------------------------------------------------------------------


@solara.component
def TeamCharts(team: Team, week: int):
    """The team's own charts (redrawn when its community has run a round)."""
    charts = solara.use_memo(
        lambda: [f(team.model) for f in (participation_spec, consensus_spec, trust_spec,
                                         needs_spec, effort_spec)],
        [week],
    )  # fmt: skip
    with solara.Row(style={"flex-wrap": "wrap"}):
        for chart in charts:
            ChartView(chart)


@solara.component
def Allocation(team: Team, version: int):
    """Four lever sliders within the round's budget, and Submit."""
    budget = ROOM.settings.budget
    pending = ROOM.submitted(team)
    start = pending.efforts if pending else team.last_efforts()
    values, set_values = solara.use_state(dict(start))
    error, set_error = solara.use_state("")
    total = ROOM.cost(values)
    over = total > budget + 1e-9
    top = 1.0

    def setter(lever: str) -> Callable[[float], None]:
        return lambda v: set_values(lambda now: {**now, lever: round(float(v), 2)})

    def submit() -> None:
        try:
            ROOM.submit(team, values, autorun=False)
        except RoomError as exc:
            set_error(str(exc))
            return
        set_error("")
        _in_background("round", ROOM.run_if_complete)

    with solara.Card(f"Round {ROOM.round}: your leadership budget", margin=0):
        solara.Markdown(
            f"Spend up to **{budget:.1f}** ({BUDGET_UNIT}) a week on the four levers (each "
            "0–1; what each costs is shown under it; unspent budget is lost)."
        )
        for lever in LEVERS:
            _zh, _source, model_text = LEVER_TEXT[lever]
            solara.SliderFloat(
                f"{lever.capitalize()} leadership", value=min(values.get(lever, 0.0), top),
                min=0.0, max=top, step=0.05, on_value=setter(lever),
                disabled=ROOM.state != "open",
            )  # fmt: skip
            solara.Text(
                f"{values.get(lever, 0.0):.2f} (costs "
                f"{lever_cost(lever, values.get(lever, 0.0), ROOM.baseline.params):.1f}) · "
                f"{model_text}",
                style={"font-size": "0.75rem", "opacity": "0.75", "display": "block"},
            )
        solara.Text(
            f"Spent {total:.1f} of {budget:.1f}"
            + (" — over budget: lower a lever" if over else ""),
            classes=["budget-spent"],
            style={"font-weight": "bold", "color": "#c62828" if over else "inherit",
                   "display": "block", "margin": "8px 0"},
        )  # fmt: skip
        solara.Button(
            f"Submit round {ROOM.round}", on_click=submit, color="primary",
            disabled=over or ROOM.state != "open",
        )  # fmt: skip
        if pending is not None:
            shown = ", ".join(f"{lv} {pending.efforts[lv]:.2f}" for lv in LEVERS)
            solara.Success(
                f"Submitted for round {pending.round}: {shown}. "
                "You can change it until the round runs.",
                classes=["submitted-note"],
            )
        if error:
            solara.Error(error)


@solara.component
def TeamView(token: str):
    """A team's page: status, allocation, summaries and charts."""
    version = use_room_version()
    team, error = solara.use_memo(lambda: _team_or_error(token), [token])

    def connect() -> Callable[[], None] | None:
        if team is None:
            return None
        ROOM.connect(team)
        return lambda: ROOM.disconnect(team)

    solara.use_effect(connect, [token])
    if team is None:
        with solara.Card(
            "Team link not recognised", style={"max-width": "480px", "margin": "40px auto"}
        ):
            solara.Error(error)
            solara.Markdown("[Join with the code](/)")
        return
    solara.Title(f"{team.name} · govsim classroom")
    with solara.Column(style={"padding": "12px"}):
        solara.Markdown(f"## Team {team.name}")
        solara.Text(_status(ROOM), classes=["room-status"], style={"font-weight": "bold"})
        solara.Markdown(
            f"Your team's link (bookmark it; a reload brings you back here): "
            f"[`?team={token}`](/?team={quote(token)})",
            style={"font-size": "0.8rem"},
        )
        with solara.Columns([1, 2]):
            with solara.Column():
                if ROOM.state != "ended":
                    Allocation(team, version).key(f"alloc-{ROOM.round}-{ROOM.settings.budget}")
            with solara.Column():
                if team.summaries:
                    last = max(team.summaries)
                    with solara.Card(f"What happened in round {last}", margin=0):
                        solara.Markdown(
                            "\n".join(f"- {line}" for line in team.summaries[last]),
                            style={"font-size": "0.9rem"},
                        )
                    for r in sorted(team.summaries, reverse=True)[1:]:
                        with solara.Details(f"Round {r}"):
                            solara.Markdown("\n".join(f"- {line}" for line in team.summaries[r]))
                else:
                    solara.Info("The summary of each round appears here once it has run.")
        TeamCharts(team, ROOM.week)


def _team_or_error(token: str) -> tuple[Team | None, str]:
    try:
        return ROOM.team_for(token, _client()), ""
    except RoomError as exc:
        return None, str(exc)


# --------------------------------------------------------------------------------------------
# teacher
# --------------------------------------------------------------------------------------------


def _lever_table() -> str:
    rounds = range(1, len(ROOM.rounds) + 1)
    head = "| team | " + " | ".join(f"round {r}" for r in rounds) + " |"
    rows = [head, "|---|" + "---|" * len(rounds)]
    for team in ROOM.teams.values():
        cells = []
        for d in team.decisions:
            cell = " / ".join(f"{d.efforts[lv]:.2f}" for lv in LEVERS)
            cells.append(cell + ("" if d.source == "submitted" else f" ({d.source})"))
        rows.append(f"| {team.name} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _baseline_table() -> str:
    """Every team against the weak-baseline replay on every goal (positive = better)."""
    head = "| team | " + " | ".join(g.key for g in GOALS.values()) + " |"
    rows = [head, "|---|" + "---|" * len(GOALS)]
    for r in ROOM.baseline_comparison():
        cells = []
        for key, g in GOALS.items():
            v = r[key]
            if v != v:  # NaN: e.g. no need closed yet
                cells.append("–")
            else:
                cells.append(f"{100 * v:+.1f} pts" if g.fmt.endswith("%}") else f"{v:+.4f}")
        rows.append(f"| {r['team']} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _ranking_table(goal: str) -> str:
    g = GOALS[goal]
    rows = ["| rank | team | value | weak baseline | vs baseline |", "|---|---|---|---|---|"]
    for r in ROOM.ranking(goal):
        diff = r["vs_baseline"]
        better = (diff > 0) == g.higher_is_better and abs(diff) > 1e-12
        rows.append(
            f"| {r['rank']} | {r['team']} | {g.format(r['value'])} | {g.format(r['baseline'])} | "
            f"{diff:+.4f} {'better' if better else 'not better'} |"
        )
    return "\n".join(rows)


@solara.component
def RoundSettingsCard(token: str, version: int):
    """Next round's length, budget and time limit; advance and end."""
    s = ROOM.settings
    weeks, set_weeks = solara.use_state(s.round_weeks)
    budget, set_budget = solara.use_state(s.budget)
    limit, set_limit = solara.use_state(int(s.round_timeout_s or 0))
    message, set_message = solara.use_state("")
    client = _client()

    def act(fn: Callable[[], object], done: str) -> None:
        try:
            fn()
            set_message(done)
        except RoomError as exc:
            set_message(f"Refused: {exc}")

    def apply() -> None:
        act(lambda: ROOM.set_round(token, weeks=int(weeks), budget=float(budget),
                                   timeout_s=float(limit) if limit else None, client=client),
            "Next round's settings applied.")  # fmt: skip

    def advance() -> None:
        try:
            ROOM.check_teacher(token, client)
        except RoomError as exc:
            set_message(f"Refused: {exc}")
            return
        set_message(f"Running round {ROOM.round}…")
        _in_background("round", lambda: ROOM.advance(token, client))

    with solara.Card("Rounds", margin=0):
        solara.Text(_status(ROOM), classes=["room-status"], style={"font-weight": "bold"})
        solara.InputInt("Round length (weeks)", value=weeks, on_value=set_weeks)
        solara.InputFloat(
            "Budget per round (staff-hours a week per 1,000 residents)",
            value=budget,
            on_value=set_budget,
        )
        solara.InputInt("Time limit per round (s, 0 = none)", value=limit, on_value=set_limit)
        with solara.Row():
            solara.Button("Apply", on_click=apply, disabled=ROOM.state != "open")
            solara.Button(f"Run round {ROOM.round} now", on_click=advance, color="primary",
                          disabled=ROOM.state != "open" or not ROOM.teams)  # fmt: skip
            solara.Button("End room", on_click=lambda: act(lambda: ROOM.end(token, client),
                                                           "The room has ended."),
                          color="error", disabled=ROOM.state == "ended")  # fmt: skip
        if message and not (message.startswith("Running round") and ROOM.state != "running"):
            solara.Text(message, classes=["teacher-message"])
        solara.Text(
            f"Budget unit — {BUDGET_UNIT}.", style={"font-size": "0.75rem", "opacity": "0.7"}
        )


@solara.component
def TeacherView(token: str):
    """The dashboard: room, teams, rounds, charts on shared axes, ranking, exports."""
    version = use_room_version()
    allowed = solara.use_memo(lambda: _teacher_ok(token), [token])
    week = ROOM.week
    charts = solara.use_memo(lambda: dashboard_charts(ROOM), [week, len(ROOM.teams)])
    if not allowed:
        with solara.Card(
            "Not the teacher's link", style={"max-width": "480px", "margin": "40px auto"}
        ):
            solara.Error(
                "Only the teacher's dashboard link opens this page.", classes=["not-teacher"]
            )
        return
    solara.Title("Teacher · govsim classroom")
    goal = ROOM.goal
    join_link = (
        f"{STUDENT_URL.rstrip('/')}/?code={ROOM.code}" if STUDENT_URL else f"/?code={ROOM.code}"
    )
    with solara.Column(style={"padding": "12px"}):
        solara.Markdown(
            f"## Classroom · join code **{ROOM.display_code}**\n"
            f"Students open [{join_link}]({join_link}) and enter a team name. Scenario "
            f"**{scenario_title(ROOM.settings.scenario)}**, seed {ROOM.settings.seed}; "
            f"week {week}."
        )
        with solara.Columns([1, 2]):
            RoundSettingsCard(token, version)
            with solara.Card("Teams", margin=0):
                rows = ["| team | online | this round | link |", "|---|---|---|---|"]
                for tok, t in ROOM.teams.items():
                    rows.append(
                        f"| {t.name} | {'yes' if t.sessions else 'no'} | "
                        f"{'submitted' if tok in ROOM.pending else 'deciding'} | "
                        f"[team page](/?team={quote(tok)}) |"
                    )
                solara.Markdown("\n".join(rows) if ROOM.teams else "No team has joined yet.")
        with solara.Row(style={"flex-wrap": "wrap"}):
            for chart in charts:
                ChartView(chart)
        solara.Markdown(
            "Dashed black: **the weak baseline**, the same community (same scenario and seed) "
            "replayed with all four levers at zero over the same rounds."
        )
        with solara.Columns([1, 1]):
            with solara.Card("Ranking", margin=0):
                solara.Select(
                    "Goal", value=GOALS[goal].label, values=[g.label for g in GOALS.values()],
                    on_value=lambda label: ROOM.set_goal(
                        token, next(k for k, g in GOALS.items() if g.label == label), _client()),
                )  # fmt: skip
                solara.Markdown(_ranking_table(goal) if ROOM.teams else "No teams yet.")
            with solara.Card(
                "Lever choices per round (ideological / political / organizational / smart)",
                margin=0,
            ):
                solara.Markdown(_lever_table() if ROOM.rounds else "No round has run yet.")
        with solara.Card("Replay with the weak baseline", margin=0):
            solara.Markdown(
                "Each team's outcome now minus the same community's replay with all four levers "
                "at zero over the same weeks (positive = better than the baseline; consensus: "
                "lower opinion variance counts as better)."
            )
            solara.Markdown(_baseline_table() if ROOM.rounds else "No round has run yet.")
        with solara.Card("Export", margin=0), solara.Row():
            code = ROOM.code
            solara.FileDownload(
                _export_zip, filename=f"govsim-classroom-{code}.zip",
                label="Session (CSV + Parquet, zip)", mime_type="application/zip",
            )  # fmt: skip
            solara.FileDownload(
                _export_png, filename=f"govsim-classroom-{code}.png",
                label="One-page summary (PNG)", mime_type="image/png",
            )  # fmt: skip
            solara.FileDownload(
                _export_pdf, filename=f"govsim-classroom-{code}.pdf",
                label="One-page summary (PDF)", mime_type="application/pdf",
            )  # fmt: skip


# The downloads' data: module-level functions, so that a re-render of the dashboard (after
# every change in the room) hands solara.FileDownload the same object and does not cancel a
# download in progress.
def _export_zip() -> bytes:
    return session_zip(ROOM)


def _export_png() -> bytes:
    return summary_figure(ROOM, "png")


def _export_pdf() -> bytes:
    return summary_figure(ROOM, "pdf")


def _teacher_ok(token: str) -> bool:
    try:
        ROOM.check_teacher(token, _client())
        return True
    except RoomError:
        return False


# --------------------------------------------------------------------------------------------
# page
# --------------------------------------------------------------------------------------------


@solara.component
def Page():
    """Join, team or teacher view, by the link's query string."""
    router = solara.use_router()
    query = parse_qs(router.search or "")

    def first(key: str) -> str:
        return (query.get(key) or [""])[0]

    if first("teacher"):
        TeacherView(first("teacher"))
    elif first("team"):
        TeamView(first("team"))
    else:
        JoinView(first("code"))

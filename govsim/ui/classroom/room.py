"""The classroom room: teams, rounds, decisions, join codes and tokens (plain Python, no Solara).

One :class:`Room` per ``govsim ui --classroom`` server. The teacher opens it; each team that
joins gets its own copy of the same community (same scenario, same seed: differences between
teams come from their decisions alone) and a secret team token, the key of its page
(``/?team=TOKEN``), so a student who reloads is back on the team's page. Each round:

1. the teacher sets the round length (weeks) and the leadership budget per round;
2. each team splits the budget over the four levers and submits (:meth:`Room.submit`);
3. the round runs (:meth:`Room.run_round`) when the last team submits, when the teacher advances
   (:meth:`Room.advance`, teacher token only) or when the optional round time limit has passed
   (:meth:`Room.advance_if_due`): every team's community, and a *weak baseline* copy with all
   four levers at zero, runs the round's weeks. A team that did not submit keeps its previous
   allocation (``"carried over"``), so a team that dropped out does not block the round.

Budget unit (:data:`BUDGET_UNIT`): the common lever cost model, :mod:`sim.costs` —
staff-hours a week per 1,000 residents, the unit of ``strategy.budget``. Each lever's effort is
in [0, 1]; an allocation's cost is :func:`sim.costs.efforts_cost` under the community's
``costs.*`` parameters and may not exceed the round's budget, in every week of the round. With
the default costs (20 at full effort for each lever; the ideological lever's cost grows as
effort², the others linearly) the default budget of 20 buys one lever at full effort. Unspent
budget is not carried to the next round.

Join codes (:func:`new_join_code`) are 8 characters from a 31-letter alphabet without look-alike
characters (about 39.6 bits), and every wrong code counts against a rate limit
(:class:`AttemptLimiter`: 5 per browser and 60 for the whole room per minute), so guessing a
code by enumeration would take on the order of 10⁴ years. The team tokens (128 random bits) and
the teacher token (192 bits) come from :mod:`secrets`, are compared with
:func:`secrets.compare_digest`, and are not rate limited: they cannot be guessed, and a flood of
wrong join codes must not lock a student out of the team page or the teacher out of the room.

Threading: the Solara server calls a room from many sessions' threads. Every change happens
under one lock and bumps :attr:`Room.version` (:meth:`Room.wait_for_change` wakes waiters). The
models are stepped outside the lock while :attr:`Room.state` is ``"running"``; everything that
changes the room waits until the round is done.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from govsim.ui.model import ClassroomModel, set_levers
from sim.costs import COST_UNIT, efforts_cost
from sim.strategies import LEVERS

from .summary import round_summary

if TYPE_CHECKING:
    from sim import GovernanceModel

__all__ = [
    "BUDGET_UNIT",
    "GOALS",
    "JOIN_ALPHABET",
    "JOIN_CODE_LENGTH",
    "AttemptLimiter",
    "Decision",
    "Goal",
    "Room",
    "RoomError",
    "RoomSettings",
    "RoundRecord",
    "Team",
    "default_model_factory",
    "new_join_code",
    "normalize_code",
]

#: What one unit of the leadership budget is (the lever cost model's unit, :mod:`sim.costs`).
BUDGET_UNIT = COST_UNIT
#: Join-code letters: upper case and digits without 0/O, 1/I/L (read aloud, typed on phones).
JOIN_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 8
#: Longest team name.
MAX_NAME = 30
#: Most teams in one room.
MAX_TEAMS = 60
#: Round length allowed (weeks).
ROUND_WEEKS_RANGE = (1, 200)
#: Budget per round allowed (:data:`BUDGET_UNIT`; the range of ``strategy.budget``).
BUDGET_RANGE = (0.0, 1e4)
#: The default budget per round: ``strategy.budget``'s default (one lever at full effort).
DEFAULT_BUDGET = 20.0
#: Residents per community allowed (the classroom app's slider range).
RESIDENTS_RANGE = (100, 5000)
#: Name of the weak-baseline copy in tables and charts.
BASELINE = "weak baseline"


class RoomError(ValueError):
    """A request the room refuses; the message is one line for the person who made it."""


@dataclass(frozen=True)
class Goal:
    """A goal the teacher can rank the teams on: a model metric and its good direction."""

    key: str
    label: str
    metric: str
    higher_is_better: bool
    fmt: str = "{:.1%}"

    def format(self, value: float) -> str:
        """The value as the dashboard shows it."""
        return "–" if not math.isfinite(value) else self.fmt.format(value)


#: Goals for the ranking (the four outcomes the dashboard charts).
GOALS: dict[str, Goal] = {
    g.key: g
    for g in (
        Goal("participation", "Participation (share taking part)", "participation_rate", True),
        Goal(
            "consensus", "Consensus (lowest opinion variance)", "opinion_variance", False, "{:.4f}"
        ),
        Goal(
            "trust", "Trust (mean trust in the leading organization)", "mean_trust", True, "{:.3f}"
        ),
        Goal("needs", "Needs (share of closed needs resolved)", "resolution_rate", True),
    )
}


def new_join_code() -> str:
    """A fresh join code: :data:`JOIN_CODE_LENGTH` characters of :data:`JOIN_ALPHABET`."""
    return "".join(secrets.choice(JOIN_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def normalize_code(text: str) -> str:
    """A typed code as stored: upper case, no spaces or dashes (``k7m2-qx9p`` → ``K7M2QX9P``)."""
    return "".join(ch for ch in str(text).upper() if ch not in " -_\t")


def format_code(code: str) -> str:
    """A code as shown: two groups of four (``K7M2-QX9P``)."""
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code


@dataclass
class RoomSettings:
    """What the teacher sets for the room.

    Attributes:
        scenario: The scenario preset every team's community starts from.
        seed: The seed of every team's community (the same for all teams).
        round_weeks: Weeks per round (:data:`ROUND_WEEKS_RANGE`).
        budget: Leadership budget per round (:data:`BUDGET_UNIT`).
        round_timeout_s: Seconds after which an open round runs without the teams that have not
            submitted; ``None``: only when all have submitted or the teacher advances.
        residents: Residents per community; ``None``: the scenario's.
    """

    scenario: str = "weak_baseline"
    seed: int = 0
    round_weeks: int = 10
    budget: float = DEFAULT_BUDGET
    round_timeout_s: float | None = None
    residents: int | None = None

    def __post_init__(self) -> None:
        check_round_weeks(self.round_weeks)
        check_budget(self.budget)
        check_timeout(self.round_timeout_s)
        check_residents(self.residents)
        check_seed(self.seed)


def check_seed(seed: Any) -> int:
    """Validate a seed; returns it as an int."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise RoomError(f"seed {seed!r}: must be a whole number, 0 or more")
    return int(seed)


def check_residents(n: Any) -> int | None:
    """Validate a community size (``None`` = the scenario's); returns it."""
    if n is None:
        return None
    lo, hi = RESIDENTS_RANGE
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not lo <= n <= hi:
        raise RoomError(f"residents {n!r}: must be a whole number, {lo} to {hi}")
    return int(n)


def check_round_weeks(weeks: Any) -> int:
    """Validate a round length; returns it as an int."""
    lo, hi = ROUND_WEEKS_RANGE
    if isinstance(weeks, bool) or not isinstance(weeks, (int, np.integer)) or not lo <= weeks <= hi:
        raise RoomError(f"round length {weeks!r}: must be a whole number of weeks, {lo} to {hi}")
    return int(weeks)


def check_budget(budget: Any) -> float:
    """Validate a budget per round; returns it as a float."""
    lo, hi = BUDGET_RANGE
    try:
        b = float(budget)
    except (TypeError, ValueError):
        b = math.nan
    if not (math.isfinite(b) and lo < b <= hi):
        raise RoomError(
            f"budget {budget!r}: must be more than {lo:g} and at most {hi:g} {COST_UNIT}"
        )
    return b


def check_timeout(seconds: Any) -> float | None:
    """Validate a round time limit (``None`` = none); returns it."""
    if seconds is None:
        return None
    try:
        s = float(seconds)
    except (TypeError, ValueError):
        s = math.nan
    if not (math.isfinite(s) and 5 <= s <= 24 * 3600):
        raise RoomError(f"round time limit {seconds!r}: must be 5 s to 24 h, or none")
    return s


@dataclass(frozen=True)
class Decision:
    """What one team's leadership spent on each lever in one round.

    Attributes:
        round: The round (1, 2, ...).
        team: The team's name.
        efforts: Lever -> effort in every week of the round.
        cost: Their cost (:func:`sim.costs.efforts_cost`), at most the round's budget.
        budget: The round's budget (:data:`BUDGET_UNIT`).
        weeks: The round's length.
        source: ``"submitted"``, ``"carried over"`` (the team did not submit: its previous
            allocation, scaled down to fit a smaller budget) or ``"joined late"`` (rounds run
            before the team joined: all levers at zero).
        submitted_s: Seconds since the room opened when it was submitted (``None`` if not).
    """

    round: int
    team: str
    efforts: dict[str, float]
    cost: float
    budget: float
    weeks: int
    source: str = "submitted"
    submitted_s: float | None = None


@dataclass
class RoundRecord:
    """One round that has run."""

    number: int
    weeks: int
    budget: float
    first_week: int
    last_week: int
    trigger: str  # "all submitted", "teacher", "time limit"
    submitted: int
    teams: int
    compute_s: float
    step_s: dict[str, float] = field(default_factory=dict)


@dataclass
class Team:
    """One team: its name, its secret token, its community and its decisions."""

    name: str
    token: str
    model: GovernanceModel
    joined_round: int
    decisions: list[Decision] = field(default_factory=list)
    summaries: dict[int, list[str]] = field(default_factory=dict)
    sessions: int = 0
    last_seen: float = 0.0

    def last_efforts(self) -> dict[str, float]:
        """The allocation of the last round run (zeros before the first)."""
        if not self.decisions:
            return dict.fromkeys(LEVERS, 0.0)
        return dict(self.decisions[-1].efforts)


class AttemptLimiter:
    """Rate limit on wrong secrets: at most ``per_client`` per client and ``total`` overall
    within ``window_s`` seconds. A refused attempt is not checked at all."""

    def __init__(
        self,
        per_client: int = 5,
        total: int = 60,
        window_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_client = per_client
        self.total = total
        self.window_s = window_s
        self.clock = clock
        self._by_client: dict[str, deque[float]] = {}
        self._all: deque[float] = deque()

    def _trim(self, q: deque[float], now: float) -> None:
        while q and q[0] <= now - self.window_s:
            q.popleft()

    def check(self, client: str) -> None:
        """Raise :class:`RoomError` if ``client`` may not try now."""
        now = self.clock()
        self._trim(self._all, now)
        q = self._by_client.get(client)
        if q is not None:
            self._trim(q, now)
        if q is not None and len(q) >= self.per_client:
            wait = math.ceil(q[0] + self.window_s - now)
            raise RoomError(
                f"too many wrong codes or links from this browser: try again in {wait} s"
            )
        if len(self._all) >= self.total:
            wait = math.ceil(self._all[0] + self.window_s - now)
            raise RoomError(f"too many wrong codes or links in this room: try again in {wait} s")

    def failed(self, client: str) -> None:
        """Record a wrong attempt by ``client``."""
        now = self.clock()
        self._by_client.setdefault(client, deque()).append(now)
        self._all.append(now)


ModelFactory = Callable[[RoomSettings], "GovernanceModel"]


def default_model_factory(settings: RoomSettings) -> GovernanceModel:
    """A team's community: the scenario with all four levers at zero (set each round)."""
    kwargs: dict[str, Any] = {}
    if settings.residents is not None:
        kwargs["population__n_residents"] = int(settings.residents)
    return ClassroomModel(
        settings.scenario, seed=int(settings.seed), levers=dict.fromkeys(LEVERS, 0.0), **kwargs
    )


def _apply(model: GovernanceModel, efforts: Mapping[str, float]) -> None:
    set_levers(model, efforts)


class Room:
    """A classroom session: its settings, teams, rounds and the weak-baseline copy.

    Args:
        settings: The room's settings (round length and budget apply to the next round run).
        code: The join code (default: :func:`new_join_code`).
        teacher_token: The teacher's secret (default: 24 random bytes, URL-safe).
        model_factory: Builds one community from the settings (default: the scenario preset
            with the levers at zero, :func:`default_model_factory`).
        clock: Seconds (monotonic), for time limits and the rate limiter.
        limiter: The wrong-secret rate limiter (default: :class:`AttemptLimiter`).
    """

    def __init__(
        self,
        settings: RoomSettings | None = None,
        *,
        code: str | None = None,
        teacher_token: str | None = None,
        model_factory: ModelFactory = default_model_factory,
        clock: Callable[[], float] = time.monotonic,
        limiter: AttemptLimiter | None = None,
    ) -> None:
        self.settings = settings or RoomSettings()
        self.code = normalize_code(code) if code else new_join_code()
        if len(self.code) < 6 or any(ch not in JOIN_ALPHABET for ch in self.code):
            raise RoomError(
                f"join code {code!r}: at least 6 characters of {JOIN_ALPHABET} (no 0, O, 1, I, L)"
            )
        self.teacher_token = teacher_token or secrets.token_urlsafe(24)
        if len(self.teacher_token) < 16:
            raise RoomError("teacher token: at least 16 characters")
        self.model_factory = model_factory
        self.clock = clock
        self.limiter = limiter or AttemptLimiter(clock=clock)
        self.opened_at = clock()
        self.teams: dict[str, Team] = {}  # token -> team, in joining order
        self.pending: dict[str, Decision] = {}  # token -> this round's submission
        self.rounds: list[RoundRecord] = []
        self.state = "open"  # "open" | "running" | "ended"
        self.goal = "participation"
        self.version = 0
        self.round_opened_at = self.opened_at
        self.last_error: str | None = None
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._building: list[GovernanceModel] = []
        self.baseline = model_factory(self.settings)

    # ----------------------------------------------------------------------------- state
    @property
    def round(self) -> int:
        """The round being decided now (1 before the first round has run)."""
        return len(self.rounds) + 1

    @property
    def week(self) -> int:
        """Weeks run so far."""
        return int(self.baseline.steps)

    @property
    def display_code(self) -> str:
        """The join code as shown to students."""
        return format_code(self.code)

    def _bump(self) -> None:
        self.version += 1
        self._changed.notify_all()

    def wait_for_change(self, version: int, timeout: float) -> int:
        """Block until :attr:`version` differs from ``version`` or ``timeout`` s pass."""
        with self._changed:
            self._changed.wait_for(lambda: self.version != version, timeout=timeout)
            return self.version

    def _wait_idle(self) -> None:
        """Wait (holding the lock afterwards) until no round is running."""
        self._changed.wait_for(lambda: self.state != "running")

    def _need_open(self) -> None:
        if self.state == "ended":
            raise RoomError("the teacher has ended this room")

    def _need_idle(self) -> None:
        """Refuse while a round runs (a click meant for it must not land in the next one)."""
        self._need_open()
        if self.state == "running":
            raise RoomError(f"round {self.round} is running: try again when it has run")

    # ----------------------------------------------------------------------------- secrets
    def is_teacher(self, token: str | None) -> bool:
        """Whether ``token`` is the teacher's (constant-time comparison)."""
        return bool(token) and secrets.compare_digest(str(token), self.teacher_token)

    def check_teacher(self, token: str | None, client: str = "") -> None:
        """Raise :class:`RoomError` unless ``token`` is the teacher's."""
        if not self.is_teacher(token):  # 192 random bits: guessing is hopeless, no limit needed
            raise RoomError("only the teacher's dashboard can do that")

    def check_code(self, code: str, client: str = "") -> None:
        """Raise :class:`RoomError` unless ``code`` is the room's join code (rate limited)."""
        with self._lock:
            self.limiter.check(client)
            if not secrets.compare_digest(normalize_code(code), self.code):
                self.limiter.failed(client)
                raise RoomError("that is not this room's join code: check it with your teacher")

    def team_for(self, token: str | None, client: str = "") -> Team:
        """The team whose secret token is ``token`` (a student's link, or a reload)."""
        with self._lock:  # 128 random bits: no rate limit, so that a flood of wrong join
            for t, team in self.teams.items():  # codes cannot lock students out of their page
                if token and secrets.compare_digest(str(token), t):
                    return team
            raise RoomError("this team link is not known in this room: join again with the code")

    # ----------------------------------------------------------------------------- teams
    def join(self, code: str, name: str, client: str = "") -> Team:
        """Join with the room's code as a new team named ``name``; returns the team.

        A team joining after rounds have run first plays them with all levers at zero
        (``"joined late"``), so that every community is at the same week.
        """
        self.check_code(code, client)
        clean = " ".join(str(name).split())
        if not clean:
            raise RoomError("enter a team name")
        if len(clean) > MAX_NAME:
            raise RoomError(f"team name too long: at most {MAX_NAME} characters")
        if clean.lower() == BASELINE:
            raise RoomError(f"{BASELINE!r} is taken by the comparison: choose another name")
        with self._lock:
            self._wait_idle()
            self._need_open()
            if any(t.name.lower() == clean.lower() for t in self.teams.values()):
                raise RoomError(
                    f"team {clean!r} exists: open your team's link on this device, "
                    "or pick another name"
                )
            if len(self.teams) >= MAX_TEAMS:
                raise RoomError(f"the room is full ({MAX_TEAMS} teams)")
            model = self.model_factory(self.settings)
            team = Team(name=clean, token=secrets.token_urlsafe(16), model=model,
                        joined_round=self.round, last_seen=self.clock())  # fmt: skip
            for rec in self.rounds:  # catch up: the rounds before the team joined, no leadership
                zero = dict.fromkeys(LEVERS, 0.0)
                team.decisions.append(
                    Decision(rec.number, clean, zero, 0.0, rec.budget, rec.weeks, "joined late")
                )
                _apply(model, zero)
                for _ in range(rec.weeks):
                    model.step()
            if not self.teams:
                self.round_opened_at = self.clock()  # a time limit counts from the first team
            self.teams[team.token] = team
            self._bump()
            return team

    def connect(self, team: Team) -> None:
        """A browser session opened ``team``'s page."""
        with self._lock:
            team.sessions += 1
            team.last_seen = self.clock()
            self._bump()

    def disconnect(self, team: Team) -> None:
        """A browser session on ``team``'s page closed."""
        with self._lock:
            team.sessions = max(0, team.sessions - 1)
            team.last_seen = self.clock()
            self._bump()

    # ----------------------------------------------------------------------------- decisions
    def cost(self, efforts: Mapping[str, float]) -> float:
        """What ``efforts`` cost a week (:func:`sim.costs.efforts_cost`, the community's costs)."""
        return efforts_cost(dict(efforts), self.baseline.params)

    def check_efforts(
        self, efforts: Mapping[str, Any], budget: float | None = None
    ) -> dict[str, float]:
        """Validate an allocation: known levers, each in [0, 1], its cost within the budget."""
        budget = self.settings.budget if budget is None else budget
        unknown = sorted(set(efforts) - set(LEVERS))
        if unknown:
            raise RoomError(f"unknown lever(s) {', '.join(unknown)}; levers: {', '.join(LEVERS)}")
        out: dict[str, float] = {}
        for lever in LEVERS:
            try:
                v = float(efforts.get(lever, 0.0))
            except (TypeError, ValueError):
                v = math.nan
            if not (math.isfinite(v) and 0.0 <= v <= 1.0):
                raise RoomError(f"{lever} {efforts.get(lever)!r}: must be between 0 and 1")
            out[lever] = round(v, 6)
        cost = self.cost(out)
        if cost > budget + 1e-9:
            raise RoomError(
                f"these levers cost {cost:.1f}, over this round's budget of {budget:.1f}: "
                "lower a lever"
            )
        return out

    def submit(self, team: Team, efforts: Mapping[str, Any], *, autorun: bool = True) -> Decision:
        """Submit ``team``'s allocation for the current round (replaces an earlier one).

        When every team has submitted, the round runs before this returns (``autorun``; the
        app passes ``False`` and calls :meth:`run_if_complete` from a worker thread instead).
        """
        with self._lock:
            self._need_idle()
            clean = self.check_efforts(efforts)
            decision = Decision(
                self.round, team.name, clean, self.cost(clean), self.settings.budget,
                self.settings.round_weeks, "submitted", round(self.clock() - self.opened_at, 3),
            )  # fmt: skip
            self.pending[team.token] = decision
            self._bump()
            if autorun and self.complete():
                self._run_round("all submitted")
            return decision

    def complete(self) -> bool:
        """Whether every team has submitted for the open round."""
        return self.state == "open" and bool(self.teams) and len(self.pending) == len(self.teams)

    def run_if_complete(self) -> RoundRecord | None:
        """Run the round if every team has submitted (else nothing)."""
        with self._lock:
            self._wait_idle()
            return self._run_round("all submitted") if self.complete() else None

    def withdraw(self, team: Team) -> None:
        """Take back ``team``'s submission for the current round."""
        with self._lock:
            self._need_idle()
            if self.pending.pop(team.token, None) is not None:
                self._bump()

    def submitted(self, team: Team) -> Decision | None:
        """``team``'s submission for the current round, if any."""
        return self.pending.get(team.token)

    # ----------------------------------------------------------------------------- teacher
    def set_round(
        self,
        token: str,
        *,
        weeks: int | None = None,
        budget: float | None = None,
        timeout_s: float | str | None = "keep",
        client: str = "",
    ) -> None:
        """Set the next round's length, budget or time limit (teacher only).

        Submissions that no longer fit a smaller budget are withdrawn (the team submits again).
        """
        self.check_teacher(token, client)
        with self._lock:
            self._wait_idle()
            self._need_open()
            s = self.settings
            if weeks is not None:
                s.round_weeks = check_round_weeks(weeks)
            if budget is not None:
                s.budget = check_budget(budget)
                for t, d in list(self.pending.items()):
                    if d.cost > s.budget + 1e-9:
                        del self.pending[t]
            if timeout_s != "keep":
                s.round_timeout_s = check_timeout(timeout_s)
                self.round_opened_at = self.clock()  # the limit counts from now
            self.pending = {
                t: Decision(d.round, d.team, d.efforts, d.cost, s.budget, s.round_weeks,
                            d.source, d.submitted_s)
                for t, d in self.pending.items()
            }  # fmt: skip
            self._bump()

    def set_goal(self, token: str, goal: str, client: str = "") -> None:
        """Pick the goal the teams are ranked on (teacher only)."""
        self.check_teacher(token, client)
        if goal not in GOALS:
            raise RoomError(f"goal {goal!r}: one of {', '.join(GOALS)}")
        with self._lock:
            self.goal = goal
            self._bump()

    def advance(self, token: str, client: str = "") -> RoundRecord:
        """Run the round now, with or without every team's submission (teacher only)."""
        self.check_teacher(token, client)
        with self._lock:
            self._need_idle()
            if not self.teams:
                raise RoomError("no team has joined yet")
            return self._run_round("teacher")

    def end(self, token: str, client: str = "") -> None:
        """End the room (teacher only): nothing more runs; the results stay readable."""
        self.check_teacher(token, client)
        with self._lock:
            self._wait_idle()
            self.state = "ended"
            self._bump()

    def deadline(self) -> float | None:
        """When the open round runs by itself (clock seconds), or ``None``.

        The time limit counts from the latest of: the round opening, the first team joining
        the room, the teacher setting the limit.
        """
        t = self.settings.round_timeout_s
        return None if t is None else self.round_opened_at + t

    def advance_if_due(self) -> RoundRecord | None:
        """Run the round if its time limit has passed and a team has joined."""
        with self._lock:
            due = self.deadline()
            if self.state != "open" or due is None or self.clock() < due or not self.teams:
                return None
            return self._run_round("time limit")

    # ----------------------------------------------------------------------------- rounds
    def _carried(self, team: Team) -> Decision:
        """``team``'s previous efforts, scaled down (all by one factor) to fit the budget."""
        prev = team.last_efforts()
        budget = self.settings.budget
        if self.cost(prev) > budget:
            lo, hi = 0.0, 1.0  # the largest factor whose cost fits (cost grows with it)
            for _ in range(50):
                mid = (lo + hi) / 2
                if self.cost({k: v * mid for k, v in prev.items()}) <= budget:
                    lo = mid
                else:
                    hi = mid
            prev = {k: math.floor(v * lo * 1e6) / 1e6 for k, v in prev.items()}
        return Decision(self.round, team.name, prev, self.cost(prev), budget,
                        self.settings.round_weeks, "carried over")  # fmt: skip

    def _run_round(self, trigger: str) -> RoundRecord:
        """Run the current round for every team and the baseline (caller holds the lock)."""
        number, weeks = self.round, self.settings.round_weeks
        decisions = {
            t: self.pending.get(t) or self._carried(team) for t, team in self.teams.items()
        }
        submitted = sum(d.source == "submitted" for d in decisions.values())
        first = self.week + 1
        self.state = "running"
        self._bump()
        started = time.perf_counter()
        step_s: dict[str, float] = {}
        self._lock.release()  # step the models without blocking readers of the room
        try:
            for t, team in self.teams.items():
                t0 = time.perf_counter()
                _apply(team.model, decisions[t].efforts)
                for _ in range(weeks):
                    team.model.step()
                step_s[team.name] = time.perf_counter() - t0
            _apply(self.baseline, dict.fromkeys(LEVERS, 0.0))
            for _ in range(weeks):
                self.baseline.step()
        except BaseException:
            with self._lock:  # nothing half-run may look finished: the room stops here
                self.state = "ended"
                self.last_error = f"round {number} failed; the room was ended"
                self._bump()
            raise
        finally:
            self._lock.acquire()
        for t, team in self.teams.items():
            team.decisions.append(decisions[t])
        rec = RoundRecord(
            number=number, weeks=weeks, budget=self.settings.budget, first_week=first,
            last_week=self.week, trigger=trigger, submitted=submitted, teams=len(self.teams),
            compute_s=time.perf_counter() - started, step_s=step_s,
        )  # fmt: skip
        self.rounds.append(rec)
        for team in self.teams.values():
            team.summaries[number] = round_summary(
                team.model, self.baseline, rec, team.decisions[-1]
            )
        self.pending = {}
        self.round_opened_at = self.clock()
        self.state = "open"
        self._bump()
        return rec

    # ----------------------------------------------------------------------------- results
    def metric_now(self, model: GovernanceModel, metric: str) -> float:
        """A model's latest value of ``metric`` (NaN if not recorded)."""
        values = model.datacollector.model_vars.get(metric) or []
        return float(values[-1]) if values else math.nan

    def ranking(self, goal: str | None = None) -> list[dict[str, Any]]:
        """Teams ranked on ``goal`` (default: the room's) at the current week, best first.

        Each row: ``rank``, ``team``, ``value``, ``baseline`` (the weak-baseline copy's value)
        and ``vs_baseline`` (value − baseline; positive = better than the baseline for a goal
        where higher is better).
        """
        g = GOALS[goal or self.goal]
        base = self.metric_now(self.baseline, g.metric)
        rows = []
        for team in self.teams.values():
            v = self.metric_now(team.model, g.metric)
            rows.append({"team": team.name, "value": v, "baseline": base, "vs_baseline": v - base})
        sign = -1.0 if g.higher_is_better else 1.0
        rows.sort(
            key=lambda r: (
                math.isnan(r["value"]),
                sign * r["value"] if r["value"] == r["value"] else 0.0,
            )
        )
        for i, row in enumerate(rows, 1):
            row["rank"] = i
        return rows

    def baseline_comparison(self) -> list[dict[str, Any]]:
        """Each team against its replay with the weak baseline, on every goal, now.

        One row per team: ``team`` and, per goal key, ``value − baseline`` signed so that a
        positive number is better than the baseline (for consensus: a lower variance).
        """
        rows = []
        for team in self.teams.values():
            row: dict[str, Any] = {"team": team.name}
            for key, g in GOALS.items():
                diff = self.metric_now(team.model, g.metric) - self.metric_now(
                    self.baseline, g.metric
                )
                row[key] = diff if g.higher_is_better else -diff
            rows.append(row)
        return rows

    def snapshot(self) -> dict[str, Any]:
        """The room's state as plain data (for the pages and the tests)."""
        with self._lock:
            return {
                "code": self.code,
                "state": self.state,
                "round": self.round,
                "week": self.week,
                "settings": dict(vars(self.settings)),
                "teams": [
                    {
                        "name": t.name,
                        "online": t.sessions > 0,
                        "submitted": tok in self.pending,
                        "joined_round": t.joined_round,
                    }
                    for tok, t in self.teams.items()
                ],
            }

"""Classroom mode (``govsim ui --classroom``): teams lead their own copy of one community.

Plain Python, no Solara: :mod:`.room` (the room, its teams, rounds, join codes and tokens),
:mod:`.summary` (the plain-words round summary), :mod:`.export` (the session as tables, CSV,
Parquet and a one-page PNG/PDF) and :mod:`.charts` (the teacher's charts as Vega-Lite dicts).
The Solara pages on top of them are :mod:`govsim.ui.classroom.app` (imported only by the
server). See docs/ui.md, "Classroom mode".
"""

from .room import (
    BUDGET_UNIT,
    GOALS,
    JOIN_ALPHABET,
    JOIN_CODE_LENGTH,
    Decision,
    Room,
    RoomError,
    RoomSettings,
    Team,
    new_join_code,
    normalize_code,
)

__all__ = [
    "BUDGET_UNIT",
    "GOALS",
    "JOIN_ALPHABET",
    "JOIN_CODE_LENGTH",
    "Decision",
    "Room",
    "RoomError",
    "RoomSettings",
    "Team",
    "new_join_code",
    "normalize_code",
]

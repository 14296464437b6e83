"""Array state of the model: residents, open needs and open disputes.

Residents' state lives here, one numpy array per attribute, so that every resident mechanism
is one vectorized operation. :class:`sim.agents.ResidentView` objects are views onto these arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

__all__ = ["RESIDENT_FIELDS", "ConflictBook", "NeedsBook", "Residents"]


@dataclass(eq=False)
class Residents:
    """Per-resident state, one array per attribute (index = resident index)."""

    group: np.ndarray  # int16, index into the group names
    opinion: np.ndarray  # float64 in [0, 1]
    tolerance: np.ndarray  # float64, bounded-confidence ε
    trust: np.ndarray  # float64 in [0, 1]
    threshold: np.ndarray  # float64, participation threshold
    cost: np.ndarray  # float64, participation cost
    literacy: np.ndarray  # float64, digital literacy (adoption propensity)
    need_rate: np.ndarray  # float64, needs per week
    org: np.ndarray  # int32, affiliated organization (-1 = none)
    is_party: np.ndarray  # bool
    party_active: np.ndarray  # bool, Party member active locally
    contrarian: np.ndarray  # bool, counter-current source
    digital: np.ndarray  # bool, platform adopter
    participating: np.ndarray  # bool, taking part this week
    ever_participated: np.ndarray  # bool
    weeks_participated: np.ndarray  # int32
    served: np.ndarray  # float64 in [-1, 1], remembered service experience
    open_needs: np.ndarray  # int32, needs raised and still open

    @property
    def n(self) -> int:
        """Number of residents."""
        return int(self.opinion.size)

    def exemplar(self) -> np.ndarray:
        """Active Party members (the exemplars)."""
        return self.is_party & self.party_active


#: Names of the per-resident attributes (what a ResidentView exposes).
RESIDENT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Residents))


def _empty(dtype: type) -> np.ndarray:
    return np.empty(0, dtype=dtype)


@dataclass(eq=False)
class NeedsBook:
    """Open needs as parallel arrays, kept in order of creation (oldest first).

    Closed needs (resolved or aged out) are removed; their counts accumulate in the totals.
    """

    id: np.ndarray = field(default_factory=lambda: _empty(np.int64))
    resident: np.ndarray = field(default_factory=lambda: _empty(np.int64))
    category: np.ndarray = field(default_factory=lambda: _empty(np.int8))
    created: np.ndarray = field(default_factory=lambda: _empty(np.int32))
    reported: np.ndarray = field(default_factory=lambda: _empty(np.bool_))
    holder: np.ndarray = field(default_factory=lambda: _empty(np.int32))
    next_id: int = 0
    total_created: int = 0
    total_resolved: int = 0
    total_expired: int = 0
    total_dropped_wrong_org: int = 0
    total_moved_out: int = 0  # open needs that left with a resident who moved out

    @property
    def size(self) -> int:
        """Number of open needs."""
        return int(self.id.size)

    def append(
        self,
        resident: np.ndarray,
        category: np.ndarray,
        created: int,
        reported: np.ndarray,
        holder: np.ndarray,
    ) -> None:
        """Add new needs (all raised in week ``created``)."""
        k = int(resident.size)
        ids = np.arange(self.next_id, self.next_id + k, dtype=np.int64)
        self.next_id += k
        self.total_created += k
        self.id = np.concatenate([self.id, ids])
        self.resident = np.concatenate([self.resident, resident.astype(np.int64)])
        self.category = np.concatenate([self.category, category.astype(np.int8)])
        self.created = np.concatenate([self.created, np.full(k, created, dtype=np.int32)])
        self.reported = np.concatenate([self.reported, reported.astype(np.bool_)])
        self.holder = np.concatenate([self.holder, holder.astype(np.int32)])

    def remove(self, mask: np.ndarray) -> None:
        """Drop the needs where ``mask`` is true."""
        keep = ~mask
        for name in ("id", "resident", "category", "created", "reported", "holder"):
            setattr(self, name, getattr(self, name)[keep])


@dataclass(eq=False)
class ConflictBook:
    """Open disputes: party ``a`` against resident ``b`` (or property management, b = -1)."""

    a: np.ndarray = field(default_factory=lambda: _empty(np.int64))
    b: np.ndarray = field(default_factory=lambda: _empty(np.int64))
    started: np.ndarray = field(default_factory=lambda: _empty(np.int32))
    total_arisen: int = 0
    total_mediated: int = 0
    total_escalated: int = 0
    total_moved_out: int = 0  # disputes that ended because a party moved out
    #: Feuds (``conflicts.feud_weeks`` > 0): escalated neighbour pairs and their last week.
    feud_a: np.ndarray = field(default_factory=lambda: _empty(np.int64))
    feud_b: np.ndarray = field(default_factory=lambda: _empty(np.int64))
    feud_until: np.ndarray = field(default_factory=lambda: _empty(np.int64))

    @property
    def size(self) -> int:
        """Number of open disputes."""
        return int(self.a.size)

    def append(self, a: np.ndarray, b: np.ndarray, week: int) -> None:
        """Add new disputes."""
        self.total_arisen += int(a.size)
        self.a = np.concatenate([self.a, a.astype(np.int64)])
        self.b = np.concatenate([self.b, b.astype(np.int64)])
        self.started = np.concatenate([self.started, np.full(a.size, week, dtype=np.int32)])

    def remove(self, mask: np.ndarray) -> None:
        """Drop the disputes where ``mask`` is true."""
        keep = ~mask
        self.a, self.b, self.started = self.a[keep], self.b[keep], self.started[keep]

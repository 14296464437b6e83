"""Mesa agents: residents, Party members and organizations.

Residents are *views*: a :class:`ResidentView` holds only its index, and each of its attributes
(``opinion``, ``trust``, ``participating``, ...) reads and writes the model's arrays
(:class:`sim.state.Residents`). Inspecting an agent therefore shows live values, and the
vectorized mechanisms never loop over agents. Organizations are few (tens) and are full
agents that step one by one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ._mesa import mesa
from .params import CATEGORIES, ORG_KINDS
from .state import RESIDENT_FIELDS

if TYPE_CHECKING:
    from .model import GovernanceModel

__all__ = ["Organization", "PartyMemberView", "ResidentView"]


class _ArrayAttribute:
    """Descriptor: ``agent.<name>`` reads/writes ``model.residents.<name>[agent.index]``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: ResidentView | None, owner: type) -> Any:
        if obj is None:
            return self
        return getattr(obj.model.residents, self.name)[obj.index].item()

    def __set__(self, obj: ResidentView, value: Any) -> None:
        getattr(obj.model.residents, self.name)[obj.index] = value


class ResidentView(mesa.Agent):
    """A resident of the community: a live view onto the model's resident arrays.

    Attributes:
        index: Position of this resident in the model's arrays.
        group_name: Name of the resident's group.
    """

    model: GovernanceModel

    def __init__(self, model: GovernanceModel, index: int) -> None:
        super().__init__(model)
        self.index = int(index)

    @property
    def group_name(self) -> str:
        """Name of this resident's group."""
        return self.model.group_names[self.model.residents.group[self.index]]

    @property
    def neighbors(self) -> list[int]:
        """Indices of this resident's neighbours in the social network."""
        g = self.model.graph
        if g.complete:
            return [i for i in range(g.n) if i != self.index]
        return g.indices[g.indptr[self.index] : g.indptr[self.index + 1]].tolist()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(index={self.index}, group={self.group_name!r}, "
            f"opinion={self.opinion:.3f}, trust={self.trust:.3f}, "
            f"participating={self.participating})"
        )


for _name in RESIDENT_FIELDS:
    setattr(ResidentView, _name, _ArrayAttribute(_name))


class PartyMemberView(ResidentView):
    """A Party member: a resident with the exemplar role (see ``is_party``, ``party_active``).

    Active members persuade more (exemplar strength × the listener's trust) and are anchored to
    the shared agenda; members not active locally behave as ordinary residents.
    """


class Organization(mesa.Agent):
    """A community organization (Party committee, residents' committee, property management…).

    Attributes:
        index: Position among the model's organizations (0 = the leading organization).
        kind: One of :data:`sim.params.ORG_KINDS`.
        handles: Boolean mask over :data:`sim.params.CATEGORIES` it can serve.
        base_capacity: Needs it can handle per week without leadership.
        base_resources: Resource units per week without leadership.
        capacity: This week's capacity (set by the levers before service).
        resources: This week's resources still available.
        credibility: Share of the needs it held that it resolved (running service record).
        members: Number of affiliated residents.
    """

    model: GovernanceModel

    def __init__(
        self,
        model: GovernanceModel,
        index: int,
        kind: str,
        handles: np.ndarray,
        capacity: float,
        resources: float,
    ) -> None:
        super().__init__(model)
        if kind not in ORG_KINDS:  # pragma: no cover - guarded by the schema
            raise ValueError(f"unknown organization kind {kind!r}")
        self.index = index
        self.kind = kind
        self.handles = np.asarray(handles, dtype=bool)
        self.base_capacity = float(capacity)
        self.base_resources = float(resources)
        self.capacity = float(capacity)
        self.resources = float(resources)
        self.resolved = 0
        self.lost = 0
        self.members = 0
        self.resources_used = 0.0

    @property
    def is_leader(self) -> bool:
        """Whether this is the community's leading organization."""
        return self.index == 0

    @property
    def credibility(self) -> float:
        """Running service record: resolved / (resolved + aged out while held)."""
        total = self.resolved + self.lost
        return self.resolved / total if total else 0.5

    @property
    def categories(self) -> list[str]:
        """Names of the categories it handles this week."""
        return [c for c, h in zip(CATEGORIES, self.handles, strict=True) if h]

    def step(self) -> None:
        """Serve this week's queue: oldest first, within capacity and resources."""
        self.model.service.serve(self.model, self)

    def __repr__(self) -> str:
        return (
            f"Organization(index={self.index}, kind={self.kind!r}, "
            f"categories={self.categories}, capacity={self.capacity:.1f})"
        )

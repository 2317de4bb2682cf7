"""A write, planned: every change with its resource before and after, the exact HTTP request apply will send,
and each guard's verdict (CONTRACTS §8). A plan is data: it is shown (``plan``), digested (the audit log names
the plan each write belonged to) and only then applied, change by change, for the changes no guard refuses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ztconsole.actions.digest import plan_digest
from ztconsole.actions.guards import Verdict

__all__ = ["Change", "Plan", "Request"]

Action = Literal["create", "update", "unchanged", "delete"]


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request apply sends: method, absolute URL, JSON body (None: no body)."""

    method: Literal["POST", "PATCH", "PUT", "DELETE"]
    url: str
    body: Mapping[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "url": self.url, "body": self.body}


@dataclass(frozen=True, slots=True)
class Change:
    """One resource's change: ``policy`` for a Conditional Access policy (CONTRACTS §8: ``id`` or None for a
    create, ``displayName``, ``file``), else ``resource`` (``type``, ``id``, ``name``); ``diff`` the
    field-by-field changes (dotted Graph paths); ``guards`` every guard's verdict; ``before`` and ``after`` the
    resource's JSON (None where there is none); ``request`` what apply sends (None for ``unchanged``)."""

    action: Action
    diff: Sequence[Mapping[str, Any]] = ()
    guards: Sequence[Verdict] = ()
    policy: Mapping[str, Any] | None = None
    resource: Mapping[str, Any] | None = None
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    request: Request | None = None

    @property
    def refused(self) -> list[Verdict]:
        """The guards that refuse this change (nothing refused is written)."""
        return [v for v in self.guards if v.refuses]

    @property
    def writes(self) -> bool:
        """Whether apply sends something for it: a change no guard refuses."""
        return self.request is not None and not self.refused

    @property
    def name(self) -> str:
        """What it changes, in words: the policy's or resource's name, else its id."""
        who = self.policy or self.resource or {}
        return str(who.get("displayName") or who.get("name") or who.get("id") or "?")

    def to_json(self) -> dict[str, Any]:
        """As ``plan --json`` gives it (CONTRACTS §8), with the request apply would send."""
        out: dict[str, Any] = {"action": self.action}
        if self.policy is not None:
            out["policy"] = dict(self.policy)
        if self.resource is not None:
            out["resource"] = dict(self.resource)
        out["diff"] = [dict(d) for d in self.diff]
        out["guards"] = [v.to_json() for v in self.guards]
        out["request"] = self.request.to_json() if self.request is not None else None
        return out


@dataclass(frozen=True, slots=True)
class Plan:
    """Every change of one run, refusals first when shown (see :meth:`ordered`)."""

    changes: tuple[Change, ...] = field(default_factory=tuple)

    @property
    def refused(self) -> list[Change]:
        return [c for c in self.changes if c.refused]

    @property
    def writes(self) -> list[Change]:
        return [c for c in self.changes if c.writes]

    def ordered(self) -> list[Change]:
        """Refusals first (what a reviewer must see), then the writes, then what is unchanged."""
        return sorted(self.changes, key=lambda c: (not c.refused, c.action == "unchanged"))

    def to_json(self) -> dict[str, Any]:
        return {"changes": [c.to_json() for c in self.changes]}

    @property
    def digest(self) -> str:
        """The audit log's name for the plan: :func:`~ztconsole.actions.digest.plan_digest` of its JSON."""
        return plan_digest(self.to_json())

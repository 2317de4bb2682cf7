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

__all__ = ["Action", "Change", "Plan", "Request"]

Action = Literal["create", "update", "unchanged", "delete"]


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request apply sends: method, absolute URL, JSON body (None: no body), and the API it goes to
    (``graph`` or ``arm``: the adapter that sends it). In a change's follow-up requests (``Change.then``), a
    ``{dotted.path}`` in the URL or body stands for that value of the first request's answer (the id of what it
    created): the preview shows it so, and apply fills it in."""

    method: Literal["POST", "PATCH", "PUT", "DELETE"]
    url: str
    body: Mapping[str, Any] | None = None
    api: Literal["graph", "arm"] = "graph"

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "url": self.url, "body": self.body}


@dataclass(frozen=True, slots=True)
class Change:
    """One resource's change: ``policy`` for a Conditional Access policy (CONTRACTS §8: ``id`` or None for a
    create, ``displayName``, ``file``), else ``resource`` (``type``, ``id``, ``name``); ``diff`` the
    field-by-field changes (dotted Graph paths); ``guards`` every guard's verdict; ``before`` and ``after`` the
    resource's JSON (None where there is none); ``request`` what apply sends (None for ``unchanged``), and
    ``then`` the requests that follow it for the same resource (placeholders filled from its answer);
    ``readback`` the URL apply reads the resource back from afterwards (placeholders too; None: the
    policy's own URL for a policy, nothing for other resources); ``created`` where a create's new id is in the
    first answer (a placeholder: the audit log's after record names the resource by it)."""

    action: Action
    diff: Sequence[Mapping[str, Any]] = ()
    guards: Sequence[Verdict] = ()
    policy: Mapping[str, Any] | None = None
    resource: Mapping[str, Any] | None = None
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    request: Request | None = None
    then: tuple[Request, ...] = ()
    readback: str | None = None
    created: str | None = None  # a create's new id, as a placeholder of the first answer ("{application.id}")

    @property
    def requests(self) -> tuple[Request, ...]:
        """Every request apply sends for it, in order."""
        return (self.request, *self.then) if self.request is not None else ()

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
        if self.then:
            out["then"] = [r.to_json() for r in self.then]
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

"""Applying a plan: each change no guard refuses is written, between a before and an after record in the audit
log, and read back; a read-back that differs from what was meant is a failure of that change.

The writer is the Graph adapter of the open source (:meth:`ztconsole.sources.graph.GraphReader.write` and
``read``): the same adapter whether the tenant is live, ``ztconsole emulator`` on loopback, or the demo's
emulator in process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ztconsole.actions.audit import AuditLog, Target
from ztconsole.actions.plan import Change, Plan
from ztconsole.actions.policies import policy_url
from ztconsole.actions.policydiff import clean, diff

__all__ = ["Outcome", "Writer", "apply_plan"]


class Writer(Protocol):
    """What apply writes and reads back through (the Graph adapter)."""

    graph_url: str

    async def write(self, method: str, url: str, body: Any = None) -> Any: ...

    async def read(self, url: str) -> Any: ...


@dataclass(frozen=True, slots=True)
class Outcome:
    """One change applied: its audit records' ids, and the failure (None: written and read back as meant)."""

    change: Change
    before_record: str
    after_record: str
    failure: str | None = None


async def apply_plan(plan: Plan, writer: Writer, log: AuditLog, *, tenant_id: str, reason: str | None = None,
                     who: str | None = None, action: Callable[[Change], str] = lambda c: f"policy.{c.action}",
                     ) -> list[Outcome]:
    """Write every change of ``plan`` that no guard refuses, in order; what each came to. A failed write
    (its mapped :class:`~ztconsole.sources.errors.SourceError`) is recorded and the next change is tried."""
    from ztconsole.sources.errors import SourceError

    digest = plan.digest
    out: list[Outcome] = []
    for change in plan.writes:
        request = change.request
        assert request is not None  # a change that writes has its request
        policy = change.policy or {}
        name = action(change)
        target = Target("conditionalAccessPolicy", str(policy.get("id") or ""), change.name)
        before = log.append(action=name, phase="before", target=target, plan=digest, tenant=tenant_id, who=who,
                            before=change.before, after=change.after, reason=reason)
        try:
            answer = await writer.write(request.method, request.url, request.body)
            pid = answer.get("id") if change.action == "create" and isinstance(answer, dict) else policy.get("id")
            if not isinstance(pid, str) or not pid:
                raise SourceError("the service answered the create without the new policy's id")
            read = None if request.method == "DELETE" else await writer.read(policy_url(writer.graph_url, pid))
        except SourceError as e:
            after = log.append(action=name, phase="after", target=target, plan=digest, tenant=tenant_id, who=who,
                               result=f"failed: {e}", ref=before["id"])
            out.append(Outcome(change, before["id"], after["id"], f"not written: {e}"))
            continue
        differs = [] if read is None else diff(clean(read), _meant(change))
        failure = ("written, but reading it back differs at " + ", ".join(d.path for d in differs)) if differs else None
        after = log.append(action=name, phase="after", target=Target("conditionalAccessPolicy", pid, change.name),
                           plan=digest, tenant=tenant_id, who=who, result="ok" if not differs else f"failed: {failure}",
                           after=read, ref=before["id"])
        out.append(Outcome(change, before["id"], after["id"], failure))
    return out


def _meant(change: Change) -> dict[str, Any]:
    """What the policy should read back as: the plan's after-state, without what the service sets."""
    after = dict(change.after or {})
    after.pop("id", None)
    return after

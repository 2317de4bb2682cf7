"""Applying a plan: each change no guard refuses is written, between a before and an after record in the audit
log, and read back; a read-back that differs from what was meant is a failure of that change.

The writer is the Graph adapter of the open source (:meth:`ztconsole.sources.graph.GraphReader.write` and
``read``): the same adapter whether the tenant is live, ``ztconsole emulator`` on loopback, or the demo's
emulator in process.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ztconsole.actions.audit import AuditLog, Target
from ztconsole.actions.plan import Change, Plan
from ztconsole.actions.policies import policy_url
from ztconsole.actions.policydiff import clean, diff

__all__ = ["Outcome", "Writer", "apply_plan", "fill"]


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
                     arm: Writer | None = None) -> list[Outcome]:
    """Write every change of ``plan`` that no guard refuses, in order; what each came to. A failed write
    (its mapped :class:`~ztconsole.sources.errors.SourceError`) is recorded and the next change is tried.
    ``writer`` sends Graph's requests, ``arm`` ARM's (a plan with an ARM request needs it)."""
    digest = plan.digest
    out: list[Outcome] = []
    for change in plan.writes:
        if change.policy is not None:
            out.append(await _apply_policy(change, writer, log, digest, tenant_id, reason, who, action(change)))
        else:
            out.append(await _apply_resource(change, {"graph": writer, "arm": arm}, log, digest, tenant_id,
                                             reason, who, action(change)))
    return out


async def _apply_policy(change: Change, writer: Writer, log: AuditLog, digest: str, tenant_id: str,
                        reason: str | None, who: str | None, name: str) -> Outcome:
    from ztconsole.sources.errors import SourceError

    request = change.request
    assert request is not None  # a change that writes has its request
    policy = change.policy or {}
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
        return Outcome(change, before["id"], after["id"], f"not written: {e}")
    differs = [] if read is None else diff(clean(read), _meant(change))
    failure = ("written, but reading it back differs at " + ", ".join(d.path for d in differs)) if differs else None
    after = log.append(action=name, phase="after", target=Target("conditionalAccessPolicy", pid, change.name),
                       plan=digest, tenant=tenant_id, who=who, result="ok" if not differs else f"failed: {failure}",
                       after=read, ref=before["id"])
    return Outcome(change, before["id"], after["id"], failure)


async def _apply_resource(change: Change, writers: dict[str, Writer | None], log: AuditLog, digest: str,
                          tenant_id: str, reason: str | None, who: str | None, name: str) -> Outcome:
    """A resource other than a policy: its requests in order (the follow-ups filled in from the first one's
    answer), then read back from ``change.readback`` for the audit log. Whether the tenant now holds what was
    meant is for the caller to judge by planning again (a step's plan after it is applied writes nothing)."""
    from ztconsole.sources.errors import SourceError

    resource = dict(change.resource or {})
    target = Target(str(resource.get("type") or "resource"), str(resource.get("id") or ""), change.name)
    before = log.append(action=name, phase="before", target=target, plan=digest, tenant=tenant_id, who=who,
                        before=change.before, after=change.after, reason=reason)
    answer: Any = None
    read: Any = None
    sent = 0
    try:
        for n, request in enumerate(change.requests):
            writer = writers.get(request.api)
            if writer is None:
                raise SourceError(f"no {request.api.upper()} connection to send {request.method} {request.url}")
            url, body = (request.url, request.body) if n == 0 else (fill(request.url, answer), fill(request.body,
                                                                                                    answer))
            got = await writer.write(request.method, url, body)
            sent += 1
            if n == 0:
                answer = got
        if change.readback is not None:
            api = change.request.api if change.request is not None else "graph"
            reader = writers.get(api)
            if reader is not None:
                read = await reader.read(fill(change.readback, answer))
    except (SourceError, KeyError) as e:
        why = f"a placeholder the answer did not fill: {e}" if isinstance(e, KeyError) else str(e)
        done = f" after {sent} of {len(change.requests)} requests" if sent else ""
        after = log.append(action=name, phase="after", target=_created(target, change, answer), plan=digest,
                           tenant=tenant_id, who=who, result=f"failed{done}: {why}", ref=before["id"])
        return Outcome(change, before["id"], after["id"], f"not written{done}: {why}")
    after = log.append(action=name, phase="after", target=_created(target, change, answer), plan=digest,
                       tenant=tenant_id, who=who, result="ok", after=read, ref=before["id"])
    return Outcome(change, before["id"], after["id"], None)


_PLACEHOLDER = re.compile(r"\{([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)*)\}")


def fill(value: Any, answer: Any) -> Any:
    """``value`` (a URL, or a JSON body) with each ``{dotted.path}`` replaced by that value of ``answer`` (the
    first request's answer); KeyError naming the path when the answer has no such value."""
    if isinstance(value, str):
        def one(m: re.Match[str]) -> str:
            found: Any = answer
            for part in m.group(1).split("."):
                if not isinstance(found, dict) or part not in found:
                    raise KeyError(m.group(1))
                found = found[part]
            return str(found)
        return _PLACEHOLDER.sub(one, value)
    if isinstance(value, dict):
        return {k: fill(v, answer) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [fill(v, answer) for v in value]
    return value


def _created(target: Target, change: Change, answer: Any) -> Target:
    """The target as the after record names it: a create's new id filled in from the first answer (kept
    unnamed when the answer did not come or lacks it)."""
    if target.id or change.created is None:
        return target
    try:
        return Target(target.type, fill(change.created, answer), target.name)
    except KeyError:
        return target


def _meant(change: Change) -> dict[str, Any]:
    """What the policy should read back as: the plan's after-state, without what the service sets."""
    after = dict(change.after or {})
    after.pop("id", None)
    return after

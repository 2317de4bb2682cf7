"""Applying a rollout step: what ``rollout apply --step N`` and the console's rollout screen share.

A step either writes to the tenant (its plan's requests, through :func:`~ztconsole.actions.apply.apply_plan`:
an audit record before and after each, read back) or records a review in the rollout state (``inventory``,
``bake``, ``decommission``: nothing is sent to the tenant; the review, and any ``--override-bake`` reason,
still goes to the audit log). After a step that writes, the tenant is read again and the step planned again:
anything it would still write is a failure (what was written did not take), so an applied step is a done step.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from ztconsole.actions.audit import AuditLog, Target
from ztconsole.actions.plan import Plan
from ztconsole.actions.policies import READS as POLICY_READS
from ztconsole.wizard import state as wstate
from ztconsole.wizard.context import RolloutContext
from ztconsole.wizard.publish import PUBLISH_READS
from ztconsole.wizard.steps import NETWORK_READS
from ztconsole.wizard.steps import READS as PREFLIGHT_READS

__all__ = ["NOTES", "READ", "RECORDS", "USES", "StepRun", "apply_step", "has_work", "plan_step"]

#: the steps whose apply records a review in the rollout state instead of writing to the tenant
RECORDS = frozenset({"inventory", "bake", "decommission"})
#: the review steps that keep each resource's review by id, under this key of their step data
_REVIEWED = {"bake": "policies", "decommission": "gateways"}

#: the data sets the steps read: the policy guards', the preflight's, the inventory's, Private Access's and the
#: sign-in log (the bake's impact)
USES: tuple[str, ...] = tuple(dict.fromkeys((*POLICY_READS, *PREFLIGHT_READS, *NETWORK_READS, *PUBLISH_READS,
                                             "sign_ins")))
#: read only to say more (the traffic the inventory is narrowed by): never decides an answer
NOTES = (("traffic_logs", "the Global Secure Access traffic is not used to narrow the inventory"),)
READ: tuple[str, ...] = (*USES, *(key for key, _ in NOTES))
"""Every data set a rollout reads (what ``rollout`` loads, and the console's Rollout pane follows)."""


@dataclass(frozen=True, slots=True)
class StepRun:
    """What applying a step came to: each write's outcome, the failures in words, and whether the step was
    noted in the rollout state."""

    outcomes: list[Any] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    noted: bool = False


def plan_step(ctx: RolloutContext, step_id: str) -> Plan:
    from ztconsole.wizard.steps import PLANS

    return PLANS[step_id](ctx)


def has_work(step_id: str, plan: Plan) -> bool:
    """Whether applying ``plan`` would change anything (a write, or a review to record) that no guard refuses."""
    if step_id in RECORDS:
        return any(c.action != "unchanged" and not c.refused for c in plan.changes)
    return bool(plan.writes)


async def apply_step(ctx: RolloutContext, step_id: str, plan: Plan, writers: Mapping[str, Any], log: AuditLog, *,
                     reason: str | None = None, who: str | None = None,
                     reload: Callable[[], Awaitable[Any]] | None = None, state_dir: Any = None) -> StepRun:
    """Apply ``plan`` (step ``step_id``'s, as just shown) and note the step in the rollout state when nothing
    failed. ``writers``: the open source's adapters by API (``graph``, ``arm``); ``reason``: the
    ``--override-bake`` reason (kept in the audit log and the state); ``reload``: reads the tenant again, to
    plan the step once more and confirm it has nothing left to write."""
    if step_id in RECORDS:
        return _record(ctx, step_id, plan, log, reason=reason, who=who, state_dir=state_dir)
    from ztconsole.actions.apply import apply_plan

    outcomes = await apply_plan(plan, writers["graph"], log, tenant_id=ctx.tenant.info.id, reason=reason, who=who,
                                action=lambda c: f"rollout.{step_id}.{c.action}", arm=writers.get("arm"))
    failures = [f"{o.change.name}: {o.failure}" for o in outcomes if o.failure is not None]
    if not failures and reload is not None:
        tenant = await reload()
        again = plan_step(replace(ctx, tenant=tenant), step_id)
        failures = [f"{c.name}: written, but the tenant read back still lacks it" for c in again.writes]
    if failures:
        return StepRun(outcomes, failures, False)
    _note(ctx, step_id, plan, reason, state_dir)
    return StepRun(outcomes, [], True)


def _note(ctx: RolloutContext, step_id: str, plan: Plan, reason: str | None, state_dir: Any,
          data: dict[str, Any] | None = None) -> None:
    def note(state: Any) -> Any:
        changes: dict[str, Any] = {"applied_at": datetime.now(UTC), "plan": plan.digest}
        if reason:
            changes["override_reason"] = reason
        if data is not None:
            changes.update(acknowledged=True, data=data)
        return state.with_step(step_id, **changes)

    wstate.update(ctx.tenant.info.id, note, dir=state_dir)


def _record(ctx: RolloutContext, step_id: str, plan: Plan, log: AuditLog, *, reason: str | None, who: str | None,
            state_dir: Any) -> StepRun:
    """A review step: its changes recorded in the state (refused ones are not), each between audit records."""
    if plan.refused:
        return StepRun([], [f"{c.name}: {v.guard}: {v.reason}" for c in plan.refused for v in c.refused], False)
    data: dict[str, Any]
    if step_id == "inventory":  # the proposal as a whole
        data = {"apps": [dict(c.after or {}) for c in plan.changes]}
    else:  # each reviewed resource by id, added to those reviewed before
        key = _REVIEWED[step_id]
        held = dict(ctx.state.step(step_id).data.get(key) or {})
        held.update({str((c.resource or {}).get("id")): dict(c.after or {}) for c in plan.changes})
        data = {key: held}
    digest = plan.digest
    refs = []
    for c in plan.changes:
        if c.action == "unchanged":
            continue
        res = c.resource or {}
        target = Target(str(res.get("type")), str(res.get("id")), c.name)
        before = log.append(action=f"rollout.{step_id}.record", phase="before", target=target, plan=digest,
                            tenant=ctx.tenant.info.id, who=who, before=c.before, after=c.after, reason=reason)
        refs.append((target, before["id"]))
    _note(ctx, step_id, plan, reason, state_dir, data)
    for target, ref in refs:
        log.append(action=f"rollout.{step_id}.record", phase="after", target=target, plan=digest,
                   tenant=ctx.tenant.info.id, who=who, result="ok", ref=ref)
    return StepRun([], [], True)

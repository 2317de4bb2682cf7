"""Steps 6 and 7 of the rollout: let the rollout's policies bake in report-only, reading what enforcing each
would do to the real sign-ins (``bake``), then switch them on behind the break-glass and bake guards
(``enforce``).

The rollout's policies are the baseline (step 1) and the per-app policies (step 5), found by name. Step 6
writes nothing to the tenant: applying it records in the rollout state that the bake was reviewed (with the
impact read then), and, with ``--override-bake --reason``, that it was cut short and why. Step 7 plans the
switch to ``enabled`` through ``policy plan``'s guards: the bake guard still refuses an unbaked policy there
unless ``--override-bake --reason`` is given to that apply too.
"""

from __future__ import annotations

from typing import Any

from ztconsole.actions.plan import Action, Change, Plan
from ztconsole.wizard.context import BASELINE_POLICY_NAME, RolloutContext, Status, first_line, plan_files, policy_file

__all__ = ["BAKE_REVIEW", "bake", "bake_plan", "enforce", "enforce_plan", "rollout_policies"]

BAKE_REVIEW = "reportOnlyBake"
"""The resource type of step 6's changes (each a policy's bake, recorded in the rollout state)."""
_REPORT_ONLY = "enabledForReportingButNotEnforced"


def rollout_policies(ctx: RolloutContext) -> list[Any]:
    """The baseline policy (if the rollout created it) and the per-app policies, as the tenant holds them."""
    from ztconsole.wizard.publish import protect_policies

    out = [p for p in ctx.tenant.ca_policies if (p.display_name or "") == BASELINE_POLICY_NAME]
    return out + [p for p in protect_policies(ctx) if p not in out]


def _impact(ctx: RolloutContext, policy: Any) -> str:
    """What enforcing ``policy`` would do to the sign-ins of the bake window, in words."""
    from ztconsole.engine.impact import replay
    from ztconsole.model.completeness import incomplete

    if incomplete(ctx.tenant, ("sign_ins",)):
        return "impact unknown (the sign-in log was not read completely)"
    report = replay(ctx.tenant, policy, days=ctx.bake_days, now=ctx.now, ctx=ctx.checks.ca)
    if not report.applies:
        return f"no sign-in of the last {ctx.bake_days} days it applies to"
    return (f"of {report.applies} sign-ins it applies to in {ctx.bake_days} days, {report.blocked} would be blocked "
            f"and {report.challenged} challenged ({len(report.users)} users)")


def bake_plan(ctx: RolloutContext) -> Plan:
    """Step 6's changes: each report-only policy of the rollout, with the bake guard's verdict; applying it
    records the review in the rollout state (nothing is written to the tenant)."""
    from ztconsole.actions.guards import bake as bake_guard

    recorded = ctx.state.step("bake").data.get("policies") or {}
    changes = []
    for p in rollout_policies(ctx):
        if p.state != _REPORT_ONLY:
            continue
        verdict = bake_guard(p, "enabled", now=ctx.now, days=ctx.bake_days, override=ctx.override_bake)
        after = {"policy": p.id, "verdict": verdict.verdict, "reason": verdict.reason, "impact": _impact(ctx, p)}
        before = recorded.get(p.id) if isinstance(recorded, dict) else None
        action: Action = "unchanged" if isinstance(before, dict) and before.get("verdict") == "allow" else (
            "update" if before is not None else "create")
        changes.append(Change(action, diff=[] if action == "unchanged" else [
            {"path": "bake", "before": (before or {}).get("reason") if isinstance(before, dict) else None,
             "after": verdict.reason}, {"path": "impact", "before": None, "after": after["impact"]}],
            guards=[verdict], resource={"type": BAKE_REVIEW, "id": p.id, "name": p.display_name or p.id},
            before=before if isinstance(before, dict) else None, after=after))
    return Plan(tuple(changes))


def bake(ctx: RolloutContext) -> tuple[Status, str]:
    policies = rollout_policies(ctx)
    waiting = [p for p in policies if p.state == _REPORT_ONLY]
    if not waiting:
        return "done", (f"{len(policies)} rollout polic{'ies' if len(policies) != 1 else 'y'} enabled already"
                        if policies else "no rollout policy to bake")
    recorded = ctx.state.step("bake").data.get("policies") or {}
    reviewed = {pid for pid, r in recorded.items() if isinstance(r, dict) and r.get("verdict") == "allow"} \
        if isinstance(recorded, dict) else set()
    plan = bake_plan(ctx)
    unbaked = [c for c in plan.changes if c.refused]
    if all(p.id in reviewed for p in waiting):  # reviewed once baked, or with the override's reason recorded
        reason = ctx.state.step("bake").override_reason
        how = f" (bake cut short: {reason})" if reason else ""
        return "done", (f"{len(waiting)} polic{'ies' if len(waiting) != 1 else 'y'} baked and reviewed{how}: "
                        + "; ".join(f"{c.name}: {c.after['impact']}" for c in plan.changes if c.after))
    if unbaked:
        return "blocked", ("still baking in report-only: " + "; ".join(
            f"{c.name}: {first_line(c.refused[0].reason)}; {(c.after or {}).get('impact')}" for c in unbaked)
            + "; wait, or apply --step 6 --override-bake --reason TEXT")
    return "ready", ("baked: apply records the review of " + "; ".join(
        f"{c.name}: {(c.after or {}).get('impact')}" for c in plan.changes))


def enforce_plan(ctx: RolloutContext) -> Plan:
    """Step 7's writes: each report-only rollout policy switched to ``enabled`` (``policy plan``'s guards: the
    break-glass guard on the enabled policy, the bake guard on the switch)."""
    from ztconsole.actions.policydiff import clean

    files = []
    for p in rollout_policies(ctx):
        if p.state != _REPORT_ONLY:
            continue
        raw = clean(p.to_wire())
        raw["state"] = "enabled"
        files.append(policy_file(raw, "rollout step 7 (enforce)"))
    return plan_files(ctx, files)


def enforce(ctx: RolloutContext) -> tuple[Status, str]:
    policies = rollout_policies(ctx)
    plan = enforce_plan(ctx)
    if plan.refused:
        return "blocked", "; ".join(f"{c.name}: {v.guard}: {first_line(v.reason)}" for c in plan.refused
                                    for v in c.refused)
    if plan.writes:
        return "ready", "apply enables " + ", ".join(c.name for c in plan.writes)
    return "done", (f"{len(policies)} rollout polic{'ies' if len(policies) != 1 else 'y'} enabled: "
                    + ", ".join(p.display_name or p.id for p in policies)) if policies else "no rollout policy"

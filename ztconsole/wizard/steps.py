"""The VPN-to-ZTNA rollout's steps (CONTRACTS §9): each one's status from the tenant as it is now and the rollout
state kept for it (:mod:`ztconsole.wizard.state`), and, for the steps that write, the plan of its writes.

A status is ``done``, ``ready`` (it can be applied now), ``blocked`` (something in the tenant stops it: the
detail says what, and what to do) or ``pending`` (an earlier step is not done yet). Statuses are computed,
never stored: right after a restart, on another machine with the same state file, and after someone changed
the tenant by hand.

Built so far: 0 ``preflight`` (licences, permissions, the emergency access accounts, device compliance;
its writes exclude the emergency access accounts from the enabled policies that lock them out) and
1 ``baseline`` (MFA for all users on all resources; else a new policy for it, report-only, the emergency
access accounts excluded), both through the guards of ``policy apply``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Literal

from ztconsole.actions.plan import Plan
from ztconsole.model.tenant import Tenant
from ztconsole.wizard.state import STEP_IDS, RolloutState

__all__ = ["BASELINE_POLICY_NAME", "PLANS", "PROPOSED_APP", "STEPS", "RolloutContext", "StepInfo", "StepStatus",
           "baseline_plan", "inventory_plan", "inventory_proposal", "preflight_plan", "statuses"]

Status = Literal["done", "ready", "blocked", "pending"]

BASELINE_POLICY_NAME = "ztconsole rollout: require MFA for all users"
"""The display name of the baseline policy step 1 creates (and finds again by it)."""


@dataclass(frozen=True, slots=True)
class StepInfo:
    number: int
    id: str
    title: str


STEPS: tuple[StepInfo, ...] = tuple(StepInfo(n, sid, title) for n, (sid, title) in enumerate(zip(STEP_IDS, (
    "Preflight: licences, permissions, emergency access accounts, device compliance",
    "Baseline: MFA for all users",
    "Inventory: what the VPN reaches, and the traffic that uses it",
    "Apps: per-app Private Access apps with narrow segments",
    "Assign: users and groups per app",
    "Protect: a Conditional Access policy per app, report-only",
    "Bake: days in report-only, and the impact on real sign-ins",
    "Enforce: the policies switched on, behind the guards",
    "Tighten: the NSG rules that still admit the VPN pool",
    "Decommission: what is left on the VPN gateway",
), strict=True)))


@dataclass(frozen=True, slots=True)
class StepStatus:
    step: int
    id: str
    title: str
    status: Status
    detail: str

    def to_json(self) -> dict[str, Any]:
        """As ``rollout status --json`` gives each step (CONTRACTS §9)."""
        return {"step": self.step, "id": self.id, "title": self.title, "status": self.status,
                "detail": self.detail}


@dataclass
class RolloutContext:
    """What the steps read: the tenant (as loaded now), its rollout state, and the run's settings."""

    tenant: Tenant
    state: RolloutState
    now: datetime
    graph_url: str = "https://graph.microsoft.com"
    bake_days: int = 14
    source_args: Sequence[str] = ()
    declared: Sequence[str] = field(default_factory=tuple)  # emergency access accounts from the config
    override_bake: str | None = None  # --override-bake --reason TEXT: the reason, which lifts the bake guard
    flows: Sequence[Any] = ()  # traffic evidence for the inventory (engine.rollout.inventory.Flow)

    @cached_property
    def checks(self) -> Any:
        """The checks' context over the tenant (:class:`~ztconsole.engine.checks.base.CheckContext`)."""
        from ztconsole.engine.checks.base import CheckContext

        return CheckContext(self.tenant, break_glass=self.declared, source_args=self.source_args, now=self.now)

    def outcomes(self, check_id: str) -> list[Any]:
        """Every outcome of one check of the catalogue on the tenant."""
        from ztconsole.engine.checks.registry import BY_ID

        return list(BY_ID[check_id].run(self.checks))


# --- 0 preflight ---------------------------------------------------------------------------------------------

#: service plans the rollout needs, with what each is for
_LICENCES = (("AAD_PREMIUM", "Conditional Access (Microsoft Entra ID P1)"),
             ("Entra_Premium_Private_Access", "Microsoft Entra Private Access"),
             ("INTUNE_A", "device compliance (Microsoft Intune)"))
#: the data sets the rollout reads; one that could not be read blocks it (the permission to grant is named)
READS = ("ca_policies", "named_locations", "users", "groups", "group_members", "role_definitions",
         "role_assignments", "subscribed_skus", "device_compliance", "auth_strengths", "service_principals")
#: the emergency access accounts' health the rollout needs (lock-outs, ZT-BG-005, are what step 0 writes away)
_BREAK_GLASS = ("ZT-BG-001", "ZT-BG-003", "ZT-BG-004")


def preflight(ctx: RolloutContext) -> tuple[Status, str]:
    from ztconsole.datasets import BY_KEY
    from ztconsole.model.completeness import incomplete

    tenant = ctx.tenant
    problems: list[str] = []
    unreadable = incomplete(tenant, READS)
    unread = [m.key for m in unreadable]
    for m in unreadable:
        ds = BY_KEY[m.key]
        grant = f" (grant {ds.permission})" if ds.permission else ""
        problems.append(f"{ds.title} could not be read completely: {m.status}{grant}")
    if "subscribed_skus" not in unread:
        skus = [s for s in tenant.subscribed_skus if s.active]
        missing = [what for plan, what in _LICENCES if not any(s.provides(plan) for s in skus)]
        problems += [f"no active licence for {what}" for what in missing]
    if problems:
        return "blocked", "; ".join(problems)
    for check in _BREAK_GLASS:
        failed = [o for o in ctx.outcomes(check) if o.status in ("fail", "error")]
        problems += [f"{check}: {_first(o.evidence)}" for o in failed]
    if not tenant.device_compliance:
        problems.append("no device compliance policy: a policy requiring a compliant device would block everyone")
    if problems:
        return "blocked", "; ".join(problems)
    plan = preflight_plan(ctx)
    if plan.writes or plan.refused:
        names = ", ".join(c.name for c in plan.changes if c.action != "unchanged")
        if plan.refused:
            return "blocked", f"the emergency access accounts cannot be excluded from {names}: " + "; ".join(
                f"{v.guard}: {_first(v.reason)}" for c in plan.refused for v in c.refused)
        return "ready", (f"enabled policies lock out the emergency access accounts: apply excludes them from {names} "
                         "(ZT-BG-005)")
    accounts = ", ".join(u.user_principal_name or u.id for u in ctx.checks.break_glass_users)
    return "done", (f"licences in place; every data set readable; emergency access accounts healthy ({accounts}); "
                    f"{len(tenant.device_compliance)} device compliance policies")


def preflight_plan(ctx: RolloutContext) -> Plan:
    """The writes of step 0: each enabled policy that locks out an emergency access account gets the locked-out
    accounts in its ``excludeUsers`` (Microsoft's guidance for emergency access accounts)."""
    from ztconsole.actions.policydiff import clean
    from ztconsole.engine.checks.breakglass import locking_policies

    files = []
    by_id = ctx.tenant.ca_policies_by_id
    for pid, accounts in locking_policies(ctx.checks).items():
        raw = clean(by_id[pid].to_wire())
        users = dict((raw.get("conditions") or {}).get("users") or {})
        users["excludeUsers"] = sorted({*(users.get("excludeUsers") or []), *accounts})
        raw["conditions"] = {**(raw.get("conditions") or {}), "users": users}
        files.append(_file(raw, "rollout step 0 (preflight)"))
    return _plan(ctx, files)


def _first(text: str) -> str:
    """A finding's evidence without its reproduction lines, on one line."""
    lines = [line for line in text.splitlines() if not line.startswith("reproduce:")]
    return " ".join(lines)


def _file(raw: dict[str, Any], where: str) -> Any:
    from ztconsole.actions.policyfiles import PolicyFile, parse_policy

    return PolicyFile(file=where, index=0, single=True, raw=raw, policy=parse_policy(raw))


def _plan(ctx: RolloutContext, files: list[Any]) -> Plan:
    from ztconsole.actions.policies import plan_policies

    return plan_policies(ctx.tenant, files, graph_url=ctx.graph_url, now=ctx.now, bake_days=ctx.bake_days,
                         declared=ctx.declared, source_args=ctx.source_args, override_bake=ctx.override_bake)


# --- 1 baseline ----------------------------------------------------------------------------------------------


def baseline(ctx: RolloutContext) -> tuple[Status, str]:
    from ztconsole.engine.checks.ca import mfa_for_all

    found = mfa_for_all(ctx.checks)
    enabled = [p for p in found if p.state == "enabled"]
    if enabled:
        return "done", "MFA for all users on all resources: " + ", ".join(p.display_name or p.id for p in enabled)
    if found:
        return "done", ("MFA for all users on all resources, report-only (enforce it in step 7 once it has baked): "
                        + ", ".join(p.display_name or p.id for p in found))
    plan = baseline_plan(ctx)
    if plan.refused:
        return "blocked", "; ".join(f"{v.guard}: {_first(v.reason)}" for c in plan.refused for v in c.refused)
    return "ready", (f"no policy requires MFA of all users on all resources: apply creates '{BASELINE_POLICY_NAME}' "
                     "report-only, the emergency access accounts excluded")


def baseline_policy(ctx: RolloutContext) -> dict[str, Any]:
    """The baseline policy step 1 proposes, as Graph JSON: all users but the emergency access accounts, all
    resources, every client app, MFA; report-only."""
    accounts = sorted(u.id for u in ctx.checks.break_glass_users)
    return {"displayName": BASELINE_POLICY_NAME, "state": "enabledForReportingButNotEnforced",
            "conditions": {"users": {"includeUsers": ["All"], "excludeUsers": accounts},
                           "applications": {"includeApplications": ["All"]}, "clientAppTypes": ["all"]},
            "grantControls": {"operator": "OR", "builtInControls": ["mfa"]}}


def baseline_plan(ctx: RolloutContext) -> Plan:
    """The writes of step 1: the baseline policy, planned as ``policy plan`` plans a file (matched by name,
    so a second walk finds it and writes nothing)."""
    return _plan(ctx, [_file(baseline_policy(ctx), "rollout step 1 (baseline)")])


# --- 2 inventory ---------------------------------------------------------------------------------------------

#: the network data sets the inventory reads (an unread one leaves what the VPN reaches unknown)
NETWORK_READS = ("vnet_gateways", "virtual_networks", "nsgs", "route_tables")
#: the resource type of a proposed app in step 2's plan (its write is to the rollout state, not the tenant)
PROPOSED_APP = "privateAccessAppProposal"


def inventory(ctx: RolloutContext) -> tuple[Status, str]:
    from ztconsole.engine.rollout.inventory import vpn_reach
    from ztconsole.model.completeness import incomplete

    unread = incomplete(ctx.tenant, NETWORK_READS)
    if unread:
        return "blocked", ("what the VPN reaches cannot be told: " + ", ".join(
            f"{m.key} was not read completely ({m.status})" for m in unread))
    reach = vpn_reach(ctx.tenant)
    if not reach.pools:
        return "done", "no point-to-site VPN client pool on any gateway: nothing is reached through a VPN"
    record = ctx.state.step("inventory")
    apps = record.data.get("apps") if record.acknowledged else None
    if apps:
        when = f" on {record.applied_at:%Y-%m-%d}" if record.applied_at else ""
        return "done", (f"{len(apps)} app{'s' if len(apps) != 1 else ''} proposed from the traffic evidence, "
                        f"recorded{when}: " + ", ".join(str(a.get("name")) for a in apps))
    pools = ", ".join(f"{p.gateway_name} {'/'.join(p.prefixes)}" for p in reach.pools)
    return "ready", (f"the VPN ({pools}) reaches {len(reach.spaces)} address spaces, admitted by "
                     f"{len(reach.admissions)} NSG rules: apply --step 2 with --flows FILE (src,dst,port,proto) or "
                     "--discovery FILE (the Global Secure Access application discovery export) records the apps "
                     "the traffic justifies")


def inventory_proposal(ctx: RolloutContext) -> Any:
    """The apps the traffic evidence justifies (:func:`~ztconsole.engine.rollout.inventory.propose_segments`)."""
    from ztconsole.engine.rollout.inventory import propose_segments, vpn_reach

    return propose_segments(vpn_reach(ctx.tenant), ctx.flows)


def inventory_plan(ctx: RolloutContext) -> Plan:
    """Step 2's plan: one proposed app per destination the evidence justifies (nothing is written to the
    tenant: apply records them in the rollout state, for step 3 to create)."""
    from ztconsole.actions.plan import Change

    if not ctx.flows:
        return Plan(())
    recorded = {str(a.get("destinationHost")): a for a in ctx.state.step("inventory").data.get("apps", [])}
    changes = []
    for app in inventory_proposal(ctx).apps:
        after = app.to_json()
        before = recorded.get(app.destination_host)
        action = "unchanged" if before == after else "update" if before is not None else "create"
        diff = [] if action == "unchanged" else [{"path": "segments", "before": (before or {}).get("segments"),
                                                  "after": after["segments"]}]
        changes.append(Change(action, diff=diff, before=before, after=after,  # type: ignore[arg-type]
                              resource={"type": PROPOSED_APP, "id": app.destination_host, "name": app.name}))
    return Plan(tuple(changes))


# --- every step ----------------------------------------------------------------------------------------------

_EVALUATE = {"preflight": preflight, "baseline": baseline, "inventory": inventory}
PLANS = {"preflight": preflight_plan, "baseline": baseline_plan, "inventory": inventory_plan}
"""The steps that write, and the plan of their writes."""


def statuses(ctx: RolloutContext) -> list[StepStatus]:
    """Every step's status, in order: a step after one that is not done is ``pending``."""
    out: list[StepStatus] = []
    earlier_done = True
    for info in STEPS:
        if not earlier_done:
            before = next(s for s in out if s.status != "done")
            status: Status = "pending"
            detail = f"waits for step {before.step} ({before.id})"
        elif info.id in _EVALUATE:
            status, detail = _EVALUATE[info.id](ctx)
        else:
            status, detail = "blocked", "this step is not available in this version of ztconsole yet"
        out.append(StepStatus(info.number, info.id, info.title, status, detail))
        earlier_done = earlier_done and status == "done"
    return out

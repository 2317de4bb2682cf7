"""The VPN-to-ZTNA rollout's steps (CONTRACTS §9): each one's status from the tenant as it is now and the rollout
state kept for it (:mod:`ztconsole.wizard.state`), and, for the steps that write, the plan of its writes.

A status is ``done``, ``ready`` (it can be applied now), ``blocked`` (something in the tenant stops it: the
detail says what, and what to do) or ``pending`` (an earlier step is not done yet). Statuses are computed,
never stored: right after a restart, on another machine with the same state file, and after someone changed
the tenant by hand.

Here: 0 ``preflight`` (licences, permissions, the emergency access accounts, device compliance; its writes
exclude the emergency access accounts from the enabled policies that lock them out), 1 ``baseline`` (MFA for
all users on all resources; else a new policy for it, report-only, the emergency access accounts excluded),
2 ``inventory`` (what the VPN reaches, narrowed by the traffic). Steps 3 to 5 are in
:mod:`~ztconsole.wizard.publish`, 6 and 7 in :mod:`~ztconsole.wizard.enforce`, 8 and 9 in
:mod:`~ztconsole.wizard.retire`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ztconsole.actions.plan import Plan
from ztconsole.wizard import enforce, publish, retire
from ztconsole.wizard.context import BASELINE_POLICY_NAME, RolloutContext, Status, first_line, plan_files, policy_file
from ztconsole.wizard.state import STEP_IDS

__all__ = ["BASELINE_POLICY_NAME", "PLANS", "PROPOSED_APP", "STEPS", "RolloutContext", "StepInfo", "StepStatus",
           "baseline_plan", "evaluate", "inventory_plan", "inventory_proposal", "preflight_plan", "statuses"]




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


# --- 0 preflight ---------------------------------------------------------------------------------------------

#: the service plans that give what the rollout needs (any one of each), with what it is for
_LICENCES = ((("AAD_PREMIUM", "AAD_PREMIUM_P2"), "Conditional Access (Microsoft Entra ID P1 or P2)"),
             (("Entra_Premium_Private_Access",), "Microsoft Entra Private Access"),
             (("INTUNE_A", "INTUNE_A_VL", "INTUNE_EDU", "INTUNE_SMBIZ"), "device compliance (Microsoft Intune)"))
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
        missing = [what for plans, what in _LICENCES if not any(s.provides(plan) for s in skus for plan in plans)
                   and not (plans[0].startswith("INTUNE") and tenant.device_compliance)]  # policies: Intune is there
        problems += [f"no active licence for {what}" for what in missing]
    if problems:
        return "blocked", "; ".join(problems)
    for check in _BREAK_GLASS:
        failed = [o for o in ctx.outcomes(check) if o.status in ("fail", "error")]
        problems += [f"{check}: {first_line(o.evidence)}" for o in failed]
    if not tenant.device_compliance:
        problems.append("no device compliance policy: a policy requiring a compliant device would block everyone")
    if problems:
        return "blocked", "; ".join(problems)
    plan = preflight_plan(ctx)
    if plan.writes or plan.refused:
        names = ", ".join(c.name for c in plan.changes if c.action != "unchanged")
        if plan.refused:
            return "blocked", f"the emergency access accounts cannot be excluded from {names}: " + "; ".join(
                f"{v.guard}: {first_line(v.reason)}" for c in plan.refused for v in c.refused)
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
        files.append(policy_file(raw, "rollout step 0 (preflight)"))
    return plan_files(ctx, files)


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
        return "blocked", "; ".join(f"{v.guard}: {first_line(v.reason)}" for c in plan.refused for v in c.refused)
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
    """The writes of step 1: none when a policy already requires MFA of all users on all resources; else the
    baseline policy, planned as ``policy plan`` plans a file."""
    from ztconsole.actions.plan import Change
    from ztconsole.engine.checks.ca import mfa_for_all

    found = mfa_for_all(ctx.checks)
    if found:  # done: by the rollout's policy or another; step 7 enforces the rollout's, nothing here reverts it
        return Plan(tuple(Change("unchanged", policy={"id": p.id, "displayName": p.display_name, "file": None})
                          for p in found))
    return plan_files(ctx, [policy_file(baseline_policy(ctx), "rollout step 1 (baseline)")])


# --- 2 inventory ---------------------------------------------------------------------------------------------

#: the network data sets the inventory reads (an unread one leaves what the VPN reaches unknown)
NETWORK_READS = ("vnet_gateways", "virtual_networks", "nsgs", "route_tables")
#: the resource type of a proposed app in step 2's plan (its write is to the rollout state, not the tenant)
PROPOSED_APP = "privateAccessAppProposal"


def inventory(ctx: RolloutContext) -> tuple[Status, str]:
    from ztconsole.model.completeness import incomplete

    unread = incomplete(ctx.tenant, NETWORK_READS)
    if unread:
        return "blocked", ("what the VPN reaches cannot be told: " + ", ".join(
            f"{m.key} was not read completely ({m.status})" for m in unread))
    reach = ctx.reach
    if not reach.pools:
        return "done", "no point-to-site VPN client pool on any gateway: nothing is reached through a VPN"
    record = ctx.state.step("inventory")
    apps = record.data.get("apps") if record.acknowledged else None
    if apps:
        when = f" on {record.applied_at:%Y-%m-%d}" if record.applied_at else ""
        return "done", (f"{len(apps)} app{'s' if len(apps) != 1 else ''} proposed from the traffic evidence, "
                        f"recorded{when}: " + ", ".join(str(a.get("name")) for a in apps))
    pools = ", ".join(f"{p.gateway_name} {'/'.join(p.prefixes)}" for p in reach.pools)
    reached = (f"the VPN ({pools}) reaches {len(reach.spaces)} address spaces, admitted by "
               f"{len(reach.admissions)} NSG rules")
    if ctx.evidence:
        proposal = inventory_proposal(ctx)
        if proposal.apps:
            return "ready", (f"{reached}: apply records the {len(proposal.apps)} app"
                             f"{'s' if len(proposal.apps) != 1 else ''} the traffic justifies ("
                             + ", ".join(a.name for a in proposal.apps) + ")" + _proposal_notes(proposal))
        return "blocked", (f"{reached}, but none of the {len(ctx.evidence)} flows of the traffic evidence goes "
                           "there through it: give the flows the VPN carries (--flows FILE or --discovery FILE)")
    return "ready", (f"{reached}: apply --step 2 with --flows FILE (src,dst,port,proto) or --discovery FILE (the "
                     "Global Secure Access application discovery export) records the apps the traffic justifies; "
                     "the Global Secure Access traffic log has no Private Access traffic to use")


def _proposal_notes(proposal: Any) -> str:
    """What the admin should weigh before recording the proposal: breadth, overlaps, flows it leaves out."""
    notes = [f"{b.app}: {b.reason}" for b in proposal.breadth]
    notes += [f"{' and '.join(o.apps)} share {', '.join(o.addresses)}" for o in proposal.overlaps]
    if proposal.outside:
        notes.append(f"{len(proposal.outside)} flow(s) do not go through the VPN (left out)")
    if proposal.unplaced:
        names = sorted({f.dst_fqdn for f in proposal.unplaced if f.dst_fqdn})
        notes.append(f"{len(proposal.unplaced)} flow(s) name only an FQDN no flow gives an address for, so whether "
                     f"the VPN reaches it is unknown ({', '.join(names[:5])}{', ...' if len(names) > 5 else ''})")
    unused = len(proposal.unused_admissions)
    if unused:
        notes.append(f"{unused} NSG admission(s) of the pool carry none of this traffic (step 8 and 9 show them)")
    return ("; note: " + "; ".join(notes)) if notes else ""


def inventory_proposal(ctx: RolloutContext) -> Any:
    """The apps the traffic evidence justifies (:func:`~ztconsole.engine.rollout.inventory.propose_segments`)."""
    from ztconsole.engine.rollout.inventory import propose_segments

    return propose_segments(ctx.reach, ctx.evidence)


def _core(app: Any) -> Any:
    """What identifies a proposed app: its host and its segments (not the evidence's counts and the NSG rules
    that admitted it then, which change as the rollout goes on)."""
    if not isinstance(app, dict):
        return None
    return (app.get("name"), app.get("destinationHost"), app.get("destinationType"), sorted(
        (str(s.get("destinationHost")), str(s.get("destinationType")), tuple(s.get("ports") or ()),
         str(s.get("protocol"))) for s in app.get("segments") or () if isinstance(s, dict)))


def inventory_plan(ctx: RolloutContext) -> Plan:
    """Step 2's plan: one proposed app per destination the evidence justifies (nothing is written to the
    tenant: apply records them in the rollout state, for step 3 to create)."""
    from ztconsole.actions.plan import Change

    if not ctx.evidence:
        return Plan(())
    recorded = {str(a.get("destinationHost")): a for a in ctx.state.step("inventory").data.get("apps", [])}
    changes = []
    for app in inventory_proposal(ctx).apps:
        after = app.to_json()
        before = recorded.get(app.destination_host)
        action = "unchanged" if _core(before) == _core(after) else "update" if before is not None else "create"
        diff = [] if action == "unchanged" else [{"path": "segments", "before": (before or {}).get("segments"),
                                                  "after": after["segments"]}]
        changes.append(Change(action, diff=diff, before=before, after=after,  # type: ignore[arg-type]
                              resource={"type": PROPOSED_APP, "id": app.destination_host, "name": app.name}))
    return Plan(tuple(changes))


# --- every step ----------------------------------------------------------------------------------------------

_EVALUATE = {"preflight": preflight, "baseline": baseline, "inventory": inventory, "apps": publish.apps,
             "assign": publish.assign, "protect": publish.protect, "bake": enforce.bake, "enforce": enforce.enforce,
             "tighten": retire.tighten, "decommission": retire.decommission}
PLANS = {"preflight": preflight_plan, "baseline": baseline_plan, "inventory": inventory_plan,
         "apps": publish.apps_plan, "assign": publish.assign_plan, "protect": publish.protect_plan,
         "bake": enforce.bake_plan, "enforce": enforce.enforce_plan, "tighten": retire.tighten_plan,
         "decommission": retire.decommission_plan}
"""Each step's planning function (step id -> function of the context)."""


def evaluate(ctx: RolloutContext, step_id: str) -> tuple[Status, str]:
    """One step's status and detail as if every earlier step were done (what :func:`statuses` asks of it)."""
    return _EVALUATE[step_id](ctx)


def statuses(ctx: RolloutContext) -> list[StepStatus]:
    """Every step's status, in order: a step after one that is not done is ``pending``."""
    out: list[StepStatus] = []
    earlier_done = True
    for info in STEPS:
        if not earlier_done:
            before = next(s for s in out if s.status != "done")
            status: Status = "pending"
            detail = f"waits for step {before.step} ({before.id})"
        else:
            status, detail = evaluate(ctx, info.id)
        out.append(StepStatus(info.number, info.id, info.title, status, detail))
        earlier_done = earlier_done and status == "done"
    return out

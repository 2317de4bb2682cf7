"""Steps 8 and 9 of the rollout: close the network paths the VPN still has to what Private Access now publishes
(``tighten``), then review what is left on the VPN gateway and whether anything still uses it
(``decommission``).

Step 8 reads the NSGs as ZT-NET-010 does (:func:`~ztconsole.engine.checks.network.pool_reach`): for each NSG
that still admits the point-to-site pool to a published destination, it adds an inbound ``Deny`` for the pool
to exactly those destinations and ports, at the free priority just above (numerically below) the first rule
that admits it, so the VPN-era allow rules (and ``AllowVnetInBound``) no longer apply to the pool there while
every other source keeps its access. A rule's name is derived from what it denies, so re-planning after an
interrupted apply finds the rules already written. Step 9 writes nothing to the tenant: applying it records
the review in the rollout state.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ztconsole.actions.guards import Verdict
from ztconsole.actions.plan import Action, Change, Plan, Request
from ztconsole.wizard.context import RolloutContext, Status, first_line

__all__ = ["DENY_PREFIX", "GATEWAY_REVIEW", "NSG_RULE", "decommission", "decommission_plan", "tighten",
           "tighten_plan"]

NSG_RULE = "networkSecurityRule"
GATEWAY_REVIEW = "vpnGatewayReview"
DENY_PREFIX = "ztconsole-deny-vpn-pool-"
_ARM_VERSION = "2024-05-01"
_LOWEST, _HIGHEST = 100, 4096  # the priorities a custom NSG rule can have


def _free_priority(used: set[int], below: int) -> int | None:
    """The highest priority number under ``below`` that no rule of the same direction has (None: none left)."""
    for p in range(min(below - 1, _HIGHEST), _LOWEST - 1, -1):
        if p not in used:
            return p
    return None


def _rule_body(rule: Any, priority: int) -> dict[str, Any]:
    """A security rule's PUT body as written, at another priority (read-only properties left out)."""
    raw = rule.to_wire()
    props = {k: v for k, v in dict(raw.get("properties") or {}).items() if k != "provisioningState"}
    props["priority"] = priority
    return {"properties": props}


def tighten_plan(ctx: RolloutContext) -> Plan:
    """Step 8's writes: one inbound Deny per NSG, protocol and port set, for the VPN pool to the published
    destinations it still reaches there."""
    from ztconsole.engine.checks.network import pool_reach

    report = pool_reach(ctx.checks)
    if report.skip is not None or report.error is not None:
        return Plan(())
    pool = report.pool.cidrs()
    arm = ctx.arm_url.rstrip("/")
    changes: list[Change] = []
    for reach in report.nsgs:
        if not reach.hits:
            continue
        nsg = reach.nsg
        written = {r.name: r for r in nsg.security_rules if (r.direction or "").casefold() == "inbound"}
        used = {r.priority for r in written.values() if r.priority is not None}
        at = {name: r.priority for name, r in written.items() if r.priority is not None}  # as the plan leaves them
        # (protocol, ports) -> destinations, the custom rules admitting them, and the findings
        groups: dict[tuple[str, str], tuple[Any, set[str], list[str]]] = {}
        for hit in reach.hits:
            key = (hit.protocol.upper(), str(hit.ports))
            dest, rules, why = groups.get(key, (None, set(), []))
            dest = hit.destinations if dest is None else dest | hit.destinations
            if not hit.rule.default and hit.rule.name in at:
                rules.add(hit.rule.name)
            groups[key] = (dest, rules, [*why, hit.text])
        for (proto, ports), (dest, rules, why) in sorted(groups.items()):
            first = min((at[r] for r in rules), default=_HIGHEST + 1)
            cidrs = dest.cidrs()
            digest = hashlib.sha256(f"{proto}|{ports}|{','.join(cidrs)}|{','.join(pool)}".encode()).hexdigest()[:10]
            name = f"{DENY_PREFIX}{digest}"
            priority = _free_priority(used, first)
            moves: list[Request] = []
            moved_from: dict[str, Any] | None = None
            blocker = next((r for r in rules if at[r] == first), None)
            if priority is None and blocker is not None and first + 1 <= _HIGHEST and first + 1 not in used:
                # no room above the rule: it moves down one (a free number: the order of every other rule is
                # kept) and the Deny takes its place
                moved = _rule_body(written[blocker], first + 1)
                moved_from = {"moved": {"name": blocker, "priority": first, "url": f"{arm}{nsg.id}/securityRules/"
                                        f"{blocker}?api-version={_ARM_VERSION}", "body": _rule_body(written[blocker],
                                                                                                    first)}}
                moves.append(Request("PUT", f"{arm}{nsg.id}/securityRules/{blocker}?api-version={_ARM_VERSION}",
                                     moved, api="arm"))
                why = [*why, f"rule {blocker!r} moves from priority {first} to {first + 1} to make room"]
                at[blocker] = first + 1
                used.add(first + 1)
                priority = first
            body = {"properties": {
                "description": "ztconsole rollout step 8: the VPN client pool is retired for destinations Private "
                               "Access publishes",
                "protocol": proto.capitalize(), "sourceAddressPrefixes": pool, "sourcePortRange": "*",
                "destinationAddressPrefixes": cidrs,
                **({"destinationPortRange": "*"} if ports == "*" else {"destinationPortRanges": ports.split(",")}),
                "access": "Deny",
                "priority": priority, "direction": "Inbound"}}
            url = f"{arm}{nsg.id}/securityRules/{name}?api-version={_ARM_VERSION}"
            if priority is None:
                guard = Verdict("nsg-priority", "refuse", f"no free priority under {first} in {nsg.name}: move the "
                                "rules that admit the pool, or delete them by hand")
            else:
                guard = Verdict("nsg-priority", "allow", f"priority {priority}, before the first rule that admits "
                                "the pool" + (f" (priority {first})" if first <= _HIGHEST else " (AllowVnetInBound)"))
                used.add(priority)
            requests = [*moves, Request("PUT", url, body, api="arm")]
            changes.append(Change(
                "create", diff=[{"path": f"securityRules.{name}", "before": None, "after": body["properties"]},
                                *({"path": "closes", "before": None, "after": w} for w in why)],
                guards=[guard], resource={"type": NSG_RULE, "id": f"{nsg.id}/securityRules/{name}",
                                          "name": f"{nsg.name}/{name}"},
                before=moved_from, after=body, request=requests[0], then=tuple(requests[1:]), readback=url))
    return Plan(tuple(changes))


def tighten(ctx: RolloutContext) -> tuple[Status, str]:
    from ztconsole.engine.checks.network import pool_reach

    report = pool_reach(ctx.checks)
    if report.error is not None:
        return "blocked", report.error
    if report.skip is not None:
        return "done", f"nothing to tighten: {report.skip}"
    plan = tighten_plan(ctx)
    if plan.refused:
        return "blocked", "; ".join(f"{c.name}: {first_line(v.reason)}" for c in plan.refused for v in c.refused)
    if plan.writes:
        nsgs = sorted({c.name.split("/", 1)[0] for c in plan.writes})
        return "ready", (f"the VPN pool {report.pool} still reaches published destinations through "
                         f"{len(nsgs)} NSG{'s' if len(nsgs) != 1 else ''} ({', '.join(nsgs)}): apply adds "
                         f"{len(plan.writes)} inbound Deny rule{'s' if len(plan.writes) != 1 else ''} for the pool")
    unreadable = [r.nsg.name or r.nsg.id for r in report.nsgs if r.problem is not None]
    if unreadable:
        return "blocked", f"the rules of {', '.join(unreadable)} could not be read"
    return "done", (f"no NSG admits the VPN pool {report.pool} to a destination Private Access publishes "
                    f"({len(report.nsgs)} NSGs read)")


# --- 9 decommission ----------------------------------------------------------------------------------------


def _review(ctx: RolloutContext) -> list[tuple[Any, dict[str, Any]]]:
    """Per gateway with a point-to-site pool: what it still reaches (NSG admissions and open subnets to
    destinations no app publishes) and the traffic evidence that still goes there."""
    from ztconsole.engine.rollout.inventory import propose_segments

    reach = ctx.reach
    evidence = ctx.evidence
    proposal = propose_segments(reach, evidence) if evidence else None
    published = {(a.get("destinationHost") or "").casefold() for a in ctx.proposed}
    out = []
    for pool in reach.pools:
        still = sorted({f"{a.nsg_name}: {a.rule_name} ({a.protocol} {a.port_text} to {a.destinations})"
                        for a in reach.admissions})
        open_subnets = sorted(f"{o.vnet_name}/{o.name}" for o in reach.open_subnets)
        used = sorted({app.name for app in (proposal.apps if proposal is not None else ())
                       if app.destination_host.casefold() not in published})
        out.append((pool, {"gateway": pool.gateway_name, "pool": list(pool.prefixes), "admittedBy": still,
                           "openSubnets": open_subnets, "unpublishedTraffic": used, "evidence": len(evidence)}))
    return out


def decommission_plan(ctx: RolloutContext) -> Plan:
    """Step 9's changes: the review of each gateway, recorded in the rollout state (nothing is written to the
    tenant: retiring a gateway is the admin's decision, on what this shows)."""
    recorded = ctx.state.step("decommission").data.get("gateways") or {}
    changes = []
    for pool, review in _review(ctx):
        before = recorded.get(pool.gateway_id) if isinstance(recorded, dict) else None
        action: Action = "unchanged" if before == review else "update" if before is not None else "create"
        diff = [] if action == "unchanged" else [{"path": k, "before": (before or {}).get(k), "after": v}
                                                 for k, v in review.items() if (before or {}).get(k) != v]
        changes.append(Change(action, diff=diff, resource={"type": GATEWAY_REVIEW, "id": pool.gateway_id,
                                                           "name": pool.gateway_name},
                              before=before, after=review))
    return Plan(tuple(changes))


def decommission(ctx: RolloutContext) -> tuple[Status, str]:
    reviews = _review(ctx)
    if not reviews:
        return "done", "no point-to-site VPN pool is left on any gateway"
    plan = decommission_plan(ctx)
    words = []
    for _pool, r in reviews:
        left = []
        if r["admittedBy"]:
            left.append(f"{len(r['admittedBy'])} NSG rules still admit the pool")
        if r["openSubnets"]:
            left.append(f"subnets with no NSG: {', '.join(r['openSubnets'])}")
        if r["unpublishedTraffic"]:
            left.append(f"traffic still goes to {', '.join(r['unpublishedTraffic'])}")
        elif not r["evidence"]:
            left.append("no traffic evidence (the Global Secure Access traffic log, --flows, --discovery): whether "
                        "anything still uses it cannot be told")
        words.append(f"{r['gateway']} ({'/'.join(r['pool'])}): " + ("; ".join(left) if left else
                                                                     "nothing else uses it: it can be retired"))
    if any(c.action != "unchanged" for c in plan.changes):
        return "ready", "apply records the review: " + " | ".join(words)
    return "done", "reviewed: " + " | ".join(words)

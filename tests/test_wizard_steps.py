"""The rollout's steps 0 (preflight) and 1 (baseline): statuses from the tenant as it is, and the plans of their
writes through the guards of ``policy apply`` (CONTRACTS §9)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from ztconsole.actions.policyfiles import parse_policy
from ztconsole.demo import demo_dir
from ztconsole.model.tenant import Tenant
from ztconsole.tenantdir import load_tenant
from ztconsole.wizard.state import fresh
from ztconsole.wizard.steps import (
    BASELINE_POLICY_NAME,
    STEPS,
    RolloutContext,
    baseline_plan,
    preflight_plan,
    statuses,
)

DEMO = load_tenant(demo_dir())
BG_IDS = sorted(u.id for u in DEMO.break_glass_users())


def context(tenant: Tenant) -> RolloutContext:
    return RolloutContext(tenant, fresh(tenant.info.id), now=tenant.info.captured_at or DEMO.info.captured_at)


def with_items(tenant: Tenant, key: str, items: tuple[Any, ...], status: str = "ok") -> Tenant:
    result = replace(tenant.results[key], value=items, count=len(items), status=status)  # type: ignore[arg-type]
    return Tenant(tenant.info, {**tenant.results, key: result})


def applied(tenant: Tenant, plan: Any) -> Tenant:
    """The tenant as the plan's writes leave it (each change's after-state, through the model)."""
    policies = {p.id: p for p in tenant.ca_policies}
    for change in plan.writes:
        after = dict(change.after)
        after.setdefault("id", f"created-{len(policies)}")
        policies[after["id"]] = parse_policy(after)
    return with_items(tenant, "ca_policies", tuple(policies.values()))


def status_of(tenant: Tenant) -> dict[str, tuple[str, str]]:
    return {s.id: (s.status, s.detail) for s in statuses(context(tenant))}


def test_the_ten_steps_in_order_with_the_contracts_ids() -> None:
    assert [s.id for s in STEPS] == ["preflight", "baseline", "inventory", "apps", "assign", "protect", "bake",
                                     "enforce", "tighten", "decommission"]
    assert [s.number for s in STEPS] == list(range(10))
    doc = statuses(context(DEMO))[0].to_json()
    assert set(doc) == {"step", "id", "title", "status", "detail"}


def test_preflight_on_the_demo_excludes_the_locked_out_emergency_account_and_then_is_done() -> None:
    found = status_of(DEMO)
    assert found["preflight"][0] == "ready" and "CA001" in found["preflight"][1]
    assert all(status == "pending" for status, _ in list(found.values())[1:])  # nothing before it is done
    plan = preflight_plan(context(DEMO))
    (change,) = plan.writes
    assert change.action == "update" and change.request is not None and change.request.method == "PATCH"
    (d,) = change.diff
    assert d["path"] == "conditions.users.excludeUsers" and set(d["after"]) - set(d["before"]) <= set(BG_IDS)
    assert {v.guard: v.verdict for v in change.guards}["break-glass"] == "allow"
    fixed = applied(DEMO, plan)
    after = status_of(fixed)
    assert after["preflight"][0] == "done", after["preflight"]
    assert after["baseline"][0] == "ready"  # the demo's MFA policy leaves out groups: no MFA for all users
    assert after["inventory"][0] == "pending"
    assert not preflight_plan(context(fixed)).writes  # a second walk writes nothing


def test_baseline_creates_a_report_only_mfa_policy_excluding_the_emergency_accounts_once() -> None:
    fixed = applied(DEMO, preflight_plan(context(DEMO)))
    plan = baseline_plan(context(fixed))
    (change,) = plan.writes
    assert change.action == "create" and change.request is not None
    body = change.request.body or {}
    assert body["displayName"] == BASELINE_POLICY_NAME and body["state"] == "enabledForReportingButNotEnforced"
    assert sorted(body["conditions"]["users"]["excludeUsers"]) == BG_IDS
    assert body["grantControls"]["builtInControls"] == ["mfa"]
    done = applied(fixed, plan)
    status, detail = status_of(done)["baseline"]
    assert status == "done" and "report-only" in detail and BASELINE_POLICY_NAME in detail
    again = baseline_plan(context(done))
    assert [c.action for c in again.changes] == ["unchanged"]  # found by its name: nothing written twice


@pytest.mark.parametrize(("plan_names", "what"), [(("AAD_PREMIUM", "AAD_PREMIUM_P2"), "Conditional Access"),
                                                   (("Entra_Premium_Private_Access",), "Private Access"),
                                                   (("INTUNE_A",), "Intune")])
def test_preflight_is_blocked_by_a_missing_licence(plan_names: tuple[str, ...], what: str) -> None:
    skus = tuple(replace(s, service_plans=tuple(p for p in s.service_plans if p.service_plan_name not in plan_names))
                 for s in DEMO.subscribed_skus)
    tenant = with_items(DEMO, "subscribed_skus", skus)
    if what == "Intune":  # compliance policies would show Intune is there whatever the licences list
        tenant = with_items(tenant, "device_compliance", ())
    status, detail = status_of(tenant)["preflight"]
    assert status == "blocked" and what in detail


def test_preflight_is_blocked_by_a_data_set_it_could_not_read_naming_the_permission() -> None:
    status, detail = status_of(with_items(DEMO, "device_compliance", (), status="forbidden"))["preflight"]
    assert status == "blocked" and "DeviceManagementConfiguration.Read.All" in detail


def test_preflight_is_blocked_without_device_compliance_or_healthy_emergency_accounts() -> None:
    status, detail = status_of(with_items(DEMO, "device_compliance", ()))["preflight"]
    assert status == "blocked" and "device compliance" in detail
    users = tuple(replace(u, account_enabled=False) if u.id in BG_IDS else u for u in DEMO.users)
    status, detail = status_of(with_items(DEMO, "users", users))["preflight"]
    assert status == "blocked" and "ZT-BG-003" in detail


def test_an_enabled_mfa_for_all_policy_makes_the_baseline_done() -> None:
    fixed = applied(DEMO, preflight_plan(context(DEMO)))
    plan = baseline_plan(context(fixed))
    enabled = replace(plan, changes=tuple(replace(c, after={**(c.after or {}), "state": "enabled"})
                                          for c in plan.changes))
    status, detail = status_of(applied(fixed, enabled))["baseline"]
    assert status == "done" and "report-only" not in detail



def test_inventory_is_blocked_while_the_network_is_unread_and_done_without_a_vpn() -> None:
    from ztconsole.wizard.steps import inventory

    ctx = context(with_items(DEMO, "nsgs", (), status="forbidden"))
    status, detail = inventory(ctx)
    assert status == "blocked" and "nsgs" in detail
    no_gateways = DEMO.results["vnet_gateways"]
    empty = Tenant(DEMO.info, {**DEMO.results, "vnet_gateways": replace(no_gateways, value={}, count=0)})
    status, detail = inventory(context(empty))
    assert status == "done" and "no point-to-site" in detail
    status, detail = inventory(context(DEMO))  # the demo's traffic log is the evidence
    assert status == "ready" and "172.16.201.0/24" in detail and "the traffic justifies" in detail
    assert "sql-prd.corp.contoso.com" in detail
    assert "flow(s) do not go through the VPN (left out)" in detail  # the file servers on premises
    status, detail = inventory(context(with_items(DEMO, "traffic_logs", ())))
    assert status == "ready" and "--flows" in detail  # no traffic to narrow it by: the admin gives some


def test_the_inventory_plan_proposes_the_used_destinations_and_records_nothing_twice() -> None:
    from ztconsole.engine.rollout.inventory import parse_flow_csv
    from ztconsole.wizard.steps import inventory, inventory_plan

    flows = parse_flow_csv("src,dst,port,proto\n172.16.201.9,10.3.1.4,3389,tcp\n", "f.csv").flows
    ctx = replace(context(with_items(DEMO, "traffic_logs", ())), flows=flows)
    (change,) = inventory_plan(ctx).changes
    assert change.action == "create" and change.resource == {"type": "privateAccessAppProposal", "id": "10.3.1.4",
                                                              "name": change.resource["name"]}
    assert not inventory_plan(ctx).writes  # nothing for the tenant: step 3 creates the apps
    recorded = ctx.state.with_step("inventory", acknowledged=True, data={"apps": [change.after]})
    again = replace(ctx, state=recorded)
    assert [c.action for c in inventory_plan(again).changes] == ["unchanged"]
    assert inventory(again)[0] == "done"


def _sku(part: str, *plans: str) -> Any:
    from ztconsole.model.directory import SubscribedSku

    return SubscribedSku.from_wire({
        "id": f"sku-{part}", "skuPartNumber": part, "capabilityStatus": "Enabled",
        "servicePlans": [{"servicePlanName": p, "provisioningStatus": "Success"} for p in plans]})


def test_the_preflight_takes_any_plan_that_gives_what_the_rollout_needs() -> None:
    from ztconsole.wizard.steps import preflight

    p2_only = with_items(DEMO, "subscribed_skus", (_sku("AAD_PREMIUM_P2", "AAD_PREMIUM_P2"),
                                                   _sku("Microsoft_Entra_Suite", "Entra_Premium_Private_Access")))
    status, detail = preflight(context(p2_only))
    assert "Conditional Access" not in detail and "Private Access" not in detail, detail
    # no Intune plan listed, but device compliance policies are there: Intune is
    assert "device compliance (Microsoft Intune)" not in detail
    nothing = with_items(with_items(p2_only, "device_compliance", ()), "subscribed_skus",
                         (_sku("AAD_PREMIUM_P2", "AAD_PREMIUM_P2"),))
    status, detail = preflight(context(nothing))
    assert status == "blocked" and "no active licence for Microsoft Entra Private Access" in detail
    assert "no active licence for device compliance (Microsoft Intune)" in detail


def test_decommission_does_not_call_a_gateway_unused_without_traffic_evidence() -> None:
    from ztconsole.wizard.retire import decommission

    status, detail = decommission(context(with_items(DEMO, "traffic_logs", ())))
    assert status == "ready" and "whether anything still uses it cannot be told" in detail
    status, detail = decommission(context(DEMO))  # the demo's traffic log is the evidence
    assert "cannot be told" not in detail and "vgw-hub-weu" in detail


def test_a_new_app_goes_to_the_connector_group_that_serves_its_network() -> None:
    from ztconsole.wizard.publish import apps_plan

    proposal = {"name": "10.3.1.11/32", "destinationHost": "10.3.1.11", "destinationType": "ipAddress",
                "addresses": ["10.3.1.11"], "segments": [{"destinationHost": "10.3.1.11",
                                                          "destinationType": "ipAddress", "ports": ["1433"],
                                                          "protocol": "tcp"}]}
    ctx = context(DEMO)
    ctx = replace(ctx, state=ctx.state.with_step("inventory", acknowledged=True, data={"apps": [proposal]}))

    def group(plan: Any) -> str:
        (change,) = plan.changes
        return next(d["after"] for d in change.diff if d["path"] == "connectorGroup")

    # the data spoke's apps (SQL Data Platform) are served from Azure, not from the Amsterdam datacenter
    assert group(apps_plan(ctx)) == "CG-Azure-WestEurope"
    assert group(apps_plan(replace(ctx, connector_group="CG-Datacenter-Amsterdam"))) == "CG-Datacenter-Amsterdam"
    refused = replace(ctx, connector_group="CG-Branch-London")  # one active connector of two
    assert not apps_plan(refused).changes

"""The Conditional Access rule book (ztconsole.engine.ca.conditions): for every condition kind the full face
(the decision and its reasons, what ``whatif`` says) decides as the fast face (the boolean gaps, impact and
the compiled evaluator ask), and the bulk forms (SidesIndex bitmasks, location keys) as the single ones.

Differential and property-based, on the random tenants, policies and sign-ins of :mod:`tenants`
(derandomized: the same examples on every run); then the corners by hand."""

from __future__ import annotations

import ipaddress
from typing import Any

from hypothesis import HealthCheck, given, settings

from tenants import (
    DEVICES,
    ENUMERATED_TENANTS,
    EXO,
    HOME_TENANT,
    PAYROLL,
    make_scenario,
    random_cases,
    uid,
    universe_tenant,
)
from ztconsole.engine.ca.conditions import (
    UNREGISTERED,
    PolicyConditions,
    SidesIndex,
    app_keys,
    conditions_of,
    device_facts,
    guest_terms,
    location_state,
    place_of,
    target_keys,
    user_keys,
)
from ztconsole.engine.ca.context import IpTable
from ztconsole.engine.whatif import Context, Scenario, evaluate
from ztconsole.model.ca import (
    LOCATION_ALL,
    LOCATION_ALL_TRUSTED,
    LOCATION_COMPLIANT_NETWORK,
    LOCATION_MFA_TRUSTED_IPS,
    ConditionalAccessGuestsOrExternalUsers,
    ConditionalAccessPolicy,
)

Case = tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]


def fast_applies(policy: ConditionalAccessPolicy, scenario: Scenario, ctx: Context) -> bool:
    """Whether ``policy`` applies to ``scenario``, by the fast faces alone."""
    if policy.state not in ("enabled", "enabledForReportingButNotEnforced") or policy.conditions is None:
        return False
    rules = conditions_of(policy.conditions)
    return (rules.workload is None and rules.users.holds(user_keys(ctx.user(scenario.user_id)))
            and rules.target.holds(target_keys(scenario, ctx)) and rules.client_apps.holds(scenario.client_app)
            and rules.platforms.holds(scenario.platform)
            and rules.locations.holds(place_of(scenario.ip, scenario.country, scenario.compliant_network, ctx))
            and rules.sign_in_risk.holds(scenario.sign_in_risk) and rules.user_risk.holds(scenario.user_risk)
            and rules.insider_risk.holds(scenario.insider_risk)
            and rules.devices.holds(device_facts(scenario.device)) and rules.auth_flows.holds(scenario.auth_flow))


def faces_agree(rules: PolicyConditions, scenario: Scenario, ctx: Context) -> None:
    """Each condition's full face decides as its fast face."""
    user = ctx.user(scenario.user_id)
    keys, target = user_keys(user), target_keys(scenario, ctx)
    place = place_of(scenario.ip, scenario.country, scenario.compliant_network, ctx)
    pairs = {
        "users": (rules.users.explain(user, keys, ctx), rules.users.holds(keys)),
        "target": (rules.target.explain(scenario, target, ctx), rules.target.holds(target)),
        "client apps": (rules.client_apps.explain(scenario.client_app), rules.client_apps.holds(scenario.client_app)),
        "platforms": (rules.platforms.explain(scenario.platform), rules.platforms.holds(scenario.platform)),
        "locations": (rules.locations.explain(place, scenario, ctx), rules.locations.holds(place)),
        "sign-in risk": (rules.sign_in_risk.explain(scenario.sign_in_risk),
                         rules.sign_in_risk.holds(scenario.sign_in_risk)),
        "user risk": (rules.user_risk.explain(scenario.user_risk), rules.user_risk.holds(scenario.user_risk)),
        "insider risk": (rules.insider_risk.explain(scenario.insider_risk),
                         rules.insider_risk.holds(scenario.insider_risk)),
        "devices": (rules.devices.explain(scenario.device), rules.devices.holds(device_facts(scenario.device))),
        "flows": (rules.auth_flows.explain(scenario.auth_flow), rules.auth_flows.holds(scenario.auth_flow)),
    }
    for kind, ((full, reasons), fast) in pairs.items():
        assert full is fast, (kind, scenario, reasons)
        assert all(isinstance(r, str) and r for r in reasons), (kind, reasons)


@settings(max_examples=150, derandomize=True, database=None, deadline=None, print_blob=False,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
@given(random_cases(24))
def test_full_and_fast_faces_agree(case: Case) -> None:
    tenant_w, policies_w, scenarios_w = case
    tenant = universe_tenant(tenant_w, policies_w)
    ctx = Context.from_tenant(tenant, mfa_trusted_ips=tenant_w["mfa_trusted_ips"])
    policies = list(tenant.ca_policies)
    read = [(bit, conditions_of(p.conditions)) for bit, p in enumerate(policies) if p.conditions is not None]
    users, targets, locations = SidesIndex(3), SidesIndex(), SidesIndex()
    for bit, rules in read:
        users.add(1 << bit, rules.users.sides)
        targets.add(1 << bit, rules.target.sides)
        locations.add(1 << bit, rules.locations.sides)
    tokens = {t for _, r in read for t in (*r.locations.include, *r.locations.exclude)} | set(ctx.locations)
    for scenario in map(make_scenario, scenarios_w):
        for _, rules in read:
            faces_agree(rules, scenario, ctx)
        for policy in policies:
            assert evaluate(policy, scenario, ctx).applies is fast_applies(policy, scenario, ctx), (scenario, policy)
        # the bulk forms: one lookup per key answers every policy as its own Sides.holds
        keys, target = user_keys(ctx.user(scenario.user_id)), target_keys(scenario, ctx)
        place = place_of(scenario.ip, scenario.country, scenario.compliant_network, ctx)
        for index, asked, holds in ((users, keys, [r.users.holds(keys) for _, r in read]),
                                    (targets, target, [r.target.holds(target) for _, r in read]),
                                    (locations, (place.keys,), [r.locations.holds(place) for _, r in read])):
            assert index.mask(asked) == sum(1 << bit for (bit, _), ok in zip(read, holds) if ok), scenario
        for token in tokens | {LOCATION_ALL, LOCATION_ALL_TRUSTED, LOCATION_MFA_TRUSTED_IPS}:
            state = location_state(token, place, ctx)
            assert (state is True) is (token in place.keys), (token, scenario)
            assert state is not None or scenario.ip is None or scenario.country is None, (token, scenario)


# --- by hand ---------------------------------------------------------------------------------------------------


def test_ip_table_regions_and_lookup() -> None:
    nets = [(ipaddress.ip_network("10.0.0.0/8"), "a"), (ipaddress.ip_network("10.1.0.0/16"), "b"),
            (ipaddress.ip_network("255.255.255.0/24"), "c"), (ipaddress.ip_network("2001:db8::/32"), "a")]
    table = IpTable(nets)
    assert table.lookup(ipaddress.ip_address("10.1.2.3")) == {"a", "b"}
    assert table.lookup(ipaddress.ip_address("10.2.0.0")) == {"a"}
    assert table.lookup(ipaddress.ip_address("11.0.0.0")) == frozenset()
    assert table.lookup(ipaddress.ip_address("255.255.255.255")) == {"c"}
    assert table.lookup(ipaddress.ip_address("2001:db8::1")) == {"a"}
    regions = list(table.regions(4))
    assert [labels for _, _, labels in regions] == [frozenset(), {"a"}, {"a", "b"}, {"a"}, frozenset(), {"c"}]
    assert regions[0][0] == 0 and regions[-1][1] == 2 ** 32
    assert all(hi == lo for (_, hi, _), (lo, _, _) in zip(regions, regions[1:]))


def test_unusable_device_filter_matches_no_device() -> None:
    def devices(mode: str, rule: str) -> PolicyConditions:
        return conditions_of(ConditionalAccessPolicy.from_wire(
            {"id": "p", "conditions": {"devices": {"deviceFilter": {"mode": mode, "rule": rule}}}}).conditions)

    for mode, applies in (("include", False), ("exclude", True)):
        rules = devices(mode, "device.isCompliant == True").devices
        assert rules.holds(UNREGISTERED) is applies and rules.holds(device_facts(DEVICES[1])) is applies
        ok, reasons = rules.explain(None)
        assert ok is applies and reasons[0].startswith("error: the device filter cannot be evaluated")
    sideways = devices("sideways", "device.isCompliant -eq True").devices
    assert not sideways.holds(device_facts(DEVICES[1]))
    assert "neither 'include' nor 'exclude'" in sideways.explain(None)[1][0]


def test_app_keys_aliases_stand_for_an_app_no_policy_names() -> None:
    ctx = Context()
    assert app_keys("All", ctx) == (frozenset({("all",)}),)
    assert app_keys("Office365", ctx) == (frozenset({("all",), ("appGroup", "Office365")}),)
    # the Office 365 portal is in both app groups
    portal = app_keys("00000006-0000-0ff1-ce00-000000000000", ctx)[0]
    assert {("appGroup", "Office365"), ("appGroup", "MicrosoftAdminPortals")} <= portal
    assert app_keys(PAYROLL, ctx) == (frozenset({("all",), ("app", PAYROLL)}),)
    assert ("appGroup", "Office365") in app_keys(EXO, ctx)[0]


def test_compliant_network_without_its_location_recorded() -> None:
    ctx = Context.from_tenant(universe_tenant({"users": [], "members": {}, "assignments": [], "eligibility": [],
                                               "locations": []}))
    through = place_of(None, None, True, ctx)
    assert LOCATION_COMPLIANT_NETWORK in through.keys and LOCATION_ALL_TRUSTED not in through.keys
    assert location_state(LOCATION_COMPLIANT_NETWORK, place_of(None, None, False, ctx), ctx) is False
    assert location_state(uid(299), through, ctx) is False  # a deleted location: never in it


def test_guest_terms_enumerated_tenants() -> None:
    """A local guest has no other tenant: an enumerated tenant list names it by its type alone."""
    def terms(tenants: dict[str, Any] | None) -> frozenset[Any]:
        wire: dict[str, Any] = {"guestOrExternalUserTypes": "internalGuest,b2bCollaborationGuest"}
        if tenants is not None:
            wire["externalTenants"] = tenants
        return guest_terms(ConditionalAccessGuestsOrExternalUsers.from_wire(wire))

    assert terms(ENUMERATED_TENANTS) == {("guest", "internalGuest"), ("guest", "b2bCollaborationGuest", HOME_TENANT)}
    assert terms({"membershipKind": "all"}) == terms(None) == {("guest", "internalGuest"),
                                                              ("guest", "b2bCollaborationGuest")}

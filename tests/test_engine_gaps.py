"""Coverage gaps (ztconsole.engine.gaps): classes found with the right users, apps, client apps, platforms and
locations; nested groups, guests, emergency access accounts, report-only mode; every example confirmed by
the reference evaluator; the classes agree with the evaluator on every sign-in (hypothesis); the large
generated tenant in well under 3 s."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenants import make_tenant as tenant_of
from tenants import member, policy_json, uid
from ztconsole.engine import ca_catalog
from ztconsole.engine import gaps as gaps_module
from ztconsole.engine.ca.scenario import CLIENT_APPS, PLATFORMS
from ztconsole.engine.gaps import (
    covers,
    find_gaps,
    is_strong,
    policy_covers,
    summary_covers,
)
from ztconsole.engine.whatif import Context, Scenario, what_if
from ztconsole.model.ca import ConditionalAccessPolicy
from ztconsole.model.tenant import Tenant

# --- a small tenant ---------------------------------------------------------------------------------------------

ANN, BOB, SVC, NESTED, GUEST, ADMIN, BG, BG2, OFF = (uid(i) for i in range(1, 10))
G_EXCL, G_INNER, G_BG, G_STAFF = (uid(100 + i) for i in range(4))
HQ, BRANCH, OPERATING, BLOCKED = (uid(200 + i) for i in range(4))
COMPLIANT_NET = "3d46dbda-8382-466a-856d-eb00cbc6b910"
GA = "62e90394-69f5-4237-9190-012177145e10"
EXO = "00000002-0000-0ff1-ce00-000000000000"
PAYROLL = "5a5a5a5a-0000-4000-8000-00000000aaaa"
WIKI = "5a5a5a5a-0000-4000-8000-00000000bbbb"
AZURE_PORTAL = "c44b4083-3bb0-49c1-b47d-974e53cbdf3c"

USERS = [
    {"id": ANN, "displayName": "Ann Member", "userPrincipalName": "ann@contoso.com", "userType": "Member"},
    {"id": BOB, "displayName": "Bob Member", "userPrincipalName": "bob@contoso.com", "userType": "Member"},
    {"id": SVC, "displayName": "svc-backup", "userPrincipalName": "svc-backup@contoso.com", "userType": "Member"},
    {"id": NESTED, "displayName": "Nina Nested", "userPrincipalName": "nina@contoso.com", "userType": "Member"},
    {"id": GUEST, "displayName": "Gus Guest", "userType": "Guest",
     "userPrincipalName": "gus_fabrikam.com#EXT#@contoso.onmicrosoft.com"},
    {"id": ADMIN, "displayName": "Ada Admin", "userPrincipalName": "ada@contoso.com", "userType": "Member"},
    {"id": BG, "displayName": "Emergency 01", "userPrincipalName": "bg-01@contoso.onmicrosoft.com",
     "userType": "Member"},
    {"id": BG2, "displayName": "Emergency 02", "userPrincipalName": "bg-02@contoso.onmicrosoft.com",
     "userType": "Member"},
    {"id": OFF, "displayName": "Olaf Off", "userPrincipalName": "olaf@contoso.com", "userType": "Member",
     "accountEnabled": False},
]
GROUPS = [
    {"id": G_EXCL, "displayName": "SG-CA-Exclusions"},
    {"id": G_INNER, "displayName": "SG-Legacy-Apps"},
    {"id": G_BG, "displayName": "SG-Emergency"},
    {"id": G_STAFF, "displayName": "SG-Staff"},
]
MEMBERS = {
    G_EXCL: [member(G_INNER, "group"), member(SVC)],
    G_INNER: [member(NESTED)],  # Nina is excluded only through the nested group
    G_BG: [member(BG)],
    G_STAFF: [member(ANN), member(BOB), member(ADMIN)],
}
LOCATIONS = [
    {"@odata.type": "#microsoft.graph.ipNamedLocation", "id": HQ, "displayName": "HQ", "isTrusted": True,
     "ipRanges": [{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "203.0.113.0/24"}]},
    {"@odata.type": "#microsoft.graph.ipNamedLocation", "id": BRANCH, "displayName": "Branch", "isTrusted": False,
     "ipRanges": [{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "198.51.100.0/24"}]},
    {"@odata.type": "#microsoft.graph.countryNamedLocation", "id": OPERATING, "displayName": "Operating",
     "countriesAndRegions": ["NL", "DE"], "includeUnknownCountriesAndRegions": False},
    {"@odata.type": "#microsoft.graph.countryNamedLocation", "id": BLOCKED, "displayName": "Blocked",
     "countriesAndRegions": ["KP", "RU"], "includeUnknownCountriesAndRegions": True},
    {"@odata.type": "#microsoft.graph.compliantNetworkNamedLocation", "id": COMPLIANT_NET,
     "displayName": "All Compliant Network locations", "isTrusted": False},
]
SPS = [
    {"id": "sp-exo", "appId": EXO, "displayName": "Office 365 Exchange Online"},
    {"id": "sp-payroll", "appId": PAYROLL, "displayName": "Payroll"},
    {"id": "sp-wiki", "appId": WIKI, "displayName": "Wiki"},
]


def pol(pid: str, *, strength: str | None = None, **kw: Any) -> dict[str, Any]:
    """A policy (:func:`tenants.policy_json`), demanding the authentication strength ``strength`` too."""
    wire = policy_json(pid, **kw)
    if strength and "grantControls" in wire:
        wire["grantControls"]["authenticationStrength"] = {"id": strength}
    return wire


def make_tenant(policies: list[dict[str, Any]], *, break_glass: tuple[str, ...] = ("bg-01@contoso.onmicrosoft.com",),
                users: list[dict[str, Any]] | None = None) -> Tenant:
    return tenant_of(users=users or USERS, groups=GROUPS, members=MEMBERS,
                     roles=[{"id": GA, "displayName": "Global Administrator", "templateId": GA}],
                     assignments=[{"id": "a1", "principalId": ADMIN, "roleDefinitionId": GA, "directoryScopeId": "/"}],
                     locations=LOCATIONS, sps=SPS, policies=policies, tenant_id=uid(999), break_glass=break_glass)


EXCL = {"includeUsers": ["All"], "excludeGroups": [G_EXCL, G_BG]}


def confirm_all(tenant: Tenant, report: Any) -> None:
    """Every example is uncovered by the reference evaluator, and lies in its own gap."""
    ctx = Context.from_tenant(tenant)
    ro = report.mode == "with-report-only"
    for gap in report.gaps:
        assert gap.confirmed, gap.text
        result = what_if(tenant.ca_policies, gap.example.scenario(), ctx)
        assert not covers(result, include_report_only=ro), gap.text
        assert report.locate(gap.example.scenario()) is gap
        assert gap.example.user in gap.user_ids


# --- what counts as covered -------------------------------------------------------------------------------------


def test_strong_requirements() -> None:
    assert is_strong([("mfa",)])
    assert is_strong([("compliantDevice",), ("authenticationStrength:x",)])
    assert is_strong([("authenticationStrength:x", "mfa")])
    assert not is_strong([("compliantDevice", "mfa")])  # a compliant device gets in without MFA
    assert not is_strong([("termsOfUse:t",)])
    assert not is_strong([])
    assert policy_covers(ConditionalAccessPolicy.from_wire(pol("b", grant=("OR", ["block"]))))
    assert not policy_covers(ConditionalAccessPolicy.from_wire(pol("c", grant=("OR", ["compliantDevice", "mfa"]))))
    assert policy_covers(ConditionalAccessPolicy.from_wire(pol("d", grant=("AND", ["compliantDevice", "mfa"]))))
    assert policy_covers(ConditionalAccessPolicy.from_wire(pol("s", grant=("OR", []), strength="x")))
    assert not policy_covers(ConditionalAccessPolicy.from_wire(pol("n", grant=None)))
    assert summary_covers({"summary": {"decision": "block", "requirements": []}})
    assert not summary_covers({"summary": {"decision": "controls", "requirements": [["compliantDevice", "mfa"]]}})


# --- classes ------------------------------------------------------------------------------------------------------


def test_no_policy_everyone_everywhere() -> None:
    tenant = make_tenant([])
    report = find_gaps(tenant)
    assert report.mode == "enforced"
    assert len(report.gaps) == 1
    gap = report.gaps[0]
    assert (gap.application, gap.client_app_type, gap.platform, gap.location) == (
        "any app", "all client apps", "any platform", "any location")
    assert "in the scope of no policy" in gap.users
    assert set(gap.user_ids) == {ANN, BOB, SVC, NESTED, GUEST, ADMIN, BG2}  # not bg-01, not the disabled Olaf
    confirm_all(tenant, report)


def test_excluded_group_with_nested_member_is_the_gap() -> None:
    tenant = make_tenant([pol("mfa", users=EXCL)])
    report = find_gaps(tenant)
    assert len(report.gaps) == 1
    gap = report.gaps[0]
    assert set(gap.user_ids) == {SVC, NESTED}  # Nina only through SG-Legacy-Apps inside SG-CA-Exclusions
    assert "excluded as members of 'SG-CA-Exclusions'" in gap.users and "Policy mfa" in gap.users
    assert gap.users.startswith("members ")
    assert (gap.application, gap.client_app_type, gap.platform, gap.location) == (
        "any app", "all client apps", "any platform", "any location")
    ex = gap.example.to_json()
    assert set(ex) == {"user", "app", "clientApp", "platform", "ip"}
    assert ex["user"] in (SVC, NESTED) and ex["clientApp"] == "browser"
    confirm_all(tenant, report)


def test_legacy_block_narrows_client_apps_and_country_block_the_location() -> None:
    tenant = make_tenant([
        pol("mfa", users=EXCL),
        pol("legacy", grant=("OR", ["block"]), clientAppTypes=["exchangeActiveSync", "other"]),
        pol("countries", grant=("OR", ["block"]), locations={"includeLocations": [BLOCKED]}),
    ])
    report = find_gaps(tenant)
    assert len(report.gaps) == 1
    gap = report.gaps[0]
    assert gap.client_app_type == "browser, mobileAppsAndDesktopClients"
    assert gap.location.startswith("in any country except KP, RU ('Blocked')")
    assert "no country/region" in gap.location  # Blocked includes unknown countries
    confirm_all(tenant, report)


def test_guest_class_apps_and_trusted_location() -> None:
    guests = {"includeGuestsOrExternalUsers": {"guestOrExternalUserTypes": "b2bCollaborationGuest",
                                               "externalTenants": {"membershipKind": "all"}}}
    tenant = make_tenant([
        pol("members", users={"includeUsers": ["All"], "excludeGroups": [G_BG],
                              "excludeGuestsOrExternalUsers": guests["includeGuestsOrExternalUsers"]}),
        pol("guests-o365", users=guests, apps={"includeApplications": ["Office365"]},
            locations={"includeLocations": ["All"], "excludeLocations": ["AllTrusted"]}),
    ])
    report = find_gaps(tenant)
    texts = [g.text for g in report.gaps]
    assert all(g.user_ids == (GUEST,) for g in report.gaps), texts
    assert all(g.users.startswith("guests (b2bCollaborationGuest)") for g in report.gaps)
    assert "excluded as guests or external users from Policy members" in report.gaps[0].users
    other = [g for g in report.gaps if g.application.startswith("any app other than")]
    assert len(other) == 1 and other[0].application == "any app other than the Office 365 apps"
    assert other[0].location == "any location"
    o365 = [g for g in report.gaps if g.application == "the Office 365 apps"]
    assert len(o365) == 1 and o365[0].location == "from 'HQ' (trusted)"
    assert o365[0].example.ip is not None and o365[0].example.ip.startswith("203.0.113.")
    assert o365[0].example.app in ca_catalog.APP_GROUPS["Office365"]
    confirm_all(tenant, report)


def test_platforms_and_untrusted_ips() -> None:
    tenant = make_tenant([
        pol("mobile", users={"includeUsers": [ANN]}, platforms={"includePlatforms": ["android", "iOS"]}),
        pol("outside", users={"includeUsers": [ANN]},
            locations={"includeLocations": ["All"], "excludeLocations": ["AllTrusted"]}),
    ], break_glass=())
    report = find_gaps(tenant)
    ann = [g for g in report.gaps if g.user_ids == (ANN,)]
    assert len(ann) == 1
    assert ann[0].platform == "any platform except android, iOS"
    assert ann[0].location == "from 'HQ' (trusted)"
    confirm_all(tenant, report)


def test_compliant_network_gap_example_replays_through_the_command_line() -> None:
    tenant = make_tenant([pol("outside-gsa", users={"includeUsers": [ANN]},
                              locations={"includeLocations": ["All"], "excludeLocations": [COMPLIANT_NET]})],
                         break_glass=())
    report = find_gaps(tenant)
    ann = [g for g in report.gaps if g.user_ids == (ANN,)]
    assert len(ann) == 1 and "compliant network" in ann[0].location
    example = ann[0].example
    assert example.compliant_network and example.to_json()["compliantNetwork"] is True
    assert example.argv()[-1] == "--compliant-network"
    confirm_all(tenant, report)


def test_mfa_or_compliant_device_is_no_cover_and_risk_policies_do_not_count() -> None:
    tenant = make_tenant([
        pol("either", grant=("OR", ["mfa", "compliantDevice"])),
        pol("risky", signInRiskLevels=["high"]),
        pol("codeflow", grant=("OR", ["block"]), authenticationFlows={"transferMethods": "deviceCodeFlow"}),
        pol("nodevice", devices={"deviceFilter": {"mode": "include", "rule": 'device.isCompliant -eq True'}}),
    ], break_glass=())
    report = find_gaps(tenant)
    assert report.policies == ()
    assert len(report.gaps) == 1 and report.gaps[0].application == "any app"
    confirm_all(tenant, report)


def test_report_only_mode() -> None:
    policies = [pol("mfa", users=EXCL),
                pol("excluded-mfa", state="enabledForReportingButNotEnforced",
                    users={"includeGroups": [G_EXCL]}, apps={"includeApplications": ["All"],
                                                             "excludeApplications": [PAYROLL]})]
    tenant = make_tenant(policies)
    enforced = find_gaps(tenant)
    assert len(enforced.gaps) == 1 and enforced.gaps[0].application == "any app"
    with_ro = find_gaps(tenant, include_report_only=True)
    assert with_ro.mode == "with-report-only"
    assert with_ro.to_json()["mode"] == "with-report-only"
    assert [g.application for g in with_ro.gaps] == ["Payroll"]
    assert with_ro.gaps[0].example.app == PAYROLL
    confirm_all(tenant, enforced)
    confirm_all(tenant, with_ro)
    # a disabled policy never counts
    off = make_tenant([pol("mfa", users=EXCL), pol("x", state="disabled", users={"includeGroups": [G_EXCL]})])
    assert find_gaps(off, include_report_only=True).gaps[0].application == "any app"


def test_break_glass_reported_apart_never_a_gap() -> None:
    tenant = make_tenant([pol("mfa", users={"includeUsers": ["All"], "excludeUsers": [BG, BG2]})])
    report = find_gaps(tenant)
    # bg-02 is not declared: excluding it is a gap; bg-01 is declared: listed apart
    assert [g.user_ids for g in report.gaps] == [(BG2,)]
    assert [a.id for a in report.emergency_accounts] == [BG]
    declared = find_gaps(tenant, break_glass=["bg-02@contoso.onmicrosoft.com"])
    assert declared.gaps == ()
    assert [a.user_principal_name for a in declared.emergency_accounts] == [
        "bg-01@contoso.onmicrosoft.com", "bg-02@contoso.onmicrosoft.com"]
    assert declared.to_json() == {"mode": "enforced", "gaps": []}
    assert report.disabled_users == 1


def test_user_actions_and_workload_policies_are_not_app_coverage() -> None:
    tenant = make_tenant([
        pol("register", apps={"includeUserActions": ["urn:user:registersecurityinfo"]}),
        pol("workload", clientApplications={"includeServicePrincipals": ["ServicePrincipalsInMyTenant"]}),
        pol("exo", apps={"includeApplications": [EXO]}),
    ], break_glass=())
    report = find_gaps(tenant)
    assert [p for p in report.policies] == ["exo"]
    assert len(report.gaps) == 1
    assert report.gaps[0].application == "any app other than Office 365 Exchange Online"
    confirm_all(tenant, report)


def test_json_shape() -> None:
    tenant = make_tenant([pol("mfa", users=EXCL)])
    doc = find_gaps(tenant).to_json()
    assert set(doc) == {"mode", "gaps"}
    for g in doc["gaps"]:
        assert set(g) == {"users", "application", "clientAppType", "platform", "location", "example"}
        assert {"user", "app", "clientApp", "platform", "ip"} <= set(g["example"])


# --- the classes agree with the evaluator -----------------------------------------------------------------------

USER_CHOICES = [
    {"includeUsers": ["All"]},
    {"includeUsers": ["All"], "excludeGroups": [G_EXCL]},
    {"includeUsers": ["All"], "excludeUsers": ["GuestsOrExternalUsers"]},
    {"includeGroups": [G_STAFF], "excludeUsers": [BOB]},
    {"includeGroups": [G_EXCL]},
    {"includeRoles": [GA]},
    {"includeUsers": [ANN, SVC]},
    {"includeGuestsOrExternalUsers": {"guestOrExternalUserTypes": "b2bCollaborationGuest,internalGuest",
                                      "externalTenants": {"membershipKind": "all"}}},
    {"includeUsers": ["None"]},
]
APP_CHOICES = [
    {"includeApplications": ["All"]},
    {"includeApplications": ["Office365"]},
    {"includeApplications": [EXO, PAYROLL]},
    {"includeApplications": ["All"], "excludeApplications": [PAYROLL]},
    {"includeApplications": ["All"], "excludeApplications": ["Office365"]},
    {"includeApplications": ["MicrosoftAdminPortals"]},
]
CLIENT_CHOICES = [["all"], [], ["browser"], ["exchangeActiveSync", "other"], ["mobileAppsAndDesktopClients"],
                  ["easSupported"]]
PLATFORM_CHOICES = [None, {"includePlatforms": ["windows"]}, {"includePlatforms": ["all"],
                                                                 "excludePlatforms": ["iOS", "android"]},
                    {"includePlatforms": ["android", "iOS"]}, {"includePlatforms": ["all"]}]
LOCATION_CHOICES = [None, {"includeLocations": ["All"], "excludeLocations": ["AllTrusted"]},
                    {"includeLocations": [HQ]}, {"includeLocations": [BLOCKED]},
                    {"includeLocations": ["All"], "excludeLocations": [OPERATING]},
                    {"includeLocations": ["All"], "excludeLocations": [COMPLIANT_NET]},
                    {"includeLocations": [BRANCH, OPERATING]},
                    {"includeLocations": ["AllTrusted"], "excludeLocations": [BRANCH]}]
GRANT_CHOICES = [("OR", ["mfa"]), ("OR", ["block"]), ("OR", ["mfa", "compliantDevice"]),
                 ("AND", ["mfa", "compliantDevice"]), ("OR", ["compliantDevice"])]
STATES = ["enabled", "enabled", "enabledForReportingButNotEnforced", "disabled"]

policy_strategy = st.builds(
    lambda s, u, a, c, p, loc, g, risk: (s, u, a, c, p, loc, g, risk),
    st.sampled_from(STATES), st.sampled_from(USER_CHOICES), st.sampled_from(APP_CHOICES),
    st.sampled_from(CLIENT_CHOICES), st.sampled_from(PLATFORM_CHOICES), st.sampled_from(LOCATION_CHOICES),
    st.sampled_from(GRANT_CHOICES), st.sampled_from([None, None, None, ["high"], ["none", "low"]]))

SCENARIO_USERS = [ANN, BOB, SVC, NESTED, GUEST, ADMIN]
SCENARIO_APPS = [EXO, PAYROLL, WIKI, AZURE_PORTAL, "797f4846-ba00-4fd7-ba43-dac1f8f63013",
                 "1fec8e78-bce4-4aaf-ab1b-5451cc387264", "All"]
SCENARIO_LOCATIONS = [(None, None, False), ("203.0.113.9", None, False), ("198.51.100.7", None, False),
                      ("192.0.2.77", None, False), ("192.0.2.77", "KP", False), ("192.0.2.77", "NL", False),
                      ("203.0.113.9", "RU", False), (None, "ZZ", False), ("192.0.2.77", "US", False),
                      (None, None, True)]


def _wire(i: int, spec: tuple) -> dict[str, Any]:
    state, users, apps, clients, platforms, locations, grant, risk = spec
    cond: dict[str, Any] = {}
    if platforms is not None:
        cond["platforms"] = platforms
    if locations is not None:
        cond["locations"] = locations
    if risk is not None:
        cond["signInRiskLevels"] = risk
    out = pol(f"p{i}", state=state, users=users, apps=apps, grant=grant, **cond)
    out["conditions"]["clientAppTypes"] = clients
    return out


def _agree(tenant: Tenant, points: list[Scenario]) -> None:
    ctx = Context.from_tenant(tenant)
    for ro in (False, True):
        report = find_gaps(tenant, include_report_only=ro, ctx=ctx)
        confirm_all(tenant, report)
        for sc in points:
            uncovered = not covers(what_if(tenant.ca_policies, sc, ctx), include_report_only=ro)
            assert (report.locate(sc) is not None) == uncovered, (ro, sc, [g.text for g in report.gaps])


def _all_points() -> list[Scenario]:
    return [Scenario(user_id=u, app=a, client_app=c, platform=p, ip=ip, country=cc, compliant_network=cn)
            for u in SCENARIO_USERS for a in SCENARIO_APPS for c in CLIENT_APPS for p in (*PLATFORMS, None)
            for ip, cc, cn in SCENARIO_LOCATIONS]


ALL_POINTS = _all_points()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(policy_strategy, min_size=1, max_size=5), st.randoms(use_true_random=False))
def test_classes_agree_with_the_evaluator(specs: list[tuple], rnd: random.Random) -> None:
    tenant = make_tenant([_wire(i, s) for i, s in enumerate(specs)])
    _agree(tenant, rnd.sample(ALL_POINTS, 120))


def _one_by_one(masks: list[list[int]]) -> tuple[gaps_module.Row, ...]:
    """The search as it was first written: each value of each dimension tried on its own (the order of the
    rows and of the values in each row included), the yardstick of the split the solver makes."""
    memo: dict[tuple[int, int], tuple[gaps_module.Row, ...]] = {}
    full = tuple(frozenset(range(len(m))) for m in masks)

    def solve(level: int, live: int) -> tuple[gaps_module.Row, ...]:
        if live == 0:
            return (full[level:],)
        if level == len(masks):
            return ()
        if (level, live) not in memo:
            by_sub: dict[gaps_module.Row, set[int]] = {}
            for v, mask in enumerate(masks[level]):
                for row in solve(level + 1, live & mask):
                    by_sub.setdefault(row, set()).add(v)
            memo[level, live] = gaps_module._coalesce([(frozenset(vs),) + r for r, vs in by_sub.items()])
        return memo[level, live]

    return solve(0, (1 << 12) - 1)


def _random_mask(rnd: random.Random, policies: int, dense: float) -> int:
    """Some of the first ``policies`` bits (each with probability ``dense``), and now and then bit 11."""
    return sum(1 << b for b in range(policies) if rnd.random() < dense) | rnd.choice([0, 1 << 11])


@pytest.mark.parametrize("split", ["by bits", "by masks", "as it chooses"])
def test_the_solver_splits_as_one_value_at_a_time(split: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Taking values with the same live policies together (by their masks, or by the few live bits that tell
    them apart) gives the rows of trying every value on its own: the same rows, in the same order, with the
    values of each in the same order (so the gaps' texts and examples cannot change)."""
    if split != "as it chooses":
        monkeypatch.setattr(gaps_module, "_split_by_bits", lambda bits, masks: split == "by bits")
    rnd = random.Random(11)
    for _ in range(150):
        policies, dense = rnd.randint(1, 12), rnd.random()
        masks = [[_random_mask(rnd, policies, dense) for _ in range(rnd.randint(1, n))] for n in (40, 30, 4, 7, 20)]
        want = _one_by_one(masks)
        got = gaps_module._Solver(masks).solve(0, (1 << 12) - 1)
        assert got == want
        assert [[list(values) for values in row] for row in got] == [[list(values) for values in row]
                                                                     for row in want]


def test_demo_classes_agree_with_the_evaluator(demo_tenant: Tenant) -> None:
    ctx = Context.from_tenant(demo_tenant)
    users = [u.id for u in demo_tenant.users][:60]
    apps = sorted({sp.app_id.lower() for sp in demo_tenant.service_principals if sp.app_id})
    rnd = random.Random(7)
    points = []
    for _ in range(400):
        ip, cc = rnd.choice([(None, None), ("203.0.113.5", "NL"), ("20.101.12.34", None), ("192.0.2.10", "RU"),
                             ("84.241.198.10", "NL"), ("192.0.2.10", None), (None, "US")])
        points.append(Scenario(user_id=rnd.choice(users), app=rnd.choice(apps), client_app=rnd.choice(CLIENT_APPS),
                               platform=rnd.choice((*PLATFORMS, None)), ip=ip, country=cc))
    skip = {u.id for u in demo_tenant.users if u.account_enabled is False} | {
        f.id for f in ctx.users.values() if f.break_glass}
    for ro in (False, True):
        report = find_gaps(demo_tenant, include_report_only=ro, ctx=ctx)
        confirm_all(demo_tenant, report)
        for sc in points:
            found = report.locate(sc)
            if sc.user_id in skip:
                assert found is None
                continue
            uncovered = not covers(what_if(demo_tenant.ca_policies, sc, ctx), include_report_only=ro)
            assert (found is not None) == uncovered, (ro, sc)


# --- the demo and the large tenant ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_tenant() -> Tenant:
    from ztconsole.demo import demo_dir
    from ztconsole.tenantdir.reader import load_tenant

    return load_tenant(demo_dir())


def test_demo_gaps_are_the_ones_it_was_built_with(demo_tenant: Tenant) -> None:
    """ztconsole/demo/contoso.py, ZT-CA-010: guests (excluded from CA001, CA009 covers only Office 365) and
    the members of SG-Service-Accounts (excluded from CA001)."""
    report = find_gaps(demo_tenant)
    upns = {u.id: u.user_principal_name for u in demo_tenant.users}
    assert len(report.gaps) == 2
    guests, gap = report.gaps
    assert guests.users.startswith("guests (b2bCollaborationGuest) excluded as guests or external users from CA001-")
    assert sorted(upns[u].split("_")[0] for u in guests.user_ids) == [
        "lena.fischer", "mark.chen", "omar.haddad", "ravi.kumar", "sofia.costa"]
    assert guests.application.startswith("any app other than the Office 365 apps, Azure Portal")
    assert sorted(upns[u] for u in gap.user_ids) == [
        "svc-backup@contoso.com", "svc-scanner@contoso.com", "svc-spo-migration@contoso.com"]
    assert "'SG-Service-Accounts'" in gap.users
    assert gap.application == "any app other than the Microsoft Admin Portals apps"
    assert gap.client_app_type == "browser, mobileAppsAndDesktopClients"  # CA002 blocks legacy clients
    assert "Blocked countries" in gap.location  # CA005
    assert [a.user_principal_name for a in report.emergency_accounts] == [
        "bg-admin-01@contoso.onmicrosoft.com", "bg-admin-02@contoso.onmicrosoft.com"]
    confirm_all(demo_tenant, report)


def large_dir(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The large generated tenant (20,000 users, 200 policies, 100,000 sign-ins), written once per session."""
    from ztconsole.demo.synthetic import generate

    out = tmp_path_factory.getbasetemp() / "large-tenant-seed-1"
    if not (out / "tenant.toml").exists():
        generate(out, "large", seed=1, force=True)
    return out


@pytest.fixture(scope="module")
def large_tenant(tmp_path_factory: pytest.TempPathFactory) -> Tenant:
    from ztconsole.tenantdir.reader import load_tenant

    keys = ["ca_policies", "named_locations", "users", "groups", "group_members", "user_member_of",
            "role_definitions", "role_assignments", "role_eligibility", "service_principals"]
    return load_tenant(large_dir(tmp_path_factory), keys=keys)


@pytest.mark.slow
def test_large_tenant_gaps_are_confirmed(large_tenant: Tenant) -> None:
    """The large generated tenant (its time is benchmarks/bench_ca.py's to measure, never a test's)."""
    assert len(large_tenant.users) == 20_000 and len(large_tenant.ca_policies) == 200
    for ro in (False, True):
        report = find_gaps(large_tenant, include_report_only=ro)
        assert report.gaps and all(g.confirmed for g in report.gaps)
        assert any("'SG-Service-Accounts'" in g.users for g in report.gaps)

"""Impact of enforcing a policy (ztconsole.engine.impact): sign-ins mapped to scenarios, the users a report-only
policy would block or challenge, what a sign-in already satisfied, emergency access and service accounts
flagged, the --days window, agreement with the reference evaluator sign-in by sign-in, the large log fast."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tenants import make_tenant as tenant_of
from tenants import member, policy_json, uid
from ztconsole.engine.impact import (
    _missing,
    client_app_type,
    device_of,
    find_policy,
    platform_of,
    replay,
    scenario_of,
    service_account_reason,
)
from ztconsole.engine.whatif import Context, evaluate
from ztconsole.model.ca import ConditionalAccessPolicy
from ztconsole.model.directory import SignIn, User
from ztconsole.model.tenant import Tenant

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


ANN, BOB, SVC, BG, ROBOT = (uid(i) for i in range(1, 6))
G_STAFF, G_SVC = uid(100), uid(101)
HQ = uid(200)
PAYROLL = "5a5a5a5a-0000-4000-8000-00000000aaaa"
WIKI = "5a5a5a5a-0000-4000-8000-00000000bbbb"

USERS = [
    {"id": ANN, "displayName": "Ann", "userPrincipalName": "ann@contoso.com", "userType": "Member"},
    {"id": BOB, "displayName": "Bob", "userPrincipalName": "bob@contoso.com", "userType": "Member"},
    {"id": SVC, "displayName": "Scanner", "userPrincipalName": "scanner@contoso.com", "userType": "Member"},
    {"id": BG, "displayName": "Emergency 01", "userPrincipalName": "bg-01@contoso.onmicrosoft.com",
     "userType": "Member"},
    {"id": ROBOT, "displayName": "Robot", "userPrincipalName": "svc-robot@contoso.com", "userType": "Member"},
]
GROUPS = [{"id": G_STAFF, "displayName": "SG-Staff"}, {"id": G_SVC, "displayName": "SG-Service-Accounts"}]
MEMBERS = {G_STAFF: [member(ANN)], G_SVC: [member(SVC)]}
LOCATIONS = [{"@odata.type": "#microsoft.graph.ipNamedLocation", "id": HQ, "displayName": "HQ", "isTrusted": True,
              "ipRanges": [{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "203.0.113.0/24"}]}]


def pol(pid: str, *, state: str = "enabledForReportingButNotEnforced", grant: tuple[str, list[str]] = ("OR", ["block"]),
        **kw: Any) -> dict[str, Any]:
    """A report-only block policy unless told otherwise (:func:`tenants.policy_json`)."""
    return policy_json(pid, state=state, grant=grant, **kw)


def si(n: int, user: str, *, app: str = PAYROLL, days_ago: float = 1, client: str = "Browser",
       os: str = "Windows10", ip: str = "192.0.2.10", country: str = "NL", error: int = 0,
       ca_status: str = "success", compliant: bool | None = None, trust: str | None = None,
       device_id: str = "", applied: list | None = None, risk: str = "none", **extra: Any) -> dict:
    upn = next(u["userPrincipalName"] for u in USERS if u["id"] == user)
    out = {"id": f"si-{n}", "createdDateTime": (NOW - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ"),
           "userId": user, "userPrincipalName": upn, "appId": app, "appDisplayName": "Payroll" if app == PAYROLL
           else "Wiki", "resourceId": app, "ipAddress": ip, "clientAppUsed": client,
           "conditionalAccessStatus": ca_status, "riskLevelDuringSignIn": risk,
           "status": {"errorCode": error},
           "deviceDetail": {"deviceId": device_id, "operatingSystem": os, "isCompliant": compliant,
                            "trustType": trust},
           "location": {"countryOrRegion": country}, "appliedConditionalAccessPolicies": applied or []}
    out.update(extra)
    return out


def make_tenant(policies: list[dict[str, Any]], sign_ins: list[dict[str, Any]]) -> Tenant:
    return tenant_of(users=USERS, groups=GROUPS, members=MEMBERS, locations=LOCATIONS,
                     sps=[{"id": "sp1", "appId": PAYROLL, "displayName": "Payroll"}], policies=policies,
                     sign_ins=sign_ins, tenant_id=uid(999), captured_at=NOW,
                     break_glass=("bg-01@contoso.onmicrosoft.com",))


# --- mapping a sign-in ------------------------------------------------------------------------------------------


def test_client_app_used_values() -> None:
    assert client_app_type("Browser") == "browser"
    assert client_app_type("Mobile Apps and Desktop clients") == "mobileAppsAndDesktopClients"
    assert client_app_type("Exchange ActiveSync") == "exchangeActiveSync"
    for legacy in ("IMAP4", "POP3", "Authenticated SMTP", "MAPI Over HTTP", "Exchange Web Services",
                   "Exchange Online PowerShell", "Autodiscover", "Offline Address Book",
                   "Outlook Anywhere (RPC over HTTP)", "Other clients", "Reporting Web Services"):
        assert client_app_type(legacy) == "other", legacy
    assert client_app_type(None) is None and client_app_type(" ") is None


def test_operating_systems_to_platforms() -> None:
    cases = {"Windows10": "windows", "Windows 11": "windows", "Windows Phone 8.1": "windowsPhone",
             "MacOs": "macOS", "macOS 14": "macOS", "Ios 18.1": "iOS", "iPadOS 17": "iOS",
             "Android 14": "android", "Linux": "linux", "Ubuntu": "linux", "PlayStation": None, "": None, None: None}
    for os_, platform in cases.items():
        assert platform_of(os_) == platform, os_


def test_sign_in_to_scenario() -> None:
    s = SignIn.from_wire(si(1, ANN, client="Mobile Apps and Desktop clients", os="Ios 18.1", ip="203.0.113.9",
                            country="de", compliant=True, trust="Azure AD registered", device_id="dev-1",
                            risk="medium", authenticationProtocol="deviceCode"))
    sc = scenario_of(s)
    assert (sc.user_id, sc.app, sc.client_app, sc.platform, sc.ip, sc.country) == (
        ANN, PAYROLL, "mobileAppsAndDesktopClients", "iOS", "203.0.113.9", "DE")
    assert sc.sign_in_risk == "medium" and sc.user_risk == "none" and sc.auth_flow == "deviceCodeFlow"
    assert dict(sc.device) == {"deviceId": "dev-1", "operatingSystem": "Ios 18.1", "isCompliant": True,
                               "trustType": "Workplace"}
    # an unregistered device, a bad IP, a hidden risk, no country
    s2 = SignIn.from_wire(si(2, ANN, ip="not-an-ip", country="", risk="hidden"))
    sc2 = scenario_of(s2)
    assert sc2.device is None and sc2.ip is None and sc2.country is None and sc2.sign_in_risk == "none"
    assert device_of(SignIn.from_wire(si(3, ANN, trust="Hybrid Azure AD joined")).device_detail)["trustType"] \
        == "ServerAD"


# --- the replay -------------------------------------------------------------------------------------------------


def test_report_only_block_lists_the_users_it_would_block() -> None:
    tenant = make_tenant(
        [pol("block-payroll", users={"includeGroups": [G_STAFF]}, apps={"includeApplications": [PAYROLL]})],
        [si(1, ANN), si(2, ANN, days_ago=2), si(3, BOB), si(4, ANN, app=WIKI), si(5, SVC)])
    report = replay(tenant, "block-payroll", now=NOW)
    assert report.policy_state == "enabledForReportingButNotEnforced"
    assert (report.considered, report.applies, report.blocked, report.challenged) == (5, 2, 2, 0)
    assert [(u.id, u.blocked, u.challenged) for u in report.users] == [(ANN, 2, 0)]
    assert [s.id for s in report.sign_ins] == ["si-1", "si-2"]
    assert all(s.outcome == "block" for s in report.sign_ins)
    doc = report.to_json()
    assert doc["signIns"]["wouldBlock"] == 2 and doc["users"][0]["userPrincipalName"] == "ann@contoso.com"
    assert doc["policy"]["id"] == "block-payroll"


def test_controls_already_satisfied_are_not_challenges() -> None:
    mfa_ok = [{"id": "other", "displayName": "MFA", "enforcedGrantControls": ["Mfa"], "result": "success"}]
    tenant = make_tenant(
        [pol("mfa", grant=("OR", ["mfa"])), pol("device", grant=("OR", ["compliantDevice", "domainJoinedDevice"]))],
        [si(1, ANN, applied=mfa_ok),
         si(2, ANN, authenticationRequirement="multiFactorAuthentication"),
         si(3, ANN),
         si(4, BOB, compliant=True, device_id="d1", trust="Azure AD joined"),
         si(5, BOB, trust="Hybrid Azure AD joined", device_id="d2"),
         si(6, BOB),
         si(7, ANN, applied=[{**mfa_ok[0], "result": "reportOnlySuccess"}])])
    mfa = replay(tenant, "mfa", now=NOW)
    assert (mfa.applies, mfa.satisfied, mfa.challenged) == (7, 2, 5)
    assert {s.id for s in mfa.sign_ins} == {"si-3", "si-4", "si-5", "si-6", "si-7"}
    assert all(s.missing == ("mfa",) for s in mfa.sign_ins)
    device = replay(tenant, "device", now=NOW)
    assert {s.id for s in device.sign_ins} == {"si-1", "si-2", "si-3", "si-6", "si-7"}
    assert device.sign_ins[0].missing == ("compliantDevice or domainJoinedDevice",)


def test_break_glass_and_service_accounts_are_flagged() -> None:
    tenant = make_tenant([pol("all", grant=("OR", ["compliantDevice"]))],
                         [si(1, BG), si(2, SVC), si(3, ROBOT), si(4, ANN)])
    report = replay(tenant, "all", now=NOW)
    assert [u.id for u in report.break_glass] == [BG]
    assert {u.id: u.service_account for u in report.service_accounts} == {
        SVC: "member of 'SG-Service-Accounts'", ROBOT: "UPN svc-robot@contoso.com"}
    assert [u.id for u in report.users][:3] == sorted([BG, SVC, ROBOT], key=lambda i: {
        BG: "bg-01@contoso.onmicrosoft.com", SVC: "scanner@contoso.com", ROBOT: "svc-robot@contoso.com"}[i])
    assert report.users[-1].id == ANN and not report.users[-1].flagged
    doc = report.to_json()
    assert doc["flagged"]["breakGlass"] == [BG] and set(doc["flagged"]["serviceAccounts"]) == {SVC, ROBOT}
    ctx = Context.from_tenant(tenant)
    titled = User.from_wire({"id": BOB, "userPrincipalName": "bob@contoso.com", "jobTitle": "Service Account"})
    assert service_account_reason(titled, ctx) == "job title 'Service Account'"
    assert service_account_reason(tenant.users_by_id[ANN], ctx) is None
    # a break-glass account declared in the config, not in tenant.toml
    ctx = Context.from_tenant(tenant, break_glass=["ann@contoso.com"])
    assert {u.id for u in replay(tenant, "all", now=NOW, ctx=ctx).break_glass} == {BG, ANN}


def test_days_window_counts_back_from_now() -> None:
    tenant = make_tenant([pol("all")], [si(1, ANN, days_ago=0.5), si(2, ANN, days_ago=5), si(3, ANN, days_ago=20),
                                        si(4, ANN, days_ago=-1)])  # one after the capture: outside any window
    assert replay(tenant, "all", now=NOW).considered == 4
    week = replay(tenant, "all", now=NOW, days=7)
    assert week.considered == 2 and {s.id for s in week.sign_ins} == {"si-1", "si-2"}
    assert week.window_start == NOW - timedelta(days=7) and week.to_json()["window"]["days"] == 7
    assert replay(tenant, "all", now=NOW, days=1).considered == 1
    assert replay(tenant, "all", now=NOW, days=0).considered == 0
    with pytest.raises(ValueError):
        replay(tenant, "all", now=NOW, days=-1)


def test_failed_before_conditional_access_is_skipped_and_signatures_are_shared() -> None:
    tenant = make_tenant([pol("all")],
                         [si(1, ANN, error=50126, ca_status="notApplied"),
                          si(2, ANN, error=53003, ca_status="failure")]
                         + [si(10 + i, BOB, ip=f"192.0.2.{i}") for i in range(40)])
    report = replay(tenant, "all", now=NOW)
    assert (report.skipped, report.considered, report.blocked) == (1, 41, 41)
    assert report.scenarios == 1  # the policy includes both users and looks at neither IP nor platform
    failing = next(s for s in report.sign_ins if s.id == "si-2")
    assert failing.succeeded is False


def test_location_policy_groups_by_named_locations() -> None:
    tenant = make_tenant([pol("outside", locations={"includeLocations": ["All"], "excludeLocations": ["AllTrusted"]})],
                         [si(i, ANN, ip=f"203.0.113.{i}") for i in range(1, 20)]
                         + [si(100 + i, ANN, ip=f"192.0.2.{i}") for i in range(1, 20)])
    report = replay(tenant, "outside", now=NOW)
    assert report.scenarios == 2 and report.blocked == 19
    assert all(s.ip.startswith("192.0.2.") for s in report.sign_ins)


def test_find_policy_by_id_or_name_and_drafts() -> None:
    tenant = make_tenant([pol("p1"), pol("p2")], [si(1, ANN)])
    assert find_policy(tenant, "P1").id == "p1"
    assert find_policy(tenant, "policy p2").id == "p2"
    with pytest.raises(KeyError, match="p1 \\(Policy p1\\)"):
        find_policy(tenant, "nope")
    draft = ConditionalAccessPolicy.from_wire(pol("draft", state="disabled", users={"includeUsers": [ANN]}))
    report = replay(tenant, draft, now=NOW)
    assert report.policy_id == "draft" and report.blocked == 1


# --- agreement with the reference evaluator on the demo log -----------------------------------------------------


@pytest.fixture(scope="module")
def demo_tenant() -> Tenant:
    from ztconsole.demo import demo_dir
    from ztconsole.tenantdir.reader import load_tenant

    return load_tenant(demo_dir())


def test_demo_every_policy_agrees_sign_in_by_sign_in(demo_tenant: Tenant) -> None:
    ctx = Context.from_tenant(demo_tenant)
    now = demo_tenant.info.captured_at
    strengths = {p.id: p.grant_controls.authentication_strength.id for p in demo_tenant.ca_policies
                 if p.grant_controls is not None and p.grant_controls.authentication_strength is not None}
    for policy in demo_tenant.ca_policies:
        report = replay(demo_tenant, policy.id, now=now, ctx=ctx)
        enforced = dataclasses.replace(policy, state="enabled")
        expected: dict[str, str] = {}
        applies = 0
        for s in demo_tenant.sign_ins:
            if s.status.error_code and s.conditional_access_status not in ("success", "failure"):
                continue
            result = evaluate(enforced, scenario_of(s), ctx)
            if not result.applies:
                continue
            applies += 1
            if result.blocks:
                expected[s.id] = "block"
            elif _missing(result.requirements, s, strengths):
                expected[s.id] = "challenge"
        assert report.applies == applies, policy.display_name
        assert {s.id: s.outcome for s in report.sign_ins} == expected, policy.display_name


def test_demo_sign_in_log_records_what_the_evaluator_decides(demo_tenant: Tenant) -> None:
    """The demo's log was written by the engine: for every sign-in that reached Conditional Access, the
    policies recorded as applied (enforced: success/failure; report-only: reportOnlySuccess/Failure) are
    exactly those the reference evaluator applies to the sign-in's scenario."""
    ctx = Context.from_tenant(demo_tenant)
    policies = {p.id: p for p in demo_tenant.ca_policies}
    checked = 0
    for s in demo_tenant.sign_ins:
        if s.status.error_code and s.conditional_access_status == "notApplied":
            continue
        scenario = scenario_of(s)
        want_enforced = {pid for pid, p in policies.items() if p.is_enabled and evaluate(p, scenario, ctx).applies}
        want_report = {pid for pid, p in policies.items() if p.is_report_only and evaluate(p, scenario, ctx).applies}
        got = {a.id: a.result for a in s.applied_conditional_access_policies}
        assert {i for i, r in got.items() if r in ("success", "failure")} == want_enforced, s.id
        assert {i for i, r in got.items() if r in ("reportOnlySuccess", "reportOnlyFailure")} == want_report, s.id
        checked += 1
    assert checked > 400


def test_demo_report_only_device_policy(demo_tenant: Tenant) -> None:
    report = replay(demo_tenant, "CA025-Global-AllApps-RequireCompliantOrHybridDevice",
                    now=demo_tenant.info.captured_at)
    assert report.challenged > 0 and report.blocked == 0
    upns = {u.user_principal_name for u in report.users}
    assert "ext-tom.hansen@contoso.com" in upns  # a contractor on a home PC
    assert all(u.missing == ("compliantDevice or domainJoinedDevice",) for u in report.users)


# --- the large log ------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_large_log_is_replayed_by_distinct_scenarios(tmp_path_factory: pytest.TempPathFactory) -> None:
    """100,000 sign-ins (their time is benchmarks/bench_ca.py's to measure, never a test's)."""
    from ztconsole.demo.synthetic import generate
    from ztconsole.tenantdir.reader import load_tenant

    out = tmp_path_factory.getbasetemp() / "large-tenant-seed-1"
    if not (out / "tenant.toml").exists():
        generate(out, "large", seed=1, force=True)
    tenant = load_tenant(out, keys=["ca_policies", "named_locations", "users", "groups", "group_members",
                                    "user_member_of", "role_definitions", "role_assignments", "role_eligibility",
                                    "service_principals", "sign_ins"])
    assert len(tenant.sign_ins) == 100_000
    report_only = [p for p in tenant.ca_policies if p.state == "enabledForReportingButNotEnforced"]
    for policy in (report_only[0], tenant.ca_policies[0]):
        report = replay(tenant, policy.id, now=tenant.info.captured_at)
        assert report.considered == 100_000 and report.scenarios < report.considered


def test_a_policy_is_found_by_the_unique_start_of_its_name() -> None:
    from ztconsole.demo import demo_dir
    from ztconsole.engine.impact import find_policy
    from ztconsole.tenantdir import load_tenant

    tenant = load_tenant(demo_dir(), keys=["ca_policies"])
    assert find_policy(tenant, "ca025").display_name == "CA025-Global-AllApps-RequireCompliantOrHybridDevice"
    with pytest.raises(KeyError, match="matches several policies"):
        find_policy(tenant, "CA02")

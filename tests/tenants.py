"""Tenants for the engine tests, from wire JSON as the services send it: small hand-made ones
(:func:`make_tenant` of data set dicts, :func:`policy_json`) and random ones for the differential tests
(hypothesis strategies over a fixed universe of ids, ranges, rules and devices: :func:`tenant_wire`,
:func:`random_policy`, :func:`random_cases`; seeded scenarios: :func:`draw_scenarios`).

Test modules import it as ``from tenants import ...``."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from hypothesis import strategies as st

from ztconsole.engine.ca.scenario import AUTH_FLOWS, CLIENT_APPS, INSIDER_RISK_LEVELS, PLATFORMS, RISK_LEVELS, Scenario
from ztconsole.model.access import ServicePrincipal
from ztconsole.model.ca import (
    AUTH_STRENGTH_MFA,
    AUTH_STRENGTH_PHISHING_RESISTANT_MFA,
    AZURE_MANAGEMENT_APP_ID,
    LOCATION_COMPLIANT_NETWORK,
    LOCATION_MFA_TRUSTED_IPS,
    ConditionalAccessPolicy,
    NamedLocation,
)
from ztconsole.model.directory import (
    DirectoryObject,
    Group,
    RoleAssignment,
    RoleDefinition,
    RoleEligibilitySchedule,
    SignIn,
    User,
)
from ztconsole.model.tenant import DataSetResult, Tenant, TenantInfo
from ztconsole.model.wire import parse_one

TENANT_ID = "0a0a0a0a-0000-4000-8000-000000000001"


def uid(n: int) -> str:
    """A directory object id, by number."""
    return f"00000000-0000-4000-8000-{n:012d}"


def member(oid: str, kind: str = "user") -> dict[str, Any]:
    """A ``group_members`` entry: a user, or a ``group`` nested in the group."""
    return {"@odata.type": f"#microsoft.graph.{kind}", "id": oid}


# --- hand-made tenants -----------------------------------------------------------------------------------------


def make_tenant(*, users: Iterable[Mapping[str, Any]] = (), groups: Iterable[Mapping[str, Any]] = (),
                members: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
                roles: Iterable[Mapping[str, Any]] = (), assignments: Iterable[Mapping[str, Any]] = (),
                eligibility: Iterable[Mapping[str, Any]] = (), locations: Iterable[Mapping[str, Any]] = (),
                sps: Iterable[Mapping[str, Any]] = (), policies: Iterable[Mapping[str, Any]] = (),
                sign_ins: Iterable[Mapping[str, Any]] = (), tenant_id: str = TENANT_ID, name: str = "Test",
                break_glass: tuple[str, ...] = (), captured_at: datetime | None = None) -> Tenant:
    """A tenant whose data sets (every one read completely) hold these wire objects."""
    def ok(key: str, value: Any) -> DataSetResult:
        return DataSetResult(key, "ok", value)

    results = {
        "users": ok("users", tuple(User.from_wire(u) for u in users)),
        "groups": ok("groups", tuple(Group.from_wire(g) for g in groups)),
        "group_members": ok("group_members", {g: tuple(DirectoryObject.from_wire(m) for m in ms)
                                              for g, ms in (members or {}).items()}),
        "role_definitions": ok("role_definitions", tuple(RoleDefinition.from_wire(r) for r in roles)),
        "role_assignments": ok("role_assignments", tuple(RoleAssignment.from_wire(a) for a in assignments)),
        "role_eligibility": ok("role_eligibility",
                               tuple(RoleEligibilitySchedule.from_wire(e) for e in eligibility)),
        "named_locations": ok("named_locations", tuple(parse_one(NamedLocation, n) for n in locations)),
        "service_principals": ok("service_principals", tuple(ServicePrincipal.from_wire(s) for s in sps)),
        "ca_policies": ok("ca_policies", tuple(ConditionalAccessPolicy.from_wire(p) for p in policies)),
        "sign_ins": ok("sign_ins", tuple(SignIn.from_wire(s) for s in sign_ins)),
    }
    info = TenantInfo(id=tenant_id, display_name=name, break_glass=break_glass, captured_at=captured_at)
    return Tenant(info, results)


def policy_json(pid: str, *, state: str = "enabled", users: Mapping[str, Any] | None = None,
                apps: Mapping[str, Any] | None = None,
                grant: tuple[str | None, list[str]] | None = ("OR", ["mfa"]), **conditions: Any) -> dict[str, Any]:
    """A policy's wire JSON: all users, all resources and all client apps unless told otherwise; ``grant``
    is (operator, built-in controls), or None for no grant controls."""
    cond = {"users": users if users is not None else {"includeUsers": ["All"]},
            "applications": apps if apps is not None else {"includeApplications": ["All"]},
            "clientAppTypes": ["all"], **conditions}
    wire: dict[str, Any] = {"id": pid, "displayName": f"Policy {pid}", "state": state, "conditions": cond}
    if grant is not None:
        wire["grantControls"] = {"operator": grant[0], "builtInControls": grant[1]}
    return wire


# --- the universe random tenants are drawn from ----------------------------------------------------------------

N_USERS, N_GROUPS = 8, 5
USER_IDS = [uid(i) for i in range(1, N_USERS + 1)]
GHOST = uid(999)                                      # not in the directory
GROUP_IDS = [uid(100 + i) for i in range(N_GROUPS)]
DELETED_GROUP = uid(199)
ROLES = ["62e90394-69f5-4237-9190-012177145e10", "194ae4cb-b126-40b2-bd5b-6091b380977d",
         "729827e3-9c14-49f7-bb1b-9608f156bbb8"]
LOC_IDS = [uid(200 + i) for i in range(5)]
DELETED_LOC = uid(299)
HOME_TENANT = "9a9a9a9a-0000-4000-8000-000000000001"

EXO = "00000002-0000-0ff1-ce00-000000000000"             # Office 365
O365_PORTAL = "00000006-0000-0ff1-ce00-000000000000"     # Office 365 and Microsoft Admin Portals
AZURE_PORTAL = "c44b4083-3bb0-49c1-b47d-974e53cbdf3c"    # Microsoft Admin Portals
PAYROLL = "5a5a5a5a-0000-4000-8000-00000000aaaa"
UNNAMED_APP = "5a5a5a5a-0000-4000-8000-00000000ffff"
APP_IDS = [EXO, O365_PORTAL, AZURE_PORTAL, AZURE_MANAGEMENT_APP_ID, PAYROLL, UNNAMED_APP]

CIDRS = ["203.0.113.0/24", "203.0.113.128/25", "198.51.100.0/24", "10.0.0.0/8", "10.1.2.0/24", "192.0.2.7/32",
         "0.0.0.0/0", "2001:db8::/32", "2001:db8:1::/48", "::/0"]
IPS = [None, "203.0.113.0", "203.0.113.127", "203.0.113.128", "203.0.113.255", "198.51.100.9", "198.51.101.0",
       "10.1.2.3", "10.255.255.255", "11.0.0.0", "192.0.2.7", "192.0.2.8", "0.0.0.0", "2001:db8::1",
       "2001:db8:1::5", "2001:db9::1", "::ffff:203.0.113.5"]
COUNTRIES = ["NL", "DE", "KP", "US"]
SCENARIO_COUNTRIES = [None, "NL", "DE", "KP", "US", "FR", "ZZ"]

GUEST_TYPES = ["internalGuest", "b2bCollaborationGuest", "b2bCollaborationMember", "b2bDirectConnectUser",
               "otherExternalUser", "serviceProvider"]
ALL_TENANTS = {"@odata.type": "#microsoft.graph.conditionalAccessAllExternalTenants", "membershipKind": "all"}
ENUMERATED_TENANTS = {"@odata.type": "#microsoft.graph.conditionalAccessEnumeratedExternalTenants",
                      "membershipKind": "enumerated", "members": [HOME_TENANT]}

RULES = [
    "device.isCompliant -eq True",
    'device.trustType -eq "ServerAD"',
    'device.operatingSystem -startsWith "Win" -and device.isCompliant -ne True',
    'device.extensionAttribute1 -eq "kiosk"',
    'device.model -in ["Surface", "iPhone"] -or -not (device.deviceOwnership -eq "Company")',
    'device.systemLabels -contains "AzureResource"',
    "device.displayName -ne null",
]
BAD_RULE = "device.isCompliant == True"                 # Graph refuses it; the reference matches no device
DEVICES = [
    None,
    {"isCompliant": True, "trustType": "AzureAD", "operatingSystem": "Windows"},
    {"isCompliant": False, "trustType": "ServerAD", "operatingSystem": "Windows10", "extensionAttribute1": "kiosk"},
    {"trustType": "Workplace", "model": "iPhone", "deviceOwnership": "Personal"},
    {"isCompliant": "true", "extensionAttribute1": "KIOSK", "systemLabels": ["AzureResource"], "displayName": "pc"},
    {"mdmAppId": "0000000a-0000-0000-c000-000000000000", "extensionAttribute1": "kiosk", "model": "Surface"},
    {"extensionAttributes": {"extensionAttribute1": "kiosk"}, "isCompliant": True},   # nested: unhashable
]
CONTROLS = ["mfa", "compliantDevice", "domainJoinedDevice", "approvedApplication", "compliantApplication",
            "passwordChange", "riskRemediation"]


def subset(values: list[Any], max_size: int = 3) -> st.SearchStrategy[list[Any]]:
    return st.lists(st.sampled_from(values), max_size=max_size, unique=True)


def flags(values: list[str]) -> st.SearchStrategy[str]:
    return subset(values, 3).map(",".join)


# --- tenants ---------------------------------------------------------------------------------------------------


@st.composite
def users_wire(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for i, oid in enumerate(USER_IDS):
        kind = draw(st.sampled_from(["member", "member", "localGuest", "extGuest", "extMember", "federated"]))
        u: dict[str, Any] = {"id": oid, "displayName": f"User {i}", "userPrincipalName": f"u{i}@contoso.com",
                             "userType": "Guest" if kind in ("localGuest", "extGuest", "federated") else "Member"}
        if kind == "extGuest":
            u["userPrincipalName"] = f"u{i}_fabrikam.com#EXT#@contoso.onmicrosoft.com"
        elif kind == "extMember":
            u.update(creationType="Invitation", externalUserState="Accepted")
        elif kind == "federated":
            u["identities"] = [{"signInType": "federated", "issuer": "google.com"}]
        out.append(u)
    return out


@st.composite
def tenant_wire(draw: st.DrawFn) -> dict[str, Any]:
    members: dict[str, list[dict[str, Any]]] = {}
    principals = USER_IDS + GROUP_IDS
    for gid in GROUP_IDS:
        chosen = draw(subset(principals, 4))
        members[gid] = [{"@odata.type": "#microsoft.graph.group" if m in GROUP_IDS else "#microsoft.graph.user",
                         "id": m} for m in chosen if m != gid]
    assignments, eligibility = [], []
    for n, (principal, role, scope) in enumerate(draw(st.lists(
            st.tuples(st.sampled_from(principals), st.sampled_from(ROLES), st.sampled_from(["/", "/", "/au/1"])),
            max_size=5))):
        assignments.append({"id": f"a{n}", "principalId": principal, "roleDefinitionId": role,
                            "directoryScopeId": scope})
    for n, (principal, role) in enumerate(draw(st.lists(
            st.tuples(st.sampled_from(principals), st.sampled_from(ROLES)), max_size=3))):
        eligibility.append({"id": f"e{n}", "principalId": principal, "roleDefinitionId": role,
                            "directoryScopeId": "/"})
    locations = []
    for i, lid in enumerate(LOC_IDS):
        kind = draw(st.sampled_from(["ip", "ip", "country", "absent"]))
        if kind == "ip":
            ranges = [{"@odata.type": "#microsoft.graph.iPv6CidrRange" if ":" in c
                       else "#microsoft.graph.iPv4CidrRange", "cidrAddress": c}
                      for c in draw(st.lists(st.sampled_from(CIDRS), min_size=1, max_size=3, unique=True))]
            locations.append({"@odata.type": "#microsoft.graph.ipNamedLocation", "id": lid,
                              "displayName": f"Site {i}", "isTrusted": draw(st.booleans()), "ipRanges": ranges})
        elif kind == "country":
            locations.append({"@odata.type": "#microsoft.graph.countryNamedLocation", "id": lid,
                              "displayName": f"Countries {i}", "countriesAndRegions": draw(subset(COUNTRIES, 2)),
                              "includeUnknownCountriesAndRegions": draw(st.booleans()),
                              "countryLookupMethod": draw(st.sampled_from(["clientIpAddress",
                                                                           "authenticatorAppGps"]))})
    if draw(st.booleans()):
        locations.append({"@odata.type": "#microsoft.graph.compliantNetworkNamedLocation",
                          "id": LOCATION_COMPLIANT_NETWORK, "displayName": "All Compliant Network locations",
                          "compliantNetworkType": "allTenantCompliantNetworks", "isTrusted": draw(st.booleans())})
    return {"users": draw(users_wire()), "members": members, "assignments": assignments,
            "eligibility": eligibility, "locations": locations,
            "mfa_trusted_ips": draw(subset(["203.0.113.128/25", "192.0.2.0/24", "2001:db8:1::/48"], 2))}


def universe_tenant(wire: dict[str, Any], policies: Iterable[Mapping[str, Any]] = ()) -> Tenant:
    """The tenant of a :func:`tenant_wire` draw (or of a hand-made wire of its shape), with ``policies``."""
    return make_tenant(
        users=wire["users"], groups=[{"id": g, "displayName": f"Group {g[-3:]}"} for g in GROUP_IDS],
        members=wire["members"], assignments=wire["assignments"], eligibility=wire["eligibility"],
        roles=[{"id": r, "displayName": f"Role {r[:4]}", "templateId": r} for r in ROLES],
        locations=wire["locations"], policies=policies, name="Random",
        sps=[{"id": f"sp-{a[:8]}", "appId": a, "displayName": f"App {a[:8]}"} for a in (EXO, PAYROLL)])


# --- policies --------------------------------------------------------------------------------------------------


@st.composite
def users_condition(draw: st.DrawFn) -> dict[str, Any] | None:
    if draw(st.integers(0, 39)) == 0:
        return None
    cond: dict[str, Any] = {}
    for side in ("include", "exclude"):
        if side == "exclude" and draw(st.booleans()):
            break
        ids = draw(subset(["All", "None", "GuestsOrExternalUsers", *USER_IDS[:4], GHOST],
                          2 if side == "include" else 1))
        if side == "include" and draw(st.integers(0, 2)) == 0:
            ids = ["All"]
        cond[f"{side}Users"] = ids
        cond[f"{side}Groups"] = draw(subset(GROUP_IDS + [DELETED_GROUP], 2))
        cond[f"{side}Roles"] = draw(subset(ROLES, 2))
        if draw(st.integers(0, 2)) == 0:
            spec: dict[str, Any] = {"guestOrExternalUserTypes": draw(st.lists(
                st.sampled_from(GUEST_TYPES), min_size=1, max_size=3, unique=True).map(",".join))}
            tenants = draw(st.sampled_from([None, ALL_TENANTS, ENUMERATED_TENANTS, ENUMERATED_TENANTS]))
            if tenants is not None:
                spec["externalTenants"] = tenants
            cond[f"{side}GuestsOrExternalUsers"] = spec
    return cond


@st.composite
def applications_condition(draw: st.DrawFn) -> dict[str, Any] | None:
    kind = draw(st.sampled_from(["apps"] * 6 + ["actions", "actions", "contexts", "contexts", "absent"]))
    if kind == "absent":
        return None
    if kind == "actions":
        return {"includeUserActions": draw(st.lists(st.sampled_from(
            ["urn:user:registersecurityinfo", "urn:user:registerdevice", "URN:USER:REGISTERDEVICE"]),
            min_size=1, max_size=2, unique=True))}
    if kind == "contexts":
        return {"includeAuthenticationContextClassReferences": draw(st.lists(
            st.sampled_from(["c1", "c2", "c3", "C1"]), min_size=1, max_size=2, unique=True))}
    values = ["All", "None", "Office365", "MicrosoftAdminPortals", *APP_IDS, PAYROLL.upper(), O365_PORTAL.upper()]
    cond: dict[str, Any] = {
        "includeApplications": draw(st.one_of(st.just(["All"]), st.lists(st.sampled_from(values), min_size=1,
                                                                          max_size=3, unique=True))),
        "excludeApplications": draw(subset(values, 2))}
    if draw(st.integers(0, 9)) == 0:
        cond["applicationFilter"] = {"mode": "include", "rule": 'CustomSecurityAttribute.Set_Name -eq "x"'}
    return cond


RISKY = ["low", "medium", "high", "none", "hidden"]
#: risk lists the evaluators must read as "no risk condition"
IGNORED_RISKS = st.sampled_from([["hidden"], ["unknownFutureValue"], ["hidden", "unknownFutureValue"]])
LOCATION_TOKENS = ["All", "AllTrusted", *LOC_IDS, DELETED_LOC, LOCATION_COMPLIANT_NETWORK, LOCATION_MFA_TRUSTED_IPS]


@st.composite
def devices_condition(draw: st.DrawFn) -> dict[str, Any]:
    devices: dict[str, Any] = {}
    legacy = draw(st.booleans())
    if not legacy or draw(st.booleans()):
        rule = draw(st.sampled_from(RULES + [BAD_RULE, BAD_RULE]))
        devices["deviceFilter"] = {"mode": draw(st.sampled_from(["include", "exclude"])), "rule": rule}
    if legacy:
        devices["includeDevices"] = draw(st.sampled_from([["All"], [], ["Compliant"]]))
        devices["excludeDevices"] = draw(subset(["Compliant", "DomainJoined"], 2))
    return {"devices": devices}


#: the conditions besides users and target resources; a policy sets at most two of them, so that each
#: decides often
EXTRAS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "clientAppTypes": st.builds(lambda v: {"clientAppTypes": v}, subset(
        ["all", "browser", "mobileAppsAndDesktopClients", "exchangeActiveSync", "easSupported", "other",
         "unknownFutureValue"], 3)),
    "platforms": st.builds(lambda i, e: {"platforms": {"includePlatforms": i, "excludePlatforms": e}},
                           subset(["all", "android", "iOS", "windows", "macOS", "linux", "windowsPhone",
                                   "unknownFutureValue"]),
                           subset(["all", "android", "iOS", "windows", "macOS", "unknownFutureValue"], 2)),
    "locations": st.builds(lambda i, e: {"locations": {"includeLocations": i, "excludeLocations": e}},
                           st.lists(st.sampled_from(LOCATION_TOKENS), min_size=1, max_size=3, unique=True),
                           subset(LOCATION_TOKENS, 2)),
    "signInRiskLevels": st.builds(lambda v: {"signInRiskLevels": v}, st.one_of(subset(RISKY), IGNORED_RISKS)),
    "userRiskLevels": st.builds(lambda v: {"userRiskLevels": v}, st.one_of(subset(RISKY), IGNORED_RISKS)),
    "insiderRiskLevels": st.builds(lambda v: {"insiderRiskLevels": v}, st.one_of(
        flags(["minor", "moderate", "elevated", "none"]), st.sampled_from(["none", "none,unknownFutureValue"]))),
    "devices": devices_condition(),
    "authenticationFlows": st.builds(lambda v: {"authenticationFlows": {"transferMethods": v}}, st.one_of(
        flags(["deviceCodeFlow", "authenticationTransfer", "none"]), st.sampled_from(["none", "unknownFutureValue"]))),
}


@st.composite
def random_policy(draw: st.DrawFn, pid: str) -> dict[str, Any]:
    cond: dict[str, Any] = {"clientAppTypes": ["all"]}
    users = draw(st.one_of(st.just({"includeUsers": ["All"]}), users_condition()))
    if users is not None:
        cond["users"] = users
    apps = draw(st.one_of(st.just({"includeApplications": ["All"]}), applications_condition()))
    if apps is not None:
        cond["applications"] = apps
    for kind in draw(subset(list(EXTRAS), 2)):
        cond.update(draw(EXTRAS[kind]))
    if draw(st.integers(0, 49)) == 0:
        cond["clientApplications"] = {"includeServicePrincipals": ["ServicePrincipalsInMyTenant"]}
    if draw(st.integers(0, 49)) == 0:
        cond["servicePrincipalRiskLevels"] = draw(st.sampled_from([["high"], ["unknownFutureValue"]]))
    if draw(st.integers(0, 49)) == 0:
        cond["agentIdRiskLevels"] = "high"
    wire: dict[str, Any] = {
        "id": pid, "displayName": f"Policy {pid}",
        "state": draw(st.sampled_from(["enabled", "enabled", "enabledForReportingButNotEnforced", "disabled"])),
        "conditions": cond if draw(st.integers(0, 49)) else None,
    }
    if draw(st.integers(0, 9)):
        grant: dict[str, Any] = {"operator": draw(st.sampled_from(["AND", "OR", None])),
                                 "builtInControls": draw(subset(CONTROLS, 3))}
        if draw(st.integers(0, 4)) == 0:
            grant["builtInControls"] = ["block"]
        if draw(st.integers(0, 5)) == 0:
            grant["authenticationStrength"] = {"id": draw(st.sampled_from(
                [AUTH_STRENGTH_MFA, AUTH_STRENGTH_PHISHING_RESISTANT_MFA]))}
        if draw(st.integers(0, 7)) == 0:
            grant["termsOfUse"] = ["tou-1"]
        if draw(st.integers(0, 9)) == 0:
            grant["customAuthenticationFactors"] = ["duo"]
        wire["grantControls"] = grant
    return wire


# --- scenarios -------------------------------------------------------------------------------------------------

TARGETS = [("app", a) for a in ("All", "Office365", "MicrosoftAdminPortals", *APP_IDS, PAYROLL.upper())] + [
    ("user_action", "registerSecurityInformation"), ("user_action", "registerOrJoinDevices"),
    ("auth_context", "c1"), ("auth_context", "c2"), ("auth_context", "c4")] * 2
SCENARIO_VALUES: dict[str, tuple[Any, ...]] = {
    "user_id": (*USER_IDS, GHOST),
    "target": tuple(TARGETS),
    "client_app": CLIENT_APPS,
    "platform": (None, *PLATFORMS),
    "ip": tuple(IPS),
    "country": tuple(SCENARIO_COUNTRIES),
    "compliant_network": (False, True),
    "sign_in_risk": ("none", *RISK_LEVELS),
    "user_risk": ("none", *RISK_LEVELS),
    "insider_risk": (None, *INSIDER_RISK_LEVELS),
    "device": tuple(range(len(DEVICES))),
    "auth_flow": (None, *AUTH_FLOWS),
}


def draw_scenarios(seed: int, count: int) -> list[dict[str, Any]]:
    """``count`` scenarios from the fixed pools above, by a seeded generator: drawing them through hypothesis
    costs ~7x the evaluation, and they need no shrinking (a failure names the scenario)."""
    rng = random.Random(seed)
    return [{k: rng.choice(values) for k, values in SCENARIO_VALUES.items()} for _ in range(count)]


def make_scenario(w: dict[str, Any]) -> Scenario:
    kw = {k: v for k, v in w.items() if k not in ("target", "device")}
    kind, value = w["target"]
    kw[kind] = value
    return Scenario(device=DEVICES[w["device"]], **kw)


@st.composite
def random_cases(draw: st.DrawFn, scenarios: int) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """(a :func:`tenant_wire`, 1-12 :func:`random_policy` wires, ``scenarios`` :func:`draw_scenarios`)."""
    tenant = draw(tenant_wire())
    n = draw(st.integers(1, 12))
    policies = [draw(random_policy(f"p{i:02d}")) for i in range(n)]
    return tenant, policies, draw_scenarios(draw(st.integers(0, 2**32 - 1)), scenarios)


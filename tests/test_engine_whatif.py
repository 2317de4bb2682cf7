"""The reference What If evaluator (ztconsole.engine.whatif): every condition, every documented edge,
combination, session merge, the ``whatif --json`` shape (CONTRACTS §3), resolving CLI inputs, the demo."""

from __future__ import annotations

import importlib.util
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenants import make_tenant as tenant_of
from tenants import member, policy_json, uid
from ztconsole.commands.whatif_input import resolve_scenario
from ztconsole.engine import ca_catalog
from ztconsole.engine.ca.scenario import (
    AUTH_FLOWS,
    CLIENT_APPS,
    INSIDER_RISK_LEVELS,
    PLATFORMS,
    RISK_LEVELS,
    UNKNOWN_COUNTRY,
)
from ztconsole.engine.whatif import (
    Context,
    Scenario,
    classify_external,
    evaluate,
    merge_sessions,
    policy_requirements,
    policy_session,
    what_if,
)
from ztconsole.model.ca import (
    AZURE_MANAGEMENT_APP_ID,
    ConditionalAccessGrantControls,
    ConditionalAccessPolicy,
    ConditionalAccessSessionControls,
)
from ztconsole.model.directory import User
from ztconsole.model.tenant import Tenant

needs_device_filter = pytest.mark.skipif(
    importlib.util.find_spec("ztconsole.engine.device_filter") is None,
    reason="ztconsole/engine/device_filter.py does not exist yet",
)

# --- a small tenant, built from wire JSON -------------------------------------------------------------------

TENANT_ID = "0a0a0a0a-0000-4000-8000-000000000001"
GA = "62e90394-69f5-4237-9190-012177145e10"
SEC_ADMIN = "194ae4cb-b126-40b2-bd5b-6091b380977d"
USER_ADMIN = "fe930be7-5e62-47db-91af-98c3a49a38b1"
HELPDESK = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
EXO = "00000002-0000-0ff1-ce00-000000000000"
AZURE_PORTAL = "c44b4083-3bb0-49c1-b47d-974e53cbdf3c"
PAYROLL = "5a5a5a5a-0000-4000-8000-00000000aaaa"
DUP1 = "5a5a5a5a-0000-4000-8000-00000000bbb1"
DUP2 = "5a5a5a5a-0000-4000-8000-00000000bbb2"


ADELE, ALEX, SCOPED, HELPER, RAVI, LOCAL_GUEST, B2B_MEMBER, BG = (uid(i) for i in range(1, 9))
G_FIN, G_FIN_EU, G_EXCL, G_BG, G_HELPDESK_ROLE = (uid(100 + i) for i in range(5))
HQ, BRANCH, ALLOWED, BLOCKED, GPS = (uid(200 + i) for i in range(5))
COMPLIANT_NET = "3d46dbda-8382-466a-856d-eb00cbc6b910"

USERS = [
    {"id": ADELE, "displayName": "Adele Vance", "userPrincipalName": "adelev@contoso.com", "userType": "Member"},
    {"id": ALEX, "displayName": "Alex Wilber", "userPrincipalName": "alexw@contoso.com", "userType": "Member"},
    {"id": SCOPED, "displayName": "Sam Scoped", "userPrincipalName": "sams@contoso.com", "userType": "Member"},
    {"id": HELPER, "displayName": "Hana Helper", "userPrincipalName": "hanah@contoso.com", "userType": "Member"},
    {"id": RAVI, "displayName": "Ravi Kumar (Fabrikam)", "userType": "Guest",
     "userPrincipalName": "ravi.kumar_fabrikam.com#EXT#@contoso.onmicrosoft.com"},
    {"id": LOCAL_GUEST, "displayName": "Lou Local", "userPrincipalName": "lou@contoso.com", "userType": "Guest"},
    {"id": B2B_MEMBER, "displayName": "Mia Member", "userPrincipalName": "mia_tailspin.com#EXT#@contoso.com",
     "userType": "Member", "creationType": "Invitation", "externalUserState": "Accepted"},
    {"id": BG, "displayName": "Emergency Access 01", "userPrincipalName": "bg-01@contoso.onmicrosoft.com",
     "userType": "Member"},
]
GROUPS = [
    {"id": G_FIN, "displayName": "SG-Finance"},
    {"id": G_FIN_EU, "displayName": "SG-Finance-EU"},
    {"id": G_EXCL, "displayName": "CA-Exclusions"},
    {"id": G_BG, "displayName": "SG-Emergency-Access"},
    {"id": G_HELPDESK_ROLE, "displayName": "SG-Helpdesk-Role", "isAssignableToRole": True},
]


MEMBERS = {
    G_FIN: [member(G_FIN_EU, "group")],
    G_FIN_EU: [member(ADELE)],
    G_EXCL: [member(G_BG, "group")],
    G_BG: [member(BG)],
    G_HELPDESK_ROLE: [member(HELPER)],
}
ROLE_DEFINITIONS = [
    {"id": GA, "displayName": "Global Administrator", "templateId": GA, "isBuiltIn": True},
    {"id": SEC_ADMIN, "displayName": "Security Administrator", "templateId": SEC_ADMIN, "isBuiltIn": True},
    {"id": USER_ADMIN, "displayName": "User Administrator", "templateId": USER_ADMIN, "isBuiltIn": True},
    {"id": HELPDESK, "displayName": "Helpdesk Administrator", "templateId": HELPDESK, "isBuiltIn": True},
]
ASSIGNMENTS = [
    {"id": "a1", "principalId": ALEX, "roleDefinitionId": GA, "directoryScopeId": "/"},
    {"id": "a2", "principalId": SCOPED, "roleDefinitionId": USER_ADMIN,
     "directoryScopeId": "/administrativeUnits/5a5a5a5a-0000-4000-8000-000000000123"},
    {"id": "a3", "principalId": G_HELPDESK_ROLE, "roleDefinitionId": HELPDESK, "directoryScopeId": "/"},
    {"id": "a4", "principalId": BG, "roleDefinitionId": GA, "directoryScopeId": "/"},
]
ELIGIBILITY = [
    {"id": "e1", "principalId": ALEX, "roleDefinitionId": SEC_ADMIN, "directoryScopeId": "/"},
]
LOCATIONS = [
    {"@odata.type": "#microsoft.graph.ipNamedLocation", "id": HQ, "displayName": "Contoso HQ", "isTrusted": True,
     "ipRanges": [{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "203.0.113.0/24"},
                  {"@odata.type": "#microsoft.graph.iPv6CidrRange", "cidrAddress": "2001:db8:1::/48"}]},
    {"@odata.type": "#microsoft.graph.ipNamedLocation", "id": BRANCH, "displayName": "Branch office",
     "isTrusted": False,
     "ipRanges": [{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "198.51.100.0/24"}]},
    {"@odata.type": "#microsoft.graph.countryNamedLocation", "id": ALLOWED, "displayName": "Allowed countries",
     "countriesAndRegions": ["NL", "DE"], "includeUnknownCountriesAndRegions": False,
     "countryLookupMethod": "clientIpAddress"},
    {"@odata.type": "#microsoft.graph.countryNamedLocation", "id": BLOCKED, "displayName": "Blocked or unknown",
     "countriesAndRegions": ["KP"], "includeUnknownCountriesAndRegions": True,
     "countryLookupMethod": "clientIpAddress"},
    {"@odata.type": "#microsoft.graph.countryNamedLocation", "id": GPS, "displayName": "Netherlands by GPS",
     "countriesAndRegions": ["NL"], "includeUnknownCountriesAndRegions": False,
     "countryLookupMethod": "authenticatorAppGps"},
    {"@odata.type": "#microsoft.graph.compliantNetworkNamedLocation", "id": COMPLIANT_NET,
     "displayName": "All Compliant Network locations", "compliantNetworkType": "allTenantCompliantNetworks",
     "isTrusted": False},
]
SERVICE_PRINCIPALS = [
    {"id": "sp-exo", "appId": EXO, "displayName": "Office 365 Exchange Online"},
    {"id": "sp-payroll", "appId": PAYROLL, "displayName": "Payroll"},
    {"id": "sp-dup1", "appId": DUP1, "displayName": "Duplicate App"},
    {"id": "sp-dup2", "appId": DUP2, "displayName": "Duplicate App"},
]


def make_tenant(**override: Any) -> Tenant:
    data: dict[str, Any] = dict(users=USERS, groups=GROUPS, members=MEMBERS, roles=ROLE_DEFINITIONS,
                                assignments=ASSIGNMENTS, eligibility=ELIGIBILITY, locations=LOCATIONS,
                                sps=SERVICE_PRINCIPALS)
    data.update(override)
    return tenant_of(**data, tenant_id=TENANT_ID, break_glass=("bg-01@contoso.onmicrosoft.com",))


@pytest.fixture(scope="module")
def ctx() -> Context:
    return Context.from_tenant(make_tenant())


def pol(pid: str = "p1", *, state: str = "enabled", grant: tuple[str, list[str]] | None = ("OR", ["mfa"]),
        grant_extra: dict[str, Any] | None = None, session: dict[str, Any] | None = None,
        **conditions: Any) -> ConditionalAccessPolicy:
    wire = policy_json(pid, state=state, grant=grant, **conditions)
    if grant is not None:
        wire["grantControls"].update(grant_extra or {})
    if session is not None:
        wire["sessionControls"] = session
    return ConditionalAccessPolicy.from_wire(wire)


def sc(user: str = ADELE, **kw: Any) -> Scenario:
    if not any(k in kw for k in ("app", "user_action", "auth_context")):
        kw["app"] = "All"
    return Scenario(user_id=user, **kw)


def run(policy: ConditionalAccessPolicy, scenario: Scenario, ctx: Context):
    return evaluate(policy, scenario, ctx)


def text(result) -> str:
    return " | ".join(result.reasons)


# --- users --------------------------------------------------------------------------------------------------


def test_all_users_and_none(ctx: Context) -> None:
    r = run(pol(), sc(), ctx)
    assert r.applies and "all users" in text(r) and "Adele Vance" in text(r)
    r = run(pol(users={"includeUsers": ["None"]}), sc(), ctx)
    assert not r.applies and "None" in text(r)


def test_user_by_id_and_unknown_user(ctx: Context) -> None:
    assert run(pol(users={"includeUsers": [ADELE]}), sc(), ctx).applies
    assert not run(pol(users={"includeUsers": [ALEX]}), sc(), ctx).applies
    ghost = uid(999)
    r = run(pol(), sc(ghost), ctx)
    assert r.applies and "not in the directory" in text(r)


def test_nested_group_names_the_path(ctx: Context) -> None:
    r = run(pol(users={"includeGroups": [G_FIN]}), sc(), ctx)
    assert r.applies
    assert "user Adele Vance is a member of 'SG-Finance' through 'SG-Finance-EU'" in r.reasons


def test_exclusion_beats_inclusion_user_group_role(ctx: Context) -> None:
    r = run(pol(users={"includeUsers": ["All"], "excludeUsers": [ADELE]}), sc(), ctx)
    assert not r.applies and "excluding beats including" in text(r)
    r = run(pol(users={"includeUsers": ["All"], "excludeGroups": [G_EXCL]}), sc(BG), ctx)
    assert not r.applies
    assert ("excluded: user Emergency Access 01 is a member of 'CA-Exclusions' through 'SG-Emergency-Access' "
            "(excluding beats including)") in r.reasons
    r = run(pol(users={"includeUsers": [ALEX], "excludeRoles": [GA]}), sc(ALEX), ctx)
    assert not r.applies and "'Global Administrator'" in text(r) and "excluding beats including" in text(r)


def test_roles_active_eligible_scoped_and_through_group(ctx: Context) -> None:
    r = run(pol(users={"includeRoles": [GA]}), sc(ALEX), ctx)
    assert r.applies and "holds the directory role 'Global Administrator' as an active assignment" in text(r)
    r = run(pol(users={"includeRoles": [SEC_ADMIN]}), sc(ALEX), ctx)
    assert not r.applies
    assert "only eligible (PIM) for 'Security Administrator'" in text(r) and "until it is activated" in text(r)
    # an administrative-unit-scoped role is not supported by Conditional Access
    assert not run(pol(users={"includeRoles": [USER_ADMIN]}), sc(SCOPED), ctx).applies
    r = run(pol(users={"includeRoles": [HELPDESK]}), sc(HELPER), ctx)
    assert r.applies and "through group 'SG-Helpdesk-Role'" in text(r)


def test_guest_classification() -> None:
    users = {u["id"]: User.from_wire(u) for u in USERS}
    assert classify_external(users[RAVI])[0] == "b2bCollaborationGuest"
    assert classify_external(users[LOCAL_GUEST])[0] == "internalGuest"
    assert classify_external(users[B2B_MEMBER])[0] == "b2bCollaborationMember"
    assert classify_external(users[ADELE])[0] is None
    no_type = User.from_wire({"id": "x", "userPrincipalName": "a_b.com#EXT#@contoso.onmicrosoft.com"})
    assert classify_external(no_type)[0] == "b2bCollaborationGuest"
    federated = User.from_wire({"id": "y", "userType": "Guest", "userPrincipalName": "g@contoso.com",
                                "identities": [{"signInType": "federated", "issuer": "ExternalAzureAD"}]})
    assert classify_external(federated)[0] == "b2bCollaborationGuest"


def _guests(types: str, tenants: dict | None = None) -> dict:
    spec: dict[str, Any] = {"guestOrExternalUserTypes": types}
    if tenants is not None:
        spec["externalTenants"] = tenants
    return spec


ALL_TENANTS = {"@odata.type": "#microsoft.graph.conditionalAccessAllExternalTenants", "membershipKind": "all"}


def test_guest_types_include_exclude_and_tenants(ctx: Context) -> None:
    p = pol(users={"includeGuestsOrExternalUsers": _guests("b2bCollaborationGuest", ALL_TENANTS)})
    r = run(p, sc(RAVI), ctx)
    assert r.applies and "B2B collaboration guest user" in text(r)
    assert not run(p, sc(LOCAL_GUEST), ctx).applies
    assert not run(p, sc(ADELE), ctx).applies
    assert run(pol(users={"includeGuestsOrExternalUsers": _guests("internalGuest")}), sc(LOCAL_GUEST), ctx).applies
    assert run(pol(users={"includeGuestsOrExternalUsers": _guests("b2bCollaborationMember", ALL_TENANTS)}),
               sc(B2B_MEMBER), ctx).applies
    # exclusion of guest types beats All users
    p = pol(users={"includeUsers": ["All"],
                   "excludeGuestsOrExternalUsers": _guests("b2bCollaborationGuest,internalGuest", ALL_TENANTS)})
    assert not run(p, sc(RAVI), ctx).applies and not run(p, sc(LOCAL_GUEST), ctx).applies
    assert run(p, sc(ADELE), ctx).applies
    # an enumerated tenant list cannot match: a guest's home tenant is not in its directory object
    enumerated = {"@odata.type": "#microsoft.graph.conditionalAccessEnumeratedExternalTenants",
                  "membershipKind": "enumerated", "members": ["9a9a9a9a-0000-4000-8000-000000000001"]}
    assert not run(pol(users={"includeGuestsOrExternalUsers": _guests("b2bCollaborationGuest", enumerated)}),
                   sc(RAVI), ctx).applies


def test_legacy_guests_or_external_users(ctx: Context) -> None:
    p = pol(users={"includeUsers": ["All"], "excludeUsers": ["GuestsOrExternalUsers"]})
    assert not run(p, sc(RAVI), ctx).applies
    assert not run(p, sc(LOCAL_GUEST), ctx).applies
    assert run(p, sc(ADELE), ctx).applies
    assert run(pol(users={"includeUsers": ["GuestsOrExternalUsers"]}), sc(B2B_MEMBER), ctx).applies


# --- target resources ---------------------------------------------------------------------------------------


def test_apps_all_id_none_and_exclusion(ctx: Context) -> None:
    assert run(pol(), sc(app=PAYROLL), ctx).applies
    r = run(pol(apps={"includeApplications": [PAYROLL]}), sc(app=PAYROLL), ctx)
    assert r.applies and "'Payroll'" in text(r)
    r = run(pol(apps={"includeApplications": [PAYROLL]}), sc(app=EXO), ctx)
    assert not r.applies and "includes only Payroll" in text(r)
    assert not run(pol(apps={"includeApplications": ["None"]}), sc(app=PAYROLL), ctx).applies
    r = run(pol(apps={"includeApplications": ["All"], "excludeApplications": [PAYROLL]}), sc(app=PAYROLL), ctx)
    assert not r.applies and "excluding beats including" in text(r)
    # the All alias stands for an app no policy names: specific exclusions do not exclude it
    assert run(pol(apps={"includeApplications": ["All"], "excludeApplications": [PAYROLL]}), sc(), ctx).applies
    assert not run(pol(apps={"includeApplications": [PAYROLL]}), sc(), ctx).applies


def test_office365_group(ctx: Context) -> None:
    p = pol(apps={"includeApplications": ["Office365"]})
    r = run(p, sc(app=EXO), ctx)
    assert r.applies and "part of the Office 365 group" in text(r) and "Office 365 Exchange Online" in text(r)
    assert run(p, sc(app="Office365"), ctx).applies
    assert not run(p, sc(app=PAYROLL), ctx).applies
    assert not run(p, sc(app="All"), ctx).applies
    p = pol(apps={"includeApplications": ["All"], "excludeApplications": ["Office365"]})
    assert not run(p, sc(app=EXO), ctx).applies
    assert not run(p, sc(app="Office365"), ctx).applies
    assert run(p, sc(app=PAYROLL), ctx).applies
    assert EXO in ca_catalog.OFFICE_365_APPS


def test_microsoft_admin_portals(ctx: Context) -> None:
    p = pol(apps={"includeApplications": ["MicrosoftAdminPortals"]})
    r = run(p, sc(app=AZURE_PORTAL), ctx)
    assert r.applies and "Microsoft Admin Portals" in text(r)
    assert run(p, sc(app="MicrosoftAdminPortals"), ctx).applies
    # Learn: the grouping does not include the back-end services the portals call (Azure management)
    assert not run(p, sc(app=AZURE_MANAGEMENT_APP_ID), ctx).applies
    assert set(ca_catalog.MICROSOFT_ADMIN_PORTALS_APPS) == {
        "497effe9-df71-4043-a8bb-14cf78c4b63b", AZURE_PORTAL, "00000006-0000-0ff1-ce00-000000000000",
        "80ccca67-54bd-44ab-8625-4b79c4dc7775"}


def test_user_actions(ctx: Context) -> None:
    p = pol(apps={"includeApplications": [], "includeUserActions": ["urn:user:registersecurityinfo"]})
    r = run(p, sc(user_action="registerSecurityInformation"), ctx)
    assert r.applies and "'Register security information'" in text(r)
    assert not run(p, sc(user_action="registerOrJoinDevices"), ctx).applies
    r = run(p, sc(app="All"), ctx)
    assert not r.applies and "targets the user action" in text(r)
    # an app policy, even All resources, is not evaluated for a user action
    r = run(pol(), sc(user_action="registerSecurityInformation"), ctx)
    assert not r.applies and "not even by 'All resources'" in text(r)


def test_authentication_context(ctx: Context) -> None:
    p = pol(apps={"includeApplications": [], "includeAuthenticationContextClassReferences": ["c1"]})
    assert run(p, sc(auth_context="c1"), ctx).applies
    assert not run(p, sc(auth_context="c2"), ctx).applies
    assert not run(p, sc(app="All"), ctx).applies
    assert not run(pol(), sc(auth_context="c1"), ctx).applies


def test_application_filter_is_noted_not_evaluated(ctx: Context) -> None:
    p = pol(apps={"includeApplications": [PAYROLL],
                  "applicationFilter": {"mode": "include", "rule": 'CustomSecurityAttribute.x -eq "y"'}})
    r = run(p, sc(app=EXO), ctx)
    assert not r.applies and "custom security attributes" in text(r)


def test_workload_identity_policies_never_apply_to_users(ctx: Context) -> None:
    p = pol(users={"includeUsers": ["None"]},
            clientApplications={"includeServicePrincipals": ["ServicePrincipalsInMyTenant"]})
    r = run(p, sc(), ctx)
    assert not r.applies and r.reasons == ("the policy targets workload identities (service principals), "
                                           "not user sign-ins",)
    r = run(pol(servicePrincipalRiskLevels=["high"]), sc(), ctx)
    assert not r.applies and "service principal risk" in text(r)


# --- client apps, platforms ---------------------------------------------------------------------------------


def test_client_app_types(ctx: Context) -> None:
    default = pol(clientAppTypes=[])
    r = run(default, sc(), ctx)
    assert r.applies and "client app browser is targeted (default: all client apps)" in r.reasons
    assert run(default, sc(client_app="other"), ctx).applies
    legacy = pol(clientAppTypes=["exchangeActiveSync", "other"], grant=("OR", ["block"]))
    assert not run(legacy, sc(), ctx).applies
    assert run(legacy, sc(client_app="exchangeActiveSync"), ctx).applies
    assert run(legacy, sc(client_app="other"), ctx).applies
    assert run(pol(clientAppTypes=["easSupported"]), sc(client_app="exchangeActiveSync"), ctx).applies
    assert not run(pol(clientAppTypes=["browser"]), sc(client_app="mobileAppsAndDesktopClients"), ctx).applies


def test_unknown_platform(ctx: Context) -> None:
    only = pol(platforms={"includePlatforms": ["iOS", "android"]})
    r = run(only, sc(), ctx)
    assert not r.applies
    assert "platform not given: unknown platform; the policy includes only iOS, android" in r.reasons
    assert run(only, sc(platform="iOS"), ctx).applies
    assert not run(only, sc(platform="windows"), ctx).applies
    all_but = pol(platforms={"includePlatforms": ["all"], "excludePlatforms": ["windows", "macOS"]})
    r = run(all_but, sc(), ctx)
    assert r.applies and "not excluded" in text(r)
    assert not run(all_but, sc(platform="windows"), ctx).applies
    assert run(all_but, sc(platform="linux"), ctx).applies


# --- locations ----------------------------------------------------------------------------------------------


def _loc(include: list[str], exclude: list[str] | None = None) -> dict:
    return {"includeLocations": include, "excludeLocations": exclude or []}


def test_trusted_and_untrusted_ip(ctx: Context) -> None:
    r = run(pol(locations=_loc([HQ])), sc(ip="203.0.113.7"), ctx)
    assert r.applies and "location 203.0.113.7 is in 'Contoso HQ' (trusted)" in text(r)
    r = run(pol(locations=_loc([BRANCH])), sc(ip="198.51.100.9"), ctx)
    assert r.applies and "'Branch office' (not trusted)" in text(r)
    all_but_trusted = pol(locations=_loc(["All"], ["AllTrusted"]))
    assert not run(all_but_trusted, sc(ip="203.0.113.7"), ctx).applies
    assert run(all_but_trusted, sc(ip="198.51.100.9"), ctx).applies
    assert run(pol(locations=_loc(["AllTrusted"])), sc(ip="203.0.113.200"), ctx).applies
    assert not run(pol(locations=_loc(["AllTrusted"])), sc(ip="198.51.100.9"), ctx).applies


def test_ipv6(ctx: Context) -> None:
    p = pol(locations=_loc([HQ]))
    assert run(p, sc(ip="2001:db8:1:42::1"), ctx).applies
    assert not run(p, sc(ip="2001:db8:2::1"), ctx).applies


def test_unknown_location(ctx: Context) -> None:
    r = run(pol(locations=_loc([HQ])), sc(), ctx)
    assert not r.applies and "IP and country not given: unknown location; the policy includes only 'Contoso HQ'" \
        in r.reasons
    r = run(pol(locations=_loc(["All"], [HQ, ALLOWED])), sc(), ctx)
    assert r.applies and "not excluded by the exclusion of 'Contoso HQ', 'Allowed countries'" in text(r)
    assert run(pol(locations=_loc(["All"], ["AllTrusted"])), sc(), ctx).applies


def test_countries_and_unknown_countries(ctx: Context) -> None:
    allowed, blocked = pol(locations=_loc([ALLOWED])), pol(locations=_loc([BLOCKED]))
    r = run(allowed, sc(country="NL"), ctx)
    assert r.applies and "country NL (by IP address) is in 'Allowed countries'" in text(r)
    assert not run(allowed, sc(country="FR"), ctx).applies
    # the lookup found no country: only a location with includeUnknownCountriesAndRegions has it
    assert not run(allowed, sc(country=UNKNOWN_COUNTRY), ctx).applies
    r = run(blocked, sc(country=UNKNOWN_COUNTRY), ctx)
    assert r.applies and "includes unknown countries/regions" in text(r)
    # no country given: unknown, not "no country"
    assert not run(blocked, sc(ip="192.0.2.1"), ctx).applies
    r = run(pol(locations=_loc([GPS])), sc(country="NL"), ctx)
    assert r.applies and "by Authenticator GPS" in text(r)
    p = pol(locations=_loc(["All"], [ALLOWED]), grant=("OR", ["block"]))
    assert not run(p, sc(country="DE"), ctx).applies
    assert run(p, sc(country="US"), ctx).applies


def test_compliant_network_and_missing_locations(ctx: Context) -> None:
    p = pol(locations=_loc(["All"], [COMPLIANT_NET]), grant=("OR", ["block"]))
    assert run(p, sc(ip="198.51.100.9"), ctx).applies
    r = run(p, sc(ip="198.51.100.9", compliant_network=True), ctx)
    assert not r.applies and "Global Secure Access" in text(r)
    deleted = uid(299)
    r = run(pol(locations=_loc([deleted])), sc(ip="203.0.113.7"), ctx)
    assert not r.applies and "does not exist" in text(r)


def test_mfa_trusted_ips_are_trusted() -> None:
    ctx = Context.from_tenant(make_tenant(), mfa_trusted_ips=["192.0.2.0/24"])
    p = pol(locations=_loc(["All"], ["AllTrusted"]))
    r = run(p, sc(ip="192.0.2.10"), ctx)
    assert not r.applies and "MFA trusted IPs" in text(r)
    assert run(pol(locations=_loc(["00000000-0000-0000-0000-000000000000"])), sc(ip="192.0.2.10"), ctx).applies


# --- risk, device, flows, state -----------------------------------------------------------------------------


def test_risk_levels(ctx: Context) -> None:
    p = pol(signInRiskLevels=["medium", "high"])
    assert not run(p, sc(), ctx).applies
    assert run(p, sc(sign_in_risk="high"), ctx).applies
    assert run(pol(userRiskLevels=["high"]), sc(user_risk="high"), ctx).applies
    assert not run(pol(userRiskLevels=["high"]), sc(user_risk="low"), ctx).applies
    insider = pol(insiderRiskLevels="moderate,elevated")
    r = run(insider, sc(), ctx)
    assert not r.applies and "insider risk not given" in text(r)
    assert run(insider, sc(insider_risk="elevated"), ctx).applies
    assert not run(insider, sc(insider_risk="minor"), ctx).applies


@needs_device_filter
def test_device_filter_include_and_exclude(ctx: Context) -> None:
    exclude = pol(devices={"deviceFilter": {"mode": "exclude",
                                            "rule": 'device.isCompliant -eq True -or device.trustType -eq "ServerAD"'}})
    assert run(exclude, sc(), ctx).applies  # unregistered: positive operators do not match
    assert not run(exclude, sc(device={"isCompliant": True}), ctx).applies
    assert not run(exclude, sc(device={"trustType": "ServerAD"}), ctx).applies
    include = pol(devices={"deviceFilter": {"mode": "include", "rule": 'device.trustType -eq "AzureAD"'}})
    assert not run(include, sc(), ctx).applies
    assert run(include, sc(device={"trustType": "AzureAD"}), ctx).applies
    negative = pol(devices={"deviceFilter": {"mode": "include", "rule": 'device.extensionAttribute1 -ne "SAW"'}})
    assert run(negative, sc(), ctx).applies  # unregistered: a negative operator matches


@needs_device_filter
def test_bad_device_filter_never_crashes(ctx: Context) -> None:
    r = run(pol(devices={"deviceFilter": {"mode": "include", "rule": "device.isCompliant -eq"}}), sc(), ctx)
    assert not r.applies and text(r).startswith("error: the device filter cannot be evaluated")
    r = run(pol(devices={"deviceFilter": {"mode": "exclude", "rule": "device.nonsense -eq 1"}}), sc(), ctx)
    assert r.applies and "excludes nothing" in text(r)


def test_legacy_device_states(ctx: Context) -> None:
    p = pol(devices={"includeDevices": ["All"], "excludeDevices": ["Compliant", "DomainJoined"]})
    assert run(p, sc(), ctx).applies
    assert not run(p, sc(device={"isCompliant": True}), ctx).applies
    assert not run(p, sc(device={"trustType": "ServerAD"}), ctx).applies


def test_authentication_flows(ctx: Context) -> None:
    p = pol(authenticationFlows={"transferMethods": "deviceCodeFlow"}, grant=("OR", ["block"]))
    assert not run(p, sc(), ctx).applies
    assert run(p, sc(auth_flow="deviceCodeFlow"), ctx).applies
    assert not run(p, sc(auth_flow="authenticationTransfer"), ctx).applies
    both = pol(authenticationFlows={"transferMethods": "deviceCodeFlow,authenticationTransfer"})
    assert run(both, sc(auth_flow="authenticationTransfer"), ctx).applies


def test_report_only_and_disabled(ctx: Context) -> None:
    policies = [pol("on"), pol("ro", state="enabledForReportingButNotEnforced", grant=("OR", ["block"])),
                pol("off", state="disabled", grant=("OR", ["block"]))]
    res = what_if(policies, sc(), ctx)
    assert res.applied == ("on",) and res.report_only == ("ro",)
    assert res.decision == "controls"  # the report-only block is not enforced
    off = next(p for p in res.policies if p.id == "off")
    assert off.applies is False and off.reasons == ("disabled",)
    ro = next(p for p in res.policies if p.id == "ro")
    assert ro.applies is True and ro.state == "enabledForReportingButNotEnforced"


def test_reasons_cover_every_failing_condition(ctx: Context) -> None:
    p = pol(users={"includeUsers": [ALEX]}, platforms={"includePlatforms": ["iOS"]},
            signInRiskLevels=["high"])
    r = run(p, sc(), ctx)
    assert not r.applies and len(r.reasons) == 3


# --- combination ----------------------------------------------------------------------------------------------


def test_requirements_and_or_block_and_ordering(ctx: Context) -> None:
    policies = [
        pol("a", grant=("OR", ["mfa"])),
        pol("b", grant=("OR", ["domainJoinedDevice", "compliantDevice"])),
        pol("c", grant=("AND", ["mfa", "compliantApplication"])),
        pol("d", grant=("OR", ["mfa"]), grant_extra={"termsOfUse": ["tou1"]}),
        pol("e", grant=("OR", []),
            grant_extra={"authenticationStrength": {"id": "00000000-0000-0000-0000-000000000004"},
                         "customAuthenticationFactors": ["cc1"]}),
    ]
    res = what_if(policies, sc(), ctx)
    assert res.decision == "controls"
    assert res.requirements == (
        ("authenticationStrength:00000000-0000-0000-0000-000000000004", "customControl:cc1"),
        ("compliantApplication",),
        ("compliantDevice", "domainJoinedDevice"),
        ("mfa",),
        ("mfa", "termsOfUse:tou1"),
    )
    blocked = what_if(policies + [pol("z", grant=("OR", ["block"]))], sc(), ctx)
    assert blocked.decision == "block" and "z" in blocked.applied
    assert ["block"] not in blocked.to_json()["summary"]["requirements"]


def test_decision_allow(ctx: Context) -> None:
    assert what_if([], sc(), ctx).decision == "allow"
    session_only = pol("s", grant=None, session={"persistentBrowser": {"isEnabled": True, "mode": "never"}})
    res = what_if([session_only, pol("x", users={"includeUsers": [ALEX]})], sc(), ctx)
    assert res.decision == "allow" and res.applied == ("s",) and res.requirements == ()
    assert res.session == {"persistentBrowser": "never"}


def test_policy_requirements_without_operator() -> None:
    grant = ConditionalAccessGrantControls.from_wire({"builtInControls": ["mfa", "compliantDevice"]})
    assert policy_requirements(grant) == (("compliantDevice",), ("mfa",))
    assert policy_requirements(None) == ()


def _session(wire: dict) -> dict:
    return policy_session(ConditionalAccessSessionControls.from_wire(wire))


def test_session_merge_most_restrictive() -> None:
    every = _session({"signInFrequency": {"isEnabled": True, "frequencyInterval": "everyTime",
                                          "authenticationType": "primaryAndSecondaryAuthentication"}})
    four_h = _session({"signInFrequency": {"isEnabled": True, "value": 4, "type": "hours",
                                           "frequencyInterval": "timeBased"},
                       "persistentBrowser": {"isEnabled": True, "mode": "always"}})
    one_day = _session({"signInFrequency": {"isEnabled": True, "value": 1, "type": "days"},
                        "persistentBrowser": {"isEnabled": True, "mode": "never"},
                        "applicationEnforcedRestrictions": {"isEnabled": True},
                        "cloudAppSecurity": {"isEnabled": True, "cloudAppSecurityType": "blockDownloads"}})
    cae = _session({"continuousAccessEvaluation": {"mode": "strictLocation"}, "disableResilienceDefaults": True})
    cae_off = _session({"continuousAccessEvaluation": {"mode": "disabled"},
                        "cloudAppSecurity": {"isEnabled": True, "cloudAppSecurityType": "monitorOnly"}})
    merged = merge_sessions([one_day, four_h])
    assert merged["signInFrequency"]["value"] == 4 and merged["signInFrequency"]["type"] == "hours"
    assert merged["persistentBrowser"] == "never"
    assert merged["applicationEnforcedRestrictions"] is True
    assert merge_sessions([four_h, every, one_day])["signInFrequency"]["frequencyInterval"] == "everyTime"
    assert merge_sessions([four_h])["persistentBrowser"] == "always"
    assert merge_sessions([cae, four_h])["continuousAccessEvaluation"] == "strictLocation"
    both = merge_sessions([cae, cae_off, one_day])
    assert both["continuousAccessEvaluation"] == "disabled" and both["disableResilienceDefaults"] is True
    assert both["cloudAppSecurity"] == ["blockDownloads", "monitorOnly"]
    assert _session({"signInFrequency": {"isEnabled": False, "value": 1, "type": "hours"}}) == {}


# --- the JSON contract --------------------------------------------------------------------------------------


def test_to_json_shape(ctx: Context) -> None:
    policies = [pol("b", grant=("OR", ["mfa"])), pol("a", grant=("AND", ["compliantDevice", "mfa"])),
                pol("r", state="enabledForReportingButNotEnforced"), pol("d", state="disabled")]
    out = what_if(policies, sc(ip="203.0.113.7", platform="windows"), ctx).to_json()
    json.dumps(out)  # plain JSON
    assert list(out) == ["scenario", "policies", "summary"]
    assert [p["id"] for p in out["policies"]] == ["b", "a", "r", "d"]
    for p in out["policies"]:
        assert list(p) == ["id", "displayName", "state", "applies", "reasons"]
        assert isinstance(p["reasons"], list) and all(isinstance(x, str) for x in p["reasons"])
    summary = out["summary"]
    assert list(summary) == ["applied", "reportOnly", "decision", "requirements", "session"]
    assert summary["applied"] == ["a", "b"] and summary["reportOnly"] == ["r"]
    assert summary["decision"] == "controls"
    assert summary["requirements"] == [["compliantDevice"], ["mfa"]]
    s = out["scenario"]
    assert s["user"]["id"] == ADELE and s["user"]["userPrincipalName"] == "adelev@contoso.com"
    assert [g["displayName"] for g in s["groups"]] == ["SG-Finance", "SG-Finance-EU"]
    assert [n["displayName"] for n in s["namedLocations"]] == ["Contoso HQ"]
    assert s["app"] == {"id": "All", "displayName": "an app no policy names (All)"}
    assert s["platform"] == "windows" and s["clientApp"] == "browser" and s["signInRisk"] == "none"


def test_scenario_describes_roles_and_break_glass(ctx: Context) -> None:
    s = what_if([], sc(ALEX, app=EXO), ctx).to_json()["scenario"]
    assert s["roles"] == [{"id": GA, "displayName": "Global Administrator"}]
    assert s["eligibleRoles"] == [{"id": SEC_ADMIN, "displayName": "Security Administrator"}]
    assert s["app"] == {"id": EXO, "displayName": "Office 365 Exchange Online"}
    assert what_if([], sc(BG), ctx).to_json()["scenario"]["user"]["breakGlass"] is True


# --- scenarios and CLI inputs -------------------------------------------------------------------------------


def test_scenario_validation() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Scenario(user_id=ADELE)
    with pytest.raises(ValueError, match="exactly one"):
        Scenario(user_id=ADELE, app="All", user_action="registerSecurityInformation")
    with pytest.raises(ValueError, match="platform must be one of"):
        Scenario(user_id=ADELE, app="All", platform="chromeOS")
    with pytest.raises(ValueError, match="ip must be"):
        Scenario(user_id=ADELE, app="All", ip="300.1.1.1")
    assert Scenario(user_id=ADELE, app="All", platform="ios").platform == "iOS"
    assert Scenario(user_id=ADELE, app="All", country="nl").country == "NL"
    assert hash(Scenario(user_id=ADELE, app="All", device={"isCompliant": True}))


def test_resolve_scenario_users_and_apps(ctx: Context) -> None:
    s = resolve_scenario(ctx, user="AdeleV@contoso.com", app="Payroll")
    assert s.user_id == ADELE and s.app == PAYROLL and s.client_app == "browser"
    assert resolve_scenario(ctx, user=ADELE, app="azuremanagement").app == AZURE_MANAGEMENT_APP_ID
    assert resolve_scenario(ctx, user=ADELE, app="office365").app == "Office365"
    assert resolve_scenario(ctx, user=ADELE, app=EXO.upper()).app == EXO
    with pytest.raises(ValueError, match="matches 2 service principals") as err:
        resolve_scenario(ctx, user=ADELE, app="Duplicate App")
    assert DUP1 in str(err.value) and DUP2 in str(err.value)
    with pytest.raises(ValueError, match="candidates: Payroll"):
        resolve_scenario(ctx, user=ADELE, app="Payrol")
    with pytest.raises(ValueError, match="no user"):
        resolve_scenario(ctx, user="nobody@contoso.com", app="All")
    with pytest.raises(ValueError, match="--app is required unless --user-action"):
        resolve_scenario(ctx, user=ADELE)
    s = resolve_scenario(ctx, user=ADELE, user_action="registersecurityinformation")
    assert s.user_action == "registerSecurityInformation" and s.app is None


def test_resolve_scenario_enums(ctx: Context) -> None:
    with pytest.raises(ValueError, match="--client-app must be one of browser, mobileAppsAndDesktopClients"):
        resolve_scenario(ctx, user=ADELE, app="All", client_app="imap")
    with pytest.raises(ValueError, match="--sign-in-risk must be one of none, low, medium, high"):
        resolve_scenario(ctx, user=ADELE, app="All", sign_in_risk="extreme")
    with pytest.raises(ValueError, match="--country"):
        resolve_scenario(ctx, user=ADELE, app="All", country="Netherlands")
    with pytest.raises(ValueError, match="--ip"):
        resolve_scenario(ctx, user=ADELE, app="All", ip="not-an-ip")
    with pytest.raises(ValueError, match="--user-action"):
        resolve_scenario(ctx, user=ADELE, user_action="resetPassword")
    s = resolve_scenario(ctx, user=ADELE, app="All", country="unknown", platform="MACOS", user_risk="High")
    assert s.country == UNKNOWN_COUNTRY and s.platform == "macOS" and s.user_risk == "high"


def test_resolve_scenario_auth_context_and_flow(ctx: Context) -> None:
    s = resolve_scenario(ctx, user=ADELE, auth_context=" C7 ", auth_flow="DEVICECODEFLOW")
    assert s.auth_context == "c7" and s.app is None and s.auth_flow == "deviceCodeFlow"
    assert resolve_scenario(ctx, user=ADELE, app="All", auth_flow="authenticationtransfer").auth_flow == \
        "authenticationTransfer"
    assert resolve_scenario(ctx, user=ADELE, app="All").auth_flow is None
    with pytest.raises(ValueError, match="--auth-context must be c1 ... c99"):
        resolve_scenario(ctx, user=ADELE, auth_context="c0")
    with pytest.raises(ValueError, match="give only one of --app, --auth-context"):
        resolve_scenario(ctx, user=ADELE, app="All", auth_context="c1")
    with pytest.raises(ValueError, match="--auth-flow must be one of deviceCodeFlow, authenticationTransfer"):
        resolve_scenario(ctx, user=ADELE, app="All", auth_flow="deviceCode")
    with pytest.raises(ValueError, match="--app is required unless --user-action or --auth-context is given"):
        resolve_scenario(ctx, user=ADELE, auth_flow="deviceCodeFlow")


@needs_device_filter
def test_resolve_scenario_device_assignments(ctx: Context) -> None:
    s = resolve_scenario(ctx, user=ADELE, app="All", device=["isCompliant=True", "trustType=AzureAD"])
    assert s.device is not None and s.device["isCompliant"] is True and s.device["trustType"] == "AzureAD"
    with pytest.raises(ValueError):
        resolve_scenario(ctx, user=ADELE, app="All", device=["colour=blue"])


def test_resolve_from_tenant() -> None:
    s = resolve_scenario(make_tenant(), user="alexw@contoso.com", app="All")
    assert s.user_id == ALEX


# --- the demo tenant ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo():
    from ztconsole.demo import demo_dir
    from ztconsole.tenantdir import load_tenant

    tenant = load_tenant(demo_dir())
    return tenant, Context.from_tenant(tenant)


def _by_name(result, prefix: str):
    return next(p for p in result.policies if p.display_name.startswith(prefix))


def test_demo_break_glass(demo) -> None:
    tenant, ctx = demo
    for app in ("All", "Office365", "MicrosoftAdminPortals", AZURE_MANAGEMENT_APP_ID):
        for client_app in ("browser", "mobileAppsAndDesktopClients", "exchangeActiveSync", "other"):
            one = resolve_scenario(ctx, user="bg-admin-01@contoso.onmicrosoft.com", app=app, client_app=client_app)
            assert what_if(tenant.ca_policies, one, ctx).decision == "allow"
    two = what_if(tenant.ca_policies, resolve_scenario(ctx, user="bg-admin-02@contoso.onmicrosoft.com", app="All"),
                  ctx)
    assert two.decision == "controls" and ("mfa",) in two.requirements
    assert _by_name(two, "CA025").applies and _by_name(two, "CA025").id in two.report_only
    assert two.scenario["user"]["breakGlass"] is True


def test_demo_policies(demo) -> None:
    tenant, ctx = demo
    megan = what_if(tenant.ca_policies, resolve_scenario(ctx, user="meganb@contoso.com", app="AzureManagement",
                                                         ip="203.0.113.7", country="NL"), ctx)
    assert _by_name(megan, "CA004").applies  # permanent Global Administrator
    assert ("authenticationStrength:00000000-0000-0000-0000-000000000004",) in megan.requirements
    assert _by_name(megan, "CA003").id in megan.report_only
    assert megan.session["persistentBrowser"] == "never"
    guest = what_if(tenant.ca_policies, resolve_scenario(
        ctx, user="ravi.kumar_fabrikam.com#EXT#@contoso.onmicrosoft.com", app="Office365"), ctx)
    assert _by_name(guest, "CA009").applies and not _by_name(guest, "CA010").applies
    assert not _by_name(guest, "CA001").applies  # guests are excluded: left to CA009
    # ... which covers only Office 365: the gap the demo was built with
    elsewhere = what_if(tenant.ca_policies, resolve_scenario(
        ctx, user="ravi.kumar_fabrikam.com#EXT#@contoso.onmicrosoft.com", app="All"), ctx)
    assert _by_name(elsewhere, "CA009").failed == ("application",)
    assert elsewhere.decision == "allow" and not elsewhere.requirements
    code = what_if(tenant.ca_policies, resolve_scenario(ctx, user="adelev@contoso.com", app="All",
                                                        auth_flow="deviceCodeFlow"), ctx)
    assert code.decision == "block" and _by_name(code, "CA008").applies
    register = what_if(tenant.ca_policies, resolve_scenario(
        ctx, user="adelev@contoso.com", user_action="registerSecurityInformation", ip="192.0.2.44"), ctx)
    assert register.decision == "block" and _by_name(register, "CA014").applies
    assert not _by_name(register, "CA001").applies
    at_hq = what_if(tenant.ca_policies, resolve_scenario(
        ctx, user="adelev@contoso.com", user_action="registerSecurityInformation", ip="203.0.113.7"), ctx)
    assert not _by_name(at_hq, "CA014").applies
    legacy = what_if(tenant.ca_policies, resolve_scenario(ctx, user="adelev@contoso.com", app="Office365",
                                                          client_app="exchangeActiveSync"), ctx)
    assert legacy.decision == "block" and _by_name(legacy, "CA002").applies
    assert _by_name(legacy, "CA023").reasons == ("disabled",)


# --- properties over the demo -------------------------------------------------------------------------------

_DEMO_USERS = st.sampled_from(["adelev@contoso.com", "meganb@contoso.com", "bg-admin-02@contoso.onmicrosoft.com",
                               "ravi.kumar_fabrikam.com#EXT#@contoso.onmicrosoft.com", "ext-mila.novak@contoso.com"])
_TARGETS = st.one_of(
    st.fixed_dictionaries({"app": st.sampled_from(["All", "Office365", "MicrosoftAdminPortals", EXO,
                                                   AZURE_MANAGEMENT_APP_ID, AZURE_PORTAL])}),
    st.fixed_dictionaries({"user_action": st.sampled_from(["registerSecurityInformation",
                                                           "registerOrJoinDevices"])}),
    st.fixed_dictionaries({"auth_context": st.sampled_from(["c1", "c2"])}),
)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(user=_DEMO_USERS, target=_TARGETS, client_app=st.sampled_from(CLIENT_APPS),
       platform=st.sampled_from((None, *PLATFORMS)),
       ip=st.sampled_from((None, "203.0.113.7", "2001:db8:1000::9", "192.0.2.1")),
       country=st.sampled_from((None, "NL", "KP", UNKNOWN_COUNTRY)), compliant_network=st.booleans(),
       risk=st.sampled_from(RISK_LEVELS), insider=st.sampled_from((None, *INSIDER_RISK_LEVELS)),
       device=st.sampled_from((None, {"isCompliant": True}, {"trustType": "ServerAD"})),
       flow=st.sampled_from((None, *AUTH_FLOWS)))
def test_demo_properties(demo, user, target, client_app, platform, ip, country, compliant_network, risk, insider,
                         device, flow) -> None:
    tenant, ctx = demo
    scenario = resolve_scenario(ctx, user=user, client_app=client_app, platform=platform, ip=ip, country=country,
                                compliant_network=compliant_network, sign_in_risk=risk, user_risk=risk,
                                insider_risk=insider, device=device, auth_flow=flow, **target)
    res = what_if(tenant.ca_policies, scenario, ctx)
    json.dumps(res.to_json())
    states = {p.id: p.state for p in res.policies}
    assert all(states[i] == "enabled" for i in res.applied)
    assert all(states[i] == "enabledForReportingButNotEnforced" for i in res.report_only)
    assert all(p.reasons for p in res.policies)
    assert all(not p.applies for p in res.policies if p.state == "disabled")
    assert list(res.requirements) == sorted(set(res.requirements))
    blocks = any(p.blocks for p in res.policies if p.id in res.applied)
    assert res.decision == ("block" if blocks else "controls" if res.requirements else "allow")

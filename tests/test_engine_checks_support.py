"""Plain-data tenants for the check tests (no tests here): a small, healthy tenant that every check passes
on, and the means to spoil one thing at a time."""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from tenants import make_tenant, member, policy_json, uid
from ztconsole.engine.checks import BY_ID, CheckContext, Finding, run_check
from ztconsole.model.access import Application, ConditionalAccessSettings
from ztconsole.model.ca import (
    AUTH_STRENGTH_PHISHING_RESISTANT_MFA,
    AZURE_MANAGEMENT_APP_ID,
    ContinuousAccessEvaluationPolicy,
)
from ztconsole.model.directory import GLOBAL_ADMINISTRATOR, AuthenticationMethod
from ztconsole.model.tenant import DataSetResult, Tenant
from ztconsole.model.wire import parse_one

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
BG1, BG2, ALICE, BOB, MEGAN = uid(1), uid(2), uid(3), uid(4), uid(5)
G_BG, G_BG_INNER, G_STAFF = uid(101), uid(102), uid(103)
HELPDESK = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
LOC_IP, LOC_BAD_COUNTRIES = uid(201), uid(202)
BG_UPNS = ("bg1@contoso.onmicrosoft.com", "bg2@contoso.onmicrosoft.com")
EXCLUDE_BG = {"includeUsers": ["All"], "excludeGroups": [G_BG]}  # the emergency accounts, through nesting


def ago(days: float) -> str:
    from datetime import timedelta

    return (NOW - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def user(oid: str, upn: str, **extra: Any) -> dict[str, Any]:
    return {"id": oid, "userPrincipalName": upn, "displayName": upn.split("@")[0], "userType": "Member",
            "accountEnabled": True, **extra}


def users() -> list[dict[str, Any]]:
    return [user(BG1, BG_UPNS[0], signInActivity={"lastSuccessfulSignInDateTime": ago(30)}),
            user(BG2, BG_UPNS[1], signInActivity={"lastSuccessfulSignInDateTime": ago(60)}),
            user(ALICE, "alice@contoso.com"), user(BOB, "bob@contoso.com"), user(MEGAN, "megan@contoso.com")]


def strength() -> dict[str, Any]:
    return {"id": AUTH_STRENGTH_PHISHING_RESISTANT_MFA, "displayName": "Phishing-resistant MFA",
            "policyType": "builtIn", "allowedCombinations": ["windowsHelloForBusiness", "fido2",
                                                               "x509CertificateMultiFactor"]}


def good_policies() -> list[dict[str, Any]]:
    """Microsoft's templates, each excluding the emergency accounts through a nested group."""
    mfa = policy_json("mfa-all", users=EXCLUDE_BG)
    legacy = policy_json("block-legacy", users=EXCLUDE_BG, grant=("OR", ["block"]))
    legacy["conditions"]["clientAppTypes"] = ["exchangeActiveSync", "other"]
    azure = policy_json("azure-device", users=EXCLUDE_BG, apps={"includeApplications": [AZURE_MANAGEMENT_APP_ID]},
                        grant=("OR", ["compliantDevice", "domainJoinedDevice"]))
    risk = policy_json("risky", users=EXCLUDE_BG, signInRiskLevels=["medium", "high"])
    countries = policy_json("countries", users=EXCLUDE_BG, grant=("OR", ["block"]),
                            locations={"includeLocations": [LOC_BAD_COUNTRIES]})
    admins = policy_json("admins-pr", users={"includeRoles": [GLOBAL_ADMINISTRATOR, HELPDESK],
                                             "excludeGroups": [G_BG]}, grant=None)
    admins["grantControls"] = {"operator": "OR", "builtInControls": [], "authenticationStrength": strength()}
    codeflow = policy_json("device-code", users=EXCLUDE_BG, grant=("OR", ["block"]),
                           authenticationFlows={"transferMethods": "deviceCodeFlow"})
    strict = policy_json("strict-ip", users=EXCLUDE_BG, locations={"includeLocations": ["All"],
                                                                    "excludeLocations": [LOC_IP]})
    strict["sessionControls"] = {"continuousAccessEvaluation": {"mode": "strictLocation"}}
    for p in (mfa, legacy, azure, risk, countries, admins, codeflow, strict):
        p["modifiedDateTime"] = ago(100)
    return [mfa, legacy, azure, risk, countries, admins, codeflow, strict]


def build(*, policies: Iterable[Mapping[str, Any]] | None = None, user_list: list[dict[str, Any]] | None = None,
          assignments: list[dict[str, Any]] | None = None, eligibility: list[dict[str, Any]] | None = None,
          methods: Mapping[str, list[dict[str, Any]]] | None = None, sign_ins: list[dict[str, Any]] | None = None,
          cae: Mapping[str, Any] | None = None, gsa: str = "enabled", break_glass: tuple[str, ...] = BG_UPNS,
          members: Mapping[str, list[dict[str, Any]]] | None = None,
          statuses: Mapping[str, tuple[str, str]] | None = None) -> Tenant:
    roles = [{"id": GLOBAL_ADMINISTRATOR, "templateId": GLOBAL_ADMINISTRATOR, "displayName": "Global Administrator"},
             {"id": HELPDESK, "templateId": HELPDESK, "displayName": "Helpdesk Administrator"}]
    t = make_tenant(
        users=user_list if user_list is not None else users(),
        groups=[{"id": G_BG, "displayName": "SG-BreakGlass"}, {"id": G_BG_INNER, "displayName": "SG-BG-Accounts"},
                {"id": G_STAFF, "displayName": "SG-Staff"}],
        members=members if members is not None else {
            G_BG: [member(G_BG_INNER, "group")], G_BG_INNER: [member(BG1), member(BG2)],
            G_STAFF: [member(ALICE), member(BOB)]},
        roles=roles,
        assignments=assignments if assignments is not None else [
            {"id": "a1", "principalId": BG1, "roleDefinitionId": GLOBAL_ADMINISTRATOR, "directoryScopeId": "/"},
            {"id": "a2", "principalId": BG2, "roleDefinitionId": GLOBAL_ADMINISTRATOR, "directoryScopeId": "/"}],
        eligibility=eligibility if eligibility is not None else [
            {"id": "e1", "principalId": MEGAN, "roleDefinitionId": GLOBAL_ADMINISTRATOR, "directoryScopeId": "/"}],
        locations=[{"@odata.type": "#microsoft.graph.ipNamedLocation", "id": LOC_IP, "displayName": "HQ",
                    "isTrusted": True, "ipRanges": [{"@odata.type": "#microsoft.graph.iPv4CidrRange",
                                                     "cidrAddress": "203.0.113.0/24"}]},
                   {"@odata.type": "#microsoft.graph.countryNamedLocation", "id": LOC_BAD_COUNTRIES,
                    "displayName": "Never", "countriesAndRegions": ["KP", "IR"]}],
        sps=[{"id": uid(300), "appId": AZURE_MANAGEMENT_APP_ID, "displayName": "Windows Azure Service Management API"}],
        policies=policies if policies is not None else good_policies(),
        sign_ins=sign_ins if sign_ins is not None else [
            {"id": "s1", "createdDateTime": ago(30), "userId": BG1, "status": {"errorCode": 0}}],
        break_glass=break_glass, captured_at=NOW)
    fido = {"@odata.type": "#microsoft.graph.fido2AuthenticationMethod", "id": "k1"}
    chosen = methods if methods is not None else {BG1: [fido], BG2: [fido]}
    extra = {
        "auth_methods": {u: tuple(parse_one(AuthenticationMethod, m) for m in ms) for u, ms in chosen.items()},
        "cae_policy": ContinuousAccessEvaluationPolicy.from_wire(
            dict(cae) if cae is not None else {"id": "cae", "isEnabled": True, "users": [], "groups": [],
                                               "migrate": True}),
        "applications": (Application.from_wire({"id": uid(400), "appId": uid(401), "displayName": "Files",
                                                "tags": ["PrivateAccessNonWebApplication"]}),),
        "gsa_ca_settings": ConditionalAccessSettings.from_wire({"id": "gsa", "signalingStatus": gsa}),
    }
    for key, value in extra.items():
        t.results[key] = DataSetResult(key, "ok", value)
    for key, (status, message) in (statuses or {}).items():
        t.results[key] = DataSetResult(key, status, t.results[key].value if key in t.results else None,  # type: ignore[arg-type]
                                       message=message)
    return t


def run(tenant: Tenant, check_id: str, **kwargs: Any) -> list[Finding]:
    return run_check(BY_ID[check_id], CheckContext(tenant, source_args=("--tenant-dir", "/tmp/x y"), **kwargs))


def one(tenant: Tenant, check_id: str, **kwargs: Any) -> Finding:
    found = run(tenant, check_id, **kwargs)
    assert len(found) == 1, found
    return found[0]


def by_resource(findings: list[Finding]) -> dict[str, Finding]:
    return {f.resource.id: f for f in findings}


def reproductions(evidence: str) -> list[list[str]]:
    """The command lines in a finding's evidence, split as a shell splits them."""
    return [shlex.split(line.split("reproduce: ", 1)[1]) for line in evidence.splitlines() if "reproduce: " in line]


def policies_with(pid: str, **changes: Any) -> list[dict[str, Any]]:
    """The good policies with one of them changed (``None`` removes it)."""
    out = []
    for p in good_policies():
        if p["id"] == pid:
            if changes.get("remove"):
                continue
            p = {**p, **{k: v for k, v in changes.items() if k != "remove"}}
        out.append(p)
    return out

"""ZT-CA-001..011 on plain-data tenants: a pass and a fail each, and the documented edge cases (report-only vs
enabled, a disabled policy next to an enabled one, exclusions through nested groups)."""

from __future__ import annotations

from typing import Any

from tenants import member, policy_json
from test_engine_checks_support import (
    ALICE,
    BG1,
    BG2,
    BOB,
    G_BG,
    G_STAFF,
    HELPDESK,
    LOC_BAD_COUNTRIES,
    MEGAN,
    build,
    by_resource,
    good_policies,
    one,
    policies_with,
    reproductions,
    run,
)
from ztconsole.engine import ca_catalog
from ztconsole.model.ca import AZURE_MANAGEMENT_APP_ID, MICROSOFT_ADMIN_PORTALS
from ztconsole.model.directory import GLOBAL_ADMINISTRATOR

REPORT_ONLY = "enabledForReportingButNotEnforced"


def cond(pid: str) -> dict[str, Any]:
    return next(p for p in good_policies() if p["id"] == pid)["conditions"]


# --- ZT-CA-001 -------------------------------------------------------------------------------------------------


def test_ca001_passes_with_only_break_glass_excluded_through_nested_groups() -> None:
    f = one(build(), "ZT-CA-001")
    assert f.status == "pass" and "mfa-all" in f.evidence


def test_ca001_fails_when_the_exclusion_group_holds_anyone_else() -> None:
    t = build(members={G_BG: [member("00000000-0000-4000-8000-000000000102", "group"), member(G_STAFF, "group")],
                       "00000000-0000-4000-8000-000000000102": [member(BG1), member(BG2)],
                       G_STAFF: [member(ALICE), member(BOB)]})
    f = one(t, "ZT-CA-001")
    assert f.status == "fail" and "alice@contoso.com" in f.evidence and "bob@contoso.com" in f.evidence
    assert reproductions(f.evidence)


def test_ca001_report_only_never_satisfies_it() -> None:
    f = one(build(policies=policies_with("mfa-all", state=REPORT_ONLY)), "ZT-CA-001")
    assert f.status == "fail" and "not enabled" in f.evidence


def test_ca001_fails_on_role_or_guest_exclusions_and_narrowing() -> None:
    users = {"includeUsers": ["All"], "excludeGroups": [G_BG], "excludeRoles": [HELPDESK]}
    f = one(build(policies=policies_with("mfa-all", conditions={**cond("mfa-all"), "users": users})), "ZT-CA-001")
    assert f.status == "fail" and "Helpdesk Administrator" in f.evidence
    narrowed = {**cond("mfa-all"), "platforms": {"includePlatforms": ["windows"]}}
    assert one(build(policies=policies_with("mfa-all", conditions=narrowed)), "ZT-CA-001").status == "fail"
    mfa_or_device = policies_with("mfa-all", grantControls={"operator": "OR",
                                                             "builtInControls": ["mfa", "compliantDevice"]})
    assert one(build(policies=mfa_or_device), "ZT-CA-001").status == "fail"


# --- ZT-CA-002 -------------------------------------------------------------------------------------------------


def test_ca002_pass_and_fail() -> None:
    assert one(build(), "ZT-CA-002").status == "pass"
    only_eas = {**cond("block-legacy"), "clientAppTypes": ["exchangeActiveSync"]}
    f = one(build(policies=policies_with("block-legacy", conditions=only_eas)), "ZT-CA-002")
    assert f.status == "fail" and "other" in f.evidence


def test_ca002_a_disabled_legacy_block_never_passes_because_another_policy_is_enabled() -> None:
    f = one(build(policies=policies_with("block-legacy", state="disabled")), "ZT-CA-002")
    assert f.status == "fail" and "block-legacy" in f.evidence and "disabled" in f.evidence
    argv = reproductions(f.evidence)[0]
    assert argv[argv.index("--client-app") + 1] == "exchangeActiveSync"


def test_ca002_judges_the_enabled_one_next_to_a_disabled_one() -> None:
    disabled = {**next(p for p in good_policies() if p["id"] == "block-legacy"), "id": "old", "state": "disabled"}
    f = one(build(policies=[*good_policies(), disabled]), "ZT-CA-002")
    assert f.status == "pass" and "'Policy block-legacy'" in f.evidence.splitlines()[0]
    assert "'Policy block-legacy' (old, disabled) does not count" in f.evidence
    report_only = policies_with("block-legacy", state=REPORT_ONLY)
    assert one(build(policies=report_only), "ZT-CA-002").status == "fail"


# --- ZT-CA-003 -------------------------------------------------------------------------------------------------


def test_azure_management_is_not_an_admin_portal_app() -> None:
    """Learn, Target resources: Microsoft Admin Portals does not include Windows Azure Service Management API."""
    assert AZURE_MANAGEMENT_APP_ID not in ca_catalog.APP_GROUPS[MICROSOFT_ADMIN_PORTALS]


def test_ca003_accepts_the_app_id_or_the_admin_portals_group() -> None:
    assert one(build(), "ZT-CA-003").status == "pass"
    portals = {**cond("azure-device"), "applications": {"includeApplications": [MICROSOFT_ADMIN_PORTALS]}}
    assert one(build(policies=policies_with("azure-device", conditions=portals)), "ZT-CA-003").status == "pass"


def test_ca003_fails_without_a_device_requirement_or_when_report_only() -> None:
    mfa = policies_with("azure-device", grantControls={"operator": "OR", "builtInControls": ["mfa"]})
    assert one(build(policies=mfa), "ZT-CA-003").status == "fail"
    f = one(build(policies=policies_with("azure-device", state=REPORT_ONLY)), "ZT-CA-003")
    assert f.status == "fail" and "not enabled" in f.evidence
    either = policies_with("azure-device", grantControls={"operator": "OR",
                                                          "builtInControls": ["mfa", "compliantDevice"]})
    assert one(build(policies=either), "ZT-CA-003").status == "fail"


# --- ZT-CA-004, 005, 007, 008 ----------------------------------------------------------------------------------


def test_ca004_medium_and_high_risk() -> None:
    assert one(build(), "ZT-CA-004").status == "pass"
    high_only = {**cond("risky"), "signInRiskLevels": ["high"]}
    f = one(build(policies=policies_with("risky", conditions=high_only)), "ZT-CA-004")
    assert f.status == "fail" and "medium sign-in risk: no enabled policy" in f.evidence
    assert one(build(policies=policies_with("risky", remove=True)), "ZT-CA-004").status == "fail"


def test_ca005_countries_blocked() -> None:
    f = one(build(), "ZT-CA-005")
    assert f.status == "pass" and "IR, KP" in f.evidence
    assert one(build(policies=policies_with("countries", state="disabled")), "ZT-CA-005").status == "fail"
    allow = policies_with("countries", grantControls={"operator": "OR", "builtInControls": ["mfa"]})
    assert one(build(policies=allow), "ZT-CA-005").status == "fail"
    assert LOC_BAD_COUNTRIES


def test_ca007_privileged_roles_need_phishing_resistant_strength() -> None:
    assert one(build(), "ZT-CA-007").status == "pass"
    # Helpdesk Administrator held (eligible) but the policy names Global Administrator only
    t = build(policies=policies_with("admins-pr", conditions={
        **cond("admins-pr"), "users": {"includeRoles": [GLOBAL_ADMINISTRATOR]}}),
        eligibility=[{"id": "e", "principalId": MEGAN, "roleDefinitionId": HELPDESK, "directoryScopeId": "/"}])
    f = one(t, "ZT-CA-007")
    assert f.status == "fail" and "Helpdesk Administrator" in f.evidence
    mfa = policies_with("admins-pr", grantControls={"operator": "OR", "builtInControls": ["mfa"]})
    assert one(build(policies=mfa), "ZT-CA-007").status == "fail"


def test_ca008_device_code_flow() -> None:
    assert one(build(), "ZT-CA-008").status == "pass"
    # an exception for a device account keeps it "restricted", and is named
    excepted = {**cond("device-code"), "users": {"includeUsers": ["All"], "excludeUsers": [BOB]}}
    f = one(build(policies=policies_with("device-code", conditions=excepted)), "ZT-CA-008")
    assert f.status == "pass" and "bob@contoso.com" in f.evidence
    assert one(build(policies=policies_with("device-code", state=REPORT_ONLY)), "ZT-CA-008").status == "fail"
    assert one(build(policies=policies_with("device-code", remove=True)), "ZT-CA-008").status == "fail"


# --- ZT-CA-006 -------------------------------------------------------------------------------------------------


def test_ca006_each_report_only_policy_by_its_age() -> None:
    young = {**policy_json("young", state=REPORT_ONLY), "modifiedDateTime": "2026-11-17T10:00:00Z"}
    old = {**policy_json("old", state=REPORT_ONLY), "modifiedDateTime": "2026-10-13T10:00:00Z"}
    found = by_resource(run(build(policies=[*good_policies(), young, old]), "ZT-CA-006"))
    assert set(found) == {"young", "old"}
    assert found["young"].status == "pass" and found["old"].status == "warn"
    assert found["old"].resource.type == "conditionalAccessPolicy"
    assert one(build(), "ZT-CA-006").status == "pass"


# --- ZT-CA-009 -------------------------------------------------------------------------------------------------


def test_ca009_each_policy_references_only_existing_objects() -> None:
    ghost_group, ghost_loc = "00000000-0000-4000-8000-000000000199", "00000000-0000-4000-8000-000000000299"
    bad = policy_json("stale", users={"includeUsers": ["All"], "excludeGroups": [ghost_group]},
                      locations={"includeLocations": ["All"], "excludeLocations": [ghost_loc, "AllTrusted"]},
                      apps={"includeApplications": ["Office365", "00000003-0000-0000-c000-000000000000",
                                                    "5a5a5a5a-0000-4000-8000-00000000ffff"]})
    found = by_resource(run(build(policies=[*good_policies(), bad]), "ZT-CA-009"))
    assert found["stale"].status == "fail"
    assert ghost_group in found["stale"].evidence and ghost_loc in found["stale"].evidence
    assert "5a5a5a5a-0000-4000-8000-00000000ffff" in found["stale"].evidence
    assert "00000003-0000-0000-c000-000000000000" not in found["stale"].evidence  # a well-known first-party app
    assert all(f.status == "pass" for pid, f in found.items() if pid != "stale")
    assert one(build(policies=[]), "ZT-CA-009").status == "skip"


# --- ZT-CA-010 -------------------------------------------------------------------------------------------------


def test_ca010_gaps() -> None:
    assert one(build(), "ZT-CA-010").status == "pass"
    scoped = {**cond("mfa-all"), "users": {"includeUsers": ["All"], "excludeGroups": [G_BG, G_STAFF]}}
    f = one(build(policies=policies_with("mfa-all", conditions=scoped)), "ZT-CA-010")
    assert f.status == "fail" and "SG-Staff" in f.evidence
    commands = reproductions(f.evidence)
    assert commands[0][:2] == ["ztconsole", "gaps"] and any(c[1] == "whatif" for c in commands)


# --- ZT-CA-011 -------------------------------------------------------------------------------------------------


def test_ca011_permanent_privileged_roles_fail_except_break_glass() -> None:
    t = build(assignments=[
        {"id": "a1", "principalId": BG1, "roleDefinitionId": GLOBAL_ADMINISTRATOR, "directoryScopeId": "/"},
        {"id": "a2", "principalId": ALICE, "roleDefinitionId": HELPDESK, "directoryScopeId": "/"},
        # an activation of an eligible role is not permanent
        {"id": "a3", "principalId": MEGAN, "roleDefinitionId": GLOBAL_ADMINISTRATOR, "directoryScopeId": "/"}])
    found = by_resource(run(t, "ZT-CA-011"))
    assert found[BG1].status == "pass" and "emergency access" in found[BG1].evidence
    assert found[ALICE].status == "fail" and "Helpdesk Administrator" in found[ALICE].evidence
    assert found[MEGAN].status == "pass"
    assert found[ALICE].resource.type == "user" and found[ALICE].resource.name == "alice@contoso.com"

"""ZT-PA-001..006 (Private Access) on plain-data tenants, and on the bundled demo."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from tenants import policy_json, uid
from test_engine_checks_support import (
    ALICE,
    BG1,
    G_STAFF,
    MEGAN,
    build,
    by_resource,
    good_policies,
    one,
    reproductions,
    run,
)
from ztconsole.engine.checks import CheckContext, Finding, run_all
from ztconsole.model.access import (
    Application,
    ApplicationSegment,
    AppRoleAssignment,
    Connector,
    ConnectorGroup,
    ServicePrincipal,
)
from ztconsole.model.ca import AZURE_MANAGEMENT_APP_ID
from ztconsole.model.tenant import DataSetResult, Tenant

A_ID, A_APP, A_SP = uid(410), uid(411), uid(412)
B_ID, B_APP, B_SP = uid(420), uid(421), uid(422)
Q_ID, Q_APP, Q_SP = uid(430), uid(431), uid(432)
CG, CG_DEFAULT = uid(500), uid(501)
PA_TAG = "PrivateAccessNonWebApplication"
QA_TAG = "NetworkAccessQuickAccessApplication"


def app(oid: str, app_id: str, name: str, tag: str = PA_TAG) -> dict[str, Any]:
    return {"id": oid, "appId": app_id, "displayName": name, "tags": [tag, "HideApp"],
            "onPremisesPublishing": {"applicationType": "quickaccessapp" if tag == QA_TAG else "nonwebapp",
                                     "isAccessibleViaZTNAClient": True}}


def seg(sid: str, kind: str, host: str, ports: list[str], protocol: str = "tcp") -> dict[str, Any]:
    return {"@odata.type": "#microsoft.graph.ipApplicationSegment", "id": sid, "destinationHost": host,
            "destinationType": kind, "port": 0, "ports": ports, "protocol": protocol}


def assign(aid: str, sp: str, principal: str, kind: str = "Group", name: str = "SG-Staff") -> dict[str, Any]:
    return {"id": aid, "principalId": principal, "principalType": kind, "principalDisplayName": name,
            "resourceId": sp, "appRoleId": "00000000-0000-0000-0000-000000000000"}


def connector(cid: str, status: str = "active") -> dict[str, Any]:
    return {"id": cid, "machineName": f"conn-{cid[-3:]}.corp.contoso.com", "status": status}


def pa_policy(grant: tuple[str, list[str]] = ("AND", ["mfa", "compliantDevice"]), state: str = "enabled",
              users: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return policy_json("pa-apps", state=state, users=users or {"includeGroups": [G_STAFF], "includeUsers": [MEGAN]},
                       apps={"includeApplications": [A_APP, B_APP, Q_APP]}, grant=grant)


def world(*, apps: list[dict[str, Any]] | None = None, segments: Mapping[str, list[dict[str, Any]]] | None = None,
          sps: list[dict[str, Any]] | None = None, assignments: Mapping[str, list[dict[str, Any]]] | None = None,
          app_groups: Mapping[str, dict[str, Any]] | None = None,
          groups: list[dict[str, Any]] | None = None, members: Mapping[str, list[dict[str, Any]]] | None = None,
          policies: list[dict[str, Any]] | None = None) -> Tenant:
    """Two Private Access apps every PA check passes on: "PA Files" (assigned to SG-Staff) and "PA RDP"
    (assigned to Megan), disjoint narrow segments, a dedicated connector group of two active connectors, and a
    policy requiring MFA AND a compliant device for their users."""
    t = build(policies=policies if policies is not None else [*good_policies(), pa_policy()])
    cg = {"id": CG, "name": "CG-Datacenter", "connectorGroupType": "applicationProxy", "isDefault": False}
    default = {"id": CG_DEFAULT, "name": "Default", "connectorGroupType": "applicationProxy", "isDefault": True}
    apps = apps if apps is not None else [app(A_ID, A_APP, "PA Files"), app(B_ID, B_APP, "PA RDP")]
    segments = segments if segments is not None else {
        A_ID: [seg("a1", "ipRangeCidr", "10.1.0.0/24", ["445-445"]), seg("a2", "fqdn", "fs.corp.contoso.com", ["445"])],
        B_ID: [seg("b1", "ipAddress", "10.2.0.5", ["3389-3389"])]}
    sps = sps if sps is not None else [
        {"id": A_SP, "appId": A_APP, "displayName": "PA Files", "tags": [PA_TAG], "appRoleAssignmentRequired": True},
        {"id": B_SP, "appId": B_APP, "displayName": "PA RDP", "tags": [PA_TAG], "appRoleAssignmentRequired": True},
        {"id": Q_SP, "appId": Q_APP, "displayName": "Quick Access", "tags": [QA_TAG],
         "appRoleAssignmentRequired": True}]
    sps = [{"id": uid(300), "appId": AZURE_MANAGEMENT_APP_ID, "displayName": "Azure"}, *sps]
    assignments = assignments if assignments is not None else {
        A_SP: [assign("x1", A_SP, G_STAFF)], B_SP: [assign("x2", B_SP, MEGAN, "User", "megan")],
        Q_SP: [assign("x3", Q_SP, G_STAFF)]}
    app_groups = app_groups if app_groups is not None else {a["id"]: cg for a in apps}
    values: dict[str, Any] = {
        "applications": tuple(Application.from_wire(a) for a in apps),
        "app_segments": {k: tuple(ApplicationSegment.from_wire(s) for s in v) for k, v in segments.items()},
        "service_principals": tuple(ServicePrincipal.from_wire(s) for s in sps),
        "app_role_assignments": {k: tuple(AppRoleAssignment.from_wire(a) for a in v) for k, v in assignments.items()},
        "app_connector_group": {k: ConnectorGroup.from_wire(v) for k, v in app_groups.items()},
        "connector_groups": tuple(ConnectorGroup.from_wire(g) for g in (groups or [cg, default])),
        "connector_group_members": {k: tuple(Connector.from_wire(c) for c in v) for k, v in (members or {
            CG: [connector(uid(601)), connector(uid(602))], CG_DEFAULT: [connector(uid(603))]}).items()},
    }
    for key, value in values.items():
        t.results[key] = DataSetResult(key, "ok", value)
    return t


def statuses(findings: list[Finding]) -> dict[str, str]:
    return {f.resource.name: f.status for f in findings}


# --- ZT-PA-001 ---------------------------------------------------------------------------------------------------


def test_pa001_pass_mfa_and_compliant_device() -> None:
    found = run(world(), "ZT-PA-001")
    assert statuses(found) == {"PA Files": "pass", "PA RDP": "pass"}
    files = by_resource(found)[A_ID]
    assert "2 assigned user(s) (group SG-Staff)" in files.evidence and "Policy pa-apps" in files.evidence
    argv = reproductions(files.evidence)[0]
    assert argv[:4] == ["ztconsole", "whatif", "--tenant-dir", "/tmp/x y"] and A_APP in argv


def test_pa001_fail_mfa_or_device_is_not_both() -> None:
    found = by_resource(run(world(policies=[*good_policies(), pa_policy(("OR", ["mfa", "compliantDevice"]))]),
                            "ZT-PA-001"))
    files = found[A_ID]
    assert files.status == "fail" and "not demanded" in files.evidence
    argv = reproductions(files.evidence)[0]
    assert argv[argv.index("--app") + 1] == A_APP and "--client-app" in argv


def test_pa001_mfa_only_lacks_the_device() -> None:
    # the tenant-wide MFA policy applies, but nothing demands a device
    found = by_resource(run(world(policies=good_policies()), "ZT-PA-001"))
    assert found[A_ID].status == "fail" and "a compliant or hybrid-joined device not demanded" in found[A_ID].evidence


def test_pa001_report_only_policy_does_not_count() -> None:
    policies = [*good_policies(), pa_policy(state="enabledForReportingButNotEnforced")]
    assert {f.status for f in run(world(policies=policies), "ZT-PA-001")} == {"fail"}


def test_pa001_app_assigned_only_to_a_group_judges_its_members() -> None:
    # the policy takes Megan only: the group's members (Alice, Bob) are left uncovered on PA Files
    policies = [*good_policies(), pa_policy(users={"includeUsers": [MEGAN]})]
    found = by_resource(run(world(policies=policies), "ZT-PA-001"))
    assert found[B_ID].status == "pass"
    files = found[A_ID]
    assert files.status == "fail" and "2 of 2 user(s)" in files.evidence
    assert "alice@contoso.com" in files.evidence


def test_pa001_hybrid_join_and_strength_count() -> None:
    strong = pa_policy(("AND", ["domainJoinedDevice", "mfa"]))
    assert {f.status for f in run(world(policies=[*good_policies(), strong]), "ZT-PA-001")} == {"pass"}


def test_pa001_no_assignment_judges_every_user_but_emergency_accounts() -> None:
    found = by_resource(run(world(assignments={}), "ZT-PA-001"))
    files = found[A_ID]
    assert "no user is assigned" in files.evidence and "emergency access accounts left out" in files.evidence
    assert files.status == "pass"  # the policy takes SG-Staff and Megan: every non-emergency user
    assert BG1 not in files.evidence


def test_pa_checks_skip_without_private_access_apps() -> None:
    t = world(apps=[])
    for check in ("ZT-PA-001", "ZT-PA-002", "ZT-PA-003", "ZT-PA-004", "ZT-PA-005", "ZT-PA-006"):
        f = one(t, check)
        assert f.status == "skip" and "no such resources" in f.evidence, check


def test_pa_checks_skip_when_forbidden() -> None:
    t = world()
    t.results["applications"] = DataSetResult("applications", "forbidden", None, message="403")
    f = one(t, "ZT-PA-002")
    assert f.status == "skip" and "Application.Read.All" in f.evidence


# --- ZT-PA-002 ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "host", "ports", "status"), [
    ("ipRangeCidr", "10.0.0.0/24", ["445"], "pass"),
    ("ipRangeCidr", "10.0.0.0/23", ["445"], "warn"),
    ("ipRangeCidr", "10.0.0.0/16", ["445"], "warn"),  # exactly a /16 is not wider than a /16
    ("ipRangeCidr", "10.0.0.0/15", ["445"], "fail"),
    ("ipRange", "10.0.0.0-10.0.1.0", ["445"], "warn"),  # 257 addresses
    ("ipRange", "10.0.0.0-10.1.0.0", ["445"], "fail"),  # 65,537 addresses
    ("ipAddress", "10.0.0.5", ["1-65535"], "fail"),
    ("ipAddress", "10.0.0.5", ["1000-1010"], "warn"),  # 11 ports
    ("ipAddress", "10.0.0.5", ["1000-1009"], "pass"),  # 10 ports
    ("ipAddress", "10.0.0.5", ["80", "81-85", "86-90"], "warn"),  # 11 adjacent ports are one range
    ("dnsSuffix", "com", ["443"], "fail"),
    ("dnsSuffix", "local", ["443"], "fail"),
    ("dnsSuffix", "corp.contoso.com", ["443"], "pass"),
    ("fqdn", "intranet.corp.contoso.com", ["80-443"], "warn"),
])
def test_pa002_thresholds(kind: str, host: str, ports: list[str], status: str) -> None:
    t = world(apps=[app(A_ID, A_APP, "PA Files")], segments={A_ID: [seg("s1", kind, host, ports)]})
    f = one(t, "ZT-PA-002")
    assert f.status == status, f.evidence
    if status != "pass":
        assert "segment s1" in f.evidence


def test_pa002_and_pa006_follow_the_configured_thresholds() -> None:
    """The config file's [thresholds] reach the checks: a stricter limit turns a pass into a warn or a fail."""
    from ztconsole.engine.checks import Settings

    t = world(apps=[app(A_ID, A_APP, "PA Files")], segments={A_ID: [seg("s1", "ipRangeCidr", "10.0.0.0/24",
                                                                         ["1000-1005"])]})
    assert one(t, "ZT-PA-002").status == "pass"
    strict = Settings(segment_fail_prefix=24, segment_warn_prefix=28, segment_warn_ports=5)
    assert one(t, "ZT-PA-002", settings=Settings(segment_warn_ports=5)).status == "warn"
    f = one(t, "ZT-PA-002", settings=Settings(segment_fail_prefix=25, segment_warn_prefix=28))
    assert f.status == "fail" and "wider than a /25" in f.evidence
    assert one(t, "ZT-PA-002", settings=strict).status == "warn"  # a /24 is not wider than a /24: warns (/28)
    apps = [app(A_ID, A_APP, "PA Files"), app(Q_ID, Q_APP, "Quick Access", QA_TAG)]
    quick = world(apps=apps, segments={Q_ID: [seg("q", "ipRangeCidr", "10.0.0.0/20", ["443"])]})
    assert one(quick, "ZT-PA-006").status == "pass"
    assert one(quick, "ZT-PA-006", settings=Settings(quick_access_warn_addresses=1024)).status == "warn"


def test_pa002_one_finding_per_app_the_worst_segment() -> None:
    segments = {A_ID: [seg("ok", "ipAddress", "10.0.0.1", ["445"]), seg("wide", "ipRangeCidr", "10.0.0.0/20", ["445"]),
                       seg("bad", "dnsSuffix", "com", ["443"])],
                B_ID: [seg("ok2", "ipAddress", "10.0.0.2", ["3389"])]}
    found = by_resource(run(world(segments=segments), "ZT-PA-002"))
    assert len(found) == 2 and found[B_ID].status == "pass"
    files = found[A_ID]
    assert files.status == "fail"
    assert files.evidence.splitlines()[0].startswith("'PA Files'") and "worst segment bad" in files.evidence
    assert "warn: segment wide" in files.evidence and "segment ok " not in files.evidence


# --- ZT-PA-003 ---------------------------------------------------------------------------------------------------


def test_pa003_pass_and_fail() -> None:
    assert {f.status for f in run(world(), "ZT-PA-003")} == {"pass"}
    found = by_resource(run(world(assignments={A_SP: [assign("x1", A_SP, G_STAFF)]}), "ZT-PA-003"))
    assert found[A_ID].status == "pass" and "group SG-Staff" in found[A_ID].evidence  # a group only
    assert found[B_ID].status == "fail" and "no user or group is assigned" in found[B_ID].evidence


def test_pa003_assignment_not_required_fails() -> None:
    sps = [{"id": A_SP, "appId": A_APP, "displayName": "PA Files", "appRoleAssignmentRequired": False},
           {"id": B_SP, "appId": B_APP, "displayName": "PA RDP", "appRoleAssignmentRequired": True}]
    found = by_resource(run(world(sps=sps), "ZT-PA-003"))
    assert found[A_ID].status == "fail" and "Assignment required" in found[A_ID].evidence
    assert found[B_ID].status == "pass"


def test_pa003_service_principal_assignment_is_not_a_user_or_group() -> None:
    found = by_resource(run(world(assignments={A_SP: [assign("x1", A_SP, uid(999), "ServicePrincipal", "daemon")],
                                               B_SP: [assign("x2", B_SP, ALICE, "User", "alice")]}), "ZT-PA-003"))
    assert found[A_ID].status == "fail" and found[B_ID].status == "pass"


# --- ZT-PA-004 ---------------------------------------------------------------------------------------------------


def test_pa004_dedicated_group_with_two_active_connectors_passes() -> None:
    assert {f.status for f in run(world(), "ZT-PA-004")} == {"pass"}


def test_pa004_one_active_one_inactive_fails() -> None:
    t = world(members={CG: [connector(uid(601)), connector(uid(602), "inactive")]})
    f = by_resource(run(t, "ZT-PA-004"))[A_ID]
    assert f.status == "fail" and "1 active connector(s) of 2" in f.evidence and "(inactive)" in f.evidence


def test_pa004_default_group_fails_even_with_two_connectors() -> None:
    default = {"id": CG_DEFAULT, "name": "Default", "isDefault": True}
    t = world(app_groups={A_ID: default, B_ID: {"id": CG, "name": "CG-Datacenter", "isDefault": False}},
              members={CG_DEFAULT: [connector(uid(603)), connector(uid(604))],
                       CG: [connector(uid(601)), connector(uid(602))]})
    found = by_resource(run(t, "ZT-PA-004"))
    assert found[A_ID].status == "fail" and "default connector group" in found[A_ID].evidence
    assert found[B_ID].status == "pass"


def test_pa004_no_connector_group_fails() -> None:
    f = by_resource(run(world(app_groups={}), "ZT-PA-004"))[A_ID]
    assert f.status == "fail" and "no connector group" in f.evidence


# --- ZT-PA-005 ---------------------------------------------------------------------------------------------------


def test_pa005_disjoint_apps_pass() -> None:
    assert {f.status for f in run(world(), "ZT-PA-005")} == {"pass"}


def test_pa005_cidr_overlapping_a_range_in_another_app() -> None:
    segments = {A_ID: [seg("a1", "ipRangeCidr", "10.9.0.0/24", ["445"])],
                B_ID: [seg("b1", "ipRange", "10.9.0.200-10.9.1.10", ["440-450"])]}
    found = by_resource(run(world(segments=segments), "ZT-PA-005"))
    for oid in (A_ID, B_ID):
        f = found[oid]
        assert f.status == "fail"
        assert "'PA Files'" in f.evidence and "'PA RDP'" in f.evidence
        assert "10.9.0.200-10.9.0.255 port(s) 445 tcp" in f.evidence


@pytest.mark.parametrize(("a", "b"), [
    (seg("a1", "ipRangeCidr", "10.9.0.0/24", ["445"]), seg("b1", "ipAddress", "10.9.0.5", ["3389"])),  # ports
    (seg("a1", "ipRangeCidr", "10.9.0.0/24", ["53"], "tcp"), seg("b1", "ipAddress", "10.9.0.5", ["53"], "udp")),
    (seg("a1", "ipRangeCidr", "10.9.0.0/25", ["445"]), seg("b1", "ipRangeCidr", "10.9.0.128/25", ["445"])),
    (seg("a1", "dnsSuffix", "a.contoso.com", ["443"]), seg("b1", "fqdn", "x.b.contoso.com", ["443"])),
])
def test_pa005_no_exact_overlap_passes(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert {f.status for f in run(world(segments={A_ID: [a], B_ID: [b]}), "ZT-PA-005")} == {"pass"}


def test_pa005_names_fqdn_under_a_dns_suffix_and_same_app_is_fine() -> None:
    segments = {A_ID: [seg("a1", "dnsSuffix", "corp.contoso.com", ["443"]),
                       seg("a2", "fqdn", "web.corp.contoso.com", ["443"])],  # the same app twice: fine
                B_ID: [seg("b1", "fqdn", "WEB.corp.contoso.com.", ["400-500"])]}
    found = by_resource(run(world(segments=segments), "ZT-PA-005"))
    assert found[B_ID].status == "fail" and "web.corp.contoso.com port(s) 443 tcp" in found[B_ID].evidence
    assert found[A_ID].status == "fail"
    only_a = by_resource(run(world(segments={A_ID: segments[A_ID], B_ID: []}), "ZT-PA-005"))
    assert only_a[A_ID].status == "pass"


# --- ZT-PA-006 ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("cidrs", "status"), [(["10.0.0.0/16"], "pass"), (["10.0.0.0/15"], "warn"),
                                               (["10.0.0.0/17", "10.0.128.0/17", "10.1.0.0/32"], "warn"),
                                               (["10.0.0.0/17", "10.0.0.0/17"], "pass")])
def test_pa006_quick_access_size(cidrs: list[str], status: str) -> None:
    apps = [app(A_ID, A_APP, "PA Files"), app(Q_ID, Q_APP, "Quick Access", QA_TAG)]
    segments = {A_ID: [seg("a1", "ipRangeCidr", "10.1.0.0/24", ["445"])],
                Q_ID: [seg(f"q{i}", "ipRangeCidr", c, ["1-65535"]) for i, c in enumerate(cidrs)]
                + [seg("qd", "dnsSuffix", "corp.contoso.com", ["443"])]}
    f = one(world(apps=apps, segments=segments), "ZT-PA-006")
    assert f.resource.id == Q_ID and f.status == status, f.evidence


def test_pa006_without_quick_access_skips() -> None:
    f = one(world(), "ZT-PA-006")
    assert f.status == "skip" and "Quick Access" in f.evidence


# --- the bundled demo ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_findings() -> list[Finding]:
    from ztconsole.demo import demo_dir
    from ztconsole.tenantdir.reader import load_tenant

    return [f for f in run_all(CheckContext(load_tenant(demo_dir()), source_args=("--demo",)))
            if f.check.startswith("ZT-PA-")]


def _of(findings: list[Finding], check: str) -> dict[str, str]:
    return {f.resource.name: f.status for f in findings if f.check == check}


SAP, FILES, JUMP, SQL = ("PA - SAP GUI (Production)", "PA - File Servers (SMB)", "PA - Jump Hosts (RDP)",
                         "PA - SQL Data Platform")
INTRANET, ERP, ADMIN, QUICK = ("PA - Intranet Web (HTTP/HTTPS)", "PA - Legacy ERP (Contractors)",
                               "PA - Server Admin Tools (SSH/WinRM)", "Quick Access")


def test_demo_pa_flaws_fail_and_good_configurations_pass(demo_findings: list[Finding]) -> None:
    pa1 = _of(demo_findings, "ZT-PA-001")
    assert {n: pa1[n] for n in (SAP, FILES, JUMP, SQL, INTRANET, ADMIN)} == dict.fromkeys(
        (SAP, FILES, JUMP, SQL, INTRANET, ADMIN), "pass")
    assert pa1[QUICK] == "fail" and pa1[ERP] == "fail"

    pa2 = _of(demo_findings, "ZT-PA-002")
    assert pa2[SQL] == pa2[FILES] == pa2[JUMP] == "pass"
    assert pa2[QUICK] == "fail" and pa2[ERP] == "fail"
    assert pa2[SAP] == "warn" and pa2[INTRANET] == "warn"

    pa3 = _of(demo_findings, "ZT-PA-003")
    assert pa3[ERP] == "fail" and all(s == "pass" for n, s in pa3.items() if n != ERP)

    pa4 = _of(demo_findings, "ZT-PA-004")
    assert pa4[INTRANET] == "fail" and pa4[ERP] == "fail"
    assert all(s == "pass" for n, s in pa4.items() if n not in (INTRANET, ERP))

    pa5 = {f.resource.name: f for f in demo_findings if f.check == "ZT-PA-005"}
    for name in (JUMP, ADMIN):
        assert pa5[name].status == "fail"
        assert "10.100.20.10 port(s) 3389 tcp" in pa5[name].evidence
        assert JUMP in pa5[name].evidence and ADMIN in pa5[name].evidence

    assert _of(demo_findings, "ZT-PA-006") == {QUICK: "warn"}


def test_demo_pa_evidence_is_reproducible(demo_findings: list[Finding]) -> None:
    quick = next(f for f in demo_findings if f.check == "ZT-PA-001" and f.resource.name == QUICK)
    argv = reproductions(quick.evidence)[0]
    assert argv[:3] == ["ztconsole", "whatif", "--demo"] and "--user" in argv
    assert {f.status for f in demo_findings} <= {"pass", "warn", "fail"}


def test_pa001_a_user_excluded_by_id_is_judged_apart_from_the_group() -> None:
    # Alice and Bob share every group; a policy that excludes Alice by id must still be seen for her alone
    excl = pa_policy(users={"includeGroups": [G_STAFF], "includeUsers": [MEGAN], "excludeUsers": [ALICE]})
    found = by_resource(run(world(policies=[*good_policies(), excl]), "ZT-PA-001"))
    files = found[A_ID]
    assert files.status == "fail" and "1 of 2 user(s)" in files.evidence
    assert "alice@contoso.com" in files.evidence and "bob@contoso.com" not in files.evidence

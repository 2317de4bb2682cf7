"""ZT-BG-001..008 on plain-data tenants: a pass and a fail each, nested-group exclusions, report-only."""

from __future__ import annotations

from typing import Any

from tenants import member, policy_json
from test_engine_checks_support import (
    BG1,
    BG2,
    BG_UPNS,
    G_BG,
    ago,
    build,
    by_resource,
    good_policies,
    one,
    reproductions,
    run,
    user,
    users,
)
from ztconsole.engine.ca.evaluation import what_if
from ztconsole.engine.ca.scenario import Scenario
from ztconsole.engine.checks import CheckContext
from ztconsole.model.ca import AUTH_STRENGTH_PHISHING_RESISTANT_MFA
from ztconsole.model.directory import GLOBAL_ADMINISTRATOR


def statuses(findings: list[Any]) -> dict[str, str]:
    return {f.resource.id: f.status for f in findings}


def test_bg001_needs_two_declared_accounts_that_exist() -> None:
    assert one(build(), "ZT-BG-001").status == "pass"
    assert one(build(break_glass=BG_UPNS[:1]), "ZT-BG-001").status == "fail"
    f = one(build(break_glass=(*BG_UPNS, "ghost@contoso.onmicrosoft.com")), "ZT-BG-001")
    assert f.status == "fail" and "ghost@contoso.onmicrosoft.com" in f.evidence
    assert one(build(break_glass=()), "ZT-BG-001").status == "fail"
    # accounts declared in the config file count as declared
    f = one(build(break_glass=()), "ZT-BG-001", break_glass=[BG1, BG_UPNS[1]])
    assert f.status == "pass"


def test_no_declared_account_skips_the_per_account_checks() -> None:
    t = build(break_glass=())
    for check_id in ("ZT-BG-002", "ZT-BG-003", "ZT-BG-004", "ZT-BG-005", "ZT-BG-006", "ZT-BG-007", "ZT-BG-008"):
        assert one(t, check_id).status == "skip"


def test_bg002_cloud_only_on_onmicrosoft() -> None:
    bad = users()
    bad[0] = user(BG1, "bg1@contoso.com")
    bad[1] = user(BG2, BG_UPNS[1], onPremisesSyncEnabled=True)
    t = build(user_list=bad, break_glass=("bg1@contoso.com", BG_UPNS[1]))
    found = statuses(run(t, "ZT-BG-002"))
    assert found == {BG1: "fail", BG2: "fail"}
    assert statuses(run(build(), "ZT-BG-002")) == {BG1: "pass", BG2: "pass"}


def test_bg003_enabled() -> None:
    bad = users()
    bad[1] = user(BG2, BG_UPNS[1], accountEnabled=False)
    assert statuses(run(build(user_list=bad), "ZT-BG-003")) == {BG1: "pass", BG2: "fail"}


def test_bg004_permanent_global_administrator() -> None:
    t = build(assignments=[{"id": "a1", "principalId": BG1, "roleDefinitionId": GLOBAL_ADMINISTRATOR,
                            "directoryScopeId": "/"}],
              eligibility=[{"id": "e2", "principalId": BG2, "roleDefinitionId": GLOBAL_ADMINISTRATOR,
                            "directoryScopeId": "/"}])
    found = by_resource(run(t, "ZT-BG-004"))
    assert found[BG1].status == "pass"
    assert found[BG2].status == "fail" and "eligible" in found[BG2].evidence


def test_bg005_nested_group_exclusions_count() -> None:
    assert statuses(run(build(), "ZT-BG-005")) == {BG1: "pass", BG2: "pass"}


def test_bg005_an_account_left_in_a_policy_is_locked_out_and_reproducible() -> None:
    # BG2 is taken out of the nested exclusion group: CA "mfa-all" now demands MFA of it
    t = build(members={G_BG: [member(uid_inner := "00000000-0000-4000-8000-000000000102", "group")],
                       uid_inner: [member(BG1)]})
    found = by_resource(run(t, "ZT-BG-005"))
    assert found[BG1].status == "pass"
    bad = found[BG2]
    assert bad.status == "fail" and "mfa-all" in bad.evidence and "demands (mfa)" in bad.evidence
    ctx = CheckContext(t)
    for argv in reproductions(bad.evidence):  # each command line shows the lock-out through the reference
        opts = dict(zip(argv[2::2], argv[3::2]))
        scenario = Scenario(user_id=ctx.ca.find_user(opts["--user"]).id, app=opts["--app"],
                            client_app=opts["--client-app"], platform=opts.get("--platform"))
        result = what_if(t.ca_policies, scenario, ctx.ca)
        assert "mfa-all" in result.applied and ["mfa"] in [list(r) for r in result.requirements]


def test_bg005_phishing_resistant_strength_is_no_lock_out_but_a_block_is() -> None:
    pr = policy_json("pr-all", users={"includeUsers": ["All"]}, grant=None)
    pr["grantControls"] = {"operator": "OR", "builtInControls": [],
                           "authenticationStrength": {"id": AUTH_STRENGTH_PHISHING_RESISTANT_MFA,
                                                      "allowedCombinations": ["fido2"]}}
    assert statuses(run(build(policies=[pr]), "ZT-BG-005")) == {BG1: "pass", BG2: "pass"}
    # a block of one platform only (found by sweeping platforms), not excluding the accounts
    linux = policy_json("block-linux", users={"includeUsers": ["All"]}, grant=("OR", ["block"]),
                        platforms={"includePlatforms": ["linux"]})
    found = by_resource(run(build(policies=[pr, linux]), "ZT-BG-005"))
    assert found[BG1].status == "fail" and "block-linux" in found[BG1].evidence
    assert any("--platform" in argv and "linux" in argv for argv in reproductions(found[BG1].evidence))


def test_bg005_judges_enabled_policies_only_and_bg008_the_report_only_ones() -> None:
    device = policy_json("device-all", users={"includeUsers": ["All"]}, grant=("OR", ["compliantDevice"]))
    for state, bg5, bg8 in (("enabled", "fail", "pass"), ("enabledForReportingButNotEnforced", "pass", "warn"),
                            ("disabled", "pass", "pass")):
        t = build(policies=[*good_policies(), {**device, "state": state}])
        assert set(statuses(run(t, "ZT-BG-005")).values()) == {bg5}, state
        assert set(statuses(run(t, "ZT-BG-008")).values()) == {bg8}, state


def test_bg006_phishing_resistant_method() -> None:
    t = build(methods={BG1: [{"@odata.type": "#microsoft.graph.fido2AuthenticationMethod", "id": "k"}],
                       BG2: [{"@odata.type": "#microsoft.graph.passwordAuthenticationMethod", "id": "p"},
                             {"@odata.type": "#microsoft.graph.phoneAuthenticationMethod", "id": "ph"}]})
    found = by_resource(run(t, "ZT-BG-006"))
    assert found[BG1].status == "pass"
    assert found[BG2].status == "fail" and "password, phone" in found[BG2].evidence


def test_bg007_validated_within_90_days_not_routinely() -> None:
    people = users()
    people[1] = user(BG2, BG_UPNS[1], signInActivity={"lastSuccessfulSignInDateTime": ago(200)})
    routine = [{"id": f"s{i}", "createdDateTime": ago(i * 7), "userId": BG1, "status": {"errorCode": 0}}
               for i in range(1, 6)]
    found = by_resource(run(build(user_list=people, sign_ins=routine), "ZT-BG-007"))
    assert found[BG1].status == "warn" and "routinely" in found[BG1].evidence
    assert found[BG2].status == "fail" and "200 days" in found[BG2].evidence
    never = users()
    never[0] = user(BG1, BG_UPNS[0])
    found = by_resource(run(build(user_list=never, sign_ins=[]), "ZT-BG-007"))
    assert found[BG1].status == "fail" and found[BG2].status == "pass"


def test_policies_excluding_accounts_by_user_id_also_count() -> None:
    mfa = policy_json("mfa-ids", users={"includeUsers": ["All"], "excludeUsers": [BG1, BG2]})
    assert statuses(run(build(policies=[mfa]), "ZT-BG-005")) == {BG1: "pass", BG2: "pass"}
    assert one(build(policies=[mfa]), "ZT-CA-001").status == "pass"

"""``ztconsole whatif``, ``gaps`` and ``impact`` through ``ztconsole.cli.run`` on the demo: human output and
``--json`` shapes (CONTRACTS §3, §5), every gap example confirmed uncovered by ``whatif --json``, impact of a
report-only policy, usage errors (exit 2, naming the option), unreadable sources (exit 3), tenant text printed
as plain data."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from ztconsole.cli import run
from ztconsole.demo import demo_dir
from ztconsole.engine.gaps import policy_covers, summary_covers

SVC_SCANNER = "svc-scanner@contoso.com"
CA025 = "CA025-Global-AllApps-RequireCompliantOrHybridDevice"


def cli(*argv: str) -> tuple[int, str, str]:
    """Run the command line; argparse's own usage errors go to sys.stderr, caught here too."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = run(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def cli_json(*argv: str) -> Any:
    code, out, err = cli(*argv, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture(scope="module")
def demo_policies() -> dict[str, Any]:
    from ztconsole.tenantdir.reader import load_tenant

    return {p.id: p for p in load_tenant(demo_dir(), keys=["ca_policies"]).ca_policies}


# --- whatif -------------------------------------------------------------------------------------------------


def test_whatif_human_table_and_summary() -> None:
    code, out, err = cli("whatif", "--demo", "--user", "AdeleV@contoso.com", "--app", "Office365",
                         "--platform", "windows", "--ip", "203.0.113.5", "--country", "NL")
    assert code == 0, err
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("POLICY"))
    assert header.split() == ["POLICY", "STATE", "APPLIES", "WHY"]
    ca001 = next(line for line in lines if line.startswith("CA001-"))
    assert " enabled " in ca001 and " yes " in ca001
    assert any(line.startswith("CA023-") and " disabled " in line and " no " in line for line in lines)
    assert "Decision:     controls" in out
    assert "Requirements: (compliantDevice OR domainJoinedDevice) AND mfa" in out
    assert "Session:" in out and "persistentBrowser: never" in out
    assert f"Report-only policies that would apply: {CA025}" in out
    # the reasons, one per line, under the WHY column
    col = header.index("WHY")
    following = lines[lines.index(ca001) + 1]
    assert following[:col].strip() == "" and following[col:].startswith("an app of the Office 365 group")


def test_whatif_json_shape() -> None:
    doc = cli_json("whatif", "--demo", "--user", "AdeleV@contoso.com", "--app", "AzureManagement",
                   "--client-app", "browser", "--device", "isCompliant=True", "--device", "trustType=AzureAD",
                   "--sign-in-risk", "medium")
    assert set(doc) == {"scenario", "policies", "summary", "incomplete"} and doc["incomplete"] == []
    assert doc["scenario"]["user"]["userPrincipalName"] == "AdeleV@contoso.com"
    assert doc["scenario"]["app"]["id"] == "797f4846-ba00-4fd7-ba43-dac1f8f63013"
    assert doc["scenario"]["device"] == {"isCompliant": True, "trustType": "AzureAD"}
    for p in doc["policies"]:
        assert set(p) == {"id", "displayName", "state", "applies", "reasons"}
        assert p["state"] in ("enabled", "enabledForReportingButNotEnforced", "disabled")
        assert isinstance(p["reasons"], list) and p["reasons"]
    summary = doc["summary"]
    assert set(summary) == {"applied", "reportOnly", "decision", "requirements", "session"}
    assert summary["applied"] == sorted(summary["applied"])
    assert summary["decision"] == "controls"
    assert ["mfa"] in summary["requirements"]
    assert summary["requirements"] == sorted(summary["requirements"])


def test_whatif_user_action() -> None:
    doc = cli_json("whatif", "--demo", "--user", "AdeleV@contoso.com", "--user-action", "registerOrJoinDevices")
    applied = {p["displayName"] for p in doc["policies"] if p["applies"]}
    assert applied == {"CA015-Global-RegisterOrJoinDevices-RequireMFA"}


def test_whatif_compliant_network() -> None:
    """CA019 (report-only) blocks admins on Azure management unless they come through Global Secure Access."""
    def ca019(*extra: str) -> Any:
        doc = cli_json("whatif", "--demo", "--user", "meganb@contoso.com", "--app", "AzureManagement", *extra)
        assert doc["scenario"]["compliantNetwork"] is bool(extra)
        return next(p for p in doc["policies"] if p["displayName"].startswith("CA019-"))

    outside, through = ca019(), ca019("--compliant-network")
    assert outside["applies"] and outside["state"] == "enabledForReportingButNotEnforced"
    assert not through["applies"]
    assert any("compliant network" in r for r in through["reasons"])


CA008 = "CA008-Global-AllApps-BlockDeviceCodeFlow"  # authenticationFlows: deviceCodeFlow, block
CA016 = "CA016-Finance-AuthContextC1-RequireContosoKeys"  # authentication context c1, Dept - Finance
FINANCE_USER = "EmilyB@contoso.com"


def _policy(doc: Any, name: str) -> Any:
    return next(p for p in doc["policies"] if p["displayName"] == name)


def test_whatif_auth_flow_device_code_flow() -> None:
    """Graph's authenticationFlows condition: a policy that targets deviceCodeFlow applies to a sign-in
    through the device code flow, and to no other (neither an ordinary sign-in nor an authentication
    transfer)."""
    base = ("whatif", "--demo", "--user", "AdeleV@contoso.com", "--app", "All")
    ordinary = cli_json(*base)
    assert ordinary["scenario"]["authFlow"] is None
    assert not _policy(ordinary, CA008)["applies"]
    assert _policy(ordinary, CA008)["reasons"] == \
        ["the policy targets the authentication flows deviceCodeFlow; this sign-in uses none"]

    device_code = cli_json(*base, "--auth-flow", "devicecodeflow")  # matched without regard to case
    assert device_code["scenario"]["authFlow"] == "deviceCodeFlow"
    ca008 = _policy(device_code, CA008)
    assert ca008["applies"] and ca008["state"] == "enabled"
    assert ca008["id"] in device_code["summary"]["applied"]
    assert device_code["summary"]["decision"] == "block"
    # every other input is as without --auth-flow: the same policies decide the same way, CA008 aside
    assert [(p["id"], p["applies"]) for p in device_code["policies"] if p["displayName"] != CA008] == \
        [(p["id"], p["applies"]) for p in ordinary["policies"] if p["displayName"] != CA008]

    transfer = cli_json(*base, "--auth-flow", "authenticationTransfer")
    assert transfer["scenario"]["authFlow"] == "authenticationTransfer"
    assert not _policy(transfer, CA008)["applies"]
    assert "authentication flow authenticationTransfer is not targeted" in _policy(transfer, CA008)["reasons"][0]
    assert transfer["summary"] == ordinary["summary"]

    code, out, err = cli(*base, "--auth-flow", "deviceCodeFlow")
    assert code == 0, err
    assert "  authentication flow deviceCodeFlow" in out and "Decision:     block" in out
    assert any(line.startswith(CA008) and " yes " in line for line in out.splitlines())
    code, out, err = cli(*base)
    assert code == 0, err
    assert "authentication flow" not in out.split("POLICY")[0]


def test_whatif_auth_context_targets_the_auth_context_policy() -> None:
    doc = cli_json("whatif", "--demo", "--user", FINANCE_USER, "--auth-context", "C1")
    assert doc["scenario"]["authContext"] == "c1"
    assert doc["scenario"]["app"] is None and doc["scenario"]["userAction"] is None
    applied = [p for p in doc["policies"] if p["applies"]]
    assert [p["displayName"] for p in applied] == [CA016]
    assert "the policy targets the authentication context c1" in applied[0]["reasons"]
    assert doc["summary"]["decision"] == "controls"
    assert len(doc["summary"]["requirements"]) == 1
    assert doc["summary"]["requirements"][0][0].startswith("authenticationStrength:")
    # an 'All resources' policy does not answer an authentication context (Graph: not even All)
    assert any("not even by 'All resources'" in r for r in _policy(doc, "CA001-Global-AllApps-AnyPlatform-RequireMFA")
               ["reasons"])
    # another context, or a user outside the policy's group: nothing applies
    assert cli_json("whatif", "--demo", "--user", FINANCE_USER, "--auth-context", "c2")["summary"]["applied"] == []
    other = cli_json("whatif", "--demo", "--user", "AdeleV@contoso.com", "--auth-context", "c1")
    assert not _policy(other, CA016)["applies"] and other["summary"]["decision"] == "allow"
    code, out, err = cli("whatif", "--demo", "--user", FINANCE_USER, "--auth-context", "c1")
    assert code == 0, err
    assert "  signs in to authentication context c1" in out


def test_test_file_takes_auth_flow_and_auth_context(tmp_path: Path) -> None:
    """``ztconsole test`` keys are whatif's options without the dashes (CONTRACTS §7): auth-flow and
    auth-context too, with the same values, and the same answer as whatif."""
    path = tmp_path / "flows.toml"
    path.write_text(f"""
[[test]]
name = "device code flow is blocked"
user = "AdeleV@contoso.com"
app = "All"
auth-flow = "deviceCodeFlow"
[test.expect]
decision = "block"
applied = ["{CA008}"]

[[test]]
name = "an authentication transfer is not the device code flow"
user = "AdeleV@contoso.com"
app = "All"
auth-flow = "authenticationTransfer"
[test.expect]
not-applied = ["CA008"]

[[test]]
user = "{FINANCE_USER}"
auth-context = "c1"
[test.expect]
applied = ["CA016"]
decision = "controls"

[[test]]
name = "wrong on purpose: without the device code flow nothing blocks"
user = "AdeleV@contoso.com"
app = "All"
[test.expect]
applied = ["CA008"]
""", encoding="utf-8")
    code, out, err = cli("test", "--demo", str(path), "--format", "json")
    assert code == 1, err
    doc = json.loads(out)
    assert [(t["name"], t["status"]) for t in doc["tests"]] == [
        ("device code flow is blocked", "passed"),
        ("an authentication transfer is not the device code flow", "passed"),
        (f"{FINANCE_USER} -> c1", "passed"),
        ("wrong on purpose: without the device code flow nothing blocks", "failed")]
    assert doc["tests"][3]["failures"] == [f"applied: expected to apply, does not: {CA008}"]


@pytest.mark.parametrize(("lines", "key", "hint"), [
    ('app = "All"\nauth-flow = "devicecode"', "auth-flow", "must be one of deviceCodeFlow, authenticationTransfer"),
    ('auth-context = "c100"', "auth-context", "must be c1 ... c99"),
    ('app = "All"\nauth-context = "c1"', "auth-context", "give app or auth-context, not both"),
    ('auth-flow = "deviceCodeFlow"', "app", "is missing: give app, user-action or auth-context"),
])
def test_test_file_bad_auth_flow_or_context_is_invalid(tmp_path: Path, lines: str, key: str, hint: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(f'[[test]]\nuser = "AdeleV@contoso.com"\n{lines}\n[test.expect]\ndecision = "allow"\n',
                    encoding="utf-8")
    code, out, err = cli("test", "--demo", str(path))
    assert code == 2, (out, err)
    assert f"[test] item 1 key '{key}': {hint}" in err, err


# --- gaps ---------------------------------------------------------------------------------------------------


def _whatif_doc(example: dict[str, Any]) -> Any:
    argv = ["whatif", "--demo", "--user", example["user"], "--app", example["app"],
            "--client-app", example["clientApp"]]
    if example.get("platform"):
        argv += ["--platform", example["platform"]]
    if example.get("ip"):
        argv += ["--ip", example["ip"]]
    if example.get("country"):
        argv += ["--country", example["country"]]
    if example.get("compliantNetwork"):
        argv.append("--compliant-network")
    return cli_json(*argv)


def test_gaps_json_finds_the_service_accounts_and_whatif_confirms_every_example() -> None:
    doc = cli_json("gaps", "--demo")
    assert set(doc) == {"mode", "gaps", "incomplete"} and doc["mode"] == "enforced" and doc["incomplete"] == []
    assert doc["gaps"], "the demo has deliberate gaps"
    for gap in doc["gaps"]:
        assert set(gap) == {"users", "application", "clientAppType", "platform", "location", "example"}
        assert {"user", "app", "clientApp", "platform", "ip"} <= set(gap["example"])
        assert not summary_covers(_whatif_doc(gap["example"])), gap
    svc = [g for g in doc["gaps"] if "SG-Service-Accounts" in g["users"]]
    assert len(svc) == 1 and SVC_SCANNER in svc[0]["users"]
    guests = [g for g in doc["gaps"] if g["users"].startswith("guests")]
    assert len(guests) == 1 and "CA001-" in guests[0]["users"] and len(doc["gaps"]) == 2
    assert all("bg-admin" not in g["users"] for g in doc["gaps"])


def test_gaps_with_report_only(demo_policies: dict[str, Any]) -> None:
    doc = cli_json("gaps", "--demo", "--include-report-only")
    assert doc["mode"] == "with-report-only" and doc["gaps"]
    for gap in doc["gaps"]:
        what = _whatif_doc(gap["example"])
        assert not summary_covers(what)
        report_only = [p["id"] for p in what["policies"]
                       if p["applies"] and p["state"] == "enabledForReportingButNotEnforced"]
        assert not any(policy_covers(demo_policies[i]) for i in report_only), gap


def test_gaps_human() -> None:
    code, out, err = cli("gaps", "--demo")
    assert code == 0, err
    assert out.startswith("Coverage gaps (enforced policies): 2 classes of sign-ins")
    assert "1. Users:        guests (b2bCollaborationGuest) excluded as guests or external users from CA001-" in out
    # a UPN with '#' is quoted, so the example can be pasted into a shell as it is
    assert "   Example:      ztconsole whatif --user 'lena.fischer_tailspintoys.com#EXT#@contoso.onmicrosoft.com' " \
           "--app " in out
    assert "2. Users:        members excluded as members of 'SG-Service-Accounts'" in out
    assert "   Example:      ztconsole whatif --user svc-backup@contoso.com --app " in out
    assert "Excluded as emergency access accounts (not gaps): bg-admin-01@contoso.onmicrosoft.com, " \
           "bg-admin-02@contoso.onmicrosoft.com" in out


# --- impact -------------------------------------------------------------------------------------------------


def test_impact_of_a_report_only_policy() -> None:
    code, out, err = cli("impact", "--demo", "--policy", CA025)
    assert code == 0, err
    assert out.startswith(f"Impact of enforcing {CA025} (report-only, ")
    assert "would block 0, would challenge " in out
    assert "ext-tom.hansen@contoso.com" in out
    assert any(line.split()[:5] == ["USER", "BLOCK", "CHALLENGE", "MISSING", "FLAGS"] for line in out.splitlines())


def test_impact_json_and_days() -> None:
    whole = cli_json("impact", "--demo", "--policy", CA025)
    week = cli_json("impact", "--demo", "--policy", CA025, "--days", "7")
    assert whole["policy"]["displayName"] == CA025 and whole["policy"]["state"] == \
        "enabledForReportingButNotEnforced"
    assert whole["window"] == {"days": None, "from": None, "to": "2026-11-22T10:00:00Z"}
    assert week["window"]["from"] == "2026-11-15T10:00:00Z"
    assert 0 < week["signIns"]["considered"] < whole["signIns"]["considered"]
    assert whole["signIns"]["wouldChallenge"] == len(whole["impacted"]) > 0
    for s in week["impacted"]:
        assert s["createdDateTime"] >= "2026-11-15T10:00:00Z"
        assert s["outcome"] == "challenge" and s["missingControls"] == ["compliantDevice or domainJoinedDevice"]
    assert {u["id"] for u in whole["users"]} == {s["userId"] for s in whole["impacted"]}


def test_impact_block_policy_by_id(demo_policies: dict[str, Any]) -> None:
    ca019 = next(p for p in demo_policies.values() if p.display_name.startswith("CA019-"))
    doc = cli_json("impact", "--demo", "--policy", ca019.id)
    assert doc["signIns"]["wouldBlock"] > 0
    assert [u["userPrincipalName"] for u in doc["users"]] == ["MeganB@contoso.com"]


# --- errors -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("argv, option, hint", [
    (["whatif", "--user", "nobody@contoso.com", "--app", "All"], "--user", "no user"),
    (["whatif", "--user", "AdeleV@contoso.com"], "--app", "required"),
    (["whatif", "--user", "AdeleV@contoso.com", "--app", "No Such App"], "--app", "service principal"),
    (["whatif", "--user", "AdeleV@contoso.com", "--app", "All", "--platform", "amiga"], "--platform", "android"),
    (["whatif", "--user", "AdeleV@contoso.com", "--app", "All", "--client-app", "telnet"], "--client-app",
     "mobileAppsAndDesktopClients"),
    (["whatif", "--user", "AdeleV@contoso.com", "--app", "All", "--sign-in-risk", "extreme"], "--sign-in-risk",
     "medium"),
    (["whatif", "--user", "AdeleV@contoso.com", "--app", "All", "--user-risk", "x"], "--user-risk", "high"),
    (["whatif", "--user", "AdeleV@contoso.com", "--app", "All", "--ip", "999.1.1.1"], "--ip", "IPv4"),
    (["whatif", "--user", "AdeleV@contoso.com", "--app", "All", "--country", "Netherlands"], "--country", "ISO"),
    (["whatif", "--user", "AdeleV@contoso.com", "--app", "All", "--device", "colour=red"], "--device", "isCompliant"),
    (["whatif", "--user", "AdeleV@contoso.com", "--user-action", "dance"], "--user-action",
     "registerSecurityInformation"),
    (["whatif", "--user", "AdeleV@contoso.com", "--app", "All", "--user-action", "registerOrJoinDevices"],
     "--user-action", "not allowed"),
    (["whatif", "--user", "AdeleV@contoso.com", "--app", "All", "--auth-flow", "devicecode"], "--auth-flow",
     "must be one of deviceCodeFlow, authenticationTransfer; got 'devicecode'"),
    (["whatif", "--user", "AdeleV@contoso.com", "--auth-context", "c100"], "--auth-context",
     "must be c1 ... c99; got 'c100'"),
    (["whatif", "--user", "AdeleV@contoso.com", "--auth-context", "sharepoint"], "--auth-context", "c1 ... c99"),
    (["whatif", "--user", "AdeleV@contoso.com", "--app", "All", "--auth-context", "c1"], "--auth-context",
     "not allowed"),
    (["whatif", "--user", "AdeleV@contoso.com", "--user-action", "registerOrJoinDevices", "--auth-context", "c1"],
     "--auth-context", "not allowed"),
    (["whatif", "--user", "AdeleV@contoso.com", "--auth-flow", "deviceCodeFlow"], "--auth-context", "required"),
    (["impact", "--policy", "no-such-policy"], "--policy", CA025),
    (["impact", "--policy", CA025, "--days", "-3"], "--days", "zero or more"),
    (["impact", "--policy", CA025, "--days", "week"], "--days", "invalid int"),
    (["whatif", "--app", "All"], "--user", "required"),
])
def test_usage_errors_exit_2_naming_the_option(argv: list[str], option: str, hint: str) -> None:
    code, out, err = cli(*argv[:1], "--demo", *argv[1:])
    assert code == 2, (out, err)
    assert option in err and hint in err, err
    assert out == ""


def test_unreadable_source_exits_3(tmp_path: Path) -> None:
    for command in (["gaps"], ["whatif", "--user", "x", "--app", "All"], ["impact", "--policy", "x"]):
        code, out, err = cli(*command, "--tenant-dir", str(tmp_path / "nowhere"))
        assert code == 3, err
        assert "cannot read the tenant directory" in err


# --- tenant text is data --------------------------------------------------------------------------------------


def test_control_characters_in_tenant_text_are_not_printed(tmp_path: Path) -> None:
    target = tmp_path / "tenant"
    shutil.copytree(demo_dir(), target)
    policies_file = target / "graph" / "v1.0" / "identity" / "conditionalAccess" / "policies.json"
    policies = json.loads(policies_file.read_text())
    evil = "CA001-\x1b[2J\x1b]0;pwned\x07MFA\u202e\x9b31m"
    policies[0]["displayName"] = evil
    policies_file.write_text(json.dumps(policies))
    argv = ["whatif", "--tenant-dir", str(target), "--user", "AdeleV@contoso.com", "--app", "All"]
    code, out, err = cli(*argv)
    assert code == 0, err
    assert "CA001-MFA" in out  # whole escape sequences go, not only their ESC: no "[2J" left to read
    for bad in ("\x1b", "\x07", "\u202e", "\x9b"):
        assert bad not in out
    code, out, err = cli(*argv, "--json")
    assert code == 0, err
    for bad in ("\x1b", "\x07", "\u202e", "\x9b"):
        assert bad not in out
    assert json.loads(out)["policies"][0]["displayName"] == evil
    code, out, err = cli("impact", "--tenant-dir", str(target), "--policy", policies[0]["id"])
    assert code == 0, err
    assert "\x1b" not in out and "CA001-MFA" in out

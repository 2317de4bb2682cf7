"""Acceptance on tenants the project has never seen: tenant directories written by hand (CONTRACTS §1) from
Learn-shaped objects, not from the demo or the generator, run through the commands as a user runs them."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

from ztconsole.cli import run

TENANT = "44444444-4444-4444-8444-444444444444"
SUB = "6b6b6b6b-0000-4000-8000-00000000006b"
BG = ["cccccccc-0000-4000-8000-000000000001", "cccccccc-0000-4000-8000-000000000002"]
USER = "cccccccc-0000-4000-8000-000000000003"
ALLOWED = "dddddddd-0000-4000-8000-000000000001"
POLICIES = "graph/v1.0/identity/conditionalAccess/policies.json"


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = run(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def put(root: Path, path: str, body: Any) -> None:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(body), encoding="utf-8")


def tenant_toml(root: Path, extra: str = "") -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "tenant.toml").write_text(
        f'format = 1\n[tenant]\nid = "{TENANT}"\ndisplay_name = "Tailspin"\n'
        'default_domain = "tailspin.onmicrosoft.com"\n'
        f'[azure]\nsubscriptions = ["{SUB}"]\n'
        '[capture]\ncaptured_at = "2026-11-22T10:00:00Z"\nsource = "synthetic"\n'
        '[break_glass]\naccounts = ["bg1@tailspin.onmicrosoft.com", "bg2@tailspin.onmicrosoft.com"]\n' + extra,
        encoding="utf-8")


def policy(n: int, name: str, grant: list[str], **conditions: Any) -> dict[str, Any]:
    cond: dict[str, Any] = {
        "clientAppTypes": ["all"], "applications": {"includeApplications": ["All"]},
        "users": {"includeUsers": ["All"], "excludeUsers": BG}}
    cond.update(conditions)
    return {"id": f"eeeeeeee-0000-4000-8000-{n:012d}", "displayName": name, "state": "enabled",
            "modifiedDateTime": "2026-11-20T00:00:00Z", "conditions": cond,
            "grantControls": {"operator": "OR", "builtInControls": grant}}


def minimal(root: Path, policies: list[dict[str, Any]], extra_toml: str = "") -> Path:
    """tenant.toml, three users, one country named location and the given CA policies; nothing else."""
    tenant_toml(root, extra_toml)
    put(root, "graph/v1.0/users.json", [
        {"id": BG[0], "userPrincipalName": "bg1@tailspin.onmicrosoft.com", "accountEnabled": True},
        {"id": BG[1], "userPrincipalName": "bg2@tailspin.onmicrosoft.com", "accountEnabled": True},
        {"id": USER, "displayName": "Megan", "userPrincipalName": "megan@tailspin.com", "accountEnabled": True}])
    put(root, "graph/v1.0/identity/conditionalAccess/namedLocations.json", [
        {"@odata.type": "#microsoft.graph.countryNamedLocation", "id": ALLOWED, "displayName": "Allowed countries",
         "countriesAndRegions": ["US", "NL"], "includeUnknownCountriesAndRegions": False}])
    put(root, POLICIES, policies)
    return root


def findings(root: Path, check: str) -> list[dict[str, Any]]:
    code, out, err = cli("assess", "--tenant-dir", str(root), "--format", "json")
    assert code in (0, 1), err
    return [f for f in json.loads(out)["findings"] if f["check"] == check]


# --- ZT-CA-005: Learn's allow-list shape (block any location except the allowed countries) ------------------


def test_ca005_allow_list_of_countries_blocks_every_other_country(tmp_path: Path) -> None:
    root = minimal(tmp_path / "t", [policy(1, "Block outside allowed countries", ["block"], locations={
        "includeLocations": ["All"], "excludeLocations": [ALLOWED]})])
    (found,) = findings(root, "ZT-CA-005")
    assert found["status"] == "pass", found["evidence"]
    assert "except: NL, US" in found["evidence"]


def test_ca005_block_list_still_passes_and_an_allow_list_without_block_does_not(tmp_path: Path) -> None:
    root = minimal(tmp_path / "t", [policy(1, "Block listed countries", ["block"], locations={
        "includeLocations": [ALLOWED]})])
    assert findings(root, "ZT-CA-005")[0]["status"] == "pass"
    root = minimal(tmp_path / "u", [policy(1, "MFA outside allowed countries", ["mfa"], locations={
        "includeLocations": ["All"], "excludeLocations": [ALLOWED]})])
    assert findings(root, "ZT-CA-005")[0]["status"] == "fail"


# --- drift: 80 columns, hostile names, and no "newly failing" against a side that was not judged ------------


def test_drift_text_fits_80_columns_with_hostile_and_huge_names(tmp_path: Path) -> None:
    base = minimal(tmp_path / "a", [policy(1, "MFA", ["mfa"])])
    hostile = "[bold red]X[/] \x1b]8;;http://evil\x07click\x1b]8;;\x07 \u202eabc " + "N" * 10_000
    current = minimal(tmp_path / "b", [policy(1, hostile, ["mfa"]), policy(2, "Y" * 5_000, ["block"])])
    code, out, err = cli("drift", "--baseline", str(base), "--tenant-dir", str(current))
    assert code == 0, err
    lines = out.splitlines()
    assert max(len(x) for x in lines) <= 80
    assert not any(c in out for c in "\x1b\x07\u202e")
    assert len(lines) < 200  # a huge name is shortened, not wrapped over hundreds of lines


def test_drift_does_not_call_findings_newly_failing_when_the_baseline_could_not_judge_them(tmp_path: Path) -> None:
    pols = [policy(1, "MFA", ["mfa"])]
    partial = '[datasets."graph/v1.0/users"]\nstatus = "partial"\nmessage = "page 2 failed"\n'
    base = minimal(tmp_path / "a", pols, partial)
    current = minimal(tmp_path / "b", pols)
    code, out, err = cli("drift", "--baseline", str(base), "--tenant-dir", str(current), "--json", "--allow-partial")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["incomplete"] and doc["incomplete"][0]["status"] == "partial"
    # the users data set was partial in the baseline: every check that reads it was `error` there
    assert doc["findings"] == {"newlyFailing": [], "newlyPassing": []}
    # ...while a check judged on both sides still compares: an NSG opened to RDP from anywhere
    nsg = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg-open"
    put(current, f"arm/subscriptions/{SUB}/providers/Microsoft.Network/networkSecurityGroups.json", [
        {"id": nsg, "name": "nsg-open", "location": "westeurope", "properties": {"securityRules": [
            {"name": "rdp", "properties": {
                "priority": 100, "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
                "sourceAddressPrefix": "*", "sourcePortRange": "*",
                "destinationAddressPrefix": "*", "destinationPortRange": "3380-3390"}}]}}])
    code, out, err = cli("drift", "--baseline", str(base), "--tenant-dir", str(current), "--json", "--allow-partial")
    assert json.loads(out)["findings"]["newlyFailing"] == [{"check": "ZT-NET-007", "resourceId": nsg}]


# --- ZT-NET-007/008: application security groups and unresolved service tags -------------------------------


def nsg_tenant(root: Path, rules: list[dict[str, Any]]) -> Path:
    """tenant.toml and one NSG (no subnet read): every other data set absent."""
    tenant_toml(root)
    nid = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg"
    for n, r in enumerate(rules):
        r.setdefault("name", f"r{n}")
        r["id"] = f"{nid}/securityRules/{r['name']}"
        r["properties"] = {"direction": "Inbound", "sourcePortRange": "*", "destinationAddressPrefix": "*",
                           "protocol": "Tcp", **r["properties"]}
    put(root, f"arm/subscriptions/{SUB}/providers/Microsoft.Network/networkSecurityGroups.json",
        [{"id": nid, "name": "nsg", "location": "westeurope", "properties": {"securityRules": rules}}])
    return root


def rule(priority: int, access: str, port: str, **source: Any) -> dict[str, Any]:
    return {"properties": {"priority": priority, "access": access, "destinationPortRange": port, **source}}


def test_net007_a_source_asg_is_inside_the_vnet_not_the_internet(tmp_path: Path) -> None:
    asg = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/applicationSecurityGroups/jumpbox"
    root = nsg_tenant(tmp_path / "t", [rule(100, "Allow", "22", sourceApplicationSecurityGroups=[{"id": asg}])])
    assert findings(root, "ZT-NET-007")[0]["status"] == "pass"
    root = nsg_tenant(tmp_path / "u", [rule(100, "Allow", "22", sourceAddressPrefix="Internet")])
    assert findings(root, "ZT-NET-007")[0]["status"] == "fail"


def test_net007_008_a_public_service_tag_is_not_passed_unseen(tmp_path: Path) -> None:
    root = nsg_tenant(tmp_path / "t", [rule(100, "Allow", "3380-3390", sourceAddressPrefix="AzureCloud"),
                                       rule(110, "Allow", "445", sourceAddressPrefix="AzureCloud")])
    (f7,) = findings(root, "ZT-NET-007")
    assert f7["status"] == "warn" and "AzureCloud" in f7["evidence"]
    assert findings(root, "ZT-NET-008")[0]["status"] == "warn"
    # a deny of every public address above it denies the tag too
    root = nsg_tenant(tmp_path / "u", [rule(100, "Deny", "*", sourceAddressPrefix="Internet"),
                                       rule(200, "Allow", "3389", sourceAddressPrefix="AzureCloud")])
    assert findings(root, "ZT-NET-007")[0]["status"] == "pass"

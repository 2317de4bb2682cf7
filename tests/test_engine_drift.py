"""Drift: exactly the changes made between two tenant directories, most dangerous first (CONTRACTS §5c)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ztconsole.datasets import BY_KEY
from ztconsole.demo.synthetic import generate
from ztconsole.engine.drift import USES, Change, FieldChange, compare, diff
from ztconsole.tenantdir import load_tenant

# --- comparing JSON ---------------------------------------------------------------------------------------


def test_lists_of_values_compare_as_sets_and_say_what_was_added_and_removed() -> None:
    assert list(diff({"a": ["x", "y"]}, {"a": ["y", "x"]})) == []
    (change,) = diff({"c": {"u": ["x", "y"]}}, {"c": {"u": ["y", "z"]}})
    assert change.path == "c.u" and change.added == ("z",) and change.removed == ("x",)
    assert change.before == ["x", "y"] and change.after == ["y", "z"]


def test_named_objects_are_matched_by_name_and_the_path_names_them() -> None:
    before = {"properties": {"subnets": [{"name": "web", "properties": {"addressPrefix": "10.0.1.0/24"}},
                                         {"name": "db", "properties": {"addressPrefix": "10.0.2.0/24"}}]}}
    after = {"properties": {"subnets": [{"name": "db", "properties": {"addressPrefix": "10.0.2.0/24"}},
                                        {"name": "web", "properties": {"addressPrefix": "10.0.0.0/16"}}]}}
    assert list(diff(before, after)) == [
        FieldChange("properties.subnets[name=web].properties.addressPrefix", "10.0.1.0/24", "10.0.0.0/16")]


def test_read_only_metadata_and_odata_annotations_make_no_change_and_empty_equals_absent() -> None:
    before = {"modifiedDateTime": "2026-01-01T00:00:00Z", "etag": "a", "properties": {"provisioningState": "A"},
              "@odata.etag": "1", "x": []}
    after = {"modifiedDateTime": "2026-02-01T00:00:00Z", "etag": "b", "properties": {"provisioningState": "B"},
             "@odata.etag": "2"}
    assert list(diff(before, after)) == []


def test_a_value_of_another_type_is_a_change() -> None:
    assert [c.path for c in diff({"n": 1}, {"n": True})] == ["n"]
    assert [c.path for c in diff({"n": "1"}, {"n": 1})] == ["n"]


# --- two tenant directories --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("drift") / "a"
    generate(root, "demo")
    return root


def _edit(path: Path, change: Callable[[Any], Any]) -> None:
    body = json.loads(path.read_text(encoding="utf-8"))
    result = change(body)
    path.write_text(json.dumps(body if result is None else result), encoding="utf-8")


def _file(root: Path, key: str) -> Path:
    return root / BY_KEY[key].file_path()


def _first(items: list[dict[str, Any]], test: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    return next(item for item in items if test(item))


def test_a_copy_has_no_drift(baseline: Path, tmp_path: Path) -> None:
    copy = tmp_path / "b"
    shutil.copytree(baseline, copy)
    assert compare(load_tenant(baseline), load_tenant(copy)) == []


def test_drift_reports_exactly_the_changes_made_most_dangerous_first(baseline: Path, tmp_path: Path) -> None:
    current = tmp_path / "b"
    shutil.copytree(baseline, current)
    made: dict[tuple[str, str, str], Any] = {}  # (kind, action, id) -> what the test checks of it

    # Conditional Access: a new exclusion, a policy no longer enforced, a timestamp alone (no change)
    policies_file = _file(current, "ca_policies")
    policies = json.loads(policies_file.read_text(encoding="utf-8"))
    enabled = [p for p in policies if p["state"] == "enabled"]
    excluded, relaxed, touched = enabled[0], enabled[1], enabled[2]
    excluded["conditions"]["users"].setdefault("excludeUsers", []).append("d00dfeed-0000-4000-8000-000000000001")
    relaxed["state"] = "enabledForReportingButNotEnforced"
    touched["modifiedDateTime"] = "2026-12-01T00:00:00Z"
    policies_file.write_text(json.dumps(policies), encoding="utf-8")
    made[("caPolicy", "changed", excluded["id"])] = "new exclusion"
    made[("caPolicy", "changed", relaxed["id"])] = "no longer enforced"

    # a new member of a group an enforced policy excludes: an exclusion too
    excluded_groups = [g for p in enabled for g in p["conditions"]["users"].get("excludeGroups", [])]
    group_id = excluded_groups[0]
    users = json.loads(_file(current, "users").read_text(encoding="utf-8"))
    members_file = current / f"graph/v1.0/groups/{group_id}/members.json"
    members = json.loads(members_file.read_text(encoding="utf-8"))
    held = {m["id"] for m in members}
    newcomer = _first(users, lambda u: u["id"] not in held)
    members.append({"@odata.type": "#microsoft.graph.user", "id": newcomer["id"],
                    "displayName": newcomer.get("displayName"), "userPrincipalName": newcomer["userPrincipalName"]})
    members_file.write_text(json.dumps(members), encoding="utf-8")
    made[("group", "changed", group_id)] = "new member of a group excluded by"

    # a user deleted
    gone = users[-1]
    _edit(_file(current, "users"), lambda body: [u for u in body if u["id"] != gone["id"]])
    made[("user", "removed", gone["id"])] = "user removed"

    # a Private Access segment widened
    def narrow(s: dict[str, Any]) -> bool:
        return s.get("destinationType") == "ipRangeCidr" and not str(s["destinationHost"]).endswith("/8")

    segment_file = next(f for f in current.glob("graph/beta/applications/*/onPremisesPublishing/segmentsConfiguration/"
                                                "microsoft.graph.ipSegmentConfiguration/applicationSegments.json")
                        if any(narrow(s) for s in json.loads(f.read_text(encoding="utf-8"))))
    segments = json.loads(segment_file.read_text(encoding="utf-8"))
    seg = _first(segments, narrow)
    seg["destinationHost"] = "10.0.0.0/8"
    segment_file.write_text(json.dumps(segments), encoding="utf-8")
    made[("paSegment", "changed", seg["id"])] = "segment widened"

    # an NSG rule that admits RDP from anywhere
    nsg_file = next(p for p in current.glob("arm/subscriptions/*/providers/Microsoft.Network/"
                                            "networkSecurityGroups.json"))
    nsgs = json.loads(nsg_file.read_text(encoding="utf-8"))
    nsg = nsgs[0]
    rule_id = f"{nsg['id']}/securityRules/allow-rdp-any"
    nsg["properties"].setdefault("securityRules", []).append({
        "name": "allow-rdp-any", "id": rule_id,
        "properties": {"protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": "3389",
                       "sourceAddressPrefix": "*", "destinationAddressPrefix": "*", "access": "Allow",
                       "priority": 101, "direction": "Inbound"}})
    nsg_file.write_text(json.dumps(nsgs), encoding="utf-8")
    made[("nsgRule", "added", rule_id.lower())] = "new Allow Inbound rule"

    # a firewall network rule added to an Allow collection
    rcg_file = next(current.glob("arm/subscriptions/*/resourceGroups/*/providers/Microsoft.Network/"
                                 "firewallPolicies/*/ruleCollectionGroups.json"))
    rcgs = json.loads(rcg_file.read_text(encoding="utf-8"))
    rcg = _first(rcgs, lambda g: any(c.get("action", {}).get("type") == "Allow"
                                     and c.get("ruleCollectionType") == "FirewallPolicyFilterRuleCollection"
                                     for c in g["properties"]["ruleCollections"]))
    coll = _first(rcg["properties"]["ruleCollections"], lambda c: c.get("action", {}).get("type") == "Allow")
    coll["rules"].append({"ruleType": "NetworkRule", "name": "allow-smb-anywhere", "ipProtocols": ["TCP"],
                          "sourceAddresses": ["*"], "destinationAddresses": ["*"], "destinationPorts": ["445"]})
    rcg_file.write_text(json.dumps(rcgs), encoding="utf-8")
    made[("firewallRule", "added",
          f"{rcg['id']}/ruleCollections/{coll['name']}/rules/allow-smb-anywhere".lower())] = "new Allow rule"

    changes = compare(load_tenant(baseline), load_tenant(current))
    found = {(c.kind, c.action, c.id.lower() if c.id.startswith("/") else c.id): c for c in changes}
    assert set(found) == set(made)
    for key, why in made.items():
        assert why in found[key].why, (key, found[key].why)

    change = found[("caPolicy", "changed", excluded["id"])]
    assert change.severity == "high"
    assert [(f.path, f.added) for f in change.fields] == [
        ("conditions.users.excludeUsers", ("d00dfeed-0000-4000-8000-000000000001",))]
    assert [f.path for f in found[("caPolicy", "changed", relaxed["id"])].fields] == ["state"]
    assert found[("user", "removed", gone["id"])].severity == "low"

    # the order of CONTRACTS §5c: exclusions, then no longer enforced, widened segments, new allow rules
    order = [c.why.split(":")[0] for c in changes if c.severity == "high"]
    firsts = [order.index(w) for w in ("new exclusion", "no longer enforced", "segment widened")]
    assert firsts == sorted(firsts)
    assert all(c.severity != "low" for c in changes[: len(order)])
    assert changes[-1].severity == "low"
    json.dumps([c.to_json() for c in changes])  # the JSON of §5c


def test_uses_names_catalogue_data_sets() -> None:
    assert set(USES) <= set(BY_KEY)
    assert {"ca_policies", "app_segments", "rule_collection_groups", "nsgs", "group_members"} <= set(USES)


def test_change_json_has_the_contract_keys() -> None:
    change = Change("caPolicy", "changed", "p1", "Policy", (FieldChange("state", "enabled", "disabled"),),
                    "high", "no longer enforced")
    assert change.to_json() == {"kind": "caPolicy", "action": "changed", "id": "p1", "name": "Policy",
                                "fields": [{"path": "state", "before": "enabled", "after": "disabled"}],
                                "severity": "high", "why": "no longer enforced"}

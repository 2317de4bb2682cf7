"""Policy files (CONTRACTS §8): reading PATHs, matching to the tenant, the diff and the write bodies."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from ztconsole.actions.policydiff import (
    FLAG_PATHS,
    SET_PATHS,
    Change,
    changed,
    clean,
    diff,
    merged,
    patch_body,
    post_body,
)
from ztconsole.actions.policyfiles import (
    NEW_POLICY_ID,
    PolicyFilesError,
    match,
    parse_policy,
    read_paths,
)
from ztconsole.datasets import BY_KEY
from ztconsole.demo import demo_dir
from ztconsole.model.ca import ConditionalAccessEnumeratedExternalTenants, ConditionalAccessPolicy
from ztconsole.tenantdir import TenantDir

DEMO_POLICIES = Path("graph/v1.0/identity/conditionalAccess/policies.json")
CA001 = "db49ddc7-24da-5abc-8740-8b6470dbc55c"
CA004 = "e716c44b-52c0-5e83-8018-93f3c6015f65"
CA008 = "18d6ab78-d12e-54f8-b6c7-92c648c7d8ab"
BREAK_GLASS_GROUP = "1d3bb876-75cc-5c09-9b3a-5f725717d79c"
NEW_GROUP = "0f6d8a5e-2b7c-4d3e-9a1f-5c8b7e6d4a21"


@pytest.fixture(scope="module")
def tenant() -> tuple[ConditionalAccessPolicy, ...]:
    """The demo tenant's CA policies, through the tenant directory reader."""
    result = TenantDir.open(demo_dir()).read(BY_KEY["ca_policies"])
    assert result.status == "ok", result.message
    return tuple(result.value)


@pytest.fixture(scope="module")
def demo_json() -> list[dict[str, Any]]:
    """The demo tenant's CA policies as Graph JSON (what an export of the tenant gives)."""
    data: list[dict[str, Any]] = json.loads((demo_dir() / DEMO_POLICIES).read_text())
    return data


def by_id(policies: list[dict[str, Any]], pid: str) -> dict[str, Any]:
    return copy.deepcopy(next(p for p in policies if p["id"] == pid))


def write(path: Path, body: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body, indent=2))
    return path


def problems_of(paths: list[Path]) -> list[str]:
    with pytest.raises(PolicyFilesError) as info:
        read_paths(paths)
    return [str(p) for p in info.value.problems]


# --- input shapes ---------------------------------------------------------------------------------------------


def test_one_policy_object(tmp_path: Path, demo_json: list[dict[str, Any]]) -> None:
    f = write(tmp_path / "ca001.json", by_id(demo_json, CA001))
    [pf] = read_paths([f])
    assert pf.file == str(f) and pf.index == 0 and pf.single and pf.where == str(f)
    assert pf.id == CA001 and pf.display_name == "CA001-Global-AllApps-AnyPlatform-RequireMFA"
    assert isinstance(pf.policy, ConditionalAccessPolicy)
    assert pf.policy.id == CA001 and pf.policy.grant_controls is not None
    assert pf.policy.grant_controls.built_in_controls == ("mfa",)


def test_an_array_of_policies(tmp_path: Path, demo_json: list[dict[str, Any]]) -> None:
    f = write(tmp_path / "all.json", demo_json)
    got = read_paths([f])
    assert [pf.id for pf in got] == [p["id"] for p in demo_json]
    assert [pf.index for pf in got] == list(range(len(demo_json)))
    assert got[3].where == f"{f} item 3" and not got[3].single


def test_a_graph_list_page(tmp_path: Path, demo_json: list[dict[str, Any]]) -> None:
    page = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#identity/conditionalAccess/policies",
            "value": demo_json[:2]}
    got = read_paths([write(tmp_path / "page.json", page)])
    assert [pf.id for pf in got] == [demo_json[0]["id"], demo_json[1]["id"]]


def test_a_policy_without_id_is_a_create_with_a_model(tmp_path: Path) -> None:
    body = {"displayName": "New: block legacy auth", "state": "enabled", "id": None,
            "conditions": {"users": {"includeUsers": ["All"]}, "applications": {"includeApplications": ["All"]},
                           "clientAppTypes": ["exchangeActiveSync", "other"]},
            "grantControls": {"operator": "OR", "builtInControls": ["block"]}}
    [pf] = read_paths([write(tmp_path / "new.json", body)])
    assert pf.id is None and "id" not in pf.raw
    assert pf.policy.id == NEW_POLICY_ID and pf.policy.blocks


def test_read_only_properties_and_annotations_are_ignored(tmp_path: Path, demo_json: list[dict[str, Any]]) -> None:
    body = by_id(demo_json, CA004)
    body["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#identity/conditionalAccess/policies/$entity"
    body["@odata.etag"] = 'W/"1"'
    body["templateId"] = "a3d0a415-b068-4326-9251-f9cdf9feeb64"
    body["conditions"]["@odata.type"] = "#microsoft.graph.conditionalAccessConditionSet"
    body["conditions"]["users"]["@odata.type"] = "#microsoft.graph.conditionalAccessUsers"
    body["grantControls"]["authenticationStrength@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#x"
    [pf] = read_paths([write(tmp_path / "ca004.json", body)])
    assert {"createdDateTime", "modifiedDateTime", "templateId"}.isdisjoint(pf.raw)

    def keys(value: Any) -> set[str]:
        if isinstance(value, dict):
            return set(value) | {k for v in value.values() for k in keys(v)}
        if isinstance(value, list):
            return {k for v in value for k in keys(v)}
        return set()

    assert not [k for k in keys(pf.raw) if "@" in k]
    # and none of it is a change against the tenant's own copy
    assert diff(clean(by_id(demo_json, CA004)), pf.raw) == []


def test_a_folder_is_read_recursively_in_sorted_order(tmp_path: Path, demo_json: list[dict[str, Any]]) -> None:
    root = tmp_path / "policies"
    write(root / "b" / "z.json", demo_json[2])
    write(root / "a.json", demo_json[0])
    write(root / "b" / "a.json", [demo_json[1], demo_json[3]])
    write(root / "c" / "d" / "e.json", {"value": [demo_json[4]]})
    (root / "README.md").write_text("not a policy")
    (root / "b" / "notes.txt").write_text("{")
    got = read_paths([root])
    assert [pf.id for pf in got] == [demo_json[i]["id"] for i in (0, 1, 3, 2, 4)]
    assert [Path(pf.file).relative_to(root).as_posix() for pf in got] == [
        "a.json", "b/a.json", "b/a.json", "b/z.json", "c/d/e.json"]


def test_a_file_given_twice_is_read_once(tmp_path: Path, demo_json: list[dict[str, Any]]) -> None:
    f = write(tmp_path / "p" / "ca001.json", demo_json[0])
    assert len(read_paths([tmp_path / "p", f])) == 1


# --- errors name the file -----------------------------------------------------------------------------------


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    got = problems_of([tmp_path / "nope.json", tmp_path / "empty"])
    assert got == [f"{tmp_path / 'nope.json'}: no such file or folder",
                   f"{tmp_path / 'empty'}: no *.json file in this folder"]


def test_unreadable_file(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (root / "gone.json").symlink_to(tmp_path / "missing-target.json")  # listed, cannot be read (even as root)
    [msg] = problems_of([root])
    assert msg == f"{root / 'gone.json'}: cannot read: No such file or directory"
    bad = tmp_path / "latin1.json"
    bad.write_bytes(b'{"displayName": "caf\xe9"}')
    [msg] = problems_of([bad])
    assert msg == f"{bad}: not UTF-8 text (byte 20)"


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    f = tmp_path / "broken.json"
    f.write_text('{\n  "displayName": "x",\n  "state": enabled\n}\n')
    [msg] = problems_of([f])
    assert msg == f"{f}: invalid JSON at line 3 column 12: Expecting value"


def test_not_a_policy(tmp_path: Path, demo_json: list[dict[str, Any]]) -> None:
    f = write(tmp_path / "mixed.json", [demo_json[0], {"state": "enabled"}, {"displayName": ""},
                                        {"displayName": "x", "id": 7}, "CA005"])
    got = problems_of([f])
    assert got == [
        f"{f}: item 1: missing displayName",
        f"{f}: item 2: displayName must be a non-empty string, got a string",
        f"{f}: item 3: id must be a non-empty string, got a number",
        f"{f}: item 4: not an object (a string)",
    ]
    s = write(tmp_path / "scalar.json", 42)
    [msg] = problems_of([s])
    assert msg.startswith(f"{s}: expected a policy object, an array of them or a Graph list page")


def test_a_policy_the_model_cannot_read_names_file_item_and_path(tmp_path: Path) -> None:
    f = write(tmp_path / "p.json", {"value": [
        {"displayName": "ok"},
        {"displayName": "bad", "conditions": {"users": {"includeUsers": "All"}}},
    ]})
    [msg] = problems_of([f])
    assert msg == (f"{f}: item 1: $.value[1].conditions.users.includeUsers: "
                   "expected a list of strings, got a string")
    one = write(tmp_path / "one.json", {"displayName": "bad", "grantControls": {"builtInControls": [1]}})
    [msg] = problems_of([one])
    assert msg == f"{one}: $.grantControls.builtInControls[0]: expected a string, got a number"


def test_unknown_enum_values_are_notes_not_errors(tmp_path: Path) -> None:
    [pf] = read_paths([write(tmp_path / "p.json", {"displayName": "x", "state": "enabledSomeday"})])
    assert pf.notes == ("$.state: unknown value 'enabledSomeday'; kept as is",)


def test_two_files_naming_the_same_policy(tmp_path: Path, demo_json: list[dict[str, Any]]) -> None:
    a = write(tmp_path / "a.json", demo_json[0])
    renamed = dict(demo_json[0], displayName="another name")
    b = write(tmp_path / "b.json", [demo_json[1], renamed])
    [msg] = problems_of([a, b])
    assert msg == f"{b} item 1: names the same policy (id {CA001}) as {a}"
    c = write(tmp_path / "c.json", {"displayName": "Pilot: block"})
    d = write(tmp_path / "sub" / "d.json", {"displayName": "Pilot: block", "state": "disabled"})
    [msg] = problems_of([c, tmp_path / "sub"])
    assert msg == f"{d}: names the same policy (displayName 'Pilot: block') as {c}"


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("[")
    write(tmp_path / "b.json", [1])
    got = problems_of([tmp_path])
    assert len(got) == 2 and got[0].startswith(f"{tmp_path / 'a.json'}: invalid JSON")
    assert got[1] == f"{tmp_path / 'b.json'}: item 0: not an object (a number)"


# --- real-world payloads ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["v1.0-conditionalaccess-policy-get.json",
                                  "v1.0-conditionalaccess-policies-list.json"])
def test_official_payloads_read_as_policy_files(realworld: Path, name: str) -> None:
    path = realworld / "graph-ca" / name
    got = read_paths([path])
    body = json.loads(path.read_text())
    items = body["value"] if "value" in body else [body]
    assert [pf.id for pf in got] == [i["id"] for i in items]
    for pf, item in zip(got, items):
        # the model's own reading, without what Graph sets itself
        assert pf.policy == ConditionalAccessPolicy.from_wire(clean(item, keep_types=True))
        assert pf.policy.conditions == ConditionalAccessPolicy.from_wire(item).conditions
        assert pf.notes == ()
        assert diff(clean(item), pf.raw) == []  # a file exported from the tenant changes nothing


def test_the_demo_tenant_exported_plans_nothing(tmp_path: Path, tenant: tuple[ConditionalAccessPolicy, ...],
                                                demo_json: list[dict[str, Any]]) -> None:
    got = match(read_paths([write(tmp_path / "all.json", demo_json)]), tenant)
    assert len(got) == len(tenant)
    assert all(not m.is_create and not changed(m.tenant, m.file.raw) for m in got)


# --- matching -----------------------------------------------------------------------------------------------


def test_match_by_id_by_name_and_create(tmp_path: Path, tenant: tuple[ConditionalAccessPolicy, ...],
                                        demo_json: list[dict[str, Any]]) -> None:
    by_name = by_id(demo_json, CA008)
    del by_name["id"]
    renamed = dict(by_id(demo_json, CA001), displayName="CA001 renamed")
    new = {"displayName": "CA100-New", "state": "enabled"}
    files = read_paths([write(tmp_path / "p.json", [renamed, by_name, new])])
    m_id, m_name, m_new = match(files, tenant)
    assert m_id.tenant_id == CA001 and not m_id.is_create
    assert m_name.tenant_id == CA008
    assert m_new.is_create and m_new.tenant is None and m_new.tenant_id is None
    assert diff(m_id.tenant, m_id.file.raw) == [
        Change("displayName", "CA001-Global-AllApps-AnyPlatform-RequireMFA", "CA001 renamed")]


def test_match_accepts_tenant_graph_json_and_ids_in_any_case(tmp_path: Path,
                                                             demo_json: list[dict[str, Any]]) -> None:
    body = dict(by_id(demo_json, CA001), id=CA001.upper())
    [m] = match(read_paths([write(tmp_path / "p.json", body)]), demo_json)
    assert m.tenant_id == CA001 and m.tenant is not None
    assert "createdDateTime" not in m.tenant


def test_unknown_id(tmp_path: Path, tenant: tuple[ConditionalAccessPolicy, ...]) -> None:
    f = write(tmp_path / "p.json", {"id": "00000000-1111-2222-3333-444444444444", "displayName": "x"})
    with pytest.raises(PolicyFilesError) as info:
        match(read_paths([f]), tenant)
    assert [str(p) for p in info.value.problems] == [
        f"{f}: no policy with id 00000000-1111-2222-3333-444444444444 in the tenant"]


def test_ambiguous_name(tmp_path: Path, demo_json: list[dict[str, Any]]) -> None:
    twin = dict(by_id(demo_json, CA008), id="11111111-2222-3333-4444-555555555555")
    f = write(tmp_path / "p.json", {"displayName": twin["displayName"]})
    with pytest.raises(PolicyFilesError) as info:
        match(read_paths([f]), [*demo_json, twin])
    [msg] = [str(p) for p in info.value.problems]
    assert msg.startswith(f"{f}: 2 tenant policies are named 'CA008-Global-AllApps-BlockDeviceCodeFlow'")
    assert CA008 in msg and twin["id"] in msg


def test_two_files_reaching_one_tenant_policy(tmp_path: Path, demo_json: list[dict[str, Any]]) -> None:
    a = write(tmp_path / "a.json", by_id(demo_json, CA008))
    b = write(tmp_path / "b.json", {"displayName": "CA008-Global-AllApps-BlockDeviceCodeFlow", "state": "disabled"})
    with pytest.raises(PolicyFilesError) as info:
        match(read_paths([a, b]), demo_json)
    assert [str(p) for p in info.value.problems] == [f"{b}: names the same policy (id {CA008}) as {a}"]


# --- the diff -----------------------------------------------------------------------------------------------


@pytest.fixture
def ca001(tenant: tuple[ConditionalAccessPolicy, ...]) -> dict[str, Any]:
    """CA001 as the tenant has it (Graph JSON, cleaned)."""
    return clean(next(p for p in tenant if p.id == CA001).to_wire())


def test_a_reordered_set_list_is_no_change(ca001: dict[str, Any]) -> None:
    after = copy.deepcopy(ca001)
    after["conditions"]["users"]["excludeGroups"].reverse()
    after["conditions"]["users"]["excludeGroups"].append(after["conditions"]["users"]["excludeGroups"][0].upper())
    assert diff(ca001, after) == [] and not changed(ca001, after)
    assert patch_body(ca001, after) == {}


def test_an_added_exclusion_is_one_change(ca001: dict[str, Any]) -> None:
    before_groups = list(ca001["conditions"]["users"]["excludeGroups"])
    after = {"id": CA001, "displayName": ca001["displayName"],
             "conditions": {"users": {"excludeGroups": [*before_groups, NEW_GROUP]}}}
    assert diff(ca001, after) == [
        Change("conditions.users.excludeGroups", before_groups, [*before_groups, NEW_GROUP])]
    assert diff(ca001, after)[0].to_json() == {"path": "conditions.users.excludeGroups",
                                               "before": before_groups, "after": [*before_groups, NEW_GROUP]}
    body = patch_body(ca001, after)
    # only conditions changes; it goes whole: the tenant's conditions with the one list replaced
    assert list(body) == ["conditions"]
    expected = copy.deepcopy(ca001["conditions"])
    expected["users"]["excludeGroups"] = [*before_groups, NEW_GROUP]
    assert body["conditions"] == expected


def test_a_state_change(tenant: tuple[ConditionalAccessPolicy, ...]) -> None:
    ca003 = clean(next(p for p in tenant if p.display_name.startswith("CA003")).to_wire())
    assert ca003["state"] == "enabledForReportingButNotEnforced"
    after = {"displayName": ca003["displayName"], "state": "enabled"}
    assert diff(ca003, after) == [Change("state", "enabledForReportingButNotEnforced", "enabled")]
    assert patch_body(ca003, after) == {"state": "enabled"}


def test_a_rename(ca001: dict[str, Any]) -> None:
    after = {"id": CA001, "displayName": "CA001 - everyone - MFA"}
    assert diff(ca001, after) == [Change("displayName", ca001["displayName"], "CA001 - everyone - MFA")]
    assert patch_body(ca001, after) == {"displayName": "CA001 - everyone - MFA"}


def test_nested_grant_controls_change(ca001: dict[str, Any]) -> None:
    after = {"displayName": ca001["displayName"],
             "grantControls": {"operator": "AND", "builtInControls": ["compliantDevice", "mfa"]}}
    assert diff(ca001, after) == [
        Change("grantControls.operator", "OR", "AND"),
        Change("grantControls.builtInControls", ["mfa"], ["compliantDevice", "mfa"]),
    ]
    assert patch_body(ca001, after) == {"grantControls": {
        "operator": "AND", "builtInControls": ["compliantDevice", "mfa"],
        "customAuthenticationFactors": [], "termsOfUse": []}}


def test_authentication_strength_compares_and_writes_by_id(tenant: tuple[ConditionalAccessPolicy, ...]) -> None:
    ca004 = clean(next(p for p in tenant if p.id == CA004).to_wire())
    same = {"displayName": ca004["displayName"],
            "grantControls": {"authenticationStrength": {"id": "00000000-0000-0000-0000-000000000004"}}}
    assert diff(ca004, same) == []
    mfa = {"displayName": ca004["displayName"],
           "grantControls": {"authenticationStrength": {"id": "00000000-0000-0000-0000-000000000002",
                                                        "displayName": "Multifactor authentication"}}}
    [change] = diff(ca004, mfa)
    assert change.path == "grantControls.authenticationStrength"
    body = patch_body(ca004, mfa)
    assert body["grantControls"]["authenticationStrength"] == {"id": "00000000-0000-0000-0000-000000000002"}
    assert body["grantControls"]["operator"] == "OR"


def test_flags_strings_compare_as_sets_of_words(demo_json: list[dict[str, Any]]) -> None:
    before = clean(by_id(demo_json, CA008))
    before["conditions"]["authenticationFlows"]["transferMethods"] = "deviceCodeFlow,authenticationTransfer"
    same = {"displayName": before["displayName"],
            "conditions": {"authenticationFlows": {"transferMethods": "authenticationTransfer, deviceCodeFlow"}}}
    assert diff(before, same) == []
    fewer = copy.deepcopy(same)
    fewer["conditions"]["authenticationFlows"]["transferMethods"] = "deviceCodeFlow"
    assert [c.path for c in diff(before, fewer)] == ["conditions.authenticationFlows.transferMethods"]
    assert "conditions.authenticationFlows.transferMethods" in FLAG_PATHS


def test_ordered_lists_stay_ordered() -> None:
    before = {"displayName": "x", "conditions": {"x-unknown": ["a", "b"]}}
    after = {"displayName": "x", "conditions": {"x-unknown": ["b", "a"]}}
    assert [c.path for c in diff(before, after)] == ["conditions.x-unknown"]
    assert "conditions.users.excludeGroups" in SET_PATHS and "conditions.x-unknown" not in SET_PATHS


def test_absent_is_unchanged_and_null_sets_null(ca001: dict[str, Any], tenant: tuple[ConditionalAccessPolicy, ...]
                                                ) -> None:
    assert diff(ca001, {"displayName": ca001["displayName"]}) == []
    assert diff(ca001, {"displayName": ca001["displayName"], "conditions": {}}) == []
    # null and an empty collection are the same to Graph
    assert diff(ca001, {"displayName": ca001["displayName"],
                        "conditions": {"users": {"includeGroups": None}, "locations": None}}) == []
    # null in the file clears what the tenant has
    ca012 = clean(next(p for p in tenant if p.display_name.startswith("CA012")).to_wire())
    assert ca012["sessionControls"] is not None
    after = {"displayName": ca012["displayName"], "sessionControls": None}
    assert diff(ca012, after) == [Change("sessionControls", ca012["sessionControls"], None)]
    assert patch_body(ca012, after) == {"sessionControls": None}
    users = {"displayName": ca001["displayName"], "conditions": {"users": {"excludeGroups": None}}}
    [change] = diff(ca001, users)
    assert change.path == "conditions.users.excludeGroups" and change.after is None
    assert patch_body(ca001, users)["conditions"]["users"]["excludeGroups"] is None


def test_an_object_new_to_the_policy_is_one_change(ca001: dict[str, Any]) -> None:
    freq = {"signInFrequency": {"value": 4, "type": "hours", "isEnabled": True}}
    after = {"displayName": ca001["displayName"], "sessionControls": freq}
    assert diff(ca001, after) == [Change("sessionControls", None, freq)]
    assert patch_body(ca001, after) == {"sessionControls": freq}


def test_booleans_are_not_numbers() -> None:
    before = {"displayName": "x", "sessionControls": {"disableResilienceDefaults": True}}
    after = {"displayName": "x", "sessionControls": {"disableResilienceDefaults": 1}}
    assert [c.path for c in diff(before, after)] == ["sessionControls.disableResilienceDefaults"]


def test_read_only_properties_never_diff(ca001: dict[str, Any]) -> None:
    after = {"id": CA001.upper(), "displayName": ca001["displayName"], "createdDateTime": "2020-01-01T00:00:00Z",
             "modifiedDateTime": None, "templateId": "t", "@odata.etag": "x"}
    assert diff(ca001, after) == [] and patch_body(ca001, after) == {}


def test_merged_is_the_policy_as_the_change_leaves_it(ca001: dict[str, Any]) -> None:
    after = {"displayName": ca001["displayName"], "state": "disabled",
             "conditions": {"users": {"excludeUsers": ["efca87da-ad8f-556a-bb66-51fd73f6f04e"]}}}
    result = merged(ca001, after)
    assert result["id"] == CA001 and result["state"] == "disabled"
    assert result["conditions"]["users"]["excludeUsers"] == ["efca87da-ad8f-556a-bb66-51fd73f6f04e"]
    assert result["conditions"]["applications"] == ca001["conditions"]["applications"]
    assert ca001["state"] == "enabled"  # before untouched
    model = parse_policy(result)
    assert model.id == CA001 and model.is_disabled
    assert diff(result, after) == []  # applying the change again changes nothing


def test_post_body_of_a_create(tmp_path: Path) -> None:
    body = {"@odata.type": "#microsoft.graph.conditionalAccessPolicy", "displayName": "CA100-Guests-Block",
            "state": "enabled", "createdDateTime": None,
            "conditions": {"users": {"includeGuestsOrExternalUsers": {
                "guestOrExternalUserTypes": "b2bCollaborationGuest",
                "externalTenants": {"membershipKind": "enumerated",
                                    "members": ["9b7e5c0a-3f2d-4e1b-8a6c-0d4f2e1b3c5a"]}}},
                "applications": {"includeApplications": ["All"]}, "clientAppTypes": ["all"]},
            "grantControls": {"operator": "OR", "builtInControls": ["block"]}}
    [pf] = read_paths([write(tmp_path / "new.json", body)])
    assert pf.policy.conditions is not None and pf.policy.conditions.users is not None
    guests = pf.policy.conditions.users.include_guests_or_external_users
    assert guests is not None and guests.user_types == ("b2bCollaborationGuest",)
    post = post_body(pf.raw, state="enabledForReportingButNotEnforced")
    assert post["state"] == "enabledForReportingButNotEnforced" and post["displayName"] == "CA100-Guests-Block"
    assert "createdDateTime" not in post and "id" not in post and "@odata.type" not in post
    assert post["conditions"]["users"]["includeGuestsOrExternalUsers"]["externalTenants"] == {
        "@odata.type": "#microsoft.graph.conditionalAccessEnumeratedExternalTenants",
        "membershipKind": "enumerated", "members": ["9b7e5c0a-3f2d-4e1b-8a6c-0d4f2e1b3c5a"]}
    assert post_body(pf.raw)["state"] == "enabled"
    # the model of the policy as a change leaves it reads the concrete type from membershipKind
    after = parse_policy(merged(None, pf.raw))
    assert after.conditions is not None and after.conditions.users is not None
    tenants = after.conditions.users.include_guests_or_external_users
    assert tenants is not None and isinstance(tenants.external_tenants, ConditionalAccessEnumeratedExternalTenants)
    assert tenants.external_tenants.members == ("9b7e5c0a-3f2d-4e1b-8a6c-0d4f2e1b3c5a",)
    # the create's diff: each property it sets
    assert [c.path for c in diff(None, pf.raw)] == ["displayName", "state", "conditions", "grantControls"]

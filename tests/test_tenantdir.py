"""Reading tenant directories: every data set independently, bad content reported with file and path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ztconsole.datasets import BY_KEY
from ztconsole.jsonscan import iter_json_array
from ztconsole.tenantdir import TenantDir, TenantDirError, load_tenant

TID = "11111111-2222-3333-4444-555555555555"
SUB = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"

TOML = f"""format = 1
[tenant]
id = "{TID}"
display_name = "Fabrikam"
default_domain = "fabrikam.onmicrosoft.com"
[azure]
subscriptions = ["{SUB}"]
[capture]
captured_at = "2026-11-22T10:00:00Z"
source = "synthetic"
[break_glass]
accounts = ["bg1@fabrikam.onmicrosoft.com"]
"""


def user(n: int, **kw) -> dict:
    u = {"id": f"00000000-0000-0000-0000-{n:012d}", "displayName": f"User {n}",
         "userPrincipalName": f"user{n}@fabrikam.onmicrosoft.com", "accountEnabled": True,
         "userType": "Member"}
    u.update(kw)
    return u


def group(n: int) -> dict:
    return {"id": f"00000000-0000-0000-0001-{n:012d}", "displayName": f"Group {n}",
            "securityEnabled": True, "mailEnabled": False, "groupTypes": []}


def member(obj: dict, kind: str) -> dict:
    return {"@odata.type": f"#microsoft.graph.{kind}", "id": obj["id"], "displayName": obj["displayName"]}


def write(root: Path, rel: str, body: object) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body if isinstance(body, str) else json.dumps(body), encoding="utf-8")


@pytest.fixture
def tdir(tmp_path: Path) -> Path:
    write(tmp_path, "tenant.toml", TOML)
    return tmp_path


def test_tenant_toml_is_read(tdir: Path) -> None:
    info = TenantDir.open(tdir).info
    assert info.id == TID and info.display_name == "Fabrikam"
    assert info.subscriptions == (SUB,)
    assert info.captured_at.isoformat() == "2026-11-22T10:00:00+00:00"
    assert info.break_glass == ("bg1@fabrikam.onmicrosoft.com",)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda t: t.replace("format = 1", "format = 2"), "tenant.toml:1: format 2 is not supported"),
        (lambda t: t.replace("format = 1\n", ""), "required key format is missing"),
        (lambda t: t.replace(f'id = "{TID}"', 'id = "contoso"'), "tenant.toml:3: [tenant] id must be a GUID"),
        (lambda t: t.replace('display_name = "Fabrikam"\n', ""), "[tenant] display_name is missing"),
        (lambda t: t.replace('"2026-11-22T10:00:00Z"', '"last tuesday"'), "tenant.toml:9: [capture] captured_at"),
        (lambda t: t.replace('source = "synthetic"', 'source = "prod"'), "tenant.toml:10: [capture] source"),
        (lambda t: t.replace("[azure]", "[azure"), "tenant.toml"),
    ],
)
def test_bad_tenant_toml_names_file_line_and_key(tmp_path: Path, change, expected: str) -> None:
    write(tmp_path, "tenant.toml", change(TOML))
    with pytest.raises(TenantDirError) as e:
        TenantDir.open(tmp_path)
    assert expected in str(e.value)


def test_every_problem_in_tenant_toml_is_reported_at_once_in_file_order(tmp_path: Path) -> None:
    text = (TOML.replace(f'id = "{TID}"', 'id = "contoso"')
            .replace('display_name = "Fabrikam"', 'dispaly_name = "Fabrikam"')
            .replace('source = "synthetic"', 'source = "prod"')
            + '[captrue]\nsource = "demo"\n'
            + '[datasets."graph/v1.0/users"]\nstatus = "ok"\nstauts = "failed"\nmessage = 3\n')
    write(tmp_path, "tenant.toml", text)
    with pytest.raises(TenantDirError) as e:
        TenantDir.open(tmp_path)
    name = str(tmp_path / "tenant.toml")
    users = '[datasets."graph/v1.0/users"]'
    # keys the format does not name are ignored ([captrue]); a required key missing names its near miss
    assert str(e.value).splitlines() == [
        f"{name}:2: required key [tenant] display_name is missing (found 'dispaly_name')",
        f"{name}:3: [tenant] id must be a GUID, got 'contoso'",
        f"{name}:10: [capture] source must be demo, live or synthetic, got 'prod'",
        f"{name}:16: {users} status must be partial, forbidden, throttled or failed, got 'ok'",
        f"{name}:17: {users} has an unknown key 'stauts' (did you mean 'status'?)",
        f"{name}:18: {users} message must be a string, got an integer",
    ]


@pytest.mark.parametrize(("written", "expected"), [
    ("2026-11-22T10:00:00Z", "2026-11-22T10:00:00+00:00"),  # a TOML offset date-time
    ("2026-11-22T10:00:00", "2026-11-22T10:00:00+00:00"),  # a local one is UTC
    ('"2026-11-22T11:00:00+01:00"', "2026-11-22T10:00:00+00:00"),  # RFC 3339 in a string
])
def test_captured_at_is_a_toml_date_time_or_an_rfc_3339_string(tmp_path: Path, written: str, expected: str) -> None:
    write(tmp_path, "tenant.toml", TOML.replace('"2026-11-22T10:00:00Z"', written))
    assert TenantDir.open(tmp_path).info.captured_at.isoformat() == expected


def test_not_a_tenant_dir(tmp_path: Path) -> None:
    with pytest.raises(TenantDirError, match="tenant.toml: missing"):
        TenantDir.open(tmp_path)


def test_malformed_item_is_reported_with_path_and_the_rest_loads(tdir: Path) -> None:
    write(tdir, BY_KEY["users"].file_path(), [user(1), user(2, accountEnabled="yes"), user(3)])
    res = TenantDir.open(tdir).read(BY_KEY["users"])
    assert res.status == "partial"
    assert [u.display_name for u in res.value] == ["User 1", "User 3"]
    assert [str(i) for i in res.errors] == [
        "graph/v1.0/users.json $[1].accountEnabled: expected a boolean, got a string"]


def test_unknown_property_and_enum_are_kept(tdir: Path) -> None:
    write(tdir, BY_KEY["users"].file_path(), [user(1, userType="Robot", shoeSize=44)])
    res = TenantDir.open(tdir).read(BY_KEY["users"])
    assert res.status == "ok" and res.count == 1
    u = res.value[0]
    assert u.user_type == "Robot" and u.unknown("shoeSize") == 44
    assert [str(n) for n in res.issues] == ["graph/v1.0/users.json $[0].userType: unknown value 'Robot'; kept as is"]


def test_broken_file_fails_alone(tdir: Path) -> None:
    write(tdir, BY_KEY["users"].file_path(), '[{"id": "x"')
    write(tdir, BY_KEY["groups"].file_path(), [group(1)])
    tenant = load_tenant(tdir, keys=["users", "groups"])
    assert tenant.status("users") == "failed"
    assert "not valid JSON" in tenant.results["users"].message
    assert tenant.status("groups") == "ok" and len(tenant.groups) == 1


def test_truncated_array_keeps_what_came_before(tdir: Path) -> None:
    text = json.dumps([user(1), user(2), user(3)])
    write(tdir, BY_KEY["users"].file_path(), text[: text.rindex("{")])
    res = TenantDir.open(tdir).read(BY_KEY["users"])
    assert res.status == "partial" and res.count == 2
    assert "truncated" in res.message


def test_missing_collection_is_empty_missing_singleton_is_not_readable(tdir: Path) -> None:
    td = TenantDir.open(tdir)
    coll = td.read(BY_KEY["ca_policies"])
    assert coll.status == "ok" and coll.value == () and coll.message == "none recorded"
    single = td.read(BY_KEY["cae_policy"])
    assert single.status == "missing" and single.value is None


def test_raw_page_with_value_envelope_is_accepted(tdir: Path) -> None:
    write(tdir, BY_KEY["users"].file_path(), {"@odata.context": "x", "value": [user(1), user(2)]})
    assert TenantDir.open(tdir).read(BY_KEY["users"]).count == 2


def test_nested_groups_give_transitive_membership(tdir: Path) -> None:
    u1, g1, g2, g3 = user(1), group(1), group(2), group(3)
    write(tdir, BY_KEY["users"].file_path(), [u1])
    write(tdir, BY_KEY["groups"].file_path(), [g1, g2, g3])
    # u1 in g1; g1 in g2; g2 in g3; g3 in g1 (a cycle must not hang)
    write(tdir, BY_KEY["group_members"].file_path(parent=g1["id"]), [member(u1, "user"), member(g3, "group")])
    write(tdir, BY_KEY["group_members"].file_path(parent=g2["id"]), [member(g1, "group")])
    write(tdir, BY_KEY["group_members"].file_path(parent=g3["id"]), [member(g2, "group")])
    tenant = load_tenant(tdir)
    assert tenant.transitive_groups(u1["id"]) == {g1["id"], g2["id"], g3["id"]}
    assert tenant.find_user("USER1@fabrikam.onmicrosoft.com").id == u1["id"]


def test_recorded_transitive_member_of_wins(tdir: Path) -> None:
    u1, g1, g2 = user(1), group(1), group(2)
    write(tdir, BY_KEY["users"].file_path(), [u1])
    write(tdir, BY_KEY["group_members"].file_path(parent=g1["id"]), [member(u1, "user")])
    write(tdir, BY_KEY["user_member_of"].file_path(parent=u1["id"]), [member(g2, "group")])
    tenant = load_tenant(tdir)
    assert tenant.transitive_groups(u1["id"]) == {g2["id"]}


def test_arm_paths_are_case_insensitive_and_children_found_by_id(tdir: Path) -> None:
    rg = f"/subscriptions/{SUB}/resourceGroups/RG-Hub"
    pol_id = f"{rg}/providers/Microsoft.Network/firewallPolicies/fwpol-parent"
    policy = {"id": pol_id, "name": "fwpol-parent", "type": "Microsoft.Network/firewallPolicies",
              "location": "westeurope", "properties": {"threatIntelMode": "Alert"}}
    rcg = {"id": f"{pol_id}/ruleCollectionGroups/rcg-net", "name": "rcg-net",
           "properties": {"priority": 200, "ruleCollections": [{
               "ruleCollectionType": "FirewallPolicyFilterRuleCollection", "name": "allow-dns",
               "priority": 100, "action": {"type": "Allow"}, "rules": [{
                   "ruleType": "NetworkRule", "name": "dns", "ipProtocols": ["UDP"],
                   "sourceAddresses": ["10.0.0.0/8"], "destinationAddresses": ["10.0.2.4"],
                   "destinationPorts": ["53"]}]}]}}
    write(tdir, BY_KEY["firewall_policies"].file_path(sub=SUB).lower(), [policy])
    write(tdir, "arm" + pol_id.upper() + "/RULECOLLECTIONGROUPS.json", [rcg])
    tenant = load_tenant(tdir)
    assert [p.name for p in tenant.firewall_policies] == ["fwpol-parent"]
    groups = tenant.children("rule_collection_groups", pol_id)
    assert [g.name for g in groups] == ["rcg-net"]
    assert groups[0].rule_collections[0].rules[0].destination_ports == ("53",)


def test_iter_json_array_reports_line_and_column() -> None:
    assert list(iter_json_array('[1, {"a": [2]}, "x"]')) == [1, {"a": [2]}, "x"]
    with pytest.raises(ValueError, match="line 2 column 3"):
        list(iter_json_array('[1,\n  x]'))


def test_files_are_read_as_text_would_read_them(tdir: Path) -> None:
    """The reader hands a file's bytes to msgspec (issue #11); what it reads, refuses and reports is what
    reading the file as text and decoding it with the standard library gave."""
    rel = BY_KEY["users"].file_path()
    path = tdir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    # UTF-8 text beyond ASCII, Windows line ends, and values only the standard library takes (NaN)
    body = "[\r\n" + json.dumps(user(1, displayName="Zoë 東京 😀"), ensure_ascii=False) + ",\r\n" + \
        json.dumps(user(2)).replace('"accountEnabled"', '"weight": NaN, "accountEnabled"') + "\r\n]\r\n"
    path.write_bytes(body.encode("utf-8"))
    res = TenantDir.open(tdir).read(BY_KEY["users"])
    assert res.status == "ok" and [u.display_name for u in res.value] == ["Zoë 東京 😀", "User 2"]
    assert str(res.value[1].unknown("weight")) == "nan"
    # bytes that are not UTF-8: the file cannot be read, as reading it as text says
    path.write_bytes(b'[{"id": "x", "displayName": "\xff"}]')
    res = TenantDir.open(tdir).read(BY_KEY["users"])
    assert res.status == "failed"
    assert res.message == (f"{rel}: cannot read: 'utf-8' codec can't decode byte 0xff in position 29: "
                           "invalid start byte")
    # a damage after old Mac line ends: the line numbers of the file read as text
    path.write_bytes(("[\r" + json.dumps(user(1)) + ",\r\r  x]").encode())
    res = TenantDir.open(tdir).read(BY_KEY["users"])
    assert res.status == "partial" and res.count == 1
    assert [str(i) for i in res.errors] == [f"{rel}: not valid JSON: line 4 column 3: expected a value",
                                           f"{rel}: kept the 1 item(s) before the damage"]


def test_reading_restores_the_garbage_collector(tdir: Path) -> None:
    import gc

    write(tdir, BY_KEY["users"].file_path(), [user(1)])
    td = TenantDir.open(tdir)
    assert gc.isenabled()
    td.read(BY_KEY["users"])
    assert gc.isenabled()
    gc.disable()
    try:
        td.read(BY_KEY["users"])
        assert not gc.isenabled(), "a caller's choice to disable the collector is kept"
    finally:
        gc.enable()


def test_files_held_in_memory_read_as_the_directory_does() -> None:
    """TenantFiles: every data set with the same status, count, issues and objects as the directory the
    files came from (here the bundled demo)."""
    from ztconsole.datasets import DATASETS
    from ztconsole.demo import demo_dir
    from ztconsole.tenantdir import TenantFiles

    root = demo_dir()
    on_disk = TenantDir.open(root)
    files = {p.relative_to(root).as_posix(): json.loads(p.read_text(encoding="utf-8"))
             for p in sorted(root.rglob("*.json"))}
    memory = TenantFiles(files, on_disk.info)
    for ds in DATASETS:
        a, b = on_disk.read(ds), memory.read(ds)
        assert (b.status, b.count, b.value) == (a.status, a.count, a.value), ds.key
        assert [(i.file, i.path, i.message) for i in b.issues] == [(i.file, i.path, i.message) for i in a.issues]
    assert sum(on_disk.read(ds).count for ds in DATASETS) > 1000


# --- [datasets]: what a recording did not read completely (CONTRACTS §1) -------------------------------

NSGS = "providers/Microsoft.Network/networkSecurityGroups"
RECORDED = TOML + f"""[datasets."graph/v1.0/users"]
status = "partial"
message = "page 2 failed: 503; kept the 100 items read"
[datasets."arm/subscriptions/<sub>/{NSGS}"]
status = "forbidden"
message = "missing permission Reader"
"""


def test_recorded_statuses_are_read_back_never_ok(tdir: Path) -> None:
    write(tdir, "tenant.toml", RECORDED)
    write(tdir, BY_KEY["users"].file_path(), [user(1), user(2)])
    td = TenantDir.open(tdir)
    assert td.info.recorded == (("users", "partial", "page 2 failed: 503; kept the 100 items read"),
                                ("nsgs", "forbidden", "missing permission Reader"))
    users = td.read(BY_KEY["users"])
    assert (users.status, users.count, users.message) == (
        "partial", 2, "page 2 failed: 503; kept the 100 items read")
    nsgs = td.read(BY_KEY["nsgs"])
    assert (nsgs.status, nsgs.value, nsgs.message) == ("forbidden", (), "missing permission Reader")
    assert td.read(BY_KEY["groups"]).status == "ok"
    hash(td.info)  # still a frozen, hashable value


def test_a_recorded_status_does_not_hide_a_worse_fresh_read(tdir: Path) -> None:
    write(tdir, "tenant.toml", RECORDED)
    write(tdir, BY_KEY["users"].file_path(), '[{"id": "x"')
    res = TenantDir.open(tdir).read(BY_KEY["users"])
    assert res.status == "failed"
    assert "not valid JSON" in res.message and "(recorded as partial: page 2 failed" in res.message


@pytest.mark.parametrize(
    ("key", "dataset"),
    [
        (f"arm/subscriptions/<sub>/{NSGS}", "nsgs"),
        (f"arm/subscriptions/{{sub}}/{NSGS}", "nsgs"),
        (f"arm/subscriptions/{SUB}/{NSGS}", "nsgs"),
        (f"ARM/Subscriptions/<sub>/{NSGS.upper()}", "nsgs"),
        ("graph/v1.0/groups/<id>/members", "group_members"),
        ("graph/v1.0/groups/{parent}/members", "group_members"),
        ("arm/<id>/ruleCollectionGroups", "rule_collection_groups"),
        ("arm/{parent}/rulecollectiongroups", "rule_collection_groups"),
        ("graph/beta/identity/continuousAccessEvaluationPolicy", "cae_policy"),
    ],
)
def test_datasets_keys_name_a_data_set_in_every_accepted_form(tmp_path: Path, key: str, dataset: str) -> None:
    write(tmp_path, "tenant.toml", TOML + f'[datasets."{key}"]\nstatus = "throttled"\nmessage = "429"\n')
    assert TenantDir.open(tmp_path).info.recorded == ((dataset, "throttled", "429"),)


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('[datasets."graph/v1.0/usres"]\nstatus = "partial"\n',
         'tenant.toml:13: [datasets."graph/v1.0/usres"] names no data set'),
        ('[datasets."graph/v1.0/Users"]\nstatus = "partial"\n',
         'tenant.toml:13: [datasets."graph/v1.0/Users"] names no data set'),
        (f'[datasets."arm/subscriptions/prod/{NSGS}"]\nstatus = "partial"\n',
         f'tenant.toml:13: [datasets."arm/subscriptions/prod/{NSGS}"] names no data set'),
        ('[datasets."graph/v1.0/users"]\nstatus = "ok"\nmessage = "x"\n',
         ("tenant.toml:14: [datasets.\"graph/v1.0/users\"] status must be partial, forbidden, throttled or "
          "failed, got 'ok'")),
        ('[datasets."graph/v1.0/users"]\nmessage = "x"\n',
         'tenant.toml:13: [datasets."graph/v1.0/users"] status must be'),
        ('[datasets."graph/v1.0/users"]\nstatus = "failed"\nmessage = 3\n',
         'tenant.toml:15: [datasets."graph/v1.0/users"] message must be a string'),
        ('[datasets."graph/v1.0/users"]\nstatus = "failed"\nstauts = "failed"\n',
         "tenant.toml:15: [datasets.\"graph/v1.0/users\"] has an unknown key 'stauts'"),
        ('[datasets]\n"graph/v1.0/users" = "failed"\n',
         'tenant.toml:14: [datasets."graph/v1.0/users"] must be a table with status and message'),
        ((f'[datasets."arm/subscriptions/<sub>/{NSGS}"]\nstatus = "failed"\n'
          f'[datasets."arm/subscriptions/{SUB}/{NSGS}"]\nstatus = "failed"\n'),
         (f'tenant.toml:15: [datasets."arm/subscriptions/{SUB}/{NSGS}"] names the same data set as '
          f'[datasets."arm/subscriptions/<sub>/{NSGS}"]')),
    ],
)
def test_bad_datasets_table_names_file_line_and_key(tmp_path: Path, table: str, expected: str) -> None:
    write(tmp_path, "tenant.toml", TOML + table)
    with pytest.raises(TenantDirError) as e:
        TenantDir.open(tmp_path)
    assert expected in str(e.value)


def test_datasets_must_be_a_table(tmp_path: Path) -> None:
    write(tmp_path, "tenant.toml", TOML.replace("format = 1\n", "format = 1\ndatasets = 3\n"))
    with pytest.raises(TenantDirError, match=r"tenant.toml:2: \[datasets\] must be a table"):
        TenantDir.open(tmp_path)


# --- robustness: one file, one data set -----------------------------------------------------------------


@pytest.mark.parametrize("body", ["[" * 100_000, '{"value": ' * 50_000 + "[]" + "}" * 50_000,
                                  "[" + json.dumps(user(1)) + "," + "[" * 100_000],
                         ids=["array", "value-page", "after-a-good-item"])
def test_json_nested_too_deeply_fails_its_file_only(tdir: Path, body: str) -> None:
    write(tdir, BY_KEY["users"].file_path(), body)
    write(tdir, BY_KEY["groups"].file_path(), [group(1)])
    tenant = load_tenant(tdir)
    res = tenant.results["users"]
    assert "graph/v1.0/users.json" in res.message and "nested too deeply" in res.message
    if body.startswith("[{"):  # the items before the damage are kept
        assert res.status == "partial" and res.count == 1
        assert any(i.path == "$[1]" for i in res.errors)
    else:
        assert res.status == "failed"
    assert tenant.status("groups") == "ok"
    assert {k for k, r in tenant.results.items() if r.status not in ("ok", "missing")} == {"users"}


def test_many_malformed_items_keep_1000_issues_and_count_the_rest(tdir: Path) -> None:
    write(tdir, BY_KEY["users"].file_path(), "[" + ",".join(["1"] * 50_000) + "," + json.dumps(user(1)) + "]")
    res = TenantDir.open(tdir).read(BY_KEY["users"])
    assert res.status == "partial" and res.count == 1
    assert res.message.startswith("50000 problem(s); first: graph/v1.0/users.json $[0]: expected an object")
    assert len(res.errors) == 1_001 and res.errors[-1].message == "... and 49,000 more problem(s) not listed"


def test_a_read_that_raises_fails_its_data_set_alone_naming_it(tdir: Path) -> None:
    from ztconsole.tenantdir.reader import read_all

    write(tdir, BY_KEY["groups"].file_path(), [group(1)])
    td = TenantDir.open(tdir)

    class Exploding:
        def __init__(self, exc: BaseException):
            self.exc = exc

        def read(self, ds):
            if ds.key == "users":
                raise self.exc
            return td.read(ds)

    results = read_all(Exploding(RecursionError("maximum recursion depth exceeded")), ["users", "groups"], 2)
    users = results["users"]
    assert users.status == "failed" and users.message.startswith("nested too deeply")
    assert str(users.issues[0]).startswith("graph/v1.0/users: nested too deeply")
    assert results["groups"].status == "ok"
    with pytest.raises(MemoryError):
        read_all(Exploding(MemoryError()), ["users", "groups"], 2)


def test_keys_the_format_does_not_name_are_ignored(tmp_path: Path) -> None:
    """A tenant.toml written by other hands (or a later version) with extra keys and tables still opens."""
    root = tmp_path / "t"
    root.mkdir()
    (root / "tenant.toml").write_text(
        'format = 1\nnote = "hand made"\n[tenant]\nid = "11111111-2222-3333-4444-555555555555"\n'
        'display_name = "Fabrikam"\nregion = "EU"\n[capture]\nsource = "live"\ntool = "x"\n'
        '[extra]\nanything = 1\n', encoding="utf-8")
    info = TenantDir.open(root).info
    assert info.display_name == "Fabrikam" and info.source == "live"

"""Incomplete sources stay incomplete (CONTRACTS §1 ``[datasets]``, §2 "Incomplete sources").

* A snapshot records what it did not read completely: nothing for a data set that failed, was forbidden or
  throttled; what was read for a partial one; the status and message in tenant.toml ``[datasets]``; and
  both readers (the directory reader and the emulator + adapters + loader) read it back as it was.
* One data set's broken file (JSON nested too deeply) fails that data set alone, naming the file.
* Nothing outside the tenant directory is read (symlinks), nothing outside ``--out`` is written (ids).
* Issues are bounded per data set, their counts are not.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest

from ztconsole.datasets import BY_KEY, DATASETS
from ztconsole.demo import demo_dir
from ztconsole.emulator import FaultPlan, parse_fault
from ztconsole.emulator.store import Store, StoreError
from ztconsole.model.tenant import DataSetResult, Tenant, TenantInfo, apply_recorded
from ztconsole.sources.snapshot import SnapshotWriter
from ztconsole.sources.stack import RecordingSource
from ztconsole.tenantdir import TenantDir, TenantDirError, load_tenant

pytestmark = pytest.mark.usefixtures("no_sdk_jitter")

SUB1, SUB2 = "1b4e2c8a-7d3f-4a6b-9c5e-2f8d1a7b3e90", "8c3d5f1a-2e6b-4d9c-a7f4-6b0e9d2c1a35"
OUTSIDE = "links outside the tenant directory"
DEEP = "nested too deeply"


@pytest.fixture(scope="module")
def demo() -> Tenant:
    return load_tenant(demo_dir())


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A writable copy of the demo tenant directory."""
    return Path(shutil.copytree(demo_dir(), tmp_path / "tenant"))


async def snapshot(src: Path, out: Path, *, faults: list[str] = (), keys: list[str] | None = None
                   ) -> tuple[Tenant, SnapshotWriter]:
    """Record ``src`` (read through the emulator and the real adapters, with ``faults``) into ``out``,
    as ``ztconsole snapshot`` does, with the final results handed to ``finish``."""
    SnapshotWriter.prepare(out)
    writer = SnapshotWriter(out)
    source = RecordingSource(src, page_size=20, retry_delay=0.01,
                             faults=FaultPlan([parse_fault(f) for f in faults]))
    tenant = await source.aload(keys=keys, recorder=writer)
    writer.finish(tenant.info, results=tenant.results)
    return tenant, writer


def incomplete(tenant: Tenant) -> dict[str, tuple[str, str]]:
    return {k: (r.status, r.message) for k, r in tenant.results.items() if r.status != "ok"}


def recorded_table(out: Path) -> dict[str, Any]:
    return tomllib.loads((out / "tenant.toml").read_text(encoding="utf-8")).get("datasets", {})


def ids_in(path: Path) -> list[str]:
    return [item["id"] for item in json.loads(path.read_text(encoding="utf-8"))]


# --- A. a snapshot keeps what it did not read completely ---------------------------------------------


async def test_snapshot_records_incomplete_data_sets_and_both_readers_read_them_back(
        tmp_path: Path, demo: Tenant) -> None:
    failing_group = sorted(demo.group_members)[5]
    keys = ["ca_policies", "named_locations", "sign_ins", "group_members", "organization"]
    out = tmp_path / "snap"
    live, _ = await snapshot(demo_dir(), out, keys=keys, faults=[
        r"GET /v1.0/identity/conditionalAccess/policies=forbidden",
        r"GET /v1.0/identity/conditionalAccess/namedLocations=throttle:retry_after=0",
        r"GET /v1.0/auditLogs/signIns.*skiptoken.*=error:status=503:times=99",
        rf"GET /v1.0/groups/{failing_group}/members=error:status=500:times=99",
    ])
    got = incomplete(live)
    assert {k: s for k, (s, _) in got.items()} == {
        "ca_policies": "forbidden", "named_locations": "throttled", "sign_ins": "partial",
        "group_members": "partial"}

    # files: nothing for what was refused, exactly what was read for what is partial
    v1 = out / "graph/v1.0"
    assert not (v1 / "identity/conditionalAccess/policies.json").exists()
    assert not (v1 / "identity/conditionalAccess/namedLocations.json").exists()
    signins = live.results["sign_ins"]
    assert 0 < signins.count < len(demo.sign_ins)
    assert ids_in(v1 / "auditLogs/signIns.json") == [s.id for s in signins.value]
    members = live.results["group_members"].value
    assert failing_group not in members and members
    on_disk = {p.parent.name for p in (v1 / "groups").glob("*/members.json")}
    assert on_disk == set(members)
    for gid, items in members.items():
        assert ids_in(v1 / "groups" / gid / "members.json") == [m.id for m in items]
    assert (v1 / "organization.json").exists(), "complete data sets are recorded as before"

    # tenant.toml: one table per incomplete data set, the live status and message
    assert recorded_table(out) == {
        BY_KEY[k].label: {"status": s, "message": m} for k, (s, m) in got.items()}
    assert "graph/v1.0/groups/<id>/members" in recorded_table(out)

    # read back, from the files and through the emulator: the same statuses, messages and items
    from_files = TenantDir.open(out).load(keys=keys)
    through_stack = await RecordingSource(out, retry_delay=0.01).aload(keys=keys)
    for back in (from_files, through_stack):
        assert incomplete(back) == got
        assert back.results["sign_ins"].count == signins.count
        assert set(back.group_members) == set(members)
        assert back.ca_policies == () and back.named_locations == ()


async def test_snapshot_variants_singleton_per_subscription_arm_item_scoped_and_missing(
        tmp_path: Path, demo: Tenant, copy: Path) -> None:
    """Close variants: a forbidden singleton; an ARM per-subscription data set forbidden everywhere
    (``<sub>`` key, every subscription's file gone) and one forbidden in one subscription (partial, the
    other subscription's file kept); an ARM item-scoped partial; a missing singleton is not listed."""
    (copy / "graph/beta/networkAccess/settings/conditionalAccess.json").unlink()
    failing_policy = min(demo.rule_collection_groups)
    keys = ["cae_policy", "gsa_ca_settings", "nsgs", "route_tables", "firewall_policies",
            "rule_collection_groups"]
    out = tmp_path / "snap"
    live, _ = await snapshot(copy, out, keys=keys, faults=[
        r"GET /beta/identity/continuousAccessEvaluationPolicy=forbidden",
        r"GET /subscriptions/[^/]+/providers/Microsoft.Network/networkSecurityGroups=forbidden",
        rf"GET /subscriptions/{SUB2}/providers/Microsoft.Network/routeTables=forbidden",
        rf"GET {failing_policy}/ruleCollectionGroups=error:status=500:times=99",
    ])
    got = incomplete(live)
    assert {k: s for k, (s, _) in got.items()} == {
        "cae_policy": "forbidden", "gsa_ca_settings": "missing", "nsgs": "forbidden",
        "route_tables": "partial", "rule_collection_groups": "partial"}
    net = "providers/Microsoft.Network"
    assert not (out / "graph/beta/identity/continuousAccessEvaluationPolicy.json").exists()
    assert not list(out.glob(f"arm/subscriptions/*/{net}/networkSecurityGroups.json"))
    kept = out / f"arm/subscriptions/{SUB1}/{net}/routeTables.json"
    assert ids_in(kept) == [r.id for r in live.route_tables]
    table = recorded_table(out)
    assert set(table) == {"graph/beta/identity/continuousAccessEvaluationPolicy",
                          f"arm/subscriptions/<sub>/{net}/networkSecurityGroups",
                          f"arm/subscriptions/<sub>/{net}/routeTables", "arm/<id>/ruleCollectionGroups"}
    assert all(table[BY_KEY[k].label]["message"] == m for k, (s, m) in got.items() if s != "missing")

    from_files = TenantDir.open(out).load(keys=keys)
    through_stack = await RecordingSource(out, retry_delay=0.01).aload(keys=keys)
    for back in (from_files, through_stack):
        assert {k: s for k, (s, _) in incomplete(back).items()} == {k: s for k, (s, _) in got.items()}
        assert {k: m for k, (s, m) in incomplete(back).items() if s != "missing"} == \
               {k: m for k, (s, m) in got.items() if s != "missing"}
        assert set(back.rule_collection_groups) == set(live.rule_collection_groups)


async def test_a_snapshot_of_a_snapshot_carries_the_statuses_on(tmp_path: Path) -> None:
    keys = ["ca_policies", "sign_ins"]
    first, second = tmp_path / "one", tmp_path / "two"
    live, _ = await snapshot(demo_dir(), first, keys=keys, faults=[
        r"GET /v1.0/identity/conditionalAccess/policies=forbidden",
        r"GET /v1.0/auditLogs/signIns.*skiptoken.*=error:status=503:times=99"])
    again, _ = await snapshot(first, second, keys=keys)  # no fault now: the recording says it all
    assert incomplete(again) == incomplete(live)
    assert recorded_table(second) == recorded_table(first) != {}
    assert not (second / "graph/v1.0/identity/conditionalAccess/policies.json").exists()
    assert ids_in(second / "graph/v1.0/auditLogs/signIns.json") == \
           ids_in(first / "graph/v1.0/auditLogs/signIns.json")


async def test_finish_without_results_carries_the_recorded_statuses(tmp_path: Path) -> None:
    """An older caller (``finish(info)``) loses nothing the source itself recorded."""
    first, second = tmp_path / "one", tmp_path / "two"
    await snapshot(demo_dir(), first, keys=["ca_policies"],
                   faults=[r"GET /v1.0/identity/conditionalAccess/policies=forbidden"])
    SnapshotWriter.prepare(second)
    writer = SnapshotWriter(second)
    source = RecordingSource(first)
    await source.aload(keys=["ca_policies"], recorder=writer)
    writer.finish(source.info)
    assert recorded_table(second) == recorded_table(first)
    assert TenantDir.open(second).read(BY_KEY["ca_policies"]).status == "forbidden"


async def test_a_complete_snapshot_has_no_datasets_table(tmp_path: Path) -> None:
    out = tmp_path / "snap"
    live, writer = await snapshot(demo_dir(), out, keys=["users", "cae_policy"])
    assert incomplete(live) == {} and writer.issues == []
    assert "datasets" not in (out / "tenant.toml").read_text(encoding="utf-8")
    assert TenantDir.open(out).info.recorded == ()


def test_an_old_tenant_toml_without_datasets_reads_as_before(demo: Tenant) -> None:
    assert "[datasets" not in (demo_dir() / "tenant.toml").read_text(encoding="utf-8")
    assert demo.info.recorded == ()
    assert all(r.status == "ok" for r in demo.results.values())


@pytest.mark.parametrize(
    ("fresh", "recorded", "expected"),
    [
        (("ok", "none recorded"), ("failed", "503"), ("failed", "503")),
        (("missing", "x: not recorded (not readable)"), ("forbidden", "403"), ("forbidden", "403")),
        (("partial", "kept 3"), ("partial", "kept 3"), ("partial", "kept 3")),
        (("failed", "file broken"), ("partial", "page 2"), ("failed", "file broken (recorded as partial: page 2)")),
        (("partial", "1 problem"), ("throttled", "429"), ("throttled", "1 problem (recorded as throttled: 429)")),
    ],
)
def test_apply_recorded(fresh: tuple[str, str], recorded: tuple[str, str], expected: tuple[str, str]) -> None:
    read = DataSetResult("users", fresh[0], (), 3, message=fresh[1])  # type: ignore[arg-type]
    result = apply_recorded(read, *recorded)
    assert (result.status, result.message) == expected
    assert (result.value, result.count) == ((), 3), "what was read is kept"
    assert (read.status, read.message) == fresh, "pure: the fresh result is not changed"


# --- B. one broken file fails one data set -------------------------------------------------------------


def deep_array(depth: int = 100_000) -> str:
    return "[" * depth


def deep_page(depth: int = 50_000) -> str:
    return '{"value": ' * depth + "[]" + "}" * depth


async def test_json_nested_too_deeply_fails_only_its_own_data_set(copy: Path) -> None:
    broken = {"ca_policies": "graph/v1.0/identity/conditionalAccess/policies.json",
              "named_locations": "graph/v1.0/identity/conditionalAccess/namedLocations.json",
              "cae_policy": "graph/beta/identity/continuousAccessEvaluationPolicy.json"}
    (copy / broken["ca_policies"]).write_text(deep_array(), encoding="utf-8")
    (copy / broken["named_locations"]).write_text(deep_page(), encoding="utf-8")
    (copy / broken["cae_policy"]).write_text('{"a": ' * 50_000 + "1" + "}" * 50_000, encoding="utf-8")
    from_files = load_tenant(copy)
    through_stack = await RecordingSource(copy, retry_delay=0.01).aload()
    for tenant in (from_files, through_stack):
        bad = incomplete(tenant)
        assert set(bad) == set(broken), bad
        for key, rel in broken.items():
            status, message = bad[key]
            assert status == "failed" and rel in message and DEEP in message, message
        assert len(tenant.results) == len(DATASETS)


async def test_a_deep_item_inside_a_line_per_item_array(copy: Path) -> None:
    """The emulator cuts a one-item-per-line array without decoding it and serves the item as it is: the
    adapter's decoding of the page raises RecursionError, which the loader turns into that data set's
    failure (the wire's data set named), as a live service sending such a page would. The directory reader
    fails the file. Decoding the item in the emulator (Collection.rows) names the file."""
    rel = "graph/v1.0/identity/conditionalAccess/namedLocations.json"
    (copy / rel).write_text('[\n{"id":"a","x":' + deep_array(50_000) + "]" * 50_000 + "}\n]\n", encoding="utf-8")
    for tenant in (load_tenant(copy, keys=["named_locations", "users"]),
                   await RecordingSource(copy, retry_delay=0.01).aload(keys=["named_locations", "users"])):
        res = tenant.results["named_locations"]
        assert res.status == "failed" and rel[:-5] in res.message and DEEP in res.message, res.message
        assert tenant.results["users"].status == "ok"
    coll = Store(copy).get(rel.lower())
    with pytest.raises(StoreError, match=rf"{rel}: item 1 is not valid JSON: {DEEP}"):
        coll.field(0, "id")


def test_the_store_names_the_file_of_json_nested_too_deeply(copy: Path) -> None:
    (copy / "graph/v1.0/users.json").write_text(deep_array(), encoding="utf-8")
    with pytest.raises(StoreError, match=rf"graph/v1.0/users.json: .*{DEEP}"):
        Store(copy).get("graph/v1.0/users.json")


# --- C. symlinks: nothing read from outside the directory ---------------------------------------------


def test_a_file_linking_outside_is_refused_by_both_readers_and_never_snapshotted(
        tmp_path: Path, copy: Path) -> None:
    secret = tmp_path / "elsewhere" / "users.json"
    secret.parent.mkdir()
    users = copy / "graph/v1.0/users.json"
    shutil.move(users, secret)
    users.symlink_to(secret)
    res = TenantDir.open(copy).read(BY_KEY["users"])
    assert res.status == "failed" and res.message == f"graph/v1.0/users.json: {OUTSIDE}"
    with pytest.raises(StoreError, match=f"graph/v1.0/users.json: {OUTSIDE}"):
        Store(copy).get("graph/v1.0/users.json")


async def test_a_snapshot_of_a_directory_with_a_link_outside_records_it_failed(
        tmp_path: Path, copy: Path) -> None:
    secret = tmp_path / "elsewhere.json"
    users = copy / "graph/v1.0/users.json"
    shutil.move(users, secret)
    users.symlink_to(secret)
    out = tmp_path / "snap"
    live, _ = await snapshot(copy, out, keys=["users", "groups"])
    assert live.results["users"].status == "failed" and OUTSIDE in live.results["users"].message
    assert live.results["groups"].status == "ok"
    assert not (out / "graph/v1.0/users.json").exists()
    assert recorded_table(out)["graph/v1.0/users"]["status"] == "failed"


def test_links_inside_the_directory_are_read(copy: Path, demo: Tenant) -> None:
    """A file link and a directory link that stay inside read as the files themselves; a link back to a
    directory that contains it (a loop) is not walked forever."""
    groups = copy / "graph/v1.0/groups.json"
    shutil.move(groups, copy / "groups-kept.json")
    groups.symlink_to("../../groups-kept.json")
    shutil.move(copy / "arm", copy / "arm-real")
    (copy / "arm").symlink_to("arm-real")
    (copy / "graph/v1.0/loop").symlink_to("..")
    tenant = load_tenant(copy)
    assert incomplete(tenant) == {}
    assert tenant == demo


async def test_a_directory_linking_outside_is_not_walked_and_says_so(tmp_path: Path, copy: Path,
                                                                    demo: Tenant) -> None:
    """os.walk does not follow directory links; the reader makes that explicit: a linked directory that
    leads outside is never walked, and each data set whose files could be under it says so."""
    sp_id = min(p.name for p in (copy / "graph/v1.0/servicePrincipals").iterdir())
    linked = copy / "graph/v1.0/servicePrincipals" / sp_id
    shutil.move(linked, tmp_path / "outside")
    linked.symlink_to(tmp_path / "outside")
    rel = f"graph/v1.0/servicePrincipals/{sp_id}"
    from_files = load_tenant(copy)
    bad = incomplete(from_files)
    assert set(bad) == {"app_role_assignments"}
    assert bad["app_role_assignments"][0] == "partial" and f"{rel}: {OUTSIDE}" in bad["app_role_assignments"][1]
    assert sp_id not in from_files.app_role_assignments
    with pytest.raises(StoreError, match=f"{rel}: {OUTSIDE}"):
        Store(copy).get(f"{rel.lower()}/approleassignedto.json")
    through_stack = await RecordingSource(copy, retry_delay=0.01).aload(
        keys=["app_role_assignments", "applications"])
    res = through_stack.results["app_role_assignments"]
    assert res.status == "partial" and OUTSIDE in res.message


def test_a_top_level_directory_linking_outside_fails_its_data_sets(tmp_path: Path, copy: Path) -> None:
    shutil.move(copy / "arm", tmp_path / "arm-elsewhere")
    (copy / "arm").symlink_to(tmp_path / "arm-elsewhere")
    tenant = load_tenant(copy)
    arm = {ds.key for ds in DATASETS if ds.api == "arm"}
    assert {k for k, r in tenant.results.items() if r.status != "ok"} == arm
    assert all(f"arm: {OUTSIDE}" in tenant.results[k].message for k in arm)


def test_a_tenant_toml_linking_outside_is_refused(tmp_path: Path, copy: Path) -> None:
    shutil.move(copy / "tenant.toml", tmp_path / "tenant.toml")
    (copy / "tenant.toml").symlink_to(tmp_path / "tenant.toml")
    with pytest.raises(TenantDirError, match=OUTSIDE):
        TenantDir.open(copy)


# --- C. the snapshot writer writes only inside --out ------------------------------------------------


def tree(root: Path) -> set[str]:
    return {str(p) for p in root.rglob("*")}


GRAPH_IDS = ["../../../../etc/x", "a/b", "/etc/passwd", "..", ".", "x\x00y", "a\\..\\..\\b"]
ARM_IDS = [f"/subscriptions/{SUB1}/resourceGroups/rg/../../../../../../../../tmp/x",
           f"/subscriptions/{SUB1}//x", f"/subscriptions/{SUB1}/resourceGroups/r\x00g/providers/x/y/z"]


@pytest.mark.parametrize(("key", "parent"), [("group_members", p) for p in GRAPH_IDS]
                         + [("app_connector_group", GRAPH_IDS[0])]
                         + [("rule_collection_groups", p) for p in ARM_IDS])
def test_the_writer_refuses_parent_ids_that_are_not_safe_paths(tmp_path: Path, key: str, parent: str) -> None:
    out = tmp_path / "a" / "b" / "out"
    SnapshotWriter.prepare(out)
    before = tree(tmp_path)
    ds = BY_KEY[key]
    writer = SnapshotWriter(out)
    good = "11111111-0000-0000-0000-000000000000"
    if ds.api == "arm":
        good = f"/subscriptions/{SUB1}/resourceGroups/rg/providers/Microsoft.Network/firewallPolicies/p"
    for p in (parent, good):
        if ds.shape == "singleton":
            writer.single(ds, "", p, {"id": "x"})
        else:
            writer.collection(ds, "", p, [{"id": "x"}], last=True)
    results = {key: DataSetResult(key, "ok", {}, 1)}
    writer.finish(TenantInfo(id="2f4a9c3e-6b1d-4e8a-9f7c-0d5e3b1a8c64", display_name="T"), results=results)
    written = tree(tmp_path) - before
    assert all(w.startswith(str(out) + os.sep) for w in written), written
    assert str(out / ds.file_path(parent=good)) in written, "the safe item is still recorded"
    assert writer.files == 1
    assert len(writer.issues) == 1 and repr(parent) in writer.issues[0].message
    res = results[key]
    assert res.status == "partial" and "unsafe path" in res.message, "the caller sees it too"
    assert recorded_table(out)[ds.label] == {"status": "partial", "message": res.message}
    assert TenantDir.open(out).read(ds).status == "partial"


async def test_the_writer_refuses_a_linked_directory_inside_out(tmp_path: Path, demo: Tenant) -> None:
    """A subdirectory of --out that links elsewhere: nothing is written through it (checked resolved)."""
    out, elsewhere = tmp_path / "snap", tmp_path / "elsewhere"
    SnapshotWriter.prepare(out)
    elsewhere.mkdir()
    (out / "graph/v1.0").mkdir(parents=True)
    (out / "graph/v1.0/groups").symlink_to(elsewhere)
    writer = SnapshotWriter(out)
    source = RecordingSource(demo_dir(), retry_delay=0.01)
    tenant = await source.aload(keys=["group_members"], recorder=writer)
    writer.finish(tenant.info, results=tenant.results)
    assert list(elsewhere.iterdir()) == []
    assert len(writer.issues) == len(demo.group_members)
    assert "resolves outside the snapshot directory" in writer.issues[0].message
    assert tenant.results["group_members"].status == "partial"
    assert tenant.results["groups"].status == "ok" and (out / "graph/v1.0/groups.json").is_file()
    assert recorded_table(out)["graph/v1.0/groups/<id>/members"]["status"] == "partial"


def test_prepare_removes_a_linked_graph_directory_not_its_target(tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "snap", tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.json").write_text("[]")
    out.mkdir()
    (out / "tenant.toml").write_text("format = 1\n")
    (out / "graph").symlink_to(elsewhere)
    SnapshotWriter.prepare(out)
    assert not (out / "graph").exists() and (elsewhere / "keep.json").read_text() == "[]"


# --- D. issues are bounded, counts are not -----------------------------------------------------------


async def test_many_malformed_items_keep_a_bounded_list_of_issues_and_the_true_count(copy: Path) -> None:
    rel = "graph/v1.0/identity/conditionalAccess/namedLocations.json"
    (copy / rel).write_text("[" + ",".join(["1"] * 50_000) + "]", encoding="utf-8")
    from_files = TenantDir.open(copy).read(BY_KEY["named_locations"])
    through_stack = (await RecordingSource(copy, page_size=999, retry_delay=0.01).aload(
        keys=["named_locations"])).results["named_locations"]
    for res in (from_files, through_stack):
        assert res.status == "partial" and res.count == 0
        assert re.match(r"50000 (problem|malformed item)\(s\); first: graph/v1.0/identity", res.message)
        assert len(res.issues) == 1_001
        assert res.issues[-1].message == "... and 49,000 more problem(s) not listed"
        assert res.issues[-1].severity == "error"


def test_many_notes_are_bounded_too(copy: Path) -> None:
    users = json.loads((copy / "graph/v1.0/users.json").read_text(encoding="utf-8"))
    many = [dict(users[0], id=f"u{i}", userType="Robot") for i in range(3_000)]
    (copy / "graph/v1.0/users.json").write_text(json.dumps(many), encoding="utf-8")
    res = TenantDir.open(copy).read(BY_KEY["users"])
    assert res.status == "ok" and res.count == 3_000
    assert len(res.issues) == 1_001
    assert res.issues[-1].message == "... and 2,000 more note(s) not listed"

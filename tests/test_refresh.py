"""Live refresh (issue #13): a load given the last one's tenant re-reads only what can have changed.

Through the whole stack (the emulator in process, the real Graph and ARM adapters, the loader): sign-ins
since the newest held, users and groups (with their members) through Graph delta queries, everything else
whole; unchanged items keep their identity; a failed refresh keeps what was held and says so; a delta token
the service no longer knows falls back to a whole read. Then the store's refresh and what it tells panes,
and the live path against ``ztconsole emulator`` on loopback."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ztconsole.datasets import BY_KEY, DATASETS, DataSet
from ztconsole.demo import demo_dir
from ztconsole.emulator import EmulatorTransport, Fault, FaultPlan
from ztconsole.model.tenant import DataSetResult, Tenant, TenantInfo
from ztconsole.sources.base import ReadOptions, ResyncRequired, SyncState
from ztconsole.sources.errors import Throttled
from ztconsole.sources.loader import SIGNIN_OVERLAP, Loader
from ztconsole.sources.stack import RecordingSource
from ztconsole.ui.store import TenantStore

pytestmark = pytest.mark.usefixtures("no_sdk_jitter")

TOKEN = "refresh-test-token"
GRAPH = "https://graph.microsoft.com/v1.0"
DEMO = demo_dir()
SIGNINS = "graph/v1.0/auditLogs/signIns.json"
DELTA = {"users", "groups", "group_members", "sign_ins"}


@pytest.fixture
def tenant_dir(tmp_path: Path) -> Path:
    root = tmp_path / "tenant"
    shutil.copytree(DEMO, root)
    return root


def source_of(root: Path, **kw: Any) -> RecordingSource:
    return RecordingSource(root, token=TOKEN, retry_delay=0, **kw)


def api(source: RecordingSource) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=EmulatorTransport(source.emulator),
                             headers={"Authorization": f"Bearer {TOKEN}"})


def add_signins(root: Path, count: int) -> list[str]:
    """``count`` new sign-ins at the head of the log, newest first: their ids."""
    path = root / SIGNINS
    log = json.loads(path.read_text(encoding="utf-8"))
    newest = datetime.fromisoformat(log[0]["createdDateTime"])
    new = [dict(log[0], id=f"00000000-0000-4000-8000-{n:012d}",
                createdDateTime=(newest + timedelta(minutes=count - n)).strftime("%Y-%m-%dT%H:%M:%SZ"))
           for n in range(count)]
    path.write_text(json.dumps(new + log, indent=2), encoding="utf-8")
    return [s["id"] for s in new]


def same_as(refreshed: Tenant, full: Tenant) -> list[str]:
    """The data sets whose status or value differ between two tenants."""
    return [k for k, r in full.results.items()
            if (r.status, r.value) != (refreshed.results[k].status, refreshed.results[k].value)]


async def tracked(source: RecordingSource) -> Tenant:
    """A first load, then the first refresh (which starts tracking changes), as the console does."""
    first = await source.aload()
    return await source.aload(previous=first)


# --- the whole stack --------------------------------------------------------------------------------


async def test_a_refresh_reads_only_what_changed_and_equals_a_full_reload(tenant_dir: Path) -> None:
    source = source_of(tenant_dir)
    before = await tracked(source)
    users, groups = before.users, before.groups
    member_group = next(g for g in groups if before.group_members.get(g.id))
    leaver = before.group_members[member_group.id][0].id
    joiner = next(u.id for u in users if u.id not in {m.id for m in before.group_members[member_group.id]})
    async with api(source) as c:
        assert (await c.patch(f"{GRAPH}/users/{users[4].id}", json={"jobTitle": "Refreshed"})).status_code == 204
        assert (await c.delete(f"{GRAPH}/groups/{member_group.id}/members/{leaver}/$ref")).status_code == 204
        assert (await c.post(f"{GRAPH}/groups/{member_group.id}/members/$ref",
                             json={"@odata.id": f"{GRAPH}/directoryObjects/{joiner}"})).status_code == 204
        assert (await c.delete(f"{GRAPH}/groups/{groups[-1].id}")).status_code == 204
        policy = before.ca_policies[0]
        assert (await c.patch(f"{GRAPH}/identity/conditionalAccess/policies/{policy.id}",
                              json={"state": "disabled"})).status_code == 204
    new_ids = add_signins(tenant_dir, 3)
    seen = len(source.emulator.requests)
    after = await source.aload(previous=before)
    asked = [(r.path, r.query) for r in list(source.emulator.requests)[seen:]]

    assert {k for k, r in after.results.items() if r.refresh == "delta"} == DELTA
    assert {r.refresh for k, r in after.results.items() if k not in DELTA and k != "user_member_of"} == {"whole"}
    assert after.changed == {"users", "groups", "group_members", "sign_ins", "ca_policies"}
    assert all(r.status == "ok" for r in after.results.values())
    # only what changed was read for the tracked data sets
    assert not any(p in ("/v1.0/users", "/v1.0/groups") for p, _ in asked)
    assert any(p == "/v1.0/users/delta" for p, _ in asked) and any(p == "/v1.0/groups/delta" for p, _ in asked)
    assert not any(p.startswith("/v1.0/groups/") and p.endswith("/members") for p, _ in asked)
    assert any(p == "/v1.0/auditLogs/signIns" and "createdDateTime ge" in q for p, q in asked)
    # what did not change is what was held: the same objects
    assert after.results["nsgs"].value is before.results["nsgs"].value
    assert after.users[5] is users[5] and after.users[4] is not users[4]
    assert after.users[4].job_title == "Refreshed"
    assert after.users[4].sign_in_activity == users[4].sign_in_activity  # not tracked by delta: kept
    assert after.group_members[groups[0].id] is before.group_members[groups[0].id] or groups[0] is member_group
    assert groups[-1].id not in {g.id for g in after.groups} and groups[-1].id not in after.group_members
    assert [s.id for s in after.sign_ins[:3]] == new_ids and after.sign_ins[3] is before.sign_ins[0]
    assert "sign-in activity as of the last full read" in after.results["users"].message
    # and it is what a full read says now
    assert same_as(after, await source.aload()) == []


async def test_nothing_changed_means_the_same_values(tenant_dir: Path) -> None:
    source = source_of(tenant_dir)
    before = await tracked(source)
    after = await source.aload(previous=before)
    assert after.changed == frozenset()
    assert all(after.results[k].value is before.results[k].value for k in after.results)
    reloaded = await source.aload(previous=after, whole=True)  # the reload key: every data set whole
    assert {r.refresh for k, r in reloaded.results.items() if k != "user_member_of"} == {"whole"}
    assert reloaded.changed == frozenset()
    assert reloaded.users is after.users


async def test_sign_ins_are_merged_newest_first_without_duplicates(tenant_dir: Path) -> None:
    source = source_of(tenant_dir)
    before = await tracked(source)
    newest = before.sign_ins[0].created_date_time
    overlap = [s for s in before.sign_ins if s.created_date_time >= newest - SIGNIN_OVERLAP]
    assert len(overlap) >= 2  # the demo's log has entries in the overlap: read again, kept once
    new_ids = add_signins(tenant_dir, 4)
    after = await source.aload(previous=before)
    res = after.results["sign_ins"]
    assert (res.refresh, res.status, res.count) == ("delta", "ok", before.results["sign_ins"].count + 4)
    assert res.message == "4 new since the last read"
    ids = [s.id for s in after.sign_ins]
    assert len(ids) == len(set(ids)) and ids[:4] == new_ids
    times = [s.created_date_time for s in after.sign_ins]
    assert times == sorted(times, reverse=True)
    assert all(a is b for a, b in zip(after.sign_ins[4:], before.sign_ins))


async def test_a_failing_incremental_read_keeps_what_was_held_and_says_so(tenant_dir: Path) -> None:
    faults = FaultPlan()
    source = source_of(tenant_dir, faults=faults)
    before = await tracked(source)
    add_signins(tenant_dir, 2)
    faults.add(Fault(r"GET /v1\.0/auditLogs/signIns", "error", status=503))
    after = await source.aload(previous=before)
    res = after.results["sign_ins"]
    assert (res.status, res.refresh) == ("partial", "kept")
    assert res.value is before.results["sign_ins"].value and res.count == before.results["sign_ins"].count
    assert res.message.startswith("not refreshed (service error: Microsoft Graph answered HTTP 503")
    assert "kept the 500 item(s) read before" in res.message
    assert any(i.message.startswith("not refreshed: service error") for i in res.errors)
    assert "sign_ins" in after.changed  # its status changed: the pane must say it is stale
    assert after.results["users"].status == "ok"  # one data set's failure never blanks another
    again = await source.aload(previous=after)  # still failing: kept once more, one issue, not two
    assert sum(i.message.startswith("not refreshed") for i in again.results["sign_ins"].issues) == 1
    assert "sign_ins" not in again.changed
    faults.clear()
    healed = await source.aload(previous=again)
    assert (healed.results["sign_ins"].status, healed.results["sign_ins"].refresh) == ("ok", "delta")
    assert healed.results["sign_ins"].count == before.results["sign_ins"].count + 2


async def test_a_failed_whole_read_keeps_what_was_held(tenant_dir: Path) -> None:
    faults = FaultPlan()
    source = source_of(tenant_dir, faults=faults)
    before = await tracked(source)
    faults.add(Fault(r"GET /v1\.0/identity/conditionalAccess/policies", "forbidden"))
    after = await source.aload(previous=before)
    res = after.results["ca_policies"]
    assert (res.status, res.refresh) == ("partial", "kept") and res.value is before.results["ca_policies"].value
    assert "Policy.Read.All" in res.message


async def test_an_unknown_delta_token_falls_back_to_a_whole_read(tenant_dir: Path) -> None:
    source = source_of(tenant_dir)
    before = await tracked(source)
    async with api(source) as c:
        assert (await c.patch(f"{GRAPH}/users/{before.users[2].id}", json={"jobTitle": "X"})).status_code == 204
    good = source.sync.links["users"]
    source.sync.links["users"] = good.split("$deltatoken=")[0] + "$deltatoken=expired"
    source.emulator._graph.delta.epoch = "restarted"  # every token of the groups is unknown now too
    after = await source.aload(previous=before)
    assert {k: after.results[k].refresh for k in ("users", "groups", "group_members")} == {
        "users": "resync", "groups": "resync", "group_members": "whole"}
    assert all(after.results[k].status == "ok" for k in ("users", "groups", "group_members"))
    assert after.users[2].job_title == "X" and after.users[3] is before.users[3]
    assert source.sync.links["users"] not in (good, before)  # a fresh link: the next refresh is a delta again
    again = await source.aload(previous=after)
    assert again.results["users"].refresh == "delta" and again.changed == frozenset()


async def test_a_fault_on_the_delta_endpoint_keeps_users_then_the_same_round_recovers(tenant_dir: Path) -> None:
    faults = FaultPlan()
    source = source_of(tenant_dir, faults=faults)
    before = await tracked(source)
    async with api(source) as c:
        assert (await c.patch(f"{GRAPH}/users/{before.users[1].id}", json={"jobTitle": "Y"})).status_code == 204
    faults.add(Fault(r"GET /v1\.0/users/delta", "throttle", retry_after=0))
    faults.add(Fault(r"GET /v1\.0/groups/delta", "truncated"))
    after = await source.aload(previous=before)
    users, groups = after.results["users"], after.results["groups"]
    assert (users.status, users.refresh) == ("partial", "kept") and "throttled" in users.message
    assert (groups.status, groups.refresh) == ("partial", "kept") and "bad payload" in groups.message
    assert after.results["group_members"].refresh == "whole"  # no membership changes known: read whole
    assert after.results["group_members"].status == "ok"
    faults.clear()
    healed = await source.aload(previous=after)
    assert (healed.results["users"].status, healed.results["users"].refresh) == ("ok", "delta")
    assert healed.users[1].job_title == "Y"  # the change made before the failed round is not lost
    assert healed.results["groups"].refresh == "delta"


# --- the merge, with a scripted reader ----------------------------------------------------------------


class Scripted:
    """A Graph reader that answers delta rounds and the sign-in log from scripts."""

    api = "graph"

    def __init__(self) -> None:
        self.rounds: dict[str, list[list[Any]]] = {}
        self.signins: list[Any] = []
        self.asked: list[ReadOptions] = []
        self.fail = False  # whole reads (but the sign-in log's) are throttled

    async def delta_latest(self, ds: DataSet) -> str:
        return f"link:{ds.key}:latest"

    async def delta(self, ds: DataSet, link: str | None = None) -> AsyncIterator[tuple[list[Any], str | None]]:
        if link is not None and link.endswith("gone"):
            raise ResyncRequired("gone")
        pages = self.rounds.get(ds.key, [[]])
        for n, page in enumerate(pages):
            yield page, (f"link:{ds.key}:next" if n == len(pages) - 1 else None)

    async def collection(self, ds: DataSet, *, sub: str = "", parent: str = "",
                         options: ReadOptions = ReadOptions()) -> AsyncIterator[list[Any]]:
        self.asked.append(options)
        if ds.key == "sign_ins":
            yield [s for s in self.signins if options.signins_since is None
                   or datetime.fromisoformat(s["createdDateTime"]) >= options.signins_since]
        elif self.fail:
            raise Throttled("throttled", http_status=429)
        else:
            yield []

    async def single(self, ds: DataSet, *, sub: str = "", parent: str = "") -> Any:
        return None

    async def many(self, ds: DataSet, parents: Any, *, options: ReadOptions = ReadOptions()) -> Any:
        if False:
            yield

    async def aclose(self) -> None:
        return None


def parsed(key: str, raws: list[dict[str, Any]]) -> tuple[Any, ...]:
    cls = BY_KEY[key].model_class()
    return tuple(cls.from_wire(r, (), []) for r in raws)


def held(**values: Any) -> Tenant:
    results = {k: DataSetResult(k, "ok", v, len(v)) for k, v in values.items()}
    return Tenant(TenantInfo(id="t", display_name="T"), results)


USER = "#microsoft.graph.user"


async def test_delta_entries_are_merged_by_id_with_members_over_several_entries() -> None:
    u = [{"id": f"u{n}", "displayName": f"User {n}", "userPrincipalName": f"u{n}@x", "userType": "Member",
          "signInActivity": {"lastSignInDateTime": "2026-11-01T00:00:00Z"}} for n in range(4)]
    g = [{"id": f"g{n}", "displayName": f"Group {n}"} for n in range(3)]
    members = {"g0": parsed("group_members", [{"@odata.type": USER, "id": "u0", "displayName": "User 0"}]),
               "g2": parsed("group_members", [{"@odata.type": USER, "id": "u1", "displayName": "User 1"}])}
    previous = held(users=parsed("users", u), groups=parsed("groups", g), group_members=members,
                    service_principals=())
    reader = Scripted()
    reader.rounds["users"] = [[{"id": "u1", "displayName": "Renamed", "userPrincipalName": "u1@x"}],
                              [{"id": "u3", "@removed": {"reason": "changed"}},
                               {"id": "u9", "displayName": "New", "userPrincipalName": "u9@x", "userType": "Guest"}]]
    reader.rounds["groups"] = [[{"id": "g0", "displayName": "Group 0",
                                 "members@delta": [{"@odata.type": USER, "id": "u0", "@removed": {"reason": "deleted"}},
                                                   {"@odata.type": USER, "id": "u9"}]}],
                               [{"id": "g0", "displayName": "Group 0", "members@delta": [{"@odata.type": USER,
                                                                                         "id": "u2"}]},
                                {"id": "g1", "@removed": {"reason": "deleted"}}]]
    sync = SyncState(links={"users": "link:users", "groups": "link:groups"})
    loader = Loader({"graph": reader}, previous.info)  # type: ignore[dict-item]
    after = await loader.load(["users", "groups", "group_members", "service_principals"], previous=previous,
                              sync=sync)
    assert [x.id for x in after.users] == ["u0", "u1", "u2", "u9"]
    assert after.users[0] is previous.users[0] and after.users[1].display_name == "Renamed"
    assert after.users[1].sign_in_activity == previous.users[1].sign_in_activity  # kept: delta cannot send it
    assert after.users[3].sign_in_activity is None  # a new user: none known yet
    assert after.results["users"].message == "2 changed, 1 removed; sign-in activity as of the last full read"
    assert [x.id for x in after.groups] == ["g0", "g2"]
    assert after.groups[0] is previous.groups[0]  # the same properties: the held object
    assert {k: [(m.id, m.display_name, m.user_principal_name) for m in v]
            for k, v in after.group_members.items()} == {"g0": [("u9", "New", "u9@x"), ("u2", "User 2", "u2@x")],
                                                         "g2": [("u1", "User 1", None)]}
    assert after.group_members["g2"] is members["g2"]
    assert after.group_members["g0"][0].user_type == "Guest"  # filled in from the user read in the refresh
    assert sync.links == {"users": "link:users:next", "groups": "link:groups:next"}
    assert after.changed == {"users", "groups", "group_members"}


async def test_a_malformed_delta_entry_is_partial_and_the_rest_is_merged() -> None:
    previous = held(users=parsed("users", [{"id": "u0", "displayName": "A"}]))
    reader = Scripted()
    reader.rounds["users"] = [[{"id": "u1", "displayName": "B"}, {"displayName": "no id"}]]
    after = await Loader({"graph": reader}, previous.info).load(  # type: ignore[dict-item]
        ["users"], previous=previous, sync=SyncState(links={"users": "x"}))
    res = after.results["users"]
    assert res.status == "partial" and [x.id for x in after.users] == ["u0", "u1"]
    assert "without an id" in res.message


async def test_a_resync_reads_whole_and_a_whole_read_that_fails_keeps_what_was_held() -> None:
    previous = held(users=parsed("users", [{"id": "u0", "displayName": "A"}]))
    sync = SyncState(links={"users": "link:gone"})
    reader = Scripted()
    reader.fail = True
    after = await Loader({"graph": reader}, previous.info).load(  # type: ignore[dict-item]
        ["users"], previous=previous, sync=sync)
    res = after.results["users"]
    assert (res.status, res.refresh) == ("partial", "kept") and res.value is previous.results["users"].value
    assert "throttled" in res.message
    assert sync.links["users"] == "link:users:latest"  # asked for before the whole read


def signin(n: int, when: datetime) -> dict[str, Any]:
    return {"id": f"s{n}", "createdDateTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "userId": "u0"}


async def test_sign_ins_keep_the_window_and_the_bound() -> None:
    now = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    log = [signin(n, now - timedelta(days=n)) for n in range(6)]  # s0 newest ... s5 six days old
    previous = held(sign_ins=parsed("sign_ins", log[1:]))  # s1..s5 held
    reader = Scripted()
    reader.signins = log
    window = now - timedelta(days=4, hours=12)  # s5 has left the window
    options = ReadOptions(signins_since=window, max_items=3)
    after = await Loader({"graph": reader}, previous.info, options=options).load(  # type: ignore[dict-item]
        ["sign_ins"], previous=previous)
    res = after.results["sign_ins"]
    assert reader.asked[-1].signins_since == log_time(log[1]) - SIGNIN_OVERLAP  # from the newest held on
    assert [s.id for s in after.sign_ins] == ["s0", "s1", "s2"]  # newest first, bounded
    assert (res.status, res.refresh) == ("partial", "delta") and "bound of 3" in res.message
    assert after.sign_ins[1] is previous.sign_ins[0]
    # bounded is still complete up to the bound: the next refresh goes on from the newest
    again = await Loader({"graph": reader}, previous.info, options=options).load(  # type: ignore[dict-item]
        ["sign_ins"], previous=after)
    assert again.results["sign_ins"].refresh == "delta" and again.results["sign_ins"].value is after.sign_ins


def log_time(raw: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(raw["createdDateTime"])


# --- the store --------------------------------------------------------------------------------------


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    def post_message(self, message: Any) -> bool:
        self.messages.append(message)
        return True

    def last(self, kind: type) -> Any:
        return [m for m in self.messages if isinstance(m, kind)][-1]


async def test_store_refresh_reports_the_data_sets_that_changed(tenant_dir: Path) -> None:
    source = source_of(tenant_dir)
    store = TenantStore(source)
    inbox = Inbox()
    store.subscribe(inbox)  # type: ignore[arg-type]
    try:
        assert store.reload()
        await asyncio.wait_for(store.loaded.wait(), 60)
        first = inbox.last(TenantStore.Finished)
        assert (first.refresh, first.changed) == (False, frozenset(ds.key for ds in DATASETS))
        held = store.tenant
        assert store.refresh()
        assert not store.refresh() and not store.reload()  # one load at a time
        assert inbox.last(TenantStore.Started).refresh
        await asyncio.wait_for(store.loaded.wait(), 60)
        assert inbox.last(TenantStore.Finished).changed == frozenset()
        assert store.tenant.users is held.users and store.refreshing
        async with api(source) as c:
            r = await c.patch(f"{GRAPH}/users/{held.users[0].id}", json={"department": "Moved"})
            assert r.status_code == 204
        inbox.messages.clear()
        assert store.refresh()
        await asyncio.wait_for(store.loaded.wait(), 60)
        done = inbox.last(TenantStore.Finished)
        assert done.refresh and done.error is None and done.changed == {"users"}
        loaded = {m.result.key: m.changed for m in inbox.messages if isinstance(m, TenantStore.Loaded)}
        assert loaded.keys() == {ds.key for ds in DATASETS}  # every row hears of its data set
        assert {k for k, changed in loaded.items() if changed} == {"users"}
        assert store.tenant.users[0].department == "Moved" and store.tenant.users[1] is held.users[1]
        assert store.tenant.results["users"].refresh == "delta"
        assert store.reload()  # the reload key: everything whole, identity kept
        await asyncio.wait_for(store.loaded.wait(), 60)
        assert not inbox.last(TenantStore.Finished).refresh and not store.refreshing
        assert inbox.last(TenantStore.Finished).changed == frozenset()
    finally:
        store.close()


class FailingRefresh:
    """A refreshable source whose refreshes raise (a sign-in that expired)."""

    def __init__(self) -> None:
        self.info = TenantInfo(id="t", display_name="T")
        self.refreshes: list[tuple[Tenant, bool]] = []

    def load(self, *, on_start: Any, on_result: Any) -> object:
        for key in ("ca_policies", "users"):
            on_result(DataSetResult(key, "ok", parsed(key, [{"id": "x1"}]), 1))
        return None

    def refresh(self, *, previous: Tenant, whole: bool = False, on_start: Any, on_result: Any) -> object:
        self.refreshes.append((previous, whole))
        on_result(DataSetResult("users", "ok", previous.results["users"].value, 1, refresh="delta", changed=False))
        raise RuntimeError("token expired")


async def test_a_refresh_that_raises_keeps_what_was_held_and_the_timer_refreshes() -> None:
    source = FailingRefresh()
    store = TenantStore(source, refresh_interval=0.02)
    inbox = Inbox()
    store.subscribe(inbox)  # type: ignore[arg-type]
    try:
        store.reload()
        await asyncio.wait_for(store.loaded.wait(), 10)
        held = store.tenant
        for _ in range(500):  # the automatic refresh is a refresh, of the tenant held (bounded: 5 s)
            if sum(isinstance(m, TenantStore.Finished) for m in inbox.messages) >= 2:
                break
            await asyncio.sleep(0.01)
    finally:
        store.close()
    assert source.refreshes[0] == (held, False)
    done = [m for m in inbox.messages if isinstance(m, TenantStore.Finished)][1]
    assert done.error == "RuntimeError: token expired" and done.refresh
    ca = done.tenant.results["ca_policies"]
    assert (ca.status, ca.refresh) == ("partial", "kept") and ca.value is held.results["ca_policies"].value
    assert "not refreshed (RuntimeError: token expired)" in ca.message
    assert done.tenant.results["nsgs"].status == "failed"  # held nothing: nothing to keep
    assert done.changed == {"ca_policies"}  # the others: as held (failed before, failed again)


# --- the live path -----------------------------------------------------------------------------------


def test_a_live_tenant_refreshes_through_graph_delta_queries(monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import stop
    from test_live_loopback import TOKEN as LIVE_TOKEN
    from test_live_loopback import start_emulator
    from ztconsole.config import parse_config
    from ztconsole.sources.stack import LiveSource
    from ztconsole.tenantdir import TenantDir

    demo = TenantDir.open(DEMO).info
    proc, base = start_emulator({**os.environ, "ZTCONSOLE_TOKEN": LIVE_TOKEN})
    try:
        monkeypatch.setenv("ZTCONSOLE_TOKEN", LIVE_TOKEN)
        subs = ", ".join(f'"{s}"' for s in demo.subscriptions)
        cfg = parse_config(f'[tenants.lab]\ncloud = "custom"\ngraph_url = "{base}"\narm_url = "{base}"\n'
                           f'auth = "static-token"\nsubscriptions = [{subs}]\n', "config.toml")
        source = LiveSource(cfg.profile("lab"), break_glass=demo.break_glass, signin_days=36500)
        first = source.load(on_start=None, on_result=None)
        tracked_once = source.refresh(previous=first)
        assert set(source.sync.links) == {"users", "groups"}
        assert LIVE_TOKEN not in repr(source.sync)
        user = tracked_once.users[3]
        r = httpx.patch(f"{base}/v1.0/users/{user.id}", json={"jobTitle": "Live"},
                        headers={"Authorization": f"Bearer {LIVE_TOKEN}"})
        assert r.status_code == 204
        after = source.refresh(previous=tracked_once)
    finally:
        stop(proc)
    assert {k for k, r in after.results.items() if r.refresh == "delta"} == DELTA
    assert after.changed == {"users"} and after.users[3].job_title == "Live"
    assert after.users[4] is tracked_once.users[4]
    assert all(r.status == "ok" for r in after.results.values())

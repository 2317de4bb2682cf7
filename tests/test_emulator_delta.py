"""Graph delta queries as the emulator answers them (``/users/delta``, ``/groups/delta``), seen by a client
in process: the initial round paged to a delta link, "sync from now", later rounds with only what changed
(through the emulator's own writes and on disk), deletions as ``@removed``, and 410 for a token it does not
know."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from ztconsole.demo import demo_dir
from ztconsole.emulator import Emulator, EmulatorTransport, Fault, FaultPlan
from ztconsole.emulator import delta as delta_module

TOKEN = "delta-test-token"
GRAPH = "https://graph.microsoft.com/v1.0"
DEMO = demo_dir()


def read(rel: str, root: Path = DEMO) -> Any:
    return json.loads((root / rel).read_text(encoding="utf-8"))


def client(emu: Emulator) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=EmulatorTransport(emu), headers={"Authorization": f"Bearer {TOKEN}"})


async def round_of(c: httpx.AsyncClient, url: str) -> tuple[list[Any], str, int]:
    """Every item of one delta round from ``url``, its delta link and how many pages it took."""
    items: list[Any] = []
    for page in range(1, 1001):
        r = await c.get(url)
        assert r.status_code == 200, r.text[:400]
        body = r.json()
        assert not ("@odata.nextLink" in body and "@odata.deltaLink" in body)  # never both
        items += body["value"]
        if "@odata.deltaLink" in body:
            return items, body["@odata.deltaLink"], page
        url = body["@odata.nextLink"]
    raise AssertionError("more than 1,000 pages")


async def collect(c: httpx.AsyncClient, url: str) -> list[Any]:
    """Every item of a plain collection, following next links."""
    items: list[Any] = []
    while url:
        body = (await c.get(url)).json()
        items += body["value"]
        url = body.get("@odata.nextLink")
    return items


def members_of(items: list[Any]) -> dict[str, list[str]]:
    """Group id -> member ids added, from the members@delta of a round (a group may come several times)."""
    out: dict[str, list[str]] = {}
    for item in items:
        for m in item.get("members@delta", []):
            if "@removed" not in m:
                out.setdefault(item["id"], []).append(m["id"])
    return out


@pytest.fixture
def emu() -> Emulator:
    return Emulator(DEMO, token=TOKEN, page_size=7)


# --- the initial round --------------------------------------------------------------------------------


async def test_the_initial_round_holds_every_user_paged_and_ends_with_a_delta_link(emu: Emulator) -> None:
    users = read("graph/v1.0/users.json")
    async with client(emu) as c:
        items, link, pages = await round_of(c, f"{GRAPH}/users/delta?$select=displayName,jobTitle")
    assert pages == -(-len(users) // 7) and pages > 1
    assert [u["id"] for u in items] == [u["id"] for u in users]
    assert all(set(u) <= {"id", "displayName", "jobTitle"} for u in items)  # the $select, and id always
    assert items[0]["displayName"] == users[0]["displayName"]
    assert link.startswith(f"{GRAPH}/users/delta?$deltatoken=")
    assert parse_qs(urlsplit(link).query).keys() == {"$deltatoken"}  # the query is in the token


async def test_the_qualified_function_name_and_beta_are_served_too(emu: Emulator) -> None:
    async with client(emu) as c:
        items, _, _ = await round_of(c, f"{GRAPH}/users/microsoft.graph.delta?$select=displayName")
        beta, _, _ = await round_of(c, "https://graph.microsoft.com/beta/groups/delta?$select=displayName")
    assert len(items) == len(read("graph/v1.0/users.json"))
    assert len(beta) == len(read("graph/v1.0/groups.json"))


async def test_users_delta_refuses_sign_in_activity_as_graph_does(emu: Emulator) -> None:
    async with client(emu) as c:
        r = await c.get(f"{GRAPH}/users/delta?$select=displayName,signInActivity")
        unselected, _, _ = await round_of(c, f"{GRAPH}/users/delta")
    assert r.status_code == 400
    assert "not supported for the following properties: signInActivity" in r.json()["error"]["message"]
    assert not any("signInActivity" in u for u in unselected)  # not tracked: never sent


async def test_the_initial_groups_round_lists_every_member_over_several_entries(
        emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(delta_module, "MAX_MEMBERS_PER_ENTRY", 2)
    groups = read("graph/v1.0/groups.json")
    async with client(emu) as c:
        items, _, _ = await round_of(c, f"{GRAPH}/groups/delta?$select=displayName,members")
    expected = {}
    for g in groups:
        path = DEMO / f"graph/v1.0/groups/{g['id']}/members.json"
        if path.exists() and read(str(path.relative_to(DEMO))):
            expected[g["id"]] = [m["id"] for m in read(str(path.relative_to(DEMO)))]
    assert members_of(items) == expected
    assert len(items) > len(groups)  # big groups came back in several entries
    assert all(len(i.get("members@delta", [])) <= 2 for i in items)
    entry = next(i for i in items if i.get("members@delta"))
    assert set(entry["members@delta"][0]) == {"@odata.type", "id"}  # only the type and id of a member
    assert {i["id"] for i in items} == {g["id"] for g in groups}  # a group without members comes too


async def test_filter_by_id_is_the_one_filter_delta_takes(emu: Emulator) -> None:
    users = read("graph/v1.0/users.json")
    wanted = [users[1]["id"], users[4]["id"]]
    async with client(emu) as c:
        items, _, _ = await round_of(c, f"{GRAPH}/users/delta?$filter=id eq '{wanted[0]}' or id eq '{wanted[1]}'")
        r = await c.get(f"{GRAPH}/users/delta?$filter=startswith(displayName,'A')")
    assert sorted(u["id"] for u in items) == sorted(wanted)
    assert r.status_code == 400 and r.json()["error"]["code"] == "Request_UnsupportedQuery"


# --- later rounds -------------------------------------------------------------------------------------


async def test_sync_from_now_then_only_what_the_emulator_wrote(emu: Emulator) -> None:
    users = read("graph/v1.0/users.json")
    async with client(emu) as c:
        r = await c.get(f"{GRAPH}/users/delta?$select=displayName,jobTitle&$deltatoken=latest")
        assert r.status_code == 200 and r.json()["value"] == []
        link = r.json()["@odata.deltaLink"]
        nothing, link, _ = await round_of(c, link)
        assert nothing == []
        assert (await c.patch(f"{GRAPH}/users/{users[3]['id']}", json={"jobTitle": "Auditor"})).status_code == 204
        assert (await c.post(f"{GRAPH}/users/{users[5]['id']}/revokeSignInSessions")).status_code == 200
        changed, link, _ = await round_of(c, link)
        assert [(u["id"], u.get("jobTitle")) for u in changed] == [(users[3]["id"], "Auditor"),
                                                                   (users[5]["id"], users[5].get("jobTitle"))]
        assert set(changed[0]) == {"id", "displayName", "jobTitle"}  # the selected properties, all of them
        again, _, _ = await round_of(c, link)
        assert again == []


async def test_group_changes_members_added_and_removed_and_groups_deleted(emu: Emulator) -> None:
    groups = read("graph/v1.0/groups.json")
    users = read("graph/v1.0/users.json")
    g0 = next(g for g in groups if (DEMO / f"graph/v1.0/groups/{g['id']}/members.json").exists())
    held = [m["id"] for m in read(f"graph/v1.0/groups/{g0['id']}/members.json")]
    joiner = next(u["id"] for u in users if u["id"] not in held)
    async with client(emu) as c:
        _, link, _ = await round_of(c, f"{GRAPH}/groups/delta?$select=displayName,members")
        r = await c.post(f"{GRAPH}/groups/{g0['id']}/members/$ref",
                         json={"@odata.id": f"{GRAPH}/directoryObjects/{joiner}"})
        assert r.status_code == 204
        r = await c.post(f"{GRAPH}/groups/{g0['id']}/members/$ref",
                         json={"@odata.id": f"{GRAPH}/directoryObjects/{joiner}"})
        assert r.status_code == 400  # already a member
        assert (await c.delete(f"{GRAPH}/groups/{g0['id']}/members/{held[0]}/$ref")).status_code == 204
        r = await c.post(f"{GRAPH}/groups", json={"displayName": "SG-New", "securityEnabled": True})
        assert r.status_code == 201
        new_id = r.json()["id"]
        assert (await c.post(f"{GRAPH}/groups/{new_id}/members/$ref",
                             json={"@odata.id": f"{GRAPH}/directoryObjects/{joiner}"})).status_code == 204
        gone = groups[-1]["id"]
        assert (await c.delete(f"{GRAPH}/groups/{gone}")).status_code == 204
        changed, link, _ = await round_of(c, link)
        listed = [m["id"] for m in await collect(c, f"{GRAPH}/groups/{g0['id']}/members")]
    by_id = {i["id"]: i for i in changed}
    assert set(by_id) == {g0["id"], new_id, gone}
    moves = {m["id"]: m for m in by_id[g0["id"]]["members@delta"]}
    assert moves[joiner] == {"@odata.type": "#microsoft.graph.user", "id": joiner}
    assert moves[held[0]]["@removed"] == {"reason": "deleted"}
    assert by_id[g0["id"]]["displayName"] == g0["displayName"]  # the changed group comes whole
    assert by_id[new_id]["displayName"] == "SG-New" and [m["id"] for m in by_id[new_id]["members@delta"]] == [joiner]
    assert by_id[gone] == {"id": gone, "@removed": {"reason": "deleted"}}
    assert joiner in listed and held[0] not in listed  # the writes are what later reads see


async def test_a_change_round_pages_too(emu: Emulator) -> None:
    users = read("graph/v1.0/users.json")
    async with client(emu) as c:
        _, link, _ = await round_of(c, f"{GRAPH}/users/delta?$select=jobTitle&$deltatoken=latest")
        for n, user in enumerate(users[:15]):
            assert (await c.patch(f"{GRAPH}/users/{user['id']}", json={"jobTitle": f"t{n}"})).status_code == 204
        changed, _, pages = await round_of(c, link)
    assert pages == 3 and [u["jobTitle"] for u in changed] == [f"t{n}" for n in range(15)]


async def test_a_file_changed_on_disk_is_compared_item_by_item(tmp_path: Path) -> None:
    root = tmp_path / "tenant"
    shutil.copytree(DEMO, root)
    emu = Emulator(root, token=TOKEN, page_size=50)
    users_file = root / "graph/v1.0/users.json"
    users = read("graph/v1.0/users.json")
    members_file = next(root.glob("graph/v1.0/groups/*/members.json"))
    group_id = members_file.parent.name
    async with client(emu) as c:
        _, users_link, _ = await round_of(c, f"{GRAPH}/users/delta?$select=displayName")
        _, groups_link, _ = await round_of(c, f"{GRAPH}/groups/delta?$select=displayName,members")
        edited = [dict(u) for u in users]
        edited[2]["displayName"] = "Renamed On Disk"
        removed = edited.pop(7)
        edited.append({"id": "11111111-2222-4333-8444-555555555555", "displayName": "Added On Disk"})
        users_file.write_text(json.dumps(edited, indent=2), encoding="utf-8")
        members = read(str(members_file.relative_to(root)), root)
        dropped = members.pop(0)
        members_file.write_text(json.dumps(members), encoding="utf-8")
        changed, _, _ = await round_of(c, users_link)
        regrouped, _, _ = await round_of(c, groups_link)
    assert {u["id"]: u for u in changed} == {
        users[2]["id"]: {"id": users[2]["id"], "displayName": "Renamed On Disk"},
        removed["id"]: {"id": removed["id"], "@removed": {"reason": "deleted"}},
        "11111111-2222-4333-8444-555555555555": {"id": "11111111-2222-4333-8444-555555555555",
                                                 "displayName": "Added On Disk"}}
    assert [g["id"] for g in regrouped] == [group_id]
    assert regrouped[0]["members@delta"] == [{"@odata.type": dropped["@odata.type"], "id": dropped["id"],
                                              "@removed": {"reason": "deleted"}}]


# --- tokens it does not know --------------------------------------------------------------------------


async def test_a_token_the_emulator_does_not_know_is_410_gone(emu: Emulator) -> None:
    other = Emulator(DEMO, token=TOKEN)
    async with client(other) as c:
        _, foreign, _ = await round_of(c, f"{GRAPH}/users/delta?$select=displayName&$deltatoken=latest")
    async with client(emu) as c:
        _, link, _ = await round_of(c, f"{GRAPH}/groups/delta?$deltatoken=latest")
        for url in (f"{GRAPH}/users/delta?$deltatoken=bm90LW91cnM", foreign.replace("/users/", "/users/"),
                    link.replace("/groups/", "/users/"), f"{GRAPH}/users/delta?$skiptoken=unknown.7"):
            r = await c.get(url)
            assert r.status_code == 410, url
            error = r.json()["error"]
            assert error["code"] == "syncStateNotFound" and "synchronized again" in error["message"]
            assert r.headers["location"].startswith(f"{GRAPH}/users/delta")
        r = await c.get(foreign)
        assert parse_qs(urlsplit(r.headers["location"]).query) == {"$select": ["displayName"]}  # the first query


async def test_faults_reach_the_delta_endpoint(emu: Emulator) -> None:
    emu.faults = FaultPlan([Fault(r"GET /v1\.0/users/delta", "throttle", times=1, retry_after=3)])
    async with client(emu) as c:
        r = await c.get(f"{GRAPH}/users/delta?$deltatoken=latest")
        assert r.status_code == 429 and r.headers["retry-after"] == "3"
        r = await c.get(f"{GRAPH}/users/delta?$deltatoken=latest")
        assert r.status_code == 200

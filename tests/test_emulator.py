"""The Graph + ARM emulator, as a client sees it: in process through httpx with the real service URLs."""

from __future__ import annotations

import asyncio
import json
import math
import os
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import stop
from ztconsole.datasets import DATASETS
from ztconsole.demo import demo_dir
from ztconsole.emulator import (
    ConnectionResetFault,
    Emulator,
    EmulatorTransport,
    Fault,
    FaultPlan,
    FaultSpecError,
    parse_fault,
    serve,
)
from ztconsole.tenantdir.reader import TenantDir

TOKEN = "test-token"
GRAPH = "https://graph.microsoft.com"
ARM = "https://management.azure.com"
API = "api-version=2024-05-01"
SUB = "1b4e2c8a-7d3f-4a6b-9c5e-2f8d1a7b3e90"
SUB2 = "8c3d5f1a-2e6b-4d9c-a7f4-6b0e9d2c1a35"
HUB = f"/subscriptions/{SUB}/resourceGroups/rg-connectivity-hub-weu"
POLICY = f"{HUB}/providers/Microsoft.Network/firewallPolicies/afwp-contoso-hub-weu"
NSG = f"{HUB}/providers/Microsoft.Network/networkSecurityGroups/nsg-snet-shared-services-weu"
BG1 = "f9bfd152-27a7-5a3c-909e-b4401243722c"  # bg-admin-01@contoso.onmicrosoft.com
PA_APP = "a9dd2597-cd71-508d-b9e3-7b5192fff56d"
SEGMENTS = (f"/beta/applications/{PA_APP}/onPremisesPublishing/segmentsConfiguration/"
            "microsoft.graph.ipSegmentConfiguration/applicationSegments")
DEMO = demo_dir()


def read(rel: str, root: Path = DEMO) -> Any:
    return json.loads((root / rel).read_text(encoding="utf-8"))


def client(emu: Emulator, token: str | None = TOKEN) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(transport=EmulatorTransport(emu), headers=headers)


async def collect(c: httpx.AsyncClient, url: str, **kw: Any) -> tuple[list[Any], int]:
    """Every item of a Graph or ARM collection, following next links; and how many pages it took."""
    items: list[Any] = []
    for pages in range(1, 5001):
        r = await c.get(url, **(kw if pages == 1 else {}))
        assert r.status_code == 200, (url, r.text[:400])
        body = r.json()
        items += body["value"]
        url = body.get("@odata.nextLink") or body.get("nextLink")
        if not url:
            return items, pages
    raise AssertionError("more than 5,000 pages")


def url_of(rel: str) -> str:
    """The request URL that a tenant directory file records."""
    path = rel[: -len(".json")]
    if path.startswith("graph/"):
        return f"{GRAPH}/{path[len('graph/'):]}"
    return f"{ARM}/{path[len('arm/'):]}?{API}"


@pytest.fixture
def emu() -> Emulator:
    return Emulator(DEMO, token=TOKEN, page_size=3)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ztconsole.demo.synthetic import generate

    out = tmp_path_factory.mktemp("synthetic") / "tenant"
    generate(out, 300)
    return out


# --- every data set, paged ------------------------------------------------------------------------
@pytest.mark.parametrize("which,page_size", [("demo", 1), ("synthetic", 40)])
async def test_every_dataset_is_served_exactly_across_pages(which: str, page_size: int, synthetic: Path) -> None:
    root = DEMO if which == "demo" else synthetic
    emu = Emulator(root, token=TOKEN, page_size=page_size)
    tenant = TenantDir.open(root)
    multi_page = {"graph": 0, "arm": 0}
    async with client(emu) as c:
        for ds in DATASETS:
            for loc in tenant.locate(ds):
                recorded = read(loc.rel, root)
                if ds.shape == "singleton":
                    r = await c.get(url_of(loc.rel))
                    assert r.status_code == 200 and r.json() == recorded, loc.rel
                    continue
                items, pages = await collect(c, url_of(loc.rel))
                assert items == recorded, loc.rel
                assert pages == max(1, math.ceil(len(recorded) / page_size)), loc.rel
                multi_page[ds.api] += pages >= 3
    if which == "demo":
        assert multi_page["graph"] >= 10 and multi_page["arm"] >= 3, multi_page


async def test_next_links_are_absolute_on_the_request_base_and_keep_the_query(emu: Emulator) -> None:
    async with client(emu) as c:
        r = await c.get(f"{ARM}/subscriptions/{SUB2}/providers/Microsoft.Network/networkSecurityGroups?{API}")
        link = r.json()["nextLink"]
        assert link.startswith(f"{ARM}/subscriptions/{SUB2}/providers/Microsoft.Network/networkSecurityGroups?")
        assert "api-version=2024-05-01" in link and "$skiptoken=" in link
        r = await c.get(f"{GRAPH}/v1.0/users?$select=displayName&$top=2")
        link = r.json()["@odata.nextLink"]
        assert link.startswith(f"{GRAPH}/v1.0/users?") and "$select=displayName" in link and "$top=2" in link
    async with httpx.AsyncClient(transport=EmulatorTransport(emu), base_url="http://127.0.0.1:8765",
                                 headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        r = await c.get("/v1.0/users")
        assert r.json()["@odata.nextLink"].startswith("http://127.0.0.1:8765/v1.0/users?$skiptoken=")
        assert r.json()["@odata.context"] == "http://127.0.0.1:8765/v1.0/$metadata#users"


async def test_arm_paths_are_case_insensitive_and_need_an_api_version(emu: Emulator) -> None:
    recorded = read(f"arm/subscriptions/{SUB}/providers/Microsoft.Network/azureFirewalls.json")
    async with client(emu) as c:
        items, _ = await collect(c, f"{ARM}/SUBSCRIPTIONS/{SUB.upper()}/providers/microsoft.network/AZUREFIREWALLS"
                                    f"?{API}")
        assert items == recorded
        r = await c.get(f"{ARM}/subscriptions/{SUB}/providers/Microsoft.Network/azureFirewalls")
        assert r.status_code == 400
        assert r.json() == {"error": {"code": "MissingApiVersionParameter", "message": "The api-version query "
                                      "parameter (?api-version=) is required for all requests."}}
        assert r.headers["x-ms-request-id"]


async def test_arm_single_resources_nested_items_and_resource_group_lists(emu: Emulator) -> None:
    groups = read(f"arm{POLICY}/ruleCollectionGroups.json")
    nsgs = read(f"arm/subscriptions/{SUB}/providers/Microsoft.Network/networkSecurityGroups.json")
    nsg = next(n for n in nsgs if n["id"] == NSG)
    async with client(emu) as c:
        r = await c.get(f"{ARM}{POLICY}/ruleCollectionGroups/{groups[0]['name']}?{API}")
        assert r.json() == groups[0]
        r = await c.get(f"{ARM}{NSG.lower()}?{API}")
        assert r.json() == nsg
        rule = nsg["properties"]["securityRules"][1]
        r = await c.get(f"{ARM}{NSG}/securityRules/{rule['name']}?{API}")
        assert r.json() == rule
        items, _ = await collect(c, f"{ARM}{NSG}/securityRules?{API}")
        assert items == nsg["properties"]["securityRules"]
        items, _ = await collect(c, f"{ARM}{HUB}/providers/Microsoft.Network/networkSecurityGroups?{API}")
        assert items == [n for n in nsgs if n["id"].lower().startswith(HUB.lower() + "/")]
        vnets = read(f"arm/subscriptions/{SUB}/providers/Microsoft.Network/virtualNetworks.json")
        vnet = vnets[0]
        subnet = vnet["properties"]["subnets"][0]
        r = await c.get(f"{ARM}{vnet['id']}/subnets/{subnet['name']}?{API}")
        assert r.json() == subnet
        rg = read(f"arm/subscriptions/{SUB}/resourcegroups.json")[0]
        r = await c.get(f"{ARM}{rg['id']}?{API}")
        assert r.json() == rg


# --- OData query options ---------------------------------------------------------------------------
async def test_select_top_and_count(emu: Emulator) -> None:
    users = read("graph/v1.0/users.json")
    members = read("graph/v1.0/groups/a9b4c2f1-cd3b-53fd-8649-0b0c32ba6e83/members.json")
    async with client(emu) as c:
        r = await c.get(f"{GRAPH}/v1.0/users?$select=displayName,accountEnabled&$top=2")
        body = r.json()
        assert body["@odata.context"] == f"{GRAPH}/v1.0/$metadata#users(displayName,accountEnabled)"
        assert body["value"] == [{"id": u["id"], "displayName": u["displayName"],
                                  "accountEnabled": u["accountEnabled"]} for u in users[:2]]
        items, pages = await collect(c, f"{GRAPH}/v1.0/users?$top=50")  # min($top, page size 3)
        assert items == users and pages == math.ceil(len(users) / 3)
        r = await c.get(f"{GRAPH}/v1.0/groups/a9b4c2f1-cd3b-53fd-8649-0b0c32ba6e83/members?$select=displayName")
        assert all(set(m) == {"@odata.type", "id", "displayName"} for m in r.json()["value"])
        # $count: honoured with ConsistencyLevel: eventual, silently ignored without (as Graph does)
        r = await c.get(f"{GRAPH}/v1.0/users?$count=true", headers={"ConsistencyLevel": "eventual"})
        assert r.json()["@odata.count"] == len(users)
        r = await c.get(f"{GRAPH}/v1.0/users?$count=true")
        assert "@odata.count" not in r.json()
        r = await c.get(f"{GRAPH}/v1.0/users/$count", headers={"ConsistencyLevel": "eventual"})
        assert r.status_code == 200 and r.text == str(len(users))
        r = await c.get(f"{GRAPH}/v1.0/users/$count")
        assert r.status_code == 400
        assert r.json()["error"]["code"] == "Request_BadRequest"
        assert r.json()["error"]["message"] == "$count is not currently supported."
        r = await c.get(f"{GRAPH}/v1.0/groups/a9b4c2f1-cd3b-53fd-8649-0b0c32ba6e83/members/microsoft.graph.user"
                        "?$count=true", headers={"ConsistencyLevel": "eventual"})
        assert r.json()["@odata.count"] == sum(m["@odata.type"] == "#microsoft.graph.user" for m in members)
        signins = read("graph/v1.0/auditLogs/signIns.json")
        r = await c.get(f"{GRAPH}/v1.0/auditLogs/signIns?$count=true")  # not a directory object
        assert r.json()["@odata.count"] == len(signins)


async def test_each_filter_form(emu: Emulator) -> None:
    signins = read("graph/v1.0/auditLogs/signIns.json")
    assignments = read("graph/v1.0/roleManagement/directory/roleAssignments.json")
    apps = read("graph/beta/applications.json")
    user = signins[0]["userId"]
    cases = [
        ("v1.0/auditLogs/signIns", f"id eq '{signins[7]['id']}'", [signins[7]]),
        ("v1.0/auditLogs/signIns", f"userId eq '{user.upper()}'", [s for s in signins if s["userId"] == user]),
        ("v1.0/roleManagement/directory/roleAssignments", f"principalId eq '{BG1}'",
         [a for a in assignments if a["principalId"] == BG1]),
        ("v1.0/roleManagement/directory/roleAssignments", "roleDefinitionId eq '62e90394-69f5-4237-9190-012177145e10'",
         [a for a in assignments if a["roleDefinitionId"] == "62e90394-69f5-4237-9190-012177145e10"]),
        ("beta/applications", "tags/any(t:t eq 'NetworkAccessQuickAccessApplication')",
         [a for a in apps if "NetworkAccessQuickAccessApplication" in a["tags"]]),
        ("beta/applications", "tags/any(t:t eq 'NetworkAccessQuickAccessApplication') or "
                              "tags/any(t:t eq 'PrivateAccessNonWebApplication')",
         [a for a in apps
          if {"NetworkAccessQuickAccessApplication", "PrivateAccessNonWebApplication"} & set(a["tags"])]),
        ("v1.0/auditLogs/signIns", "createdDateTime ge 2026-11-20T00:00:00Z",
         [s for s in signins if s["createdDateTime"] >= "2026-11-20T00:00:00Z"]),
        ("v1.0/auditLogs/signIns", "createdDateTime le 2026-11-01T00:00:00Z",
         [s for s in signins if s["createdDateTime"] <= "2026-11-01T00:00:00Z"]),
        ("v1.0/auditLogs/signIns", f"createdDateTime ge 2026-11-01T00:00:00Z and userId eq '{user}'",
         [s for s in signins if s["createdDateTime"] >= "2026-11-01T00:00:00Z" and s["userId"] == user]),
    ]
    async with client(emu) as c:
        for path, expr, expected in cases:
            assert expected, expr  # the demo tenant has something for every form
            items, _ = await collect(c, f"{GRAPH}/{path}", params={"$filter": expr})
            assert items == expected, expr
        r = await c.get(f"{GRAPH}/v1.0/users", params={"$filter": "displayName eq 'Megan Bowen'"})
        assert r.status_code == 400
        error = r.json()["error"]
        assert error["code"] == "Request_UnsupportedQuery" and "'displayName'" in error["message"]
        r = await c.get(f"{GRAPH}/v1.0/users", params={"$filter": "startswith(displayName,'M')"})
        assert r.status_code == 400 and "startswith(displayName,'M')" in r.json()["error"]["message"]
        # a date range over directory objects is an advanced query
        r = await c.get(f"{GRAPH}/v1.0/users", params={"$filter": "createdDateTime ge 2026-01-01T00:00:00Z"})
        assert r.status_code == 400 and r.json()["error"]["code"] == "Request_UnsupportedQuery"
        r = await c.get(f"{GRAPH}/v1.0/users", params={"$filter": "createdDateTime ge 2026-01-01T00:00:00Z",
                                                       "$count": "true"}, headers={"ConsistencyLevel": "eventual"})
        assert r.status_code == 200


# --- single items, singletons, derived and empty collections, 404s ------------------------------------
async def test_items_singletons_and_not_found_shapes(emu: Emulator, tmp_path: Path) -> None:
    users = read("graph/v1.0/users.json")
    async with client(emu) as c:
        by_upn = await c.get(f"{GRAPH}/v1.0/users/BG-ADMIN-01@contoso.onmicrosoft.com")
        by_id = await c.get(f"{GRAPH}/v1.0/users/{BG1}?$select=userPrincipalName")
        assert by_upn.json()["@odata.context"] == f"{GRAPH}/v1.0/$metadata#users/$entity"
        assert {k: v for k, v in by_upn.json().items() if k != "@odata.context"} == users[0]
        assert by_id.json() == {"@odata.context": f"{GRAPH}/v1.0/$metadata#users(userPrincipalName)/$entity",
                                "id": BG1, "userPrincipalName": users[0]["userPrincipalName"]}
        policy = read("graph/v1.0/identity/conditionalAccess/policies.json")[4]
        r = await c.get(f"{GRAPH}/v1.0/identity/conditionalAccess/policies/{policy['id']}")
        assert r.json()["displayName"] == policy["displayName"]
        cae = await c.get(f"{GRAPH}/beta/identity/continuousAccessEvaluationPolicy")
        assert cae.json() == read("graph/beta/identity/continuousAccessEvaluationPolicy.json")
        r = await c.get(f"{GRAPH}/beta/applications/{PA_APP}/connectorGroup")
        assert r.json() == read(f"graph/beta/applications/{PA_APP}/connectorGroup.json")
        # by UPN reaches the item's own files
        r = await c.get(f"{GRAPH}/v1.0/users/bg-admin-01@contoso.onmicrosoft.com/authentication/methods")
        assert r.json()["value"] == read(f"graph/v1.0/users/{BG1}/authentication/methods.json")[:3]

        missing = await c.get(f"{GRAPH}/v1.0/users/00000000-0000-0000-0000-00000000dead")
        assert missing.status_code == 404
        error = missing.json()["error"]
        assert error["code"] == "Request_ResourceNotFound"
        assert "00000000-0000-0000-0000-00000000dead" in error["message"]
        assert error["innerError"]["request-id"] == missing.headers["request-id"]
        assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}
        assert (await c.get(f"{GRAPH}/v1.0/groups/nope/members")).status_code == 404
        assert (await c.get(f"{GRAPH}/beta/applications/nope/connectorGroup")).status_code == 404
        unknown = await c.get(f"{GRAPH}/v1.0/nothingHere")
        assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "BadRequest"
        # a known parent without a recorded file: an empty collection
        no_methods = next(u["id"] for u in users if not (DEMO / f"graph/v1.0/users/{u['id']}").exists())
        r = await c.get(f"{GRAPH}/v1.0/users/{no_methods}/authentication/methods")
        assert r.status_code == 200 and r.json()["value"] == []

        for url, code in [
            (f"{ARM}/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Network/azureFirewalls",
             "SubscriptionNotFound"),
            (f"{ARM}/subscriptions/{SUB}/resourceGroups/rg-nope/providers/Microsoft.Network/azureFirewalls/x",
             "ResourceGroupNotFound"),
            (f"{ARM}{HUB}/providers/Microsoft.Network/azureFirewalls/afw-nope", "ResourceNotFound"),
            (f"{ARM}{HUB}/providers/Microsoft.Network/firewallPolicies/nope/ruleCollectionGroups", "ResourceNotFound"),
            (f"{ARM}{POLICY}/ruleCollectionGroups/nope", "ResourceNotFound"),
            (f"{ARM}/subscriptions/{SUB}/providers/Microsoft.Network/fooBars", "InvalidResourceType"),
        ]:
            r = await c.get(f"{url}?{API}")
            assert r.status_code == 404, url
            assert set(r.json()) == {"error"} and set(r.json()["error"]) == {"code", "message"}
            assert r.json()["error"]["code"] == code, url
        r = await c.get(f"{ARM}{HUB}/providers/Microsoft.Network/azureFirewalls/afw-nope?{API}")
        assert "'Microsoft.Network/azureFirewalls/afw-nope' under resource group 'rg-connectivity-hub-weu'" in \
            r.json()["error"]["message"]
        # empty collections where the subscription or the parent exists but nothing is recorded
        items, _ = await collect(c, f"{ARM}/subscriptions/{SUB2}/providers/Microsoft.Network/azureFirewalls?{API}")
        assert items == []
        legacy = f"/subscriptions/{SUB}/resourceGroups/rg-network-legacy-weu"
        assert not (DEMO / f"arm{legacy}/providers/Microsoft.Network/virtualNetworkGateways.json").exists()
        items, _ = await collect(c, f"{ARM}{legacy}/providers/Microsoft.Network/virtualNetworkGateways?{API}")
        assert items == []


async def test_transitive_membership_is_derived_from_group_members(emu: Emulator) -> None:
    groups = {g["id"]: g for g in read("graph/v1.0/groups.json")}
    parents: dict[str, set[str]] = {}
    for gid in groups:
        path = DEMO / f"graph/v1.0/groups/{gid}/members.json"
        for m in json.loads(path.read_text()) if path.exists() else []:
            parents.setdefault(m["id"], set()).add(gid)
    expected, queue = set(), [BG1]
    while queue:
        for g in parents.get(queue.pop(), ()):
            if g not in expected:
                expected.add(g)
                queue.append(g)
    async with client(emu) as c:
        items, _ = await collect(c, f"{GRAPH}/v1.0/users/{BG1}/transitiveMemberOf")
    assert expected and {i["id"] for i in items} == expected
    assert all(i["@odata.type"] == "#microsoft.graph.group" for i in items)
    assert all({k: v for k, v in i.items() if k != "@odata.type"} == groups[i["id"]] for i in items)


async def test_collection_files_in_other_layouts(tmp_path: Path) -> None:
    root = tmp_path / "t"
    (root / "graph/v1.0").mkdir(parents=True)
    (root / "tenant.toml").write_text('format = 1\n[tenant]\nid = "2f4a9c3e-6b1d-4e8a-9f7c-0d5e3b1a8c64"\n'
                                      'display_name = "T"\n')
    users = [{"id": f"u{i}", "displayName": f"U {i}", "tags": ["x"]} for i in range(5)]
    (root / "graph/v1.0/users.json").write_text(json.dumps(users))  # compact: scanned item by item
    page = {"@odata.context": "x", "value": users[:2]}
    (root / "graph/v1.0/groups.json").write_text(json.dumps(page))  # a raw page saved as is
    (root / "graph/v1.0/organization.json").write_text('[{"id": "o1"}, {"id": ')  # damaged
    emu = Emulator(root, token=TOKEN, page_size=2)
    async with client(emu) as c:
        assert (await collect(c, f"{GRAPH}/v1.0/users"))[0] == users
        assert (await collect(c, f"{GRAPH}/v1.0/groups"))[0] == users[:2]
        r = await c.get(f"{GRAPH}/v1.0/organization")
        assert r.status_code == 500 and "organization.json" in r.json()["error"]["message"]
        r = await c.get(f"{GRAPH}/v1.0/identity/conditionalAccess/policies")
        assert r.json()["value"] == []
        r = await c.get(f"{GRAPH}/beta/identity/continuousAccessEvaluationPolicy")  # a singleton: not readable
        assert r.status_code == 404 and r.json()["error"]["code"] == "Request_ResourceNotFound"


# --- authentication -----------------------------------------------------------------------------------
async def test_401_without_or_with_a_wrong_token(emu: Emulator) -> None:
    for token in (None, "wrong"):
        async with client(emu, token) as c:
            r = await c.get(f"{GRAPH}/v1.0/users")
            assert r.status_code == 401
            assert r.json()["error"]["code"] == "InvalidAuthenticationToken"
            assert set(r.json()["error"]["innerError"]) == {"date", "request-id", "client-request-id"}
            assert r.headers["WWW-Authenticate"].startswith("Bearer ")
            r = await c.get(f"{ARM}/subscriptions/{SUB}/providers/Microsoft.Network/azureFirewalls?{API}")
            assert r.status_code == 401
            assert r.json()["error"]["code"] == ("AuthenticationFailed" if token is None
                                                 else "InvalidAuthenticationToken")
            assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]
    async with client(emu) as c:
        assert (await c.get(f"{GRAPH}/v1.0/users")).status_code == 200
    assert [rec.status for rec in emu.requests] == [401, 401, 401, 401, 200]


# --- $batch -----------------------------------------------------------------------------------------
async def test_batch_mixed_statuses_depends_on_and_limits(emu: Emulator) -> None:
    users = read("graph/v1.0/users.json")
    emu.faults.add(Fault(r"GET /v1\.0/groups$", "throttle", retry_after=7))
    requests = [
        {"id": "1", "method": "GET", "url": "/users?$select=displayName&$top=2"},
        {"id": "2", "method": "GET", "url": "/users/00000000-0000-0000-0000-00000000dead"},
        {"id": "3", "method": "DELETE", "url": "/users/" + BG1},
        {"id": "4", "method": "GET", "url": "users/$count", "headers": {"ConsistencyLevel": "eventual"}},
        {"id": "5", "method": "GET", "url": "/groups"},
        {"id": "6", "method": "GET", "url": "/users/" + BG1, "dependsOn": ["2"]},
        {"id": "7", "method": "GET", "url": "/users/" + BG1, "dependsOn": ["8"]},
        {"id": "8", "method": "GET", "url": "/organization"},
    ]
    async with client(emu) as c:
        r = await c.post(f"{GRAPH}/v1.0/$batch", json={"requests": requests})
        assert r.status_code == 200
        out = {item["id"]: item for item in r.json()["responses"]}
        order = [item["id"] for item in r.json()["responses"]]
        assert out["1"]["status"] == 200 and out["1"]["body"]["value"][0]["displayName"] == users[0]["displayName"]
        assert out["1"]["body"]["@odata.nextLink"].startswith(f"{GRAPH}/v1.0/users?")
        assert out["1"]["headers"]["Content-Type"].startswith("application/json")
        assert out["2"]["status"] == 404 and out["2"]["body"]["error"]["code"] == "Request_ResourceNotFound"
        assert out["3"]["status"] == 405
        assert out["4"]["status"] == 200 and out["4"]["body"] == str(len(users))  # text/plain
        assert out["5"]["status"] == 429 and out["5"]["headers"]["Retry-After"] == "7"
        assert out["5"]["body"]["error"]["code"] == "TooManyRequests"
        assert out["6"]["status"] == 424
        assert out["7"]["status"] == 200 and order.index("8") < order.index("7")
        too_many = [{"id": str(i), "method": "GET", "url": "/users"} for i in range(21)]
        r = await c.post(f"{GRAPH}/beta/$batch", json={"requests": too_many})
        assert r.status_code == 400 and r.json()["error"]["code"] == "BadRequest"
        r = await c.post(f"{GRAPH}/v1.0/$batch", json={"requests": [{"id": "1", "method": "GET", "url": "/users",
                                                                     "dependsOn": ["9"]}]})
        assert r.status_code == 400
    assert [rec.batch for rec in emu.requests].count(True) == 7  # the 424 never ran


# --- faults -----------------------------------------------------------------------------------------
async def test_fault_kinds_and_their_shapes(emu: Emulator) -> None:
    users_url = f"{GRAPH}/v1.0/users"
    fw_url = f"{ARM}/subscriptions/{SUB}/providers/Microsoft.Network/azureFirewalls?{API}"
    async with client(emu) as c:
        normal = (await c.get(users_url)).content

        emu.faults.add(Fault("users", "throttle", times=1, retry_after=None))
        r = await c.get(users_url)
        assert r.status_code == 429 and "Retry-After" not in r.headers
        assert r.json()["error"]["code"] == "TooManyRequests"

        emu.faults.add(Fault("azureFirewalls", "throttle", times=1, retry_after=2))
        r = await c.get(fw_url)
        assert r.status_code == 429 and r.headers["Retry-After"] == "2"
        assert r.json()["error"]["code"] == "SubscriptionRequestsThrottled" and "'2' seconds" in r.text

        for status, graph_code, arm_code in [(500, "generalException", "InternalServerError"),
                                             (503, "serviceNotAvailable", "ServiceUnavailable")]:
            emu.faults.clear()
            emu.faults.add(Fault(".*", "error", times=2, status=status))
            r = await c.get(users_url)
            assert r.status_code == status and r.json()["error"]["code"] == graph_code
            assert r.json()["error"]["innerError"]["request-id"] == r.headers["request-id"]
            r = await c.get(fw_url)
            assert r.status_code == status and r.json() == {"error": {"code": arm_code,
                                                                      "message": r.json()["error"]["message"]}}

        emu.faults.clear()
        emu.faults.add(Fault(".*", "forbidden", times=2))
        r = await c.get(users_url)
        assert r.status_code == 403 and r.json()["error"]["code"] == "Authorization_RequestDenied"
        assert r.json()["error"]["message"] == "Insufficient privileges to complete the operation."
        r = await c.get(fw_url)
        assert r.status_code == 403 and r.json()["error"]["code"] == "AuthorizationFailed"
        assert "'Microsoft.Network/azureFirewalls/read'" in r.json()["error"]["message"]
        assert f"over scope '/subscriptions/{SUB}'" in r.json()["error"]["message"]

        emu.faults.add(Fault("users", "malformed", times=1))
        r = await c.get(users_url)
        assert r.status_code == 200
        with pytest.raises(ValueError):
            r.json()

        emu.faults.add(Fault("users", "truncated", times=1))
        r = await c.get(users_url)
        assert r.status_code == 200 and 0 < len(r.content) < len(normal) and normal.startswith(r.content)
        with pytest.raises(ValueError):
            json.loads(r.content)

        emu.faults.add(Fault("users", "reset", times=1))
        with pytest.raises(httpx.ReadError, match="Connection reset by peer"):
            await c.get(users_url)
        assert emu.requests[-1].status is None

        emu.faults.add(Fault("users", "latency", times=1, seconds=0.05))
        started = time.perf_counter()
        assert (await c.get(users_url)).status_code == 200
        assert time.perf_counter() - started >= 0.05
        assert (await c.get(users_url)).content == normal
    assert [f.fired for f in emu.faults.faults] == [2, 1, 1, 1, 1]


async def test_after_and_times_and_reset_in_process(emu: Emulator) -> None:
    rule = emu.faults.add("GET /v1.0/users.*=throttle:retry_after=1:times=2:after=1")
    async with client(emu) as c:
        statuses = [(await c.get(f"{GRAPH}/v1.0/users")).status_code for _ in range(5)]
    assert statuses == [200, 429, 429, 200, 200]
    assert (rule.seen, rule.fired) == (5, 2)
    emu.faults.add(Fault("organization", "reset"))
    with pytest.raises(ConnectionResetFault):
        await httpx.ASGITransport(app=emu.app).handle_async_request(
            httpx.Request("GET", f"{GRAPH}/v1.0/organization", headers={"Authorization": f"Bearer {TOKEN}"}))


def test_fault_spec_parser() -> None:
    rule = parse_fault("GET /v1.0/users.*=throttle:retry_after=1:times=2")
    assert (rule.match, rule.kind, rule.times, rule.after, rule.params) == (
        "GET /v1.0/users.*", "throttle", 2, 0, {"retry_after": 1})
    assert parse_fault(r"\$top=5=throttle:retry_after=none").params == {"retry_after": None}
    assert parse_fault(".*=latency:seconds=0.5:after=3").params == {"seconds": 0.5}
    assert parse_fault("signIns=error:status=503").params["status"] == 503
    assert parse_fault("x=reset").kind == "reset"
    for bad in ("no-kind-here", "x=explode", "x=error:status=404", "x=throttle:seconds=1", "x=latency:times=1.5",
                "[=reset"):
        with pytest.raises(FaultSpecError):
            parse_fault(bad)
    plan = FaultPlan([Fault("a", "latency", seconds=0.1), Fault("a", "latency", seconds=0.2),
                      Fault("a", "forbidden")])
    decision = plan.decide("GET /a")
    assert decision.delay == pytest.approx(0.3) and decision.fault is plan.faults[2]


# --- writes -----------------------------------------------------------------------------------------
async def test_graph_writes_are_visible_to_later_reads(emu: Emulator) -> None:
    base = f"{GRAPH}/v1.0/identity/conditionalAccess"
    async with client(emu) as c:
        before = (await collect(c, f"{base}/policies"))[0]
        r = await c.post(f"{base}/policies", json={"displayName": "Block legacy", "state": "disabled",
                                                   "conditions": {"clientAppTypes": ["other"]}})
        assert r.status_code == 201
        created = r.json()
        assert created["@odata.context"].endswith("#identity/conditionalAccess/policies/$entity")
        assert created["id"] and created["createdDateTime"].endswith("Z") and created["modifiedDateTime"] is None
        pid = created["id"]
        after = (await collect(c, f"{base}/policies"))[0]
        assert len(after) == len(before) + 1 and after[-1]["displayName"] == "Block legacy"
        r = await c.patch(f"{base}/policies/{pid}", json={"state": "enabledForReportingButNotEnforced",
                                                          "conditions": {"platforms": {"includePlatforms": ["all"]}}})
        assert r.status_code == 204
        got = (await c.get(f"{base}/policies/{pid}")).json()
        assert got["state"] == "enabledForReportingButNotEnforced" and got["modifiedDateTime"]
        assert got["conditions"] == {"clientAppTypes": ["other"], "platforms": {"includePlatforms": ["all"]}}
        assert (await c.delete(f"{base}/policies/{pid}")).status_code == 204
        assert (await c.get(f"{base}/policies/{pid}")).status_code == 404
        assert (await collect(c, f"{base}/policies"))[0] == before

        r = await c.post(f"{base}/namedLocations", json={"@odata.type": "#microsoft.graph.ipNamedLocation",
                                                         "displayName": "HQ", "isTrusted": True,
                                                         "ipRanges": [{"cidrAddress": "198.51.100.0/24"}]})
        assert r.status_code == 201 and r.json()["@odata.type"] == "#microsoft.graph.ipNamedLocation"
        assert (await c.get(f"{base}/namedLocations/{r.json()['id']}")).json()["displayName"] == "HQ"

        assert (await c.patch(f"{GRAPH}/v1.0/users/{BG1}", json={"accountEnabled": False})).status_code == 204
        assert (await c.get(f"{GRAPH}/v1.0/users/{BG1}")).json()["accountEnabled"] is False
        r = await c.post(f"{GRAPH}/v1.0/users/bg-admin-01@contoso.onmicrosoft.com/revokeSignInSessions")
        assert r.status_code == 200
        assert r.json() == {"@odata.context": f"{GRAPH}/v1.0/$metadata#Edm.Boolean", "value": True}
        assert (await c.get(f"{GRAPH}/v1.0/users/{BG1}")).json()["signInSessionsValidFromDateTime"]
        assert emu.state.revoked == [BG1]

        recorded = next(a for a in read("graph/beta/applications.json") if a["id"] == PA_APP)
        r = await c.patch(f"{GRAPH}/beta/applications/{PA_APP}",
                          json={"onPremisesPublishing": {"isAccessibleViaZTNAClient": False}})
        assert r.status_code == 204
        app = (await c.get(f"{GRAPH}/beta/applications/{PA_APP}")).json()
        assert app["onPremisesPublishing"] == {**recorded["onPremisesPublishing"], "isAccessibleViaZTNAClient": False}

        segments = (await collect(c, f"{GRAPH}{SEGMENTS}"))[0]
        r = await c.post(f"{GRAPH}{SEGMENTS}", json={"destinationHost": "10.9.9.0/24", "destinationType":
                                                     "ipRangeCidr", "ports": ["443-443"], "protocol": "tcp"})
        assert r.status_code == 201 and r.json()["@odata.type"] == "#microsoft.graph.ipApplicationSegment"
        seg = r.json()["id"]
        assert len((await collect(c, f"{GRAPH}{SEGMENTS}"))[0]) == len(segments) + 1
        assert (await c.delete(f"{GRAPH}{SEGMENTS}/{seg}")).status_code == 204
        assert (await collect(c, f"{GRAPH}{SEGMENTS}"))[0] == segments

        sp = read("graph/v1.0/servicePrincipals.json")[0]["id"]
        r = await c.post(f"{GRAPH}/v1.0/servicePrincipals/{sp}/appRoleAssignedTo",
                         json={"principalId": BG1, "resourceId": sp,
                               "appRoleId": "00000000-0000-0000-0000-000000000000"})
        assert r.status_code == 201
        assert (r.json()["principalType"], r.json()["resourceId"]) == ("User", sp)
        aid = r.json()["id"]
        assert aid in {a["id"] for a in (await collect(c, f"{GRAPH}/v1.0/servicePrincipals/{sp}/appRoleAssignedTo"))[0]}
        assert (await c.delete(f"{GRAPH}/v1.0/servicePrincipals/{sp}/appRoleAssignedTo/{aid}")).status_code == 204

        assert (await c.delete(f"{GRAPH}/v1.0/users/{BG1}")).status_code == 405
        r = await c.post(f"{base}/policies", content=b"not json")
        assert r.status_code == 400
    assert [w.method for w in emu.state.writes][:4] == ["POST", "PATCH", "DELETE", "POST"]


async def test_arm_writes_are_visible_to_later_reads(emu: Emulator) -> None:
    rcgs = f"{ARM}{POLICY}/ruleCollectionGroups"
    rule_url = f"{ARM}{NSG}/securityRules/Deny-VPN-Pool"
    props = {"priority": 4000, "ruleCollections": [{"ruleCollectionType": "FirewallPolicyFilterRuleCollection",
                                                    "name": "deny-all", "priority": 100, "action": {"type": "Deny"},
                                                    "rules": []}]}
    async with client(emu) as c:
        before = (await collect(c, f"{rcgs}?{API}"))[0]
        r = await c.put(f"{rcgs}/rcg-new?{API}", json={"properties": props})
        assert r.status_code == 201
        assert r.json()["properties"]["provisioningState"] == "Succeeded"
        assert r.json()["id"] == f"{POLICY}/ruleCollectionGroups/rcg-new"
        r = await c.put(f"{rcgs}/RCG-NEW?{API}", json={"properties": {**props, "priority": 4001}})
        assert r.status_code == 200
        after = (await collect(c, f"{rcgs}?{API}"))[0]
        assert len(after) == len(before) + 1 and after[-1]["properties"]["priority"] == 4001
        assert (await c.get(f"{rcgs}/rcg-new?{API}")).json()["properties"]["priority"] == 4001
        assert (await c.delete(f"{rcgs}/rcg-new?{API}")).status_code == 200
        assert (await c.get(f"{rcgs}/rcg-new?{API}")).status_code == 404
        assert (await c.delete(f"{rcgs}/rcg-new?{API}")).status_code == 204

        rule = {"properties": {"protocol": "*", "sourceAddressPrefix": "172.16.0.0/24", "sourcePortRange": "*",
                               "destinationAddressPrefix": "*", "destinationPortRange": "*", "access": "Deny",
                               "priority": 4000, "direction": "Inbound"}}
        r = await c.put(f"{rule_url}?{API}", json=rule)
        assert r.status_code == 201 and r.json()["properties"]["provisioningState"] == "Succeeded"
        assert (await c.get(f"{rule_url}?{API}")).json()["properties"]["access"] == "Deny"
        nsg = (await c.get(f"{ARM}{NSG}?{API}")).json()
        assert "Deny-VPN-Pool" in [x["name"] for x in nsg["properties"]["securityRules"]]
        assert (await c.put(f"{rule_url}?{API}", json=rule)).status_code == 200
        assert (await c.delete(f"{rule_url}?{API}")).status_code == 200
        nsg = (await c.get(f"{ARM}{NSG}?{API}")).json()
        assert "Deny-VPN-Pool" not in [x["name"] for x in nsg["properties"]["securityRules"]]
        assert (await c.get(f"{rule_url}?{API}")).status_code == 404
        r = await c.put(f"{ARM}{NSG}?{API}", json={})
        assert r.status_code == 405
        r = await c.put(f"{rule_url}?{API}", content=b"{")
        assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidRequestContent"


# --- on loopback ------------------------------------------------------------------------------------
def test_serve_refuses_a_non_loopback_host() -> None:
    with pytest.raises(ValueError, match="loopback"):
        serve(DEMO, host="0.0.0.0")


def test_serve_on_an_ephemeral_loopback_port(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from ztconsole.emulator import FaultPlan, parse_fault, serve\n"
        "serve(sys.argv[1], port=0, page_size=5, faults=FaultPlan([parse_fault('organization=reset')]))\n"
    )
    env = {**os.environ, "ZTCONSOLE_TOKEN": "loop-token-from-env"}
    proc = subprocess.Popen([sys.executable, "-c", script, str(DEMO)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout or ()], daemon=True).start()
    try:
        banner: list[str] = []
        while not any("Ctrl-C" in line for line in banner):
            try:
                banner.append(lines.get(timeout=30))
            except queue.Empty:
                raise AssertionError("the emulator did not start:\n" + "".join(banner)) from None
        text = "".join(banner)
        base = re.search(r"Graph\s+(http://127\.0\.0\.1:\d+)/v1\.0/", text).group(1)  # type: ignore[union-attr]
        assert f'graph_url = "{base}"' in text and "loop-token-from-env" not in text
        with httpx.Client(base_url=base, headers={"Authorization": "Bearer loop-token-from-env"}, timeout=10) as c:
            body = c.get("/v1.0/users").json()
            assert len(body["value"]) == 5 and body["@odata.nextLink"].startswith(f"{base}/v1.0/users?")
            assert len(c.get(body["@odata.nextLink"]).json()["value"]) == 5
            arm = c.get(f"/subscriptions/{SUB2}/providers/Microsoft.Network/networkSecurityGroups?{API}").json()
            assert len(arm["value"]) == 5 and arm["nextLink"].startswith(f"{base}/subscriptions/{SUB2}/")
            assert httpx.get(f"{base}/v1.0/users", timeout=10).status_code == 401
            with pytest.raises(httpx.ReadError):  # the server resets the connection
                c.get("/v1.0/organization")
            assert c.get("/v1.0/users").status_code == 200  # and lives on
    finally:
        stop(proc)


async def test_concurrent_requests_share_one_emulator(emu: Emulator) -> None:
    async with client(emu) as c:
        pages = await asyncio.gather(*(collect(c, f"{GRAPH}/v1.0/users") for _ in range(4)))
    assert all(items == read("graph/v1.0/users.json") for items, _ in pages)


def test_irregular_arrays_are_cut_item_by_item_and_damage_is_located() -> None:
    """A hand-edited file (neither one item per line nor indented) is scanned element by element: each item
    keeps its own text; a damaged one names the line and column."""
    from ztconsole.emulator.store import parse_file
    from ztconsole.jsonscan import JsonArrayError

    got = parse_file(' [ {"id": "a", "n": [1, 2]} ,{"id":"b"}\n,  {"id": "c"} ] \n')
    assert got.raws == ['{"id": "a", "n": [1, 2]}', '{"id":"b"}', '{"id": "c"}']
    assert parse_file("[ ]").raws == []
    for text, where in (('[{"id": "a"},\n {"id": }]', "line 2 column 9"),
                        ('[{"id": "a"} {"id": "b"}]', "line 1 column 14"),
                        ('[{"id": "a"},', "truncated")):
        with pytest.raises(JsonArrayError, match=where):
            parse_file(text)

"""The emulator accepts the Graph writes that create a Private Access (per-app) application, as the service
does, through the real Graph adapter: instantiate the non-gallery template, publish it as a non-web app,
assign a connector group, add segments, assign a group; then read the tenant back with the loader."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from ztconsole.demo import demo_dir
from ztconsole.sources.errors import SourceError

GRAPH = "https://graph.microsoft.com"
GLOBAL_TEMPLATE = "8adf8e6e-67b2-4cf2-a259-e3dc5476c621"
CG_AMSTERDAM = "4b92771d-f549-535e-adf0-b205bdb40d9d"
CG_LONDON = "e547f756-d405-544e-89a5-9a22a5c9cfe3"
ALL_STAFF = "a9b4c2f1-cd3b-53fd-8649-0b0c32ba6e83"
DEFAULT_ROLE = "00000000-0000-0000-0000-000000000000"
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
SEGMENTS = "onPremisesPublishing/segmentsConfiguration/microsoft.graph.ipSegmentConfiguration/applicationSegments"


@pytest.fixture
async def stack() -> AsyncIterator[Any]:
    from ztconsole.sources.stack import open_recording

    async with await open_recording(demo_dir()) as opened:
        yield opened


def _cg_ref(cg_id: str) -> dict[str, str]:
    return {"@odata.id": f"{GRAPH}/beta/onPremisesPublishingProfiles/applicationproxy/connectorGroups/{cg_id}"}


async def _instantiate(graph: Any, name: str, *, ver: str = "beta", template: str = GLOBAL_TEMPLATE) -> Any:
    return await graph.write("POST", f"{GRAPH}/{ver}/applicationTemplates/{template}/instantiate",
                             {"displayName": name})


async def _status(call: Any) -> tuple[int | None, str]:
    with pytest.raises(SourceError) as info:
        await call
    return info.value.http_status, str(info.value.code)


async def test_instantiate_answers_an_application_service_principal(stack: Any) -> None:
    graph = stack.readers["graph"]
    made = await _instantiate(graph, "PA - Finance file shares")
    assert made["@odata.context"] == f"{GRAPH}/beta/$metadata#microsoft.graph.applicationServicePrincipal"
    app, sp = made["application"], made["servicePrincipal"]
    assert GUID.match(app["id"]) and GUID.match(app["appId"]) and GUID.match(sp["id"])
    assert len({app["id"], app["appId"], sp["id"]}) == 3
    assert app["displayName"] == "PA - Finance file shares"
    assert app["tags"] == [] and app["appRoles"] == []
    assert app["applicationTemplateId"] == GLOBAL_TEMPLATE
    assert sp["appId"] == app["appId"] and sp["displayName"] == app["displayName"]
    assert sp["appRoleAssignmentRequired"] is False
    assert sp["tags"] == ["WindowsAzureActiveDirectoryIntegratedApp"]
    assert sp["servicePrincipalType"] == "Application"
    assert [w.method for w in stack.emulator.state.writes] == ["POST"]
    assert stack.emulator.state.writes[0].status == 201


@pytest.mark.parametrize("template", ["4602d0b4-76bb-404b-bca9-2652e1a39c6d", "5a532e38-1581-4918-9658-008dc27c1d68"])
async def test_the_national_cloud_templates_and_v1_are_accepted(stack: Any, template: str) -> None:
    made = await _instantiate(stack.readers["graph"], "PA - gov", ver="v1.0", template=template)
    assert made["@odata.context"] == f"{GRAPH}/v1.0/$metadata#microsoft.graph.applicationServicePrincipal"
    assert made["application"]["applicationTemplateId"] == template


async def test_the_new_application_and_service_principal_are_readable(stack: Any) -> None:
    graph = stack.readers["graph"]
    made = await _instantiate(graph, "PA - Readable")
    app, sp = made["application"], made["servicePrincipal"]
    got = await graph.read(f"{GRAPH}/beta/applications/{app['id']}")
    assert got["@odata.context"].endswith("/$entity")
    assert got["appId"] == app["appId"] and got["displayName"] == "PA - Readable"
    listed = await graph.read(f"{GRAPH}/beta/applications?$filter=id eq '{app['id']}'")
    assert [a["id"] for a in listed["value"]] == [app["id"]]
    assert (await graph.read(f"{GRAPH}/v1.0/applications/{app['id']}"))["id"] == app["id"]
    got_sp = await graph.read(f"{GRAPH}/v1.0/servicePrincipals/{sp['id']}")
    assert got_sp["appId"] == app["appId"]
    sps = await graph.read(f"{GRAPH}/v1.0/servicePrincipals?$filter=id eq '{sp['id']}'")
    assert [s["id"] for s in sps["value"]] == [sp["id"]]


async def test_patch_on_premises_publishing_is_merged(stack: Any) -> None:
    graph = stack.readers["graph"]
    app = (await _instantiate(graph, "PA - Patched"))["application"]
    url = f"{GRAPH}/beta/applications/{app['id']}"
    publishing = {"applicationType": "nonwebapp", "isAccessibleViaZTNAClient": True}
    assert await graph.write("PATCH", url, {"onPremisesPublishing": publishing}) is None
    assert await graph.write("PATCH", url, {"onPremisesPublishing": {"externalAuthenticationType":
                                                                     "aadPreAuthentication"}}) is None
    got = await graph.read(f"{url}?$select=id,displayName,onPremisesPublishing")
    assert got["onPremisesPublishing"] == {**publishing, "externalAuthenticationType": "aadPreAuthentication"}
    assert got["displayName"] == "PA - Patched"


async def test_connector_group_ref_sets_the_apps_connector_group(stack: Any) -> None:
    graph = stack.readers["graph"]
    app = (await _instantiate(graph, "PA - Linked"))["application"]
    url = f"{GRAPH}/beta/applications/{app['id']}/connectorGroup"
    assert (await _status(graph.read(url)))[0] == 404  # none yet
    assert await graph.write("PUT", f"{url}/$ref", _cg_ref(CG_AMSTERDAM)) is None
    got = await graph.read(url)
    assert got["id"] == CG_AMSTERDAM and got["name"] == "CG-Datacenter-Amsterdam"
    assert await graph.write("PUT", f"{url}/$ref", _cg_ref(CG_LONDON)) is None  # replaced
    assert (await graph.read(url))["id"] == CG_LONDON
    # a recorded application's link is replaced too
    recorded = "a9dd2597-cd71-508d-b9e3-7b5192fff56d"
    await graph.write("PUT", f"{GRAPH}/beta/applications/{recorded}/connectorGroup/$ref", _cg_ref(CG_LONDON))
    assert (await graph.read(f"{GRAPH}/beta/applications/{recorded}/connectorGroup"))["id"] == CG_LONDON


async def test_service_principal_patch(stack: Any) -> None:
    graph = stack.readers["graph"]
    sp = (await _instantiate(graph, "PA - Required"))["servicePrincipal"]
    url = f"{GRAPH}/v1.0/servicePrincipals/{sp['id']}"
    assert await graph.write("PATCH", url, {"appRoleAssignmentRequired": True}) is None
    got = await graph.read(url)
    assert got["appRoleAssignmentRequired"] is True and got["tags"] == ["WindowsAzureActiveDirectoryIntegratedApp"]


async def test_the_whole_sequence_loads_as_a_private_access_app(stack: Any) -> None:
    from ztconsole.sources.loader import Loader

    graph = stack.readers["graph"]
    made = await _instantiate(graph, "PA - New per-app")
    app, sp = made["application"], made["servicePrincipal"]
    app_url = f"{GRAPH}/beta/applications/{app['id']}"
    await graph.write("PATCH", app_url, {"onPremisesPublishing": {"applicationType": "nonwebapp",
                                                                  "isAccessibleViaZTNAClient": True}})
    await graph.write("PUT", f"{app_url}/connectorGroup/$ref", _cg_ref(CG_AMSTERDAM))
    segments = [
        {"destinationHost": "10.20.0.0/16", "destinationType": "ipRangeCidr", "ports": ["445-445"],
         "protocol": "tcp"},
        {"destinationHost": "files.contoso.local", "destinationType": "fqdn", "ports": ["443-443", "80-80"],
         "protocol": "tcp"},
    ]
    made_segments = [await graph.write("POST", f"{app_url}/{SEGMENTS}", s) for s in segments]
    assert [s["@odata.type"] for s in made_segments] == ["#microsoft.graph.ipApplicationSegment"] * 2
    assignment = await graph.write("POST", f"{GRAPH}/v1.0/servicePrincipals/{sp['id']}/appRoleAssignedTo",
                                   {"principalId": ALL_STAFF, "resourceId": sp["id"], "appRoleId": DEFAULT_ROLE})
    assert assignment["resourceId"] == sp["id"] and assignment["principalType"] == "Group"
    assert assignment["principalDisplayName"] == "All Staff" and assignment["resourceDisplayName"] == "PA - New per-app"
    listed = await graph.read(f"{app_url}/{SEGMENTS}")
    assert [s["destinationHost"] for s in listed["value"]] == ["10.20.0.0/16", "files.contoso.local"]

    keys = ["applications", "app_segments", "app_connector_group", "connector_groups", "service_principals",
            "app_role_assignments", "groups"]
    tenant = await Loader(stack.readers, stack.info, options=stack.options).load(keys)
    assert all(tenant.results[k].status == "ok" for k in keys), {k: tenant.results[k] for k in keys}
    loaded = tenant.applications_by_id[app["id"]]
    assert loaded.is_private_access and loaded.is_ztna and loaded.display_name == "PA - New per-app"
    assert [(s.destination_host, s.ports) for s in tenant.app_segments[app["id"]]] == [
        ("10.20.0.0/16", ("445-445",)), ("files.contoso.local", ("443-443", "80-80"))]
    assert tenant.app_connector_group[app["id"]].name == "CG-Datacenter-Amsterdam"
    assert tenant.service_principals_by_app_id[app["appId"]].id == sp["id"]
    [loaded_assignment] = tenant.app_role_assignments[sp["id"]]
    assert loaded_assignment.principal_id == ALL_STAFF and loaded_assignment.app_role_id == DEFAULT_ROLE


async def test_delete_takes_the_service_principal_segments_and_link_with_it(stack: Any) -> None:
    graph = stack.readers["graph"]
    made = await _instantiate(graph, "PA - Rolled back")
    app, sp = made["application"], made["servicePrincipal"]
    app_url = f"{GRAPH}/beta/applications/{app['id']}"
    await graph.write("PUT", f"{app_url}/connectorGroup/$ref", _cg_ref(CG_AMSTERDAM))
    await graph.write("POST", f"{app_url}/{SEGMENTS}", {"destinationHost": "10.1.1.1", "destinationType": "ip",
                                                        "ports": ["22-22"], "protocol": "tcp"})
    await graph.write("POST", f"{GRAPH}/v1.0/servicePrincipals/{sp['id']}/appRoleAssignedTo",
                      {"principalId": ALL_STAFF, "resourceId": sp["id"], "appRoleId": DEFAULT_ROLE})
    assert await graph.write("DELETE", app_url) is None
    for url in (app_url, f"{app_url}/connectorGroup", f"{app_url}/{SEGMENTS}",
                f"{GRAPH}/v1.0/servicePrincipals/{sp['id']}",
                f"{GRAPH}/v1.0/servicePrincipals/{sp['id']}/appRoleAssignedTo"):
        assert (await _status(graph.read(url)))[0] == 404, url
    sps = await graph.read(f"{GRAPH}/v1.0/servicePrincipals?$filter=id eq '{sp['id']}'")
    assert sps["value"] == []
    # a recorded application's segments and link (files on disk) go as well
    recorded = "a9dd2597-cd71-508d-b9e3-7b5192fff56d"
    assert (await graph.read(f"{GRAPH}/beta/applications/{recorded}/{SEGMENTS}"))["value"]
    await graph.write("DELETE", f"{GRAPH}/beta/applications/{recorded}")
    assert (await _status(graph.read(f"{GRAPH}/beta/applications/{recorded}/{SEGMENTS}")))[0] == 404
    assert (await _status(graph.read(f"{GRAPH}/beta/applications/{recorded}/connectorGroup")))[0] == 404


async def test_the_error_cases(stack: Any) -> None:
    graph = stack.readers["graph"]
    assert await _status(_instantiate(graph, "x", template="11111111-2222-3333-4444-555555555555")) == \
        (404, "Request_ResourceNotFound")
    assert (await _status(graph.write("POST", f"{GRAPH}/beta/applicationTemplates/{GLOBAL_TEMPLATE}/instantiate",
                                      {})))[0] == 400
    assert (await _status(_instantiate(graph, "  ")))[0] == 400
    app = (await _instantiate(graph, "PA - Errors"))["application"]
    ref = f"{GRAPH}/beta/applications/{app['id']}/connectorGroup/$ref"
    unknown_cg = "99999999-9999-9999-9999-999999999999"
    assert await _status(graph.write("PUT", ref, _cg_ref(unknown_cg))) == (404, "Request_ResourceNotFound")
    assert (await _status(graph.write("PUT", ref, {"@odata.id": 42})))[0] == 400
    unknown_app = "00000000-1111-2222-3333-444444444444"
    assert (await _status(graph.write("PUT", f"{GRAPH}/beta/applications/{unknown_app}/connectorGroup/$ref",
                                      _cg_ref(CG_AMSTERDAM))))[0] == 404
    assert (await _status(graph.write("POST", f"{GRAPH}/beta/applications/{unknown_app}/{SEGMENTS}",
                                      {"destinationHost": "10.0.0.1", "destinationType": "ip",
                                       "ports": ["22-22"], "protocol": "tcp"})))[0] == 404
    assert (await _status(graph.write("PATCH", f"{GRAPH}/beta/applications/{unknown_app}",
                                      {"displayName": "x"})))[0] == 404
    assert (await _status(graph.write("DELETE", f"{GRAPH}/beta/applications/{unknown_app}")))[0] == 404
    # PUT is for the connector group reference only
    assert (await _status(graph.write("PUT", f"{GRAPH}/beta/applications/{app['id']}", {})))[0] == 405
    # GET of the instantiate action is not a read
    assert (await _status(graph.read(f"{GRAPH}/beta/applicationTemplates/{GLOBAL_TEMPLATE}/instantiate")))[0] \
        in (400, 404, 405)
    # nothing failed was recorded as a write
    assert [w.status for w in stack.emulator.state.writes] == [201]

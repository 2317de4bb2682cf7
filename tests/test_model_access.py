"""The Private Access / Global Secure Access model: real payloads, derived values, wire fidelity."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from ztconsole.datasets import DATASETS
from ztconsole.model import access
from ztconsole.model.access import (
    Application,
    ApplicationSegment,
    ApplicationServicePrincipal,
    AppRoleAssignment,
    AssociatedBranch,
    Association,
    ConditionalAccessSettings,
    Connector,
    ConnectorGroup,
    ForwardingProfile,
    IpSegmentConfiguration,
    ServicePrincipal,
)
from ztconsole.model.wire import WireError, parse_items, parse_one, unwrap_collection, unwrap_single

REALWORLD = Path("/work/shared/realworld")

# every file in the two folders, with the model it is read as and whether it is a collection
FILES: dict[str, tuple[type, bool]] = {
    "private-access/beta-application-segment-create.json": (ApplicationSegment, False),
    "private-access/beta-application-segment-create.request.json": (ApplicationSegment, False),
    "private-access/beta-application-segments-list.json": (ApplicationSegment, True),
    "private-access/beta-connectorgroup-create.json": (ConnectorGroup, False),
    "private-access/beta-connectorgroups-list.json": (ConnectorGroup, True),
    "private-access/beta-connectors-list.json": (Connector, True),
    "private-access/v1.0-applicationtemplate-instantiate-custom.json": (ApplicationServicePrincipal, False),
    "network-access/beta-networkaccess-forwardingprofiles-list.json": (ForwardingProfile, True),
    "network-access/beta-networkaccess-settings-conditionalaccess-get.json": (
        ConditionalAccessSettings, False),
}


def load(name: str) -> tuple[list, list]:
    """Parse one real-world file; returns (objects, notes) and fails the test on any WireError."""
    cls, is_collection = FILES[name]
    body = json.loads((REALWORLD / name).read_text())
    notes: list = []
    if is_collection:
        items, prefix = unwrap_collection(body)
        objs, errors = parse_items(cls, items, prefix, notes)
        assert errors == []
        assert len(objs) == len(items)
        return objs, notes
    return [parse_one(cls, unwrap_single(body), (), notes)], notes


def test_every_realworld_file_is_covered():
    present = {
        str(p.relative_to(REALWORLD))
        for folder in ("private-access", "network-access")
        for p in (REALWORLD / folder).glob("*.json")
    }
    assert present == set(FILES)


@pytest.mark.parametrize("name", sorted(FILES))
def test_realworld_parses_and_round_trips(name):
    objs, _ = load(name)
    cls = FILES[name][0]
    for obj in objs:
        assert isinstance(obj, cls)
        assert parse_one(cls, obj.to_wire()) == obj


def test_segment_create_ports_and_protocol():
    (seg,), notes = load("private-access/beta-application-segment-create.json")
    assert notes == []
    assert seg.id == "2b52958c-9d0c-449d-a985-c29d488a6335"
    assert seg.destination_host == "test2.com"
    assert seg.destination_type == "fqdn"
    assert seg.port_ranges == ((445, 445), (3389, 3389))  # port 0 is "none", not port 0
    assert seg.protocols == ("tcp",)


def test_segment_request_body_has_no_id():
    (seg,), _ = load("private-access/beta-application-segment-create.request.json")
    assert seg.id is None
    assert seg.port_ranges == ((445, 445), (3389, 3389))


def test_segment_type_template_loads_with_notes_and_no_ranges():
    (seg,), notes = load("private-access/beta-application-segments-list.json")
    assert seg.port == "Integer"
    assert seg.port_ranges == ()
    assert seg.protocols == ("string",)
    assert {str(n) for n in notes} == {
        "$.value[0].destinationType: unknown value 'String'; kept as is",
        "$.value[0].protocol: unknown value 'String'; kept as is",
    }
    assert seg.to_wire()["@odata.type"] == "#microsoft.graph.ipApplicationSegment"


def test_connector_groups():
    (group,), notes = load("private-access/beta-connectorgroup-create.json")
    assert (group.name, group.connector_group_type, group.region, group.is_default) == (
        "Private Access ConnectorGroup", "applicationProxy", "eur", False)
    assert notes == []
    (template,), notes = load("private-access/beta-connectorgroups-list.json")
    assert template.is_default is True
    assert sorted(n.path for n in notes) == [("value", 0, "connectorGroupType"), ("value", 0, "region")]


def test_connectors_status():
    connectors, notes = load("private-access/beta-connectors-list.json")
    assert [(c.machine_name, c.status, c.is_active) for c in connectors] == [
        ("connectorA.redmond.contoso.com", "active", True),
        ("connectorB.contoso.com", "active", True),
    ]
    assert connectors[0].external_ip == "131.137.147.164"
    assert notes == []


def test_forwarding_profiles():
    profiles, notes = load("network-access/beta-networkaccess-forwardingprofiles-list.json")
    assert notes == []
    by_type = {p.traffic_forwarding_type: p for p in profiles}
    assert set(by_type) == {"internet", "private", "m365"}
    assert [by_type[t].is_enabled for t in ("m365", "internet", "private")] == [True, False, False]
    assert by_type["private"].priority == 1
    assert by_type["m365"].last_modified_date_time.isoformat() == "2023-05-24T05:06:24+00:00"
    (assoc,) = by_type["internet"].associations
    assert isinstance(assoc, AssociatedBranch)
    assert assoc.branch_id == "929a620e-fbfe-4041-bcc1-56431ca99606"
    assert by_type["internet"].to_wire()["associations"] == [
        {"@odata.type": "#microsoft.graph.networkaccess.associatedBranch",
         "branchId": "929a620e-fbfe-4041-bcc1-56431ca99606"}]


def test_forwarding_profile_policies_and_service_principal():
    profile = ForwardingProfile.from_wire({
        "id": "p1", "trafficForwardingType": "private", "state": "enabled",
        "policies": [{"@odata.type": "#microsoft.graph.networkaccess.forwardingPolicyLink",
                      "id": "l1", "state": "disabled", "version": "1.0.0",
                      "policy": {"id": "pol1", "name": "Custom Bypass", "trafficForwardingType": "private"}}],
        "servicePrincipal": {"id": "sp1", "appId": "app1"},
    })
    (link,) = profile.policies
    assert (link.state, link.policy.name, link.policy.traffic_forwarding_type) == (
        "disabled", "Custom Bypass", "private")
    assert (profile.service_principal.id, profile.service_principal.app_id) == ("sp1", "app1")


def test_conditional_access_signalling():
    (settings,), notes = load("network-access/beta-networkaccess-settings-conditionalaccess-get.json")
    assert settings.signaling_status == "disabled"
    assert settings.is_enabled is False
    assert notes == []
    assert ConditionalAccessSettings.from_wire({"signalingStatus": "enabled"}).is_enabled


def test_instantiate_response():
    (result,), notes = load("private-access/v1.0-applicationtemplate-instantiate-custom.json")
    assert notes == []
    app, sp = result.application, result.service_principal
    assert app.id == "bf21f7e9-9d25-4da2-82ab-7fdd85049f83"
    assert app.app_id == sp.app_id == "32977d3b-ee0e-4614-9f50-f583a07842d2"
    assert app.sign_in_audience == "AzureADMyOrg"
    assert not (app.is_private_access or app.is_quick_access or app.is_ztna)
    assert sp.app_role_assignment_required is True
    assert [r.display_name for r in sp.app_roles] == ["User", "msiam_access"]
    assert sp.app_roles[0].value is None
    assert sp.unknown("homepage").startswith("https://account.activedirectory")


# --- derived values ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ({"port": 445}, ((445, 445),)),
        ({"ports": ["3389-3389", "445-445"]}, ((445, 445), (3389, 3389))),
        ({"port": 80, "ports": ["81-90", "150-300", "100-200"]}, ((80, 90), (100, 300))),
        ({"port": 443, "ports": ["443-443"]}, ((443, 443),)),
        ({"ports": ["1-65535"]}, ((1, 65535),)),
        ({"ports": ["53"]}, ((53, 53),)),
        ({"port": 0, "ports": []}, ()),
        ({"port": "Integer", "ports": ["String", "90-80", "0-10", "70000", "1-", "", "4\u0664"]}, ()),
        ({"port": True, "ports": [" 22 - 23 "]}, ((22, 23),)),
        ({}, ()),
    ],
)
def test_port_ranges(wire, expected):
    assert ApplicationSegment.from_wire(wire).port_ranges == expected


@pytest.mark.parametrize(
    ("protocol", "expected"),
    [("tcp", ("tcp",)), ("tcp,udp", ("tcp", "udp")), ("udp, tcp", ("udp", "tcp")), (None, ())],
)
def test_protocols(protocol, expected):
    wire = {} if protocol is None else {"protocol": protocol}
    assert ApplicationSegment.from_wire(wire).protocols == expected


def test_tcp_udp_is_a_known_protocol_value():
    notes: list = []
    ApplicationSegment.from_wire({"protocol": "tcp,udp", "destinationType": "ipRangeCidr"}, (), notes)
    assert notes == []


@pytest.mark.parametrize(
    ("wire", "private", "quick", "ztna"),
    [
        ({"tags": [access.TAG_HIDE_APP, access.TAG_QUICK_ACCESS]}, True, True, True),
        ({"tags": [access.TAG_ZTNA_CLIENT, access.TAG_HIDE_APP, access.TAG_PRIVATE_ACCESS]},
         True, False, True),
        ({"tags": [access.TAG_NETWORK_ACCESS_MANAGED]}, True, False, True),
        ({"tags": ["networkaccessquickaccessapplication"]}, True, True, True),
        ({"onPremisesPublishing": {"applicationType": "quickaccessapp"}}, True, True, True),
        ({"onPremisesPublishing": {"applicationType": "nonwebapp"}}, True, False, True),
        ({"onPremisesPublishing": {"isAccessibleViaZTNAClient": True}}, False, False, True),
        ({"tags": [access.TAG_ZTNA_CLIENT]}, False, False, True),
        ({"onPremisesPublishing": {"isAccessibleViaZTNAClient": False}}, False, False, False),
        ({"tags": [access.TAG_HIDE_APP, "WindowsAzureActiveDirectoryIntegratedApp"]}, False, False, False),
    ],
)
def test_application_kinds(wire, private, quick, ztna):
    app = Application.from_wire({"id": "a1", **wire})
    assert (app.is_private_access, app.is_quick_access, app.is_ztna) == (private, quick, ztna)


def test_service_principal_kinds():
    qa = ServicePrincipal.from_wire({"id": "s1", "tags": [access.TAG_HIDE_APP, access.TAG_QUICK_ACCESS]})
    pa = ServicePrincipal.from_wire({"id": "s2", "tags": [access.TAG_PRIVATE_ACCESS]})
    other = ServicePrincipal.from_wire({"id": "s3", "tags": ["WindowsAzureActiveDirectoryIntegratedApp"]})
    assert (qa.is_private_access, qa.is_quick_access) == (True, True)
    assert (pa.is_private_access, pa.is_quick_access) == (True, False)
    assert (other.is_private_access, other.is_quick_access) == (False, False)


def test_application_publishing_details_and_inline_segments():
    app = Application.from_wire({
        "id": "a1",
        "onPremisesPublishing": {
            "applicationType": "nonwebapp", "externalAuthenticationType": "aadPreAuthentication",
            "isAccessibleViaZTNAClient": True, "isDnsResolutionEnabled": False,
            "verifiedCustomDomainCertificatesMetadata": {
                "expiryDate": "2026-01-31T00:00:00Z", "subjectName": "CN=files.contoso.com"},
            "segmentsConfiguration": {
                "@odata.type": "#microsoft.graph.ipSegmentConfiguration",
                "applicationSegments": [
                    {"destinationHost": "10.0.0.0/24", "destinationType": "ipRangeCidr",
                     "ports": ["445-445"], "protocol": "tcp"}]},
        },
    })
    opp = app.on_premises_publishing
    assert opp.external_authentication_type == "aadPreAuthentication"
    assert opp.verified_custom_domain_certificates_metadata.expiry_date.year == 2026
    assert isinstance(opp.segments_configuration, IpSegmentConfiguration)
    (seg,) = app.segments
    assert (seg.destination_host, seg.port_ranges) == ("10.0.0.0/24", ((445, 445),))
    assert parse_one(Application, app.to_wire()) == app
    assert Application.from_wire({"id": "a2"}).segments == ()


def test_app_role_assignment():
    a = AppRoleAssignment.from_wire({
        "id": "x", "principalId": "g1", "principalType": "Group", "principalDisplayName": "Finance",
        "resourceId": "sp1", "appRoleId": access.DEFAULT_APP_ROLE_ID,
        "createdDateTime": "2024-02-22T16:48:09.1234567Z"})
    assert (a.principal_type, a.principal_display_name, a.app_role_id) == (
        "Group", "Finance", "00000000-0000-0000-0000-000000000000")
    assert a.created_date_time.microsecond == 123456
    assert parse_one(AppRoleAssignment, a.to_wire()) == a


# --- wire fidelity ------------------------------------------------------------------------------------


def test_unknown_properties_survive():
    wire = {
        "id": "a1", "displayName": "[b]Files[/b]", "futureProperty": {"nested": [1, 2]},
        "onPremisesPublishing": {"externalUrl": "https://files.contoso.com/", "newKnob": "on"},
    }
    app = Application.from_wire(copy.deepcopy(wire))
    assert app.display_name == "[b]Files[/b]"
    assert app.unknown("futureProperty") == {"nested": [1, 2]}
    assert app.on_premises_publishing.unknown("newKnob") == "on"
    out = app.to_wire()
    assert out["futureProperty"] == {"nested": [1, 2]}
    assert out["onPremisesPublishing"] == wire["onPremisesPublishing"]


def test_unknown_enum_value_is_kept_and_noted():
    notes: list = []
    connectors, errors = parse_items(
        Connector, [{"id": "c1", "status": "active"}, {"id": "c2", "status": "degraded"}], (), notes)
    assert errors == []
    assert connectors[1].status == "degraded"
    assert connectors[1].is_active is False
    assert [str(n) for n in notes] == ["$[1].status: unknown value 'degraded'; kept as is"]
    assert connectors[1].to_wire()["status"] == "degraded"


def test_unknown_association_type_is_kept_and_noted():
    notes: list = []
    body = {"value": [{"id": "p1", "associations": [
        {"@odata.type": "#microsoft.graph.networkaccess.associatedBranch", "branchId": "b1"},
        {"@odata.type": "#microsoft.graph.networkaccess.associatedDevice", "deviceId": "d1"}]}]}
    items, prefix = unwrap_collection(body)
    (profile,), errors = parse_items(ForwardingProfile, items, prefix, notes)
    assert errors == []
    branch, other = profile.associations
    assert isinstance(branch, AssociatedBranch)
    assert type(other) is Association
    assert other.unknown("deviceId") == "d1"
    assert [n.path for n in notes] == [("value", 0, "associations", 1, "@odata.type")]
    assert "associatedDevice" in notes[0].message
    assert profile.to_wire()["associations"][1] == body["value"][0]["associations"][1]


@pytest.mark.parametrize(
    ("cls", "items", "path"),
    [
        (Connector, [{"id": "c1"}, {"id": "c2", "status": 5}, {"id": "c3"}], "$[1].status"),
        (ApplicationSegment, [{"ports": "445-445"}, {"ports": ["1-2"]}, {}], "$[0].ports"),
        (ApplicationSegment, [{}, {"ports": ["1-2", 3]}, {}], "$[1].ports[1]"),
        (Application, [{"id": "a1"}, {"displayName": "no id"}, {"id": "a3"}], "$[1].id"),
        (Application, [{"id": "a1"}, {"id": "a2"},
                       {"id": "a3", "onPremisesPublishing": {"isAccessibleViaZTNAClient": "yes"}}],
         "$[2].onPremisesPublishing.isAccessibleViaZTNAClient"),
        (ForwardingProfile, [{"id": "p1", "associations": ["branch"]}, {"id": "p2"}, {"id": "p3"}],
         "$[0].associations[0]"),
        (ForwardingProfile, [{"id": "p1"}, {"id": "p2", "lastModifiedDateTime": "yesterday"}, {"id": "p3"}],
         "$[1].lastModifiedDateTime"),
        (ConnectorGroup, [{"id": "g1", "isDefault": "true"}, {"id": "g2"}, {"id": "g3"}], "$[0].isDefault"),
    ],
)
def test_malformed_item_names_its_path_and_the_rest_load(cls, items, path):
    objs, errors = parse_items(cls, items)
    assert len(objs) == len(items) - 1
    (error,) = errors
    assert isinstance(error, WireError)
    assert str(error).startswith(path + ":")


def test_catalogue_models_resolve_here():
    names = {d.model for d in DATASETS if d.model.startswith("access:")}
    assert names
    for d in DATASETS:
        if d.model.startswith("access:"):
            assert d.model_class() is getattr(access, d.model.partition(":")[2])

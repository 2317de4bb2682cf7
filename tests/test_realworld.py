"""Every official example response in shared/realworld parses through the model layer."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from ztconsole.model.wire import WireError, parse_items, parse_one, unwrap_collection, unwrap_single

# file name -> model class ("module:Class"). Every response body in realworld/ must be listed here,
# so a new payload cannot be skipped silently (test_every_payload_is_mapped).
MAPPING = {
    "graph-ca/v1.0-authenticationstrength-policies-list.json": "ca:AuthenticationStrengthPolicy",
    "graph-ca/v1.0-conditionalaccess-evaluate-whatif-app.json": "ca:WhatIfAnalysisResult",
    "graph-ca/v1.0-conditionalaccess-evaluate-whatif-authcontext.json": "ca:WhatIfAnalysisResult",
    "graph-ca/v1.0-conditionalaccess-policies-list.json": "ca:ConditionalAccessPolicy",
    "graph-ca/v1.0-conditionalaccess-policy-get.json": "ca:ConditionalAccessPolicy",
    "graph-ca/v1.0-namedlocation-get.json": "ca:NamedLocation",
    "graph-ca/v1.0-namedlocations-list-ipfilter.json": "ca:NamedLocation",
    "graph-ca/v1.0-namedlocations-list.json": "ca:NamedLocation",
    "graph-cae/beta-continuousaccessevaluationpolicy-get.json": "ca:ContinuousAccessEvaluationPolicy",
    "graph-common/v1.0-batch-response.json": "graphapi:BatchResponse",
    "graph-common/v1.0-error-429-toomanyrequests.json": "graphapi:ODataError",
    "graph-users/v1.0-authentication-methods-list.json": "directory:AuthenticationMethod",
    "graph-users/v1.0-roleassignments-list-expand-principal.json": "directory:RoleAssignment",
    "graph-users/v1.0-roleassignments-list-filter-principalid.json": "directory:RoleAssignment",
    "graph-users/v1.0-user-revokesigninsessions.json": "graphapi:BooleanResult",
    "graph-users/v1.0-users-list-count-eventual.json": "directory:User",
    "graph-users/v1.0-users-list-signinactivity-older.json": "directory:User",
    "graph-users/v1.0-users-list-signinactivity.json": "directory:User",
    "network/AzureFirewallGet.json": "network:AzureFirewall",
    "network/AzureFirewallGetWithIpGroups.json": "network:AzureFirewall",
    "network/AzureFirewallListBySubscription.json": "network:AzureFirewall",
    "network/FirewallPolicyGet.json": "network:FirewallPolicy",
    "network/FirewallPolicyListBySubscription.json": "network:FirewallPolicy",
    "network/FirewallPolicyNatRuleCollectionGroupGet.json": "network:RuleCollectionGroup",
    "network/FirewallPolicyRuleCollectionGroupGet.json": "network:RuleCollectionGroup",
    "network/FirewallPolicyRuleCollectionGroupList.json": "network:RuleCollectionGroup",
    "network/FirewallPolicyRuleCollectionGroupWithHttpHeadersToInsert.json": "network:RuleCollectionGroup",
    "network/FirewallPolicyRuleCollectionGroupWithIpGroupsGet.json": "network:RuleCollectionGroup",
    "network/FirewallPolicyRuleCollectionGroupWithWebCategoriesList.json": "network:RuleCollectionGroup",
    "network/IpGroupsGet.json": "network:IpGroup",
    "network/IpGroupsListBySubscription.json": "network:IpGroup",
    "network/NetworkSecurityGroupGet.json": "network:NetworkSecurityGroup",
    "network/NetworkSecurityGroupList.json": "network:NetworkSecurityGroup",
    "network/RouteTableGet.json": "network:RouteTable",
    "network/RouteTableList.json": "network:RouteTable",
    "network/VirtualNetworkPeeringGet.json": "network:VirtualNetworkPeering",
    "network/VirtualNetworkPeeringList.json": "network:VirtualNetworkPeering",
    "network-access/beta-networkaccess-forwardingprofiles-list.json": "access:ForwardingProfile",
    "network-access/beta-networkaccess-settings-conditionalaccess-get.json": "access:ConditionalAccessSettings",
    "private-access/beta-application-segment-create.json": "access:ApplicationSegment",
    "private-access/beta-application-segments-list.json": "access:ApplicationSegment",
    "private-access/beta-connectorgroup-create.json": "access:ConnectorGroup",
    "private-access/beta-connectorgroups-list.json": "access:ConnectorGroup",
    "private-access/beta-connectors-list.json": "access:Connector",
    "private-access/v1.0-applicationtemplate-instantiate-custom.json": "access:ApplicationServicePrincipal",
}


def _cls(name: str) -> type:
    module, _, cls = name.partition(":")
    return getattr(importlib.import_module(f"ztconsole.model.{module}"), cls)


def _responses(root: Path) -> list[str]:
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*.json")
        if not p.name.endswith(".request.json")
    )


def test_every_payload_is_mapped(realworld: Path) -> None:
    assert _responses(realworld) == sorted(MAPPING), "a realworld payload has no model mapping"


@pytest.mark.parametrize("rel", sorted(MAPPING))
def test_payload_parses(realworld: Path, rel: str) -> None:
    body = json.loads((realworld / rel).read_text(encoding="utf-8"))
    cls = _cls(MAPPING[rel])
    notes: list = []
    if isinstance(body, dict) and isinstance(body.get("value"), list):
        items, base = unwrap_collection(body)
        objs, errors = parse_items(cls, items, base, notes)
        assert errors == [], [str(e) for e in errors]
        assert len(objs) == len(items) > 0
        for obj, raw in zip(objs, items):
            _assert_round_trip(cls, obj, raw)
    else:
        try:
            obj = parse_one(cls, unwrap_single(body), (), notes)
        except WireError as e:  # pragma: no cover - the assertion message is the point
            pytest.fail(f"{rel}: {e}")
        _assert_round_trip(cls, obj, unwrap_single(body))


def _assert_round_trip(cls: type, obj: object, raw: dict) -> None:
    """Wire -> model -> wire -> model is stable, and no property of the payload is lost."""
    wire = obj.to_wire()  # type: ignore[attr-defined]
    again = parse_one(cls, wire)
    assert again == obj
    assert _keys(raw) <= _keys(wire) | _odata_only(raw), "a property was lost"


def _keys(obj: object, prefix: str = "") -> set[str]:
    out: set[str] = set()
    if isinstance(obj, dict):
        for k, v in obj.items():
            if v is None:  # null and absent mean the same on the wire
                continue
            out.add(prefix + k)
            out |= _keys(v, prefix + k + ".")
    elif isinstance(obj, list):
        for v in obj:
            out |= _keys(v, prefix + "[].")
    return out


def _odata_only(raw: dict) -> set[str]:
    """``@odata.context`` on a single-entity response belongs to the envelope, not the entity."""
    return {k for k in raw if k == "@odata.context"}

"""The Azure networking model: real ARM payloads, hand-built ones for the rest, round trips, unknowns."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from ztconsole.datasets import DATASETS
from ztconsole.model import network as n
from ztconsole.model.wire import WireError, parse_items, unwrap_collection

REALWORLD = Path("/work/shared/realworld/network")
SUB = "/subscriptions/11111111-2222-3333-4444-555555555555"
RG = f"{SUB}/resourceGroups/rg-hub/providers/Microsoft.Network"
LAW = f"{SUB}/resourceGroups/rg-logs/providers/Microsoft.OperationalInsights/workspaces/law-sec"

# file name prefix -> model class (longest prefix wins)
_CLASS_BY_PREFIX = {
    "AzureFirewall": n.AzureFirewall,
    "FirewallPolicy": n.FirewallPolicy,
    "FirewallPolicyRuleCollectionGroup": n.RuleCollectionGroup,
    "FirewallPolicyNatRuleCollectionGroup": n.RuleCollectionGroup,
    "IpGroups": n.IpGroup,
    "NetworkSecurityGroup": n.NetworkSecurityGroup,
    "RouteTable": n.RouteTable,
    "VirtualNetworkPeering": n.VirtualNetworkPeering,
}


def _class_for(name: str) -> type:
    prefix = max((p for p in _CLASS_BY_PREFIX if name.startswith(p)), key=len)
    return _CLASS_BY_PREFIX[prefix]


def _load(name: str) -> list:
    """Every resource in a realworld file (a collection's items, or the one object)."""
    body = json.loads((REALWORLD / name).read_text())
    cls = _class_for(name)
    notes: list = []
    if isinstance(body, dict) and "value" in body:
        items, path = unwrap_collection(body)
        objs, errors = parse_items(cls, items, path, notes)
        assert errors == []
    else:
        objs = [cls.from_wire(body, (), notes)]
    assert [str(x) for x in notes] == []
    return objs


def _one(name: str):
    objs = _load(name)
    assert len(objs) == 1
    return objs[0]


REALWORLD_FILES = sorted(p.name for p in REALWORLD.glob("*.json") if not p.name.endswith(".request.json"))


def test_every_realworld_file_is_covered():
    assert len(REALWORLD_FILES) >= 19
    for name in REALWORLD_FILES:
        assert any(name.startswith(p) for p in _CLASS_BY_PREFIX), name


@pytest.mark.parametrize("name", REALWORLD_FILES)
def test_realworld_parses_and_round_trips(name):
    cls = _class_for(name)
    objs = _load(name)
    assert objs
    for obj in objs:
        assert isinstance(obj, cls)
        assert cls.from_wire(obj.to_wire()) == obj


def test_catalogue_names_resolve_to_network_classes():
    names = [d for d in DATASETS if d.model.startswith("network:")]
    assert len(names) >= 15
    for ds in names:
        assert issubclass(ds.model_class(), n.ArmResource), ds.key


# --- Azure Firewall -------------------------------------------------------------------------------


def test_firewall_classic_rules():
    fw = _one("AzureFirewallGet.json")
    assert (fw.sku.name, fw.sku.tier) == ("AZFW_VNet", "Standard")
    assert fw.threat_intel_mode == "Alert"
    assert fw.resource_group == "rg1" and fw.subscription_id == "subid"
    assert fw.tags == {"key1": "value1"}
    assert fw.private_ip_addresses == ("10.0.0.0",)
    assert fw.ip_configurations[0].subnet.id.endswith("/subnets/AzureFirewallSubnet")
    assert fw.firewall_policy is None and fw.has_classic_rules

    app = fw.application_rule_collections[0]
    assert (app.name, app.priority, app.action_type) == ("apprulecoll", 110, "Deny")
    rule = app.rules[0]
    assert [(p.protocol_type, p.port) for p in rule.protocols] == [("Https", 443)]
    assert rule.target_fqdns == ("www.test.com",)
    assert rule.source_addresses == ("216.58.216.164", "10.0.0.0/24")

    nat = fw.nat_rule_collections[0]
    assert (nat.priority, nat.action_type) == (112, "Dnat")
    assert [(r.destination_ports, r.translated_address, r.translated_fqdn, r.translated_port)
            for r in nat.rules] == [
        (("443",), "1.2.3.5", None, "8443"),
        (("80",), None, "internalhttpserver", "880"),
    ]
    net = fw.network_rule_collections[0]
    assert net.action_type == "Deny"
    assert net.rules[0].destination_ports == ("443-444", "8443")
    assert net.rules[0].protocols == ("TCP",)
    assert net.rules[1].destination_fqdns == ("www.amazon.com",)
    # an unmodelled property inside `properties` survives
    assert fw.unknown("autoscaleConfiguration", "properties") == {"minCapacity": 10, "maxCapacity": 15}
    assert fw.to_wire()["properties"]["autoscaleConfiguration"] == {"minCapacity": 10, "maxCapacity": 15}


def test_firewall_with_ip_groups_and_management_config():
    fw = _one("AzureFirewallGetWithIpGroups.json")
    assert fw.application_rule_collections[0].rules[0].source_ip_groups[0].endswith("/ipGroups/ipGroups1")
    net = fw.network_rule_collections[0].rules
    assert net[0].destination_ip_groups[0].endswith("/ipGroups2")
    assert net[1].source_ip_groups[0].endswith("/ipGroups3")
    assert [g.id.rsplit("/", 1)[1] for g in fw.ip_groups] == ["ipGroups1", "ipGroups2", "ipGroups3"]
    assert fw.ip_groups[0].unknown("changeNumber") == "5"

    (listed,) = _load("AzureFirewallListBySubscription.json")
    assert listed.management_ip_configuration.subnet.id.endswith("/AzureFirewallManagementSubnet")
    assert listed.additional_properties == {"key1": "value1", "key2": "value2"}


def test_hub_firewall_by_hand():
    wire = {
        "id": f"{RG}/azureFirewalls/fw-hub", "name": "fw-hub", "type": "Microsoft.Network/azureFirewalls",
        "location": "westeurope", "zones": ["1", "2", "3"],
        "properties": {
            "provisioningState": "Succeeded",
            "sku": {"name": "AZFW_Hub", "tier": "Premium"},
            "threatIntelMode": "Deny",
            "virtualHub": {"id": f"{RG}/virtualHubs/hub-we"},
            "firewallPolicy": {"id": f"{RG}/firewallPolicies/fp-premium"},
            "hubIPAddresses": {"privateIPAddress": "10.100.64.4",
                               "publicIPs": {"addresses": [{"address": "20.1.2.3"}], "count": 1}},
        },
    }
    fw = n.AzureFirewall.from_wire(wire)
    assert fw.sku.name == "AZFW_Hub" and fw.zones == ("1", "2", "3")
    assert fw.private_ip_addresses == ("10.100.64.4",)
    assert [a.address for a in fw.hub_ip_addresses.public_ips.addresses] == ["20.1.2.3"]
    assert fw.hub_ip_addresses.public_ips.count == 1
    assert fw.firewall_policy.id.endswith("/fp-premium") and not fw.has_classic_rules
    assert n.AzureFirewall.from_wire(fw.to_wire()) == fw


# --- Firewall Policy ------------------------------------------------------------------------------


def test_premium_policy_idps_and_tls():
    fp = _one("FirewallPolicyGet.json")
    assert fp.sku_tier == "Premium" and fp.threat_intel_mode == "Alert"
    idps = fp.intrusion_detection
    assert idps.mode == "Alert" and idps.profile is None
    assert [(s.id, s.mode) for s in idps.signature_overrides] == [("2525004", "Deny")]
    bypass = idps.bypass_traffic_settings[0]
    assert (bypass.name, bypass.protocol, bypass.destination_ports) == ("bypassRule1", "TCP", ("*",))
    assert bypass.source_addresses == ("1.2.3.4",)
    ca = fp.certificate_authority
    assert (ca.name, ca.key_vault_secret_id) == ("clientcert", "https://kv/secret")
    assert fp.threat_intel_whitelist.ip_addresses == ("20.3.4.5",)
    assert fp.threat_intel_whitelist.fqdns == ("*.microsoft.com",)
    assert fp.dns_settings.enable_proxy is True and fp.dns_settings.servers == ("30.3.4.5",)
    assert fp.snat.private_ranges == ("IANAPrivateRanges",)
    assert fp.explicit_proxy.http_port == 8087 and fp.explicit_proxy.enable_pac_file is True
    assert fp.insights.is_enabled is True and fp.insights.retention_days == 100
    assert fp.allow_sql_redirect is True
    assert fp.rule_collection_groups[0].id.endswith("/ruleCollectionGroups/ruleCollectionGroup1")
    assert fp.firewalls == () and fp.base_policy is None
    assert fp.unknown("size", "properties") == "0.5MB"


def test_standard_policy_has_no_idps():
    (fp,) = _load("FirewallPolicyListBySubscription.json")
    assert fp.sku_tier == "Standard"
    assert fp.intrusion_detection is None and fp.certificate_authority is None


def test_network_rule_collection_group():
    rcg = _one("FirewallPolicyRuleCollectionGroupGet.json")
    assert rcg.priority == 110
    (coll,) = rcg.rule_collections
    assert isinstance(coll, n.FirewallPolicyFilterRuleCollection)
    assert (coll.name, coll.priority, coll.action_type) == ("Example-Filter-Rule-Collection", 200, "Deny")
    (rule,) = coll.rules
    assert isinstance(rule, n.NetworkRule)
    assert rule.ip_protocols == ("TCP",)
    assert rule.source_addresses == ("10.1.25.0/24",)
    assert rule.destination_addresses == ("*",) and rule.destination_ports == ("*",)

    (listed,) = _load("FirewallPolicyRuleCollectionGroupList.json")
    assert listed.rule_collections[0].rules[0].name == "network-rule-1"
    assert listed.rule_collections[0].priority == 120


def test_nat_rule_collection_group():
    rcg = _one("FirewallPolicyNatRuleCollectionGroupGet.json")
    (coll,) = rcg.rule_collections
    assert isinstance(coll, n.FirewallPolicyNatRuleCollection)
    assert (coll.name, coll.priority, coll.action_type) == ("NatRC", 100, "DNAT")
    (rule,) = coll.rules
    assert isinstance(rule, n.NatRule)
    assert rule.ip_protocols == ("TCP", "UDP")
    assert rule.destination_addresses == ("152.23.32.23",) and rule.destination_ports == ("8080",)
    assert (rule.translated_fqdn, rule.translated_port) == ("internalhttpserver", "8080")
    assert rule.source_ip_groups == ()


def test_application_rules_with_headers_web_categories_and_ip_groups():
    rcg = _one("FirewallPolicyRuleCollectionGroupWithHttpHeadersToInsert.json")
    coll = rcg.rule_collections[0]
    assert coll.action_type == "Allow" and coll.priority is None
    rule = coll.rules[0]
    assert isinstance(rule, n.ApplicationRule)
    assert [(p.protocol_type, p.port) for p in rule.protocols] == [("Http", 80)]
    assert rule.fqdn_tags == ("WindowsVirtualDesktop",)
    assert [(h.header_name, h.header_value) for h in rule.http_headers_to_insert] == [
        ("Restrict-Access-To-Tenants", "contoso.com,fabrikam.onmicrosoft.com")
    ]
    assert rcg.subscription_id == "e747cc13-97d4-4a79-b463-42d7f4e558f2"

    (web,) = _load("FirewallPolicyRuleCollectionGroupWithWebCategoriesList.json")
    rule = web.rule_collections[0].rules[0]
    assert rule.web_categories == ("Hacking",)
    assert rule.protocols[0].port == 443 and rule.terminate_tls is None

    groups = _one("FirewallPolicyRuleCollectionGroupWithIpGroupsGet.json")
    rule = groups.rule_collections[0].rules[0]
    assert rule.source_ip_groups[0].endswith("/ipGroups1")
    assert rule.destination_ip_groups[0].endswith("/ipGroups2")
    assert rule.source_addresses == ()


def test_ip_groups():
    g = _one("IpGroupsGet.json")
    assert g.ip_addresses == ("13.64.39.16/32", "40.74.146.80/31", "40.74.147.32/28")
    assert g.firewalls[0].id.endswith("/azureFirewalls/azurefirewall")
    assert g.firewall_policies == ()
    listed = _load("IpGroupsListBySubscription.json")
    assert [(x.name, x.location) for x in listed] == [("iptag1", "westcentralus"), ("iptag2", "centralus")]
    assert listed[1].ip_addresses[0] == "14.64.39.16/32"


# --- NSGs, routes, peerings -----------------------------------------------------------------------


def test_nsg_rules():
    nsg = _one("NetworkSecurityGroupGet.json")
    assert nsg.location == "westus" and nsg.resource_group == "rg1"
    (rule,) = nsg.security_rules
    assert (rule.name, rule.priority, rule.access, rule.direction) == ("rule1", 130, "Allow", "Inbound")
    assert rule.protocol == "*" and rule.destination_port_range == "80"
    assert rule.destination_ports == ("80",) and rule.source_prefixes == ("*",)
    defaults = {(r.name, r.direction): (r.priority, r.access) for r in nsg.default_security_rules}
    assert defaults[("DenyAllInBound", "Inbound")] == (65500, "Deny")
    assert defaults[("AllowVnetOutBound", "Outbound")] == (65000, "Allow")
    assert len(defaults) == 6
    lb = next(r for r in nsg.default_security_rules if r.name == "AllowAzureLoadBalancerInBound")
    assert lb.source_address_prefix == "AzureLoadBalancer" and lb.priority == 65001

    listed = _load("NetworkSecurityGroupList.json")
    assert [x.name for x in listed] == ["nsg1", "nsg3"]
    assert all(x.security_rules == () and len(x.default_security_rules) == 6 for x in listed)


def test_security_rule_singular_and_plural_fields_combine():
    rule = n.SecurityRule.from_wire({
        "name": "mgmt",
        "properties": {"protocol": "Tcp", "sourceAddressPrefixes": ["10.0.0.0/8", "192.168.0.0/16"],
                       "destinationAddressPrefix": "10.1.0.4", "destinationPortRanges": ["22", "3389"],
                       "sourcePortRange": "*", "access": "Allow", "priority": 200, "direction": "Inbound",
                       "sourceApplicationSecurityGroups": [
                           {"id": f"{RG}/applicationSecurityGroups/asg-web"}]},
    })
    assert rule.source_prefixes == ("10.0.0.0/8", "192.168.0.0/16")
    assert rule.destination_prefixes == ("10.1.0.4",)
    assert rule.destination_ports == ("22", "3389") and rule.source_ports == ("*",)
    assert rule.source_application_security_groups[0].id.endswith("/asg-web")


def test_route_tables():
    rt = _one("RouteTableGet.json")
    assert rt.disable_bgp_route_propagation is False
    (route,) = rt.routes
    assert (route.address_prefix, route.next_hop_type, route.next_hop_ip_address) == (
        "10.0.3.0/24", "VirtualNetworkGateway", None)
    listed = _load("RouteTableList.json")
    assert [(t.name, len(t.routes), t.disable_bgp_route_propagation) for t in listed] == [
        ("testrt", 1, True), ("testrt2", 0, True)]


def test_peerings():
    p = _one("VirtualNetworkPeeringGet.json")
    assert (p.peering_state, p.peering_sync_level) == ("Initiated", "FullyInSync")
    assert p.remote_virtual_network.id.endswith("/virtualNetworks/vnet2")
    assert p.remote_address_space.address_prefixes == ("12.0.0.0/8",)
    assert p.allow_forwarded_traffic is True and p.use_remote_gateways is False
    assert p.resource_group == "peerTest"
    assert p.unknown("remoteBgpCommunities", "properties")["regionalCommunity"] == "12076:50004"
    listed = _load("VirtualNetworkPeeringList.json")
    assert [(x.remote_virtual_network.id.rsplit("/", 1)[1], x.allow_forwarded_traffic) for x in listed] == [
        ("vnet2", True), ("vnet3", False)]


# --- hand-built resources (no realworld sample) ---------------------------------------------------


def _vnet() -> dict:
    vnet = f"{RG}/virtualNetworks/vnet-spoke1"
    return {
        "id": vnet, "name": "vnet-spoke1", "type": "Microsoft.Network/virtualNetworks",
        "location": "westeurope", "etag": "W/\"1\"", "tags": {"env": "prod"},
        "properties": {
            "provisioningState": "Succeeded",
            "addressSpace": {"addressPrefixes": ["10.1.0.0/16"]},
            "dhcpOptions": {"dnsServers": ["10.0.0.4"]},
            "subnets": [
                {"id": f"{vnet}/subnets/snet-app", "name": "snet-app",
                 "properties": {"addressPrefix": "10.1.1.0/24",
                                "networkSecurityGroup": {"id": f"{RG}/networkSecurityGroups/nsg-app"},
                                "routeTable": {"id": f"{RG}/routeTables/rt-spoke1"},
                                "serviceEndpoints": [
                                    {"service": "Microsoft.Storage", "locations": ["westeurope"]}],
                                "privateEndpointNetworkPolicies": "Disabled",
                                "defaultOutboundAccess": False}},
                {"id": f"{vnet}/subnets/snet-web", "name": "snet-web",
                 "properties": {"addressPrefixes": ["10.1.2.0/24", "10.1.3.0/24"],
                                "delegations": [{"name": "web", "properties": {
                                    "serviceName": "Microsoft.Web/serverFarms",
                                    "actions": ["Microsoft.Network/virtualNetworks/subnets/action"]}}]}},
            ],
            "virtualNetworkPeerings": [
                {"id": f"{vnet}/virtualNetworkPeerings/to-hub", "name": "to-hub",
                 "properties": {"remoteVirtualNetwork": {"id": f"{RG}/virtualNetworks/vnet-hub"},
                                "allowForwardedTraffic": True, "useRemoteGateways": True,
                                "peeringState": "Connected", "peeringSyncLevel": "FullyInSync"}},
            ],
            "enableDdosProtection": True,
            "ddosProtectionPlan": {"id": f"{RG}/ddosProtectionPlans/ddos"},
        },
    }


def test_virtual_network():
    v = n.VirtualNetwork.from_wire(_vnet())
    assert v.address_prefixes == ("10.1.0.0/16",) and v.dns_servers == ("10.0.0.4",)
    app, web = v.subnets
    assert app.prefixes == ("10.1.1.0/24",)
    assert app.network_security_group.id.endswith("/nsg-app")
    assert app.route_table.id.endswith("/rt-spoke1")
    assert app.private_endpoint_network_policies == "Disabled" and app.default_outbound_access is False
    assert app.service_endpoints[0].service == "Microsoft.Storage"
    assert web.prefixes == ("10.1.2.0/24", "10.1.3.0/24") and web.network_security_group is None
    assert web.delegations[0].service_name == "Microsoft.Web/serverFarms"
    (peer,) = v.virtual_network_peerings
    assert peer.peering_state == "Connected" and peer.use_remote_gateways is True
    assert v.enable_ddos_protection is True and v.ddos_protection_plan.id.endswith("/ddos")
    assert n.VirtualNetwork.from_wire(v.to_wire()) == v


def _gateway() -> dict:
    gw = f"{RG}/virtualNetworkGateways/vgw-hub"
    return {
        "id": gw, "name": "vgw-hub", "type": "Microsoft.Network/virtualNetworkGateways",
        "location": "westeurope",
        "properties": {
            "provisioningState": "Succeeded", "gatewayType": "Vpn", "vpnType": "RouteBased",
            "vpnGatewayGeneration": "Generation2", "enableBgp": False, "activeActive": True,
            "sku": {"name": "VpnGw2AZ", "tier": "VpnGw2AZ", "capacity": 2},
            "ipConfigurations": [
                {"id": f"{gw}/ipConfigurations/default", "name": "default",
                 "properties": {"privateIPAllocationMethod": "Dynamic",
                                "subnet": {"id": f"{RG}/virtualNetworks/vnet-hub/subnets/GatewaySubnet"},
                                "publicIPAddress": {"id": f"{RG}/publicIPAddresses/pip-vgw"}}},
            ],
            "vpnClientConfiguration": {
                "vpnClientAddressPool": {"addressPrefixes": ["172.16.201.0/24"]},
                "vpnClientProtocols": ["OpenVPN"],
                "vpnAuthenticationTypes": ["AAD"],
                "vpnClientRootCertificates": [],
                "aadTenant": "https://login.microsoftonline.com/aaaabbbb-0000-cccc-1111-dddd2222eeee/",
                "aadAudience": "c632b3df-fb67-4d84-bdcf-b95ad541b5c8",
                "aadIssuer": "https://sts.windows.net/aaaabbbb-0000-cccc-1111-dddd2222eeee/",
            },
        },
    }


def test_gateway_with_point_to_site_pool():
    g = n.VirtualNetworkGateway.from_wire(_gateway())
    assert (g.gateway_type, g.vpn_type, g.active_active, g.enable_bgp) == ("Vpn", "RouteBased", True, False)
    assert (g.sku.name, g.sku.capacity) == ("VpnGw2AZ", 2)
    assert g.ip_configurations[0].subnet.id.endswith("/subnets/GatewaySubnet")
    p2s = g.vpn_client_configuration
    assert p2s.vpn_client_address_pool.address_prefixes == ("172.16.201.0/24",)
    assert p2s.vpn_client_protocols == ("OpenVPN",) and p2s.vpn_authentication_types == ("AAD",)
    assert p2s.aad_audience == "c632b3df-fb67-4d84-bdcf-b95ad541b5c8"
    assert p2s.unknown("vpnClientRootCertificates") == []
    assert n.VirtualNetworkGateway.from_wire(g.to_wire()) == g


def _app_gateway() -> dict:
    agw = f"{RG}/applicationGateways/agw-web"
    return {
        "id": agw, "name": "agw-web", "type": "Microsoft.Network/applicationGateways",
        "location": "westeurope", "zones": ["1", "2"],
        "properties": {
            "provisioningState": "Succeeded", "operationalState": "Running",
            "sku": {"name": "WAF_v2", "tier": "WAF_v2", "capacity": 2},
            "sslPolicy": {"policyType": "Predefined", "policyName": "AppGwSslPolicy20220101S"},
            "firewallPolicy": {"id": f"{RG}/ApplicationGatewayWebApplicationFirewallPolicies/waf-web"},
            "webApplicationFirewallConfiguration": {"enabled": True, "firewallMode": "Detection",
                                                    "ruleSetType": "OWASP", "ruleSetVersion": "3.2"},
            "gatewayIPConfigurations": [
                {"id": f"{agw}/gatewayIPConfigurations/gw", "name": "gw",
                 "properties": {"subnet": {"id": f"{RG}/virtualNetworks/vnet-hub/subnets/snet-agw"}}}],
            "frontendIPConfigurations": [
                {"id": f"{agw}/frontendIPConfigurations/public", "name": "public",
                 "properties": {"publicIPAddress": {"id": f"{RG}/publicIPAddresses/pip-agw"}}},
                {"id": f"{agw}/frontendIPConfigurations/private", "name": "private",
                 "properties": {"privateIPAddress": "10.0.3.10", "privateIPAllocationMethod": "Static",
                                "subnet": {"id": f"{RG}/virtualNetworks/vnet-hub/subnets/snet-agw"}}}],
            "httpListeners": [
                {"id": f"{agw}/httpListeners/https", "name": "https",
                 "properties": {"protocol": "Https", "hostName": "app.contoso.com",
                                "sslProfile": {"id": f"{agw}/sslProfiles/legacy"}}}],
            "sslProfiles": [
                {"id": f"{agw}/sslProfiles/legacy", "name": "legacy",
                 "properties": {"sslPolicy": {"policyType": "CustomV2", "minProtocolVersion": "TLSv1_0",
                                              "cipherSuites": ["TLS_RSA_WITH_AES_128_CBC_SHA"]}}}],
            "enableHttp2": True,
        },
    }


def test_application_gateway_ssl_policy_and_waf():
    a = n.ApplicationGateway.from_wire(_app_gateway())
    assert (a.sku.tier, a.sku.capacity) == ("WAF_v2", 2) and a.zones == ("1", "2")
    assert (a.ssl_policy.policy_type, a.ssl_policy.policy_name) == ("Predefined", "AppGwSslPolicy20220101S")
    assert a.ssl_policy.min_protocol_version is None
    waf = a.web_application_firewall_configuration
    assert (waf.enabled, waf.firewall_mode, waf.rule_set_version) == (True, "Detection", "3.2")
    assert a.firewall_policy.id.endswith("/waf-web")
    public, private = a.frontend_ip_configurations
    assert public.public_ip_address.id.endswith("/pip-agw") and public.private_ip_address is None
    assert private.private_ip_address == "10.0.3.10"
    (listener,) = a.http_listeners
    assert listener.protocol == "Https" and listener.ssl_profile.id.endswith("/sslProfiles/legacy")
    (profile,) = a.ssl_profiles
    assert profile.ssl_policy.min_protocol_version == "TLSv1_0"
    assert profile.ssl_policy.cipher_suites == ("TLS_RSA_WITH_AES_128_CBC_SHA",)
    assert a.gateway_ip_configurations[0].subnet.id.endswith("/snet-agw")
    assert a.enable_http2 is True and a.operational_state == "Running"
    assert n.ApplicationGateway.from_wire(a.to_wire()) == a


def _waf_policy() -> dict:
    return {
        "id": f"{RG}/ApplicationGatewayWebApplicationFirewallPolicies/waf-web", "name": "waf-web",
        "type": "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies",
        "location": "westeurope",
        "properties": {
            "provisioningState": "Succeeded", "resourceState": "Enabled",
            "policySettings": {"state": "Enabled", "mode": "Prevention", "requestBodyCheck": True,
                               "maxRequestBodySizeInKb": 128, "fileUploadLimitInMb": 100,
                               "requestBodyInspectLimitInKB": 128},
            "customRules": [
                {"name": "BlockTor", "priority": 10, "ruleType": "MatchRule", "action": "Block",
                 "state": "Enabled",
                 "matchConditions": [{"matchVariables": [{"variableName": "RemoteAddr"}],
                                      "operator": "IPMatch", "matchValues": ["192.0.2.0/24"]}]}],
            "managedRules": {
                "managedRuleSets": [
                    {"ruleSetType": "OWASP", "ruleSetVersion": "3.2",
                     "ruleGroupOverrides": [{"ruleGroupName": "REQUEST-942-APPLICATION-ATTACK-SQLI",
                                             "rules": [{"ruleId": "942100", "state": "Disabled"}]}]},
                    {"ruleSetType": "Microsoft_BotManagerRuleSet", "ruleSetVersion": "1.0"}],
                "exclusions": [],
            },
            "applicationGateways": [{"id": f"{RG}/applicationGateways/agw-web"}],
        },
    }


def test_waf_policy():
    w = n.WafPolicy.from_wire(_waf_policy())
    s = w.policy_settings
    assert (s.state, s.mode, s.request_body_check, s.request_body_inspect_limit_in_kb) == (
        "Enabled", "Prevention", True, 128)
    assert [(m.rule_set_type, m.rule_set_version) for m in w.managed_rule_sets] == [
        ("OWASP", "3.2"), ("Microsoft_BotManagerRuleSet", "1.0")]
    override = w.managed_rule_sets[0].rule_group_overrides[0]
    assert override.rule_group_name.startswith("REQUEST-942")
    assert (override.rules[0].rule_id, override.rules[0].state) == ("942100", "Disabled")
    (custom,) = w.custom_rules
    assert (custom.name, custom.priority, custom.action) == ("BlockTor", 10, "Block")
    assert custom.match_conditions[0]["operator"] == "IPMatch"
    assert w.application_gateways[0].id.endswith("/agw-web")
    assert w.unknown("exclusions", "properties.managedRules") == []
    assert n.WafPolicy.from_wire(w.to_wire()) == w


def _flow_log() -> dict:
    return {
        "id": f"{SUB}/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/"
              "NetworkWatcher_westeurope/flowLogs/fl-vnet-spoke1",
        "name": "fl-vnet-spoke1", "type": "Microsoft.Network/networkWatchers/flowLogs",
        "location": "westeurope", "etag": "W/\"5\"",
        "properties": {
            "provisioningState": "Succeeded",
            "targetResourceId": f"{RG}/virtualNetworks/vnet-spoke1",
            "targetResourceGuid": "00000000-0000-0000-0000-00000000abcd",
            "storageId": f"{SUB}/resourceGroups/rg-logs/providers/Microsoft.Storage/"
                         "storageAccounts/stflowlogs",
            "enabled": True,
            "retentionPolicy": {"days": 90, "enabled": True},
            "format": {"type": "JSON", "version": 2},
            "flowAnalyticsConfiguration": {"networkWatcherFlowAnalyticsConfiguration": {
                "enabled": True, "workspaceId": "0f0f0f0f-1111-2222-3333-444455556666",
                "workspaceRegion": "westeurope",
                "workspaceResourceId": LAW,
                "trafficAnalyticsInterval": 10}},
        },
    }


def test_flow_log():
    f = n.FlowLog.from_wire(_flow_log())
    assert f.enabled is True and f.target_resource_id.endswith("/virtualNetworks/vnet-spoke1")
    assert (f.retention_policy.days, f.format.type, f.format.version) == (90, "JSON", 2)
    ta = f.network_watcher_flow_analytics_configuration
    assert ta.enabled is True and ta.traffic_analytics_interval == 10
    assert ta.workspace_resource_id == LAW
    assert f.resource_group == "NetworkWatcherRG"
    assert n.FlowLog.from_wire(f.to_wire()) == f


def _firewall_diagnostics() -> dict:
    # ARM sends unset properties as explicit nulls
    return {
        "id": f"{RG.lower()}/azurefirewalls/fw-hub/providers/microsoft.insights/diagnosticSettings/to-law",
        "type": "Microsoft.Insights/diagnosticSettings", "name": "to-law", "location": None,
        "properties": {
            "storageAccountId": None, "serviceBusRuleId": None, "eventHubAuthorizationRuleId": None,
            "eventHubName": None,
            "workspaceId": LAW,
            "logAnalyticsDestinationType": "Dedicated",
            "logs": [{"category": None, "categoryGroup": "allLogs", "enabled": True,
                      "retentionPolicy": {"enabled": False, "days": 0}}],
            "metrics": [{"category": "AllMetrics", "timeGrain": None, "enabled": True}],
        },
    }


def test_diagnostic_settings_for_firewall_and_entra():
    d = n.DiagnosticSetting.from_wire(_firewall_diagnostics())
    assert d.workspace_id == LAW and d.storage_account_id is None
    assert d.log_analytics_destination_type == "Dedicated"
    assert [(x.category, x.category_group, x.enabled) for x in d.logs] == [(None, "allLogs", True)]
    assert d.metrics[0].category == "AllMetrics"
    assert d.resource_group == "rg-hub" and d.subscription_id == SUB.rsplit("/", 1)[1]
    assert n.DiagnosticSetting.from_wire(d.to_wire()) == d

    entra = n.DiagnosticSetting.from_wire({
        "id": "/providers/microsoft.aadiam/diagnosticSettings/entra-to-sentinel",
        "name": "entra-to-sentinel",
        "properties": {"workspaceId": LAW,
                       "logs": [{"category": "SignInLogs", "enabled": True},
                                {"category": "AuditLogs", "enabled": False}],
                       "metrics": []},
    })
    assert [(x.category, x.enabled) for x in entra.logs] == [("SignInLogs", True), ("AuditLogs", False)]
    assert entra.subscription_id is None and entra.resource_group is None


def test_resource_group_ddos_plan_and_watcher():
    rg = n.ResourceGroup.from_wire({
        "id": f"{SUB}/resourceGroups/rg-hub", "name": "rg-hub",
        "type": "Microsoft.Resources/resourceGroups",
        "location": "westeurope", "managedBy": None, "tags": {"owner": "netops"},
        "properties": {"provisioningState": "Succeeded"},
    })
    assert (rg.name, rg.resource_group, rg.provisioning_state) == ("rg-hub", "rg-hub", "Succeeded")
    assert rg.tags == {"owner": "netops"} and rg.managed_by is None
    plan = n.DdosProtectionPlan.from_wire({
        "id": f"{RG}/ddosProtectionPlans/ddos", "name": "ddos", "location": "westeurope",
        "properties": {"virtualNetworks": [{"id": f"{RG}/virtualNetworks/vnet-spoke1"}]},
    })
    assert plan.virtual_networks[0].id.endswith("/vnet-spoke1")
    watcher = n.NetworkWatcher.from_wire({
        "id": f"{SUB}/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/"
              "NetworkWatcher_westeurope",
        "name": "NetworkWatcher_westeurope", "location": "westeurope",
        "properties": {"provisioningState": "Succeeded"},
    })
    assert watcher.location == "westeurope" and watcher.resource_group == "NetworkWatcherRG"
    for obj in (rg, plan, watcher):
        assert type(obj).from_wire(obj.to_wire()) == obj


def test_ids_are_read_case_insensitively():
    ref = n.SubResource.from_wire({"id": "/SUBSCRIPTIONS/abc/RESOURCEGROUPS/RG-Net/providers/x/y/z"})
    assert (ref.subscription_id, ref.resource_group) == ("abc", "RG-Net")
    assert n.SubResource.from_wire({}).resource_group is None


# --- unknowns and malformed input -----------------------------------------------------------------


def test_unknown_properties_survive_everywhere():
    wire = _vnet()
    wire["systemData"] = {"createdBy": "alice@contoso.com"}
    wire["properties"]["privateEndpointVNetPolicies"] = "Disabled"
    wire["properties"]["subnets"][0]["properties"]["sharingScope"] = "Tenant"
    v = n.VirtualNetwork.from_wire(wire)
    assert v.unknown("systemData") == {"createdBy": "alice@contoso.com"}
    assert v.unknown("privateEndpointVNetPolicies", "properties") == "Disabled"
    assert v.subnets[0].unknown("sharingScope", "properties") == "Tenant"
    out = v.to_wire()
    assert out["systemData"] == {"createdBy": "alice@contoso.com"}
    assert out["properties"]["privateEndpointVNetPolicies"] == "Disabled"
    assert out["properties"]["subnets"][0]["properties"]["sharingScope"] == "Tenant"
    assert n.VirtualNetwork.from_wire(out) == v


def test_unknown_enum_values_are_kept_and_noted():
    nsgs = [json.loads((REALWORLD / "NetworkSecurityGroupGet.json").read_text())]
    nsgs[0]["properties"]["securityRules"][0]["properties"]["protocol"] = "Gre"
    gw = _gateway()
    gw["properties"]["vpnClientConfiguration"]["vpnClientProtocols"] = ["OpenVPN", "WireGuard"]
    notes: list = []
    (nsg,), errors = parse_items(n.NetworkSecurityGroup, nsgs, ("value",), notes)
    g = n.VirtualNetworkGateway.from_wire(gw, (), notes)
    assert errors == []
    assert nsg.security_rules[0].protocol == "Gre"
    assert g.vpn_client_configuration.vpn_client_protocols == ("OpenVPN", "WireGuard")
    assert [str(x) for x in notes] == [
        "$.value[0].properties.securityRules[0].properties.protocol: unknown value 'Gre'; kept as is",
        "$.properties.vpnClientConfiguration.vpnClientProtocols: unknown value 'WireGuard'; kept as is",
    ]


def test_unknown_rule_and_collection_types_fall_back_and_are_noted():
    wire = json.loads((REALWORLD / "FirewallPolicyRuleCollectionGroupGet.json").read_text())
    coll = wire["properties"]["ruleCollections"][0]
    coll["rules"].append({"ruleType": "FqdnRule", "name": "future", "fqdns": ["*.contoso.com"]})
    wire["properties"]["ruleCollections"].append(
        {"ruleCollectionType": "FirewallPolicyFutureRuleCollection", "name": "later", "priority": 300,
         "rules": [{"ruleType": "NetworkRule", "name": "x"}]})
    notes: list = []
    rcg = n.RuleCollectionGroup.from_wire(wire, (), notes)
    known, future_coll = rcg.rule_collections
    future_rule = known.rules[1]
    assert type(future_rule) is n.FirewallPolicyRule
    assert (future_rule.rule_type, future_rule.name) == ("FqdnRule", "future")
    assert future_rule.unknown("fqdns") == ["*.contoso.com"]
    assert type(future_coll) is n.FirewallPolicyRuleCollection
    assert (future_coll.name, future_coll.priority) == ("later", 300)
    assert [str(x) for x in notes] == [
        "$.properties.ruleCollections[0].rules[1].ruleType: unknown ruleType 'FqdnRule'; kept as is",
        "$.properties.ruleCollections[1].ruleCollectionType: "
        "unknown ruleCollectionType 'FirewallPolicyFutureRuleCollection'; kept as is",
    ]
    out = rcg.to_wire()
    assert out["properties"]["ruleCollections"][0]["rules"][1] == {
        "ruleType": "FqdnRule", "name": "future", "fqdns": ["*.contoso.com"]}
    assert out["properties"]["ruleCollections"][1]["rules"] == [{"ruleType": "NetworkRule", "name": "x"}]
    assert n.RuleCollectionGroup.from_wire(out) == rcg


def test_malformed_items_name_the_path_and_the_rest_still_load():
    body = json.loads((REALWORLD / "NetworkSecurityGroupList.json").read_text())
    good = copy.deepcopy(body["value"][0])
    bad_priority = copy.deepcopy(good)
    bad_priority["properties"]["defaultSecurityRules"][2]["properties"]["priority"] = "high"
    bad_rules = copy.deepcopy(good)
    bad_rules["properties"]["securityRules"] = {"name": "rule1"}
    no_id = copy.deepcopy(good)
    del no_id["id"]
    items, path = unwrap_collection({"value": [bad_priority, good, bad_rules, no_id]})
    loaded, errors = parse_items(n.NetworkSecurityGroup, items, path)
    assert [x.name for x in loaded] == ["nsg1"]
    assert [str(e) for e in errors] == [
        "$.value[0].properties.defaultSecurityRules[2].properties.priority: "
        "expected an integer, got a string",
        "$.value[2].properties.securityRules: expected a list of objects, got an object",
        "$.value[3].id: required property is missing",
    ]


def test_malformed_firewall_rule_is_an_error_at_its_path():
    wire = json.loads((REALWORLD / "FirewallPolicyNatRuleCollectionGroupGet.json").read_text())
    wire["properties"]["ruleCollections"][0]["rules"][0]["destinationPorts"] = 8080
    with pytest.raises(WireError) as info:
        n.RuleCollectionGroup.from_wire(wire)
    assert info.value.path == ("properties", "ruleCollections", 0, "rules", 0, "destinationPorts")

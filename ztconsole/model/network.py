"""Azure networking (ARM, ``Microsoft.Network`` api-version 2024-05-01) plus resource groups and
diagnostic settings.

Every resource keeps ARM's envelope (``id``, ``name``, ``type``, ``location``, ``etag``, ``tags``,
``properties``); properties are declared with dotted keys and named without ``properties.``.

Shape choices, so the engine reads the common things directly:

* a single-key wrapper on a hot path is flattened: a rule collection's ``action: {type}`` is
  ``action_type``, a virtual network's ``addressSpace.addressPrefixes`` is ``address_prefixes``, a
  firewall policy's ``sku.tier`` is ``sku_tier``, ``sql.allowSqlRedirect`` is ``allow_sql_redirect``,
  ``transportSecurity.certificateAuthority`` is ``certificate_authority``, and IDPS's
  ``configuration`` lists sit on :class:`IntrusionDetection` itself;
* references (``{"id": ...}``) are :class:`SubResource` objects, as on the wire;
* Firewall Policy rule collections and rules are polymorphic on ``ruleCollectionType`` / ``ruleType``;
  an unknown type becomes the generic base class (everything kept in ``extra``) and a note.

:attr:`SubResource.subscription_id` and :attr:`SubResource.resource_group` are read from the id,
matching its segment names case-insensitively as ARM does.
"""

from __future__ import annotations

from typing import Any

from .wire import F, Poly, Wire, model

__all__ = [
    "SubResource",
    "ArmChild",
    "ArmResource",
    "ResourceGroup",
    "AddressSpace",
    "RetentionPolicy",
    # Azure Firewall (classic rules included)
    "AzureFirewallSku",
    "AzureFirewallIpConfiguration",
    "HubPublicIpAddress",
    "HubPublicIpAddresses",
    "HubIpAddresses",
    "ApplicationRuleProtocol",
    "AzureFirewallApplicationRule",
    "AzureFirewallNatRule",
    "AzureFirewallNetworkRule",
    "AzureFirewallApplicationRuleCollection",
    "AzureFirewallNatRuleCollection",
    "AzureFirewallNetworkRuleCollection",
    "AzureFirewall",
    # Firewall Policy
    "ThreatIntelWhitelist",
    "SignatureOverride",
    "BypassTrafficSetting",
    "IntrusionDetection",
    "CertificateAuthority",
    "DnsSettings",
    "Snat",
    "ExplicitProxy",
    "FirewallPolicyInsights",
    "FirewallPolicy",
    "HttpHeaderToInsert",
    "FirewallPolicyRule",
    "NetworkRule",
    "ApplicationRule",
    "NatRule",
    "RULE_TYPES",
    "FirewallPolicyRuleCollection",
    "FirewallPolicyNatRuleCollection",
    "FirewallPolicyFilterRuleCollection",
    "RULE_COLLECTION_TYPES",
    "RuleCollectionGroup",
    "IpGroup",
    # NSGs, routes, virtual networks, gateways
    "SecurityRule",
    "NetworkSecurityGroup",
    "Route",
    "RouteTable",
    "Delegation",
    "ServiceEndpoint",
    "Subnet",
    "VirtualNetworkPeering",
    "VirtualNetwork",
    "VirtualNetworkGatewaySku",
    "VirtualNetworkGatewayIpConfiguration",
    "VpnClientConfiguration",
    "VirtualNetworkGateway",
    "DdosProtectionPlan",
    # Application Gateway and WAF
    "ApplicationGatewaySku",
    "ApplicationGatewaySslPolicy",
    "ApplicationGatewayWafConfiguration",
    "ApplicationGatewayIpConfiguration",
    "ApplicationGatewayFrontendIpConfiguration",
    "ApplicationGatewayHttpListener",
    "ApplicationGatewaySslProfile",
    "ApplicationGateway",
    "WafPolicySettings",
    "ManagedRuleOverride",
    "ManagedRuleGroupOverride",
    "ManagedRuleSet",
    "WafCustomRule",
    "WafPolicy",
    # monitoring
    "NetworkWatcher",
    "FlowLogFormat",
    "TrafficAnalyticsConfiguration",
    "FlowLog",
    "DiagnosticLogSetting",
    "DiagnosticMetricSetting",
    "DiagnosticSetting",
]

# --- enum values this version knows (others are kept and noted) --------------------------------------
_THREAT_INTEL_MODES = ("Alert", "Deny", "Off")
_IDPS_MODES = ("Off", "Alert", "Deny")
_NET_PROTOCOLS = ("TCP", "UDP", "Any", "ICMP")
_APP_PROTOCOLS = ("Http", "Https", "Mssql")
_FILTER_ACTIONS = ("Allow", "Deny")
_SSL_POLICY_NAMES = (
    "AppGwSslPolicy20150501", "AppGwSslPolicy20170401", "AppGwSslPolicy20170401S",
    "AppGwSslPolicy20220101", "AppGwSslPolicy20220101S",
)
_TLS_VERSIONS = ("TLSv1_0", "TLSv1_1", "TLSv1_2", "TLSv1_3")
_ENABLED_DISABLED = ("Enabled", "Disabled")


def _id_segment(resource_id: str | None, key: str) -> str | None:
    """The segment after the first ``key`` segment of an ARM id (case-insensitive), or None."""
    if not resource_id:
        return None
    parts = resource_id.split("/")
    for i in range(len(parts) - 1):
        if parts[i].lower() == key:
            return parts[i + 1] or None
    return None


def _both(one: str | None, many: tuple[str, ...]) -> tuple[str, ...]:
    """ARM's singular/plural pairs (``sourceAddressPrefix``/``sourceAddressPrefixes``) as one tuple."""
    if one is None:
        return many
    if not many:
        return (one,)
    return (one, *(m for m in many if m != one))


# --- envelope -------------------------------------------------------------------------------------


@model
class SubResource(Wire):
    """A reference to another ARM resource: ``{"id": ...}`` (anything else sent along is kept)."""

    id: str | None = F("id", intern=True)

    @property
    def subscription_id(self) -> str | None:
        """The subscription named in the id (``/subscriptions/<this>/...``), or None."""
        return _id_segment(self.id, "subscriptions")

    @property
    def resource_group(self) -> str | None:
        """The resource group named in the id (``.../resourceGroups/<this>/...``, any case), or None."""
        return _id_segment(self.id, "resourcegroups")


@model
class ArmChild(SubResource):
    """An object nested in a resource (rule, route, subnet, IP configuration): id, name, etag, state."""

    name: str | None = F("name")
    type: str | None = F("type", intern=True)
    etag: str | None = F("etag")
    provisioning_state: str | None = F("properties.provisioningState", intern=True)


@model
class ArmResource(ArmChild):
    """A resource read on its own: ``id`` is required; ``location`` and ``tags`` where ARM sends them."""

    id: str = F("id", required=True, intern=True)
    location: str | None = F("location", intern=True)
    tags: dict[str, str] | None = F("tags", "json")


@model
class ResourceGroup(ArmResource):
    """A resource group (``Microsoft.Resources``)."""

    managed_by: str | None = F("managedBy")


@model
class AddressSpace(Wire):
    """``{"addressPrefixes": [...]}`` (peerings' address spaces, a VPN client address pool)."""

    address_prefixes: tuple[str, ...] = F("addressPrefixes", "strs")


@model
class RetentionPolicy(Wire):
    """How long logs are kept (flow logs, diagnostic settings)."""

    days: int | None = F("days", "int")
    enabled: bool | None = F("enabled", "bool")


# --- Azure Firewall -------------------------------------------------------------------------------


@model
class AzureFirewallSku(Wire):
    name: str | None = F("name", intern=True, enum=("AZFW_VNet", "AZFW_Hub"))
    tier: str | None = F("tier", intern=True, enum=("Basic", "Standard", "Premium"))


@model
class AzureFirewallIpConfiguration(ArmChild):
    """A firewall IP configuration; ``private_ip_address`` is the next hop routes point at."""

    private_ip_address: str | None = F("properties.privateIPAddress", intern=True)
    subnet: SubResource | None = F("properties.subnet", "obj", SubResource)
    public_ip_address: SubResource | None = F("properties.publicIPAddress", "obj", SubResource)


@model
class HubPublicIpAddress(Wire):
    address: str | None = F("address")


@model
class HubPublicIpAddresses(Wire):
    addresses: tuple[HubPublicIpAddress, ...] = F("addresses", "objs", HubPublicIpAddress)
    count: int | None = F("count", "int")


@model
class HubIpAddresses(Wire):
    """A secured-hub firewall's private address and public IPs."""

    private_ip_address: str | None = F("privateIPAddress", intern=True)
    public_ips: HubPublicIpAddresses | None = F("publicIPs", "obj", HubPublicIpAddresses)


@model
class ApplicationRuleProtocol(Wire):
    """``{"protocolType": "Https", "port": 443}`` of an application rule (policy or classic)."""

    protocol_type: str | None = F("protocolType", intern=True, enum=_APP_PROTOCOLS)
    port: int | None = F("port", "int")


@model
class AzureFirewallRuleBase(Wire):
    """What every classic rule has: a name and where its traffic comes from."""

    name: str | None = F("name")
    description: str | None = F("description")
    source_addresses: tuple[str, ...] = F("sourceAddresses", "strs", intern=True)
    source_ip_groups: tuple[str, ...] = F("sourceIpGroups", "strs", intern=True)


@model
class AzureFirewallApplicationRule(AzureFirewallRuleBase):
    """A classic (firewall-embedded) application rule."""

    protocols: tuple[ApplicationRuleProtocol, ...] = F("protocols", "objs", ApplicationRuleProtocol)
    target_fqdns: tuple[str, ...] = F("targetFqdns", "strs", intern=True)
    fqdn_tags: tuple[str, ...] = F("fqdnTags", "strs", intern=True)


@model
class AzureFirewallNatRule(AzureFirewallRuleBase):
    """A classic NAT rule."""

    protocols: tuple[str, ...] = F("protocols", "strs", intern=True, enum=_NET_PROTOCOLS)
    destination_addresses: tuple[str, ...] = F("destinationAddresses", "strs", intern=True)
    destination_ports: tuple[str, ...] = F("destinationPorts", "strs", intern=True)
    translated_address: str | None = F("translatedAddress")
    translated_fqdn: str | None = F("translatedFqdn")
    translated_port: str | None = F("translatedPort", intern=True)


@model
class AzureFirewallNetworkRule(AzureFirewallRuleBase):
    """A classic network rule."""

    protocols: tuple[str, ...] = F("protocols", "strs", intern=True, enum=_NET_PROTOCOLS)
    destination_addresses: tuple[str, ...] = F("destinationAddresses", "strs", intern=True)
    destination_ip_groups: tuple[str, ...] = F("destinationIpGroups", "strs", intern=True)
    destination_fqdns: tuple[str, ...] = F("destinationFqdns", "strs", intern=True)
    destination_ports: tuple[str, ...] = F("destinationPorts", "strs", intern=True)


@model
class AzureFirewallApplicationRuleCollection(ArmChild):
    priority: int | None = F("properties.priority", "int")
    action_type: str | None = F("properties.action.type", intern=True, enum=_FILTER_ACTIONS)
    rules: tuple[AzureFirewallApplicationRule, ...] = F(
        "properties.rules", "objs", AzureFirewallApplicationRule
    )


@model
class AzureFirewallNatRuleCollection(ArmChild):
    priority: int | None = F("properties.priority", "int")
    action_type: str | None = F("properties.action.type", intern=True, enum=("Snat", "Dnat"))
    rules: tuple[AzureFirewallNatRule, ...] = F("properties.rules", "objs", AzureFirewallNatRule)


@model
class AzureFirewallNetworkRuleCollection(ArmChild):
    priority: int | None = F("properties.priority", "int")
    action_type: str | None = F("properties.action.type", intern=True, enum=_FILTER_ACTIONS)
    rules: tuple[AzureFirewallNetworkRule, ...] = F(
        "properties.rules", "objs", AzureFirewallNetworkRule
    )


@model
class AzureFirewall(ArmResource):
    """An Azure Firewall: its SKU, policy, addresses and any classic rule collections."""

    zones: tuple[str, ...] = F("zones", "strs", intern=True)
    sku: AzureFirewallSku | None = F("properties.sku", "obj", AzureFirewallSku)
    firewall_policy: SubResource | None = F("properties.firewallPolicy", "obj", SubResource)
    threat_intel_mode: str | None = F(
        "properties.threatIntelMode", intern=True, enum=_THREAT_INTEL_MODES
    )
    ip_configurations: tuple[AzureFirewallIpConfiguration, ...] = F(
        "properties.ipConfigurations", "objs", AzureFirewallIpConfiguration
    )
    management_ip_configuration: AzureFirewallIpConfiguration | None = F(
        "properties.managementIpConfiguration", "obj", AzureFirewallIpConfiguration
    )
    hub_ip_addresses: HubIpAddresses | None = F("properties.hubIPAddresses", "obj", HubIpAddresses)
    virtual_hub: SubResource | None = F("properties.virtualHub", "obj", SubResource)
    ip_groups: tuple[SubResource, ...] = F("properties.ipGroups", "objs", SubResource)
    application_rule_collections: tuple[AzureFirewallApplicationRuleCollection, ...] = F(
        "properties.applicationRuleCollections", "objs", AzureFirewallApplicationRuleCollection
    )
    nat_rule_collections: tuple[AzureFirewallNatRuleCollection, ...] = F(
        "properties.natRuleCollections", "objs", AzureFirewallNatRuleCollection
    )
    network_rule_collections: tuple[AzureFirewallNetworkRuleCollection, ...] = F(
        "properties.networkRuleCollections", "objs", AzureFirewallNetworkRuleCollection
    )
    additional_properties: dict[str, str] | None = F("properties.additionalProperties", "json")

    @property
    def private_ip_addresses(self) -> tuple[str, ...]:
        """Every private IP the firewall answers on (IP configurations and, in a hub, the hub address)."""
        out = [c.private_ip_address for c in self.ip_configurations if c.private_ip_address]
        hub = self.hub_ip_addresses
        if hub is not None and hub.private_ip_address and hub.private_ip_address not in out:
            out.append(hub.private_ip_address)
        return tuple(out)

    @property
    def has_classic_rules(self) -> bool:
        """True when any classic rule collection is configured (rules not managed by a policy)."""
        return bool(
            self.application_rule_collections or self.nat_rule_collections
            or self.network_rule_collections
        )


# --- Firewall Policy --------------------------------------------------------------------------------


@model
class ThreatIntelWhitelist(Wire):
    ip_addresses: tuple[str, ...] = F("ipAddresses", "strs")
    fqdns: tuple[str, ...] = F("fqdns", "strs")


@model
class SignatureOverride(Wire):
    """An IDPS signature whose mode differs from the policy's."""

    id: str | None = F("id")
    mode: str | None = F("mode", intern=True, enum=_IDPS_MODES)


@model
class BypassTrafficSetting(Wire):
    """Traffic IDPS does not inspect."""

    name: str | None = F("name")
    description: str | None = F("description")
    protocol: str | None = F("protocol", intern=True, enum=("TCP", "UDP", "ICMP", "ANY"))
    source_addresses: tuple[str, ...] = F("sourceAddresses", "strs", intern=True)
    source_ip_groups: tuple[str, ...] = F("sourceIpGroups", "strs", intern=True)
    destination_addresses: tuple[str, ...] = F("destinationAddresses", "strs", intern=True)
    destination_ip_groups: tuple[str, ...] = F("destinationIpGroups", "strs", intern=True)
    destination_ports: tuple[str, ...] = F("destinationPorts", "strs", intern=True)


@model
class IntrusionDetection(Wire):
    """IDPS (Premium): mode, profile and the ``configuration`` lists (flattened)."""

    mode: str | None = F("mode", intern=True, enum=_IDPS_MODES)
    profile: str | None = F(
        "profile", intern=True, enum=("Basic", "Standard", "Advanced", "Extended")
    )
    signature_overrides: tuple[SignatureOverride, ...] = F(
        "configuration.signatureOverrides", "objs", SignatureOverride
    )
    bypass_traffic_settings: tuple[BypassTrafficSetting, ...] = F(
        "configuration.bypassTrafficSettings", "objs", BypassTrafficSetting
    )
    private_ranges: tuple[str, ...] = F("configuration.privateRanges", "strs")


@model
class CertificateAuthority(Wire):
    """The intermediate CA TLS inspection signs with (``transportSecurity.certificateAuthority``)."""

    key_vault_secret_id: str | None = F("keyVaultSecretId")
    name: str | None = F("name")


@model
class DnsSettings(Wire):
    servers: tuple[str, ...] = F("servers", "strs")
    enable_proxy: bool | None = F("enableProxy", "bool")
    require_proxy_for_network_rules: bool | None = F("requireProxyForNetworkRules", "bool")


@model
class Snat(Wire):
    private_ranges: tuple[str, ...] = F("privateRanges", "strs")
    auto_learn_private_ranges: str | None = F(
        "autoLearnPrivateRanges", intern=True, enum=_ENABLED_DISABLED
    )


@model
class ExplicitProxy(Wire):
    enable_explicit_proxy: bool | None = F("enableExplicitProxy", "bool")
    http_port: int | None = F("httpPort", "int")
    https_port: int | None = F("httpsPort", "int")
    enable_pac_file: bool | None = F("enablePacFile", "bool")
    pac_file_port: int | None = F("pacFilePort", "int")
    pac_file: str | None = F("pacFile")


@model
class FirewallPolicyInsights(Wire):
    is_enabled: bool | None = F("isEnabled", "bool")
    retention_days: int | None = F("retentionDays", "int")
    log_analytics_resources: Any = F("logAnalyticsResources", "json")


@model
class FirewallPolicy(ArmResource):
    """A Firewall Policy: threat intelligence, IDPS, TLS inspection and its rule collection groups."""

    sku_tier: str | None = F("properties.sku.tier", intern=True, enum=("Basic", "Standard", "Premium"))
    threat_intel_mode: str | None = F(
        "properties.threatIntelMode", intern=True, enum=_THREAT_INTEL_MODES
    )
    threat_intel_whitelist: ThreatIntelWhitelist | None = F(
        "properties.threatIntelWhitelist", "obj", ThreatIntelWhitelist
    )
    base_policy: SubResource | None = F("properties.basePolicy", "obj", SubResource)
    child_policies: tuple[SubResource, ...] = F("properties.childPolicies", "objs", SubResource)
    firewalls: tuple[SubResource, ...] = F("properties.firewalls", "objs", SubResource)
    rule_collection_groups: tuple[SubResource, ...] = F(
        "properties.ruleCollectionGroups", "objs", SubResource
    )
    intrusion_detection: IntrusionDetection | None = F(
        "properties.intrusionDetection", "obj", IntrusionDetection
    )
    certificate_authority: CertificateAuthority | None = F(
        "properties.transportSecurity.certificateAuthority", "obj", CertificateAuthority
    )
    dns_settings: DnsSettings | None = F("properties.dnsSettings", "obj", DnsSettings)
    snat: Snat | None = F("properties.snat", "obj", Snat)
    explicit_proxy: ExplicitProxy | None = F("properties.explicitProxy", "obj", ExplicitProxy)
    insights: FirewallPolicyInsights | None = F("properties.insights", "obj", FirewallPolicyInsights)
    allow_sql_redirect: bool | None = F("properties.sql.allowSqlRedirect", "bool")


@model
class HttpHeaderToInsert(Wire):
    header_name: str | None = F("headerName")
    header_value: str | None = F("headerValue")


@model
class FirewallPolicyRule(Wire):
    """A Firewall Policy rule; this class itself stands for a ``ruleType`` this version does not know."""

    name: str | None = F("name")
    description: str | None = F("description")
    rule_type: str | None = F("ruleType", intern=True)


@model
class NetworkRule(FirewallPolicyRule):
    ip_protocols: tuple[str, ...] = F("ipProtocols", "strs", intern=True, enum=_NET_PROTOCOLS)
    source_addresses: tuple[str, ...] = F("sourceAddresses", "strs", intern=True)
    source_ip_groups: tuple[str, ...] = F("sourceIpGroups", "strs", intern=True)
    destination_addresses: tuple[str, ...] = F("destinationAddresses", "strs", intern=True)
    destination_ip_groups: tuple[str, ...] = F("destinationIpGroups", "strs", intern=True)
    destination_fqdns: tuple[str, ...] = F("destinationFqdns", "strs", intern=True)
    destination_ports: tuple[str, ...] = F("destinationPorts", "strs", intern=True)


@model
class ApplicationRule(FirewallPolicyRule):
    protocols: tuple[ApplicationRuleProtocol, ...] = F("protocols", "objs", ApplicationRuleProtocol)
    source_addresses: tuple[str, ...] = F("sourceAddresses", "strs", intern=True)
    source_ip_groups: tuple[str, ...] = F("sourceIpGroups", "strs", intern=True)
    destination_addresses: tuple[str, ...] = F("destinationAddresses", "strs", intern=True)
    target_fqdns: tuple[str, ...] = F("targetFqdns", "strs", intern=True)
    target_urls: tuple[str, ...] = F("targetUrls", "strs", intern=True)
    fqdn_tags: tuple[str, ...] = F("fqdnTags", "strs", intern=True)
    web_categories: tuple[str, ...] = F("webCategories", "strs", intern=True)
    terminate_tls: bool | None = F("terminateTLS", "bool")
    http_headers_to_insert: tuple[HttpHeaderToInsert, ...] = F(
        "httpHeadersToInsert", "objs", HttpHeaderToInsert
    )


@model
class NatRule(FirewallPolicyRule):
    ip_protocols: tuple[str, ...] = F("ipProtocols", "strs", intern=True, enum=_NET_PROTOCOLS)
    source_addresses: tuple[str, ...] = F("sourceAddresses", "strs", intern=True)
    source_ip_groups: tuple[str, ...] = F("sourceIpGroups", "strs", intern=True)
    destination_addresses: tuple[str, ...] = F("destinationAddresses", "strs", intern=True)
    destination_ports: tuple[str, ...] = F("destinationPorts", "strs", intern=True)
    translated_address: str | None = F("translatedAddress")
    translated_fqdn: str | None = F("translatedFqdn")
    translated_port: str | None = F("translatedPort", intern=True)


#: ``ruleType`` -> class
RULE_TYPES: dict[str, type[FirewallPolicyRule]] = {
    "NetworkRule": NetworkRule,
    "ApplicationRule": ApplicationRule,
    "NatRule": NatRule,
}
_RULE = Poly("ruleType", RULE_TYPES, fallback=FirewallPolicyRule)


@model
class FirewallPolicyRuleCollection(Wire):
    """A rule collection; this class itself stands for a ``ruleCollectionType`` not known here."""

    rule_collection_type: str | None = F("ruleCollectionType", intern=True)
    name: str | None = F("name")
    priority: int | None = F("priority", "int")


@model
class FirewallPolicyNatRuleCollection(FirewallPolicyRuleCollection):
    action_type: str | None = F("action.type", intern=True, enum=("DNAT",))
    rules: tuple[FirewallPolicyRule, ...] = F("rules", "objs", _RULE)


@model
class FirewallPolicyFilterRuleCollection(FirewallPolicyRuleCollection):
    action_type: str | None = F("action.type", intern=True, enum=_FILTER_ACTIONS)
    rules: tuple[FirewallPolicyRule, ...] = F("rules", "objs", _RULE)


#: ``ruleCollectionType`` -> class
RULE_COLLECTION_TYPES: dict[str, type[FirewallPolicyRuleCollection]] = {
    "FirewallPolicyNatRuleCollection": FirewallPolicyNatRuleCollection,
    "FirewallPolicyFilterRuleCollection": FirewallPolicyFilterRuleCollection,
}


@model
class RuleCollectionGroup(ArmResource):
    """A Firewall Policy rule collection group: its priority and rule collections."""

    priority: int | None = F("properties.priority", "int")
    rule_collections: tuple[FirewallPolicyRuleCollection, ...] = F(
        "properties.ruleCollections", "objs",
        Poly("ruleCollectionType", RULE_COLLECTION_TYPES, fallback=FirewallPolicyRuleCollection),
    )


@model
class IpGroup(ArmResource):
    """An IP group: addresses, ranges and prefixes that rules refer to by id."""

    ip_addresses: tuple[str, ...] = F("properties.ipAddresses", "strs", intern=True)
    firewalls: tuple[SubResource, ...] = F("properties.firewalls", "objs", SubResource)
    firewall_policies: tuple[SubResource, ...] = F("properties.firewallPolicies", "objs", SubResource)


# --- network security groups ------------------------------------------------------------------------


@model
class SecurityRule(ArmChild):
    """An NSG rule. ARM sends either the singular or the plural of each prefix and port field;
    :attr:`source_prefixes` and friends give both as one tuple."""

    description: str | None = F("properties.description")
    protocol: str | None = F(
        "properties.protocol", intern=True, enum=("Tcp", "Udp", "Icmp", "Esp", "Ah", "*")
    )
    source_port_range: str | None = F("properties.sourcePortRange", intern=True)
    source_port_ranges: tuple[str, ...] = F("properties.sourcePortRanges", "strs", intern=True)
    destination_port_range: str | None = F("properties.destinationPortRange", intern=True)
    destination_port_ranges: tuple[str, ...] = F(
        "properties.destinationPortRanges", "strs", intern=True
    )
    source_address_prefix: str | None = F("properties.sourceAddressPrefix", intern=True)
    source_address_prefixes: tuple[str, ...] = F(
        "properties.sourceAddressPrefixes", "strs", intern=True
    )
    destination_address_prefix: str | None = F("properties.destinationAddressPrefix", intern=True)
    destination_address_prefixes: tuple[str, ...] = F(
        "properties.destinationAddressPrefixes", "strs", intern=True
    )
    source_application_security_groups: tuple[SubResource, ...] = F(
        "properties.sourceApplicationSecurityGroups", "objs", SubResource
    )
    destination_application_security_groups: tuple[SubResource, ...] = F(
        "properties.destinationApplicationSecurityGroups", "objs", SubResource
    )
    access: str | None = F("properties.access", intern=True, enum=("Allow", "Deny"))
    priority: int | None = F("properties.priority", "int")
    direction: str | None = F("properties.direction", intern=True, enum=("Inbound", "Outbound"))

    @property
    def source_prefixes(self) -> tuple[str, ...]:
        return _both(self.source_address_prefix, self.source_address_prefixes)

    @property
    def destination_prefixes(self) -> tuple[str, ...]:
        return _both(self.destination_address_prefix, self.destination_address_prefixes)

    @property
    def source_ports(self) -> tuple[str, ...]:
        return _both(self.source_port_range, self.source_port_ranges)

    @property
    def destination_ports(self) -> tuple[str, ...]:
        return _both(self.destination_port_range, self.destination_port_ranges)


@model
class NetworkSecurityGroup(ArmResource):
    """A network security group: its own rules, the default rules, and what it is attached to."""

    flush_connection: bool | None = F("properties.flushConnection", "bool")
    security_rules: tuple[SecurityRule, ...] = F("properties.securityRules", "objs", SecurityRule)
    default_security_rules: tuple[SecurityRule, ...] = F(
        "properties.defaultSecurityRules", "objs", SecurityRule
    )
    network_interfaces: tuple[SubResource, ...] = F(
        "properties.networkInterfaces", "objs", SubResource
    )
    subnets: tuple[SubResource, ...] = F("properties.subnets", "objs", SubResource)
    flow_logs: tuple[SubResource, ...] = F("properties.flowLogs", "objs", SubResource)


# --- routes, virtual networks, peerings, gateways ----------------------------------------------------


@model
class Route(ArmChild):
    address_prefix: str | None = F("properties.addressPrefix", intern=True)
    next_hop_type: str | None = F(
        "properties.nextHopType", intern=True,
        enum=("VirtualNetworkGateway", "VnetLocal", "Internet", "VirtualAppliance", "None"),
    )
    next_hop_ip_address: str | None = F("properties.nextHopIpAddress", intern=True)
    has_bgp_override: bool | None = F("properties.hasBgpOverride", "bool")


@model
class RouteTable(ArmResource):
    disable_bgp_route_propagation: bool | None = F("properties.disableBgpRoutePropagation", "bool")
    routes: tuple[Route, ...] = F("properties.routes", "objs", Route)
    subnets: tuple[SubResource, ...] = F("properties.subnets", "objs", SubResource)


@model
class Delegation(ArmChild):
    """A subnet delegated to a service (``Microsoft.Web/serverFarms``, ...)."""

    service_name: str | None = F("properties.serviceName", intern=True)
    actions: tuple[str, ...] = F("properties.actions", "strs", intern=True)


@model
class ServiceEndpoint(Wire):
    service: str | None = F("service", intern=True)
    locations: tuple[str, ...] = F("locations", "strs", intern=True)
    provisioning_state: str | None = F("provisioningState", intern=True)


@model
class Subnet(ArmChild):
    """A subnet: its prefixes, NSG, route table and delegations."""

    address_prefix: str | None = F("properties.addressPrefix", intern=True)
    address_prefixes: tuple[str, ...] = F("properties.addressPrefixes", "strs", intern=True)
    network_security_group: SubResource | None = F(
        "properties.networkSecurityGroup", "obj", SubResource
    )
    route_table: SubResource | None = F("properties.routeTable", "obj", SubResource)
    nat_gateway: SubResource | None = F("properties.natGateway", "obj", SubResource)
    delegations: tuple[Delegation, ...] = F("properties.delegations", "objs", Delegation)
    service_endpoints: tuple[ServiceEndpoint, ...] = F(
        "properties.serviceEndpoints", "objs", ServiceEndpoint
    )
    private_endpoint_network_policies: str | None = F(
        "properties.privateEndpointNetworkPolicies", intern=True,
        enum=("Enabled", "Disabled", "NetworkSecurityGroupEnabled", "RouteTableEnabled"),
    )
    private_link_service_network_policies: str | None = F(
        "properties.privateLinkServiceNetworkPolicies", intern=True, enum=_ENABLED_DISABLED
    )
    default_outbound_access: bool | None = F("properties.defaultOutboundAccess", "bool")

    @property
    def prefixes(self) -> tuple[str, ...]:
        """``addressPrefix`` and ``addressPrefixes`` together."""
        return _both(self.address_prefix, self.address_prefixes)


@model
class VirtualNetworkPeering(ArmChild):
    remote_virtual_network: SubResource | None = F(
        "properties.remoteVirtualNetwork", "obj", SubResource
    )
    allow_virtual_network_access: bool | None = F("properties.allowVirtualNetworkAccess", "bool")
    allow_forwarded_traffic: bool | None = F("properties.allowForwardedTraffic", "bool")
    allow_gateway_transit: bool | None = F("properties.allowGatewayTransit", "bool")
    use_remote_gateways: bool | None = F("properties.useRemoteGateways", "bool")
    peering_state: str | None = F(
        "properties.peeringState", intern=True, enum=("Initiated", "Connected", "Disconnected")
    )
    peering_sync_level: str | None = F(
        "properties.peeringSyncLevel", intern=True,
        enum=("FullyInSync", "RemoteNotInSync", "LocalNotInSync", "LocalAndRemoteNotInSync"),
    )
    remote_address_space: AddressSpace | None = F(
        "properties.remoteAddressSpace", "obj", AddressSpace
    )
    remote_virtual_network_address_space: AddressSpace | None = F(
        "properties.remoteVirtualNetworkAddressSpace", "obj", AddressSpace
    )


@model
class VirtualNetwork(ArmResource):
    """A virtual network: address space, subnets, peerings, DDoS protection, DNS servers."""

    address_prefixes: tuple[str, ...] = F(
        "properties.addressSpace.addressPrefixes", "strs", intern=True
    )
    dns_servers: tuple[str, ...] = F("properties.dhcpOptions.dnsServers", "strs")
    subnets: tuple[Subnet, ...] = F("properties.subnets", "objs", Subnet)
    virtual_network_peerings: tuple[VirtualNetworkPeering, ...] = F(
        "properties.virtualNetworkPeerings", "objs", VirtualNetworkPeering
    )
    enable_ddos_protection: bool | None = F("properties.enableDdosProtection", "bool")
    ddos_protection_plan: SubResource | None = F(
        "properties.ddosProtectionPlan", "obj", SubResource
    )
    flow_logs: tuple[SubResource, ...] = F("properties.flowLogs", "objs", SubResource)


@model
class VirtualNetworkGatewaySku(Wire):
    name: str | None = F("name", intern=True)
    tier: str | None = F("tier", intern=True)
    capacity: int | None = F("capacity", "int")


@model
class VirtualNetworkGatewayIpConfiguration(ArmChild):
    subnet: SubResource | None = F("properties.subnet", "obj", SubResource)
    public_ip_address: SubResource | None = F("properties.publicIPAddress", "obj", SubResource)
    private_ip_address: str | None = F("properties.privateIPAddress", intern=True)
    private_ip_allocation_method: str | None = F(
        "properties.privateIPAllocationMethod", intern=True, enum=("Static", "Dynamic")
    )


@model
class VpnClientConfiguration(Wire):
    """Point-to-site: the client address pool, tunnel protocols and how clients authenticate."""

    vpn_client_address_pool: AddressSpace | None = F("vpnClientAddressPool", "obj", AddressSpace)
    vpn_client_protocols: tuple[str, ...] = F(
        "vpnClientProtocols", "strs", intern=True, enum=("IkeV2", "SSTP", "OpenVPN")
    )
    vpn_authentication_types: tuple[str, ...] = F(
        "vpnAuthenticationTypes", "strs", intern=True, enum=("Certificate", "Radius", "AAD")
    )
    aad_tenant: str | None = F("aadTenant")
    aad_audience: str | None = F("aadAudience")
    aad_issuer: str | None = F("aadIssuer")
    radius_server_address: str | None = F("radiusServerAddress")


@model
class VirtualNetworkGateway(ArmResource):
    """A VPN or ExpressRoute gateway; ``vpn_client_configuration`` is its point-to-site setup."""

    gateway_type: str | None = F(
        "properties.gatewayType", intern=True, enum=("Vpn", "ExpressRoute", "LocalGateway")
    )
    vpn_type: str | None = F("properties.vpnType", intern=True, enum=("PolicyBased", "RouteBased"))
    vpn_gateway_generation: str | None = F("properties.vpnGatewayGeneration", intern=True)
    sku: VirtualNetworkGatewaySku | None = F("properties.sku", "obj", VirtualNetworkGatewaySku)
    ip_configurations: tuple[VirtualNetworkGatewayIpConfiguration, ...] = F(
        "properties.ipConfigurations", "objs", VirtualNetworkGatewayIpConfiguration
    )
    active_active: bool | None = F("properties.activeActive", "bool")
    enable_bgp: bool | None = F("properties.enableBgp", "bool")
    vpn_client_configuration: VpnClientConfiguration | None = F(
        "properties.vpnClientConfiguration", "obj", VpnClientConfiguration
    )


@model
class DdosProtectionPlan(ArmResource):
    virtual_networks: tuple[SubResource, ...] = F("properties.virtualNetworks", "objs", SubResource)
    public_ip_addresses: tuple[SubResource, ...] = F(
        "properties.publicIPAddresses", "objs", SubResource
    )


# --- Application Gateway and WAF ---------------------------------------------------------------------


@model
class ApplicationGatewaySku(Wire):
    name: str | None = F(
        "name", intern=True,
        enum=("Standard_Small", "Standard_Medium", "Standard_Large", "WAF_Medium", "WAF_Large",
              "Standard_v2", "WAF_v2", "Basic"),
    )
    tier: str | None = F(
        "tier", intern=True, enum=("Standard", "WAF", "Standard_v2", "WAF_v2", "Basic")
    )
    capacity: int | None = F("capacity", "int")
    family: str | None = F("family", intern=True)


@model
class ApplicationGatewaySslPolicy(Wire):
    """The TLS policy of a gateway or an SSL profile."""

    policy_type: str | None = F(
        "policyType", intern=True, enum=("Predefined", "Custom", "CustomV2")
    )
    policy_name: str | None = F("policyName", intern=True, enum=_SSL_POLICY_NAMES)
    min_protocol_version: str | None = F("minProtocolVersion", intern=True, enum=_TLS_VERSIONS)
    cipher_suites: tuple[str, ...] = F("cipherSuites", "strs", intern=True)
    disabled_ssl_protocols: tuple[str, ...] = F(
        "disabledSslProtocols", "strs", intern=True, enum=_TLS_VERSIONS
    )


@model
class ApplicationGatewayWafConfiguration(Wire):
    """The legacy in-gateway WAF configuration (``webApplicationFirewallConfiguration``)."""

    enabled: bool | None = F("enabled", "bool")
    firewall_mode: str | None = F("firewallMode", intern=True, enum=("Detection", "Prevention"))
    rule_set_type: str | None = F("ruleSetType", intern=True)
    rule_set_version: str | None = F("ruleSetVersion", intern=True)
    request_body_check: bool | None = F("requestBodyCheck", "bool")
    max_request_body_size_in_kb: int | None = F("maxRequestBodySizeInKb", "int")
    file_upload_limit_in_mb: int | None = F("fileUploadLimitInMb", "int")


@model
class ApplicationGatewayIpConfiguration(ArmChild):
    subnet: SubResource | None = F("properties.subnet", "obj", SubResource)


@model
class ApplicationGatewayFrontendIpConfiguration(ArmChild):
    private_ip_address: str | None = F("properties.privateIPAddress", intern=True)
    private_ip_allocation_method: str | None = F(
        "properties.privateIPAllocationMethod", intern=True, enum=("Static", "Dynamic")
    )
    public_ip_address: SubResource | None = F("properties.publicIPAddress", "obj", SubResource)
    subnet: SubResource | None = F("properties.subnet", "obj", SubResource)


@model
class ApplicationGatewayHttpListener(ArmChild):
    protocol: str | None = F(
        "properties.protocol", intern=True, enum=("Http", "Https", "Tcp", "Tls")
    )
    host_name: str | None = F("properties.hostName")
    host_names: tuple[str, ...] = F("properties.hostNames", "strs")
    frontend_ip_configuration: SubResource | None = F(
        "properties.frontendIPConfiguration", "obj", SubResource
    )
    frontend_port: SubResource | None = F("properties.frontendPort", "obj", SubResource)
    ssl_certificate: SubResource | None = F("properties.sslCertificate", "obj", SubResource)
    ssl_profile: SubResource | None = F("properties.sslProfile", "obj", SubResource)
    firewall_policy: SubResource | None = F("properties.firewallPolicy", "obj", SubResource)


@model
class ApplicationGatewaySslProfile(ArmChild):
    ssl_policy: ApplicationGatewaySslPolicy | None = F(
        "properties.sslPolicy", "obj", ApplicationGatewaySslPolicy
    )


@model
class ApplicationGateway(ArmResource):
    """An application gateway: SKU, TLS policy, WAF, frontends and listeners."""

    zones: tuple[str, ...] = F("zones", "strs", intern=True)
    sku: ApplicationGatewaySku | None = F("properties.sku", "obj", ApplicationGatewaySku)
    ssl_policy: ApplicationGatewaySslPolicy | None = F(
        "properties.sslPolicy", "obj", ApplicationGatewaySslPolicy
    )
    default_predefined_ssl_policy: str | None = F(
        "properties.defaultPredefinedSslPolicy", intern=True, enum=_SSL_POLICY_NAMES
    )
    firewall_policy: SubResource | None = F("properties.firewallPolicy", "obj", SubResource)
    web_application_firewall_configuration: ApplicationGatewayWafConfiguration | None = F(
        "properties.webApplicationFirewallConfiguration", "obj", ApplicationGatewayWafConfiguration
    )
    gateway_ip_configurations: tuple[ApplicationGatewayIpConfiguration, ...] = F(
        "properties.gatewayIPConfigurations", "objs", ApplicationGatewayIpConfiguration
    )
    frontend_ip_configurations: tuple[ApplicationGatewayFrontendIpConfiguration, ...] = F(
        "properties.frontendIPConfigurations", "objs", ApplicationGatewayFrontendIpConfiguration
    )
    http_listeners: tuple[ApplicationGatewayHttpListener, ...] = F(
        "properties.httpListeners", "objs", ApplicationGatewayHttpListener
    )
    ssl_profiles: tuple[ApplicationGatewaySslProfile, ...] = F(
        "properties.sslProfiles", "objs", ApplicationGatewaySslProfile
    )
    enable_http2: bool | None = F("properties.enableHttp2", "bool")
    operational_state: str | None = F(
        "properties.operationalState", intern=True,
        enum=("Stopped", "Starting", "Running", "Stopping"),
    )


@model
class WafPolicySettings(Wire):
    state: str | None = F("state", intern=True, enum=_ENABLED_DISABLED)
    mode: str | None = F("mode", intern=True, enum=("Prevention", "Detection"))
    request_body_check: bool | None = F("requestBodyCheck", "bool")
    request_body_enforcement: bool | None = F("requestBodyEnforcement", "bool")
    request_body_inspect_limit_in_kb: int | None = F("requestBodyInspectLimitInKB", "int")
    max_request_body_size_in_kb: int | None = F("maxRequestBodySizeInKb", "int")
    file_upload_enforcement: bool | None = F("fileUploadEnforcement", "bool")
    file_upload_limit_in_mb: int | None = F("fileUploadLimitInMb", "int")


@model
class ManagedRuleOverride(Wire):
    rule_id: str | None = F("ruleId")
    state: str | None = F("state", intern=True, enum=_ENABLED_DISABLED)
    action: str | None = F(
        "action", intern=True,
        enum=("AnomalyScoring", "Allow", "Block", "Log", "JSChallenge", "CAPTCHA"),
    )


@model
class ManagedRuleGroupOverride(Wire):
    rule_group_name: str | None = F("ruleGroupName")
    rules: tuple[ManagedRuleOverride, ...] = F("rules", "objs", ManagedRuleOverride)


@model
class ManagedRuleSet(Wire):
    """A managed rule set (``OWASP`` 3.2, ``Microsoft_DefaultRuleSet`` 2.1, bot manager, ...)."""

    rule_set_type: str | None = F("ruleSetType", intern=True)
    rule_set_version: str | None = F("ruleSetVersion", intern=True)
    rule_group_overrides: tuple[ManagedRuleGroupOverride, ...] = F(
        "ruleGroupOverrides", "objs", ManagedRuleGroupOverride
    )


@model
class WafCustomRule(Wire):
    name: str | None = F("name")
    priority: int | None = F("priority", "int")
    rule_type: str | None = F(
        "ruleType", intern=True, enum=("MatchRule", "RateLimitRule", "Invalid")
    )
    action: str | None = F(
        "action", intern=True, enum=("Allow", "Block", "Log", "JSChallenge", "CAPTCHA")
    )
    state: str | None = F("state", intern=True, enum=_ENABLED_DISABLED)
    match_conditions: Any = F("matchConditions", "json")


@model
class WafPolicy(ArmResource):
    """An Application Gateway WAF policy (``ApplicationGatewayWebApplicationFirewallPolicies``)."""

    policy_settings: WafPolicySettings | None = F(
        "properties.policySettings", "obj", WafPolicySettings
    )
    managed_rule_sets: tuple[ManagedRuleSet, ...] = F(
        "properties.managedRules.managedRuleSets", "objs", ManagedRuleSet
    )
    custom_rules: tuple[WafCustomRule, ...] = F("properties.customRules", "objs", WafCustomRule)
    application_gateways: tuple[SubResource, ...] = F(
        "properties.applicationGateways", "objs", SubResource
    )
    http_listeners: tuple[SubResource, ...] = F("properties.httpListeners", "objs", SubResource)
    path_based_rules: tuple[SubResource, ...] = F("properties.pathBasedRules", "objs", SubResource)
    resource_state: str | None = F("properties.resourceState", intern=True)


# --- monitoring ------------------------------------------------------------------------------------


@model
class NetworkWatcher(ArmResource):
    """A network watcher (one per region); flow logs hang under it."""


@model
class FlowLogFormat(Wire):
    type: str | None = F("type", intern=True, enum=("JSON",))
    version: int | None = F("version", "int")


@model
class TrafficAnalyticsConfiguration(Wire):
    """Traffic analytics (``networkWatcherFlowAnalyticsConfiguration``)."""

    enabled: bool | None = F("enabled", "bool")
    workspace_id: str | None = F("workspaceId")
    workspace_region: str | None = F("workspaceRegion", intern=True)
    workspace_resource_id: str | None = F("workspaceResourceId", intern=True)
    traffic_analytics_interval: int | None = F("trafficAnalyticsInterval", "int")


@model
class FlowLog(ArmResource):
    """A VNet or NSG flow log (``targetResourceId``) and its traffic analytics."""

    target_resource_id: str | None = F("properties.targetResourceId", intern=True)
    target_resource_guid: str | None = F("properties.targetResourceGuid")
    storage_id: str | None = F("properties.storageId", intern=True)
    enabled: bool | None = F("properties.enabled", "bool")
    retention_policy: RetentionPolicy | None = F(
        "properties.retentionPolicy", "obj", RetentionPolicy
    )
    format: FlowLogFormat | None = F("properties.format", "obj", FlowLogFormat)
    network_watcher_flow_analytics_configuration: TrafficAnalyticsConfiguration | None = F(
        "properties.flowAnalyticsConfiguration.networkWatcherFlowAnalyticsConfiguration",
        "obj", TrafficAnalyticsConfiguration,
    )


@model
class DiagnosticLogSetting(Wire):
    category: str | None = F("category", intern=True)
    category_group: str | None = F("categoryGroup", intern=True)
    enabled: bool | None = F("enabled", "bool")
    retention_policy: RetentionPolicy | None = F("retentionPolicy", "obj", RetentionPolicy)


@model
class DiagnosticMetricSetting(Wire):
    category: str | None = F("category", intern=True)
    time_grain: str | None = F("timeGrain")
    enabled: bool | None = F("enabled", "bool")
    retention_policy: RetentionPolicy | None = F("retentionPolicy", "obj", RetentionPolicy)


@model
class DiagnosticSetting(ArmResource):
    """A ``Microsoft.Insights`` diagnostic setting (an Azure Firewall's, or Entra's ``microsoft.aadiam``)."""

    workspace_id: str | None = F("properties.workspaceId", intern=True)
    storage_account_id: str | None = F("properties.storageAccountId", intern=True)
    event_hub_authorization_rule_id: str | None = F("properties.eventHubAuthorizationRuleId")
    event_hub_name: str | None = F("properties.eventHubName")
    service_bus_rule_id: str | None = F("properties.serviceBusRuleId")
    marketplace_partner_id: str | None = F("properties.marketplacePartnerId")
    log_analytics_destination_type: str | None = F(
        "properties.logAnalyticsDestinationType", intern=True
    )
    logs: tuple[DiagnosticLogSetting, ...] = F("properties.logs", "objs", DiagnosticLogSetting)
    metrics: tuple[DiagnosticMetricSetting, ...] = F(
        "properties.metrics", "objs", DiagnosticMetricSetting
    )

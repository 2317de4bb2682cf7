"""The catalogue of data sets: what ztconsole reads, where it lives on the wire and on disk.

One entry per Graph or ARM read. The tenant directory (CONTRACTS §1), the loader, the generator, the
emulator and the live adapters all work from this list, so a data set is added in one place.

Path templates:
* ``{sub}``: a subscription id (ARM data sets read once per subscription);
* ``{parent}``: for item-scoped reads, the parent item's key: the object id for Graph, the full resource
  id (``/subscriptions/...``) for ARM.

This module is pure data (no I/O, no heavy imports): model classes are named, not imported, and
resolved on first use.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from ztconsole.model.wire import Wire

Api = Literal["graph", "arm"]
Shape = Literal["collection", "singleton"]


@dataclass(frozen=True, slots=True)
class DataSet:
    key: str
    title: str
    api: Api
    version: str  # "v1.0" / "beta" for Graph; the api-version the live adapter asks for on ARM
    path: str  # template, see module docstring
    model: str  # "module:Class" under ztconsole.model
    shape: Shape = "collection"
    parent: str | None = None  # key of the data set whose items this one hangs under
    pane: str = ""
    permission: str = ""  # least-privileged Graph application/delegated permission, or ARM role
    optional: bool = False  # absent from many tenants (licence, feature); never a failure
    note: str = ""
    _cls: list[type[Wire]] = field(default_factory=list, repr=False, compare=False)

    @property
    def per_subscription(self) -> bool:
        return "{sub}" in self.path

    @property
    def per_item(self) -> bool:
        return self.parent is not None

    def model_class(self) -> type[Wire]:
        if not self._cls:
            module, _, name = self.model.partition(":")
            self._cls.append(getattr(importlib.import_module(f"ztconsole.model.{module}"), name))
        return self._cls[0]

    def api_path(self, *, sub: str = "", parent: str = "") -> str:
        """The request path under the API root, e.g. ``identity/conditionalAccess/policies``."""
        path = self.path.replace("{sub}", sub)
        if self.parent is not None:
            path = path.replace("{parent}", parent.strip("/"))
        return path

    def file_path(self, *, sub: str = "", parent: str = "") -> str:
        """The file's path inside a tenant directory (forward slashes)."""
        root = f"graph/{self.version}" if self.api == "graph" else "arm"
        return f"{root}/{self.api_path(sub=sub, parent=parent)}.json"

    @property
    def label(self) -> str:
        """The data set's name in ``tenant.toml`` ``[datasets]`` and in every ``incomplete`` list
        (CONTRACTS §1, §2): its file path without ``.json``, ``<id>`` standing for the parent and ``<sub>``
        for the subscription, e.g. ``graph/v1.0/groups/<id>/members``."""
        return self.file_path(sub="<sub>", parent="<id>")[:-5]


_NET = "Microsoft.Network"
_ARM_NET_VERSION = "2024-05-01"

DATASETS: tuple[DataSet, ...] = (
    # --- Conditional Access -------------------------------------------------------------------
    DataSet("ca_policies", "Conditional Access policies", "graph", "v1.0",
            "identity/conditionalAccess/policies", "ca:ConditionalAccessPolicy",
            pane="ca", permission="Policy.Read.All"),
    DataSet("named_locations", "Named locations", "graph", "v1.0",
            "identity/conditionalAccess/namedLocations", "ca:NamedLocation",
            pane="ca", permission="Policy.Read.All"),
    DataSet("auth_strengths", "Authentication strengths", "graph", "v1.0",
            "policies/authenticationStrengthPolicies", "ca:AuthenticationStrengthPolicy",
            pane="ca", permission="Policy.Read.AuthenticationMethod"),
    DataSet("cae_policy", "Continuous access evaluation policy", "graph", "beta",
            "identity/continuousAccessEvaluationPolicy", "ca:ContinuousAccessEvaluationPolicy",
            shape="singleton", pane="cae", permission="Policy.Read.All"),
    # --- Directory ----------------------------------------------------------------------------
    DataSet("organization", "Organization", "graph", "v1.0", "organization", "directory:Organization",
            pane="overview", permission="Organization.Read.All"),
    DataSet("users", "Users", "graph", "v1.0", "users", "directory:User",
            pane="users", permission="User.Read.All, AuditLog.Read.All",
            note="$select includes signInActivity, which needs AuditLog.Read.All and Entra ID P1"),
    DataSet("groups", "Groups", "graph", "v1.0", "groups", "directory:Group",
            pane="users", permission="GroupMember.Read.All"),
    DataSet("group_members", "Group members", "graph", "v1.0", "groups/{parent}/members",
            "directory:DirectoryObject", parent="groups", pane="users",
            permission="GroupMember.Read.All"),
    DataSet("user_member_of", "Transitive memberships", "graph", "v1.0",
            "users/{parent}/transitiveMemberOf", "directory:DirectoryObject", parent="users",
            pane="users", permission="GroupMember.Read.All", optional=True,
            note="optional: derived from group_members where absent"),
    DataSet("role_definitions", "Directory role definitions", "graph", "v1.0",
            "roleManagement/directory/roleDefinitions", "directory:RoleDefinition",
            pane="users", permission="RoleManagement.Read.Directory"),
    DataSet("role_assignments", "Active role assignments", "graph", "v1.0",
            "roleManagement/directory/roleAssignments", "directory:RoleAssignment",
            pane="users", permission="RoleManagement.Read.Directory"),
    DataSet("role_eligibility", "Eligible role assignments (PIM)", "graph", "v1.0",
            "roleManagement/directory/roleEligibilitySchedules", "directory:RoleEligibilitySchedule",
            pane="users", permission="RoleEligibilitySchedule.Read.Directory", optional=True,
            note="needs Entra ID P2"),
    DataSet("auth_methods", "Authentication methods", "graph", "v1.0",
            "users/{parent}/authentication/methods", "directory:AuthenticationMethod",
            parent="users", pane="breakglass", permission="UserAuthenticationMethod.Read.All",
            note="read for the break-glass accounts and privileged role holders"),
    DataSet("registration_details", "Authentication method registration", "graph", "v1.0",
            "reports/authenticationMethods/userRegistrationDetails",
            "directory:UserRegistrationDetails", pane="users", permission="AuditLog.Read.All",
            optional=True),
    DataSet("service_principals", "Service principals", "graph", "v1.0", "servicePrincipals",
            "access:ServicePrincipal", pane="pa", permission="Application.Read.All"),
    DataSet("app_role_assignments", "App role assignments", "graph", "v1.0",
            "servicePrincipals/{parent}/appRoleAssignedTo", "access:AppRoleAssignment",
            parent="service_principals", pane="pa", permission="Application.Read.All",
            note="read for Private Access apps"),
    DataSet("sign_ins", "Sign-ins", "graph", "v1.0", "auditLogs/signIns", "directory:SignIn",
            pane="signins", permission="AuditLog.Read.All"),
    DataSet("device_compliance", "Device compliance policies", "graph", "v1.0",
            "deviceManagement/deviceCompliancePolicies", "directory:DeviceCompliancePolicy",
            pane="ca", permission="DeviceManagementConfiguration.Read.All", optional=True),
    DataSet("subscribed_skus", "Licences", "graph", "v1.0", "subscribedSkus",
            "directory:SubscribedSku", pane="overview", permission="LicenseAssignment.Read.All"),
    # --- Private Access / Global Secure Access --------------------------------------------------
    DataSet("applications", "Applications (Private Access)", "graph", "beta", "applications",
            "access:Application", pane="pa", permission="Application.Read.All",
            note="beta, for tags and onPremisesPublishing"),
    DataSet("app_segments", "Application segments", "graph", "beta",
            "applications/{parent}/onPremisesPublishing/segmentsConfiguration/"
            "microsoft.graph.ipSegmentConfiguration/applicationSegments",
            "access:ApplicationSegment", parent="applications", pane="pa",
            permission="Application.Read.All"),
    DataSet("app_connector_group", "Application connector group", "graph", "beta",
            "applications/{parent}/connectorGroup", "access:ConnectorGroup", shape="singleton",
            parent="applications", pane="pa", permission="OnPremisesPublishingProfiles.ReadWrite.All",
            note="no read-only permission exists for application proxy objects"),
    DataSet("connector_groups", "Connector groups", "graph", "beta",
            "onPremisesPublishingProfiles/applicationProxy/connectorGroups", "access:ConnectorGroup",
            pane="pa", permission="OnPremisesPublishingProfiles.ReadWrite.All"),
    DataSet("connector_group_members", "Connectors in a group", "graph", "beta",
            "onPremisesPublishingProfiles/applicationProxy/connectorGroups/{parent}/members",
            "access:Connector", parent="connector_groups", pane="pa",
            permission="OnPremisesPublishingProfiles.ReadWrite.All"),
    DataSet("connectors", "Connectors", "graph", "beta",
            "onPremisesPublishingProfiles/applicationProxy/connectors", "access:Connector",
            pane="pa", permission="OnPremisesPublishingProfiles.ReadWrite.All"),
    DataSet("forwarding_profiles", "Traffic forwarding profiles", "graph", "beta",
            "networkAccess/forwardingProfiles", "access:ForwardingProfile", pane="pa",
            permission="NetworkAccess.Read.All", optional=True),
    DataSet("gsa_ca_settings", "Global Secure Access signalling", "graph", "beta",
            "networkAccess/settings/conditionalAccess", "access:ConditionalAccessSettings",
            shape="singleton", pane="cae", permission="NetworkAccess.Read.All", optional=True),
    DataSet("traffic_logs", "Global Secure Access traffic logs", "graph", "beta", "networkAccess/logs/traffic",
            "access:NetworkAccessTraffic", pane="pa", permission="NetworkAccess-Reports.Read.All",
            optional=True, note="read for Private Access traffic: the evidence of the rollout's inventory"),
    # --- Azure networking (ARM) -----------------------------------------------------------------
    DataSet("resource_groups", "Resource groups", "arm", "2022-09-01", "subscriptions/{sub}/resourcegroups",
            "network:ResourceGroup", pane="fw", permission="Reader"),
    DataSet("firewalls", "Azure Firewalls", "arm", _ARM_NET_VERSION,
            f"subscriptions/{{sub}}/providers/{_NET}/azureFirewalls", "network:AzureFirewall",
            pane="fw", permission="Reader"),
    DataSet("firewall_policies", "Firewall policies", "arm", _ARM_NET_VERSION,
            f"subscriptions/{{sub}}/providers/{_NET}/firewallPolicies", "network:FirewallPolicy",
            pane="fw", permission="Reader"),
    DataSet("rule_collection_groups", "Rule collection groups", "arm", _ARM_NET_VERSION,
            "{parent}/ruleCollectionGroups", "network:RuleCollectionGroup",
            parent="firewall_policies", pane="fw", permission="Reader"),
    DataSet("ip_groups", "IP groups", "arm", _ARM_NET_VERSION,
            f"subscriptions/{{sub}}/providers/{_NET}/ipGroups", "network:IpGroup",
            pane="fw", permission="Reader"),
    DataSet("nsgs", "Network security groups", "arm", _ARM_NET_VERSION,
            f"subscriptions/{{sub}}/providers/{_NET}/networkSecurityGroups",
            "network:NetworkSecurityGroup", pane="nsg", permission="Reader"),
    DataSet("route_tables", "Route tables", "arm", _ARM_NET_VERSION,
            f"subscriptions/{{sub}}/providers/{_NET}/routeTables", "network:RouteTable",
            pane="fw", permission="Reader"),
    DataSet("virtual_networks", "Virtual networks", "arm", _ARM_NET_VERSION,
            f"subscriptions/{{sub}}/providers/{_NET}/virtualNetworks", "network:VirtualNetwork",
            pane="fw", permission="Reader"),
    DataSet("vnet_gateways", "Virtual network gateways", "arm", _ARM_NET_VERSION,
            f"{{parent}}/providers/{_NET}/virtualNetworkGateways", "network:VirtualNetworkGateway",
            parent="resource_groups", pane="fw", permission="Reader",
            note="ARM lists gateways per resource group only"),
    DataSet("ddos_plans", "DDoS protection plans", "arm", _ARM_NET_VERSION,
            f"subscriptions/{{sub}}/providers/{_NET}/ddosProtectionPlans", "network:DdosProtectionPlan",
            pane="fw", permission="Reader", optional=True),
    DataSet("app_gateways", "Application gateways", "arm", _ARM_NET_VERSION,
            f"subscriptions/{{sub}}/providers/{_NET}/applicationGateways", "network:ApplicationGateway",
            pane="fw", permission="Reader", optional=True),
    DataSet("waf_policies", "WAF policies", "arm", _ARM_NET_VERSION,
            f"subscriptions/{{sub}}/providers/{_NET}/ApplicationGatewayWebApplicationFirewallPolicies",
            "network:WafPolicy", pane="fw", permission="Reader", optional=True),
    DataSet("network_watchers", "Network watchers", "arm", _ARM_NET_VERSION,
            f"subscriptions/{{sub}}/providers/{_NET}/networkWatchers", "network:NetworkWatcher",
            pane="fw", permission="Reader"),
    DataSet("flow_logs", "Flow logs", "arm", _ARM_NET_VERSION, "{parent}/flowLogs",
            "network:FlowLog", parent="network_watchers", pane="fw", permission="Reader"),
    DataSet("firewall_diagnostics", "Azure Firewall diagnostic settings", "arm", "2021-05-01-preview",
            "{parent}/providers/Microsoft.Insights/diagnosticSettings", "network:DiagnosticSetting",
            parent="firewalls", pane="fw", permission="Monitoring Reader (Reader suffices)"),
    DataSet("entra_diagnostics", "Entra ID diagnostic settings", "arm", "2017-04-01-preview",
            "providers/microsoft.aadiam/diagnosticSettings", "network:DiagnosticSetting",
            pane="signins", permission="Security Reader (Entra), tenant-level Reader on microsoft.aadiam",
            optional=True),
)

BY_KEY: dict[str, DataSet] = {d.key: d for d in DATASETS}


def children(key: str) -> tuple[DataSet, ...]:
    """The item-scoped data sets hanging under data set ``key``."""
    return tuple(d for d in DATASETS if d.parent == key)


def top_level() -> tuple[DataSet, ...]:
    return tuple(d for d in DATASETS if d.parent is None)

"""The one place checks are declared: :data:`REGISTRY`, ordered by id (CONTRACTS §6 meanings)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ztconsole.engine.checks import access as pa
from ztconsole.engine.checks import breakglass as bg
from ztconsole.engine.checks import ca, cae
from ztconsole.engine.checks import monitoring as mon
from ztconsole.engine.checks import network as net
from ztconsole.engine.checks.base import Check, CheckContext, Finding, run_checks

__all__ = ["REGISTRY", "BY_ID", "run_all"]

#: what the Conditional Access evaluator reads of a tenant (Context.from_tenant)
_EVALUATOR = ("ca_policies", "named_locations", "users", "groups", "group_members", "role_definitions",
              "role_assignments")
_POLICIES = ("ca_policies",)
_ACCOUNTS = ("users",)
_FW_POLICIES = ("firewall_policies",)
_FW_RULES = ("firewall_policies", "rule_collection_groups", "ip_groups")

_CHECKS = (
    Check("ZT-CA-001", "MFA is required for all users on all resources", "identity", "critical",
          "verify-explicitly", _EVALUATOR, ca.ca001,
          "Enable a policy for All users and All resources that requires MFA or an authentication strength, "
          "excluding only the declared emergency access accounts."),
    Check("ZT-CA-002", "Legacy authentication is blocked", "identity", "high", "verify-explicitly",
          _EVALUATOR, ca.ca002,
          "Enable a policy for All users and All resources, client apps Exchange ActiveSync and Other clients, "
          "that blocks access (Microsoft's 'Block legacy authentication' template)."),
    Check("ZT-CA-003", "Azure management requires a compliant or hybrid-joined device", "identity", "high",
          "verify-explicitly", (*_EVALUATOR, "service_principals"), ca.ca003,
          "Enable a policy for All users on Windows Azure Service Management API (797f4846-ba00-4fd7-ba43-"
          "dac1f8f63013) or Microsoft Admin Portals that requires a compliant or hybrid-joined device."),
    Check("ZT-CA-004", "Medium and high sign-in risk require MFA or are blocked", "identity", "high",
          "assume-breach", _EVALUATOR, ca.ca004,
          "Enable a policy for All users and All resources, sign-in risk medium and high, that requires MFA "
          "(or a strength) or blocks."),
    Check("ZT-CA-005", "Sign-ins from countries the organisation never operates in are blocked", "identity",
          "medium", "assume-breach", _EVALUATOR, ca.ca005,
          "Create a country named location of the countries you never operate in and enable a policy for All "
          "users and All resources that blocks it."),
    Check("ZT-CA-006", "Report-only policies are decided within the bake period", "identity", "low",
          "verify-explicitly", _POLICIES, ca.ca006,
          "Review each report-only policy's impact and enable or delete it."),
    Check("ZT-CA-007", "Privileged roles require a phishing-resistant authentication strength", "identity",
          "high", "verify-explicitly", (*_EVALUATOR, "role_eligibility"), ca.ca007,
          "Enable a policy for the privileged directory roles on All resources that requires the "
          "Phishing-resistant MFA authentication strength."),
    Check("ZT-CA-008", "Device code flow is blocked or restricted", "identity", "medium", "assume-breach",
          _EVALUATOR, ca.ca008,
          "Enable a policy for All users and All resources with the authentication flows condition 'Device code "
          "flow' that blocks access (except where it is needed)."),
    Check("ZT-CA-009", "Policies reference only objects that exist", "identity", "medium", "verify-explicitly",
          ("ca_policies", "users", "groups", "role_definitions", "service_principals", "named_locations"),
          ca.ca009, "Remove references to deleted users, groups, roles, applications and named locations."),
    Check("ZT-CA-010", "No class of sign-ins is left uncovered", "identity", "high", "verify-explicitly",
          (*_EVALUATOR, "service_principals"), ca.ca010,
          "Cover each class listed (ztconsole gaps) with a policy that blocks or requires MFA or an "
          "authentication strength."),
    Check("ZT-CA-011", "Privileged roles are held just in time (PIM), not permanently", "identity", "high",
          "least-privilege", ("role_definitions", "role_assignments", "role_eligibility", "users", "groups",
                              "service_principals"), ca.ca011,
          "Make the privileged role assignments eligible in Privileged Identity Management."),
    Check("ZT-BG-001", "At least two emergency access accounts are declared and exist", "break-glass",
          "critical", "assume-breach", _ACCOUNTS, bg.bg001,
          "Declare (and create) at least two cloud-only emergency access accounts."),
    Check("ZT-BG-002", "Emergency access accounts are cloud-only on *.onmicrosoft.com", "break-glass", "high",
          "assume-breach", _ACCOUNTS, bg.bg002,
          "Use cloud-only accounts whose UPN is on the tenant's *.onmicrosoft.com domain."),
    Check("ZT-BG-003", "Emergency access accounts are enabled", "break-glass", "critical", "assume-breach",
          _ACCOUNTS, bg.bg003, "Enable the account (accountEnabled true)."),
    Check("ZT-BG-004", "Emergency access accounts hold Global Administrator permanently", "break-glass",
          "critical", "assume-breach", ("users", "groups", "group_members", "role_definitions",
                                        "role_assignments", "role_eligibility"), bg.bg004,
          "Assign Global Administrator to the account as an active, permanent assignment."),
    Check("ZT-BG-005", "No enabled policy can lock out an emergency access account", "break-glass", "critical",
          "assume-breach", (*_EVALUATOR, "service_principals"), bg.bg005,
          "Exclude the emergency access accounts (or a group holding only them) from the policy."),
    Check("ZT-BG-006", "Emergency access accounts have a phishing-resistant method", "break-glass", "high",
          "verify-explicitly", ("users", "auth_methods"), bg.bg006,
          "Register a FIDO2 security key or passkey (or a certificate) for the account."),
    Check("ZT-BG-007", "Emergency access accounts are validated, not used routinely", "break-glass", "medium",
          "assume-breach", ("users", "sign_ins"), bg.bg007,
          "Sign in with each emergency access account at least every 90 days to validate it, and only then."),
    Check("ZT-BG-008", "No report-only policy would lock out an emergency access account", "break-glass",
          "high", "assume-breach", (*_EVALUATOR, "service_principals"), bg.bg008,
          "Exclude the emergency access accounts from the report-only policy before enforcing it."),
    Check("ZT-CAE-001", "No policy disables continuous access evaluation", "cae", "high", "assume-breach",
          _POLICIES, cae.cae001, "Remove the 'Disable' CAE session control."),
    Check("ZT-CAE-002", "The tenant CAE policy does not switch CAE off (or is migrated)", "cae", "medium",
          "assume-breach", ("cae_policy", "groups"), cae.cae002,
          "Migrate the tenant CAE settings into Conditional Access."),
    Check("ZT-CAE-003", "Strict location enforcement only on IP-based named locations", "cae", "medium",
          "verify-explicitly", ("ca_policies", "named_locations"), cae.cae003,
          "Use strict location enforcement only with IP named locations."),
    Check("ZT-CAE-004", "Global Secure Access signalling is on when Private Access is used", "cae", "medium",
          "verify-explicitly", ("applications", "gsa_ca_settings"), cae.cae004,
          "Enable Global Secure Access signalling for Conditional Access."),
    Check("ZT-MON-001", "Every Azure Firewall sends its logs to a Log Analytics workspace", "visibility", "high",
          "assume-breach", ("firewalls", "firewall_diagnostics"), mon.mon001,
          "Send the firewall's logs to a Log Analytics workspace through a diagnostic setting."),
    Check("ZT-MON-002", "Flow logs with traffic analytics cover workload networks", "visibility", "medium",
          "assume-breach", ("virtual_networks", "network_watchers", "flow_logs"), mon.mon002,
          "Enable virtual network flow logs with traffic analytics."),
    Check("ZT-MON-003", "Entra sign-in and audit logs are exported to a Log Analytics workspace", "visibility",
          "high", "assume-breach", ("entra_diagnostics",), mon.mon003,
          "Send SignInLogs and AuditLogs to a Log Analytics workspace through an Entra ID diagnostic setting."),
    Check("ZT-NET-001", "Every firewall policy has threat intelligence in Deny", "network", "high", "assume-breach",
          _FW_POLICIES, net.net001, "Set the policy's threat intelligence mode to 'Alert and deny'."),
    Check("ZT-NET-002", "Premium firewall policies run IDPS in Deny", "network", "high", "assume-breach",
          _FW_POLICIES, net.net002, "Set the Premium policy's IDPS mode to 'Alert and deny'."),
    Check("ZT-NET-003", "Premium firewall policies inspect outbound TLS on application rules", "network", "medium",
          "assume-breach", _FW_RULES, net.net003,
          "Configure the policy's TLS inspection CA and enable TLS inspection on the application rules."),
    Check("ZT-NET-004", "No any-to-any allow rule", "network", "critical", "least-privilege",
          (*_FW_RULES, "firewalls"), net.net004, "Delete the any-to-any rule or narrow it."),
    Check("ZT-NET-005", "Internet egress is allowed by FQDN application rules only", "network", "high",
          "least-privilege", (*_FW_RULES, "firewalls"), net.net005,
          "Allow internet egress with application rules naming FQDNs, not network rules to any destination."),
    Check("ZT-NET-006", "No firewall rule is shadowed or redundant", "network", "medium", "verify-explicitly",
          _FW_RULES, net.net006, "Delete or reorder the rule (see the covering rule in the evidence)."),
    Check("ZT-NET-007", "No NSG admits management ports from the Internet", "network", "critical",
          "least-privilege", ("nsgs", "virtual_networks"), net.net007,
          "Remove Internet access to 22, 3389, 5985 and 5986; use Azure Bastion or just-in-time access."),
    Check("ZT-NET-008", "No NSG admits cleartext legacy protocols", "network", "high", "least-privilege",
          ("nsgs", "virtual_networks"), net.net008,
          "Remove the rules admitting FTP, Telnet, HTTP, POP3, IMAP or SMB from outside the network."),
    Check("ZT-NET-009", "Spoke egress is forced through the firewall; spokes peer only with the hub", "network",
          "high", "assume-breach", ("virtual_networks", "route_tables", "firewalls"), net.net009,
          "Route 0.0.0.0/0 of every workload subnet to the hub firewall and peer spokes only with the hub."),
    Check("ZT-NET-010", "After ZTNA, NSGs no longer admit the VPN client pool to published destinations",
          "network", "medium", "least-privilege",
          ("nsgs", "virtual_networks", "vnet_gateways", "applications", "app_segments"), net.net010,
          "Remove the NSG rules admitting the point-to-site pool to destinations Private Access publishes."),
    Check("ZT-NET-011", "Every workload subnet has an NSG", "network", "medium", "assume-breach",
          ("virtual_networks",), net.net011, "Associate a network security group with the subnet."),
    Check("ZT-NET-012", "Virtual networks with public endpoints have DDoS protection", "network", "medium",
          "assume-breach", ("virtual_networks", "firewalls", "app_gateways", "vnet_gateways"), net.net012,
          "Link the virtual network to a DDoS Network Protection plan."),
    Check("ZT-NET-013", "Application gateways allow only TLS 1.2 or later", "network", "high", "verify-explicitly",
          ("app_gateways",), net.net013, "Use AppGwSslPolicy20220101S (or a custom policy, minimum TLSv1_2)."),
    Check("ZT-NET-014", "Application gateway WAFs block, with current rule sets and bot protection", "network",
          "high", "assume-breach", ("app_gateways", "waf_policies"), net.net014,
          "Use a WAF policy in Prevention mode with DRS 2.1 and the bot manager rule set."),
    Check("ZT-NET-015", "Every Azure Firewall is governed by a Firewall Policy", "network", "medium",
          "verify-explicitly", ("firewalls",), net.net015,
          "Migrate classic rule collections to a Firewall Policy."),
    Check("ZT-PA-001", "Private Access apps require MFA and a compliant or hybrid-joined device", "private-access",
          "high", "verify-explicitly", (*_EVALUATOR, "applications", "service_principals", "app_role_assignments"),
          pa.pa001, "Enable a policy on the application that requires MFA and a compliant or hybrid-joined device."),
    Check("ZT-PA-002", "Private Access segments are not over-broad", "private-access", "high", "least-privilege",
          ("applications", "app_segments"), pa.pa002,
          "Narrow the application's segments to the hosts and ports it uses."),
    Check("ZT-PA-003", "Private Access apps are assigned to specific users or groups", "private-access", "high",
          "least-privilege", ("applications", "service_principals", "app_role_assignments"), pa.pa003,
          "Require assignment and assign only the users or groups that need the application."),
    Check("ZT-PA-004", "Private Access apps use a dedicated connector group with two active connectors",
          "private-access", "medium", "assume-breach",
          ("applications", "app_connector_group", "connector_groups", "connector_group_members"), pa.pa004,
          "Use a non-default connector group with at least two active connectors."),
    Check("ZT-PA-005", "No destination is published by two Private Access apps", "private-access", "medium",
          "least-privilege", ("applications", "app_segments"), pa.pa005,
          "Publish each destination (host, port, protocol) through one application only."),
    Check("ZT-PA-006", "Quick Access is not a whole-network VPN substitute", "private-access", "medium",
          "least-privilege", ("applications", "app_segments"), pa.pa006,
          "Move destinations from Quick Access to per-app Private Access applications."),
)


def _order(check_id: str) -> tuple[str, int]:
    area, _, number = check_id.rpartition("-")
    return area, int(number)


REGISTRY: tuple[Check, ...] = tuple(sorted(_CHECKS, key=lambda c: _order(c.id)))
BY_ID: Mapping[str, Check] = MappingProxyType({c.id: c for c in REGISTRY})
if len(BY_ID) != len(REGISTRY):
    raise RuntimeError("two checks share an id")


def run_all(ctx: CheckContext) -> list[Finding]:
    """Every check of the catalogue, by id: at least one finding each (what ``assess`` reports)."""
    return run_checks(ctx, REGISTRY)

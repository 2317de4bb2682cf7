"""The one place checks are declared: :data:`REGISTRY`, ordered by id (CONTRACTS §6 meanings)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ztconsole.engine.checks import breakglass as bg
from ztconsole.engine.checks import ca, cae
from ztconsole.engine.checks.base import Check, CheckContext, Finding, run_checks

__all__ = ["REGISTRY", "BY_ID", "run_all"]

#: what the Conditional Access evaluator reads of a tenant (Context.from_tenant)
_EVALUATOR = ("ca_policies", "named_locations", "users", "groups", "group_members", "role_definitions",
              "role_assignments")
_POLICIES = ("ca_policies",)
_ACCOUNTS = ("users",)

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

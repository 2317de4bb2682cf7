"""A Conditional Access policy in full: every condition with its ids resolved to names, the grant and
session controls, and the findings of the check catalogue about it (the details dialog of the CA pane).

Each line is labelled with the Graph property it shows (``users.excludeGroups``), so an admin can find it in
the policy's JSON or in the admin center; ids that resolve to nothing say so. Tenant text stays data: every
value goes through :func:`ztconsole.ui.safe.text`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from ztconsole.ui.panes.ca_model import STATE_WORDS, Names, age_text, grant_text, session_text
from ztconsole.ui.safe import text

if TYPE_CHECKING:
    from datetime import datetime

    from ztconsole.engine.checks.base import Finding
    from ztconsole.model.ca import ConditionalAccessConditionSet, ConditionalAccessPolicy

__all__ = ["policy_sections", "render_sections"]

Line = tuple[str, Text]
Section = tuple[str, list[Line]]

_GUEST_TYPES = {
    "internalGuest": "local guest users", "b2bCollaborationGuest": "B2B collaboration guests",
    "b2bCollaborationMember": "B2B collaboration members", "b2bDirectConnectUser": "B2B direct connect users",
    "otherExternalUser": "other external users", "serviceProvider": "service provider users",
}


MAX_VALUE = 300
"""Characters of one value shown (a 10,000-character display name is cut, with an ellipsis)."""


def _t(value: object, style: str = "") -> Text:
    out = text(value, style)
    if len(out.plain) > MAX_VALUE:
        out.truncate(MAX_VALUE - 3)
        out.append("...")
    return out


def _list(values: Iterable[str], name: Callable[[str], str] = str) -> Text:
    out = Text()
    for i, value in enumerate(values):
        if i:
            out.append("\n")
        out.append_text(_t(name(value)))
    return out


def _when(value: datetime | None, now: datetime) -> Text:
    if value is None:
        return Text("unknown", style="dim")
    return Text(f"{value:%Y-%m-%d %H:%M} UTC ({age_text(value, now)} ago)")


def policy_sections(policy: ConditionalAccessPolicy, names: Names, findings: Sequence[Finding], now: datetime,
                    styles: Mapping[str, str] | None = None) -> list[Section]:
    """The policy as titled sections of ``(Graph property, value)`` lines; empty conditions are left out
    (the admin center's "not configured"). ``styles``: Rich styles by ``state:<graph state>``,
    ``check:<status>`` and ``deny`` (the theme's), else no colour."""
    styles = styles or {}
    cond = policy.conditions
    overview: list[Line] = [
        ("id", _t(policy.id)),
        ("state", _t(STATE_WORDS.get(policy.state or "", policy.state or "unknown"),
                       styles.get(f"state:{policy.state}", ""))),
        ("modifiedDateTime", _when(policy.modified_date_time, now)),
        ("createdDateTime", _when(policy.created_date_time, now)),
    ]
    if policy.description:
        overview.insert(1, ("description", _t(policy.description)))
    if policy.template_id:
        overview.append(("templateId", _t(policy.template_id)))
    sections: list[Section] = [("Policy", overview)]
    sections += _conditions(cond, names)
    grant = policy.grant_controls
    grant_lines: list[Line] = []
    if grant is not None:
        said = grant_text(grant, names, short=False)
        grant_lines.append(("grantControls", _t(said or "none (session controls only)",
                                                  styles.get("deny", "") if grant.blocks else "bold")))
        if grant.operator and len(grant.control_names) > 1:
            grant_lines.append(("operator", _t(grant.operator)))
        if grant.authentication_strength is not None:
            s = grant.authentication_strength
            grant_lines.append(("authenticationStrength", _t(f"{names.strength(s.id, s.display_name)} ({s.id})")))
        if grant.terms_of_use:
            grant_lines.append(("termsOfUse", _list(grant.terms_of_use)))
        if grant.custom_authentication_factors:
            grant_lines.append(("customAuthenticationFactors", _list(grant.custom_authentication_factors)))
    sections.append(("Grant", grant_lines or [("grantControls", Text("none", style="dim"))]))
    session = session_text(policy.session_controls)
    sections.append(("Session", [("sessionControls", _t(session) if session else Text("none", style="dim"))]))
    found: list[Line] = []
    for f in findings:
        line = Text()
        line.append(f"{f.status:<5} ", style=styles.get(f"check:{f.status}", ""))
        line.append(f"{f.severity:<8} ", style="dim")
        line.append_text(_t(f.title, "bold"))
        if f.evidence:
            line.append("\n")
            line.append_text(_t(f.evidence))
        if f.remediation and f.status in ("fail", "warn", "error"):
            line.append("\nFix: ", style="dim")
            line.append_text(_t(f.remediation))
        found.append((f.check, line))
    sections.append(("Findings", found or [("", Text("No finding of the catalogue is about this policy.",
                                                     style="dim"))]))
    return sections


def _conditions(cond: ConditionalAccessConditionSet | None, names: Names) -> list[Section]:
    if cond is None:
        return [("Conditions", [("conditions", Text("none: the policy applies to nothing", style="dim"))])]
    from ztconsole.engine.ca.scenario import USER_ACTION_NAMES

    out: list[Section] = []
    users: list[Line] = []
    u = cond.users
    if u is not None:
        for label, values, name in (
            ("includeUsers", u.include_users, _user_token(names)), ("includeGroups", u.include_groups, names.group),
            ("includeRoles", u.include_roles, names.role), ("excludeUsers", u.exclude_users, _user_token(names)),
            ("excludeGroups", u.exclude_groups, names.group), ("excludeRoles", u.exclude_roles, names.role),
        ):
            if values:
                users.append((f"users.{label}", _list(values, name)))
        for label, spec in (("includeGuestsOrExternalUsers", u.include_guests_or_external_users),
                            ("excludeGuestsOrExternalUsers", u.exclude_guests_or_external_users)):
            if spec is not None:
                kinds = ", ".join(_GUEST_TYPES.get(t, t) for t in spec.user_types) or "none"
                tenants = spec.external_tenants
                where = ""
                if tenants is not None:
                    members = getattr(tenants, "members", ())
                    where = f"; tenants: {', '.join(members)}" if members else "; any tenant"
                users.append((f"users.{label}", _t(kinds + where)))
    out.append(("Users", users or [("users", Text("none: the policy applies to no one", style="dim"))]))

    target: list[Line] = []
    a = cond.applications
    if a is not None:
        if a.include_applications:
            target.append(("applications.includeApplications", _list(a.include_applications, names.app)))
        if a.exclude_applications:
            target.append(("applications.excludeApplications", _list(a.exclude_applications, names.app)))
        if a.include_user_actions:
            target.append(("applications.includeUserActions",
                           _list(a.include_user_actions, lambda x: USER_ACTION_NAMES.get(x, x))))
        if a.include_authentication_context_class_references:
            target.append(("applications.includeAuthenticationContextClassReferences",
                           _list(a.include_authentication_context_class_references)))
        if a.application_filter is not None:
            target.append(("applications.applicationFilter",
                           _t(f"{a.application_filter.mode or '?'}: {a.application_filter.rule or ''}")))
        if a.global_secure_access is not None or a.network_access is not None:
            target.append(("applications.globalSecureAccess", _t("Global Secure Access traffic")))
    ca = cond.client_applications
    if ca is not None:
        if ca.include_service_principals:
            target.append(("clientApplications.includeServicePrincipals", _list(ca.include_service_principals)))
        if ca.exclude_service_principals:
            target.append(("clientApplications.excludeServicePrincipals", _list(ca.exclude_service_principals)))
    out.append(("Target resources", target or [("applications", Text("none: the policy targets nothing",
                                                                      style="dim"))]))

    other: list[Line] = []
    loc = cond.locations
    if loc is not None:
        if loc.include_locations:
            other.append(("locations.includeLocations", _list(loc.include_locations, names.location)))
        if loc.exclude_locations:
            other.append(("locations.excludeLocations", _list(loc.exclude_locations, names.location)))
    p = cond.platforms
    if p is not None:
        if p.include_platforms:
            other.append(("platforms.includePlatforms", _t(", ".join(p.include_platforms))))
        if p.exclude_platforms:
            other.append(("platforms.excludePlatforms", _t(", ".join(p.exclude_platforms))))
    if cond.client_app_types:
        other.append(("clientAppTypes", _t(", ".join(cond.client_app_types))))
    for label, values in (("signInRiskLevels", cond.sign_in_risk_levels), ("userRiskLevels", cond.user_risk_levels),
                          ("servicePrincipalRiskLevels", cond.service_principal_risk_levels),
                          ("insiderRiskLevels", cond.insider_risk_level_values)):
        if values:
            other.append((label, _t(", ".join(values))))
    d = cond.devices
    if d is not None:
        if d.device_filter is not None:
            other.append(("devices.deviceFilter", _t(f"{d.device_filter.mode or '?'}: {d.device_filter.rule or ''}")))
        for label, values in (("includeDevices", d.include_devices), ("excludeDevices", d.exclude_devices),
                              ("includeDeviceStates", d.include_device_states),
                              ("excludeDeviceStates", d.exclude_device_states)):
            if values:
                other.append((f"devices.{label}", _t(", ".join(values))))
    flows = cond.authentication_flows
    if flows is not None and flows.transfer_method_values:
        other.append(("authenticationFlows.transferMethods", _t(", ".join(flows.transfer_method_values))))
    out.append(("Conditions", other or [("", Text("no other condition: any location, platform, client app, "
                                                  "risk and device", style="dim"))]))
    return out


def _user_token(names: Names) -> Callable[[str], str]:
    def name(value: str) -> str:
        if value == "All":
            return "All users"
        if value == "None":
            return "None"
        if value == "GuestsOrExternalUsers":
            return "All guest and external users"
        return names.user(value)
    return name


def render_sections(sections: Sequence[Section]) -> Table:
    """The sections as one grid: a heading line per section, then ``property  value`` lines."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True, max_width=34)
    grid.add_column(overflow="fold")
    for i, (title, lines) in enumerate(sections):
        if i:
            grid.add_row("", "")
        grid.add_row(Text(title, style="bold underline"), "")
        for label, value in lines:
            grid.add_row(Text(label, overflow="ellipsis"), value)
    return grid

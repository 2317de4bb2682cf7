"""Preflight: which panes the signed-in identity can read, before any pane tries.

:func:`preflight` gets one Microsoft Graph token and reads its claims: ``roles`` (application permissions)
for an app-only token, ``scp`` (delegated permissions) for a user's token. The payload is decoded without
verifying the signature: it is only displayed, never trusted for anything. Each pane's least-privileged
permission (from the catalogue, :data:`ztconsole.sources.credentials.PANE_PERMISSIONS`) is ``granted``
when the token holds it or a permission the Graph API reference lists as also sufficient for *every*
read that needs it (``Directory.Read.All`` covers users, groups, roles, apps and licences; but no other
permission reads Conditional Access policies: ``Policy.ReadWrite.ConditionalAccess`` does not imply
``Policy.Read.All``, see :data:`_ALSO_BY_PERMISSION`). A delegated token is further limited by the
signed-in user's directory roles, which the token does not show. A token that is not a JWT (the
emulator's static token) makes every Graph permission ``unknown``.

For Azure Resource Manager it asks, per subscription,
``GET {arm}/subscriptions/{sub}/providers/Microsoft.Authorization/permissions`` (the caller's effective
``actions``/``notActions`` from all its role assignments) and checks the read action of every ARM data
set, e.g. ``Microsoft.Network/azureFirewalls/read`` (``*/read`` of Reader and ``Microsoft.Network/*`` of
Network Contributor match; a ``notActions`` entry removes it). Any failure of that call makes the
subscription's checks ``unknown`` with the cause. Deny assignments are not part of that answer.

``ztconsole config validate --live`` prints :func:`format_preflight`.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import httpx

from ztconsole.config import CloudEndpoints
from ztconsole.datasets import DATASETS, DataSet
from ztconsole.sources import errors
from ztconsole.sources.credentials import permissions_of, scopes
from ztconsole.sources.paging import json_body, pages

if TYPE_CHECKING:
    from azure.core.credentials import AccessToken

__all__ = ["ARM_PERMISSIONS_API_VERSION", "ARM_READ_ACTIONS", "PermissionCheck", "format_preflight",
           "preflight", "token_claims"]

State = Literal["granted", "missing", "unknown"]
ARM_PERMISSIONS_API_VERSION = "2022-04-01"
_MAX_PAGES = 20
_HTTP_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class PermissionCheck:
    """One permission a pane needs, and whether the identity has it. ``scope`` is ``"tenant"`` for Graph and
    the subscription id for ARM."""

    pane: str
    permission: str
    state: State
    detail: str = ""
    scope: str = "tenant"


# ------------------------------------------------------------------------------------- Graph: facts

_DIRECTORY_READ = ("Directory.Read.All", "Directory.ReadWrite.All")

#: Permissions that also grant what the catalogue's least-privileged permission grants, for every data
#: set that needs it: the "Higher privileged permissions" of the Graph API reference for those reads.
#: ``Policy.Read.All``: Conditional Access policies, named locations and the CAE policy list none.
_ALSO_BY_PERMISSION: dict[str, tuple[str, ...]] = {
    "Policy.Read.All": (),
    "Organization.Read.All": ("Organization.ReadWrite.All", *_DIRECTORY_READ),
    "User.Read.All": ("User.ReadWrite.All", *_DIRECTORY_READ),
    "AuditLog.Read.All": (),
    "GroupMember.Read.All": ("GroupMember.ReadWrite.All", "Group.Read.All", "Group.ReadWrite.All",
                             *_DIRECTORY_READ),
    "RoleManagement.Read.Directory": ("RoleManagement.Read.All", "RoleManagement.ReadWrite.Directory",
                                      *_DIRECTORY_READ),
    "RoleEligibilitySchedule.Read.Directory": ("RoleEligibilitySchedule.ReadWrite.Directory",
                                               "RoleManagement.Read.Directory", "RoleManagement.Read.All",
                                               "RoleManagement.ReadWrite.Directory"),
    "UserAuthenticationMethod.Read.All": ("UserAuthenticationMethod.ReadWrite.All",),
    "Application.Read.All": ("Application.ReadWrite.All", *_DIRECTORY_READ),
    "DeviceManagementConfiguration.Read.All": ("DeviceManagementConfiguration.ReadWrite.All",),
    "LicenseAssignment.Read.All": ("LicenseAssignment.ReadWrite.All", "Organization.Read.All",
                                   "Organization.ReadWrite.All", *_DIRECTORY_READ),
    "OnPremisesPublishingProfiles.ReadWrite.All": ("Directory.ReadWrite.All",),
    "NetworkAccess.Read.All": ("NetworkAccess.ReadWrite.All",),
    # list networkAccessTraffic: NetworkAccess-Reports.Read.All, or NetworkAccess.ReadWrite.All (Graph reference)
    "NetworkAccess-Reports.Read.All": ("NetworkAccess.ReadWrite.All",),
}

#: Reads whose alternatives differ from their permission's (these replace the entry above).
_ALSO_BY_DATASET: dict[tuple[str, str], tuple[str, ...]] = {
    # authentication strengths: least Policy.Read.AuthenticationMethod; Policy.Read.All is "higher"
    ("auth_strengths", "Policy.Read.AuthenticationMethod"): ("Policy.Read.All",
                                                             "Policy.ReadWrite.AuthenticationMethod",
                                                             "Policy.ReadWrite.ConditionalAccess"),
    # users/{id}/transitiveMemberOf: User.Read.All (app) is the least privileged
    ("user_member_of", "GroupMember.Read.All"): ("User.Read.All", "User.ReadWrite.All", "Group.Read.All",
                                                 "GroupMember.ReadWrite.All", "Group.ReadWrite.All",
                                                 *_DIRECTORY_READ),
    ("registration_details", "AuditLog.Read.All"): ("UserAuthenticationMethod.Read.All",),
    # Private Access application segments list only Application.ReadWrite.All as higher privileged
    ("app_segments", "Application.Read.All"): ("Application.ReadWrite.All",),
}


def _alternatives(ds: DataSet, permission: str) -> tuple[str, ...]:
    """Every permission that grants ``permission``'s read of ``ds``, itself first."""
    also = _ALSO_BY_DATASET.get((ds.key, permission), _ALSO_BY_PERMISSION.get(permission, ()))
    return (permission, *also)


# --------------------------------------------------------------------------------------- ARM: facts

#: The read action each ARM data set needs, by data set key (tenant-level reads are absent).
ARM_READ_ACTIONS: dict[str, str] = {
    "resource_groups": "Microsoft.Resources/subscriptions/resourceGroups/read",
    "firewalls": "Microsoft.Network/azureFirewalls/read",
    "firewall_policies": "Microsoft.Network/firewallPolicies/read",
    "rule_collection_groups": "Microsoft.Network/firewallPolicies/ruleCollectionGroups/read",
    "ip_groups": "Microsoft.Network/ipGroups/read",
    "nsgs": "Microsoft.Network/networkSecurityGroups/read",
    "route_tables": "Microsoft.Network/routeTables/read",
    "virtual_networks": "Microsoft.Network/virtualNetworks/read",
    "vnet_gateways": "Microsoft.Network/virtualNetworkGateways/read",
    "ddos_plans": "Microsoft.Network/ddosProtectionPlans/read",
    "app_gateways": "Microsoft.Network/applicationGateways/read",
    "waf_policies": "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies/read",
    "network_watchers": "Microsoft.Network/networkWatchers/read",
    "flow_logs": "Microsoft.Network/networkWatchers/flowLogs/read",
    "firewall_diagnostics": "Microsoft.Insights/diagnosticSettings/read",
}


def _requirements(api: str) -> list[tuple[str, str, list[DataSet]]]:
    """``(pane, permission, data sets)`` for one API, in catalogue order."""
    grouped: dict[tuple[str, str], list[DataSet]] = {}
    for ds in DATASETS:
        if ds.api != api or not ds.pane:
            continue
        for permission in permissions_of(ds):
            grouped.setdefault((ds.pane, permission), []).append(ds)
    return [(pane, permission, sets) for (pane, permission), sets in grouped.items()]


def _titles(sets: Iterable[DataSet]) -> str:
    return ", ".join(ds.title for ds in sets)


# --------------------------------------------------------------------------------------- the token


def token_claims(token: str) -> dict[str, Any] | None:
    """The payload of a JWT (a JWS: three dot-separated parts), decoded without verification; None when
    ``token`` is not one. Never raises, never echoes the token."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[1]:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        data = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (ValueError, UnicodeError):
        return None
    return data if isinstance(data, dict) else None


async def _access_token(credential: Any, scope: list[str], service: str) -> str:
    try:
        token: AccessToken = await credential.get_token(*scope)
    except errors.SourceError:
        raise
    except Exception as exc:  # noqa: BLE001 - a credential is a plug-in; any failure means no token
        reason = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        reason = " ".join(str(reason).split())[:300]
        raise errors.AuthFailed(f"could not get an access token for {service}: {reason}",
                                code=type(exc).__name__) from None
    return token.token


# ------------------------------------------------------------------------------------------- Graph


def _graph_checks(claims: dict[str, Any] | None) -> list[PermissionCheck]:
    requirements = _requirements("graph")
    if claims is None:
        why = "the token is not a JWT (e.g. the emulator's static token): its permissions cannot be read"
        return [PermissionCheck(pane, permission, "unknown", why) for pane, permission, _ in requirements]
    if isinstance(claims.get("scp"), str):
        held_list = claims["scp"].split()
        kind = "delegated"
    else:
        roles = claims.get("roles")
        held_list = [r for r in roles if isinstance(r, str)] if isinstance(roles, list) else []
        kind = "application"
    held = {p.casefold(): p for p in held_list}
    checks = []
    for pane, permission, sets in requirements:
        covered: list[DataSet] = []
        via: list[str] = []
        for ds in sets:
            found = [held[p.casefold()] for p in _alternatives(ds, permission) if p.casefold() in held]
            if found:
                covered.append(ds)
                via.extend(p for p in found[:1] if p not in via)
        uncovered = [ds for ds in sets if ds not in covered]
        suffix = " (delegated: the signed-in user's directory roles limit it further)" if kind == "delegated" else ""
        if not uncovered:
            how = "held" if via == [permission] else f"covered by {', '.join(via)}"
            checks.append(PermissionCheck(pane, permission, "granted", f"{how}{suffix}"))
        elif not covered:
            none = "the token holds no application permissions" if not held_list and kind == "application" \
                else f"not in the token's {'scp' if kind == 'delegated' else 'roles'}"
            checks.append(PermissionCheck(pane, permission, "missing",
                                          f"{none}; needed for {_titles(sets)}"))
        else:
            checks.append(PermissionCheck(
                pane, permission, "missing",
                f"{', '.join(via)} covers {_titles(covered)}, but {_titles(uncovered)} need {permission}"))
    return checks


# --------------------------------------------------------------------------------------------- ARM


def _action_pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.IGNORECASE)


def _allowed(action: str, permissions: Sequence[dict[str, Any]]) -> bool:
    """Whether any permission entry grants ``action``: an ``actions`` pattern matches it and none of the
    same entry's ``notActions`` does (``*`` matches anything, ``/`` included; case-insensitive)."""
    for entry in permissions:
        actions = [a for a in entry.get("actions") or [] if isinstance(a, str)]
        not_actions = [a for a in entry.get("notActions") or [] if isinstance(a, str)]
        if any(_action_pattern(a).fullmatch(action) for a in actions) and not any(
                _action_pattern(n).fullmatch(action) for n in not_actions):
            return True
    return False


async def _arm_permissions(http: httpx.AsyncClient, arm_url: str, sub: str, token: str) -> list[dict[str, Any]]:
    """The caller's permission entries on a subscription; a SourceError when they cannot be read."""
    url = (f"{arm_url}/subscriptions/{sub}/providers/Microsoft.Authorization/permissions"
           f"?api-version={ARM_PERMISSIONS_API_VERSION}")
    origin = urlsplit(arm_url)

    async def fetch(page_url: str) -> Any:
        try:
            response = await http.get(page_url, headers={"Authorization": f"Bearer {token}",
                                                         "Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise errors.from_transport(exc, page_url) from None
        return json_body(response.status_code, response.headers, response.content, page_url, "arm")

    def follow(link: str, page_url: str) -> str:
        target = urlsplit(link)
        if (target.scheme, target.netloc) != (origin.scheme, origin.netloc):
            raise errors.bad_payload(page_url, "a nextLink to another host (not followed)")
        return link

    entries: list[dict[str, Any]] = []
    read = 0
    async for items in pages(url, fetch, link="nextLink", follow=follow):
        read += 1
        if read > _MAX_PAGES:
            raise errors.bad_payload(url, f"more than {_MAX_PAGES} pages")
        entries.extend(e for e in items if isinstance(e, dict))
    return entries


def _arm_checks_for(sub: str, entries: list[dict[str, Any]] | None, failure: str) -> list[PermissionCheck]:
    checks = []
    for pane, permission, sets in _requirements("arm"):
        actions = [(ds, ARM_READ_ACTIONS[ds.key]) for ds in sets if ds.key in ARM_READ_ACTIONS]
        if not actions:
            checks.append(PermissionCheck(pane, permission, "unknown",
                                          "a tenant-level read; preflight checks subscriptions only", scope=sub))
            continue
        if entries is None:
            checks.append(PermissionCheck(pane, permission, "unknown", failure, scope=sub))
            continue
        denied = [action for _, action in actions if not _allowed(action, entries)]
        denied = list(dict.fromkeys(denied))
        if not denied:
            checks.append(PermissionCheck(pane, permission, "granted",
                                          f"all {len(set(a for _, a in actions))} read actions allowed",
                                          scope=sub))
        else:
            checks.append(PermissionCheck(pane, permission, "missing",
                                          f"not allowed: {', '.join(denied)} (assign {permission} on the "
                                          f"subscription)", scope=sub))
    return checks


# -------------------------------------------------------------------------------------- the checks


async def preflight(credential: Any, endpoints: CloudEndpoints, *, subscriptions: Sequence[str] = (),
                    http: httpx.AsyncClient | None = None) -> list[PermissionCheck]:
    """Every (pane, permission) check: Graph from the token's claims, ARM per subscription.

    Raises :class:`~ztconsole.sources.errors.AuthFailed` when no token can be had at all.
    """
    graph_scopes, arm_scopes = scopes(endpoints)
    claims = token_claims(await _access_token(credential, graph_scopes, "Microsoft Graph"))
    checks = _graph_checks(claims)
    if not subscriptions:
        checks.extend(PermissionCheck(pane, permission, "unknown", "no subscriptions in the profile", scope="-")
                      for pane, permission, _ in _requirements("arm"))
        return checks
    arm_token = await _access_token(credential, arm_scopes, "Azure Resource Manager")
    client = http or httpx.AsyncClient(timeout=_HTTP_TIMEOUT)
    try:
        for sub in subscriptions:
            try:
                entries: list[dict[str, Any]] | None = await _arm_permissions(client, endpoints.arm_url, sub,
                                                                              arm_token)
                failure = ""
            except errors.SourceError as exc:
                entries, failure = None, f"could not read the permissions: {exc}"
            checks.extend(_arm_checks_for(sub, entries, failure))
    finally:
        if http is None:
            await client.aclose()
    return checks


# ------------------------------------------------------------------------------------------ output

_PANE_TITLES = {
    "overview": "Overview", "ca": "Conditional Access", "cae": "Continuous Access Evaluation",
    "users": "Users, groups and roles", "breakglass": "Break-glass accounts", "pa": "Private Access",
    "signins": "Sign-ins", "fw": "Azure Firewall and networks", "nsg": "Network security groups",
}
_MAX_PERMISSION_WIDTH = 40  # a longer role description pushes its own row's detail only
_STATE_LABEL = {"granted": "granted", "missing": "MISSING", "unknown": "unknown"}


def format_preflight(checks: Sequence[PermissionCheck]) -> str:
    """A table per pane (state, permission, scope, detail) and a one-line summary."""
    if not checks:
        return "no permission checks"
    width_perm = min(_MAX_PERMISSION_WIDTH, max(len(c.permission) for c in checks))
    width_scope = max(len(c.scope) for c in checks)
    panes: dict[str, list[PermissionCheck]] = {}
    for check in checks:
        panes.setdefault(check.pane, []).append(check)
    lines: list[str] = []
    for pane, rows in panes.items():
        if lines:
            lines.append("")
        title = _PANE_TITLES.get(pane)
        lines.append(f"{title} ({pane})" if title else pane)
        for c in rows:
            lines.append(f"  {_STATE_LABEL.get(c.state, c.state):<8} {c.permission:<{width_perm}}  "
                         f"{c.scope:<{width_scope}}  {c.detail}".rstrip())
    counts = {state: sum(1 for c in checks if c.state == state) for state in ("granted", "missing", "unknown")}
    lines.append("")
    lines.append(f"{counts['granted']} granted, {counts['missing']} missing, {counts['unknown']} unknown")
    return "\n".join(lines)

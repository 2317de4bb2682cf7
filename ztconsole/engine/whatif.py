"""The reference What If evaluator: which Conditional Access policies apply to one sign-in, and why.

This is the plain, readable evaluator that every faster one is checked against. It follows Microsoft
Learn's Conditional Access pages; where they are silent, the choice is written down here and in the
reasons it gives.

Users (Learn: "Users, groups, and workload identities")
  ``All`` includes every user in the directory, guests too; ``None`` nobody; user ids; groups with nested
  membership followed; directory roles by *template* id, held as an active assignment scoped to the whole
  directory (administrative-unit-scoped roles are not supported by Conditional Access; a PIM-eligible role
  does not count until it is activated; a role held through a role-assignable group counts). Guest and
  external user types (``includeGuestsOrExternalUsers``) and the legacy ``GuestsOrExternalUsers`` value
  (all of them). **Excluding beats including.**

  Classification of a directory user (Learn: "Authentication and Conditional Access for External ID"):
  ``b2bCollaborationGuest``: userType Guest and authenticates elsewhere (an ``#EXT#`` UPN, an invitation
  (``creationType`` Invitation, an ``externalUserState``), self-service sign-up, or a federated /
  external identity); ``b2bCollaborationMember``: the same with userType Member; ``internalGuest``:
  userType Guest whose credentials this directory manages. ``b2bDirectConnectUser`` users have no
  directory object, ``serviceProvider`` needs the cross-tenant partner settings and ``otherExternalUser``
  is the remainder: no directory user is classified as these. The home tenant of a guest is not in its
  directory object, so an *enumerated* list of external tenants never matches (the reason says so).

Target resources (Learn: "Target resources")
  ``All``, ``None``, app ids, ``Office365`` and ``MicrosoftAdminPortals`` (members in
  :mod:`ztconsole.engine.ca_catalog`), exclusions. A policy with user actions applies only to that user
  action; a policy with authentication contexts only to a sign-in that requests one of them. Learn
  describes user actions and authentication contexts as targets of their own and never lists them under
  "All resources", so an app policy (even ``All``) is not evaluated for a user-action or
  authentication-context scenario (as Graph's What If, whose sign-in context is an app *or* a user action
  *or* an authentication context). The scenario aliases stand for a representative app: ``All`` an app no
  policy names, ``Office365`` / ``MicrosoftAdminPortals`` an app of that group named by no policy.
  An ``applicationFilter`` (custom security attributes) cannot be evaluated here: it includes nothing and
  excludes nothing.

Workload identities
  A policy with ``clientApplications`` (or service-principal / agent risk) targets service principals,
  never a user's sign-in.

Client apps: no ``clientAppTypes`` or ``all`` targets every client app type (the default since 2020);
  ``easSupported`` (legacy) counts as ``exchangeActiveSync``.

Platforms and locations (CONTRACTS §2, "Omitted inputs"): an unknown platform or location is not in any
  specific platform or location: a policy that includes only specific ones does not apply, one that
  includes ``all`` / ``All`` does, and an exclusion of specific ones does not exclude it.

Locations (Learn: "Network assignment"): IPv4/IPv6 CIDR named locations; ``AllTrusted`` = every named
  location marked trusted plus the MFA trusted IPs (not recorded in a tenant directory; pass them to
  :meth:`Context.from_tenant`); country locations by the scenario's ``country``, which stands for the
  lookup result whatever the lookup method (IP address or Authenticator GPS); ``country="ZZ"``
  (:data:`UNKNOWN_COUNTRY`) says the lookup found no country/region, which only a location with
  "include unknown countries/regions" contains; ``country=None`` is not known. The "All Compliant Network
  locations" location matches a sign-in through Global Secure Access (``compliant_network``). An IP is
  unknown without ``ip``; a country without ``country``.

Risk: sign-in, user and insider risk levels as configured. Device: ``conditions.devices.deviceFilter``
  through :func:`ztconsole.engine.device_filter.filter_applies`; the deprecated device states
  (``excludeDevices: Compliant, DomainJoined``) from the device's ``isCompliant`` and ``trustType``
  (ServerAD = hybrid joined). Learn does not say how Entra treats a filter rule it cannot parse (Graph
  rejects such a rule when a policy is saved): here it matches no device, so an include filter does not
  let the policy apply and an exclude filter excludes nothing, and the reason names the error.

Authentication flows: a policy with ``transferMethods`` applies only to a sign-in using one of them.

State: ``enabled`` is enforced; ``enabledForReportingButNotEnforced`` is evaluated and reported apart;
  ``disabled`` never applies.

Combination (CONTRACTS §3): enabled applied policies combine; block wins; each policy's grant controls are
  one inner list of alternatives for ``OR`` or one inner list per control for ``AND``; the outer list is
  sorted without duplicates. Session controls of the enabled applied policies merge to the most
  restrictive (Learn, session lifetime): sign-in frequency every time beats any interval, a shorter
  interval beats a longer one; a never-persistent browser beats always-persistent; application enforced
  restrictions, Defender for Cloud Apps, disabled resilience defaults and the secure sign-in session apply
  if any policy sets them; continuous access evaluation is ``disabled`` if any policy disables it, else
  strict location enforcement if any asks for it.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Iterable, Mapping, Sequence

from ztconsole.engine import ca_catalog
from ztconsole.model.ca import (
    ALL,
    AZURE_MANAGEMENT_APP_ID,
    GUESTS_OR_EXTERNAL_USERS,
    LOCATION_ALL,
    LOCATION_ALL_TRUSTED,
    LOCATION_COMPLIANT_NETWORK,
    LOCATION_MFA_TRUSTED_IPS,
    MICROSOFT_ADMIN_PORTALS,
    NONE,
    OFFICE_365,
    USER_ACTION_REGISTER_DEVICE,
    USER_ACTION_REGISTER_SECURITY_INFO,
    CompliantNetworkNamedLocation,
    ConditionalAccessEnumeratedExternalTenants,
    ConditionalAccessGrantControls,
    ConditionalAccessGuestsOrExternalUsers,
    ConditionalAccessPolicy,
    ConditionalAccessSessionControls,
    CountryNamedLocation,
    IpNamedLocation,
)
from ztconsole.model.directory import PRIVILEGED_ROLE_TEMPLATES as _PRIVILEGED_ROLE_NAMES

__all__ = [
    "CLIENT_APPS",
    "PLATFORMS",
    "RISK_LEVELS",
    "INSIDER_RISK_LEVELS",
    "USER_ACTIONS",
    "AUTH_FLOWS",
    "APP_ALIASES",
    "GUEST_OR_EXTERNAL_USER_TYPES",
    "UNKNOWN_COUNTRY",
    "Scenario",
    "UserFacts",
    "LocationFacts",
    "Context",
    "PolicyResult",
    "WhatIfResult",
    "evaluate",
    "what_if",
    "resolve_scenario",
    "policy_requirements",
    "policy_session",
    "merge_sessions",
]

# --- the values a scenario takes ----------------------------------------------------------------------------

CLIENT_APPS = ("browser", "mobileAppsAndDesktopClients", "exchangeActiveSync", "other")
PLATFORMS = ("android", "iOS", "windows", "windowsPhone", "macOS", "linux")
RISK_LEVELS = ("none", "low", "medium", "high")
INSIDER_RISK_LEVELS = ("minor", "moderate", "elevated")
#: scenario user action -> the ``includeUserActions`` URN
USER_ACTIONS: Mapping[str, str] = MappingProxyType({
    "registerSecurityInformation": USER_ACTION_REGISTER_SECURITY_INFO,
    "registerOrJoinDevices": USER_ACTION_REGISTER_DEVICE,
})
AUTH_FLOWS = ("deviceCodeFlow", "authenticationTransfer")
#: scenario ``app`` values that are not app ids
APP_ALIASES = (ALL, OFFICE_365, MICROSOFT_ADMIN_PORTALS)
GUEST_OR_EXTERNAL_USER_TYPES = (
    "internalGuest", "b2bCollaborationGuest", "b2bCollaborationMember", "b2bDirectConnectUser",
    "otherExternalUser", "serviceProvider",
)
#: ``Scenario.country`` when the country lookup found no country/region (ISO 3166 user-assigned "ZZ",
#: CLDR's "Unknown Region").
UNKNOWN_COUNTRY = "ZZ"

_USER_ACTION_NAMES = {
    USER_ACTION_REGISTER_SECURITY_INFO: "Register security information",
    USER_ACTION_REGISTER_DEVICE: "Register or join devices",
}
_GUEST_TYPE_NAMES = {
    "internalGuest": "local guest user",
    "b2bCollaborationGuest": "B2B collaboration guest user",
    "b2bCollaborationMember": "B2B collaboration member user",
    "b2bDirectConnectUser": "B2B direct connect user",
    "otherExternalUser": "other external user",
    "serviceProvider": "service provider user",
}
_EXTERNAL_ISSUERS = frozenset({"externalazuread", "microsoftaccount", "mail", "facebook.com", "google.com"})
_LOOKUP_NAMES = {"clientIpAddress": "by IP address", "authenticatorAppGps": "by Authenticator GPS"}
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_AUTH_CONTEXT = re.compile(r"^c([1-9]|[1-9][0-9])$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


# --- scenario -----------------------------------------------------------------------------------------------


def _choice(name: str, value: str, allowed: Iterable[str]) -> str:
    """``value`` as spelled in ``allowed`` (matched without regard to case), or ValueError."""
    allowed = tuple(allowed)
    for a in allowed:
        if a.lower() == str(value).lower():
            return a
    raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


@dataclass(frozen=True)
class Scenario:
    """One sign-in. Exactly one of ``app``, ``user_action``, ``auth_context`` says what is signed in to.

    ``app``: an application (client) id, or ``All`` / ``Office365`` / ``MicrosoftAdminPortals``.
    ``platform``/``ip``/``country`` None: unknown. ``country``: ISO 3166-1 alpha-2 of the lookup result,
    :data:`UNKNOWN_COUNTRY` when the lookup found none. ``device`` None: an unregistered device; else
    device-filter properties (``isCompliant``, ``trustType``, ``extensionAttribute1``...).
    """

    user_id: str
    app: str | None = None
    user_action: str | None = None
    auth_context: str | None = None
    client_app: str = "browser"
    platform: str | None = None
    ip: str | None = None
    country: str | None = None
    compliant_network: bool = False
    sign_in_risk: str = "none"
    user_risk: str = "none"
    insider_risk: str | None = None
    device: Mapping[str, Any] | None = field(default=None, hash=False)
    auth_flow: str | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        targets = [v for v in (self.app, self.user_action, self.auth_context) if v is not None]
        if len(targets) != 1:
            raise ValueError("a scenario names exactly one of app, user_action or auth_context")
        if self.app is not None and self.app not in APP_ALIASES:
            if not _GUID.match(self.app):
                raise ValueError(f"app must be an application id (GUID) or one of {', '.join(APP_ALIASES)}; "
                                 f"got {self.app!r}")
            set_(self, "app", self.app.lower())
        if self.user_action is not None:
            set_(self, "user_action", _choice("user_action", self.user_action, USER_ACTIONS))
        if self.auth_context is not None and not _AUTH_CONTEXT.match(self.auth_context):
            raise ValueError(f"auth_context must be c1 ... c99; got {self.auth_context!r}")
        set_(self, "client_app", _choice("client_app", self.client_app, CLIENT_APPS))
        if self.platform is not None:
            set_(self, "platform", _choice("platform", self.platform, PLATFORMS))
        if self.ip is not None:
            try:
                set_(self, "ip", str(ipaddress.ip_address(self.ip.strip())))
            except ValueError:
                raise ValueError(f"ip must be an IPv4 or IPv6 address; got {self.ip!r}") from None
        if self.country is not None:
            country = self.country.strip().upper()
            if not _COUNTRY.match(country):
                raise ValueError(f"country must be an ISO 3166-1 alpha-2 code (or {UNKNOWN_COUNTRY} for "
                                 f"'no country/region'); got {self.country!r}")
            set_(self, "country", country)
        set_(self, "sign_in_risk", _choice("sign_in_risk", self.sign_in_risk, RISK_LEVELS))
        set_(self, "user_risk", _choice("user_risk", self.user_risk, RISK_LEVELS))
        if self.insider_risk is not None:
            set_(self, "insider_risk", _choice("insider_risk", self.insider_risk, INSIDER_RISK_LEVELS))
        if self.auth_flow is not None:
            set_(self, "auth_flow", _choice("auth_flow", self.auth_flow, AUTH_FLOWS))
        if not isinstance(self.compliant_network, bool):
            raise ValueError(f"compliant_network must be True or False; got {self.compliant_network!r}")
        if self.device is not None:
            if not isinstance(self.device, Mapping):
                raise ValueError(f"device must be a mapping of device properties; got {self.device!r}")
            frozen = {str(k): (tuple(v) if isinstance(v, list) else v) for k, v in self.device.items()}
            _check_device(frozen)
            set_(self, "device", MappingProxyType(frozen))

    @property
    def target(self) -> str:
        """What is signed in to, in words."""
        if self.user_action is not None:
            return f"the user action '{_USER_ACTION_NAMES[USER_ACTIONS[self.user_action]]}'"
        if self.auth_context is not None:
            return f"the authentication context {self.auth_context}"
        return f"app {self.app}"


def _check_device(device: Mapping[str, Any]) -> None:
    """Validate device properties with the device filter's own reader (ValueError when unusable)."""
    try:
        from ztconsole.engine.device_filter import prepare_device
    except ImportError:  # the device filter module is not there: nothing to check against
        return
    prepare_device(device)  # DeviceInputError is a ValueError naming the property


# --- context ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserFacts:
    """What the evaluator knows of one user, precomputed."""

    id: str
    user_principal_name: str | None = None
    display_name: str | None = None
    user_type: str | None = None
    groups: frozenset[str] = frozenset()
    #: active directory-scoped roles (template ids) -> the group holding the assignment, None if direct
    roles: Mapping[str, str | None] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    eligible_roles: frozenset[str] = frozenset()
    external_type: str | None = None
    external_basis: str = ""
    home_tenant: str | None = None
    break_glass: bool = False
    in_directory: bool = True

    @property
    def label(self) -> str:
        name = self.display_name or self.user_principal_name or self.id
        return f"user {name}" if self.in_directory else f"user {self.id} (not in the directory)"


@dataclass(frozen=True)
class LocationFacts:
    """A named location, ready for matching."""

    id: str
    name: str
    kind: str  # "ip", "country", "compliantNetwork", "other"
    trusted: bool = False
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    countries: frozenset[str] = frozenset()
    include_unknown: bool = False
    lookup: str | None = None

    @property
    def quoted(self) -> str:
        return f"'{self.name}'"


@dataclass(frozen=True)
class Context:
    """Everything the evaluator needs from a tenant, precomputed (see :meth:`from_tenant`)."""

    tenant_id: str = ""
    users: Mapping[str, UserFacts] = field(default_factory=dict)
    users_by_upn: Mapping[str, str] = field(default_factory=dict)
    group_names: Mapping[str, str] = field(default_factory=dict)
    #: group id -> groups it is a direct member of; member id -> groups holding it directly (for reasons)
    group_parents: Mapping[str, frozenset[str]] = field(default_factory=dict)
    direct_groups: Mapping[str, frozenset[str]] = field(default_factory=dict)
    role_names: Mapping[str, str] = field(default_factory=dict)
    locations: Mapping[str, LocationFacts] = field(default_factory=dict)
    trusted_location_ids: frozenset[str] = frozenset()
    mfa_trusted_ips: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    #: app id -> display name (service principals, then well-known first-party apps)
    app_names: Mapping[str, str] = field(default_factory=dict)
    office365_apps: frozenset[str] = ca_catalog.APP_GROUPS[OFFICE_365]
    admin_portal_apps: frozenset[str] = ca_catalog.APP_GROUPS[MICROSOFT_ADMIN_PORTALS]
    #: (app id, display name) of every service principal, for resolving ``--app NAME``
    service_principals: tuple[tuple[str, str], ...] = ()

    # -- building ------------------------------------------------------------------------------------
    @classmethod
    def from_tenant(cls, tenant: Any, *, break_glass: Iterable[str] = (),
                    mfa_trusted_ips: Iterable[str] = ()) -> Context:
        """Precompute from a :class:`ztconsole.model.tenant.Tenant`.

        ``break_glass``: emergency access accounts (ids or UPNs) besides those of ``tenant.toml``.
        ``mfa_trusted_ips``: the legacy MFA service settings' trusted IPs (CIDRs), part of ``AllTrusted``.
        """
        group_names = {g.id: g.display_name or g.id for g in tenant.groups}
        parents: dict[str, set[str]] = {}
        direct: dict[str, set[str]] = {}
        for gid, members in tenant.group_members.items():
            for m in members:
                if (getattr(m, "odata_type", None) or "").endswith("group"):
                    parents.setdefault(m.id, set()).add(gid)
                else:
                    direct.setdefault(m.id, set()).add(gid)

        role_names: dict[str, str] = {}
        template_of: dict[str, str] = {}
        for r in tenant.role_definitions:
            template = r.template_id or r.id
            template_of[r.id] = template
            template_of[template] = template
            role_names[template] = r.display_name or template
        for template, name in _PRIVILEGED_ROLE_NAMES.items():
            role_names.setdefault(template, name)

        active: dict[str, dict[str, str | None]] = {}
        for a in tenant.role_assignments:
            if not a.principal_id or not a.role_definition_id or a.directory_scope_id not in ("/", None):
                continue
            active.setdefault(a.principal_id, {})[template_of.get(a.role_definition_id,
                                                                   a.role_definition_id)] = None
        eligible: dict[str, set[str]] = {}
        for e in tenant.role_eligibility:
            if e.principal_id and e.role_definition_id and e.directory_scope_id in ("/", None):
                eligible.setdefault(e.principal_id, set()).add(
                    template_of.get(e.role_definition_id, e.role_definition_id))

        bg_ids = {u.id for u in tenant.break_glass_users(tuple(break_glass))}
        users: dict[str, UserFacts] = {}
        by_upn: dict[str, str] = {}
        for u in tenant.users:
            groups = tenant.transitive_groups(u.id)
            roles: dict[str, str | None] = {}
            for gid in sorted(groups):  # roles assigned to a (role-assignable) group the user is in
                for template in active.get(gid, {}):
                    roles.setdefault(template, gid)
            roles.update(active.get(u.id, {}))
            elig = set(eligible.get(u.id, ()))
            for gid in groups:
                elig |= eligible.get(gid, set())
            ext, basis = classify_external(u)
            users[u.id] = UserFacts(
                id=u.id, user_principal_name=u.user_principal_name, display_name=u.display_name,
                user_type=u.user_type, groups=frozenset(groups), roles=MappingProxyType(roles),
                eligible_roles=frozenset(elig - set(roles)), external_type=ext, external_basis=basis,
                break_glass=u.id in bg_ids,
            )
            if u.user_principal_name:
                by_upn[u.user_principal_name.lower()] = u.id

        locations: dict[str, LocationFacts] = {}
        for n in tenant.named_locations:
            locations[n.id] = _location_facts(n)
        trusted = frozenset(i for i, loc in locations.items() if loc.trusted)

        app_names = dict(ca_catalog.WELL_KNOWN_APPS)
        sps: list[tuple[str, str]] = []
        for sp in tenant.service_principals:
            if sp.app_id:
                app_names[sp.app_id.lower()] = sp.display_name or sp.app_id
                sps.append((sp.app_id.lower(), sp.display_name or ""))

        return cls(
            tenant_id=tenant.info.id, users=MappingProxyType(users), users_by_upn=MappingProxyType(by_upn),
            group_names=MappingProxyType(group_names),
            group_parents=MappingProxyType({k: frozenset(v) for k, v in parents.items()}),
            direct_groups=MappingProxyType({k: frozenset(v) for k, v in direct.items()}),
            role_names=MappingProxyType(role_names), locations=MappingProxyType(locations),
            trusted_location_ids=trusted,
            mfa_trusted_ips=tuple(ipaddress.ip_network(c.strip(), strict=False) for c in mfa_trusted_ips),
            app_names=MappingProxyType(app_names), service_principals=tuple(sorted(sps)),
        )

    # -- lookups -------------------------------------------------------------------------------------
    def user(self, user_id: str) -> UserFacts:
        """The user's facts; a user not in the directory is a user with no groups or roles."""
        found = self.users.get(user_id)
        return found if found is not None else UserFacts(id=user_id, in_directory=False)

    def find_user(self, ref: str) -> UserFacts | None:
        """A user by object id or UPN (case-insensitive)."""
        if ref in self.users:
            return self.users[ref]
        uid = self.users_by_upn.get(ref.lower())
        return self.users[uid] if uid is not None else None

    def group_name(self, gid: str) -> str:
        return f"'{self.group_names.get(gid, gid)}'"

    def role_name(self, template: str) -> str:
        return f"'{self.role_names.get(template, template)}'"

    def app_name(self, app_id: str) -> str:
        return self.app_names.get(app_id, app_id)

    def membership_path(self, user_id: str, group_id: str) -> tuple[str, ...]:
        """The chain of groups from one the user is directly in, upward, to (not including) ``group_id``:
        ``()`` for direct membership or when the recorded members do not show the way."""
        start = self.direct_groups.get(user_id, frozenset())
        if group_id in start:
            return ()
        came_from: dict[str, str | None] = {g: None for g in sorted(start)}
        queue = list(came_from)
        while queue:
            g = queue.pop(0)
            for p in sorted(self.group_parents.get(g, ())):
                if p in came_from:
                    continue
                came_from[p] = g
                if p == group_id:
                    path = []
                    step: str | None = g
                    while step is not None:
                        path.append(step)
                        step = came_from[step]
                    return tuple(reversed(path))
                queue.append(p)
        return ()


def classify_external(user: Any) -> tuple[str | None, str]:
    """The guest or external user type of a directory user (or None for an internal member), and why."""
    upn = user.user_principal_name or ""
    signs = []
    if "#EXT#" in upn.upper():
        signs.append("an #EXT# UPN")
    if (user.creation_type or "") in ("Invitation", "SelfServiceSignUp"):
        signs.append(f"creationType {user.creation_type}")
    if user.external_user_state:
        signs.append(f"externalUserState {user.external_user_state}")
    for ident in user.identities:
        if (ident.sign_in_type or "").lower() == "federated" or (ident.issuer or "").lower() in _EXTERNAL_ISSUERS:
            signs.append(f"an identity issued by {ident.issuer or 'a federated provider'}")
            break
    external = ", ".join(signs)
    user_type = user.user_type
    if user_type is None:
        user_type = "Guest" if signs else "Member"
    if user_type == "Guest":
        if signs:
            return "b2bCollaborationGuest", f"userType Guest, authenticates elsewhere ({external})"
        return "internalGuest", "userType Guest with credentials managed in this directory"
    if signs:
        return "b2bCollaborationMember", f"userType Member, authenticates elsewhere ({external})"
    return None, ""


def _location_facts(n: Any) -> LocationFacts:
    name = n.display_name or n.id
    if isinstance(n, IpNamedLocation):
        # the model admits only valid ranges (a malformed one is a load issue on its location)
        nets = tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in n.cidrs)
        return LocationFacts(n.id, name, "ip", trusted=bool(n.is_trusted), networks=nets)
    if isinstance(n, CountryNamedLocation):
        return LocationFacts(n.id, name, "country",
                             countries=frozenset(c.upper() for c in n.countries_and_regions),
                             include_unknown=bool(n.include_unknown_countries_and_regions),
                             lookup=n.country_lookup_method)
    if isinstance(n, CompliantNetworkNamedLocation):
        return LocationFacts(n.id, name, "compliantNetwork", trusted=bool(n.is_trusted))
    return LocationFacts(n.id, name, "other")


# --- results ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyResult:
    """One policy judged against one scenario.

    ``requirements``: the policy's grant controls as CONTRACTS §3 inner lists (block excluded);
    ``session``: its session controls (:func:`policy_session`). Both describe the policy whether or not
    it applies.
    """

    id: str
    display_name: str
    state: str
    applies: bool
    reasons: tuple[str, ...]
    requirements: tuple[tuple[str, ...], ...] = ()
    blocks: bool = False
    session: Mapping[str, Any] = field(default_factory=dict, hash=False)
    failed: tuple[str, ...] = ()
    """The condition kinds that kept the policy from applying, by Graph's ``analysisReasons`` names
    (``users``, ``application``, ``clientApps``, ``location`` ...); empty when it applies."""


@dataclass(frozen=True)
class WhatIfResult:
    """All policies judged against one scenario, and what the enforced ones add up to."""

    scenario: Mapping[str, Any]
    policies: tuple[PolicyResult, ...]
    applied: tuple[str, ...]
    report_only: tuple[str, ...]
    decision: str
    requirements: tuple[tuple[str, ...], ...]
    session: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        """CONTRACTS §3."""
        return {
            "scenario": _plain(self.scenario),
            "policies": [
                {"id": p.id, "displayName": p.display_name, "state": p.state, "applies": p.applies,
                 "reasons": list(p.reasons)}
                for p in self.policies
            ],
            "summary": {
                "applied": list(self.applied),
                "reportOnly": list(self.report_only),
                "decision": self.decision,
                "requirements": [list(r) for r in self.requirements],
                "session": _plain(self.session),
            },
        }


def _plain(value: Any) -> Any:
    """JSON-ready copy: mappings to dicts, tuples to lists."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


# --- evaluation ---------------------------------------------------------------------------------------------


def _names(values: Iterable[str]) -> str:
    return ", ".join(values)


def evaluate(policy: ConditionalAccessPolicy, scenario: Scenario, ctx: Context) -> PolicyResult:
    """Whether ``policy`` applies to ``scenario``, with a reason for every condition that decided it."""
    state = policy.state or "unknown"
    requirements = policy_requirements(policy.grant_controls)
    session = policy_session(policy.session_controls)
    result = dict(id=policy.id, display_name=policy.display_name or policy.id, state=state,
                  requirements=requirements, blocks=policy.blocks, session=MappingProxyType(session))
    if policy.is_disabled:
        return PolicyResult(applies=False, reasons=("disabled",), failed=("policyNotEnabled",), **result)
    if state not in ("enabled", "enabledForReportingButNotEnforced"):
        return PolicyResult(applies=False, reasons=(f"state {state!r} is neither enabled nor report-only: "
                                                    "not evaluated",), failed=("policyNotEnabled",), **result)
    cond = policy.conditions
    if cond is None:
        return PolicyResult(applies=False, reasons=("the policy has no conditions (no users or resources)",),
                            failed=("emptyPolicy",), **result)

    workload = workload_reason(cond)
    if workload is not None:
        return PolicyResult(applies=False, reasons=(workload,), failed=("workloadIdentities",), **result)

    user = ctx.user(scenario.user_id)
    checks = (
        _users(cond.users, user, ctx),
        _target(cond.applications, scenario, ctx),
        _client_app(cond.client_app_types, scenario),
        _platform(cond.platforms, scenario),
        _locations(cond.locations, scenario, ctx),
        _risk("sign-in risk", cond.sign_in_risk_levels, scenario.sign_in_risk),
        _risk("user risk", cond.user_risk_levels, scenario.user_risk),
        _insider_risk(cond.insider_risk_level_values, scenario.insider_risk),
        _device(cond.devices, scenario),
        _auth_flow(cond.authentication_flows, scenario),
    )
    applies = all(ok for ok, _ in checks)
    reasons: list[str] = []
    for ok, why in checks:
        if applies or not ok:
            reasons.extend(why)
    target_kind = ("userActions" if scenario.user_action else
                   "authenticationContext" if scenario.auth_context else "application")
    kinds = ("users", target_kind, "clientApps", "devicePlatform", "location", "signInRisk", "userRisk",
             "insiderRisk", "devices", "authenticationFlow")
    failed = tuple(kind for kind, (ok, _) in zip(kinds, checks) if not ok)
    return PolicyResult(applies=applies, reasons=tuple(reasons), failed=failed, **result)


Check = tuple[bool, list[str]]


def workload_reason(cond: Any) -> str | None:
    """Why a policy's conditions target workload (or agent) identities, never user sign-ins; None if not."""
    ca = cond.client_applications
    if ca is not None and (ca.include_service_principals or ca.service_principal_filter is not None):
        return "the policy targets workload identities (service principals), not user sign-ins"
    if [v for v in cond.service_principal_risk_levels if v != "unknownFutureValue"]:
        return "the policy sets service principal risk, a condition of workload identities, not user sign-ins"
    if cond.agent_id_risk_level_values:
        return "the policy sets agent risk, a condition of agent identities, not user sign-ins"
    return None


# -- users ---------------------------------------------------------------------------------------------------


def _users(users: Any, user: UserFacts, ctx: Context) -> Check:
    who = user.label
    if users is None:
        return False, [f"{who} is not included: the policy includes no users"]
    include, exclude = _user_matches(users, user, ctx, "include"), _user_matches(users, user, ctx, "exclude")
    notes = _eligibility_notes(users, user, ctx)
    if exclude:
        return False, include + [f"excluded: {r} (excluding beats including)" for r in exclude] + notes
    if include:
        return True, include + notes
    if NONE in users.include_users and not (users.include_groups or users.include_roles
                                            or users.include_guests_or_external_users):
        return False, [f"{who} is not included: the policy includes no users (None)"] + notes
    return False, [f"{who} is not among the users, groups, roles or guest types the policy includes"] + notes


def _user_matches(users: Any, user: UserFacts, ctx: Context, side: str) -> list[str]:
    ids = users.include_users if side == "include" else users.exclude_users
    groups = users.include_groups if side == "include" else users.exclude_groups
    roles = users.include_roles if side == "include" else users.exclude_roles
    guests = (users.include_guests_or_external_users if side == "include"
              else users.exclude_guests_or_external_users)
    who = user.label
    out: list[str] = []
    if ALL in ids:
        out.append(f"{who} is in all users" if side == "exclude" else f"the policy includes all users, "
                                                                        f"{who} among them")
    if user.id in ids:
        out.append(f"{who} is included by name" if side == "include" else f"{who} is named in the exclusions")
    if GUESTS_OR_EXTERNAL_USERS in ids and user.external_type is not None:
        out.append(f"{who} is a guest or external user ({_GUEST_TYPE_NAMES[user.external_type]}: "
                   f"{user.external_basis})")
    for gid in sorted(set(groups) & user.groups, key=lambda g: (ctx.group_names.get(g, g), g)):
        path = ctx.membership_path(user.id, gid)
        through = f" through {' in '.join(ctx.group_name(g) for g in path)}" if path else ""
        out.append(f"{who} is a member of {ctx.group_name(gid)}{through}")
    for template in sorted(set(roles) & set(user.roles), key=lambda r: (ctx.role_names.get(r, r), r)):
        via = user.roles[template]
        how = f"through group {ctx.group_name(via)}" if via else "as an active assignment"
        out.append(f"{who} holds the directory role {ctx.role_name(template)} {how}")
    if guests is not None:
        matched = _guest_match(guests, user)
        if matched:
            out.append(matched)
    return out


def _guest_match(spec: ConditionalAccessGuestsOrExternalUsers, user: UserFacts) -> str | None:
    kind = user.external_type
    if kind is None or kind not in spec.user_types:
        return None
    label = f"{user.label} is a {_GUEST_TYPE_NAMES[kind]} ({user.external_basis})"
    tenants = spec.external_tenants
    if kind == "internalGuest" or tenants is None:
        return label
    enumerated = isinstance(tenants, ConditionalAccessEnumeratedExternalTenants) or \
        tenants.membership_kind == "enumerated"
    if not enumerated:
        return f"{label}, from any external tenant"
    members = getattr(tenants, "members", ())
    if user.home_tenant is not None and user.home_tenant in members:
        return f"{label}, from tenant {user.home_tenant}"
    return None


def _eligibility_notes(users: Any, user: UserFacts, ctx: Context) -> list[str]:
    named = set(users.include_roles) | set(users.exclude_roles)
    return [f"{user.label} is only eligible (PIM) for {ctx.role_name(t)}: an eligible role does not count "
            "until it is activated"
            for t in sorted(named & user.eligible_roles, key=lambda r: (ctx.role_names.get(r, r), r))]


# -- target resources ----------------------------------------------------------------------------------------


def _target(apps: Any, scenario: Scenario, ctx: Context) -> Check:
    actions = tuple(apps.include_user_actions) if apps is not None else ()
    contexts = tuple(apps.include_authentication_context_class_references) if apps is not None else ()
    if actions:
        wanted = ", ".join(f"'{_USER_ACTION_NAMES.get(a, a)}'" for a in actions)
        if scenario.user_action is None:
            return False, [f"the policy targets the user action {wanted}; this sign-in is to "
                           f"{_scenario_target(scenario, ctx)}"]
        urn = USER_ACTIONS[scenario.user_action]
        if urn in (a.lower() for a in actions):
            return True, [f"the policy targets the user action '{_USER_ACTION_NAMES[urn]}'"]
        return False, [f"the policy targets the user action {wanted}, not '{_USER_ACTION_NAMES[urn]}'"]
    if contexts:
        if scenario.auth_context is None:
            return False, [f"the policy targets the authentication context {_names(contexts)}; this sign-in is "
                           f"to {_scenario_target(scenario, ctx)}"]
        if scenario.auth_context in contexts:
            return True, [f"the policy targets the authentication context {scenario.auth_context}"]
        return False, [f"the policy targets the authentication context {_names(contexts)}, not "
                       f"{scenario.auth_context}"]
    if scenario.user_action is not None or scenario.auth_context is not None:
        what = "a user action" if scenario.user_action is not None else "an authentication context"
        return False, [f"the policy targets resources (apps); {_scenario_target(scenario, ctx)} is {what}, "
                       f"evaluated only by policies that target it (not even by 'All resources')"]
    return _app(apps, scenario.app or ALL, ctx)


def _scenario_target(scenario: Scenario, ctx: Context) -> str:
    if scenario.app is not None:
        return _app_label(scenario.app, ctx)
    return scenario.target


def _app_label(app: str, ctx: Context) -> str:
    if app == ALL:
        return "an app no policy names (All)"
    if app in ca_catalog.APP_GROUP_NAMES:
        return f"an app of the {ca_catalog.APP_GROUP_NAMES[app]} group ({app})"
    return f"app '{ctx.app_name(app)}'"


def _app_sides(values: Sequence[str], app: str, ctx: Context) -> list[str]:
    """Why ``values`` (include or exclude applications) cover ``app``; empty when they do not."""
    out: list[str] = []
    if app == ALL:
        return out
    if app in (OFFICE_365, MICROSOFT_ADMIN_PORTALS):
        if app in values:
            out.append(f"the {ca_catalog.APP_GROUP_NAMES[app]} group is named")
        return out
    lowered = {v.lower() for v in values}
    if app in lowered:
        out.append("it is named by its app id")
    if OFFICE_365 in values and app in ctx.office365_apps:
        out.append("it is part of the Office 365 group")
    if MICROSOFT_ADMIN_PORTALS in values and app in ctx.admin_portal_apps:
        out.append("it is one of the Microsoft Admin Portals")
    return out


def _app(apps: Any, app: str, ctx: Context) -> Check:
    label = _app_label(app, ctx)
    include = tuple(apps.include_applications) if apps is not None else ()
    exclude = tuple(apps.exclude_applications) if apps is not None else ()
    app_filter = apps.application_filter if apps is not None else None
    notes: list[str] = []
    if app_filter is not None and app_filter.rule:
        notes.append(f"the policy also {app_filter.mode or 'include'}s apps by a filter on custom security "
                     "attributes, which ztconsole cannot evaluate: it includes and excludes nothing here")
    excluded = _app_sides(exclude, app, ctx)
    if ALL in include:
        included = ["the policy includes all resources"]
    else:
        included = _app_sides(include, app, ctx)
    if excluded:
        why = f"{label} is included ({'; '.join(included)}); " if included else ""
        return False, [f"{why}excluded: {label} ({'; '.join(excluded)}) (excluding beats including)"] + notes
    if included:
        return True, [f"{label} is targeted: {'; '.join(included)}"] + notes
    if not include or include == (NONE,):
        return False, [f"the policy targets no resources (None); {label} is not targeted"] + notes
    shown = ", ".join(ca_catalog.APP_GROUP_NAMES.get(a, ctx.app_name(a.lower()) if _GUID.match(a) else a)
                      for a in include)
    return False, [f"{label} is not targeted: the policy includes only {shown}"] + notes


# -- client apps, platforms ----------------------------------------------------------------------------------


def _client_app(types: Sequence[str], scenario: Scenario) -> Check:
    ca = scenario.client_app
    configured = [t for t in types if t != "unknownFutureValue"]
    if not configured:
        return True, [f"client app {ca} is targeted (default: all client apps)"]
    if "all" in configured:
        return True, [f"client app {ca} is targeted (the policy targets all client apps)"]
    effective = set(configured) | ({"exchangeActiveSync"} if "easSupported" in configured else set())
    if ca in effective:
        return True, [f"client app {ca} is targeted (the policy targets {_names(configured)})"]
    return False, [f"client app {ca} is not targeted: the policy targets only {_names(configured)}"]


def _platform(platforms: Any, scenario: Scenario) -> Check:
    if platforms is None:
        return True, []
    include = [p for p in platforms.include_platforms if p != "unknownFutureValue"]
    exclude = [p for p in platforms.exclude_platforms if p != "unknownFutureValue"]
    if not include and not exclude:
        return True, []
    p = scenario.platform
    shown = p if p is not None else "not given: unknown platform"
    if not include or "all" in include:
        inc = f"platform {shown} is included (the policy includes all platforms)"
    elif p is not None and p in include:
        inc = f"platform {p} is included (the policy includes {_names(include)})"
    elif p is None:
        return False, [f"platform not given: unknown platform; the policy includes only {_names(include)}"]
    else:
        return False, [f"platform {p} is not included: the policy includes only {_names(include)}"]
    if "all" in exclude:
        return False, [inc, "excluded: the policy excludes all platforms (excluding beats including)"]
    if p is not None and p in exclude:
        return False, [inc, f"excluded: platform {p} (the policy excludes {_names(exclude)}; "
                            "excluding beats including)"]
    if exclude:
        tail = (f"an unknown platform is not excluded by the exclusion of {_names(exclude)}" if p is None
                else f"platform {p} is not among the excluded {_names(exclude)}")
        return True, [inc, tail]
    return True, [inc]


# -- locations -----------------------------------------------------------------------------------------------


def _ip(scenario: Scenario) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    return ipaddress.ip_address(scenario.ip) if scenario.ip is not None else None


def _in_networks(ip: Any, networks: Iterable[Any]) -> bool:
    return any(ip.version == n.version and ip in n for n in networks)


def _match_location(loc_id: str, scenario: Scenario, ctx: Context) -> tuple[bool | None, str]:
    """Whether the sign-in is in the location: True, False or None (not known), and the words for it."""
    ip = _ip(scenario)
    where = f"location {scenario.ip}" if ip is not None else "IP not given: unknown location"
    if loc_id == LOCATION_ALL:
        return True, "any location (the policy names all locations)"
    if loc_id == LOCATION_ALL_TRUSTED:
        hits, unknown = [], False
        for lid in sorted(ctx.trusted_location_ids, key=lambda i: (ctx.locations[i].name, i)):
            m, why = _match_location(lid, scenario, ctx)
            if m:
                hits.append(why)
            unknown = unknown or m is None
        if ip is not None and _in_networks(ip, ctx.mfa_trusted_ips):
            hits.append(f"location {scenario.ip} is in the MFA trusted IPs")
        if hits:
            return True, "; ".join(hits) + ", one of all trusted locations"
        if unknown or (ip is None and ctx.mfa_trusted_ips):
            return None, f"{where}, not known to be in a trusted location"
        return False, f"{where} is in no trusted location"
    if loc_id == LOCATION_MFA_TRUSTED_IPS:
        if ip is None:
            return None, f"{where}, not known to be in the MFA trusted IPs"
        if _in_networks(ip, ctx.mfa_trusted_ips):
            return True, f"location {scenario.ip} is in the MFA trusted IPs"
        return False, f"location {scenario.ip} is not in the MFA trusted IPs (none are recorded)" \
            if not ctx.mfa_trusted_ips else f"location {scenario.ip} is not in the MFA trusted IPs"
    loc = ctx.locations.get(loc_id)
    if loc is None and loc_id == LOCATION_COMPLIANT_NETWORK:
        loc = LocationFacts(loc_id, "All Compliant Network locations", "compliantNetwork")
    if loc is None:
        return False, f"named location {loc_id} does not exist (deleted?)"
    if loc.kind == "compliantNetwork":
        if scenario.compliant_network:
            return True, f"the sign-in comes through Global Secure Access: {loc.quoted} (compliant network)"
        return False, f"the sign-in does not come through a compliant network ({loc.quoted})"
    if loc.kind == "ip":
        trust = "trusted" if loc.trusted else "not trusted"
        if ip is None:
            return None, f"{where}, not known to be in {loc.quoted}"
        if _in_networks(ip, loc.networks):
            return True, f"location {scenario.ip} is in {loc.quoted} ({trust})"
        return False, f"location {scenario.ip} is not in {loc.quoted}"
    if loc.kind == "country":
        how = _LOOKUP_NAMES.get(loc.lookup or "clientIpAddress", f"by {loc.lookup}")
        if scenario.country is None:
            return None, f"country not given: unknown location, not known to be in {loc.quoted}"
        if scenario.country == UNKNOWN_COUNTRY:
            if loc.include_unknown:
                return True, (f"the sign-in maps to no country/region ({how}), and {loc.quoted} includes "
                              "unknown countries/regions")
            return False, (f"the sign-in maps to no country/region ({how}); {loc.quoted} does not include "
                           "unknown countries/regions")
        if scenario.country in loc.countries:
            return True, f"country {scenario.country} ({how}) is in {loc.quoted}"
        return False, f"country {scenario.country} ({how}) is not in {loc.quoted}"
    return False, f"named location {loc.quoted} is of a kind ztconsole does not evaluate"


def _locations(locations: Any, scenario: Scenario, ctx: Context) -> Check:
    if locations is None or not (locations.include_locations or locations.exclude_locations):
        return True, []
    include = tuple(locations.include_locations) or (LOCATION_ALL,)
    exclude = tuple(locations.exclude_locations)
    inc = [_match_location(i, scenario, ctx) for i in include]
    hits = [why for m, why in inc if m]
    if not hits:
        if all(m is None for m, _ in inc):
            names = ", ".join(_location_label(i, ctx) for i in include)
            return False, [f"{_unknown_where(scenario)}; the policy includes only {names}"]
        return False, ["location not included: " + "; ".join(why for _, why in inc)]
    out = ["; ".join(hits)]
    exc = [_match_location(e, scenario, ctx) for e in exclude]
    ex_hits = [why for m, why in exc if m]
    if ex_hits:
        return False, out + [f"excluded: {'; '.join(ex_hits)} (excluding beats including)"]
    unknown = [_location_label(e, ctx) for (m, _), e in zip(exc, exclude) if m is None]
    if unknown:
        out.append(f"{_unknown_where(scenario)}: it is not excluded by the exclusion of {', '.join(unknown)}")
    known = [why for m, why in exc if m is False]
    if known:
        out.append("not excluded: " + "; ".join(known))
    return True, out


def _unknown_where(scenario: Scenario) -> str:
    if scenario.ip is None and scenario.country is None:
        return "IP and country not given: unknown location"
    if scenario.ip is None:
        return "IP not given: unknown IP location"
    return "country not given: unknown country"


def _location_label(loc_id: str, ctx: Context) -> str:
    if loc_id == LOCATION_ALL:
        return "all locations"
    if loc_id == LOCATION_ALL_TRUSTED:
        return "all trusted locations"
    if loc_id == LOCATION_MFA_TRUSTED_IPS:
        return "the MFA trusted IPs"
    loc = ctx.locations.get(loc_id)
    if loc is not None:
        return loc.quoted
    if loc_id == LOCATION_COMPLIANT_NETWORK:
        return "'All Compliant Network locations'"
    return f"named location {loc_id} (does not exist)"


# -- risk, device, flows -------------------------------------------------------------------------------------


def _risk(what: str, levels: Sequence[str], level: str) -> Check:
    configured = [v for v in levels if v not in ("unknownFutureValue", "hidden")]
    if not configured:
        return True, []
    if level in configured:
        return True, [f"{what} {level} is among the levels the policy targets ({_names(configured)})"]
    return False, [f"{what} {level} is not among the levels the policy targets ({_names(configured)})"]


def _insider_risk(levels: Sequence[str], level: str | None) -> Check:
    configured = [v for v in levels if v not in ("unknownFutureValue", "none")]
    if not configured:
        return True, []
    if level is None:
        return False, [f"insider risk not given; the policy targets only {_names(configured)}"]
    if level in configured:
        return True, [f"insider risk {level} is among the levels the policy targets ({_names(configured)})"]
    return False, [f"insider risk {level} is not among the levels the policy targets ({_names(configured)})"]


def _device_value(device: Mapping[str, Any] | None, name: str) -> Any:
    if device is None:
        return None
    for key, value in device.items():
        if key.lower() == name.lower():
            return value
    return None


def device_states(device: Mapping[str, Any] | None) -> set[str]:
    """The deprecated device states of a device: Compliant, DomainJoined (hybrid joined)."""
    states = set()
    compliant = _device_value(device, "isCompliant")
    if compliant is True or (isinstance(compliant, str) and compliant.strip().lower() == "true"):
        states.add("compliant")
    trust = _device_value(device, "trustType")
    if isinstance(trust, str) and trust.strip().lower() == "serverad":
        states.add("domainjoined")
    return states


def _device(devices: Any, scenario: Scenario) -> Check:
    if devices is None:
        return True, []
    reasons: list[str] = []
    ok = True
    flt = devices.device_filter
    if flt is not None and (flt.rule or "").strip():
        applies, why = _device_filter(flt.mode, flt.rule, scenario.device)
        ok = ok and applies
        reasons.append(why)
    include = [s.lower() for s in (*devices.include_devices, *devices.include_device_states)]
    exclude = [s.lower() for s in (*devices.exclude_devices, *devices.exclude_device_states)]
    if include or exclude:
        states = device_states(scenario.device)
        shown = ", ".join(sorted(states)) or "neither compliant nor hybrid joined"
        if include and "all" not in include and not (states & set(include)):
            ok = False
            reasons.append(f"device state ({shown}) is not among the included {_names(include)} (legacy device "
                           "state condition)")
        elif states & set(exclude):
            ok = False
            reasons.append(f"excluded: device state {shown} (legacy device state condition excludes "
                           f"{_names(exclude)}; excluding beats including)")
        else:
            reasons.append(f"device state ({shown}) is not excluded (legacy device state condition)")
    return ok, reasons


def _device_filter(mode: str | None, rule: str, device: Mapping[str, Any] | None) -> tuple[bool, str]:
    """The device filter through the device filter engine; a rule it cannot use matches no device."""
    try:
        from ztconsole.engine.device_filter import DeviceFilterError, filter_applies
    except ImportError:
        return (mode == "exclude"), ("device filter not evaluated: the device filter engine is not "
                                     "installed; treated as matching no device")
    try:
        return filter_applies(mode or "", rule, device)
    except DeviceFilterError as exc:
        applies = (mode or "").lower() == "exclude"
        effect = ("the exclude filter excludes nothing" if applies
                  else "the policy does not apply through it")
        return applies, (f"error: the device filter cannot be evaluated ({exc}); Graph rejects such a rule "
                         f"when a policy is saved; treated as matching no device: {effect}")


def _auth_flow(flows: Any, scenario: Scenario) -> Check:
    methods = [m for m in (flows.transfer_method_values if flows is not None else ())
               if m not in ("none", "unknownFutureValue")]
    if not methods:
        return True, []
    if scenario.auth_flow is None:
        return False, [f"the policy targets the authentication flows {_names(methods)}; this sign-in uses none"]
    if scenario.auth_flow in methods:
        return True, [f"authentication flow {scenario.auth_flow} is targeted"]
    return False, [f"authentication flow {scenario.auth_flow} is not targeted (the policy targets "
                   f"{_names(methods)})"]


# --- controls -----------------------------------------------------------------------------------------------


def policy_requirements(grant: ConditionalAccessGrantControls | None) -> tuple[tuple[str, ...], ...]:
    """A policy's grant controls as CONTRACTS §3 inner lists: ``OR`` one list of alternatives, ``AND`` one
    list per control; ``block`` is not a requirement (see ``blocks``). Without an operator, several
    controls are all required (the admin center's "Require all the selected controls")."""
    if grant is None:
        return ()
    names = sorted({n for n in grant.control_names if n not in ("block", "unknownFutureValue")})
    if not names:
        return ()
    if grant.operator == "OR" or len(names) == 1:
        return (tuple(names),)
    return tuple((n,) for n in names)


def _frequency_seconds(sif: Mapping[str, Any]) -> int:
    if sif.get("frequencyInterval") == "everyTime":
        return 0
    unit = 86400 if sif.get("type") == "days" else 3600
    return int(sif.get("value") or 0) * unit


def policy_session(sc: ConditionalAccessSessionControls | None) -> dict[str, Any]:
    """A policy's session controls in the shape of the summary's ``session`` (only those it switches on)."""
    out: dict[str, Any] = {}
    if sc is None:
        return out
    sif = sc.sign_in_frequency
    if sif is not None and sif.is_enabled is not False:
        auth = sif.authentication_type or "primaryAndSecondaryAuthentication"
        if sif.frequency_interval == "everyTime":
            out["signInFrequency"] = {"frequencyInterval": "everyTime", "authenticationType": auth}
        elif sif.value:
            out["signInFrequency"] = {"frequencyInterval": "timeBased", "value": sif.value,
                                      "type": sif.type or "hours", "authenticationType": auth}
    pb = sc.persistent_browser
    if pb is not None and pb.is_enabled is not False and pb.mode in ("always", "never"):
        out["persistentBrowser"] = pb.mode
    aer = sc.application_enforced_restrictions
    if aer is not None and aer.is_enabled is True:
        out["applicationEnforcedRestrictions"] = True
    cas = sc.cloud_app_security
    if cas is not None and cas.is_enabled is not False and cas.cloud_app_security_type:
        out["cloudAppSecurity"] = [cas.cloud_app_security_type]
    if sc.cae_mode and sc.cae_mode != "unknownFutureValue":
        out["continuousAccessEvaluation"] = sc.cae_mode
    if sc.disable_resilience_defaults is True:
        out["disableResilienceDefaults"] = True
    ssi = sc.secure_sign_in_session
    if ssi is not None and ssi.is_enabled is True:
        out["secureSignInSession"] = True
    gsa = sc.global_secure_access_filtering_profile
    if gsa is not None and gsa.is_enabled is not False and gsa.profile_id:
        out["globalSecureAccessFilteringProfile"] = [gsa.profile_id]
    return out


_CAE_ORDER = ("disabled", "strictLocation", "strictEnforcement")


def merge_sessions(sessions: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The session controls of several applied policies combined as Entra combines them: most restrictive."""
    out: dict[str, Any] = {}
    for s in sessions:
        sif = s.get("signInFrequency")
        if sif is not None:
            cur = out.get("signInFrequency")
            key = (_frequency_seconds(sif), sif.get("authenticationType") != "primaryAndSecondaryAuthentication")
            if cur is None or key < (_frequency_seconds(cur),
                                     cur.get("authenticationType") != "primaryAndSecondaryAuthentication"):
                out["signInFrequency"] = dict(sif)
        pb = s.get("persistentBrowser")
        if pb is not None and out.get("persistentBrowser") != "never":
            out["persistentBrowser"] = pb
        for flag in ("applicationEnforcedRestrictions", "disableResilienceDefaults", "secureSignInSession"):
            if s.get(flag):
                out[flag] = True
        for many in ("cloudAppSecurity", "globalSecureAccessFilteringProfile"):
            if s.get(many):
                out[many] = sorted(set(out.get(many, ())) | set(s[many]))
        cae = s.get("continuousAccessEvaluation")
        if cae is not None:
            cur = out.get("continuousAccessEvaluation")
            rank = {m: i for i, m in enumerate(_CAE_ORDER)}
            if cur is None or rank.get(cae, len(_CAE_ORDER)) < rank.get(cur, len(_CAE_ORDER)):
                out["continuousAccessEvaluation"] = cae
    return out


# --- the whole sign-in --------------------------------------------------------------------------------------


def what_if(policies: Iterable[ConditionalAccessPolicy], scenario: Scenario, ctx: Context) -> WhatIfResult:
    """Every policy judged against ``scenario``, and the combined outcome of the enabled ones that apply."""
    results = tuple(evaluate(p, scenario, ctx) for p in policies)
    enforced = [r for r in results if r.applies and r.state == "enabled"]
    applied = tuple(sorted({r.id for r in enforced}))
    report_only = tuple(sorted({r.id for r in results
                                if r.applies and r.state == "enabledForReportingButNotEnforced"}))
    requirements = tuple(sorted({req for r in enforced for req in r.requirements}))
    if any(r.blocks for r in enforced):
        decision = "block"
    elif requirements:
        decision = "controls"
    else:
        decision = "allow"
    session = merge_sessions(r.session for r in enforced)
    return WhatIfResult(scenario=MappingProxyType(describe_scenario(scenario, ctx)), policies=results,
                        applied=applied, report_only=report_only, decision=decision,
                        requirements=requirements, session=MappingProxyType(session))


def describe_scenario(scenario: Scenario, ctx: Context) -> dict[str, Any]:
    """The scenario's inputs, resolved: the user and what the directory says of them, the app, the named
    locations the sign-in is in."""
    user = ctx.user(scenario.user_id)

    def by_name(ids: Iterable[str], names: Mapping[str, str]) -> list[dict[str, str]]:
        return [{"id": i, "displayName": names.get(i, i)} for i in sorted(ids, key=lambda i: (names.get(i, i), i))]

    if scenario.app is None:
        app = None
    elif scenario.app in APP_ALIASES:
        app = {"id": scenario.app, "displayName": _app_label(scenario.app, ctx)}
    else:
        app = {"id": scenario.app, "displayName": ctx.app_name(scenario.app)}
    matched = []
    for lid, loc in sorted(ctx.locations.items(), key=lambda kv: (kv[1].name, kv[0])):
        hit, _ = _match_location(lid, scenario, ctx)
        if hit:
            matched.append({"id": lid, "displayName": loc.name, "trusted": loc.trusted})
    return {
        "user": {"id": user.id, "userPrincipalName": user.user_principal_name,
                 "displayName": user.display_name, "inDirectory": user.in_directory,
                 "userType": user.user_type, "guestOrExternalUserType": user.external_type,
                 "breakGlass": user.break_glass},
        "groups": by_name(user.groups, ctx.group_names),
        "roles": by_name(user.roles, ctx.role_names),
        "eligibleRoles": by_name(user.eligible_roles, ctx.role_names),
        "app": app,
        "userAction": scenario.user_action,
        "authContext": scenario.auth_context,
        "clientApp": scenario.client_app,
        "platform": scenario.platform,
        "ip": scenario.ip,
        "country": scenario.country,
        "compliantNetwork": scenario.compliant_network,
        "namedLocations": matched,
        "signInRisk": scenario.sign_in_risk,
        "userRisk": scenario.user_risk,
        "insiderRisk": scenario.insider_risk,
        "device": _plain(dict(scenario.device)) if scenario.device is not None else None,
        "authFlow": scenario.auth_flow,
    }


# --- command-line inputs ------------------------------------------------------------------------------------


def resolve_scenario(
    source: Any,
    *,
    user: str,
    app: str | None = None,
    user_action: str | None = None,
    auth_context: str | None = None,
    client_app: str | None = None,
    platform: str | None = None,
    ip: str | None = None,
    country: str | None = None,
    compliant_network: bool = False,
    sign_in_risk: str | None = None,
    user_risk: str | None = None,
    insider_risk: str | None = None,
    device: Mapping[str, Any] | Sequence[str] | None = None,
    auth_flow: str | None = None,
) -> Scenario:
    """Turn command-line inputs (CONTRACTS §2) into a :class:`Scenario`; ValueError with a clear message.

    ``source``: a :class:`Context` or a Tenant. ``user``: object id or UPN. ``app``: app id, ``All``,
    ``Office365``, ``MicrosoftAdminPortals``, ``AzureManagement`` or the display name of exactly one
    service principal. ``device``: a mapping, or ``KEY=VALUE`` strings as ``--device`` takes them.
    ``country``: ISO alpha-2, or ``unknown`` / ``ZZ`` for a sign-in that maps to no country/region.
    """
    ctx = source if isinstance(source, Context) else Context.from_tenant(source)
    found = ctx.find_user(user.strip())
    if found is None:
        known = sorted(ctx.users_by_upn)
        close = difflib.get_close_matches(user.strip().lower(), known, n=3, cutoff=0.6)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ValueError(f"--user {user!r}: no user has that object id or UPN{hint}")
    targets = [n for n, v in (("--app", app), ("--user-action", user_action), ("--auth-context", auth_context))
               if v is not None]
    if not targets:
        raise ValueError("--app is required unless --user-action is given")
    if len(targets) > 1:
        raise ValueError(f"give only one of {', '.join(targets)}")
    resolved_app = _resolve_app(ctx, app) if app is not None else None
    if user_action is not None:
        user_action = _choice("--user-action", user_action, USER_ACTIONS)
    if auth_context is not None and not _AUTH_CONTEXT.match(auth_context.strip().lower()):
        raise ValueError(f"--auth-context must be c1 ... c99; got {auth_context!r}")
    if country is not None and country.strip().lower() in ("unknown", UNKNOWN_COUNTRY.lower()):
        country = UNKNOWN_COUNTRY
    elif country is not None and not _COUNTRY.match(country.strip().upper()):
        raise ValueError(f"--country must be an ISO 3166-1 alpha-2 code such as NL or US, or 'unknown'; "
                         f"got {country!r}")
    if ip is not None:
        try:
            ipaddress.ip_address(ip.strip())
        except ValueError:
            raise ValueError(f"--ip must be an IPv4 or IPv6 address; got {ip!r}") from None
    if device is not None and not isinstance(device, Mapping):
        from ztconsole.engine.device_filter import parse_device_assignments
        device = parse_device_assignments(list(device))
    return Scenario(
        user_id=found.id,
        app=resolved_app,
        user_action=user_action,
        auth_context=auth_context.strip().lower() if auth_context is not None else None,
        client_app=_choice("--client-app", client_app or "browser", CLIENT_APPS),
        platform=_choice("--platform", platform, PLATFORMS) if platform is not None else None,
        ip=ip.strip() if ip is not None else None,
        country=country.strip().upper() if country is not None else None,
        compliant_network=bool(compliant_network),
        sign_in_risk=_choice("--sign-in-risk", sign_in_risk or "none", RISK_LEVELS),
        user_risk=_choice("--user-risk", user_risk or "none", RISK_LEVELS),
        insider_risk=(_choice("--insider-risk", insider_risk, INSIDER_RISK_LEVELS)
                      if insider_risk is not None else None),
        device=device,
        auth_flow=_choice("--auth-flow", auth_flow, AUTH_FLOWS) if auth_flow is not None else None,
    )


def _resolve_app(ctx: Context, app: str) -> str:
    value = app.strip()
    for alias in APP_ALIASES:
        if value.lower() == alias.lower():
            return alias
    if value.lower() == ca_catalog.AZURE_MANAGEMENT_ALIAS.lower():
        return AZURE_MANAGEMENT_APP_ID
    if _GUID.match(value):
        return value.lower()
    exact = sorted({a for a, n in ctx.service_principals if n == value})
    if not exact:
        exact = sorted({a for a, n in ctx.service_principals if n.lower() == value.lower()})
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        listed = "; ".join(f"{ctx.app_name(a)} ({a})" for a in exact)
        raise ValueError(f"--app {app!r} matches {len(exact)} service principals: {listed}; give the app id")
    names = sorted({n for _, n in ctx.service_principals if n})
    close = difflib.get_close_matches(value, names, n=5, cutoff=0.5)
    close += [n for n in names if value.lower() in n.lower() and n not in close][: 5 - len(close)]
    hint = ("; candidates: " + "; ".join(f"{n} ({a})" for a, n in ctx.service_principals if n in close)
            if close else "")
    raise ValueError(f"--app {app!r} is not an app id, an alias ({', '.join(APP_ALIASES)}, "
                     f"{ca_catalog.AZURE_MANAGEMENT_ALIAS}) or the display name of a service principal{hint}")

"""What the evaluators know of a tenant, worked out once (:class:`Context`): each user's groups (nested
membership followed), directory roles and guest or external user type; the named locations, ready for
matching; the apps' names.

Users (Learn: "Users, groups, and workload identities"): directory roles count by *template* id, held as
an active assignment scoped to the whole directory (administrative-unit-scoped roles are not supported by
Conditional Access; a PIM-eligible role does not count until it is activated; a role held through a
role-assignable group counts).

Classification of a directory user (Learn: "Authentication and Conditional Access for External ID"):
``b2bCollaborationGuest``: userType Guest and authenticates elsewhere (an ``#EXT#`` UPN, an invitation
(``creationType`` Invitation, an ``externalUserState``), self-service sign-up, or a federated / external
identity); ``b2bCollaborationMember``: the same with userType Member; ``internalGuest``: userType Guest
whose credentials this directory manages. ``b2bDirectConnectUser`` users have no directory object,
``serviceProvider`` needs the cross-tenant partner settings and ``otherExternalUser`` is the remainder: no
directory user is classified as these. The home tenant of a guest is not in its directory object.
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from types import MappingProxyType

from ztconsole.engine import ca_catalog
from ztconsole.gcpause import gc_paused
from ztconsole.model.ca import (
    LOCATION_ALL,
    LOCATION_ALL_TRUSTED,
    LOCATION_MFA_TRUSTED_IPS,
    MICROSOFT_ADMIN_PORTALS,
    OFFICE_365,
    CompliantNetworkNamedLocation,
    CountryNamedLocation,
    IpNamedLocation,
    NamedLocation,
)
from ztconsole.model.directory import PRIVILEGED_ROLE_TEMPLATES, User
from ztconsole.model.tenant import Tenant

__all__ = ["IPAddress", "IPNetwork", "UserFacts", "LocationFacts", "IpTable", "Context", "classify_external"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: location tokens with a meaning of their own: a named location with such an id is never matched by its ranges
_TOKENS = frozenset({LOCATION_ALL, LOCATION_ALL_TRUSTED, LOCATION_MFA_TRUSTED_IPS})
_EXTERNAL_ISSUERS = frozenset({"externalazuread", "microsoftaccount", "mail", "facebook.com", "google.com"})
_NO_GROUPS: frozenset[str] = frozenset()
_NO_ROLES: Mapping[str, str | None] = MappingProxyType({})


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
    networks: tuple[IPNetwork, ...] = ()
    countries: frozenset[str] = frozenset()
    include_unknown: bool = False
    lookup: str | None = None

    @property
    def quoted(self) -> str:
        return f"'{self.name}'"


class IpTable:
    """IP ranges, each with a label, cut into disjoint intervals: the labels holding an address are one
    ``bisect`` away (a sign-in log has more distinct addresses than a tenant has ranges), and the intervals
    are the regions of IP space the ranges tell apart."""

    __slots__ = ("_tables",)

    def __init__(self, ranges: Iterable[tuple[IPNetwork, str]]) -> None:
        spans: dict[int, list[tuple[int, int, str]]] = {4: [], 6: []}
        for net, label in ranges:
            spans[net.version].append((int(net.network_address), int(net.broadcast_address) + 1, label))
        self._tables = {version: _intervals(s) for version, s in spans.items()}

    def lookup(self, addr: IPAddress) -> frozenset[str]:
        """The labels of the ranges holding ``addr``."""
        bounds, hits = self._tables[addr.version]
        return hits[bisect_right(bounds, int(addr)) - 1]

    def regions(self, version: int) -> Iterator[tuple[int, int, frozenset[str]]]:
        """The intervals ``[lo, hi)`` of the ``version`` address space, in order, with the labels holding them."""
        bounds, hits = self._tables[version]
        top = 2 ** (32 if version == 4 else 128)
        for lo, hi, labels in zip(bounds, [*bounds[1:], top], hits):
            if lo < top:
                yield lo, hi, labels


def _intervals(spans: list[tuple[int, int, str]]) -> tuple[list[int], list[frozenset[str]]]:
    """Sorted interval starts (the first is 0) and, for each, the labels holding ``[bounds[i], bounds[i+1])``."""
    points = sorted({0} | {s for s, _, _ in spans} | {e for _, e, _ in spans})
    events: dict[int, list[tuple[int, str]]] = {}
    for s, e, label in spans:
        events.setdefault(s, []).append((1, label))
        events.setdefault(e, []).append((-1, label))
    active: dict[str, int] = {}
    hits: list[frozenset[str]] = []
    for point in points:
        for delta, label in events.get(point, ()):
            n = active.get(label, 0) + delta
            if n:
                active[label] = n
            else:
                active.pop(label, None)
        hits.append(frozenset(active))
    return points, hits


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
    mfa_trusted_ips: tuple[IPNetwork, ...] = ()
    #: app id -> display name (service principals, then well-known first-party apps)
    app_names: Mapping[str, str] = field(default_factory=dict)
    office365_apps: frozenset[str] = ca_catalog.APP_GROUPS[OFFICE_365]
    admin_portal_apps: frozenset[str] = ca_catalog.APP_GROUPS[MICROSOFT_ADMIN_PORTALS]
    #: (app id, display name) of every service principal, for resolving ``--app NAME``
    service_principals: tuple[tuple[str, str], ...] = ()

    # -- building ------------------------------------------------------------------------------------
    @classmethod
    def from_tenant(cls, tenant: Tenant, *, break_glass: Iterable[str] = (),
                    mfa_trusted_ips: Iterable[str] = ()) -> Context:
        """Precompute from a tenant.

        ``break_glass``: emergency access accounts (ids or UPNs) besides those of ``tenant.toml``.
        ``mfa_trusted_ips``: the legacy MFA service settings' trusted IPs (CIDRs), part of ``AllTrusted``.
        """
        group_names = {g.id: g.display_name or g.id for g in tenant.groups}

        role_names: dict[str, str] = {}
        template_of: dict[str, str] = {}
        for r in tenant.role_definitions:
            template = r.template_id or r.id
            template_of[r.id] = template
            template_of[template] = template
            role_names[template] = r.display_name or template
        for template, name in PRIVILEGED_ROLE_TEMPLATES.items():
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

        # every user's groups from one pass over the group graph; most users hold no role and no eligibility
        # and share the empty values; one linear pass over the users, the collector paused
        holders = frozenset(active) | frozenset(eligible)  # the users and groups holding a role
        users: dict[str, UserFacts] = {}
        by_upn: dict[str, str] = {}
        with gc_paused():
            memberships = tenant.transitive_memberships
            for u in tenant.users:
                groups = memberships.get(u.id, _NO_GROUPS)
                roles_proxy, elig_roles = _NO_ROLES, _NO_GROUPS
                if u.id in holders or not holders.isdisjoint(groups):
                    roles: dict[str, str | None] = {}
                    for gid in sorted(g for g in groups if g in active):  # roles held through a group
                        for template in active[gid]:
                            roles.setdefault(template, gid)
                    roles.update(active.get(u.id, {}))
                    if roles:
                        roles_proxy = MappingProxyType(roles)
                    elig = set(eligible.get(u.id, ()))
                    for gid in groups:
                        elig |= eligible.get(gid, _NO_GROUPS)
                    if elig:
                        elig_roles = frozenset(elig.difference(roles))
                ext, basis = classify_external(u)
                users[u.id] = _user_facts(u.id, u.user_principal_name, u.display_name, u.user_type, groups,
                                          roles_proxy, elig_roles, ext, basis)
                if u.user_principal_name:
                    by_upn[u.user_principal_name.lower()] = u.id
        # the declared emergency access accounts, by id or UPN (as Tenant.break_glass_users finds them)
        for ref in (*tenant.info.break_glass, *break_glass):
            uid = ref if ref in users else by_upn.get(ref.lower())
            if uid is not None:
                users[uid] = replace(users[uid], break_glass=True)

        locations = {n.id: _location_facts(n) for n in tenant.named_locations}
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
            group_parents=MappingProxyType(tenant.group_parents), direct_groups=MappingProxyType(tenant.direct_groups),
            role_names=MappingProxyType(role_names), locations=MappingProxyType(locations),
            trusted_location_ids=trusted,
            mfa_trusted_ips=tuple(ipaddress.ip_network(c.strip(), strict=False) for c in mfa_trusted_ips),
            app_names=MappingProxyType(app_names), service_principals=tuple(sorted(sps)),
        )

    # -- named locations, indexed on first use ------------------------------------------------------
    @cached_property
    def ip_table(self) -> IpTable:
        """The IP named locations (by id) and the MFA trusted IPs (:data:`LOCATION_MFA_TRUSTED_IPS`) by range."""
        ranges = [(net, lid) for lid, loc in self.locations.items() if loc.kind == "ip" and lid not in _TOKENS
                  for net in loc.networks]
        ranges += [(net, LOCATION_MFA_TRUSTED_IPS) for net in self.mfa_trusted_ips]
        return IpTable(ranges)

    @cached_property
    def country_locations(self) -> tuple[LocationFacts, ...]:
        return tuple(loc for lid, loc in self.locations.items() if loc.kind == "country" and lid not in _TOKENS)

    @cached_property
    def compliant_network_ids(self) -> frozenset[str]:
        return frozenset(lid for lid, loc in self.locations.items()
                         if loc.kind == "compliantNetwork" and lid not in _TOKENS)

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


def _user_facts(uid: str, upn: str | None, display_name: str | None, user_type: str | None, groups: frozenset[str],
                roles: Mapping[str, str | None], eligible_roles: frozenset[str], external_type: str | None,
                external_basis: str) -> UserFacts:
    """``UserFacts(...)`` of a directory user who is not an emergency access account, made without the frozen
    dataclass's ``__init__`` (one ``object.__setattr__`` per field: a third of the time :meth:`Context.from_tenant`
    spends per user); ``tests/test_engine_ca_context.py`` holds it equal to the constructor, field for field."""
    facts = object.__new__(UserFacts)
    facts.__dict__.update(id=uid, user_principal_name=upn, display_name=display_name, user_type=user_type,
                          groups=groups, roles=roles, eligible_roles=eligible_roles, external_type=external_type,
                          external_basis=external_basis, home_tenant=None, break_glass=False, in_directory=True)
    return facts


def classify_external(user: User) -> tuple[str | None, str]:
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


def _location_facts(n: NamedLocation) -> LocationFacts:
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

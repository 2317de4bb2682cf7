"""The Conditional Access rule book: each condition kind is decided here, and only here.

A policy's conditions are read once into one rule object per kind (:func:`conditions_of`), each with two
faces:

* ``holds(...)``, the FAST face: whether the condition lets the policy apply, and nothing else. Gaps,
  impact and the compiled evaluator ask it about thousands of users, classes or sign-ins;
* ``explain(...)``, the FULL face: the same decision with the reasons ``whatif`` gives for it.

``tests/test_engine_ca_conditions.py`` keeps the two faces equal on random tenants, policies and sign-ins.

The set conditions (users, target resources, locations) are :class:`Sides`: the terms a policy names on
its include side and its exclude side, matched against the keys of a sign-in (:func:`user_keys`,
:func:`target_keys`, :func:`location_keys`), namespace by namespace (a user's groups are one namespace, so the
set the context holds is matched as it is). A side names the sign-in when it shares a key with it; the
condition holds when the include side names it and the exclude side does not: **excluding beats
including**. :class:`SidesIndex` asks the same of many policies at once, as bitmasks.

It follows Microsoft Learn's Conditional Access pages; where they are silent, the choice is written down
here and in the reasons.

Users (Learn: "Users, groups, and workload identities")
  ``All`` includes every user in the directory, guests too; ``None`` nobody; user ids; groups with nested
  membership followed; directory roles by *template* id (:mod:`ztconsole.engine.ca.context` says which
  count). Guest and external user types (``includeGuestsOrExternalUsers``) and the legacy
  ``GuestsOrExternalUsers`` value (all of them). The home tenant of a guest is not in its directory object,
  so an *enumerated* list of external tenants never matches a directory user (the reason says so).

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
  :meth:`~ztconsole.engine.ca.context.Context.from_tenant`); country locations by the scenario's
  ``country``, which stands for the lookup result whatever the lookup method (IP address or Authenticator
  GPS); ``country="ZZ"`` (:data:`~ztconsole.engine.ca.scenario.UNKNOWN_COUNTRY`) says the lookup found no
  country/region, which only a location with "include unknown countries/regions" contains;
  ``country=None`` is not known. The "All Compliant Network locations" location matches a sign-in through
  Global Secure Access (``compliant_network``). An IP is unknown without ``ip``; a country without
  ``country``.

Risk: sign-in, user and insider risk levels as configured. Device: ``conditions.devices.deviceFilter``
  through :func:`ztconsole.engine.device_filter.filter_applies`; the deprecated device states
  (``excludeDevices: Compliant, DomainJoined``) from the device's ``isCompliant`` and ``trustType``
  (ServerAD = hybrid joined). Learn does not say how Entra treats a filter rule it cannot parse (Graph
  rejects such a rule when a policy is saved): here it matches no device, so an include filter does not
  let the policy apply and an exclude filter excludes nothing, and the reason names the error.

Authentication flows: a policy with ``transferMethods`` applies only to a sign-in using one of them.
"""

from __future__ import annotations

import ipaddress
from abc import ABC, abstractmethod
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from ztconsole.engine import ca_catalog
from ztconsole.engine.ca.scenario import GUID, UNKNOWN_COUNTRY, USER_ACTION_NAMES, USER_ACTIONS, Scenario
from ztconsole.engine.device_filter import DeviceFilterError, Node, filter_applies, parse_device_filter, prepare_device
from ztconsole.model.ca import (
    ALL,
    GUESTS_OR_EXTERNAL_USERS,
    LOCATION_ALL,
    LOCATION_ALL_TRUSTED,
    LOCATION_COMPLIANT_NETWORK,
    LOCATION_MFA_TRUSTED_IPS,
    MICROSOFT_ADMIN_PORTALS,
    NONE,
    OFFICE_365,
    ConditionalAccessApplications,
    ConditionalAccessAuthenticationFlows,
    ConditionalAccessConditionSet,
    ConditionalAccessDevices,
    ConditionalAccessEnumeratedExternalTenants,
    ConditionalAccessGuestsOrExternalUsers,
    ConditionalAccessLocations,
    ConditionalAccessPlatforms,
    ConditionalAccessUsers,
)

if TYPE_CHECKING:
    from ztconsole.engine.ca.context import Context, UserFacts

__all__ = [
    "Check",
    "Keys",
    "Sides",
    "SidesIndex",
    "EVERYONE",
    "user_keys",
    "guest_terms",
    "UserCondition",
    "app_keys",
    "target_keys",
    "app_label",
    "TargetCondition",
    "ClientAppCondition",
    "PlatformCondition",
    "Place",
    "ip_locations",
    "location_keys",
    "place_of",
    "location_state",
    "LocationCondition",
    "ValueCondition",
    "RiskCondition",
    "InsiderRiskCondition",
    "DeviceFacts",
    "device_facts",
    "device_states",
    "UNREGISTERED",
    "DeviceCondition",
    "AuthFlowCondition",
    "workload_reason",
    "PolicyConditions",
    "conditions_of",
    "SignInFacts",
]

#: a full face's answer: the decision and the reasons for it
Check = tuple[bool, list[str]]

_GUEST_TYPE_NAMES = {
    "internalGuest": "local guest user",
    "b2bCollaborationGuest": "B2B collaboration guest user",
    "b2bCollaborationMember": "B2B collaboration member user",
    "b2bDirectConnectUser": "B2B direct connect user",
    "otherExternalUser": "other external user",
    "serviceProvider": "service provider user",
}
_LOOKUP_NAMES = {"clientIpAddress": "by IP address", "authenticatorAppGps": "by Authenticator GPS"}


def _names(values: Iterable[str]) -> str:
    return ", ".join(values)


# --- sides: include and exclude -----------------------------------------------------------------------------


#: a sign-in's keys for one condition kind: one collection of distinct keys per namespace
Keys = Sequence[Collection[Hashable]]


class Sides(NamedTuple):
    """The include and the exclude side of a set condition: the terms each names, per namespace."""

    include: tuple[frozenset[Hashable], ...]
    exclude: tuple[frozenset[Hashable], ...]

    def holds(self, keys: Keys) -> bool:
        """The include side names one of the sign-in's keys and the exclude side none of them."""
        for terms, names in zip(self.include, keys):  # plain loops: impact asks this of every user in the log
            if not terms.isdisjoint(names):
                break
        else:
            return False
        for terms, names in zip(self.exclude, keys):
            if not terms.isdisjoint(names):
                return False
        return True


class SidesIndex:
    """:meth:`Sides.holds` for many policies at once: each policy a bit; per namespace, each term named by a
    policy -> (the bits of the policies naming it on the include side, on the exclude side). A key no policy
    names costs one dict lookup (a user is in many groups no policy names)."""

    __slots__ = ("terms",)

    def __init__(self, namespaces: int = 1) -> None:
        self.terms: tuple[dict[Hashable, tuple[int, int]], ...] = tuple({} for _ in range(namespaces))

    def add(self, bit: int, sides: Sides) -> None:
        for include, named in zip(sides.include, self.terms):
            for term in include:
                inc, exc = named.get(term, (0, 0))
                named[term] = (inc | bit, exc)
        for exclude, named in zip(sides.exclude, self.terms):
            for term in exclude:
                inc, exc = named.get(term, (0, 0))
                named[term] = (inc, exc | bit)

    def masks(self, keys: Keys) -> tuple[int, int]:
        """The policies whose include side names one of ``keys``, and those whose exclude side does."""
        inc = exc = 0
        for names, named in zip(keys, self.terms):
            for key in names:
                hit = named.get(key)
                if hit is not None:
                    inc |= hit[0]
                    exc |= hit[1]
        return inc, exc

    def mask(self, keys: Keys) -> int:
        """The policies for which :meth:`Sides.holds`."""
        inc, exc = self.masks(keys)
        return inc & ~exc


#: the key every user and every app has: the term of ``All``
EVERYONE: Hashable = ("all",)


# --- users --------------------------------------------------------------------------------------------------

_EXTERNAL: Hashable = ("external",)


def user_keys(user: UserFacts) -> Keys:
    """The user in the terms a user condition is written in, in three namespaces: anyone (``All``), their
    object id and, for a guest or external user, that (the legacy ``GuestsOrExternalUsers``), their type
    and their type with their home tenant; their groups (nested membership followed); their active
    directory roles."""
    kind = user.external_type
    if kind is None:
        return (EVERYONE, user.id), user.groups, user.roles.keys()
    home = () if user.home_tenant is None else (("guest", kind, user.home_tenant),)
    return (EVERYONE, user.id, _EXTERNAL, ("guest", kind), *home), user.groups, user.roles.keys()


def guest_terms(spec: ConditionalAccessGuestsOrExternalUsers) -> frozenset[Hashable]:
    """The terms of ``include/excludeGuestsOrExternalUsers``: each user type from any tenant, or, when the
    external tenants are enumerated, from each listed tenant (a local guest has no other tenant)."""
    tenants = spec.external_tenants
    enumerated = tenants is not None and (isinstance(tenants, ConditionalAccessEnumeratedExternalTenants)
                                          or tenants.membership_kind == "enumerated")
    members = tenants.members if isinstance(tenants, ConditionalAccessEnumeratedExternalTenants) else ()
    terms: set[Hashable] = set()
    for kind in spec.user_types:
        if kind == "internalGuest" or not enumerated:
            terms.add(("guest", kind))
        else:
            terms.update(("guest", kind, tenant) for tenant in members)
    return frozenset(terms)


def _user_terms(ids: Sequence[str], groups: Sequence[str], roles: Sequence[str],
                guests: ConditionalAccessGuestsOrExternalUsers | None) -> tuple[frozenset[Hashable], ...]:
    terms: set[Hashable] = set(ids)
    if ALL in ids:
        terms.add(EVERYONE)
    if GUESTS_OR_EXTERNAL_USERS in ids:
        terms.add(_EXTERNAL)
    if guests is not None:
        terms |= guest_terms(guests)
    return frozenset(terms), frozenset(groups), frozenset(roles)


class UserCondition:
    """``conditions.users``; a policy without it includes no users."""

    __slots__ = ("users", "sides")

    def __init__(self, users: ConditionalAccessUsers | None) -> None:
        self.users = users
        self.sides = Sides((), ()) if users is None else Sides(
            _user_terms(users.include_users, users.include_groups, users.include_roles,
                        users.include_guests_or_external_users),
            _user_terms(users.exclude_users, users.exclude_groups, users.exclude_roles,
                        users.exclude_guests_or_external_users))

    def holds(self, keys: Keys) -> bool:
        """``keys``: :func:`user_keys`."""
        return self.sides.holds(keys)

    def explain(self, user: UserFacts, keys: Keys, ctx: Context) -> Check:
        who = user.label
        users = self.users
        if users is None:
            return False, [f"{who} is not included: the policy includes no users"]
        included, excluded = _matched(self.sides.include, keys), _matched(self.sides.exclude, keys)
        include = _user_words(included, users.include_guests_or_external_users, user, ctx, "include")
        notes = _eligibility_notes(users, user, ctx)
        if any(excluded):
            exclude = _user_words(excluded, users.exclude_guests_or_external_users, user, ctx, "exclude")
            return False, include + [f"excluded: {r} (excluding beats including)" for r in exclude] + notes
        if any(included):
            return True, include + notes
        if NONE in users.include_users and not (users.include_groups or users.include_roles
                                                or users.include_guests_or_external_users):
            return False, [f"{who} is not included: the policy includes no users (None)"] + notes
        return False, [f"{who} is not among the users, groups, roles or guest types the policy includes"] + notes


def _matched(terms: Sequence[frozenset[Hashable]], keys: Keys) -> tuple[frozenset[Hashable], ...]:
    """The terms that name one of the keys, per namespace (all empty: the side does not name the sign-in)."""
    return tuple(t.intersection(k) for t, k in zip(terms, keys))


def _user_words(matched: Sequence[Collection[Hashable]], guests: ConditionalAccessGuestsOrExternalUsers | None,
                user: UserFacts, ctx: Context, side: str) -> list[str]:
    """Why the ``matched`` terms of one side (scalars, groups, roles) name the user."""
    who = user.label
    scalars, groups, roles = matched
    out: list[str] = []
    if EVERYONE in scalars:
        out.append(f"{who} is in all users" if side == "exclude" else f"the policy includes all users, "
                                                                        f"{who} among them")
    if user.id in scalars:
        out.append(f"{who} is included by name" if side == "include" else f"{who} is named in the exclusions")
    kind = user.external_type
    if _EXTERNAL in scalars and kind is not None:
        out.append(f"{who} is a guest or external user ({_GUEST_TYPE_NAMES[kind]}: {user.external_basis})")
    for gid in sorted((g for g in groups if isinstance(g, str)), key=lambda g: (ctx.group_names.get(g, g), g)):
        path = ctx.membership_path(user.id, gid)
        through = f" through {' in '.join(ctx.group_name(g) for g in path)}" if path else ""
        out.append(f"{who} is a member of {ctx.group_name(gid)}{through}")
    for template in sorted((r for r in roles if isinstance(r, str)), key=lambda r: (ctx.role_names.get(r, r), r)):
        via = user.roles[template]
        how = f"through group {ctx.group_name(via)}" if via else "as an active assignment"
        out.append(f"{who} holds the directory role {ctx.role_name(template)} {how}")
    if kind is not None and guests is not None:
        any_tenant = ("guest", kind) in scalars
        if any_tenant or ("guest", kind, user.home_tenant) in scalars:
            label = f"{who} is a {_GUEST_TYPE_NAMES[kind]} ({user.external_basis})"
            if kind == "internalGuest" or guests.external_tenants is None:
                out.append(label)
            elif any_tenant:
                out.append(f"{label}, from any external tenant")
            else:
                out.append(f"{label}, from tenant {user.home_tenant}")
    return out


def _eligibility_notes(users: ConditionalAccessUsers, user: UserFacts, ctx: Context) -> list[str]:
    named = set(users.include_roles) | set(users.exclude_roles)
    return [f"{user.label} is only eligible (PIM) for {ctx.role_name(t)}: an eligible role does not count "
            "until it is activated"
            for t in sorted(named & user.eligible_roles, key=lambda r: (ctx.role_names.get(r, r), r))]


# --- target resources ---------------------------------------------------------------------------------------


def app_keys(app: str, ctx: Context) -> Keys:
    """An app in the terms target resources are written in: any app (``All``), its id, the app groups
    holding it. The scenario aliases: ``All`` is an app no policy names, a group alias an app of that
    group that no policy names by its id."""
    if app == ALL:
        return (frozenset({EVERYONE}),)
    if app in (OFFICE_365, MICROSOFT_ADMIN_PORTALS):
        return (frozenset({EVERYONE, ("appGroup", app)}),)
    keys: set[Hashable] = {EVERYONE, ("app", app)}
    if app in ctx.office365_apps:
        keys.add(("appGroup", OFFICE_365))
    if app in ctx.admin_portal_apps:
        keys.add(("appGroup", MICROSOFT_ADMIN_PORTALS))
    return (frozenset(keys),)


def target_keys(scenario: Scenario, ctx: Context) -> Keys:
    """What the scenario signs in to, in the terms of target resources: an app, a user action or an
    authentication context (never two of them: an app policy does not apply to a user action)."""
    if scenario.user_action is not None:
        return (frozenset({("action", USER_ACTIONS[scenario.user_action])}),)
    if scenario.auth_context is not None:
        return (frozenset({("context", scenario.auth_context)}),)
    return app_keys(scenario.app or ALL, ctx)


def _app_terms(values: Sequence[str], *, everything: bool) -> frozenset[Hashable]:
    terms: set[Hashable] = {("app", v.lower()) for v in values}
    terms.update(("appGroup", g) for g in (OFFICE_365, MICROSOFT_ADMIN_PORTALS) if g in values)
    if everything and ALL in values:
        terms.add(EVERYONE)
    return frozenset(terms)


def app_label(app: str, ctx: Context) -> str:
    """A scenario's app in words."""
    if app == ALL:
        return "an app no policy names (All)"
    if app in ca_catalog.APP_GROUP_NAMES:
        return f"an app of the {ca_catalog.APP_GROUP_NAMES[app]} group ({app})"
    return f"app '{ctx.app_name(app)}'"


def _scenario_target(scenario: Scenario, ctx: Context) -> str:
    return app_label(scenario.app, ctx) if scenario.app is not None else scenario.target


class TargetCondition:
    """``conditions.applications``: apps (``All`` on the exclude side excludes nothing), or user actions,
    or authentication contexts; a policy without it targets no resources."""

    __slots__ = ("apps", "actions", "contexts", "sides")

    def __init__(self, apps: ConditionalAccessApplications | None) -> None:
        self.apps = apps
        self.actions = tuple(apps.include_user_actions) if apps is not None else ()
        self.contexts = tuple(apps.include_authentication_context_class_references) if apps is not None else ()
        if self.actions:
            self.sides = Sides((frozenset(("action", a.lower()) for a in self.actions),), ())
        elif self.contexts:
            self.sides = Sides((frozenset(("context", c) for c in self.contexts),), ())
        elif apps is None:
            self.sides = Sides((), ())
        else:
            self.sides = Sides((_app_terms(apps.include_applications, everything=True),),
                               (_app_terms(apps.exclude_applications, everything=False),))

    @property
    def targets_apps(self) -> bool:
        """The policy targets apps, not user actions or authentication contexts."""
        return not (self.actions or self.contexts)

    def holds(self, keys: Keys) -> bool:
        """``keys``: :func:`target_keys` (or :func:`app_keys`)."""
        return self.sides.holds(keys)

    def explain(self, scenario: Scenario, keys: Keys, ctx: Context) -> Check:
        if self.actions:
            wanted = ", ".join(f"'{USER_ACTION_NAMES.get(a, a)}'" for a in self.actions)
            if scenario.user_action is None:
                return False, [f"the policy targets the user action {wanted}; this sign-in is to "
                               f"{_scenario_target(scenario, ctx)}"]
            name = USER_ACTION_NAMES[USER_ACTIONS[scenario.user_action]]
            if self.holds(keys):
                return True, [f"the policy targets the user action '{name}'"]
            return False, [f"the policy targets the user action {wanted}, not '{name}'"]
        if self.contexts:
            if scenario.auth_context is None:
                return False, [f"the policy targets the authentication context {_names(self.contexts)}; this "
                               f"sign-in is to {_scenario_target(scenario, ctx)}"]
            if self.holds(keys):
                return True, [f"the policy targets the authentication context {scenario.auth_context}"]
            return False, [f"the policy targets the authentication context {_names(self.contexts)}, not "
                           f"{scenario.auth_context}"]
        if scenario.user_action is not None or scenario.auth_context is not None:
            what = "a user action" if scenario.user_action is not None else "an authentication context"
            return False, [f"the policy targets resources (apps); {_scenario_target(scenario, ctx)} is {what}, "
                           f"evaluated only by policies that target it (not even by 'All resources')"]
        return self._explain_app(scenario.app or ALL, keys, ctx)

    def _explain_app(self, app: str, keys: Keys, ctx: Context) -> Check:
        apps = self.apps
        label = app_label(app, ctx)
        include = tuple(apps.include_applications) if apps is not None else ()
        app_filter = apps.application_filter if apps is not None else None
        notes: list[str] = []
        if app_filter is not None and app_filter.rule:
            notes.append(f"the policy also {app_filter.mode or 'include'}s apps by a filter on custom security "
                         "attributes, which ztconsole cannot evaluate: it includes and excludes nothing here")
        included_by = frozenset().union(*_matched(self.sides.include, keys))
        excluded_by = frozenset().union(*_matched(self.sides.exclude, keys))
        excluded = _app_words(excluded_by, app)
        included = ["the policy includes all resources"] if ALL in include else _app_words(included_by, app)
        if excluded_by:
            why = f"{label} is included ({'; '.join(included)}); " if included else ""
            return False, [f"{why}excluded: {label} ({'; '.join(excluded)}) (excluding beats including)"] + notes
        if included_by:
            return True, [f"{label} is targeted: {'; '.join(included)}"] + notes
        if not include or include == (NONE,):
            return False, [f"the policy targets no resources (None); {label} is not targeted"] + notes
        shown = ", ".join(ca_catalog.APP_GROUP_NAMES.get(a, ctx.app_name(a.lower()) if GUID.match(a) else a)
                          for a in include)
        return False, [f"{label} is not targeted: the policy includes only {shown}"] + notes


def _app_words(matched: AbstractSet[Hashable], app: str) -> list[str]:
    """Why the ``matched`` terms of one side name ``app``."""
    if app in (OFFICE_365, MICROSOFT_ADMIN_PORTALS):
        return [f"the {ca_catalog.APP_GROUP_NAMES[app]} group is named"] if ("appGroup", app) in matched else []
    out = []
    if ("app", app) in matched:
        out.append("it is named by its app id")
    if ("appGroup", OFFICE_365) in matched:
        out.append("it is part of the Office 365 group")
    if ("appGroup", MICROSOFT_ADMIN_PORTALS) in matched:
        out.append("it is one of the Microsoft Admin Portals")
    return out


# --- client apps, platforms ---------------------------------------------------------------------------------


class ClientAppCondition:
    """``conditions.clientAppTypes``."""

    __slots__ = ("configured", "allowed")

    def __init__(self, types: Sequence[str]) -> None:
        self.configured = tuple(t for t in types if t != "unknownFutureValue")
        #: None: every client app type
        self.allowed = None if not self.configured or "all" in self.configured else frozenset(
            self.configured) | ({"exchangeActiveSync"} if "easSupported" in self.configured else frozenset())

    @property
    def free(self) -> bool:
        return self.allowed is None

    def holds(self, client_app: str) -> bool:
        return self.allowed is None or client_app in self.allowed

    def explain(self, client_app: str) -> Check:
        if not self.configured:
            return True, [f"client app {client_app} is targeted (default: all client apps)"]
        if self.allowed is None:
            return True, [f"client app {client_app} is targeted (the policy targets all client apps)"]
        if client_app in self.allowed:
            return True, [f"client app {client_app} is targeted (the policy targets {_names(self.configured)})"]
        return False, [f"client app {client_app} is not targeted: the policy targets only {_names(self.configured)}"]


class PlatformCondition:
    """``conditions.platforms``; ``None`` is an unknown platform."""

    __slots__ = ("include", "exclude")

    def __init__(self, platforms: ConditionalAccessPlatforms | None) -> None:
        self.include = tuple(p for p in (platforms.include_platforms if platforms is not None else ())
                             if p != "unknownFutureValue")
        self.exclude = tuple(p for p in (platforms.exclude_platforms if platforms is not None else ())
                             if p != "unknownFutureValue")

    @property
    def free(self) -> bool:
        return not (self.include or self.exclude)

    def _included(self, platform: str | None) -> bool:
        return not self.include or "all" in self.include or (platform is not None and platform in self.include)

    def _excluded(self, platform: str | None) -> bool:
        return "all" in self.exclude or (platform is not None and platform in self.exclude)

    def holds(self, platform: str | None) -> bool:
        return self._included(platform) and not self._excluded(platform)

    def explain(self, platform: str | None) -> Check:
        if self.free:
            return True, []
        include, exclude, p = self.include, self.exclude, platform
        shown = p if p is not None else "not given: unknown platform"
        if not self._included(p):
            if p is None:
                return False, [f"platform not given: unknown platform; the policy includes only {_names(include)}"]
            return False, [f"platform {p} is not included: the policy includes only {_names(include)}"]
        if not include or "all" in include:
            inc = f"platform {shown} is included (the policy includes all platforms)"
        else:
            inc = f"platform {p} is included (the policy includes {_names(include)})"
        if "all" in exclude:
            return False, [inc, "excluded: the policy excludes all platforms (excluding beats including)"]
        if self._excluded(p):
            return False, [inc, f"excluded: platform {p} (the policy excludes {_names(exclude)}; "
                                "excluding beats including)"]
        if exclude:
            tail = (f"an unknown platform is not excluded by the exclusion of {_names(exclude)}" if p is None
                    else f"platform {p} is not among the excluded {_names(exclude)}")
            return True, [inc, tail]
        return True, [inc]


# --- locations ----------------------------------------------------------------------------------------------


class Place(NamedTuple):
    """Where a sign-in comes from, as location conditions see it: the locations it is known to be in
    (:func:`location_keys`), and whether its IP and its country are known."""

    keys: frozenset[str]
    ip_known: bool
    country_known: bool


def ip_locations(ip: str | None, ctx: Context) -> frozenset[str]:
    """The IP named locations (and the MFA trusted IPs) whose ranges hold ``ip`` (None: not known): the same
    set object for every address of one interval of :attr:`Context.ip_table`."""
    return ctx.ip_table.lookup(ipaddress.ip_address(ip)) if ip is not None else frozenset()


def location_keys(ip_held: AbstractSet[str], country: str | None, compliant_network: bool,
                  ctx: Context) -> set[str]:
    """The locations a sign-in is known to be in (named location ids, ``All``, ``AllTrusted``, the MFA
    trusted IPs): ``ip_held`` from :func:`ip_locations`; ``country`` ISO alpha-2, ``UNKNOWN_COUNTRY`` or None
    (not known); through Global Secure Access or not."""
    keys = {LOCATION_ALL, *ip_held}
    if country is not None:
        for loc in ctx.country_locations:
            if loc.include_unknown if country == UNKNOWN_COUNTRY else country in loc.countries:
                keys.add(loc.id)
    if compliant_network:
        keys |= ctx.compliant_network_ids
        if LOCATION_COMPLIANT_NETWORK not in ctx.locations:
            keys.add(LOCATION_COMPLIANT_NETWORK)
    if LOCATION_MFA_TRUSTED_IPS in keys or not ctx.trusted_location_ids.isdisjoint(keys):
        keys.add(LOCATION_ALL_TRUSTED)
    return keys


def place_of(ip: str | None, country: str | None, compliant_network: bool, ctx: Context) -> Place:
    """The :class:`Place` of a sign-in from ``ip`` in ``country`` (each None when not known)."""
    keys = location_keys(ip_locations(ip, ctx), country, compliant_network, ctx)
    return Place(frozenset(keys), ip is not None, country is not None)


def location_state(location: str, place: Place, ctx: Context) -> bool | None:
    """Whether the sign-in is in ``location`` (an id or a token): True, False, or None when that is not
    known (the location looks at the IP or the country, and the sign-in does not give it)."""
    if location in place.keys:
        return True
    if location == LOCATION_ALL_TRUSTED:
        unknown = (any(location_state(t, place, ctx) is None for t in ctx.trusted_location_ids)
                   or (not place.ip_known and bool(ctx.mfa_trusted_ips)))
        return None if unknown else False
    if location == LOCATION_MFA_TRUSTED_IPS:
        return False if place.ip_known else None
    loc = ctx.locations.get(location)
    if loc is not None and ((loc.kind == "ip" and not place.ip_known)
                            or (loc.kind == "country" and not place.country_known)):
        return None
    return False


class LocationCondition:
    """``conditions.locations``; an empty include side is ``All``."""

    __slots__ = ("free", "include", "exclude", "sides")

    def __init__(self, locations: ConditionalAccessLocations | None) -> None:
        include = tuple(locations.include_locations) if locations is not None else ()
        self.exclude = tuple(locations.exclude_locations) if locations is not None else ()
        self.free = not (include or self.exclude)
        self.include = include or (LOCATION_ALL,)
        self.sides = Sides((frozenset(self.include),), (frozenset(self.exclude),))

    def holds(self, place: Place) -> bool:
        return self.sides.holds((place.keys,))

    def explain(self, place: Place, scenario: Scenario, ctx: Context) -> Check:
        if self.free:
            return True, []
        inc = [_location_words(i, place, scenario, ctx) for i in self.include]
        hits = [why for m, why in inc if m]
        if not hits:
            if all(m is None for m, _ in inc):
                names = ", ".join(_location_label(i, ctx) for i in self.include)
                return False, [f"{_unknown_where(scenario)}; the policy includes only {names}"]
            return False, ["location not included: " + "; ".join(why for _, why in inc)]
        out = ["; ".join(hits)]
        exc = [_location_words(e, place, scenario, ctx) for e in self.exclude]
        ex_hits = [why for m, why in exc if m]
        if ex_hits:
            return False, out + [f"excluded: {'; '.join(ex_hits)} (excluding beats including)"]
        unknown = [_location_label(e, ctx) for (m, _), e in zip(exc, self.exclude) if m is None]
        if unknown:
            out.append(f"{_unknown_where(scenario)}: it is not excluded by the exclusion of {', '.join(unknown)}")
        known = [why for m, why in exc if m is False]
        if known:
            out.append("not excluded: " + "; ".join(known))
        return True, out


def _location_words(loc_id: str, place: Place, scenario: Scenario, ctx: Context) -> tuple[bool | None, str]:
    """:func:`location_state` and the words for it."""
    state = location_state(loc_id, place, ctx)
    where = f"location {scenario.ip}" if scenario.ip is not None else "IP not given: unknown location"
    if loc_id == LOCATION_ALL:
        return True, "any location (the policy names all locations)"
    if loc_id == LOCATION_ALL_TRUSTED:
        if state:
            hits = [why for lid in sorted(ctx.trusted_location_ids, key=lambda i: (ctx.locations[i].name, i))
                    for m, why in (_location_words(lid, place, scenario, ctx),) if m]
            if LOCATION_MFA_TRUSTED_IPS in place.keys:
                hits.append(f"location {scenario.ip} is in the MFA trusted IPs")
            return True, "; ".join(hits) + ", one of all trusted locations"
        if state is None:
            return None, f"{where}, not known to be in a trusted location"
        return False, f"{where} is in no trusted location"
    if loc_id == LOCATION_MFA_TRUSTED_IPS:
        if state is None:
            return None, f"{where}, not known to be in the MFA trusted IPs"
        if state:
            return True, f"location {scenario.ip} is in the MFA trusted IPs"
        return False, (f"location {scenario.ip} is not in the MFA trusted IPs (none are recorded)"
                       if not ctx.mfa_trusted_ips else f"location {scenario.ip} is not in the MFA trusted IPs")
    loc = ctx.locations.get(loc_id)
    if loc is None or loc.kind == "compliantNetwork":
        if loc is None and loc_id != LOCATION_COMPLIANT_NETWORK:
            return False, f"named location {loc_id} does not exist (deleted?)"
        quoted = loc.quoted if loc is not None else "'All Compliant Network locations'"
        if state:
            return True, f"the sign-in comes through Global Secure Access: {quoted} (compliant network)"
        return False, f"the sign-in does not come through a compliant network ({quoted})"
    if loc.kind == "ip":
        trust = "trusted" if loc.trusted else "not trusted"
        if state is None:
            return None, f"{where}, not known to be in {loc.quoted}"
        if state:
            return True, f"location {scenario.ip} is in {loc.quoted} ({trust})"
        return False, f"location {scenario.ip} is not in {loc.quoted}"
    if loc.kind == "country":
        how = _LOOKUP_NAMES.get(loc.lookup or "clientIpAddress", f"by {loc.lookup}")
        if state is None:
            return None, f"country not given: unknown location, not known to be in {loc.quoted}"
        if scenario.country == UNKNOWN_COUNTRY:
            if state:
                return True, (f"the sign-in maps to no country/region ({how}), and {loc.quoted} includes "
                              "unknown countries/regions")
            return False, (f"the sign-in maps to no country/region ({how}); {loc.quoted} does not include "
                           "unknown countries/regions")
        if state:
            return True, f"country {scenario.country} ({how}) is in {loc.quoted}"
        return False, f"country {scenario.country} ({how}) is not in {loc.quoted}"
    return False, f"named location {loc.quoted} is of a kind ztconsole does not evaluate"


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


# --- risk, authentication flows: one value of the sign-in ------------------------------------------------------


class ValueCondition(ABC):
    """A condition on one value of the sign-in: the values the policy targets (those that target nothing left
    out). A policy that targets none lets every sign-in through; a sign-in without the value (None) gets
    through only then."""

    __slots__ = ("values",)
    #: configured values that target nothing
    IGNORED: ClassVar[tuple[str, ...]] = ()

    def __init__(self, values: Sequence[str]) -> None:
        self.values = tuple(v for v in values if v not in self.IGNORED)

    @property
    def free(self) -> bool:
        return not self.values

    def holds(self, value: str | None) -> bool:
        return not self.values or (value is not None and value in self.values)

    def explain(self, value: str | None) -> Check:
        if not self.values:
            return True, []
        ok = self.holds(value)
        return ok, [self.words(value, ok)]

    @abstractmethod
    def words(self, value: str | None, ok: bool) -> str:
        """The reason for the decision ``ok`` on ``value``."""


class RiskCondition(ValueCondition):
    """Sign-in, user or insider risk: the levels the policy targets."""

    __slots__ = ("what",)
    IGNORED = ("unknownFutureValue", "hidden")

    def __init__(self, what: str, levels: Sequence[str]) -> None:
        super().__init__(levels)
        self.what = what

    def words(self, value: str | None, ok: bool) -> str:
        if value is None:
            return f"{self.what} not given; the policy targets only {_names(self.values)}"
        among = "is among" if ok else "is not among"
        return f"{self.what} {value} {among} the levels the policy targets ({_names(self.values)})"


class InsiderRiskCondition(RiskCondition):
    """Insider risk, where ``none`` (not ``hidden``) targets nothing; ``None`` is a sign-in without it."""

    __slots__ = ()
    IGNORED = ("unknownFutureValue", "none")

    def __init__(self, levels: Sequence[str]) -> None:
        super().__init__("insider risk", levels)


class AuthFlowCondition(ValueCondition):
    """``conditions.authenticationFlows``; ``None`` is a sign-in that uses no such flow."""

    __slots__ = ()
    IGNORED = ("none", "unknownFutureValue")

    def __init__(self, flows: ConditionalAccessAuthenticationFlows | None) -> None:
        super().__init__(flows.transfer_method_values if flows is not None else ())

    def words(self, value: str | None, ok: bool) -> str:
        if value is None:
            return f"the policy targets the authentication flows {_names(self.values)}; this sign-in uses none"
        if ok:
            return f"authentication flow {value} is targeted"
        return f"authentication flow {value} is not targeted (the policy targets {_names(self.values)})"


# --- devices ------------------------------------------------------------------------------------------------


def _device_value(device: Mapping[str, Any] | None, name: str) -> Any:
    if device is None:
        return None
    for key, value in device.items():
        if key.lower() == name.lower():
            return value
    return None


def device_states(device: Mapping[str, Any] | None) -> set[str]:
    """The deprecated device states of a device: compliant, domainjoined (hybrid joined)."""
    states = set()
    compliant = _device_value(device, "isCompliant")
    if compliant is True or (isinstance(compliant, str) and compliant.strip().lower() == "true"):
        states.add("compliant")
    trust = _device_value(device, "trustType")
    if isinstance(trust, str) and trust.strip().lower() == "serverad":
        states.add("domainjoined")
    return states


class DeviceFacts(NamedTuple):
    """A device as the fast face reads it: its filter properties, and its legacy device states."""

    props: Mapping[str, object]
    states: frozenset[str]


def device_facts(device: Mapping[str, Any] | None) -> DeviceFacts:
    """``device`` (None: unregistered) read once for any number of device conditions."""
    return DeviceFacts(prepare_device(device).props, frozenset(device_states(device)))


#: the device of a sign-in that gives none
UNREGISTERED = device_facts(None)


class DeviceCondition:
    """``conditions.devices``: a device filter (a rule that cannot be used matches no device), and the
    deprecated device states."""

    __slots__ = ("mode", "rule", "root", "include", "error", "states_in", "states_out")

    def __init__(self, devices: ConditionalAccessDevices | None) -> None:
        self.mode: str | None = None
        self.rule: str | None = None
        self.root: Node | None = None
        self.include = True
        self.error: str | None = None
        flt = devices.device_filter if devices is not None else None
        if flt is not None and flt.rule is not None and flt.rule.strip():
            self.mode, self.rule = flt.mode, flt.rule
            try:
                filter_applies(flt.mode or "", flt.rule, None)  # the filter engine's own checks of mode and rule
            except DeviceFilterError as exc:
                self.error = str(exc)
            else:
                self.root = parse_device_filter(flt.rule).root
                self.include = (flt.mode or "").strip().lower() == "include"
        include = (*devices.include_devices, *devices.include_device_states) if devices is not None else ()
        exclude = (*devices.exclude_devices, *devices.exclude_device_states) if devices is not None else ()
        self.states_in = tuple(s.lower() for s in include)
        self.states_out = tuple(s.lower() for s in exclude)

    @property
    def free(self) -> bool:
        return self.rule is None and not (self.states_in or self.states_out)

    @property
    def _unusable_applies(self) -> bool:
        """A filter that cannot be used matches no device: only an exclude filter lets the policy apply."""
        return (self.mode or "").lower() == "exclude"

    def _states(self, states: AbstractSet[str]) -> tuple[bool, bool]:
        """Whether the legacy include states take the device, and whether the exclude states do."""
        included = not self.states_in or "all" in self.states_in or not states.isdisjoint(self.states_in)
        return included, not states.isdisjoint(self.states_out)

    def holds(self, device: DeviceFacts) -> bool:
        """``device``: :func:`device_facts`."""
        if self.error is not None:
            if not self._unusable_applies:
                return False
        elif self.root is not None and self.root.evaluate(device.props) is not self.include:
            return False
        included, excluded = self._states(device.states)
        return included and not excluded

    def explain(self, device: Mapping[str, Any] | None) -> Check:
        reasons: list[str] = []
        ok = True
        if self.rule is not None:
            if self.error is not None:
                ok = self._unusable_applies
                effect = "the exclude filter excludes nothing" if ok else "the policy does not apply through it"
                reasons.append(f"error: the device filter cannot be evaluated ({self.error}); Graph rejects such a "
                               f"rule when a policy is saved; treated as matching no device: {effect}")
            else:
                ok, why = filter_applies(self.mode or "", self.rule, device)
                reasons.append(why)
        if self.states_in or self.states_out:
            states = device_states(device)
            shown = ", ".join(sorted(states)) or "neither compliant nor hybrid joined"
            included, excluded = self._states(states)
            if not included:
                ok = False
                reasons.append(f"device state ({shown}) is not among the included {_names(self.states_in)} (legacy "
                               "device state condition)")
            elif excluded:
                ok = False
                reasons.append(f"excluded: device state {shown} (legacy device state condition excludes "
                               f"{_names(self.states_out)}; excluding beats including)")
            else:
                reasons.append(f"device state ({shown}) is not excluded (legacy device state condition)")
        return ok, reasons


# --- workload identities ------------------------------------------------------------------------------------


def workload_reason(cond: ConditionalAccessConditionSet) -> str | None:
    """Why a policy's conditions target workload (or agent) identities, never user sign-ins; None if not."""
    ca = cond.client_applications
    if ca is not None and (ca.include_service_principals or ca.service_principal_filter is not None):
        return "the policy targets workload identities (service principals), not user sign-ins"
    if [v for v in cond.service_principal_risk_levels if v != "unknownFutureValue"]:
        return "the policy sets service principal risk, a condition of workload identities, not user sign-ins"
    if cond.agent_id_risk_level_values:
        return "the policy sets agent risk, a condition of agent identities, not user sign-ins"
    return None


# --- a policy's conditions, read once -----------------------------------------------------------------------


class PolicyConditions(NamedTuple):
    """Every condition of one policy as its rule (see the module docstring)."""

    workload: str | None
    users: UserCondition
    target: TargetCondition
    client_apps: ClientAppCondition
    platforms: PlatformCondition
    locations: LocationCondition
    sign_in_risk: RiskCondition
    user_risk: RiskCondition
    insider_risk: InsiderRiskCondition
    devices: DeviceCondition
    auth_flows: AuthFlowCondition

    @classmethod
    def read(cls, cond: ConditionalAccessConditionSet) -> PolicyConditions:
        return cls(
            workload=workload_reason(cond),
            users=UserCondition(cond.users),
            target=TargetCondition(cond.applications),
            client_apps=ClientAppCondition(cond.client_app_types),
            platforms=PlatformCondition(cond.platforms),
            locations=LocationCondition(cond.locations),
            sign_in_risk=RiskCondition("sign-in risk", cond.sign_in_risk_levels),
            user_risk=RiskCondition("user risk", cond.user_risk_levels),
            insider_risk=InsiderRiskCondition(cond.insider_risk_level_values),
            devices=DeviceCondition(cond.devices),
            auth_flows=AuthFlowCondition(cond.authentication_flows),
        )


_CACHE_LIMIT = 4096
#: id(condition set) -> (the condition set, its rules). The entry holds the condition set, so its id cannot
#: be reused while cached; condition sets are frozen, and not hashable (they carry raw JSON).
_read: dict[int, tuple[ConditionalAccessConditionSet, PolicyConditions]] = {}


def conditions_of(cond: ConditionalAccessConditionSet) -> PolicyConditions:
    """The rules of a policy's conditions, read once: the reference evaluator judges the same policies
    against sign-in after sign-in."""
    hit = _read.get(id(cond))
    if hit is not None and hit[0] is cond:
        return hit[1]
    rules = PolicyConditions.read(cond)
    if len(_read) >= _CACHE_LIMIT:
        _read.clear()
    _read[id(cond)] = (cond, rules)
    return rules


class SignInFacts(NamedTuple):
    """A scenario in the terms of the conditions, worked out once for every policy judged against it."""

    scenario: Scenario
    user: UserFacts
    user_keys: Keys
    target: Keys
    place: Place

    @classmethod
    def of(cls, scenario: Scenario, ctx: Context) -> SignInFacts:
        user = ctx.user(scenario.user_id)
        return cls(scenario, user, user_keys(user), target_keys(scenario, ctx),
                   place_of(scenario.ip, scenario.country, scenario.compliant_network, ctx))

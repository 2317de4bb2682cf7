"""Conditional Access coverage gaps: the classes of sign-ins that no policy answers with a block, MFA or an
authentication strength (``ztconsole gaps``, CONTRACTS §5; check ZT-CA-010).

A sign-in is **covered** when an applied policy (enforced; with ``include_report_only`` also report-only)
blocks it, or demands MFA or an authentication strength with no way around it: one of the policy's
requirement lists (CONTRACTS §3: the alternatives of an ``OR``, or one control of an ``AND``) holds nothing
but ``mfa`` and ``authenticationStrength:<id>``. ``mfa OR compliantDevice`` does not cover: a compliant
device gets in without a second factor. Requirements combine by conjunction, so a sign-in is covered exactly
when one policy covers it on its own.

Classes, not brute force. The sign-in space is the product of five dimensions, each cut into the classes
that the policies in play can tell apart:

* **users**: every enabled user that is not a declared emergency access account, classed by the set of
  covering policies whose user condition includes them (nested groups, active directory roles, guest and
  external user types, exclusions: the evaluator's :class:`~ztconsole.engine.whatif.Context` facts);
* **applications**: every app id a covering policy names, the members of the Office 365 and Microsoft Admin
  Portals groups when a policy names a group, and "any other app" (an app id no policy names), classed by
  the policies whose target condition includes them;
* **client app types**: the four of CONTRACTS §2;
* **platforms**: the six of CONTRACTS §2 and the unknown platform;
* **locations**: the regions of IP space the named IP locations cut (each named location, overlaps apart,
  so ``AllTrusted`` too), an IP in no named location, the unknown location (no IP), a sign-in through a
  compliant network (Global Secure Access) when a policy names it; crossed with the countries the named
  country locations list ("any other country" being a country no location lists, or none known).

Every other condition is held at the plain sign-in the ``whatif`` defaults describe (risk ``none``, no
insider risk, an unregistered device, no authentication flow): a policy that needs anything else (a risk
policy, a device code flow block) covers nothing here. Every condition, for a class as for the plain
sign-in, is decided by the fast face of the rule book (:mod:`ztconsole.engine.ca.conditions`), the rules
``whatif`` gives its reasons by. Then, one dimension after the other, the covering policies still possible
are narrowed with bitmasks (each subproblem solved once, the values that leave the same policies possible
taken together); where none is left the remaining product is uncovered. Uncovered products are coalesced
into rows and each row gets a concrete example, which is re-run through the reference evaluator
(``confirmed``).

Pure: no I/O.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, reduce
from operator import and_, or_
from typing import Any

from ztconsole.engine import ca_catalog
from ztconsole.engine.ca.conditions import (
    UNREGISTERED,
    PolicyConditions,
    SidesIndex,
    app_keys,
    conditions_of,
    guest_terms,
    place_of,
    user_keys,
)
from ztconsole.engine.ca.context import Context, IPNetwork, IpTable, UserFacts
from ztconsole.engine.ca.controls import policy_requirements
from ztconsole.engine.ca.evaluation import WhatIfResult, what_if
from ztconsole.engine.ca.scenario import CLIENT_APPS, ENABLED, PLATFORMS, REPORT_ONLY, UNKNOWN_COUNTRY, Scenario
from ztconsole.model.ca import (
    ALL,
    GUESTS_OR_EXTERNAL_USERS,
    LOCATION_ALL_TRUSTED,
    LOCATION_COMPLIANT_NETWORK,
    LOCATION_MFA_TRUSTED_IPS,
    MICROSOFT_ADMIN_PORTALS,
    OFFICE_365,
    ConditionalAccessApplications,
    ConditionalAccessPolicy,
)
from ztconsole.model.tenant import Tenant

__all__ = [
    "REPORT_ONLY",
    "OTHER_APP",
    "is_strong",
    "policy_covers",
    "covers",
    "summary_covers",
    "GapExample",
    "Gap",
    "EmergencyAccount",
    "GapReport",
    "find_gaps",
]

#: the application class of an app id no policy names
OTHER_APP = "*"
_STRENGTH = "authenticationStrength:"

# example addresses for "an IP in no named location" (RFC 5737 / RFC 3849 documentation ranges first)
_OUTSIDE_CANDIDATES = ("192.0.2.10", "198.51.100.200", "203.0.113.200", "100.64.0.10", "172.31.255.10",
                       "10.255.255.10", "2001:db8:ffff::10")


# --- what counts as covered ---------------------------------------------------------------------------------


def _mfa_like(control: str) -> bool:
    return control == "mfa" or control.startswith(_STRENGTH)


def is_strong(requirements: Iterable[Sequence[str]]) -> bool:
    """Some requirement list (CONTRACTS §3 inner list) holds only MFA or authentication strengths."""
    return any(alt and all(_mfa_like(c) for c in alt) for alt in requirements)


def policy_covers(policy: ConditionalAccessPolicy) -> bool:
    """The policy, where it applies, blocks or demands MFA / an authentication strength with no way around."""
    return policy.blocks or is_strong(policy_requirements(policy.grant_controls))


def covers(result: WhatIfResult, *, include_report_only: bool = False) -> bool:
    """Whether an applied policy of ``result`` (enforced; also report-only if asked) covers the sign-in."""
    for p in result.policies:
        if not p.applies:
            continue
        if p.state == "enabled" or (include_report_only and p.state == REPORT_ONLY):
            if p.blocks or is_strong(p.requirements):
                return True
    return False


def summary_covers(doc: Mapping[str, Any]) -> bool:
    """The same judgement from a ``whatif --json`` document (enforced policies only: its ``summary``)."""
    summary = doc["summary"]
    return summary["decision"] == "block" or is_strong(summary["requirements"])


# --- results ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GapExample:
    """One concrete sign-in of a gap: ``ztconsole whatif --user U --app A --client-app C [--platform P]
    [--ip IP] [--country CC] [--compliant-network]``. ``country`` is set only when the class needs one;
    ``compliant_network`` only for a sign-in through Global Secure Access. Both are additions to the
    example of CONTRACTS §5, present only when needed to replay it."""

    user: str
    app: str
    client_app: str
    platform: str | None
    ip: str | None
    country: str | None = None
    compliant_network: bool = False

    def scenario(self) -> Scenario:
        return Scenario(user_id=self.user, app=self.app, client_app=self.client_app, platform=self.platform,
                        ip=self.ip, country=self.country, compliant_network=self.compliant_network)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"user": self.user, "app": self.app, "clientApp": self.client_app,
                               "platform": self.platform, "ip": self.ip}
        if self.country is not None:
            out["country"] = self.country
        if self.compliant_network:
            out["compliantNetwork"] = True
        return out

    def argv(self) -> list[str]:
        """The ``whatif`` options that replay the example."""
        out = ["--user", self.user, "--app", self.app, "--client-app", self.client_app]
        if self.platform is not None:
            out += ["--platform", self.platform]
        if self.ip is not None:
            out += ["--ip", self.ip]
        if self.country is not None:
            out += ["--country", self.country]
        if self.compliant_network:
            out.append("--compliant-network")
        return out


@dataclass(frozen=True)
class Gap:
    """One coalesced class of uncovered sign-ins (CONTRACTS §5), with the ids of the users in it."""

    users: str
    application: str
    client_app_type: str
    platform: str
    location: str
    example: GapExample
    user_ids: tuple[str, ...] = ()
    confirmed: bool = True
    #: the classes it is made of, one set of class indexes per dimension (see :meth:`GapReport.locate`)
    cell: tuple[frozenset[int], ...] = field(default=(), compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {"users": self.users, "application": self.application, "clientAppType": self.client_app_type,
                "platform": self.platform, "location": self.location, "example": self.example.to_json()}

    @property
    def text(self) -> str:
        return f"{self.users}: {self.application}; {self.client_app_type}; {self.platform}; {self.location}"


@dataclass(frozen=True)
class EmergencyAccount:
    """A declared emergency access (break-glass) account: excluded on purpose, never a gap."""

    id: str
    user_principal_name: str | None
    display_name: str | None


@dataclass(frozen=True)
class GapReport:
    mode: str  # "enforced" | "with-report-only"
    gaps: tuple[Gap, ...]
    emergency_accounts: tuple[EmergencyAccount, ...] = ()
    disabled_users: int = 0
    policies: tuple[str, ...] = ()  # ids of the covering policies considered
    users_considered: int = 0
    space: _Space | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        """CONTRACTS §5."""
        return {"mode": self.mode, "gaps": [g.to_json() for g in self.gaps]}

    def locate(self, scenario: Scenario) -> Gap | None:
        """The gap a plain sign-in (an app, risk none, no insider risk, an unregistered device, no flow)
        falls in, or None when it is covered or its user is not considered (an emergency access account,
        a disabled or unknown user). ValueError for a scenario that is not a plain sign-in."""
        if (scenario.app is None or scenario.sign_in_risk != "none" or scenario.user_risk != "none"
                or scenario.insider_risk is not None or scenario.device is not None
                or scenario.auth_flow is not None):
            raise ValueError("locate() takes a plain sign-in to an app: risk none, no insider risk, an "
                             "unregistered device, no authentication flow")
        cell = self.space.cell(scenario) if self.space is not None else None
        if cell is None:
            return None
        for gap in self.gaps:
            if all(v in dim for v, dim in zip(cell, gap.cell)):
                return gap
        return None


# --- the plain sign-in, classes of apps ---------------------------------------------------------------------


def _plain(rules: PolicyConditions) -> bool:
    """The policy can apply to the plain sign-in gaps explores: a user's sign-in to an app, with risk none,
    no insider risk, an unregistered device and no authentication flow."""
    return (rules.workload is None and rules.target.targets_apps and rules.sign_in_risk.holds("none")
            and rules.user_risk.holds("none") and rules.insider_risk.holds(None)
            and rules.devices.holds(UNREGISTERED) and rules.auth_flows.holds(None))


def _named_apps(apps: ConditionalAccessApplications | None) -> set[str]:
    """The app ids a target condition names, the members of the app groups it names among them."""
    if apps is None:
        return set()
    values = (*apps.include_applications, *apps.exclude_applications)
    out = {v.lower() for v in values}
    for group in (OFFICE_365, MICROSOFT_ADMIN_PORTALS):
        if group in values:
            out |= ca_catalog.APP_GROUPS[group]
    return out


# --- locations ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Loc:
    """One location value: an IP part and a country part."""

    ip_kind: str  # "region" | "out" | "none" | "gsa"
    ip_key: Any  # region: frozenset of location ids; else the kind
    ip: str | None
    ip_label: str
    trusted: bool
    country_key: Any  # None (any other country or not known), a frozenset of location ids, or "ZZ"
    country: str | None
    country_label: str


def _referenced_locations(policies: Sequence[ConditionalAccessPolicy]) -> set[str]:
    out: set[str] = set()
    for p in policies:
        locs = p.conditions.locations if p.conditions is not None else None
        if locs is not None:
            out |= set(locs.include_locations) | set(locs.exclude_locations)
    return out


class _LocationSpace:
    """The location values (IP part x country part) the covering policies can tell apart, and the way back
    from a sign-in's IP, country and compliant network to its value."""

    def __init__(self, policies: Sequence[ConditionalAccessPolicy], ctx: Context):
        refs = _referenced_locations(policies)
        ids = {r for r in refs if r in ctx.locations}
        if LOCATION_ALL_TRUSTED in refs:
            ids |= set(ctx.trusted_location_ids)
        nets: list[tuple[str, IPNetwork]] = [(lid, n) for lid in sorted(ids) if ctx.locations[lid].kind == "ip"
                                             for n in ctx.locations[lid].networks]
        if ctx.mfa_trusted_ips and refs & {LOCATION_ALL_TRUSTED, LOCATION_MFA_TRUSTED_IPS}:
            nets += [(LOCATION_MFA_TRUSTED_IPS, n) for n in ctx.mfa_trusted_ips]
        self.table = IpTable((n, lid) for lid, n in nets)

        def name_of(lid: str) -> str:
            return "the MFA trusted IPs" if lid == LOCATION_MFA_TRUSTED_IPS else ctx.locations[lid].quoted

        def trusted_of(lid: str) -> bool:
            return lid == LOCATION_MFA_TRUSTED_IPS or ctx.locations[lid].trusted

        # the regions of IP space the networks cut: elementary intervals, grouped by the locations holding them
        regions: dict[frozenset[str], str] = {}
        gaps_between: list[str] = []
        for version in (4, 6):
            if not any(n.version == version for _, n in nets):
                continue
            cls = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
            for lo, hi, members in self.table.regions(version):
                rep = str(cls(lo + 1) if hi - lo > 2 else cls(lo))
                if members:
                    regions.setdefault(members, rep)
                else:
                    gaps_between.append(rep)
        ip_parts: list[tuple[str, Any, str | None, str, bool]] = []
        for members, rep in sorted(regions.items(), key=lambda kv: sorted(name_of(m) for m in kv[0])):
            names = sorted(name_of(m) for m in members)
            trusted = any(trusted_of(m) for m in members)
            ip_parts.append(("region", members, rep, " and ".join(names) + (" (trusted)" if trusted else ""),
                             trusted))
        every_ip_range = [n for loc in ctx.locations.values() if loc.kind == "ip" for n in loc.networks]
        outside = (_outside_ip([n for _, n in nets] + every_ip_range) or _outside_ip([n for _, n in nets])
                   or (gaps_between[0] if gaps_between else None))
        if outside is not None:
            ip_parts.append(("out", "out", outside, "an IP in no named location", False))
        ip_parts.append(("none", "none", None, "an unknown location (no IP)", False))
        compliant_ids = {i for i in ids if ctx.locations[i].kind == "compliantNetwork"}
        self.gsa = LOCATION_COMPLIANT_NETWORK in refs or bool(compliant_ids)
        if self.gsa:
            ip_parts.append(("gsa", "gsa", None, "a compliant network (Global Secure Access)",
                             any(ctx.locations[i].trusted for i in compliant_ids)))

        # countries: grouped by the country locations listing them
        self.country_locs = {i: ctx.locations[i] for i in sorted(ids) if ctx.locations[i].kind == "country"}
        by_members: dict[frozenset[str], list[str]] = {}
        for c in sorted({c for loc in self.country_locs.values() for c in loc.countries}):
            members = frozenset(i for i, loc in self.country_locs.items() if c in loc.countries)
            by_members.setdefault(members, []).append(c)
        country_parts: list[tuple[Any, str | None, str]] = [(None, None, "a country no named location lists")]
        for members, codes in sorted(by_members.items(), key=lambda kv: kv[1]):
            holders = " and ".join(sorted(self.country_locs[m].quoted for m in members))
            shown = ", ".join(codes[:8]) + (f" and {len(codes) - 8} more" if len(codes) > 8 else "")
            country_parts.append((members, codes[0], f"{shown} ({holders})"))
        self.zz = any(loc.include_unknown for loc in self.country_locs.values())
        if self.zz:
            country_parts.append(("ZZ", UNKNOWN_COUNTRY, "no country/region (the lookup found none)"))

        self.values: list[_Loc] = []
        self.index_of: dict[tuple[Any, Any], int] = {}
        for kind, key, ip, label, trusted in ip_parts:
            for ckey, country, clabel in country_parts:
                self.index_of[(key, ckey)] = len(self.values)
                self.values.append(_Loc(kind, key, ip, label, trusted, ckey, country, clabel))

    def index(self, ip: str | None, country: str | None, compliant: bool) -> int | None:
        """The value a sign-in's location falls in (None: a compliant-network sign-in with an IP)."""
        if compliant and self.gsa:
            if ip is not None:
                return None
            ip_key: Any = "gsa"
        elif ip is None:
            ip_key = "none"
        else:
            ip_key = self.table.lookup(ipaddress.ip_address(ip)) or "out"
        if country is None:
            c_key: Any = None
        elif country == UNKNOWN_COUNTRY:
            c_key = "ZZ" if self.zz else None
        else:
            c_key = frozenset(i for i, loc in self.country_locs.items() if country in loc.countries) or None
        return self.index_of.get((ip_key, c_key))


def _outside_ip(networks: Iterable[IPNetwork]) -> str | None:
    """The first example address in none of ``networks``."""
    table = IpTable((n, "") for n in networks)
    return next((cand for cand in _OUTSIDE_CANDIDATES if not table.lookup(ipaddress.ip_address(cand))), None)


# --- the search ---------------------------------------------------------------------------------------------

Row = tuple[frozenset[int], ...]


class _Solver:
    """Narrow the set of covering policies (a bitmask) one dimension after the other, each subproblem once.

    Values of a dimension that leave the same policies live give the same rows, so they are taken together:
    the values with one mask at once and, when few of the live policies tell the values apart (a user class
    is in the scope of a handful of policies), the values split by those policies' bits alone, so that no
    class of one dimension meets every class of the next one by one. Sets of values are bitsets until a
    row is written."""

    def __init__(self, masks: Sequence[Sequence[int]]):
        self.masks = masks
        self.n = len(masks)
        self.full = tuple(frozenset(range(len(m))) for m in masks)
        self.memo: dict[tuple[int, int], tuple[Row, ...]] = {}
        #: per dimension: (mask, the values with it as a bitset), in the order of their first value
        self.distinct: list[list[tuple[int, int]]] = []
        #: per dimension: the bits every value has, the bits some value has, and bit -> the values with it
        self.every: list[int] = []
        self.some: list[int] = []
        self.holders: list[dict[int, int]] = []
        for values in masks:
            by_mask: dict[int, int] = {}
            for v, mask in enumerate(values):
                by_mask[mask] = by_mask.get(mask, 0) | 1 << v
            every = reduce(and_, by_mask, -1) if by_mask else 0
            holders: dict[int, int] = {}
            for mask, vs in by_mask.items():
                rest = mask & ~every
                while rest:
                    low = rest & -rest
                    holders[low] = holders.get(low, 0) | vs
                    rest ^= low
            self.distinct.append(list(by_mask.items()))
            self.every.append(every)
            self.some.append(reduce(or_, by_mask, 0))
            self.holders.append(holders)

    def solve(self, level: int, live: int) -> tuple[Row, ...]:
        if live == 0:
            return (self.full[level:],)
        if level == self.n:
            return ()
        key = (level, live)
        hit = self.memo.get(key)
        if hit is not None:
            return hit
        by_sub: dict[Row, int] = {}  # in the order of the first value giving the row; the values as a bitset
        for sub, vs in self._split(level, live):
            for row in self.solve(level + 1, sub):
                by_sub[row] = by_sub.get(row, 0) | vs
        rows = _coalesce([(frozenset(_members(vs)),) + r for r, vs in by_sub.items()])
        self.memo[key] = rows
        return rows

    def _split(self, level: int, live: int) -> list[tuple[int, int]]:
        """The values of dimension ``level`` grouped by the policies they leave live (``live & mask``): (those
        policies, the values as a bitset), in the order of the groups' first value."""
        every = self.every[level]
        varying = live & self.some[level] & ~every
        if _split_by_bits(varying.bit_count(), len(self.distinct[level])):
            return self._split_by_bits(level, live & every, varying)
        groups: dict[int, int] = {}
        for mask, vs in self.distinct[level]:
            sub = live & mask
            groups[sub] = groups.get(sub, 0) | vs
        return list(groups.items())

    def _split_by_bits(self, level: int, base: int, varying: int) -> list[tuple[int, int]]:
        """:meth:`_split` by the bits of ``varying`` (the live policies some values have and others lack) one
        after the other; ``base``: the live policies every value has."""
        parts = [(base, (1 << len(self.masks[level])) - 1)]
        holders = self.holders[level]
        while varying:
            low = varying & -varying
            varying ^= low
            held = holders[low]
            split: list[tuple[int, int]] = []
            for sub, vs in parts:
                inside = vs & held
                if inside:
                    split.append((sub | low, inside))
                    if inside != vs:
                        split.append((sub, vs ^ inside))
                else:
                    split.append((sub, vs))
            parts = split
        parts.sort(key=lambda part: part[1] & -part[1])  # by the first value of each part
        return parts


def _split_by_bits(bits: int, masks: int) -> bool:
    """Whether splitting by ``bits`` live policies (``bits`` passes over at most ``2 ** bits`` parts) is
    cheaper than one pass over ``masks`` distinct masks."""
    return bits < 32 and bits << bits < masks


def _members(bitset: int) -> set[int]:
    """The indexes of the bits set, added in ascending order (as the values were met one by one)."""
    out: set[int] = set()
    while bitset:
        low = bitset & -bitset
        out.add(low.bit_length() - 1)
        bitset ^= low
    return out


def _coalesce(rows: Iterable[Row]) -> tuple[Row, ...]:
    """Merge rows that differ in one dimension, until none do."""
    current = list(dict.fromkeys(rows))
    if not current:
        return ()
    width = len(current[0])
    changed = True
    while changed and len(current) > 1:
        changed = False
        for d in range(width):
            groups: dict[Row, frozenset[int]] = {}
            for r in current:
                rest = r[:d] + r[d + 1:]
                groups[rest] = groups.get(rest, frozenset()) | r[d]
            if len(groups) < len(current):
                changed = True
                current = [rest[:d] + (vs,) + rest[d:] for rest, vs in groups.items()]
    return tuple(current)


# --- describing ---------------------------------------------------------------------------------------------


@dataclass
class _UserClass:
    """The users in play for whom the user conditions of the same covering policies hold."""

    #: the policies whose user condition holds for them (a bitmask)
    applies: int
    #: (UPN lowercased, else the id; the id) of each, in no order: sorted only where a gap shows them
    members: list[tuple[str, str]]
    #: for each of them, the policies whose include side names them
    includes: list[int]


def _few(items: Sequence[str], limit: int = 6) -> str:
    items = list(items)
    if len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[:limit]) + f" and {len(items) - limit} more"


class _Describer:
    def __init__(self, ctx: Context, policies: Sequence[ConditionalAccessPolicy],
                 user_classes: Sequence[_UserClass], app_classes: Sequence[frozenset[str]],
                 app_universe: set[str], locs: Sequence[_Loc]):
        self.ctx = ctx
        self.policies = policies
        self.user_classes = user_classes
        self.app_classes = app_classes
        self.app_universe = app_universe
        self.locs = locs
        self.named_groups = {g for p in policies for g in _named_app_groups(p)}

    # users
    def user_text(self, uids: Sequence[str], classes: Iterable[int]) -> str:
        """The users ``uids``, the members of the user classes ``classes``, in words."""
        facts = [self.ctx.users[u] for u in uids]
        kinds = {f.external_type for f in facts}
        if kinds == {None}:
            population = "members"
        elif None not in kinds:
            population = f"guests ({', '.join(sorted(k for k in kinds if k))})"
        else:
            population = "users (members and guests)"
        included_all = reduce(and_, (inc for c in classes for inc in self.user_classes[c].includes))
        applies_any = reduce(or_, (self.user_classes[c].applies for c in classes))
        causes: dict[str, list[str]] = {}
        scoped = False
        for bit, p in enumerate(self.policies):
            if not included_all >> bit & 1:
                continue
            scoped = True
            if applies_any >> bit & 1:
                continue
            why = self._exclusion(p, uids)
            causes.setdefault(why, []).append(p.display_name or p.id)
        parts = [population]
        for why, names in sorted(causes.items()):
            parts.append(f"excluded {why} from {_few(sorted(names), 3)}")
        if not scoped and not causes:
            parts.append("in the scope of no policy that blocks or requires MFA")
        shown = sorted((f.user_principal_name or f.display_name or f.id) for f in facts)
        count = f"{len(shown):,} user" + ("" if len(shown) == 1 else "s")
        return f"{' '.join(parts)} ({count}: {_few(shown, 3)})"

    def _exclusion(self, p: ConditionalAccessPolicy, uids: Sequence[str]) -> str:
        """Which exclusion of ``p`` holds every one of ``uids`` out, in words."""
        users = p.conditions.users if p.conditions is not None else None
        if users is None:
            return "by the policy"
        if ALL in users.exclude_users:
            return "(the policy excludes all users)"
        if set(uids) <= set(users.exclude_users):
            return "by name"
        facts = [self.ctx.users[u] for u in uids]
        for g in sorted(users.exclude_groups, key=lambda g: self.ctx.group_name(g)):
            if all(g in f.groups for f in facts):
                return f"as members of {self.ctx.group_name(g)}"
        for r in sorted(users.exclude_roles, key=lambda r: self.ctx.role_name(r)):
            if all(r in f.roles for f in facts):
                return f"as holders of {self.ctx.role_name(r)}"
        if GUESTS_OR_EXTERNAL_USERS in users.exclude_users and all(f.external_type is not None for f in facts):
            return "as guests or external users"
        spec = users.exclude_guests_or_external_users
        if spec is not None:
            terms = guest_terms(spec)
            if all(not terms.isdisjoint(user_keys(f)[0]) for f in facts):
                return "as guests or external users"
        return "by several exclusions"

    # applications
    def app_text(self, classes: frozenset[int]) -> str:
        if len(classes) == len(self.app_classes):
            return "any app"
        apps = set().union(*(self.app_classes[c] for c in classes))
        if OTHER_APP in apps:
            rest = self.app_universe - apps
            return f"any app other than {self._apps(rest)}"
        return self._apps(apps)

    def _apps(self, apps: set[str]) -> str:
        apps = set(apps) - {OTHER_APP}
        names: list[str] = []
        for group in (OFFICE_365, MICROSOFT_ADMIN_PORTALS):
            members = ca_catalog.APP_GROUPS[group]
            if group in self.named_groups and members <= apps:
                names.append(f"the {ca_catalog.APP_GROUP_NAMES[group]} apps")
                apps -= members
        names += sorted(self.ctx.app_name(a) for a in apps)
        return _few(names)

    @staticmethod
    def client_text(values: frozenset[int]) -> str:
        if len(values) == len(CLIENT_APPS):
            return "all client apps"
        return ", ".join(CLIENT_APPS[i] for i in sorted(values))

    @staticmethod
    def platform_text(values: frozenset[int]) -> str:
        everything = (*PLATFORMS, None)
        if len(values) == len(everything):
            return "any platform"
        chosen = [everything[i] for i in sorted(values)]
        missing = [p for p in everything if p not in chosen]
        if len(missing) < len(chosen):
            return "any platform except " + ", ".join(p or "unknown platform" for p in missing)
        return ", ".join(p or "unknown platform" for p in chosen)

    def location_texts(self, values: frozenset[int]) -> list[tuple[str, frozenset[int]]]:
        """The location set as rows of (text, values): split into products of an IP part and a country part."""
        chosen = [self.locs[i] for i in sorted(values)]
        by_ip: dict[Any, set[Any]] = {}
        for loc in chosen:
            by_ip.setdefault(loc.ip_key, set()).add(loc.country_key)
        groups: dict[frozenset[Any], list[Any]] = {}
        for ip_key, countries in by_ip.items():
            groups.setdefault(frozenset(countries), []).append(ip_key)
        out = []
        for ckeys, ip_keys in groups.items():
            idx = frozenset(i for i in values if self.locs[i].ip_key in ip_keys and self.locs[i].country_key in ckeys)
            out.append((self._location_text(set(ip_keys), set(ckeys)), idx))
        return sorted(out, key=lambda t: t[0])

    def _location_text(self, ip_keys: set[Any], ckeys: set[Any]) -> str:
        ip_all = list(dict.fromkeys(loc.ip_key for loc in self.locs))
        c_all = list(dict.fromkeys(loc.country_key for loc in self.locs))
        ip_label = {loc.ip_key: loc.ip_label for loc in self.locs}
        trusted = {loc.ip_key for loc in self.locs if loc.trusted and loc.ip_kind == "region"}
        c_label = {loc.country_key: loc.country_label for loc in self.locs}
        parts = []
        if set(ip_all) != ip_keys:
            missing = [k for k in ip_all if k not in ip_keys]
            if trusted and set(missing) == trusted:
                parts.append("from outside trusted locations")
            elif "out" in ip_keys and len(missing) <= len(ip_keys):
                parts.append("from anywhere except " + _few([ip_label[k] for k in missing]))
            else:
                parts.append("from " + " or ".join(ip_label[k] for k in ip_all if k in ip_keys))
        if set(c_all) != ckeys:
            missing = [k for k in c_all if k not in ckeys]
            if None in ckeys:
                parts.append("in any country except " + "; ".join(c_label[k] for k in missing))
            else:
                parts.append("in " + "; ".join(c_label[k] for k in c_all if k in ckeys))
        return ", ".join(parts) if parts else "any location"


def _named_app_groups(p: ConditionalAccessPolicy) -> set[str]:
    apps = p.conditions.applications if p.conditions is not None else None
    if apps is None:
        return set()
    values = set(apps.include_applications) | set(apps.exclude_applications)
    return values & {OFFICE_365, MICROSOFT_ADMIN_PORTALS}


# --- examples -----------------------------------------------------------------------------------------------

_CLIENT_PREFERENCE = ("browser", "mobileAppsAndDesktopClients", "exchangeActiveSync", "other")
_PLATFORM_PREFERENCE = ("windows", "macOS", "iOS", "android", "linux", "windowsPhone", None)
_IP_PREFERENCE = {"out": 0, "region": 1, "none": 2, "gsa": 3}


def _pick(values: Iterable[Any], order: Sequence[Any]) -> Any:
    vs = set(values)
    for o in order:
        if o in vs:
            return o
    return min(vs, key=repr)


# --- the whole search ---------------------------------------------------------------------------------------


class _Space:
    """The way from a scenario to its classes (user, app, client app, platform, location)."""

    def __init__(self, user_classes: Sequence[_UserClass], app_class: Mapping[str, int], other: int,
                 locations: _LocationSpace, named: set[str]):
        self.named = named
        self.user_classes = user_classes
        self.app_class = app_class
        self.other = other
        self.locations = locations

    @cached_property
    def user_class(self) -> dict[str, int]:
        """User id -> its class (worked out on the first :meth:`cell`)."""
        return {uid: i for i, c in enumerate(self.user_classes) for _, uid in c.members}

    def cell(self, scenario: Scenario) -> tuple[int, ...] | None:
        user = self.user_class.get(scenario.user_id)
        if user is None:
            return None
        app = scenario.app or ALL
        if app in (OFFICE_365, MICROSOFT_ADMIN_PORTALS):
            # the alias stands for an app of that group, and of no other, that no policy names by its id
            # (as the rule book reads it: conditions.app_keys)
            others = set().union(*(apps for group, apps in ca_catalog.APP_GROUPS.items() if group != app))
            members = sorted(ca_catalog.APP_GROUPS[app] - self.named - others)
            if not members:
                raise ValueError(f"every app of only the {app} group is named by a policy: give an app id")
            app = members[0]
        app_idx = self.other if app == ALL else self.app_class.get(app, self.other)
        loc = self.locations.index(scenario.ip, scenario.country, scenario.compliant_network)
        if loc is None:
            raise ValueError("a sign-in through a compliant network with an IP is not a class gaps() explores")
        return (user, app_idx, CLIENT_APPS.index(scenario.client_app), (*PLATFORMS, None).index(scenario.platform),
                loc)


def find_gaps(tenant: Tenant, *, include_report_only: bool = False, break_glass: Iterable[str] = (),
              ctx: Context | None = None, confirm: bool = True) -> GapReport:
    """The uncovered classes of sign-ins of ``tenant`` (see the module docstring).

    ``break_glass``: emergency access accounts (ids or UPNs) besides those of ``tenant.toml``; they are
    listed apart, never as gaps. ``ctx``: a prepared evaluator context (else built here). ``confirm``: re-run
    every example through the reference evaluator (``Gap.confirmed``).
    """
    if ctx is None:
        ctx = Context.from_tenant(tenant, break_glass=tuple(break_glass))
    all_policies = tuple(tenant.ca_policies)
    states = (ENABLED, REPORT_ONLY) if include_report_only else (ENABLED,)
    chosen = [(p, conditions_of(p.conditions)) for p in all_policies
              if p.state in states and policy_covers(p) and p.conditions is not None]
    chosen = [(p, r) for p, r in chosen if _plain(r)]
    policies = [p for p, _ in chosen]
    rules = [r for _, r in chosen]

    disabled_ids: set[str] = set()  # the users whose (last) record says accountEnabled false
    for u in tenant.users:
        if u.account_enabled is False:
            disabled_ids.add(u.id)
        else:
            disabled_ids.discard(u.id)

    # users, in one pass over the facts in the order they were built: one bit per policy whose include side
    # names them, and per policy whose user condition holds
    user_index = SidesIndex(3)
    for bit, r in enumerate(rules):
        user_index.add(1 << bit, r.users.sides)
    masks_of = user_index.masks
    breakglass: list[UserFacts] = []
    disabled = considered = 0
    by_applies: dict[int, _UserClass] = {}
    for f in ctx.users.values():
        if f.break_glass:
            breakglass.append(f)
        elif f.id in disabled_ids:
            disabled += 1
        else:
            inc, exc = masks_of(user_keys(f))
            same = by_applies.get(inc & ~exc)
            if same is None:
                same = by_applies[inc & ~exc] = _UserClass(inc & ~exc, [], [])
            same.members.append(((f.user_principal_name or f.id).lower(), f.id))
            same.includes.append(inc)
            considered += 1
    breakglass.sort(key=lambda f: (f.user_principal_name or f.id).lower())
    emergency = tuple(EmergencyAccount(f.id, f.user_principal_name, f.display_name) for f in breakglass)
    user_classes = sorted(by_applies.values(), key=lambda c: min(c.members)[1])  # by their first user's id

    # applications
    candidates = {a for r in rules for a in _named_apps(r.target.apps) if _looks_like_app_id(a)}
    target_index = SidesIndex()
    for bit, r in enumerate(rules):
        target_index.add(1 << bit, r.target.sides)
    app_by_mask: dict[int, set[str]] = {}
    for app in sorted(candidates) + [OTHER_APP]:
        mask = target_index.mask(app_keys(ALL if app == OTHER_APP else app, ctx))
        app_by_mask.setdefault(mask, set()).add(app)
    app_items = sorted(app_by_mask.items(), key=lambda kv: (OTHER_APP not in kv[1], sorted(kv[1])))
    app_classes = [frozenset(apps) for _, apps in app_items]

    client_masks = [sum(1 << bit for bit, r in enumerate(rules) if r.client_apps.holds(c)) for c in CLIENT_APPS]
    platform_values = (*PLATFORMS, None)
    platform_masks = [sum(1 << bit for bit, r in enumerate(rules) if r.platforms.holds(v)) for v in platform_values]
    named = {v.lower() for r in rules if r.target.apps is not None
             for v in (*r.target.apps.include_applications, *r.target.apps.exclude_applications)
             if _looks_like_app_id(v)}
    space = _LocationSpace(policies, ctx)
    locs = space.values
    places = [place_of(v.ip, v.country, v.ip_kind == "gsa", ctx) for v in locs]
    location_index = SidesIndex()  # the policies' location conditions at once (LocationCondition.holds)
    for bit, r in enumerate(rules):
        location_index.add(1 << bit, r.locations.sides)
    loc_masks = [location_index.mask((place.keys,)) for place in places]

    solver = _Solver([[c.applies for c in user_classes], [m for m, _ in app_items], client_masks, platform_masks,
                      loc_masks])
    full = (1 << len(policies)) - 1
    rows = solver.solve(0, full) if considered else ()

    describer = _Describer(ctx, policies, user_classes, app_classes, candidates | {OTHER_APP}, locs)
    other_app = _other_app_id(tenant, candidates)
    gaps: list[Gap] = []
    for row in rows:
        ucls, acls, clients, plats, locset = row
        uids = [uid for _, uid in sorted(m for c in ucls for m in user_classes[c].members)]
        utext = describer.user_text(uids, ucls)
        atext = describer.app_text(acls)
        apps = set().union(*(app_classes[c] for c in acls))
        app = other_app if OTHER_APP in apps else sorted(apps, key=lambda a: (ctx.app_name(a), a))[0]
        client = _pick((CLIENT_APPS[i] for i in clients), _CLIENT_PREFERENCE)
        platform = _pick((platform_values[i] for i in plats), _PLATFORM_PREFERENCE)
        for ltext, lvals in describer.location_texts(locset):
            loc = min((locs[i] for i in lvals),
                      key=lambda v: (v.country is not None, _IP_PREFERENCE[v.ip_kind], v.ip or ""))
            example = GapExample(user=uids[0], app=app, client_app=client, platform=platform, ip=loc.ip,
                                 country=loc.country, compliant_network=loc.ip_kind == "gsa")
            gaps.append(Gap(users=utext, application=atext, client_app_type=describer.client_text(clients),
                            platform=describer.platform_text(plats), location=ltext, example=example,
                            user_ids=tuple(uids), cell=(ucls, acls, clients, plats, lvals)))
    gaps.sort(key=lambda g: (-len(g.user_ids), g.users, g.application, g.client_app_type, g.platform, g.location))
    if confirm and gaps:
        gaps = [_confirmed(g, all_policies, ctx, include_report_only) for g in gaps]
    app_class = {a: i for i, apps in enumerate(app_classes) for a in apps if a != OTHER_APP}
    other = next(i for i, apps in enumerate(app_classes) if OTHER_APP in apps)
    return GapReport(mode="with-report-only" if include_report_only else "enforced", gaps=tuple(gaps),
                     emergency_accounts=emergency, disabled_users=disabled,
                     policies=tuple(p.id for p in policies), users_considered=considered,
                     space=_Space(user_classes, app_class, other, space, named))


def _confirmed(gap: Gap, policies: Sequence[ConditionalAccessPolicy], ctx: Context,
               include_report_only: bool) -> Gap:
    result = what_if(policies, gap.example.scenario(), ctx)
    ok = not covers(result, include_report_only=include_report_only)
    if ok:
        return gap
    return dataclasses.replace(gap, confirmed=False)


def _looks_like_app_id(value: str) -> bool:
    parts = value.split("-")
    return len(parts) == 5 and [len(p) for p in parts] == [8, 4, 4, 4, 12]


def _other_app_id(tenant: Tenant, named: set[str]) -> str:
    """A real app of the tenant that no policy names and no app group holds, else the ``All`` alias."""
    grouped = set().union(*ca_catalog.APP_GROUPS.values())
    for sp in sorted(tenant.service_principals, key=lambda s: ((s.display_name or "").lower(), s.app_id or "")):
        app = (sp.app_id or "").lower()
        if _looks_like_app_id(app) and app not in named and app not in grouped:
            return app
    return ALL

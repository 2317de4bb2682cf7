"""ZT-PA-001..006: Microsoft Entra Private Access (CONTRACTS §6).

Microsoft Learn and Graph (beta): a Private Access application (per-app access, or the tenant's Quick Access
application) publishes application segments (``ipApplicationSegment``: ``destinationHost`` of type
``ipAddress``, ``ipRange``, ``ipRangeCidr``, ``fqdn`` or ``dnsSuffix``, ``ports``, ``protocol``); users reach
them only when assigned to the enterprise application (``appRoleAssignmentRequired``, "Assignment required");
each application is served by one connector group, and "all the connectors that belong to the same connector
group act as a separate unit for high-availability and load balancing" (connectorGroup resource type), so a
group needs at least two active connectors; connectors never placed in a group sit in the default group.

* ZT-PA-001 asks the compiled Conditional Access evaluator (the CA rule book), for every assigned user (group
  members through nested groups) and every sign-in of the Global Secure Access client (browser and desktop
  client, every platform and the unknown one), which enabled policies apply to the app and whether together
  they demand MFA (or an authentication strength) AND a compliant or hybrid-joined device. Nothing about a
  policy is decided here. An app no user is assigned to is judged for every user of the tenant (anyone could
  be assigned to it); declared emergency access accounts are left out (ZT-BG-* judge them).
* ZT-PA-002, 005 and 006 use the engine's exact set algebra (:mod:`ztconsole.engine.network.sets`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from ztconsole.engine.ca.conditions import user_keys
from ztconsole.engine.ca.controls import Requirements
from ztconsole.engine.ca.scenario import PLATFORMS, Scenario
from ztconsole.engine.checks.base import CheckContext, Outcome, Resource, Settings, Status, whatif_command
from ztconsole.engine.checks.policies import device_required, is_strong, policy_label, user_ref
from ztconsole.engine.network.sets import V4_SIZE, AddressSet, PortSet, ProtocolSet
from ztconsole.model.access import Application, ApplicationSegment, ServicePrincipal

__all__ = ["pa001", "pa002", "pa003", "pa004", "pa005", "pa006", "segment_label"]

#: ZT-PA-002 thresholds (CONTRACTS §6)
#: ZT-PA-006: Quick Access above this many addresses is a whole-network VPN substitute
_ALL_PORTS = PortSet.parse("1-65535")
#: the sign-ins of the Global Secure Access client: modern client app types, every platform and unknown
_CLIENT_APPS = ("browser", "mobileAppsAndDesktopClients")
_PLATFORMS: tuple[str | None, ...] = (None, *PLATFORMS)
_NAME_TYPES = frozenset({"fqdn", "dnssuffix"})
_RANK: dict[Status, int] = {"pass": 0, "warn": 1, "fail": 2}


# --- shared -----------------------------------------------------------------------------------------------------


def _apps(ctx: CheckContext) -> list[Application]:
    return sorted((a for a in ctx.tenant.applications if a.is_private_access),
                  key=lambda a: ((a.display_name or "").casefold(), a.id))


def _no_apps(ctx: CheckContext) -> Outcome:
    return Outcome("skip", ctx.tenant_resource,
                   "no such resources: no Private Access application (per-app access or Quick Access)")


def app_resource(app: Application) -> Resource:
    return Resource("application", app.id, app.display_name or app.id)


def _name(app: Application) -> str:
    return f"'{app.display_name or app.id}' ({app.id})"


def _segments(ctx: CheckContext, app: Application) -> list[ApplicationSegment]:
    """The app's segments: the data set read per app, then any inlined in onPremisesPublishing (once each)."""
    out: list[ApplicationSegment] = []
    seen: set[str] = set()
    for seg in (*ctx.tenant.app_segments.get(app.id, ()), *app.segments):
        if seg.id:
            if seg.id in seen:
                continue
            seen.add(seg.id)
        out.append(seg)
    return out


def segment_label(seg: ApplicationSegment) -> str:
    """``segment <id> (<type> <host>, ports <ports>, <protocol>)``."""
    ports = ", ".join(seg.ports) or (str(seg.port) if seg.port else "none")
    return (f"segment {seg.id or '(no id)'} ({seg.destination_type or 'no type'} {seg.destination_host or '?'}, "
            f"ports {ports}, {seg.protocol or 'tcp'})")


@dataclass(frozen=True, slots=True)
class _Dest:
    """One segment as sets: addresses (IP segments) or a DNS name (fqdn / dnsSuffix), ports, protocols."""

    app: Application
    seg: ApplicationSegment
    addresses: AddressSet | None
    name: str | None
    suffix: bool
    ports: PortSet
    protocols: ProtocolSet


def _dest(app: Application, seg: ApplicationSegment) -> _Dest | None:
    """The segment as sets; None when its host cannot be read."""
    host = (seg.destination_host or "").strip()
    if not host:
        return None
    ports = PortSet.parse([f"{lo}-{hi}" for lo, hi in seg.port_ranges]) if seg.port_ranges else PortSet.empty()
    protocols = ProtocolSet.parse(seg.protocols or ("tcp",))
    kind = (seg.destination_type or "").casefold()
    if kind in _NAME_TYPES:
        name = host.casefold().rstrip(".")
        suffix = kind == "dnssuffix" or name.startswith("*.")
        return _Dest(app, seg, None, name.removeprefix("*.").lstrip("."), suffix, ports, protocols)
    try:
        addresses = AddressSet.parse(host)
    except ValueError:
        return None
    if addresses.names:  # a name where an address was expected: not an IP segment
        return _Dest(app, seg, None, host.casefold().rstrip("."), False, ports, protocols)
    return _Dest(app, seg, addresses, None, False, ports, protocols)


# --- ZT-PA-001 ---------------------------------------------------------------------------------------------------


def _group_members(ctx: CheckContext) -> dict[str, set[str]]:
    """Group id -> the users in it, nested groups followed (the rule book's user facts)."""
    out: dict[str, set[str]] = {}
    for uid, facts in ctx.ca.users.items():
        for g in facts.groups:
            out.setdefault(g, set()).add(uid)
    return out


def _assigned(ctx: CheckContext, sp: ServicePrincipal | None,
              members_of: dict[str, set[str]]) -> tuple[list[str], list[str]]:
    """(user ids the app is assigned to, directly or through groups (nested), the assigned names)."""
    if sp is None:
        return [], []
    users: set[str] = set()
    groups: set[str] = set()
    names: list[str] = []
    for a in ctx.tenant.app_role_assignments.get(sp.id, ()):
        if not a.principal_id:
            continue
        if a.principal_type == "User":
            users.add(a.principal_id)
            names.append(f"user {a.principal_display_name or a.principal_id}")
        elif a.principal_type == "Group":
            groups.add(a.principal_id)
            names.append(f"group {a.principal_display_name or a.principal_id}")
    for g in groups:
        users.update(members_of.get(g, ()))
    return sorted(users), names


def _enabled_users(ctx: CheckContext, ids: Sequence[str]) -> list[str]:
    by_id = ctx.tenant.users_by_id
    return [u for u in ids if u in ctx.ca.users and u not in ctx.break_glass_ids
            and getattr(by_id.get(u), "account_enabled", True) is not False]


def _argv(ctx: CheckContext, uid: str, app_id: str, client: str, platform: str | None) -> list[str]:
    out = ["--user", user_ref(ctx, uid), "--app", app_id, "--client-app", client]
    return [*out, "--platform", platform] if platform is not None else out


def _labels(ctx: CheckContext, ids: Sequence[str]) -> str:
    by_id = ctx.tenant.ca_policies_by_id
    return ", ".join(policy_label(by_id[p]) if p in by_id else p for p in ids) or "none"


def _user_signature(ctx: CheckContext) -> Callable[[str], tuple[object, ...]]:
    """A user's terms as the rule book reads them (:func:`~ztconsole.engine.ca.conditions.user_keys`), kept
    only where some policy names them: users with the same signature get the same answer from the evaluator
    for every sign-in, so each class is asked once. Ids are compared case-insensitively; keeping a term no
    policy names only makes the classes finer, never wrong."""
    named: set[str] = set()
    for p in ctx.tenant.ca_policies:
        u = p.conditions.users if p.conditions is not None else None
        if u is not None:
            named.update(x.lower() for x in (*u.include_users, *u.exclude_users, *u.include_groups,
                                             *u.exclude_groups, *u.include_roles, *u.exclude_roles))

    seen: dict[str, tuple[object, ...]] = {}

    def signature(uid: str) -> tuple[object, ...]:
        found = seen.get(uid)
        if found is None:
            anyone, groups, roles = user_keys(ctx.ca.users[uid])
            own = tuple(k for k in anyone if k != uid or uid.lower() in named)
            found = seen[uid] = (own, frozenset(g for g in groups if str(g).lower() in named),
                                 frozenset(r for r in roles if str(r).lower() in named))
        return found

    return signature


def pa001(ctx: CheckContext) -> Iterator[Outcome]:
    apps = _apps(ctx)
    if not apps:
        yield _no_apps(ctx)
        return
    compiled = ctx.compiled
    signature = _user_signature(ctx)
    members_of = _group_members(ctx)
    #: combined requirements -> what they lack of MFA and a device ("" when nothing)
    verdicts: dict[Requirements, str] = {}
    #: every enabled user and their classes, for the applications assigned to no one (built once)
    everyone: tuple[list[str], dict[tuple[object, ...], list[str]]] | None = None
    for app in apps:
        res = app_resource(app)
        if not app.app_id:
            yield Outcome("fail", res, f"{_name(app)} has no appId: no Conditional Access policy can target it")
            continue
        sp = ctx.tenant.service_principals_by_app_id.get(app.app_id)
        assigned, names = _assigned(ctx, sp, members_of)
        people = _enabled_users(ctx, assigned)
        classes: dict[tuple[object, ...], list[str]] = {}
        if people:
            whom = f"{len(people)} assigned user(s) ({', '.join(names)})"
            for uid in people:
                classes.setdefault(signature(uid), []).append(uid)
        else:
            if everyone is None:
                everyone = (_enabled_users(ctx, sorted(ctx.ca.users)), {})
                for uid in everyone[0]:
                    everyone[1].setdefault(signature(uid), []).append(uid)
            people, classes = everyone
            whom = (f"no user is assigned, so every user of the tenant ({len(people)}, emergency access accounts "
                    "left out)")
        if not people:
            yield Outcome("skip", res, f"{_name(app)}: no enabled user to judge")
            continue
        gaps: list[tuple[str, str, str | None, tuple[str, ...], str]] = []
        gap_users = 0
        applied_all: set[str] = set()
        example: list[str] | None = None
        tried = len(people) * len(_CLIENT_APPS) * len(_PLATFORMS)
        # each sign-in asked for every class at once (the compiled evaluator's batch over users)
        firsts = [members[0] for members in classes.values()]
        decided = {(client, platform): compiled.decide_users(
                       firsts, Scenario(user_id=firsts[0], app=app.app_id, client_app=client, platform=platform))
                   for client in _CLIENT_APPS for platform in _PLATFORMS}
        for k, members in enumerate(classes.values()):
            uid = members[0]
            lacking: tuple[str, str | None, tuple[str, ...], str] | None = None
            for client in _CLIENT_APPS:
                for platform in _PLATFORMS:
                    d = decided[client, platform][k]
                    applied_all.update(d.applied)
                    if d.decision == "block":
                        continue
                    if example is None and platform is not None:
                        example = _argv(ctx, uid, app.app_id, client, platform)
                    missing = verdicts.get(d.requirements)
                    if missing is None:
                        missing = verdicts[d.requirements] = " and ".join(
                            w for w, ok in (("MFA", is_strong(d.requirements)),
                                            ("a compliant or hybrid-joined device",
                                             device_required(d.requirements))) if not ok)
                    if missing and lacking is None:
                        lacking = (client, platform, d.applied, missing)
            if lacking is not None:
                gap_users += len(members)
                if len(gaps) < 3:
                    gaps.append((uid, *lacking))
        if not gaps:
            if example is None:
                example = _argv(ctx, people[0], app.app_id, "mobileAppsAndDesktopClients", "windows")
            yield Outcome("pass", res,
                          f"{_name(app)}: for {whom}, in {tried} sign-ins (browser and desktop client, every "
                          "platform), the enabled policies that apply demand MFA and a compliant or hybrid-joined "
                          f"device (or block): {_labels(ctx, sorted(applied_all))}\n"
                          f"reproduce: {whatif_command(ctx, *example)}")
            continue
        lines = [f"{_name(app)}: {gap_users} of {len(people)} user(s) ({whom}) can sign in without both MFA "
                 "and a compliant or hybrid-joined device being demanded by the enabled policies that apply:"]
        for uid, client, platform, applied, words in gaps:
            lines.append(f"{user_ref(ctx, uid)} (client app {client}, platform {platform or 'unknown'}): "
                         f"applied {_labels(ctx, applied)}; {words} not demanded")
            lines.append(f"reproduce: {whatif_command(ctx, *_argv(ctx, uid, app.app_id, client, platform))}")
        yield Outcome("fail", res, "\n".join(lines),
                      f"Enable a Conditional Access policy for the users assigned to {app.display_name or app.id} "
                      "on this application that requires MFA AND a compliant or hybrid-joined device "
                      "(grant controls with 'Require all the selected controls').")


# --- ZT-PA-002 ---------------------------------------------------------------------------------------------------


def _grade(d: _Dest | None, limits: Settings) -> tuple[Status, list[str]]:
    """(status, reasons) of one segment: wider than ``segment_fail_prefix`` fails, wider than
    ``segment_warn_prefix`` or a port range of more than ``segment_warn_ports`` warns (the config file's
    ``[thresholds]``; by default /16, /24 and 10, as CONTRACTS §6 says)."""
    if d is None:
        return "warn", ["its destination cannot be read"]
    fails: list[str] = []
    warns: list[str] = []
    if d.addresses is not None:
        v4 = d.addresses.ipv4().size()
        if v4 > 1 << (32 - limits.segment_fail_prefix):
            fails.append(f"{v4:,} IPv4 addresses, wider than a /{limits.segment_fail_prefix}")
        elif v4 > 1 << (32 - limits.segment_warn_prefix):
            warns.append(f"{v4:,} IPv4 addresses, wider than a /{limits.segment_warn_prefix}")
        if d.addresses.ivs.size() > v4:
            warns.append("IPv6 addresses (not judged by width)")
    elif d.suffix and d.name is not None and "." not in d.name:
        fails.append(f"DNS suffix '{d.name}' is a bare top-level domain")
    if not d.ports:
        warns.append("no port can be read")
    elif d.ports.covers(_ALL_PORTS):
        fails.append("all ports (1-65535)")
    else:
        wide = [(lo, hi) for lo, hi in d.ports.ivs.pairs() if hi - lo + 1 > limits.segment_warn_ports]
        if wide:
            shown = ", ".join(f"{lo}-{hi} ({hi - lo + 1} ports)" for lo, hi in wide)
            warns.append(f"port range(s) of more than {limits.segment_warn_ports} ports: {shown}")
    if fails:
        return "fail", fails + warns
    return ("warn", warns) if warns else ("pass", [])


def pa002(ctx: CheckContext) -> Iterator[Outcome]:
    apps = _apps(ctx)
    if not apps:
        yield _no_apps(ctx)
        return
    limits = ctx.settings
    for app in apps:
        segs = _segments(ctx, app)
        graded = sorted(((*_grade(_dest(app, s), limits), s) for s in segs),
                        key=lambda g: (-_RANK[g[0]], g[2].id or ""))
        if not graded:
            yield Outcome("pass", app_resource(app), f"{_name(app)} publishes no segment")
            continue
        worst = graded[0][0]
        if worst == "pass":
            yield Outcome("pass", app_resource(app), f"{_name(app)}: {len(segs)} segment(s), none wider than a "
                          f"/{limits.segment_warn_prefix}, none with all ports or a port range of more than "
                          f"{limits.segment_warn_ports} ports, no bare top-level DNS suffix")
            continue
        lines = [f"{_name(app)}: worst {segment_label(graded[0][2])}: {'; '.join(graded[0][1])}"]
        lines += [f"{status}: {segment_label(s)}: {'; '.join(reasons)}" for status, reasons, s in graded[1:]
                  if status != "pass"]
        yield Outcome(worst, app_resource(app), "\n".join(lines),
                      "Narrow the segment to the hosts (at most a /24) and the ports (ranges of at most 10) the "
                      "application uses; publish FQDNs or a DNS suffix below the organisation's domain, never a "
                      "bare top-level domain.")


# --- ZT-PA-003 ---------------------------------------------------------------------------------------------------


def pa003(ctx: CheckContext) -> Iterator[Outcome]:
    apps = _apps(ctx)
    if not apps:
        yield _no_apps(ctx)
        return
    for app in apps:
        res = app_resource(app)
        sp = ctx.tenant.service_principals_by_app_id.get(app.app_id or "")
        if sp is None:
            yield Outcome("fail", res, f"{_name(app)} has no enterprise application (service principal), so no "
                          "user or group is assigned to it",
                          "Assign the users or groups that need the application (Enterprise applications, Users "
                          "and groups).")
            continue
        assigned = [a for a in ctx.tenant.app_role_assignments.get(sp.id, ())
                    if a.principal_type in ("User", "Group") and a.principal_id]
        names = sorted(f"{(a.principal_type or '').lower()} {a.principal_display_name or a.principal_id}"
                       for a in assigned)
        problems = []
        if sp.app_role_assignment_required is not True:
            problems.append("'Assignment required' is off (appRoleAssignmentRequired is not true): every user "
                            "of the tenant can reach it")
        if not assigned:
            problems.append("no user or group is assigned to it")
        if problems:
            yield Outcome("fail", res, f"{_name(app)}: {'; '.join(problems)}"
                          + (f" (assigned: {', '.join(names)})" if names else ""),
                          "Turn on 'Assignment required' and assign only the users or groups that need the "
                          "application.")
        else:
            yield Outcome("pass", res, f"{_name(app)}: assignment required, assigned to {', '.join(names)}")


# --- ZT-PA-004 ---------------------------------------------------------------------------------------------------


def pa004(ctx: CheckContext) -> Iterator[Outcome]:
    apps = _apps(ctx)
    if not apps:
        yield _no_apps(ctx)
        return
    groups = {g.id: g for g in ctx.tenant.connector_groups}
    for app in apps:
        res = app_resource(app)
        cg = ctx.tenant.app_connector_group.get(app.id)
        if cg is None:
            yield Outcome("fail", res, f"{_name(app)} is assigned to no connector group",
                          "Assign the application to a dedicated connector group with at least two active "
                          "connectors.")
            continue
        known = groups.get(cg.id)
        default = bool(cg.is_default or (known is not None and known.is_default)
                       or (cg.name or "").strip().casefold() == "default")
        members = ctx.tenant.connector_group_members.get(cg.id, ())
        active = [c for c in members if c.is_active]
        shown = ", ".join(f"{c.machine_name or c.id} ({c.status or 'no status'})" for c in members) or "none"
        label = f"connector group '{cg.name or cg.id}' ({cg.id})"
        problems = []
        if default:
            problems.append(f"{label} is the default connector group")
        if len(active) < 2:
            problems.append(f"{label} has {len(active)} active connector(s) of {len(members)}, fewer than two")
        if problems:
            yield Outcome("fail", res, f"{_name(app)}: {'; '.join(problems)} (connectors: {shown})",
                          "Move the application to a dedicated (non-default) connector group and install at least "
                          "two connectors in it, on different servers, and keep them active.")
        else:
            yield Outcome("pass", res, f"{_name(app)}: {label}, {len(active)} active connectors ({shown})")


# --- ZT-PA-005 ---------------------------------------------------------------------------------------------------


def _name_overlap(a: _Dest, b: _Dest) -> str | None:
    """The DNS names both publish, in words; None when none."""
    if a.name is None or b.name is None:
        return None

    def under(name: str, suffix: str) -> bool:
        return name == suffix or name.endswith("." + suffix)

    if a.suffix and b.suffix:
        if under(a.name, b.name):
            return f"*.{a.name}"
        if under(b.name, a.name):
            return f"*.{b.name}"
        return None
    if a.suffix:
        return b.name if under(b.name, a.name) else None
    if b.suffix:
        return a.name if under(a.name, b.name) else None
    return a.name if a.name == b.name else None


def _overlap(a: _Dest, b: _Dest) -> str | None:
    ports = a.ports.intersection(b.ports)
    protocols = a.protocols.intersection(b.protocols)
    if not ports or not protocols:
        return None
    if a.addresses is not None and b.addresses is not None:
        common = a.addresses.intersection(b.addresses)
        host = str(common) if common.ivs else None
    else:
        host = _name_overlap(a, b)
    if host is None:
        return None
    return f"{host} port(s) {ports} {'/'.join(sorted(p.lower() for p in protocols))}"


def pa005(ctx: CheckContext) -> Iterator[Outcome]:
    apps = _apps(ctx)
    if not apps:
        yield _no_apps(ctx)
        return
    dests = [d for app in apps for s in _segments(ctx, app) if (d := _dest(app, s)) is not None]
    pairs: dict[tuple[int, int], list[str]] = {}
    order = {app.id: i for i, app in enumerate(apps)}

    def record(a: _Dest, b: _Dest) -> None:
        if a.app.id == b.app.id:
            return
        what = _overlap(a, b)
        if what is None:
            return
        first, second = sorted((a, b), key=lambda d: order[d.app.id])
        pairs.setdefault((order[first.app.id], order[second.app.id]), []).append(
            f"{what}: {segment_label(first.seg)} of '{first.app.display_name or first.app.id}' and "
            f"{segment_label(second.seg)} of '{second.app.display_name or second.app.id}'")

    # addresses: a sweep over the segments' intervals, so only segments whose address intervals meet are compared
    spans = sorted(((lo, hi, i) for i, d in enumerate(dests) if d.addresses is not None
                    for lo, hi in d.addresses.ivs.pairs()), key=lambda s: (s[0], s[1]))
    active: list[tuple[int, int]] = []  # (hi, dest index)
    compared: set[tuple[int, int]] = set()
    for lo, hi, i in spans:
        active = [(h, j) for h, j in active if h >= lo]
        for _, j in active:
            key = (min(i, j), max(i, j))
            if key not in compared:
                compared.add(key)
                record(dests[j], dests[i])
        active.append((hi, i))
    # names: two names overlap only when one is the other or under it, so only the pairs where one name is an
    # ancestor (itself, or what follows one of its dots) of the other are compared, each once, in list order
    names = [d for d in dests if d.name is not None]
    by_name: dict[str, list[int]] = {}
    for x, d in enumerate(names):
        by_name.setdefault(d.name or "", []).append(x)
    candidates: set[tuple[int, int]] = set()
    for x, d in enumerate(names):
        name = d.name or ""
        for s in (name, *(name[k + 1:] for k, c in enumerate(name) if c == ".")):
            for y in by_name.get(s, ()):
                if y != x:
                    candidates.add((x, y) if x < y else (y, x))
    for x, y in sorted(candidates):
        record(names[x], names[y])
    by_app: dict[int, list[tuple[int, str]]] = {}
    for (i, j), overlaps in pairs.items():
        by_app.setdefault(i, []).extend((j, o) for o in overlaps)
        by_app.setdefault(j, []).extend((i, o) for o in overlaps)
    for k, app in enumerate(apps):
        found = sorted(by_app.get(k, ()))
        if not found:
            yield Outcome("pass", app_resource(app), f"{_name(app)}: no destination (host, port, protocol) it "
                          "publishes is published by another Private Access application")
            continue
        others = sorted({o for o, _ in found})
        shown = [line for _, line in found[:8]] + ([f"and {len(found) - 8} more"] if len(found) > 8 else [])
        yield Outcome("fail", app_resource(app),
                      f"{_name(app)} publishes {len(found)} destination(s) also published by "
                      + ", ".join(_name(apps[o]) for o in others) + ":\n" + "\n".join(shown),
                      "Publish each destination through one application only: remove the overlap from "
                      f"'{app.display_name or app.id}' or from "
                      + ", ".join(f"'{apps[o].display_name or apps[o].id}'" for o in others) + ".")


# --- ZT-PA-006 ---------------------------------------------------------------------------------------------------


def pa006(ctx: CheckContext) -> Iterator[Outcome]:
    quick = [a for a in _apps(ctx) if a.is_quick_access]
    if not quick:
        yield Outcome("skip", ctx.tenant_resource, "no such resources: Quick Access is not configured (no Quick "
                      "Access application)")
        return
    limit = ctx.settings.quick_access_warn_addresses
    for app in quick:
        total = AddressSet.empty()
        for s in _segments(ctx, app):
            d = _dest(app, s)
            if d is not None and d.addresses is not None:
                total = total | d.addresses
        v4 = total.ipv4().size()
        count = total.size()
        words = (f"{_name(app)} publishes {count:,} address(es) ({v4:,} IPv4"
                 + (", all of IPv4" if v4 == V4_SIZE else "") + f"): {total or 'none'}")
        if count > limit:
            yield Outcome("warn", app_resource(app), f"{words}, more than {limit:,}: a whole-network "
                          "VPN substitute",
                          "Publish the private applications as per-app Private Access applications with their own "
                          "segments, assignments and Conditional Access, and narrow Quick Access.")
        else:
            yield Outcome("pass", app_resource(app), f"{words}, at most {limit:,}")

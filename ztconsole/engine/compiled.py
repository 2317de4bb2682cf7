"""The compiled What If evaluator: the reference's answers (:mod:`ztconsole.engine.whatif`) at throughput.

:func:`ztconsole.engine.whatif.what_if` judges every policy against every sign-in and says why; this module
answers only *what* (the applied and report-only policy ids, the decision, the requirements) for many
sign-ins, e.g. coverage analysis, break-glass lock-out sweeps and replaying a sign-in log. It must agree
with the reference on every scenario; ``tests/test_engine_compiled.py`` checks that differentially.

How: each policy is a bit of a Python ``int``. Each condition kind becomes a map from what the scenario
says (the user, the app, the client app, the platform, the location, the risk levels, the device, the
authentication flow) to the mask of the policies that condition lets through; a policy without that
condition is in every mask of its kind. A scenario's answer is the AND of its masks, and the applied
policies' grant requirements were combined once per distinct set of applied policies.

* users: inverted indexes (user id, group, role template, guest type, home tenant -> policies including /
  excluding); a user's mask (include and not exclude) is computed on first sight and cached;
* target resources: per app id (lazily, cached), per user action, per authentication context;
* client app, platform, sign-in / user / insider risk, authentication flow: one mask per value, combined
  once per distinct combination;
* locations: the IP ranges of every IP named location cut into disjoint intervals (sorted bounds, one
  ``bisect`` per IP), each interval carrying the masks of the locations that contain it; country and
  compliant-network parts per value; the ``AllTrusted`` token when any trusted location matched;
* devices: each distinct device filter parsed once; a device's mask computed once per distinct device
  (the unregistered device precomputed), with the legacy device states;
* states: enabled and report-only masks; disabled policies, policies of an unknown state, without
  conditions or users, or targeting workload identities are never candidates.

Pure: no I/O. Caches are bounded (cleared when full).
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_right
from typing import Any, Iterable, Mapping, NamedTuple, Sequence

from ztconsole.engine.device_filter import DeviceFilterError, parse_device_filter, prepare_device
from ztconsole.engine.whatif import (
    UNKNOWN_COUNTRY,
    USER_ACTIONS,
    Context,
    Scenario,
    device_states,
    policy_requirements,
    workload_reason,
)
from ztconsole.model.ca import (
    ALL,
    GUESTS_OR_EXTERNAL_USERS,
    LOCATION_ALL,
    LOCATION_ALL_TRUSTED,
    LOCATION_COMPLIANT_NETWORK,
    LOCATION_MFA_TRUSTED_IPS,
    MICROSOFT_ADMIN_PORTALS,
    OFFICE_365,
    ConditionalAccessEnumeratedExternalTenants,
    ConditionalAccessPolicy,
)

__all__ = ["Decision", "CompiledPolicies"]

_ENABLED = "enabled"
_REPORT_ONLY = "enabledForReportingButNotEnforced"
_CACHE_LIMIT = 1 << 16


class Decision(NamedTuple):
    """The summary of one sign-in, as :class:`ztconsole.engine.whatif.WhatIfResult` gives it."""

    applied: tuple[str, ...]
    report_only: tuple[str, ...]
    decision: str
    requirements: tuple[tuple[str, ...], ...]


def _bits(mask: int) -> Iterable[int]:
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def _add(index: dict[Any, int], key: Any, bit: int) -> None:
    index[key] = index.get(key, 0) | bit


class _UserSide:
    """One side (include or exclude) of every policy's user condition, as inverted indexes."""

    __slots__ = ("all", "ids", "external_any", "groups", "roles", "guest_types", "guest_tenants")

    def __init__(self) -> None:
        self.all = 0                                   # "All"
        self.ids: dict[str, int] = {}                  # user id named
        self.external_any = 0                          # legacy "GuestsOrExternalUsers"
        self.groups: dict[str, int] = {}
        self.roles: dict[str, int] = {}
        self.guest_types: dict[str, int] = {}          # guest type matched whatever the home tenant
        self.guest_tenants: dict[tuple[str, str], int] = {}  # (guest type, home tenant) of enumerated lists

    def add(self, bit: int, ids: Sequence[str], groups: Sequence[str], roles: Sequence[str], guests: Any) -> None:
        if ALL in ids:
            self.all |= bit
        for uid in ids:
            _add(self.ids, uid, bit)
        if GUESTS_OR_EXTERNAL_USERS in ids:
            self.external_any |= bit
        for gid in groups:
            _add(self.groups, gid, bit)
        for template in roles:
            _add(self.roles, template, bit)
        if guests is not None:
            tenants = guests.external_tenants
            enumerated = tenants is not None and (
                isinstance(tenants, ConditionalAccessEnumeratedExternalTenants)
                or tenants.membership_kind == "enumerated")
            members = tuple(getattr(tenants, "members", ()) or ()) if enumerated else ()
            for kind in guests.user_types:
                if kind == "internalGuest" or not enumerated:
                    _add(self.guest_types, kind, bit)
                else:
                    for tenant in members:
                        _add(self.guest_tenants, (kind, tenant), bit)

    def mask(self, user: Any) -> int:
        m = self.all | self.ids.get(user.id, 0)
        kind = user.external_type
        if kind is not None:
            m |= self.external_any | self.guest_types.get(kind, 0)
            if user.home_tenant is not None and self.guest_tenants:
                m |= self.guest_tenants.get((kind, user.home_tenant), 0)
        groups = self.groups
        if groups and user.groups:
            for gid in (user.groups & groups.keys()):
                m |= groups[gid]
        roles = self.roles
        if roles and user.roles:
            for template in user.roles:
                m |= roles.get(template, 0)
        return m


class _Device:
    """A policy's device condition: a parsed filter (or a constant for one that cannot be used) and the
    legacy device states."""

    __slots__ = ("bit", "root", "include", "constant", "legacy", "states_in", "states_out")

    def __init__(self, bit: int, devices: Any) -> None:
        self.bit = bit
        self.root: Any = None
        self.include = True
        self.constant: bool | None = None
        flt = devices.device_filter
        if flt is not None and (flt.rule or "").strip():
            mode = (flt.mode or "").strip().lower()
            try:
                if mode not in ("include", "exclude"):
                    raise DeviceFilterError(f"device filter mode {flt.mode!r} is neither 'include' nor 'exclude'")
                self.root = parse_device_filter(flt.rule).root
                self.include = mode == "include"
            except DeviceFilterError:
                # as the reference: a rule (or mode) that cannot be used matches no device
                self.constant = (flt.mode or "").lower() == "exclude"
        self.states_in = frozenset(s.lower() for s in (*devices.include_devices, *devices.include_device_states))
        self.states_out = frozenset(s.lower() for s in (*devices.exclude_devices,
                                                         *devices.exclude_device_states))
        self.legacy = bool(self.states_in or self.states_out)

    def applies(self, props: Mapping[str, object], states: frozenset[str]) -> bool:
        if self.constant is not None:
            if not self.constant:
                return False
        elif self.root is not None:
            if self.root.evaluate(props) is not self.include:
                return False
        if self.legacy:
            inc = self.states_in
            if inc and "all" not in inc and not (states & inc):
                return False
            if states & self.states_out:
                return False
        return True


class CompiledPolicies:
    """Policies compiled against one :class:`~ztconsole.engine.whatif.Context`; see the module docstring.

    Build with :meth:`build`; :meth:`decide` answers one :class:`~ztconsole.engine.whatif.Scenario`,
    :meth:`decide_many` a batch. Not thread-safe for concurrent first sightings (caches are plain dicts;
    a race only recomputes).
    """

    def __init__(self) -> None:  # use build()
        self.ids: tuple[str, ...] = ()
        self.ctx: Context = Context()
        self.enabled = 0
        self.report_only = 0
        self._blocks = 0
        self._requirements: list[tuple[tuple[str, ...], ...]] = []
        self._inc = _UserSide()
        self._exc = _UserSide()
        self._user_cache: dict[str, int] = {}
        self._app_cache: dict[str, int] = {}
        self._misc_cache: dict[tuple[Any, ...], int] = {}
        self._loc_cache: dict[tuple[Any, ...], int] = {}
        self._device_cache: dict[Any, int] = {}
        self._decision_cache: dict[int, Decision] = {}

    # --- building -----------------------------------------------------------------------------------
    @classmethod
    def build(cls, policies: Iterable[ConditionalAccessPolicy], ctx: Context) -> CompiledPolicies:
        """Compile ``policies`` (in any order; one bit each) for the tenant described by ``ctx``."""
        self = cls()
        self.ctx = ctx
        policies = tuple(policies)
        self.ids = tuple(p.id for p in policies)
        self._requirements = [policy_requirements(p.grant_controls) for p in policies]
        live = 0
        # target resources
        app_policies = 0                     # policies that target apps (no user actions, no auth contexts)
        self._app_all = 0                    # "All" included
        self._app_inc_ids: dict[str, int] = {}
        self._app_exc_ids: dict[str, int] = {}
        self._app_inc_group: dict[str, int] = {OFFICE_365: 0, MICROSOFT_ADMIN_PORTALS: 0}
        self._app_exc_group: dict[str, int] = {OFFICE_365: 0, MICROSOFT_ADMIN_PORTALS: 0}
        self._actions: dict[str, int] = {}
        self._contexts: dict[str, int] = {}
        # one predicate list per simple condition: (bit, allowed values or None for "all values")
        self._simple: dict[str, list[tuple[int, Any]]] = {
            "client": [], "platform": [], "sign_in_risk": [], "user_risk": [], "insider": [], "flow": []}
        # locations
        loc_policies: list[tuple[int, tuple[str, ...], tuple[str, ...]]] = []
        devices: list[_Device] = []

        for i, p in enumerate(policies):
            bit = 1 << i
            if p.state == _ENABLED:
                self.enabled |= bit
            elif p.state == _REPORT_ONLY:
                self.report_only |= bit
            else:
                continue
            if p.blocks:
                self._blocks |= bit
            cond = p.conditions
            if cond is None or cond.users is None or workload_reason(cond) is not None:
                continue
            live |= bit
            u = cond.users
            self._inc.add(bit, u.include_users, u.include_groups, u.include_roles,
                          u.include_guests_or_external_users)
            self._exc.add(bit, u.exclude_users, u.exclude_groups, u.exclude_roles,
                          u.exclude_guests_or_external_users)
            self._compile_target(bit, cond.applications)
            apps = cond.applications
            if apps is None or not (apps.include_user_actions or apps.include_authentication_context_class_references):
                app_policies |= bit
            self._compile_simple(bit, cond)
            locs = cond.locations
            if locs is not None and (locs.include_locations or locs.exclude_locations):
                loc_policies.append((bit, tuple(locs.include_locations) or (LOCATION_ALL,),
                                     tuple(locs.exclude_locations)))
            if cond.devices is not None:
                dev = _Device(bit, cond.devices)
                if dev.constant is not None or dev.root is not None or dev.legacy:
                    devices.append(dev)
        self.live = live
        self._app_policies = app_policies
        self._compile_locations(loc_policies)
        self._devices = devices
        self._device_free = live & ~sum(d.bit for d in devices)
        self._no_device = self._device_mask(None)
        self._ua_masks = {name: self._actions.get(urn, 0) for name, urn in USER_ACTIONS.items()}
        return self

    def _compile_target(self, bit: int, apps: Any) -> None:
        actions = tuple(apps.include_user_actions) if apps is not None else ()
        contexts = tuple(apps.include_authentication_context_class_references) if apps is not None else ()
        if actions:
            for a in actions:
                _add(self._actions, a.lower(), bit)
            return
        if contexts:
            for c in contexts:
                _add(self._contexts, c, bit)
            return
        if apps is None:
            return
        include, exclude = tuple(apps.include_applications), tuple(apps.exclude_applications)
        if ALL in include:
            self._app_all |= bit
        for v in include:
            _add(self._app_inc_ids, v.lower(), bit)
        for v in exclude:
            _add(self._app_exc_ids, v.lower(), bit)
        for group in (OFFICE_365, MICROSOFT_ADMIN_PORTALS):
            if group in include:
                self._app_inc_group[group] |= bit
            if group in exclude:
                self._app_exc_group[group] |= bit

    def _compile_simple(self, bit: int, cond: Any) -> None:
        simple = self._simple
        # client app types: none or "all" targets every client app; easSupported counts as exchangeActiveSync
        configured = [t for t in cond.client_app_types if t != "unknownFutureValue"]
        if configured and "all" not in configured:
            allowed = set(configured) | ({"exchangeActiveSync"} if "easSupported" in configured else set())
            simple["client"].append((bit, frozenset(allowed)))
        # platforms: None stands for an unknown platform
        pf = cond.platforms
        if pf is not None:
            include = [p for p in pf.include_platforms if p != "unknownFutureValue"]
            exclude = [p for p in pf.exclude_platforms if p != "unknownFutureValue"]
            if include or exclude:
                simple["platform"].append((bit, _PlatformRule(include, exclude)))
        for key, levels, ignored in (("sign_in_risk", cond.sign_in_risk_levels, ("unknownFutureValue", "hidden")),
                                     ("user_risk", cond.user_risk_levels, ("unknownFutureValue", "hidden")),
                                     ("insider", cond.insider_risk_level_values, ("unknownFutureValue", "none"))):
            configured = [v for v in levels if v not in ignored]
            if configured:
                simple[key].append((bit, frozenset(configured)))
        flows = cond.authentication_flows
        methods = [m for m in (flows.transfer_method_values if flows is not None else ())
                   if m not in ("none", "unknownFutureValue")]
        if methods:
            simple["flow"].append((bit, frozenset(methods)))

    def _compile_locations(self, loc_policies: list[tuple[int, tuple[str, ...], tuple[str, ...]]]) -> None:
        ctx = self.ctx
        self._loc_free = self.live & ~sum(b for b, _, _ in loc_policies)
        inc: dict[str, int] = {}
        exc: dict[str, int] = {}
        for bit, include, exclude in loc_policies:
            for t in include:
                _add(inc, t, bit)
            for t in exclude:
                _add(exc, t, bit)
        self._loc_inc, self._loc_exc = inc, exc
        tokens = set(inc) | set(exc)
        self._loc_any = bool(loc_policies)
        self._trusted = frozenset(ctx.trusted_location_ids)
        # the tokens decided by the IP: IP named locations and the MFA trusted IPs
        ranges: dict[int, list[tuple[int, int, str]]] = {4: [], 6: []}
        for lid, loc in ctx.locations.items():
            if loc.kind != "ip" or lid in (LOCATION_ALL, LOCATION_ALL_TRUSTED, LOCATION_MFA_TRUSTED_IPS):
                continue
            if lid not in tokens and lid not in self._trusted:
                continue
            for net in loc.networks:
                ranges[net.version].append((int(net.network_address), int(net.broadcast_address) + 1, lid))
        for net in ctx.mfa_trusted_ips:
            ranges[net.version].append((int(net.network_address), int(net.broadcast_address) + 1,
                                        LOCATION_MFA_TRUSTED_IPS))
        self._ip_tables = {v: self._interval_table(r) for v, r in ranges.items()}
        # tokens decided by the country and by the compliant network
        self._country_locs: list[tuple[str, frozenset[str], bool]] = []
        self._network_tokens: list[str] = []
        for t in tokens | self._trusted:
            if t in (LOCATION_ALL, LOCATION_ALL_TRUSTED, LOCATION_MFA_TRUSTED_IPS):
                continue
            loc = ctx.locations.get(t)
            if loc is None:
                if t == LOCATION_COMPLIANT_NETWORK:
                    self._network_tokens.append(t)
            elif loc.kind == "country":
                self._country_locs.append((t, loc.countries, loc.include_unknown))
            elif loc.kind == "compliantNetwork":
                self._network_tokens.append(t)

    def _interval_table(self, ranges: list[tuple[int, int, str]]) -> tuple[list[int], list[frozenset[str]]]:
        """Disjoint intervals: ``bounds`` sorted starts; ``hits[i]`` the tokens containing
        ``[bounds[i], bounds[i+1])``. ``bounds[0]`` is 0 (no token)."""
        points = sorted({0} | {s for s, _, _ in ranges} | {e for _, e, _ in ranges})
        events: dict[int, list[tuple[int, str]]] = {}
        for s, e, lid in ranges:
            events.setdefault(s, []).append((1, lid))
            events.setdefault(e, []).append((-1, lid))
        active: dict[str, int] = {}
        hits: list[frozenset[str]] = []
        for pt in points:
            for delta, lid in events.get(pt, ()):
                n = active.get(lid, 0) + delta
                if n:
                    active[lid] = n
                else:
                    active.pop(lid, None)
            hits.append(frozenset(active))
        return points, hits

    # --- per-scenario pieces ------------------------------------------------------------------------
    def _user_mask(self, user_id: str) -> int:
        user = self.ctx.user(user_id)
        mask = self._inc.mask(user) & ~self._exc.mask(user) & self.live
        cache = self._user_cache
        if len(cache) >= _CACHE_LIMIT * 4:
            cache.clear()
        cache[user_id] = mask
        return mask

    def _app_mask(self, app: str) -> int:
        if app == ALL:
            mask = self._app_all
        elif app in (OFFICE_365, MICROSOFT_ADMIN_PORTALS):
            mask = (self._app_all | self._app_inc_group[app]) & ~self._app_exc_group[app]
        else:
            ctx = self.ctx
            inc = self._app_all | self._app_inc_ids.get(app, 0)
            exc = self._app_exc_ids.get(app, 0)
            if app in ctx.office365_apps:
                inc |= self._app_inc_group[OFFICE_365]
                exc |= self._app_exc_group[OFFICE_365]
            if app in ctx.admin_portal_apps:
                inc |= self._app_inc_group[MICROSOFT_ADMIN_PORTALS]
                exc |= self._app_exc_group[MICROSOFT_ADMIN_PORTALS]
            mask = inc & ~exc
        mask &= self._app_policies
        cache = self._app_cache
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[app] = mask
        return mask

    def _misc_mask(self, key: tuple[Any, ...]) -> int:
        client, platform, sign_in_risk, user_risk, insider, flow = key
        mask = self.live
        for name, value in (("client", client), ("platform", platform), ("sign_in_risk", sign_in_risk),
                            ("user_risk", user_risk), ("insider", insider), ("flow", flow)):
            for bit, rule in self._simple[name]:
                if not (rule.allows(value) if isinstance(rule, _PlatformRule) else value in rule):
                    mask &= ~bit
        cache = self._misc_cache
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[key] = mask
        return mask

    def _ip_tokens(self, ip: str | None) -> frozenset[str]:
        if ip is None:
            return frozenset()
        addr = ipaddress.ip_address(ip)
        bounds, hits = self._ip_tables[addr.version]
        return hits[bisect_right(bounds, int(addr)) - 1]

    def _location_mask(self, key: tuple[Any, ...]) -> int:
        ip, country, network = key
        matched = set(self._ip_tokens(ip))
        if country is not None:
            for lid, countries, include_unknown in self._country_locs:
                if (include_unknown if country == UNKNOWN_COUNTRY else country in countries):
                    matched.add(lid)
        if network:
            matched.update(self._network_tokens)
        trusted = LOCATION_MFA_TRUSTED_IPS in matched or not self._trusted.isdisjoint(matched)
        matched.add(LOCATION_ALL)
        if trusted:
            matched.add(LOCATION_ALL_TRUSTED)
        inc = exc = 0
        for t in matched:
            inc |= self._loc_inc.get(t, 0)
            exc |= self._loc_exc.get(t, 0)
        mask = self._loc_free | (inc & ~exc)
        cache = self._loc_cache
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[key] = mask
        return mask

    def _device_mask(self, device: Mapping[str, Any] | None) -> int:
        mask = self._device_free
        if not self._devices:
            return mask
        props = prepare_device(device).props
        states = frozenset(device_states(device))
        for dev in self._devices:
            if dev.applies(props, states):
                mask |= dev.bit
        return mask

    def _device_lookup(self, device: Mapping[str, Any]) -> int:
        key = tuple(device.items())
        cache = self._device_cache
        try:
            found = cache.get(key)
        except TypeError:  # an unhashable value (a nested extensionAttributes mapping): not cached
            return self._device_mask(device)
        if found is None:
            found = self._device_mask(device)
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()
            cache[key] = found
        return found

    def _decision(self, mask: int) -> Decision:
        ids = self.ids
        enforced = mask & self.enabled
        applied = tuple(sorted({ids[i] for i in _bits(enforced)}))
        report_only = tuple(sorted({ids[i] for i in _bits(mask & self.report_only)}))
        requirements = tuple(sorted({req for i in _bits(enforced) for req in self._requirements[i]}))
        if enforced & self._blocks:
            decision = "block"
        elif requirements:
            decision = "controls"
        else:
            decision = "allow"
        result = Decision(applied, report_only, decision, requirements)
        cache = self._decision_cache
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[mask] = result
        return result

    # --- answering ----------------------------------------------------------------------------------
    def mask(self, scenario: Scenario) -> int:
        """The policies (bit i: ``ids[i]``) that apply to ``scenario``, enabled and report-only alike."""
        m = self._user_cache.get(scenario.user_id)
        if m is None:
            m = self._user_mask(scenario.user_id)
        if not m:
            return 0
        app = scenario.app
        if app is not None:
            t = self._app_cache.get(app)
            if t is None:
                t = self._app_mask(app)
        elif scenario.user_action is not None:
            t = self._ua_masks.get(scenario.user_action, 0)
        else:
            t = self._contexts.get(scenario.auth_context, 0) & ~self._app_policies
        m &= t
        if not m:
            return 0
        key = (scenario.client_app, scenario.platform, scenario.sign_in_risk, scenario.user_risk,
               scenario.insider_risk, scenario.auth_flow)
        t = self._misc_cache.get(key)
        if t is None:
            t = self._misc_mask(key)
        m &= t
        if not m:
            return 0
        if self._loc_any:
            key = (scenario.ip, scenario.country, scenario.compliant_network)
            t = self._loc_cache.get(key)
            if t is None:
                t = self._location_mask(key)
            m &= t
            if not m:
                return 0
        if self._devices:
            device = scenario.device
            if device is None:
                m &= self._no_device
            else:
                m &= self._device_lookup(device)
        return m

    def decide(self, scenario: Scenario) -> Decision:
        """The applied and report-only policy ids, the decision and the requirements for ``scenario``."""
        m = self.mask(scenario)
        found = self._decision_cache.get(m)
        return found if found is not None else self._decision(m)

    def decide_many(self, scenarios: Iterable[Scenario]) -> list[Decision]:
        """:meth:`decide` for each scenario, in order."""
        mask, cache, decision = self.mask, self._decision_cache, self._decision
        out = []
        append = out.append
        for s in scenarios:
            m = mask(s)
            found = cache.get(m)
            append(found if found is not None else decision(m))
        return out

    def __len__(self) -> int:
        return len(self.ids)


class _PlatformRule:
    """A policy's platform condition; ``allows(None)`` is the unknown platform (CONTRACTS §2)."""

    __slots__ = ("include_all", "include", "exclude_all", "exclude")

    def __init__(self, include: Sequence[str], exclude: Sequence[str]) -> None:
        self.include_all = not include or "all" in include
        self.include = frozenset(include)
        self.exclude_all = "all" in exclude
        self.exclude = frozenset(exclude)

    def allows(self, platform: str | None) -> bool:
        if not self.include_all and (platform is None or platform not in self.include):
            return False
        if self.exclude_all:
            return False
        return platform is None or platform not in self.exclude


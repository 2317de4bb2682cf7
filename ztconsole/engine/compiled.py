"""The compiled What If evaluator: the reference's answers (:mod:`ztconsole.engine.ca.evaluation`) at throughput.

:func:`ztconsole.engine.whatif.what_if` judges every policy against every sign-in and says why; this module
answers only *what* (the applied and report-only policy ids, the decision, the requirements) for many
sign-ins, e.g. coverage analysis, break-glass lock-out sweeps and replaying a sign-in log. It must agree
with the reference on every scenario; ``tests/test_engine_compiled.py`` checks that differentially.

How: each policy is a bit of a Python ``int``. The rule book (:mod:`ztconsole.engine.ca.conditions`) decides
every condition; this module asks its fast face in bulk and remembers the answers as masks: for each
condition kind, a map from what the scenario says to the mask of the policies that condition lets through
(a policy without that condition is in every mask of its kind). A scenario's answer is the AND of its
masks, and the applied policies' grant requirements were combined once per distinct set of applied policies.

* users, target resources, locations: the policies' include and exclude sides in a
  :class:`~ztconsole.engine.ca.conditions.SidesIndex`; the mask of a user, an app (a user action, an
  authentication context) or a place (IP, country, compliant network: one ``bisect`` per IP) is one lookup
  per key, computed on first sight and cached;
* client app, platform, sign-in / user / insider risk, authentication flow: each takes a few values, so the
  fast face is asked once per value when compiling; their masks are combined once per distinct combination;
* devices: a device's mask computed once per distinct device (the unregistered device precomputed);
* states: enabled and report-only masks; disabled policies, policies of an unknown state, without
  conditions or users, or targeting workload identities are never candidates.

Pure: no I/O. Caches are bounded (cleared when full).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple, Protocol

from ztconsole.engine.ca.conditions import (
    DeviceCondition,
    SidesIndex,
    app_keys,
    conditions_of,
    device_facts,
    ip_locations,
    location_keys,
    target_keys,
    user_keys,
)
from ztconsole.engine.ca.context import Context
from ztconsole.engine.ca.controls import Requirements, outcome, policy_requirements
from ztconsole.engine.ca.scenario import (
    AUTH_FLOWS,
    CLIENT_APPS,
    ENABLED,
    INSIDER_RISK_LEVELS,
    PLATFORMS,
    REPORT_ONLY,
    RISK_LEVELS,
    Scenario,
)
from ztconsole.model.ca import ConditionalAccessPolicy

__all__ = ["Decision", "CompiledPolicies"]

_CACHE_LIMIT = 1 << 16
#: the values of client app, platform, sign-in risk, user risk, insider risk and authentication flow
_VALUES: tuple[tuple[str | None, ...], ...] = (CLIENT_APPS, (None, *PLATFORMS), RISK_LEVELS, RISK_LEVELS,
                                                (None, *INSIDER_RISK_LEVELS), (None, *AUTH_FLOWS))


class Decision(NamedTuple):
    """The summary of one sign-in, as :class:`ztconsole.engine.whatif.WhatIfResult` gives it."""

    applied: tuple[str, ...]
    report_only: tuple[str, ...]
    decision: str
    requirements: Requirements


class _ValueCondition(Protocol):
    """A condition on one of :data:`_VALUES` (client app, platform, risk levels, authentication flow)."""

    @property
    def free(self) -> bool: ...

    def holds(self, value: Any) -> bool: ...


def _bits(mask: int) -> Iterator[int]:
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def _value_masks(values: Sequence[str | None], live: int,
                 conditions: Sequence[tuple[int, Callable[[Any], bool]]]) -> dict[str | None, int]:
    """For each value, the live policies whose condition (its fast face, by bit) lets it through."""
    return {v: live & ~sum(bit for bit, holds in conditions if not holds(v)) for v in values}


class CompiledPolicies:
    """Policies compiled against one :class:`~ztconsole.engine.whatif.Context`; see the module docstring.

    Build with :meth:`build`; :meth:`decide` answers one :class:`~ztconsole.engine.whatif.Scenario`,
    :meth:`decide_many` a batch. Not thread-safe for concurrent first sightings (caches are plain dicts;
    a race only recomputes).
    """

    def __init__(self) -> None:  # use build()
        self.ids: tuple[str, ...] = ()
        self.ctx = Context()
        self.enabled = 0
        self.report_only = 0
        self.live = 0
        self._blocks = 0
        self._requirements: list[Requirements] = []
        self._users = SidesIndex(3)
        self._targets = SidesIndex()
        self._locations = SidesIndex()
        self._loc_free = 0
        self._loc_any = False
        self._values: tuple[dict[str | None, int], ...] = ()
        self._devices: list[tuple[int, DeviceCondition]] = []
        self._device_free = 0
        self._no_device = 0
        self._user_cache: dict[str, int] = {}
        self._app_cache: dict[str, int] = {}
        self._target_cache: dict[tuple[str | None, str | None], int] = {}
        self._misc_cache: dict[tuple[Any, ...], int] = {}
        self._loc_cache: dict[tuple[Any, ...], int] = {}
        self._held_cache: dict[tuple[Any, ...], int] = {}
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
        simple: list[list[tuple[int, Callable[[Any], bool]]]] = [[] for _ in _VALUES]
        located = 0
        for i, p in enumerate(policies):
            bit = 1 << i
            if p.state == ENABLED:
                self.enabled |= bit
            elif p.state == REPORT_ONLY:
                self.report_only |= bit
            else:
                continue
            if p.blocks:
                self._blocks |= bit
            cond = p.conditions
            if cond is None or cond.users is None:
                continue
            rules = conditions_of(cond)
            if rules.workload is not None:
                continue
            self.live |= bit
            self._users.add(bit, rules.users.sides)
            self._targets.add(bit, rules.target.sides)
            valued: tuple[_ValueCondition, ...] = (rules.client_apps, rules.platforms, rules.sign_in_risk,
                                                   rules.user_risk, rules.insider_risk, rules.auth_flows)
            for kept, condition in zip(simple, valued):
                if not condition.free:
                    kept.append((bit, condition.holds))
            if not rules.locations.free:
                self._locations.add(bit, rules.locations.sides)
                located |= bit
            if not rules.devices.free:
                self._devices.append((bit, rules.devices))
        self._values = tuple(_value_masks(values, self.live, kept) for values, kept in zip(_VALUES, simple))
        self._loc_free = self.live & ~located
        self._loc_any = bool(located)
        self._device_free = self.live & ~sum(bit for bit, _ in self._devices)
        self._no_device = self._device_mask(None)
        return self

    # --- per-scenario pieces ------------------------------------------------------------------------
    def _user_mask(self, user_id: str) -> int:
        mask = self._users.mask(user_keys(self.ctx.user(user_id))) & self.live
        cache = self._user_cache
        if len(cache) >= _CACHE_LIMIT * 4:
            cache.clear()
        cache[user_id] = mask
        return mask

    def _app_mask(self, app: str) -> int:
        mask = self._targets.mask(app_keys(app, self.ctx))
        cache = self._app_cache
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[app] = mask
        return mask

    def _target_mask(self, scenario: Scenario) -> int:
        """A user action or an authentication context."""
        key = (scenario.user_action, scenario.auth_context)
        mask = self._target_cache.get(key)
        if mask is None:
            mask = self._target_cache[key] = self._targets.mask(target_keys(scenario, self.ctx))
        return mask

    def _misc_mask(self, key: tuple[Any, ...]) -> int:
        mask = self.live
        for masks, value in zip(self._values, key):
            mask &= masks[value]
        cache = self._misc_cache
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[key] = mask
        return mask

    def _location_mask(self, key: tuple[Any, ...]) -> int:
        ip, country, network = key
        held = (ip_locations(ip, self.ctx), country, network)  # far fewer of these than of addresses
        mask = self._held_cache.get(held)
        if mask is None:
            mask = self._loc_free | self._locations.mask((location_keys(*held, self.ctx),))
            if len(self._held_cache) >= _CACHE_LIMIT:
                self._held_cache.clear()
            self._held_cache[held] = mask
        cache = self._loc_cache
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[key] = mask
        return mask

    def _device_mask(self, device: Mapping[str, Any] | None) -> int:
        mask = self._device_free
        if not self._devices:
            return mask
        facts = device_facts(device)
        for bit, condition in self._devices:
            if condition.holds(facts):
                mask |= bit
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
        decision, requirements = outcome(bool(enforced & self._blocks),
                                         (req for i in _bits(enforced) for req in self._requirements[i]))
        result = Decision(tuple(sorted({ids[i] for i in _bits(enforced)})),
                          tuple(sorted({ids[i] for i in _bits(mask & self.report_only)})), decision, requirements)
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
        return self._narrow(scenario, m)

    def _narrow(self, scenario: Scenario, m: int) -> int:
        """``m`` narrowed by every condition of ``scenario`` but the user."""
        app = scenario.app
        if app is not None:
            t = self._app_cache.get(app)
            if t is None:
                t = self._app_mask(app)
        else:
            t = self._target_mask(scenario)
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
            where = (scenario.ip, scenario.country, scenario.compliant_network)
            t = self._loc_cache.get(where)
            if t is None:
                t = self._location_mask(where)
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
        out: list[Decision] = []
        append = out.append
        for s in scenarios:
            m = mask(s)
            found = cache.get(m)
            append(found if found is not None else decision(m))
        return out

    def decide_users(self, user_ids: Iterable[str], scenario: Scenario) -> list[Decision]:
        """:meth:`decide` of ``scenario`` with each of ``user_ids`` in place of its user, in order: the
        conditions other than the user are matched once for all of them."""
        rest = self._narrow(scenario, self.live)
        users, user_mask, cache, decision = self._user_cache, self._user_mask, self._decision_cache, self._decision
        out: list[Decision] = []
        append = out.append
        for uid in user_ids:
            m = users.get(uid)
            if m is None:
                m = user_mask(uid)
            m &= rest
            found = cache.get(m)
            append(found if found is not None else decision(m))
        return out

    def __len__(self) -> int:
        return len(self.ids)

"""The field-by-field diff of a Conditional Access policy's Graph JSON, and the bodies that write it (CONTRACTS §8).

``before`` is the tenant's policy, ``after`` the policy file's, both Graph JSON (camelCase) as
:func:`clean` leaves them. The file states what it sets (PATCH semantics): a property absent from the file
is unchanged, ``null`` in the file sets it to null. Read-only properties (``id``, ``createdDateTime``,
``modifiedDateTime``, ``templateId``, ``deletedDateTime``, annotations such as ``@odata.*``) never diff.

Lists compare as sets where Graph treats them as sets (:data:`SET_PATHS`, :data:`FLAG_PATHS`), in order
otherwise. A collection that is ``null``, ``[]`` or absent is the same empty collection (Graph sends ``[]``
for an unset one and takes ``null``); an object whose properties are all empty is the same as ``null``.

Writing: Graph's update documentation says properties left out of a PATCH body keep their previous
values, and its own example PATCHes a partial ``conditions`` (only ``signInRiskLevels``), so the service
merges nested complex properties; it does not promise that for every nested level, and OData clients (the
.NET OData client's property tracking, the SDKs' backing stores) send a changed complex property whole.
:func:`patch_body` therefore sends each changed top-level property, and a changed ``conditions``,
``grantControls`` or ``sessionControls`` whole: the tenant's object with the file's changes applied
(:func:`merged`). That body leaves the same policy whether Graph merges or replaces nested objects.

Pure: no I/O.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "FLAG_PATHS",
    "READ_ONLY",
    "REFERENCE_PATHS",
    "SET_PATHS",
    "Change",
    "changed",
    "clean",
    "diff",
    "for_write",
    "merged",
    "patch_body",
    "post_body",
    "typed",
]

#: Top-level properties of a policy that Graph sets itself: never read from a file, never diffed or sent.
READ_ONLY = frozenset({"id", "createdDateTime", "modifiedDateTime", "templateId", "deletedDateTime"})

# Collections Graph treats as sets: membership matters, order and repeats do not (Graph hands them back
# in its own order). From the v1.0 resource pages (conditionalAccessConditionSet, conditionalAccessUsers,
# conditionalAccessApplications, conditionalAccessClientApplications, conditionalAccessPlatforms,
# conditionalAccessLocations, conditionalAccessDevices, conditionalAccessGrantControls,
# conditionalAccessEnumeratedExternalTenants) plus the beta device-state lists old policies still carry:
# each is "the ids / values included in (excluded from) the policy", a scope, never a sequence.
# grantControls.builtInControls is combined by ``operator`` (AND/OR), so its order means nothing either.
SET_PATHS = frozenset({
    # users, groups and roles in and out of scope
    "conditions.users.includeUsers",
    "conditions.users.excludeUsers",
    "conditions.users.includeGroups",
    "conditions.users.excludeGroups",
    "conditions.users.includeRoles",
    "conditions.users.excludeRoles",
    "conditions.users.includeGuestsOrExternalUsers.externalTenants.members",
    "conditions.users.excludeGuestsOrExternalUsers.externalTenants.members",
    # target resources
    "conditions.applications.includeApplications",
    "conditions.applications.excludeApplications",
    "conditions.applications.includeUserActions",
    "conditions.applications.includeAuthenticationContextClassReferences",
    # workload identities
    "conditions.clientApplications.includeServicePrincipals",
    "conditions.clientApplications.excludeServicePrincipals",
    # client app types, platforms, locations, devices (legacy lists)
    "conditions.clientAppTypes",
    "conditions.platforms.includePlatforms",
    "conditions.platforms.excludePlatforms",
    "conditions.locations.includeLocations",
    "conditions.locations.excludeLocations",
    "conditions.devices.includeDevices",
    "conditions.devices.excludeDevices",
    "conditions.devices.includeDeviceStates",
    "conditions.devices.excludeDeviceStates",
    # risk levels (riskLevel collections)
    "conditions.signInRiskLevels",
    "conditions.userRiskLevels",
    "conditions.servicePrincipalRiskLevels",
    # grant controls
    "grantControls.builtInControls",
    "grantControls.customAuthenticationFactors",
    "grantControls.termsOfUse",
})

# Graph *flags* enums: one string of comma-separated members ("deviceCodeFlow,authenticationTransfer"),
# a set of words in a string. Compared as sets of words; "" and null are the empty set.
FLAG_PATHS = frozenset({
    "conditions.authenticationFlows.transferMethods",
    "conditions.insiderRiskLevels",
    "conditions.agentIdRiskLevels",  # beta
    "conditions.users.includeGuestsOrExternalUsers.guestOrExternalUserTypes",
    "conditions.users.excludeGuestsOrExternalUsers.guestOrExternalUserTypes",
})

# Objects a policy only refers to, by id: the authentication strength is its own resource
# (policies/authenticationStrengthPolicies); Graph expands it in a policy it returns, and a policy sets
# it by id. Only the id compares; only the id is sent.
REFERENCE_PATHS = {"grantControls.authenticationStrength": "id"}

# externalTenants is abstract: Graph needs the concrete type, which membershipKind names.
_EXTERNAL_TENANT_TYPES = {
    "all": "#microsoft.graph.conditionalAccessAllExternalTenants",
    "enumerated": "#microsoft.graph.conditionalAccessEnumeratedExternalTenants",
}

_GUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")


@dataclass(frozen=True, slots=True)
class Change:
    """One property that differs: its dotted Graph path, the tenant's value and the file's."""

    path: str
    before: Any
    after: Any

    def to_json(self) -> dict[str, Any]:
        """As ``plan --json`` gives it (CONTRACTS §8)."""
        return {"path": self.path, "before": self.before, "after": self.after}


# --- cleaning -----------------------------------------------------------------------------------------------


def _annotation(key: str) -> bool:
    """An OData/Graph annotation (``@odata.type``, ``authenticationStrength@odata.context``): Graph property
    names never hold ``@``."""
    return "@" in key


def clean(policy: Mapping[str, Any], *, keep_types: bool = False) -> dict[str, Any]:
    """A policy's Graph JSON without what Graph sets itself: the top-level read-only properties but ``id``
    (which matching needs) and every annotation at any level. ``keep_types`` keeps ``@odata.type`` (the
    model picks sub-types by it)."""
    out: dict[str, Any] = _clean(policy, keep_types)
    for key in READ_ONLY - {"id"}:
        out.pop(key, None)
    return out


def _clean(value: Any, keep_types: bool) -> Any:
    if isinstance(value, Mapping):
        return {k: _clean(v, keep_types) for k, v in value.items()
                if not _annotation(k) or (keep_types and k == "@odata.type")}
    if isinstance(value, list):
        return [_clean(v, keep_types) for v in value]
    return value


# --- comparing ----------------------------------------------------------------------------------------------


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _member(value: Any) -> Any:
    """A set member, compared as Graph does: ids (GUIDs) whatever their case, other values exactly."""
    if isinstance(value, str):
        return ("s", value.lower() if _GUID.fullmatch(value) else value)
    return _norm("", value)


def _norm(path: str, value: Any) -> Any:
    """A hashable form of a JSON value at ``path`` in which equal means "the same to Graph"."""
    if path in REFERENCE_PATHS and isinstance(value, Mapping):
        ref = value.get(REFERENCE_PATHS[path])
        return ("ref", ref.lower() if isinstance(ref, str) else _norm("", ref))
    if path in FLAG_PATHS and (value is None or isinstance(value, str)):
        words = frozenset(w.strip() for w in (value or "").split(",") if w.strip())
        return ("set", words) if words else None
    if value is None:
        return None
    if isinstance(value, bool):  # before int: True is not 1 in JSON
        return ("b", value)
    if isinstance(value, (int, float)):
        return ("n", value)
    if isinstance(value, str):
        return ("s", value)
    if isinstance(value, list):
        if not value:
            return None
        if path in SET_PATHS:
            return ("set", frozenset(_member(v) for v in value))
        return ("list", tuple(_norm("", v) for v in value))
    if isinstance(value, Mapping):
        items = tuple(sorted(
            (k, n) for k, v in value.items()
            if not _annotation(k) and (n := _norm(_join(path, k), v)) is not None
        ))
        return ("obj", items) if items else None
    return ("?", repr(value))


def _same(path: str, before: Any, after: Any) -> bool:
    return bool(_norm(path, before) == _norm(path, after))


def diff(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[Change]:
    """What applying the file's policy ``after`` to the tenant's ``before`` changes (None: a create), in
    the file's property order. An object absent or null in the tenant and set in the file is one change
    at its path; objects present on both sides are compared property by property."""
    out: list[Change] = []
    _diff("", before or {}, after, out, top=True)
    return out


def _diff(path: str, before: Mapping[str, Any], after: Mapping[str, Any], out: list[Change], *,
          top: bool = False) -> None:
    for key, a in after.items():
        if _annotation(key) or (top and key in READ_ONLY):
            continue
        p = _join(path, key)
        b = before.get(key)
        if isinstance(a, Mapping) and isinstance(b, Mapping) and p not in REFERENCE_PATHS:
            _diff(p, b, a, out)
        elif not _same(p, b, a):
            out.append(Change(p, copy.deepcopy(b), copy.deepcopy(a)))


def changed(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> bool:
    """Applying ``after`` to ``before`` changes something."""
    return bool(diff(before, after))


# --- writing ------------------------------------------------------------------------------------------------


def merged(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> dict[str, Any]:
    """The policy as the change leaves it: ``before`` with every property the file states put in
    (objects merged property by property, everything else replaced), read-only properties of ``before``
    kept. For a create (``before`` None) the file's policy itself."""
    out = copy.deepcopy(dict(before)) if before is not None else {}
    _merge("", out, after, top=True)
    return out


def _merge(path: str, target: dict[str, Any], patch: Mapping[str, Any], *, top: bool = False) -> None:
    for key, value in patch.items():
        if _annotation(key) or (top and key in READ_ONLY):
            continue
        p = _join(path, key)
        current = target.get(key)
        if isinstance(value, Mapping) and isinstance(current, dict) and p not in REFERENCE_PATHS:
            _merge(p, current, value)
        else:
            target[key] = copy.deepcopy(value)


def for_write(value: Any, path: str = "") -> Any:
    """Graph JSON ready to send: annotations dropped, a referenced object reduced to its id
    (:data:`REFERENCE_PATHS`), ``externalTenants`` given the concrete ``@odata.type`` Graph needs."""
    if isinstance(value, list):
        return [for_write(v) for v in value]
    if not isinstance(value, Mapping):
        return value
    if path in REFERENCE_PATHS:
        key = REFERENCE_PATHS[path]
        return {key: value.get(key)}
    out = {k: for_write(v, _join(path, k)) for k, v in value.items() if not _annotation(k)}
    return _stamp(path, value, out)


def _stamp(path: str, value: Mapping[str, Any], out: dict[str, Any]) -> dict[str, Any]:
    """``out`` (the object at ``path``) with the ``@odata.type`` an abstract Graph type needs."""
    if path.endswith("GuestsOrExternalUsers.externalTenants"):
        kind = value.get("membershipKind")
        typ = value.get("@odata.type") or (_EXTERNAL_TENANT_TYPES.get(kind) if isinstance(kind, str) else None)
        if typ:
            out = {"@odata.type": typ, **out}
    return out


def typed(value: Any, path: str = "") -> Any:
    """Graph JSON with the ``@odata.type`` of abstract objects put back from what names it
    (``externalTenants``' ``membershipKind``), so the model reads the concrete type; nothing else changes."""
    if isinstance(value, list):
        return [typed(v) for v in value]
    if not isinstance(value, Mapping):
        return value
    out = {k: typed(v, _join(path, k)) for k, v in value.items()}
    return _stamp(path, value, out)


def patch_body(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """The PATCH body of an update: each top-level property the diff changes, as :func:`merged` leaves it
    (``conditions``, ``grantControls``, ``sessionControls`` whole); empty when nothing changes."""
    tops = {change.path.split(".", 1)[0] for change in diff(before, after)}
    result = merged(before, after)
    return {key: for_write(result.get(key), key) for key in result if key in tops}


def post_body(after: Mapping[str, Any], *, state: str | None = None) -> dict[str, Any]:
    """The POST body of a create: the file's policy without read-only properties; ``state`` (when given,
    e.g. report-only by the ``new-policy-state`` guard) in place of the file's."""
    body = {k: for_write(v, k) for k, v in after.items() if k not in READ_ONLY and not _annotation(k)}
    if state is not None:
        body["state"] = state
    return body

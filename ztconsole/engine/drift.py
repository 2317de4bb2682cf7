"""What changed between two reads of a tenant: the changes of ``ztconsole drift`` (CONTRACTS §5c).

Every object is compared as the service sends it (its wire JSON, :meth:`Wire.to_wire`), field by field,
with dotted Graph/ARM property paths:

* lists of plain values compare as sets (the services treat them as sets: user and group ids, address
  prefixes, port ranges, controls), and a field lists what was added and what was removed;
* lists of objects that carry a ``name`` (an NSG's rules, a virtual network's subnets and peerings, a
  policy's rule collections) are matched by name: the path names the element, ``subnets[name=web]``;
* other lists of objects compare as sets of objects (a named location's IP ranges);
* read-only metadata (``modifiedDateTime``, ``etag``, ``provisioningState`` and the like) never makes a
  change on its own, nor do OData annotations.

Some objects are compared as several: a firewall policy's rules (each rule of each collection of each
rule collection group is a ``firewallRule``, with the resource id of CONTRACTS §4), an NSG's rules
(``nsgRule``), a route table's routes (``route``), a Private Access application's segments
(``paSegment``); a group's members are a field of the group (``members``).

Each change carries a severity and why it matters, and the list is ordered by it: new exclusions from an
enforced Conditional Access policy first (a new member of a group an enforced policy excludes is one), then
policies no longer enforced, widened segments, and new or widened allow rules (CONTRACTS §5c).

Pure: two :class:`~ztconsole.model.tenant.Tenant` objects in, changes out. Whether each side's data sets
were read completely is the command's business (CONTRACTS §2 "Incomplete sources"): :data:`USES` names the
data sets each kind of change comes from.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ztconsole.model.tenant import Tenant

__all__ = ["Change", "FieldChange", "KINDS", "USES", "Severity", "compare"]

Severity = Literal["high", "medium", "low"]
Action = Literal["added", "removed", "changed"]

#: Keys whose values the service maintains: a change of them alone is no change
IGNORED = frozenset({
    "modifiedDateTime", "lastModifiedDateTime", "etag", "provisioningState", "resourceGuid",
    "createdDateTime", "renewedDateTime", "deletedDateTime", "lastSignInDateTime", "signInActivity",
})

#: Where each kind of change comes from (catalogue keys), in the order the kinds are reported
KINDS: dict[str, tuple[str, ...]] = {
    "caPolicy": ("ca_policies",),
    "namedLocation": ("named_locations",),
    "authenticationStrength": ("auth_strengths",),
    "paApplication": ("applications",),
    "paSegment": ("applications", "app_segments"),
    "connectorGroup": ("connector_groups",),
    "firewallPolicy": ("firewall_policies",),
    "ruleCollectionGroup": ("firewall_policies", "rule_collection_groups"),
    "firewallRule": ("firewall_policies", "rule_collection_groups"),
    "ipGroup": ("ip_groups",),
    "nsg": ("nsgs",),
    "nsgRule": ("nsgs",),
    "routeTable": ("route_tables",),
    "route": ("route_tables",),
    "virtualNetwork": ("virtual_networks",),
    "user": ("users",),
    "group": ("groups", "group_members"),
}
#: Every data set a drift reads
USES: tuple[str, ...] = tuple(dict.fromkeys(k for keys in KINDS.values() for k in keys))

_SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
_KIND_ORDER = {kind: i for i, kind in enumerate(KINDS)}

# ranks within a severity: what CONTRACTS §5c puts first
_EXCLUSION, _UNENFORCED, _WIDENED, _NEW_ALLOW, _OTHER = range(5)


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field: its dotted path and its value before and after (None: absent). For a list compared
    as a set, ``added`` and ``removed`` say which elements."""

    path: str
    before: Any
    after: Any
    added: tuple[Any, ...] = ()
    removed: tuple[Any, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "before": self.before, "after": self.after}


@dataclass(frozen=True, slots=True)
class Change:
    kind: str
    action: Action
    id: str
    name: str
    fields: tuple[FieldChange, ...]
    severity: Severity
    why: str
    rank: int = _OTHER

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "action": self.action, "id": self.id, "name": self.name,
                "fields": [f.to_json() for f in self.fields], "severity": self.severity, "why": self.why}

    def sort_key(self) -> tuple[int, int, int, str, str]:
        return (_SEVERITY_ORDER[self.severity], self.rank, _KIND_ORDER.get(self.kind, len(_KIND_ORDER)),
                self.name.casefold(), self.id)


# --- comparing two JSON values ---------------------------------------------------------------------------


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _sorted(values: Iterable[Any]) -> list[Any]:
    return sorted(values, key=_canon)


def diff(before: Any, after: Any, path: str = "") -> Iterator[FieldChange]:
    """The fields in which ``after`` differs from ``before`` (wire JSON), as described in the module."""
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after)):
            if key in IGNORED or key.startswith("@odata.") or "@odata." in key:
                continue
            yield from diff(before.get(key), after.get(key), f"{path}.{key}" if path else key)
        return
    if isinstance(before, list) and isinstance(after, list):
        yield from _diff_lists(before, after, path)
        return
    if before is None and isinstance(after, list) and not after or after is None and isinstance(before, list) \
            and not before:
        return  # an empty list and an absent one say the same
    if before != after or type(before) is not type(after):
        yield FieldChange(path, before, after)


def _diff_lists(before: list[Any], after: list[Any], path: str) -> Iterator[FieldChange]:
    if all(_plain(v) for v in before) and all(_plain(v) for v in after):
        old, new = {_canon(v): v for v in before}, {_canon(v): v for v in after}
        if old.keys() != new.keys():
            yield FieldChange(path, _sorted(old.values()), _sorted(new.values()),
                              added=tuple(_sorted(new[k] for k in new.keys() - old.keys())),
                              removed=tuple(_sorted(old[k] for k in old.keys() - new.keys())))
        return
    if _named(before) and _named(after):
        old_by, new_by = {v["name"]: v for v in before}, {v["name"]: v for v in after}
        for name in sorted(old_by.keys() | new_by.keys()):
            yield from diff(old_by.get(name), new_by.get(name), f"{path}[name={name}]")
        return
    old_set, new_set = {_canon(v): v for v in before}, {_canon(v): v for v in after}
    if old_set.keys() != new_set.keys():
        yield FieldChange(path, _sorted(old_set.values()), _sorted(new_set.values()),
                          added=tuple(_sorted(new_set[k] for k in new_set.keys() - old_set.keys())),
                          removed=tuple(_sorted(old_set[k] for k in old_set.keys() - new_set.keys())))


def _named(items: list[Any]) -> bool:
    names = [v.get("name") for v in items if isinstance(v, dict)]
    return len(names) == len(items) and all(isinstance(n, str) for n in names) and len(set(names)) == len(names)


# --- the objects compared ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Item:
    kind: str
    id: str
    name: str
    wire: dict[str, Any]
    context: Mapping[str, Any]  # what the judge needs beyond the object (e.g. a rule's collection action)


def _wire(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = obj.to_wire()
    return out


def _strip(wire: dict[str, Any], *paths: tuple[str, ...]) -> dict[str, Any]:
    """``wire`` without the nested keys ``paths`` (compared as objects of their own)."""
    out: dict[str, Any] = json.loads(json.dumps(wire))
    for keys in paths:
        node: Any = out
        for key in keys[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
            if node is None:
                break
        if isinstance(node, dict):
            node.pop(keys[-1], None)
    return out


def _items(tenant: Tenant) -> Iterator[_Item]:
    for p in tenant.ca_policies:
        yield _Item("caPolicy", p.id, p.display_name or p.id, _wire(p), {})
    for loc in tenant.named_locations:
        yield _Item("namedLocation", loc.id, loc.display_name or loc.id, _wire(loc), {})
    for s in tenant.auth_strengths:
        yield _Item("authenticationStrength", s.id, s.display_name or s.id, _wire(s), {})
    segments = tenant.app_segments
    for app in tenant.applications:
        name = app.display_name or app.id
        yield _Item("paApplication", app.id, name, _wire(app), {})
        for seg in segments.get(app.id, ()):
            wire = _wire(seg)
            yield _Item("paSegment", seg.id or f"{app.id}/{_segment_label(wire)}",
                        f"{name}: {_segment_label(wire)}", wire, {})
    for cg in tenant.connector_groups:
        yield _Item("connectorGroup", cg.id, cg.name or cg.id, _wire(cg), {})
    groups_by_policy = tenant.rule_collection_groups
    for fp in tenant.firewall_policies:
        yield _Item("firewallPolicy", fp.id, fp.name or fp.id,
                    _strip(_wire(fp), ("properties", "ruleCollectionGroups")), {})
        for rcg in groups_by_policy.get(_arm(fp.id), ()):
            rcg_wire = _wire(rcg)
            collections = rcg_wire.get("properties", {}).get("ruleCollections") or []
            yield _Item("ruleCollectionGroup", rcg.id, f"{fp.name}/{rcg.name}",
                        _strip(rcg_wire, ("properties", "ruleCollections")),
                        {"collections": [{k: v for k, v in c.items() if k != "rules"} for c in collections
                                         if isinstance(c, dict)]})
            for coll in collections:
                if not isinstance(coll, dict):
                    continue
                action = (coll.get("action") or {}).get("type") if isinstance(coll.get("action"), dict) else None
                for rule in coll.get("rules") or []:
                    if not isinstance(rule, dict):
                        continue
                    rid = f"{rcg.id}/ruleCollections/{coll.get('name')}/rules/{rule.get('name')}"
                    yield _Item("firewallRule", rid, f"{fp.name}/{rcg.name}/{coll.get('name')}/{rule.get('name')}",
                                rule, {"action": action, "collectionPriority": coll.get("priority")})
    for ipg in tenant.ip_groups:
        yield _Item("ipGroup", ipg.id, ipg.name or ipg.id, _wire(ipg), {})
    for nsg in tenant.nsgs:
        wire = _wire(nsg)
        yield _Item("nsg", nsg.id, nsg.name or nsg.id,
                    _strip(wire, ("properties", "securityRules"), ("properties", "defaultSecurityRules")), {})
        for rule in wire.get("properties", {}).get("securityRules") or []:
            if isinstance(rule, dict):
                rid = rule.get("id") or f"{nsg.id}/securityRules/{rule.get('name')}"
                yield _Item("nsgRule", rid, f"{nsg.name}/{rule.get('name')}", rule, {})
    for rt in tenant.route_tables:
        wire = _wire(rt)
        yield _Item("routeTable", rt.id, rt.name or rt.id, _strip(wire, ("properties", "routes")), {})
        for route in wire.get("properties", {}).get("routes") or []:
            if isinstance(route, dict):
                rid = route.get("id") or f"{rt.id}/routes/{route.get('name')}"
                yield _Item("route", rid, f"{rt.name}/{route.get('name')}", route, {})
    for vnet in tenant.virtual_networks:
        yield _Item("virtualNetwork", vnet.id, vnet.name or vnet.id, _wire(vnet), {})
    for user in tenant.users:
        yield _Item("user", user.id, user.user_principal_name or user.display_name or user.id, _wire(user), {})
    members = tenant.group_members
    for group in tenant.groups:
        wire = _wire(group)
        wire["members"] = sorted(m.id for m in members.get(group.id, ()) if m.id)
        yield _Item("group", group.id, group.display_name or group.id, wire, {})


def _arm(resource_id: str) -> str:
    return resource_id.lower()


def _segment_label(wire: Mapping[str, Any]) -> str:
    ports = ",".join(str(p) for p in wire.get("ports") or [])
    return f"{wire.get('destinationHost')}:{ports}" if ports else str(wire.get("destinationHost"))


# --- judging a change ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Verdict:
    severity: Severity
    why: str
    rank: int = _OTHER


_Judge = Callable[[Action, "_Item | None", "_Item | None", tuple[FieldChange, ...], "_Facts"], _Verdict]


@dataclass(frozen=True, slots=True)
class _Facts:
    """What judging needs from the current tenant: the groups an enforced policy excludes."""

    excluded_groups: Mapping[str, tuple[str, ...]]  # group id -> names of enforced policies excluding it
    names: Mapping[str, str]  # object id -> UPN or display name (users, groups, named locations)

    def name(self, value: Any) -> str:
        """An id as an admin reads it: ``alice@contoso.com (id)``; anything else as it is."""
        shown = self.names.get(value) if isinstance(value, str) else None
        return f"{shown} ({value})" if shown else str(value)


def _facts(tenant: Tenant) -> _Facts:
    excluded: dict[str, list[str]] = {}
    for p in tenant.ca_policies:
        if p.state != "enabled":
            continue
        users = p.conditions.users if p.conditions is not None else None
        for gid in (users.exclude_groups if users is not None else ()):
            excluded.setdefault(gid, []).append(p.display_name or p.id)
    names: dict[str, str] = {}
    for u in tenant.users:
        if u.user_principal_name or u.display_name:
            names[u.id] = u.user_principal_name or u.display_name or u.id
    for g in tenant.groups:
        if g.display_name:
            names[g.id] = g.display_name
    for loc in tenant.named_locations:
        if loc.display_name:
            names[loc.id] = loc.display_name
    return _Facts({k: tuple(v) for k, v in excluded.items()}, names)


def _state(item: _Item | None) -> str | None:
    return item.wire.get("state") if item is not None else None


def _judge_ca(action: Action, old: _Item | None, new: _Item | None, fields: tuple[FieldChange, ...],
              facts: _Facts) -> _Verdict:
    before, after = _state(old), _state(new)
    if action == "added":
        return _Verdict("medium" if after == "enabled" else "low", f"new policy, {after}")
    if action == "removed":
        if before == "enabled":
            return _Verdict("high", "an enforced policy was deleted", _UNENFORCED)
        return _Verdict("medium", f"a {before} policy was deleted")
    exclusions = [f for f in fields if f.path.startswith("conditions.") and ".exclude" in f.path and f.added]
    if exclusions and after in ("enabled", "enabledForReportingButNotEnforced"):
        what = "; ".join(f"{f.path.rsplit('.', 1)[-1]} + {', '.join(map(facts.name, f.added))}"
                         for f in exclusions)
        severity: Severity = "high" if after == "enabled" else "medium"
        return _Verdict(severity, f"new exclusion: {what}", _EXCLUSION)
    if before == "enabled" and after != "enabled":
        return _Verdict("high", f"no longer enforced: state {before} -> {after}", _UNENFORCED)
    weaker = [f for f in fields if f.path.startswith("grantControls") and (f.removed or f.after in (None, [], {}))]
    if weaker and after == "enabled":
        return _Verdict("high", "weaker grant controls: " + ", ".join(f.path for f in weaker), _OTHER)
    narrowed = [f for f in fields if f.path.startswith("conditions.") and ".include" in f.path and f.removed]
    if narrowed and after == "enabled":
        return _Verdict("medium", "narrower scope: " + ", ".join(f.path for f in narrowed))
    if after == "enabled" and before != "enabled":
        return _Verdict("medium", f"now enforced: state {before} -> {after}")
    return _Verdict("medium" if after == "enabled" else "low", "changed")


def _network(host: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    if not isinstance(host, str):
        return None
    try:
        return ipaddress.ip_network(host, strict=False)
    except ValueError:
        if "-" in host:  # an address range: its smallest covering network, for comparing sizes
            lo, _, hi = host.partition("-")
            try:
                first, last = ipaddress.ip_address(lo.strip()), ipaddress.ip_address(hi.strip())
            except ValueError:
                return None
            if first.version != last.version or int(last) < int(first):
                return None
            span = int(last) - int(first) + 1
            bits = 32 if first.version == 4 else 128
            return ipaddress.ip_network(f"{first}/{bits - max(0, span - 1).bit_length()}", strict=False)
        return None


def _port_count(ports: Any) -> int:
    total = 0
    for p in ports or []:
        lo, _, hi = str(p).partition("-")
        try:
            total += int(hi or lo) - int(lo) + 1
        except ValueError:
            return 65536
    return total


def _judge_segment(action: Action, old: _Item | None, new: _Item | None, fields: tuple[FieldChange, ...],
                   facts: _Facts) -> _Verdict:
    if action == "added":
        return _Verdict("medium", "a new destination is published")
    if action == "removed":
        return _Verdict("low", "a destination is no longer published")
    assert old is not None and new is not None
    b_net, a_net = _network(old.wire.get("destinationHost")), _network(new.wire.get("destinationHost"))
    wider_host = (b_net is not None and a_net is not None and a_net.num_addresses > b_net.num_addresses)
    wider_ports = _port_count(new.wire.get("ports")) > _port_count(old.wire.get("ports"))
    if wider_host or wider_ports:
        parts = []
        if wider_host:
            parts.append(f"destination {old.wire.get('destinationHost')} -> {new.wire.get('destinationHost')}")
        if wider_ports:
            parts.append(f"ports {','.join(old.wire.get('ports') or [])} -> {','.join(new.wire.get('ports') or [])}")
        return _Verdict("high", "segment widened: " + "; ".join(parts), _WIDENED)
    return _Verdict("medium", "segment changed")


_WIDENING_KEYS = ("sourceAddresses", "destinationAddresses", "sourceIpGroups", "destinationIpGroups",
                  "destinationPorts", "destinationFqdns", "targetFqdns", "fqdnTags", "targetUrls", "webCategories",
                  "ipProtocols", "protocols", "sourceAddressPrefix", "sourceAddressPrefixes",
                  "destinationAddressPrefix", "destinationAddressPrefixes", "destinationPortRange",
                  "destinationPortRanges", "sourcePortRange", "sourcePortRanges", "protocol",
                  "sourceApplicationSecurityGroups", "destinationApplicationSecurityGroups")


def _widened(fields: tuple[FieldChange, ...]) -> list[str]:
    out = []
    for f in fields:
        leaf = f.path.rsplit(".", 1)[-1]
        if leaf not in _WIDENING_KEYS:
            continue
        if f.added or (isinstance(f.after, str) and f.after in ("*", "Any", "Internet", "0.0.0.0/0")):
            out.append(f"{leaf} + {', '.join(map(str, f.added or (f.after,)))}")
    return out


def _judge_firewall_rule(action: Action, old: _Item | None, new: _Item | None, fields: tuple[FieldChange, ...],
                         facts: _Facts) -> _Verdict:
    item = new or old
    assert item is not None
    act = item.context.get("action") or "?"
    allows = act in ("Allow", "DNAT")
    if action == "added":
        if allows:
            return _Verdict("high", f"new {act} rule", _NEW_ALLOW)
        return _Verdict("low", f"new {act} rule")
    if action == "removed":
        if not allows:
            return _Verdict("high", f"a {act} rule was removed: what it denied may now be allowed", _NEW_ALLOW)
        return _Verdict("low", f"an {act} rule was removed")
    widened = _widened(fields)
    if widened and allows:
        return _Verdict("high", f"{act} rule widened: " + "; ".join(widened), _NEW_ALLOW)
    return _Verdict("medium", "rule changed")


def _judge_nsg_rule(action: Action, old: _Item | None, new: _Item | None, fields: tuple[FieldChange, ...],
                    facts: _Facts) -> _Verdict:
    item = new or old
    assert item is not None
    props = item.wire.get("properties") or {}
    access, direction = props.get("access"), props.get("direction")
    label = f"{access} {direction}".strip()
    if action == "added":
        if access == "Allow":
            return _Verdict("high" if direction == "Inbound" else "medium", f"new {label} rule", _NEW_ALLOW)
        return _Verdict("low", f"new {label} rule")
    if action == "removed":
        if access == "Deny":
            return _Verdict("high", f"a {label} rule was removed: what it denied may now be allowed", _NEW_ALLOW)
        return _Verdict("low", f"an {label} rule was removed")
    old_props = (old.wire.get("properties") or {}) if old is not None else {}
    if old_props.get("access") == "Deny" and access == "Allow":
        return _Verdict("high", "rule turned from Deny to Allow", _NEW_ALLOW)
    widened = _widened(fields)
    if widened and access == "Allow":
        return _Verdict("high" if direction == "Inbound" else "medium", f"{label} rule widened: " + "; ".join(widened),
                        _NEW_ALLOW)
    return _Verdict("medium", "rule changed")


def _judge_route(action: Action, old: _Item | None, new: _Item | None, fields: tuple[FieldChange, ...],
                 facts: _Facts) -> _Verdict:
    item = new or old
    assert item is not None
    props = item.wire.get("properties") or {}
    default = props.get("addressPrefix") == "0.0.0.0/0" or (
        old is not None and (old.wire.get("properties") or {}).get("addressPrefix") == "0.0.0.0/0")
    if default and action != "added":
        return _Verdict("high", "the default route changed: egress may no longer pass the firewall", _OTHER)
    return _Verdict("medium", f"route {action}")


def _judge_group(action: Action, old: _Item | None, new: _Item | None, fields: tuple[FieldChange, ...],
                 facts: _Facts) -> _Verdict:
    item = new or old
    assert item is not None
    if action == "changed":
        joined = [f for f in fields if f.path == "members" and f.added]
        policies = facts.excluded_groups.get(item.id)
        if joined and policies:
            return _Verdict("high", f"new member of a group excluded by {', '.join(policies)}: "
                            + ", ".join(map(facts.name, joined[0].added)), _EXCLUSION)
    return _Verdict("low", f"group {action}")


def _judge_plain(severity: Severity) -> _Judge:
    def judge(action: Action, old: _Item | None, new: _Item | None, fields: tuple[FieldChange, ...],
              facts: _Facts) -> _Verdict:
        item = new or old
        return _Verdict(severity, f"{item.kind if item is not None else ''} {action}".strip())
    return judge


def _judge_location(action: Action, old: _Item | None, new: _Item | None, fields: tuple[FieldChange, ...],
                    facts: _Facts) -> _Verdict:
    trusted = [f for f in fields if f.path == "isTrusted" and f.after is True]
    if trusted:
        return _Verdict("high", "location now marked trusted", _EXCLUSION)
    widened = [f for f in fields if f.added and f.path in ("ipRanges", "countriesAndRegions")]
    if widened:
        return _Verdict("medium", "location widened: " + ", ".join(f.path for f in widened))
    return _Verdict("medium", f"named location {action}")


_JUDGES: dict[str, _Judge] = {
    "caPolicy": _judge_ca,
    "namedLocation": _judge_location,
    "authenticationStrength": _judge_plain("medium"),
    "paApplication": _judge_plain("medium"),
    "paSegment": _judge_segment,
    "connectorGroup": _judge_plain("low"),
    "firewallPolicy": _judge_plain("medium"),
    "ruleCollectionGroup": _judge_plain("medium"),
    "firewallRule": _judge_firewall_rule,
    "ipGroup": _judge_plain("medium"),
    "nsg": _judge_plain("medium"),
    "nsgRule": _judge_nsg_rule,
    "routeTable": _judge_plain("medium"),
    "route": _judge_route,
    "virtualNetwork": _judge_plain("medium"),
    "user": _judge_plain("low"),
    "group": _judge_group,
}


def compare(baseline: Tenant, current: Tenant) -> list[Change]:
    """Every change from ``baseline`` to ``current``, in the order CONTRACTS §5c gives them."""
    facts = _facts(current)
    old = {(i.kind, i.id.lower() if i.id.startswith("/") else i.id): i for i in _items(baseline)}
    new = {(i.kind, i.id.lower() if i.id.startswith("/") else i.id): i for i in _items(current)}
    out: list[Change] = []
    for key in old.keys() | new.keys():
        b, a = old.get(key), new.get(key)
        kind = key[0]
        if b is None:
            assert a is not None
            action: Action = "added"
            fields: tuple[FieldChange, ...] = ()
        elif a is None:
            action, fields = "removed", ()
        else:
            fields = tuple(diff(b.wire, a.wire))
            if not fields:
                continue
            action = "changed"
        verdict = _JUDGES[kind](action, b, a, fields, facts)
        item = a or b
        assert item is not None
        out.append(Change(kind, action, item.id, item.name, fields, verdict.severity, verdict.why, verdict.rank))
    out.sort(key=Change.sort_key)
    return out

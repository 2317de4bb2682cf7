"""Azure Resource Manager over a tenant directory: case-insensitive routing, paging and writes."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ztconsole.datasets import BY_KEY, DATASETS, DataSet

from .odata import page_cut
from .store import Collection, ItemRef, Singleton, View
from .wire import ARM_JSON, ArmError, Reply, Req, json_bytes, utf8

if TYPE_CHECKING:
    from .app import Emulator

# property arrays of a resource that ARM also serves as child collections, by lower-cased name
CHILD_ARRAYS: dict[str, str] = {n.lower(): n for n in (
    "securityRules", "defaultSecurityRules", "subnets", "virtualNetworkPeerings", "routes")}
_RCG_TYPE = "Microsoft.Network/FirewallPolicies/RuleCollectionGroups"
_RULE_TYPE = "Microsoft.Network/networkSecurityGroups/securityRules"


class _Unknown(Exception):
    """No resource type answers this path."""


def _resource_pattern(ds: DataSet) -> str:
    """A regex for the id of one item of the (per-subscription or tenant-level) data set ``ds``."""
    low = re.escape(ds.path.lower()).replace(re.escape("{sub}"), "[^/]+")
    marker = re.escape("/providers/")
    if ds.key != "resource_groups" and marker in low and low.startswith("subscriptions"):
        head, _, tail = low.partition(marker)
        low = f"{head}/resourcegroups/[^/]+{marker}{tail}"
    return f"{low}/[^/]+"


@dataclass(frozen=True, slots=True)
class _Template:
    ds: DataSet
    regex: re.Pattern[str]


def _templates() -> tuple[_Template, ...]:
    out = []
    for ds in DATASETS:
        if ds.api != "arm":
            continue
        if ds.parent is None:
            pattern = re.escape(ds.path.lower()).replace(re.escape("{sub}"), "[^/]+")
        else:
            suffix = ds.path.lower().split("{parent}", 1)[1]
            pattern = f"(?P<parent>{_resource_pattern(BY_KEY[ds.parent])}){re.escape(suffix)}"
        out.append(_Template(ds, re.compile(f"^{pattern}$")))
    return tuple(out)


TEMPLATES = _templates()


def not_found(segs: list[str]) -> ArmError:
    """ResourceNotFound naming the type/name path after the last ``providers`` segment."""
    low = [s.lower() for s in segs]
    at = len(low) - 1 - low[::-1].index("providers") if "providers" in low else -1
    what = "/".join(segs[at + 1:]) if at >= 0 else "/".join(segs)
    group = segs[3] if len(segs) > 3 and low[2] == "resourcegroups" else ""
    return ArmError(404, "ResourceNotFound",
                    f"The Resource '{what}' under resource group '{group}' was not found. For more details "
                    "please go to https://aka.ms/ARMResourceNotFoundFix")


def _bad_skiptoken() -> ArmError:
    return ArmError(400, "InvalidSkipToken", "The provided $skiptoken is not valid.")


def _invalid_content(detail: str) -> ArmError:
    return ArmError(400, "InvalidRequestContent", f"The request content was invalid and could not be "
                                                  f"deserialized: {detail}")


class ArmApi:
    """Answers ARM requests for one emulator."""

    def __init__(self, emulator: Emulator):
        self.emu = emulator
        self.store = emulator.store

    # --- resolution --------------------------------------------------------------------------------
    def check_scope(self, segs: list[str]) -> None:
        """SubscriptionNotFound / ResourceGroupNotFound before anything else, as ARM answers."""
        low = [s.lower() for s in segs]
        if low[0] != "subscriptions" or len(low) < 2:
            return
        if low[1] not in self.store.subscriptions:
            raise ArmError(404, "SubscriptionNotFound", f"The subscription '{segs[1]}' could not be found.")
        if len(low) >= 4 and low[2] == "resourcegroups":
            groups = self.store.get(f"arm/subscriptions/{low[1]}/resourcegroups.json")
            if isinstance(groups, Collection) and groups.find(f"/subscriptions/{low[1]}/resourcegroups/{low[3]}") \
                    is None and groups.find_name(low[3]) is None:
                raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{segs[3]}' could not be found.")

    def resolve(self, segs: list[str]) -> View | ItemRef | Singleton:
        low = [s.lower() for s in segs]
        path = "/".join(low)
        for tpl in TEMPLATES:
            m = tpl.regex.match(path)
            if m:
                return self._dataset(tpl.ds, m, segs, path)
        rel = f"arm/{path}.json"
        node = self.store.get(rel)
        if node is not None:
            return node if isinstance(node, Singleton) else View(node, rel, None)
        if len(low) == 7 and low[0] == "subscriptions" and low[2] == "resourcegroups" and low[4] == "providers":
            whole = self.resolve(segs[:2] + segs[4:])  # the subscription's list, narrowed to the group
            if not isinstance(whole, View):
                raise _Unknown()
            prefix = "/" + "/".join(low[:4]) + "/"
            coll = whole.coll
            keep = [i for i in whole.indices() if str(coll.field(i, "id") or "").lower().startswith(prefix)]
            return View(coll, whole.rel, whole.ds, whole.stored, keep)
        if len(segs) < 2:
            raise _Unknown()
        head = self.resolve(segs[:-1])
        if isinstance(head, View):
            i = head.find("/" + path)
            if i is None and head.owner is not None:  # a property array: its items by name
                i = head.coll.find_name(low[-1])
            if i is None:
                raise not_found(segs)
            return ItemRef(head, i)
        if isinstance(head, ItemRef) and low[-1] in CHILD_ARRAYS:
            props = head.view.coll.item(head.index).get("properties") or {}
            key = next((k for k in props if k.lower() == low[-1]), CHILD_ARRAYS[low[-1]])
            items = props.get(key)
            if not isinstance(items, list):
                items = []
            return View(Collection.of(items), "", None, owner=head)
        raise _Unknown()

    def _dataset(self, ds: DataSet, m: re.Match[str], segs: list[str], path: str) -> View | Singleton:
        rel = f"arm/{path}.json"
        node = self.store.get(rel)
        if node is None and ds.parent is not None:
            depth = m.group("parent").count("/") + 1
            parent = self.resolve(segs[:depth])
            if not isinstance(parent, ItemRef):
                raise not_found(segs[:depth])
        if node is not None:
            return node if isinstance(node, Singleton) else View(node, rel, ds)
        if ds.shape == "singleton":
            raise not_found(segs)
        return View(Collection(), rel, ds, stored=False)

    # --- requests ----------------------------------------------------------------------------------
    def handle(self, req: Req, segs: list[str]) -> Reply:
        if "api-version" not in req.params:
            raise ArmError(400, "MissingApiVersionParameter",
                           "The api-version query parameter (?api-version=) is required for all requests.")
        try:
            self.check_scope(segs)
            if req.method == "GET":
                target = self.resolve(segs)
                if isinstance(target, View):
                    return self._page(req, segs, target)
                return Reply(200, utf8(target.raw), ARM_JSON)
            if req.method in ("PUT", "DELETE") and len(segs) >= 3:
                kind = segs[-2].lower()
                if kind == "securityrules":
                    return self._nsg_rule(req, segs)
                if kind == "rulecollectiongroups":
                    return self._rule_collection_group(req, segs)
        except _Unknown:
            raise self.unknown(req, segs) from None
        raise ArmError(405, "MethodNotAllowed", f"The requested resource does not support http method "
                                                f"'{req.method}'.")

    @staticmethod
    def unknown(req: Req, segs: list[str]) -> ArmError:
        low = [s.lower() for s in segs]
        if "providers" in low:
            at = len(low) - 1 - low[::-1].index("providers")
            namespace = segs[at + 1] if at + 1 < len(segs) else ""
            kind = "/".join(segs[at + 2:at + 3]) or namespace
            return ArmError(404, "InvalidResourceType",
                            f"The resource type '{kind}' could not be found in the namespace '{namespace}' for "
                            f"api version '{req.params.get('api-version', '')}'.")
        return ArmError(404, "NotFound", f"No HTTP resource was found that matches the request URI "
                                         f"'/{'/'.join(segs)}'.")

    def _page(self, req: Req, segs: list[str], view: View) -> Reply:
        chunk, link = page_cut(req, view.indices(), self.emu.page_size, "/".join(segs), _bad_skiptoken)
        tail = "]" + (f',"nextLink":{json.dumps(link)}' if link is not None else "") + "}"
        return Reply(200, b"".join((b'{"value":[', view.coll.joined(chunk), utf8(tail))), ARM_JSON)

    # --- writes ------------------------------------------------------------------------------------
    @staticmethod
    def _properties(req: Req) -> dict[str, Any]:
        try:
            body = req.json()
        except ValueError as e:
            raise _invalid_content(str(e)) from None
        if not isinstance(body, dict) or not isinstance(body.get("properties", {}), dict):
            raise _invalid_content("expected a JSON object with a 'properties' object")
        return dict(body.get("properties", {}))

    @staticmethod
    def _resource(rid: str, name: str, kind: str, props: dict[str, Any]) -> dict[str, Any]:
        return {"name": name, "id": rid, "etag": f'W/"{uuid.uuid4()}"', "type": kind,
                "properties": {"provisioningState": "Succeeded",
                               **{k: v for k, v in props.items() if k != "provisioningState"}}}

    def _owner(self, segs: list[str]) -> ItemRef:
        owner = self.resolve(segs)
        if not isinstance(owner, ItemRef):
            raise not_found(segs)
        return owner

    def _nsg_rule(self, req: Req, segs: list[str]) -> Reply:
        owner = self._owner(segs[:-2])
        coll, at = owner.view.coll, owner.index
        nsg = coll.copy_of(at)
        props = nsg.setdefault("properties", {})
        key = next((k for k in props if k.lower() == "securityrules"), "securityRules")
        rules = props.setdefault(key, [])
        name = segs[-1]
        found = next((n for n, r in enumerate(rules) if str(r.get("name", "")).lower() == name.lower()), None)
        if req.method == "DELETE":
            if found is None:
                return Reply(204)
            del rules[found]
            coll.replace(at, nsg)
            self.emu.state.record(req, 200, name)
            return Reply(200)
        rule = self._resource(f"{nsg.get('id', '/' + '/'.join(segs[:-2]))}/securityRules/{name}", name,
                              _RULE_TYPE, self._properties(req))
        if found is None:
            rules.append(rule)
        else:
            rules[found] = rule
        coll.replace(at, nsg)
        status = 201 if found is None else 200
        self.emu.state.record(req, status, name)
        return Reply(status, json_bytes(rule), ARM_JSON)

    def _rule_collection_group(self, req: Req, segs: list[str]) -> Reply:
        view = self.resolve(segs[:-1])
        if not isinstance(view, View) or view.ds is None or view.ds.key != "rule_collection_groups":
            raise _Unknown()
        policy = self._owner(segs[:-2])
        policy_obj = policy.view.coll.copy_of(policy.index)
        name = segs[-1]
        rid = f"{policy_obj.get('id', '/' + '/'.join(segs[:-2]))}/ruleCollectionGroups/{name}"
        found = view.find(rid)
        if found is None:
            found = next((j for j in view.indices()
                          if str(view.coll.field(j, "name") or "").lower() == name.lower()), None)
        refs = (policy_obj.get("properties") or {}).get("ruleCollectionGroups")
        if req.method == "DELETE":
            if found is None:
                return Reply(204)
            view.coll.delete(found)
            if isinstance(refs, list):
                refs[:] = [r for r in refs if str(r.get("id", "")).lower() != rid.lower()]
                policy.view.coll.replace(policy.index, policy_obj)
            self.emu.state.record(req, 200, name)
            return Reply(200)
        group = self._resource(rid, name, _RCG_TYPE, self._properties(req))
        if not view.stored:
            self.store.put(view.rel, view.coll)
            view.stored = True
        if found is None:
            view.coll.append(group)
            if isinstance(refs, list):
                refs.append({"id": rid})
                policy.view.coll.replace(policy.index, policy_obj)
        else:
            view.coll.replace(found, group)
        status = 201 if found is None else 200
        self.emu.state.record(req, status, name)
        return Reply(status, json_bytes(group), ARM_JSON)

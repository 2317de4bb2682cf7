"""Microsoft Graph (v1.0 and beta) over a tenant directory: routing, OData queries, paging and writes.

Delta queries (``/users/delta``, ``/groups/delta``) are answered by :mod:`.delta`, which every write to a
tracked collection here tells what it changed.

Besides the writes to a data set's own collection (:data:`WRITES`), the writes that create a Private Access
(per-app) application, as Microsoft documents them (learn.microsoft.com/graph/api/applicationtemplate-
instantiate, .../connectorgroup-post-applications, .../ipapplicationsegment-post):

* ``POST /applicationTemplates/{id}/instantiate`` with the non-gallery template's id: an application and
  its service principal, answered as an ``applicationServicePrincipal`` (201);
* ``PUT /applications/{id}/connectorGroup/$ref`` (``{"@odata.id": ".../connectorGroups/{id}"}``): the
  application's connector group (204), ``DELETE`` of the same ``$ref`` takes it away;
* ``DELETE /applications/{id}``: the application, its service principal (with the assignments to it), its
  segments and its connector group link."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ztconsole.datasets import BY_KEY, DATASETS, DataSet

from .delta import DELTA_SEGMENTS, TRACKED, DeltaTracker
from .odata import FilterError, matcher, page_cut, parse_filter, project, uses_dates
from .store import FIELD, Collection, ItemRef, Singleton, View, dump, row_of
from .wire import GRAPH_JSON, GraphError, Reply, Req, json_bytes, rfc3339, utf8

if TYPE_CHECKING:
    from .app import Emulator

# Graph's largest page per resource (the sign-in log pages by 1,000, directory objects by 999)
MAX_PAGE: dict[str, int] = {"sign_ins": 1000}
DEFAULT_MAX_PAGE = 999
# directory objects: $count and date-range filters need the advanced query parameters
DIRECTORY = frozenset({"users", "groups", "group_members", "user_member_of", "service_principals", "applications"})
WRITES: dict[str, frozenset[str]] = {
    "ca_policies": frozenset({"POST", "PATCH", "DELETE"}),
    "named_locations": frozenset({"POST", "PATCH", "DELETE"}),
    "users": frozenset({"PATCH"}),
    "groups": frozenset({"POST", "PATCH", "DELETE"}),
    "applications": frozenset({"PATCH", "DELETE"}),
    "service_principals": frozenset({"PATCH"}),
    "app_segments": frozenset({"POST", "PATCH", "DELETE"}),
    "app_role_assignments": frozenset({"POST", "DELETE"}),
}
_SEGMENT_TYPE = "#microsoft.graph.ipApplicationSegment"
_GROUP_TYPE = "#microsoft.graph.group"
#: the application templates that make a non-gallery ("custom") application: global service, US government,
#: China operated by 21Vianet
NON_GALLERY_TEMPLATES = frozenset({"8adf8e6e-67b2-4cf2-a259-e3dc5476c621", "4602d0b4-76bb-404b-bca9-2652e1a39c6d",
                                   "5a532e38-1581-4918-9658-008dc27c1d68"})
#: the tag Entra puts on the service principal of an application added from a template
_TAG_INTEGRATED_APP = "WindowsAzureActiveDirectoryIntegratedApp"
#: the connector group an ``@odata.id`` names (``.../connectorGroups/{id}`` or ``.../connectorGroups('{id}')``)
_CONNECTOR_GROUP_REF = re.compile(r"/connectorGroups(?:/|\(')([^/'()?#]+)'?\)?/?$", re.IGNORECASE)
#: what a group member's entry holds of the object (besides ``@odata.type`` and ``id``), by its data set
_MEMBER_FIELDS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "users": ("#microsoft.graph.user", "users", ("displayName", "userPrincipalName", "userType")),
    "groups": (_GROUP_TYPE, "groups", ("displayName", "securityEnabled")),
    "service_principals": ("#microsoft.graph.servicePrincipal", "servicePrincipals", ("displayName", "appId")),
}


@dataclass(frozen=True, slots=True)
class _Template:
    ds: DataSet
    regex: re.Pattern[str]
    parent_at: int  # index of the {parent} segment, -1 for top-level data sets


def _templates() -> tuple[_Template, ...]:
    out = []
    for ds in DATASETS:
        if ds.api != "graph":
            continue
        low = ds.path.lower()
        if ds.parent is None:
            out.append(_Template(ds, re.compile(f"^{re.escape(low)}$"), -1))
        else:
            before, after = low.split("{parent}")
            out.append(_Template(ds, re.compile(f"^{re.escape(before)}([^/]+){re.escape(after)}$"),
                                 before.count("/")))
    return tuple(out)


TEMPLATES = _templates()


@dataclass(slots=True)
class Single:
    node: Singleton
    context: str


def not_found(key: str) -> GraphError:
    return GraphError(404, "Request_ResourceNotFound",
                      f"Resource '{key}' does not exist or one of its queried reference-property objects are "
                      "not present.")


def bad_segment(segment: str) -> GraphError:
    return GraphError(400, "BadRequest", f"Resource not found for the segment '{segment}'.")


def _bad_skiptoken() -> GraphError:
    return GraphError(400, "Request_BadRequest", "Invalid $skiptoken value.")


def not_allowed() -> GraphError:
    return GraphError(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")


def prepend(raw: str, fragment: str) -> str:
    """Insert ``"key":value`` (``fragment``) as the first member of the JSON object text ``raw``."""
    rest = raw[1:].lstrip()
    return "{" + fragment + ("" if rest.startswith("}") else ",") + rest


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """PATCH semantics: nested objects are merged, everything else replaced."""
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value
    return target


class GraphApi:
    """Answers Graph requests for one emulator."""

    def __init__(self, emulator: Emulator):
        self.emu = emulator
        self.store = emulator.store
        self._parents: dict[str, set[str]] | None = None  # member id -> ids of groups that hold it
        self.delta = DeltaTracker(self)

    # --- resolution --------------------------------------------------------------------------------
    def resolve(self, ver: str, segs: list[str]) -> View | ItemRef | Single:
        low = "/".join(segs).lower()
        for tpl in TEMPLATES:
            m = tpl.regex.match(low)
            if m:
                return self._dataset(ver, tpl, segs)
        rel = f"graph/{ver}/{low}.json"
        node = self.store.get(rel)
        if node is not None:
            return self._wrap(node, rel, None, "/".join(segs))
        if len(segs) < 2:
            raise bad_segment(segs[0] if segs else "")
        head = self.resolve(ver, segs[:-1])
        last = segs[-1]
        if isinstance(head, View):
            if last.lower().startswith("microsoft.graph."):
                want = "#" + last.lower()
                coll = head.coll
                keep = [i for i in head.indices() if str(coll.field(i, "@odata.type") or "").lower() == want]
                return View(coll, head.rel, head.ds, head.stored, keep, context=f"{head.context}/{last}")
            i = head.find(last)
            if i is None:
                raise not_found(last)
            return ItemRef(head, i)
        raise bad_segment(last)

    def _wrap(self, node: Collection | Singleton, rel: str, ds: DataSet | None, context: str) -> View | Single:
        if isinstance(node, Singleton):
            return Single(node, context)
        return View(node, rel, ds, context=context)

    def _file(self, ver: str, ds: DataSet, path: str) -> tuple[str, Collection | Singleton | None]:
        """The recorded file for ``path``: the requested version first, then the data set's own."""
        low = path.lower()
        for version in dict.fromkeys((ver, ds.version)):
            rel = f"graph/{version}/{low}.json"
            node = self.store.get(rel)
            if node is not None:
                return rel, node
        return f"graph/{ds.version}/{low}.json", None

    def _dataset(self, ver: str, tpl: _Template, segs: list[str]) -> View | Single:
        ds = tpl.ds
        if tpl.parent_at < 0:
            rel, node = self._file(ver, ds, ds.path)
            context = ds.path
        else:
            key = segs[tpl.parent_at]
            rel, node = self._file(ver, ds, ds.path.replace("{parent}", key))
            if node is None:
                parent_ds = BY_KEY[ds.parent or ""]
                parent = self._dataset(ver, _BY_KEY[parent_ds.key], parent_ds.path.split("/"))
                if not isinstance(parent, View) or (i := parent.find(key)) is None:
                    raise not_found(key)
                key = str(parent.coll.field(i, "id") or key)  # by UPN -> by id
                rel, node = self._file(ver, ds, ds.path.replace("{parent}", key))
            before, after = ds.path.split("/{parent}")
            context = f"{before}('{key}'){after}"
            if node is None and ds.key == "user_member_of":
                return View(self._member_of(ver, key), rel, ds, stored=False, context=context)
        if node is not None:
            return self._wrap(node, rel, ds, context)
        if ds.shape == "singleton":
            raise not_found("/".join(segs))
        return View(Collection(), rel, ds, stored=False, context=context)

    def _member_of(self, ver: str, user_id: str) -> Collection:
        """transitiveMemberOf derived from the recorded group member lists, nesting followed (CONTRACTS §1)."""
        if self._parents is None:
            pattern = re.compile(r"^graph/v1\.0/groups/([^/]+)/members\.json$")
            parents: dict[str, set[str]] = {}
            for rel in self.store.paths(pattern):
                members = self.store.get(rel)
                group = pattern.match(rel).group(1)  # type: ignore[union-attr]  # paths() yields matches only
                if isinstance(members, Collection):
                    for row in members.rows:
                        if isinstance(row[0], str):
                            parents.setdefault(row[0].lower(), set()).add(group)
            self._parents = parents
        found: list[str] = []
        queue = [user_id.lower()]
        while queue:
            for group in sorted(self._parents.get(queue.pop(0), ())):
                if group not in found:
                    found.append(group)
                    queue.append(group)
        groups = self._dataset(ver, _BY_KEY["groups"], ["groups"])
        raws, rows = [], []
        for gid in found:
            if not isinstance(groups, View) or (i := groups.find(gid)) is None:
                obj = {"@odata.type": _GROUP_TYPE, "id": gid}
                raws.append(dump(obj))
                rows.append(row_of(obj))
                continue
            raw, row = groups.coll.raw(i), groups.coll.rows[i]
            at = FIELD["@odata.type"]
            if row[at] is None:
                raw = prepend(raw, f'"@odata.type":"{_GROUP_TYPE}"')
                row = row[:at] + (_GROUP_TYPE,) + row[at + 1:]
            raws.append(raw)
            rows.append(row)
        return Collection(raws, rows)

    # --- requests ----------------------------------------------------------------------------------
    def handle(self, req: Req, ver: str, segs: list[str]) -> Reply:
        if req.method == "GET":
            if len(segs) == 2 and segs[1].lower() in DELTA_SEGMENTS and segs[0].lower() in TRACKED:
                return self.delta.handle(req, ver, segs[0].lower())
            if segs and segs[-1] == "$count":
                return self._count(req, self.resolve(ver, segs[:-1]))
            target = self.resolve(ver, segs)
            if isinstance(target, View):
                return self._page(req, ver, segs, target)
            if isinstance(target, ItemRef):
                return self._item(req, ver, target)
            return self._single(req, ver, target)
        if req.method in ("POST", "PATCH", "DELETE", "PUT"):
            return self._write(req, ver, segs)
        raise not_allowed()

    def _context(self, req: Req, ver: str, context: str, select: list[str] | None) -> str:
        sel = f"({','.join(select)})" if select else ""
        return f"{req.base}/{ver}/$metadata#{context}{sel}"

    @staticmethod
    def _select(req: Req) -> list[str] | None:
        raw = req.params.get("$select")
        return [s.strip() for s in raw.split(",") if s.strip()] if raw else None

    def _count(self, req: Req, target: View | ItemRef | Single) -> Reply:
        if not isinstance(target, View):
            raise bad_segment("$count")
        eventual = req.headers.get("consistencylevel", "").lower() == "eventual"
        if target.ds is not None and target.ds.key in DIRECTORY and not eventual:
            raise GraphError(400, "Request_BadRequest", "$count is not currently supported.")
        return Reply(200, str(len(target.indices())).encode(), "text/plain;charset=utf-8")

    def _filtered(self, req: Req, view: View) -> list[int] | None:
        text = req.params.get("$filter")
        if not text:
            return None
        try:
            expr = parse_filter(text)
        except FilterError as e:
            resource = view.ds.path.rsplit("/", 1)[-1] if view.ds else view.context
            message = (f"Unsupported or invalid query filter clause specified for property '{e.prop}' of "
                       f"resource '{resource}'." if e.prop else f"Invalid filter clause: {e.clause}")
            raise GraphError(400, "Request_UnsupportedQuery" if e.prop else "BadRequest", message) from None
        directory = view.ds is not None and view.ds.key in DIRECTORY
        op = uses_dates(expr)
        if directory and op and not self._advanced(req):
            raise GraphError(400, "Request_UnsupportedQuery",
                             f"Operator '{op}' is not supported because the required parameters might be missing. "
                             "Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer "
                             "to https://aka.ms/graph-docs/advanced-queries for more information")
        test = matcher(expr, FIELD)
        rows = view.coll.rows

        def compute() -> list[int]:
            return [i for i in view.indices() if test(rows[i])]

        return view.coll.memo(text, compute) if view.positions is None else compute()

    @staticmethod
    def _advanced(req: Req) -> bool:
        return (req.headers.get("consistencylevel", "").lower() == "eventual"
                and req.params.get("$count", "").lower() == "true")

    def _page(self, req: Req, ver: str, segs: list[str], view: View) -> Reply:
        positions: Sequence[int] | None = self._filtered(req, view)
        if positions is None:
            positions = view.indices()
        size = min(self.emu.page_size, MAX_PAGE.get(view.ds.key if view.ds else "", DEFAULT_MAX_PAGE))
        top = req.params.get("$top")
        if top is not None:
            if not top.isdigit() or int(top) < 1:
                raise GraphError(400, "BadRequest", f"Invalid value '{top}' for $top: a positive integer is "
                                                    "expected.")
            size = min(size, int(top))
        chunk, link = page_cut(req, positions, size, f"{ver}/{'/'.join(segs)}", _bad_skiptoken)
        coll = view.coll
        select = self._select(req)
        if select:
            items = utf8(",".join([dump(project(json.loads(raw), select)) for raw in coll.texts(chunk)]))
        else:
            items = coll.joined(chunk)
        parts = ['{"@odata.context":', json.dumps(self._context(req, ver, view.context, select))]
        directory = view.ds is not None and view.ds.key in DIRECTORY
        if req.params.get("$count", "").lower() == "true" and (not directory or self._advanced(req)):
            parts += [',"@odata.count":', str(len(positions))]
        if link is not None:
            parts += [',"@odata.nextLink":', json.dumps(link)]
        parts.append(',"value":[')
        return Reply(200, b"".join((utf8("".join(parts)), items, b"]}")), GRAPH_JSON)

    def _item(self, req: Req, ver: str, ref: ItemRef) -> Reply:
        select = self._select(req)
        raw = dump(project(ref.view.coll.item(ref.index), select)) if select else ref.raw
        context = json.dumps(self._context(req, ver, ref.view.context, select) + "/$entity")
        return Reply(200, utf8(prepend(raw, f'"@odata.context":{context}')), GRAPH_JSON)

    def _single(self, req: Req, ver: str, single: Single) -> Reply:
        select = self._select(req)
        if select:
            return Reply(200, json_bytes(project(json.loads(single.node.raw), select)), GRAPH_JSON)
        return Reply(200, utf8(single.node.raw), GRAPH_JSON)

    # --- writes ------------------------------------------------------------------------------------
    def _body(self, req: Req) -> dict[str, Any]:
        try:
            body = req.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise GraphError(400, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type "
                                                "header is set and payload is of valid JSON format.")
        return body

    def _write(self, req: Req, ver: str, segs: list[str]) -> Reply:
        if req.method == "POST" and segs and segs[-1].lower() == "revokesigninsessions":
            return self._revoke(req, ver, segs[:-1])
        low = [s.lower() for s in segs]
        if low == ["identity", "conditionalaccess", "evaluate"] and req.method == "POST":
            return self._evaluate(req, ver)
        if len(low) == 3 and low[0] == "applicationtemplates" and low[2] == "instantiate" and req.method == "POST":
            return self._instantiate(req, ver, segs[1])
        if low[-1:] == ["$ref"]:
            if len(low) == 4 and low[0] == "applications" and low[2] == "connectorgroup":
                return self._connector_group_ref(req, ver, segs)
            return self._member_ref(req, ver, segs)
        if req.method == "PUT":
            raise not_allowed()
        target = self.resolve(ver, segs)
        view = target.view if isinstance(target, ItemRef) else target
        if not isinstance(view, View) or view.ds is None or req.method not in WRITES.get(view.ds.key, ()):
            raise not_allowed()
        key = view.ds.key
        if req.method == "POST":
            if not isinstance(target, View):
                raise not_allowed()
            obj = self._new(key, self._body(req), view)
            i = self._append(view, obj)
            self.emu.state.record(req, 201, str(obj.get("id", "")))
            self._touched(key, str(obj.get("id", "")))
            return self._item_created(req, ver, ItemRef(view, i))
        if not isinstance(target, ItemRef):
            raise not_allowed()
        item_id = str(view.coll.field(target.index, "id") or segs[-1])
        if req.method == "DELETE":
            app_id = view.coll.item(target.index).get("appId") if key == "applications" else None
            view.coll.delete(target.index)
            if key == "applications":
                self._app_deleted(item_id, app_id if isinstance(app_id, str) else "")
        else:
            obj = _merge(view.coll.copy_of(target.index), self._body(req))
            obj["id"] = item_id
            if key in ("ca_policies", "named_locations"):
                obj["modifiedDateTime"] = rfc3339()
            view.coll.replace(target.index, obj)
        self.emu.state.record(req, 204, item_id)
        self._touched(key, item_id)
        return Reply(204)

    def _touched(self, key: str, item_id: str) -> None:
        """Tell the delta tracker about a change to a tracked collection."""
        if key in TRACKED:
            self.delta.touched(key, item_id)

    def _append(self, view: View, obj: dict[str, Any]) -> int:
        """Add ``obj`` to the collection ``view`` addresses (put in the store if it was not there yet)."""
        if not view.stored:
            self.store.put(view.rel, view.coll)
            view.stored = True
        return view.coll.append(obj)

    def _collection(self, key: str) -> View:
        """A top-level data set's collection, as its own version holds it (where reads of either version
        find it unless the other version has a file of its own)."""
        ds = BY_KEY[key]
        found = self._dataset(ds.version, _BY_KEY[key], ds.path.split("/"))
        if not isinstance(found, View):
            raise not_allowed()
        return found

    def _child_rel(self, key: str, parent: str) -> str | None:
        """Where an item-scoped data set's node for ``parent`` lives in the store, if it is there."""
        ds = BY_KEY[key]
        path = ds.path.replace("{parent}", parent).lower()
        for version in dict.fromkeys((ds.version, "v1.0", "beta")):
            rel = f"graph/{version}/{path}.json"
            if self.store.get(rel) is not None:
                return rel
        return None

    # --- Private Access applications -------------------------------------------------------------------
    def _instantiate(self, req: Req, ver: str, template_id: str) -> Reply:
        """``POST /applicationTemplates/{id}/instantiate`` for a non-gallery application: an application and
        its service principal, answered together as an ``applicationServicePrincipal``."""
        if template_id.lower() not in NON_GALLERY_TEMPLATES:
            raise not_found(template_id)
        name = self._body(req).get("displayName")
        if not isinstance(name, str) or not name.strip():
            raise GraphError(400, "Request_BadRequest",
                             "Invalid value specified for property 'displayName' of resource 'Application'.")
        info = self.store.info
        app_id, stamp, template = str(uuid.uuid4()), rfc3339(), template_id.lower()
        application: dict[str, Any] = {
            "id": str(uuid.uuid4()), "appId": app_id, "applicationTemplateId": template, "createdDateTime": stamp,
            "deletedDateTime": None, "displayName": name, "description": None, "groupMembershipClaims": None,
            "identifierUris": [], "isFallbackPublicClient": False,
            "publisherDomain": info.default_domain or None, "signInAudience": "AzureADMyOrg", "tags": [],
            "appRoles": [], "keyCredentials": [], "passwordCredentials": [], "requiredResourceAccess": [],
            "publicClient": {"redirectUris": []}, "spa": {"redirectUris": []},
            "web": {"homePageUrl": None, "logoutUrl": None, "redirectUris": []},
        }
        service_principal: dict[str, Any] = {
            "id": str(uuid.uuid4()), "deletedDateTime": None, "accountEnabled": True, "appDisplayName": name,
            "appId": app_id, "applicationTemplateId": template, "appOwnerOrganizationId": info.id or None,
            "appRoleAssignmentRequired": False, "appRoles": [], "createdDateTime": stamp, "displayName": name,
            "homepage": None, "loginUrl": None, "logoutUrl": None, "notificationEmailAddresses": [],
            "oauth2PermissionScopes": [], "preferredSingleSignOnMode": None, "replyUrls": [],
            "servicePrincipalNames": [app_id], "servicePrincipalType": "Application",
            "signInAudience": "AzureADMyOrg", "tags": [_TAG_INTEGRATED_APP], "keyCredentials": [],
            "passwordCredentials": [],
        }
        self._append(self._collection("applications"), application)
        self._append(self._collection("service_principals"), service_principal)
        self.emu.state.record(req, 201, application["id"])
        self._touched("applications", application["id"])
        self._touched("service_principals", service_principal["id"])
        body = {"@odata.context": f"{req.base}/{ver}/$metadata#microsoft.graph.applicationServicePrincipal",
                "application": application, "servicePrincipal": service_principal}
        return Reply(201, json_bytes(body), GRAPH_JSON)

    def _connector_group_ref(self, req: Req, ver: str, segs: list[str]) -> Reply:
        """``PUT /applications/{id}/connectorGroup/$ref`` (body ``{"@odata.id": ".../connectorGroups/{id}"}``):
        the application's connector group; ``DELETE`` of it: the application has none."""
        if req.method not in ("PUT", "DELETE"):
            raise not_allowed()
        group_id = ""
        if req.method == "PUT":
            ref = self._body(req).get("@odata.id")
            m = _CONNECTOR_GROUP_REF.search(ref) if isinstance(ref, str) else None
            if m is None:
                raise GraphError(400, "Request_BadRequest", "Invalid object identifier '@odata.id'.")
            group_id = m.group(1)
        apps = self._dataset(ver, _BY_KEY["applications"], ["applications"])
        if not isinstance(apps, View) or (a := apps.find(segs[1])) is None:
            raise not_found(segs[1])
        app = str(apps.coll.field(a, "id"))
        ds = BY_KEY["app_connector_group"]
        if req.method == "DELETE":
            rel = self._child_rel("app_connector_group", app)
            if rel is None:
                raise not_found(f"applications/{app}/connectorGroup")
            self.store.drop(rel)
            self.emu.state.record(req, 204, app)
            return Reply(204)
        groups = self._collection("connector_groups")
        g = groups.find(group_id)
        if g is None:
            raise not_found(group_id)
        rel = self._child_rel("app_connector_group", app) or \
            f"graph/{ds.version}/{ds.path.replace('{parent}', app).lower()}.json"
        self.store.put(rel, Singleton(groups.coll.raw(g)))
        self.emu.state.record(req, 204, app)
        return Reply(204)

    def _app_deleted(self, app: str, app_id: str) -> None:
        """What goes with a deleted application: its segments, its connector group link, its service principal
        and the assignments to that."""
        for key in ("app_segments", "app_connector_group"):
            rel = self._child_rel(key, app)
            if rel is not None:
                self.store.drop(rel)
        if not app_id:
            return
        sps = self._collection("service_principals")
        coll = sps.coll
        for i, text in enumerate(coll.texts(range(len(coll)))):
            raw = text if isinstance(text, str) else str(text, "utf-8")
            if app_id in raw and json.loads(raw).get("appId") == app_id:
                sp_id = str(coll.field(i, "id"))
                coll.delete(i)
                self._touched("service_principals", sp_id)
                rel = self._child_rel("app_role_assignments", sp_id)
                if rel is not None:
                    self.store.drop(rel)
                break

    def _member_ref(self, req: Req, ver: str, segs: list[str]) -> Reply:
        """``POST /groups/{id}/members/$ref`` (body ``{"@odata.id": ".../directoryObjects/{id}"}``) and
        ``DELETE /groups/{id}/members/{id}/$ref``: a member added to a group or removed from it."""
        low = [s.lower() for s in segs]
        if req.method == "POST" and len(segs) == 4 and low[0] == "groups" and low[2] == "members":
            ref = self._body(req).get("@odata.id")
            member_id = ref.rstrip("/").rsplit("/", 1)[-1] if isinstance(ref, str) else ""
            if not member_id:
                raise GraphError(400, "Request_BadRequest", "Invalid object identifier '@odata.id'.")
        elif req.method == "DELETE" and len(segs) == 5 and low[0] == "groups" and low[2] == "members":
            member_id = segs[3]
        else:
            raise not_allowed()
        groups = self._dataset(ver, _BY_KEY["groups"], ["groups"])
        if not isinstance(groups, View) or (g := groups.find(segs[1])) is None:
            raise not_found(segs[1])
        group_id = str(groups.coll.field(g, "id"))
        members = self.resolve(ver, ["groups", group_id, "members"])
        if not isinstance(members, View):
            raise not_allowed()
        if req.method == "POST":
            obj = self._directory_object(member_id)
            if obj is None:
                raise not_found(member_id)
            if members.find(obj["id"]) is not None:
                raise GraphError(400, "Request_BadRequest", "One or more added object references already exist "
                                                            "for the following modified properties: 'members'.")
            if not members.stored:
                self.store.put(members.rel, members.coll)
                members.stored = True
            members.coll.append(obj)
            member_id, kind = obj["id"], obj["@odata.type"]
        else:
            i = members.find(member_id)
            if i is None:
                raise not_found(member_id)
            member_id = str(members.coll.field(i, "id"))
            kind = str(members.coll.field(i, "@odata.type") or "")
            members.coll.delete(i)
        self._parents = None  # the derived memberships are worked out again
        self.delta.member_touched(group_id, member_id, kind)
        self.emu.state.record(req, 204, member_id)
        return Reply(204)

    def _directory_object(self, object_id: str) -> dict[str, Any] | None:
        """A user, group or service principal as a group's member list holds it, or None."""
        for key, (kind, path, fields) in _MEMBER_FIELDS.items():
            found = self._dataset("v1.0", _BY_KEY[key], [path])
            if isinstance(found, View) and (i := found.find(object_id)) is not None:
                item = found.coll.item(i)
                return {"@odata.type": kind, "id": item.get("id", object_id),
                        **{f: item[f] for f in fields if f in item}}
        return None

    def _item_created(self, req: Req, ver: str, ref: ItemRef) -> Reply:
        reply = self._item(req, ver, ref)
        reply.status = 201
        return reply

    def _new(self, key: str, body: dict[str, Any], view: View) -> dict[str, Any]:
        obj: dict[str, Any] = {}
        if key == "app_segments":
            obj["@odata.type"] = body.get("@odata.type", _SEGMENT_TYPE)
        elif "@odata.type" in body:
            obj["@odata.type"] = body["@odata.type"]
        obj["id"] = str(uuid.uuid4())
        stamp = rfc3339()
        if key in ("ca_policies", "named_locations"):
            obj.update({"createdDateTime": stamp, "modifiedDateTime": None if key == "ca_policies" else stamp})
        if key == "app_role_assignments":
            obj.update(self._assignment(body, view))
        for k, v in body.items():
            if k not in ("id", "@odata.type", "createdDateTime", "modifiedDateTime"):
                obj[k] = v
        if key == "app_role_assignments":
            obj["createdDateTime"] = stamp
        return obj

    def _assignment(self, body: dict[str, Any], view: View) -> dict[str, Any]:
        """The properties Graph fills in on a new app role assignment."""
        resource_id = view.context.split("'")[1] if "'" in view.context else ""
        out: dict[str, Any] = {"resourceId": resource_id, "resourceDisplayName": None,
                               "principalDisplayName": None, "principalType": None}
        sps = self._dataset("v1.0", _BY_KEY["service_principals"], ["servicePrincipals"])
        if isinstance(sps, View) and (i := sps.find(resource_id)) is not None:
            out["resourceDisplayName"] = sps.coll.item(i).get("displayName")
        principal = str(body.get("principalId", ""))
        for key, kind in (("users", "User"), ("groups", "Group"), ("service_principals", "ServicePrincipal")):
            found = self._dataset("v1.0", _BY_KEY[key], BY_KEY[key].path.split("/"))
            if principal and isinstance(found, View) and (i := found.find(principal)) is not None:
                out["principalDisplayName"] = found.coll.item(i).get("displayName")
                out["principalType"] = kind
                break
        return out

    def _evaluate(self, req: Req, ver: str) -> Reply:
        """Conditional Access What If: answered by the evaluator the emulator was given (the emulator is a
        server, not an analyst); ``state.evaluate_overrides`` make it disagree where a test wants."""
        if self.emu.what_if is None:
            raise GraphError(501, "NotImplemented", "This emulator was started without a What If evaluator.")
        try:
            value = self.emu.what_if(self._body(req))
        except ValueError as e:
            raise GraphError(400, "BadRequest", str(e)) from None
        for item in value:
            item.update(self.emu.state.evaluate_overrides.get(item.get("id", ""), {}))
        body = {"@odata.context": f"{req.base}/{ver}/$metadata#Collection(microsoft.graph.whatIfAnalysisResult)",
                "value": value}
        return Reply(200, json_bytes(body), GRAPH_JSON)

    def _revoke(self, req: Req, ver: str, segs: list[str]) -> Reply:
        target = self.resolve(ver, segs)
        if not isinstance(target, ItemRef) or target.view.ds is None or target.view.ds.key != "users":
            raise not_allowed()
        coll, i = target.view.coll, target.index
        user = coll.copy_of(i)
        user["signInSessionsValidFromDateTime"] = rfc3339()
        coll.replace(i, user)
        self.emu.state.record(req, 200, str(user.get("id", "")))
        self.delta.touched("users", str(user.get("id", "")))
        self.emu.state.revoked.append(str(user.get("id", "")))
        body = {"@odata.context": f"{req.base}/{ver}/$metadata#Edm.Boolean", "value": True}
        return Reply(200, json_bytes(body), GRAPH_JSON)


_BY_KEY: dict[str, _Template] = {t.ds.key: t for t in TEMPLATES}

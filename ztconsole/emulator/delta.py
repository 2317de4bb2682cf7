"""Graph delta queries over the emulator's store: ``GET /users/delta`` and ``GET /groups/delta``.

What Microsoft documents (learn.microsoft.com/graph/delta-query-overview, .../delta-query-users,
.../delta-query-groups, .../api/user-delta, .../api/group-delta), as served here:

* A **round** is one or more GETs: the first names ``/delta`` (with ``$select``, and ``$filter=id eq '...'``,
  the only filter delta takes) or a ``$deltatoken``; every page but the last carries an ``@odata.nextLink``
  (``$skiptoken``), the last an ``@odata.deltaLink`` (``$deltatoken``) for the next round. The query of the
  first request is encoded in the tokens; a page never carries both links.
* The initial round (no token) holds every item that exists; ``$deltatoken=latest`` ("sync from now")
  answers at once with a delta link and no items. A later round holds only what changed since its token:
  an item created or updated (with every selected property), or ``{"id": ..., "@removed": {"reason":
  "deleted"}}``. ``$top`` is not supported by delta and is ignored, as Graph ignores it.
* Groups: with ``members`` selected (or no ``$select``), a group carries ``members@delta``: every member in
  the initial round, the members added (``@odata.type`` and ``id`` only) or removed (with ``@removed``)
  since the token in a later one. A group with many members comes back in several entries, each with a
  part of them, which the client merges (the docs' "paging through members in a large group").
* ``signInActivity`` cannot be selected on ``/users/delta``: 400, as Graph answers it.
* A token the emulator does not know (malformed, from another emulator's lifetime, or a round that is no
  longer held) answers **410 Gone** with code ``syncStateNotFound`` and a ``Location`` naming the initial
  query: the client must synchronise again from the start.

How changes are known: a change **sequence** (one counter for the emulator) with a log per tracked data
set. A delta token is a position in it. The emulator's own writes (users PATCH and revokeSignInSessions,
groups POST/PATCH/DELETE, members added and removed through ``$ref``) append to the log as they happen
(:meth:`DeltaTracker.touched`, :meth:`DeltaTracker.member_touched`). A file that changes on disk, which
the store indexes again on its next use, is compared item by item (a fingerprint of each item's text, a
tuple of each group's member ids) with what it held when it was last seen, and every item that differs,
appeared or went is appended: exact, if not free (the file is read whole once per change). Tracking a
data set starts with its first delta request; until then nothing is recorded.

Not thread-safe, like the store: one emulator serves from one event loop at a time.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import secrets
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .odata import BoolOp, Eq, FilterError, parse_filter, project
from .store import FIELD, Collection, Singleton
from .wire import GRAPH_JSON, GraphError, Reply, Req, utf8

if TYPE_CHECKING:
    from .graph import GraphApi

#: the tracked collections: data set key -> its file in the store
TRACKED: dict[str, str] = {"users": "graph/v1.0/users.json", "groups": "graph/v1.0/groups.json"}
#: what the ``/delta`` path segment may be called (Graph's SDKs use the qualified name)
DELTA_SEGMENTS = frozenset({"delta", "microsoft.graph.delta"})
#: objects per page (Graph's page of users and groups in a delta round: 200)
MAX_DELTA_PAGE = 200
#: members per ``members@delta`` entry before a group is continued in another entry
MAX_MEMBERS_PER_ENTRY = 500
#: rounds held for their next links (an older round's next link answers 410)
ROUNDS_KEPT = 32
#: user properties delta cannot track (stored outside the directory)
_NOT_ON_DELTA: dict[str, frozenset[str]] = {"users": frozenset({"signinactivity"})}
_MEMBERS = "members"
_REMOVED = {"reason": "deleted"}
_EXPIRED = ("The sync state generation is not found. The delta token is expired and data must be synchronized "
            "again.")

_Member = tuple[str, str]  # (member id, @odata.type)


def _members_of(node: Collection | Singleton | None) -> tuple[_Member, ...]:
    if not isinstance(node, Collection):
        return ()
    at = FIELD["@odata.type"]
    return tuple((row[0], row[at] if isinstance(row[at], str) else "")
                 for row in node.rows if isinstance(row[0], str))


def _prints(node: Collection | Singleton | None) -> dict[str, int]:
    """Item id -> a fingerprint of the item's text (what tells a changed item from an unchanged one)."""
    if not isinstance(node, Collection) or not len(node):
        return {}
    texts = node.texts(range(len(node)))
    out: dict[str, int] = {}
    for row, text in zip(node.rows, texts):
        if isinstance(row[0], str):
            out[row[0]] = hash(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    return out


@dataclass(slots=True)
class _Known:
    """What a tracked data set held when it was last looked at."""

    node: object
    prints: dict[str, int]
    log: list[tuple[int, str]] = field(default_factory=list)  # (seq, item id), seq ascending
    # groups only: group id -> (members node as last seen, its members then)
    members: dict[str, tuple[object, tuple[_Member, ...]]] = field(default_factory=dict)
    member_log: list[tuple[int, str, str, str]] = field(default_factory=list)  # (seq, group, member, type)


@dataclass(slots=True)
class _Round:
    """One round being paged: its entries, fixed when it began, and the position its delta link names."""

    key: str
    ver: str
    query: str  # the first request's query, without tokens: encoded in the links
    select: list[str] | None
    members: bool
    entries: list[tuple[str, tuple[tuple[str, str, bool], ...] | None]]  # (id, member changes or None)
    seq: int


class DeltaTracker:
    """Answers the delta requests of one emulator's Graph API and records what changes."""

    def __init__(self, api: GraphApi):
        self.api = api
        self.store = api.store
        self.seq = 0
        self.epoch = secrets.token_hex(4)  # tokens of another emulator's lifetime are unknown here
        self.known: dict[str, _Known] = {}
        self._rounds: OrderedDict[str, _Round] = OrderedDict()

    # --- what changed --------------------------------------------------------------------------------
    def touched(self, key: str, item_id: str) -> None:
        """A write changed (created, updated or deleted) item ``item_id`` of data set ``key``."""
        known = self.known.get(key)
        if known is None or not item_id:
            return
        self.seq += 1
        known.log.append((self.seq, item_id))
        coll = self._node(key)
        i = coll.find(item_id) if isinstance(coll, Collection) else None
        if isinstance(coll, Collection) and i is not None:
            known.prints[item_id] = hash(coll.raw(i).encode("utf-8", "surrogatepass"))
        else:
            known.prints.pop(item_id, None)

    def member_touched(self, group_id: str, member_id: str, odata_type: str) -> None:
        """A write added ``member_id`` to group ``group_id`` or removed it."""
        known = self.known.get("groups")
        if known is None:
            return
        self.seq += 1
        known.member_log.append((self.seq, group_id, member_id, odata_type))
        node = self.store.get(_members_rel(group_id))
        known.members[group_id] = (node, _members_of(node))

    def _node(self, key: str) -> Collection | Singleton | None:
        return self.store.get(TRACKED[key])

    def _start(self, key: str) -> _Known:
        known = self.known.get(key)
        if known is None:
            node = self._node(key)
            known = self.known[key] = _Known(node, _prints(node))
            if key == "groups":
                for gid in known.prints:
                    members = self.store.get(_members_rel(gid))
                    known.members[gid] = (members, _members_of(members))
        return known

    def sync(self, key: str) -> _Known:
        """Start tracking ``key`` if it is not tracked yet, and log what changed on disk since it was last
        looked at (a file the store indexed again is compared item by item)."""
        known = self._start(key)
        node = self._node(key)
        if node is not known.node:
            prints = _prints(node)
            changed = [i for i, p in prints.items() if known.prints.get(i) != p]
            changed += [i for i in known.prints if i not in prints]
            for item_id in changed:
                self.seq += 1
                known.log.append((self.seq, item_id))
            known.node, known.prints = node, prints
        if key == "groups":
            self._sync_members(known)
        return known

    def _sync_members(self, known: _Known) -> None:
        for gid in dict.fromkeys([*known.prints, *known.members]):  # in the file's order, then the gone ones
            node = self.store.get(_members_rel(gid))
            seen = known.members.get(gid)
            if seen is not None and node is seen[0]:
                continue
            now = _members_of(node)
            before = seen[1] if seen is not None else ()
            if now != before:
                old, new = dict(before), dict(now)
                for mid, kind in [*[(m, t) for m, t in now if m not in old],
                                  *[(m, t) for m, t in before if m not in new]]:
                    self.seq += 1
                    known.member_log.append((self.seq, gid, mid, kind))
            known.members[gid] = (node, now)

    # --- requests ------------------------------------------------------------------------------------
    def handle(self, req: Req, ver: str, key: str) -> Reply:
        skip = req.params.get("$skiptoken")
        if skip is not None:
            return self._page(req, self._round_of(req, key, ver, skip), skip)
        token = req.params.get("$deltatoken")
        if token:
            query, seq = self._position(req, key, ver, token)
        else:
            query, seq = _initial_query(req), None
        select, members, wanted = self._query(req, key, query)
        known = self.sync(key)
        if token == "latest":
            return self._reply(req, ver, key, select, [], delta_link=self._delta_link(req, ver, key, query))
        if seq is None:
            entries = self._everything(key, known, members, wanted)
        else:
            entries = self._since(key, known, seq, members, wanted)
        rid = secrets.token_urlsafe(9)
        self._rounds[rid] = _Round(key, ver, query, select, members, entries, self.seq)
        while len(self._rounds) > ROUNDS_KEPT:
            self._rounds.popitem(last=False)
        return self._page(req, self._rounds[rid], f"{rid}.0")

    def _query(self, req: Req, key: str, query: str) -> tuple[list[str] | None, bool, set[str] | None]:
        """(``$select`` without ``members``, whether members are tracked, the ids ``$filter`` names)."""
        params = Req("GET", "", query, {}, b"", req.base).params
        raw = params.get("$select")
        select = [s.strip() for s in raw.split(",") if s.strip()] if raw else None
        members = key == "groups" and (select is None or any(s.lower() == _MEMBERS for s in select)
                                       or _MEMBERS in params.get("$expand", "").lower())
        if select is not None:
            refused = [s for s in select if s.lower() in _NOT_ON_DELTA.get(key, ())]
            if refused:
                raise GraphError(400, "BadRequest", "Invalid request for delta query: for this entity set, "
                                                    "$expand/$select is not supported for the following "
                                                    f"properties: {', '.join(refused)}")
            select = [s for s in select if s.lower() != _MEMBERS] or None
        wanted = None
        text = params.get("$filter")
        if text:
            wanted = _ids_filtered(text)
        return select, members, wanted

    def _position(self, req: Req, key: str, ver: str, token: str) -> tuple[str, int | None]:
        """The query and sequence position a delta token stands for (410 when it is not one of ours)."""
        if token == "latest":
            return _initial_query(req), None
        decoded = _decode(token)
        if (decoded is None or decoded[0] != self.epoch or decoded[1] != key or not 0 <= decoded[2] <= self.seq
                or key not in self.known):
            raise self._gone(req, ver, key, decoded[3] if decoded is not None else _initial_query(req))
        return decoded[3], decoded[2]

    def _round_of(self, req: Req, key: str, ver: str, skip: str) -> _Round:
        rid = skip.split(".", 1)[0]
        found = self._rounds.get(rid)
        if found is None or found.key != key:
            raise self._gone(req, ver, key, "")
        self._rounds.move_to_end(rid)
        return found

    def _gone(self, req: Req, ver: str, key: str, query: str) -> GraphError:
        location = f"{req.base}/{ver}/{_collection(key)}/delta" + (f"?{query}" if query else "")
        return GraphError(410, "syncStateNotFound", _EXPIRED, {"Location": location})

    # --- a round's entries -----------------------------------------------------------------------------
    def _everything(self, key: str, known: _Known, members: bool, wanted: set[str] | None
                    ) -> list[tuple[str, tuple[tuple[str, str, bool], ...] | None]]:
        ids = [i for i in known.prints if wanted is None or i.lower() in wanted]
        if key != "groups" or not members:
            return [(i, None) for i in ids]
        return [entry for gid in ids
                for entry in _chunked(gid, [(m, t, False) for m, t in known.members.get(gid, (None, ()))[1]])]

    def _since(self, key: str, known: _Known, seq: int, members: bool, wanted: set[str] | None
               ) -> list[tuple[str, tuple[tuple[str, str, bool], ...] | None]]:
        changed = dict.fromkeys(i for _, i in known.log[bisect.bisect_right(known.log, (seq, "\uffff")):])
        touched: dict[str, dict[str, str]] = {}
        if key == "groups" and members:
            for _, gid, mid, kind in known.member_log[bisect.bisect_right(known.member_log,
                                                                          (seq, "\uffff", "", "")):]:
                touched.setdefault(gid, {})[mid] = kind
                changed.setdefault(gid)
        out: list[tuple[str, tuple[tuple[str, str, bool], ...] | None]] = []
        for item_id in changed:
            if wanted is not None and item_id.lower() not in wanted:
                continue
            if key != "groups" or not members or item_id not in known.prints:
                out.append((item_id, None))
                continue
            current = dict(known.members.get(item_id, (None, ()))[1])
            moves = [(mid, current.get(mid, kind), mid not in current)
                     for mid, kind in touched.get(item_id, {}).items()]
            out.extend(_chunked(item_id, moves))
        return out

    # --- pages -----------------------------------------------------------------------------------------
    def _page(self, req: Req, rnd: _Round, skip: str) -> Reply:
        rid, _, at = skip.partition(".")
        if not at.isdigit():
            raise self._gone(req, rnd.ver, rnd.key, rnd.query)
        start = int(at)
        size = max(1, min(self.api.emu.page_size, MAX_DELTA_PAGE))
        chunk = rnd.entries[start:start + size]
        coll = self._node(rnd.key)
        items = [self._entry(rnd, coll, item_id, moves) for item_id, moves in chunk]
        if start + size < len(rnd.entries):
            link = f"{req.base}/{rnd.ver}/{_collection(rnd.key)}/delta?$skiptoken={rid}.{start + size}"
            return self._reply(req, rnd.ver, rnd.key, rnd.select, items, next_link=link)
        delta = self._delta_link(req, rnd.ver, rnd.key, rnd.query, rnd.seq)
        return self._reply(req, rnd.ver, rnd.key, rnd.select, items, delta_link=delta)

    def _entry(self, rnd: _Round, coll: Collection | Singleton | None, item_id: str,
               moves: tuple[tuple[str, str, bool], ...] | None) -> dict[str, Any]:
        i = coll.find(item_id) if isinstance(coll, Collection) else None
        if i is None:
            return {"id": item_id, "@removed": dict(_REMOVED)}
        item: dict[str, Any] = coll.item(i) if isinstance(coll, Collection) else {}
        obj: dict[str, Any]
        if rnd.select is not None:
            obj = project(item, rnd.select)
        else:
            refused = _NOT_ON_DELTA.get(rnd.key, frozenset())
            obj = {k: v for k, v in item.items() if k.lower() not in refused}
        if rnd.members and moves:
            obj["members@delta"] = [_member(mid, kind, gone) for mid, kind, gone in moves]
        return obj

    def _delta_link(self, req: Req, ver: str, key: str, query: str, seq: int | None = None) -> str:
        token = _encode(self.epoch, key, self.seq if seq is None else seq, query)
        return f"{req.base}/{ver}/{_collection(key)}/delta?$deltatoken={token}"

    def _reply(self, req: Req, ver: str, key: str, select: list[str] | None, items: list[Any], *,
               next_link: str | None = None, delta_link: str | None = None) -> Reply:
        sel = f"({','.join(select)})" if select else ""
        body: dict[str, Any] = {"@odata.context": f"{req.base}/{ver}/$metadata#{_collection(key)}{sel}"}
        if next_link is not None:
            body["@odata.nextLink"] = next_link
        if delta_link is not None:
            body["@odata.deltaLink"] = delta_link
        body["value"] = items
        return Reply(200, utf8(json.dumps(body, ensure_ascii=False, separators=(",", ":"))), GRAPH_JSON)


# --- helpers -------------------------------------------------------------------------------------------


def _members_rel(group_id: str) -> str:
    return f"graph/v1.0/groups/{group_id.lower()}/members.json"


def _member(member_id: str, odata_type: str, removed: bool) -> dict[str, Any]:
    """One ``members@delta`` entry: the member's type and id (all Graph sends of it), ``@removed`` when it
    left the group."""
    out: dict[str, Any] = {"@odata.type": odata_type} if odata_type else {}
    out["id"] = member_id
    if removed:
        out["@removed"] = dict(_REMOVED)
    return out


def _collection(key: str) -> str:
    return "users" if key == "users" else "groups"


def _chunked(gid: str, moves: Sequence[tuple[str, str, bool]]
             ) -> list[tuple[str, tuple[tuple[str, str, bool], ...] | None]]:
    """A group's entries: one per :data:`MAX_MEMBERS_PER_ENTRY` member changes (one when there are none)."""
    if not moves:
        return [(gid, ())]
    return [(gid, tuple(moves[i:i + MAX_MEMBERS_PER_ENTRY])) for i in range(0, len(moves), MAX_MEMBERS_PER_ENTRY)]


def _initial_query(req: Req) -> str:
    """The request's query without its state tokens: what the round's links carry."""
    return "&".join(f"{k}={v}" for k, v in _raw_pairs(req.query) if k.lower() not in ("$deltatoken", "$skiptoken"))


def _raw_pairs(query: str) -> Iterable[tuple[str, str]]:
    for part in query.split("&"):
        if part:
            k, _, v = part.partition("=")
            yield k, v


def _ids_filtered(text: str) -> set[str]:
    """The ids of ``$filter=id eq '...' or id eq '...'``, the one filter delta supports (else 400)."""
    try:
        expr = parse_filter(text)
    except FilterError as e:
        raise GraphError(400, "Request_UnsupportedQuery", "Unsupported Query.") from e
    out: set[str] = set()
    todo: list[Any] = [expr]
    while todo:
        node = todo.pop()
        if isinstance(node, BoolOp) and node.op == "or":
            todo += [node.left, node.right]
        elif isinstance(node, Eq) and node.field == "id":
            out.add(node.value.lower())
        else:
            raise GraphError(400, "Request_UnsupportedQuery", "Unsupported Query.")
    return out


def _encode(epoch: str, key: str, seq: int, query: str) -> str:
    raw = json.dumps(["ztdelta", epoch, key, seq, query], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(token: str) -> tuple[str, str, int, str] | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if (not isinstance(data, list) or len(data) != 5 or data[0] != "ztdelta" or not isinstance(data[1], str)
            or not isinstance(data[2], str) or not isinstance(data[3], int) or not isinstance(data[4], str)):
        return None
    return data[1], data[2], data[3], data[4]

"""Loading a tenant through the readers: every data set concurrently, each with its own status.

* Data sets run concurrently (bounded); an item-scoped data set waits for its parent data set and reads
  only the parents it needs (Private Access apps' segments, break-glass accounts' methods ...).
* Each data set ends ``ok``, ``partial`` (some pages or parents could not be read; what came is kept and
  the message says what is missing), ``missing`` (a singleton the service does not have), ``forbidden``
  (naming the permission from the catalogue), ``throttled`` or ``failed`` (with the cause). One data set's
  failure never stops another: whatever a data set's read raises (a reader's bug, JSON nested too deeply)
  fails that data set alone, with the cause named.
* A recording's ``[datasets]`` statuses (``info.recorded``) are applied to what is read back: served by the
  emulator, a data set recorded as failed is an absent file, i.e. an empty collection, never ``ok``.
* Raw items are turned into the model here, with the same mapping as tenant directories, and can be
  recorded as they came (``snapshot``).

Refresh (``load(previous=tenant, sync=state)``, issue #13): a load that is given the last load's tenant
re-reads only what can have changed, and says per data set how (``DataSetResult.refresh``):

* **sign-ins**: those from the newest held on (``createdDateTime ge`` the newest held less
  :data:`SIGNIN_OVERLAP`, for entries the log records late), merged with the held ones (one per id, newest
  first), within the window (``options.signins_since``: the held ones that left it are dropped) and the bound
  (``options.max_items``: the oldest beyond it are dropped, ``partial``, as a full read says it). Only when
  the last read was complete (``ok``, or stopped only by the bound); else the log is read whole.
* **users, groups, group members**: Graph delta queries from the delta link kept in ``sync`` (``/users/delta``,
  ``/groups/delta`` with ``members``): created and updated objects replace or join the held ones,
  ``@removed`` ones leave, ``members@delta`` adds and removes group members (a member added comes as its
  type and id: its name and principal name are taken from the users, groups and service principals read in
  the same refresh). Properties delta cannot track (a user's ``signInActivity``) keep the last full read's
  values. A token the service no longer knows (410 Gone, ``syncStateNotFound``) makes the data set read whole
  (``"resync"``); any load given a ``sync`` asks for a link first (``$deltatoken=latest``) whenever it reads
  one of them whole, so the next refresh can go by delta.
* **everything else**: read whole, as a full load reads it; a page (or a parent's items) whose JSON is what it
  was at the last refresh (a digest of it, kept in ``sync.pages``) is not parsed again: its items are the held
  ones.

Whatever way a data set was read, an item equal to the one held is the held object itself, and a value with
nothing changed is the held value itself (``changed`` False), so whoever shows it can keep what is on screen.
A refresh that fails for a data set that held something keeps what it held, ``partial``, and says why
(:func:`~ztconsole.model.tenant.keep_previous`): a pane is never blanked, and stale data is never ``ok``.
``whole=True`` reads every data set whole but still keeps the identity of unchanged items (a reload).
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

import msgspec

from ztconsole.datasets import BY_KEY, DATASETS, DataSet
from ztconsole.gcpause import gc_paused
from ztconsole.jsonscan import crash_reason
from ztconsole.model.tenant import (
    NOT_REFRESHED,
    DataSetResult,
    IssueLog,
    LoadIssue,
    Status,
    Tenant,
    TenantInfo,
    apply_recorded,
    arm_key,
    holds_items,
    keep_previous,
)
from ztconsole.model.wire import JsonPath, Wire, WireError, WireNote, jsonpath, parse_one
from ztconsole.sources.base import DELTA_KEYS, DeltaReader, Reader, ReadOptions, ResyncRequired, SyncState
from ztconsole.sources.errors import SourceError


class Recorder(Protocol):
    """Receives the raw wire items as they are read (``snapshot`` writes them to a tenant directory)."""

    def collection(self, ds: DataSet, sub: str, parent: str, items: list[Any], last: bool) -> None: ...

    def single(self, ds: DataSet, sub: str, parent: str, obj: Any) -> None: ...


@dataclass
class _State:
    results: dict[str, DataSetResult] = field(default_factory=dict)
    done: dict[str, asyncio.Event] = field(default_factory=dict)
    previous: Tenant | None = None  # a refresh: the last load's tenant
    sync: SyncState | None = None  # the delta links, kept by the source between loads
    whole: bool = False  # a refresh that reads every data set whole (a reload)
    # what the groups' delta round said of their members: group id -> members@delta entries, in order
    member_moves: dict[str, list[Any]] | None = None
    groups_removed: set[str] = field(default_factory=set)
    resync: set[str] = field(default_factory=set)  # data sets whose delta token the service no longer knew
    pages_read: dict[str, dict[Any, tuple[bytes, int, int]]] = field(default_factory=dict)  # see _memo

    @property
    def incremental(self) -> bool:
        return self.previous is not None and not self.whole

    def held(self, key: str) -> DataSetResult | None:
        return self.previous.results.get(key) if self.previous is not None else None


#: How far before the newest held sign-in a refresh asks the log from: entries the service records late
#: (the sign-in log lags by minutes) are still found, and the ones already held are recognised by id.
SIGNIN_OVERLAP = timedelta(minutes=10)

#: The statuses of a failed read (a refresh keeps what it held instead).
_FAILED = frozenset({"failed", "forbidden", "throttled"})

# A refresh merges the members added to groups with the users, groups and service principals it read.
_MERGE_NEEDS: dict[str, tuple[str, ...]] = {"group_members": ("users", "service_principals")}

#: What a group's member entry holds of its object, by type: the wire names and the model's attributes.
_MEMBER_FIELDS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "#microsoft.graph.user": ("users", (("displayName", "display_name"),
                                        ("userPrincipalName", "user_principal_name"), ("userType", "user_type"))),
    "#microsoft.graph.group": ("groups", (("displayName", "display_name"), ("securityEnabled", "security_enabled"))),
    "#microsoft.graph.serviceprincipal": ("service_principals", (("displayName", "display_name"),
                                                                ("appId", "app_id"))),
}


# Item-scoped data sets not read from a live service: derived from others (CONTRACTS §1).
DERIVED = {"user_member_of": "derived from the group members read"}

# Data sets whose parents are chosen from other data sets (see parent_keys): they wait for those too.
SELECTED_BY: dict[str, tuple[str, ...]] = {
    "auth_methods": ("role_assignments", "role_eligibility"),
    "app_role_assignments": ("applications",),
}


def _needs(ds: DataSet) -> tuple[str, ...]:
    return ((ds.parent,) if ds.parent else ()) + SELECTED_BY.get(ds.key, ())


class Loader:
    """Reads a tenant through one reader per API (``{"graph": GraphReader, "arm": ArmReader}``)."""

    def __init__(self, readers: dict[str, Reader], info: TenantInfo, *,
                 options: ReadOptions = ReadOptions(), concurrency: int = 6,
                 recorder: Recorder | None = None):
        self.readers = readers
        self.info = info
        self.options = options
        self.concurrency = concurrency
        self.recorder = recorder

    async def load(self, keys: list[str] | None = None,
                   on_result: Callable[[DataSetResult], None] | None = None,
                   on_start: Callable[[DataSet], None] | None = None, *,
                   previous: Tenant | None = None, sync: SyncState | None = None, whole: bool = False) -> Tenant:
        """Read the data sets ``keys`` (None: every one). ``previous``: refresh that tenant (see the module
        docstring), ``whole``: reading every data set whole; ``sync``: the delta links, read and updated."""
        state = _State(previous=previous, sync=sync, whole=whole)

        def needs(ds: DataSet) -> tuple[str, ...]:
            return _needs(ds) + (_MERGE_NEEDS.get(ds.key, ()) if state.incremental else ())

        wanted = [BY_KEY[k] for k in keys] if keys else list(DATASETS)
        # a child needs its parent (and what selects its parents) loaded first, even when only the
        # child was asked for
        todo = list(wanted)
        while todo:
            for need in needs(todo.pop()):
                if BY_KEY[need] not in wanted:
                    wanted.insert(0, BY_KEY[need])
                    todo.append(BY_KEY[need])
        state.done = {ds.key: asyncio.Event() for ds in wanted}
        gate = asyncio.Semaphore(self.concurrency)
        recorded = {key: (status, message) for key, status, message in self.info.recorded}

        async def run(ds: DataSet) -> None:
            for need in needs(ds):
                await state.done[need].wait()
            async with gate:
                if on_start is not None:
                    on_start(ds)
                started = time.perf_counter()
                try:
                    result = await self._load_one(ds, state)
                except MemoryError:
                    raise
                except Exception as e:  # noqa: BLE001 - one data set's crash must not take the others down
                    result = _crashed(ds, e)
                if ds.key in recorded:
                    result = apply_recorded(result, *recorded[ds.key])
                if previous is not None:
                    result = _against(state.held(ds.key), result)
                seen = state.pages_read.pop(ds.key, None)
                if sync is not None and seen is not None and result.refresh in ("whole", "resync"):
                    sync.pages[ds.key] = (result.value, seen)
                result.seconds = time.perf_counter() - started
            state.results[ds.key] = result
            state.done[ds.key].set()
            if on_result is not None:
                on_result(result)

        # The collector is paused for the whole load: the model objects it builds make every
        # collection slower (1.5 s of a large load); the little cyclic garbage the HTTP stack leaves
        # is collected once at the end, before the survivors are frozen out of later collections.
        with gc_paused():
            await asyncio.gather(*(run(ds) for ds in wanted))
            gc.collect()
        ordered = {ds.key: state.results[ds.key] for ds in wanted}
        return Tenant(self.info, ordered)

    # --- one data set ----------------------------------------------------------------------------
    async def _load_one(self, ds: DataSet, state: _State) -> DataSetResult:
        if ds.key in DERIVED:
            return DataSetResult(ds.key, "ok", {}, 0, [], DERIVED[ds.key])
        reader = self.readers.get(ds.api)
        if reader is None:
            return DataSetResult(ds.key, "failed", None, 0, [], f"no {ds.api} reader for this source")
        held = state.held(ds.key)
        if state.incremental and held is not None:
            merged: DataSetResult | None = None
            if ds.key == "sign_ins" and self._signins_complete(held):
                merged = await self._refresh_signins(ds, reader, held)
            elif ds.key in DELTA_KEYS:
                merged = await self._refresh_delta(ds, reader, held, state)
            elif ds.key == "group_members" and state.member_moves is not None and _complete(held):
                merged = self._merge_members(ds, held, state)
            if merged is not None:
                return merged
        if state.sync is not None and ds.key in DELTA_KEYS and isinstance(reader, DeltaReader):
            await self._track(ds, reader, state.sync)
        result = await self._load_whole(ds, reader, state)
        if state.previous is not None:
            result.refresh = "resync" if ds.key in state.resync else "whole"
        return result

    async def _load_whole(self, ds: DataSet, reader: Reader, state: _State) -> DataSetResult:
        if ds.per_item:
            return await self._load_children(ds, reader, state)
        if ds.shape == "singleton":
            return await self._load_single(ds, reader)
        return await self._load_collection(ds, reader, state)

    def _memo(self, ds: DataSet, state: _State) -> tuple[Any, dict[Any, tuple[bytes, int, int]]] | None:
        """The pages of the last refresh's whole read of ``ds``, if the held value is what they were read
        into: ``(held value, {place: (digest of the page's JSON, first item's position, items)})``. A page
        that comes again with the same digest is not parsed again: its items are the held ones (only pages
        that parsed without an issue are recorded)."""
        held = state.held(ds.key)
        entry = state.sync.pages.get(ds.key) if state.sync is not None else None
        if held is None or entry is None or entry[0] is not held.value:
            return None
        return entry

    async def _load_collection(self, ds: DataSet, reader: Reader, state: _State | None = None) -> DataSetResult:
        cls = ds.model_class()
        issues = IssueLog()
        items: list[Any] = []
        problems: list[SourceError] = []
        bounded = False
        memo = self._memo(ds, state) if state is not None else None
        seen: dict[Any, tuple[bytes, int, int]] | None = None
        if state is not None and state.sync is not None and state.previous is not None:
            seen = state.pages_read[ds.key] = {}
        subs = self.info.subscriptions if ds.per_subscription else ("",)
        for sub in subs:
            label = ds.file_path(sub=sub)[:-5]
            index = 0
            pages = reader.collection(ds, sub=sub, options=self.options)
            try:
                async for number, page in _numbered(pages):
                    if self.recorder is not None:
                        self.recorder.collection(ds, sub, "", page, last=False)
                    start = len(items)
                    digest = _digest(page) if seen is not None else None
                    hit = memo[1].get((sub, number)) if memo is not None and digest is not None else None
                    if hit is not None and hit[0] == digest and hit[2] == len(page):
                        items.extend(memo[0][hit[1]:hit[1] + hit[2]])  # type: ignore[index]
                        index += len(page)
                    else:
                        before = issues.error_count + issues.note_count
                        index = _parse_into(cls, page, index, label, items, issues)
                        if issues.error_count + issues.note_count != before or len(items) - start != len(page):
                            digest = None
                    if seen is not None and digest is not None:
                        seen[(sub, number)] = (digest, start, len(page))
                    if self.options.max_items and len(items) >= self.options.max_items:
                        bounded = True
                        break
            except SourceError as e:
                problems.append(e.with_permission(ds.permission))
            finally:
                await pages.aclose()  # type: ignore[attr-defined]
                if self.recorder is not None:
                    self.recorder.collection(ds, sub, "", [], last=True)
        value: tuple[Any, ...] = tuple(items)
        if memo is not None and len(items) == len(memo[0]) and all(a is b for a, b in zip(items, memo[0])):
            value = memo[0]  # every page as it was: the held value itself
        result = _finish(ds, value, len(items), issues, problems, bounded,
                         self.options.max_items, total_parts=len(subs))
        scope = self.options.signins_of
        if ds.key == "sign_ins" and scope is not None and result.status == "ok":
            # complete for what was asked, which is not the whole log: say so wherever the status shows
            result.message = f"only the sign-ins of {len(scope)} named account(s): {', '.join(scope) or 'none'}"
        return result

    async def _load_single(self, ds: DataSet, reader: Reader) -> DataSetResult:
        cls = ds.model_class()
        issues = IssueLog()
        label = ds.file_path()[:-5]
        try:
            raw = await reader.single(ds)
        except SourceError as e:
            return _failed(ds, e.with_permission(ds.permission))
        if raw is None:
            return DataSetResult(ds.key, "missing", None, 0, [], f"{label}: the service has none")
        if self.recorder is not None:
            self.recorder.single(ds, "", "", raw)
        obj = _parse_one(cls, raw, (), label, issues)
        status: Status = "partial" if obj is None else "ok"
        return DataSetResult(ds.key, status, obj, 0 if obj is None else 1, issues.close(),
                             str(issues[0]) if obj is None and issues else "")

    async def _load_children(self, ds: DataSet, reader: Reader, state: _State) -> DataSetResult:
        parent_res = state.results.get(ds.parent or "")
        if parent_res is None or parent_res.status in ("failed", "forbidden", "throttled"):
            why = parent_res.message if parent_res is not None else "not loaded"
            return DataSetResult(ds.key, "failed", {}, 0, [],
                                 f"not read: {BY_KEY[ds.parent or ''].title} could not be read ({why})")
        parents = parent_keys(ds, state.results, self.info)
        cls = ds.model_class()
        issues = IssueLog()
        value: dict[str, Any] = {}
        count = 0
        problems: list[SourceError] = []
        memo = self._memo(ds, state)
        seen: dict[Any, tuple[bytes, int, int]] | None = None
        if state.sync is not None and state.previous is not None:
            seen = state.pages_read[ds.key] = {}
        try:
            async for parent, got in reader.many(ds, parents, options=self.options):
                label = ds.file_path(parent=parent)[:-5]
                key = arm_key(parent) if ds.api == "arm" else parent
                if got is None or (ds.shape != "singleton" and not got):
                    continue  # none (an empty collection is the same as none recorded)
                if self.recorder is not None:
                    if ds.shape == "singleton":
                        self.recorder.single(ds, "", parent, got)
                    else:
                        self.recorder.collection(ds, "", parent, got, last=True)
                digest = _digest(got) if seen is not None else None
                hit = memo[1].get(key) if memo is not None and digest is not None else None
                if hit is not None and hit[0] == digest and key in memo[0]:  # type: ignore[index]
                    value[key] = memo[0][key]  # type: ignore[index]
                    count += 1 if ds.shape == "singleton" else len(value[key])
                else:
                    before = issues.error_count + issues.note_count
                    if ds.shape == "singleton":
                        obj = _parse_one(cls, got, (), label, issues)
                        if obj is not None:
                            value[key] = obj
                            count += 1
                    else:
                        objs: list[Any] = []
                        _parse_into(cls, got, 0, label, objs, issues)
                        value[key] = tuple(objs)
                        count += len(objs)
                    if issues.error_count + issues.note_count != before:
                        digest = None
                if seen is not None and digest is not None:
                    seen[key] = (digest, 0, 0)
        except SourceError as e:
            problems.append(e.with_permission(ds.permission))
        if memo is not None and value.keys() == memo[0].keys() and all(value[k] is memo[0][k] for k in value):
            value = memo[0]  # every parent's items as they were: the held value itself
        return _finish(ds, value, count, issues, problems, False, None, total_parts=1,
                       have_any=bool(value))


    # --- refresh ---------------------------------------------------------------------------------
    async def _track(self, ds: DataSet, reader: DeltaReader, sync: SyncState) -> None:
        """Ask for a delta link before ``ds`` is read whole: changes from now on come in the next refresh
        (a change between the two comes twice, which a merge by id absorbs). A failure only means the next
        refresh reads it whole again."""
        sync.links.pop(ds.key, None)
        try:
            sync.links[ds.key] = await reader.delta_latest(ds)
        except SourceError:
            pass

    def _signins_complete(self, held: DataSetResult) -> bool:
        """Whether the held sign-ins are the whole log from the window on (or its newest entries, up to the
        bound): only then do the entries newer than the newest held complete them."""
        if _complete(held):
            return True
        bound = self.options.max_items
        return held.status == "partial" and not held.errors and bound is not None and held.count >= bound

    async def _refresh_signins(self, ds: DataSet, reader: Reader, held: DataSetResult) -> DataSetResult | None:
        cls = ds.model_class()
        window = self.options.signins_since
        kept: tuple[Any, ...] = held.value or ()
        if window is not None:  # the window has moved on: what left it goes
            kept = tuple(s for s in kept if s.created_date_time is None or s.created_date_time >= window)
        newest = max((s.created_date_time for s in kept if s.created_date_time is not None), default=None)
        if newest is None:
            return None  # nothing to start from: the log is read whole
        since = newest - SIGNIN_OVERLAP
        if window is not None and since < window:
            since = window
        options = replace(self.options, signins_since=since)
        issues = IssueLog()
        fresh: list[Any] = []
        label = ds.file_path()[:-5]
        pages = reader.collection(ds, options=options)
        try:
            async for page in pages:
                _parse_into(cls, page, len(fresh), label, fresh, issues)
        except SourceError as e:
            return keep_previous(held, _why(e.with_permission(ds.permission)))
        finally:
            await pages.aclose()  # type: ignore[attr-defined]
        if issues.error_count:
            return None  # a malformed new entry: read the log whole, as a full load would judge it
        fresh_by_id = {s.id: s for s in fresh}
        again = {s.id: s for s in kept if s.id in fresh_by_id}  # read before: in the overlap
        new = [s for s in fresh if s.id not in again]
        new.sort(key=_newest_first)
        refreshed = {i for i, s in again.items() if s != fresh_by_id[i]}
        if not new and not refreshed and len(kept) == len(held.value or ()):
            value: tuple[Any, ...] = held.value
        elif refreshed:
            value = (*new, *(fresh_by_id[s.id] if s.id in refreshed else s for s in kept))
        else:
            value = (*new, *kept)
        for issue in held.issues:  # the notes on the entries still held
            issues.append(issue)
        bound = self.options.max_items
        if bound is not None and len(value) > bound:
            value = value[:bound]
            return DataSetResult(ds.key, "partial", value, len(value), issues.close(),
                                 f"stopped at the bound of {bound:,} items; older items were not read",
                                 refresh="delta")
        message = f"{len(new):,} new since the last read" if new else ""
        scope = self.options.signins_of
        if scope is not None:
            message = f"only the sign-ins of {len(scope)} named account(s): {', '.join(scope) or 'none'}"
        return DataSetResult(ds.key, "ok", value, len(value), issues.close(), message or ("" if value else "none"),
                             refresh="delta")

    async def _refresh_delta(self, ds: DataSet, reader: Reader, held: DataSetResult, state: _State
                             ) -> DataSetResult | None:
        """Users or groups from the delta link of the last read; None: read whole (no link, a last read that
        was not complete, or a token the service no longer knows)."""
        link = state.sync.links.get(ds.key) if state.sync is not None else None
        if link is None or not _complete(held) or not isinstance(reader, DeltaReader):
            return None
        raws: list[Any] = []
        new_link: str | None = None
        try:
            async for items, last in reader.delta(ds, link):
                raws += items
                new_link = last or new_link
        except ResyncRequired:
            state.resync.add(ds.key)
            return None
        except SourceError as e:
            return keep_previous(held, _why(e.with_permission(ds.permission)))  # the same round next time
        if state.sync is not None and new_link is not None:
            state.sync.links[ds.key] = new_link
        upserts: dict[str, Any] = {}
        removed: set[str] = set()
        moves: dict[str, list[Any]] = {}
        issues = IssueLog()
        label = ds.file_path()[:-5]
        for n, raw in enumerate(raws):
            if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
                issues.append(LoadIssue(label, jsonpath((n,)), "a delta entry without an id"))
                continue
            item_id = raw["id"]
            if "@removed" in raw:
                removed.add(item_id)
                upserts.pop(item_id, None)
                moves.pop(item_id, None)
                continue
            removed.discard(item_id)
            entries = raw.pop("members@delta", None)
            if isinstance(entries, list):
                moves.setdefault(item_id, []).extend(entries)
            upserts[item_id] = raw  # a group's later entry repeats its properties
        parsed: list[Any] = []
        _parse_into(ds.model_class(), list(upserts.values()), 0, label, parsed, issues)
        value, changed, removed_n = _merge_items(held.value or (), parsed, removed, keep=_kept_on_delta(ds.key))
        if ds.key == "groups":
            state.member_moves, state.groups_removed = moves, removed
        for issue in held.issues:
            if issue.severity == "note":
                issues.append(issue)
        parts = [f"{changed:,} changed" if changed else "", f"{removed_n:,} removed" if removed_n else ""]
        message = ", ".join(p for p in parts if p)
        if ds.key == "users":
            message = "; ".join(p for p in (message, "sign-in activity as of the last full read") if p)
        if issues.error_count:
            return DataSetResult(ds.key, "partial", value, len(value), issues.close(),
                                 f"{issues.error_count} malformed item(s); first: {issues.first_error}",
                                 refresh="delta")
        return DataSetResult(ds.key, "ok", value, len(value), issues.close(), message, refresh="delta")

    def _merge_members(self, ds: DataSet, held: DataSetResult, state: _State) -> DataSetResult:
        """Group members from the groups' delta round: ``members@delta`` entries added to or removed from
        the held member lists (a removed group's list goes)."""
        value: dict[str, tuple[Any, ...]] = dict(held.value or {})
        for gid in state.groups_removed:
            value.pop(gid, None)
        cls = ds.model_class()
        issues = IssueLog()
        lookup = _Lookup(state.results)
        for gid, entries in (state.member_moves or {}).items():
            members = list(value.get(gid, ()))
            at = {m.id: i for i, m in enumerate(members)}
            label = ds.file_path(parent=gid)[:-5]
            for entry in entries:
                mid = entry.get("id") if isinstance(entry, dict) else None
                if not isinstance(mid, str):
                    issues.append(LoadIssue(label, "", "a members@delta entry without an id"))
                    continue
                if "@removed" in entry:
                    if mid in at:
                        members[at.pop(mid)] = None
                elif mid not in at:
                    made: list[Any] = []
                    _parse_into(cls, [lookup.member(entry)], len(members), label, made, issues)
                    if made:
                        at[mid] = len(members)
                        members.append(made[0])
            now = tuple(m for m in members if m is not None)
            if now:
                value[gid] = now if now != value.get(gid) else value[gid]
            else:
                value.pop(gid, None)
        if value.keys() == (held.value or {}).keys() and all(value[k] is held.value[k] for k in value):
            value = held.value
        count = sum(len(v) for v in value.values())
        for issue in held.issues:
            if issue.severity == "note":
                issues.append(issue)
        if issues.error_count:
            return DataSetResult(ds.key, "partial", value, count, issues.close(),
                                 f"{issues.error_count} malformed item(s); first: {issues.first_error}",
                                 refresh="delta")
        return DataSetResult(ds.key, "ok", value, count, issues.close(), "" if count else "none", refresh="delta")


class _Lookup:
    """The objects a member added to a group is filled in from (its entry holds its type and id only)."""

    def __init__(self, results: dict[str, DataSetResult]):
        self._results = results
        self._by_id: dict[str, dict[str, Any]] = {}

    def member(self, entry: dict[str, Any]) -> dict[str, Any]:
        kind = entry.get("@odata.type")
        out: dict[str, Any] = {"@odata.type": kind} if isinstance(kind, str) else {}
        out["id"] = entry["id"]
        key, fields = _MEMBER_FIELDS.get(kind.lower() if isinstance(kind, str) else "", ("", ()))
        if key:
            if key not in self._by_id:
                res = self._results.get(key)
                self._by_id[key] = {o.id: o for o in (res.value if res is not None and res.value else ())}
            obj = self._by_id[key].get(entry["id"])
            if obj is not None:
                out.update((wire, getattr(obj, attr)) for wire, attr in fields if getattr(obj, attr) is not None)
        return out


def _kept_on_delta(key: str) -> Callable[[Any, Any], Any]:
    """How a changed object keeps what delta does not send of it (a user's sign-in activity)."""
    if key != "users":
        return lambda old, new: new

    def users(old: Any, new: Any) -> Any:
        if new.sign_in_activity is None and old.sign_in_activity is not None:
            return replace(new, sign_in_activity=old.sign_in_activity)
        return new

    return users


def _merge_items(held: tuple[Any, ...], parsed: Iterable[Any], removed: set[str],
                 keep: Callable[[Any, Any], Any]) -> tuple[tuple[Any, ...], int, int]:
    """The held items with the changed ones in their places (new ones at the end) and the removed ones gone;
    the held tuple itself when nothing differs. Also how many changed (or came) and how many went."""
    items: list[Any] = list(held)
    at = {o.id: i for i, o in enumerate(items)}
    changed = 0
    for obj in parsed:
        i = at.get(obj.id)
        if i is None:
            at[obj.id] = len(items)
            items.append(obj)
            changed += 1
            continue
        new = keep(items[i], obj)
        if new != items[i]:
            items[i] = new
            changed += 1
    gone = 0
    for item_id in removed:
        i = at.pop(item_id, None)
        if i is not None:
            items[i] = None
            gone += 1
    if not changed and not gone:
        return held, 0, 0
    return tuple(o for o in items if o is not None), changed, gone


async def _numbered(pages: Any) -> Any:
    """``(number, page)`` for each page of a reader's collection, counted from 0."""
    number = 0
    async for page in pages:
        yield number, page
        number += 1


def _digest(page: Any) -> bytes | None:
    """A digest of a page's JSON (what tells an unchanged page), None for one msgspec cannot write."""
    try:
        return hashlib.sha1(msgspec.json.encode(page), usedforsecurity=False).digest()
    except (TypeError, ValueError, OverflowError, msgspec.EncodeError):
        return None


def _newest_first(signin: Any) -> tuple[int, datetime | float]:
    when = signin.created_date_time
    return (1, 0.0) if when is None else (0, -when.timestamp())


def _complete(held: DataSetResult) -> bool:
    """Whether a held result is a complete read: ``ok``, or one kept (stale) after a refresh failed whose
    only problem is that failure (what it kept was complete)."""
    if held.status == "ok":
        return True
    return (held.status == "partial" and held.refresh == "kept"
            and all(i.message.startswith(NOT_REFRESHED) for i in held.errors))


def _why(e: SourceError) -> str:
    return f"{e.title}: {e}"


def _against(held: DataSetResult | None, result: DataSetResult) -> DataSetResult:
    """A refreshed data set's result beside the one it replaces: a failed read of a data set that held
    something keeps it (:func:`keep_previous`); unchanged items of a whole read are the held objects; and
    ``changed`` says whether the value or the status differs."""
    if held is None:
        return result
    if result.status in _FAILED and result.refresh != "kept" and holds_items(held):
        result = keep_previous(held, result.message or result.status)
    elif result.refresh != "delta" and result.value is not held.value:
        result.value = _reuse(held.value, result.value)
    result.changed = result.value is not held.value or result.status != held.status
    return result


def _reuse(old: Any, new: Any) -> Any:
    """``new`` with every part equal to its counterpart in ``old`` replaced by that counterpart (by id, or by
    position for items without one): ``old`` itself when all of it is equal."""
    if old is new:
        return old
    if isinstance(old, tuple) and isinstance(new, tuple):
        by_id = {i: o for o in old if (i := getattr(o, "id", None)) is not None}
        out = []
        for n, item in enumerate(new):
            item_id = getattr(item, "id", None)
            was = by_id.get(item_id) if item_id is not None else (old[n] if n < len(old) else None)
            out.append(was if was is not None and (was is item or was == item) else item)
        if len(out) == len(old) and all(a is b for a, b in zip(out, old)):
            return old
        return tuple(out)
    if isinstance(old, dict) and isinstance(new, dict):
        merged = {k: _reuse(old[k], v) if k in old else v for k, v in new.items()}
        if merged.keys() == old.keys() and all(merged[k] is old[k] for k in merged):
            return old
        return merged
    if old is not None and new is not None and type(old) is type(new) and old == new:
        return old
    return new


def parent_keys(ds: DataSet, results: dict[str, DataSetResult], info: TenantInfo) -> list[str]:
    """The parents an item-scoped data set is read for (all of them, or the ones the console needs)."""
    parent = BY_KEY[ds.parent or ""]
    items = results[parent.key].value or ()
    ids = [i.id for i in items if getattr(i, "id", None)]
    if ds.key == "auth_methods":
        # methods matter for the emergency access accounts and for privileged role holders
        users = {u.id: u for u in items}
        by_upn = {(u.user_principal_name or "").lower(): u.id for u in items}
        wanted = {by_upn.get(ref.lower(), ref) for ref in info.break_glass}
        for key in ("role_assignments", "role_eligibility"):
            res = results.get(key)
            for a in (res.value if res is not None and res.value else ()):
                wanted.add(a.principal_id)
        return [i for i in ids if i in wanted and i in users]
    if ds.key == "app_role_assignments":
        apps = results.get("applications")
        app_ids = {a.app_id for a in (apps.value if apps is not None and apps.value else ())}
        return [sp.id for sp in items if sp.app_id in app_ids]
    return ids


def _parse_into(cls: type[Wire], page: list[Any], start: int, label: str, out: list[Any],
                issues: IssueLog) -> int:
    notes: list[WireNote] = []
    with gc_paused():
        poly = getattr(cls, "__wire_poly__", None)
        for offset, raw in enumerate(page):
            try:
                out.append(parse_one(cls, raw, (start + offset,), notes) if poly is not None
                           else cls.from_wire(raw, (start + offset,), notes))
            except WireError as e:
                if issues.room():
                    issues.append(LoadIssue(label, jsonpath(e.path), e.message))
                else:  # counted, not kept: a page of a two-million-item log of junk stays two counters
                    issues.drop(label)
    if notes:
        if issues.room("note"):
            issues.extend(LoadIssue(label, jsonpath(n.path), n.message, "note") for n in notes)
        else:
            issues.drop(label, "note", len(notes))
    return start + len(page)


def _parse_one(cls: type[Wire], raw: Any, path: JsonPath, label: str, issues: IssueLog) -> Any:
    notes: list[WireNote] = []
    try:
        return parse_one(cls, raw, path, notes)
    except WireError as e:
        issues.append(LoadIssue(label, jsonpath(e.path), e.message))
        return None
    finally:
        issues.extend(LoadIssue(label, jsonpath(n.path), n.message, "note") for n in notes)


def _crashed(ds: DataSet, e: Exception) -> DataSetResult:
    """A data set whose read raised something no reader should (a bug, JSON nested too deeply): failed,
    naming where and what, and the other data sets go on."""
    value: Any = {} if ds.per_item else (None if ds.shape == "singleton" else ())
    message = f"{ds.label}: {crash_reason(e)}"
    return DataSetResult(ds.key, "failed", value, 0, [LoadIssue(ds.label, "", crash_reason(e))], message)


def _failed(ds: DataSet, e: SourceError) -> DataSetResult:
    value: Any = {} if ds.per_item else (None if ds.shape == "singleton" else ())
    return DataSetResult(ds.key, e.status, value, 0, [LoadIssue(ds.label, "", str(e))],
                         f"{e.title}: {e}")


def _finish(ds: DataSet, value: Any, count: int, issues: IssueLog, problems: list[SourceError],
            bounded: bool, bound: int | None, *, total_parts: int, have_any: bool | None = None
            ) -> DataSetResult:
    errors = issues.error_count  # the true total, beyond the issues kept
    got_something = count > 0 if have_any is None else have_any
    if problems:
        first = problems[0]
        if not got_something and len(problems) == total_parts:
            return _failed(ds, first)
        issues.extend(LoadIssue(ds.label, "", f"{p.title}: {p}") for p in problems)
        return DataSetResult(ds.key, "partial", value, count, issues.close(),
                             f"incomplete: {first.title}: {first} (kept the {count:,} items read)")
    if bounded:
        return DataSetResult(ds.key, "partial", value, count, issues.close(),
                             f"stopped at the bound of {bound:,} items; older items were not read")
    if errors:
        return DataSetResult(ds.key, "partial", value, count, issues.close(),
                             f"{errors} malformed item(s); first: {issues.first_error}")
    return DataSetResult(ds.key, "ok", value, count, issues.close(), "" if count else "none")


def run_sync(coro: Awaitable[Tenant]) -> Tenant:
    """Run a load from synchronous code (CLI, a UI worker thread) on a fresh event loop."""
    return asyncio.run(coro)  # type: ignore[arg-type]

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
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ztconsole.datasets import BY_KEY, DATASETS, DataSet
from ztconsole.gcpause import gc_paused
from ztconsole.jsonscan import crash_reason
from ztconsole.model.tenant import (
    DataSetResult,
    IssueLog,
    LoadIssue,
    Status,
    Tenant,
    TenantInfo,
    apply_recorded,
    arm_key,
)
from ztconsole.model.wire import JsonPath, Wire, WireError, WireNote, jsonpath, parse_one
from ztconsole.sources.base import Reader, ReadOptions
from ztconsole.sources.errors import SourceError


class Recorder(Protocol):
    """Receives the raw wire items as they are read (``snapshot`` writes them to a tenant directory)."""

    def collection(self, ds: DataSet, sub: str, parent: str, items: list[Any], last: bool) -> None: ...

    def single(self, ds: DataSet, sub: str, parent: str, obj: Any) -> None: ...


@dataclass
class _State:
    results: dict[str, DataSetResult] = field(default_factory=dict)
    done: dict[str, asyncio.Event] = field(default_factory=dict)


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
                   on_start: Callable[[DataSet], None] | None = None) -> Tenant:
        wanted = [BY_KEY[k] for k in keys] if keys else list(DATASETS)
        # a child needs its parent (and what selects its parents) loaded first, even when only the
        # child was asked for
        for ds in list(wanted):
            for need in _needs(ds):
                if BY_KEY[need] not in wanted:
                    wanted.insert(0, BY_KEY[need])
        state = _State(done={ds.key: asyncio.Event() for ds in wanted})
        gate = asyncio.Semaphore(self.concurrency)
        recorded = {key: (status, message) for key, status, message in self.info.recorded}

        async def run(ds: DataSet) -> None:
            for need in _needs(ds):
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
        if ds.per_item:
            return await self._load_children(ds, reader, state)
        if ds.shape == "singleton":
            return await self._load_single(ds, reader)
        return await self._load_collection(ds, reader)

    async def _load_collection(self, ds: DataSet, reader: Reader) -> DataSetResult:
        cls = ds.model_class()
        issues = IssueLog()
        items: list[Any] = []
        problems: list[SourceError] = []
        bounded = False
        subs = self.info.subscriptions if ds.per_subscription else ("",)
        for sub in subs:
            label = ds.file_path(sub=sub)[:-5]
            index = 0
            pages = reader.collection(ds, sub=sub, options=self.options)
            try:
                async for page in pages:
                    if self.recorder is not None:
                        self.recorder.collection(ds, sub, "", page, last=False)
                    index = _parse_into(cls, page, index, label, items, issues)
                    if self.options.max_items and len(items) >= self.options.max_items:
                        bounded = True
                        break
            except SourceError as e:
                problems.append(e.with_permission(ds.permission))
            finally:
                await pages.aclose()  # type: ignore[attr-defined]
                if self.recorder is not None:
                    self.recorder.collection(ds, sub, "", [], last=True)
        result = _finish(ds, tuple(items), len(items), issues, problems, bounded,
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
        try:
            async for parent, got in reader.many(ds, parents, options=self.options):
                label = ds.file_path(parent=parent)[:-5]
                key = arm_key(parent) if ds.api == "arm" else parent
                if ds.shape == "singleton":
                    if got is None:
                        continue
                    if self.recorder is not None:
                        self.recorder.single(ds, "", parent, got)
                    obj = _parse_one(cls, got, (), label, issues)
                    if obj is not None:
                        value[key] = obj
                        count += 1
                else:
                    if not got:
                        continue  # an empty collection is the same as none recorded
                    if self.recorder is not None:
                        self.recorder.collection(ds, "", parent, got, last=True)
                    objs: list[Any] = []
                    _parse_into(cls, got, 0, label, objs, issues)
                    value[key] = tuple(objs)
                    count += len(objs)
        except SourceError as e:
            problems.append(e.with_permission(ds.permission))
        return _finish(ds, value, count, issues, problems, False, None, total_parts=1,
                       have_any=bool(value))


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

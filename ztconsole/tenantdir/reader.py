"""Reading a tenant directory (CONTRACTS §1) into model objects.

Every data set is read independently: a broken file loses that file, a malformed item loses that item,
and everything else still loads. Large collection files are decoded one array element at a time, so a
100,000-item sign-in log never exists as one tree of dicts.

Only files inside the directory are read: a symbolic link (file or directory) that resolves outside it
is refused with a load issue naming it, never followed silently. Data sets the recording did not read
completely (``[datasets]`` of tenant.toml) read back with the status they were recorded with.
"""

from __future__ import annotations

import functools
import json
import os
import re
import threading
import time
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, cast

import msgspec
from msgspec import Meta

from ztconsole import tomlschema
from ztconsole.datasets import BY_KEY, DATASETS, DataSet
from ztconsole.gcpause import gc_paused
from ztconsole.jsonscan import JsonArrayError, as_text, crash_reason, iter_json_array, skip_ws
from ztconsole.model.tenant import (
    MAX_ISSUES,
    RECORDED_STATUSES,
    DataSetResult,
    IssueLog,
    LoadIssue,
    Status,
    Tenant,
    TenantInfo,
    apply_recorded,
    arm_key,
)
from ztconsole.model.wire import Wire, WireError, WireNote, jsonpath, parse_one, unwrap_collection, unwrap_single

FORMAT_VERSION = 1
DEFAULT_WORKERS = 4  # data sets read at once

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class TenantDirError(Exception):
    """The directory cannot be used as a tenant directory; ``str()`` names the file, line/key and cause."""


class LinkOutside(TenantDirError):
    """A file of the tenant directory resolves (through a symbolic link) outside it: never read."""


OUTSIDE = "links outside the tenant directory"


def inside(real: str, root_real: str) -> bool:
    """Whether the resolved path ``real`` is the resolved directory ``root_real`` or lies under it."""
    return real == root_real or real.startswith(root_real.rstrip(os.sep) + os.sep)


@functools.cache
def _record_keys() -> dict[str, str]:
    """Normalised ``[datasets]`` key (``{sub}``, ``{parent}``; ARM lower-cased) -> data set key."""
    out: dict[str, str] = {}
    for ds in DATASETS:
        key = ds.file_path(sub="{sub}", parent="{parent}")[:-5]
        out[key.lower() if ds.api == "arm" else key] = ds.key
    return out


_ARM_SUB = re.compile(r"^arm/subscriptions/([^/]+)/")


def dataset_for_record_key(key: str) -> DataSet | None:
    """The data set a ``[datasets]`` key names, or None. Accepted in place of the subscription id:
    ``<sub>``, ``{sub}`` or a literal subscription id; of a parent id: ``<id>`` or ``{parent}``. ARM keys
    are matched case-insensitively, Graph keys exactly (as their files are)."""
    k = key.replace("<sub>", "{sub}").replace("<id>", "{parent}")
    if k[:4].lower() == "arm/":
        k = k.lower()
        m = _ARM_SUB.match(k)
        if m and _UUID.match(m.group(1)):
            k = f"arm/subscriptions/{{sub}}/{k[m.end():]}"
    hit = _record_keys().get(k)
    return BY_KEY[hit] if hit is not None else None


@functools.cache
def _file_segments(ds: DataSet) -> tuple[str, ...]:
    """The data set's file path as segments, ``*`` standing for one free segment (a subscription id, a
    Graph parent id, a resource group or name inside an ARM parent's resource id); ARM lower-cased."""
    if ds.per_item and ds.api == "arm":
        parent = BY_KEY[ds.parent]  # type: ignore[index]
        id_path = parent.path.replace("{sub}", "*")
        if "/providers/" in id_path:
            head, _, tail = id_path.partition("/providers/")
            id_path = f"{head}/resourceGroups/*/providers/{tail}"
        path = f"arm/{id_path}/*{ds.path.split('{parent}', 1)[1]}.json"
    else:
        path = ds.file_path(sub="*", parent="*")
    return tuple(path.lower().split("/") if ds.api == "arm" else path.split("/"))


def _could_hold(ds: DataSet, rel_dir: str) -> bool:
    """Whether a file of ``ds`` could lie under the directory ``rel_dir`` (a refused directory)."""
    segs = _file_segments(ds)
    parts = rel_dir.lower().split("/") if ds.api == "arm" else rel_dir.split("/")
    if len(parts) >= len(segs):
        return False
    return all(t == "*" or t == d for t, d in zip(segs, parts))


#: :data:`~ztconsole.jsonscan.skip_ws` for bytes
_skip_ws_bytes = cast(Callable[[bytes, int], "re.Match[bytes]"], re.compile(rb"[ \t\n\r]*").match)


def _first_char(data: str | bytes) -> str:
    """The first character of ``data`` that is not JSON white space ("" when there is none)."""
    if isinstance(data, str):
        i = skip_ws(data, 0).end()
        return data[i:i + 1]
    i = _skip_ws_bytes(data, 0).end()
    return data[i:i + 1].decode("latin-1")


class _Notes(list[WireNote]):
    """The notes list handed to ``from_wire``, bounded like :class:`IssueLog` (the rest counted)."""

    def __init__(self) -> None:
        super().__init__()
        self.dropped = 0

    def append(self, note: WireNote) -> None:
        if len(self) < MAX_ISSUES:
            super().append(note)
        else:
            self.dropped += 1


@dataclass(frozen=True, slots=True)
class _Located:
    rel: str  # path relative to the root, forward slashes, as on disk
    parent: str  # the parent key for item-scoped data sets ("" otherwise)




def _parent_pattern(ds: DataSet) -> re.Pattern[str]:
    """A regex over lower-cased relative paths that finds an item-scoped data set's files."""
    parent = BY_KEY[ds.parent]  # type: ignore[index]
    suffix = ds.path.split("{parent}", 1)[1].lower()
    if ds.api == "graph":
        before = ds.path.split("{parent}", 1)[0].lower()
        return re.compile(
            rf"^graph/{re.escape(ds.version.lower())}/{re.escape(before)}([^/]+){re.escape(suffix)}\.json$"
        )
    # ARM: the parent's id is its collection path plus a name, with resourceGroups/<rg> before providers/
    coll = re.escape(parent.path.lower()).replace(re.escape("{sub}"), "[^/]+")
    if "/providers/" in parent.path.lower() and "{parent}" not in parent.path:
        head, _, tail = coll.partition(re.escape("/providers/"))
        coll = f"{head}/resourcegroups/[^/]+{re.escape('/providers/')}{tail}"
    elif "{parent}" in parent.path:
        raise ValueError(f"nested item-scoped data sets are not supported: {ds.key}")
    return re.compile(rf"^arm/({coll}/[^/]+){re.escape(suffix)}\.json$")


class TenantDir:
    """An opened tenant directory. Thread-safe: data sets may be read concurrently."""

    def __init__(self, root: Path, info: TenantInfo):
        self.root = root
        self.info = info
        self._index: dict[str, str] | None = None
        self._outside: set[str] = set()  # indexed files that resolve outside the directory: refused
        self._refused_dirs: dict[str, str] = {}  # directory (relative path) not walked -> why
        self._lock = threading.Lock()

    # --- opening ---------------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> TenantDir:
        root = Path(path)
        if not root.is_dir():
            raise TenantDirError(f"{root}: not a directory")
        meta = root / "tenant.toml"
        if not meta.is_file():
            raise TenantDirError(f"{meta}: missing (a tenant directory starts with tenant.toml)")
        if meta.is_symlink() and not inside(os.path.realpath(meta), os.path.realpath(root)):
            raise LinkOutside(f"{meta}: {OUTSIDE}")
        return cls(root, read_tenant_toml(meta))

    # --- files -----------------------------------------------------------------------------------
    def _files(self) -> dict[str, str]:
        """Lower-cased relative path -> path on disk (ARM paths are case-insensitive)."""
        with self._lock:
            if self._index is None:
                self._index = self._scan()
            return self._index

    def _scan(self) -> dict[str, str]:
        """Index the JSON files under ``graph/`` and ``arm/``, deciding on the way what may be read.

        Symbolic links are resolved where they are met (``scandir`` says which entries are links, so a
        directory without links costs no extra system call). A link that resolves inside the directory is
        read like any other entry: a directory link is walked once, and one leading back to a directory
        that contains it (a loop) adds nothing and is skipped. A link that resolves outside is refused:
        a file link is indexed, so its data set finds it and reports it (:meth:`safe_path`); a directory
        link is not walked at all (nor is a directory that cannot be listed) and is kept in
        ``_refused_dirs``, so the data sets whose files could lie under it say so.
        """
        root_real = os.path.realpath(self.root)
        index: dict[str, str] = {}
        todo: list[tuple[str, str]] = []  # directories to list: (path, relative path)
        followed: set[str] = set()  # resolved targets of the directory links walked

        def entry(path: str, rel: str, link: bool, is_dir: bool) -> None:
            if link:
                real = os.path.realpath(path)
                is_dir = os.path.isdir(real)
                if not inside(real, root_real):
                    if is_dir:
                        self._refused_dirs[rel] = OUTSIDE
                    elif rel.endswith(".json"):
                        index.setdefault(rel.lower(), rel)
                        self._outside.add(rel)
                    return
                if is_dir and (real in followed or inside(os.path.realpath(os.path.dirname(path)), real)):
                    return  # a loop, or a directory already walked through another link
                if is_dir:
                    followed.add(real)
            if is_dir:
                todo.append((path, rel))
            elif rel.endswith(".json"):
                index.setdefault(rel.lower(), rel)

        for top in ("graph", "arm"):
            path = os.path.join(self.root, top)
            if os.path.lexists(path):
                entry(path, top, os.path.islink(path), os.path.isdir(path))
        while todo:
            path, rel = todo.pop()
            try:
                listing = os.scandir(path)
            except OSError as e:
                self._refused_dirs[rel] = f"cannot be listed: {e.strerror or e}"
                continue
            with listing:
                for found in listing:
                    entry(found.path, f"{rel}/{found.name}", found.is_symlink(), found.is_dir(follow_symlinks=False))
        return index

    def safe_path(self, rel: str) -> Path:
        """The path of the indexed file ``rel``; raises :class:`LinkOutside` when it resolves outside the
        tenant directory. The one check of every reader of the directory (this one and the emulator's)."""
        return Path(self._safe(rel))

    def _safe(self, rel: str) -> str:
        """:meth:`safe_path` as a string (no path object for each of thousands of files)."""
        self._files()
        if rel in self._outside:
            raise LinkOutside(f"{rel}: {OUTSIDE}")
        return os.path.join(self.root, rel)

    def refused_dir(self, rel: str) -> tuple[str, str] | None:
        """``(directory, why)`` when the file ``rel`` (not indexed) would lie in a directory that was
        not walked (a link outside the tenant directory, or unlistable); None otherwise."""
        self._files()
        low = rel.lower()
        for d, why in self._refused_dirs.items():
            if low.startswith(d.lower() + "/"):
                return d, why
        return None

    def _find(self, rel: str, api: str) -> str | None:
        files = self._files()
        if api == "arm":
            return files.get(rel.lower())
        hit = files.get(rel.lower())
        return hit if hit == rel else None

    def locate(self, ds: DataSet) -> list[_Located]:
        """The files that hold a data set, in a stable order."""
        if ds.per_item:
            pattern = _parent_pattern(ds)
            out = []
            for low, rel in sorted(self._files().items()):
                m = pattern.match(low)
                if m:
                    if ds.api == "graph":
                        start = m.start(1)
                        parent = rel[start:start + len(m.group(1))]
                    else:
                        parent = arm_key(m.group(1))
                    out.append(_Located(rel, parent))
            return out
        subs = self.info.subscriptions if ds.per_subscription else ("",)
        out = []
        for sub in subs:
            hit = self._find(ds.file_path(sub=sub), ds.api)
            if hit is not None:
                out.append(_Located(hit, ""))
        return out

    # --- reading ---------------------------------------------------------------------------------
    def read(self, ds: DataSet) -> DataSetResult:
        """Read and parse one data set. Never raises for bad content: problems become issues."""
        with gc_paused():
            return self._read(ds)

    def load(self, *, keys: list[str] | None = None, workers: int = DEFAULT_WORKERS,
             on_start: Callable[[DataSet], None] | None = None,
             on_result: Callable[[DataSetResult], None] | None = None) -> Tenant:
        """Read every data set straight from the files (blocking; callbacks from worker threads)."""
        return Tenant(self.info, read_all(self, keys, workers, on_start, on_result))

    def _read(self, ds: DataSet) -> DataSetResult:
        started = time.perf_counter()
        cls = ds.model_class()
        issues = IssueLog()
        located = self.locate(ds)
        failed_files = 0
        # a directory not walked (a link outside, unlistable) may have held files of this data set
        for rel_dir, why in self._refused_dirs.items():
            if _could_hold(ds, rel_dir):
                issues.append(LoadIssue(rel_dir, "", why))
                failed_files += 1
        parts = len(located) + failed_files
        if ds.per_item:
            value: Any = {}
            count = 0
            for loc in located:
                got = self._read_file(loc.rel, ds, cls, issues)
                if got is None:
                    failed_files += 1
                    continue
                if ds.shape == "singleton":
                    value[loc.parent] = got
                    count += 1
                elif got:  # an empty collection is the same as none recorded (CONTRACTS §1)
                    value[loc.parent] = tuple(got)
                    count += len(got)
        elif ds.shape == "singleton":
            value = None
            count = 0
            for loc in located:
                got = self._read_file(loc.rel, ds, cls, issues)
                if got is None:
                    failed_files += 1
                else:
                    value, count = got, 1
        else:
            items: list[Any] = []
            for loc in located:
                got = self._read_file(loc.rel, ds, cls, issues)
                if got is None:
                    failed_files += 1
                else:
                    items.extend(got)
            value, count = tuple(items), len(items)
        first = issues.first_error
        status: Status
        if failed_files and failed_files == parts:
            status, message = "failed", str(first) if first else "unreadable"
        elif issues.error_count:
            status = "partial"
            message = f"{issues.error_count} problem(s); first: {first}"
        elif ds.shape == "singleton" and not ds.per_item and value is None:
            status, message = "missing", f"{ds.file_path()}: not recorded (not readable)"
        else:
            status, message = "ok", "" if located else "none recorded"
        result = DataSetResult(ds.key, status, value, count, issues.close(), message,
                               time.perf_counter() - started)
        recorded = self.info.recorded_status(ds.key)
        return apply_recorded(result, *recorded) if recorded is not None else result

    def _read_file(self, rel: str, ds: DataSet, cls: type[Wire], issues: IssueLog) -> Any:
        """Parse one file; None when nothing in it could be read."""
        try:
            data = self._data(rel)
        except LinkOutside:
            issues.append(LoadIssue(rel, "", OUTSIDE))
            return None
        except (OSError, UnicodeDecodeError) as e:
            issues.append(LoadIssue(rel, "", f"cannot read: {e}"))
            return None
        notes = _Notes()
        try:
            if ds.shape == "singleton":
                try:
                    body = json.loads(as_text(data))
                except json.JSONDecodeError as e:
                    issues.append(LoadIssue(rel, "", f"line {e.lineno} column {e.colno}: {e.msg}"))
                    return None
                try:
                    return parse_one(cls, unwrap_single(body), (), notes)
                except WireError as e:
                    issues.append(LoadIssue(rel, jsonpath(e.path), e.message))
                    return None
            return self._read_collection(rel, data, cls, issues, notes)
        except RecursionError as e:  # JSON nested deeper than the decoder follows: this file only
            issues.append(LoadIssue(rel, "", f"not valid JSON: {crash_reason(e)}"))
            return None
        finally:
            issues.extend(LoadIssue(rel, jsonpath(n.path), n.message, "note") for n in notes)
            if notes.dropped:
                issues.drop(rel, "note", notes.dropped)

    def _data(self, rel: str) -> str | bytes:
        """The file's content: its bytes, checked to be UTF-8 (``UnicodeDecodeError`` as reading it as
        text would raise). The bytes go to the decoder as they are: no copy of the text is made."""
        with open(self._safe(rel), "rb") as f:
            data = f.read()
        if not data.isascii():
            data.decode("utf-8")  # the check only (ASCII, the usual case, is UTF-8 as it is)
        return data

    def _read_collection(self, rel: str, data: str | bytes, cls: type[Wire], issues: IssueLog,
                         notes: list[WireNote]) -> list[Any] | None:
        out: list[Any] = []
        if _first_char(data) == "{":
            # a raw Graph/ARM page saved as is: accept its "value" array
            try:
                items, base = unwrap_collection(json.loads(as_text(data)))
            except json.JSONDecodeError as e:
                issues.append(LoadIssue(rel, "", f"line {e.lineno} column {e.colno}: {e.msg}"))
                return None
            except WireError as e:
                issues.append(LoadIssue(rel, jsonpath(e.path), e.message))
                return None
            source: Any = iter(items)
        else:
            base = ()
            source = iter_json_array(data)
        poly = getattr(cls, "__wire_poly__", None)
        build: Callable[..., Any] = cls.from_wire if poly is None else (
            lambda obj, p, n: parse_one(cls, obj, p, n))
        append = out.append
        i = -1
        try:
            for i, item in enumerate(source):
                try:
                    append(build(item, base + (i,) if base else (i,), notes))
                except WireError as e:
                    if issues.room():
                        issues.append(LoadIssue(rel, jsonpath(e.path), e.message))
                    else:
                        issues.drop(rel)
        except (JsonArrayError, RecursionError) as e:  # the array cannot be followed past this point
            where = "" if isinstance(e, JsonArrayError) else jsonpath(base + (i + 1,))
            issues.append(LoadIssue(rel, where, f"not valid JSON: {e if where == '' else crash_reason(e)}"))
            if not out:
                return None
            issues.append(LoadIssue(rel, "", f"kept the {len(out)} item(s) before the damage"))
        return out


class TenantFiles(TenantDir):
    """A tenant directory held in memory: ``{relative path: JSON value}`` as a tenant directory holds it
    (e.g. what :func:`ztconsole.demo.contoso.build_files` produces before writing). Read exactly as files
    on disk are, with the same per-data-set statuses."""

    def __init__(self, files: Mapping[str, Any], info: TenantInfo):
        super().__init__(Path("<memory>"), info)
        self._values = files
        self._index = {}
        for rel in files:
            if rel.endswith(".json") and rel.split("/", 1)[0] in ("graph", "arm"):
                self._index.setdefault(rel.lower(), rel)

    def _data(self, rel: str) -> str | bytes:
        return json.dumps(self._values[rel])


def read_all(reader: Any, keys: list[str] | None = None, workers: int = DEFAULT_WORKERS,
             on_start: Callable[[DataSet], None] | None = None,
             on_result: Callable[[DataSetResult], None] | None = None) -> dict[str, DataSetResult]:
    """Read data sets through ``reader.read(ds)``, ``workers`` at a time, with progress callbacks.

    A read that raises (a bug, not bad content: bad content is reported inside the result) fails its own
    data set with the exception named, and the others go on.
    """
    from concurrent.futures import ThreadPoolExecutor

    wanted = [BY_KEY[k] for k in keys] if keys else list(DATASETS)

    def one(ds: DataSet) -> DataSetResult:
        if on_start is not None:
            on_start(ds)
        try:
            result: DataSetResult = reader.read(ds)
        except MemoryError:
            raise
        except Exception as e:  # noqa: BLE001 - one data set's crash must not take the others down
            result = DataSetResult(ds.key, "failed", None, 0, [LoadIssue(ds.label, "", crash_reason(e))],
                                   crash_reason(e))
        if on_result is not None:
            on_result(result)
        return result

    if workers <= 1:
        return {ds.key: one(ds) for ds in wanted}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return {r.key: r for r in pool.map(one, wanted)}


# --- tenant.toml (CONTRACTS §1) -----------------------------------------------------------------------
# Its shape as msgspec Structs (checked by ztconsole.tomlschema); the rules that span keys (the format
# version, what a [datasets] key names) are code in read_tenant_toml. Keys the format does not name are
# ignored, as unknown properties of the wire JSON are: a recording made by other hands or a later version
# must still open.

_Guid = Annotated[str, Meta(pattern=_UUID.pattern, extra={"expected": "a GUID"})]
_RecordedStatus = Literal[RECORDED_STATUSES]  # type: ignore[valid-type]  # the model's tuple, unpacked at run time
_Timestamp = Annotated[datetime, Meta(extra={"expected": "an RFC 3339 date-time (2026-11-22T10:00:00Z)"})]


class _TenantTable(msgspec.Struct):
    id: _Guid
    display_name: str
    default_domain: str = ""


class _AzureTable(msgspec.Struct):
    subscriptions: list[_Guid] = []


class _CaptureTable(msgspec.Struct):
    captured_at: _Timestamp | None = None
    source: Literal["demo", "live", "synthetic"] = "live"


class _BreakGlassTable(msgspec.Struct):
    accounts: list[str] = []


class _RecordedTable(msgspec.Struct, forbid_unknown_fields=True):
    """One ``[datasets."<file path>"]`` table: a data set the recording did not read completely."""

    status: _RecordedStatus
    message: str = ""


_Recorded = Annotated[_RecordedTable, Meta(extra={"expected": "a table with status and message"})]


class _TenantToml(msgspec.Struct):
    format: int
    tenant: _TenantTable
    azure: _AzureTable = msgspec.field(default_factory=_AzureTable)
    capture: _CaptureTable = msgspec.field(default_factory=_CaptureTable)
    break_glass: _BreakGlassTable = msgspec.field(default_factory=_BreakGlassTable)
    datasets: dict[str, _Recorded] = {}


def read_tenant_toml(path: Path) -> TenantInfo:
    """Parse and check ``tenant.toml``; every problem is reported at once, each naming the file, line and
    key."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise TenantDirError(f"{name}: {e}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise TenantDirError(f"{name}: cannot read: {e}") from None
    report = tomlschema.validate(data, _TenantToml)
    doc = report.value
    if doc.format is not None and doc.format != FORMAT_VERSION:
        report.add(("format",), f"format {doc.format} is not supported (this ztconsole reads format "
                   f"{FORMAT_VERSION})")
    recorded = _read_recorded(doc.datasets, report)
    if report.problems:
        raise TenantDirError("\n".join(found.sentence() for found in report.locate(text, name)))
    captured = doc.capture.captured_at
    if captured is not None and captured.tzinfo is None:
        captured = captured.replace(tzinfo=UTC)
    return TenantInfo(id=doc.tenant.id, display_name=doc.tenant.display_name,
                      default_domain=doc.tenant.default_domain, subscriptions=tuple(doc.azure.subscriptions),
                      captured_at=captured.astimezone(UTC) if captured else None,
                      source=doc.capture.source, break_glass=tuple(doc.break_glass.accounts),
                      recorded=recorded)


def _read_recorded(table: Mapping[str, _RecordedTable],
                   report: tomlschema.Report[_TenantToml]) -> tuple[tuple[str, Status, str], ...]:
    """``[datasets]``: the status of each data set the recording did not read completely, as
    ``(data set key, status, message)`` in catalogue order; a key that names no data set, or the same one
    as another key, is a problem in ``report``."""
    found: dict[str, tuple[str, Status, str]] = {}
    for key, entry in table.items():
        where = ("datasets", key)
        label = tomlschema.label(where, table=True)
        ds = dataset_for_record_key(key)
        if ds is None:
            report.add(where, f"{label} names no data set (the key is a data set's file path without .json, "
                       f"e.g. \"graph/v1.0/users\", with <id> for a parent id and <sub> for a subscription)")
        elif ds.key in found:
            first = tomlschema.label(("datasets", found[ds.key][0]), table=True)
            report.add(where, f"{label} names the same data set as {first}")
        else:
            found[ds.key] = (key, entry.status, entry.message)
    return tuple((ds.key, found[ds.key][1], found[ds.key][2]) for ds in DATASETS if ds.key in found)


def load_tenant(path: str | os.PathLike[str], *, keys: list[str] | None = None,
                workers: int = 1,
                progress: Callable[[DataSetResult], None] | None = None) -> Tenant:
    """Open a tenant directory and read every data set (``workers`` at a time)."""
    td = TenantDir.open(path)
    return Tenant(td.info, read_all(td, keys, workers, None, progress))

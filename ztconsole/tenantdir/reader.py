"""Reading a tenant directory (CONTRACTS §1) into model objects.

Every data set is read independently: a broken file loses that file, a malformed item loses that item,
and everything else still loads. Large collection files are decoded one array element at a time, so a
100,000-item sign-in log never exists as one tree of dicts.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import re
import threading
import time
import tomllib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from ztconsole.datasets import BY_KEY, DATASETS, DataSet
from ztconsole.model.tenant import DataSetResult, LoadIssue, Tenant, TenantInfo, arm_key
from ztconsole.model.wire import WireError, jsonpath, parse_one, unwrap_collection, unwrap_single

FORMAT_VERSION = 1
DEFAULT_WORKERS = 4  # data sets read at once

_WS = re.compile(r"[ \t\n\r]*")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


_gc_lock = threading.Lock()
_gc_depth = 0
_gc_was_enabled = False


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while model objects are built (thread-safe, nestable).

    Parsing creates no reference cycles (decoded dicts are freed by reference counting), but every
    object it keeps makes each collection slower: on the large tenant the collector cost 1.5 s of 5.
    When the last reader finishes, the objects built are frozen out of future collections and the
    collector is restored as it was.
    """
    global _gc_depth, _gc_was_enabled
    with _gc_lock:
        if _gc_depth == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_depth += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_depth -= 1
            if _gc_depth == 0 and _gc_was_enabled:
                gc.freeze()
                gc.enable()


class TenantDirError(Exception):
    """The directory cannot be used as a tenant directory; ``str()`` names the file, line/key and cause."""


@dataclass(frozen=True, slots=True)
class _Located:
    rel: str  # path relative to the root, forward slashes, as on disk
    parent: str  # the parent key for item-scoped data sets ("" otherwise)


class JsonArrayError(ValueError):
    def __init__(self, message: str, pos: int, text: str):
        line = text.count("\n", 0, pos) + 1
        col = pos - (text.rfind("\n", 0, pos) + 1) + 1
        super().__init__(f"line {line} column {col}: {message}")


def iter_json_array(text: str) -> Iterator[Any]:
    """Decode a JSON array element by element (C scanner per element; the array is never whole)."""
    return (obj for obj, _, _ in iter_json_array_spans(text))


def iter_json_array_spans(text: str, start: int = 0) -> Iterator[tuple[Any, int, int]]:
    """Each element of the JSON array opening at or after ``text[start]`` as ``(value, begin, end)``, where
    ``text[begin:end]`` is the element's own text; the array must close the text (JsonArrayError)."""
    scan = json.JSONDecoder().scan_once
    ws = _WS.match
    idx = ws(text, start).end()
    if idx >= len(text) or text[idx] != "[":
        raise JsonArrayError("expected a JSON array", idx, text)
    idx = ws(text, idx + 1).end()
    if idx < len(text) and text[idx] == "]":
        end = ws(text, idx + 1).end()
        if end != len(text):
            raise JsonArrayError("extra data after the array", end, text)
        return
    while True:
        if idx >= len(text):
            raise JsonArrayError("the file ends before the array is closed (truncated?)", idx, text)
        try:
            obj, end = scan(text, idx)
        except StopIteration as e:
            raise JsonArrayError("expected a value", e.value, text) from None
        except json.JSONDecodeError as e:
            raise JsonArrayError(e.msg, e.pos, text) from None
        yield obj, idx, end
        idx = ws(text, end).end()
        if idx >= len(text):
            raise JsonArrayError("the file ends before the array is closed (truncated?)", idx, text)
        c = text[idx]
        if c == ",":
            idx = ws(text, idx + 1).end()
            continue
        if c == "]":
            end = ws(text, idx + 1).end()
            if end != len(text):
                raise JsonArrayError("extra data after the array", end, text)
            return
        raise JsonArrayError("expected ',' or ']'", idx, text)


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
        self._lock = threading.Lock()

    # --- opening ---------------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> "TenantDir":
        root = Path(path)
        if not root.is_dir():
            raise TenantDirError(f"{root}: not a directory")
        meta = root / "tenant.toml"
        if not meta.is_file():
            raise TenantDirError(f"{meta}: missing (a tenant directory starts with tenant.toml)")
        return cls(root, read_tenant_toml(meta))

    # --- files -----------------------------------------------------------------------------------
    def _files(self) -> dict[str, str]:
        """Lower-cased relative path -> path on disk (ARM paths are case-insensitive)."""
        with self._lock:
            if self._index is None:
                index: dict[str, str] = {}
                for top in ("graph", "arm"):
                    base = self.root / top
                    if not base.is_dir():
                        continue
                    for dirpath, _dirs, files in os.walk(base):
                        rel_dir = os.path.relpath(dirpath, self.root).replace(os.sep, "/")
                        for name in files:
                            if name.endswith(".json"):
                                rel = f"{rel_dir}/{name}"
                                index.setdefault(rel.lower(), rel)
                self._index = index
            return self._index

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
            rel = self._find(ds.file_path(sub=sub), ds.api)
            if rel is not None:
                out.append(_Located(rel, ""))
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
        issues: list[LoadIssue] = []
        located = self.locate(ds)
        failed_files = 0
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
        errors = [i for i in issues if i.severity == "error"]
        if failed_files and failed_files == len(located):
            status, message = "failed", str(errors[0]) if errors else "unreadable"
        elif errors:
            status = "partial"
            message = f"{len(errors)} problem(s); first: {errors[0]}"
        elif ds.shape == "singleton" and not ds.per_item and value is None:
            status, message = "missing", f"{ds.file_path()}: not recorded (not readable)"
        else:
            status, message = "ok", "" if located else "none recorded"
        return DataSetResult(ds.key, status, value, count, issues, message,
                             time.perf_counter() - started)

    def _read_file(self, rel: str, ds: DataSet, cls: type, issues: list[LoadIssue]) -> Any:
        """Parse one file; None when nothing in it could be read."""
        try:
            text = self._text(rel)
        except (OSError, UnicodeDecodeError) as e:
            issues.append(LoadIssue(rel, "", f"cannot read: {e}"))
            return None
        notes: list = []
        try:
            if ds.shape == "singleton":
                try:
                    body = json.loads(text)
                except json.JSONDecodeError as e:
                    issues.append(LoadIssue(rel, "", f"line {e.lineno} column {e.colno}: {e.msg}"))
                    return None
                try:
                    return parse_one(cls, unwrap_single(body), (), notes)
                except WireError as e:
                    issues.append(LoadIssue(rel, jsonpath(e.path), e.message))
                    return None
            return self._read_collection(rel, text, cls, issues, notes)
        finally:
            issues.extend(LoadIssue(rel, jsonpath(n.path), n.message, "note") for n in notes)

    def _text(self, rel: str) -> str:
        return (self.root / rel).read_text(encoding="utf-8")

    def _read_collection(self, rel: str, text: str, cls: type, issues: list[LoadIssue],
                         notes: list) -> list[Any] | None:
        out: list[Any] = []
        head = _WS.match(text, 0).end()
        if text[head:head + 1] == "{":
            # a raw Graph/ARM page saved as is: accept its "value" array
            try:
                items, base = unwrap_collection(json.loads(text))
            except json.JSONDecodeError as e:
                issues.append(LoadIssue(rel, "", f"line {e.lineno} column {e.colno}: {e.msg}"))
                return None
            except WireError as e:
                issues.append(LoadIssue(rel, jsonpath(e.path), e.message))
                return None
            source: Any = iter(items)
        else:
            base = ()
            source = iter_json_array(text)
        poly = getattr(cls, "__wire_poly__", None)
        build: Callable[..., Any] = cls.from_wire if poly is None else (
            lambda obj, p, n: parse_one(cls, obj, p, n))
        i = 0
        try:
            for i, item in enumerate(source):
                try:
                    out.append(build(item, base + (i,), notes))
                except WireError as e:
                    issues.append(LoadIssue(rel, jsonpath(e.path), e.message))
        except JsonArrayError as e:
            issues.append(LoadIssue(rel, "", f"not valid JSON: {e}"))
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

    def _text(self, rel: str) -> str:
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
            result = reader.read(ds)
        except Exception as e:  # noqa: BLE001 - one data set's crash must not take the others down
            result = DataSetResult(ds.key, "failed", None, 0, [], f"{type(e).__name__}: {e}")
        if on_result is not None:
            on_result(result)
        return result

    if workers <= 1:
        return {ds.key: one(ds) for ds in wanted}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return {r.key: r for r in pool.map(one, wanted)}


def read_tenant_toml(path: Path) -> TenantInfo:
    """Parse and check ``tenant.toml``; every problem names the file, line and key."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise TenantDirError(f"{name}: {e}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise TenantDirError(f"{name}: cannot read: {e}") from None

    def where(table: str, key: str) -> str:
        line = _line_of(text, table, key)
        return f"{name}:{line}" if line else name

    def need(table: str, key: str, kind: type, required: bool = True) -> Any:
        tbl = data.get(table, {}) if table else data
        if not isinstance(tbl, dict):
            raise TenantDirError(f"{where('', table)}: [{table}] must be a table")
        if key not in tbl:
            if required:
                label = f"[{table}] {key}" if table else key
                raise TenantDirError(f"{where(table, key)}: required key {label} is missing")
            return None
        val = tbl[key]
        if not isinstance(val, kind) or (kind is int and isinstance(val, bool)):
            label = f"[{table}] {key}" if table else key
            what = "a string or a datetime" if isinstance(kind, tuple) else f"a {kind.__name__}"
            raise TenantDirError(f"{where(table, key)}: {label} must be {what}")
        return val

    fmt = need("", "format", int)
    if fmt != FORMAT_VERSION:
        raise TenantDirError(
            f"{where('', 'format')}: format {fmt} is not supported (this ztconsole reads format "
            f"{FORMAT_VERSION})")
    tid = need("tenant", "id", str)
    if not _UUID.match(tid):
        raise TenantDirError(f"{where('tenant', 'id')}: [tenant] id must be a GUID, got {tid!r}")
    display = need("tenant", "display_name", str)
    domain = need("tenant", "default_domain", str, required=False) or ""
    subs = need("azure", "subscriptions", list, required=False) or []
    for s in subs:
        if not isinstance(s, str) or not _UUID.match(s):
            raise TenantDirError(
                f"{where('azure', 'subscriptions')}: [azure] subscriptions must be GUIDs, got {s!r}")
    captured_raw = need("capture", "captured_at", (str, datetime), required=False)  # type: ignore[arg-type]
    captured: datetime | None = None
    if isinstance(captured_raw, datetime):
        captured = captured_raw if captured_raw.tzinfo else captured_raw.replace(tzinfo=timezone.utc)
    elif isinstance(captured_raw, str):
        try:
            captured = datetime.fromisoformat(captured_raw)
        except ValueError:
            raise TenantDirError(
                f"{where('capture', 'captured_at')}: [capture] captured_at must be RFC 3339, "
                f"got {captured_raw!r}") from None
        if captured.tzinfo is None:
            captured = captured.replace(tzinfo=timezone.utc)
    source = need("capture", "source", str, required=False) or "live"
    if source not in ("demo", "live", "synthetic"):
        raise TenantDirError(
            f"{where('capture', 'source')}: [capture] source must be demo, live or synthetic, "
            f"got {source!r}")
    bg = need("break_glass", "accounts", list, required=False) or []
    if not all(isinstance(a, str) for a in bg):
        raise TenantDirError(f"{where('break_glass', 'accounts')}: [break_glass] accounts must be strings")
    return TenantInfo(id=tid, display_name=display, default_domain=domain, subscriptions=tuple(subs),
                      captured_at=captured.astimezone(timezone.utc) if captured else None,
                      source=source, break_glass=tuple(bg))


def _line_of(text: str, table: str, key: str) -> int:
    """The 1-based line of ``key`` inside ``[table]`` (or the table header), 0 when not found."""
    current = ""
    table_line = 0
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line.startswith("[") and not line.startswith("[["):
            current = line.strip("[] ")
            if current == table:
                table_line = n
            continue
        if current == table and key and re.match(rf"{re.escape(key)}\s*=", line):
            return n
    return table_line


def load_tenant(path: str | os.PathLike[str], *, keys: list[str] | None = None,
                workers: int = 1,
                progress: Callable[[DataSetResult], None] | None = None) -> Tenant:
    """Open a tenant directory and read every data set (``workers`` at a time)."""
    td = TenantDir.open(path)
    return Tenant(td.info, read_all(td, keys, workers, None, progress))

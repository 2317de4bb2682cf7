"""The tenant directory as the emulator serves it.

Files are opened on first use. A collection file is indexed once into the raw JSON text of each item, so a
page is a join of item texts and a 100,000-item sign-in log never lives as a tree of dicts: an array written
with ``indent=N`` is cut at its item lines without decoding anything; any other layout is walked by the C
scanner, keeping only a few fields of each decoded item (for ``$filter`` and look-ups). Items are decoded
again only where a query needs them (``$select``, single items, writes).

Only files inside the tenant directory are served (the reader's own check, ``TenantDir.safe_path``): one
that links outside, like one that cannot be read or decoded (nested too deeply included), is a
``StoreError`` naming the file, which the emulator answers with a 500 for that request alone.

Not thread-safe: one emulator serves from one event loop.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ztconsole.datasets import DataSet
from ztconsole.gcpause import gc_paused
from ztconsole.jsonscan import JsonArrayError, crash_reason, iter_json_array_spans, skip_ws
from ztconsole.tenantdir.reader import LinkOutside, TenantDir

# item fields kept beside each raw item: enough for the supported $filter forms and for look-ups
FIELDS: tuple[str, ...] = ("id", "name", "userPrincipalName", "principalId", "userId", "roleDefinitionId",
                           "createdDateTime", "tags", "@odata.type")
FIELD: dict[str, int] = {name: i for i, name in enumerate(FIELDS)}
_NO_ROW: tuple[Any, ...] = (None,) * len(FIELDS)


class StoreError(Exception):
    """A file of the tenant directory cannot be served; ``str()`` names the file and the problem."""


def row_of(obj: Any) -> tuple[Any, ...]:
    if not isinstance(obj, dict):
        return _NO_ROW
    get = obj.get
    return (get("id"), get("name"), get("userPrincipalName"), get("principalId"), get("userId"),
            get("roleDefinitionId"), get("createdDateTime"), get("tags"), get("@odata.type"))


@functools.lru_cache(maxsize=8192)
def parse_item(raw: str) -> Any:
    """Decode one item's text (cached: treat the result as read-only)."""
    return json.loads(raw)


def dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


class Collection:
    """A collection's items, in order, as raw JSON texts with a row of indexed fields each.

    ``rows`` are worked out on first use when the texts were cut without decoding them.
    """

    __slots__ = ("raws", "_rows", "source", "_keys", "_cache")

    def __init__(self, raws: list[str] | None = None, rows: list[tuple[Any, ...]] | None = None,
                 source: str = ""):
        self.raws: list[str] = raws if raws is not None else []
        self._rows = rows if rows is not None else (None if raws else [])
        self.source = source
        self._keys: dict[str, int] | None = None
        self._cache: dict[str, list[int]] = {}

    @classmethod
    def of(cls, objs: Iterable[Any]) -> Collection:
        items = list(objs)
        return cls([dump(o) for o in items], [row_of(o) for o in items])

    def __len__(self) -> int:
        return len(self.raws)

    @property
    def rows(self) -> list[tuple[Any, ...]]:
        if self._rows is None:
            rows = []
            for i, raw in enumerate(self.raws):
                try:
                    rows.append(row_of(json.loads(raw)))
                except json.JSONDecodeError as e:
                    raise StoreError(f"{self.source}: item {i + 1} is not valid JSON: {e}") from None
                except RecursionError as e:
                    raise StoreError(f"{self.source}: item {i + 1} is not valid JSON: {crash_reason(e)}") from None
            self._rows = rows
        return self._rows

    def field(self, i: int, name: str) -> Any:
        return self.rows[i][FIELD[name]]

    def item(self, i: int) -> Any:
        try:
            return parse_item(self.raws[i])
        except RecursionError as e:
            raise StoreError(f"{self.source}: item {i + 1} is not valid JSON: {crash_reason(e)}") from None

    def copy_of(self, i: int) -> Any:
        """A private, mutable decoding of item ``i``."""
        try:
            return json.loads(self.raws[i])
        except RecursionError as e:
            raise StoreError(f"{self.source}: item {i + 1} is not valid JSON: {crash_reason(e)}") from None

    def find(self, key: str) -> int | None:
        """The position of the item whose ``id`` (or ``userPrincipalName``) is ``key``, case-insensitively."""
        if self._keys is None:
            keys: dict[str, int] = {}
            for i, row in enumerate(self.rows):
                for value in (row[0], row[2]):
                    if isinstance(value, str):
                        keys.setdefault(value.lower(), i)
            self._keys = keys
        return self._keys.get(key.lower())

    def find_name(self, name: str) -> int | None:
        low = name.lower()
        for i, row in enumerate(self.rows):
            if isinstance(row[1], str) and row[1].lower() == low:
                return i
        return None

    def memo(self, key: str, compute: Callable[[], list[int]]) -> list[int]:
        """A derived list of positions (a filter's result), kept until the collection changes."""
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = compute()
        return hit

    # --- writes ------------------------------------------------------------------------------------
    def _changed(self) -> None:
        self._keys = None
        self._cache.clear()

    def append(self, obj: Any) -> int:
        rows = self.rows
        self.raws.append(dump(obj))
        rows.append(row_of(obj))
        self._changed()
        return len(self.raws) - 1

    def replace(self, i: int, obj: Any) -> None:
        rows = self.rows
        self.raws[i] = dump(obj)
        rows[i] = row_of(obj)
        self._changed()

    def delete(self, i: int) -> None:
        rows = self.rows
        del self.raws[i]
        del rows[i]
        self._changed()


@dataclass(slots=True)
class Singleton:
    """A single object served as recorded."""

    raw: str


_INDENTED = re.compile(r"\[\n( +)\{\n")


@functools.lru_cache(maxsize=8)
def _shallow_lines(indent: int) -> re.Pattern[str]:
    return re.compile(rf"\n {{0,{indent}}}(?=\S)")


def split_indented(text: str, start: int) -> list[str] | None:
    """Item texts of an array written with ``json.dump(indent=N)``, cut without decoding; None otherwise.

    In such a file every line with N or fewer leading spaces is an item's ``{`` or ``}`` line or the final
    ``]`` (JSON strings hold no raw newlines), so the items are found at C speed. Any other layout (or an
    item that breaks the pattern) returns None and the array is scanned item by item instead.
    """
    m = _INDENTED.match(text, start)
    if m is None:
        return None
    indent = len(m.group(1))
    raws: list[str] = []
    open_at = -1
    for line in _shallow_lines(indent).finditer(text, start):
        pos = line.end()
        char = text[pos]
        if line.end() - line.start() - 1 != indent:
            if open_at >= 0 or char != "]" or text[pos + 1:].strip():
                return None
            return raws
        if char == "{" and open_at < 0 and text.startswith("{\n", pos):
            open_at = pos
        elif char == "}" and open_at >= 0 and (text.startswith("}\n", pos) or text.startswith("},\n", pos)):
            raws.append(text[open_at:pos + 1])
            open_at = -1
        else:
            return None
    return None


def split_lines(text: str, start: int) -> list[str] | None:
    """Item texts of an array written one compact item per line (``snapshot``, ``generate``); None
    otherwise.

    ``[``, then lines each holding one object (``,`` after all but the last), then ``]``. Compact JSON has
    no raw newline inside a value, so the lines are the items; each is checked to open with ``{`` and
    close with ``}``, and any other layout returns None (the array is then scanned item by item).
    """
    if not text.startswith("[\n{", start):
        return None
    end = text.rstrip().rfind("\n]")
    if end < 0 or text[end + 2:].strip():
        return None
    lines = text[start + 2:end].split("\n")
    last = len(lines) - 1
    for i, line in enumerate(lines):
        if i < last:
            if not line.endswith("},"):
                return None
            lines[i] = line[:-1]
        elif not line.endswith("}"):
            return None
        if not line.startswith("{"):
            return None
    return lines


def index_array(text: str, start: int, source: str) -> Collection:
    """Index the JSON array that opens at ``text[start]`` into item texts (raises JsonArrayError)."""
    fast = split_lines(text, start)
    if fast is not None:
        return Collection(fast, None, source)
    fast = split_indented(text, start)
    if fast is not None:
        return Collection(fast, None, source)
    raws: list[str] = []
    rows: list[tuple[Any, ...]] = []
    for obj, begin, end in iter_json_array_spans(text, start):
        raws.append(text[begin:end])
        rows.append(row_of(obj))
    return Collection(raws, rows, source)


def parse_file(text: str, source: str = "") -> Collection | Singleton:
    """A collection file (a JSON array, or a raw page with a ``value`` array) or a singleton object.

    Raises JsonArrayError for text that is not JSON, StoreError (naming ``source``) for JSON nested deeper
    than the decoder follows."""
    start = skip_ws(text, 0).end()
    try:
        if text.startswith("[", start):
            return index_array(text, start, source)
        body = json.loads(text)
    except json.JSONDecodeError as e:
        raise JsonArrayError(e.msg, e.pos, text) from None
    except RecursionError as e:
        raise StoreError(f"{source}: not valid JSON: {crash_reason(e)}") from None
    if not isinstance(body, dict):
        raise JsonArrayError("expected a JSON array or object", start, text)
    if isinstance(body.get("value"), list):
        return Collection.of(body["value"])
    return Singleton(text.strip())


class Store:
    """The files of one tenant directory, loaded on first use, plus what writes created in memory."""

    def __init__(self, root: Path):
        tenant = TenantDir.open(root)
        self.tenant = tenant
        self.root = tenant.root
        self.info = tenant.info
        self._files: dict[str, str] = tenant._files()  # lower-cased relative path -> relative path
        self._nodes: dict[str, Collection | Singleton] = {}
        subs = {s.lower() for s in self.info.subscriptions}
        for rel in self._files:
            parts = rel.split("/", 3)
            if len(parts) > 3 and parts[:2] == ["arm", "subscriptions"]:
                subs.add(parts[2])
        self.subscriptions = frozenset(subs)

    def get(self, rel: str) -> Collection | Singleton | None:
        """The node stored at ``rel`` (a lower-cased tenant directory path), or None."""
        node = self._nodes.get(rel)
        if node is not None:
            return node
        disk = self._files.get(rel)
        if disk is None:
            refused = self.tenant.refused_dir(rel)
            if refused is not None:  # it may be there, behind a directory that is not read
                raise StoreError(f"{refused[0]}: {refused[1]}")
            return None
        try:
            path = self.tenant.safe_path(disk)
            with gc_paused():  # the scan makes no cycles; collections would only walk the heap
                node = parse_file(path.read_text(encoding="utf-8"), disk)
        except LinkOutside as e:
            raise StoreError(str(e)) from None
        except (OSError, UnicodeDecodeError) as e:
            raise StoreError(f"{disk}: cannot read: {e}") from None
        except JsonArrayError as e:
            raise StoreError(f"{disk}: not valid JSON: {e}") from None
        self._nodes[rel] = node
        return node

    def put(self, rel: str, node: Collection | Singleton) -> None:
        self._nodes[rel] = node

    def paths(self, pattern: re.Pattern[str]) -> list[str]:
        """Lower-cased paths (on disk or created in memory) that ``pattern`` matches, sorted."""
        return sorted({p for p in (*self._files, *self._nodes) if pattern.match(p)})


@dataclass(slots=True)
class View:
    """A collection as one request addresses it: all of ``coll``, or the ``positions`` subset of it.

    ``rel`` is where the collection lives in the store (writes put it there when ``stored`` is False);
    ``owner`` marks an ARM property array (an NSG's ``securityRules``) served as a collection.
    """

    coll: Collection
    rel: str
    ds: DataSet | None
    stored: bool = True
    positions: Sequence[int] | None = None
    owner: ItemRef | None = None
    context: str = ""
    _members: set[int] | None = field(default=None, repr=False)

    def indices(self) -> Sequence[int]:
        return range(len(self.coll)) if self.positions is None else self.positions

    def find(self, key: str) -> int | None:
        i = self.coll.find(key)
        if i is None or self.positions is None:
            return i
        if self._members is None:
            self._members = set(self.positions)
        return i if i in self._members else None


@dataclass(slots=True)
class ItemRef:
    """One item of a collection."""

    view: View
    index: int

    @property
    def raw(self) -> str:
        return self.view.coll.raws[self.index]

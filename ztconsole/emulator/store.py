"""The tenant directory as the emulator serves it.

Files are opened on first use and indexed once, without decoding anything. A collection file written one
compact item per line (``snapshot``, ``generate``) or with ``json.dump(indent=N)`` is cut at its item lines
and the store keeps only where each item lies in the file (two offsets an item, :class:`FileItems`): a
page reads its items' bytes back from the file when it is served, so a 130 MB sign-in log costs the
emulator 1.6 MB of offsets, not its text. Any other layout (a raw page with a ``value`` array, a hand-edited
array) is held in memory as the raw JSON text of each item, walked by the C scanner. Either way a page is
a join of item texts and a 100,000-item sign-in log never lives as a tree of dicts; each item also has a
row of a few fields (for ``$filter`` and look-ups), worked out on first use. Items are decoded again only
where a query needs them (``$select``, single items, writes).

A write (an item replaced, appended or deleted) makes its collection hold every item's text in memory from
then on: later reads see the writes, and the file is not read again for it. A file that changes on disk
(size, modification time or identity) while the emulator runs is indexed again on its next use unless a
write changed its collection in memory; a request that reads it in the moment it changes is answered with
an error naming it, never with bytes from the wrong places.

Only files inside the tenant directory are served (the reader's own check, ``TenantDir.safe_path``): one
that links outside, like one that cannot be read or decoded (nested too deeply included), is a
``StoreError`` naming the file, which the emulator answers with a 500 for that request alone.

Not thread-safe: one emulator serves from one event loop.
"""

from __future__ import annotations

import codecs
import functools
import json
import os
import re
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import msgspec

from ztconsole.datasets import DataSet
from ztconsole.gcpause import gc_paused
from ztconsole.jsonscan import JsonArrayError, crash_reason, iter_json_array_spans, skip_ws
from ztconsole.tenantdir.reader import LinkOutside, TenantDir

from .wire import utf8

# item fields kept beside each raw item: enough for the supported $filter forms and for look-ups
FIELDS: tuple[str, ...] = ("id", "name", "userPrincipalName", "principalId", "userId", "roleDefinitionId",
                           "createdDateTime", "tags", "@odata.type")
FIELD: dict[str, int] = {name: i for i, name in enumerate(FIELDS)}
_NO_ROW: tuple[Any, ...] = (None,) * len(FIELDS)

#: bytes read at a time while a file is indexed (its text is never whole in memory)
BLOCK = 1 << 22
#: items decoded at a time when a file's rows are worked out
_ROWS_AT_ONCE = 1000
_JSON_WS = b" \t\n"  # JSON white space but "\r": a file with a "\r" is read as text (universal newlines)

#: what identifies a file's content on disk: device, inode, size, modification time
Signature = tuple[int, int, int, int]


class StoreError(Exception):
    """A file of the tenant directory cannot be served; ``str()`` names the file and the problem."""


class _Row(msgspec.Struct):
    """An item's :data:`FIELDS`, decoded without the rest of it (msgspec skips what no field names)."""

    id: Any = None
    name: Any = None
    userPrincipalName: Any = None  # noqa: N815 - the wire names
    principalId: Any = None  # noqa: N815
    userId: Any = None  # noqa: N815
    roleDefinitionId: Any = None  # noqa: N815
    createdDateTime: Any = None  # noqa: N815
    tags: Any = None
    odata_type: Any = msgspec.field(default=None, name="@odata.type")


_ROWS = msgspec.json.Decoder(list[_Row])


def rows_of(texts: Sequence[str | bytes]) -> list[tuple[Any, ...]] | None:
    """The rows of items given as JSON texts, decoded together (the fields only); None when msgspec refuses
    any of them (not an object, a number it does not take, ...): :func:`row_of` of ``json.loads`` then
    decides, item by item, as it always did."""
    joined = b",".join([t if isinstance(t, bytes) else t.encode("utf-8", "surrogatepass") for t in texts])
    try:
        decoded = _ROWS.decode(b"[" + joined + b"]")
    except (msgspec.DecodeError, UnicodeError, RecursionError):  # the item-by-item path names the item
        return None
    if len(decoded) != len(texts):  # an item text that held more than one value
        return None
    return [(r.id, r.name, r.userPrincipalName, r.principalId, r.userId, r.roleDefinitionId, r.createdDateTime,
             r.tags, r.odata_type) for r in decoded]


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


def signature(st: os.stat_result) -> Signature:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _changed(path: Path, sig: Signature) -> bool:
    try:
        return signature(os.stat(path)) != sig
    except OSError:
        return True


class FileItems:
    """Where the items of a collection file lie: the byte span of each (``starts``, ``ends``), read back
    from the file on demand. The file was checked, when indexed, to be UTF-8 without a ``\\r``, so an item's
    bytes are its text as the file holds it; ``sig`` is the file's :func:`signature` then, and a read that
    finds the file changed raises :class:`StoreError` naming it."""

    __slots__ = ("path", "source", "sig", "starts", "ends", "lines")

    def __init__(self, path: Path, source: str, sig: Signature, starts: array[int], ends: array[int],
                 lines: bool = False):
        self.path = path
        self.source = source
        self.sig = sig
        self.starts = starts
        self.ends = ends
        self.lines = lines  # one item per line: adjacent items are apart by ",\n" exactly

    def __len__(self) -> int:
        return len(self.starts)

    def _gone(self, detail: str = "") -> StoreError:
        return StoreError(f"{self.source}: changed on disk while it was being served{detail}; it is read "
                          "again on its next use")

    def _regions(self, positions: Sequence[int]) -> Iterator[tuple[int, int, bytes]]:
        """``(first, last, bytes)`` for each run of adjacent items at ``positions``: the file from the start
        of item ``first`` to the end of item ``last``, read in one go."""
        if not positions:
            return
        starts, ends = self.starts, self.ends
        try:
            with open(self.path, "rb") as f:
                if signature(os.fstat(f.fileno())) != self.sig:
                    raise self._gone()
                for first, last in _runs(positions):
                    lo, hi = starts[first], ends[last]
                    f.seek(lo)
                    buf = f.read(hi - lo)
                    # every item is an object: bytes that do not open and close one are from another file
                    # (a rewrite of the same size that the clock did not tell apart)
                    if len(buf) != hi - lo or not (buf.startswith(b"{") and buf.endswith(b"}")):
                        raise self._gone()
                    yield first, last, buf
        except OSError as e:
            raise self._gone(f" ({e})") from None

    def read(self, positions: Sequence[int]) -> list[memoryview]:
        """The bytes of the items at ``positions`` (views into one buffer per run of adjacent items)."""
        out: list[memoryview] = []
        starts, ends = self.starts, self.ends
        for first, last, buf in self._regions(positions):
            view, lo = memoryview(buf), starts[first]
            out.extend(view[starts[i] - lo:ends[i] - lo] for i in range(first, last + 1))
        return out

    def joined(self, positions: Sequence[int]) -> bytes:
        """The bytes of the items at ``positions``, joined with ``,``."""
        if not self.lines:
            return b",".join(self.read(positions))
        # adjacent lines are apart by ",\n" and hold no newline: a run less its newlines is its items joined
        return b",".join([buf.replace(b"\n", b"") for _, _, buf in self._regions(positions)])


def _runs(positions: Sequence[int]) -> Iterator[tuple[int, int]]:
    """``(first, last)`` of each run of consecutive positions (ascending runs, in order)."""
    if isinstance(positions, range) and positions.step == 1:
        yield positions.start, positions.stop - 1
        return
    first = last = positions[0]
    for i in positions[1:]:
        if i != last + 1:
            yield first, last
            first = i
        last = i
    yield first, last


class Collection:
    """A collection's items, in order, each as raw JSON text with a row of indexed fields.

    The texts are either in memory (``Collection(raws, rows)``) or in their file (``Collection.on_file``,
    read back when served); the first write brings a collection's texts into memory. ``rows`` are worked
    out on first use when the texts were cut without decoding them.
    """

    __slots__ = ("_raws", "_file", "_rows", "source", "_keys", "_cache", "written")

    def __init__(self, raws: list[str] | None = None, rows: list[tuple[Any, ...]] | None = None,
                 source: str = ""):
        self._raws: list[str] | None = raws if raws is not None else []
        self._file: FileItems | None = None
        self._rows = rows if rows is not None else (None if raws else [])
        self.source = source
        self._keys: dict[str, int] | None = None
        self._cache: dict[str, list[int]] = {}
        self.written = False  # a write changed it: its texts are in memory, the file is not read again

    @classmethod
    def of(cls, objs: Iterable[Any]) -> Collection:
        items = list(objs)
        return cls([dump(o) for o in items], [row_of(o) for o in items])

    @classmethod
    def on_file(cls, items: FileItems) -> Collection:
        coll = cls(None, None, items.source)
        coll._raws = None
        coll._file = items
        coll._rows = None if len(items) else []
        return coll

    @property
    def on_disk(self) -> FileItems | None:
        """Where the texts are read from, None when they are in memory."""
        return self._file

    def __len__(self) -> int:
        return len(self._file) if self._file is not None else len(self._raws or ())

    # --- reading -----------------------------------------------------------------------------------
    def raw(self, i: int) -> str:
        """Item ``i``'s JSON text."""
        if self._file is not None:
            return str(self._file.read((i,))[0], "utf-8")
        return self._raws[i]  # type: ignore[index]  # in memory when not on file

    @property
    def raws(self) -> list[str]:
        """Every item's text (a collection on file is read whole for it: tests and writes only)."""
        if self._file is not None:
            return [str(b, "utf-8") for b in self._file.read(range(len(self._file)))]
        return self._raws  # type: ignore[return-value]  # in memory when not on file

    def texts(self, positions: Sequence[int]) -> list[str | bytes]:
        """The texts of the items at ``positions``, for decoding (``json.loads`` takes either kind)."""
        if self._file is not None:
            return [b.tobytes() for b in self._file.read(positions)]
        raws = self._raws
        return [raws[i] for i in positions]  # type: ignore[index]  # in memory when not on file

    def joined(self, positions: Sequence[int]) -> bytes:
        """The items at ``positions`` as the UTF-8 of their texts joined with ``,`` (a page's ``value``)."""
        if self._file is not None:
            return self._file.joined(positions)
        raws = self._raws
        return utf8(",".join([raws[i] for i in positions]))  # type: ignore[index]

    @property
    def rows(self) -> list[tuple[Any, ...]]:
        if self._rows is None:
            rows = []
            for start in range(0, len(self), _ROWS_AT_ONCE):
                texts = self.texts(range(start, min(start + _ROWS_AT_ONCE, len(self))))
                fast = rows_of(texts)
                if fast is not None:
                    rows += fast
                    continue
                for i, raw in enumerate(texts, start):
                    try:
                        rows.append(row_of(json.loads(raw)))
                    except json.JSONDecodeError as e:
                        raise StoreError(f"{self.source}: item {i + 1} is not valid JSON: {e}") from None
                    except RecursionError as e:
                        raise StoreError(f"{self.source}: item {i + 1} is not valid JSON: {crash_reason(e)}") \
                            from None
            self._rows = rows
        return self._rows

    def field(self, i: int, name: str) -> Any:
        return self.rows[i][FIELD[name]]

    def item(self, i: int) -> Any:
        try:
            return parse_item(self.raw(i))
        except RecursionError as e:
            raise StoreError(f"{self.source}: item {i + 1} is not valid JSON: {crash_reason(e)}") from None

    def copy_of(self, i: int) -> Any:
        """A private, mutable decoding of item ``i``."""
        try:
            return json.loads(self.raw(i))
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
    def _own(self) -> tuple[list[str], list[tuple[Any, ...]]]:
        """The texts and rows in memory, for a write (a collection on file is read into memory once)."""
        rows = self.rows
        if self._file is not None:
            self._raws = self.raws
            self._file = None
        self.written = True
        return self._raws, rows  # type: ignore[return-value]  # in memory now

    def _changed(self) -> None:
        self._keys = None
        self._cache.clear()

    def append(self, obj: Any) -> int:
        raws, rows = self._own()
        raws.append(dump(obj))
        rows.append(row_of(obj))
        self._changed()
        return len(raws) - 1

    def replace(self, i: int, obj: Any) -> None:
        raws, rows = self._own()
        raws[i] = dump(obj)
        rows[i] = row_of(obj)
        self._changed()

    def delete(self, i: int) -> None:
        raws, rows = self._own()
        del raws[i]
        del rows[i]
        self._changed()


@dataclass(slots=True)
class Singleton:
    """A single object served as recorded."""

    raw: str


# --- indexing text held in memory --------------------------------------------------------------------

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


# --- indexing a file where it lies ---------------------------------------------------------------------
#
# The two layouts the recorders write are cut in the file's bytes; what is accepted there is cut exactly
# as split_lines / split_indented cut the decoded text (the same items, each the UTF-8 of the same text).
# Anything they might read differently (a "\r", which text mode turns into a newline; bytes that are not
# UTF-8; white space that only Unicode calls so) is declined, and the file is read as text instead.

_Spans = tuple["array[int]", "array[int]"]


class _Utf8Check:
    """Checks blocks of a file for UTF-8 as they are read (ASCII blocks cost a scan, no decoding)."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._pending = False

    def ok(self, block: bytes | memoryview, final: bool = False) -> bool:
        if not final and not self._pending and isinstance(block, bytes) and block.isascii():
            return True
        try:
            for at in range(0, len(block), BLOCK):
                self._decoder.decode(block[at:at + BLOCK])
            self._decoder.decode(b"", final)
        except UnicodeDecodeError:
            return False
        self._pending = bool(self._decoder.getstate()[0])
        return True


def lines_spans(f: IO[bytes], head: bytes) -> _Spans | None:
    """The item spans of an array written one compact item per line, read from ``f`` block by block
    (``head``: what was read of it already, from its start); None for any other layout (as
    :func:`split_lines` decides it)."""
    check = _Utf8Check()
    buf = head
    if b"\r" in buf or not check.ok(buf):
        return None
    pos = len(buf) - len(buf.lstrip(_JSON_WS))
    if not buf.startswith(b"[\n{", pos):
        return None
    pos += 2
    base = 0  # the file offset of buf[0]
    starts: array[int] = array("q")
    ends: array[int] = array("q")
    comma = True  # every item so far ended with ","
    eof = False
    while True:
        nl = buf.find(b"\n", pos)
        if nl < 0 and not eof:
            block = f.read(max(BLOCK, len(buf) - pos))  # a line longer than a block: read as much again
            if not block:
                eof = True
                continue
            if b"\r" in block or not check.ok(block):
                return None
            buf = buf[pos:] + block
            base += pos
            pos = 0
            continue
        if not buf.startswith(b"{", pos):
            break  # the closing "]", or not this layout
        if nl < 0 or not comma:  # an item line at the very end, or one after the item without ","
            return None
        if buf.endswith(b"},", pos, nl):
            starts.append(base + pos)
            ends.append(base + nl - 1)
        elif buf.endswith(b"}", pos, nl):
            starts.append(base + pos)
            ends.append(base + nl)
            comma = False
        else:
            return None
        pos = nl + 1
    if comma or not buf.startswith(b"]", pos) or buf[pos + 1:].strip(_JSON_WS):
        return None
    while block := f.read(BLOCK):  # whatever follows "]" (after a long run of white space)
        if block.strip(_JSON_WS):
            return None
    return starts, ends


_INDENTED_BYTES = re.compile(rb"\[\n( +)\{\n")


@functools.lru_cache(maxsize=8)
def _shallow_lines_bytes(indent: int) -> re.Pattern[bytes]:
    return re.compile(rb"\n {0,%d}(?=\S)" % indent)


def indented_spans(data: bytes) -> _Spans | None:
    """The item spans of an array written with ``json.dump(indent=N)`` (all of the file in ``data``); None
    for any other layout (as :func:`split_indented` decides it: a line that begins with bytes Unicode
    calls white space is declined here, where the text's scan would step over it)."""
    if b"\r" in data:
        return None
    start = len(data) - len(data.lstrip(_JSON_WS))
    m = _INDENTED_BYTES.match(data, start)
    if m is None or not (data.isascii() or _Utf8Check().ok(memoryview(data), final=True)):
        return None
    indent = len(m.group(1))
    starts: array[int] = array("q")
    ends: array[int] = array("q")
    open_at = -1
    for line in _shallow_lines_bytes(indent).finditer(data, start):
        pos = line.end()
        char = data[pos:pos + 1]
        if line.end() - line.start() - 1 != indent:
            if open_at >= 0 or char != b"]" or data[pos + 1:].strip(_JSON_WS):
                return None
            return starts, ends
        if char == b"{" and open_at < 0 and data.startswith(b"{\n", pos):
            open_at = pos
        elif char == b"}" and open_at >= 0 and (data.startswith(b"}\n", pos) or data.startswith(b"},\n", pos)):
            starts.append(open_at)
            ends.append(pos + 1)
            open_at = -1
        else:
            return None
    return None


def read_file(path: Path, source: str) -> tuple[Collection | Singleton, Signature]:
    """The node a tenant directory file holds, and the file's :func:`signature` as it was read: a
    collection on file where its layout allows (its items' spans, :class:`FileItems`), else the file read
    as text (:func:`parse_file`). Raises OSError, UnicodeDecodeError, JsonArrayError, StoreError."""
    with open(path, "rb") as f:
        sig = signature(os.fstat(f.fileno()))
        head = f.read(BLOCK)
        start = len(head) - len(head.lstrip(_JSON_WS))
        spans = None
        lines = head.startswith(b"[\n{", start)
        if lines:
            spans = lines_spans(f, head)
        elif _INDENTED_BYTES.match(head, start):
            f.seek(0)
            spans = indented_spans(f.read())
        del head
        if spans is not None and signature(os.fstat(f.fileno())) == sig:
            return Collection.on_file(FileItems(path, source, sig, *spans, lines=lines)), sig
    return parse_file(path.read_text(encoding="utf-8"), source), sig


class Store:
    """The files of one tenant directory, loaded on first use, plus what writes created in memory."""

    def __init__(self, root: Path):
        tenant = TenantDir.open(root)
        self.tenant = tenant
        self.root = tenant.root
        self.info = tenant.info
        self._files: dict[str, str] = tenant._files()  # lower-cased relative path -> relative path
        self._nodes: dict[str, Collection | Singleton] = {}
        self._read: dict[str, tuple[Path, Signature]] = {}  # rel -> the file a node was read from, as it was
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
            read = self._read.get(rel)
            if read is None or (isinstance(node, Collection) and node.written) or not _changed(*read):
                return node
            del self._nodes[rel]  # changed on disk: read again
        disk = self._files.get(rel)
        if disk is None:
            refused = self.tenant.refused_dir(rel)
            if refused is not None:  # it may be there, behind a directory that is not read
                raise StoreError(f"{refused[0]}: {refused[1]}")
            return None
        try:
            path = self.tenant.safe_path(disk)
            with gc_paused():  # the scan makes no cycles; collections would only walk the heap
                node, sig = read_file(path, disk)
        except LinkOutside as e:
            raise StoreError(str(e)) from None
        except (OSError, UnicodeDecodeError) as e:
            raise StoreError(f"{disk}: cannot read: {e}") from None
        except JsonArrayError as e:
            raise StoreError(f"{disk}: not valid JSON: {e}") from None
        self._read[rel] = (path, sig)
        self._nodes[rel] = node
        return node

    def put(self, rel: str, node: Collection | Singleton) -> None:
        self._nodes[rel] = node
        self._read.pop(rel, None)

    def drop(self, rel: str) -> None:
        """Take the node at ``rel`` away (a write deleted what it holds, e.g. an application's connector group
        link): it is absent from now on, whether it was created in memory or read from a file."""
        self._nodes.pop(rel, None)
        self._read.pop(rel, None)
        self._files.pop(rel, None)

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
        return self.view.coll.raw(self.index)

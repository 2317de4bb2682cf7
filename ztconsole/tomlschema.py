"""Typed schemas for the TOML files ztconsole reads, and every problem in a file reported at once.

A file's shape is declared with msgspec Structs: a table is a Struct (``forbid_unknown_fields=True`` makes
unknown keys errors), a table of tables is ``dict[str, Struct]``, and what msgspec can say of a value is
said in its annotation: ``Literal`` choices, ``Annotated[int, Meta(ge=1, le=365)]``, ``Meta(pattern=...)``.
A ``Meta``'s ``extra`` may add words for the messages:

- ``expected``: what the value should be, for messages and "must be" sentences (``"a GUID"``);
- ``message``: what to say when a constraint fails (the value itself is then not shown);
- ``hint``: a suggestion shown with any problem of the value; ``hint_below``: one shown when a number is
  below its minimum; ``unit``: appended to numbers in range messages (``" s"``).

msgspec stops at the first error, so :func:`validate` walks the schema itself: for a table it reports each
unknown key (with a "did you mean" from the field names) and each missing required key, and converts each
value on its own with ``msgspec.convert``, recursing into nested tables, tables of tables and arrays. What
converts is kept: the result is the Struct with each rejected field left at its default (None when it is
required), so the rules that span several fields run after the schema pass, and add their own problems,
even in a broken file.

Problems carry a path of keys (and array indexes); :meth:`Report.locate` turns each into file, line and
key, with the suggestion, in file order. tomllib gives no positions, so lines are found by scanning the
source (:class:`LineIndex`).
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
import types
from collections.abc import Collection, Iterable, Mapping
from datetime import date, datetime, time
from functools import cache
from typing import Annotated, Any, Generic, Literal, TypeVar, Union, get_args, get_origin

import msgspec
import msgspec.structs

__all__ = [
    "KeyPath",
    "LineIndex",
    "Located",
    "Problem",
    "Report",
    "did_you_mean",
    "given",
    "label",
    "locate",
    "render_key",
    "short",
    "syntax_location",
    "type_name",
    "validate",
    "where",
]

KeyPath = tuple[str | int, ...]  # keys, and the 0-based index of an item inside an array
S = TypeVar("S", bound=msgspec.Struct)

UNKNOWN, MISSING, INVALID, RULE = "unknown", "missing", "invalid", "rule"


class Problem(msgspec.Struct, frozen=True):
    """One problem at ``path``. ``message`` follows the key (``expected a boolean, got a string``); for a
    ``rule`` problem (a check written as code) it is the whole sentence in the file's own wording."""

    path: KeyPath
    message: str
    suggestion: str | None = None
    kind: str = RULE  # unknown | missing | invalid | rule
    table: bool = False  # the path names a table (in the file, or in the schema)
    expected: str | None = None  # what the schema wanted ("a GUID"); for missing keys only when declared
    got: str | None = None  # what was found: a kind ("a string") or a short value ("'usgovt'")
    lookup: KeyPath | None = None  # where to look for the line, when not at ``path``


# ------------------------------------------------------------------------------------------ rendering

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")


def render_key(parts: Iterable[str | int]) -> str:
    """A TOML dotted key: ``tenants.prod.tenant_id``, ``keymap."app.quit"`` (array indexes left out)."""
    keys = [part for part in parts if isinstance(part, str)]
    return ".".join(key if _BARE_KEY.match(key) else json.dumps(key) for key in keys)


def _items(path: KeyPath) -> str:
    return "".join(f"item {part + 1}: " for part in path if isinstance(part, int))


def where(path: KeyPath, table: bool) -> str | None:
    """``[a.b] key 'c'``, ``key 'c'`` or ``[a.b]`` (a table): the place a problem is about."""
    keys = tuple(part for part in path if isinstance(part, str))
    if not keys:
        return None
    if table:
        return f"[{render_key(keys)}]"
    if len(keys) == 1:
        return f"key '{keys[0]}'"
    return f"[{render_key(keys[:-1])}] key '{keys[-1]}'"


def label(path: KeyPath, *, table: bool = False, quote_top: bool = False) -> str:
    """The subject of a "must be" sentence: ``[tenant] id``, ``[datasets."x"]`` (a table), ``format``
    (``'format'`` with ``quote_top``), with `` item N`` for an array item."""
    keys = tuple(part for part in path if isinstance(part, str))
    items = "".join(f" item {part + 1}" for part in path if isinstance(part, int))
    if not keys:
        return ""
    if table:
        return f"[{render_key(keys)}]{items}"
    if len(keys) == 1:
        return (f"'{keys[0]}'" if quote_top else keys[0]) + items
    return f"[{render_key(keys[:-1])}] {keys[-1]}{items}"


def did_you_mean(word: str, valid: Iterable[str], *, table_prefix: tuple[str, ...] | None = None,
                 cutoff: float = 0.6, list_valid: bool = True) -> str | None:
    """``did you mean 'x'?`` (``[a.x]`` with ``table_prefix``), else the valid choices (or None)."""
    choices = sorted(valid)
    close = difflib.get_close_matches(word, choices, n=1, cutoff=cutoff)
    if close:
        shown = f"[{render_key((*table_prefix, close[0]))}]" if table_prefix is not None else f"'{close[0]}'"
        return f"did you mean {shown}?"
    return f"valid: {', '.join(choices)}" if choices and list_valid else None


#: The kinds of TOML value, as messages name them (bool before int: a bool is an int in Python).
_KIND_NAMES: tuple[tuple[type, str], ...] = (
    (bool, "a boolean"), (int, "an integer"), (float, "a float"), (str, "a string"), (list, "an array"),
    (dict, "a table"), (datetime, "a date/time"), (date, "a date/time"), (time, "a date/time"),
)


def type_name(value: Any) -> str:
    """What kind of TOML value ``value`` is: ``a string``, ``a table`` ..."""
    return next((name for kind, name in _KIND_NAMES if isinstance(value, kind)), type(value).__name__)


def short(value: str) -> str:
    """A short, quoted rendering of a value for a message (only for values that are not secrets)."""
    return repr(value if len(value) <= 32 else value[:29] + "...")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class Located(msgspec.Struct, frozen=True):
    """A problem placed in its file: line, dotted key, and the texts to show."""

    file: str
    line: int | None
    key: str | None  # tenants.prod.tenant_id
    where: str | None  # [tenants.prod] key 'tenant_id'
    message: str  # after ``where``; ``item N: `` first for an array item
    suggestion: str | None
    problem: Problem

    def sentence(self, *, quote_top: bool = False) -> str:
        """``FILE:LINE: [tenant] id must be a GUID, got 'x'``: the problem as one "must be" sentence."""
        p = self.problem
        subject = label(p.path, table=p.table, quote_top=quote_top)
        if p.kind == UNKNOWN:
            parent = label(p.path[:-1], table=True)
            text = f"{parent} has an unknown key {p.path[-1]!r}" if parent else f"unknown key {p.path[-1]!r}"
        elif p.kind == MISSING:
            what = "table" if p.table else "key"
            text = f"{subject} must be {p.expected}, but is missing" if p.expected else \
                f"required {what} {subject} is missing"
        elif p.kind == INVALID:
            text = f"{subject} must be {p.expected}, got {p.got}"
        else:
            text = p.message
        location = f"{self.file}:{self.line}" if self.line else self.file
        return f"{location}: {text} ({p.suggestion})" if p.suggestion else f"{location}: {text}"


# ------------------------------------------------------------------------------------------ lines


class LineIndex:
    """Lines of the tables and keys of a TOML text, found by scanning it (tomllib gives no positions)."""

    def __init__(self, text: str):
        self._lines: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        closing: str | None = None  # the delimiter of an open multi-line string
        for number, line in enumerate(text.splitlines(), start=1):
            if closing is not None:
                if line.count(closing) % 2 == 1:
                    closing = None
                continue
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if stripped.startswith("["):
                header = _parse_path(stripped)
                if header is not None:
                    table = header
                    for end in range(1, len(header) + 1):
                        self._lines.setdefault(header[:end], number)
                continue
            split = _split_key_value(line)
            if split is None:
                continue
            key_text, value = split
            key = _parse_path(f"{key_text} = 0")
            if key is None:
                continue
            for end in range(1, len(key) + 1):
                self._lines.setdefault(table + key[:end], number)
            for delimiter in ('"""', "'''"):
                if value.lstrip().startswith(delimiter) and value.count(delimiter) % 2 == 1:
                    closing = delimiter

    def paths(self) -> Iterable[tuple[str, ...]]:
        """Every table and key path seen, even in a file tomllib rejects."""
        return self._lines.keys()

    def line_of(self, path: KeyPath) -> int | None:
        """The line of ``path`` (array indexes ignored), else of its nearest ancestor in the text."""
        keys = tuple(part for part in path if isinstance(part, str))
        for end in range(len(keys), 0, -1):
            if keys[:end] in self._lines:
                return self._lines[keys[:end]]
        return None


def _parse_path(fragment: str) -> tuple[str, ...] | None:
    """The key path a one-line TOML fragment (a header, or ``key = 0``) declares; None if it is not one."""
    try:
        node: Any = tomllib.loads(fragment)
    except tomllib.TOMLDecodeError:
        return None
    parts: list[str] = []
    while isinstance(node, dict) and len(node) == 1:
        ((name, node),) = node.items()
        parts.append(name)
        if isinstance(node, list):
            node = node[0] if node else None
    return tuple(parts) or None


def _split_key_value(line: str) -> tuple[str, str] | None:
    """Split ``key = value`` at the first ``=`` outside quotes; None when the line has none."""
    quote: str | None = None
    index = 0
    while index < len(line):
        char = line[index]
        if quote:
            if char == "\\" and quote == '"':
                index += 1
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            return None
        elif char == "=":
            return line[:index], line[index + 1 :]
        index += 1
    return None


def syntax_location(error: tomllib.TOMLDecodeError, text: str) -> tuple[str, int | None, int | None]:
    """``(message, line, column)`` of a TOML syntax error (from its attributes, else its message)."""
    message = str(error)
    line = getattr(error, "lineno", None)
    column = getattr(error, "colno", None)
    found = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if found:
        line = line or int(found.group(1))
        column = column or int(found.group(2))
        message = message[: found.start()]
    elif message.endswith("(at end of document)"):
        message = message.removesuffix("(at end of document)").rstrip()
        line = line or max(1, len(text.splitlines()))
    return getattr(error, "msg", None) or message, line, column


# ------------------------------------------------------------------------------------------ the walk


class Report(Generic[S]):
    """What :func:`validate` found: the value, every problem, and which paths failed. Rules written as code
    add their problems with :meth:`add`. The value is complete only when there are no problems: a rejected
    value is left at its default, and a required one is None."""

    def __init__(self, value: S) -> None:
        self.value = value
        self.problems: list[Problem] = []
        self._failed: set[KeyPath] = set()

    def failed(self, path: KeyPath) -> bool:
        """Whether the value at ``path`` was present and rejected (and so is not in :attr:`value`)."""
        return path in self._failed

    def add(self, path: KeyPath, message: str, suggestion: str | None = None, **kw: Any) -> None:
        self.problems.append(Problem(path, message, suggestion, **kw))

    def locate(self, text: str, file: str) -> list[Located]:
        """Every problem with its line and key, in file order (see :func:`locate`)."""
        return locate(self.problems, text, file)


def given(table: msgspec.Struct | None) -> dict[str, Any]:
    """The fields a checked table sets (not None), by name: keyword arguments for a model. A required table
    that was missing or rejected is None, and gives nothing."""
    if table is None:
        return {}
    return {name: value for name, value in msgspec.structs.asdict(table).items() if value is not None}


def locate(problems: Iterable[Problem], text: str, file: str) -> list[Located]:
    """Each problem placed in ``text`` (the source of ``file``), in file order (one without a line first)."""
    index = LineIndex(text)
    located = [
        Located(file, index.line_of(p.lookup or p.path), render_key(p.path) or None, where(p.path, p.table),
                _items(p.path) + p.message, p.suggestion, p)
        for p in problems
    ]
    return sorted(located, key=lambda item: item.line or 0)


class _Bad:
    """A value that did not convert."""


_BAD = _Bad()
_NONE_TYPES = (type(None), msgspec.UnsetType)


def validate(data: Mapping[str, Any], schema: type[S], *, skip: Collection[KeyPath] = ()) -> Report[S]:
    """Check a decoded TOML document against ``schema``, collecting every problem.

    ``skip``: paths reported elsewhere (e.g. secret-named keys), neither checked nor kept.
    """
    report: Report[S] = Report(None)  # type: ignore[arg-type]  # set below, when the walk is done
    report.value = _Walk(report, skip).struct(schema, data, ())
    return report


@cache
def _unwrap(tp: Any) -> tuple[Any, Mapping[str, Any], tuple[msgspec.Meta, ...]]:
    """``(base type, merged Meta.extra, Metas)``: Annotated and Optional taken off."""
    metas: list[msgspec.Meta] = []
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp, *extras = get_args(tp)
            metas.extend(m for m in extras if isinstance(m, msgspec.Meta))
        elif origin in (Union, types.UnionType):
            kept = [arg for arg in get_args(tp) if arg not in _NONE_TYPES]
            if len(kept) != 1:
                break
            tp = kept[0]
        else:
            break
    extra: dict[str, Any] = {}
    for meta in metas:
        extra.update(meta.extra or {})
    return tp, extra, tuple(metas)


def _kinds(base: Any) -> tuple[type, ...] | None:
    """The TOML value kinds ``base`` accepts (None: anything, or unknown)."""
    if base in (str, bool, int, list, dict):
        return (base,)
    if base is float:
        return (int, float)
    if base is datetime:
        return (str, datetime)
    origin = get_origin(base)
    if origin is Literal:
        return tuple({type(choice) for choice in get_args(base)})
    if origin in (list, tuple, dict):
        return (list,) if origin is not dict else (dict,)
    if isinstance(base, type) and issubclass(base, msgspec.Struct):
        return (dict,)
    return None


def _is_kind(value: Any, kinds: tuple[type, ...]) -> bool:
    return isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)


def _describe(kinds: tuple[type, ...]) -> str:
    """``a string``, ``a number`` (int or float), ``a string or a date/time`` ..."""
    if set(kinds) == {int, float}:
        return "a number"
    names = dict(_KIND_NAMES)
    return " or ".join(names.get(kind, kind.__name__) for kind in kinds)


def _choices(values: tuple[Any, ...]) -> str:
    shown = [str(value) for value in values]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"


def _declared(tp: Any) -> str | None:
    """What a value of ``tp`` must be, when the schema says it (Meta ``expected``, or Literal choices)."""
    base, extra, _ = _unwrap(tp)
    if "expected" in extra:
        expected: str = extra["expected"]  # Meta(extra={"expected": ...}): the schema's words
        return expected
    return _choices(get_args(base)) if get_origin(base) is Literal else None


_fields = cache(msgspec.structs.fields)  # resolving a Struct's annotations is the slow part of a walk


class _Walk:
    def __init__(self, report: Report[Any], skip: Collection[KeyPath]):
        self.report = report
        self.skip = skip

    def problem(self, path: KeyPath, message: str, suggestion: str | None, kind: str, **kw: Any) -> _Bad:
        self.report.problems.append(Problem(path, message, suggestion, kind, **kw))
        self.report._failed.add(path)
        return _BAD

    def struct(self, cls: type[msgspec.Struct], data: Mapping[str, Any], path: KeyPath) -> Any:
        fields = _fields(cls)
        names = {f.encode_name for f in fields}
        if cls.__struct_config__.forbid_unknown_fields:
            for key, value in data.items():
                here = (*path, key)
                if key in names or here in self.skip:
                    continue
                is_table = isinstance(value, dict)
                hint = did_you_mean(key, names, table_prefix=tuple(map(str, path)) if is_table else None)
                self.problem(here, "unknown table" if is_table else "unknown key", hint, UNKNOWN, table=is_table)
        values: dict[str, Any] = {}
        for f in fields:
            here = (*path, f.encode_name)
            if here in self.skip:
                continue
            if f.encode_name in data:
                value = self.value(f.type, data[f.encode_name], here)
            else:
                value = _BAD
                if f.required:
                    wants_table = _kinds(_unwrap(f.type)[0]) == (dict,)
                    # where unknown keys are allowed, a near miss among them is the likely cause
                    near = ([] if cls.__struct_config__.forbid_unknown_fields else
                            difflib.get_close_matches(f.encode_name, [k for k in data if k not in names], 1))
                    self.problem(here, "required", f"found {near[0]!r}" if near else None, MISSING,
                                 table=wants_table, expected=_declared(f.type))
            if value is not _BAD:
                values[f.name] = value
            elif f.required:
                values[f.name] = None  # a placeholder: the problem is reported
        return cls(**values)

    def value(self, tp: Any, value: Any, path: KeyPath) -> Any:
        """``value`` converted to ``tp``, or _BAD (every problem reported, the path marked failed)."""
        got = self._value(tp, value, path)
        if got is _BAD:
            self.report._failed.add(path)
        return got

    def _value(self, tp: Any, value: Any, path: KeyPath) -> Any:
        base, _, _ = _unwrap(tp)
        kinds = _kinds(base)
        if kinds is not None and not _is_kind(value, kinds):
            return self.invalid(tp, value, path, mismatch=True)
        if isinstance(base, type) and issubclass(base, msgspec.Struct):
            return self.struct(base, value, path)
        origin = get_origin(base)
        if origin is dict:
            key_type, item_type = get_args(base)
            out = {}
            for key, item in value.items():
                here = (*path, key)
                if here in self.skip:
                    continue
                if key_type is not str:  # a bad key is reported, and its entry still checked and kept (so
                    self.scalar(key_type, key, here, table=isinstance(item, dict))  # later rules can name it)
                got = self.value(item_type, item, here)
                if got is not _BAD:
                    out[key] = got
            return out
        if origin in (list, tuple):
            args = get_args(base)
            item_type = args[0] if args else Any
            items = [self.value(item_type, item, (*path, index)) for index, item in enumerate(value)]
            kept = [item for item in items if item is not _BAD]
            if len(kept) < len(items):
                return _BAD
            return kept if origin is list else tuple(kept)
        return self.scalar(tp, value, path)

    def scalar(self, tp: Any, value: Any, path: KeyPath, table: bool = False) -> Any:
        try:
            return msgspec.convert(value, tp)
        except msgspec.ValidationError as error:
            return self.invalid(tp, value, path, reason=str(error), table=table)

    def invalid(self, tp: Any, value: Any, path: KeyPath, *, mismatch: bool = False, reason: str = "",
                table: bool = False) -> _Bad:
        """Report a value ``tp`` rejects: of the wrong kind (``mismatch``), not one of the choices, out of
        range, or not of the declared form (``reason``: msgspec's words)."""
        base, extra, metas = _unwrap(tp)
        kinds = _kinds(base) or ()
        table = table or isinstance(value, dict) or kinds == (dict,)
        suggestion = extra.get("hint")
        expected = _declared(tp)
        if mismatch:
            expected = expected or _describe(kinds)
            got = type_name(value)
            message = f"expected {expected}, got {got}"
        else:
            got = short(value) if isinstance(value, str) else repr(value)
            low, high = _bounds(metas)
            if get_origin(base) is Literal:
                choices = [str(choice) for choice in get_args(base)]
                message = f"{got} is not one of {', '.join(choices)}"
                if isinstance(value, str):
                    suggestion = did_you_mean(value, choices, cutoff=0.5, list_valid=False) or suggestion
            elif isinstance(value, (int, float)) and (low is not None or high is not None):
                bounds = _range(low, high)
                expected = expected or bounds
                message = f"{_number(value)}{extra.get('unit', '')} is out of range: expected {bounds}"
                if low is not None and value < low:
                    suggestion = extra.get("hint_below", suggestion)
            else:
                fallback = reason.split(" - at `", 1)[0]  # msgspec's own words, without its path
                message = f"expected {expected}" if expected else fallback[:1].lower() + fallback[1:]
                expected = expected or _describe(kinds)
            message = extra.get("message", message)
        return self.problem(path, message, suggestion, INVALID, table=table, expected=expected, got=got)


def _bounds(metas: tuple[msgspec.Meta, ...]) -> tuple[float | None, float | None]:
    """The lowest and highest value the Metas allow (None: unbounded)."""
    low = high = None
    for meta in metas:
        low = meta.ge if meta.ge is not None else meta.gt if meta.gt is not None else low
        high = meta.le if meta.le is not None else meta.lt if meta.lt is not None else high
    return low, high


def _range(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"{_number(low)} to {_number(high)}"
    return f"at least {_number(low)}" if low is not None else f"at most {_number(high or 0)}"

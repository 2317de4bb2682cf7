"""The one mapping between wire JSON (Graph, ARM) and the domain model.

Every model class is declared with :func:`model` and fields made by :func:`F`. The decorator turns the
class into a frozen, slotted dataclass and compiles two functions for it from the field declarations:

* ``Cls.from_wire(obj, path=(), notes=None)`` builds the object from a decoded JSON object, checking
  types, keeping every unknown property in ``extra`` and noting unknown enum values (kept as they are);
* ``obj.to_wire()`` gives the JSON object back (known fields plus everything kept in ``extra``).

The functions are generated once per class (as ``dataclasses`` generates ``__init__``) because bulk reads
parse hundreds of thousands of objects; a generic per-field interpreter was several times slower. Each is
compiled on its first use. Classes whose objects repeat in bulk data (a sign-in's device, location,
applied policies) are made shared with :func:`share`: equal wire objects give one model object.

A malformed object raises :class:`WireError` carrying the JSON path inside the document, so a loader can
report ``file $[12].conditions.users.includeUsers: expected a list of strings`` and go on with the rest.
"""

from __future__ import annotations

import _thread
import dataclasses
import functools
import sys
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, Self, TypeVar, cast, dataclass_transform

import msgspec

__all__ = [
    "F",
    "Poly",
    "Wire",
    "WireError",
    "WireNote",
    "describe_value",
    "jsonpath",
    "model",
    "parse_time",
    "format_time",
    "unwrap_collection",
    "unwrap_single",
    "polymorphic",
    "parse_one",
    "parse_items",
    "share",
]

_intern = sys.intern

#: Where a value stands in a JSON document: keys and list indexes from the root.
JsonPath = tuple[str | int, ...]


def jsonpath(parts: Iterable[str | int]) -> str:
    """Render path parts as a JSONPath: ``("value", 3, "conditions")`` -> ``$.value[3].conditions``."""
    out = ["$"]
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif part.isidentifier() or part.replace("@", "").replace(".", "_").isidentifier():
            out.append(f".{part}" if "." not in part else f"['{part}']")
        else:
            out.append(f"[{part!r}]")
    return "".join(out)


class WireError(ValueError):
    """A JSON document does not have the shape the model needs, at ``path``."""

    def __init__(self, path: JsonPath, message: str):
        super().__init__(f"{jsonpath(path)}: {message}")
        self.path = path
        self.message = message


@dataclasses.dataclass(frozen=True, slots=True)
class WireNote:
    """Something unusual that was kept, e.g. an enum value this version does not know."""

    path: JsonPath
    message: str

    def __str__(self) -> str:
        return f"{jsonpath(self.path)}: {self.message}"


def describe_value(value: Any) -> str:
    """What a JSON value is, in words (``a string``, ``a list``...), for the messages of a bad value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _bad(path: JsonPath, key: str | int | tuple[str, ...], expected: str, value: Any) -> WireError:
    where = path + (key if isinstance(key, tuple) else (key,))
    return WireError(where, f"expected {expected}, got {describe_value(value)}")


def parse_time(value: str) -> datetime:
    """Parse a Graph/ARM timestamp (``2019-09-26T23:12:16.0792706Z``) to an aware UTC datetime."""
    return _to_utc(datetime.fromisoformat(value))


def _to_utc(dt: datetime) -> datetime:
    """A parsed timestamp in UTC: naive means UTC; a zero offset is kept as it is."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC) if dt.utcoffset() else dt


def format_time(dt: datetime) -> str:
    """The wire form of a timestamp, as Graph writes it (UTC, ``Z``)."""
    dt = dt.astimezone(UTC)
    if dt.microsecond:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _str_tuple(value: Any, path: JsonPath, key: tuple[str, ...], intern: bool) -> tuple[str, ...]:
    if type(value) is not list:
        raise _bad(path, key, "a list of strings", value)
    try:
        "".join(value)  # every element a string (decoded JSON has no str subclasses), checked in C
    except TypeError:
        for i, item in enumerate(value):
            if type(item) is not str:
                raise _bad(path + key, i, "a string", item) from None
    if intern:
        return tuple(map(_intern, value))
    return tuple(value)


def _int_tuple(value: Any, path: JsonPath, key: tuple[str, ...]) -> tuple[int, ...]:
    if type(value) is not list:
        raise _bad(path, key, "a list of integers", value)
    for i, item in enumerate(value):
        if type(item) is not int:
            raise _bad(path + key, i, "an integer", item)
    return tuple(value)


class Poly:
    """A field whose objects take their class from a discriminator property.

    ``Poly("ruleType", {"NetworkRule": NetworkRule, ...}, fallback=Rule)``: an unknown discriminator value
    becomes the fallback class (everything kept in ``extra``) and a note; it is never an error.
    """

    __slots__ = ("key", "classes", "fallback", "strip")

    def __init__(self, key: str, classes: Mapping[str, type[Wire]], fallback: type[Wire], *, strip: str = ""):
        self.key = key
        self.classes = dict(classes)
        self.fallback = fallback
        self.strip = strip  # a prefix to ignore when matching, e.g. "#microsoft.graph."

    def pick(self, obj: dict[str, Any], path: JsonPath, notes: list[WireNote] | None) -> type[Wire]:
        tag = obj.get(self.key)
        if tag is None:
            return self.fallback
        if type(tag) is not str:
            raise _bad(path, self.key, "a string", tag)
        cls = self.classes.get(tag)
        if cls is None and self.strip and type(tag) is str and tag.startswith(self.strip):
            cls = self.classes.get(tag[len(self.strip):])
        if cls is None:
            if notes is not None:
                notes.append(WireNote(path + (self.key,), f"unknown {self.key} {tag!r}; kept as is"))
            return self.fallback
        return cls


class _Spec:
    __slots__ = ("key", "kind", "sub", "required", "enum", "intern", "check", "doc")

    def __init__(self, key: str, kind: str, sub: type[Wire] | Poly | None, required: bool,
                 enum: Iterable[str] | None, intern: bool, check: Callable[[Any], str | None] | None,
                 doc: str):
        self.key = key
        self.kind = kind
        self.sub = sub
        self.required = required
        self.enum = frozenset(enum) if enum is not None else None
        self.intern = intern
        self.check = check
        self.doc = doc


_KINDS = {"str", "int", "float", "bool", "time", "strs", "ints", "obj", "objs", "json"}
_TUPLE_KINDS = {"strs", "ints", "objs"}


def F(
    key: str,
    kind: str = "str",
    sub: type[Wire] | Poly | None = None,
    *,
    required: bool = False,
    enum: Iterable[str] | None = None,
    intern: bool = False,
    check: Callable[[Any], str | None] | None = None,
    doc: str = "",
) -> Any:
    """Declare a model field read from wire property ``key``.

    ``key`` may be dotted for ARM's ``properties`` envelope (``"properties.priority"``); an OData
    annotation (``"@odata.type"``) is a literal key.
    Kinds: ``str int float bool time`` (scalars, default None), ``strs ints`` (tuples, default ()),
    ``obj objs`` (nested models, ``sub`` a model class or :class:`Poly`), ``json`` (kept as decoded).
    ``enum``: the values this version knows; others are kept and noted. ``intern``: the value repeats
    across many objects (ids, app ids, enum-like strings), so share one string object. ``check``: a value
    the type admits but the service never sends (a country code of three letters) makes the item
    malformed: ``check(value)`` returns what is wrong, or None; for ``strs``/``ints`` each element is
    checked. The engine can then trust the values it is given.
    """
    if kind not in _KINDS:
        raise ValueError(f"unknown field kind {kind!r}")
    if kind in ("obj", "objs") and sub is None:
        raise ValueError(f"field {key!r} of kind {kind} needs sub=")
    if check is not None and kind not in ("str", "int", "float", "strs", "ints"):
        raise ValueError(f"field {key!r}: check= applies to scalar and list-of-scalar kinds only")
    spec = _Spec(key, kind, sub, required, enum, intern, check, doc)
    default: Any = () if kind in _TUPLE_KINDS else None
    return dataclasses.field(default=default, metadata={"wire": spec})


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Wire:
    """Base of every model object: ``extra`` keeps the properties this version does not model.

    ``extra`` maps a container (``""`` for the object itself, ``"properties"`` for ARM's envelope) to
    the unknown properties found there, or is None when there were none.
    """

    extra: dict[str, dict[str, Any]] | None = dataclasses.field(default=None, repr=False)

    wire_fields: ClassVar[tuple[tuple[str, _Spec], ...]] = ()

    @classmethod
    def from_wire(cls, obj: Any, path: JsonPath = (), notes: list[WireNote] | None = None) -> Self:
        """Build the object from decoded JSON (generated per class by :func:`model`)."""
        raise NotImplementedError

    def to_wire(self) -> dict[str, Any]:  # replaced per class
        raise NotImplementedError

    def unknown(self, name: str, container: str = "") -> Any:
        """An unknown property kept from the wire, or None."""
        if self.extra is None:
            return None
        return self.extra.get(container, {}).get(name)


_Parse = Callable[[Any, JsonPath, "list[WireNote] | None"], Any]


def _obj_parser(sub: type[Wire] | Poly) -> _Parse:
    if isinstance(sub, Poly):
        def parse(v: Any, p: JsonPath, notes: list[WireNote] | None) -> Any:
            if type(v) is not dict:
                raise WireError(p, f"expected an object, got {describe_value(v)}")
            return sub.pick(v, p, notes).from_wire(v, p, notes)
        return parse

    def parse_plain(v: Any, p: JsonPath, notes: list[WireNote] | None) -> Any:
        return sub.from_wire(v, p, notes)
    return parse_plain


def _objs(parse_one: _Parse, value: Any, path: JsonPath, key: tuple[str, ...],
          notes: list[WireNote] | None) -> tuple[Any, ...]:
    if type(value) is not list:
        raise _bad(path, key, "a list of objects", value)
    base = path + key
    return tuple([parse_one(item, base + (i,), notes) for i, item in enumerate(value)])


def _note_enum(notes: list[WireNote] | None, path: JsonPath, key: tuple[str, ...], value: Any) -> None:
    if notes is not None:
        notes.append(WireNote(path + key, f"unknown value {value!r}; kept as is"))


def snake(name: str) -> str:
    """``userPrincipalName`` -> ``user_principal_name``; ``@odata.type`` -> ``odata_type``;
    ``riskEventTypes_v2`` -> ``risk_event_types_v2``; ``sourceIPAddress`` -> ``source_ip_address``."""
    name = name.lstrip("@").replace(".", "_").replace("-", "_")
    out = []
    for i, ch in enumerate(name):
        if ch.isupper():
            prev = name[i - 1] if i else ""
            nxt = name[i + 1] if i + 1 < len(name) else ""
            # "IPAddress" -> ip_address, but a plural acronym keeps its s: "AAGUIDs" -> aaguids
            plural = nxt == "s" and (i + 2 >= len(name) or not name[i + 2].islower())
            if i and (prev.islower() or prev.isdigit() or (prev.isupper() and nxt.islower() and not plural)):
                out.append("_")
            out.append(ch.lower())
        else:
            out.append(ch)
    return "".join(out).replace("__", "_")


def _parts(key: str) -> list[str]:
    """Split a dotted field key; an OData annotation (``@odata.type``) is one literal part."""
    head, at, annotation = key.partition("@")
    parts = [p for p in head.split(".") if p] if head else []
    if at:
        parts.append("@" + annotation)
    return parts


@functools.cache
def _allowed_names(key: str) -> frozenset[str]:
    parts = [p for p in _parts(key) if p != "properties"]
    return frozenset("_".join(snake(p) for p in parts[i:]) for i in range(len(parts)))


def _compile(cls: type[Wire]) -> None:
    """Generate ``from_wire`` and ``to_wire`` for a model class from its field declarations."""
    specs: list[tuple[str, _Spec]] = []
    for f in dataclasses.fields(cls):
        spec = f.metadata.get("wire") if f.metadata else None
        if spec is not None:
            allowed = _allowed_names(spec.key)
            if f.name not in allowed and f.name.rstrip("_") not in allowed:
                raise TypeError(
                    f"{cls.__qualname__}.{f.name}: attribute for wire key {spec.key!r} must be named "
                    f"{' or '.join(sorted(allowed))} (project convention: snake_case of the wire name; "
                    f"ARM 'properties.' is dropped; a trailing _ is allowed for Python keywords)"
                )
            specs.append((f.name, spec))
    cls.wire_fields = tuple(specs)
    # a nested class made shared (share()) before this one was declared is looked up inline
    caches = [_shared(spec.sub) for _, spec in specs]
    source = _Source(cls, caches)
    cls.from_wire = _LazyFromWire(cls, source)  # type: ignore[method-assign,assignment]
    cls.to_wire = _lazy_to_wire(cls, source)  # type: ignore[method-assign,assignment]


class _Source:
    """The generated source of a class's ``from_wire`` and ``to_wire``, written on first use."""

    def __init__(self, cls: type[Wire], caches: list[dict[bytes, Any] | None]):
        self.cls, self.caches = cls, caches
        self.made: tuple[str, str, str, dict[str, Any]] | None = None

    def get(self) -> tuple[str, str, str, dict[str, Any]]:
        """``(from_wire source, to_wire source, file name, namespace)``."""
        if self.made is None:
            self.made = _generate(self.cls, self.caches)
        return self.made


def _generate(cls: type[Wire], caches: list[dict[bytes, Any] | None]) -> tuple[str, str, str, dict[str, Any]]:
    """Write the source of ``from_wire`` and ``to_wire`` for a model class from its field declarations."""
    specs = list(cls.wire_fields)
    # containers: "" plus every dotted prefix ("properties", "properties.x")
    containers: dict[str, set[str]] = {"": set()}
    for _, spec in specs:
        parts = _parts(spec.key)
        for depth in range(len(parts)):
            prefix = ".".join(parts[:depth])
            containers.setdefault(prefix, set()).add(parts[depth])
    cvar = {c: f"_c{i}" for i, c in enumerate(containers)}

    ns: dict[str, Any] = {
        "_cls": cls,
        "_bad": _bad,
        "_fromiso": datetime.fromisoformat,
        "_UTC": UTC,
        "_to_utc": _to_utc,
        "_key": _share_key,
        "_strs": _str_tuple,
        "_join": "".join,
        "_ints": _int_tuple,
        "_objs": _objs,
        "_note": _note_enum,
        "_intern": _intern,
        "WireError": WireError,
        "describe_value": describe_value,
        "_format_time": format_time,
    }
    for c, names in containers.items():
        ns[f"_known{cvar[c]}"] = known = frozenset(names)
        ns[f"_all_known{cvar[c]}"] = known.issuperset  # every key known (faster than keys() <= known)

    lines = ["def from_wire(cls, d, p=(), notes=None):"]
    lines.append("    if type(d) is not dict:")
    lines.append("        raise WireError(p, 'expected an object, got ' + describe_value(d))")
    lines.append("    _c0 = d")
    # the OData type annotation is kept in ``extra`` but read by every typed object: a string or nothing.
    # Unless a field declares it, it is an unknown key: checked only when the object has unknown keys.
    odata_check = ["_t = d.get('@odata.type')", "if _t is not None and type(_t) is not str:",
                   "    raise _bad(p, '@odata.type', 'a string', _t)"]
    declared = "@odata.type" in containers[""]
    if declared:
        lines.extend("    " + line for line in odata_check)
    lines.append("    extra = None")
    lines.append("    if not _all_known_c0(d):")
    if not declared:
        lines.extend("        " + line for line in odata_check)
    lines.append("        extra = {'': {k: d[k] for k in d if k not in _known_c0}}")
    # nested containers, parents before children
    for c in sorted(containers, key=lambda s: (s.count("."), s)):
        if c == "":
            continue
        parent, _, leaf = c.rpartition(".")
        pv, v = cvar[parent], cvar[c]
        lines.append(f"    {v} = {pv}.get({leaf!r})")
        lines.append(f"    if {v} is None:")
        lines.append(f"        {v} = {{}}")
        lines.append(f"    elif type({v}) is not dict:")
        lines.append(f"        raise _bad(p, {tuple(c.split('.'))!r}, 'an object', {v})")
        lines.append("    else:")
        lines.append(f"        if not _all_known{v}({v}):")
        lines.append("            if extra is None:")
        lines.append("                extra = {}")
        lines.append(f"            extra[{c!r}] = {{k: {v}[k] for k in {v} if k not in _known{v}}}")

    args = []
    for i, (name, spec) in enumerate(specs):
        kparts = _parts(spec.key)
        parent, leaf = ".".join(kparts[:-1]), kparts[-1]
        src = cvar[parent]
        var = f"v{i}"
        key = tuple(kparts)
        lines.append(f"    {var} = {src}.get({leaf!r})")
        if spec.required:
            lines.append(f"    if {var} is None:")
            lines.append(f"        raise WireError(p + {key!r}, 'required property is missing')")
        k = spec.kind
        body: list[str] = []
        cache = caches[i]  # the sub-object's cache when its class is shared (share())
        if k == "str":
            body.append(f"if type({var}) is not str: raise _bad(p, {key!r}, 'a string', {var})")
            if spec.intern and spec.enum is not None:
                # a known value is its interned self, found with one look-up in a small table
                ns[f"_canon{i}"] = {_intern(x): _intern(x) for x in spec.enum}
                body.append(f"_c = _canon{i}.get({var})")
                body.append("if _c is None:")
                body.append(f"    {var} = _intern({var})")
                body.append(f"    _note(notes, p, {key!r}, {var})")
                body.append("else:")
                body.append(f"    {var} = _c")
            elif spec.intern:
                body.append(f"{var} = _intern({var})")
            elif spec.enum is not None:
                ns[f"_enum{i}"] = spec.enum
                body.append(f"if {var} not in _enum{i}: _note(notes, p, {key!r}, {var})")
        elif k == "int":
            body.append(
                f"if type({var}) is not int: raise _bad(p, {key!r}, 'an integer', {var})"
            )
        elif k == "float":
            body.append(
                f"if type({var}) is not float and type({var}) is not int: "
                f"raise _bad(p, {key!r}, 'a number', {var})"
            )
        elif k == "bool":
            body.append(f"if type({var}) is not bool: raise _bad(p, {key!r}, 'a boolean', {var})")
        elif k == "time":  # parse_time, inline: a UTC timestamp ("...Z") needs no conversion
            body.append(f"if type({var}) is not str: raise _bad(p, {key!r}, 'a timestamp string', {var})")
            body.append("try:")
            body.append(f"    {var} = _fromiso({var})")
            body.append("except ValueError:")
            body.append(f"    raise WireError(p + {key!r}, 'not a timestamp: ' + repr({var}[:40])) from None")
            body.append(f"if {var}.tzinfo is not _UTC: {var} = _to_utc({var})")
        elif k == "strs":
            # inline: an empty list (ARM sends many) costs one test; a list of strings is checked in C
            body.append(f"if type({var}) is not list: raise _bad(p, {key!r}, 'a list of strings', {var})")
            body.append(f"if not {var}:")
            body.append(f"    {var} = ()")
            body.append("else:")
            body.append("    try:")
            body.append(f"        _join({var})")
            body.append("    except TypeError:")
            body.append(f"        _strs({var}, p, {key!r}, False)")
            body.append(f"    {var} = tuple(map(_intern, {var}))" if spec.intern else f"    {var} = tuple({var})")
            if spec.enum is not None:
                ns[f"_enum{i}"] = spec.enum
                body.append(f"    if not _enum{i}.issuperset({var}):")
                body.append(f"        for _x in {var}:")
                body.append(f"            if _x not in _enum{i}: _note(notes, p, {key!r}, _x)")
        elif k == "ints":
            body.append(f"{var} = _ints({var}, p, {key!r})")
        elif k == "obj" and cache is not None:
            # a shared class (share()): look the wire object up in its cache, inline; parse on a miss
            ns[f"_cls{i}"] = spec.sub
            ns[f"_hit{i}"] = cache.get
            body.append("try:")
            body.append(f"    _h = _hit{i}(_key({var}))")
            body.append("except Exception:")
            body.append("    _h = None")
            body.append(f"{var} = _cls{i}.from_wire({var}, p + {key!r}, notes) if _h is None else _h")
        elif k == "obj" and not isinstance(spec.sub, Poly):
            # call the nested class directly (looked up at call time: a class may wrap its from_wire)
            ns[f"_cls{i}"] = spec.sub
            body.append(f"{var} = _cls{i}.from_wire({var}, p + {key!r}, notes)")
        elif k == "obj":
            assert spec.sub is not None  # F() refuses obj/objs without sub=
            ns[f"_sub{i}"] = _obj_parser(spec.sub)
            body.append(f"{var} = _sub{i}({var}, p + {key!r}, notes)")
        elif k == "objs" and cache is not None:
            # a list of a shared class: every item found in its cache (in C), or each parsed in turn
            ns[f"_cls{i}"] = spec.sub
            ns[f"_item{i}"] = cache.__getitem__
            body.append(f"if type({var}) is not list: raise _bad(p, {key!r}, 'a list of objects', {var})")
            body.append("try:")
            body.append(f"    {var} = tuple(map(_item{i}, map(_key, {var})))")
            body.append("except Exception:")
            body.append(f"    _b = p + {key!r}")
            body.append(f"    _f = _cls{i}.from_wire")
            body.append(f"    {var} = tuple([_f(_x, _b + (_j,), notes) for _j, _x in enumerate({var})])")
        elif k == "objs" and not isinstance(spec.sub, Poly):
            ns[f"_cls{i}"] = spec.sub
            body.append(f"if type({var}) is not list: raise _bad(p, {key!r}, 'a list of objects', {var})")
            body.append(f"_b = p + {key!r}")
            body.append(f"_f = _cls{i}.from_wire")
            body.append(f"{var} = tuple([_f(_x, _b + (_j,), notes) for _j, _x in enumerate({var})])")
        elif k == "objs":
            assert spec.sub is not None
            ns[f"_sub{i}"] = _obj_parser(spec.sub)
            body.append(f"{var} = _objs(_sub{i}, {var}, p, {key!r}, notes)")
        elif k == "json":
            pass
        if spec.check is not None:
            ns[f"_check{i}"] = spec.check
            if k in ("strs", "ints"):
                body.append(f"for _j, _x in enumerate({var}):")
                body.append(f"    _m = _check{i}(_x)")
                body.append(f"    if _m is not None: raise WireError(p + {key!r} + (_j,), _m)")
            else:
                body.append(f"_m = _check{i}({var})")
                body.append(f"if _m is not None: raise WireError(p + {key!r}, _m)")
        if k in _TUPLE_KINDS:
            lines.append(f"    if {var} is None:")
            lines.append(f"        {var} = ()")
            lines.append("    else:")
        elif body:
            lines.append(f"    if {var} is not None:")
        for b in body:
            lines.append("        " + b)
        args.append((name, var))
    # Build without the frozen dataclass __init__ (one object.__setattr__ per field, a third of the
    # parse time of a sign-in): fill a twin of the class whose attribute writes are plain slot writes,
    # then give the object its real class. Fields that are not on the wire get their defaults.
    lines.append("    o = _new(_Twin)")
    for name, var in args:
        lines.append(f"    o.{name} = {var}")
    for f in dataclasses.fields(cls):
        if f.metadata and "wire" in f.metadata or f.name == "extra":
            continue
        if f.default is not dataclasses.MISSING:
            ns[f"_default_{f.name}"] = f.default
            lines.append(f"    o.{f.name} = _default_{f.name}")
        elif f.default_factory is not dataclasses.MISSING:
            ns[f"_factory_{f.name}"] = f.default_factory
            lines.append(f"    o.{f.name} = _factory_{f.name}()")
        else:
            raise TypeError(f"{cls.__qualname__}.{f.name}: a model field needs F(...) or a default")
    lines.append("    o.extra = extra")
    lines.append("    o.__class__ = _cls")
    lines.append("    return o")
    # Both __setattr__ and __delattr__ must be object's: they share one type slot, and one Python-level
    # override (the frozen dataclass's __delattr__) would route every write through a method lookup and
    # keep the interpreter from specialising them to direct slot stores (five times slower).
    ns["_Twin"] = twin = type(f"_{cls.__name__}Builder", (cls,), {
        "__slots__": (), "__setattr__": object.__setattr__, "__delattr__": object.__delattr__,
        "__module__": cls.__module__})
    ns["_new"] = twin.__new__  # looked up once, not per object

    # to_wire
    tl = ["def to_wire(self):", "    out = {}"]
    for c in sorted(containers, key=lambda s: (s.count("."), s)):
        if c == "":
            continue
        parent, _, leaf = c.rpartition(".")
        tl.append(f"    {cvar[c]} = {{}}")
    tl.append(f"    {cvar['']} = out")
    for name, spec in specs:
        kparts = _parts(spec.key)
        parent, leaf = ".".join(kparts[:-1]), kparts[-1]
        dst = cvar[parent]
        k = spec.kind
        tl.append(f"    v = self.{name}")
        if k in ("strs", "ints"):
            tl.append(f"    {dst}[{leaf!r}] = list(v)")
        elif k == "objs":
            tl.append(f"    {dst}[{leaf!r}] = [x.to_wire() for x in v]")
        else:
            tl.append("    if v is not None:")
            if k == "time":
                tl.append(f"        {dst}[{leaf!r}] = _format_time(v)")
            elif k == "obj":
                tl.append(f"        {dst}[{leaf!r}] = v.to_wire()")
            else:
                tl.append(f"        {dst}[{leaf!r}] = v")
    tl.append("    ex = self.extra")
    tl.append("    if ex:")
    tl.append("        _x = ex.get('')")
    tl.append("        if _x:")
    tl.append("            out.update(_x)")
    for c in sorted(containers, key=lambda s: (s.count("."), s)):
        if c == "":
            continue
        tl.append(f"        _x = ex.get({c!r})")
        tl.append("        if _x:")
        tl.append(f"            {cvar[c]}.update(_x)")
    # attach non-empty containers, deepest first
    for c in sorted(containers, key=lambda s: (-s.count("."), s)):
        if c == "":
            continue
        parent, _, leaf = c.rpartition(".")
        tl.append(f"    if {cvar[c]}:")
        tl.append(f"        {cvar[parent]}[{leaf!r}] = {cvar[c]}")
    tl.append("    return out")

    from_source = "\n".join(lines) + "\n"
    to_source = "\n".join(tl) + "\n"
    cls.__wire_source__ = from_source + "\n" + to_source  # type: ignore[attr-defined]
    return from_source, to_source, f"<wire model {cls.__module__}.{cls.__qualname__}>", ns


# The generated functions are written and compiled on first use: compiling all of them (180 classes) when
# the model is imported cost a tenth of loading a large tenant, a load uses about half of the classes, and
# reading never writes wire JSON back.


class _LazyFromWire:
    """``cls.from_wire`` until first looked up: the lookup compiles the generated source and puts the
    compiled classmethod in this one's place, so every caller (and a wrapper such as :func:`share`)
    gets the compiled function itself."""

    def __init__(self, cls: type[Wire], source: _Source):
        self.cls, self.source = cls, source

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        from_source, _, filename, ns = self.source.get()
        exec(compile(from_source, filename, "exec"), ns)  # noqa: S102 - generated from our declarations
        method: classmethod[Any, Any, Any] = classmethod(ns["from_wire"])
        if self.cls.__dict__.get("from_wire") is self:  # not replaced meanwhile (another thread)
            self.cls.from_wire = method
        return method.__get__(obj, owner if owner is not None else type(obj))


def _lazy_to_wire(cls: type[Wire], source: _Source) -> Callable[[Wire], dict[str, Any]]:
    """``cls.to_wire`` until first called: compiles the generated source, then takes its own place."""

    def to_wire(self: Wire) -> dict[str, Any]:
        _, to_source, filename, ns = source.get()
        exec(compile(to_source, filename, "exec"), ns)  # noqa: S102 - generated from our own declarations
        fn: Callable[[Wire], dict[str, Any]] = ns["to_wire"]
        cls.to_wire = fn  # type: ignore[method-assign,assignment]
        return fn(self)

    return to_wire


_W = TypeVar("_W", bound=type[Wire])


@dataclass_transform(frozen_default=True, kw_only_default=True)
def model(cls: _W) -> _W:
    """Class decorator: a frozen, slotted, keyword-only dataclass with compiled wire mapping.

    Naming convention (enforced): an attribute is the snake_case of its wire property
    (``displayName`` -> ``display_name``, ``@odata.type`` -> ``odata_type``), or of its dotted path
    without ARM's ``properties`` (``properties.sku.tier`` -> ``tier`` or ``sku_tier``).
    """
    own_doc = cls.__dict__.get("__doc__")
    if own_doc is None:  # else dataclasses writes one from the signature of the __init__ it did not make
        cls.__doc__ = "-"
    dc = cast(_W, _dataclass(cls))  # slots: a new class
    params = dc.__dataclass_params__  # type: ignore[attr-defined]
    params.init = params.repr = params.eq = True  # as the class has them: made on first use (below)
    _dataclass_methods(dc, own_doc is None)
    _compile(dc)
    return dc


# The methods a frozen dataclass has, made on first use. ``dataclasses`` compiles each class's __init__,
# __repr__, __eq__ and __hash__ from source when the class is created (with __setattr__ and __delattr__,
# which it still makes): about half the cost of importing the model, while a load or a command uses few of
# them (model objects are built by ``from_wire``). The source is the one dataclasses writes (Python 3.11);
# tests/test_model_wire.py holds them to the standard library's behaviour.
_dataclass = dataclasses.dataclass(frozen=True, slots=True, kw_only=True, init=False, repr=False, eq=False)


class _FirstUse:
    """A method of ``cls`` until first looked up: the lookup compiles it and puts it in its own place."""

    __slots__ = ("cls", "name")

    def __init__(self, cls: type, name: str):
        self.cls, self.name = cls, name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        fn = _dataclass_method(self.cls, self.name)
        if self.cls.__dict__.get(self.name) is self:
            setattr(self.cls, self.name, fn)
        return fn.__get__(obj, owner if owner is not None else type(obj))


def _dataclass_methods(cls: type, doc: bool) -> None:
    """Give ``cls`` the dataclass methods it does not define itself (each made on first use), and the
    docstring dataclasses writes for a class without one: its name and its __init__'s signature."""
    for name in ("__init__", "__repr__", "__eq__"):
        if name not in cls.__dict__:
            setattr(cls, name, _FirstUse(cls, name))
    own_hash = cls.__dict__.get("__hash__", dataclasses.MISSING)
    if own_hash is dataclasses.MISSING or (own_hash is None and "__eq__" in cls.__dict__):
        cls.__hash__ = _FirstUse(cls, "__hash__")  # type: ignore[assignment,method-assign]
    if doc:
        params = []
        for f in dataclasses.fields(cls):
            text = f"{f.name}: {f.type!r}" if isinstance(f.type, str) else f"{f.name}: {_type_name(f.type)}"
            if f.default is not dataclasses.MISSING:
                text += f" = {f.default!r}"
            elif f.default_factory is not dataclasses.MISSING:
                text += " = <factory>"
            params.append(text)
        cls.__doc__ = f"{cls.__name__}({', '.join(['*', *params]) if params else ''})"


def _type_name(tp: Any) -> str:
    """An annotation as ``inspect`` writes it in a signature."""
    import inspect

    return inspect.formatannotation(tp)


def _dataclass_method(cls: type, name: str) -> Callable[..., Any]:
    """Compile one dataclass method of ``cls`` (frozen, keyword-only fields), as dataclasses writes it."""
    fields = dataclasses.fields(cls)
    ns: dict[str, Any] = {"_setattr": object.__setattr__, "_HAS_DEFAULT_FACTORY": _HAS_DEFAULT_FACTORY}
    if name == "__init__":
        params, body = [], []
        for f in fields:
            if f.default is not dataclasses.MISSING:
                ns[f"_dflt_{f.name}"] = f.default
                params.append(f"{f.name}=_dflt_{f.name}")
                value = f.name
            elif f.default_factory is not dataclasses.MISSING:
                ns[f"_dflt_{f.name}"] = f.default_factory
                params.append(f"{f.name}=_HAS_DEFAULT_FACTORY")
                value = f"_dflt_{f.name}() if {f.name} is _HAS_DEFAULT_FACTORY else {f.name}"
            else:
                params.append(f.name)
                value = f.name
            body.append(f"    _setattr(self, {f.name!r}, {value})")
        if hasattr(cls, "__post_init__"):
            body.append("    self.__post_init__()")
        source = f"def __init__(self{', *, ' + ', '.join(params) if params else ''}):\n"
        source += "\n".join(body or ["    pass"]) + "\n"
    elif name == "__repr__":
        shown = ", ".join(f"{f.name}={{self.{f.name}!r}}" for f in fields if f.repr)
        source = f"def __repr__(self):\n    return self.__class__.__qualname__ + f\"({shown})\"\n"
    elif name == "__eq__":
        mine = "".join(f"self.{f.name}," for f in fields if f.compare)
        theirs = "".join(f"other.{f.name}," for f in fields if f.compare)
        source = (f"def __eq__(self, other):\n    if other.__class__ is self.__class__:\n"
                  f"        return ({mine})==({theirs})\n    return NotImplemented\n")
    else:
        hashed = "".join(f"self.{f.name}," for f in fields if (f.compare if f.hash is None else f.hash))
        source = f"def __hash__(self):\n    return hash(({hashed}))\n"
    exec(compile(source, f"<dataclass {cls.__module__}.{cls.__qualname__}.{name}>", "exec"), ns)  # noqa: S102
    fn: Callable[..., Any] = ns[name]
    fn.__qualname__ = f"{cls.__qualname__}.{name}"
    if name == "__init__":
        fn.__annotations__ = {**{f.name: f.type for f in fields}, "return": None}
    if name == "__repr__":
        fn = _recursive_repr(fn)
    return fn


class _HasDefaultFactory:
    """The default of a field with a default factory, in __init__'s signature (as dataclasses shows it)."""

    def __repr__(self) -> str:
        return "<factory>"


_HAS_DEFAULT_FACTORY = _HasDefaultFactory()


def _recursive_repr(fn: Callable[[Any], str]) -> Callable[[Any], str]:
    """``...`` for an object met again inside its own repr (as dataclasses' __repr__ does)."""
    running: set[tuple[int, int]] = set()

    @functools.wraps(fn)
    def __repr__(self: Any) -> str:
        key = id(self), _thread.get_ident()
        if key in running:
            return "..."
        running.add(key)
        try:
            return fn(self)
        finally:
            running.discard(key)

    return __repr__


def unwrap_collection(body: Any, path: JsonPath = ()) -> tuple[list[Any], JsonPath]:
    """The items of a collection response body or a tenant-directory collection file.

    Accepts a bare JSON array (tenant directory) or a Graph/ARM page ``{"value": [...], ...}``.
    Returns the items and the JSON path prefix at which they stand.
    """
    if type(body) is list:
        return body, path
    if type(body) is dict and type(body.get("value")) is list:
        return body["value"], path + ("value",)
    raise WireError(path, f"expected a JSON array or an object with a 'value' array, got {describe_value(body)}")


def unwrap_single(body: Any) -> Any:
    """A singleton response body. A few beta samples wrap the entity in ``value``; accept that too."""
    if type(body) is dict and type(body.get("value")) is dict and len(
        [k for k in body if not k.startswith("@odata.")]
    ) == 1:
        return body["value"]
    return body



#: The key of a shared object (:func:`share`): the wire object's msgpack encoding. Exact: equal bytes are
#: equal JSON values of the same types (``true`` and ``1``, ``1`` and ``1.0`` differ), keys in the same order.
_share_key = msgspec.msgpack.Encoder().encode


def _shared(sub: type[Wire] | Poly | None) -> dict[bytes, Any] | None:
    """The cache of a class made shared by :func:`share`, or None."""
    return getattr(sub, "__wire_shared__", None) if isinstance(sub, type) else None


def share(cls: type[Wire], limit: int = 4096) -> None:
    """Let ``cls.from_wire`` return one shared object for equal wire objects.

    Bulk data (sign-ins) repeats the same nested parts (a policy's result, a device, a city) thousands
    of times; the objects are immutable, so equal ones can be one object. The key is the wire object's
    msgpack encoding: fast, and exact. Only objects that parsed without a note are shared, so every
    unknown value is still noted at its own path; a malformed object raises as usual. At most ``limit``
    objects are remembered per class. Model classes declared after this call that embed ``cls`` look
    the shared objects up inline (no call per nested object), so ``share`` is the last wrapper put on
    ``cls.from_wire``.
    """
    generated = cls.from_wire.__func__  # type: ignore[attr-defined]
    cache: dict[bytes, Any] = {}
    key_of = _share_key

    def from_wire(klass: type, d: Any, p: JsonPath = (), notes: list[WireNote] | None = None) -> Any:
        if type(d) is not dict:
            return generated(klass, d, p, notes)
        try:
            key = key_of(d)
        except (OverflowError, ValueError, RecursionError):  # an integer beyond 64 bits, a lone surrogate
            return generated(klass, d, p, notes)
        hit = cache.get(key)
        if hit is not None:
            return hit
        mine: list[WireNote] = []
        obj = generated(klass, d, p, mine)
        if mine:
            if notes is not None:
                notes.extend(mine)
        elif len(cache) < limit:
            cache[key] = obj
        return obj

    cls.from_wire = classmethod(from_wire)  # type: ignore[method-assign,assignment]
    cls.__wire_shared__ = cache  # type: ignore[attr-defined]


def polymorphic(base: type[Wire], poly: Poly) -> None:
    """Make ``base.parse`` dispatch on a discriminator: ``polymorphic(NamedLocation, Poly(...))``."""
    base.__wire_poly__ = poly  # type: ignore[attr-defined]


def parse_one(cls: type[Wire], obj: Any, path: JsonPath = (), notes: list[WireNote] | None = None) -> Any:
    """Build one model object, dispatching through the class's :func:`polymorphic` map if it has one."""
    poly = getattr(cls, "__wire_poly__", None)
    if poly is not None:
        if type(obj) is not dict:
            raise WireError(path, f"expected an object, got {describe_value(obj)}")
        cls = poly.pick(obj, path, notes)
    return cls.from_wire(obj, path, notes)


def parse_items(
    cls: type[Wire], items: list[Any], path: JsonPath = (), notes: list[WireNote] | None = None
) -> tuple[list[Any], list[WireError]]:
    """Build every item of a collection; a malformed item becomes an error and the rest still load."""
    out: list[Any] = []
    errors: list[WireError] = []
    poly = getattr(cls, "__wire_poly__", None)
    if poly is None:
        fw = cls.from_wire
        for i, item in enumerate(items):
            try:
                out.append(fw(item, path + (i,), notes))
            except WireError as e:
                errors.append(e)
    else:
        for i, item in enumerate(items):
            try:
                out.append(parse_one(cls, item, path + (i,), notes))
            except WireError as e:
                errors.append(e)
    return out, errors

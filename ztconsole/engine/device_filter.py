"""Conditional Access device filters: the rule language of ``conditions.devices.deviceFilter``.

A policy's device condition is ``{"mode": "include" | "exclude", "rule": "<rule>"}``. The rule language
is the one Microsoft Learn documents for "Conditional Access: Filter for devices", which refers to the
Entra dynamic membership rule syntax for everything it does not restate:

* properties are written ``device.<name>``; the properties and the operators each one allows are those
  of the CA page (:data:`DEVICE_PROPERTIES`). Names of properties and operators are matched without regard
  to case (the CA page's own example writes ``device.deviceid``; the rule syntax lists ``-EndsWith``
  beside ``-endsWith``). Comparison operators may be written with or without the leading hyphen;
* comparison operators bind tightest, then ``-not``, then ``-and``, then ``-or``; parentheses group;
* string values are quoted, in double quotes (a double quote inside is escaped with a backtick,
  a backtick with a backtick) or single quotes (a single quote inside is doubled: ``''``); no other
  escapes (a backslash is an ordinary character); booleans (``isCompliant``) are
  ``True``/``False``, bare or quoted, any case; ``null`` (bare) may be compared with ``-eq``/``-ne``;
  ``-in``/``-notIn`` take a bracketed list ``["a", "b"]``;
* string comparisons are not case sensitive; on the multi-valued ``physicalIds`` and ``systemLabels``,
  ``-contains`` means "one of the strings in the collection equals the value" (not a substring match);
* a rule is at most 3,072 characters long.

``--device KEY=VALUE`` values arrive as strings: :func:`parse_device_assignments` turns ``True``/``False``
(any case) into booleans for ``isCompliant`` and collects repeated ``physicalIds``/``systemLabels``.

Evaluation follows the CA page's "Policy behavior with filter for devices":

* an UNREGISTERED device (``device is None``) has every property null. A comparison with a positive
  operator (``-eq``, ``-startsWith``, ``-endsWith``, ``-contains``, ``-in``) is false on a null value, a
  negative one (``-ne``, ``-notStartsWith``, ``-notEndsWith``, ``-notContains``, ``-notIn``) is true. The
  same holds for any null property of a registered device;
* ``extensionAttribute1``-``15`` have a value at evaluation time only when the device is Intune-managed,
  compliant or Microsoft Entra hybrid joined; on any other device they are null;
* in ``include`` mode the policy applies to a device the rule matches; in ``exclude`` mode it applies to
  a device the rule does not match.

Parsed rules are cached (:func:`parse_device_filter`), and a device can be prepared once
(:func:`prepare_device`) and matched against many rules. Pure: no I/O, deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import NamedTuple, cast

__all__ = [
    "MAX_RULE_LENGTH",
    "STRING",
    "BOOLEAN",
    "STRING_COLLECTION",
    "OPERATORS",
    "POSITIVE_OPERATORS",
    "NEGATIVE_OPERATORS",
    "PropertySpec",
    "DEVICE_PROPERTIES",
    "EXTENSION_ATTRIBUTES",
    "INTUNE_MDM_APP_IDS",
    "DeviceFilterError",
    "DeviceInputError",
    "Comparison",
    "Not",
    "And",
    "Or",
    "Node",
    "DeviceFilter",
    "PreparedDevice",
    "parse_device_filter",
    "prepare_device",
    "filter_applies",
    "canonical_property",
    "parse_device_assignments",
]

#: "The maximum length for the filter rule is 3072 characters" (CA page; the dynamic membership rule
#: syntax states the same limit for the body of a rule).
MAX_RULE_LENGTH = 3072

# property types
STRING = "string"
BOOLEAN = "boolean"
STRING_COLLECTION = "stringCollection"

EQ, NE = "-eq", "-ne"
STARTS_WITH, NOT_STARTS_WITH = "-startsWith", "-notStartsWith"
ENDS_WITH, NOT_ENDS_WITH = "-endsWith", "-notEndsWith"
CONTAINS, NOT_CONTAINS = "-contains", "-notContains"
IN, NOT_IN = "-in", "-notIn"

#: every comparison operator a device filter supports, in the CA page's order
OPERATORS: tuple[str, ...] = (EQ, NE, STARTS_WITH, NOT_STARTS_WITH, ENDS_WITH, NOT_ENDS_WITH,
                              CONTAINS, NOT_CONTAINS, IN, NOT_IN)
POSITIVE_OPERATORS = frozenset({EQ, STARTS_WITH, ENDS_WITH, CONTAINS, IN})
NEGATIVE_OPERATORS = frozenset({NE, NOT_STARTS_WITH, NOT_ENDS_WITH, NOT_CONTAINS, NOT_IN})
_LIST_OPERATORS = frozenset({IN, NOT_IN})
_NEGATION = {EQ: NE, STARTS_WITH: NOT_STARTS_WITH, ENDS_WITH: NOT_ENDS_WITH, CONTAINS: NOT_CONTAINS,
             IN: NOT_IN}
_POSITIVE_OF = {neg: pos for pos, neg in _NEGATION.items()} | {pos: pos for pos in _NEGATION}

AND, OR, NOT = "-and", "-or", "-not"


class PropertySpec(NamedTuple):
    """A device property's type (:data:`STRING`, :data:`BOOLEAN`, :data:`STRING_COLLECTION`) and the
    operators a rule may apply to it."""

    type: str
    operators: tuple[str, ...]


_EQ_NE = (EQ, NE)
_EQ_NE_IN = (EQ, NE, IN, NOT_IN)
_CONTAINS = (CONTAINS, NOT_CONTAINS)

# The table "Supported operators and device properties for filters" of the CA page.
_PROPERTY_TABLE: dict[str, PropertySpec] = {
    "deviceId": PropertySpec(STRING, _EQ_NE_IN),
    "displayName": PropertySpec(STRING, OPERATORS),
    "deviceOwnership": PropertySpec(STRING, _EQ_NE),
    "enrollmentProfileName": PropertySpec(STRING, OPERATORS),
    "isCompliant": PropertySpec(BOOLEAN, _EQ_NE),
    "manufacturer": PropertySpec(STRING, OPERATORS),
    "mdmAppId": PropertySpec(STRING, _EQ_NE_IN),
    "model": PropertySpec(STRING, OPERATORS),
    "operatingSystem": PropertySpec(STRING, OPERATORS),
    "operatingSystemVersion": PropertySpec(STRING, OPERATORS),
    "physicalIds": PropertySpec(STRING_COLLECTION, _CONTAINS),
    "profileType": PropertySpec(STRING, _EQ_NE),
    "systemLabels": PropertySpec(STRING_COLLECTION, _CONTAINS),
    "trustType": PropertySpec(STRING, _EQ_NE),
}
EXTENSION_ATTRIBUTES: tuple[str, ...] = tuple(f"extensionAttribute{i}" for i in range(1, 16))
for _name in EXTENSION_ATTRIBUTES:
    _PROPERTY_TABLE[_name] = PropertySpec(STRING, OPERATORS)

#: property name (as Microsoft Learn spells it) -> (type, allowed operators); read-only
DEVICE_PROPERTIES: Mapping[str, PropertySpec] = MappingProxyType(_PROPERTY_TABLE)

_CANONICAL = {name.lower(): name for name in DEVICE_PROPERTIES}
_EXTENSION_SET = frozenset(EXTENSION_ATTRIBUTES)
_OPERATOR_BY_LOWER = {op.lower(): op for op in OPERATORS} | {op[1:].lower(): op for op in OPERATORS}
# Operators of the dynamic membership rule syntax that device filters do not list.
_FOREIGN_OPERATORS = frozenset({"-match", "-notmatch", "-any", "-all", "-le", "-ge", "-lt", "-gt",
                                "-plus", "-minus"})
# Dynamic-group device property names whose device-filter counterpart has another name.
_DYNAMIC_GROUP_NAMES = {
    "deviceostype": "operatingSystem",
    "deviceosversion": "operatingSystemVersion",
    "devicetrusttype": "trustType",
    "devicemanufacturer": "manufacturer",
    "devicemodel": "model",
    "devicephysicalids": "physicalIds",
    "devicemanagementappid": "mdmAppId",
}

#: MDM application ids of Microsoft Intune (and of Configuration Manager co-management, which enrols the
#: device in Intune), as the dynamic membership rule syntax lists them for ``deviceManagementAppId``.
INTUNE_MDM_APP_IDS = frozenset({"0000000a-0000-0000-c000-000000000000",
                                "54b943f8-d761-4f8d-951e-9cea1846db5a"})

_RULE_EXAMPLE = 'device.trustType -eq "AzureAD"'


def _one_of(items: Iterable[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _property_list() -> str:
    """The valid property names, extensionAttribute1..15 folded into one entry."""
    names = [n for n in DEVICE_PROPERTIES if n not in _EXTENSION_SET]
    return ", ".join(names + ["extensionAttribute1..15"])


# ---------------------------------------------------------------------------------------------- errors


class DeviceFilterError(ValueError):
    """A device filter rule (or mode) that cannot be used.

    ``position`` is the 0-based offset in ``rule`` where the problem was found (``None`` for a bad mode),
    ``column`` the 1-based column the message names, ``token`` the offending source text (empty at the end
    of the rule) and ``expected`` what would have been accepted there.
    """

    def __init__(self, message: str, *, rule: str | None = None, position: int | None = None,
                 token: str = "", expected: str = "") -> None:
        self.rule = rule
        self.position = position
        self.token = token
        self.expected = expected
        self.line: int | None = None
        self.column: int | None = None
        where = "device filter rule"
        if rule is not None and position is not None:
            before = rule[:position]
            self.line = before.count("\n") + 1
            self.column = position - (before.rfind("\n") + 1) + 1
            where += (f", line {self.line}, column {self.column}" if "\n" in rule
                      else f", column {self.column}")
        self.detail = message
        super().__init__(f"{where}: {message}")


class DeviceInputError(ValueError):
    """A device description (``--device KEY=VALUE``, or a device mapping) that cannot be used."""


# ------------------------------------------------------------------------------------------- the tree


Value = str | bool | None | tuple[str, ...]


def _fold(text: str) -> str:
    # "Regex and string operations aren't case sensitive" (dynamic membership rule syntax).
    return text.casefold()


def _quote(text: str) -> str:
    return '"' + text.replace("`", "``").replace('"', '`"') + '"'


@dataclass(frozen=True, slots=True)
class Comparison:
    """``device.<property> <operator> <value>``; ``value`` is a ``str``, a ``bool`` (isCompliant),
    ``None`` (the ``null`` of ``-eq null``/``-ne null``) or a tuple of strings (``-in``/``-notIn``)."""

    property: str
    operator: str
    value: Value
    _folded: object = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        value = self.value
        if isinstance(value, tuple):
            folded: object = frozenset(_fold(v) for v in value)
        elif isinstance(value, str):
            folded = _fold(value)
        else:
            folded = value
        object.__setattr__(self, "_folded", folded)

    def __str__(self) -> str:
        value = self.value
        if value is None:
            text = "null"
        elif isinstance(value, bool):
            text = "True" if value else "False"
        elif isinstance(value, tuple):
            text = "[" + ", ".join(_quote(v) for v in value) + "]"
        else:
            text = _quote(value)
        return f"device.{self.property} {self.operator} {text}"

    def evaluate(self, props: Mapping[str, object]) -> bool:
        """``props``: canonical property name -> folded value (see :class:`PreparedDevice`)."""
        actual = props.get(self.property)
        op = self.operator
        want = self._folded
        if self.value is None:                       # -eq null / -ne null: a null check
            return (actual is None) == (op == EQ)
        if actual is None:
            # Null property (always so on an unregistered device): positive operators are false,
            # negative ones true -- CA page, "Policy behavior with filter for devices".
            return op in NEGATIVE_OPERATORS
        positive = _POSITIVE_OF[op]
        if isinstance(actual, tuple):                # physicalIds, systemLabels: whole-string match
            hit = want in actual
        elif isinstance(actual, bool) or isinstance(want, bool):
            hit = actual is want
        elif positive == EQ:
            hit = actual == want
        elif positive == STARTS_WITH:
            hit = cast(str, actual).startswith(cast(str, want))   # string properties only (the parser checks)
        elif positive == ENDS_WITH:
            hit = cast(str, actual).endswith(cast(str, want))
        elif positive == CONTAINS:
            hit = want in actual                     # type: ignore[operator]
        else:                                        # IN
            hit = actual in want                     # type: ignore[operator]
        return hit if op == positive else not hit


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node

    def __str__(self) -> str:
        return f"{NOT} ({self.operand})"

    def evaluate(self, props: Mapping[str, object]) -> bool:
        return not self.operand.evaluate(props)


@dataclass(frozen=True, slots=True)
class And:
    """Two or more operands; never directly holds another :class:`And` (see :meth:`of`)."""

    operands: tuple[Node, ...]

    @staticmethod
    def of(*operands: Node) -> Node:
        flat: list[Node] = []
        for node in operands:
            flat.extend(node.operands if isinstance(node, And) else (node,))
        return flat[0] if len(flat) == 1 else And(tuple(flat))

    def __str__(self) -> str:
        return f" {AND} ".join(f"({n})" if isinstance(n, Or) else str(n) for n in self.operands)

    def evaluate(self, props: Mapping[str, object]) -> bool:
        return all(n.evaluate(props) for n in self.operands)


@dataclass(frozen=True, slots=True)
class Or:
    """Two or more operands; never directly holds another :class:`Or` (see :meth:`of`)."""

    operands: tuple[Node, ...]

    @staticmethod
    def of(*operands: Node) -> Node:
        flat: list[Node] = []
        for node in operands:
            flat.extend(node.operands if isinstance(node, Or) else (node,))
        return flat[0] if len(flat) == 1 else Or(tuple(flat))

    def __str__(self) -> str:
        return f" {OR} ".join(str(n) for n in self.operands)

    def evaluate(self, props: Mapping[str, object]) -> bool:
        return any(n.evaluate(props) for n in self.operands)


Node = Comparison | Not | And | Or


def _walk(node: Node) -> Iterable[Comparison]:
    if isinstance(node, Comparison):
        yield node
    elif isinstance(node, Not):
        yield from _walk(node.operand)
    else:
        for child in node.operands:
            yield from _walk(child)


# ------------------------------------------------------------------------------------------ devices


class PreparedDevice:
    """A device ready for matching: canonical property names, folded strings, booleans parsed.

    ``registered`` is False for the unregistered device (every property null). ``extension_attributes``
    tells whether extensionAttribute1-15 count: "Devices must be Microsoft Intune managed, compliant, or
    Microsoft Entra hybrid joined for a value to be available in extensionAttributes1-15 at the time of
    the Conditional Access policy evaluation" (CA page); otherwise they are null.
    """

    __slots__ = ("props", "registered", "extension_attributes")

    def __init__(self, props: dict[str, object], registered: bool, extension_attributes: bool) -> None:
        self.props = props
        self.registered = registered
        self.extension_attributes = extension_attributes


_UNREGISTERED = PreparedDevice({}, registered=False, extension_attributes=False)


def _bool_value(name: str, raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().casefold() in ("true", "false"):
        return raw.strip().casefold() == "true"
    raise DeviceInputError(f"device property {name} takes True or False, got {raw!r}")


def prepare_device(device: Mapping[str, object] | PreparedDevice | None) -> PreparedDevice:
    """Normalise a device for :meth:`DeviceFilter.matches`; ``None`` is the unregistered device.

    Accepts the device filter's property names in any case, Graph's ``device`` shape (``extensionAttributes``
    as a nested object) and the What If ``deviceInfo`` shape (``ownership`` for ``deviceOwnership``).
    Booleans may be ``True``/``False`` strings (any case). Unknown keys are ignored.
    """
    if device is None:
        return _UNREGISTERED
    if isinstance(device, PreparedDevice):
        return device
    flat: dict[str, object] = {}
    for key, raw in device.items():
        lower = str(key).lower()
        if lower == "extensionattributes" and isinstance(raw, Mapping):
            for k, v in raw.items():
                name = _CANONICAL.get(str(k).lower())
                if name in _EXTENSION_SET:
                    flat[name] = v
            continue
        name = _CANONICAL.get(lower) or ("deviceOwnership" if lower == "ownership" else None)
        if name is not None:
            flat[name] = raw
    props: dict[str, object] = {}
    for name, raw in flat.items():
        if raw is None:
            continue
        kind = DEVICE_PROPERTIES[name].type
        if kind == BOOLEAN:
            props[name] = _bool_value(name, raw)
        elif kind == STRING_COLLECTION:
            if isinstance(raw, str):
                props[name] = (_fold(raw),)
            elif isinstance(raw, (list, tuple)) and all(isinstance(v, str) for v in raw):
                props[name] = tuple(_fold(v) for v in raw)
            else:
                raise DeviceInputError(f"device property {name} takes a list of strings, got {raw!r}")
        elif isinstance(raw, str):
            props[name] = _fold(raw)
        elif isinstance(raw, bool):
            props[name] = _fold(str(raw))
        else:
            raise DeviceInputError(f"device property {name} takes a string, got {raw!r}")
    available = (props.get("isCompliant") is True
                 or props.get("trustType") == "serverad"
                 or props.get("mdmAppId") in INTUNE_MDM_APP_IDS)
    if not available:
        for name in EXTENSION_ATTRIBUTES:
            props.pop(name, None)
    return PreparedDevice(props, registered=True, extension_attributes=available)


# ------------------------------------------------------------------------------------------ the filter


@dataclass(frozen=True, slots=True)
class DeviceFilter:
    """A parsed rule. Equality compares the trees; ``str()`` is the canonical rule, which parses back to
    an equal filter."""

    root: Node
    source: str = field(default="", compare=False, repr=False)
    properties: frozenset[str] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "properties", frozenset(c.property for c in _walk(self.root)))

    def __str__(self) -> str:
        return str(self.root)

    @property
    def uses_extension_attributes(self) -> bool:
        return not self.properties.isdisjoint(_EXTENSION_SET)

    def matches(self, device: Mapping[str, object] | PreparedDevice | None) -> bool:
        """Whether the rule matches the device (``None``: an unregistered device, every property null)."""
        return self.root.evaluate(prepare_device(device).props)


# ------------------------------------------------------------------------------------------ tokenizer


class _Tok(NamedTuple):
    kind: str     # "(" ")" "[" "]" "," "str" "op" "word" "end"
    text: str     # the source text
    value: str    # a string's contents; else the text
    pos: int


_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _tokenize(rule: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(rule)
    while i < n:
        ch = rule[i]
        if ch.isspace():
            i += 1
        elif ch in "()[],":
            toks.append(_Tok(ch, ch, ch, i))
            i += 1
        elif ch == '"':
            j, out = i + 1, []
            while True:
                if j >= n:
                    raise DeviceFilterError(
                        "unterminated string: the '\"' here has no closing '\"'",
                        rule=rule, position=i, token=rule[i:i + 20], expected='"')
                c = rule[j]
                if c == "`" and j + 1 < n and rule[j + 1] in '"`':
                    out.append(rule[j + 1])
                    j += 2
                elif c == '"':
                    break
                else:
                    out.append(c)
                    j += 1
            toks.append(_Tok("str", rule[i:j + 1], "".join(out), i))
            i = j + 1
        elif ch == "'":
            j, out = i + 1, []
            while True:
                if j >= n:
                    raise DeviceFilterError(
                        "unterminated string: the \"'\" here has no closing \"'\"",
                        rule=rule, position=i, token=rule[i:i + 20], expected="'")
                c = rule[j]
                if c == "'":
                    if j + 1 < n and rule[j + 1] == "'":
                        out.append("'")
                        j += 2
                        continue
                    break
                out.append(c)
                j += 1
            toks.append(_Tok("str", rule[i:j + 1], "".join(out), i))
            i = j + 1
        elif ch == "-" and i + 1 < n and rule[i + 1] in _LETTERS:
            j = i + 1
            while j < n and rule[j] in _LETTERS:
                j += 1
            toks.append(_Tok("op", rule[i:j], rule[i:j], i))
            i = j
        elif ch in _WORD_CHARS:
            j = i
            while j < n and rule[j] in _WORD_CHARS:
                j += 1
            toks.append(_Tok("word", rule[i:j], rule[i:j], i))
            i = j
        else:
            if ch in "\u2010\u2011\u2012\u2013\u2014\u2212":
                hint, expected = " (operators start with a plain hyphen '-')", "'-'"
            elif ch in "=!<>":
                expected = _one_of(OPERATORS)
                hint = f" (comparisons are written with operators: {expected})"
            else:
                hint = ""
                expected = "device.<property>, an operator, a quoted value, '(', ')', -and, -or or -not"
            raise DeviceFilterError(f"unexpected character {ch!r}{hint}", rule=rule, position=i,
                                    token=ch, expected=expected)
    toks.append(_Tok("end", "", "", n))
    return toks


# --------------------------------------------------------------------------------------------- parser


def _describe(tok: _Tok) -> str:
    if tok.kind == "end":
        return "the end of the rule"
    text = tok.text if len(tok.text) <= 40 else tok.text[:37] + "..."
    return f"'{text}'"


class _Parser:
    __slots__ = ("rule", "toks", "i")

    def __init__(self, rule: str) -> None:
        self.rule = rule
        self.toks = _tokenize(rule)
        self.i = 0

    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def error(self, message: str, tok: _Tok, expected: str = "") -> DeviceFilterError:
        return DeviceFilterError(message, rule=self.rule, position=tok.pos, token=tok.text,
                                 expected=expected)

    def is_logical(self, word: str) -> bool:
        tok = self.tok
        return tok.kind == "op" and tok.text.lower() == word

    def parse(self) -> Node:
        node = self.parse_or()
        tok = self.tok
        if tok.kind != "end":
            if tok.kind == ")":
                raise self.error("unexpected ')': no parenthesis is open", tok, "-and, -or or the end")
            raise self.error(f"unexpected {_describe(tok)} after a complete expression "
                             "(expected -and, -or or the end of the rule)", tok, "-and, -or or the end")
        return node

    def parse_or(self) -> Node:
        operands = [self.parse_and()]
        while self.is_logical(OR):
            self.i += 1
            operands.append(self.parse_and())
        return Or.of(*operands)

    def parse_and(self) -> Node:
        operands = [self.parse_not()]
        while self.is_logical(AND):
            self.i += 1
            operands.append(self.parse_not())
        return And.of(*operands)

    def parse_not(self) -> Node:
        if self.is_logical(NOT):
            self.i += 1
            return Not(self.parse_not())
        return self.parse_primary()

    def parse_primary(self) -> Node:
        tok = self.tok
        if tok.kind == "(":
            self.i += 1
            node = self.parse_or()
            close = self.tok
            if close.kind != ")":
                col = tok.pos + 1
                if close.kind == "end":
                    raise self.error(f"unclosed parenthesis: the '(' at column {col} is never closed "
                                     "(expected ')')", close, ")")
                raise self.error(f"expected -and, -or or ')' to close the '(' at column {col}, "
                                 f"found {_describe(close)}", close, "-and, -or or )")
            self.i += 1
            return node
        if tok.kind == "word":
            return self.parse_comparison()
        expected = f"a comparison such as {_RULE_EXAMPLE}, '(' or -not"
        if tok.kind == "end":
            message = ("the rule is empty" if self.i == 0
                       else f"the rule ends after {_describe(self.toks[self.i - 1])}")
            raise self.error(f"{message} (expected {expected})", tok, expected)
        raise self.error(f"expected {expected}, found {_describe(tok)}", tok, expected)

    def parse_property(self) -> str:
        tok = self.tok
        text = tok.text
        prefix, dot, name = text.partition(".")
        if not dot or prefix.lower() != "device":
            bare = _CANONICAL.get(text.lower())
            hint = (f"; properties are written device.{bare}" if bare
                    else "; properties are written device.<name>, e.g. device.trustType")
            raise self.error(f"expected a device property, found {_describe(tok)}{hint}", tok,
                             "device.<property>")
        canonical = _CANONICAL.get(name.lower())
        if canonical is None:
            renamed = _DYNAMIC_GROUP_NAMES.get(name.lower())
            if renamed:
                hint = (f"device.{name} is a dynamic group property; device filters use "
                        f"device.{renamed}")
            else:
                import difflib  # a spelling to suggest: imported only when one is needed
                close = difflib.get_close_matches(name.lower(), list(_CANONICAL), n=1, cutoff=0.75)
                hint = (f"did you mean device.{_CANONICAL[close[0]]}? " if close else "") + \
                    f"expected one of {_property_list()}"
            raise self.error(f"unknown property {_describe(tok)} ({hint})", tok, _property_list())
        self.i += 1
        return canonical

    def parse_operator(self, prop: str) -> str:
        tok = self.tok
        allowed = DEVICE_PROPERTIES[prop].operators
        expected = _one_of(allowed)
        if tok.kind not in ("op", "word"):
            raise self.error(f"expected an operator after device.{prop} ({expected}), "
                             f"found {_describe(tok)}", tok, expected)
        lower = tok.text.lower()
        op = _OPERATOR_BY_LOWER.get(lower)
        if op is None:
            spelled = lower if lower.startswith("-") else "-" + lower
            if spelled in _FOREIGN_OPERATORS:
                message = f"operator {_describe(tok)} is not supported in device filters"
            elif spelled in (AND, OR, NOT):
                message = f"expected an operator after device.{prop}, found {_describe(tok)}"
            else:
                import difflib  # a spelling to suggest: imported only when one is needed
                close = difflib.get_close_matches(spelled, [o.lower() for o in allowed], n=1,
                                                  cutoff=0.6)
                guess = f"did you mean {_OPERATOR_BY_LOWER[close[0]]}? " if close else ""
                message = f"unknown operator {_describe(tok)} ({guess}expected {expected})"
                raise self.error(message, tok, expected)
            raise self.error(f"{message} (expected {expected})", tok, expected)
        if op not in allowed:
            raise self.error(f"operator {op} cannot be used with device.{prop} "
                             f"(it takes {expected})", tok, expected)
        self.i += 1
        return op

    def parse_value(self, prop: str, op: str) -> Value:
        tok = self.tok
        kind = DEVICE_PROPERTIES[prop].type
        if op in _LIST_OPERATORS:
            return self.parse_list(op)
        if kind == BOOLEAN:
            expected = "True or False"
        else:
            expected = 'a quoted string such as "value"'
        if tok.kind == "str":
            self.i += 1
            if kind == BOOLEAN:
                folded = tok.value.strip().casefold()
                if folded not in ("true", "false"):
                    raise self.error(f"device.{prop} takes True or False, found {_describe(tok)}",
                                     tok, expected)
                return folded == "true"
            return tok.value
        if tok.kind == "word":
            lower = tok.text.lower()
            if lower == "null":
                if op not in (EQ, NE):
                    raise self.error(f"null can only be compared with -eq or -ne, not {op}", tok,
                                     expected)
                self.i += 1
                return None
            if kind == BOOLEAN and lower in ("true", "false"):
                self.i += 1
                return lower == "true"
            if kind == BOOLEAN:
                raise self.error(f"device.{prop} takes True or False, found {_describe(tok)}",
                                 tok, expected)
            raise self.error(f"expected {expected} after {op}, found {_describe(tok)} "
                             "(string values are written in quotes)", tok, expected)
        if tok.kind == "[":
            raise self.error(f"a list of values needs -in or -notIn, not {op}", tok, expected)
        raise self.error(f"expected {expected} after {op}, found {_describe(tok)}", tok, expected)

    def parse_list(self, op: str) -> tuple[str, ...]:
        tok = self.tok
        if tok.kind != "[":
            raise self.error(f"expected '[' to start the list of values after {op}, "
                             f"found {_describe(tok)}", tok, "[")
        opening = tok
        self.i += 1
        items: list[str] = []
        if self.tok.kind == "]":
            raise self.error("empty list: expected at least one quoted value", self.tok,
                             "a quoted string")
        while True:
            tok = self.tok
            if tok.kind != "str":
                if tok.kind == "end":
                    raise self.error(f"unclosed list: the '[' at column {opening.pos + 1} is never "
                                     "closed (expected ']')", tok, "]")
                raise self.error(f"expected a quoted string in the list, found {_describe(tok)}",
                                 tok, "a quoted string")
            items.append(tok.value)
            self.i += 1
            tok = self.tok
            if tok.kind == "]":
                self.i += 1
                return tuple(items)
            if tok.kind != ",":
                if tok.kind == "end":
                    raise self.error(f"unclosed list: the '[' at column {opening.pos + 1} is never "
                                     "closed (expected ']')", tok, "]")
                raise self.error(f"expected ',' or ']' in the list, found {_describe(tok)}", tok,
                                 ", or ]")
            self.i += 1

    def parse_comparison(self) -> Comparison:
        prop = self.parse_property()
        if self.tok.kind == "end":
            allowed = _one_of(DEVICE_PROPERTIES[prop].operators)
            raise self.error(f"expected an operator after device.{prop} ({allowed}), "
                             "found the end of the rule", self.tok, allowed)
        op = self.parse_operator(prop)
        value = self.parse_value(prop, op)
        return Comparison(prop, op, value)


@lru_cache(maxsize=4096)
def parse_device_filter(rule: str) -> DeviceFilter:
    """Parse a device filter rule. Cached: the same rule text returns the same (immutable) object.

    Raises :class:`DeviceFilterError` naming the line/column, the token and what was expected.
    """
    if not isinstance(rule, str):
        raise TypeError(f"a device filter rule is a string, not {type(rule).__name__}")
    if len(rule) > MAX_RULE_LENGTH:
        raise DeviceFilterError(
            f"the rule is {len(rule)} characters long; the maximum is {MAX_RULE_LENGTH}",
            rule=rule, position=MAX_RULE_LENGTH, token=rule[MAX_RULE_LENGTH:MAX_RULE_LENGTH + 20],
            expected=f"at most {MAX_RULE_LENGTH} characters")
    return DeviceFilter(_Parser(rule).parse(), source=rule)


# ------------------------------------------------------------------------------------- policy helper


def _show(rule: str, limit: int = 160) -> str:
    text = " ".join(rule.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def filter_applies(mode: str | None, rule: str | None,
                   device: Mapping[str, object] | PreparedDevice | None) -> tuple[bool, str]:
    """Whether a policy's device filter condition lets the policy apply to ``device``, and why.

    ``include``: the policy applies when the rule matches; ``exclude``: when it does not. ``device`` is
    ``None`` for an unregistered device. Raises :class:`DeviceFilterError` for a bad mode or rule.
    """
    folded_mode = (mode or "").strip().lower()
    if folded_mode not in ("include", "exclude"):
        raise DeviceFilterError(f"device filter mode {mode!r} is neither 'include' nor 'exclude'")
    if rule is None:
        raise DeviceFilterError("the device filter has no rule", rule="", position=0)
    parsed = parse_device_filter(rule)
    prepared = prepare_device(device)
    matched = parsed.root.evaluate(prepared.props)
    applies = matched if folded_mode == "include" else not matched
    who = "device" if prepared.registered else "unregistered device (all device properties null)"
    verb = "matches" if matched else "does not match"
    reason = f"{who} {verb} the {folded_mode} filter '{_show(rule)}'"
    if prepared.registered and not prepared.extension_attributes and parsed.uses_extension_attributes:
        reason += ("; extensionAttribute1-15 count as null: the device is not Intune-managed, "
                   "compliant or hybrid joined")
    return applies, reason


# ---------------------------------------------------------------------------------- command line input


def canonical_property(name: str) -> str:
    """The device property ``name`` (any case, ``device.`` prefix optional) as Microsoft Learn spells it;
    :class:`DeviceInputError` listing the valid names when there is none."""
    key = name.strip()
    if key.lower().startswith("device."):
        key = key[len("device."):]
    found = _CANONICAL.get(key.lower())
    if found is None:
        import difflib  # a spelling to suggest: imported only when one is needed
        close = difflib.get_close_matches(key.lower(), list(_CANONICAL), n=1, cutoff=0.75)
        guess = f"did you mean {_CANONICAL[close[0]]}? " if close else ""
        raise DeviceInputError(f"unknown device property {name!r} ({guess}valid: {_property_list()})")
    return found


def parse_device_assignments(items: Iterable[str]) -> dict[str, str | bool | list[str]]:
    """``--device KEY=VALUE`` arguments -> a device mapping for :meth:`DeviceFilter.matches`.

    Keys are device filter properties (any case). Values are strings as typed; ``isCompliant`` takes
    ``True`` or ``False`` (any case) and becomes a bool; ``physicalIds`` and ``systemLabels`` are
    multi-valued (repeat the key for each value); any other key may be given once.
    """
    device: dict[str, str | bool | list[str]] = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise DeviceInputError(f"--device expects KEY=VALUE, got {item!r}")
        name = canonical_property(key)
        kind = DEVICE_PROPERTIES[name].type
        if kind == STRING_COLLECTION:
            previous = device.get(name)
            device[name] = (previous if isinstance(previous, list) else []) + [value]
            continue
        if name in device:
            raise DeviceInputError(f"--device {name} is given more than once")
        device[name] = _bool_value(name, value) if kind == BOOLEAN else value
    return device

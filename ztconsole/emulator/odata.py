"""The OData query options the emulator understands: ``$filter`` (a fixed set of forms), ``$select`` and
opaque ``$skiptoken`` values, with the one page cut both APIs page by (:func:`page_cut`).

``$filter`` forms: ``id``/``principalId``/``userId``/``userPrincipalName``/``roleDefinitionId`` ``eq 'value'``
(case-insensitive),
``tags/any(t:t eq 'X')``, ``createdDateTime ge|le|gt|lt <RFC 3339>``, joined with ``and``/``or`` and
parentheses. Anything else raises :class:`FilterError` naming the clause.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from .wire import Req

EQ_FIELDS: dict[str, str] = {n.lower(): n for n in ("id", "principalId", "userId", "userPrincipalName",
                                                     "roleDefinitionId")}
DATE_FIELDS: dict[str, str] = {"createddatetime": "createdDateTime"}
DATE_OPS = ("ge", "le", "gt", "lt")
LAMBDA_FIELDS: dict[str, str] = {"tags": "tags"}

_TOKEN = re.compile(
    r"""\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<colon>:)|(?P<str>'(?:[^']|'')*')"""
    r"""|(?P<date>\d{4}-\d{2}-\d{2}(?:T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})?)?(?![^\s()]))|(?P<word>[^\s():']+))""")

_JOIN = re.compile(r"\s+(?:and|or)\s", re.IGNORECASE)

# characters left as they are in the path of a next link
_SAFE_PATH = "/@$'(),=:;!*-._~"


class FilterError(ValueError):
    """An unsupported or invalid ``$filter``; ``clause`` is the part that could not be used."""

    def __init__(self, clause: str, prop: str = ""):
        super().__init__(clause)
        self.clause = clause
        self.prop = prop


@dataclass(frozen=True, slots=True)
class Eq:
    field: str
    value: str


@dataclass(frozen=True, slots=True)
class DateCmp:
    field: str
    op: str
    value: datetime


@dataclass(frozen=True, slots=True)
class AnyEq:
    field: str
    value: str


@dataclass(frozen=True, slots=True)
class BoolOp:
    op: str  # "and" | "or"
    left: Expr
    right: Expr


Expr = Eq | DateCmp | AnyEq | BoolOp


def _datetime(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens: list[tuple[str, str, int]] = []
        pos = 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                if text[pos:].strip() == "":
                    break
                raise FilterError(text[pos:].strip())
            kind = m.lastgroup or ""
            self.tokens.append((kind, m.group(kind), m.start(kind)))
            pos = m.end()
        self.i = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str, int]:
        tok = self.peek()
        if tok is None:
            raise FilterError(self.text.strip() or "(empty)")
        self.i += 1
        return tok

    def is_word(self, word: str) -> bool:
        tok = self.peek()
        return tok is not None and tok[0] == "word" and tok[1].lower() == word

    def clause_from(self, start: int) -> str:
        """The text of the clause that starts at ``start``: up to the next ``and``/``or`` or unmatched ``)``."""
        text, depth, quoted, i = self.text, 0, False, start
        while i < len(text):
            c = text[i]
            if quoted:
                quoted = c != "'"
            elif c == "'":
                quoted = True
            elif c == "(":
                depth += 1
            elif c == ")":
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0 and _JOIN.match(text, i):
                break
            i += 1
        return text[start:i].strip()

    def parse(self) -> Expr:
        expr = self.parse_or()
        if self.peek() is not None:
            raise FilterError(self.clause_from(self.peek()[2]))  # type: ignore[index]
        return expr

    def parse_or(self) -> Expr:
        left = self.parse_and()
        while self.is_word("or"):
            self.take()
            left = BoolOp("or", left, self.parse_and())
        return left

    def parse_and(self) -> Expr:
        left = self.parse_primary()
        while self.is_word("and"):
            self.take()
            left = BoolOp("and", left, self.parse_primary())
        return left

    def parse_primary(self) -> Expr:
        kind, value, start = self.take()
        if kind == "lp":
            expr = self.parse_or()
            if self.take()[0] != "rp":
                raise FilterError(self.clause_from(start))
            return expr
        if kind != "word":
            raise FilterError(self.clause_from(start))
        low = value.lower()
        if "/" in low:
            return self.parse_lambda(value, start)
        if (nxt := self.peek()) is not None and nxt[0] == "lp":
            raise FilterError(self.clause_from(start))  # a function call: none is supported
        op_tok = self.take()
        op = op_tok[1].lower() if op_tok[0] == "word" else ""
        val_kind, val, _ = self.take()
        if low in EQ_FIELDS and op == "eq" and val_kind == "str":
            return Eq(EQ_FIELDS[low], val[1:-1].replace("''", "'"))
        if low in DATE_FIELDS and op in DATE_OPS and val_kind == "date":
            when = _datetime(val)
            if when is not None:
                return DateCmp(DATE_FIELDS[low], op, when)
        raise FilterError(self.clause_from(start), value)

    def parse_lambda(self, value: str, start: int) -> Expr:
        prop, _, fn = value.partition("/")
        if prop.lower() not in LAMBDA_FIELDS or fn.lower() != "any":
            raise FilterError(self.clause_from(start), prop)
        try:
            if self.take()[0] != "lp":
                raise FilterError(self.clause_from(start), prop)
            var = self.take()
            colon = self.take()
            ref = self.take()
            op = self.take()
            val = self.take()
            close = self.take()
        except FilterError:
            raise FilterError(self.clause_from(start), prop) from None
        if (var[0] != "word" or colon[0] != "colon" or ref[0] != "word" or ref[1] != var[1]
                or op[0] != "word" or op[1].lower() != "eq" or val[0] != "str" or close[0] != "rp"):
            raise FilterError(self.clause_from(start), prop)
        return AnyEq(LAMBDA_FIELDS[prop.lower()], val[1][1:-1].replace("''", "'"))


def parse_filter(text: str) -> Expr:
    return _Parser(text).parse()


def uses_dates(expr: Expr) -> str:
    """The first date operator in ``expr`` ('' when none): date ranges are advanced queries on directory objects."""
    if isinstance(expr, DateCmp):
        return expr.op
    if isinstance(expr, BoolOp):
        return uses_dates(expr.left) or uses_dates(expr.right)
    return ""


def matcher(expr: Expr, index: Mapping[str, int]) -> Callable[[Sequence[Any]], bool]:
    """A predicate over an item's row of indexed fields (``index`` maps a field name to its place)."""
    if isinstance(expr, Eq):
        want, at = expr.value.lower(), index[expr.field]
        return lambda row: isinstance(v := row[at], str) and v.lower() == want
    if isinstance(expr, AnyEq):
        want, at = expr.value.lower(), index[expr.field]
        return lambda row: isinstance(v := row[at], list) and any(
            isinstance(t, str) and t.lower() == want for t in v)
    if isinstance(expr, DateCmp):
        at, bound = index[expr.field], expr.value
        compare: Callable[[datetime], bool] = {
            "ge": bound.__le__, "le": bound.__ge__, "gt": bound.__lt__, "lt": bound.__gt__}[expr.op]

        def date_ok(row: Sequence[Any]) -> bool:
            raw = row[at]
            when = _datetime(raw) if isinstance(raw, str) else None
            return when is not None and compare(when)

        return date_ok
    left, right = matcher(expr.left, index), matcher(expr.right, index)
    if expr.op == "and":
        return lambda row: left(row) and right(row)
    return lambda row: left(row) or right(row)


def project(obj: Any, select: list[str]) -> Any:
    """``$select``: the named properties (case-insensitive), plus ``id`` and ``@odata.type`` where present."""
    if not isinstance(obj, dict):
        return obj
    wanted = {s.lower() for s in select} | {"id", "@odata.type"}
    return {k: v for k, v in obj.items() if k.lower() in wanted}


def skiptoken(offset: int) -> str:
    return base64.urlsafe_b64encode(f"ztemu:{offset}".encode()).decode().rstrip("=")


def skip_offset(token: str) -> int | None:
    """The offset a skiptoken stands for; None when it is not one of ours."""
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    prefix, _, number = text.partition(":")
    if prefix != "ztemu" or not number.isdigit():
        return None
    return int(number)


def page_cut(req: Req, positions: Sequence[int], size: int, path: str,
             bad_token: Callable[[], Exception]) -> tuple[Sequence[int], str | None]:
    """One page of a collection (Graph and ARM alike): ``size`` of ``positions`` from the offset of the
    request's ``$skiptoken`` (the start without one), and the next link to the rest, None on the last
    page. The link is ``path`` (below the host, as the request named it) with the request's query, its
    ``$skiptoken`` replaced. A ``$skiptoken`` that is not one of ours raises ``bad_token()`` (each service
    words it its own way)."""
    start = 0
    token = req.params.get("$skiptoken")
    if token is not None:
        offset = skip_offset(token)
        if offset is None:
            raise bad_token()
        start = offset
    end = start + size
    if end >= len(positions):
        return positions[start:end], None
    link = f"{req.base}/{quote(path, safe=_SAFE_PATH)}?{req.query_with(**{'$skiptoken': skiptoken(end)})}"
    return positions[start:end], link

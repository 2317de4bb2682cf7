"""Conditional Access policies as code: reading policy files and matching them to the tenant (CONTRACTS §8).

A PATH is a JSON file or a folder of them (read recursively, ``*.json``, in sorted order). A file holds one
``conditionalAccessPolicy`` as Graph returns it (camelCase), an array of them, or a Graph list page
(``{"value": [...]}``). Read-only properties (``createdDateTime``, ``modifiedDateTime``, ``templateId``)
and annotations (``@odata.*``, at any level) are ignored. Every policy is parsed through the model's one
wire mapping (:meth:`ConditionalAccessPolicy.from_wire`), so a policy the engine cannot read is reported
with its file; its Graph JSON is kept too, as the diff and the writes use it.

Every problem (unreadable file, invalid JSON, an item that is not a policy, two files naming the same
policy, an id the tenant does not have, an ambiguous name) is collected and raised together as
:class:`PolicyFilesError` (exit 2): each message names the file, and the item when the file holds several.
Item numbers count from 0, as JSON paths do (``item 3`` is ``$[3]``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ztconsole.actions.policydiff import clean, typed
from ztconsole.model.ca import ConditionalAccessPolicy
from ztconsole.model.wire import WireError, WireNote, describe_value, jsonpath

__all__ = [
    "NEW_POLICY_ID",
    "Match",
    "PolicyFile",
    "PolicyFilesError",
    "Problem",
    "files_in",
    "match",
    "parse_policy",
    "read_file",
    "read_paths",
]

#: The id the model object of a policy new to the tenant carries (Graph assigns the real one on create).
NEW_POLICY_ID = "(new policy)"


@dataclass(frozen=True, slots=True)
class Problem:
    """What is wrong, and where: the file (and item) it is in."""

    file: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


class PolicyFilesError(Exception):
    """The policy files cannot be planned (exit 2); ``problems`` lists every one found."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True, slots=True)
class PolicyFile:
    """One policy read from a file."""

    file: str  # the path as found (a PATH given, or a file under a folder given)
    index: int  # its position in the file's array or page; 0 for a file holding one object
    single: bool  # the file holds this one policy object (not an array or a page)
    raw: dict[str, Any]  # its Graph JSON, read-only properties and annotations removed
    policy: ConditionalAccessPolicy  # the same through the model; id NEW_POLICY_ID when the file has none
    notes: tuple[str, ...] = ()  # what the model kept but did not know (an unknown enum value...)

    @property
    def id(self) -> str | None:
        value = self.raw.get("id")
        return value if isinstance(value, str) else None

    @property
    def display_name(self) -> str:
        return str(self.raw.get("displayName"))

    @property
    def where(self) -> str:
        """``policies.json`` or ``policies.json item 3``."""
        return self.file if self.single else f"{self.file} item {self.index}"


@dataclass(frozen=True, slots=True)
class Match:
    """A file's policy and the tenant policy it is to change (None: a create)."""

    file: PolicyFile
    tenant: dict[str, Any] | None  # the tenant policy's Graph JSON, cleaned as the file's is

    @property
    def is_create(self) -> bool:
        return self.tenant is None

    @property
    def tenant_id(self) -> str | None:
        if self.tenant is None:
            return None
        value = self.tenant.get("id")
        return value if isinstance(value, str) else None


# --- the model --------------------------------------------------------------------------------------------


def parse_policy(raw: Mapping[str, Any], *, notes: list[WireNote] | None = None) -> ConditionalAccessPolicy:
    """A policy's Graph JSON through the model's wire mapping (``NEW_POLICY_ID`` when it has no id): for
    a file's policy, and for the policy as a change leaves it (:func:`~ztconsole.actions.policydiff.merged`).
    Raises :class:`WireError` at the JSON path of what the model cannot read."""
    body: dict[str, Any] = typed(raw)  # a cleaned tenant policy has lost externalTenants' @odata.type
    if body.get("id") is None:
        body["id"] = NEW_POLICY_ID
    return ConditionalAccessPolicy.from_wire(body, (), notes)


# --- reading ----------------------------------------------------------------------------------------------


def files_in(path: Path) -> list[Path]:
    """The ``*.json`` files under a folder, recursively, in sorted order (links to folders not followed)."""
    found: list[Path] = []
    for root, dirs, names in os.walk(path):
        dirs.sort()
        found.extend(Path(root) / n for n in names if n.endswith(".json"))
    return sorted(found, key=lambda p: p.relative_to(path).parts)


def read_file(path: Path, problems: list[Problem], *, name: str | None = None) -> list[PolicyFile]:
    """The policies in one file; what is wrong goes to ``problems`` (the good items are still returned)."""
    file = name if name is not None else str(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        problems.append(Problem(file, f"cannot read: {e.strerror or e}"))
        return []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        problems.append(Problem(file, f"not UTF-8 text (byte {e.start})"))
        return []
    try:
        body = json.loads(text)
    except json.JSONDecodeError as e:
        problems.append(Problem(file, f"invalid JSON at line {e.lineno} column {e.colno}: {e.msg}"))
        return []
    except RecursionError:
        problems.append(Problem(file, "invalid JSON: nested too deeply"))
        return []
    base: tuple[str | int, ...] = ()
    if isinstance(body, dict) and isinstance(body.get("value"), list):
        items, base, single = body["value"], ("value",), False
    elif isinstance(body, list):
        items, single = body, False
    elif isinstance(body, dict):
        items, single = [body], True
    else:
        problems.append(Problem(file, f"expected a policy object, an array of them or a Graph list page "
                                      f"({{\"value\": [...]}}), got {describe_value(body)}"))
        return []
    out: list[PolicyFile] = []
    for i, item in enumerate(items):
        where = "" if single else f"item {i}: "
        got = _read_item(file, i, single, item, base if single else (*base, i))
        if isinstance(got, str):
            problems.append(Problem(file, where + got))
        else:
            out.append(got)
    return out


def _read_item(file: str, index: int, single: bool, item: Any, path: tuple[str | int, ...]) -> PolicyFile | str:
    """One policy object, or what is wrong with it."""
    if not isinstance(item, dict):
        return f"not an object ({describe_value(item)})"
    name = item.get("displayName")
    if name is None:
        return "missing displayName"
    if not isinstance(name, str) or not name.strip():
        return f"displayName must be a non-empty string, got {describe_value(name)}"
    pid = item.get("id")
    if pid is not None and (not isinstance(pid, str) or not pid.strip()):
        return f"id must be a non-empty string, got {describe_value(pid)}"
    raw = clean(item)
    if pid is None:
        raw.pop("id", None)  # "id": null is a policy new to the tenant
    notes: list[WireNote] = []
    try:
        policy = parse_policy(clean(item, keep_types=True), notes=notes)
    except WireError as e:
        return f"{jsonpath(path + e.path)}: {e.message}"
    except RecursionError:
        return "nested too deeply"
    return PolicyFile(file, index, single, raw, policy,
                      tuple(f"{jsonpath(path + n.path)}: {n.message}" for n in notes))


def read_paths(paths: Iterable[str | os.PathLike[str]]) -> list[PolicyFile]:
    """Every policy in the PATHs given (files, and folders read recursively), in order.

    Raises :class:`PolicyFilesError` with every problem found, including two files naming the same policy
    (the same id, or the same displayName when neither has an id)."""
    problems: list[Problem] = []
    seen: set[str] = set()  # a file reached through two PATHs is read once
    out: list[PolicyFile] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = files_in(path)
            if not found:
                problems.append(Problem(str(path), "no *.json file in this folder"))
        elif path.exists():
            found = [path]
        else:
            problems.append(Problem(str(path), "no such file or folder"))
            continue
        for file in found:
            real = os.path.realpath(file)
            if real in seen:
                continue
            seen.add(real)
            out.extend(read_file(file, problems))
    problems.extend(_duplicates(out))
    if problems:
        raise PolicyFilesError(problems)
    return out


def _key(pf: PolicyFile) -> tuple[str, str]:
    return ("id", pf.id.lower()) if pf.id is not None else ("displayName", pf.display_name)


def _duplicates(files: Sequence[PolicyFile]) -> list[Problem]:
    first: dict[tuple[str, str], PolicyFile] = {}
    problems: list[Problem] = []
    for pf in files:
        key = _key(pf)
        other = first.setdefault(key, pf)
        if other is not pf:
            what = f"id {pf.id}" if key[0] == "id" else f"displayName {pf.display_name!r}"
            problems.append(Problem(pf.where, f"names the same policy ({what}) as {other.where}"))
    return problems


# --- matching ---------------------------------------------------------------------------------------------


def _tenant_json(policy: ConditionalAccessPolicy | Mapping[str, Any]) -> dict[str, Any]:
    wire = policy.to_wire() if isinstance(policy, ConditionalAccessPolicy) else policy
    return clean(wire)


def match(files: Sequence[PolicyFile],
          tenant_policies: Iterable[ConditionalAccessPolicy | Mapping[str, Any]]) -> list[Match]:
    """Each file's policy and the tenant policy it changes: the one with its ``id`` when it has one (an id
    the tenant does not have is an error), else the one with exactly its ``displayName`` (several is an
    error naming their ids), else none (a create). Two files reaching the same tenant policy (one by id,
    one by name) are an error. Tenant policies come as model objects or as Graph JSON.

    Raises :class:`PolicyFilesError` with every problem found."""
    tenant = [_tenant_json(p) for p in tenant_policies]
    by_id = {str(t["id"]).lower(): t for t in tenant if isinstance(t.get("id"), str)}
    by_name: dict[str, list[dict[str, Any]]] = {}
    for t in tenant:
        name = t.get("displayName")
        if isinstance(name, str):
            by_name.setdefault(name, []).append(t)
    problems: list[Problem] = []
    out: list[Match] = []
    claimed: dict[str, PolicyFile] = {}
    for pf in files:
        found: dict[str, Any] | None
        if pf.id is not None:
            found = by_id.get(pf.id.lower())
            if found is None:
                problems.append(Problem(pf.where, f"no policy with id {pf.id} in the tenant"))
                continue
        else:
            named = by_name.get(pf.display_name, [])
            if len(named) > 1:
                ids = ", ".join(str(t.get("id")) for t in named)
                problems.append(Problem(pf.where, f"{len(named)} tenant policies are named "
                                                  f"{pf.display_name!r} (ids {ids}): give the id to choose one"))
                continue
            found = named[0] if named else None
        if found is not None:
            tid = str(found.get("id")).lower()
            other = claimed.setdefault(tid, pf)
            if other is not pf:
                problems.append(Problem(pf.where, f"names the same policy (id {found.get('id')}) as {other.where}"))
                continue
        out.append(Match(pf, found))
    if problems:
        raise PolicyFilesError(problems)
    return out

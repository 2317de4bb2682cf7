"""The persisted rollout state of one tenant: what the wizard's steps must remember between sessions and
machines that the tenant itself cannot tell (when a step was applied and which plan, what the admin
acknowledged, a bake override's reason, the segments chosen in the inventory, the ids of what was created).

One TOML file per tenant, ``<rollout_dir>/<tenant-id>.toml`` (:func:`ztconsole.paths.rollout_dir`)::

    version = 1
    tenant_id = "11111111-2222-3333-4444-555555555555"
    started_at = 2026-12-07 05:34:03.123456+00:00

    [steps.inventory]
    applied_at = 2026-12-07 06:00:00+00:00
    plan = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    acknowledged = true

    [steps.inventory.data]
    flows_csv = "/home/admin/flows.csv"

    [[steps.inventory.data.segments]]
    app = "erp"
    host = "erp.corp.example"
    ports = ["443"]
    protocol = "tcp"
    justified_by = "flows.csv line 12"

Every load is validated against an explicit schema (:mod:`ztconsole.tomlschema`): an unknown key, a value
of the wrong type, a ``version`` this code does not know or a TOML syntax error raise
:class:`StateFileError`, which names the file, the line and the key of every problem; the file is left as
it is. Writes are atomic (a temp file in the same directory, fsync, ``os.replace``, fsync of the directory),
the file is mode 0600 in a directory created 0700, and every write holds an exclusive ``flock`` on a sidecar
``<tenant-id>.lock`` so that two processes never interleave a read-modify-write (:func:`update`). A save
never replaces a file that does not load: it may be the only record of what a rollout created.

Datetimes are TOML offset date-times in UTC and round-trip exactly (to the microsecond).
"""

from __future__ import annotations

import fcntl
import os
import re
import tempfile
import tomllib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, cast, get_args

import msgspec
import msgspec.structs
from msgspec import Meta

from ztconsole import paths
from ztconsole.tomlschema import Problem, locate, syntax_location, type_name, validate

__all__ = [
    "STATE_VERSION",
    "STEP_IDS",
    "InvalidTenantId",
    "RolloutState",
    "StateFileError",
    "StateProblem",
    "StepId",
    "StepRecord",
    "fresh",
    "load",
    "normalize_tenant_id",
    "parse",
    "save",
    "state_path",
    "update",
]

STATE_VERSION = 1

StepId = Literal[
    "preflight", "baseline", "inventory", "apps", "assign", "protect", "bake", "enforce", "tighten", "decommission"
]
#: The step ids in step order (step N is ``STEP_IDS[N]``).
STEP_IDS: tuple[str, ...] = get_args(StepId)

_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
_EXAMPLE_GUID = "00000000-0000-0000-0000-000000000000"
_EXAMPLE_TIME = "2026-01-31T12:00:00Z"

# ------------------------------------------------------------------------------------------ the schema

_TenantId = Annotated[
    str,
    Meta(pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z",
         extra={"expected": "a directory (tenant) id", "message": f"not a GUID: expected a tenant id like "
                f"{_EXAMPLE_GUID}"}),
]
_UtcTime = Annotated[datetime, Meta(tz=True, extra={"expected": f"a date/time with a time zone, like {_EXAMPLE_TIME}"})]
_Sha256 = Annotated[
    str,
    Meta(pattern=r"^[0-9a-f]{64}\Z",
         extra={"expected": "a SHA-256 digest", "message": "expected a SHA-256 digest (64 lower-case hex digits)"}),
]
_Reason = Annotated[str, Meta(pattern=r"\S", extra={"message": "an empty reason: say why the bake was overridden"})]


class StepRecord(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What one step remembers. ``data`` is the step's own plain TOML table (the inventory's segments, the
    ids of created apps and policies, each protect policy's report-only start ...)."""

    applied_at: _UtcTime | None = None  # the last successful apply (UTC)
    plan: _Sha256 | None = None  # digest of the last applied plan (ztconsole.actions.audit.plan_digest)
    acknowledged: bool = False  # the admin reviewed what the step shows (e.g. the inventory)
    override_reason: _Reason | None = None  # why the bake guard was lifted, if it was
    data: dict[str, Any] = {}


class RolloutState(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The rollout state of one tenant. Immutable: change it with :meth:`with_step` (or
    ``msgspec.structs.replace``) inside :func:`update`."""

    version: int = STATE_VERSION
    tenant_id: _TenantId
    started_at: _UtcTime
    steps: dict[StepId, StepRecord] = {}

    def step(self, step_id: str) -> StepRecord:
        """The record of ``step_id`` (an empty one when the step has none yet)."""
        _check_step(step_id)
        return self.steps.get(cast(StepId, step_id), StepRecord())

    def with_step(self, step_id: str, record: StepRecord | None = None, **changes: Any) -> RolloutState:
        """A copy with ``step_id``'s record replaced by ``record`` (default: the current one) with
        ``changes`` applied: ``state.with_step("apps", applied_at=now, data={...})``."""
        _check_step(step_id)
        base = record if record is not None else self.step(step_id)
        steps: dict[Any, StepRecord] = dict(self.steps)
        steps[step_id] = msgspec.structs.replace(base, **changes) if changes else base
        return msgspec.structs.replace(self, steps=steps)


def _check_step(step_id: str) -> None:
    if step_id not in STEP_IDS:
        raise ValueError(f"unknown rollout step {step_id!r} (valid: {', '.join(STEP_IDS)})")


# ------------------------------------------------------------------------------------------ errors


class InvalidTenantId(ValueError):
    """A tenant id that is not a GUID: never used to build a path."""


@dataclass(frozen=True, slots=True)
class StateProblem:
    """One problem in a rollout state file, placed at its line and key."""

    file: str
    message: str
    line: int | None = None
    column: int | None = None
    key: str | None = None  # steps.inventory.plan
    where: str | None = None  # [steps.inventory] key 'plan'
    suggestion: str | None = None

    def __str__(self) -> str:
        location = self.file
        if self.line is not None:
            location += f":{self.line}" + (f":{self.column}" if self.column is not None else "")
        text = f"{location}: {self.where}: {self.message}" if self.where else f"{location}: {self.message}"
        return f"{text} ({self.suggestion})" if self.suggestion else text


class StateFileError(Exception):
    """A rollout state file that cannot be read, or written: every problem, one line each, in file order.
    ``file``, ``line`` and ``key`` are those of the first problem."""

    def __init__(self, problems: list[StateProblem]):
        if not problems:
            raise ValueError("StateFileError needs at least one problem")
        self.problems: tuple[StateProblem, ...] = tuple(problems)
        first = self.problems[0]
        self.file, self.line, self.key = first.file, first.line, first.key
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


# ------------------------------------------------------------------------------------------ paths


def normalize_tenant_id(tenant_id: str) -> str:
    """The tenant id in lower case, or :class:`InvalidTenantId` when it is not a GUID."""
    if not isinstance(tenant_id, str) or not _GUID.match(tenant_id.lower()):
        shown = repr(tenant_id)[:48]
        raise InvalidTenantId(f"not a tenant id: {shown} (expected a GUID like {_EXAMPLE_GUID})")
    return tenant_id.lower()


def state_path(tenant_id: str, *, dir: Path | None = None) -> Path:
    """``<dir>/<tenant-id>.toml`` (``dir`` defaults to :func:`ztconsole.paths.rollout_dir`)."""
    return (dir if dir is not None else paths.rollout_dir()) / f"{normalize_tenant_id(tenant_id)}.toml"


# ------------------------------------------------------------------------------------------ reading


def fresh(tenant_id: str, *, now: datetime | None = None) -> RolloutState:
    """A new rollout state for ``tenant_id``, started ``now`` (default: the current time, UTC)."""
    started = _utc(now, "now") if now is not None else datetime.now(UTC)
    return RolloutState(tenant_id=normalize_tenant_id(tenant_id), started_at=started)


def load(tenant_id: str, *, dir: Path | None = None) -> RolloutState:
    """The tenant's rollout state; a fresh one when it has no file yet. Raises :class:`StateFileError`
    (naming file, line and key of every problem) for a file that does not load, and never changes it."""
    path = state_path(tenant_id, dir=dir)
    state = _read(path, normalize_tenant_id(tenant_id))
    return state if state is not None else fresh(tenant_id)


def _read(path: Path, tenant_id: str) -> RolloutState | None:
    """The state in ``path``, None when there is no file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise StateFileError([StateProblem(str(path), f"cannot read the rollout state: {error.strerror}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise StateFileError([StateProblem(str(path), "the file is not UTF-8 text", line=line)]) from None
    return parse(text, str(path), tenant_id=tenant_id)


def parse(text: str, file: str, *, tenant_id: str | None = None) -> RolloutState:
    """Validate the text of a rollout state file; ``tenant_id``: the tenant the file must be for."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message, line, column = syntax_location(error, text)
        problem = StateProblem(file, f"TOML syntax error: {message}", line=line, column=column,
                               suggestion="fix the file by hand, or move it aside to start the rollout over")
        raise StateFileError([problem]) from None
    version_problem = _version_problem(data)
    if version_problem is not None:  # another version's keys mean nothing here: stop at the version
        _raise(version_problem, text, file)
    report = validate(data, RolloutState)
    for path in [("started_at",), *(("steps", step, "applied_at") for step in _tables(data.get("steps")))]:
        value = _get(data, path)
        if isinstance(value, str) and not report.failed(path):
            report.add(path, f"expected a TOML date/time (unquoted, like {_EXAMPLE_TIME}), got a string",
                       kind="invalid")
    file_tenant = data.get("tenant_id")
    if (tenant_id is not None and isinstance(file_tenant, str) and not report.failed(("tenant_id",))
            and file_tenant.lower() != tenant_id):
        report.add(("tenant_id",), f"this file is for tenant {file_tenant}, not {tenant_id}",
                   "each tenant's state lives in <tenant-id>.toml: rename or move the file")
    if report.problems:
        _raise(report.problems, text, file)
    state = report.value
    steps = {step: msgspec.structs.replace(record, applied_at=_as_utc(record.applied_at))
             for step, record in state.steps.items()}
    return msgspec.structs.replace(state, tenant_id=state.tenant_id.lower(),
                                   started_at=_as_utc(state.started_at), steps=steps)


def _version_problem(data: Mapping[str, Any]) -> list[Problem] | None:
    if "version" not in data:
        return [Problem(("version",), "required", f"a rollout state file starts with version = {STATE_VERSION}",
                        kind="missing")]
    version = data["version"]
    if not isinstance(version, int) or isinstance(version, bool):
        return [Problem(("version",), f"expected an integer, got {type_name(version)}", kind="invalid")]
    if version != STATE_VERSION:
        return [Problem(("version",), f"rollout state version {version} is not known to this ztconsole "
                        f"(it reads version {STATE_VERSION})",
                        "upgrade ztconsole, or move the file aside to start the rollout over", kind="invalid")]
    return None


def _tables(node: Any) -> list[str]:
    return [key for key, value in node.items() if isinstance(value, dict)] if isinstance(node, dict) else []


def _get(data: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = data
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _raise(problems: list[Problem], text: str, file: str) -> None:
    raise StateFileError([
        StateProblem(found.file, found.message, line=found.line, key=found.key, where=found.where,
                     suggestion=found.suggestion)
        for found in locate(problems, text, file)
    ])


def _as_utc(when: datetime | None) -> Any:
    return when.astimezone(UTC) if when is not None else None


def _utc(when: datetime, what: str) -> datetime:
    if not isinstance(when, datetime) or when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"{what}: expected a date/time with a time zone (UTC), got {when!r}")
    return when.astimezone(UTC)


# ------------------------------------------------------------------------------------------ writing


def _document(state: RolloutState) -> dict[str, Any]:
    if state.version != STATE_VERSION:
        raise ValueError(f"cannot write rollout state version {state.version} (this code writes {STATE_VERSION})")
    doc: dict[str, Any] = {
        "version": state.version,
        "tenant_id": normalize_tenant_id(state.tenant_id),
        "started_at": _utc(state.started_at, "started_at"),
    }
    steps: dict[str, Any] = {}
    for step in sorted(state.steps, key=STEP_IDS.index):  # unknown step ids fail here, as ValueError
        record = state.steps[step]
        table: dict[str, Any] = {}
        if record.applied_at is not None:
            table["applied_at"] = _utc(record.applied_at, f"steps.{step}.applied_at")
        if record.plan is not None:
            table["plan"] = record.plan
        table["acknowledged"] = record.acknowledged
        if record.override_reason is not None:
            table["override_reason"] = record.override_reason
        if record.data:
            table["data"] = record.data
        steps[step] = table
    if steps:
        doc["steps"] = steps
    return doc


def _dumps(state: RolloutState) -> str:
    import tomli_w  # writing only

    try:
        body = tomli_w.dumps(_document(state))
    except TypeError as error:  # a value TOML has no type for (None, a set, an object ...)
        raise ValueError(f"rollout state of tenant {state.tenant_id}: {error}") from None
    header = (f"# ztconsole rollout state of tenant {normalize_tenant_id(state.tenant_id)}, written by ztconsole.\n"
              "# It records what the rollout created: edit with care, never delete during a rollout.\n\n")
    return header + body


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive flock on ``<path>.lock`` beside the state file (the directory is created 0700)."""
    lock_path = path.with_suffix(".lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as error:
        raise StateFileError([StateProblem(str(lock_path), f"cannot create the lock file: {error.strerror}")]) \
            from None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock


def save(state: RolloutState, *, dir: Path | None = None) -> None:
    """Write ``state`` to its tenant's file, atomically, under the tenant's lock. Refuses (with
    :class:`StateFileError`) to replace a file that does not load. Raises ValueError for a state that
    cannot be written (a naive datetime, a value TOML cannot hold, an unknown step id)."""
    path = state_path(state.tenant_id, dir=dir)
    with _locked(path):
        _read(path, normalize_tenant_id(state.tenant_id))  # a file that does not load is kept, not replaced
        _write(path, state)


def update(tenant_id: str, fn: Callable[[RolloutState], RolloutState], *, dir: Path | None = None) -> RolloutState:
    """Under the tenant's lock: load the state (fresh if none), apply ``fn``, save what it returns, and
    return that. Nothing is written when the load or ``fn`` fails."""
    tenant = normalize_tenant_id(tenant_id)
    path = state_path(tenant, dir=dir)
    with _locked(path):
        current = _read(path, tenant) or fresh(tenant)
        new = fn(current)
        if not isinstance(new, RolloutState):
            raise TypeError(f"update: the function returned {type(new).__name__}, not a RolloutState")
        if normalize_tenant_id(new.tenant_id) != tenant:
            raise ValueError(f"update: the function returned the state of tenant {new.tenant_id}, not {tenant}")
        _write(path, new)
        return new


def _write(path: Path, state: RolloutState) -> None:
    """Atomic replace: temp file in the same directory, flush + fsync, os.replace, fsync the directory."""
    text = _dumps(state)
    parse(text, str(path), tenant_id=normalize_tenant_id(state.tenant_id))  # what is written always loads
    for stale in path.parent.glob(f".{path.name}.*.tmp"):  # left by a writer that was killed (we hold the lock)
        stale.unlink(missing_ok=True)
    try:
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise StateFileError([StateProblem(str(path), f"cannot write the rollout state: {error.strerror}")]) from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise StateFileError([StateProblem(str(path), f"cannot write the rollout state: {error.strerror}")]) \
                from None
        raise
    directory = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)

"""The audit log (CONTRACTS §8, issue #14): one JSON object per line, appended before and after every write,
hash-chained so that an edited, removed or reordered record is found by :meth:`AuditLog.verify`.

A record::

    {"id": "7-3f9a1c2e5b7d", "seq": 7, "time": "2026-12-07T05:31:02.118Z", "who": "admin@contoso.com",
     "tenant": "<tenant id>", "action": "policy.update", "phase": "before",
     "target": {"type": "conditionalAccessPolicy", "id": "...", "name": "..."},
     "plan": "<sha256 of the plan's canonical JSON>", "result": "pending",
     "before": {...the resource as read...}, "prev": "<hash of record 6>", "hash": "<sha256 of this record>"}

* ``result`` is ``pending`` in a ``before`` record, ``ok`` or ``failed: ...`` in an ``after`` record;
  ``before``/``after`` (the resource's JSON; ``null`` when it does not exist), ``reason`` (an override's
  reason) and ``ref`` (in an ``after`` record, the id of its ``before`` record) are present when given.
* ``hash`` is the SHA-256 (hex) of the record's canonical JSON without ``hash`` (sorted keys, no spaces,
  UTF-8); ``prev`` is the previous record's ``hash`` (:data:`GENESIS` for the first). ``id`` is
  ``<seq>-<12 hex digits>`` of the hash of the record without ``id`` and ``hash``: stable, and unique.
* Never a token or a secret: before a record is written, every value under a key named like a secret
  (:func:`ztconsole.secretnames.is_secret_name`, the config file's rule) and every JWT-looking or bearer value
  becomes ``[redacted]``; ``redacted`` lists the paths so replaced (a rollback must not restore them).

Appending takes an exclusive ``flock`` on the file around reading the last record and writing the new one,
so concurrent processes never fork the chain; the line goes out in one ``os.write`` on an ``O_APPEND``
descriptor, then ``fsync``. A new directory is made 0700, a new file 0600 (an existing file is tightened to
0600). Dropping records at the end of the log leaves a valid chain: keep :attr:`Verification.head` elsewhere
to detect that.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, NamedTuple

from ztconsole.actions.digest import canonical, plan_digest

__all__ = [
    "GENESIS",
    "REDACTED",
    "AuditLog",
    "AuditLogError",
    "Problem",
    "Target",
    "Verification",
    "canonical",
    "operator",
    "plan_digest",
    "record_hash",
    "redact",
]

#: ``prev`` of the first record
GENESIS = "0" * 64
REDACTED = "[redacted]"
Phase = Literal["before", "after"]
#: the fields every record has, in the order a line holds them (optional ones come before ``prev``)
REQUIRED = ("id", "seq", "time", "who", "tenant", "action", "phase", "target", "plan", "result", "prev", "hash")
_UNSET: Any = object()
_BEARER = re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+")
_CHUNK = 65536


class AuditLogError(Exception):
    """The audit log cannot be read or appended to (the message names the file and why)."""


class Target(NamedTuple):
    """The resource a write changes."""

    type: str
    id: str
    name: str

    def to_json(self) -> dict[str, str]:
        return {"type": self.type, "id": self.id, "name": self.name}


class Problem(NamedTuple):
    """The first thing wrong with a log: its 1-based line and what is wrong there."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class Verification:
    """What :meth:`AuditLog.verify` found: ``records`` checked (up to the problem), the last good ``head``."""

    path: Path
    records: int
    head: str
    problem: Problem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def to_json(self) -> dict[str, Any]:
        return {"log": str(self.path), "verified": self.ok, "records": self.records, "head": self.head,
                "problem": None if self.problem is None
                else {"line": self.problem.line, "message": self.problem.message}}


# ------------------------------------------------------------------------------------------- hashing


def record_hash(record: Mapping[str, Any]) -> str:
    """The ``hash`` a record must carry: SHA-256 of its canonical JSON without ``hash``."""
    return hashlib.sha256(canonical({k: v for k, v in record.items() if k != "hash"})).hexdigest()


def _record_id(record: Mapping[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k not in ("id", "hash")}
    return f"{record['seq']}-{hashlib.sha256(canonical(body)).hexdigest()[:12]}"


# ----------------------------------------------------------------------------------------- redaction


def redact(value: Any, path: str = "") -> tuple[Any, list[str]]:
    """``value`` with every secret replaced by :data:`REDACTED`, and the dotted paths replaced: a non-null
    value under a key named like a secret (the config file's rule), and any JWT-looking or ``Bearer ...``
    text inside a string."""
    from ztconsole.secretnames import JWT_LIKE as _JWT_LIKE
    from ztconsole.secretnames import is_secret_name as _is_secret_name

    found: list[str] = []

    def walk(node: Any, where: str) -> Any:
        if isinstance(node, Mapping):
            out = {}
            for key, item in node.items():
                here = f"{where}.{key}" if where else str(key)
                if isinstance(key, str) and _is_secret_name(key) and item is not None:
                    out[key] = REDACTED
                    found.append(here)
                else:
                    out[key] = walk(item, here)
            return out
        if isinstance(node, list | tuple):
            return [walk(item, f"{where}.{i}" if where else str(i)) for i, item in enumerate(node)]
        if isinstance(node, str):
            text = _BEARER.sub(REDACTED, _JWT_LIKE.sub(REDACTED, node))
            if text != node:
                found.append(where)
            return text
        return node

    return walk(value, path), found


# ------------------------------------------------------------------------------------------- the log


def operator(upn: str | None = None) -> str:
    """Who is writing: the signed-in account's UPN when known, else the OS user."""
    if upn:
        return upn
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in the environment nor in the password database
        return f"uid:{os.getuid()}"


def _now() -> datetime:
    return datetime.now(UTC)


def _stamp(when: datetime) -> str:
    when = when.astimezone(UTC)
    return f"{when:%Y-%m-%dT%H:%M:%S}.{when.microsecond // 1000:03d}Z"


class AuditLog:
    """The audit log at ``path`` (default: :func:`ztconsole.paths.audit_log_path`)."""

    def __init__(self, path: Path | str | None = None, *, clock: Callable[[], datetime] = _now):
        if path is None:
            from ztconsole.paths import audit_log_path

            path = audit_log_path()
        self.path = Path(path)
        self._clock = clock

    # -------------------------------------------------------------------------------------- writing

    def append(self, *, action: str, phase: Phase, target: Target | Mapping[str, Any], plan: Any, tenant: str,
               who: str | None = None, result: str | None = None, before: Any = _UNSET, after: Any = _UNSET,
               reason: str | None = None, ref: str | None = None) -> dict[str, Any]:
        """Append one record and return it as written. ``plan`` is the plan itself or its digest
        (:func:`plan_digest`); ``who`` the signed-in UPN (default: the OS user); ``result`` is ``pending``
        for ``before`` and must be ``ok`` or ``failed: ...`` for ``after``."""
        if phase not in ("before", "after"):
            raise ValueError(f"phase must be 'before' or 'after', not {phase!r}")
        if phase == "before":
            result = result or "pending"
        elif result is None or not (result == "ok" or result.startswith("failed")):
            raise ValueError(f"the result of an 'after' record is 'ok' or 'failed: ...', not {result!r}")
        target_json = target.to_json() if isinstance(target, Target) else dict(target)
        fields: dict[str, Any] = {
            "time": _stamp(self._clock()), "who": operator(who), "tenant": tenant, "action": action,
            "phase": phase, "target": target_json,
            "plan": plan if isinstance(plan, str) else plan_digest(plan), "result": result,
        }
        for name, value in (("reason", reason), ("ref", ref)):
            if value is not None:
                fields[name] = value
        for name, value in (("before", before), ("after", after)):
            if value is not _UNSET:
                fields[name] = value
        fields, redacted = redact(fields)
        if redacted:
            fields["redacted"] = redacted
        return self._append(fields)

    def _append(self, fields: dict[str, Any]) -> dict[str, Any]:
        if not self.path.parent.is_dir():
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(self.path, flags, 0o600)
        except OSError as exc:
            raise AuditLogError(f"cannot open the audit log {self.path}: {exc.strerror or exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if os.fstat(fd).st_mode & 0o077:
                os.fchmod(fd, 0o600)
            last, ends_with_newline = self._last(fd)
            if last is None:
                seq, prev = 1, GENESIS
            else:
                try:
                    seq, prev = int(last["seq"]) + 1, str(last["hash"])
                except (KeyError, TypeError, ValueError):
                    raise AuditLogError(f"{self.path}: the last line is not an audit record; run 'ztconsole "
                                        "audit verify' and repair the log before writing") from None
            record: dict[str, Any] = {"id": "", "seq": seq, **fields, "prev": prev}
            record["id"] = _record_id(record)
            record["hash"] = record_hash(record)
            line = json.dumps(record, ensure_ascii=True, allow_nan=False) + "\n"
            data = (line if ends_with_newline else "\n" + line).encode("ascii")
            written = os.write(fd, data)
            if written != len(data):
                raise AuditLogError(f"{self.path}: short write ({written} of {len(data)} bytes)")
            os.fsync(fd)
            return record
        except OSError as exc:
            raise AuditLogError(f"cannot append to the audit log {self.path}: {exc.strerror or exc}") from exc
        finally:
            os.close(fd)  # releases the lock

    def _last(self, fd: int) -> tuple[dict[str, Any] | None, bool]:
        """The last record (None for an empty file) and whether the file ends with a newline. An unreadable
        last line is an error: the chain cannot go on from it."""
        size = os.fstat(fd).st_size
        if size == 0:
            return None, True
        tail = b""
        pos = size
        while pos > 0:
            start = max(0, pos - _CHUNK)
            tail = os.pread(fd, pos - start, start) + tail
            pos = start
            if tail.rstrip(b"\n").count(b"\n") >= 1:
                break
        ends_with_newline = tail.endswith(b"\n")
        body = tail.rstrip(b"\n")
        if not body:
            return None, ends_with_newline
        last_line = body.rsplit(b"\n", 1)[-1]
        try:
            doc = json.loads(last_line)
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            raise AuditLogError(f"{self.path}: the last line is not an audit record; run 'ztconsole audit "
                                "verify' and repair the log before writing")
        return doc, ends_with_newline

    # -------------------------------------------------------------------------------------- reading

    def _lines(self) -> Iterator[tuple[int, bytes]]:
        """(line number, raw line) for every non-empty line; nothing for a missing log."""
        try:
            with open(self.path, "rb") as f:
                for number, raw in enumerate(f, 1):
                    raw = raw.rstrip(b"\r\n")
                    if raw:
                        yield number, raw
        except FileNotFoundError:
            return
        except OSError as exc:
            raise AuditLogError(f"cannot read the audit log {self.path}: {exc.strerror or exc}") from exc

    def entries(self) -> Iterator[tuple[int, dict[str, Any] | None]]:
        """(line number, record) for every line, the record None where a line is not a JSON object."""
        for number, raw in self._lines():
            try:
                doc = json.loads(raw)
            except ValueError:
                doc = None
            yield number, doc if isinstance(doc, dict) else None

    def records(self) -> list[dict[str, Any]]:
        """Every record, in order; :class:`AuditLogError` naming the first line that is not one."""
        out = []
        for number, doc in self.entries():
            if doc is None:
                raise AuditLogError(f"{self.path}: line {number} is not a JSON object")
            out.append(doc)
        return out

    def find(self, record_id: str) -> dict[str, Any] | None:
        """The record with id ``record_id``, or None."""
        for _, doc in self.entries():
            if doc is not None and doc.get("id") == record_id:
                return doc
        return None

    def verify(self) -> Verification:
        """Check the chain from the first record on; the first problem, with its line, ends the check. An
        empty or missing log verifies."""
        head, count, expected_seq = GENESIS, 0, 1

        def failed(line: int, message: str) -> Verification:
            return Verification(self.path, count, head, Problem(line, message))

        for number, doc in self.entries():
            if doc is None:
                return failed(number, "not a JSON object")
            missing = [name for name in REQUIRED if name not in doc]
            if missing:
                return failed(number, f"not an audit record (no {', '.join(missing)})")
            try:
                digest = record_hash(doc)
            except (TypeError, ValueError):
                return failed(number, "record edited (hash mismatch)")
            if doc["hash"] != digest:
                return failed(number, "record edited (hash mismatch)")
            if doc["prev"] != head:
                return failed(number, "the record before it is missing or out of order")
            if doc["seq"] != expected_seq:
                return failed(number, f"seq {doc['seq']} out of order (expected {expected_seq})")
            if doc["id"] != _record_id(doc):
                return failed(number, "record edited (id does not match its content)")
            head, count, expected_seq = doc["hash"], count + 1, expected_seq + 1
        return Verification(self.path, count, head)

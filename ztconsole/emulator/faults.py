"""Fault injection for the emulator: latency, throttling, service errors, resets and broken bodies.

A :class:`FaultPlan` is an ordered list of :class:`Fault` rules. Each request (and each request inside a
``$batch``) is described as ``"METHOD /path?query"`` (query percent-decoded) and offered to the rules in
order; a rule's regex is searched in it case-insensitively (anchor it with ``^`` to pin it). A matching
``latency`` rule adds its delay and the walk goes on; the first matching rule of any other kind decides
the request and the walk stops. A rule skips its first ``after`` matches and fires at most ``times`` times
(``None``: always); ``seen`` and ``fired`` count what it matched and what it did.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

KINDS: tuple[str, ...] = ("latency", "throttle", "error", "reset", "malformed", "truncated", "forbidden")

# parameters each kind accepts, with their defaults
_PARAMS: dict[str, dict[str, Any]] = {
    "latency": {"seconds": 1.0},
    "throttle": {"retry_after": 1},
    "error": {"status": 500, "retry_after": None},
    "reset": {},
    "malformed": {},
    "truncated": {},
    "forbidden": {},
}


class ConnectionResetFault(ConnectionResetError):
    """Raised by the ASGI app (in process) where a ``reset`` fault drops the connection."""


class FaultSpecError(ValueError):
    """A fault rule or spec string that cannot be used; the message says what is wrong."""


class Fault:
    """One rule: ``Fault("GET /v1.0/users", "throttle", times=2, retry_after=1)``."""

    __slots__ = ("match", "kind", "times", "after", "params", "seen", "fired", "_regex")

    def __init__(self, match: str, kind: str, times: int | None = None, after: int = 0, **params: Any):
        if kind not in KINDS:
            raise FaultSpecError(f"unknown fault kind {kind!r} (one of {', '.join(KINDS)})")
        unknown = set(params) - set(_PARAMS[kind])
        if unknown:
            allowed = ", ".join(_PARAMS[kind]) or "none"
            raise FaultSpecError(f"fault {kind!r} takes no {', '.join(sorted(unknown))} (parameters: {allowed})")
        if (times is not None and times < 0) or after < 0:
            raise FaultSpecError("times and after must not be negative")
        merged = {**_PARAMS[kind], **params}
        if kind == "error" and merged["status"] not in (500, 503):
            raise FaultSpecError(f"error status must be 500 or 503, got {merged['status']!r}")
        if kind == "latency" and not (isinstance(merged["seconds"], (int, float)) and merged["seconds"] >= 0):
            raise FaultSpecError("latency seconds must be a number >= 0")
        retry_after = merged.get("retry_after")
        if retry_after is not None and not (isinstance(retry_after, (int, float)) and retry_after >= 0):
            raise FaultSpecError("retry_after must be a number of seconds >= 0 or None")
        try:
            self._regex = re.compile(match, re.IGNORECASE)
        except re.error as e:
            raise FaultSpecError(f"bad match pattern {match!r}: {e}") from None
        self.match = match
        self.kind = kind
        self.times = times
        self.after = after
        self.params = merged
        self.seen = 0
        self.fired = 0

    def __repr__(self) -> str:
        extra = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return (f"Fault({self.match!r}, {self.kind!r}, times={self.times!r}, after={self.after!r}{extra})"
                f"  # seen={self.seen} fired={self.fired}")

    def offer(self, request_line: str) -> bool:
        """Count a request against this rule; True when the rule fires for it."""
        if not self._regex.search(request_line):
            return False
        self.seen += 1
        if self.seen <= self.after or (self.times is not None and self.fired >= self.times):
            return False
        self.fired += 1
        return True


@dataclass(frozen=True, slots=True)
class Decision:
    """What the plan decided for one request: a delay, then at most one terminal fault."""

    delay: float = 0.0
    fault: Fault | None = None


class FaultPlan:
    """An ordered, mutable list of fault rules (thread-safe)."""

    def __init__(self, faults: Iterable[Fault] = ()):
        self.faults: list[Fault] = list(faults)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.faults)

    def add(self, fault: Fault | str) -> Fault:
        """Append a rule (a :class:`Fault` or a spec string); returns it."""
        rule = parse_fault(fault) if isinstance(fault, str) else fault
        with self._lock:
            self.faults.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()

    def decide(self, request_line: str) -> Decision:
        delay = 0.0
        with self._lock:
            for rule in self.faults:
                if not rule.offer(request_line):
                    continue
                if rule.kind == "latency":
                    delay += float(rule.params["seconds"])
                    continue
                return Decision(delay, rule)
        return Decision(delay, None)


_SPEC = re.compile(rf"^(?P<match>.+)=(?P<kind>{'|'.join(KINDS)})(?P<params>(?::[A-Za-z_]+=[^:]*)*)$", re.DOTALL)


def _value(text: str) -> Any:
    low = text.strip().lower()
    if low in ("none", "null", ""):
        return None
    try:
        return int(low)
    except ValueError:
        pass
    try:
        return float(low)
    except ValueError:
        raise FaultSpecError(f"{text!r} is not a number") from None


def parse_fault(spec: str) -> Fault:
    """Parse ``"REGEX=KIND[:key=value...]"``, e.g. ``"GET /v1.0/users.*=throttle:retry_after=1:times=2"``.

    Keys: ``times``, ``after`` and the kind's parameters (``latency:seconds``, ``throttle:retry_after``,
    ``error:status``/``retry_after``); ``none`` means None. The regex may itself contain ``=`` and ``:``.
    """
    m = _SPEC.match(spec.strip())
    if not m:
        raise FaultSpecError(
            f"bad fault spec {spec!r}: expected REGEX=KIND[:key=value...], KIND one of {', '.join(KINDS)}")
    kwargs: dict[str, Any] = {}
    for part in filter(None, m.group("params").split(":")):
        key, _, raw = part.partition("=")
        kwargs[key] = _value(raw)
    times = kwargs.pop("times", None)
    after = kwargs.pop("after", None) or 0
    for name, val in (("times", times), ("after", after)):
        if val is not None and not isinstance(val, int):
            raise FaultSpecError(f"{name} must be a whole number, got {val!r}")
    return Fault(m.group("match"), m.group("kind"), times=times, after=after, **kwargs)

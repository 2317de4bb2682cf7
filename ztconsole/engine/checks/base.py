"""The check framework: what a check declares, what it finds, and the runner that turns every check into at
least one finding (CONTRACTS §4, §6).

* :class:`Check`: one entry of the catalogue: id, title, area, severity, Zero Trust principle, the data sets
  it reads, and a function from a :class:`CheckContext` to :class:`Outcome` values. Checks are declared in
  one place, :mod:`ztconsole.engine.checks.registry`.
* :class:`Finding`: one judged resource, exactly the finding object of CONTRACTS §4 (:meth:`Finding.to_json`).
* :func:`run_check` / :func:`run_checks`: the runner. A check whose data sets were not read completely is
  not judged (CONTRACTS §2 "Incomplete sources"): a data set that could not be read at all for want of a
  permission (``forbidden``) or a singleton that is not readable (``missing``) makes it ``skip`` naming the
  permission or the data set; a data set read only in part (``partial``, ``throttled``, ``failed``, or not read)
  makes it ``error`` with the reason, as CONTRACTS §2 says of ``assess``. An exception in a check becomes an
  ``error`` finding for that check alone (:func:`error_finding`, the one funnel).

Tenant text (display names, UPNs) goes into evidence as plain data; whoever renders a finding sanitises it.
Evidence that rests on a Conditional Access evaluation carries the ``ztconsole whatif`` command line that
reproduces it (:func:`whatif_command`), built with :func:`ztconsole.safetext.command_line` and on a line of
its own, so ``shlex.split`` gives the arguments back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from ztconsole.datasets import BY_KEY
from ztconsole.model.completeness import Incomplete, incomplete
from ztconsole.model.tenant import Tenant
from ztconsole.safetext import command_line

if TYPE_CHECKING:
    from ztconsole.engine.ca.context import Context
    from ztconsole.engine.compiled import CompiledPolicies
    from ztconsole.model.directory import User

__all__ = [
    "Status",
    "Severity",
    "Principle",
    "STATUSES",
    "SEVERITIES",
    "PRINCIPLES",
    "Resource",
    "Outcome",
    "Finding",
    "Check",
    "CheckContext",
    "Settings",
    "whatif_command",
    "error_finding",
    "run_check",
    "run_checks",
]

Status = Literal["pass", "fail", "warn", "skip", "error"]
Severity = Literal["critical", "high", "medium", "low", "info"]
Principle = Literal["verify-explicitly", "least-privilege", "assume-breach"]

STATUSES: tuple[Status, ...] = ("pass", "fail", "warn", "skip", "error")
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low", "info")
PRINCIPLES: tuple[Principle, ...] = ("verify-explicitly", "least-privilege", "assume-breach")

#: the statuses of a data set that could not be read at all: the check is skipped, naming why
_UNAVAILABLE = frozenset({"forbidden", "missing"})


@dataclass(frozen=True, slots=True)
class Resource:
    """What a finding judged (CONTRACTS §4 ``resource``): ``id`` is the Graph object id or full ARM id."""

    type: str
    id: str
    name: str

    def to_json(self) -> dict[str, str]:
        return {"type": self.type, "id": self.id, "name": self.name}


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a check function yields for one resource; the runner adds the check's own fields.
    ``remediation`` None: the check's default remediation."""

    status: Status
    resource: Resource
    evidence: str
    remediation: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding of CONTRACTS §4."""

    check: str
    status: Status
    severity: Severity
    title: str
    resource: Resource
    evidence: str
    remediation: str
    principle: Principle

    def to_json(self) -> dict[str, Any]:
        return {"check": self.check, "status": self.status, "severity": self.severity, "title": self.title,
                "resource": self.resource.to_json(), "evidence": self.evidence,
                "remediation": self.remediation, "principle": self.principle}


@dataclass(frozen=True, slots=True)
class Settings:
    """The limits checks judge by (the ``[thresholds]`` of the config file; the defaults are its defaults)."""

    report_only_bake_days: int = 14  # ZT-CA-006
    break_glass_signin_days: int = 90  # ZT-BG-007
    #: ZT-BG-007: more distinct days with a successful sign-in than this within the window is routine use
    break_glass_routine_days: int = 3
    segment_fail_prefix: int = 16  # ZT-PA-002: a segment wider than this prefix fails
    segment_warn_prefix: int = 24  # ZT-PA-002: ... wider than this prefix warns
    segment_warn_ports: int = 10  # ZT-PA-002: a port range of more ports than this warns
    quick_access_warn_addresses: int = 65_536  # ZT-PA-006: Quick Access publishing more addresses warns


def settings_from(values: Mapping[str, Any]) -> Settings:
    """The settings named in ``values`` (the config's ``[thresholds]`` by name); other names are not ours."""
    names = {f.name for f in fields(Settings)}
    return Settings(**{k: v for k, v in values.items() if k in names})


class CheckContext:
    """What every check reads: the tenant, the declared emergency access accounts, the limits, "now", and
    the evaluator pieces several checks share (built once, on first use).

    ``break_glass``: emergency access accounts (object ids or UPNs) declared in the config file, besides
    those of ``tenant.toml``. ``source_args``: the source options of the command line that loaded the
    tenant (``("--demo",)``, ``("--tenant-dir", DIR)`` or ``()`` for the live tenant), used in the
    ``ztconsole whatif`` command lines that reproduce evidence. ``now``: default ``captured_at`` of the
    recording (CONTRACTS §1, reproducible results), else the current time.
    """

    def __init__(self, tenant: Tenant, *, break_glass: Iterable[str] = (), settings: Settings | None = None,
                 source_args: Sequence[str] = (), now: datetime | None = None) -> None:
        self.tenant = tenant
        self.extra_break_glass = tuple(break_glass)
        self.settings = settings or Settings()
        self.source_args = tuple(source_args)
        self._now = now

    @property
    def now(self) -> datetime:
        when = self._now or self.tenant.info.captured_at or datetime.now(UTC)
        return when if when.tzinfo is not None else when.replace(tzinfo=UTC)

    @cached_property
    def declared_break_glass(self) -> tuple[str, ...]:
        """Every declared emergency access account reference (tenant.toml, then config), without repeats."""
        return tuple(dict.fromkeys((*self.tenant.info.break_glass, *self.extra_break_glass)))

    @cached_property
    def break_glass_users(self) -> tuple[User, ...]:
        """The declared emergency access accounts that exist in the directory."""
        return tuple(self.tenant.break_glass_users(self.extra_break_glass))

    @cached_property
    def break_glass_ids(self) -> frozenset[str]:
        return frozenset(u.id for u in self.break_glass_users)

    @cached_property
    def ca(self) -> Context:
        """The evaluator's view of the tenant (the CA rule book's :class:`~ztconsole.engine.ca.context.Context`)."""
        from ztconsole.engine.ca.context import Context

        return Context.from_tenant(self.tenant, break_glass=self.extra_break_glass)

    @cached_property
    def compiled(self) -> CompiledPolicies:
        """Every policy of the tenant compiled for bulk questions (:mod:`ztconsole.engine.compiled`)."""
        from ztconsole.engine.compiled import CompiledPolicies

        return CompiledPolicies.build(self.tenant.ca_policies, self.ca)

    @property
    def tenant_resource(self) -> Resource:
        info = self.tenant.info
        return Resource("tenant", info.id, info.display_name or info.id)


def whatif_command(ctx: CheckContext, *options: str) -> str:
    """The ``ztconsole whatif`` command line (source options first) that reproduces an evaluation: one
    shell-quoted line, ``shlex.split`` gives back ``["ztconsole", "whatif", ...]``."""
    return command_line(["ztconsole", "whatif", *ctx.source_args, *options])


@dataclass(frozen=True, slots=True)
class Check:
    """One check of the catalogue (CONTRACTS §6)."""

    id: str
    title: str
    area: str  # "identity", "break-glass", "cae", ...
    severity: Severity
    principle: Principle
    datasets: tuple[str, ...]
    run: Callable[[CheckContext], Iterable[Outcome]] = field(repr=False, compare=False)
    remediation: str = ""

    def __post_init__(self) -> None:
        unknown = [k for k in self.datasets if k not in BY_KEY]
        if unknown:
            raise ValueError(f"check {self.id}: unknown data set(s) {', '.join(unknown)}")

    def finding(self, outcome: Outcome) -> Finding:
        return Finding(check=self.id, status=outcome.status, severity=self.severity, title=self.title,
                       resource=outcome.resource, evidence=outcome.evidence,
                       remediation=outcome.remediation if outcome.remediation is not None else self.remediation,
                       principle=self.principle)


def _describe(item: Incomplete) -> str:
    ds = BY_KEY[item.key]
    if item.status == "forbidden":
        permission = f"missing permission {ds.permission}" if ds.permission else "permission denied"
        return f"{item.data_set}: {permission} ({item.message})"
    if item.status == "missing":
        return f"{item.data_set}: not readable ({item.message})"
    return f"{item.data_set}: {item.status} ({item.message})"


def _not_judged(check: Check, ctx: CheckContext) -> Finding | None:
    """The skip or error finding of a check whose data sets were not read completely, else None."""
    gaps = incomplete(ctx.tenant, check.datasets)
    if not gaps:
        return None
    reasons = "; ".join(_describe(i) for i in gaps)
    if all(i.status in _UNAVAILABLE for i in gaps):
        return check.finding(Outcome("skip", ctx.tenant_resource, f"not judged: data unavailable: {reasons}",
                                     "Grant the missing permission (or licence) and run again."))
    return check.finding(Outcome("error", ctx.tenant_resource,
                                 f"not judged: data read incompletely, never judged as if complete: {reasons}",
                                 "Read the tenant again (the data sets named were not read completely)."))


def error_finding(check: Check, ctx: CheckContext, exc: BaseException) -> Finding:
    """The one funnel for a check that failed: an ``error`` finding naming the check and the cause."""
    return check.finding(Outcome("error", ctx.tenant_resource,
                                 f"check {check.id} failed: {type(exc).__name__}: {exc}",
                                 "This is a bug in ztconsole: please report it with this finding."))


def run_check(check: Check, ctx: CheckContext) -> list[Finding]:
    """Every finding of one check (at least one): its data completeness first, then its judgement."""
    not_judged = _not_judged(check, ctx)
    if not_judged is not None:
        return [not_judged]
    try:
        findings = [check.finding(o) for o in check.run(ctx)]
        if not findings:
            raise RuntimeError("the check yielded no finding")
    except Exception as exc:  # noqa: BLE001 - the one funnel: one check's failure never hides the others
        return [error_finding(check, ctx, exc)]
    return findings


def run_checks(ctx: CheckContext, checks: Iterable[Check]) -> list[Finding]:
    """The findings of ``checks``, in check order (the whole catalogue: :func:`~.registry.run_all`)."""
    return [f for check in checks for f in run_check(check, ctx)]

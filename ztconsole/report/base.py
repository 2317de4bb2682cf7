"""What every format of ``assess`` renders: :class:`Assessment` (the tenant, the findings, the maturity, the
incomplete data sets, the catalogue that ran), and the rules the formats share."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ztconsole.engine.checks.base import SEVERITIES, STATUSES, Check, Finding
from ztconsole.engine.maturity import PillarMaturity
from ztconsole.engine.maturity import to_json as maturity_json
from ztconsole.model.completeness import Incomplete

__all__ = ["Assessment", "SEVERITY_RANK", "area_of", "failing", "rfc3339"]

#: critical 0 ... info 4: lower is more severe
SEVERITY_RANK: Mapping[str, int] = {s: i for i, s in enumerate(SEVERITIES)}
#: the order findings are shown in: errors and failures first
STATUS_RANK: Mapping[str, int] = {s: i for i, s in enumerate(("fail", "error", "warn", "skip", "pass"))}
assert set(STATUS_RANK) == set(STATUSES)


def rfc3339(when: datetime) -> str:
    """``2024-05-01T12:00:00Z`` (UTC, seconds)."""
    from datetime import UTC

    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Assessment:
    """One run of the catalogue over a tenant, ready to render."""

    tenant_id: str
    tenant_name: str
    source: str  # "demo", "tenant-dir" or "live"
    generated_at: datetime
    findings: tuple[Finding, ...]
    maturity: Mapping[str, PillarMaturity]
    checks: tuple[Check, ...] = ()  # the catalogue that ran (SARIF rules, areas)
    incomplete: tuple[Incomplete, ...] = ()
    fail_on: str = "high"
    by_id: Mapping[str, Check] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {c.id: c for c in self.checks})

    def to_json(self) -> dict[str, Any]:
        """CONTRACTS §4, with §2's ``incomplete`` list (always present)."""
        return {
            "tenant": {"id": self.tenant_id, "displayName": self.tenant_name},
            "source": self.source,
            "generatedAt": rfc3339(self.generated_at),
            "maturity": maturity_json(self.maturity),
            "findings": [f.to_json() for f in self.findings],
            "incomplete": [m.to_json() for m in self.incomplete],
        }

    def area(self, finding: Finding) -> str:
        return area_of(finding.check, self.by_id)

    def counts(self) -> dict[str, dict[str, int]]:
        """Area -> status -> number of findings (areas in catalogue order)."""
        out: dict[str, dict[str, int]] = {}
        for f in self.findings:
            row = out.setdefault(self.area(f), dict.fromkeys(STATUSES, 0))
            row[f.status] += 1
        return out

    def ordered(self, statuses: Iterable[str]) -> list[Finding]:
        """The findings of ``statuses``, most severe first, then by status, check and resource."""
        wanted = set(statuses)
        return sorted((f for f in self.findings if f.status in wanted),
                      key=lambda f: (SEVERITY_RANK[f.severity], STATUS_RANK[f.status], f.check, f.resource.name))


def area_of(check_id: str, by_id: Mapping[str, Check]) -> str:
    """The check's area in the catalogue, else its id's middle part (``ZT-NET-004`` -> ``net``)."""
    check = by_id.get(check_id)
    if check is not None:
        return check.area
    parts = check_id.split("-")
    return parts[1].lower() if len(parts) == 3 else check_id


def failing(findings: Sequence[Finding], fail_on: str) -> list[Finding]:
    """The findings that make ``assess`` exit 1 at threshold ``fail_on`` (a severity, or ``none``): those that
    failed (``fail``) at or above the threshold (CONTRACTS §2). An ``error`` (a check that could not judge,
    on data not read completely) is reported, named on stderr and listed with the incomplete data sets, but it
    is not a failure the tenant has: the contract's exit 1 means "found failures"."""
    if fail_on == "none":
        return []
    limit = SEVERITY_RANK[fail_on]
    return [f for f in findings if f.status == "fail" and SEVERITY_RANK[f.severity] <= limit]

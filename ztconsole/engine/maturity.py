"""The Zero Trust maturity of a tenant (CONTRACTS §4 ``maturity``, §6 "Maturity"), derived from the findings.

Microsoft's Zero Trust guidance describes each pillar in three stages, **Traditional**, **Advanced** and
**Optimal** (CISA's maturity model adds an "Initial" stage between the first two; Microsoft's deployment
guidance, and so CONTRACTS §4, uses three):

* **identity**: Traditional is static access with MFA at best in places; Advanced requires MFA for everyone,
  blocks legacy authentication and answers sign-in risk with Conditional Access; Optimal adds
  phishing-resistant (passwordless) strength for privileged roles, just-in-time privilege, continuous access
  evaluation, no uncovered class of sign-ins, and emergency access that no policy can lock out.
* **devices**: Traditional grants access whatever the device; Advanced gates administration on compliant
  or hybrid-joined devices (device-based Conditional Access); Optimal gates private applications on device
  compliance too.
* **network**: Traditional is a flat network with static filtering and cleartext inside; Advanced is
  segmented (no any-to-any rule, NSGs on every workload subnet, no management ports from the Internet) with
  threat protection (threat intelligence in Deny) and current TLS at the edge; Optimal forces egress through
  the firewall by FQDN, runs IDPS and TLS inspection, WAF in Prevention, micro-segmented Private Access
  instead of the VPN pool, and sends the firewall's and the flows' logs to a workspace.

The mapping from checks to these criteria is :data:`CRITERIA`: explicit, so every level is explainable by the
checks that decided it. A criterion **holds** when each of its checks has at least one finding and none of
them is ``fail`` or ``error``, and at least one is ``pass`` or ``warn`` (a warning is a weaker concern, not a
failure). A check that was skipped (no data, no such resources) or is not in the catalogue run gives no
evidence: the criterion does not hold, so a level is never claimed on data that was not seen. A pillar is at
Advanced when every Advanced criterion holds, at Optimal when every Advanced and every Optimal criterion
holds, else Traditional.

``decidedBy`` lists the criteria that decided the level: every criterion of each level up to and including the
first level that is not reached (for Optimal, all of them), each with its checks and their worst status.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ztconsole.engine.checks.base import Finding

__all__ = ["CRITERIA", "LEVELS", "PILLARS", "Criterion", "CriterionResult", "Level", "PillarMaturity",
           "assess_maturity", "to_json"]

Level = Literal["traditional", "advanced", "optimal"]
LEVELS: tuple[Level, ...] = ("traditional", "advanced", "optimal")
PILLARS: tuple[str, ...] = ("identity", "devices", "network")

#: the order in which statuses are "worse": the worst status of a check's findings names it
_WORST = ("error", "fail", "warn", "skip", "pass")


@dataclass(frozen=True, slots=True)
class Criterion:
    """One criterion of the guidance for a pillar at a level, and the checks that evidence it."""

    pillar: str
    level: Level  # "advanced" or "optimal": the level that needs it
    text: str
    checks: tuple[str, ...]


def _c(pillar: str, level: Level, text: str, *checks: str) -> Criterion:
    return Criterion(pillar, level, text, checks)


#: every criterion, by pillar and level (the mapping this module documents)
CRITERIA: tuple[Criterion, ...] = (
    # identity
    _c("identity", "advanced", "MFA for all users on all resources", "ZT-CA-001"),
    _c("identity", "advanced", "legacy authentication blocked", "ZT-CA-002"),
    _c("identity", "advanced", "risk-based Conditional Access on sign-in risk", "ZT-CA-004"),
    _c("identity", "advanced", "emergency access accounts declared, enabled, holding Global Administrator",
       "ZT-BG-001", "ZT-BG-003", "ZT-BG-004"),
    _c("identity", "optimal", "phishing-resistant (passwordless) strength for privileged roles", "ZT-CA-007"),
    _c("identity", "optimal", "privileged roles just in time (PIM)", "ZT-CA-011"),
    _c("identity", "optimal", "no class of sign-ins uncovered", "ZT-CA-010"),
    _c("identity", "optimal", "no enabled policy can lock out emergency access", "ZT-BG-005"),
    _c("identity", "optimal", "continuous access evaluation not disabled", "ZT-CAE-001", "ZT-CAE-002"),
    # devices
    _c("devices", "advanced", "device-based Conditional Access for administration (compliant or hybrid-joined)",
       "ZT-CA-003"),
    _c("devices", "advanced", "device code flow blocked or restricted", "ZT-CA-008"),
    _c("devices", "optimal", "private applications gated on MFA and a compliant device", "ZT-PA-001"),
    _c("devices", "optimal", "Global Secure Access signalling restores the source IP for Conditional Access",
       "ZT-CAE-004"),
    # network
    _c("network", "advanced", "segmentation: no any-to-any allow rule", "ZT-NET-004"),
    _c("network", "advanced", "segmentation: every workload subnet has an NSG", "ZT-NET-011"),
    _c("network", "advanced", "segmentation: no management ports from the Internet", "ZT-NET-007"),
    _c("network", "advanced", "threat protection: threat intelligence in Deny", "ZT-NET-001"),
    _c("network", "advanced", "encryption: TLS 1.2 or later at application gateways", "ZT-NET-013"),
    _c("network", "optimal", "segmentation: spoke egress forced through the firewall, hub-and-spoke only",
       "ZT-NET-009"),
    _c("network", "optimal", "segmentation: Internet egress by FQDN application rules", "ZT-NET-005"),
    _c("network", "optimal", "micro-segmentation: no over-broad Private Access segments", "ZT-PA-002"),
    _c("network", "optimal", "micro-segmentation: the VPN pool no longer reaches published destinations",
       "ZT-NET-010"),
    _c("network", "optimal", "threat protection: IDPS in Deny, WAF in Prevention", "ZT-NET-002", "ZT-NET-014"),
    _c("network", "optimal", "encryption: outbound TLS inspected, no cleartext legacy protocols", "ZT-NET-003",
       "ZT-NET-008"),
    _c("network", "optimal", "visibility: firewall logs and flow logs in a workspace", "ZT-MON-001", "ZT-MON-002"),
)


@dataclass(frozen=True, slots=True)
class CriterionResult:
    """A criterion judged: whether it holds and each check's worst status (``missing``: no finding)."""

    criterion: Criterion
    holds: bool
    statuses: tuple[tuple[str, str], ...]  # (check id, worst status or "missing")

    def to_json(self) -> dict[str, Any]:
        return {"level": self.criterion.level, "criterion": self.criterion.text, "holds": self.holds,
                "checks": [{"check": c, "status": s} for c, s in self.statuses]}


@dataclass(frozen=True, slots=True)
class PillarMaturity:
    """One pillar's level and the criteria (with their checks) that decided it."""

    pillar: str
    level: Level
    decided_by: tuple[CriterionResult, ...]

    def to_json(self) -> dict[str, Any]:
        return {"level": self.level, "decidedBy": [r.to_json() for r in self.decided_by]}


def _worst(statuses: Iterable[str]) -> str:
    found = set(statuses)
    return next((s for s in _WORST if s in found), "missing")


def _judge(criterion: Criterion, by_check: Mapping[str, Sequence[str]]) -> CriterionResult:
    statuses = tuple((c, _worst(by_check.get(c, ()))) for c in criterion.checks)
    holds = all(s in ("pass", "warn") for _, s in statuses)
    return CriterionResult(criterion, holds, statuses)


def assess_maturity(findings: Iterable[Finding], criteria: Sequence[Criterion] = CRITERIA
                    ) -> dict[str, PillarMaturity]:
    """Each pillar's maturity from ``findings``, by :data:`CRITERIA` (see the module's rules)."""
    by_check: dict[str, list[str]] = {}
    for f in findings:
        by_check.setdefault(f.check, []).append(f.status)
    out: dict[str, PillarMaturity] = {}
    pillars = list(dict.fromkeys((*PILLARS, *(c.pillar for c in criteria))))
    for pillar in pillars:
        level: Level = "traditional"
        decided: list[CriterionResult] = []
        for target in LEVELS[1:]:
            results = [_judge(c, by_check) for c in criteria if c.pillar == pillar and c.level == target]
            decided.extend(results)
            if not results or not all(r.holds for r in results):
                break
            level = target
        out[pillar] = PillarMaturity(pillar, level, tuple(decided))
    return out


def to_json(maturity: Mapping[str, PillarMaturity]) -> dict[str, str]:
    """CONTRACTS §4 ``maturity``: ``{"identity": "advanced", ...}``."""
    return {pillar: m.level for pillar, m in maturity.items()}

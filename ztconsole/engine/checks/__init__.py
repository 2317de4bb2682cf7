"""The posture checks of CONTRACTS §6: the framework (:mod:`.base`), the checks by area (:mod:`.ca`,
:mod:`.breakglass`, :mod:`.cae`) and the one registry that declares them (:mod:`.registry`).

``run_all(CheckContext(tenant, break_glass=..., settings=..., source_args=...))`` gives every finding
(CONTRACTS §4 ``findings``, :meth:`Finding.to_json`).
"""

from __future__ import annotations

from ztconsole.engine.checks.base import (
    PRINCIPLES,
    SEVERITIES,
    STATUSES,
    Check,
    CheckContext,
    Finding,
    Outcome,
    Principle,
    Resource,
    Settings,
    Severity,
    Status,
    error_finding,
    run_check,
    run_checks,
    whatif_command,
)
from ztconsole.engine.checks.registry import BY_ID, REGISTRY, run_all

__all__ = [
    "BY_ID",
    "PRINCIPLES",
    "REGISTRY",
    "SEVERITIES",
    "STATUSES",
    "Check",
    "CheckContext",
    "Finding",
    "Outcome",
    "Principle",
    "Resource",
    "Settings",
    "Severity",
    "Status",
    "error_finding",
    "run_all",
    "run_check",
    "run_checks",
    "whatif_command",
]

"""What If: which Conditional Access policies apply to one sign-in, and why (``ztconsole whatif``).

The public face of the reference evaluator of :mod:`ztconsole.engine.ca`, where the scenario, the tenant
context, the rule book, the controls and the evaluator live, one module each (the values a scenario takes:
:mod:`ztconsole.engine.ca.scenario`).
"""

from __future__ import annotations

from ztconsole.engine.ca.context import Context, LocationFacts, UserFacts, classify_external
from ztconsole.engine.ca.controls import merge_sessions, policy_requirements, policy_session
from ztconsole.engine.ca.evaluation import PolicyResult, WhatIfResult, evaluate, what_if
from ztconsole.engine.ca.scenario import Scenario

__all__ = [
    "Scenario",
    "UserFacts",
    "LocationFacts",
    "Context",
    "classify_external",
    "PolicyResult",
    "WhatIfResult",
    "evaluate",
    "what_if",
    "policy_requirements",
    "policy_session",
    "merge_sessions",
]

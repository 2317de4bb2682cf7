"""``assess --format sarif``: SARIF 2.1.0 (valid against the OASIS schema; ``tests/test_cmd_assess.py`` checks
it), for code-scanning dashboards.

* ``tool.driver.rules``: every check of the catalogue that ran: ``id`` (the check id), ``name`` (the title in
  PascalCase), ``shortDescription`` (the title), ``help`` (the remediation), the default level from its
  severity, and the area, principle and severity as properties and tags.
* ``results``: the findings an admin has to act on, one each: ``fail`` and ``warn`` as ``kind: fail`` with a
  level from the severity (``fail``: critical and high are ``error``, medium ``warning``, low and info
  ``note``; ``warn``: ``warning``, or ``note`` for low and info), and ``error`` (a check that could not judge)
  as ``kind: review``, which SARIF gives no level. ``pass`` and ``skip`` are not results: the rules list what
  was checked, and the skipped checks' reasons are ``toolExecutionNotifications``, as are the incomplete data
  sets.
* The judged resource is a location's ``logicalLocation`` (``fullyQualifiedName``: its Graph object id or ARM
  resource id, ``name``, ``kind``: its type): tenant objects are not files, so there is no ``physicalLocation``.
* ``partialFingerprints`` (check id and resource id) let a dashboard follow a finding across runs.

Tenant text is data: JSON escapes every control and bidirectional character
(:func:`ztconsole.safetext.dump_json`), and SARIF's ``message.text`` is plain text, never Markdown."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from ztconsole.engine.checks.base import Check, Finding
from ztconsole.report.base import Assessment, rfc3339
from ztconsole.safetext import dump_json

__all__ = ["SCHEMA", "level", "render"]

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_FAIL_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}


def level(status: str, severity: str) -> str:
    """The SARIF ``level`` of a finding shown as a result."""
    if status == "fail":
        return _FAIL_LEVEL[severity]
    if status == "warn":
        return "note" if severity in ("low", "info") else "warning"
    return "none"


def _name(title: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in re.findall(r"[A-Za-z0-9]+", title)) or "Check"


def _rule(check: Check) -> dict[str, Any]:
    return {
        "id": check.id,
        "name": _name(check.title),
        "shortDescription": {"text": check.title},
        "fullDescription": {"text": f"{check.title} (Zero Trust principle: {check.principle})."},
        "help": {"text": check.remediation or check.title},
        "defaultConfiguration": {"level": _FAIL_LEVEL[check.severity]},
        "properties": {"area": check.area, "severity": check.severity, "principle": check.principle,
                       "tags": ["zero-trust", check.area, check.principle]},
    }


def _result(f: Finding, rule_index: dict[str, int]) -> dict[str, Any]:
    res = f.resource
    kind = "review" if f.status == "error" else "fail"
    text = f"{f.title}: {res.name}. {f.evidence}".strip()
    result: dict[str, Any] = {
        "ruleId": f.check,
        "kind": kind,
        "level": level(f.status, f.severity),
        "message": {"text": text},
        "locations": [{"logicalLocations": [{"fullyQualifiedName": res.id or res.name, "name": res.name,
                                              "kind": res.type}]}],
        "partialFingerprints": {
            "ztconsoleFinding/v1": hashlib.sha256(f"{f.check}\0{res.id}".encode()).hexdigest()},
        "properties": {"status": f.status, "severity": f.severity, "principle": f.principle,
                       "remediation": f.remediation},
    }
    if f.check in rule_index:
        result["ruleIndex"] = rule_index[f.check]
    return result


def to_sarif(assessment: Assessment) -> dict[str, Any]:
    a = assessment
    from ztconsole import __version__

    rules = [_rule(c) for c in a.checks]
    rule_index = {c.id: i for i, c in enumerate(a.checks)}
    notifications: list[dict[str, Any]] = []
    for m in a.incomplete:
        notifications.append({"level": "warning", "descriptor": {"id": "incomplete-data-set"},
                              "message": {"text": f"{m.data_set} is {m.status}: {m.message}"}})
    for f in a.ordered(("skip",)):
        notifications.append({"level": "note", "descriptor": {"id": "skipped"},
                              "associatedRule": {"id": f.check},
                              "message": {"text": f"{f.check} not judged for {f.resource.name}: {f.evidence}"}})
    invocation: dict[str, Any] = {"executionSuccessful": True, "endTimeUtc": rfc3339(a.generated_at)}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    run = {
        "tool": {"driver": {"name": "ztconsole", "version": __version__, "semanticVersion": __version__,
                            "rules": rules}},
        "invocations": [invocation],
        "automationDetails": {"id": f"ztconsole-assess/{a.tenant_id}/"},
        "results": [_result(f, rule_index) for f in a.ordered(("fail", "error", "warn"))],
        "properties": {"tenant": {"id": a.tenant_id, "displayName": a.tenant_name}, "source": a.source,
                       "maturity": {p: m.level for p, m in a.maturity.items()}},
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def render(assessment: Assessment) -> str:
    return dump_json(to_sarif(assessment))

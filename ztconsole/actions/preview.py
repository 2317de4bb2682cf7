"""A plan for humans: what ``policy plan`` prints and the console's rollout screen shows (CONTRACTS §8).

Plain text, no Textual or Rich: the command line writes it as it is, the console shows it through its safe-text
helpers. Everything from the tenant (names, URLs, bodies) is cleaned here too (:func:`~ztconsole.safetext.clean`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ztconsole.safetext import clean

if TYPE_CHECKING:
    from ztconsole.actions.plan import Plan

__all__ = ["render"]


def render(plan: Plan, *, missing: Any = (), written: bool = False) -> str:
    """The plan as a reviewer reads it: a summary, then each policy, refusals first; each change's fields
    (before -> after), every guard's verdict, and the request apply would send."""
    lines: list[str] = []
    if missing:
        names = ", ".join(f"{m.data_set} ({m.status})" for m in missing)
        lines.append(f"INCOMPLETE: {names}: the plan may be wrong")
    counts: dict[str, int] = {}
    for c in plan.changes:
        counts[c.action] = counts.get(c.action, 0) + 1
    summary = ", ".join(f"{counts[a]} to {a}" if a != "unchanged" else f"{counts[a]} unchanged"
                        for a in ("create", "update", "unchanged") if counts.get(a))
    refused = len(plan.refused)
    lines.append(f"Plan: {summary or 'no policy'}" + (f"; {refused} refused by a guard" if refused else ""))
    for c in plan.ordered():
        policy = c.policy or {}
        head = "REFUSED " if c.refused else ""
        where = policy.get("file")
        lines.append("")
        lines.append(f"{head}{c.action}: {clean(c.name)}" + (f"  ({clean(str(where))})" if where else "")
                     + (f"  id {policy['id']}" if policy.get("id") else ""))
        for d in c.diff:
            lines.append(f"  {d['path']}: {_short(d.get('before'))} -> {_short(d.get('after'))}")
        for v in c.guards:
            first, *rest = v.reason.splitlines() or [""]
            lines.append(f"  [{v.verdict}] {v.guard}: {clean(first)}")
            lines.extend(f"      {clean(line)}" for line in rest)
        verb = "would have sent" if c.refused else "sent" if written else "would send"
        for n, request in enumerate(c.requests):
            lines.append(f"  {verb if n == 0 else 'then'}: {request.method} {clean(request.url)}")
            if request.body is not None:
                body = json.dumps(request.body, indent=2, sort_keys=True, ensure_ascii=True)
                lines.extend("    " + clean(line) for line in body.splitlines())
    return "\n".join(lines) + "\n"


def _short(value: Any, limit: int = 100) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=True) if value is not None else "(none)"
    return clean(text if len(text) <= limit else text[: limit - 3] + "...")

"""Conditional Access policies as code (CONTRACTS §8): the plan of a set of policy files against the tenant.

Each file's policy is matched to the tenant (:func:`~ztconsole.actions.policyfiles.match`), diffed field by
field (:mod:`~ztconsole.actions.policydiff`) and, when it changes anything, judged by the three guards of
:mod:`~ztconsole.actions.guards` on the policy as the change leaves it: ``break-glass``, ``bake`` and
``new-policy-state``. The plan says exactly what apply would send: ``POST`` of a new policy (report-only
unless enforced with a reason), ``PATCH`` of the changed top-level properties of an existing one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ztconsole.actions.guards import Verdict, bake, break_glass, new_policy_state
from ztconsole.actions.plan import Change, Plan, Request
from ztconsole.actions.policydiff import diff, merged, patch_body, post_body
from ztconsole.actions.policyfiles import PolicyFile, match, parse_policy
from ztconsole.model.tenant import Tenant

__all__ = ["POLICIES_PATH", "plan_policies", "policy_url"]

POLICIES_PATH = "/v1.0/identity/conditionalAccess/policies"


def policy_url(graph_url: str, policy_id: str | None = None) -> str:
    """The policies collection (``policy_id`` None) or one policy, under a Graph base URL."""
    return f"{graph_url.rstrip('/')}{POLICIES_PATH}" + (f"/{policy_id}" if policy_id else "")


def plan_policies(tenant: Tenant, files: Sequence[PolicyFile], *, graph_url: str, now: datetime,
                  bake_days: int = 14, declared: Sequence[str] = (), enforce: bool = False,
                  reason: str | None = None, source_args: Sequence[str] = ()) -> Plan:
    """The plan of ``files`` against ``tenant`` (its ``ca_policies`` and the directory the break-glass guard
    evaluates with). ``declared``: emergency access accounts from the config besides ``tenant.toml``'s;
    ``enforce`` and ``reason``: ``--enforce --reason TEXT`` (a new policy keeps its file's state)."""
    changes: list[Change] = []
    for found in match(files, tenant.ca_policies):
        pf = found.file
        if found.is_create:
            state_verdict, state = new_policy_state(_state(pf.raw), enforce=enforce, reason=reason)
            after = merged(None, {**pf.raw, "state": state})
            guards = [break_glass(tenant, parse_policy(after), declared=declared, source_args=source_args),
                      bake(None, state, now=now, days=bake_days), state_verdict]
            changes.append(Change(
                "create", diff=[c.to_json() for c in diff(None, after)], guards=guards,
                policy={"id": None, "displayName": pf.display_name, "file": pf.where}, before=None, after=after,
                request=Request("POST", policy_url(graph_url), post_body(pf.raw, state=state))))
            continue
        before = found.tenant or {}
        pid = found.tenant_id
        name = pf.raw.get("displayName") or before.get("displayName")
        policy = {"id": pid, "displayName": name, "file": pf.where}
        changed = diff(before, pf.raw)
        if not changed:
            changes.append(Change("unchanged", policy=policy, before=before, after=before))
            continue
        after = merged(before, pf.raw)
        held = tenant.ca_policies_by_id.get(pid) if pid else None
        guards = [break_glass(tenant, parse_policy(after), declared=declared, source_args=source_args),
                  bake(held, _state(after), now=now, days=bake_days),
                  Verdict("new-policy-state", "allow", "not a new policy: its state is the file's")]
        changes.append(Change(
            "update", diff=[c.to_json() for c in changed], guards=guards, policy=policy, before=before,
            after=after, request=Request("PATCH", policy_url(graph_url, pid), patch_body(before, pf.raw))))
    return Plan(tuple(changes))


def _state(policy: dict[str, Any]) -> str | None:
    value = policy.get("state")
    return value if isinstance(value, str) else None

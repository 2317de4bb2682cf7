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
from ztconsole.actions.policydiff import clean, diff, merged, patch_body, post_body
from ztconsole.actions.policyfiles import PolicyFile, match, parse_policy
from ztconsole.model.tenant import Tenant

__all__ = ["POLICIES_PATH", "READS", "RollbackError", "plan_policies", "plan_rollback", "policy_url"]

POLICIES_PATH = "/v1.0/identity/conditionalAccess/policies"
READS = ("ca_policies", "named_locations", "users", "groups", "group_members", "user_member_of", "role_definitions",
         "role_assignments", "service_principals", "auth_strengths")
"""The data sets a plan of policies reads: the policies themselves and the directory the break-glass guard
evaluates with."""


def policy_url(graph_url: str, policy_id: str | None = None) -> str:
    """The policies collection (``policy_id`` None) or one policy, under a Graph base URL."""
    return f"{graph_url.rstrip('/')}{POLICIES_PATH}" + (f"/{policy_id}" if policy_id else "")


def plan_policies(tenant: Tenant, files: Sequence[PolicyFile], *, graph_url: str, now: datetime,
                  bake_days: int = 14, declared: Sequence[str] = (), enforce: bool = False,
                  reason: str | None = None, source_args: Sequence[str] = (),
                  override_bake: str | None = None) -> Plan:
    """The plan of ``files`` against ``tenant`` (its ``ca_policies`` and the directory the break-glass guard
    evaluates with). ``declared``: emergency access accounts from the config besides ``tenant.toml``'s;
    ``enforce`` and ``reason``: ``--enforce --reason TEXT`` (a new policy keeps its file's state);
    ``override_bake``: the reason that lifts the bake guard (the rollout's ``--override-bake --reason``)."""
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
                  bake(held, _state(after), now=now, days=bake_days, override=override_bake),
                  Verdict("new-policy-state", "allow", "not a new policy: its state is the file's")]
        changes.append(Change(
            "update", diff=[c.to_json() for c in changed], guards=guards, policy=policy, before=before,
            after=after, request=Request("PATCH", policy_url(graph_url, pid), patch_body(before, pf.raw))))
    return Plan(tuple(changes))


def _state(policy: dict[str, Any]) -> str | None:
    value = policy.get("state")
    return value if isinstance(value, str) else None


class RollbackError(Exception):
    """The audit records cannot be rolled back (not a policy write, no after record, a failed write)."""


def plan_rollback(tenant: Tenant, before: dict[str, Any], after: dict[str, Any], *, graph_url: str, now: datetime,
                  bake_days: int = 14, declared: Sequence[str] = (), source_args: Sequence[str] = ()) -> Plan:
    """The plan that restores what a policy write's audit records captured (``before``: its before record,
    ``after``: its after record): the policy as it was before (a create is undone by deleting the policy),
    through the guards of an update, and refused (guard ``changed-since``) when the policy is no longer as
    the write left it, or when what it was held a redacted value."""
    kind = str((before.get("target") or {}).get("type") or "")
    if kind != "conditionalAccessPolicy" or before.get("phase") != "before" or after.get("ref") != before.get("id"):
        raise RollbackError(f"record {before.get('id')} is not the before record of a policy write")
    if not str(after.get("result", "")).startswith("ok"):
        raise RollbackError(f"the write of record {before.get('id')} did not complete ({after.get('result')}): "
                            "there is nothing of it to roll back")
    pid = str((after.get("target") or {}).get("id") or "")
    name = str((after.get("target") or {}).get("name") or pid)
    written = clean(after.get("after") or {})
    held = tenant.ca_policies_by_id.get(pid)
    current = clean(held.to_wire()) if held is not None else None
    policy = {"id": pid, "displayName": name, "file": f"audit record {before.get('id')}"}
    if current is None:
        gone = (Verdict("changed-since", "refuse", "the policy no longer exists") if before.get("before") is not None
                else Verdict("changed-since", "allow", "already deleted"))
        return Plan((Change("unchanged", policy=policy, guards=[gone]),))
    since = diff(current, written) + diff(written, current)
    redacted = [p for p in before.get("redacted", ()) if str(p).startswith("before.")]
    if since or redacted:
        why = ("changed since the write: " + ", ".join(sorted({c.path for c in since}))) if since else (
            "what it was holds redacted values (" + ", ".join(redacted) + "): it cannot be restored from the log")
        refused = Verdict("changed-since", "refuse", why)
        return Plan((Change("update", policy=policy, before=current, guards=[refused]),))
    unchanged = Verdict("changed-since", "allow", "the policy is as the write left it")
    if before.get("before") is None:  # a create: undone by deleting what it made
        return Plan((Change("delete", policy=policy, before=current, after=None, guards=[unchanged],
                            diff=[{"path": "", "before": name, "after": None}],
                            request=Request("DELETE", policy_url(graph_url, pid))),))
    restore = {**clean(before["before"]), "id": pid}
    changed = diff(current, restore)
    if not changed:
        return Plan((Change("unchanged", policy=policy, before=current, after=current, guards=[unchanged]),))
    result = merged(current, restore)
    guards = [unchanged, break_glass(tenant, parse_policy(result), declared=declared, source_args=source_args),
              bake(held, _state(result), now=now, days=bake_days)]
    return Plan((Change("update", diff=[c.to_json() for c in changed], guards=guards, policy=policy, before=current,
                        after=result, request=Request("PATCH", policy_url(graph_url, pid),
                                                      patch_body(current, restore))),))

"""Rolling back a write to a resource other than a Conditional Access policy (``audit rollback`` of a rollout
step's write): what its audit records captured, undone through the same adapters.

What the rollout creates is undone by deleting it: a Private Access app (``DELETE`` of the application, which
takes its service principal, segments and assignments with it), an app role assignment, an NSG Deny rule (and a
rule the Deny moved down one to make room goes back to its priority). Each is refused (guard
``changed-since``) when the resource is no longer as the write left it; one already gone is ``unchanged``. A
review the rollout recorded in its state (inventory, bake, decommission) wrote nothing to the tenant and an
app completed after an interrupted create has no before-state to return to: neither is rolled back.
"""

from __future__ import annotations

from typing import Any

from ztconsole.actions.guards import Verdict
from ztconsole.actions.plan import Change, Plan, Request
from ztconsole.actions.policies import RollbackError
from ztconsole.model.tenant import Tenant

__all__ = ["UNDOABLE", "plan_undo"]

#: the resource types whose create can be rolled back
UNDOABLE = ("privateAccessApp", "appRoleAssignment", "networkSecurityRule")
_ARM_VERSION = "2024-05-01"


def plan_undo(tenant: Tenant, before: dict[str, Any], after: dict[str, Any], *, graph_url: str,
              arm_url: str) -> Plan:
    """The plan that undoes the write of ``before`` (its before record) and ``after`` (its after record)."""
    target = dict(after.get("target") or before.get("target") or {})
    kind, rid, name = str(target.get("type") or ""), str(target.get("id") or ""), str(target.get("name") or "")
    if before.get("phase") != "before" or after.get("ref") != before.get("id"):
        raise RollbackError(f"record {before.get('id')} is not the before record of a write")
    if not str(after.get("result", "")).startswith("ok"):
        raise RollbackError(f"the write of record {before.get('id')} did not complete ({after.get('result')}): "
                            "there is nothing of it to roll back")
    action = str(before.get("action") or "")
    if action.endswith(".record"):
        raise RollbackError(f"record {before.get('id')} is a review the rollout recorded in its state: it wrote "
                            "nothing to the tenant")
    if kind not in UNDOABLE or not action.endswith(".create"):
        raise RollbackError(f"record {before.get('id')} is an {action or 'unknown write'} of a {kind or 'resource'}: "
                            f"only the create of a {', '.join(UNDOABLE)} (or a policy write) can be rolled back")
    resource = {"type": kind, "id": rid, "name": name}
    graph, arm = graph_url.rstrip("/"), arm_url.rstrip("/")
    if kind == "privateAccessApp":
        app = next((a for a in tenant.applications if a.id == rid), None)
        if app is None:
            return _gone(resource)
        if app.display_name != name:
            return _refused(resource, f"renamed since the write ({app.display_name!r})")
        return _delete(resource, Request("DELETE", f"{graph}/beta/applications/{rid}"), "the app as the write left it")
    if kind == "appRoleAssignment":
        sp_id = str((before.get("after") or {}).get("resourceId") or "")
        held = [a for a in tenant.app_role_assignments.get(sp_id, ()) if a.id == rid]
        if not held:
            return _gone(resource)
        return _delete(resource, Request("DELETE", f"{graph}/v1.0/servicePrincipals/{sp_id}/appRoleAssignedTo/{rid}"),
                       "the assignment exists")
    # networkSecurityRule: the Deny, and a rule it moved down
    nsg_id, _, rule = rid.rpartition("/securityRules/")
    nsg = next((n for n in tenant.nsgs if n.id.casefold() == nsg_id.casefold()), None)
    current = next((r for r in (nsg.security_rules if nsg is not None else ()) if r.name == rule), None)
    if current is None:
        return _gone(resource)
    written = ((before.get("after") or {}).get("properties") or {})
    if current.priority != written.get("priority") or current.access != written.get("access"):
        return _refused(resource, f"changed since the write (priority {current.priority}, {current.access})")
    requests = [Request("DELETE", f"{arm}{rid}?api-version={_ARM_VERSION}", api="arm")]
    moved = (before.get("before") or {}).get("moved")
    if isinstance(moved, dict) and moved.get("url") and isinstance(moved.get("body"), dict):
        requests.append(Request("PUT", str(moved["url"]), moved["body"], api="arm"))
    return Plan((Change("delete", diff=[{"path": "", "before": name, "after": None}],
                        guards=[Verdict("changed-since", "allow", "the rule is as the write left it")],
                        resource=resource, request=requests[0], then=tuple(requests[1:])),))


def _gone(resource: dict[str, str]) -> Plan:
    gone = Verdict("changed-since", "allow", "already deleted")
    return Plan((Change("unchanged", resource=resource, guards=[gone]),))


def _refused(resource: dict[str, str], why: str) -> Plan:
    return Plan((Change("delete", resource=resource, guards=[Verdict("changed-since", "refuse", why)]),))


def _delete(resource: dict[str, str], request: Request, why: str) -> Plan:
    return Plan((Change("delete", diff=[{"path": "", "before": resource["name"], "after": None}],
                        guards=[Verdict("changed-since", "allow", why)], resource=resource, request=request),))

"""``whatif --compare-server``: the same sign-in evaluated by Microsoft Graph, and where it disagrees.

Pure: builds the body of ``POST /identity/conditionalAccess/evaluate`` from a scenario, reads the service's
answer (``whatIfAnalysisResult`` objects) back, and lines it up with the local result policy by policy.
The service answers per policy whether it applies and, when it does not, which condition kinds stopped it
(``analysisReasons``); the local evaluator gives every condition in words. A disagreement is a policy the
two judge differently; both sides' reasons are shown so an admin can see which one to trust.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ztconsole.engine.ca.context import Context
    from ztconsole.engine.ca.scenario import Scenario
    from ztconsole.model.ca import WhatIfAnalysisResult, WhatIfRequest
    from ztconsole.model.tenant import Tenant

# Scenario user actions (CONTRACTS §2) and their Graph userActionContext values.
_USER_ACTIONS = {"registerSecurityInformation": "registerSecurityInformation",
                 "registerOrJoinDevices": "registerOrJoinDevices"}
# device properties the evaluate API's deviceInfo carries under another name
_DEVICE_INFO_NAMES = {"deviceOwnership": "ownership"}


def answer_request(tenant: Tenant, ctx: Context, body: Any) -> list[dict[str, Any]]:
    """Answer a ``POST /identity/conditionalAccess/evaluate`` body as the service does, with the local
    evaluator: the ``value`` of the response, every policy as the tenant holds it plus ``policyApplies``
    and ``analysisReasons``. What the emulator answers What If with (whoever builds an emulator hands it
    this, over the recorded tenant). ValueError for a body the service would refuse (400)."""
    from ztconsole.engine.ca.evaluation import evaluate
    from ztconsole.engine.ca.scenario import Scenario
    from ztconsole.model.ca import WhatIfRequest
    from ztconsole.model.wire import WireError

    try:
        request = WhatIfRequest.from_wire(body)
    except WireError as e:
        raise ValueError(f"the request body is not a What If request: {e}") from None
    if request.sign_in_identity is None or request.sign_in_context is None:
        raise ValueError("signInIdentity and signInContext are required")
    scenario = Scenario(**scenario_fields(request))
    out: list[dict[str, Any]] = []
    for policy in tenant.ca_policies:
        result = evaluate(policy, scenario, ctx)
        if request.applied_policies_only and not result.applies:
            continue
        item = policy.to_wire()
        item["policyApplies"] = result.applies
        item["analysisReasons"] = "notSet" if result.applies else (",".join(result.failed) or "notSet")
        out.append(item)
    return out


def evaluate_request(scenario: Scenario, *, applied_only: bool = False) -> dict[str, Any]:
    """The wire body of ``POST /identity/conditionalAccess/evaluate`` for a what-if scenario."""
    if scenario.user_action:
        context: dict[str, Any] = {"@odata.type": "#microsoft.graph.userActionContext",
                                   "userAction": _USER_ACTIONS[scenario.user_action]}
    elif scenario.auth_context:
        context = {"@odata.type": "#microsoft.graph.authContext",
                   "authenticationContextValue": scenario.auth_context}
    else:
        context = {"@odata.type": "#microsoft.graph.applicationContext",
                   "includeApplications": [scenario.app or "All"]}
    conditions: dict[str, Any] = {"clientAppType": scenario.client_app}
    if scenario.platform:
        conditions["devicePlatform"] = scenario.platform
    if scenario.ip:
        conditions["ipAddress"] = scenario.ip
    if scenario.country:
        conditions["country"] = scenario.country
    conditions["signInRiskLevel"] = scenario.sign_in_risk
    conditions["userRiskLevel"] = scenario.user_risk
    if scenario.insider_risk:
        conditions["insiderRiskLevel"] = scenario.insider_risk
    if scenario.auth_flow:
        conditions["authenticationFlow"] = {"transferMethod": scenario.auth_flow}
    if scenario.device is not None:
        conditions["deviceInfo"] = {_DEVICE_INFO_NAMES.get(k, k): v for k, v in dict(scenario.device).items()}
    return {
        "signInIdentity": {"@odata.type": "#microsoft.graph.userSignIn", "userId": scenario.user_id},
        "signInContext": context,
        "signInConditions": conditions,
        "appliedPoliciesOnly": applied_only,
    }


@dataclass(frozen=True, slots=True)
class PolicyComparison:
    policy_id: str
    display_name: str
    state: str
    local_applies: bool | None  # None: the local evaluator did not report this policy
    server_applies: bool | None  # None: the service did not report it
    local_reasons: tuple[str, ...]
    server_reasons: tuple[str, ...]

    @property
    def agrees(self) -> bool:
        return bool(self.local_applies) == bool(self.server_applies)


@dataclass(frozen=True, slots=True)
class Comparison:
    policies: tuple[PolicyComparison, ...]

    @property
    def disagreements(self) -> tuple[PolicyComparison, ...]:
        return tuple(p for p in self.policies if not p.agrees)

    def to_json(self) -> dict[str, Any]:
        return {
            "agree": sorted(p.policy_id for p in self.policies if p.agrees),
            "disagree": [
                {"id": p.policy_id, "displayName": p.display_name, "state": p.state,
                 "local": {"applies": bool(p.local_applies), "reasons": list(p.local_reasons)},
                 "server": {"applies": bool(p.server_applies), "analysisReasons": list(p.server_reasons)}}
                for p in self.disagreements
            ],
        }


def compare(local: Mapping[str, Any], server: Sequence[WhatIfAnalysisResult]) -> Comparison:
    """Line up a local ``whatif --json`` result with the service's ``whatIfAnalysisResult`` objects.

    A policy the service leaves out (it was asked for every policy, so only a disabled one) counts as not
    applying there; disabled policies apply on neither side.
    """
    local_by_id = {p["id"]: p for p in local.get("policies", [])}
    server_by_id = {r.id: r for r in server if getattr(r, "id", None)}
    rows = []
    for pid in sorted(set(local_by_id) | set(server_by_id)):
        mine, theirs = local_by_id.get(pid), server_by_id.get(pid)
        rows.append(PolicyComparison(
            policy_id=pid,
            display_name=(mine or {}).get("displayName") or getattr(theirs, "display_name", None) or pid,
            state=(mine or {}).get("state") or getattr(theirs, "state", None) or "",
            local_applies=None if mine is None else bool(mine.get("applies")),
            server_applies=None if theirs is None else bool(theirs.policy_applies),
            local_reasons=tuple((mine or {}).get("reasons", ())),
            server_reasons=() if theirs is None else tuple(theirs.analysis_reason_values),
        ))
    return Comparison(tuple(rows))


def scenario_fields(request: WhatIfRequest) -> dict[str, Any]:
    """The what-if scenario fields an evaluate request body (a ``WhatIfRequest`` model) stands for: the
    inverse of :func:`evaluate_request`, used by the emulator to answer it."""
    from ztconsole.model.ca import ApplicationContext, AuthContext, UserActionContext

    fields: dict[str, Any] = {}
    identity = request.sign_in_identity
    fields["user_id"] = getattr(identity, "user_id", None) or ""
    context = request.sign_in_context
    if isinstance(context, UserActionContext) and context.user_action:
        fields["user_action"] = context.user_action
    elif isinstance(context, AuthContext) and context.authentication_context_value:
        fields["auth_context"] = context.authentication_context_value
    else:
        apps = (context.include_applications if isinstance(context, ApplicationContext) else ()) or ("All",)
        fields["app"] = apps[0]
    cond = request.sign_in_conditions
    if cond is not None:
        if cond.client_app_type:
            fields["client_app"] = cond.client_app_type
        for name, attr in (("platform", "device_platform"), ("ip", "ip_address"), ("country", "country"),
                           ("sign_in_risk", "sign_in_risk_level"), ("user_risk", "user_risk_level"),
                           ("insider_risk", "insider_risk_level")):
            value = getattr(cond, attr, None)
            if value:
                fields[name] = value
        flow = getattr(cond, "authentication_flow", None)
        if flow is not None and flow.transfer_method:
            fields["auth_flow"] = flow.transfer_method
        info = getattr(cond, "device_info", None)
        if info is not None:
            wire = {k: v for k, v in info.to_wire().items() if v not in (None, [], "")}
            back = {v: k for k, v in _DEVICE_INFO_NAMES.items()}
            fields["device"] = {back.get(k, k): v for k, v in wire.items()}
    return fields

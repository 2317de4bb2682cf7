"""``POST /identity/conditionalAccess/evaluate`` (Conditional Access What If), as the emulator answers it.

The emulator stands in for the service, so it answers with ztconsole's own evaluator over the recorded
policies (writes made during the emulator's life are not seen by it), in the service's shape: every
policy as recorded, plus ``policyApplies`` and ``analysisReasons``. Tests that need the service to
disagree set ``Emulator.state.evaluate_overrides[policy id] = {"policyApplies": ..., ...}``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ztconsole.emulator.app import Emulator


def answer(emu: "Emulator", body: Any) -> list[dict[str, Any]]:
    """The ``value`` of the evaluate response; ValueError for a body the service would refuse (400)."""
    from ztconsole.engine.compare import scenario_fields
    from ztconsole.engine.whatif import Context, Scenario, evaluate
    from ztconsole.model.ca import WhatIfRequest
    from ztconsole.model.wire import WireError

    try:
        request = WhatIfRequest.from_wire(body)
    except WireError as e:
        raise ValueError(f"the request body is not a What If request: {e}") from None
    if request.sign_in_identity is None or request.sign_in_context is None:
        raise ValueError("signInIdentity and signInContext are required")
    scenario = Scenario(**scenario_fields(request))
    tenant, ctx = _context(emu, Context)
    out: list[dict[str, Any]] = []
    raws = {p["id"]: p for p in _raw_policies(emu)}
    for policy in tenant.ca_policies:
        result = evaluate(policy, scenario, ctx)
        if request.applied_policies_only and not result.applies:
            continue
        item = dict(raws.get(policy.id) or policy.to_wire())
        item["policyApplies"] = result.applies
        item["analysisReasons"] = "notSet" if result.applies else (",".join(result.failed) or "notSet")
        item.update(emu.state.evaluate_overrides.get(policy.id, {}))
        out.append(item)
    return out


def _context(emu: "Emulator", context_cls: Any) -> tuple[Any, Any]:
    cached = getattr(emu, "_evaluate_context", None)
    if cached is None:
        from ztconsole.tenantdir import load_tenant

        tenant = load_tenant(emu.store.root)
        cached = (tenant, context_cls.from_tenant(tenant, break_glass=tenant.info.break_glass))
        emu._evaluate_context = cached  # type: ignore[attr-defined]
    return cached


def _raw_policies(emu: "Emulator") -> list[dict[str, Any]]:
    from ztconsole.datasets import BY_KEY

    path = emu.store.root / BY_KEY["ca_policies"].file_path()
    if not path.is_file():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    return [p for p in data if isinstance(p, dict) and "id" in p] if isinstance(data, list) else []

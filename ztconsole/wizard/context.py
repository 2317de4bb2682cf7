"""What the rollout's steps share: the context they read (the tenant as loaded now, its rollout state and the
run's settings) and the planning of Conditional Access policy writes through ``policy plan``'s guards."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Literal

from ztconsole.actions.plan import Plan
from ztconsole.model.tenant import Tenant
from ztconsole.wizard.state import RolloutState

__all__ = ["BASELINE_POLICY_NAME", "RolloutContext", "Status", "first_line", "plan_files", "policy_file"]

Status = Literal["done", "ready", "blocked", "pending"]

BASELINE_POLICY_NAME = "ztconsole rollout: require MFA for all users"
"""The display name of the baseline policy step 1 creates (and finds again by it)."""


@dataclass
class RolloutContext:
    """What the steps read: the tenant (as loaded now), its rollout state, and the run's settings."""

    tenant: Tenant
    state: RolloutState
    now: datetime
    graph_url: str = "https://graph.microsoft.com"
    bake_days: int = 14
    source_args: Sequence[str] = ()
    declared: Sequence[str] = field(default_factory=tuple)  # emergency access accounts from the config
    override_bake: str | None = None  # --override-bake --reason TEXT: the reason, which lifts the bake guard
    flows: Sequence[Any] = ()  # traffic evidence for the inventory (engine.rollout.inventory.Flow)
    arm_url: str = "https://management.azure.com"
    assign: Sequence[str] = ()  # step 4: users or groups (ids, UPNs or names) to assign to each app
    connector_group: str | None = None  # step 3: the connector group (id or name) for the new apps

    @cached_property
    def checks(self) -> Any:
        """The checks' context over the tenant (:class:`~ztconsole.engine.checks.base.CheckContext`)."""
        from ztconsole.engine.checks.base import CheckContext

        return CheckContext(self.tenant, break_glass=self.declared, source_args=self.source_args, now=self.now)

    def outcomes(self, check_id: str) -> list[Any]:
        """Every outcome of one check of the catalogue on the tenant."""
        from ztconsole.engine.checks.registry import BY_ID

        return list(BY_ID[check_id].run(self.checks))

    @cached_property
    def reach(self) -> Any:
        """What the point-to-site VPN reaches (:func:`~ztconsole.engine.rollout.inventory.vpn_reach`)."""
        from ztconsole.engine.rollout.inventory import vpn_reach

        return vpn_reach(self.tenant)

    @cached_property
    def evidence(self) -> list[Any]:
        """The traffic the inventory is narrowed by: the flow files given (``flows``), then the tenant's Global
        Secure Access traffic log (its Private Access entries), when it was read completely."""
        from ztconsole.engine.rollout.inventory import flows_from_traffic_logs
        from ztconsole.model.completeness import incomplete

        found = list(self.flows)
        if self.tenant.traffic_logs and not incomplete(self.tenant, ("traffic_logs",)):
            found.extend(flows_from_traffic_logs(self.tenant.traffic_logs).flows)
        return found

    @cached_property
    def proposed(self) -> list[dict[str, Any]]:
        """The apps step 2 recorded (as :meth:`~ztconsole.engine.rollout.inventory.ProposedApp.to_json`)."""
        record = self.state.step("inventory")
        apps = record.data.get("apps") if record.acknowledged else None
        return [a for a in apps or () if isinstance(a, dict)]


def first_line(text: str) -> str:
    """A finding's evidence without its reproduction lines, on one line."""
    lines = [line for line in text.splitlines() if not line.startswith("reproduce:")]
    return " ".join(lines)


def policy_file(raw: dict[str, Any], where: str) -> Any:
    from ztconsole.actions.policyfiles import PolicyFile, parse_policy

    return PolicyFile(file=where, index=0, single=True, raw=raw, policy=parse_policy(raw))


def plan_files(ctx: RolloutContext, files: list[Any]) -> Plan:
    from ztconsole.actions.policies import plan_policies

    return plan_policies(ctx.tenant, files, graph_url=ctx.graph_url, now=ctx.now, bake_days=ctx.bake_days,
                         declared=ctx.declared, source_args=ctx.source_args, override_bake=ctx.override_bake)

"""The guards every write passes (CONTRACTS §8): each gives a verdict, ``allow`` or ``refuse``, with the reason.

* ``read-only``: no write at all unless the run asked for writes (``--write``, or a tenant profile with
  ``read_only = false``).
* ``break-glass``: a Conditional Access policy, as the change leaves it and in the state it will have, must
  not be enabled and block a declared emergency access account, or demand of it anything but a
  phishing-resistant authentication strength, for any application class, client app type or platform
  (nested groups and directory roles counted: the compiled evaluator answers, as for ZT-BG-005). Only the
  changed policy is asked: a lock-out by a policy the plan does not touch is ZT-BG-005's business.
* ``bake``: switching a report-only policy to ``enabled`` needs it to have been modified at least
  ``report_only_bake_days`` (config, default 14) before now; an override needs a reason, which the audit
  log keeps.
* ``new-policy-state``: a policy new to the tenant is created report-only unless the run says
  ``--enforce --reason TEXT``; the verdict is ``allow`` either way and says which state it will have.
* ``changed-since`` (a rollback, :func:`~ztconsole.actions.policies.plan_rollback`): the resource must still be
  as the write being rolled back left it.

Pure: the tenant and the policies come in as model objects; nothing here reads or writes the tenant.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from ztconsole.model.ca import ConditionalAccessPolicy
from ztconsole.model.tenant import DataSetResult, Tenant

__all__ = ["ENABLED", "REPORT_ONLY", "Verdict", "bake", "break_glass", "new_policy_state", "read_only", "refused"]

ENABLED = "enabled"
REPORT_ONLY = "enabledForReportingButNotEnforced"

Guard = Literal["read-only", "break-glass", "bake", "new-policy-state", "changed-since", "nsg-priority"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """One guard's verdict on one change."""

    guard: Guard
    verdict: Literal["allow", "refuse"]
    reason: str

    @property
    def refuses(self) -> bool:
        return self.verdict == "refuse"

    def to_json(self) -> dict[str, str]:
        """As ``plan --json`` gives it (CONTRACTS §8)."""
        return {"guard": self.guard, "verdict": self.verdict, "reason": self.reason}


def refused(verdicts: Iterable[Verdict]) -> list[Verdict]:
    """The verdicts that refuse."""
    return [v for v in verdicts if v.refuses]


def read_only(writes: bool) -> Verdict:
    """No write unless the run asked for writes."""
    if writes:
        return Verdict("read-only", "allow", "writes are on (--write)")
    return Verdict("read-only", "refuse", "read-only: nothing is written without --write (or a tenant profile "
                   "with read_only = false)")


def break_glass(tenant: Tenant, after: ConditionalAccessPolicy, *, declared: Sequence[str] = (),
                source_args: Sequence[str] = ()) -> Verdict:
    """The policy ``after`` (as the change leaves it, in the state it will have) against the declared
    emergency access accounts (``tenant.toml``'s and ``declared``, the config's)."""
    from ztconsole.engine.checks.base import CheckContext
    from ztconsole.engine.checks.breakglass import lockouts

    if after.state != ENABLED:
        state = "report-only" if after.state == REPORT_ONLY else after.state or "no state"
        return Verdict("break-glass", "allow", f"the policy will be {state}: it enforces nothing on anyone")
    only = Tenant(tenant.info, {**tenant.results, "ca_policies": DataSetResult("ca_policies", "ok", (after,), 1)})
    ctx = CheckContext(only, break_glass=declared, source_args=source_args)
    accounts = ctx.break_glass_users
    if not accounts:
        named = ", ".join(ctx.declared_break_glass)
        why = (f"none of the declared accounts ({named}) is in the directory" if named
               else "no emergency access account is declared (tenant.toml [break_glass] or the config's "
                    "break_glass)")
        return Verdict("break-glass", "allow", f"{why}: nothing to protect (see ZT-BG-001)")
    found = lockouts(ctx)
    if found:
        lines = [f"{account}: {line}" for account, locks in found.items() for line in locks]
        return Verdict("break-glass", "refuse",
                       f"enabled, the policy would lock out {len(found)} emergency access "
                       f"account{'s' if len(found) != 1 else ''}: " + "\n".join(lines))
    names = ", ".join(u.user_principal_name or u.id for u in accounts)
    return Verdict("break-glass", "allow", f"enabled, the policy locks out none of {names}")


def bake(before: ConditionalAccessPolicy | None, after_state: str | None, *, now: datetime, days: int,
         override: str | None = None) -> Verdict:
    """Switching a report-only policy to enabled: only once it has baked ``days`` days in report-only
    (since its last modification), or with an ``override`` reason."""
    if before is None or before.state != REPORT_ONLY or after_state != ENABLED:
        return Verdict("bake", "allow", "not a switch from report-only to enabled")
    since = before.modified_date_time or before.created_date_time
    if since is None:
        age, baked = "of unknown age (no modifiedDateTime or createdDateTime)", False
    else:
        if since.tzinfo is None or now.tzinfo is None:
            since, now = since.replace(tzinfo=None), now.replace(tzinfo=None)
        held = now - since
        age, baked = f"modified {_days(held)} ago", held >= timedelta(days=days)
    if baked:
        return Verdict("bake", "allow", f"report-only, {age}: baked at least {days} days")
    if override:
        return Verdict("bake", "allow", f"report-only, {age}, under the {days} days it should bake; overridden: "
                                        f"{override}")
    return Verdict("bake", "refuse", f"report-only, {age}: it has not baked {days} days (report_only_bake_days); "
                                     "read its impact on real sign-ins first (ztconsole impact --policy ID)")


def new_policy_state(file_state: str | None, *, enforce: bool, reason: str | None) -> tuple[Verdict, str]:
    """The state a policy new to the tenant is created in, and the verdict saying so."""
    state = file_state or REPORT_ONLY
    if enforce and reason:
        return Verdict("new-policy-state", "allow", f"created {state} as the file says (--enforce: {reason})"), state
    if state == REPORT_ONLY:
        return Verdict("new-policy-state", "allow", "created report-only, as the file says"), state
    return (Verdict("new-policy-state", "allow", f"created report-only, not {state} as the file says: a new policy "
                    "bakes in report-only first (--enforce --reason TEXT keeps the file's state)"), REPORT_ONLY)


def _days(held: timedelta) -> str:
    days = held.total_seconds() / 86_400
    return f"{days:.1f} days" if days < 10 else f"{days:.0f} days"

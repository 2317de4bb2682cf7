"""What the panes derive from a loaded tenant, computed once per load and off the event loop.

The Overview, Findings, Break-glass, Network and Private Access panes all show findings of the check
catalogue (:mod:`ztconsole.engine.checks`); the checks take seconds on a large tenant, so they run once per
loaded :class:`~ztconsole.model.tenant.Tenant`, in a daemon thread (:func:`ztconsole.threads.in_daemon_thread`:
quitting never waits for them), and every pane that asks while they run awaits the same result. A new load
brings a new tenant object and so a new computation; the previous one's result is dropped.

Panes use it from a worker::

    @work(exclusive=True, group="findings", exit_on_error=False)
    async def _show_findings(self, tenant: Tenant) -> None:
        result = await self.app.analysis.assess(tenant)
        ...  # result.findings, result.maturity, result.by_check("ZT-BG-005")

The evidence of a finding that rests on an evaluation carries the ``ztconsole whatif`` line that reproduces
it, with the console's source options (``source_args``), shell-quoted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ztconsole.threads import in_daemon_thread, release_in_background, responsive

if TYPE_CHECKING:
    from ztconsole.engine.checks.base import Finding
    from ztconsole.engine.maturity import PillarMaturity
    from ztconsole.model.tenant import Tenant

__all__ = ["Analysis", "Assessment"]


@dataclass(frozen=True)
class Assessment:
    """Every finding of the catalogue on one tenant, in registry order, and the maturity they imply."""

    findings: tuple[Finding, ...]
    maturity: Mapping[str, PillarMaturity]  # pillar -> its level and the criteria that decided it
    _by_check: dict[str, tuple[Finding, ...]] = field(default_factory=dict, repr=False, compare=False)

    def by_check(self, check: str) -> tuple[Finding, ...]:
        """The findings of one check (``"ZT-BG-005"``), in the order the check gave them."""
        if not self._by_check:
            grouped: dict[str, list[Finding]] = {}
            for f in self.findings:
                grouped.setdefault(f.check, []).append(f)
            self._by_check.update({k: tuple(v) for k, v in grouped.items()})
        return self._by_check.get(check, ())

    def for_resource(self, resource_id: str) -> tuple[Finding, ...]:
        """The findings that judged the resource ``resource_id`` (case-insensitive: ARM ids)."""
        want = resource_id.lower()
        return tuple(f for f in self.findings if f.resource.id.lower() == want)


class Analysis:
    """The console's one computation of the checks per loaded tenant (see the module docstring)."""

    def __init__(self, *, thresholds: Mapping[str, Any] | None = None, break_glass: Sequence[str] = (),
                 source_args: Sequence[str] = ()) -> None:
        """``thresholds``: the config's ``[thresholds]`` by name (what the checks' ``Settings`` take);
        ``break_glass``: emergency access accounts from the config, besides the tenant's own."""
        self.thresholds = dict(thresholds or {})
        self.break_glass = tuple(break_glass)
        self.source_args = tuple(source_args)
        self._tenant: Tenant | None = None
        self._task: asyncio.Future[Assessment] | None = None

    def ready(self, tenant: Tenant) -> Assessment | None:
        """The assessment of ``tenant`` if it has been computed, else None (never waits)."""
        task = self._task
        if self._tenant is tenant and task is not None and task.done() and not task.cancelled() \
                and task.exception() is None:
            return task.result()
        return None

    async def assess(self, tenant: Tenant) -> Assessment:
        """Every check on ``tenant`` (computed once; concurrent callers share it)."""
        if self._tenant is not tenant or self._task is None:
            self._tenant = tenant
            self._task = asyncio.ensure_future(in_daemon_thread(self._compute, tenant, name="ztconsole-checks"))
        return await asyncio.shield(self._task)

    def _compute(self, tenant: Tenant) -> Assessment:
        from ztconsole.engine.checks import CheckContext, run_all
        from ztconsole.engine.checks.base import settings_from
        from ztconsole.engine.maturity import assess_maturity
        from ztconsole.gcpause import gc_paused

        with responsive(), gc_paused():  # the checks build many objects and little cyclic garbage
            # the context is the only reference to what the checks derived (50 ms to free on the large
            # tenant, in one C call that holds the event loop): freed in pieces, after the result is given
            made = [CheckContext(tenant, break_glass=self.break_glass, settings=settings_from(self.thresholds),
                                 source_args=self.source_args)]
            findings = tuple(run_all(made[0]))
            assessment = Assessment(findings, assess_maturity(findings))
        release_in_background(made)
        return assessment

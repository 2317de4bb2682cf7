"""``whatif`` inputs: the command line's ``--user``, ``--app`` (an id, an alias or a display name),
``--client-app``... resolved against the tenant into a :class:`~ztconsole.engine.whatif.Scenario`.

The resolution lives in the engine (:mod:`ztconsole.engine.ca.inputs`), so the console's What If form
builds its scenario on the same path as the command line."""

from __future__ import annotations

from ztconsole.engine.ca.inputs import resolve_scenario

__all__ = ["resolve_scenario"]

"""The headless commands, one module each (CONTRACTS §2): ``NAME``, ``add_parser(sub)`` and
``run(args, out, err) -> exit code``; an error is raised, never printed here, and
:func:`ztconsole.commands.failures.report` turns it into its message and exit code. ``ztconsole`` without a
command runs :mod:`ztconsole.commands.console`.

A command's module is imported when a command line names it (:func:`command`): ``ztconsole whatif ...``
imports neither the other commands nor what they import (start-up, #11).

Shared: :mod:`~ztconsole.commands.source` (the source options, loading, the completeness of an answer),
:mod:`~ztconsole.commands.text` (plain tables), :mod:`~ztconsole.commands.ca_data` (what the Conditional
Access commands read).
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: the command words, in the order ``--help`` lists them; each is its module's name in this package
NAMES = ("config", "emulator", "snapshot", "assess", "whatif", "gaps", "impact", "flow", "drift", "test", "generate",
         "audit", "policy", "rollout")

__all__ = ["NAMES", "command"]


def command(name: str) -> ModuleType:
    """The module of command ``name`` (one of :data:`NAMES`), imported on first use."""
    if name not in NAMES:
        raise KeyError(name)
    return importlib.import_module(f"{__name__}.{name}")

"""The headless commands, one module each (CONTRACTS §2): ``NAME``, ``add_parser(sub)`` and
``run(args, out, err) -> exit code``; an error is raised, never printed here, and
:func:`ztconsole.commands.failures.report` turns it into its message and exit code. ``ztconsole`` without a
command runs :mod:`ztconsole.commands.console`.

Shared: :mod:`~ztconsole.commands.source` (the source options, loading, the completeness of an answer),
:mod:`~ztconsole.commands.text` (plain tables), :mod:`~ztconsole.commands.ca_data` (what the Conditional
Access commands read).
"""

from ztconsole.commands import config, emulator, gaps, generate, impact, snapshot, whatif

#: the commands with a command word, in the order ``--help`` lists them
COMMANDS = (config, emulator, snapshot, whatif, gaps, impact, generate)

__all__ = ["COMMANDS"]

"""The one funnel from an error to its exit code and message (CONTRACTS §2).

A command raises; :func:`report` says what went wrong in one line naming the command and returns the exit
code: a usage or configuration error is 2, a source that cannot be read is 3, Ctrl-C is 130, and anything
else is a bug: one line and 70, never a traceback (``ZTCONSOLE_DEBUG=1`` adds it, without local variables).
"""

from __future__ import annotations

import os
from typing import TextIO

from ztconsole import exitcodes
from ztconsole.safetext import bug_report, clean

__all__ = ["SourceUnreadable", "UsageError", "report"]


class UsageError(Exception):
    """The command line asks for something that cannot be (exit 2); ``str()`` names the option."""


class SourceUnreadable(Exception):
    """The source, or the data an answer needs, could not be read (exit 3); the reasons are already
    written when the message is empty."""


def report(exc: BaseException, prog: str, err: TextIO) -> int:
    """Write what ``exc`` means for command ``prog`` on ``err`` and return the exit code."""
    from ztconsole.config import ConfigError
    from ztconsole.tenantdir import TenantDirError

    if isinstance(exc, KeyboardInterrupt):
        err.write(f"{prog}: interrupted\n")
        return exitcodes.INTERRUPTED
    if isinstance(exc, UsageError):
        err.write(f"{prog}: {clean(exc)}\n")
        return exitcodes.USAGE
    if isinstance(exc, ConfigError):  # one line per problem, each naming file, line and key
        err.write(f"ztconsole: {exc}\n")
        return exitcodes.USAGE
    if isinstance(exc, TenantDirError):
        err.write(f"{prog}: cannot read the tenant directory: {clean(exc)}\n")
        return exitcodes.SOURCE
    if isinstance(exc, SourceUnreadable):
        if str(exc):
            err.write(f"{prog}: {clean(exc)}\n")
        return exitcodes.SOURCE
    if _is_source_error(exc):
        err.write(f"{prog}: {clean(exc)}\n")
        return exitcodes.SOURCE
    if isinstance(exc, Exception):
        err.write(bug_report(exc, debug=os.environ.get("ZTCONSOLE_DEBUG") == "1") + "\n")
        return exitcodes.INTERNAL
    raise exc  # SystemExit and the like are not errors


def _is_source_error(exc: BaseException) -> bool:
    """A :class:`ztconsole.sources.errors.SourceError`, without importing the sources for a command that
    never read one (``--version``, ``config``)."""
    import sys

    errors = sys.modules.get("ztconsole.sources.errors")
    return errors is not None and isinstance(exc, errors.SourceError)

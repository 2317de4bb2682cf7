"""The ``ztconsole`` command line (CONTRACTS §2): the parser assembled from the commands, and the one place
a command's error becomes its exit code (:func:`ztconsole.commands.failures.report`).

Each command is a module of :mod:`ztconsole.commands` with ``NAME``, ``add_parser(sub)`` and ``run(args, out,
err)``. Start-up matters: this module imports only the standard library and the command modules, which
import what they need when they run, so ``ztconsole --version`` and ``config validate`` never load an SDK.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn, TextIO

from ztconsole import exitcodes

__all__ = ["build_parser", "run"]


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors exiting 2 as CONTRACTS §2 says (argparse's own default, kept explicit)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(exitcodes.USAGE, f"{self.prog}: error: {message}\n")


def _commands() -> dict[str, ModuleType]:
    from ztconsole.commands import COMMANDS

    return {module.NAME: module for module in COMMANDS}


def build_parser() -> argparse.ArgumentParser:
    from ztconsole import __version__
    from ztconsole.commands.source import add_source

    parser = _Parser(
        prog="ztconsole",
        description="A terminal console for running Zero Trust networking on Microsoft Entra ID and Azure.",
        epilog="Run 'ztconsole COMMAND --help' for a command's options. Exit codes: 0 ok, 1 findings "
               "at or above --fail-on, 2 usage or configuration error, 3 source not readable (or not "
               "read completely), 70 internal error.",
    )
    parser.add_argument("--version", action="version", version=f"ztconsole {__version__}")
    add_source(parser)
    parser.add_argument("--theme", help="theme for this run (overrides config)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in _commands().values():
        module.add_parser(sub)
    return parser


def run(argv: Sequence[str], *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run one command line; the process exit code."""
    from ztconsole.commands import console
    from ztconsole.commands.failures import report

    out = out or sys.stdout
    err = err or sys.stderr
    try:
        args = build_parser().parse_args(list(argv))
    except SystemExit as e:  # --help, --version, usage errors
        return int(e.code or 0)
    module = _commands().get(args.command) or console
    try:
        return int(module.run(args, out, err))
    except BaseException as e:  # noqa: BLE001 - the one funnel: every error becomes one line and its code
        return report(e, f"ztconsole {args.command}" if args.command else "ztconsole", err)

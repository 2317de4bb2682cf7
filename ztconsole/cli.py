"""The ``ztconsole`` command line (CONTRACTS §2): the parser assembled from the commands, and the one place
a command's error becomes its exit code (:func:`ztconsole.commands.failures.report`).

Each command is a module of :mod:`ztconsole.commands` with ``NAME``, ``add_parser(sub)`` and ``run(args, out,
err)``. Start-up matters: this module imports only the standard library and the command modules, which
import what they need when they run, so ``ztconsole --version`` and ``config validate`` never load an SDK.
A command line is parsed by a parser that holds only the commands it names (their modules are the only
ones imported); anything that parser refuses, and a request for the top-level help, is parsed again by the
whole parser, so every answer and every error is the whole parser's.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Collection, Sequence
from typing import NoReturn, TextIO

from ztconsole import exitcodes

__all__ = ["build_parser", "run"]


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors exiting 2 as CONTRACTS §2 says (argparse's own default, kept explicit)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(exitcodes.USAGE, f"{self.prog}: error: {message}\n")


class _Refused(Exception):
    """A parser built for some of the commands could not parse a command line: the whole parser will."""


class _PartParser(_Parser):
    """A parser of some of the commands: it never prints an error, it hands the line to the whole parser."""

    def error(self, message: str) -> NoReturn:
        raise _Refused(message)


def build_parser(commands: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The command line's parser; with ``commands``, one that knows those command words alone (every
    other word is refused)."""
    from ztconsole import __version__
    from ztconsole.commands import NAMES, command
    from ztconsole.commands.source import add_source

    cls = _Parser if commands is None else _PartParser
    parser = cls(
        prog="ztconsole",
        description="A terminal console for running Zero Trust networking on Microsoft Entra ID and Azure.",
        epilog="Run 'ztconsole COMMAND --help' for a command's options. Exit codes: 0 ok, 1 findings "
               "at or above --fail-on, 2 usage or configuration error, 3 source not readable (or not "
               "read completely), 70 internal error.",
    )
    parser.add_argument("--version", action="version", version=f"ztconsole {__version__}")
    add_source(parser)
    parser.add_argument("--theme", help="theme for this run (overrides config)")
    parser.add_argument("--write", dest="console_write", action="store_true",
                        help="the console only: allow writes to the tenant (the rollout screen's apply); default "
                             "read-only, unless the live profile sets read_only = false")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=cls)
    for name in NAMES:
        if commands is None or name in commands:
            command(name).add_parser(sub)
    return parser


def _named(argv: Sequence[str]) -> set[str] | None:
    """The command words ``argv`` holds (any of them may be an option's value), or None when the top-level
    help may be asked for before the last of them (``-h``, ``--help`` or an abbreviation of it): only the
    whole parser lists every command."""
    from ztconsole.commands import NAMES

    words = {arg for arg in argv if arg in NAMES}
    last = max((i for i, arg in enumerate(argv) if arg in NAMES), default=len(argv))
    if any(arg.startswith(("-h", "--h")) for arg in argv[:last]):
        return None
    return words


def _parse(argv: list[str]) -> argparse.Namespace:
    """``argv`` parsed (SystemExit for --help, --version and usage errors, as argparse does)."""
    named = _named(argv)
    if named is not None:
        try:
            return build_parser(named).parse_args(argv)
        except _Refused:
            pass
    return build_parser().parse_args(argv)


def run(argv: Sequence[str], *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run one command line; the process exit code."""
    from ztconsole.commands import command, console
    from ztconsole.commands.failures import report

    out = out or sys.stdout
    err = err or sys.stderr
    try:
        args = _parse(list(argv))
    except SystemExit as e:  # --help, --version, usage errors
        return int(e.code or 0)
    module = command(args.command) if args.command else console
    try:
        return int(module.run(args, out, err))
    except BaseException as e:  # noqa: BLE001 - the one funnel: every error becomes one line and its code
        return report(e, f"ztconsole {args.command}" if args.command else "ztconsole", err)

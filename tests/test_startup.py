"""Start-up (#11): the command line parses a line with a parser that holds only the commands it names, and
every answer and every error is still the whole parser's."""

from __future__ import annotations

import argparse
import io
from contextlib import redirect_stderr, redirect_stdout

import pytest

from ztconsole import cli
from ztconsole.commands import NAMES, command

LINES = [
    [],
    ["--demo"],
    ["--tenant-dir", "t", "--theme", "nord"],
    ["--version"],
    ["whatif", "--demo", "--user", "AdeleV@contoso.com", "--app", "Office365"],
    ["--demo", "whatif", "--user", "u", "--user-action", "registerSecurityInformation", "--json"],
    ["gaps", "--tenant-dir", "whatif", "--json"],  # a command word as an option's value
    ["--tenant-dir", "gaps", "whatif", "--user", "u"],
    ["impact", "--demo", "--policy", "CA025"],
    ["config", "validate"],
    ["snapshot", "--demo", "--out", "x"],
    ["generate", "--out", "x"],
    ["emulator", "--demo"],
    # refused by the narrow parser: the whole parser answers
    ["wahtif"],
    ["--demo", "whatif"],
    ["whatif", "--user", "u", "--app", "a", "--user-action", "x"],
    ["gaps", "--no-such-option"],
    ["--tenant-dir"],
    # help
    ["--help"],
    ["--he"],
    ["-h", "whatif"],
    ["whatif", "--help"],
    ["gaps", "-h"],
]


def outcome(parse, argv: list[str]) -> tuple[object, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            result: object = vars(parse(argv))
        except SystemExit as e:
            result = ("exit", e.code)
    return result, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("argv", LINES, ids=" ".join)
def test_a_line_parses_as_the_whole_parser_parses_it(argv: list[str]) -> None:
    assert outcome(cli._parse, argv) == outcome(cli.build_parser().parse_args, argv)


def test_the_narrow_parser_knows_only_the_commands_named() -> None:
    parser = cli.build_parser({"whatif"})
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(sub.choices) == {"whatif"}
    assert cli._named(["--demo", "whatif", "--user", "u"]) == {"whatif"}
    assert cli._named(["--demo"]) == set()
    assert cli._named(["--help"]) is None and cli._named(["--h", "gaps"]) is None
    assert cli._named(["gaps", "--help"]) == {"gaps"}  # the command's own help: the same in both


def test_every_command_word_is_its_modules_name() -> None:
    assert [command(name).NAME for name in NAMES] == list(NAMES)
    with pytest.raises(KeyError):
        command("console")

"""Text from a tenant as inert data, for every output: the console, the command line, JSON.

Display names, domains, policy names and messages that quote them come from the tenant and may hold
ANSI escape sequences, control characters or bidirectional overrides (which can make one name read as
another), by accident or on purpose. :func:`clean` makes one printable line of such a value; the console
adds markup safety on top (:mod:`ztconsole.ui.safe`); :func:`dump_json` writes JSON in which every
control and bidirectional formatting character is escaped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

__all__ = ["bug_report", "clean", "command_line", "dump_json"]

# ESC-introduced sequences first (CSI, OSC/DCS/APC/PM/SOS strings, two-character escapes), so their
# printable tails ("[31m") go with them; then single C0/C1 controls, DEL and bidi controls.
_ESCAPES = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]?                      # CSI ... final byte
  | \x9b[0-?]*[ -/]*[@-~]?                        # 8-bit CSI
  | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])       # OSC, DCS, SOS, PM, APC ...
    [^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?         # ... up to BEL or ST
  | \x1b[ -/]*[0-~]?                              # other escapes (ESC c, ESC ( B, lone ESC)
    """,
    re.VERBOSE,
)
_WHITESPACE = re.compile(r"[\t\n\v\f\r\x85\u2028\u2029]+")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(value: object) -> str:
    """``value`` as a single printable line: no escape sequences, control or bidi characters."""
    out = _ESCAPES.sub("", str(value))
    out = _WHITESPACE.sub(" ", out)
    return _CONTROLS.sub("", out)


def command_line(argv: Sequence[str]) -> str:
    """A command line an admin can paste into a POSIX shell: each argument made printable with
    :func:`clean`, then quoted, so ``shlex.split`` gives back exactly ``[clean(a) for a in argv]``.

    Cleaning the whole line instead would let an escape sequence swallow a closing quote; anything else
    from the tenant (a display name beside the command) belongs on a line of its own, never on this one.
    """
    import shlex

    return " ".join(shlex.quote(clean(a)) for a in argv)


_JSON_ESCAPE = {c: f"\\u{c:04x}" for c in (*range(0x7F, 0xA0), 0x061C, 0x200E, 0x200F,
                                           *range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def dump_json(doc: Any) -> str:
    """JSON with every control and bidirectional formatting character escaped (C0 controls are escaped by
    ``json`` itself)."""
    import json

    return json.dumps(doc, indent=2, ensure_ascii=False).translate(_JSON_ESCAPE) + "\n"


def bug_report(exc: BaseException, *, debug: bool = False) -> str:
    """What an unhandled exception (a bug) tells the user (CONTRACTS §2, exit 70): one line with the cause
    and what to report. With ``debug`` (``ZTCONSOLE_DEBUG=1``) the traceback comes first, never with local
    variables: they can hold tokens."""
    cause = clean(f"{type(exc).__name__}: {exc}")
    if len(cause) > 300:
        cause = cause[:297] + "..."
    line = (f"ztconsole: internal error: {cause}. This is a bug in ztconsole: please report it with the command "
            "line and the output of 'ztconsole --version' (set ZTCONSOLE_DEBUG=1 for the traceback).")
    if not debug:
        return line
    import traceback

    return "".join(traceback.format_exception(exc)) + line

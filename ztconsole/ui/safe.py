"""Render tenant strings as inert text.

Everything that comes from a tenant (display names, domains, file names in messages) is data: it may
hold Rich markup (``[bold]``), ANSI escape sequences or control characters, by accident or on purpose.
Such strings are shown through :func:`text`, which never parses markup, and :func:`clean`, which drops
escape sequences, control characters and bidirectional overrides (which can make a name read as
another) and folds line breaks and tabs to spaces, so one value always stays on one line.
"""

from __future__ import annotations

import re

from rich.text import Text

__all__ = ["clean", "text"]

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
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(value: object) -> str:
    """``value`` as a single printable line: no escape sequences, control or bidi characters."""
    out = _ESCAPES.sub("", str(value))
    out = _WHITESPACE.sub(" ", out)
    return _CONTROLS.sub("", out)


def text(value: object, style: str = "") -> Text:
    """A Rich ``Text`` showing ``value`` literally (markup is never interpreted), cleaned."""
    return Text(clean(value), style=style)

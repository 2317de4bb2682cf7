"""Render tenant strings as inert text.

Everything that comes from a tenant (display names, domains, file names in messages) is data: it may
hold Rich markup (``[bold]``), ANSI escape sequences or control characters, by accident or on purpose.
Such strings are shown through :func:`text`, which never parses markup, and :func:`clean`, which drops
escape sequences, control characters and bidirectional overrides (which can make a name read as
another) and folds line breaks and tabs to spaces, so one value always stays on one line.
"""

from __future__ import annotations

from rich.text import Text

from ztconsole.safetext import clean

__all__ = ["clean", "text"]


def text(value: object, style: str = "") -> Text:
    """A Rich ``Text`` showing ``value`` literally (markup is never interpreted), cleaned."""
    return Text(clean(value), style=style)

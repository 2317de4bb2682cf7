"""Plain-text output shared by the headless commands: tables and the names they print.

Every cell is cleaned of terminal sequences (tenant text is data); the caller prints the lines through
:func:`ztconsole.commands.source.print_text`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ztconsole.safetext import clean

__all__ = ["STATE_NAMES", "table"]

#: a Conditional Access policy's state as the headless commands name it
STATE_NAMES = {"enabled": "enabled", "enabledForReportingButNotEnforced": "report-only", "disabled": "disabled"}


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, wrap_last: bool = False,
           limits: Sequence[int] | None = None) -> list[str]:
    """A plain table; a cell may be a list of lines (continuation lines under the same column)."""
    body = []
    for row in rows:
        cells = [[clean(x) for x in c] if isinstance(c, (list, tuple)) else [clean(c)] for c in row]
        body.append(cells)
    widths = [len(h) for h in headers]
    for cells in body:
        for i, lines in enumerate(cells[:-1] if wrap_last else cells):
            widths[i] = max(widths[i], *(len(x) for x in lines)) if lines else widths[i]
    if limits:
        widths = [min(w, lim) if lim else w for w, lim in zip(widths, limits)]

    def fit(text: str, width: int) -> str:
        return text if len(text) <= width else text[: max(1, width - 3)] + "..."

    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()]
    for cells in body:
        height = max(len(c) for c in cells) or 1
        for n in range(height):
            parts = []
            for i, lines in enumerate(cells):
                text = lines[n] if n < len(lines) else ""
                last = i == len(cells) - 1
                parts.append(text if (last and wrap_last) else fit(text, widths[i]).ljust(widths[i]))
            out.append("  ".join(parts).rstrip())
    return out

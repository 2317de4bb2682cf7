"""A pane's notice of the data it needs that was not read completely (CONTRACTS §2 "Incomplete sources").

Every pane shows what it can, and says above it which of its data sets are not ``ok`` and why: ``forbidden``
with the permission to grant, ``throttled`` (the service asked to slow down), ``partial`` (what was read is
shown, marked), ``missing``, ``failed``. Reading the data again is ``r`` (the app's reload) — the notice says
so. Nothing is shown when everything the pane needs is ``ok``. Messages come from the sources and may quote
the tenant: they are shown through :func:`ztconsole.ui.safe.text`, one line each.

A pane yields a :class:`DataNotice` in its ``compose_pane`` and calls :meth:`DataNotice.show` from its
``tenant_loaded`` (and ``data_set_loaded``) hooks with the results it holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from ztconsole.datasets import BY_KEY
from ztconsole.ui.safe import text
from ztconsole.ui.status import Status, final, glyph, style

if TYPE_CHECKING:
    from ztconsole.model.tenant import DataSetResult

__all__ = ["DataNotice", "describe_incomplete"]


def describe_incomplete(results: Mapping[str, DataSetResult], keys: Iterable[str]
                        ) -> list[tuple[str, Status, str]]:
    """``(data set label, status, why)`` for each of ``keys`` not read completely, in the order given; a key
    with no result yet is left out (it is still being read)."""
    out = []
    for key in dict.fromkeys(keys):
        result = results.get(key)
        if result is None or result.status == "ok":
            continue
        ds = BY_KEY[key]
        status = final(result.status)
        why = result.message or status
        if status == "forbidden" and ds.permission and ds.permission not in why:
            why = f"{why} (grant {ds.permission})"
        out.append((ds.label, status, why))
    return out


class DataNotice(Static):
    """One line per incomplete data set of the pane, hidden when there is none."""

    DEFAULT_CSS = """
    DataNotice { height: auto; max-height: 6; padding: 0 1; display: none; }
    DataNotice.-shown { display: block; }
    """

    def __init__(self, keys: Iterable[str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.keys = tuple(keys)

    def show(self, results: Mapping[str, DataSetResult]) -> None:
        problems = describe_incomplete(results, self.keys)
        self.set_class(bool(problems), "-shown")
        if not problems:
            self.update("")
            return
        variables = self.app.theme_variables
        out = Text()
        for i, (label, status, why) in enumerate(problems):
            if i:
                out.append("\n")
            out.append(f"{glyph(self.app, f'mark-{status}')} ", style=style(status, variables))
            out.append_text(text(label, "bold"))
            out.append(f" is {status}: ", style=style(status, variables))
            out.append_text(text(why))
        out.append("  (r: read again)", style="dim")
        self.update(out)

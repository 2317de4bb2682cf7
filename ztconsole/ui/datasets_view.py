"""The data-set table: one row per data set, from queued through loading to its count or failure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import DataTable

from ztconsole.datasets import DataSet
from ztconsole.ui import actions
from ztconsole.ui.safe import text
from ztconsole.ui.status import LOOKS, SPINNER, Status, final, style

if TYPE_CHECKING:
    from ztconsole.tenantdir import DataSetResult, LoadIssue

__all__ = ["DataSetTable", "RowState", "Status", "SPINNER", "file_template"]

_COLUMNS: tuple[tuple[str, str], ...] = (
    ("title", "Data set"),
    ("api", "API"),
    ("pane", "Pane"),
    ("count", "Count"),
    ("issues", "Issues"),
    ("status", "Status"),
)


@dataclass(frozen=True, slots=True)
class RowState:
    """What a row shows: a load's status, its count and issues, and a one-line message."""

    status: Status
    count: int | None = None
    issues: tuple[LoadIssue, ...] = ()
    message: str = ""

    @classmethod
    def of(cls, result: DataSetResult) -> RowState:
        """The row for a finished read (a status this console does not know shows as failed)."""
        return cls(final(result.status), result.count, tuple(result.issues), result.message)


def file_template(ds: DataSet) -> str:
    """Where ``ds`` lives in a tenant directory, placeholders kept: ``arm/subscriptions/{sub}/...json``."""
    return ds.file_path(sub="{sub}", parent="{parent}")


def _api(ds: DataSet) -> str:
    return f"graph {ds.version}" if ds.api == "graph" else "arm"


class DataSetTable(actions.Guarded, DataTable[Text]):
    """The data sets in catalogue order, keyed by data-set key and updated in place."""

    ACTION_SCOPE = "datasets"
    BINDINGS = actions.bindings("datasets")

    def __init__(self, datasets: Iterable[DataSet], *, id: str | None = None) -> None:
        super().__init__(cursor_type="row", id=id)
        self._datasets = tuple(datasets)
        self._states: dict[str, RowState] = {}
        self._frame = 0

    def on_mount(self) -> None:
        for key, label in _COLUMNS:
            self.add_column(Text(label, justify="right" if key in ("count", "issues") else "left"), key=key)
        for ds in self._datasets:
            self.add_row(
                Text(ds.title), Text(_api(ds), style="dim"), Text(ds.pane, style="dim"),
                Text(""), Text(""), Text(""), key=ds.key,
            )

    def state(self, key: str) -> RowState | None:
        """The state shown on row ``key`` (None before the first load is queued)."""
        return self._states.get(key)

    def show(self, key: str, state: RowState) -> None:
        """Show ``state`` on row ``key``."""
        self._states[key] = state
        variables = self.app.theme_variables
        count = "" if state.count is None or not LOOKS[state.status].counted else f"{state.count:,}"
        issues = f"{len(state.issues):,}" if state.issues else ""
        errors = any(i.severity == "error" for i in state.issues)
        issues_style = variables.get("warning", "") if errors else "dim"
        self.update_cell(key, "count", Text(count, justify="right"))
        self.update_cell(key, "issues", Text(issues, style=issues_style, justify="right"))
        self.update_cell(key, "status", self._status_text(state), update_width=True)

    def on_resize(self) -> None:
        # Status messages are cut to the room left; rows shown before the first layout had no room.
        for key, state in self._states.items():
            self.update_cell(key, "status", self._status_text(state), update_width=True)

    def spin(self) -> None:
        """Advance the spinner on every row that is loading."""
        self._frame = (self._frame + 1) % len(SPINNER)
        for key, state in self._states.items():
            if state.status == "loading":
                self.update_cell(key, "status", self._status_text(state))

    def _status_text(self, state: RowState) -> Text:
        shown = style(state.status, self.app.theme_variables)
        look = LOOKS[state.status]
        if state.status == "loading":
            return Text(f"{SPINNER[self._frame]} loading…", style=shown)
        out = Text(f"{look.mark} {state.status}", style=shown, no_wrap=True, overflow="ellipsis")
        if state.message and state.status != "ok":
            out.append(": ", style=shown)
            out.append_text(text(state.message, style="" if look.urgent else "dim"))
            out.truncate(self._status_width(), overflow="ellipsis")
        return out

    def _status_width(self) -> int:
        """Room left for the status column, so a long message is cut (Enter shows it whole)
        rather than pushing the table into horizontal scrolling."""
        others = sum(c.get_render_width(self) for k, c in self.columns.items() if k != "status")
        return max(24, self.scrollable_content_region.width - others - 2 * self.cell_padding)

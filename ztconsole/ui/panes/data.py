"""The Data pane: every data set of the catalogue, from queued through loading to its count or failure,
and Enter for its details (files, permission, every malformed item)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.widgets import DataTable

from ztconsole.datasets import BY_KEY, DATASETS
from ztconsole.ui.datasets_view import DataSetTable, RowState
from ztconsole.ui.panes.base import Pane

if TYPE_CHECKING:
    from ztconsole.model.tenant import DataSetResult

__all__ = ["DataPane"]


class DataPane(Pane):
    """The load status of every data set."""

    ID = "data"
    TITLE = "Data"
    ALIASES = ("data",)
    DATASETS = tuple(ds.key for ds in DATASETS)
    ACTION_SCOPE = "data"

    def compose_pane(self) -> ComposeResult:
        yield DataSetTable(DATASETS, id="datasets")

    @property
    def _table(self) -> DataSetTable:
        return self.query_one(DataSetTable)

    def load_started(self) -> None:
        for key in self.DATASETS:
            self._table.show(key, RowState("queued"))

    def load_ticked(self) -> None:
        self._table.spin()

    def data_set_reading(self, key: str) -> None:
        self._table.show(key, RowState("loading"))

    def data_set_loaded(self, result: DataSetResult) -> None:
        self._table.show(result.key, RowState.of(result))

    def theme_changed(self) -> None:
        self._table.restyle()  # the rows hold the old theme's colours and glyphs

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        from ztconsole.ui.screens import DetailsScreen  # the dialogs wait until one is opened

        key = event.row_key.value
        if key is not None:
            self.app.push_screen(DetailsScreen(BY_KEY[key], self._table.state(key)))

"""The data-set table repaints only the cells a load changes: what it shows must stay what a table drawn
afresh from the same rows shows, through spinner frames, counts, long failures that widen the status
column, and the end of the load."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from conftest import until
from test_ui_first_screen import SIZE, DataFirst, cell, loaded
from ztconsole.datasets import BY_KEY, DATASETS
from ztconsole.model.tenant import DataSetResult, LoadIssue, TenantInfo
from ztconsole.ui.app import ZtApp
from ztconsole.ui.datasets_view import DataSetTable
from ztconsole.ui.store import PROGRESS_INTERVAL


class Stepped:
    """A source whose load reports what the test hands it, step by step."""

    def __init__(self) -> None:
        self.info = TenantInfo(id="t", display_name="Stepped")
        self.steps: list[list[tuple[str, Any]]] = []
        self.go = threading.Semaphore(0)

    def load(self, *, on_start, on_result) -> object:
        for step in self.steps:
            self.go.acquire()
            for kind, what in step:
                if kind == "start":
                    on_start(BY_KEY[what])
                else:
                    on_result(what)
        return None


def drawn_afresh(app: ZtApp) -> tuple[str, str]:
    """The screen as it is, then as a table that forgot everything it rendered draws it (no await in
    between: no timer can change a row meanwhile)."""
    table = app.query_one(DataSetTable)
    now = app.export_screenshot()
    table._clear_caches()
    table._update_count += 1
    table.refresh()
    return now, app.export_screenshot()




async def test_the_table_shows_what_a_fresh_table_would_through_a_load() -> None:
    first, second, third, fourth = (ds.key for ds in DATASETS[:4])
    long = "HTTP 500 from the service: " + "the upstream dependency did not answer in time; " * 4
    source = Stepped()
    source.steps = [
        [("start", first), ("start", second), ("start", third)],
        [("result", DataSetResult(first, "ok", (), 1234)),
         ("result", DataSetResult(second, "partial", (), 7, [LoadIssue("f", "$[3]", "bad id")],
                                  "1 malformed item(s); first: f $[3]: bad id")),
         ("start", fourth)],
        [("result", DataSetResult(third, "failed", None, 0, [LoadIssue("f", "", long)], long))],
        [("result", DataSetResult(fourth, "ok", (), 5))]
        + [("result", DataSetResult(ds.key, "ok", (), 1)) for ds in DATASETS[4:]],
    ]
    app = DataFirst(source, badge="DEMO", clock=lambda: 0.0)  # type: ignore[arg-type]  # the Data pane shown
    async with app.run_test(size=SIZE) as pilot:
        source.go.release()
        await until(lambda: "loading" in cell(app, third, "status"))
        await asyncio.sleep(3 * PROGRESS_INTERVAL)  # spinner frames
        await pilot.pause()
        now, afresh = drawn_afresh(app)
        assert now == afresh

        source.go.release()
        await until(lambda: "loading" in cell(app, fourth, "status"))
        await pilot.pause()
        assert cell(app, first, "count") == "1,234" and cell(app, second, "issues") == "1"
        now, afresh = drawn_afresh(app)
        assert now == afresh

        source.go.release()  # a long failure widens the status column: every row is drawn again
        await until(lambda: "failed" in cell(app, third, "status"))
        await asyncio.sleep(2 * PROGRESS_INTERVAL)
        await pilot.pause()
        now, afresh = drawn_afresh(app)
        assert now == afresh
        assert "✗ failed: HTTP 500" in now.replace("&#160;", " ")

        source.go.release()
        await loaded(app)
        await pilot.pause()
        now, afresh = drawn_afresh(app)
        assert now == afresh
        assert cell(app, fourth, "status") == "✓ ok" and cell(app, fourth, "count") == "5"
        assert not any("loading" in cell(app, ds.key, "status") for ds in DATASETS)

"""The console's table against Textual's stock ``DataTable``, in the same run (issue #13).

Targets: a 50,000-row table ready in <= 0.5 s; key-down latency p95 <= 16 ms.

Each round builds, in alternation (the order swapped each round), a headless app at 120x40 holding one table
and measures, for :class:`ztconsole.ui.vtable.VirtualTable` and for ``DataTable``:

* ready: from handing the table its rows (``set_rows`` / ``add_rows``) until the frame that shows them has
  been rendered (``pilot.pause()`` after the call: the refresh has run);
* key-down: ``--keys`` presses of the down key, then as many of the up key from the end of the table (both
  ends of 50,000 rows), each timed from posting the key event to the app (the way a terminal's key arrives)
  until the table has moved its cursor and rendered a line of the new frame (the compositor asks the table
  for its lines only when it paints); p50, p95 and max. Each key is posted after a random wait within a frame
  (Textual paints on a timer, at most ``TEXTUAL_FPS`` frames a second: the console's
  ``ztconsole.ui.MAX_FPS``, 120, which this benchmark sets for both tables; a key waits up to one frame
  for the next paint whatever the widget):
  keys posted right after the previous paint would all be measured at the same, worst, phase.

The rows are those of a sign-in log: five columns of text, 50,000 rows (``--rows``). The medians of the rounds
are printed with the ratio of the stock table to ours.

    .venv/bin/python benchmarks/bench_table.py [--rows 50000] [--rounds 3] [--keys 200]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import time
from typing import Any

from ztconsole.ui import set_frame_rate

set_frame_rate()  # the console's frame rate (ztconsole.ui.MAX_FPS), for both tables, before Textual is imported

from textual import events  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402
from textual.strip import Strip  # noqa: E402
from textual.widgets import DataTable  # noqa: E402

from ztconsole.ui.vtable import Column, Row, VirtualTable  # noqa: E402

SIZE = (120, 40)


def data(n: int) -> list[tuple[str, ...]]:
    apps = ("Office 365 Exchange Online", "Microsoft Teams", "Azure Portal", "SharePoint Online", "VPN")
    return [(f"2026-12-0{1 + i % 7}T{i % 24:02d}:{i % 60:02d}:00Z", f"user{i % 20000:05d}@contoso.com",
             apps[i % len(apps)], f"10.{i % 256}.{(i // 256) % 256}.{i % 250 + 1}",
             "success" if i % 11 else "failure: 50126") for i in range(n)]


class Timing:
    """When the cursor last moved, and when the table was next asked for a line after that (the paint)."""

    moved: float | None = None
    painted: float | None = None

    def move(self) -> None:
        self.moved, self.painted = time.perf_counter(), None

    def paint(self) -> None:
        if self.moved is not None and self.painted is None:
            self.painted = time.perf_counter()


class TimedVirtualTable(VirtualTable):
    timing = Timing()

    def _move(self, to: int) -> None:
        super()._move(to)
        self.timing.move()

    def render_line(self, y: int) -> Strip:
        self.timing.paint()
        return super().render_line(y)


class TimedDataTable(DataTable[str]):
    timing = Timing()

    def watch_cursor_coordinate(self, old: Any, new: Any) -> None:
        super().watch_cursor_coordinate(old, new)
        self.timing.move()

    def render_line(self, y: int) -> Strip:
        self.timing.paint()
        return super().render_line(y)


class Bench(App[None]):
    read_only = True

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def compose(self) -> ComposeResult:
        if self.kind == "vtable":
            yield TimedVirtualTable((Column("when", "When", width=20), Column("user", "User", max_width=30),
                                     Column("app", "App", flex=True), Column("ip", "IP", max_width=15),
                                     Column("status", "Status", max_width=16)))
        else:
            table = TimedDataTable(cursor_type="row")
            table.add_columns("When", "User", "App", "IP", "Status")
            yield table


_PHASE = random.Random(20261207)


async def key_latency(app: App[None], table: Any, key: str) -> float:
    timing: Timing = table.timing
    # a key arrives at any moment of a 60 Hz frame (the console paints up to MAX_FPS times a second): without a
    # random wait each key would be posted just after the frame that showed the last one
    await asyncio.sleep(_PHASE.uniform(0, 1 / 60))
    timing.moved = timing.painted = None
    started = time.perf_counter()
    app.post_message(events.Key(key, None))
    while timing.painted is None:
        await asyncio.sleep(0)
        if time.perf_counter() - started > 5:
            raise RuntimeError(f"{key}: no repaint within 5 s")
    return timing.painted - started


async def measure(kind: str, rows: list[tuple[str, ...]], keys: int) -> dict[str, Any]:
    app = Bench(kind)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        gc.collect()
        if kind == "vtable":
            table: Any = app.query_one(TimedVirtualTable)
            wrapped = [Row(str(i), r) for i, r in enumerate(rows)]
            started = time.perf_counter()
            table.set_rows(wrapped)
        else:
            table = app.query_one(TimedDataTable)
            started = time.perf_counter()
            table.add_rows(rows)
        await pilot.pause()
        ready = time.perf_counter() - started
        table.focus()
        await pilot.pause()
        lat = [await key_latency(app, table, "down") for _ in range(keys)]
        await pilot.press("end")
        await pilot.pause()
        lat += [await key_latency(app, table, "up") for _ in range(keys)]
    lat.sort()
    return {"ready": ready, "p50": lat[len(lat) // 2], "p95": lat[int(len(lat) * 0.95)], "max": lat[-1]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--keys", type=int, default=200)
    args = ap.parse_args()
    rows = data(args.rows)
    results: dict[str, list[dict[str, Any]]] = {"vtable": [], "datatable": []}
    for r in range(args.rounds):
        order = ("vtable", "datatable") if r % 2 == 0 else ("datatable", "vtable")
        for kind in order:
            got = asyncio.run(measure(kind, rows, args.keys))
            results[kind].append(got)
            print(f"round {r + 1}: {kind:9} ready {got['ready']:.3f} s, key p95 {got['p95'] * 1000:.1f} ms",
                  flush=True)
    med = {k: {m: statistics.median(x[m] for x in v) for m in ("ready", "p50", "p95", "max")}
           for k, v in results.items()}
    print(f"\n{args.rounds} rounds in alternation, medians; {args.rows:,} rows, {args.keys * 2} key presses each")
    print(f"{'what':28} {'VirtualTable':>13} {'DataTable':>11} {'DataTable/ours':>15}  target")
    v, d = med["vtable"], med["datatable"]
    print(f"{'ready (s)':28} {v['ready']:13.3f} {d['ready']:11.3f} {d['ready'] / v['ready']:14.1f}x  <= 0.5 s")
    for m, label in (("p50", "key-down p50 (ms)"), ("p95", "key-down p95 (ms)"), ("max", "key-down max (ms)")):
        target = "  <= 16 ms" if m == "p95" else ""
        print(f"{label:28} {v[m] * 1000:13.1f} {d[m] * 1000:11.1f} {d[m] / v[m]:14.1f}x{target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Screenshots of the console on the demo tenant, one SVG per pane, for the README.

    .venv/bin/python -m ztconsole.ui.screenshots [--out docs/screens] [--size 120x36]

The console runs headless on the bundled demo tenant (read through the emulator and the real adapters,
as ``ztconsole --demo`` reads it), waits until the tenant is loaded and every pane's work (the checks,
the rule book) has finished, then saves what each pane shows, in the order of the panes, as
``<pane id>.svg``. The clocks are fixed (the load time shown is 0.0 s, the refresh time the demo's capture
time) so that the images change only when the console does.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

__all__ = ["take"]


async def take(out: Path, size: tuple[int, int] = (120, 36)) -> list[Path]:
    """Write one SVG per pane into ``out``; the paths written."""
    from ztconsole.demo import demo_dir
    from ztconsole.sources.stack import RecordingSource
    from ztconsole.ui import header

    out.mkdir(parents=True, exist_ok=True)
    captured = RecordingSource(demo_dir()).info.captured_at
    clock = header._now
    if captured is not None:  # the "refreshed" time in the header: the demo's capture time, not the clock
        header._now = lambda: captured
    try:
        return await _shoot(out, size)
    finally:
        header._now = clock


async def _shoot(out: Path, size: tuple[int, int]) -> list[Path]:
    from ztconsole.demo import demo_dir
    from ztconsole.sources.stack import RecordingSource
    from ztconsole.ui.app import ZtApp
    from ztconsole.ui.panes import PANES

    app = ZtApp(RecordingSource(demo_dir()), badge="DEMO", clock=lambda: 0.0)
    written = []
    async with app.run_test(size=size) as pilot:
        await asyncio.wait_for(app.loaded.wait(), 60)
        for pane in PANES:
            await app.switch_mode(pane.ID)
            for _ in range(100):  # the pane's workers (checks, rule books) finish, then one more frame
                await pilot.pause(0.05)
                if not any(w.is_running for w in app.workers):
                    break
            await pilot.pause(0.1)
            path = out / f"{pane.ID}.svg"
            path.write_text(app.export_screenshot(title=f"ztconsole — {pane.TITLE}"), encoding="utf-8")
            written.append(path)
    return written


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("docs/screens"))
    ap.add_argument("--size", default="120x36", help="columns x rows (default 120x36)")
    args = ap.parse_args()
    cols, _, rows = args.size.partition("x")
    for path in asyncio.run(take(args.out, (int(cols), int(rows)))):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The README's screenshots come from a script in the repository (``python -m ztconsole.ui.screenshots``):
one SVG per pane of the console on the demo tenant, each showing that pane."""

from __future__ import annotations

import html
from pathlib import Path

from ztconsole.ui.panes import PANES
from ztconsole.ui.screenshots import take


async def test_one_svg_per_pane_showing_it(tmp_path: Path) -> None:
    written = await take(tmp_path, (100, 30))
    assert [p.name for p in written] == [f"{pane.ID}.svg" for pane in PANES]
    for pane, path in zip(PANES, written, strict=True):
        svg = html.unescape(path.read_text(encoding="utf-8")).replace("\xa0", " ")
        assert svg.startswith("<svg") and f"ztconsole — {pane.TITLE}" in svg
        assert "Contoso" in svg  # the demo tenant, loaded

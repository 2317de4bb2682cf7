"""Tenant text is data, in every pane (issue #13, item 6): a tenant whose every display name carries Rich
markup, ANSI and OSC 8 escape sequences, a bidirectional override and a NUL (and one name 10,000 characters
long) renders inert in every pane and in the flash line: the markup shows as the text it is, no escape
sequence or control character reaches the screen, no hyperlink is made, and every line still fits."""

from __future__ import annotations

import asyncio
import html
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from ztconsole.demo import demo_dir
from ztconsole.tenantdir import TenantDir
from ztconsole.ui.app import ZtApp
from ztconsole.ui.panes import PANES

MARKUP = "[bold red]X[/]"
HOSTILE = f" {MARKUP} \x1b[31mred\x1b[0m \x1b]8;;http://evil.example/\x07link\x1b]8;;\x07 \u202eevil\u202c nul\x00"
SIZE = (120, 36)


def _poison(value: Any, state: dict[str, int]) -> Any:
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k == "displayName" and isinstance(v, str):
                state["n"] += 1
                out[k] = v + HOSTILE if state["n"] % 50 else "L" * 10_000  # now and then a very long one
            else:
                out[k] = _poison(v, state)
        return out
    if isinstance(value, list):
        return [_poison(v, state) for v in value]
    return value


@pytest.fixture(scope="module")
def hostile_tenant(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile") / "tenant"
    shutil.copytree(demo_dir(), root)
    state = {"n": 0}
    for path in (root / "graph").rglob("*.json"):
        doc = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(json.dumps(_poison(doc, state)), encoding="utf-8")
    assert state["n"] > 50
    return root


def screen_of(app: ZtApp) -> tuple[str, str]:
    """(the text on screen, one line per row; the SVG it came from)."""
    svg = app.export_screenshot()
    rows: dict[float, list[tuple[float, str]]] = {}
    for m in re.finditer(r'<text[^>]*?x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', svg):
        rows.setdefault(float(m.group(2)), []).append((float(m.group(1)), html.unescape(m.group(3))))
    lines = ["".join(t for _, t in sorted(cells)).replace("\xa0", " ") for _, cells in sorted(rows.items())]
    return "\n".join(lines), svg


async def test_every_pane_renders_hostile_names_inert(hostile_tenant: Path) -> None:
    app = ZtApp(TenantDir.open(hostile_tenant), badge="OFFLINE", clock=lambda: 0.0)  # type: ignore[arg-type]
    shown_literally = []
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.wait_for(app.loaded.wait(), 30)
        for pane in PANES:
            await app.switch_mode(pane.ID)
            for _ in range(200):
                await pilot.pause(0.05)
                if not any(w.is_running for w in app.workers):
                    break
            await pilot.pause(0.1)
            text, svg = screen_of(app)
            for bad in ("\x1b", "\u202e", "\u202c", "\x00", "\x07"):
                assert bad not in text, f"{pane.ID}: {bad!r} reached the screen"
            assert "<a " not in svg and "evil.example" not in text, f"{pane.ID}: a hyperlink escaped"
            assert "X[/]" not in text or MARKUP in text.replace("…", ""), f"{pane.ID}: markup half-read:\n{text}"
            if MARKUP in text:
                shown_literally.append(pane.ID)
            assert all(len(line) <= SIZE[0] for line in text.splitlines()), pane.ID
    assert len(shown_literally) >= 2, shown_literally  # names are on screen (long ones cut: then not whole)

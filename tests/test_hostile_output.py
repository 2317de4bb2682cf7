"""No tenant text reaches a terminal raw (issue #9): a tenant whose every name carries terminal escape
sequences (a screen clear, an OSC 52 clipboard write, an OSC 8 hyperlink), C1 controls, BEL, NUL and bidi
overrides, read by every command that prints tenant text and by the console; none of those characters may
appear in any output, human or error, and JSON escapes them. (The emulator's start-up text on such a
tenant: tests/test_emulator_hardening.py.)"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from test_cli_ca import cli
from test_ui_first_screen import screen_text
from ztconsole.demo import demo_dir

EVIL = ("\x1b[2J\x1b]52;c;cHduZWQ=\x07\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\\x9b31m\x85"
        "\u202eRLO\x00NUL\u2066iso\x07bell\u200f\x90dcs\x9c")
FORBIDDEN = {"\x1b", "\x07", "\x00", *map(chr, range(0x80, 0xA0)), "\u061c", "\u200e", "\u200f",
             *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))}


def assert_inert(text: str, where: str) -> None:
    found = sorted({f"U+{ord(c):04X}" for c in text if c in FORBIDDEN})
    assert not found, f"{where}: raw control characters reached the output: {found}"


def _poison(value: Any, key: str = "") -> Any:
    """Every display name, UPN-like and free-text value of a document, with EVIL added."""
    if isinstance(value, dict):
        return {k: _poison(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_poison(v, key) for v in value]
    if isinstance(value, str) and key in ("displayName", "appDisplayName", "description", "jobTitle",
                                          "resourceDisplayName", "userDisplayName", "city", "state"):
        return value + EVIL
    return value


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("hostile") / "tenant"
    shutil.copytree(demo_dir(), root)
    toml = root / "tenant.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace('display_name = "Contoso"',
                                 'display_name = "Contoso' + json.dumps(EVIL)[1:-1] + '"'), encoding="utf-8")
    for path in root.rglob("*.json"):
        doc = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(json.dumps(_poison(doc)), encoding="utf-8")
    # a malformed item whose load issue quotes a hostile value
    locations = root / "graph/v1.0/identity/conditionalAccess/namedLocations.json"
    doc = json.loads(locations.read_text(encoding="utf-8"))
    doc.append({"@odata.type": "#microsoft.graph.countryNamedLocation", "id": "x" + EVIL,
                "displayName": EVIL, "countriesAndRegions": [EVIL]})
    locations.write_text(json.dumps(doc), encoding="utf-8")
    policies = json.loads((root / "graph/v1.0/identity/conditionalAccess/policies.json").read_text())
    return {"root": root, "policy": policies[0]["id"]}


def test_the_tenant_really_is_hostile(hostile: dict[str, Any]) -> None:
    code, out, err = cli("whatif", "--tenant-dir", str(hostile["root"]), "--user", "AdeleV@contoso.com",
                         "--app", "All", "--allow-partial", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert all(p["displayName"].endswith(EVIL) for p in doc["policies"])  # JSON keeps the value exactly
    assert_inert(out, "whatif --json")


@pytest.mark.parametrize("argv", [
    ["whatif", "--user", "AdeleV@contoso.com", "--app", "All"],
    ["whatif", "--user", "AdeleV@contoso.com", "--app", "All", "--allow-partial"],
    ["whatif", "--user", "AdeleV@contoso.com", "--app", "Contoso Expenses" + EVIL, "--allow-partial"],
    ["whatif", "--user", "nobody" + EVIL, "--app", "All", "--allow-partial"],
    ["gaps"],
    ["gaps", "--allow-partial"],
    ["gaps", "--allow-partial", "--include-report-only"],
    ["impact", "--policy", "CA025", "--allow-partial"],
    ["impact", "--policy", "CA0" + EVIL, "--allow-partial"],
], ids=lambda a: " ".join(x for x in a if x.isprintable())[:60])
def test_every_command_output_is_inert(hostile: dict[str, Any], argv: list[str]) -> None:
    code, out, err = cli(*argv, "--tenant-dir", str(hostile["root"]))
    assert code in (0, 2, 3), (code, err)
    assert_inert(out, f"{argv[0]} stdout")
    assert_inert(err, f"{argv[0]} stderr")
    if code == 0 and "--allow-partial" in argv:
        assert out.startswith("INCOMPLETE")


def test_impact_by_policy_id_is_inert(hostile: dict[str, Any]) -> None:
    code, out, err = cli("impact", "--tenant-dir", str(hostile["root"]), "--policy", hostile["policy"],
                         "--allow-partial")
    assert code == 0, err
    assert "Contoso" not in out or True
    assert_inert(out + err, "impact")


def test_snapshot_output_is_inert(hostile: dict[str, Any], tmp_path: Path) -> None:
    code, out, err = cli("snapshot", "--tenant-dir", str(hostile["root"]), "--out", str(tmp_path / "snap"))
    assert code in (0, 3), err
    assert_inert(out + err, "snapshot")


async def test_console_shows_hostile_names_as_data(hostile: dict[str, Any]) -> None:
    from ztconsole.sources.stack import RecordingSource
    from ztconsole.ui.app import ZtApp

    app = ZtApp(RecordingSource(hostile["root"]), badge="OFFLINE")
    async with app.run_test(size=(160, 50)) as pilot:
        await asyncio_wait(app.loaded, 60)
        await pilot.pause()
        shown = screen_text(app)
        assert "Contoso" in shown.splitlines()[0]
        assert_inert(shown, "console")
        await app.switch_mode("data")  # the console opens on the Overview; the data sets are on Data
        await pilot.pause()
        table = app.screen.query_one("#datasets")
        table.move_cursor(row=[ds.key for ds in _datasets()].index("named_locations"))
        await pilot.press("enter")
        await pilot.pause()
        shown = screen_text(app)
        assert "countriesAndRegions" in shown
        assert_inert(shown, "console details")


def _datasets() -> Any:
    from ztconsole.datasets import DATASETS

    return DATASETS


async def asyncio_wait(event: Any, timeout: float) -> None:
    import asyncio

    await asyncio.wait_for(event.wait(), timeout)

"""Themes are data: shipped files load, user files extend or replace them, broken files are skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from ztconsole.ui.theme import DEFAULT_THEME, load_themes, parse_theme

GOOD = """name = "ops-night"
dark = true
[colors]
primary = "#336699"
[variables]
badge-demo = "#ffaa00"
"""


def test_shipped_themes_load_cleanly() -> None:
    themes = load_themes(None)
    names = {t.name for t in themes.themes}
    assert {DEFAULT_THEME, "ztconsole-light", "ztconsole-production"} <= names
    assert themes.problems == ()
    assert {"badge-demo", "badge-offline", "badge-live", "badge-read-only"} <= set(themes.variable_defaults)


def test_user_theme_is_added_and_can_replace_a_shipped_one(tmp_path: Path) -> None:
    (tmp_path / "night.toml").write_text(GOOD)
    (tmp_path / "dark.toml").write_text(GOOD.replace("ops-night", DEFAULT_THEME).replace("#336699", "#112233"))
    themes = {t.name: t for t in load_themes(tmp_path).themes}
    assert "ops-night" in themes
    assert themes[DEFAULT_THEME].primary == "#112233"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace("#336699", "blurple"), "[colors] primary: 'blurple' is not a colour"),
        (GOOD.replace("[colors]", "[colours]"), "unknown key 'colours'"),
        (GOOD.replace('dark = true', 'dark = "yes"'), "'dark' must be true or false"),
        (GOOD.replace('name = "ops-night"\n', ""), "'name' must be a non-empty string"),
        (GOOD.replace("badge-demo = \"#ffaa00\"", "badge-demo = 3"), "[variables] badge-demo must be a colour"),
        ("name = ", "bad.toml: Invalid value"),
    ],
)
def test_broken_theme_is_reported_with_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "bad.toml").write_text(text)
    themes = load_themes(tmp_path)
    assert len(themes.problems) == 1
    assert str(tmp_path / "bad.toml") in themes.problems[0]
    assert message in themes.problems[0]
    assert DEFAULT_THEME in {t.name for t in themes.themes}


def test_every_problem_in_a_theme_file_is_reported_in_its_one_message(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('nme = "x"\ndark = "yes"\n[colors]\nprimary = "blurple"\nsecundary = "#fff"\n'
                   '[variables]\nbadge-demo = 3\nbadge-live = "nope"\nblock-cursor-text-style = "bold"\n')
    (problem,) = load_themes(tmp_path).problems
    assert problem.splitlines() == [
        f"{bad}: 'name' must be a non-empty string, but is missing",
        f"{bad}:1: unknown key 'nme' (did you mean 'name'?)",
        f"{bad}:2: 'dark' must be true or false, got a string",
        f"{bad}:4: [colors] primary: 'blurple' is not a colour",
        f"{bad}:5: [colors] has an unknown key 'secundary' (did you mean 'secondary'?)",
        f'{bad}:7: [variables] badge-demo must be a colour string such as "#4a90c8", got an integer',
        f"{bad}:8: [variables] badge-live: 'nope' is not a colour",
    ]


def test_a_theme_without_colors_names_the_missing_table() -> None:
    with pytest.raises(ValueError, match=r"^x.toml: required table \[colors\] is missing$"):
        parse_theme('name = "plain"\n', "x.toml")


def test_parse_theme_keeps_variables() -> None:
    theme = parse_theme(GOOD, "x.toml")
    assert theme.dark and theme.variables["badge-demo"] == "#ffaa00"


async def test_console_with_a_broken_user_theme_opens_with_a_warning(tmp_path: Path) -> None:
    from ztconsole.demo import demo_dir
    from ztconsole.tenantdir import TenantDir
    from ztconsole.ui.app import ZtApp

    (tmp_path / "bad.toml").write_text(GOOD.replace("#336699", "blurple"))
    (tmp_path / "night.toml").write_text(GOOD)
    app = ZtApp(TenantDir.open(demo_dir()), badge="DEMO", theme="ops-night", user_themes=tmp_path,
                clock=lambda: 0.0)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await app.loaded.wait()
        await pilot.pause()
        assert app.theme == "ops-night"
        messages = [n.message for n in app._notifications]
        assert any("Theme skipped" in m and "blurple" in m for m in messages)
